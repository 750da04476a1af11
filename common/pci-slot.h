/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PCI slot names (DDDD:BB:DD.F): strict validation and normalization, no I/O. */
#pragma once

#include <stdbool.h>

/* "0000:03:00.0" and its NUL. */
#define PCI_SLOT_LEN 13

/* True when S is exactly DDDD:BB:DD.F in hex (device <= 0x1f, function <= 7). */
bool pci_slot_is_valid(const char *s);

/* Accepts DDDD:BB:DD.F or BB:DD.F (domain 0000), any hex case; writes the lowercase
 * full form. -EINVAL on anything else (so no path is ever built from a bad name). */
int pci_slot_normalize(const char *s, char ret[PCI_SLOT_LEN]);
