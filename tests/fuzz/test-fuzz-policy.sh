#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs the policy parser fuzzer for a bounded time; fails without clang or on any crash.
. "$UDRV_SRCDIR/tests/fuzz/run-fuzzer.sh"
run_fuzzer fuzz-policy "${UDRV_FUZZ_SECONDS:-30}" "$UDRV_SRCDIR/tests/fuzz/corpus-policy" \
	-dict="$UDRV_SRCDIR/tests/fuzz/policy.dict"
