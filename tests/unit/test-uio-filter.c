/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The UIO backend's config path: client writes and reads through the filter, on a config image
 * in a temporary file and a fake sysfs directory (reset), as udrvd does them on the real file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdlib.h>

#include "backend-uio.h"
#include "macro.h"
#include "test-config-filter-util.h"

struct fixture {
	struct uio_dev u;
	struct image img;
	char dir[32];
};

static int fixture_new(struct fixture *x, const struct image *img, bool dma)
{
	struct config_filter_options opts = {.dma = dma};
	_cleanup_close_ int cfg = -1;

	*x = (struct fixture){.img = *img};
	strcpy(x->dir, "/tmp/udrv-uio-XXXXXX");
	if (!mkdtemp(x->dir))
		return -errno;
	x->u.devfd = open(x->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (x->u.devfd < 0)
		return -errno;
	cfg = openat(x->u.devfd, "config", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (cfg < 0 || pwrite(cfg, img->cfg, img->size, 0) != (ssize_t)img->size)
		return -EIO;
	memcpy(x->u.slot, "0000:01:00.0", PCI_SLOT_LEN);
	x->u.config_fd = TAKE_FD(cfg);
	x->u.uio_fd = -1;
	x->u.reset = POLICY_RESET_AUTO;
	memcpy(x->u.saved, img->cfg, PCI_CFG_HEADER_SIZE);
	return config_filter_new(img->cfg, img->size, img->res, &opts, &x->u.filter);
}

static void fixture_done(struct fixture *x)
{
	_cleanup_free_ char *cmd = NULL;

	config_filter_free(x->u.filter);
	closep(&x->u.config_fd);
	closep(&x->u.devfd);
	if (asprintf(&cmd, "rm -rf '%s'", x->dir) >= 0 && system(cmd) != 0)
		fprintf(stderr, "warning: could not remove %s\n", x->dir);
}

static int setup_edu(void **state)
{
	struct fixture *x = calloc(1, sizeof(*x));
	struct image img;

	if (!x || image_load_capture("noiommu", "0000:01:00.0", &img) < 0)
		return -1;
	img.cfg[5] = 0x04; /* INTx Disable set by the kernel after an interrupt */
	*state = x;
	return fixture_new(x, &img, false);
}

static int teardown(void **state)
{
	fixture_done(*state);
	free(*state);
	return 0;
}

/* The device's config file is the image except at OFF (LEN bytes of WANT). */
static void assert_device_but(struct fixture *x, unsigned off, const void *want, size_t len)
{
	uint8_t now[CONFIG_SPACE_EXPRESS], expect[CONFIG_SPACE_EXPRESS];

	memcpy(expect, x->img.cfg, x->img.size);
	if (len)
		memcpy(expect + off, want, len);
	assert_int_equal(pread(x->u.config_fd, now, x->img.size, 0), x->img.size);
	assert_memory_equal(now, expect, x->img.size);
}

static void test_refused(void **state)
{
	struct fixture *x = *state;
	static const struct {
		unsigned off;
		uint8_t data[4];
		size_t len;
	} bad[] = {
		{0x04, {0x06, 0x04}, 2},	     /* bus master on */
		{0x04, {0x06}, 1},		     /* the same, one byte */
		{0x00, {0x86, 0x80}, 2},	     /* vendor ID */
		{0x06, {0x00, 0x00}, 2},	     /* capabilities list bit */
		{0x40, {0x05, 0x00, 0x81}, 3},	     /* MSI enable */
		{0x44, {0x00, 0x00, 0xe0, 0xfe}, 4}, /* MSI address */
		{0x4c, {0x41}, 1},		     /* MSI data */
		{0x50, {0x01}, 1},		     /* no capability there */
		{0x3d, {0x02}, 1},		     /* interrupt pin */
	};

	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		assert_int_equal(uio_dev_config_write(&x->u, bad[i].off, bad[i].data, bad[i].len),
				 -EPERM);
	assert_device_but(x, 0, NULL, 0);
	/* Logged once per register: Command, Vendor ID, Status, MSI x3, 0x50, pin. */
	assert_int_equal(x->u.refusal_logged[0x00 / 8], 1u << 0 | 1u << 4 | 1u << 6);
	assert_int_equal(x->u.refusal_logged[0x40 / 8], 1u << 2 | 1u << 4);
	assert_int_equal(x->u.refusal_logged[0x48 / 8], 1u << 4);
	/* What the lease reports: the register, the first time only. */
	assert_string_equal(x->u.refusal.what, "Interrupt Pin");
	assert_int_equal(uio_dev_config_write(&x->u, bad[4].off, bad[4].data, bad[4].len), -EPERM);
	assert_false(x->u.refusal.report);
	assert_int_equal(x->u.refusal.off, 0x42);
	assert_string_equal(x->u.refusal.what, "MSI capability at 0x40: Message Control");
}

static void test_past_the_end(void **state)
{
	struct fixture *x = *state;
	uint8_t b[2] = {0};

	assert_int_equal(uio_dev_config_write(&x->u, 0x100, b, 1), -EIO);
	assert_int_equal(uio_dev_config_write(&x->u, 0xff, b, 2), -EIO);
	assert_int_equal(uio_dev_config_read(&x->u, 0xff, b, 2), -EIO);
}

static void test_intx_and_irq_enable(void **state)
{
	struct fixture *x = *state;
	uint8_t clear[2] = {0x03, 0x00}, set = 0x04, b;

	/* Clearing INTx Disable is an unmask: left to the caller's irq path (1). */
	assert_int_equal(uio_dev_config_write(&x->u, 0x04, clear, 2), 1);
	assert_device_but(x, 0, NULL, 0);
	assert_int_equal(uio_dev_irq_enable(&x->u), 0);
	b = 0x00;
	assert_device_but(x, 0x05, &b, 1);
	/* Setting it is done here, as udrvd's own masking is: Command written whole. */
	assert_int_equal(uio_dev_config_write(&x->u, 0x05, &set, 1), 0);
	assert_device_but(x, 0x05, &set, 1);
	assert_true(x->u.cmd_valid);
	assert_int_equal(x->u.cmd, 0x0403);
}

static void test_mem_enable(void **state)
{
	struct fixture *x = *state;
	uint8_t off = 0x00, on = 0x02;

	assert_int_equal(uio_dev_config_write(&x->u, 0x04, &off, 1), 0);
	assert_device_but(x, 0x04, &off, 1);
	assert_int_equal(uio_dev_config_write(&x->u, 0x04, &on, 1), 0);
	assert_device_but(x, 0x04, &on, 1);
}

static void test_bar_shadow(void **state)
{
	struct fixture *x = *state;
	uint8_t ones[4] = {0xff, 0xff, 0xff, 0xff}, got[4], line = 0x42;

	assert_int_equal(uio_dev_config_write(&x->u, 0x10, ones, 4), 0);
	assert_int_equal(uio_dev_config_write(&x->u, 0x30, ones, 4), 0);
	assert_int_equal(uio_dev_config_write(&x->u, 0x3c, &line, 1), 0);
	assert_device_but(x, 0, NULL, 0);
	assert_int_equal(uio_dev_config_read(&x->u, 0x10, got, 4), 0);
	assert_int_equal(get32(got), 0xfff00000);
	assert_int_equal(uio_dev_config_read(&x->u, 0x30, got, 4), 0);
	assert_int_equal(get32(got), 0);
	assert_int_equal(uio_dev_config_read(&x->u, 0x3c, got, 1), 0);
	assert_int_equal(got[0], 0x42);
	/* The rest reads as the device has it. */
	assert_int_equal(uio_dev_config_read(&x->u, 0x00, got, 4), 0);
	assert_int_equal(get32(got), 0x11e81234);
}

static void test_flr_resets(void **state)
{
	struct fixture x;
	struct image img;
	uint8_t devctl[2], got[8] = {0};
	_cleanup_close_ int fd = -1;

	image_nvme(&img);
	img.cfg[4] &= (uint8_t)~0x04;
	assert_int_equal(fixture_new(&x, &img, false), 0);
	/* A fake sysfs directory: writing "1" to reset is what pci_reset() does. */
	fd = openat(x.u.devfd, "reset", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	memcpy(devctl, img.cfg + 0x78, 2);
	devctl[1] |= 0x80;
	assert_int_equal(uio_dev_config_write(&x.u, 0x78, devctl, 2), 0);
	assert_int_equal(pread(fd, got, sizeof(got), 0), 1);
	assert_int_equal(got[0], '1');
	assert_int_equal(uio_dev_config_read(&x.u, 0x78, got, 2), 0);
	assert_int_equal(got[1] & 0x80, 0);
	fixture_done(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_refused, setup_edu, teardown),
		cmocka_unit_test_setup_teardown(test_past_the_end, setup_edu, teardown),
		cmocka_unit_test_setup_teardown(test_intx_and_irq_enable, setup_edu, teardown),
		cmocka_unit_test_setup_teardown(test_mem_enable, setup_edu, teardown),
		cmocka_unit_test_setup_teardown(test_bar_shadow, setup_edu, teardown),
		cmocka_unit_test(test_flr_resets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
