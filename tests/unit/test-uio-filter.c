/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The interim UIO config-write filter: only INTx Disable may change, and IRQ enable clears
 * exactly that bit. Runs on a config image in a temporary file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>

#include "backend-uio.h"
#include "macro.h"

static struct uio_dev u;
static uint8_t image[256];

static int setup(void **state)
{
	char tmpl[] = "/tmp/udrv-cfg-XXXXXX";
	int fd = mkstemp(tmpl);

	if (fd < 0)
		return -1;
	unlink(tmpl);
	for (size_t i = 0; i < sizeof(image); i++)
		image[i] = (uint8_t)(i * 7 + 3);
	image[4] = 0x02; /* MEM on, bus master off */
	image[5] = 0x04; /* INTx Disable set by the kernel after an interrupt */
	if (pwrite(fd, image, sizeof(image), 0) != sizeof(image))
		return -1;
	u = (struct uio_dev){.config_fd = fd, .cmd_hi = 0x04};
	return 0;
}

static int teardown(void **state)
{
	close(u.config_fd);
	return 0;
}

static void assert_image_but(unsigned off, uint8_t val)
{
	uint8_t now[256];

	assert_int_equal(pread(u.config_fd, now, sizeof(now), 0), sizeof(now));
	for (unsigned i = 0; i < sizeof(now); i++)
		assert_int_equal(now[i], i == off ? val : image[i]);
}

static void test_refused(void **state)
{
	static const struct {
		unsigned off;
		uint8_t data[4];
		size_t len;
	} bad[] = {
		{0x04, {0x06, 0x04}, 2}, /* bus master on */
		{0x04, {0x06}, 1},
		{0x04, {0x00, 0x04}, 2},	     /* MEM off: not yet mediated */
		{0x05, {0x05}, 1},		     /* SERR */
		{0x10, {0xff, 0xff, 0xff, 0xff}, 4}, /* BAR0 */
		{0x30, {0xff}, 1},		     /* ROM */
		{0x40, {0x01}, 1},		     /* a capability */
		{0x03, {0x00, 0x02}, 2},	     /* straddles into Command from BIST */
		{0x05, {0x00, 0x00}, 2},	     /* straddles out of Command */
		{0x04, {0}, 0},
	};

	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		assert_int_equal(uio_dev_config_write(&u, bad[i].off, bad[i].data, bad[i].len),
				 -EPERM);
	assert_image_but(0x05, 0x04);
}

static void test_intx_write(void **state)
{
	uint8_t clear[2] = {0x02, 0x00}, set = 0x04;

	assert_int_equal(uio_dev_config_write(&u, 0x04, clear, 2), 0);
	assert_image_but(0x05, 0x00);
	assert_int_equal(uio_dev_config_write(&u, 0x05, &set, 1), 0);
	assert_image_but(0x05, 0x04);
}

static void test_irq_enable(void **state)
{
	assert_int_equal(uio_dev_irq_enable(&u), 0);
	assert_image_but(0x05, 0x00);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_intx_write),
		cmocka_unit_test(test_irq_enable),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
