# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared by the fuzz tests: run_fuzzer NAME SECONDS SEED-CORPUS [LIBFUZZER-ARGS...] runs
# $UDRV_BUILDDIR/tests/fuzz/NAME for a bounded time and exits 1 without clang or on a crash
# (printing the log's end and each crashing input in base64), 0 otherwise.
set -eu
: "${UDRV_SRCDIR:?run through make check (UDRV_SRCDIR unset)}"
: "${UDRV_BUILDDIR:?run through make check (UDRV_BUILDDIR unset)}"

run_fuzzer() {
	name=$1 seconds=$2 seeds=$3
	shift 3
	fuzzer="$UDRV_BUILDDIR/tests/fuzz/$name"
	if [ -z "${CLANG:-}" ]; then
		echo "not ok - clang was not found by configure; the fuzzer needs it (scripts/install-deps)"
		exit 1
	fi
	[ -x "$fuzzer" ] || { echo "not ok - $fuzzer was not built"; exit 1; }

	work=$(mktemp -d "${TMPDIR:-/tmp}/udrv-fuzz.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	mkdir "$work/corpus" "$work/artifacts"

	# New inputs go to the first, writable corpus directory; the seeds stay as they are.
	set +e
	"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$work/artifacts/" "$@" "$work/corpus" "$seeds" >"$work/log" 2>&1
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
	echo "ok - $name ran ${seconds}s without a crash"
}
