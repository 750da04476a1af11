/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The paths DPDK 22.11's PCI bus and EAL open for a UIO device, recognized. Pure: no I/O. */
#pragma once

#include "pci-slot.h"

enum dpdk_path_kind {
	DPDK_PATH_OTHER,       /* not ours: passed through */
	DPDK_PATH_DRIVER,      /* SYSFS/SLOT/driver (readlink) */
	DPDK_PATH_RESOURCE,    /* SYSFS/SLOT/resourceN */
	DPDK_PATH_RESOURCE_WC, /* SYSFS/SLOT/resourceN_wc */
	DPDK_PATH_UIO_DEV,     /* /dev/uioN */
	DPDK_PATH_UIO_CONFIG,  /* /sys/class/uio/uioN/device/config */
	DPDK_PATH_PAGEMAP,     /* /proc/self/pagemap */
};

struct dpdk_path {
	enum dpdk_path_kind kind;
	char slot[PCI_SLOT_LEN]; /* DRIVER, RESOURCE, RESOURCE_WC: normalized */
	unsigned index;		 /* RESOURCE*: the BAR; UIO_*: N */
};

/* The sysfs directory DPDK reads devices from: $SYSFS_PCI_DEVICES or /sys/bus/pci/devices, as
 * rte_pci_get_sysfs_path() does. */
const char *dpdk_sysfs_devices(void);
/* Classifies PATH, DPDK's spelling of it (absolute, no "//" or "."), with SYSFS the devices
 * directory. Always fills RET; OTHER when it is none of the above. */
void dpdk_path_match(const char *sysfs, const char *path, struct dpdk_path *ret);
/* What readlink() of a leased function's driver link answers: igb_uio's. */
#define DPDK_DRIVER_LINK "../../../bus/pci/drivers/igb_uio"
