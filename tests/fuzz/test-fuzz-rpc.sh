#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs the RPC fuzzer (every udrvd method, root and non-root callers, raw bytes) against an
# in-process udrvd on a fixture tree for a bounded time; fails without clang or on any crash.
. "$UDRV_SRCDIR/tests/fuzz/run-fuzzer.sh"
run_fuzzer fuzz-rpc "${UDRV_FUZZ_SECONDS:-25}" "$UDRV_SRCDIR/tests/fuzz/corpus-rpc" -max_len=1024
