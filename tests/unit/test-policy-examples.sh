#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The shipped examples and every example in udrvd.policy(5) must pass `udrvctl policy check`.
. "$UDRV_SRCDIR/tests/unit/test-policy-lib.sh"

for f in "$UDRV_SRCDIR"/policy/examples/*.policy; do
	expect "policy check $(basename "$f")" 0 "$UDRVCTL" policy check "$f"
done

# Each .EX/.EE block of the man page that has a [Match] section is a policy file.
man="$UDRV_SRCDIR/man/udrvd.policy.5"
mkdir "$TMP/man"
awk -v dir="$TMP/man" '
	/^\.EX/ { n++; file = sprintf("%s/example-%d.policy", dir, n); inside = 1; next }
	/^\.EE/ { inside = 0; close(file); next }
	inside { gsub(/\\-/, "-"); gsub(/\\e/, "\\"); print > file }
' "$man"
found=0
for f in "$TMP"/man/*.policy; do
	grep -q '^\[Match\]' "$f" || continue
	found=$((found + 1))
	if ! expect "man page $(basename "$f") passes policy check" 0 "$UDRVCTL" policy check "$f"; then
		sed 's/^/#   | /' "$f"
	fi
done
CHECKS=$((CHECKS + 1))
if [ "$found" -ge 4 ]; then
	echo "ok - $found policy examples found in udrvd.policy.5"
else
	echo "not ok - only $found policy examples found in $man (expected at least 4)"
	FAILED=$((FAILED + 1))
fi

finish
