#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# `udrvctl policy check`: FILE:LINE errors, exit codes, the search path under --root, masking.
. "$UDRV_SRCDIR/tests/unit/test-policy-lib.sh"
bad="$FIXTURES/bad"
examples="$UDRV_SRCDIR/policy/examples"

expect "unknown key" 1 "$UDRVCTL" policy check "$bad/unknown-key.policy"
has "unknown key: FILE:LINE" "$bad/unknown-key.policy:3: unknown key Colour= in [Match]"

expect "empty [Match]" 1 "$UDRVCTL" policy check "$bad/empty-match.policy"
has "empty [Match]: FILE:LINE" \
	"$bad/empty-match.policy:2: expected at least one key in [Match] (Slot=* matches every device on purpose)"

expect "no [Match]" 1 "$UDRVCTL" policy check "$bad/no-match.policy"
has "no [Match]: FILE:LINE" "$bad/no-match.policy:2: expected a [Match] section in the file"

expect "bad values: every error is listed" 1 "$UDRVCTL" policy check "$bad/values.policy"
has "bad slot" "$bad/values.policy:2: Slot=: expected a slot such as 0000:03:00.0 or a glob such as 0000:03:00.*, not \"0000:03:00.9\""
has "bad duration" "$bad/values.policy:6: PollInterval=: expected a positive duration such as 500us, 1ms or 1s, not \"1 parsec\""
has "bad size" "$bad/values.policy:7: MemlockLimit=: expected \"infinity\" or a size such as 512M or 2G (base 1024), not \"2GB\""
has "duplicate" "$bad/values.policy:8: duplicate Users=: expected it once (first at line 5)"

expect "good and bad files: exit 1" 1 "$UDRVCTL" policy check "$examples/50-nics.policy" \
	"$bad/unknown-key.policy" "$examples/60-qemu-edu.policy"
lacks "good files are not reported" "50-nics.policy"
has "the bad file is" "$bad/unknown-key.policy:3: unknown key Colour= in [Match]"

expect "good files: exit 0, silent" 0 "$UDRVCTL" policy check "$examples/50-nics.policy" \
	"$examples/60-qemu-edu.policy"
lacks "nothing printed" "policy"

printf '[Match]\nVendor=8086\n[Grant]\nUsers=root\nBackend=auto\nInterrupts=intx\nBARs=0\nDMAAddressBits=28\n' \
	>"$TMP/auto.policy"
expect "keys that do not apply on a backend: a warning, exit 0" 0 "$UDRVCTL" policy check \
	"$TMP/auto.policy"
has "Interrupts= on VFIO" "warning: auto.policy:6: Interrupts= does not apply on VFIO: the holder enables the interrupts it wants (MSI-X, MSI or INTx) on its device (Backend=auto picks vfio on a function with an IOMMU group)"
has "BARs= on VFIO" "warning: auto.policy:7: BARs= does not apply on VFIO: the holder gets every BAR region of its VFIO device (Backend=auto picks vfio on a function with an IOMMU group)"
has "BARs= on uio-ext" "warning: auto.policy:7: BARs= withholds a BAR: uio-ext maps every memory BAR, so Backend=auto uses plain uio for a function with a memory BAR withheld"
has "DMAAddressBits= without DMA=unsafe" "warning: auto.policy:8: DMAAddressBits= applies only to uio-ext with DMA=unsafe"
printf '[Match]\nVendor=8086\n[Grant]\nUsers=root\nBackend=uio\nInterrupts=intx\nBARs=0\n' \
	>"$TMP/uio.policy"
expect "the same keys on Backend=uio: no warning" 0 "$UDRVCTL" policy check "$TMP/uio.policy"
lacks "no warning on uio" "warning"
printf '[Match]\nVendor=1af4\n[Grant]\nUsers=root\nBackend=auto\nWriteCombining=2\n' >"$TMP/wc.policy"
expect "WriteCombining= where VFIO may be chosen: a warning, exit 0" 0 "$UDRVCTL" policy check \
	"$TMP/wc.policy"
has "WriteCombining= on VFIO" "warning: wc.policy:6: WriteCombining= does not apply on VFIO: vfio-pci maps every BAR uncached (Backend=auto picks vfio on a function with an IOMMU group)"
printf '[Match]\nVendor=1af4\n[Grant]\nUsers=root\nBackend=uio\nWriteCombining=2\n' >"$TMP/wc-uio.policy"
expect "WriteCombining= on Backend=uio: a warning, exit 0" 0 "$UDRVCTL" policy check \
	"$TMP/wc-uio.policy"
has "WriteCombining= on uio" "warning: wc-uio.policy:6: WriteCombining= applies only to uio-ext: uio_pci_generic maps every BAR uncached"
printf '[Match]\nVendor=1af4\n[Grant]\nUsers=root\nBackend=uio-ext\nWriteCombining=2\n' >"$TMP/wc-ext.policy"
expect "WriteCombining= on Backend=uio-ext: no warning" 0 "$UDRVCTL" policy check \
	"$TMP/wc-ext.policy"
lacks "no warning on uio-ext" "warning"

cp "$examples/50-nics.policy" "$TMP/nics.conf"
expect "a name udrvd would not read" 1 "$UDRVCTL" policy check "$TMP/nics.conf"
has "named" "$TMP/nics.conf: expected a name ending in .policy; udrvd reads no other file"

expect "a missing file" 1 "$UDRVCTL" policy check "$TMP/missing.policy"
has "missing: named" "$TMP/missing.policy: No such file or directory"

cp "$examples/50-nics.policy" "$TMP/open.policy"
chmod 0666 "$TMP/open.policy"
expect "a world-writable file" 1 "$UDRVCTL" policy check "$TMP/open.policy"
has "world-writable: named" \
	"$TMP/open.policy: refusing a world-writable file: anyone could grant themselves devices"

expect "an empty file masks: fine" 0 "$UDRVCTL" policy check /dev/null

expect "--policy-dir: the broken file is reported" 1 \
	"$UDRVCTL" policy check --policy-dir "$FIXTURES/explain"
has "--policy-dir: FILE:LINE" \
	"$FIXTURES/explain/70-broken.policy:5: DMA=: expected one of iommu unsafe none, not \"sometimes\""

# The search path under --root: /etc masks /run masks /usr/lib, /dev/null links mask.
root="$TMP/root"
etc="$root/etc/udrvd/policy.d"
usr="$root/usr/lib/udrvd/policy.d"
mkdir -p "$etc" "$usr" "$root/run/udrvd/policy.d"
expect "no files at all: fine, with a notice" 0 "$UDRVCTL" --root="$root" policy check
has "notice" "udrvctl: no policy files in $etc: udrvd denies every device."

cp "$examples/50-nics.policy" "$examples/60-qemu-edu.policy" "$usr/"
cp "$bad/values.policy" "$usr/70-vendor.policy"
cp "$bad/unknown-key.policy" "$root/run/udrvd/policy.d/80-runtime.policy"
expect "a bad file in /usr/lib" 1 "$UDRVCTL" --root="$root" policy check
has "named by its path" "$usr/70-vendor.policy:6: PollInterval=: expected a positive duration such as 500us, 1ms or 1s, not \"1 parsec\""
has "and /run" "$root/run/udrvd/policy.d/80-runtime.policy:3: unknown key Colour= in [Match]"

ln -s /dev/null "$etc/70-vendor.policy"
: >"$etc/80-runtime.policy"
expect "masked by /etc: fine" 0 "$UDRVCTL" --root="$root" policy check
lacks "masked files are not read" "policy"

expect "--policy-dir replaces the search path" 1 "$UDRVCTL" --root="$root" policy check \
	--policy-dir "$usr"
has "only DIR" "$usr/70-vendor.policy:7: MemlockLimit=: expected \"infinity\" or a size such as 512M or 2G (base 1024), not \"2GB\""

expect "usage: no sub-verb" 2 "$UDRVCTL" policy
expect "usage: unknown sub-verb" 2 "$UDRVCTL" policy frobnicate
has "usage: named" "udrvctl: unknown policy verb 'frobnicate': expected check or explain."
expect "usage: --policy-dir and FILEs" 2 "$UDRVCTL" policy check --policy-dir "$usr" \
	"$examples/50-nics.policy"
expect "usage: unknown option" 2 "$UDRVCTL" policy check --frobnicate
expect "help" 0 "$UDRVCTL" policy --help
finish
