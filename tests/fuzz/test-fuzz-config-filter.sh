#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs the config filter fuzzer for a bounded time; fails without clang or on any crash. The
# seeds are real config spaces from tests/fixtures/captures with writes appended.
. "$UDRV_SRCDIR/tests/fuzz/run-fuzzer.sh"
run_fuzzer fuzz-config-filter "${UDRV_FUZZ_SECONDS:-20}" \
	"$UDRV_SRCDIR/tests/fuzz/corpus-config-filter" -max_len=8192
