# SPDX-License-Identifier: LGPL-2.1-or-later
# cli/: udrvctl, the command-line front end.
bin_PROGRAMS += udrvctl
udrvctl_SOURCES = \
	cli/udrvctl.c cli/udrvctl.h \
	cli/cli-util.c \
	cli/list.c
udrvctl_SOURCES += cli/grant.c cli/admin.c cli/udrvctl-policy.c
udrvctl_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib -I$(top_srcdir)/policy
udrvctl_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(LIBSYSTEMD_CFLAGS)
udrvctl_LDADD = lib/libudrv-internal.la policy/libudrv-policy.la common/libudrv-common.la \
	$(JSONC_LIBS) $(LIBSYSTEMD_LIBS)
dist_man_MANS += man/udrvctl.1
