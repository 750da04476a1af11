/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for `udrvctl grant --dpdk`'s checks (which leases libudrv-dpdk.so serves) and its
 * LD_PRELOAD. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>

#include "udrv-internal.h"
#include "udrvctl.h"

/* A lease on SLOT with INFO (key, value, ..., NULL) and, when UIO, a "uio" fd. */
static struct lease *fake(const char *slot, bool uio, const char *const *info)
{
	struct lease *l = NULL;

	assert_int_equal(lease_new(slot, &l), 0);
	assert_int_equal(lease_add_fd(l, "ctl", open("/dev/null", O_RDONLY | O_CLOEXEC)), 0);
	assert_int_equal(lease_add_fd(l, "config", open("/dev/null", O_RDONLY | O_CLOEXEC)), 0);
	if (uio)
		assert_int_equal(lease_add_fd(l, "uio", open("/dev/null", O_RDWR | O_CLOEXEC)), 0);
	for (size_t i = 0; info[i]; i += 2)
		assert_int_equal(lease_add_info(l, info[i], info[i + 1]), 0);
	return l;
}

static void test_check(void **state)
{
	static const char *const ext_dma[] = {"backend", "uio-ext", "dma", "on", NULL};
	static const char *const ext_nodma[] = {"backend", "uio-ext", "dma", "off", NULL};
	static const char *const uio[] = {"backend", "uio", "dma", "on", NULL};
	static const char *const vfio[] = {"backend", "vfio", "dma", "iommu", NULL};
	static const char *const none[] = {NULL};
	struct lease *l[5];

	l[0] = fake("0000:00:03.0", true, ext_dma);
	l[1] = fake("0000:00:04.0", true, ext_nodma);
	l[2] = fake("0000:00:05.0", false, uio);
	l[3] = fake("0000:00:06.0", false, vfio);
	l[4] = fake("0000:00:07.0", false, none);
	assert_int_equal(grant_dpdk_check_one(l[0]), 0);
	assert_int_equal(grant_dpdk_check_one(l[1]), -EPERM);
	assert_int_equal(grant_dpdk_check_one(l[2]), -EOPNOTSUPP);
	assert_int_equal(grant_dpdk_check_one(l[3]), -EOPNOTSUPP);
	assert_int_equal(grant_dpdk_check_one(l[4]), -EOPNOTSUPP);
	/* One lease the library cannot serve refuses them all. */
	assert_int_equal(grant_dpdk_check(l, 1), 0);
	assert_int_equal(grant_dpdk_check(l, 2), -EPERM);
	assert_int_equal(grant_dpdk_check(l + 2, 3), -EOPNOTSUPP);
	for (size_t i = 0; i < ELEMENTSOF(l); i++)
		lease_free(l[i]);
}

static void test_preload(void **state)
{
	setenv("UDRV_DPDK_PRELOAD", "/nonexistent/libudrv-dpdk.so", 1);
	unsetenv("LD_PRELOAD");
	assert_int_equal(grant_dpdk_preload(), -ENOENT);
	assert_null(getenv("LD_PRELOAD"));

	/* First in LD_PRELOAD, the user's own kept after it. */
	setenv("UDRV_DPDK_PRELOAD", "/dev/null", 1);
	assert_int_equal(grant_dpdk_preload(), 0);
	assert_string_equal(getenv("LD_PRELOAD"), "/dev/null");
	setenv("LD_PRELOAD", "libfoo.so", 1);
	assert_int_equal(grant_dpdk_preload(), 0);
	assert_string_equal(getenv("LD_PRELOAD"), "/dev/null libfoo.so");
	unsetenv("LD_PRELOAD");
	unsetenv("UDRV_DPDK_PRELOAD");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_preload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
