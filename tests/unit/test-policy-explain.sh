#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# `udrvctl policy explain` on a small fake sysfs tree: the trace, the settings and the verdict.
. "$UDRV_SRCDIR/tests/unit/test-policy-lib.sh"

root="$TMP/root"

# mkdev SLOT VENDOR DEVICE CLASS: one function, laid out as sysfs does.
mkdev() {
	dir="$root/sys/devices/pci0000:00/$1"
	mkdir -p "$dir" "$root/sys/bus/pci/devices"
	echo "0x$2" >"$dir/vendor"
	echo "0x$3" >"$dir/device"
	echo "0x$4" >"$dir/class"
	echo 0x1af4 >"$dir/subsystem_vendor"
	echo 0x1100 >"$dir/subsystem_device"
	echo 0x10 >"$dir/revision"
	echo -1 >"$dir/numa_node"
	echo 11 >"$dir/irq"
	{
		echo "0x00000000fea00000 0x00000000feafffff 0x0000000000040200"
		for _ in 1 2 3 4 5 6; do
			echo "0x0000000000000000 0x0000000000000000 0x0000000000000000"
		done
	} >"$dir/resource"
	ln -s "../../../devices/pci0000:00/$1" "$root/sys/bus/pci/devices/$1"
}

mkdev 0000:00:02.0 1234 1111 030000
mkdev 0000:00:03.0 1234 11e8 00ff00
mkdev 0000:00:04.0 1af4 1000 020000
etc="$root/etc/udrvd/policy.d"
usr="$root/usr/lib/udrvd/policy.d"
mkdir -p "$etc" "$usr"
cp "$FIXTURES"/explain/*.policy "$etc/"
chmod 0644 "$etc"/*.policy
# Masked by the /etc file of the same name: would grant nobody.
printf '[Match]\nSlot=*\n[Grant]\nUsers=nobody\n' >"$usr/60-edu.policy"

# setting KEY=VALUE SOURCE: the line explain prints for one setting.
setting() {
	printf '  %-32s %s\n' "$1" "$2"
}

explain() {
	"$UDRVCTL" --root="$root" policy explain "$@"
}

expect "root may use the edu device" 0 explain --user root 0000:00:03.0
has "device line" "device 0000:00:03.0: vendor 1234, device 11e8, class 00ff00, subsystem 1af4:1100"
has "tried 10-no-gpus" "tried 10-no-gpus.policy: Class=03 does not match class 00ff00 (10-no-gpus.policy:3)"
has "tried 50-nics" "tried 50-nics.policy: Vendor=8086 does not match vendor 1234 (50-nics.policy:2)"
has "matched" "matched 60-edu.policy"
has "settings of the /etc file" "settings of $etc/60-edu.policy:"
has "the backend and why" "backend uio: Backend=uio"
has "Vendor= set" "$(setting Vendor=1234 60-edu.policy:3)"
has "Users= set" "$(setting 'Users=root 4000000001' 60-edu.policy:7)"
has "Groups= default" "$(setting Groups= default)"
has "Backend= set" "$(setting Backend=uio 60-edu.policy:8)"
has "DMA= set" "$(setting DMA=none 60-edu.policy:9)"
has "Interrupts= default" "$(setting Interrupts=auto default)"
has "PollInterval= set" "$(setting PollInterval=2ms 60-edu.policy:10)"
has "BARs= default" "$(setting 'BARs=0 1 2 3 4 5' default)"
has "ConfigWrite= default" "$(setting ConfigWrite= default)"
has "Reset= default" "$(setting Reset=auto default)"
has "MaxLeaseTime= set" "$(setting MaxLeaseTime=8h 60-edu.policy:11)"
has "MemlockLimit= default" "$(setting MemlockLimit=64M default)"
has "IrqRateLimit= default" "$(setting IrqRateLimit=100000 default)"
has "GroupUnbind= default" "$(setting GroupUnbind=no default)"
has "StrayHolders= default" "$(setting StrayHolders=kill default)"
has "RevokeGracePeriod= default" "$(setting RevokeGracePeriod=5s default)"
lacks "unset [Match] keys are not shown" "Slot="
has "verdict" "granted: root is listed in Users= (60-edu.policy:7)"
has "the broken file is reported and ignored" \
	"$etc/70-broken.policy:5: DMA=: expected one of iommu unsafe none, not \"sometimes\" (file ignored)"

expect "a uid without a name" 0 explain --user 4000000001 00:03.0
has "uid verdict" "granted: uid 4000000001 is listed in Users= (60-edu.policy:7)"
has "uid line" "user uid 4000000001"

expect "nobody may not (options after SLOT)" 1 explain 0000:00:03.0 --user nobody
has "nobody verdict" "denied: nobody is not listed in Users= or Groups= of 60-edu.policy"

expect "the GPU is nobody's" 1 explain --user root 0000:00:02.0
has "deny file" "matched 10-no-gpus.policy"
has "deny verdict" "denied: 10-no-gpus.policy grants the device to nobody (no Users= or Groups=)"

expect "no policy for the virtio NIC" 1 explain --user root 0000:00:04.0
has "nic tried 10" "tried 10-no-gpus.policy: Class=03 does not match class 020000 (10-no-gpus.policy:3)"
has "nic tried 50" "tried 50-nics.policy: Vendor=8086 does not match vendor 1af4 (50-nics.policy:2)"
has "nic tried 60" "tried 60-edu.policy: Vendor=1234 does not match vendor 1af4 (60-edu.policy:3)"
has "nic verdict" "denied: no policy matches 0000:00:04.0"
lacks "no settings without a match" "settings of"

# Without --user: the caller.
if [ "$(id -u)" = 0 ]; then want=0; else want=1; fi
expect "the caller by default" "$want" explain 0000:00:03.0
CHECKS=$((CHECKS + 1))
if grep -q "^user .*(uid $(id -u))\|^user uid $(id -u)" "$TMP/out"; then
	echo "ok - the caller's uid is shown"
else
	echo "not ok - the caller's uid is not shown"
	FAILED=$((FAILED + 1))
fi

expect "--policy-dir replaces the search path" 1 \
	explain --user root --policy-dir "$FIXTURES/explain" 0000:00:04.0
has "--policy-dir verdict" "denied: no policy matches 0000:00:04.0"
mkdir "$TMP/only-nics"
cp "$FIXTURES/explain/50-nics.policy" "$TMP/only-nics/"
expect "--policy-dir with one file" 1 explain --user root --policy-dir "$TMP/only-nics" 00:03.0
has "one file verdict" "denied: no policy matches 0000:00:03.0"

expect "a bad slot" 2 explain --user root zz:00
has "bad slot named" "udrvctl: 'zz:00' is not a PCI slot: expected DDDD:BB:DD.F, e.g. 0000:03:00.0."
expect "an unknown slot" 2 explain --user root 0000:00:09.0
lacks "unknown slot: no verdict" "denied"
CHECKS=$((CHECKS + 1))
if grep -q "0000:00:09.0" "$TMP/out"; then
	echo "ok - unknown slot named"
else
	echo "not ok - unknown slot not named"
	FAILED=$((FAILED + 1))
fi
expect "an unknown user" 2 explain --user no-such-user-udrv 00:03.0
has "unknown user named" "udrvctl: no user 'no-such-user-udrv': expected a user name or a numeric uid."
expect "no slot" 2 explain --user root
expect "two slots" 2 explain --user root 00:03.0 00:04.0

expect "--json" 0 explain --user root --json 0000:00:03.0
CHECKS=$((CHECKS + 1))
if python3 - "$TMP/out" <<'PY'
import json, sys
lines = [l for l in open(sys.argv[1]) if "(file ignored)" not in l]
j = json.loads("".join(lines))
assert j["slot"] == "0000:00:03.0", j
assert j["user"]["uid"] == 0 and j["user"]["name"] == "root", j["user"]
assert [t["file"] for t in j["tried"]] == ["10-no-gpus.policy", "50-nics.policy"], j["tried"]
assert j["tried"][0]["why"] == "Class=03 does not match class 00ff00 (10-no-gpus.policy:3)"
assert j["matched"]["file"] == "60-edu.policy", j["matched"]
assert j["matched"]["path"].endswith("/etc/udrvd/policy.d/60-edu.policy")
s = j["settings"]
assert s["Backend"] == {"value": "uio", "line": 8}, s["Backend"]
assert s["Reset"] == {"value": "auto", "line": None}, s["Reset"]
assert s["Users"]["value"] == "root 4000000001"
assert "Slot" not in s and s["Vendor"]["line"] == 3
assert len(s) == 2 + 17, sorted(s)
assert j["granted"] is True
assert j["reason"] == "granted: root is listed in Users= (60-edu.policy:7)"
assert j["backend"] == "uio" and j["backend_reason"] == "Backend=uio", j
PY
then
	echo "ok - --json carries the trace, settings and verdict"
else
	echo "not ok - --json output:"
	sed 's/^/#   /' "$TMP/out"
	FAILED=$((FAILED + 1))
fi

expect "global --json, no match" 1 "$UDRVCTL" --root="$root" --json policy explain --user root \
	0000:00:04.0
CHECKS=$((CHECKS + 1))
if python3 - "$TMP/out" <<'PY'
import json, sys
lines = [l for l in open(sys.argv[1]) if "(file ignored)" not in l]
j = json.loads("".join(lines))
assert j["matched"] is None and j["settings"] is None and j["granted"] is False, j
assert len(j["tried"]) == 3, j["tried"]
assert j["reason"] == "denied: no policy matches 0000:00:04.0"
PY
then
	echo "ok - --json without a match"
else
	echo "not ok - --json output:"
	sed 's/^/#   /' "$TMP/out"
	FAILED=$((FAILED + 1))
fi
finish
