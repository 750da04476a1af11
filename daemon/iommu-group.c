/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* IOMMU group viability: which members keep VFIO from taking a group, named for the user. */
#include <stdlib.h>

#include "iommu-group.h"
#include "macro.h"
#include "pci-device.h"
#include "strv.h"

/* Drivers the kernel lets share a group with a user-owned domain (driver_managed_dma): they
 * never use the DMA API on the device. */
static bool driver_is_vfio(const char *driver)
{
	size_t n = strlen(driver);

	/* vfio-pci and its variants (mlx5_vfio_pci, hisi_acc_vfio_pci, ...) */
	return streq(driver, "vfio-pci") || (n > 8 && streq(driver + n - 8, "vfio_pci"));
}

enum iommu_member_state iommu_member_classify(uint32_t class, const char *driver, bool in_use)
{
	if (!driver)
		return IOMMU_MEMBER_UNBOUND;
	if (driver_is_vfio(driver))
		return IOMMU_MEMBER_VFIO;
	if (streq(driver, "pci-stub"))
		return IOMMU_MEMBER_STUB;
	if (streq(driver, "pcieport") && (class >> 16) == 0x06)
		return IOMMU_MEMBER_BRIDGE;
	return in_use ? IOMMU_MEMBER_IN_USE : IOMMU_MEMBER_DRIVER;
}

void iommu_group_free(struct iommu_group *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n_members; i++) {
		free(g->members[i].driver);
		free(g->members[i].in_use);
	}
	free(g->members);
	free(g);
}

static int member_read(const char *root, const char *slot, struct iommu_member *m)
{
	_cleanup_(pci_device_freep) struct pci_device *d = NULL;
	int r;

	r = pci_device_read(root, slot, &d);
	if (r < 0)
		return r;
	memcpy(m->slot, d->slot, PCI_SLOT_LEN);
	m->class = d->class;
	m->driver = TAKE_PTR(d->driver);
	m->in_use = TAKE_PTR(d->in_use);
	m->state = iommu_member_classify(m->class, m->driver, m->in_use);
	return 0;
}

int iommu_group_read(const char *root, const struct pci_device *dev, struct iommu_group **ret)
{
	struct iommu_group *g;
	size_t n = strv_length(dev->group_peers);

	if (dev->iommu_group < 0)
		return -ENODEV;
	g = calloc(1, sizeof(*g));
	if (!g || !(g->members = calloc(n + 1, sizeof(*g->members)))) {
		free(g);
		return -ENOMEM;
	}
	g->number = dev->iommu_group;
	for (size_t i = 0; i < n; i++) {
		int r = member_read(root, dev->group_peers[i], &g->members[g->n_members]);

		if (r == -ENODEV) /* removed since DEV was read */
			continue;
		if (r < 0) {
			iommu_group_free(g);
			return r;
		}
		g->n_members++;
	}
	*ret = g;
	return 0;
}

/* One offender in words in *RET, or NULL when M is fine under FLAGS. */
static int member_problem(const struct iommu_group *g, const struct iommu_member *m, unsigned flags,
			  char **ret)
{
	int n = 0;

	*ret = NULL;
	if (m->state == IOMMU_MEMBER_DRIVER && !(flags & IOMMU_CHECK_UNBIND))
		n = asprintf(ret, "%s is bound to %s", m->slot, m->driver);
	else if (m->state == IOMMU_MEMBER_IN_USE)
		n = asprintf(ret, "%s (driver %s) is in use: %s", m->slot, m->driver, m->in_use);
	else if (m->state == IOMMU_MEMBER_VFIO && (flags & IOMMU_CHECK_NODE))
		n = asprintf(ret, "%s is bound to %s, so the holder of /dev/vfio/%d could open it",
			     m->slot, m->driver, g->number);
	return n < 0 ? -ENOMEM : 0;
}

static int explain(const struct iommu_group *g, char **problems, unsigned flags, char **ret_why)
{
	_cleanup_free_ char *list = strv_join(problems, ", ");
	bool unbindable = false;

	if (!list)
		return -ENOMEM;
	for (size_t i = 0; i < g->n_members; i++)
		unbindable |= g->members[i].state == IOMMU_MEMBER_DRIVER;
	if (asprintf(ret_why, "IOMMU group %d is not viable: %s%s", g->number, list,
		     unbindable && !(flags & IOMMU_CHECK_UNBIND)
			     ? "; unbind them first, or set GroupUnbind=yes in the policy"
			     : "") < 0)
		return -ENOMEM;
	return 0;
}

int iommu_group_check(const struct iommu_group *g, unsigned flags, char ***ret_unbind,
		      char **ret_why)
{
	_cleanup_strv_free_ char **problems = NULL, **unbind = NULL;
	int r;

	for (size_t i = 0; i < g->n_members; i++) {
		const struct iommu_member *m = &g->members[i];
		_cleanup_free_ char *p = NULL;

		if (member_problem(g, m, flags, &p) < 0)
			return -ENOMEM;
		if (p && strv_push(&problems, p) < 0)
			return -ENOMEM;
		if (!p && m->state == IOMMU_MEMBER_DRIVER && strv_push(&unbind, m->slot) < 0)
			return -ENOMEM;
	}
	if (problems) {
		r = explain(g, problems, flags, ret_why);
		return r < 0 ? r : 0;
	}
	if (ret_unbind)
		*ret_unbind = TAKE_PTR(unbind);
	return 1;
}
