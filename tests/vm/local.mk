# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/vm/: the QEMU test bed (tests/vm/README.md) and the make check tests that boot it.
vm_tests = \
	tests/vm/list-noiommu.sh \
	tests/vm/list-iommu.sh
TESTS += $(vm_tests)
EXTRA_DIST += $(vm_tests) \
	tests/vm/README.md \
	tests/vm/fetch-kernel \
	tests/vm/mkinitrd \
	tests/vm/guest-init \
	tests/vm/run \
	tests/vm/monitor \
	tests/vm/capture \
	tests/vm/lib.sh \
	tests/vm/list.scenario \
	tests/vm/capture-sysfs.scenario

# The kernel cache (tests/vm/fetch-kernel) survives make clean, so that a build
# tree downloads the kernel once; distclean removes it.
distclean-local: vm-distclean-local
vm-distclean-local:
	rm -rf tests/vm/cache
.PHONY: vm-distclean-local

# udrvd killed at every fault point (tests/vm/crash.scenario). Only a build configured with
# --enable-fault-points has them (scripts/test's does; a release never);
# tests/fixture/fault-points.sh checks either kind of build.
if FAULT_POINTS
TESTS += tests/vm/crash-noiommu.sh
endif
EXTRA_DIST += tests/vm/crash-noiommu.sh tests/vm/crash.scenario
