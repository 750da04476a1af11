/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The tables behind config-caps.h: every capability type the filter names, and its registers. */
#include "config-caps.h"
#include "macro.h"

#define CAP(i, n, l, p)                                                                            \
	{                                                                                          \
		.id = (i), .name = (n), .len = (l), .protect = (p)                                 \
	}
#define CAP_FIELDS(i, n, l, p, f)                                                                  \
	{                                                                                          \
		.id = (i), .name = (n), .len = (l), .protect = (p), .fields = (f),                 \
		.n_fields = ELEMENTSOF(f)                                                          \
	}

static const struct field header_fields[] = {
	{0x00, 2, "Vendor ID"},
	{0x02, 2, "Device ID"},
	{0x04, 2, "Command register"},
	{0x06, 2, "Status register"},
	{0x08, 1, "Revision ID"},
	{0x09, 3, "Class Code"},
	{0x0c, 1, "Cache Line Size"},
	{0x0d, 1, "Latency Timer"},
	{0x0e, 1, "Header Type"},
	{0x0f, 1, "BIST"},
	{0x10, 4, "BAR0"},
	{0x14, 4, "BAR1"},
	{0x18, 4, "BAR2"},
	{0x1c, 4, "BAR3"},
	{0x20, 4, "BAR4"},
	{0x24, 4, "BAR5"},
	{0x28, 4, "CardBus CIS Pointer"},
	{0x2c, 2, "Subsystem Vendor ID"},
	{0x2e, 2, "Subsystem ID"},
	{0x30, 4, "Expansion ROM BAR"},
	{0x34, 1, "Capabilities Pointer"},
	{0x35, 7, "reserved header bytes"},
	{0x3c, 1, "Interrupt Line"},
	{0x3d, 1, "Interrupt Pin"},
	{0x3e, 1, "Min_Gnt"},
	{0x3f, 1, "Max_Lat"},
};

static const struct field bridge_fields[] = {
	{0x00, 2, "Vendor ID"},
	{0x02, 2, "Device ID"},
	{0x04, 2, "Command register"},
	{0x06, 2, "Status register"},
	{0x08, 4, "Class Code"},
	{0x0c, 1, "Cache Line Size"},
	{0x0d, 1, "Latency Timer"},
	{0x0e, 1, "Header Type"},
	{0x0f, 1, "BIST"},
	{0x10, 4, "BAR0"},
	{0x14, 4, "BAR1"},
	{0x18, 32, "bridge windows"},
	{0x38, 4, "Expansion ROM BAR"},
	{0x3c, 1, "Interrupt Line"},
	{0x3d, 1, "Interrupt Pin"},
	{0x3e, 2, "Bridge Control"},
};

static const struct field cap_header_fields[] = {
	{0, 1, "Capability ID"},
	{1, 1, "Next Capability Pointer"},
};

static const struct field pm_fields[] = {
	{2, 2, "PMC"},
	{4, 2, "PMCSR"},
	{6, 1, "PMCSR_BSE"},
	{7, 1, "Data"},
};

static const struct field msi32_fields[] = {
	{0x2, 2, "Message Control"}, {0x4, 4, "Message Address"}, {0x8, 2, "Message Data"},
	{0xc, 4, "Mask Bits"},	     {0x10, 4, "Pending Bits"},
};

static const struct field msi64_fields[] = {
	{0x2, 2, "Message Control"}, {0x4, 4, "Message Address"}, {0x8, 4, "Message Upper Address"},
	{0xc, 2, "Message Data"},    {0x10, 4, "Mask Bits"},	  {0x14, 4, "Pending Bits"},
};

static const struct field msix_fields[] = {
	{2, 2, "Message Control"},
	{4, 4, "Table Offset/BIR"},
	{8, 4, "PBA Offset/BIR"},
};

static const struct field exp_fields[] = {
	{0x02, 2, "PCI Express Capabilities"},
	{0x04, 4, "Device Capabilities"},
	{0x08, 2, "Device Control"},
	{0x0a, 2, "Device Status"},
	{0x0c, 4, "Link Capabilities"},
	{0x10, 2, "Link Control"},
	{0x12, 2, "Link Status"},
	{0x14, 4, "Slot Capabilities"},
	{0x18, 2, "Slot Control"},
	{0x1a, 2, "Slot Status"},
	{0x1c, 2, "Root Control"},
	{0x1e, 2, "Root Capabilities"},
	{0x20, 4, "Root Status"},
	{0x24, 4, "Device Capabilities 2"},
	{0x28, 2, "Device Control 2"},
	{0x2a, 2, "Device Status 2"},
	{0x2c, 4, "Link Capabilities 2"},
	{0x30, 2, "Link Control 2"},
	{0x32, 2, "Link Status 2"},
	{0x34, 4, "Slot Capabilities 2"},
	{0x38, 2, "Slot Control 2"},
	{0x3a, 2, "Slot Status 2"},
};

static const struct field af_fields[] = {
	{2, 1, "Length"},
	{3, 1, "AF Capabilities"},
	{4, 1, "AF Control"},
	{5, 1, "AF Status"},
};

static const struct field vndr_fields[] = {
	{2, 1, "Length"},
};

static const struct field ecap_header_fields[] = {
	{0, 4, "Extended Capability Header"},
};

static const struct field aer_fields[] = {
	{0x04, 4, "Uncorrectable Error Status"},
	{0x08, 4, "Uncorrectable Error Mask"},
	{0x0c, 4, "Uncorrectable Error Severity"},
	{0x10, 4, "Correctable Error Status"},
	{0x14, 4, "Correctable Error Mask"},
	{0x18, 4, "Advanced Error Capabilities and Control"},
	{0x1c, 16, "Header Log"},
};

static const struct cap_type cap_types[] = {
	CAP_FIELDS(CAP_PM, "Power Management", 8, true, pm_fields),
	CAP(0x02, "AGP", 12, false),
	CAP(CAP_VPD, "VPD", 8, false),
	CAP(0x04, "Slot Identification", 4, false),
	CAP(CAP_MSI, "MSI", 0, true),
	CAP(0x06, "CompactPCI Hot Swap", 4, false),
	CAP(CAP_PCIX, "PCI-X", 0, false),
	CAP(0x08, "HyperTransport", 4, false),
	CAP_FIELDS(CAP_VNDR, "vendor-specific", 0, false, vndr_fields),
	CAP(0x0a, "Debug Port", 4, false),
	CAP(0x0b, "CompactPCI Central Resource Control", 4, false),
	CAP(0x0c, "PCI Hot-Plug", 4, false),
	CAP(0x0d, "Bridge Subsystem ID", 8, false),
	CAP(0x0e, "AGP 8x", 4, false),
	CAP(0x0f, "Secure Device", 4, false),
	CAP_FIELDS(CAP_EXP, "PCI Express", 0, true, exp_fields),
	CAP_FIELDS(CAP_MSIX, "MSI-X", 12, true, msix_fields),
	CAP(CAP_SATA, "SATA", 0, false),
	CAP_FIELDS(CAP_AF, "Advanced Features", 6, true, af_fields),
	CAP(0x14, "Enhanced Allocation", 4, false),
	CAP(0x15, "Flattening Portal Bridge", 4, false),
};

static const struct cap_type ecap_types[] = {
	CAP_FIELDS(ECAP_ERR, "AER", 0x2c, false, aer_fields),
	CAP(0x02, "Virtual Channel", 4, false),
	CAP(0x03, "Device Serial Number", 0xc, false),
	CAP(ECAP_PWR, "Power Budgeting", 0x10, false),
	CAP(0x05, "Root Complex Link Declaration", 4, false),
	CAP(0x06, "Root Complex Internal Link Control", 4, false),
	CAP(0x07, "Root Complex Event Collector Endpoint Association", 4, false),
	CAP(0x08, "Multi-Function Virtual Channel", 4, false),
	CAP(0x09, "Virtual Channel (MFVC)", 4, false),
	CAP(0x0a, "RCRB Header", 4, false),
	CAP(ECAP_VNDR, "vendor-specific extended", 0, false),
	CAP(0x0c, "Configuration Access Correlation", 4, false),
	CAP(ECAP_ACS, "ACS", 8, true),
	CAP(0x0e, "ARI", 8, false),
	CAP(0x0f, "ATS", 8, false),
	CAP(ECAP_SRIOV, "SR-IOV", 0x40, true),
	CAP(0x11, "MR-IOV", 4, false),
	CAP(0x12, "Multicast", 0x28, false),
	CAP(0x13, "Page Request", 0x10, false),
	CAP(ECAP_REBAR, "Resizable BAR", 0, true),
	CAP(0x16, "Dynamic Power Allocation", 4, false),
	CAP(0x17, "TPH Requester", 4, false),
	CAP(0x18, "Latency Tolerance Reporting", 8, false),
	CAP(0x19, "Secondary PCI Express", 0xc, false),
	CAP(0x1a, "Protocol Multiplexing", 4, false),
	CAP(0x1b, "PASID", 8, false),
	CAP(0x1c, "LN Requester", 4, false),
	CAP(0x1d, "Downstream Port Containment", 4, false),
	CAP(0x1e, "L1 PM Substates", 0x10, false),
	CAP(0x1f, "Precision Time Measurement", 0xc, false),
	CAP(ECAP_DVSEC, "Designated Vendor-Specific", 0, false),
	CAP(ECAP_VF_REBAR, "VF Resizable BAR", 0, true),
	CAP(0x25, "Data Link Feature", 0xc, false),
	CAP(0x26, "Physical Layer 16.0 GT/s", 4, false),
	CAP(0x27, "Lane Margining at the Receiver", 4, false),
};

const struct cap_type *cap_type_find(bool extended, uint16_t id)
{
	const struct cap_type *t = extended ? ecap_types : cap_types;
	size_t n = extended ? ELEMENTSOF(ecap_types) : ELEMENTSOF(cap_types);

	for (size_t i = 0; i < n; i++)
		if (t[i].id == id)
			return &t[i];
	return NULL;
}

static unsigned std_length(const struct cap_type *t, const uint8_t *img, size_t size, unsigned pos)
{
	uint16_t flags = le16_at(img + pos + 2);

	switch (t->id) {
	case CAP_MSI:
		/* 10 bytes, 4 more for a 64-bit address, 10 more for mask and pending bits. */
		return 12 + (flags & 0x0080 ? 4 : 0) + (flags & 0x0100 ? 8 : 0);
	case CAP_PCIX:
		return (flags >> 12) & 0x3 ? 24 : 8;
	case CAP_VNDR:
		return img[pos + 2];
	case CAP_EXP:
		/* Version 1 ends after the slot registers, version 2 after Slot Status 2; root
		 * complex integrated endpoints have no link or slot. */
		if (((flags >> 4) & 0xf) == 0x9)
			return (flags & 0xf) >= 2 ? 0x2c : 0x0c;
		return (flags & 0xf) >= 2 ? 0x3c : 0x14;
	case CAP_SATA:
		return pos + 4 < size && (img[pos + 4] & 0xf) == 0xf ? 16 : 8;
	default:
		return t->len;
	}
}

static unsigned ext_length(const struct cap_type *t, const uint8_t *img, size_t size, unsigned pos)
{
	switch (t->id) {
	case ECAP_VNDR:
	case ECAP_DVSEC:
		return pos + 8 <= size ? le32_at(img + pos + 4) >> 20 : 4;
	case ECAP_REBAR:
	case ECAP_VF_REBAR:
		return pos + 12 <= size ? 4 + 8 * ((img[pos + 8] >> 5) & 0x7) : 4;
	default:
		return t->len;
	}
}

unsigned cap_length(const struct cap_type *t, bool extended, const uint8_t *img, size_t size,
		    unsigned pos)
{
	unsigned len;

	if (!t)
		return 4;
	len = extended ? ext_length(t, img, size, pos) : std_length(t, img, size, pos);
	return MAX(len, 4u);
}

static const struct field *field_find(const struct field *fields, size_t n, unsigned rel)
{
	for (size_t i = 0; i < n; i++)
		if (rel >= fields[i].off && rel < fields[i].off + fields[i].size)
			return &fields[i];
	return NULL;
}

const struct field *header_field(bool bridge, unsigned rel)
{
	return bridge ? field_find(bridge_fields, ELEMENTSOF(bridge_fields), rel)
		      : field_find(header_fields, ELEMENTSOF(header_fields), rel);
}

const struct field *cap_field(const struct cap_type *t, bool extended, bool msi64, unsigned rel)
{
	const struct field *fl;

	if (extended)
		fl = field_find(ecap_header_fields, ELEMENTSOF(ecap_header_fields), rel);
	else
		fl = field_find(cap_header_fields, ELEMENTSOF(cap_header_fields), rel);
	if (fl || !t)
		return fl;
	if (!extended && t->id == CAP_MSI)
		return msi64 ? field_find(msi64_fields, ELEMENTSOF(msi64_fields), rel)
			     : field_find(msi32_fields, ELEMENTSOF(msi32_fields), rel);
	return t->fields ? field_find(t->fields, t->n_fields, rel) : NULL;
}
