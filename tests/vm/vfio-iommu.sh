#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# make check test: boots the VM bed with intel-iommu and runs tests/vm/vfio.scenario (the VFIO
# backend through tests/vm/vfio-harness: edu DMA, e1000e MSI-X, group viability, node mode,
# leases ended under a running holder). One vCPU, as for the UIO lease test.
set -eu
srcdir=${UDRV_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
UDRV_VM_SMP=${UDRV_VM_SMP:-1} exec sh "$srcdir/tests/vm/run" iommu "$srcdir/tests/vm/vfio.scenario"
