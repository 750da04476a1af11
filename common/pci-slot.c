/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Validates and normalizes PCI slot names before any path is built from them. */
#include <ctype.h>
#include <stdio.h>

#include "macro.h"
#include "pci-slot.h"

static int hex_field(const char *s, size_t n, unsigned *ret)
{
	unsigned v = 0;

	for (size_t i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return -EINVAL;
		v = v * 16 + (unsigned)(isdigit((unsigned char)s[i])
						? s[i] - '0'
						: (tolower((unsigned char)s[i]) - 'a' + 10));
	}
	*ret = v;
	return 0;
}

/* Parses "BB:DD.F" exactly (7 characters). */
static int parse_bdf(const char *s, unsigned *bus, unsigned *dev, unsigned *fn)
{
	if (strlen(s) != 7 || s[2] != ':' || s[5] != '.')
		return -EINVAL;
	if (hex_field(s, 2, bus) < 0 || hex_field(s + 3, 2, dev) < 0 || hex_field(s + 6, 1, fn) < 0)
		return -EINVAL;
	if (*dev > 0x1f || *fn > 7)
		return -EINVAL;
	return 0;
}

int pci_slot_normalize(const char *s, char ret[PCI_SLOT_LEN])
{
	unsigned domain = 0, bus, dev, fn;
	const char *bdf = s;

	if (!s)
		return -EINVAL;
	if (strlen(s) == 12) {
		if (s[4] != ':' || hex_field(s, 4, &domain) < 0)
			return -EINVAL;
		bdf = s + 5;
	} else if (strlen(s) != 7)
		return -EINVAL;
	if (parse_bdf(bdf, &bus, &dev, &fn) < 0)
		return -EINVAL;
	snprintf(ret, PCI_SLOT_LEN, "%04x:%02x:%02x.%x", domain, bus, dev, fn);
	return 0;
}

bool pci_slot_is_valid(const char *s)
{
	char norm[PCI_SLOT_LEN];

	if (!s || strlen(s) != 12 || pci_slot_normalize(s, norm) < 0)
		return false;
	return streq(s, norm);
}
