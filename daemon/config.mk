# SPDX-License-Identifier: LGPL-2.1-or-later
# daemon/config.mk: config-space mediation (the filter, its tests, fuzzer and VM scenario).
daemon_libudrvd_core_la_SOURCES += daemon/config-filter.c daemon/config-filter.h \
	daemon/config-caps.c daemon/config-caps.h

config_filter_tests = \
	tests/unit/test-config-filter \
	tests/unit/test-config-filter-property
check_PROGRAMS += $(config_filter_tests)
TESTS += $(config_filter_tests)
tests_unit_test_config_filter_SOURCES = tests/unit/test-config-filter.c \
	tests/unit/test-config-filter-util.h
tests_unit_test_config_filter_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS)
tests_unit_test_config_filter_CFLAGS = $(DAEMON_TEST_CFLAGS)
tests_unit_test_config_filter_LDADD = $(DAEMON_TEST_LDADD)
tests_unit_test_config_filter_property_SOURCES = tests/unit/test-config-filter-property.c \
	tests/unit/test-config-filter-util.h
tests_unit_test_config_filter_property_CPPFLAGS = $(DAEMON_TEST_CPPFLAGS)
tests_unit_test_config_filter_property_CFLAGS = $(DAEMON_TEST_CFLAGS)
tests_unit_test_config_filter_property_LDADD = $(DAEMON_TEST_LDADD)

# The fuzzer is built by clang from the sources themselves, as policy/local.mk does; without
# clang nothing is built here and test-fuzz-config-filter.sh fails saying so.
config_fuzz_srcs = tests/fuzz/fuzz-config-filter.c daemon/config-filter.c daemon/config-caps.c
config_fuzz_flags = -g -O1 -std=gnu11 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer
check_SCRIPTS += tests/fuzz/fuzz-config-filter
CLEANFILES += tests/fuzz/fuzz-config-filter
TESTS += tests/fuzz/test-fuzz-config-filter.sh
EXTRA_DIST += tests/fuzz/fuzz-input.h tests/fuzz/test-fuzz-config-filter.sh tests/fuzz/run-fuzzer.sh tests/fuzz/fuzz-config-filter.c \
	tests/fuzz/corpus-config-filter
tests/fuzz/fuzz-config-filter: $(config_fuzz_srcs) daemon/config-filter.h daemon/config-caps.h \
		tests/fuzz/fuzz-input.h
	$(AM_V_GEN)if test -z "$(CLANG)"; then \
		echo "warning: clang not found; $@ not built (scripts/install-deps)" >&2; \
	else \
		srcs=; for f in $(config_fuzz_srcs); do srcs="$$srcs $(srcdir)/$$f"; done; \
		$(MKDIR_P) tests/fuzz && \
		$(CLANG) $(config_fuzz_flags) -include $(top_builddir)/config.h \
			-I$(top_srcdir)/common -I$(top_srcdir)/policy -I$(top_srcdir)/daemon \
			-o $@ $$srcs; \
	fi

# The VM scenario: uid 1000 pokes edu and e1000e config space through udrvd (tests/vm/README.md).
check_PROGRAMS += tests/vm/cfgpoke
tests_vm_cfgpoke_SOURCES = tests/vm/cfgpoke.c
tests_vm_cfgpoke_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib
tests_vm_cfgpoke_LDADD = lib/libudrv.la
# A real binary with an rpath into the build tree, no libtool wrapper: the VM runs it as is.
tests_vm_cfgpoke_LDFLAGS = $(AM_LDFLAGS) -no-install
TESTS += tests/vm/config-noiommu.sh
EXTRA_DIST += tests/vm/config-noiommu.sh tests/vm/config.scenario
