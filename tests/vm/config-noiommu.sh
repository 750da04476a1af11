#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# make check test: boots the VM bed without an IOMMU and runs tests/vm/config.scenario
# (config-space mediation for uid 1000's edu and e1000e leases). One vCPU,
# as the other UIO scenarios.
set -eu
srcdir=${UDRV_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
UDRV_VM_SMP=${UDRV_VM_SMP:-1} exec sh "$srcdir/tests/vm/run" noiommu "$srcdir/tests/vm/config.scenario"
