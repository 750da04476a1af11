#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs the config filter fuzzer for a bounded time; fails without clang or on any crash.
set -eu
: "${UDRV_SRCDIR:?run through make check (UDRV_SRCDIR unset)}"
: "${UDRV_BUILDDIR:?run through make check (UDRV_BUILDDIR unset)}"
fuzzer="$UDRV_BUILDDIR/tests/fuzz/fuzz-config-filter"
seconds="${UDRV_FUZZ_SECONDS:-20}"

if [ -z "${CLANG:-}" ]; then
	echo "not ok - clang was not found by configure; the fuzzer needs it (scripts/install-deps)"
	exit 1
fi
[ -x "$fuzzer" ] || { echo "not ok - $fuzzer was not built"; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/udrv-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus" "$work/artifacts"

# New inputs go to the first, writable corpus directory; the seeds (real config spaces from
# tests/fixtures/captures with writes appended) stay as they are.
set +e
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
	-print_final_stats=1 -artifact_prefix="$work/artifacts/" \
	"$work/corpus" "$UDRV_SRCDIR/tests/fuzz/corpus-config-filter" >"$work/log" 2>&1
rc=$?
set -e
grep -E '^(#[0-9]+[[:space:]]+DONE|stat::)' "$work/log" | sed 's/^/# /' || true
if [ "$rc" != 0 ] || [ -n "$(ls "$work/artifacts")" ]; then
	echo "not ok - the fuzzer failed (exit $rc); its log ends:"
	tail -n 60 "$work/log" | sed 's/^/#   /'
	for a in "$work"/artifacts/*; do
		[ -e "$a" ] || continue
		echo "# crashing input $(basename "$a") (base64):"
		base64 "$a" | sed 's/^/#   /'
	done
	exit 1
fi
echo "ok - fuzz-config-filter ran ${seconds}s without a crash"
