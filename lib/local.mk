# SPDX-License-Identifier: LGPL-2.1-or-later
# lib/: libudrv (installed, only udrv_* exported) and the internal library udrvctl and tests link.
libudrv_sources = \
	lib/udrv.h lib/udrv-internal.h \
	lib/lease.c lib/lease-env.c \
	lib/acquire.c lib/admin.c lib/error.c lib/logging.c \
	lib/ctl.c lib/device.c lib/device-ctl.c lib/bar.c lib/uio-ext.c
LIBUDRV_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib

# All of libudrv with every symbol visible. Link common/libudrv-common.la after it.
noinst_LTLIBRARIES += lib/libudrv-internal.la
lib_libudrv_internal_la_SOURCES = $(libudrv_sources)
lib_libudrv_internal_la_CPPFLAGS = $(LIBUDRV_CPPFLAGS)
lib_libudrv_internal_la_CFLAGS = $(AM_CFLAGS) $(LIBSYSTEMD_CFLAGS) -pthread
lib_libudrv_internal_la_LIBADD = $(LIBSYSTEMD_LIBS) -lpthread

# The installed library takes only libc-only files from common/ (the slot parser, sysfs
# reads and root joins): the rest would pull in libpci.
lib_LTLIBRARIES += lib/libudrv.la
lib_libudrv_la_SOURCES = \
	common/pci-slot.c common/pci-slot.h \
	common/sysfs.c common/sysfs.h
lib_libudrv_la_CFLAGS = $(AM_CFLAGS)
lib_libudrv_la_LIBADD = lib/libudrv-internal.la $(LIBSYSTEMD_LIBS) -lpthread
lib_libudrv_la_LDFLAGS = $(AM_LDFLAGS) -version-info 0:0:0 \
	-Wl,--version-script=$(top_srcdir)/lib/libudrv.sym
EXTRA_lib_libudrv_la_DEPENDENCIES = lib/libudrv.sym
include_HEADERS = lib/udrv.h
pkgconfigdir = $(libdir)/pkgconfig
pkgconfig_DATA = lib/libudrv.pc
EXTRA_DIST += lib/libudrv.sym
dist_man_MANS += man/udrv.3

# Unit tests of the library's pieces; none needs udrvd.
LIBUDRV_TEST_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(LIBSYSTEMD_CFLAGS) -pthread
LIBUDRV_TEST_LDADD = lib/libudrv-internal.la common/libudrv-common.la \
	$(LIBSYSTEMD_LIBS) $(CMOCKA_LIBS) -lpthread
libudrv_unit_tests = \
	tests/unit/test-libudrv-env \
	tests/unit/test-libudrv-ctl \
	tests/unit/test-libudrv-acquire
check_PROGRAMS += $(libudrv_unit_tests)
TESTS += $(libudrv_unit_tests)

tests_unit_test_libudrv_env_SOURCES = tests/unit/test-libudrv-env.c
tests_unit_test_libudrv_env_CPPFLAGS = $(LIBUDRV_CPPFLAGS)
tests_unit_test_libudrv_env_CFLAGS = $(LIBUDRV_TEST_CFLAGS)
tests_unit_test_libudrv_env_LDADD = $(LIBUDRV_TEST_LDADD)
tests_unit_test_libudrv_ctl_SOURCES = tests/unit/test-libudrv-ctl.c
tests_unit_test_libudrv_ctl_CPPFLAGS = $(LIBUDRV_CPPFLAGS)
tests_unit_test_libudrv_ctl_CFLAGS = $(LIBUDRV_TEST_CFLAGS)
tests_unit_test_libudrv_ctl_LDADD = $(LIBUDRV_TEST_LDADD)
tests_unit_test_libudrv_acquire_SOURCES = tests/unit/test-libudrv-acquire.c
tests_unit_test_libudrv_acquire_CPPFLAGS = $(LIBUDRV_CPPFLAGS)
tests_unit_test_libudrv_acquire_CFLAGS = $(LIBUDRV_TEST_CFLAGS)
tests_unit_test_libudrv_acquire_LDADD = $(LIBUDRV_TEST_LDADD)
