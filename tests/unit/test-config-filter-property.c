/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Property test of the config filter: 100 000 random writes per image never change the BARs,
 * ROM, MSI, MSI-X, PM power state or LnkCtl on the device, never turn bus mastering on when DMA
 * is forbidden, and a refused write changes nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "test-config-filter-util.h"

#define WRITES 100000

/* Bytes (with a mask of their bits) that no write may change on the device. */
struct guard {
	unsigned start, len;
	uint8_t mask;
};

struct subject {
	const char *name;
	struct image img;
	struct guard guards[8];
	unsigned hot[16]; /* offsets worth aiming at, 0-terminated */
};

static uint64_t rng_state = 0x5eed5eed1234abcdULL;

static uint32_t rnd(void)
{
	/* xorshift64*: deterministic, so a failure reproduces. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dULL) >> 32);
}

static void subject_capture(struct subject *s, const char *profile, const char *slot)
{
	assert_int_equal(image_load_capture(profile, slot, &s->img), 0);
	s->img.cfg[4] &= (uint8_t)~0x04; /* as udrvd leaves it when DMA is not allowed */
}

static void subjects(struct subject s[5])
{
	static const struct guard bars = {0x10, 0x18, 0xff}, rom = {0x30, 4, 0xff};

	s[0] = (struct subject){.name = "edu (noiommu)",
				.guards = {bars, rom, {0x40, 0x10, 0xff}},
				.hot = {0x04, 0x10, 0x30, 0x3c, 0x40, 0x44, 0x4c}};
	subject_capture(&s[0], "noiommu", "0000:01:00.0");
	s[1] = s[0];
	s[1].name = "edu (iommu)";
	subject_capture(&s[1], "iommu", "0000:01:00.0");
	s[2] = (struct subject){
		.name = "e1000e",
		.guards = {bars,
			   rom,
			   {0xd0, 0x10, 0xff},
			   {0xa0, 0xc, 0xff},
			   {0xcc, 1, 0x03},
			   {0xf0, 2, 0xff}},
		.hot = {0x04, 0x18, 0x30, 0xa0, 0xc8, 0xcc, 0xd0, 0xe8, 0xf0, 0x100, 0x104, 0x108}};
	subject_capture(&s[2], "noiommu", "0000:02:00.0");
	s[3] = (struct subject){
		.name = "NVMe",
		.guards = {bars,
			   rom,
			   {0x50, 0x18, 0xff},
			   {0xb0, 0xc, 0xff},
			   {0x44, 1, 0x03},
			   {0x80, 2, 0xff}},
		.hot = {0x04, 0x10, 0x44, 0x50, 0x5c, 0x60, 0x78, 0x80, 0x98, 0xb0, 0x108, 0x15c}};
	image_nvme(&s[3].img);
	s[3].img.cfg[4] &= (uint8_t)~0x04;
	s[4] = (struct subject){
		.name = "NIC",
		.guards = {bars,
			   rom,
			   {0x9c, 0xc, 0xff},
			   {0x44, 1, 0x03},
			   {0x70, 2, 0xff},
			   {0x188, 2, 0xff},
			   {0x236, 2, 0xff}},
		.hot = {0x04, 0x10, 0x30, 0x44, 0x68, 0x70, 0x9c, 0xc0, 0x188, 0x236, 0x300}};
	image_nic(&s[4].img);
}

static unsigned pick_offset(const struct subject *s)
{
	size_t n = 0;

	while (n < ELEMENTSOF(s->hot) && s->hot[n])
		n++;
	if (rnd() % 2 == 0 && n > 0)
		return s->hot[rnd() % n] + rnd() % 12;
	return rnd() % s->img.size;
}

static size_t pick_len(void)
{
	static const size_t lens[] = {1, 2, 4, 4, 4, 2, 8, 3};

	return rnd() % 16 == 0 ? 1 + rnd() % 64 : lens[rnd() % ELEMENTSOF(lens)];
}

/* Random bytes, the client's view with one bit flipped, its view unchanged, or all ones. */
static void pick_data(struct device_model *d, unsigned off, size_t len, uint8_t *data)
{
	unsigned kind = rnd() % 4;

	if (config_filter_read(d->f, off, len, d->hw, data) < 0)
		kind = 0;
	for (size_t i = 0; i < len; i++)
		if (kind == 0)
			data[i] = (uint8_t)rnd();
		else if (kind == 3)
			data[i] = 0xff;
	if (kind == 1)
		data[rnd() % len] ^= (uint8_t)(1u << (rnd() % 8));
}

static void check_guards(const struct subject *s, const uint8_t *hw, bool dma, unsigned off,
			 size_t len)
{
	for (size_t g = 0; g < ELEMENTSOF(s->guards) && s->guards[g].len; g++)
		for (unsigned b = s->guards[g].start; b < s->guards[g].start + s->guards[g].len;
		     b++)
			if ((hw[b] ^ s->img.cfg[b]) & s->guards[g].mask)
				fail_msg("%s: write of %zu bytes at 0x%x changed guarded byte 0x%x",
					 s->name, len, off, b);
	if (!dma && hw[4] & 0x04)
		fail_msg("%s: write of %zu bytes at 0x%x set bus mastering", s->name, len, off);
}

static bool in_write(const struct config_access *a, unsigned off, size_t len)
{
	return a->off >= off && a->off + a->len <= off + len;
}

static void run(const struct subject *s, bool dma, unsigned *ret_ok, unsigned *ret_refused)
{
	struct config_filter_options opts = {.dma = dma};
	static uint8_t hw[CONFIG_SPACE_EXPRESS];
	struct device_model *d = NULL;
	unsigned ok = 0, refused = 0;

	assert_int_equal(model_new(&s->img, &opts, &d), 0);
	for (unsigned i = 0; i < WRITES; i++) {
		unsigned off = pick_offset(s) % s->img.size;
		size_t len = pick_len();
		uint8_t data[64];
		int r;

		len = MIN(len, s->img.size - off);
		pick_data(d, off, len, data);
		memcpy(hw, d->hw, s->img.size);
		r = model_write(d, off, data, len);
		if (r == -EPERM) {
			/* The filter is const while planning: an unchanged device means an
			 * unchanged view too. */
			refused++;
			if (memcmp(hw, d->hw, s->img.size) != 0)
				fail_msg("%s: refused write at 0x%x changed the device", s->name,
					 off);
			continue;
		}
		if (r != 0)
			fail_msg("%s: write of %zu bytes at 0x%x: %d", s->name, len, off, r);
		ok++;
		for (size_t a = 0; a < d->plan.n_access; a++)
			assert_true(in_write(&d->plan.access[a], off, len));
		check_guards(s, d->hw, dma, off, len);
	}
	model_free(d);
	*ret_ok = ok;
	*ret_refused = refused;
}

static void test_random_writes(void **state)
{
	struct subject s[5];

	subjects(s);
	for (size_t i = 0; i < ELEMENTSOF(s); i++)
		for (int dma = 0; dma <= 1; dma++) {
			unsigned ok, refused;

			run(&s[i], dma, &ok, &refused);
			print_message("# %s, DMA %s: %u writes accepted, %u refused\n", s[i].name,
				      dma ? "allowed" : "forbidden", ok, refused);
			/* Both outcomes must be exercised for the property to mean anything. */
			assert_true(ok > WRITES / 20 && refused > WRITES / 20);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_writes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
