/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: any config space, resources, ConfigWrite= ranges and writes through the
 * config filter; what reaches the device must never touch what the filter guards. */
#include <endian.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-filter.h"
#include "fuzz-input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* Bits of the device no write may change, found by walking the chain independently of the
 * filter: MSI and MSI-X whole, the PM power state, LnkCtl. Header rules are checked apart. */
static void guard_caps(const uint8_t *img, uint8_t *guard)
{
	unsigned pos = img[0x34] & 0xfc, len;

	if (!(img[0x06] & 0x10))
		return;
	for (int n = 0; n < 48 && pos >= 0x40; n++) {
		switch (img[pos]) {
		case 0x05:
			len = 12 + (img[pos + 2] & 0x80 ? 4 : 0) + (img[pos + 3] & 0x01 ? 8 : 0);
			memset(guard + pos, 0xff, MIN(len, 256 - pos));
			break;
		case 0x11:
			memset(guard + pos, 0xff, MIN(12u, 256 - pos));
			break;
		case 0x01:
			if (pos + 4 < 256)
				guard[pos + 4] |= 0x03;
			break;
		case 0x10:
			if (pos + 0x11 < 256)
				guard[pos + 0x10] = guard[pos + 0x11] = 0xff;
			break;
		}
		pos = img[pos + 1] & 0xfc;
	}
}

/* Of the header only Command's IO, MEM, parity, SERR (and bus mastering with DMA allowed), cache
 * line, latency timer and BIST reach the device; INTx Disable goes through udrvd's irq path. */
static void guard_header(uint8_t *guard, bool dma)
{
	memset(guard, 0xff, 0x40);
	guard[0x04] = dma ? 0xb8 : 0xbc;
	guard[0x05] = 0xfe;
	guard[0x0c] = guard[0x0d] = guard[0x0f] = 0;
}

/* Accesses are sorted, apart, and inside the write. */
static void check_plan(const struct config_write_plan *p, unsigned off, size_t len)
{
	unsigned end = off;

	for (size_t i = 0; i < p->n_access; i++) {
		const struct config_access *a = &p->access[i];

		CHECK(a->len > 0 && a->off >= off && a->off + a->len <= off + len,
		      "access %u+%u outside the write %u+%zu", a->off, a->len, off, len);
		CHECK(i == 0 || a->off > end, "accesses overlap or touch at 0x%x", a->off);
		end = a->off + a->len;
	}
}

static void apply(uint8_t *hw, const struct config_write_plan *p)
{
	for (size_t i = 0; i < p->n_access; i++)
		memcpy(hw + p->access[i].off, p->hw + p->access[i].off, p->access[i].len);
}

/* The client's view written back is accepted and reaches the device only on raw bytes. */
static void check_write_back(struct config_filter *f, const uint8_t *hw, unsigned off, size_t len,
			     const struct policy_range *raw, size_t n_raw,
			     struct config_write_plan *p)
{
	uint8_t view[CONFIG_SPACE_EXPRESS];

	if (config_filter_read(f, off, len, hw, view) < 0)
		return;
	CHECK(config_filter_write(f, off, len, view, hw, p) == 0,
	      "writing the view back at 0x%x+%zu was refused", off, len);
	for (size_t i = 0; i < p->n_access; i++)
		for (unsigned b = p->access[i].off; b < p->access[i].off + p->access[i].len; b++) {
			bool is_raw = false;

			for (size_t k = 0; k < n_raw; k++)
				is_raw = is_raw || (b >= raw[k].start && b <= raw[k].end);
			CHECK(is_raw, "writing the view back wrote non-raw byte 0x%x", b);
		}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t hw[CONFIG_SPACE_EXPRESS], guard[CONFIG_SPACE_EXPRESS];
	uint8_t *img;
	static struct config_write_plan plan;
	struct input in = {data, size};
	struct pci_resource res[PCI_NUM_RESOURCES] = {0};
	struct policy_range raw[3];
	struct config_filter *f = NULL;
	uint8_t flags = take8(&in);
	struct config_filter_options opts = {
		.dma = flags & 1, .raw = raw, .n_raw = (flags >> 2) % 4};
	size_t cfg_size = flags & 2 ? CONFIG_SPACE_EXPRESS : CONFIG_SPACE_LEGACY;

	for (size_t i = 0; i < opts.n_raw; i++) {
		/* As the policy parser allows: 0x40..0xfff, start <= end. */
		raw[i].start = (uint16_t)MAX(take16(&in) % 0x1000, 0x40);
		raw[i].end = (uint16_t)MAX(take16(&in) % 0x1000, raw[i].start);
	}
	for (int i = 0; i < PCI_NUM_RESOURCES; i++) {
		uint8_t log2 = take8(&in);

		if (log2)
			res[i] = (struct pci_resource){.start = 1ULL << 31,
						       .end = (1ULL << 31) + (1ULL << (log2 % 40)) -
							      1,
						       .flags = log2 & 0x80 ? 0x100 : 0x200};
	}
	/* Exactly SIZE bytes, so that reading past them is caught. */
	img = calloc(1, cfg_size);
	if (!img)
		abort();
	for (size_t i = 0; i < cfg_size && in.left; i++)
		img[i] = take8(&in);
	if (config_filter_new(img, cfg_size, res, &opts, &f) < 0)
		abort();
	memcpy(hw, img, cfg_size);
	memset(guard, 0, sizeof(guard));
	guard_header(guard, opts.dma);
	guard_caps(img, guard);

	while (in.left) {
		unsigned off = take16(&in) % (cfg_size + 8);
		size_t len = 1 + take8(&in) % 64;
		uint8_t buf[64];
		unsigned bad;
		int refused, r;

		for (size_t i = 0; i < len; i++)
			buf[i] = take8(&in);
		refused = config_filter_refused(f, off, len, buf, hw, &bad);
		if (off + len > cfg_size) {
			CHECK(config_filter_write(f, off, len, buf, hw, &plan) == -EIO,
			      "write past the end accepted");
			continue;
		}
		r = config_filter_write(f, off, len, buf, hw, &plan);
		CHECK(r == 0 || r == -EPERM, "unexpected %d", r);
		CHECK((r == -EPERM) == (refused == 1), "refused() and write() disagree at 0x%x",
		      off);
		if (r < 0) {
			CHECK(bad >= off && bad < off + len, "refused byte 0x%x outside", bad);
			continue;
		}
		check_plan(&plan, off, len);
		if (off <= 0x05 && off + len > 0x05) {
			uint8_t was = hw[0x05] & 0x04, want = buf[0x05 - off] & 0x04;

			CHECK(plan.intx == (was == want ? CONFIG_INTX_KEEP
					    : want	? CONFIG_INTX_MASK
							: CONFIG_INTX_UNMASK),
			      "INTx Disable %x -> %x planned as %d", was, want, plan.intx);
		} else
			CHECK(plan.intx == CONFIG_INTX_KEEP, "INTx planned for a write at 0x%x",
			      off);
		apply(hw, &plan);
		config_filter_commit(f, &plan);
		for (unsigned b = 0; b < cfg_size; b++)
			CHECK(!((hw[b] ^ img[b]) & guard[b]),
			      "byte 0x%x changed under guard 0x%02x (0x%02x -> 0x%02x)", b,
			      guard[b], img[b], hw[b]);
		check_write_back(f, hw, off, len, raw, opts.n_raw, &plan);
	}
	config_filter_free(f);
	free(img);
	return 0;
}
