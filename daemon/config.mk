# SPDX-License-Identifier: LGPL-2.1-or-later
# daemon/config.mk: config-space mediation (the filter, its tests, fuzzer and VM scenario).
