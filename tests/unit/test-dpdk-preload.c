/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for libudrv-dpdk.so's pure parts: which of DPDK's paths are a leased function's,
 * and the pagemap entries made from bus addresses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>

#include "dpdk-pagemap.h"
#include "dpdk-path.h"
#include "macro.h"

static const char sysfs[] = "/sys/bus/pci/devices";

static void expect_path(const char *path, enum dpdk_path_kind kind, const char *slot,
			unsigned index)
{
	struct dpdk_path p;

	print_message("%s\n", path);
	dpdk_path_match(sysfs, path, &p);
	assert_int_equal(p.kind, kind);
	assert_string_equal(p.slot, slot);
	assert_int_equal(p.index, index);
}

static void test_paths(void **state)
{
	/* What DPDK 22.11 opens: pci.c (driver link), pci_uio.c (uio node, config, BARs),
	 * eal_memory.c (pagemap). */
	expect_path("/sys/bus/pci/devices/0000:00:03.0/driver", DPDK_PATH_DRIVER, "0000:00:03.0",
		    0);
	expect_path("/sys/bus/pci/devices/0000:0a:1f.7/driver", DPDK_PATH_DRIVER, "0000:0a:1f.7",
		    0);
	expect_path("/sys/bus/pci/devices/0000:00:03.0/resource0", DPDK_PATH_RESOURCE,
		    "0000:00:03.0", 0);
	expect_path("/sys/bus/pci/devices/0000:00:03.0/resource5", DPDK_PATH_RESOURCE,
		    "0000:00:03.0", 5);
	expect_path("/sys/bus/pci/devices/0000:00:03.0/resource2_wc", DPDK_PATH_RESOURCE_WC,
		    "0000:00:03.0", 2);
	expect_path("/dev/uio0", DPDK_PATH_UIO_DEV, "", 0);
	expect_path("/dev/uio17", DPDK_PATH_UIO_DEV, "", 17);
	expect_path("/sys/class/uio/uio3/device/config", DPDK_PATH_UIO_CONFIG, "", 3);
	expect_path("/proc/self/pagemap", DPDK_PATH_PAGEMAP, "", 0);

	/* Everything else is passed through untouched. */
	static const char *const other[] = {
		"/sys/bus/pci/devices/0000:00:03.0/resource",
		"/sys/bus/pci/devices/0000:00:03.0/resource6",
		"/sys/bus/pci/devices/0000:00:03.0/resource01",
		"/sys/bus/pci/devices/0000:00:03.0/resource0_wcx",
		"/sys/bus/pci/devices/0000:00:03.0/resource0/x",
		"/sys/bus/pci/devices/0000:00:03.0/config",
		"/sys/bus/pci/devices/0000:00:03.0/vendor",
		"/sys/bus/pci/devices/0000:00:03.0/driver/unbind",
		"/sys/bus/pci/devices/0000:00:03.8/driver",
		"/sys/bus/pci/devices/../devices/0000:00:03.0/driver",
		"/sys/bus/pci/devices/driver",
		"/sys/bus/pci/devicesX/0000:00:03.0/driver",
		"/sys/bus/pci/devices0000:00:03.0/driver",
		"/dev/uio",
		"/dev/uio-ext",
		"/dev/uio01",
		"/dev/uio0/x",
		"/dev/uioX",
		"/dev/uio99999999999",
		"/sys/class/uio/uio3/device/config2",
		"/sys/class/uio/uio3/config",
		"/sys/class/uio/uio3/device/resource0",
		"/proc/self/pagemap2",
		"/proc/1/pagemap",
		"/proc/self/maps",
		"sys/bus/pci/devices/0000:00:03.0/driver",
		"",
		NULL,
	};
	for (size_t i = 0; i < ELEMENTSOF(other); i++)
		expect_path(other[i], DPDK_PATH_OTHER, "", 0);
}

static void test_sysfs_override(void **state)
{
	struct dpdk_path p;

	/* rte_pci_get_sysfs_path(): $SYSFS_PCI_DEVICES, as a fixture tree sets it. */
	unsetenv("SYSFS_PCI_DEVICES");
	assert_string_equal(dpdk_sysfs_devices(), sysfs);
	setenv("SYSFS_PCI_DEVICES", "/tmp/root/sys/bus/pci/devices", 1);
	assert_string_equal(dpdk_sysfs_devices(), "/tmp/root/sys/bus/pci/devices");
	dpdk_path_match(dpdk_sysfs_devices(),
			"/tmp/root/sys/bus/pci/devices/0000:01:00.0/resource3", &p);
	assert_int_equal(p.kind, DPDK_PATH_RESOURCE);
	assert_string_equal(p.slot, "0000:01:00.0");
	assert_int_equal(p.index, 3);
	dpdk_path_match(dpdk_sysfs_devices(), "/sys/bus/pci/devices/0000:01:00.0/resource3", &p);
	assert_int_equal(p.kind, DPDK_PATH_OTHER);
	unsetenv("SYSFS_PCI_DEVICES");
}

/* A fake pin: 2 MiB pages, the one at VA 0x40000000 at bus 0x12a00000, the one at 0x40200000
 * at bus 0x7fe00000; nothing else mapped, except VA 0x50000000, whose pin fails. */
static int lookup(uint64_t va, uint64_t *ret_bus, void *userdata)
{
	const uint64_t huge = 2 << 20;
	int *calls = userdata;

	(*calls)++;
	if (va >= 0x40000000 && va < 0x40000000 + huge)
		*ret_bus = 0x12a00000 + (va - 0x40000000);
	else if (va >= 0x40200000 && va < 0x40200000 + huge)
		*ret_bus = 0x7fe00000 + (va - 0x40200000);
	else if (va == 0x50000000)
		return -ENOMEM;
	else
		return -EFAULT;
	return 0;
}

static void test_pagemap_entry(void **state)
{
	/* Bit 63 present, bits 0-54 the PFN; 55-62 (soft-dirty, exclusive, file/shared) clear. */
	assert_true(pagemap_entry(0, 4096) == PAGEMAP_PRESENT);
	assert_true(pagemap_entry(0x12a00000, 4096) == (PAGEMAP_PRESENT | 0x12a00));
	assert_true(pagemap_entry(0x12a00fff, 4096) == (PAGEMAP_PRESENT | 0x12a00));
	assert_true(pagemap_entry(0x12a01000, 4096) == (PAGEMAP_PRESENT | 0x12a01));
	assert_true(pagemap_entry(UINT64_MAX, 4096) == (PAGEMAP_PRESENT | (UINT64_MAX >> 12)));
	assert_true(pagemap_entry(UINT64_MAX, 1) == (PAGEMAP_PRESENT | PAGEMAP_PFN_MASK));
	assert_true(PAGEMAP_PFN_MASK == 0x7fffffffffffffULL); /* DPDK's mask */
}

/* What rte_mem_virt2phy() computes from the 8 bytes it reads at (va / 4096) * 8. */
static uint64_t dpdk_virt2phy(uint64_t va, int *calls)
{
	uint64_t page;

	assert_int_equal(pagemap_read(&page, 8, va / 4096 * 8, 4096, lookup, calls), 8);
	if ((page & 0x7fffffffffffffULL) == 0)
		return UINT64_MAX;
	return (page & 0x7fffffffffffffULL) * 4096 + va % 4096;
}

static void test_pagemap_read(void **state)
{
	uint64_t entries[4];
	int calls = 0;

	assert_true(dpdk_virt2phy(0x40000000, &calls) == 0x12a00000);
	assert_true(dpdk_virt2phy(0x40000123, &calls) == 0x12a00123);
	assert_true(dpdk_virt2phy(0x401ff008, &calls) == 0x12bff008);
	assert_true(dpdk_virt2phy(0x40200000, &calls) == 0x7fe00000);
	assert_true(dpdk_virt2phy(0x40345678, &calls) == 0x7ff45678);
	assert_int_equal(calls, 5);

	/* Several entries at once, the unmapped one "not present" (all zero), as the kernel's. */
	assert_int_equal(pagemap_read(entries, sizeof(entries), (0x401fe000 / 4096) * 8, 4096,
				      lookup, &calls),
			 (ssize_t)sizeof(entries));
	assert_true(entries[0] == (PAGEMAP_PRESENT | 0x12bfe));
	assert_true(entries[1] == (PAGEMAP_PRESENT | 0x12bff));
	assert_true(entries[2] == (PAGEMAP_PRESENT | 0x7fe00));
	assert_true(entries[3] == (PAGEMAP_PRESENT | 0x7fe01));
	assert_int_equal(pagemap_read(entries, 8, 0x1000 / 4096 * 8, 4096, lookup, &calls), 8);
	assert_true(entries[0] == 0);

	/* A pin that fails otherwise fails the read: DPDK says it cannot read pagemap. */
	assert_int_equal(pagemap_read(entries, 8, 0x50000000 / 4096 * 8, 4096, lookup, &calls),
			 -ENOMEM);
	/* Offsets and sizes off the 8-byte grid are the kernel's EINVAL. */
	assert_int_equal(pagemap_read(entries, 4, 0, 4096, lookup, &calls), -EINVAL);
	assert_int_equal(pagemap_read(entries, 8, 4, 4096, lookup, &calls), -EINVAL);
	assert_int_equal(pagemap_read(entries, 8, 0, 3000, lookup, &calls), -EINVAL);
	assert_int_equal(pagemap_read(entries, 8, UINT64_MAX - 7, 4096, lookup, &calls), -EINVAL);
	assert_int_equal(pagemap_read(entries, 0, 0, 4096, lookup, &calls), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_sysfs_override),
		cmocka_unit_test(test_pagemap_entry),
		cmocka_unit_test(test_pagemap_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
