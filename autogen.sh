#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Regenerates the autotools files: ./autogen.sh && ./configure && make
set -e
cd "$(dirname "$0")"
mkdir -p m4
autoreconf --force --install --warnings=all
