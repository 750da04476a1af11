# SPDX-License-Identifier: LGPL-2.1-or-later
# Helpers that VM scenarios source inside the guest: TAP-style checks, running as another uid, finding PCI functions.
#
# In a scenario:  . "$UDRV_VM_LIB"
# Output follows TAP: "ok N - DESC" / "not ok N - DESC", details as "# ..." lines,
# and the plan "1..N" printed by finish.

_vm_checks=0
_vm_failed=0

# record PASS|FAIL DESC [DETAIL...]: counts one result and prints it.
record() {
	_vm_checks=$((_vm_checks + 1))
	_vm_result=$1
	_vm_desc=$2
	shift 2
	if [ "$_vm_result" = PASS ]; then
		echo "ok $_vm_checks - $_vm_desc"
	else
		_vm_failed=$((_vm_failed + 1))
		echo "not ok $_vm_checks - $_vm_desc"
		for _vm_line in "$@"; do
			printf '%s\n' "$_vm_line" | sed 's/^/#   /'
		done
	fi
}

# check DESC CMD [ARGS...]: runs CMD (a command or shell function); passes when it
# exits 0. Its output is shown only when it fails.
check() {
	_vm_cdesc=$1
	shift
	_vm_out=${TMPDIR:-/tmp}/.vm-check.$$ # no mktemp: every exec costs under TCG
	if "$@" >"$_vm_out" 2>&1; then
		record PASS "$_vm_cdesc"
	else
		_vm_status=$?
		if [ -s "$_vm_out" ]; then
			record FAIL "$_vm_cdesc" "command (status $_vm_status): $*" "$(cat "$_vm_out")"
		else
			record FAIL "$_vm_cdesc" "command (status $_vm_status): $*"
		fi
	fi
}

# record_lines FILE: records one result per line "PASS<TAB>DESC" or
# "FAIL<TAB>DESC<TAB>DETAIL" (for checks computed by another program, e.g. python3).
record_lines() {
	_vm_tab=$(printf '\t')
	while IFS=$_vm_tab read -r _vm_r _vm_d _vm_x; do
		case $_vm_r in
		PASS) record PASS "$_vm_d" ;;
		FAIL) record FAIL "$_vm_d" "$_vm_x" ;;
		'') ;;
		*) printf '# %s\n' "$_vm_r${_vm_d:+ $_vm_d}${_vm_x:+ $_vm_x}" ;;
		esac
	done <"$1"
}

# as_user UID[:GID] CMD [ARGS...]: runs CMD as that uid (and gid, default the same
# number) with no supplementary groups and no capabilities. The uid needs no passwd
# entry. HOME is set to $TMPDIR.
as_user() {
	_vm_uid=${1%%:*}
	_vm_gid=${1#*:}
	shift
	HOME=${TMPDIR:-/tmp} setpriv --reuid="$_vm_uid" --regid="$_vm_gid" --clear-groups \
		--inh-caps=-all -- "$@"
}

# slot_of VENDOR:DEVICE [N]: prints the slot of the Nth (default 1st, in slot order)
# PCI function with those IDs (hex, no 0x); fails if there is none.
slot_of() {
	_vm_want_v=${1%%:*}
	_vm_want_d=${1#*:}
	_vm_n=${2:-1}
	for _vm_dev in /sys/bus/pci/devices/*; do
		[ "$(cat "$_vm_dev/vendor")" = "0x$_vm_want_v" ] || continue
		[ "$(cat "$_vm_dev/device")" = "0x$_vm_want_d" ] || continue
		_vm_n=$((_vm_n - 1))
		if [ "$_vm_n" = 0 ]; then
			echo "${_vm_dev##*/}"
			return 0
		fi
	done
	echo "slot_of: no function $1 number ${2:-1}" >&2
	return 1
}

# vm_modprobe MODULE [PARAMS...]: loads a module of the guest's kernel (the tree
# tests/vm/fetch-kernel unpacked, seen through the host's root).
vm_modprobe() {
	modprobe -d "$UDRV_VM_KROOT" -S "$UDRV_VM_KVER" "$@"
}

# vm_signal NAME: tells a host-side hook (tests/vm/run --hook) that NAME happened,
# by creating $UDRV_VM_SHARE/NAME (the hook sees $UDRV_VM_SHARE_HOST/NAME).
vm_signal() {
	: >"$UDRV_VM_SHARE/$1"
}

# vm_wait NAME [SECONDS]: waits (default 60 s) for the hook to create NAME in the
# share; fails on timeout.
vm_wait() {
	_vm_left=$((${2:-60} * 10))
	while [ ! -e "$UDRV_VM_SHARE/$1" ]; do
		[ "$_vm_left" -gt 0 ] || return 1
		_vm_left=$((_vm_left - 1))
		sleep 0.1
	done
}

# finish: prints the plan and exits 1 if any check failed (or none ran), else 0.
finish() {
	echo "1..$_vm_checks"
	if [ "$_vm_checks" = 0 ]; then
		echo "# no checks ran"
		exit 1
	fi
	if [ "$_vm_failed" != 0 ]; then
		echo "# $_vm_failed of $_vm_checks checks failed"
		exit 1
	fi
	echo "# all $_vm_checks checks passed"
	exit 0
}

# In the systemd mode (tests/vm/run --systemd):

# sd_install_udrv: installs udrv as a user would. With UDRV_VM_DEBS (a host directory
# holding udrv_*.deb and libudrv0_*.deb): `apt install` of those, offline; their
# maintainer scripts enable and start udrvd.socket. With UDRV_VM_DESTDIR instead (a
# `make install DESTDIR=` tree, for developing the scenarios before packages exist): that
# tree copied over /, then what the packages' scripts would do. Fails with neither.
sd_install_udrv() {
	if [ -n "${UDRV_VM_DEBS:-}" ]; then
		set -- "$UDRV_VM_DEBS"/udrv_*.deb "$UDRV_VM_DEBS"/libudrv0_*.deb
		for _vm_deb in "$@"; do
			[ -f "$_vm_deb" ] || {
				echo "sd_install_udrv: no udrv_*.deb and libudrv0_*.deb in $UDRV_VM_DEBS" >&2
				return 1
			}
		done
		# man-db's trigger would rebuild the whole man index: minutes under TCG.
		rm -f /var/lib/man-db/auto-update
		# Copies: apt's _apt user must be able to read them.
		mkdir -p /run/tmp/debs
		cp "$@" /run/tmp/debs/ && chmod -R a+rX /run/tmp/debs || return 1
		# No network in the guest: this works only because every dependency is
		# installed already (apt's --no-download rejects local .debs).
		(cd /run/tmp/debs && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			-o Dpkg::Use-Pty=0 ./udrv_*.deb ./libudrv0_*.deb) || return 1
	elif [ -n "${UDRV_VM_DESTDIR:-}" ]; then
		echo "sd_install_udrv: warning: installing from UDRV_VM_DESTDIR, not from packages"
		cp -a "$UDRV_VM_DESTDIR"/. / && ldconfig && systemctl daemon-reload &&
			systemctl enable --now udrvd.socket || return 1
	else
		echo "sd_install_udrv: set UDRV_VM_DEBS to a directory with udrv's .debs (scripts/test builds them)" >&2
		return 1
	fi
}

# sd_journal ARGS...: udrvd's journal entries (journalctl -u udrvd.service ARGS, messages
# only), after flushing what journald still holds.
sd_journal() {
	journalctl --sync 2>/dev/null
	journalctl -q --no-pager -o cat -u udrvd.service "$@"
}

# sd_wait SECONDS CMD [ARGS...]: runs CMD every 0.1 s until it succeeds or SECONDS (of
# guest uptime, however slow each try is under TCG) pass.
sd_wait() {
	read -r _vm_up _vm_rest </proc/uptime
	_vm_end=$((${_vm_up%.*} + $1))
	shift
	until "$@"; do
		read -r _vm_up _vm_rest </proc/uptime
		[ "${_vm_up%.*}" -lt "$_vm_end" ] || return 1
		sleep 0.1
	done
}
