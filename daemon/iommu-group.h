/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An IOMMU group as VFIO sees it: its members, their drivers, and whether the group is viable
 * for one of them to be handed to user space. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pci-slot.h"

struct pci_device;

/* What one other member of the group means for viability. */
enum iommu_member_state {
	IOMMU_MEMBER_UNBOUND, /* no driver: fine */
	IOMMU_MEMBER_VFIO,    /* vfio-pci (or a vfio variant driver): fine for the kernel, but
			       * reachable through /dev/vfio/N by whoever holds the group */
	IOMMU_MEMBER_STUB,    /* pci-stub: fine */
	IOMMU_MEMBER_BRIDGE,  /* a PCI bridge on pcieport: fine */
	IOMMU_MEMBER_DRIVER,  /* on a kernel driver that uses the DMA API: the kernel refuses the
			       * group until it is unbound */
	IOMMU_MEMBER_IN_USE,  /* same, and the system uses it (a mounted disk, an up interface) */
};

struct iommu_member {
	char slot[PCI_SLOT_LEN];
	uint32_t class;
	char *driver; /* NULL when unbound */
	char *in_use; /* why the system needs it, or NULL */
	enum iommu_member_state state;
};

struct iommu_group {
	int number;
	struct iommu_member *members; /* every member except the function asked for */
	size_t n_members;
};

/* Flags for iommu_group_check(). */
enum {
	IOMMU_CHECK_UNBIND = 1 << 0, /* GroupUnbind=yes: members on kernel drivers may be unbound */
	IOMMU_CHECK_NODE = 1 << 1,   /* node mode: the holder gets /dev/vfio/N itself, so members
				      * on vfio-pci would be reachable too */
};

/* The verdict on one member from its class and driver alone (IN_USE: it is used). Pure. */
enum iommu_member_state iommu_member_classify(uint32_t class, const char *driver, bool in_use);

/* Reads DEV's group under ROOT: every other member's class, driver and use. -ENODEV when DEV
 * has no IOMMU group. */
int iommu_group_read(const char *root, const struct pci_device *dev, struct iommu_group **ret);
void iommu_group_free(struct iommu_group *g);
static inline void iommu_group_freep(struct iommu_group **g)
{
	iommu_group_free(*g);
}

/* Decides whether the group can be handed out. Pure. Returns 1 when viable; then *RET_UNBIND
 * (may be NULL) lists the members udrvd must unbind first (only with IOMMU_CHECK_UNBIND; NULL
 * when none). Returns 0 when not viable, with *RET_WHY a sentence naming each offender and its
 * driver. Negative only on ENOMEM. */
int iommu_group_check(const struct iommu_group *g, unsigned flags, char ***ret_unbind,
		      char **ret_why);
