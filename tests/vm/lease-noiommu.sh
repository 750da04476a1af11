#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# make check test: boots the VM bed without an IOMMU and runs tests/vm/lease.scenario
# (udrvd leases edu devices to uid 1000 over UIO). One vCPU: interrupt round trips across
# two TCG vCPUs cost milliseconds each.
set -eu
srcdir=${UDRV_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
UDRV_VM_SMP=${UDRV_VM_SMP:-1} exec sh "$srcdir/tests/vm/run" noiommu "$srcdir/tests/vm/lease.scenario"
