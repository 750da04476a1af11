#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# make check test: uio-ext.ko builds warning-free with W=1 against the VM kernel's headers, and
# its sources pass the kernel's scripts/checkpatch.pl --strict (fetched by uio-ext/fetch-checkpatch).
set -eu
srcdir=${UDRV_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
ko=$(sh "$srcdir/uio-ext/build-module")
echo "ok - W=1 build without warnings: $ko"
cp=$(sh "$srcdir/uio-ext/fetch-checkpatch")
# Relative paths, as in a kernel tree: checkpatch applies its uapi rules to include/uapi/.
out=$(cd "$srcdir/uio-ext" && perl "$cp" --strict --no-tree --show-types -f uio-ext.c \
	include/uapi/linux/uio_ext.h 2>&1) || {
	printf '%s\n' "$out"
	echo "not ok - checkpatch --strict"
	exit 1
}
printf '%s\n' "$out" | grep '^total:'
if printf '%s\n' "$out" | grep '^total:' | grep -qv '0 errors, 0 warnings, 0 checks'; then
	printf '%s\n' "$out"
	echo "not ok - checkpatch --strict has findings"
	exit 1
fi
echo "ok - checkpatch --strict clean"
