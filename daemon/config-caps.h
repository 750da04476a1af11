/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the config filter knows of the header and capability structures: IDs, names, lengths and
 * register names, from the PCI and PCI Express specifications. The daemon's: config-filter.c,
 * backend-vfio.c. */
#pragma once

#include <endian.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Standard capability IDs and extended capability IDs this file treats specially. */
#define CAP_PM 0x01
#define CAP_VPD 0x03
#define CAP_MSI 0x05
#define CAP_PCIX 0x07
#define CAP_VNDR 0x09
#define CAP_EXP 0x10
#define CAP_MSIX 0x11
#define CAP_SATA 0x12
#define CAP_AF 0x13
#define ECAP_ERR 0x01
#define ECAP_PWR 0x04
#define ECAP_VNDR 0x0b
#define ECAP_ACS 0x0d
#define ECAP_SRIOV 0x10
#define ECAP_REBAR 0x15
#define ECAP_DVSEC 0x23
#define ECAP_VF_REBAR 0x24

/* A named register of a structure, at REL bytes from its start. */
struct field {
	uint16_t off;
	uint16_t size;
	const char *name;
};

/* What is known of one capability type: its name, its length when fixed, its registers, and
 * whether ConfigWrite= may open it. */
struct cap_type {
	uint16_t id;
	const char *name;
	uint16_t len; /* 0: computed from its registers */
	bool protect;
	const struct field *fields;
	size_t n_fields;
};

static inline uint16_t le16_at(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return le16toh(v);
}

static inline uint32_t le32_at(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static inline void put_le32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, sizeof(v));
}

/* The type of standard (EXTENDED false) or extended capability ID; NULL when unknown. */
const struct cap_type *cap_type_find(bool extended, uint16_t id);

/* Bytes the capability of type T (NULL: unknown) at POS of IMG (SIZE bytes) spans, from its own
 * registers where its length varies; at least 4. */
unsigned cap_length(const struct cap_type *t, bool extended, const uint8_t *img, size_t size,
		    unsigned pos);

/* The register holding byte REL of the header (BRIDGE: type 1) or of a capability of type T
 * (MSI64: an MSI capability with 64-bit addresses); NULL when it has no name here. */
const struct field *header_field(bool bridge, unsigned rel);
const struct field *cap_field(const struct cap_type *t, bool extended, bool msi64, unsigned rel);
