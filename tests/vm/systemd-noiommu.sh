#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# make check test: udrv's .debs installed in a guest booted by Debian's own systemd (noiommu profile), udrvd run only by its units (tests/vm/systemd.scenario).
#
# The packages come from UDRV_VM_DEBS, else from $UDRV_BUILDDIR/debs (make check builds
# them there first). Without packages the test fails: it checks what users install.
set -eu
srcdir=${UDRV_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
debs=${UDRV_VM_DEBS:-${UDRV_BUILDDIR:-.}/debs}
if [ -z "${UDRV_VM_DESTDIR:-}" ] && ! ls "$debs"/udrv_*.deb >/dev/null 2>&1; then
	echo "systemd-noiommu: no udrv_*.deb in '$debs': build the packages first (make check does) or set UDRV_VM_DEBS" >&2
	exit 1
fi
[ -n "${UDRV_VM_DESTDIR:-}" ] || export UDRV_VM_DEBS="$debs"
sh "$srcdir/uio-ext/build-module" >/dev/null # the scenario loads uio-ext.ko under the unit
UDRV_VM_TIMEOUT=${UDRV_VM_TIMEOUT:-1200} exec sh "$srcdir/tests/vm/run" --systemd noiommu \
	"$srcdir/tests/vm/systemd.scenario"
