# SPDX-License-Identifier: LGPL-2.1-or-later
# daemon/vfio.mk: the VFIO backend, IOMMU group checks, DMA in libudrv, and their tests.
# Makefile.am includes it after daemon/local.mk and lib/local.mk, whose variables it extends.
daemon_libudrvd_core_la_SOURCES += \
	daemon/iommu-group.c daemon/iommu-group.h \
	daemon/backend-vfio.c daemon/backend-vfio.h
daemon_libudrvd_core_la_CFLAGS += $(ACL_CFLAGS)
daemon_libudrvd_core_la_LIBADD += $(ACL_LIBS)

# libudrv's VFIO side: the device fd's regions and interrupts, DMA buffers.
libudrv_sources += lib/vfio-device.c lib/dma.c

# Group viability over fixture trees made from the VM captures.
vfio_unit_tests = tests/unit/test-iommu-group
check_PROGRAMS += $(vfio_unit_tests)
TESTS += $(vfio_unit_tests)
tests_unit_test_iommu_group_SOURCES = tests/unit/test-iommu-group.c
tests_unit_test_iommu_group_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS)
tests_unit_test_iommu_group_CFLAGS = $(DAEMON_TEST_CFLAGS)
tests_unit_test_iommu_group_LDADD = $(DAEMON_TEST_LDADD)

# A DMA test driver for QEMU's edu on a VFIO lease (public libudrv API only).
noinst_PROGRAMS += examples/edu-dma
examples_edu_dma_SOURCES = examples/edu-dma.c
examples_edu_dma_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib
examples_edu_dma_LDADD = lib/libudrv.la
examples_edu_dma_LDFLAGS = $(AM_LDFLAGS) -no-install

# VM test helpers: a stand-in for udrvd that drives the backend directly as root, an
# e1000e MSI-X check run as the lease holder, and a holder for the lease-end and hot-unplug
# checks through udrvd.
check_PROGRAMS += tests/vm/vfio-harness tests/vm/vfio-msix tests/vm/vfio-holder
tests_vm_vfio_harness_SOURCES = tests/vm/vfio-harness.c
tests_vm_vfio_harness_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS)
tests_vm_vfio_harness_CFLAGS = $(DAEMON_TEST_CFLAGS)
tests_vm_vfio_harness_LDADD = daemon/libudrvd-core.la
tests_vm_vfio_harness_LDFLAGS = $(AM_LDFLAGS) -no-install
tests_vm_vfio_msix_SOURCES = tests/vm/vfio-msix.c
tests_vm_vfio_msix_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib
tests_vm_vfio_msix_LDADD = lib/libudrv.la
tests_vm_vfio_msix_LDFLAGS = $(AM_LDFLAGS) -no-install
tests_vm_vfio_holder_SOURCES = tests/vm/vfio-holder.c
tests_vm_vfio_holder_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib
tests_vm_vfio_holder_LDADD = lib/libudrv.la
tests_vm_vfio_holder_LDFLAGS = $(AM_LDFLAGS) -no-install

# The VM tests (iommu profile): the backend through a test harness, unmodified DPDK
# testpmd as uid 1000 through udrvd and `udrvctl grant SLOT,SLOT`, and VFIO leases through
# udrvd ending under stray holders and hot-unplug.
TESTS += tests/vm/vfio-iommu.sh tests/vm/vfio-dpdk-iommu.sh tests/vm/vfio-lease-iommu.sh
EXTRA_DIST += tests/vm/vfio-iommu.sh tests/vm/vfio.scenario \
	tests/vm/vfio-lease-iommu.sh tests/vm/vfio-lease.scenario tests/vm/vfio-lease.hook \
	tests/vm/vfio-dpdk-iommu.sh tests/vm/vfio-dpdk.scenario
