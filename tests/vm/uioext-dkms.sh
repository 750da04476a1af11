#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# make check test: the udrv-uio-ext-dkms package's source, built and installed by DKMS for the VM kernel, loads by modprobe in the VM and serves a device (tests/vm/uioext-dkms.scenario).
#
# On the host: the .deb is unpacked into a scratch root; Debian's dkms adds, builds and
# installs the source from its /usr/src, with its trees relocated into the build tree
# (--sourcetree, --dkmstree, --installtree) and the kernel headers of tests/vm/fetch-kernel
# (--kernelsourcedir), into a hard-linked copy of the VM kernel's module tree, then depmod.
# The package comes from UDRV_VM_DEBS, else $UDRV_BUILDDIR/debs (make check builds it there
# first). Needs root (dkms install checks for it), dkms and openssl (scripts/install-deps).
set -eu
srcdir=${UDRV_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
: "${UDRV_BUILDDIR:?set UDRV_BUILDDIR to the build tree (make check does)}"
debs=${UDRV_VM_DEBS:-$UDRV_BUILDDIR/debs}
prog=uioext-dkms
fail() {
	echo "$prog: $*" >&2
	exit 1
}
command -v dkms >/dev/null || fail "dkms is missing: run scripts/install-deps as root"
[ "$(id -u)" = 0 ] || fail "dkms install needs root (scripts/test runs as root)"
set -- "$debs"/udrv-uio-ext-dkms_*.deb
if [ $# != 1 ] || [ ! -f "$1" ]; then
	fail "want one udrv-uio-ext-dkms_*.deb in '$debs': build the packages first (make check does) or set UDRV_VM_DEBS"
fi
deb=$1
ver=$(dpkg-deb -f "$deb" Version)
ver=${ver%-*} # the upstream version: the name of the source directory in /usr/src

eval "$(sh "$srcdir/tests/vm/fetch-kernel" --headers)"
kver=$UDRV_VM_KVER
# Not /tmp: the guest mounts a tmpfs there and sees the host's root through 9p.
work=$(cd "$UDRV_BUILDDIR" && pwd -P)/tests/vm/uioext-dkms
rm -rf "$work"
mkdir -p "$work/modules/lib/modules" "$work/dkms"
dpkg-deb -x "$deb" "$work/root"
[ -f "$work/root/usr/src/udrv-uio-ext-$ver/dkms.conf" ] ||
	fail "$deb has no /usr/src/udrv-uio-ext-$ver/dkms.conf"
echo "ok - unpacked $(basename "$deb"): /usr/src/udrv-uio-ext-$ver"
# A copy of the kernel's module tree that dkms install and depmod may write into: hard links
# (the cache stays untouched, since depmod replaces its files by rename), else a real copy.
cp -al "$UDRV_VM_KROOT/lib/modules/$kver" "$work/modules/lib/modules/" 2>/dev/null ||
	cp -a "$UDRV_VM_KROOT/lib/modules/$kver" "$work/modules/lib/modules/"

# Not the outer make's flags: dkms runs Kbuild on its own.
unset MAKEFLAGS MFLAGS MAKELEVEL
# dkms signs what it builds when the kernel's sign-file is there (linux-kbuild, which comes with
# Debian's headers), with a key it makes on first use: here the headers' sign-file and a
# throwaway key in the work tree, not the host's /var/lib/dkms.
export sign_file="$UDRV_VM_KHEADERS/scripts/sign-file"
export mok_signing_key="$work/mok.key" mok_certificate="$work/mok.pub"
dk() {
	echo "+ dkms $*"
	dkms "$@" --sourcetree "$work/root/usr/src" --dkmstree "$work/dkms" \
		--installtree "$work/modules/lib/modules" -m udrv-uio-ext -v "$ver" -k "$kver" \
		--kernelsourcedir "$UDRV_VM_KHEADERS" >"$work/dkms.log" 2>&1 || {
		cat "$work/dkms.log"
		l=$work/dkms/udrv-uio-ext/$ver/build/make.log
		[ ! -f "$l" ] || cat "$l"
		fail "dkms $1 failed"
	}
	cat "$work/dkms.log"
	echo "ok - dkms $1"
}
dk add
dk build
# depmod: dkms would run it on /lib/modules, which the host lacks; run below on the copy.
dk install --no-depmod
ko=$work/modules/lib/modules/$kver/updates/dkms/uio-ext.ko
[ -f "$ko" ] || fail "dkms install left no $ko"
echo "ok - installed: ${ko#"$work"/modules}"
dkms status --sourcetree "$work/root/usr/src" --dkmstree "$work/dkms" \
	--installtree "$work/modules/lib/modules" -m udrv-uio-ext -v "$ver" -k "$kver" |
	tee "$work/status"
grep -q ": installed" "$work/status" || fail "dkms status does not say installed"
depmod -b "$work/modules" "$kver" || fail "depmod -b $work/modules $kver"
modinfo -b "$work/modules" -k "$kver" -F filename uio_ext | grep -q "/lib/modules/$kver/updates/dkms/uio-ext.ko$" ||
	fail "modinfo does not find uio_ext in updates/dkms"
echo "ok - depmod: uio_ext resolves to updates/dkms"
[ "$(modinfo -F signer "$ko")" = "DKMS module signing key" ] ||
	fail "dkms did not sign $ko with its key (openssl missing? scripts/install-deps)"
echo "ok - signed by dkms with its key"

UDRV_VM_SMP=${UDRV_VM_SMP:-1} exec sh "$srcdir/tests/vm/run" noiommu \
	"$srcdir/tests/vm/uioext-dkms.scenario" "$work/modules" "$ver"
