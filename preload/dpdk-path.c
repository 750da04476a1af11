/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The paths DPDK 22.11 opens for a UIO device (drivers/bus/pci/linux/pci.c, pci_uio.c,
 * lib/eal/linux/eal_memory.c), recognized from their strings alone. */
#include <stdlib.h>
#include <string.h>

#include "dpdk-path.h"
#include "macro.h"

const char *dpdk_sysfs_devices(void)
{
	const char *s = getenv("SYSFS_PCI_DEVICES");

	return s ?: "/sys/bus/pci/devices";
}

/* Decimal without sign or leading zeros (DPDK prints %u/%d), within 0..LIMIT; END gets the
 * first byte after it. */
static int parse_index(const char *s, unsigned limit, unsigned *ret, const char **end)
{
	unsigned n = 0;
	const char *p = s;

	if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (unsigned)(*p - '0');
		if (n > limit)
			return -ERANGE;
	}
	*ret = n;
	*end = p;
	return 0;
}

/* "uioN" + TAIL exactly. */
static bool match_uio(const char *s, const char *tail, unsigned *ret)
{
	const char *end;

	return startswith(s, "uio") && parse_index(s + 3, 1U << 20, ret, &end) == 0 &&
	       streq(end, tail);
}

/* SLOT/driver, SLOT/resourceN, SLOT/resourceN_wc under the devices directory. */
static void match_device_file(const char *rel, struct dpdk_path *ret)
{
	const char *slash = strchr(rel, '/'), *end;
	char slot[PCI_SLOT_LEN + 1];
	unsigned bar;

	if (!slash || (size_t)(slash - rel) >= sizeof(slot))
		return;
	memcpy(slot, rel, (size_t)(slash - rel));
	slot[slash - rel] = 0;
	if (pci_slot_normalize(slot, ret->slot) < 0)
		return;
	if (streq(slash + 1, "driver")) {
		ret->kind = DPDK_PATH_DRIVER;
		return;
	}
	if (!startswith(slash + 1, "resource") ||
	    parse_index(slash + 1 + strlen("resource"), 5, &bar, &end) < 0)
		return;
	ret->index = bar;
	if (streq(end, ""))
		ret->kind = DPDK_PATH_RESOURCE;
	else if (streq(end, "_wc"))
		ret->kind = DPDK_PATH_RESOURCE_WC;
}

void dpdk_path_match(const char *sysfs, const char *path, struct dpdk_path *ret)
{
	size_t n = strlen(sysfs);

	memset(ret, 0, sizeof(*ret));
	ret->kind = DPDK_PATH_OTHER;
	if (!path)
		return;
	if (streq(path, "/proc/self/pagemap"))
		ret->kind = DPDK_PATH_PAGEMAP;
	else if (startswith(path, "/dev/") && match_uio(path + 5, "", &ret->index))
		ret->kind = DPDK_PATH_UIO_DEV;
	else if (startswith(path, "/sys/class/uio/") &&
		 match_uio(path + 15, "/device/config", &ret->index))
		ret->kind = DPDK_PATH_UIO_CONFIG;
	else if (n > 0 && strncmp(path, sysfs, n) == 0 && path[n] == '/')
		match_device_file(path + n + 1, ret);
	if (ret->kind == DPDK_PATH_OTHER)
		memset(ret, 0, sizeof(*ret));
}
