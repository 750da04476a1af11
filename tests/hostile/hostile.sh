#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The hostile-peer suite (tests/hostile/README.md): udrvd on a fixture tree under attack by
# uid 1000 while root and uid 1001 keep being served. Needs root (it switches uids).
set -eu
: "${UDRV_SRCDIR:?run through make check (UDRV_SRCDIR unset)}"
: "${UDRV_BUILDDIR:?run through make check (UDRV_BUILDDIR unset)}"
[ "$(id -u)" = 0 ] || { echo "not ok - this suite switches uids: run it as root"; exit 1; }
command -v python3 >/dev/null || { echo "not ok - python3 is missing (scripts/install-deps)"; exit 1; }
[ -x "$UDRV_BUILDDIR/udrvd" ] || { echo "not ok - udrvd was not built"; exit 1; }
exec python3 "$UDRV_SRCDIR/tests/hostile/hostile.py"
