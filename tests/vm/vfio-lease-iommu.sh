#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# make check test: VFIO leases through udrvd on a real kernel (tests/vm/vfio-lease.scenario, with
# tests/vm/vfio-lease.hook unplugging edu1 through QEMU's monitor): memlock raised through a
# pidfd and never for a reused pid, a holder left with only the anonymous vfio-device fd found
# and killed, hot-unplug during a lease in fd mode (request eventfd) and node mode.
set -eu
srcdir=${UDRV_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
UDRV_VM_SMP=${UDRV_VM_SMP:-1} exec sh "$srcdir/tests/vm/run" --hook "$srcdir/tests/vm/vfio-lease.hook" \
	iommu "$srcdir/tests/vm/vfio-lease.scenario"
