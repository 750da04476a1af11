/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The config filter, one capability type at a time, on config spaces captured from the VM bed
 * (edu, e1000e) and on two constructed images of real hardware (NVMe SSD, 100 GbE NIC). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "test-config-filter-util.h"

#define EDU "0000:01:00.0"
#define E1000E "0000:02:00.0"

static const struct config_filter_options no_dma = {0};

static struct device_model *model(const struct image *m, const struct config_filter_options *o)
{
	struct device_model *d = NULL;

	assert_int_equal(model_new(m, o ?: &no_dma, &d), 0);
	return d;
}

static struct device_model *capture(const char *slot, const struct config_filter_options *o)
{
	struct image m;

	assert_int_equal(image_load_capture("noiommu", slot, &m), 0);
	return model(&m, o);
}

/* Refused writes return -EPERM and leave both the device and the client's view alone. */
static void assert_refused(struct device_model *d, unsigned off, const void *data, size_t len)
{
	uint8_t hw[CONFIG_SPACE_EXPRESS], view[CONFIG_SPACE_EXPRESS], after[CONFIG_SPACE_EXPRESS];
	unsigned bad = 0;

	memcpy(hw, d->hw, d->size);
	assert_int_equal(config_filter_read(d->f, 0, d->size, d->hw, view), 0);
	assert_int_equal(config_filter_refused(d->f, off, len, data, d->hw, &bad), 1);
	assert_in_range(bad, off, off + len - 1);
	assert_int_equal(model_write(d, off, data, len), -EPERM);
	assert_memory_equal(hw, d->hw, d->size);
	assert_int_equal(config_filter_read(d->f, 0, d->size, d->hw, after), 0);
	assert_memory_equal(view, after, d->size);
}

static void refused32(struct device_model *d, unsigned off, uint32_t v)
{
	v = htole32(v);
	assert_refused(d, off, &v, 4);
}

static void refused16(struct device_model *d, unsigned off, uint16_t v)
{
	v = htole16(v);
	assert_refused(d, off, &v, 2);
}

static void refused8(struct device_model *d, unsigned off, uint8_t v)
{
	assert_refused(d, off, &v, 1);
}

/* An accepted write that reaches no hardware. */
static void assert_virtual(struct device_model *d, unsigned off, const void *data, size_t len)
{
	uint8_t hw[CONFIG_SPACE_EXPRESS];

	memcpy(hw, d->hw, d->size);
	assert_int_equal(model_write(d, off, data, len), 0);
	assert_int_equal(d->plan.n_access, 0);
	assert_memory_equal(hw, d->hw, d->size);
}

static void virtual32(struct device_model *d, unsigned off, uint32_t v)
{
	v = htole32(v);
	assert_virtual(d, off, &v, 4);
}

static void assert_one_access(struct device_model *d, unsigned off, unsigned len)
{
	assert_int_equal(d->plan.n_access, 1);
	assert_int_equal(d->plan.access[0].off, off);
	assert_int_equal(d->plan.access[0].len, len);
}

static void test_sizes(void **state)
{
	struct image m = {.size = 100};
	struct config_filter *f = NULL;
	struct device_model *d;
	uint8_t buf[4] = {0};

	assert_int_equal(config_filter_new(m.cfg, m.size, m.res, &no_dma, &f), -EINVAL);
	d = capture(EDU, NULL);
	assert_int_equal(config_filter_size(d->f), 256);
	assert_int_equal(config_filter_read(d->f, 254, 4, d->hw, buf), -EIO);
	assert_int_equal(config_filter_write(d->f, 0x100, 1, buf, d->hw, &d->plan), -EIO);
	assert_int_equal(config_filter_write(d->f, 0x10, 0, buf, d->hw, &d->plan), -EINVAL);
	model_free(d);
	d = capture(E1000E, NULL);
	assert_int_equal(config_filter_size(d->f), 4096);
	assert_int_equal(model_read32(d, 0xffc), get32(d->hw + 0xffc));
	model_free(d);
}

static void test_ids_and_fixed_header(void **state)
{
	struct device_model *d = capture(EDU, NULL);

	assert_int_equal(model_read32(d, 0), 0x11e81234);
	refused16(d, 0x00, 0x8086);
	refused32(d, 0x08, 0);
	refused8(d, 0x0e, 0x80);	/* header type */
	refused8(d, 0x34, 0x50);	/* capability pointer */
	refused16(d, 0x2c, 0x1234);	/* subsystem vendor */
	refused8(d, 0x3d, 0x02);	/* interrupt pin */
	virtual32(d, 0x00, 0x11e81234); /* the same value: accepted, ignored */
	model_free(d);
}

static void test_command(void **state)
{
	struct config_filter_options dma = {.dma = true};
	struct device_model *d = capture(EDU, NULL);
	uint16_t cmd = model_read16(d, 0x04);

	/* MEM and IO decoding, parity and SERR reach the device, one byte at a time. */
	assert_int_equal(model_write16(d, 0x04, cmd ^ 0x0002), 0);
	assert_one_access(d, 0x04, 1);
	assert_int_equal(get16(d->hw + 4), cmd ^ 0x0002);
	assert_int_equal(model_write16(d, 0x04, cmd | 0x0143), 0);
	assert_int_equal(get16(d->hw + 4), cmd | 0x0143);
	/* Bus mastering only with DMA allowed; MWI, special cycles and VGA snoop never. */
	refused16(d, 0x04, cmd | 0x0004);
	refused8(d, 0x04, (uint8_t)(cmd | 0x04));
	refused8(d, 0x04, (uint8_t)(cmd | 0x10));
	refused8(d, 0x04, (uint8_t)(cmd | 0x08));
	refused8(d, 0x05, (uint8_t)((cmd | 0x0200) >> 8)); /* fast back-to-back */
	model_free(d);

	d = capture(EDU, &dma);
	assert_int_equal(model_write16(d, 0x04, cmd | 0x0004), 0);
	assert_true(d->hw[4] & 0x04);
	model_free(d);
}

static void test_intx_disable(void **state)
{
	struct device_model *d = capture(EDU, NULL);

	/* The kernel's handler sets it; the client's write clearing it is an unmask for udrvd's
	 * irq path, not a write of the plan. */
	d->hw[5] |= 0x04;
	assert_int_equal(model_write8(d, 0x05, d->hw[5] & ~0x04), 0);
	assert_int_equal(d->plan.n_access, 0);
	assert_int_equal(d->plan.intx, CONFIG_INTX_UNMASK);
	assert_int_equal(d->unmasks, 1);
	assert_int_equal(model_write8(d, 0x05, 0x04), 0);
	assert_int_equal(d->plan.intx, CONFIG_INTX_MASK);
	assert_int_equal(d->hw[5] & 0x04, 0x04);
	/* SERR with it: SERR goes to the device, INTx Disable as the device has it. */
	assert_int_equal(model_write8(d, 0x05, (uint8_t)((d->hw[5] ^ 0x01) & ~0x04)), 0);
	assert_one_access(d, 0x05, 1);
	assert_int_equal(d->plan.hw[5] & 0x04, 0x04);
	assert_int_equal(d->plan.intx, CONFIG_INTX_UNMASK);
	assert_int_equal(d->hw[5] & 0x04, 0);
	model_free(d);
}

static void test_status(void **state)
{
	struct device_model *d = capture(EDU, NULL);
	uint32_t cmdsts;

	/* A master abort is latched: a read-modify-write of Command+Status must work and must
	 * not clear it, and writing 1 to clear it is dropped. */
	d->hw[7] |= 0x20;
	cmdsts = model_read32(d, 0x04);
	assert_int_equal(model_write32(d, 0x04, cmdsts ^ 0x2), 0);
	assert_one_access(d, 0x04, 1);
	assert_int_equal(d->hw[7] & 0x20, 0x20);
	assert_int_equal(model_write16(d, 0x06, 0xf900 | (cmdsts >> 16)), 0);
	assert_int_equal(d->plan.n_access, 0);
	assert_int_equal(d->hw[7] & 0x20, 0x20);
	/* Read-only status bits: capabilities list, interrupt status. */
	refused16(d, 0x06, (uint16_t)(cmdsts >> 16) ^ 0x0010);
	refused8(d, 0x06, (uint8_t)(cmdsts >> 16) ^ 0x20); /* 66 MHz capable */
	/* Interrupt Status changes under the client: a stale value is no refusal. */
	assert_int_equal(model_write8(d, 0x06, (uint8_t)(cmdsts >> 16) ^ 0x08), 0);
	assert_int_equal(d->plan.n_access, 0);
	model_free(d);
}

static void test_cache_latency_bist(void **state)
{
	struct device_model *d = capture(EDU, NULL);

	uint8_t v[4] = {0x10, 0x20, d->hw[0x0e], 0x40};

	assert_int_equal(model_write(d, 0x0c, v, 4), 0);
	assert_int_equal(d->plan.n_access, 2); /* 0x0c-0x0d and 0x0f; not the header type */
	assert_int_equal(d->plan.access[0].off, 0x0c);
	assert_int_equal(d->plan.access[0].len, 2);
	assert_int_equal(d->plan.access[1].off, 0x0f);
	assert_int_equal(d->plan.access[1].len, 1);
	assert_memory_equal(d->hw + 0x0c, v, 4);
	model_free(d);
}

static void test_bar_sizing_edu(void **state)
{
	struct device_model *d = capture(EDU, NULL);
	uint32_t bar0 = model_read32(d, 0x10);

	assert_int_equal(bar0, 0xfe000000);
	virtual32(d, 0x10, 0xffffffff);
	assert_int_equal(model_read32(d, 0x10), 0xfff00000); /* 1 MiB, 32-bit memory */
	virtual32(d, 0x10, bar0);
	assert_int_equal(model_read32(d, 0x10), bar0);
	for (unsigned off = 0x14; off < 0x28; off += 4) {
		virtual32(d, off, 0xffffffff);
		assert_int_equal(model_read32(d, off), 0);
	}
	virtual32(d, 0x30, 0xfffffffe); /* no ROM */
	assert_int_equal(model_read32(d, 0x30), 0);
	/* Byte writes size too. */
	assert_int_equal(model_write8(d, 0x13, 0xff), 0);
	assert_int_equal(model_read32(d, 0x10), 0xff000000);
	model_free(d);
}

static void test_bar_sizing_e1000e(void **state)
{
	struct device_model *d = capture(E1000E, NULL);
	static const struct {
		unsigned off;
		uint32_t sized;
	} bars[] = {
		{0x10, 0xfffe0000},			/* 128 KiB memory */
		{0x14, 0xfffe0000}, {0x18, 0xffffffe1}, /* 32 ports of I/O */
		{0x1c, 0xffffc000},			/* 16 KiB memory */
		{0x20, 0},	    {0x24, 0},
	};

	for (size_t i = 0; i < ELEMENTSOF(bars); i++) {
		uint32_t orig = model_read32(d, bars[i].off);

		virtual32(d, bars[i].off, 0xffffffff);
		assert_int_equal(model_read32(d, bars[i].off), bars[i].sized);
		virtual32(d, bars[i].off, orig);
		assert_int_equal(model_read32(d, bars[i].off), orig);
	}
	/* ROM: 256 KiB; the enable bit is kept, in the shadow only. */
	virtual32(d, 0x30, 0xfffffffe);
	assert_int_equal(model_read32(d, 0x30), 0xfffc0000);
	virtual32(d, 0x30, 0xffffffff);
	assert_int_equal(model_read32(d, 0x30), 0xfffc0001);
	assert_int_equal(get32(d->hw + 0x30), 0xfde00000);
	model_free(d);
}

static void test_bar_sizing_64(void **state)
{
	struct device_model *d;
	struct image m;

	image_nvme(&m);
	d = model(&m, NULL);
	virtual32(d, 0x10, 0xffffffff);
	virtual32(d, 0x14, 0xffffffff);
	assert_int_equal(model_read32(d, 0x10), 0xffffc004); /* 16 KiB, 64-bit */
	assert_int_equal(model_read32(d, 0x14), 0xffffffff);
	model_free(d);
	image_nic(&m);
	d = model(&m, NULL);
	virtual32(d, 0x10, 0xffffffff);
	assert_int_equal(model_read32(d, 0x10), 0xfe00000c); /* 32 MiB, 64-bit prefetchable */
	virtual32(d, 0x30, 0xfffffffe);
	assert_int_equal(model_read32(d, 0x30), 0xfff00000);
	model_free(d);
}

static void test_interrupt_line(void **state)
{
	struct device_model *d = capture(EDU, NULL);
	uint8_t line = 0x55;

	assert_virtual(d, 0x3c, &line, 1);
	assert_int_equal(model_read8(d, 0x3c), 0x55);
	assert_int_equal(d->hw[0x3c], 0x0b);
	/* Line and pin in one write: the pin unchanged is fine. */
	assert_int_equal(model_write16(d, 0x3c, 0x0107), 0);
	assert_int_equal(model_read16(d, 0x3c), 0x0107);
	refused16(d, 0x3c, 0x0207);
	model_free(d);
}

/* Which writes can skip reading the device: wholly writable or wholly shadowed bytes only;
 * and skipping gives the same result as reading. */
static void test_needs_hw(void **state)
{
	struct device_model *d = capture(EDU, NULL);
	struct config_write_plan blind;
	uint8_t hw[CONFIG_SPACE_EXPRESS], cl = 0x10, bar[4] = {0xff, 0xff, 0xff, 0xff};

	assert_false(config_filter_needs_hw(d->f, 0x0c, 1)); /* cache line size */
	assert_false(config_filter_needs_hw(d->f, 0x10, 4)); /* BAR0: shadow */
	assert_false(config_filter_needs_hw(d->f, 0x3c, 1)); /* interrupt line: shadow */
	assert_true(config_filter_needs_hw(d->f, 0x04, 2));  /* Command: device bits kept */
	assert_true(config_filter_needs_hw(d->f, 0x05, 1));  /* INTx Disable */
	assert_true(config_filter_needs_hw(d->f, 0x06, 2));  /* Status: read-only */
	assert_true(config_filter_needs_hw(d->f, 0x3c, 2));  /* interrupt pin: read-only */
	assert_true(config_filter_needs_hw(d->f, 0x42, 2));  /* MSI */
	assert_true(config_filter_needs_hw(d->f, 0xfff, 2)); /* past the end */
	/* The blind plan (hw = ~data) writes the same bytes the informed one does. */
	memcpy(hw, d->hw, sizeof(hw));
	hw[0x0c] = (uint8_t)~cl;
	assert_int_equal(config_filter_write(d->f, 0x0c, 1, &cl, hw, &blind), 0);
	assert_int_equal(config_filter_write(d->f, 0x0c, 1, &cl, d->hw, &d->plan), 0);
	assert_int_equal(blind.hw[0x0c], 0x10);
	assert_int_equal(blind.n_access, 1);
	hw[0x10] = 0;
	assert_int_equal(config_filter_write(d->f, 0x10, 4, bar, hw, &blind), 0);
	assert_int_equal(blind.n_access, 0); /* BAR sizing never reaches the device */
	model_free(d);
}

static void test_msi(void **state)
{
	struct device_model *d = capture(EDU, NULL);
	uint16_t ctl = model_read16(d, 0x42);

	assert_int_equal(ctl, 0x0080);	  /* 64-bit, disabled */
	refused16(d, 0x42, ctl | 0x0001); /* enable */
	refused16(d, 0x42, ctl | 0x0010); /* multiple message enable */
	refused32(d, 0x44, 0xfee00000);	  /* address */
	refused32(d, 0x48, 0x00000001);	  /* upper address */
	refused16(d, 0x4c, 0x0041);	  /* data */
	refused8(d, 0x41, 0x50);	  /* next pointer */
	assert_int_equal(model_write32(d, 0x40, model_read32(d, 0x40)), 0); /* unchanged */
	assert_int_equal(d->plan.n_access, 0);
	model_free(d);

	d = capture(E1000E, NULL);
	refused16(d, 0xd2, 0x0081);
	refused32(d, 0xd4, 0xfee00000);
	model_free(d);
}

static void test_msi_masked(void **state)
{
	struct device_model *d;
	struct image m;

	/* Per-vector masking moves data to 0xc and adds mask and pending bits: still read-only. */
	image_nvme(&m);
	d = model(&m, NULL);
	refused16(d, 0x5c, 0x4000);
	refused32(d, 0x60, 0x1);
	refused32(d, 0x64, 0x1);
	model_free(d);
}

static void test_msix(void **state)
{
	struct device_model *d = capture(E1000E, NULL);
	uint16_t ctl = model_read16(d, 0xa2);

	refused16(d, 0xa2, ctl ^ 0x8000); /* enable */
	refused16(d, 0xa2, ctl ^ 0x4000); /* function mask */
	refused32(d, 0xa4, 0x00001000);	  /* table offset: read-only in hardware anyway */
	model_free(d);
}

static void test_pm(void **state)
{
	struct device_model *d = capture(E1000E, NULL);
	uint16_t pmcsr = model_read16(d, 0xcc);

	refused16(d, 0xcc, pmcsr | 0x0003); /* D3hot */
	refused16(d, 0xcc, pmcsr | 0x0001); /* D1 */
	refused16(d, 0xca, 0xffff);	    /* PMC */
	/* PME_En: virtual; PME_Status: dropped; Data_Select: to the device. */
	d->hw[0xcd] |= 0x80;
	assert_int_equal(model_read16(d, 0xcc) & 0x8000, 0);
	assert_int_equal(model_write16(d, 0xcc, pmcsr | 0x8100), 0);
	assert_int_equal(d->plan.n_access, 0);
	assert_int_equal(model_read16(d, 0xcc), pmcsr | 0x0100);
	assert_int_equal(model_write16(d, 0xcc, pmcsr | 0x0100 | 0x0600), 0);
	assert_one_access(d, 0xcd, 1);
	/* Written with PME_Status 0 so as not to clear it, PME_En as the device had it. */
	assert_int_equal(d->hw[0xcd], 0x86 & ~0x80);
	model_free(d);
}

static void test_pcie_devctl(void **state)
{
	struct device_model *d = capture(E1000E, NULL);
	uint16_t devctl = model_read16(d, 0xe8);

	/* Error reporting enables and relaxed ordering reach the device. */
	assert_int_equal(model_write16(d, 0xe8, devctl | 0x001f), 0);
	assert_one_access(d, 0xe8, 1);
	assert_int_equal(get16(d->hw + 0xe8), devctl | 0x001f);
	/* Max payload size: virtual. Max read request: to the device. */
	assert_int_equal(model_write16(d, 0xe8, devctl | 0x001f | 0x0020 | 0x2000), 0);
	assert_one_access(d, 0xe9, 1);
	assert_int_equal(get16(d->hw + 0xe8), devctl | 0x001f | 0x2000);
	assert_int_equal(model_read16(d, 0xe8), devctl | 0x001f | 0x0020 | 0x2000);
	refused16(d, 0xe8, model_read16(d, 0xe8) | 0x0200); /* phantom functions */
	/* Initiate FLR without FLR support: reads 0, nothing happens. */
	assert_int_equal(model_write16(d, 0xe8, model_read16(d, 0xe8) | 0x8000), 0);
	assert_int_equal(d->resets, 0);
	assert_int_equal(model_read16(d, 0xe8) & 0x8000, 0);
	/* Device Status: error bits dropped, the rest read-only. */
	d->hw[0xea] = 0x04;
	assert_int_equal(model_write16(d, 0xea, 0x000f), 0);
	assert_int_equal(d->hw[0xea], 0x04);
	refused16(d, 0xea, 0x0014);			     /* Aux Power Detected */
	assert_int_equal(model_write16(d, 0xea, 0x0024), 0); /* Transactions Pending: live */
	model_free(d);
}

static void test_pcie_rest(void **state)
{
	struct device_model *d = capture(E1000E, NULL);

	refused16(d, 0xf0, 0x0003);	/* LnkCtl: ASPM */
	refused16(d, 0xf0, 0x0010);	/* LnkCtl: link disable */
	refused32(d, 0xe4, 0xffffffff); /* DevCap */
	refused32(d, 0xec, 0);		/* LnkCap */
	refused16(d, 0xe2, 0x0002);	/* PCIe capabilities */
	/* Link Status' write-1-to-clear bits are dropped. */
	assert_int_equal(model_write16(d, 0xf2, model_read16(d, 0xf2) | 0xc000), 0);
	assert_int_equal(d->plan.n_access, 0);
	model_free(d);
}

static void test_pcie_v2_flr(void **state)
{
	struct device_model *d;
	struct image m;
	uint16_t devctl2;

	image_nvme(&m);
	d = model(&m, NULL);
	devctl2 = model_read16(d, 0x98);
	/* Device Control 2 but ARI forwarding. */
	assert_int_equal(model_write16(d, 0x98, devctl2 | 0x0005), 0);
	assert_int_equal(get16(d->hw + 0x98), devctl2 | 0x0005);
	refused16(d, 0x98, devctl2 | 0x0020);
	refused16(d, 0xa0, 0x0001); /* Link Control 2 */
	refused16(d, 0x88, 0x0001); /* Slot Control */
	/* Initiate FLR with FLR support: a reset, and the bit reads 0. */
	assert_int_equal(model_write16(d, 0x78, model_read16(d, 0x78) | 0x8000), 0);
	assert_true(d->plan.reset);
	assert_int_equal(d->resets, 1);
	assert_int_equal(model_read16(d, 0x78) & 0x8000, 0);
	assert_int_equal(get16(d->hw + 0x78), 0x5957);
	model_free(d);
}

static void test_aer(void **state)
{
	struct device_model *d = capture(E1000E, NULL);
	uint32_t sev = model_read32(d, 0x10c);

	assert_int_equal(model_write32(d, 0x108, 0x00100000), 0); /* mask UR */
	assert_int_equal(get32(d->hw + 0x108), 0x00100000);
	assert_int_equal(model_write32(d, 0x10c, sev & ~0x00040000), 0);
	assert_int_equal(get32(d->hw + 0x10c), sev & ~0x00040000);
	assert_int_equal(model_write32(d, 0x118, 0x000000a0 | 0x140), 0); /* ECRC enables */
	assert_int_equal(get32(d->hw + 0x118), 0x1e0);
	refused32(d, 0x118, 0x140); /* ECRC capable bits: read-only */
	/* Status: write-1-to-clear, dropped. Header log and capability header: read-only. */
	d->hw[0x106] = 0x10;
	assert_int_equal(model_write32(d, 0x104, 0x03fff031), 0);
	assert_int_equal(d->hw[0x106], 0x10);
	refused32(d, 0x11c, 0x1);
	refused32(d, 0x100, 0x00010001);
	refused32(d, 0x108, 0x00000002); /* a reserved mask bit */
	model_free(d);
}

static void test_other_ecaps(void **state)
{
	struct device_model *d = capture(E1000E, NULL);
	struct image m;

	refused32(d, 0x144, 0); /* serial number */
	model_free(d);
	image_nic(&m);
	d = model(&m, NULL);
	refused16(d, 0x188, 0x0001); /* SR-IOV: VF Enable */
	refused16(d, 0x236, 0x001f); /* ACS control */
	refused16(d, 0x154, 0x0000); /* ARI */
	model_free(d);
	image_nvme(&m);
	d = model(&m, NULL);
	assert_int_equal(model_write8(d, 0x15c, 0x03), 0); /* power budgeting data select */
	assert_int_equal(d->hw[0x15c], 0x03);
	refused32(d, 0x160, 0x1);
	refused32(d, 0x18c, 0);		 /* LTR */
	refused32(d, 0x19c, 0x0000000f); /* L1 PM substates control */
	model_free(d);
}

static void test_vendor_and_unclaimed(void **state)
{
	struct policy_range vsec[] = {{0xc4, 0xd7}, {0x300, 0x31f}, {0x4e, 0x5f}};
	struct config_filter_options opts = {.raw = vsec, .n_raw = ELEMENTSOF(vsec)};
	struct device_model *d;
	struct image m;

	image_nic(&m);
	d = model(&m, NULL);
	refused32(d, 0xc4, 0x00ad0000); /* vendor-specific */
	refused32(d, 0x308, 0x1);	/* vendor-specific extended */
	refused32(d, 0xe0, 0x1);	/* no capability there */
	refused32(d, 0x800, 0x1);
	model_free(d);

	/* ConfigWrite= makes them raw: written as given, even unchanged. */
	d = model(&m, &opts);
	assert_int_equal(model_write32(d, 0xc4, get32(m.cfg + 0xc4)), 0);
	assert_one_access(d, 0xc4, 4);
	assert_int_equal(model_write32(d, 0x308, 0x12345678), 0);
	assert_int_equal(get32(d->hw + 0x308), 0x12345678);
	refused8(d, 0xc2, 0x20);  /* the capability's length is not in the range */
	refused32(d, 0x800, 0x1); /* nor is 0x800 */
	model_free(d);

	d = capture(EDU, &opts);
	assert_int_equal(model_write32(d, 0x50, 0xcafe), 0);
	assert_int_equal(get32(d->hw + 0x50), 0xcafe);
	/* ...but not into MSI, whatever the policy says. */
	refused16(d, 0x4c, 0x0041);
	refused8(d, 0x4e, 0x1);
	assert_true(config_filter_protected(d->f, 0x4e));
	assert_false(config_filter_protected(d->f, 0x50));
	model_free(d);
}

static void test_protected(void **state)
{
	struct policy_range all[] = {{0x40, 0xfff}};
	struct config_filter_options opts = {.raw = all, .n_raw = 1};
	struct device_model *d = capture(E1000E, &opts);

	/* MSI-X, PM, MSI and PCIe keep their rules; AER and DSN are opened. */
	assert_true(config_filter_protected(d->f, 0x04));
	assert_true(config_filter_protected(d->f, 0xa2));
	assert_true(config_filter_protected(d->f, 0xcc));
	assert_true(config_filter_protected(d->f, 0xd4));
	assert_true(config_filter_protected(d->f, 0xf0));
	assert_false(config_filter_protected(d->f, 0x104));
	assert_false(config_filter_protected(d->f, 0x50));
	refused16(d, 0xa2, 0x8004 ^ 0x8000);
	refused16(d, 0xcc, 0x0003);
	refused16(d, 0xf0, 0x0003);
	assert_int_equal(model_write32(d, 0x144, 0x1), 0);
	assert_int_equal(get32(d->hw + 0x144), 0x1);
	model_free(d);
}

static void test_describe(void **state)
{
	static const struct {
		const char *slot; /* NULL: the NIC image */
		unsigned off, reg;
		const char *name;
	} cases[] = {
		{EDU, 0x42, 0x42, "MSI capability at 0x40: Message Control"},
		{EDU, 0x46, 0x44, "MSI capability at 0x40: Message Address"},
		{EDU, 0x4d, 0x4c, "MSI capability at 0x40: Message Data"},
		{EDU, 0x05, 0x04, "Command register"},
		{EDU, 0x12, 0x10, "BAR0"},
		{EDU, 0x50, 0x50, "unclaimed byte 0x50"},
		{E1000E, 0xf1, 0xf0, "PCI Express capability at 0xe0: Link Control"},
		{E1000E, 0xa3, 0xa2, "MSI-X capability at 0xa0: Message Control"},
		{E1000E, 0xcc, 0xcc, "Power Management capability at 0xc8: PMCSR"},
		{E1000E, 0xc9, 0xc9,
		 "Power Management capability at 0xc8: Next Capability Pointer"},
		{E1000E, 0x10a, 0x108,
		 "AER extended capability at 0x100: Uncorrectable Error Mask"},
		{E1000E, 0x144, 0x144, "Device Serial Number extended capability at 0x140"},
		{NULL, 0xc5, 0xc4, "vendor-specific capability at 0xc0"},
		{NULL, 0x300, 0x300,
		 "vendor-specific extended capability at 0x300: Extended Capability Header"},
		{NULL, 0x18a, 0x188, "SR-IOV extended capability at 0x180"},
	};
	char buf[CONFIG_FILTER_NAME_MAX];

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct device_model *d;
		struct image m;

		if (cases[i].slot)
			d = capture(cases[i].slot, NULL);
		else {
			image_nic(&m);
			d = model(&m, NULL);
		}
		assert_int_equal(config_filter_describe(d->f, cases[i].off, buf, sizeof(buf)),
				 cases[i].reg);
		assert_string_equal(buf, cases[i].name);
		model_free(d);
	}
}

static void test_malformed_chains(void **state)
{
	struct device_model *d;
	struct image m;

	/* A capability pointing at itself, and an extended one too: both walks end. */
	image_nvme(&m);
	put_cap(&m, 0xb0, 0x11, 0xb0);
	put_ecap(&m, 0x190, 0x001e, 1, 0x190);
	d = model(&m, NULL);
	refused16(d, 0xb2, 0x8020);
	model_free(d);
	/* A pointer into the header and all-ones extended space: no capabilities at all. */
	image_nvme(&m);
	put8(&m, 0x34, 0x3c);
	memset(m.cfg + 0x100, 0xff, 0xf00);
	d = model(&m, NULL);
	virtual32(d, 0x3c, 0x0107); /* the header still rules: the interrupt line is virtual */
	refused16(d, 0x52, 0x0181);
	refused32(d, 0x108, 0x0);
	model_free(d);
	/* A vendor capability claiming more than is left. */
	image_nic(&m);
	put8(&m, 0xc2, 0xff);
	d = model(&m, NULL);
	refused8(d, 0xff, 0x1);
	model_free(d);
}

static void test_caps_at_the_end(void **state)
{
	uint8_t *img = calloc(1, CONFIG_SPACE_LEGACY); /* exactly: reading past it is caught */
	struct pci_resource res[PCI_NUM_RESOURCES] = {0};
	struct config_write_plan *plan = calloc(1, sizeof(*plan));
	struct config_filter *f = NULL;
	uint8_t flr = 0x01, ctl[2] = {0x81, 0x01};
	unsigned bad;

	/* Advanced Features, MSI and PCI Express in the last dwords of a 256-byte space. */
	assert_non_null(img);
	assert_non_null(plan);
	img[0x06] = 0x10;
	img[0x34] = 0xf0;
	memcpy(img + 0xf0, (uint8_t[]){0x13, 0xf8, 0x06, 0x03}, 4);
	memcpy(img + 0xf8, (uint8_t[]){0x05, 0xfc, 0x80, 0x01}, 4);
	memcpy(img + 0xfc, (uint8_t[]){0x10, 0x00, 0x02, 0x00}, 4);
	assert_int_equal(config_filter_new(img, CONFIG_SPACE_LEGACY, res, &no_dma, &f), 0);
	assert_int_equal(config_filter_write(f, 0xf4, 1, &flr, img, plan), 0);
	assert_true(plan->reset);
	assert_int_equal(plan->n_access, 0);
	assert_int_equal(config_filter_refused(f, 0xfa, 2, ctl, img, &bad), 1);
	assert_int_equal(bad, 0xfa);
	assert_int_equal(config_filter_refused(f, 0xfe, 2, ctl, img, &bad), 1);
	config_filter_free(f);
	free(plan);
	free(img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_ids_and_fixed_header),
		cmocka_unit_test(test_command),
		cmocka_unit_test(test_intx_disable),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_cache_latency_bist),
		cmocka_unit_test(test_bar_sizing_edu),
		cmocka_unit_test(test_bar_sizing_e1000e),
		cmocka_unit_test(test_bar_sizing_64),
		cmocka_unit_test(test_interrupt_line),
		cmocka_unit_test(test_needs_hw),
		cmocka_unit_test(test_msi),
		cmocka_unit_test(test_msi_masked),
		cmocka_unit_test(test_msix),
		cmocka_unit_test(test_pm),
		cmocka_unit_test(test_pcie_devctl),
		cmocka_unit_test(test_pcie_rest),
		cmocka_unit_test(test_pcie_v2_flr),
		cmocka_unit_test(test_aer),
		cmocka_unit_test(test_other_ecaps),
		cmocka_unit_test(test_vendor_and_unclaimed),
		cmocka_unit_test(test_protected),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_malformed_chains),
		cmocka_unit_test(test_caps_at_the_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
