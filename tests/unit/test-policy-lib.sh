# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared by the policy shell tests: paths, a temporary directory, checks that count failures.
set -eu
umask 022 # udrvd refuses world-writable policy files and directories

: "${UDRV_SRCDIR:?run through make check (UDRV_SRCDIR unset)}"
: "${UDRV_BUILDDIR:?run through make check (UDRV_BUILDDIR unset)}"
UDRVCTL="$UDRV_BUILDDIR/udrvctl"
# shellcheck disable=SC2034 # used by the scripts that source this file
FIXTURES="$UDRV_SRCDIR/tests/fixtures/policy"
FAILED=0
CHECKS=0

TMP=$(mktemp -d "${TMPDIR:-/tmp}/udrv-policy.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

[ -x "$UDRVCTL" ] || { echo "not ok - $UDRVCTL was not built" >&2; exit 1; }

# expect DESC EXIT-CODE CMD...: CMD must exit with EXIT-CODE; its output is left in $TMP/out.
expect() {
	desc=$1 code=$2
	shift 2
	CHECKS=$((CHECKS + 1))
	set +e
	"$@" >"$TMP/out" 2>&1
	rc=$?
	set -e
	if [ "$rc" = "$code" ]; then
		echo "ok - $desc"
		return 0
	fi
	echo "not ok - $desc (exit $rc, wanted $code)"
	sed 's/^/#   /' "$TMP/out"
	FAILED=$((FAILED + 1))
	return 1
}

# has DESC TEXT: the last command's output contains the line TEXT, exactly.
has() {
	CHECKS=$((CHECKS + 1))
	if grep -qxF -- "$2" "$TMP/out"; then
		echo "ok - $1"
	else
		echo "not ok - $1: no line '$2' in:"
		sed 's/^/#   /' "$TMP/out"
		FAILED=$((FAILED + 1))
	fi
}

# lacks DESC TEXT: no line of the last command's output contains TEXT.
lacks() {
	CHECKS=$((CHECKS + 1))
	if grep -qF -- "$2" "$TMP/out"; then
		echo "not ok - $1: '$2' found in:"
		sed 's/^/#   /' "$TMP/out"
		FAILED=$((FAILED + 1))
	else
		echo "ok - $1"
	fi
}

finish() {
	echo "# $CHECKS checks, $FAILED failed"
	[ "$CHECKS" -gt 0 ] || { echo "not ok - no checks ran"; exit 1; }
	[ "$FAILED" -eq 0 ]
}
