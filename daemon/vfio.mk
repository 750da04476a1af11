# SPDX-License-Identifier: LGPL-2.1-or-later
# daemon/vfio.mk: the VFIO backend, IOMMU group checks, DMA in libudrv, and their tests.
