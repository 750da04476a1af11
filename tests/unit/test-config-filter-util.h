/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by the config filter tests: real config captures from the VM bed, two constructed
 * images of real hardware, and a device model that applies a filter's plans. */
#pragma once

#include <endian.h>
#include <inttypes.h>
#include <stdlib.h>

#include "config-filter.h"
#include "macro.h"

/* A config space image with the resources sysfs reports for it. */
struct image {
	uint8_t cfg[CONFIG_SPACE_EXPRESS];
	size_t size;
	struct pci_resource res[PCI_NUM_RESOURCES];
};

static inline int image_load_capture(const char *profile, const char *slot, struct image *ret)
{
	_cleanup_free_ char *path = NULL, *rpath = NULL;
	_cleanup_fclose_ FILE *cfg = NULL, *res = NULL;
	const char *src = getenv("UDRV_SRCDIR");

	*ret = (struct image){0};
	if (!src ||
	    asprintf(&path, "%s/tests/fixtures/captures/%s/%s/config", src, profile, slot) < 0 ||
	    asprintf(&rpath, "%s/tests/fixtures/captures/%s/%s/resource", src, profile, slot) < 0)
		return -ENOENT;
	cfg = fopen(path, "re");
	if (!cfg)
		return -errno;
	ret->size = fread(ret->cfg, 1, sizeof(ret->cfg), cfg);
	res = fopen(rpath, "re");
	if (!res)
		return -errno;
	for (int i = 0; i < PCI_NUM_RESOURCES; i++) {
		struct pci_resource *r = &ret->res[i];

		if (fscanf(res, "%" SCNx64 " %" SCNx64 " %" SCNx64, &r->start, &r->end,
			   &r->flags) != 3)
			return -EBADMSG;
	}
	return 0;
}

static inline void put8(struct image *m, unsigned off, uint8_t v)
{
	m->cfg[off] = v;
}

static inline void put16(struct image *m, unsigned off, uint16_t v)
{
	v = htole16(v);
	memcpy(m->cfg + off, &v, 2);
}

static inline void put32(struct image *m, unsigned off, uint32_t v)
{
	v = htole32(v);
	memcpy(m->cfg + off, &v, 4);
}

static inline uint16_t get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return le16toh(v);
}

static inline uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

static inline void put_cap(struct image *m, unsigned pos, uint8_t id, uint8_t next)
{
	put8(m, pos, id);
	put8(m, pos + 1, next);
}

static inline void put_ecap(struct image *m, unsigned pos, uint16_t id, uint8_t ver, unsigned next)
{
	put32(m, pos, id | (uint32_t)ver << 16 | (uint32_t)next << 20);
}

static inline void put_res(struct image *m, int i, uint64_t start, uint64_t len, uint64_t flags)
{
	m->res[i] = (struct pci_resource){.start = start, .end = start + len - 1, .flags = flags};
}

/*
 * An NVMe SSD as lspci -xxxx shows a Samsung 970 EVO Plus (144d:a80a) after a function reset:
 * 64-bit BAR0 of 16 KiB; PM at 0x40, MSI (64-bit, per-vector masking) at 0x50, PCIe v2
 * endpoint with FLR at 0x70, MSI-X at 0xb0; AER at 0x100, DSN at 0x148, Power Budgeting at
 * 0x158, Secondary PCIe at 0x168, LTR at 0x188, L1 PM Substates at 0x190.
 */
static inline void image_nvme(struct image *m)
{
	*m = (struct image){.size = CONFIG_SPACE_EXPRESS};
	put16(m, 0x00, 0x144d);
	put16(m, 0x02, 0xa80a);
	put16(m, 0x04, 0x0406); /* MEM, bus master, INTx disabled (MSI-X user) */
	put16(m, 0x06, 0x0010);
	put32(m, 0x08, 0x01080200);
	put32(m, 0x10, 0xfb000004);
	put32(m, 0x14, 0x00000000);
	put16(m, 0x2c, 0x144d);
	put16(m, 0x2e, 0xa801);
	put8(m, 0x34, 0x40);
	put8(m, 0x3c, 0xff);
	put8(m, 0x3d, 0x01);
	put_res(m, 0, 0xfb000000, 0x4000, 0x140204);
	put_cap(m, 0x40, 0x01, 0x50);
	put16(m, 0x42, 0xf803); /* PM v3, PME from D0/D3hot/D3cold */
	put16(m, 0x44, 0x0008); /* D0, No_Soft_Reset */
	put_cap(m, 0x50, 0x05, 0x70);
	put16(m, 0x52, 0x0180); /* 64-bit, per-vector masking, 1 vector */
	put_cap(m, 0x70, 0x10, 0xb0);
	put16(m, 0x72, 0x0002);	    /* v2 endpoint */
	put32(m, 0x74, 0x10008fc1); /* FLR, role-based errors, 256 B payload */
	put16(m, 0x78, 0x5957);
	put16(m, 0x7a, 0x0010);
	put32(m, 0x7c, 0x0047a843); /* x4 gen3, ASPM L1 */
	put16(m, 0x80, 0x0142);
	put16(m, 0x82, 0x1043);
	put32(m, 0x94, 0x00080c1f); /* DevCap2: LTR, completion timeout ranges */
	put16(m, 0x98, 0x0400);	    /* LTR enabled */
	put32(m, 0x9c, 0x0000000e);
	put16(m, 0xa0, 0x0003);
	put_cap(m, 0xb0, 0x11, 0x00);
	put16(m, 0xb2, 0x0020); /* 33 vectors */
	put32(m, 0xb4, 0x00003000);
	put32(m, 0xb8, 0x00002000);
	put_ecap(m, 0x100, 0x0001, 2, 0x148);
	put32(m, 0x108, 0x00400000);
	put32(m, 0x10c, 0x00462030);
	put32(m, 0x114, 0x00002000);
	put32(m, 0x118, 0x000000a0);
	put_ecap(m, 0x148, 0x0003, 1, 0x158);
	put32(m, 0x14c, 0x01020304);
	put32(m, 0x150, 0x002538b5);
	put_ecap(m, 0x158, 0x0004, 1, 0x168);
	put_ecap(m, 0x168, 0x0019, 1, 0x188);
	put_ecap(m, 0x188, 0x0018, 1, 0x190);
	put32(m, 0x18c, 0x10031003);
	put_ecap(m, 0x190, 0x001e, 1, 0x000);
	put32(m, 0x194, 0x0028281f);
}

/*
 * A 100 GbE NIC laid out as a Mellanox ConnectX-5 PF (15b3:1017) shows it: 64-bit prefetchable
 * BAR0 of 32 MiB, a 1 MiB ROM; PCIe v2 at 0x60 (FLR), VPD at 0x48, MSI-X at 0x9c, a 24-byte
 * vendor-specific capability at 0xc0, PM at 0x40; AER at 0x100, ARI at 0x150, SR-IOV at 0x180,
 * Secondary PCIe at 0x1c0, ACS at 0x230, and a vendor-specific extended capability at 0x300.
 */
static inline void image_nic(struct image *m)
{
	*m = (struct image){.size = CONFIG_SPACE_EXPRESS};
	put16(m, 0x00, 0x15b3);
	put16(m, 0x02, 0x1017);
	put16(m, 0x04, 0x0002);
	put16(m, 0x06, 0x0010);
	put32(m, 0x08, 0x02000000);
	put32(m, 0x10, 0xe000000c);
	put32(m, 0x14, 0x00000000);
	put16(m, 0x2c, 0x15b3);
	put16(m, 0x2e, 0x0008);
	put32(m, 0x30, 0xfe900000);
	put8(m, 0x34, 0x60);
	put8(m, 0x3c, 0x0b);
	put8(m, 0x3d, 0x01);
	put_res(m, 0, 0xe0000000, 32 << 20, 0x14220c);
	put_res(m, PCI_ROM_RESOURCE, 0xfe900000, 1 << 20, 0x46200);
	put_cap(m, 0x60, 0x10, 0x48);
	put16(m, 0x62, 0x0002);
	put32(m, 0x64, 0x10008fe2);
	put16(m, 0x68, 0x5937);
	put32(m, 0x6c, 0x0040d104); /* x16 gen4 */
	put16(m, 0x70, 0x0040);
	put16(m, 0x72, 0x1044);
	put32(m, 0x84, 0x0016b8f3);
	put_cap(m, 0x48, 0x03, 0x9c);
	put_cap(m, 0x9c, 0x11, 0xc0);
	put16(m, 0x9e, 0x003f);
	put32(m, 0xa0, 0x00002000);
	put32(m, 0xa4, 0x00003000);
	put_cap(m, 0xc0, 0x09, 0x40);
	put8(m, 0xc2, 0x18);
	put32(m, 0xc4, 0x00ac0000);
	put_cap(m, 0x40, 0x01, 0x00);
	put16(m, 0x42, 0x0003);
	put16(m, 0x44, 0x0008);
	put_ecap(m, 0x100, 0x0001, 1, 0x150);
	put32(m, 0x104, 0x00100000); /* an unsupported request logged */
	put32(m, 0x10c, 0x00462030);
	put_ecap(m, 0x150, 0x000e, 1, 0x180);
	put16(m, 0x154, 0x0100);
	put_ecap(m, 0x180, 0x0010, 1, 0x1c0);
	put32(m, 0x184, 0x00000002);
	put16(m, 0x18c, 0x0008);
	put16(m, 0x18e, 0x0000);
	put_ecap(m, 0x1c0, 0x0019, 1, 0x230);
	put_ecap(m, 0x230, 0x000d, 1, 0x300);
	put16(m, 0x234, 0x001f);
	put_ecap(m, 0x300, 0x000b, 1, 0x000);
	put32(m, 0x304, 0x02000001); /* VSEC ID 1, rev 0, length 0x20 */
}

/* A device whose config space holds what the filter's plans write (no read-only bits of its
 * own: the strictest model for checking what reaches it). */
struct device_model {
	struct config_filter *f;
	struct config_write_plan plan;
	uint8_t hw[CONFIG_SPACE_EXPRESS];
	size_t size;
	unsigned resets;
	unsigned unmasks;
};

static inline int model_new(const struct image *m, const struct config_filter_options *opts,
			    struct device_model **ret)
{
	struct device_model *d = calloc(1, sizeof(*d));
	int r;

	if (!d)
		return -ENOMEM;
	r = config_filter_new(m->cfg, m->size, m->res, opts, &d->f);
	if (r < 0) {
		free(d);
		return r;
	}
	memcpy(d->hw, m->cfg, m->size);
	d->size = m->size;
	*ret = d;
	return 0;
}

static inline void model_free(struct device_model *d)
{
	if (!d)
		return;
	config_filter_free(d->f);
	free(d);
}

static inline int model_write(struct device_model *d, unsigned off, const void *data, size_t len)
{
	int r = config_filter_write(d->f, off, len, data, d->hw, &d->plan);

	if (r < 0)
		return r;
	for (size_t i = 0; i < d->plan.n_access; i++)
		memcpy(d->hw + d->plan.access[i].off, d->plan.hw + d->plan.access[i].off,
		       d->plan.access[i].len);
	config_filter_commit(d->f, &d->plan);
	d->resets += d->plan.reset;
	/* What udrvd's irq path then does with INTx Disable. */
	if (d->plan.intx == CONFIG_INTX_MASK)
		d->hw[5] |= 0x04;
	else if (d->plan.intx == CONFIG_INTX_UNMASK) {
		d->hw[5] &= (uint8_t)~0x04;
		d->unmasks++;
	}
	return 0;
}

static inline int model_write32(struct device_model *d, unsigned off, uint32_t v)
{
	v = htole32(v);
	return model_write(d, off, &v, 4);
}

static inline int model_write16(struct device_model *d, unsigned off, uint16_t v)
{
	v = htole16(v);
	return model_write(d, off, &v, 2);
}

static inline int model_write8(struct device_model *d, unsigned off, uint8_t v)
{
	return model_write(d, off, &v, 1);
}

static inline uint32_t model_read32(struct device_model *d, unsigned off)
{
	uint8_t buf[4] = {0};

	if (config_filter_read(d->f, off, 4, d->hw, buf) < 0)
		return 0xdeadbeef;
	return get32(buf);
}

static inline uint16_t model_read16(struct device_model *d, unsigned off)
{
	uint8_t buf[2] = {0};

	if (config_filter_read(d->f, off, 2, d->hw, buf) < 0)
		return 0xdead;
	return get16(buf);
}

static inline uint8_t model_read8(struct device_model *d, unsigned off)
{
	uint8_t b = 0;

	(void)config_filter_read(d->f, off, 1, d->hw, &b);
	return b;
}
