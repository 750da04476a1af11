#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# make check test: builds uio-ext.ko (uio-ext/build-module) and boots the VM bed without an IOMMU
# to run tests/vm/uioext-pin.scenario (uio_ext's pin fd).
set -eu
srcdir=${UDRV_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
sh "$srcdir/uio-ext/build-module" >/dev/null
UDRV_VM_SMP=${UDRV_VM_SMP:-1} UDRV_VM_TIMEOUT=${UDRV_VM_TIMEOUT:-600} \
	exec sh "$srcdir/tests/vm/run" noiommu "$srcdir/tests/vm/uioext-pin.scenario" "$@"
