#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# make check test: interrupts in the VM bed (tests/vm/irq.scenario): INTx paths, polling,
# storm containment. One vCPU: cross-vCPU wake-ups under TCG cost milliseconds.
set -eu
srcdir=${UDRV_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
UDRV_VM_SMP=${UDRV_VM_SMP:-1} exec sh "$srcdir/tests/vm/run" noiommu "$srcdir/tests/vm/irq.scenario"
