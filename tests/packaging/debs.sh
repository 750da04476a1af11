#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The .debs that scripts/build-debs made hold what they should: unpacked into a scratch root,
# each file where Debian 12 looks for it, units that name the packaged udrvd, only the socket
# enabled, the symbols file matching lib/libudrv.sym, hardened binaries with no sanitizer,
# RPATH or build path, and programs (the shipped examples among them) built against
# libudrv-dev; udrv-uio-ext-dkms holding the uio-ext module's source for DKMS (dkms.conf
# filled in, one version everywhere, no built file).
#
#   UDRV_SRCDIR=... UDRV_BUILDDIR=... tests/packaging/debs.sh DEBDIR   (make check-debs)
. "$UDRV_SRCDIR/tests/fixture/lib.sh"

debs=${1:?usage: debs.sh DEBDIR}
for tool in dpkg-deb dpkg-architecture readelf pkg-config cc; do
	command -v "$tool" >/dev/null || { echo "not ok - $tool is missing (scripts/install-deps)"; exit 1; }
done
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
completionsdir=$(pkg-config --variable=completionsdir bash-completion)
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd)
R="$TMP/root"
mkdir -p "$R"

for p in udrv libudrv0 libudrv-dev udrv-uio-ext-dkms; do
	n=$(find "$debs" -maxdepth 1 -name "${p}_*.deb" | wc -l)
	check "$p: one .deb in $debs" test "$n" -eq 1
	[ "$n" -eq 1 ] || continue
	dpkg-deb -x "$debs/${p}"_*.deb "$R"
	dpkg-deb -c "$debs/${p}"_*.deb | awk '{print $6}' | sed 's|^\./|/|' >"$TMP/$p.files"
	dpkg-deb -e "$debs/${p}"_*.deb "$TMP/$p.control"
done

# has PACKAGE PATH: PATH is in PACKAGE's file list.
has() {
	grep -qx "$2" "$TMP/$1.files" || { echo "$2 is not in $1"; return 1; }
}

for f in /usr/sbin/udrvd /usr/bin/udrvctl "$unitdir/udrvd.service" "$unitdir/udrvd.socket" \
	"$completionsdir/udrvctl" /usr/share/man/man1/udrvctl.1.gz /usr/share/man/man8/udrvd.8.gz \
	/usr/share/man/man5/udrvd.policy.5.gz /usr/share/doc/udrv/copyright \
	/usr/share/doc/udrv/examples/60-qemu-edu.policy /usr/share/doc/udrv/examples/50-nics.policy \
	/usr/share/doc/udrv/THREAT-MODEL.md.gz "/usr/lib/$arch/udrv/libudrv-dpdk.so" \
	/usr/share/man/man7/udrv-dpdk.7.gz; do
	check "udrv ships $f" has udrv "$f"
done
for f in "/usr/lib/$arch/libudrv.so.0" "/usr/lib/$arch/libudrv.so.0.0.0"; do
	check "libudrv0 ships $f" has libudrv0 "$f"
done
for f in /usr/include/udrv.h "/usr/lib/$arch/libudrv.so" "/usr/lib/$arch/pkgconfig/libudrv.pc" \
	/usr/share/man/man3/udrv.3.gz; do
	check "libudrv-dev ships $f" has libudrv-dev "$f"
done
check "no policy is active in /etc after install" \
	sh -c '! grep -q "^/etc/udrvd/policy.d/." "$1"/*.files' sh "$TMP"
check "no .la file" sh -c '! grep -q "\.la$" "$1"/*.files' sh "$TMP"
check "the completion is the tree's" cmp "$R$completionsdir/udrvctl" \
	"$UDRV_SRCDIR/shell-completion/bash/udrvctl"

# Units: ExecStart is the packaged udrvd; only the socket is enabled and started.
check "udrvd.service runs /usr/sbin/udrvd" grep -qx 'ExecStart=/usr/sbin/udrvd' \
	"$R$unitdir/udrvd.service"
check "postinst enables udrvd.socket" grep -q "deb-systemd-helper enable 'udrvd.socket'" \
	"$TMP/udrv.control/postinst"
check "postinst starts udrvd.socket" grep -q "deb-systemd-invoke start 'udrvd.socket'" \
	"$TMP/udrv.control/postinst"
check "postinst does not start or restart udrvd.service" \
	sh -c '! grep -q "deb-systemd-invoke .*udrvd.service\|_dh_action.*udrvd.service" "$1"' \
	sh "$TMP/udrv.control/postinst"
check "udrvd.service is not enabled on a first install" sh -c \
	'grep -B6 "deb-systemd-helper enable .udrvd.service." "$1" | grep -q "debian-installed .udrvd.service."' \
	sh "$TMP/udrv.control/postinst"

# The symbols file lists exactly lib/libudrv.sym's exports, at version node LIBUDRV_0.
sed -n '/^global:/,/^local:/s/^[[:space:]]*\(udrv_[a-z0-9_]*\);.*/\1/p' \
	"$UDRV_SRCDIR/lib/libudrv.sym" | sort >"$TMP/sym.want"
sed -n 's/^ \(udrv_[a-z0-9_]*\)@LIBUDRV_0 .*/\1/p' "$TMP/libudrv0.control/symbols" |
	sort >"$TMP/sym.pkg"
check "libudrv.sym has symbols" test -s "$TMP/sym.want"
check "libudrv0's symbols file matches lib/libudrv.sym" diff "$TMP/sym.want" "$TMP/sym.pkg"
readelf --dyn-syms -W "$R/usr/lib/$arch/libudrv.so.0" |
	awk '$5 == "GLOBAL" && $7 != "UND" {sub(/@.*/, "", $8); print $8}' |
	grep -v '^LIBUDRV_0$' | sort >"$TMP/sym.lib"
check "libudrv.so.0 exports exactly lib/libudrv.sym" diff "$TMP/sym.want" "$TMP/sym.lib"
check "libudrv.so.0's SONAME" sh -c \
	'readelf -d "$1" | grep -q "SONAME.*\[libudrv.so.0\]"' sh "$R/usr/lib/$arch/libudrv.so.0"

# Every ELF file: no sanitizer, no RPATH, no build path; hardened (PIE, full RELRO).
for f in "$R/usr/sbin/udrvd" "$R/usr/bin/udrvctl" "$R/usr/lib/$arch/libudrv.so.0.0.0" \
	"$R/usr/lib/$arch/udrv/libudrv-dpdk.so"; do
	b=${f#"$R"}
	readelf -d -W "$f" >"$TMP/dyn" 2>&1
	check "$b: no sanitizer runtime" sh -c '! grep -q "NEEDED.*lib\(a\|ub\|t\|l\)san" "$1"' sh "$TMP/dyn"
	check "$b: no sanitizer calls" sh -c '! readelf --dyn-syms -W "$1" | grep -q "__asan_\|__ubsan_"' sh "$f"
	check "$b: no RPATH or RUNPATH" sh -c '! grep -q "RPATH\|RUNPATH" "$1"' sh "$TMP/dyn"
	check "$b: bound now (full RELRO)" grep -q 'FLAGS.*NOW' "$TMP/dyn"
	check "$b: GNU_RELRO" sh -c 'readelf -l -W "$1" | grep -q GNU_RELRO' sh "$f"
	check "$b: position independent" sh -c 'readelf -h "$1" | grep -q "Type:.*DYN"' sh "$f"
	check "$b: stack protector" sh -c 'readelf --dyn-syms -W "$1" | grep -q __stack_chk_fail' sh "$f"
done
# The DPDK preload exports exactly the libc names preload/libudrv-dpdk.sym lists (nothing of
# libudrv), and udrvctl grant --dpdk preloads the packaged file.
sed -n '/^global:/,/^local:/s/^[[:space:]]*\([_a-z0-9]*\);.*/\1/p' \
	"$UDRV_SRCDIR/preload/libudrv-dpdk.sym" | sort >"$TMP/dpdk.want"
readelf --dyn-syms -W "$R/usr/lib/$arch/udrv/libudrv-dpdk.so" |
	awk '$5 == "GLOBAL" && $7 != "UND" {sub(/@.*/, "", $8); print $8}' | sort >"$TMP/dpdk.lib"
check "libudrv-dpdk.so exports exactly preload/libudrv-dpdk.sym" diff "$TMP/dpdk.want" "$TMP/dpdk.lib"
check "udrvctl grant --dpdk preloads /usr/lib/$arch/udrv/libudrv-dpdk.so" \
	sh -c 'strings "$1" | grep -qx "$2"' sh "$R/usr/bin/udrvctl" "/usr/lib/$arch/udrv/libudrv-dpdk.so"
check "udrvd: fortified" sh -c 'readelf --dyn-syms -W "$1" | grep -q "__[a-z]*_chk"' sh "$R/usr/sbin/udrvd"
check "no build path in any file" sh -c '! grep -rlF -e "$1" -e "/udrv-debs." "$2"' \
	sh "$UDRV_SRCDIR" "$R"

# udrv-uio-ext-dkms: the module's source in /usr/src/udrv-uio-ext-VERSION, VERSION being
# debian/changelog's upstream version, configure.ac's, dkms.conf's and the module's own.
D=udrv-uio-ext-dkms
ver=$(cd "$UDRV_SRCDIR" && dpkg-parsechangelog -SVersion)
ver=${ver%-*}
src=/usr/src/udrv-uio-ext-$ver
check "$D: Architecture all" sh -c '[ "$(dpkg-deb -f "$1"/udrv-uio-ext-dkms_*.deb Architecture)" = all ]' \
	sh "$debs"
check "$D: its version is debian/changelog's ($ver)" sh -c \
	'[ "$(dpkg-deb -f "$1"/udrv-uio-ext-dkms_*.deb Version)" = "$2" ]' sh "$debs" "$ver"
check "$D: configure.ac is at $ver" grep -q "^AC_INIT(\[udrv\], \[$ver\]" "$UDRV_SRCDIR/configure.ac"
for f in dkms.conf uio-ext.c Kbuild Makefile include/uapi/linux/uio_ext.h; do
	check "$D ships $src/$f" has $D "$src/$f"
done
for f in uio-ext.c Kbuild Makefile include/uapi/linux/uio_ext.h; do
	check "$D: $f is the tree's" cmp "$R$src/$f" "$UDRV_SRCDIR/uio-ext/$f"
done
check "$D: only the source and its documentation" sh -c \
	'! grep -v "^/\$\|^/usr/\$\|^/usr/src/\$\|^$2/\|^/usr/share/\$\|^/usr/share/doc/\$\|^/usr/share/doc/udrv-uio-ext-dkms/" "$1"' \
	sh "$TMP/$D.files" "$src"
check "$D: no built file (.ko, .o, .mod, .cmd, ELF)" sh -c \
	'! grep -q "\.\(ko\|o\|mod\|mod\.c\|cmd\|symvers\|order\)$" "$1" &&
	! find "$2" -type f -exec sh -c "head -c4 \"\$1\" | grep -q ELF" sh {} \; -print | grep -q .' \
	sh "$TMP/$D.files" "$R$src"
check "$D: dkms.conf is uio-ext/dkms.conf with the version filled in" sh -c \
	'sed "s/#MODULE_VERSION#/$3/" "$1" | cmp - "$2"' sh "$UDRV_SRCDIR/uio-ext/dkms.conf" \
	"$R$src/dkms.conf" "$ver"
# What dkms reads: it sources dkms.conf in bash with these set.
# shellcheck disable=SC2016
bash -c 'kernel_source_dir=KSRC dkms_tree=TREE; . "$1" &&
	printf "%s\n" "$PACKAGE_NAME" "$PACKAGE_VERSION" "${BUILT_MODULE_NAME[0]}" \
		"${DEST_MODULE_LOCATION[0]}" "$AUTOINSTALL" "${MAKE[0]}"' sh "$R$src/dkms.conf" \
	>"$TMP/dkms.values" 2>&1
check "$D: dkms.conf: PACKAGE_NAME udrv-uio-ext, PACKAGE_VERSION $ver" \
	sh -c '[ "$(sed -n 1,2p "$1" | tr "\n" " ")" = "udrv-uio-ext $2 " ]' sh "$TMP/dkms.values" "$ver"
check "$D: dkms.conf: builds uio-ext(.ko) into /updates/dkms, AUTOINSTALL yes" \
	sh -c '[ "$(sed -n 3,5p "$1" | tr "\n" " ")" = "uio-ext /updates/dkms yes " ]' sh "$TMP/dkms.values"
check "$D: dkms.conf: MAKE runs Kbuild on the kernel's tree for its build directory" grep -qx \
	"make -C KSRC M=TREE/udrv-uio-ext/$ver/build modules" "$TMP/dkms.values"
check "$D: the module's MODULE_VERSION is $ver" \
	grep -q "^#define DRIVER_VERSION[[:space:]]*\"$ver\"$" "$R$src/uio-ext.c"
check "$D: depends on dkms" sh -c 'dpkg-deb -f "$1"/udrv-uio-ext-dkms_*.deb Depends | grep -q "dkms (>= "' \
	sh "$debs"
for s in postinst prerm; do
	check "$D: $s names udrv-uio-ext $ver" sh -c 'grep -qx "DKMS_NAME=udrv-uio-ext" "$1" &&
		grep -qx "DKMS_VERSION=$2" "$1"' sh "$TMP/$D.control/$s" "$ver"
done
check "$D: postinst has dkms add, build and install it (common.postinst)" sh -c \
	'grep -q "/usr/lib/dkms/common.postinst" "$1" &&
	grep -q "\$DKMS_POSTINST \$DKMS_NAME \$DKMS_VERSION" "$1"' sh "$TMP/$D.control/postinst"
check "$D: prerm has dkms remove it from every kernel" \
	grep -q 'dkms remove -m \$DKMS_NAME -v \$DKMS_VERSION --all' "$TMP/$D.control/prerm"
check "$D: copyright has the GPL-2 stanza for uio-ext/" sh -c \
	'awk -v RS= "/^Files: uio-ext\/uio-ext.c/" "$1" | grep -qx "License: GPL-2" &&
	grep -q "^License: GPL-2$" "$1" && grep -q common-licenses/GPL-2 "$1"' \
	sh "$R/usr/share/doc/$D/copyright"

# The packaged udrvctl runs; a program built with libudrv.pc links and calls udrv_open().
check "packaged udrvctl --version" sh -c '"$1/usr/bin/udrvctl" --version | grep -q "^udrvctl [0-9]"' \
	sh "$R"
cat >"$TMP/probe.c" <<'EOF'
#include <stdio.h>
#include <udrv.h>

int main(void)
{
	struct udrv_device *dev = NULL;
	int r = udrv_open("not-a-slot", &dev);

	printf("%d\n", r);
	return r < 0 ? 0 : 1;
}
EOF
pc() {
	PKG_CONFIG_SYSROOT_DIR="$R" PKG_CONFIG_LIBDIR="$R/usr/lib/$arch/pkgconfig" pkg-config "$@"
}
# shellcheck disable=SC2046
check "libudrv-dev: a program builds with pkg-config --cflags --libs libudrv" \
	cc -o "$TMP/probe" "$TMP/probe.c" $(pc --cflags --libs libudrv)
check "libudrv0: the program runs and udrv_open() refuses a bad slot" \
	env LD_LIBRARY_PATH="$R/usr/lib/$arch" "$TMP/probe"
for ex in edu-driver edu-dma; do
	# shellcheck disable=SC2046
	check "libudrv-dev's example $ex.c builds with it alone" cc -Wall -Werror -o "$TMP/$ex" \
		"$R/usr/share/doc/libudrv-dev/examples/$ex.c" $(pc --cflags --libs libudrv)
done
finish
