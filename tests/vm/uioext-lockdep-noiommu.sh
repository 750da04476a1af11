#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# make check test: builds uio-ext.ko for the lockdep kernel (tests/vm/build-lockdep-kernel, built once
# per machine) and runs the module's VM scenarios under it without an IOMMU, with two vCPUs. A lockdep
# or atomic-sleep report, or lockdep not on (or off by the end), fails the boot (tests/vm/run).
# uioext-pin-lease pins a holder's pages through udrvd; uioext-lease (35-90 s more, the same
# module paths as uioext's revoke) is left out for the suite's time.
set -eu
srcdir=${UDRV_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}

# The scenarios, one boot each; each takes --ko PATH first. uioext-wc needs ivshmem-plain.
SCENARIOS="uioext-lockorder uioext uioext-attack uioext-wc uioext-pin-lease"

UDRV_VM_KFLAVOUR=lockdep
export UDRV_VM_KFLAVOUR
ko=$(sh "$srcdir/uio-ext/build-module")
failed=
for s in $SCENARIOS; do
	ivshmem=0
	[ "$s" != uioext-wc ] || ivshmem=1
	if UDRV_VM_IVSHMEM=$ivshmem UDRV_VM_SMP=2 UDRV_VM_TIMEOUT=${UDRV_VM_TIMEOUT:-600} \
		sh "$srcdir/tests/vm/run" noiommu "$srcdir/tests/vm/$s.scenario" --ko "$ko"; then
		echo "ok - $s.scenario under lockdep"
	else
		echo "not ok - $s.scenario under lockdep"
		failed="$failed $s"
	fi
done
[ -z "$failed" ] || {
	echo "failed under lockdep:$failed" >&2
	exit 1
}
