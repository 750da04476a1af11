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
	tests/vm/capture-sysfs.scenario \
	tests/vm/systemd-runner \
	tests/vm/systemd.scenario

# The systemd mode (run --systemd): udrv's own .debs installed in a guest that Debian's
# systemd boots. They come from UDRV_VM_DEBS when set (scripts/test builds them once),
# else scripts/build-debs builds them into debs/ first, again when udrvd, udrvctl,
# libudrv or the units changed.
systemd_vm_tests = tests/vm/systemd-noiommu.sh tests/vm/systemd-iommu.sh
TESTS += $(systemd_vm_tests)
EXTRA_DIST += $(systemd_vm_tests)
$(systemd_vm_tests:.sh=.log): debs/.stamp
debs/.stamp: udrvd$(EXEEXT) udrvctl$(EXEEXT) lib/libudrv.la $(top_srcdir)/systemd/udrvd.service.in \
		$(top_srcdir)/systemd/udrvd.socket
	$(AM_V_GEN)if [ -n "$$UDRV_VM_DEBS" ]; then \
		echo "systemd VM tests: packages from UDRV_VM_DEBS=$$UDRV_VM_DEBS"; \
	else \
		$(top_srcdir)/scripts/build-debs debs; \
	fi && $(MKDIR_P) debs && touch $@
CLEANFILES += debs/.stamp

# The kernel cache (tests/vm/fetch-kernel) survives make clean, so that a build
# tree downloads the kernel once; distclean removes it.
distclean-local: vm-distclean-local
vm-distclean-local:
	rm -rf tests/vm/cache debs
.PHONY: vm-distclean-local

# udrvd killed at every fault point (tests/vm/crash.scenario). Only a build configured with
# --enable-fault-points has them (scripts/test's does; a release never);
# tests/fixture/fault-points.sh checks either kind of build.
if FAULT_POINTS
TESTS += tests/vm/crash-noiommu.sh
endif
EXTRA_DIST += tests/vm/crash-noiommu.sh tests/vm/crash.scenario
