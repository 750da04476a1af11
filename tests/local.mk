# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/: cmocka unit tests and fixture-tree tests (the VM layer is in tests/vm/local.mk).
UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
UNIT_LDADD = common/libudrv-common.la $(CMOCKA_LIBS)

unit_tests = \
	tests/unit/test-pci-slot \
	tests/unit/test-strv \
	tests/unit/test-pci-device
check_PROGRAMS += $(unit_tests)
TESTS += $(unit_tests)

tests_unit_test_pci_slot_SOURCES = tests/unit/test-pci-slot.c
tests_unit_test_pci_slot_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_pci_slot_LDADD = $(UNIT_LDADD)
tests_unit_test_strv_SOURCES = tests/unit/test-strv.c
tests_unit_test_strv_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_strv_LDADD = $(UNIT_LDADD)
tests_unit_test_pci_device_SOURCES = tests/unit/test-pci-device.c
tests_unit_test_pci_device_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_pci_device_LDADD = $(UNIT_LDADD)

fixture_tests = \
	tests/fixture/list-host.sh \
	tests/fixture/list-scale.sh \
	tests/fixture/list-q35.sh \
	tests/fixture/slot-games.sh \
	tests/fixture/daemon-lease.sh \
	tests/fixture/daemon-admin.sh \
	tests/fixture/readme.sh \
	tests/fixture/fault-points.sh \
	tests/fixture/load-smoke.sh \
	tests/fixture/socket-activation.sh
TESTS += $(fixture_tests)
# Drives a lease's fast path from several threads (tests/fixture/daemon-lease.sh).
check_PROGRAMS += tests/fixture/ctl-stress
tests_fixture_ctl_stress_SOURCES = tests/fixture/ctl-stress.c
tests_fixture_ctl_stress_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib
tests_fixture_ctl_stress_CFLAGS = $(AM_CFLAGS) -pthread
tests_fixture_ctl_stress_LDADD = lib/libudrv.la
tests_fixture_ctl_stress_LDFLAGS = $(AM_LDFLAGS) -no-install -pthread
EXTRA_DIST += $(fixture_tests) tests/fixture/lib.sh tests/fixture/daemon-lib.sh tests/fixtures

# Hostile peers against udrvd on a fixture tree (tests/hostile/README.md).
TESTS += tests/hostile/hostile.sh
EXTRA_DIST += tests/hostile/hostile.sh tests/hostile/hostile.py tests/hostile/dbuswire.py \
	tests/hostile/README.md

# VM scenarios of the daemon (the bed itself is in tests/vm/local.mk).
TESTS += tests/vm/lease-noiommu.sh tests/vm/admin-noiommu.sh tests/vm/irq-noiommu.sh
EXTRA_DIST += tests/vm/lease-noiommu.sh tests/vm/lease.scenario \
	tests/vm/admin-noiommu.sh tests/vm/admin.scenario tests/vm/admin.hook \
	tests/vm/irq-noiommu.sh tests/vm/irq.scenario

# The RPC fuzzer: every udrvd method (and raw bytes) through an in-process udrvd on a fixture
# tree. Built by clang from the sources themselves, as the policy and config-filter fuzzers.
rpc_fuzz_srcs = tests/fuzz/fuzz-rpc.c \
	$(filter %.c,$(daemon_libudrvd_core_la_SOURCES) $(policy_libudrv_policy_la_SOURCES) \
		$(common_libudrv_common_la_SOURCES))
rpc_fuzz_flags = -g -O1 -std=gnu11 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer -pthread
check_SCRIPTS += tests/fuzz/fuzz-rpc
CLEANFILES += tests/fuzz/fuzz-rpc
TESTS += tests/fuzz/test-fuzz-rpc.sh
EXTRA_DIST += tests/fuzz/fuzz-rpc.c tests/fuzz/test-fuzz-rpc.sh tests/fuzz/corpus-rpc
tests/fuzz/fuzz-rpc: $(rpc_fuzz_srcs) tests/fuzz/fuzz-input.h
	$(AM_V_GEN)if test -z "$(CLANG)"; then \
		echo "warning: clang not found; $@ not built (scripts/install-deps)" >&2; \
	else \
		srcs=; for f in $(rpc_fuzz_srcs); do srcs="$$srcs $(srcdir)/$$f"; done; \
		$(MKDIR_P) tests/fuzz && \
		$(CLANG) $(rpc_fuzz_flags) -include $(top_builddir)/config.h \
			-DUDRV_FUZZ_SRCDIR='"$(abs_top_srcdir)"' \
			-I$(top_srcdir)/common -I$(top_srcdir)/policy -I$(top_srcdir)/daemon \
			$(LIBSYSTEMD_CFLAGS) $(LIBUDEV_CFLAGS) $(LIBPCI_CFLAGS) \
			-o $@ $$srcs $(LIBSYSTEMD_LIBS) $(LIBUDEV_LIBS) $(LIBPCI_LIBS) $(ACL_LIBS); \
	fi
