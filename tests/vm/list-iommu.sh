#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# make check test: boots the VM bed with an emulated Intel IOMMU and runs tests/vm/list.scenario (udrvctl list --json against sysfs).
set -eu
srcdir=${UDRV_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
exec sh "$srcdir/tests/vm/run" iommu "$srcdir/tests/vm/list.scenario"
