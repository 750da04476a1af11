# SPDX-License-Identifier: LGPL-2.1-or-later
# cli/: udrvctl, the command-line front end.
bin_PROGRAMS += udrvctl
udrvctl_SOURCES = \
	cli/udrvctl.c cli/udrvctl.h \
	cli/cli-util.c \
	cli/list.c
udrvctl_SOURCES += cli/grant.c cli/grant-dpdk.c cli/admin.c cli/udrvctl-policy.c
udrvctl_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib -I$(top_srcdir)/policy \
	-DUDRV_DPDK_PRELOAD_PATH=\"$(UDRV_DPDK_PRELOAD)\"
udrvctl_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(LIBSYSTEMD_CFLAGS)
udrvctl_LDADD = lib/libudrv-internal.la policy/libudrv-policy.la common/libudrv-common.la \
	$(JSONC_LIBS) $(LIBSYSTEMD_LIBS)
dist_man_MANS += man/udrvctl.1

# grant --dpdk's checks, alone.
check_PROGRAMS += tests/unit/test-grant-dpdk
TESTS += tests/unit/test-grant-dpdk
tests_unit_test_grant_dpdk_SOURCES = tests/unit/test-grant-dpdk.c cli/grant-dpdk.c
tests_unit_test_grant_dpdk_CPPFLAGS = $(udrvctl_CPPFLAGS) -I$(top_srcdir)/cli
tests_unit_test_grant_dpdk_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(LIBSYSTEMD_CFLAGS)
tests_unit_test_grant_dpdk_LDADD = lib/libudrv-internal.la common/libudrv-common.la \
	$(LIBSYSTEMD_LIBS) $(CMOCKA_LIBS)
