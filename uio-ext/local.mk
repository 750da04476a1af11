# SPDX-License-Identifier: LGPL-2.1-or-later
# uio-ext/: the kernel module is built by uio-ext/build-module (Kbuild, not automake); here are its
# make check tests (W=1 build and checkpatch --strict; the VM scenario) and the VM test program.
check_PROGRAMS += tests/vm/uioext-test
tests_vm_uioext_test_SOURCES = tests/vm/uioext-test.c
tests_vm_uioext_test_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/uio-ext/include/uapi
# No sanitizers: it times interrupt round trips against a plain root loop.
tests_vm_uioext_test_CFLAGS = $(WARN_CFLAGS)
tests_vm_uioext_test_LDFLAGS =
uioext_tests = tests/vm/uioext-build.sh tests/vm/uioext-noiommu.sh
TESTS += $(uioext_tests)
EXTRA_DIST += $(uioext_tests) tests/vm/uioext.scenario \
	uio-ext/uio-ext.c uio-ext/Kbuild uio-ext/Makefile uio-ext/dkms.conf \
	uio-ext/include/uapi/linux/uio_ext.h uio-ext/build-module uio-ext/fetch-checkpatch
CLEAN_DIRS += uio-ext/kbuild
