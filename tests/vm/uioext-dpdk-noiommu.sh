#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# make check test: builds uio-ext.ko and boots the VM bed without an IOMMU to run
# tests/vm/uioext-dpdk.scenario: dpdk-testpmd on two uio-ext leases through
# `udrvctl grant --dpdk` (libudrv-dpdk.so). Two vCPUs: testpmd needs two lcores.
set -eu
srcdir=${UDRV_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v dpdk-testpmd >/dev/null 2>&1 || {
	echo "uioext-dpdk-noiommu: dpdk-testpmd not found (apt-get install dpdk-dev)" >&2
	exit 1
}
sh "$srcdir/uio-ext/build-module" >/dev/null
UDRV_VM_SMP=${UDRV_VM_SMP:-2} UDRV_VM_TIMEOUT=${UDRV_VM_TIMEOUT:-600} \
	exec sh "$srcdir/tests/vm/run" noiommu "$srcdir/tests/vm/uioext-dpdk.scenario"
