# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/: `make bench` runs udrv against root-direct baselines in the VM bed and writes BENCHMARKS.md.
#
# The programs are check programs: `make check` compiles them (so they stay -Werror clean)
# but never runs them. BENCH_ARGS passes NAME=VALUE knobs to bench/bench.scenario;
# BENCHMARKS_MD is where the report goes (default: the source tree's BENCHMARKS.md).
bench_programs = bench/bench-udrv bench/bench-direct bench/bench-time
check_PROGRAMS += $(bench_programs)

bench_bench_udrv_SOURCES = bench/bench-udrv.c bench/bench-util.c bench/bench-util.h
bench_bench_udrv_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib
bench_bench_udrv_LDADD = lib/libudrv.la
# A real binary with an rpath into the build tree, no libtool wrapper: the VM runs it as is.
bench_bench_udrv_LDFLAGS = $(AM_LDFLAGS) -no-install
# The baselines do not link libudrv: raw sysfs, mmap, pread and pwrite only.
bench_bench_direct_SOURCES = bench/bench-direct.c bench/bench-util.c bench/bench-util.h
bench_bench_time_SOURCES = bench/bench-time.c bench/bench-util.c bench/bench-util.h

EXTRA_DIST += BENCHMARKS.md bench/README.md bench/more-results.md bench/bench.scenario bench/run-bench \
	bench/report.py bench/dpdk-devbind-edu

BENCHMARKS_MD = $(abs_top_srcdir)/BENCHMARKS.md
BENCH_ARGS =
bench: udrvd$(EXEEXT) udrvctl$(EXEEXT) lib/libudrv.la $(bench_programs)
	UDRV_SRCDIR='$(abs_top_srcdir)' UDRV_BUILDDIR='$(abs_top_builddir)' QEMU='$(QEMU)' \
	BENCH_CONFIG='CC=$(CC) CFLAGS=$(CFLAGS) $(SANITIZER_CFLAGS)' \
	$(SHELL) '$(top_srcdir)/bench/run-bench' --output '$(BENCHMARKS_MD)' $(BENCH_ARGS)
	$(MAKE) $(AM_MAKEFLAGS) bench-load
	$(MAKE) $(AM_MAKEFLAGS) bench-uioext
	$(MAKE) $(AM_MAKEFLAGS) bench-dpdk
.PHONY: bench

# The load bench (bench/run-load): leases and clients against udrvd on a generated fixture
# tree, on the host (no VM). `make bench` runs it after the VM part; `make bench-load` alone.
# tests/fixture/load-smoke.sh runs it small in make check.
check_PROGRAMS += bench/bench-load
bench_bench_load_SOURCES = bench/bench-load.c
bench_bench_load_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib
bench_bench_load_CFLAGS = $(AM_CFLAGS) $(LIBSYSTEMD_CFLAGS)
bench_bench_load_LDADD = lib/libudrv.la $(LIBSYSTEMD_LIBS)
bench_bench_load_LDFLAGS = $(AM_LDFLAGS) -no-install
EXTRA_DIST += bench/run-load
bench-load: udrvd$(EXEEXT) udrvctl$(EXEEXT) bench/bench-load$(EXEEXT)
	UDRV_SRCDIR='$(abs_top_srcdir)' UDRV_BUILDDIR='$(abs_top_builddir)' \
	BENCH_CONFIG='CFLAGS=$(CFLAGS) $(SANITIZER_CFLAGS)' \
	$(SHELL) '$(top_srcdir)/bench/run-load' --output '$(BENCHMARKS_MD)' $(BENCH_LOAD_ARGS)
.PHONY: bench-load
