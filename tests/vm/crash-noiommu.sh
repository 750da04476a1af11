#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# make check test (builds with --enable-fault-points): udrvd killed at every fault point, in
# the VM bed, gives every function back after a restart (tests/vm/crash.scenario).
set -eu
srcdir=${UDRV_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
UDRV_VM_TIMEOUT=${UDRV_VM_TIMEOUT:-1500} exec sh "$srcdir/tests/vm/run" noiommu \
	"$srcdir/tests/vm/crash.scenario" "$@"
