/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests the device model against a fixture tree: IDs, BARs, groups, resets, in-use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>

#include "macro.h"
#include "pci-device.h"
#include "strv.h"

static char root[] = "/tmp/udrv-unit-XXXXXX";

static int setup(void **state)
{
	_cleanup_free_ char *cmd = NULL;
	const char *src = getenv("UDRV_SRCDIR");

	if (!src || !mkdtemp(root))
		return -1;
	if (asprintf(&cmd,
		     "python3 '%s/tests/fixtures/mkfixture.py' tree '%s/t' "
		     "'%s/tests/fixtures/in-use.json'",
		     src, root, src) < 0)
		return -1;
	return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	_cleanup_free_ char *cmd = NULL;

	if (asprintf(&cmd, "rm -rf '%s'", root) < 0)
		return -1;
	return system(cmd) == 0 ? 0 : -1;
}

static struct pci_device *read_dev(const char *slot)
{
	_cleanup_free_ char *t = NULL;
	struct pci_device *d = NULL;

	assert_true(asprintf(&t, "%s/t", root) > 0);
	assert_int_equal(pci_device_read(t, slot, &d), 0);
	return d;
}

static void test_ids_and_bars(void **state)
{
	_cleanup_(pci_device_freep) struct pci_device *d = read_dev("0000:00:02.0");

	assert_int_equal(d->vendor, 0x1234);
	assert_int_equal(d->device, 0x1000);
	assert_int_equal(d->subsystem_vendor, 0x1af4);
	assert_int_equal(d->subsystem_device, 0x1100);
	assert_int_equal(d->class, 0x020000);
	assert_int_equal(d->revision, 0x10);
	assert_string_equal(d->driver, "e1000e");
	assert_null(d->driver_override);
	assert_int_equal(d->iommu_group, -1);
	assert_null(d->group_peers);
	assert_int_equal(d->numa_node, -1);
	assert_int_equal(d->irq, 16);
	assert_int_equal(d->res[0].start, 0xfe000000);
	assert_int_equal(pci_resource_size(&d->res[0]), 1 << 20);
	assert_true(d->res[0].flags & PCI_RES_MEM);
	assert_true(d->res[0].flags & PCI_RES_MEM_64);
	assert_int_equal(pci_resource_size(&d->res[1]), 0);
}

static void test_in_use(void **state)
{
	static const struct {
		const char *slot, *in_use;
	} cases[] = {
		{"0000:00:02.0", "network interface eth0 is up"},
		{"0000:00:03.0", NULL},
		{"0000:00:04.0", "block device nvme0n1 is mounted"},
		{"0000:00:05.0", "block device nvme1n1p1 is mounted"},
		{"0000:00:06.0", "block device nvme2n1 is used by dm-0"},
		{"0000:00:07.0", NULL},
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_(pci_device_freep) struct pci_device *d = read_dev(cases[i].slot);

		if (cases[i].in_use)
			assert_string_equal(d->in_use, cases[i].in_use);
		else
			assert_null(d->in_use);
	}
}

static void test_group_and_reset(void **state)
{
	_cleanup_(pci_device_freep) struct pci_device *a = read_dev("0000:00:08.0");
	_cleanup_(pci_device_freep) struct pci_device *b = read_dev("0000:00:08.1");

	assert_int_equal(a->iommu_group, 3);
	assert_int_equal(b->iommu_group, 3);
	assert_int_equal(strv_length(a->group_peers), 1);
	assert_string_equal(a->group_peers[0], "0000:00:08.1");
	assert_string_equal(b->group_peers[0], "0000:00:08.0");
	assert_null(a->reset_methods);
	assert_int_equal(strv_length(b->reset_methods), 1);
	assert_string_equal(b->reset_methods[0], "flr");
	assert_null(a->driver);
	assert_string_equal(b->driver_override, "uio_pci_generic");
}

static void test_missing_and_invalid(void **state)
{
	_cleanup_free_ char *t = NULL;
	struct pci_device *d = NULL;

	assert_true(asprintf(&t, "%s/t", root) > 0);
	assert_int_equal(pci_device_read(t, "0000:00:09.0", &d), -ENODEV);
	assert_int_equal(pci_device_read(t, "00:02.0", &d), -EINVAL);
	assert_int_equal(pci_device_read(t, "../../../etc", &d), -EINVAL);
	assert_null(d);
}

static void test_enumerate(void **state)
{
	_cleanup_free_ char *t = NULL;
	struct pci_device **l = NULL;
	size_t n = 0;

	assert_true(asprintf(&t, "%s/t", root) > 0);
	assert_int_equal(pci_device_enumerate(t, &l, &n), 0);
	assert_int_equal(n, 8);
	for (size_t i = 1; i < n; i++)
		assert_true(strcmp(l[i - 1]->slot, l[i]->slot) < 0);
	pci_device_list_free(l, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids_and_bars),	cmocka_unit_test(test_in_use),
		cmocka_unit_test(test_group_and_reset), cmocka_unit_test(test_missing_and_invalid),
		cmocka_unit_test(test_enumerate),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
