# SPDX-License-Identifier: LGPL-2.1-or-later
# uio-ext/: the kernel module is built by uio-ext/build-module (Kbuild, not automake); here are its
# make check tests (W=1 build and checkpatch --strict; the VM scenario; the udrv-uio-ext-dkms
# package built by DKMS and loaded in the VM), the VM test program and make bench's uio-ext part.
check_PROGRAMS += tests/vm/uioext-test
tests_vm_uioext_test_SOURCES = tests/vm/uioext-test.c tests/vm/uioext-util.c tests/vm/uioext-util.h
tests_vm_uioext_test_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/uio-ext/include/uapi
# No sanitizers: it times interrupt round trips against a plain root loop.
tests_vm_uioext_test_CFLAGS = $(WARN_CFLAGS)
tests_vm_uioext_test_LDFLAGS =
# The defects of issue 19 as an attacker reaches them (tests/vm/uioext-attack.scenario, 2 vCPUs).
check_PROGRAMS += tests/vm/uioext-attack
tests_vm_uioext_attack_SOURCES = tests/vm/uioext-attack.c tests/vm/uioext-util.c \
	tests/vm/uioext-util.h
tests_vm_uioext_attack_CPPFLAGS = $(tests_vm_uioext_test_CPPFLAGS)
tests_vm_uioext_attack_CFLAGS = $(WARN_CFLAGS) -pthread
tests_vm_uioext_attack_LDFLAGS = -pthread
# The pin fd (issue 20): tests/vm/uioext-pin.scenario.
check_PROGRAMS += tests/vm/uioext-pin
tests_vm_uioext_pin_SOURCES = tests/vm/uioext-pin.c tests/vm/uioext-util.c tests/vm/uioext-util.h
tests_vm_uioext_pin_CPPFLAGS = $(tests_vm_uioext_test_CPPFLAGS)
tests_vm_uioext_pin_CFLAGS = $(WARN_CFLAGS)
tests_vm_uioext_pin_LDFLAGS =
check_PROGRAMS += tests/vm/uioext-pin-holder
tests_vm_uioext_pin_holder_SOURCES = tests/vm/uioext-pin-holder.c
tests_vm_uioext_pin_holder_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib
tests_vm_uioext_pin_holder_LDADD = lib/libudrv.la
tests_vm_uioext_pin_holder_LDFLAGS = $(AM_LDFLAGS) -no-install
uioext_tests = tests/vm/uioext-build.sh tests/vm/uioext-pin-noiommu.sh tests/vm/uioext-noiommu.sh \
	tests/vm/uioext-dkms.sh tests/vm/uioext-wc-noiommu.sh tests/vm/uioext-attack-noiommu.sh
TESTS += $(uioext_tests)
EXTRA_DIST += $(uioext_tests) tests/vm/uioext.scenario tests/vm/uioext-dkms.scenario \
	tests/vm/uioext-attack.scenario tests/vm/uioext-pin.scenario tests/vm/uioext-wc.scenario \
	uio-ext/uio-ext.c uio-ext/Kbuild uio-ext/Makefile uio-ext/dkms.conf \
	uio-ext/include/uapi/linux/uio_ext.h uio-ext/build-module uio-ext/fetch-checkpatch
CLEAN_DIRS += uio-ext/kbuild tests/vm/uioext-dkms

# The DKMS test builds the udrv-uio-ext-dkms package's source (UDRV_VM_DEBS, else debs/, built
# by the rule in tests/vm/local.mk, which this adds the module's sources to).
tests/vm/uioext-dkms.log: debs/.stamp
debs/.stamp: $(top_srcdir)/uio-ext/uio-ext.c $(top_srcdir)/uio-ext/dkms.conf \
	$(top_srcdir)/uio-ext/Kbuild $(top_srcdir)/uio-ext/include/uapi/linux/uio_ext.h

# make bench's uio-ext part (bench/run-uioext): uio_ext's INTx round trip as uid 1000 against
# root on uio_pci_generic, and revoke latency, in the VM; writes BENCHMARKS.md's uio-ext section
# (BENCHMARKS_MD, bench/local.mk). `make bench` runs it last; `make bench-uioext` alone.
EXTRA_DIST += bench/run-uioext bench/uioext.scenario bench/report-uioext.py
BENCH_UIOEXT_ARGS =
bench-uioext: tests/vm/uioext-test$(EXEEXT)
	UDRV_SRCDIR='$(abs_top_srcdir)' UDRV_BUILDDIR='$(abs_top_builddir)' QEMU='$(QEMU)' \
	BENCH_CONFIG='CC=$(CC) CFLAGS=$(CFLAGS) (uioext-test: no sanitizers)' \
	$(SHELL) '$(top_srcdir)/bench/run-uioext' --output '$(BENCHMARKS_MD)' $(BENCH_UIOEXT_ARGS)
.PHONY: bench-uioext

# udrvd's uio-ext backend in the VM (tests/vm/uioext-lease.scenario): edu-driver on a uio_ext
# lease, revoke mid-loop, udrvd killed, Backend=auto with and without the module.
check_PROGRAMS += tests/vm/uioext-holder
tests_vm_uioext_holder_SOURCES = tests/vm/uioext-holder.c
tests_vm_uioext_holder_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib
tests_vm_uioext_holder_LDADD = lib/libudrv.la
tests_vm_uioext_holder_LDFLAGS = $(AM_LDFLAGS) -no-install
TESTS += tests/vm/uioext-lease-noiommu.sh tests/vm/uioext-pin-lease-noiommu.sh
EXTRA_DIST += tests/vm/uioext-lease-noiommu.sh tests/vm/uioext-lease.scenario \
	tests/vm/uioext-pin-lease-noiommu.sh tests/vm/uioext-pin-lease.scenario

# The module under a lockdep kernel (tests/vm/build-lockdep-kernel: a minimal 6.1 with
# PROVE_LOCKING and DEBUG_ATOMIC_SLEEP, built from Debian's linux-source once per machine into
# /var/cache/udrv-vm/lockdep): tests/vm/uioext-lockorder.scenario (the module's three lock orders
# once each), tests/vm/uioext.scenario, uioext-attack, uioext-wc and uioext-pin-lease, 2 vCPUs,
# one boot each. Any lockdep report fails it.
TESTS += tests/vm/uioext-lockdep-noiommu.sh
EXTRA_DIST += tests/vm/uioext-lockdep-noiommu.sh tests/vm/uioext-lockorder.scenario \
	tests/vm/build-lockdep-kernel
CLEAN_DIRS += uio-ext/kbuild-lockdep
