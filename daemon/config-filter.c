/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The config-space filter: builds the permission map and shadow by walking a device's header and
 * capability chains, then answers a client's reads and plans its writes. */
#include "config-caps.h"
#include "config-filter.h"
#include "pci-config.h"

#define PCI_HEADER_TYPE 0x0e
#define PCI_CMD_PARITY 0x0040
#define PCI_CMD_SERR 0x0100
/* Status bits that change under the client (write-1-to-clear errors, Interrupt Status): a
 * read-modify-write of Command and Status must not fail because one changed meanwhile. */
#define PCI_STATUS_DROP 0xf908

/* INTx Disable, in Command's high byte: the irq path's (see enum config_intx). */
#define INTX_BYTE (PCI_CFG_COMMAND + 1)
#define INTX_BIT (PCI_CMD_INTX_DISABLE >> 8)

/* Chains are bounded by what fits: dword-aligned capabilities after the header. */
#define MAX_CAPS ((CONFIG_SPACE_LEGACY - PCI_CFG_HEADER_SIZE) / 4)
#define MAX_ECAPS ((CONFIG_SPACE_EXPRESS - CONFIG_SPACE_LEGACY) / 4)
#define MAX_REGIONS (1 + MAX_CAPS + MAX_ECAPS)

enum region_kind {
	REGION_HEADER,
	REGION_CAP,
	REGION_ECAP,
};

enum {
	BYTE_PROTECTED = 1 << 0, /* ConfigWrite= cannot open it */
	BYTE_RAW = 1 << 1,	 /* ConfigWrite= opened it: written as given */
	BYTE_SHARED = 1 << 2,	 /* claimed by overlapping capabilities: read-only */
};

/* A structure of config space: the header or one capability. */
struct region {
	uint16_t start;
	uint16_t len;
	uint16_t id;
	uint8_t kind;
	bool msi64; /* MSI: 64-bit address (moves the data and mask registers) */
};

struct config_filter {
	size_t size;
	/* Per byte of config space, SIZE entries each, in the same allocation as the filter: a
	 * 256-byte function costs 2 KiB, not the 36 KiB of PCIe's 4096 (a lease has one). */
	uint8_t *write; /* bits the client may change */
	uint8_t *virt;	/* bits read from and written to the shadow */
	/* Write-1-to-clear and other status bits the device changes: writes to them are dropped
	 * whatever the value, and read-modify-writes write them as 0. */
	uint8_t *drop;
	uint8_t *flags;
	uint16_t *owner; /* region index + 1; 0 when unclaimed */
	uint8_t *shadow;
	unsigned n_bars;
	uint32_t bar_mask[6]; /* sizing: shadow BAR = (written & mask) | type bits */
	uint32_t bar_type[6];
	unsigned rom_off; /* 0 when the header has no ROM BAR */
	uint32_t rom_mask;
	unsigned devctl; /* PCIe Device Control, 0 when none */
	bool devctl_flr; /* Initiate FLR resets the function */
	unsigned af_ctrl;
	bool af_flr;
	uint16_t building; /* owner value of the region whose permissions are being set */
	size_t n_regions, max_regions;
	struct region
		*regions; /* MAX_REGIONS for 4096 bytes, the header and capabilities for 256 */
	uint16_t data[];  /* the arrays above */
};

/* Whether the region being built alone owns byte OFF. */
static bool owns(const struct config_filter *f, unsigned off)
{
	return off < f->size && f->owner[off] == f->building && !(f->flags[off] & BYTE_SHARED);
}

/* Sets one byte's bits for the region being built. A byte two capabilities claim (a broken
 * chain) keeps its first owner's name and is read-only to the client. */
static void perm8(struct config_filter *f, unsigned off, uint8_t write, uint8_t virt, uint8_t drop)
{
	if (off < f->size && f->flags[off] & BYTE_SHARED)
		f->drop[off] |= drop;
	if (!owns(f, off))
		return;
	f->write[off] = write;
	f->virt[off] = virt;
	f->drop[off] = drop;
}

/* The same for a little-endian register of WIDTH bytes. */
static void perm(struct config_filter *f, unsigned off, unsigned width, uint32_t write,
		 uint32_t virt, uint32_t drop)
{
	for (unsigned i = 0; i < width; i++)
		perm8(f, off + i, (uint8_t)(write >> (8 * i)), (uint8_t)(virt >> (8 * i)),
		      (uint8_t)(drop >> (8 * i)));
}

/* Virtual bits start clear where the client must not see the device's. */
static void shadow_clear(struct config_filter *f, unsigned off, uint8_t bits)
{
	if (owns(f, off))
		f->shadow[off] &= (uint8_t)~bits;
}

/* Claims [START, START + LEN) for a new region; permissions set next apply to its bytes. */
static struct region *region_add(struct config_filter *f, enum region_kind kind, uint16_t id,
				 unsigned start, unsigned len, bool protect)
{
	struct region *r;

	if (f->n_regions >= f->max_regions)
		return NULL;
	len = MIN(len, f->size - start);
	r = &f->regions[f->n_regions++];
	*r = (struct region){.start = start, .len = len, .id = id, .kind = kind};
	f->building = (uint16_t)f->n_regions;
	for (unsigned i = start; i < start + len; i++) {
		if (!f->owner[i])
			f->owner[i] = f->building;
		else {
			f->flags[i] |= BYTE_SHARED;
			f->write[i] = 0;
		}
		if (protect)
			f->flags[i] |= BYTE_PROTECTED;
	}
	return r;
}

static void header_perms(struct config_filter *f, bool dma)
{
	uint16_t cmd = PCI_CMD_IO | PCI_CMD_MEMORY | PCI_CMD_PARITY | PCI_CMD_SERR |
		       PCI_CMD_INTX_DISABLE | (dma ? PCI_CMD_MASTER : 0);

	region_add(f, REGION_HEADER, 0, 0, PCI_CFG_HEADER_SIZE, true);
	perm(f, PCI_CFG_COMMAND, 2, cmd, 0, 0);
	perm(f, PCI_CFG_STATUS, 2, 0, 0, PCI_STATUS_DROP);
	perm(f, PCI_CFG_CACHE_LINE, 2, 0xffff, 0, 0); /* and the latency timer */
	perm(f, 0x0f, 1, 0xff, 0, 0);		      /* BIST */
	for (unsigned i = 0; i < f->n_bars; i++)
		perm(f, PCI_CFG_BAR0 + 4 * i, 4, UINT32_MAX, UINT32_MAX, 0);
	if (f->rom_off)
		perm(f, f->rom_off, 4, UINT32_MAX, UINT32_MAX, 0);
	perm(f, PCI_CFG_INTERRUPT_LINE, 1, 0xff, 0xff, 0);
}

static uint64_t resource_len(const struct pci_resource *r)
{
	/* Like vfio: a resource the kernel did not place is no BAR to the client. */
	if (r->start == 0 || r->end < r->start)
		return 0;
	return r->end - r->start + 1;
}

static void bars_init(struct config_filter *f, const struct pci_resource *res)
{
	for (unsigned i = 0; i < f->n_bars; i++) {
		uint64_t len = resource_len(&res[i]), mask = ~(len - 1);

		if (!len)
			continue;
		if (res[i].flags & PCI_RES_IO) {
			f->bar_mask[i] = (uint32_t)mask & ~0x3u;
			f->bar_type[i] = 0x1;
			continue;
		}
		f->bar_mask[i] = (uint32_t)mask & ~0xfu;
		f->bar_type[i] = (res[i].flags & PCI_RES_PREFETCH ? 0x8 : 0) |
				 (res[i].flags & PCI_RES_MEM_64 ? 0x4 : 0);
		if (res[i].flags & PCI_RES_MEM_64 && i + 1 < f->n_bars)
			f->bar_mask[++i] = (uint32_t)(mask >> 32);
	}
	if (f->rom_off && resource_len(&res[PCI_ROM_RESOURCE]))
		f->rom_mask = (uint32_t) ~(resource_len(&res[PCI_ROM_RESOURCE]) - 1) | 0x1;
}

/* What the BARs in the dwords [START, END) read back after a write: the address bits they
 * decode and their type bits. */
static void bars_fixup(const struct config_filter *f, uint8_t *shadow, unsigned start, unsigned end)
{
	for (unsigned i = 0; i < f->n_bars; i++) {
		unsigned off = PCI_CFG_BAR0 + 4 * i;

		if (off >= start && off < end)
			put_le32(shadow + off,
				 (le32_at(shadow + off) & f->bar_mask[i]) | f->bar_type[i]);
	}
	if (f->rom_off && f->rom_off >= start && f->rom_off < end)
		put_le32(shadow + f->rom_off, le32_at(shadow + f->rom_off) & f->rom_mask);
}

static void pm_perms(struct config_filter *f, unsigned pos)
{
	/* PME_Support, PME_En and PME_Status virtual and clear, as vfio has them: the client
	 * cannot handle PME. Power state changes are refused: D3hot may lose the BARs. */
	perm(f, pos + 2, 2, 0, 0xf800, 0);
	perm(f, pos + 4, 2, 0x1f00, 0x8100, 0x8000);
	shadow_clear(f, pos + 3, 0xf8);
	shadow_clear(f, pos + 5, 0x81);
}

static void exp_perms(struct config_filter *f, const uint8_t *img, unsigned pos, unsigned len)
{
	/* Device Control: everything but Phantom Functions; Initiate FLR and Max Payload Size
	 * virtual (MPS must match the rest of the hierarchy). Every status bit stays. */
	perm(f, pos + 0x08, 2, 0xfdff, 0x80e0, 0);
	perm(f, pos + 0x0a, 2, 0, 0, 0x006f); /* error bits, Transactions Pending */
	perm(f, pos + 0x12, 2, 0, 0, 0xffff); /* Link, Slot and Root Status: all live */
	perm(f, pos + 0x1a, 2, 0, 0, 0xffff);
	perm(f, pos + 0x20, 4, 0, 0, 0x00030000);
	if (owns(f, pos + 0x09)) {
		f->devctl = pos + 0x08;
		f->devctl_flr = le32_at(img + pos + 0x04) & (1u << 28);
		shadow_clear(f, pos + 0x09, 0x80);
	}
	if (len > 0x28) {
		perm(f, pos + 0x28, 2, 0xffdf, 0, 0); /* Device Control 2 but ARI Forwarding */
		perm(f, pos + 0x32, 2, 0, 0, 0x0020);
	}
}

static void cap_perms(struct config_filter *f, const uint8_t *img, const struct region *r)
{
	unsigned pos = r->start;

	switch (r->id) {
	case CAP_PM:
		pm_perms(f, pos);
		break;
	case CAP_PCIX:
		perm(f, pos + 2, 2, 0xffff, 0, 0);
		perm(f, pos + 4, 4, 0, 0, 0x200c0000);
		if (r->len >= 24)
			perm(f, pos + 8, 4, UINT32_MAX, 0, 0); /* ECC control and status */
		break;
	case CAP_EXP:
		exp_perms(f, img, pos, r->len);
		break;
	case CAP_AF:
		perm(f, pos + 4, 1, 0x01, 0x01, 0); /* Initiate FLR */
		if (owns(f, pos + 4)) {
			f->af_ctrl = pos + 4;
			/* FLR and Transactions Pending capable */
			f->af_flr = (img[pos + 3] & 0x03) == 0x03;
			shadow_clear(f, pos + 4, 0x01);
		}
		break;
	}
}

static void walk_caps(struct config_filter *f, const uint8_t *img)
{
	unsigned pos = img[PCI_CAP_PTR] & 0xfc;

	if (!(img[PCI_CFG_STATUS] & PCI_STATUS_CAP_LIST))
		return;
	for (unsigned n = 0; n < MAX_CAPS && pos >= PCI_CFG_HEADER_SIZE; n++) {
		const struct cap_type *t = cap_type_find(false, img[pos]);
		unsigned len = cap_length(t, false, img, f->size, pos);
		struct region *r = region_add(f, REGION_CAP, img[pos], pos,
					      MIN(len, CONFIG_SPACE_LEGACY - pos), t && t->protect);

		if (!r)
			return;
		r->msi64 = r->id == CAP_MSI && le16_at(img + pos + 2) & 0x0080;
		cap_perms(f, img, r);
		pos = img[pos + 1] & 0xfc;
	}
}

static void ecap_perms(struct config_filter *f, const struct region *r)
{
	unsigned pos = r->start;

	switch (r->id) {
	case ECAP_ERR:
		/* As vfio: masks, severities and ECRC enables; the status bits are the AER
		 * driver's to clear. */
		perm(f, pos + 0x04, 4, 0, 0, 0x03fff031);
		perm(f, pos + 0x08, 4, 0x03fff031, 0, 0);
		perm(f, pos + 0x0c, 4, 0x03fff031, 0, 0);
		perm(f, pos + 0x10, 4, 0, 0, 0x0000f1c1);
		perm(f, pos + 0x14, 4, 0x0000f1c1, 0, 0);
		perm(f, pos + 0x18, 4, 0x00000140, 0, 0);
		break;
	case ECAP_PWR:
		perm(f, pos + 0x04, 1, 0xff, 0, 0); /* Data Select */
		break;
	}
}

static void walk_ecaps(struct config_filter *f, const uint8_t *img)
{
	unsigned pos = CONFIG_SPACE_LEGACY;

	if (f->size < CONFIG_SPACE_EXPRESS)
		return;
	for (unsigned n = 0; n < MAX_ECAPS && pos >= CONFIG_SPACE_LEGACY; n++) {
		uint32_t hdr = le32_at(img + pos);
		const struct cap_type *t = cap_type_find(true, hdr & 0xffff);
		struct region *r;

		if (hdr == 0 || hdr == UINT32_MAX)
			return;
		r = region_add(f, REGION_ECAP, hdr & 0xffff, pos,
			       cap_length(t, true, img, f->size, pos), t && t->protect);
		if (!r)
			return;
		ecap_perms(f, r);
		pos = (hdr >> 20) & 0xffc;
	}
}

static void raw_ranges(struct config_filter *f, const struct config_filter_options *opts)
{
	for (size_t i = 0; i < opts->n_raw; i++)
		for (unsigned b = opts->raw[i].start; b <= opts->raw[i].end && b < f->size; b++) {
			if (f->flags[b] & BYTE_PROTECTED)
				continue;
			f->write[b] = 0xff;
			f->virt[b] = f->drop[b] = 0;
			f->flags[b] |= BYTE_RAW;
		}
}

/* One allocation: the filter, its regions, then owner (2 bytes a byte) and the five byte maps. */
static struct config_filter *filter_alloc(size_t size)
{
	size_t regions = size == CONFIG_SPACE_EXPRESS ? MAX_REGIONS : 1 + MAX_CAPS;
	struct config_filter *f =
		calloc(1, sizeof(*f) + regions * sizeof(struct region) + size * 7);
	uint8_t *p;

	if (!f)
		return NULL;
	f->size = size;
	f->max_regions = regions;
	f->regions = (struct region *)f->data;
	f->owner = (uint16_t *)(f->regions + regions);
	p = (uint8_t *)(f->owner + size);
	f->write = p;
	f->virt = p + size;
	f->drop = p + 2 * size;
	f->flags = p + 3 * size;
	f->shadow = p + 4 * size;
	return f;
}

int config_filter_new(const uint8_t *image, size_t size,
		      const struct pci_resource res[PCI_NUM_RESOURCES],
		      const struct config_filter_options *opts, struct config_filter **ret)
{
	uint8_t img[CONFIG_SPACE_EXPRESS] = {0}; /* registers past SIZE read as 0 */
	struct config_filter *f;
	uint8_t type;

	if (size != CONFIG_SPACE_LEGACY && size != CONFIG_SPACE_EXPRESS)
		return -EINVAL;
	f = filter_alloc(size);
	if (!f)
		return -ENOMEM;
	memcpy(img, image, size);
	memcpy(f->shadow, image, size);
	type = img[PCI_HEADER_TYPE] & 0x7f;
	f->n_bars = type == 0 ? 6 : type == 1 ? 2 : 0;
	f->rom_off = type == 0 ? PCI_CFG_ROM : type == 1 ? 0x38 : 0;
	bars_init(f, res);
	header_perms(f, opts->dma);
	walk_caps(f, img);
	walk_ecaps(f, img);
	raw_ranges(f, opts);
	bars_fixup(f, f->shadow, 0, PCI_CFG_HEADER_SIZE);
	*ret = f;
	return 0;
}

void config_filter_free(struct config_filter *f)
{
	free(f);
}

void config_filter_freep(struct config_filter **f)
{
	config_filter_free(*f);
}

size_t config_filter_size(const struct config_filter *f)
{
	return f->size;
}

static bool in_range(const struct config_filter *f, unsigned off, size_t len)
{
	return off <= f->size && len <= f->size - off;
}

static uint8_t view_byte(const struct config_filter *f, unsigned i, uint8_t hw)
{
	return (uint8_t)((hw & ~f->virt[i]) | (f->shadow[i] & f->virt[i]));
}

int config_filter_read(const struct config_filter *f, unsigned off, size_t len, const uint8_t *hw,
		       uint8_t *ret)
{
	if (!in_range(f, off, len))
		return -EIO;
	for (size_t i = 0; i < len; i++)
		ret[i] = view_byte(f, off + i, hw[off + i]);
	return 0;
}

int config_filter_refused(const struct config_filter *f, unsigned off, size_t len,
			  const uint8_t *data, const uint8_t *hw, unsigned *ret_off)
{
	if (!in_range(f, off, len))
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned b = off + i;
		uint8_t change = (data[i] ^ view_byte(f, b, hw[b])) & ~f->drop[b];

		if (change & ~f->write[b]) {
			*ret_off = b;
			return 1;
		}
	}
	return 0;
}

static bool touches(unsigned off, size_t len, unsigned start, unsigned n)
{
	return off < start + n && start < off + len;
}

/* Client-initiated resets: Initiate FLR (PCIe) or AF FLR always reads back 0. */
static void plan_resets(const struct config_filter *f, unsigned off, size_t len,
			struct config_write_plan *p)
{
	if (f->devctl && touches(off, len, f->devctl + 1, 1) && p->shadow[f->devctl + 1] & 0x80) {
		p->shadow[f->devctl + 1] &= 0x7f;
		p->reset = p->reset || f->devctl_flr;
	}
	if (f->af_ctrl && touches(off, len, f->af_ctrl, 1) && p->shadow[f->af_ctrl] & 0x01) {
		p->shadow[f->af_ctrl] &= (uint8_t)~0x01;
		p->reset = p->reset || f->af_flr;
	}
}

static void plan_access(struct config_write_plan *p, unsigned b, bool *in_run)
{
	if (*in_run) {
		p->access[p->n_access - 1].len++;
		return;
	}
	p->access[p->n_access++] = (struct config_access){.off = (uint16_t)b, .len = 1};
	*in_run = true;
}

int config_filter_write(const struct config_filter *f, unsigned off, size_t len,
			const uint8_t *data, const uint8_t *hw, struct config_write_plan *ret)
{
	bool in_run = false;
	unsigned bad;

	if (len == 0)
		return -EINVAL;
	if (!in_range(f, off, len))
		return -EIO;
	if (config_filter_refused(f, off, len, data, hw, &bad))
		return -EPERM;
	/* Whole dwords: a BAR's sizing rewrites the bytes around the ones written. */
	ret->shadow_off = off & ~3u;
	ret->shadow_len = (unsigned)MIN((off + len + 3) & ~(size_t)3, f->size) - ret->shadow_off;
	memcpy(ret->shadow + ret->shadow_off, f->shadow + ret->shadow_off, ret->shadow_len);
	ret->n_access = 0;
	ret->reset = false;
	ret->intx = CONFIG_INTX_KEEP;
	for (size_t i = 0; i < len; i++) {
		unsigned b = off + i;
		uint8_t intx = b == INTX_BYTE ? INTX_BIT : 0;
		uint8_t to_shadow = f->write[b] & f->virt[b];
		uint8_t to_hw = f->write[b] & ~f->virt[b] & (uint8_t)~intx;
		uint8_t change = (data[i] ^ view_byte(f, b, hw[b])) & ~f->drop[b];

		ret->shadow[b] = (uint8_t)((f->shadow[b] & ~to_shadow) | (data[i] & to_shadow));
		ret->hw[b] = (uint8_t)((hw[b] & ~to_hw & ~f->drop[b]) | (data[i] & to_hw));
		if (change & to_hw || f->flags[b] & BYTE_RAW)
			plan_access(ret, b, &in_run);
		else
			in_run = false;
		if (change & intx)
			ret->intx = data[i] & intx ? CONFIG_INTX_MASK : CONFIG_INTX_UNMASK;
	}
	if (ret->shadow_off < PCI_CFG_HEADER_SIZE)
		bars_fixup(f, ret->shadow, ret->shadow_off, ret->shadow_off + ret->shadow_len);
	plan_resets(f, off, len, ret);
	return 0;
}

bool config_filter_needs_hw(const struct config_filter *f, unsigned off, size_t len)
{
	if (!in_range(f, off, len))
		return true;
	for (size_t i = 0; i < len; i++) {
		unsigned b = off + i;
		uint8_t to_hw = f->write[b] & ~f->virt[b];

		if (b == INTX_BYTE)
			return true; /* INTx Disable's change is judged against the device */
		/* A read-only bit of the device's: the write is judged against its value. */
		if (~f->write[b] & ~f->virt[b] & ~f->drop[b] & 0xff)
			return true;
		/* Bits kept from the device in a read-modify-write. */
		if (to_hw && ((to_hw | f->drop[b]) & 0xff) != 0xff)
			return true;
	}
	return false;
}

void config_filter_commit(struct config_filter *f, const struct config_write_plan *plan)
{
	memcpy(f->shadow + plan->shadow_off, plan->shadow + plan->shadow_off, plan->shadow_len);
}

unsigned config_filter_describe(const struct config_filter *f, unsigned off, char *buf, size_t size)
{
	const struct region *r;
	const struct cap_type *t;
	const struct field *fl;
	int n;

	if (off >= f->size || !f->owner[off]) {
		snprintf(buf, size, "unclaimed byte 0x%x", off);
		return off & ~3u;
	}
	r = &f->regions[f->owner[off] - 1];
	if (r->kind == REGION_HEADER) {
		fl = header_field(f->rom_off == 0x38, off);
		snprintf(buf, size, "%s", fl ? fl->name : "header");
		return fl ? fl->off : off & ~3u;
	}
	t = cap_type_find(r->kind == REGION_ECAP, r->id);
	fl = cap_field(t, r->kind == REGION_ECAP, r->msi64, off - r->start);
	if (t)
		n = snprintf(buf, size, "%s %scapability at 0x%x", t->name,
			     r->kind == REGION_ECAP && t->id != ECAP_VNDR ? "extended " : "",
			     r->start);
	else
		n = snprintf(buf, size, "%s capability 0x%x at 0x%x",
			     r->kind == REGION_ECAP ? "extended" : "unknown", r->id, r->start);
	if (fl && n >= 0 && (size_t)n < size)
		snprintf(buf + n, size - (size_t)n, ": %s", fl->name);
	return fl ? r->start + fl->off : off & ~3u;
}

bool config_filter_protected(const struct config_filter *f, unsigned off)
{
	return off < f->size && f->flags[off] & BYTE_PROTECTED;
}
