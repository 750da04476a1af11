# SPDX-License-Identifier: LGPL-2.1-or-later
# daemon/: udrvd, the privileged broker.
noinst_LTLIBRARIES += daemon/libudrvd-core.la
daemon_libudrvd_core_la_SOURCES = \
	common/udrv-protocol.h \
	daemon/pci-config.c daemon/pci-config.h \
	daemon/reset.c daemon/reset.h \
	daemon/driver.c daemon/driver.h \
	daemon/state.c daemon/state.h \
	daemon/backend.c daemon/backend.h \
	daemon/backend-uio.c daemon/backend-uio.h \
	daemon/lease.c daemon/lease.h \
	daemon/lease-fast.c \
	daemon/manager.c daemon/manager.h \
	daemon/manager-bus.c \
	daemon/connection.c \
	daemon/bus-input.c daemon/bus-input.h \
	daemon/holders.c daemon/holders.h \
	daemon/grants.c daemon/grants.h \
	daemon/audit.c daemon/audit.h \
	daemon/hotplug.c \
	daemon/irq.c daemon/irq.h
daemon_libudrvd_core_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/policy
daemon_libudrvd_core_la_CFLAGS = $(AM_CFLAGS) $(LIBSYSTEMD_CFLAGS) $(LIBUDEV_CFLAGS)
daemon_libudrvd_core_la_LIBADD = policy/libudrv-policy.la common/libudrv-common.la \
	$(LIBSYSTEMD_LIBS) $(LIBUDEV_LIBS)

sbin_PROGRAMS += udrvd
udrvd_SOURCES = daemon/udrvd.c
udrvd_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/policy
udrvd_CFLAGS = $(AM_CFLAGS) $(LIBSYSTEMD_CFLAGS)
udrvd_LDADD = daemon/libudrvd-core.la

DAEMON_TEST_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/policy -I$(top_srcdir)/daemon
DAEMON_TEST_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(LIBSYSTEMD_CFLAGS)
DAEMON_TEST_LDADD = daemon/libudrvd-core.la $(CMOCKA_LIBS)
daemon_unit_tests = tests/unit/test-daemon-state tests/unit/test-uio-filter \
	tests/unit/test-daemon-admin tests/unit/test-irq
check_PROGRAMS += $(daemon_unit_tests)
TESTS += $(daemon_unit_tests)
tests_unit_test_daemon_state_SOURCES = tests/unit/test-daemon-state.c
tests_unit_test_daemon_state_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS)
tests_unit_test_daemon_state_CFLAGS = $(DAEMON_TEST_CFLAGS)
tests_unit_test_daemon_state_LDADD = $(DAEMON_TEST_LDADD)
tests_unit_test_uio_filter_SOURCES = tests/unit/test-uio-filter.c
tests_unit_test_uio_filter_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS)
tests_unit_test_uio_filter_CFLAGS = $(DAEMON_TEST_CFLAGS)
tests_unit_test_uio_filter_LDADD = $(DAEMON_TEST_LDADD)
dist_man_MANS += man/udrvd.8
tests_unit_test_daemon_admin_SOURCES = tests/unit/test-daemon-admin.c
tests_unit_test_daemon_admin_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS)
tests_unit_test_daemon_admin_CFLAGS = $(DAEMON_TEST_CFLAGS)
tests_unit_test_daemon_admin_LDADD = $(DAEMON_TEST_LDADD)
tests_unit_test_irq_SOURCES = tests/unit/test-irq.c
tests_unit_test_irq_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS)
tests_unit_test_irq_CFLAGS = $(DAEMON_TEST_CFLAGS)
tests_unit_test_irq_LDADD = $(DAEMON_TEST_LDADD)
