#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# make check test: builds uio-ext.ko and boots the VM bed without an IOMMU, with QEMU's
# ivshmem-plain added (UDRV_VM_IVSHMEM=1), to run tests/vm/uioext-wc.scenario.
set -eu
srcdir=${UDRV_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
sh "$srcdir/uio-ext/build-module" >/dev/null
UDRV_VM_IVSHMEM=1 UDRV_VM_SMP=${UDRV_VM_SMP:-1} UDRV_VM_TIMEOUT=${UDRV_VM_TIMEOUT:-300} \
	exec sh "$srcdir/tests/vm/run" noiommu "$srcdir/tests/vm/uioext-wc.scenario"
