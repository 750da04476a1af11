#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# make check test: unmodified dpdk-testpmd as uid 1000 through `udrvctl grant` (VFIO node mode)
# on the two e1000e ports of the iommu profile, against root with manual binding. Two vCPUs:
# testpmd needs two lcores. UDRV_DPDK_MODE=harness runs it through tests/vm/vfio-harness
# instead of udrvd.
set -eu
srcdir=${UDRV_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v dpdk-testpmd >/dev/null 2>&1 || {
	echo "vfio-dpdk-iommu: dpdk-testpmd not found (apt-get install dpdk-dev)" >&2
	exit 1
}
UDRV_VM_SMP=${UDRV_VM_SMP:-2} exec sh "$srcdir/tests/vm/run" iommu \
	"$srcdir/tests/vm/vfio-dpdk.scenario" "${UDRV_DPDK_MODE:-udrvctl}"
