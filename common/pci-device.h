/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The PCI device model: what sysfs (under a root prefix) says about one PCI function. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pci-slot.h"

#define PCI_NUM_RESOURCES 7 /* BAR0..BAR5 and the expansion ROM (index 6) */
#define PCI_ROM_RESOURCE 6

/* Flag bits from the kernel's IORESOURCE_* as printed in sysfs `resource`. */
#define PCI_RES_IO 0x00000100ULL
#define PCI_RES_MEM 0x00000200ULL
#define PCI_RES_PREFETCH 0x00002000ULL
#define PCI_RES_MEM_64 0x00100000ULL

struct pci_resource {
	uint64_t start;
	uint64_t end;
	uint64_t flags;
};

struct pci_device {
	char slot[PCI_SLOT_LEN];
	uint16_t vendor;
	uint16_t device;
	uint16_t subsystem_vendor;
	uint16_t subsystem_device;
	uint32_t class; /* 24 bits: class, subclass, prog-if */
	uint8_t revision;
	char *driver;	       /* NULL when no driver is bound */
	char *driver_override; /* NULL when unset */
	int iommu_group;       /* -1 when the function has no IOMMU group */
	char **group_peers;    /* other functions in the same group, NULL-terminated, may be NULL */
	struct pci_resource res[PCI_NUM_RESOURCES];
	char **reset_methods; /* NULL-terminated; NULL when the function has no reset method */
	int numa_node;	      /* -1 when unknown */
	int irq;	      /* legacy irq number, 0 when none */
	char *in_use;	      /* what uses it ("network interface eth0 is up"), or NULL */
};

/* Size of resource I, 0 when unused. */
uint64_t pci_resource_size(const struct pci_resource *r);

/* Reads one function. SLOT must already be normalized. -ENODEV when no such function
 * exists under ROOT (e.g. "/" or a fixture tree). */
int pci_device_read(const char *root, const char *slot, struct pci_device **ret);

/* Reads every function under ROOT/sys/bus/pci/devices, sorted by slot. */
int pci_device_enumerate(const char *root, struct pci_device ***ret_list, size_t *ret_n);

void pci_device_free(struct pci_device *d);
void pci_device_freep(struct pci_device **d);
void pci_device_list_free(struct pci_device **list, size_t n);
