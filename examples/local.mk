# SPDX-License-Identifier: LGPL-2.1-or-later
# examples/: drivers built on the installed libudrv API only; run from the build tree.
noinst_PROGRAMS += examples/edu-driver
examples_edu_driver_SOURCES = examples/edu-driver.c
examples_edu_driver_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib
examples_edu_driver_LDADD = lib/libudrv.la
# A real binary with an rpath into the build tree, no libtool wrapper: the VM runs it as is.
examples_edu_driver_LDFLAGS = $(AM_LDFLAGS) -no-install
