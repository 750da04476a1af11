# SPDX-License-Identifier: LGPL-2.1-or-later
# policy/: per-device policy files (parser, search path, decision); their tests, fuzzer, examples.
policy_core_sources = \
	policy/ini.c \
	policy/policy-values.c \
	policy/policy-keys.c \
	policy/policy-report.c \
	policy/policy-file.c \
	policy/policy-match.c \
	policy/policy-set.c

noinst_LTLIBRARIES += policy/libudrv-policy.la
policy_libudrv_policy_la_SOURCES = \
	$(policy_core_sources) \
	policy/policy-cred.c \
	policy/policy-backend.c \
	policy/ini.h policy/policy-values.h policy/policy-internal.h policy/policy.h

dist_man_MANS += man/udrvd.policy.5
EXTRA_DIST += \
	policy/examples/50-nics.policy \
	policy/examples/60-qemu-edu.policy

# Unit tests link the library directly; consumers link it before common/libudrv-common.la.
policy_test_cppflags = $(AM_CPPFLAGS) -I$(top_srcdir)/policy
policy_test_cflags = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
policy_test_libs = policy/libudrv-policy.la common/libudrv-common.la $(CMOCKA_LIBS)

policy_unit_tests = \
	tests/unit/test-policy-values \
	tests/unit/test-policy-parse \
	tests/unit/test-policy-set
check_PROGRAMS += $(policy_unit_tests)
TESTS += $(policy_unit_tests)

tests_unit_test_policy_values_SOURCES = tests/unit/test-policy-values.c
tests_unit_test_policy_values_CPPFLAGS = $(policy_test_cppflags)
tests_unit_test_policy_values_CFLAGS = $(policy_test_cflags)
tests_unit_test_policy_values_LDADD = $(policy_test_libs)
tests_unit_test_policy_parse_SOURCES = tests/unit/test-policy-parse.c tests/unit/test-policy-util.h
tests_unit_test_policy_parse_CPPFLAGS = $(policy_test_cppflags)
tests_unit_test_policy_parse_CFLAGS = $(policy_test_cflags)
tests_unit_test_policy_parse_LDADD = $(policy_test_libs)
tests_unit_test_policy_set_SOURCES = tests/unit/test-policy-set.c tests/unit/test-policy-util.h
tests_unit_test_policy_set_CPPFLAGS = $(policy_test_cppflags)
tests_unit_test_policy_set_CFLAGS = $(policy_test_cflags)
tests_unit_test_policy_set_LDADD = $(policy_test_libs)

# udrvctl policy check|explain on the shipped examples, the man page and a fake sysfs tree.
policy_script_tests = \
	tests/unit/test-policy-examples.sh \
	tests/unit/test-policy-check.sh \
	tests/unit/test-policy-explain.sh \
	tests/fuzz/test-fuzz-policy.sh
TESTS += $(policy_script_tests)
EXTRA_DIST += \
	$(policy_script_tests) \
	tests/unit/test-policy-lib.sh \
	tests/fuzz/fuzz-policy.c \
	tests/fuzz/policy.dict \
	tests/fuzz/corpus-policy

# The fuzzer is built by clang from the sources themselves: the libtool archive is gcc's.
# Without clang nothing is built here, and test-fuzz-policy.sh fails saying so.
policy_fuzz_srcs = \
	tests/fuzz/fuzz-policy.c \
	$(policy_core_sources) \
	common/strv.c \
	common/sysfs.c \
	common/pci-slot.c
policy_fuzz_flags = -g -O1 -std=gnu11 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer

check_SCRIPTS += tests/fuzz/fuzz-policy
CLEANFILES += tests/fuzz/fuzz-policy
tests/fuzz/fuzz-policy: $(policy_fuzz_srcs) $(policy_libudrv_policy_la_SOURCES)
	$(AM_V_GEN)if test -z "$(CLANG)"; then \
		echo "warning: clang not found; $@ not built (scripts/install-deps)" >&2; \
	else \
		srcs=; for f in $(policy_fuzz_srcs); do srcs="$$srcs $(srcdir)/$$f"; done; \
		$(MKDIR_P) tests/fuzz && \
		$(CLANG) $(policy_fuzz_flags) -include $(top_builddir)/config.h \
			-I$(top_srcdir)/common -I$(top_srcdir)/policy -o $@ $$srcs; \
	fi
