# SPDX-License-Identifier: LGPL-2.1-or-later
# common/: code the daemon, the CLI and the library share.
noinst_LTLIBRARIES += common/libudrv-common.la
common_libudrv_common_la_SOURCES = \
	common/macro.h \
	common/fault.c common/fault.h \
	common/log.c common/log.h \
	common/ratelimit.c common/ratelimit.h \
	common/strv.c common/strv.h \
	common/sysfs.c common/sysfs.h \
	common/pci-slot.c common/pci-slot.h \
	common/pci-device.c common/pci-device.h \
	common/pci-usage.c common/pci-usage.h \
	common/pci-names.c common/pci-names.h
common_libudrv_common_la_CFLAGS = $(AM_CFLAGS) $(LIBPCI_CFLAGS)
common_libudrv_common_la_LIBADD = $(LIBPCI_LIBS)
