# SPDX-License-Identifier: LGPL-2.1-or-later
# preload/: libudrv-dpdk.so, the LD_PRELOAD library that runs DPDK's UIO path on uio-ext leases
# (udrv-dpdk(7)). Included after daemon/vfio.mk: it takes all of libudrv's sources.
#
# It is preloaded into programs built without sanitizers (Debian's dpdk-testpmd), where an
# ASan runtime cannot load after libc: so it is always built without them, libudrv's code
# compiled into it again (only the interposed libc names are exported).
pkglib_LTLIBRARIES = preload/libudrv-dpdk.la
preload_pure_sources = \
	preload/dpdk-path.c preload/dpdk-path.h \
	preload/dpdk-pagemap.c preload/dpdk-pagemap.h
preload_libudrv_dpdk_la_SOURCES = preload/dpdk-preload.c $(preload_pure_sources) \
	$(libudrv_sources) common/pci-slot.c common/sysfs.c
preload_libudrv_dpdk_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib
preload_libudrv_dpdk_la_CFLAGS = $(WARN_CFLAGS) $(LIBSYSTEMD_CFLAGS) -pthread
preload_libudrv_dpdk_la_LDFLAGS = -module -avoid-version -shared -no-undefined \
	-Wl,--version-script=$(top_srcdir)/preload/libudrv-dpdk.sym
preload_libudrv_dpdk_la_LIBADD = $(LIBSYSTEMD_LIBS) -ldl -lpthread
EXTRA_preload_libudrv_dpdk_la_DEPENDENCIES = preload/libudrv-dpdk.sym
EXTRA_DIST += preload/libudrv-dpdk.sym
dist_man_MANS += man/udrv-dpdk.7

# Where udrvctl grant --dpdk finds it.
UDRV_DPDK_PRELOAD = $(pkglibdir)/libudrv-dpdk.so

# The pure parts (paths, pagemap entries) under test with the sanitizers.
check_PROGRAMS += tests/unit/test-dpdk-preload
TESTS += tests/unit/test-dpdk-preload
tests_unit_test_dpdk_preload_SOURCES = tests/unit/test-dpdk-preload.c $(preload_pure_sources)
tests_unit_test_dpdk_preload_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/preload
tests_unit_test_dpdk_preload_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_dpdk_preload_LDADD = common/libudrv-common.la $(CMOCKA_LIBS)

# The library itself, preloaded into a program built like Debian's dpdk-testpmd: without
# sanitizers (an ASan program could not preload it).
check_PROGRAMS += tests/unit/test-dpdk-preload-run
TESTS += tests/unit/test-dpdk-preload-run
tests_unit_test_dpdk_preload_run_SOURCES = tests/unit/test-dpdk-preload-run.c
tests_unit_test_dpdk_preload_run_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/uio-ext/include/uapi
tests_unit_test_dpdk_preload_run_CFLAGS = $(WARN_CFLAGS)
tests_unit_test_dpdk_preload_run_LDFLAGS = -no-install -Wl,--export-dynamic
EXTRA_tests_unit_test_dpdk_preload_run_DEPENDENCIES = preload/libudrv-dpdk.la

# dpdk-testpmd on two uio-ext leases in the VM (tests/vm/uioext-dpdk.scenario).
TESTS += tests/vm/uioext-dpdk-noiommu.sh
EXTRA_DIST += tests/vm/uioext-dpdk-noiommu.sh tests/vm/uioext-dpdk.scenario

# make bench's DPDK part (bench/run-dpdk, issue 20): testpmd io forwarding as uid 1000 through
# udrvctl grant --dpdk against root on uio_pci_generic, alternating runs in one VM boot; writes
# BENCHMARKS.md's dpdk section (BENCHMARKS_MD, bench/local.mk). `make bench` runs it after
# bench-uioext; `make bench-dpdk` alone (BENCH_DPDK_ARGS='runs=6 secs=10 warmup=2 diag=0').
EXTRA_DIST += bench/run-dpdk bench/dpdk.scenario bench/report-dpdk.py
BENCH_DPDK_ARGS =
bench-dpdk: udrvd$(EXEEXT) udrvctl$(EXEEXT) lib/libudrv.la preload/libudrv-dpdk.la
	UDRV_SRCDIR='$(abs_top_srcdir)' UDRV_BUILDDIR='$(abs_top_builddir)' QEMU='$(QEMU)' \
	BENCH_CONFIG='CC=$(CC) CFLAGS=$(CFLAGS) (libudrv-dpdk.so: no sanitizers)' \
	$(SHELL) '$(top_srcdir)/bench/run-dpdk' --output '$(BENCHMARKS_MD)' $(BENCH_DPDK_ARGS)
.PHONY: bench-dpdk
