#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# make check test: lease administration, restart recovery and hotplug in the VM bed
# (tests/vm/admin.scenario, with tests/vm/admin.hook driving QEMU's monitor).
set -eu
srcdir=${UDRV_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
UDRV_VM_SMP=${UDRV_VM_SMP:-1} exec sh "$srcdir/tests/vm/run" --hook "$srcdir/tests/vm/admin.hook" \
	noiommu "$srcdir/tests/vm/admin.scenario"
