/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Builds struct pci_device from the sysfs attributes of one PCI function. */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>

#include "log.h"
#include "macro.h"
#include "pci-device.h"
#include "pci-usage.h"
#include "strv.h"
#include "sysfs.h"

uint64_t pci_resource_size(const struct pci_resource *r)
{
	if (r->end == 0 && r->start == 0)
		return 0;
	if (r->end < r->start)
		return 0;
	return r->end - r->start + 1;
}

void pci_device_free(struct pci_device *d)
{
	if (!d)
		return;
	free(d->driver);
	free(d->driver_override);
	strv_free(d->group_peers);
	strv_free(d->reset_methods);
	free(d->in_use);
	free(d);
}

void pci_device_freep(struct pci_device **d)
{
	pci_device_free(*d);
}

void pci_device_list_free(struct pci_device **list, size_t n)
{
	for (size_t i = 0; list && i < n; i++)
		pci_device_free(list[i]);
	free(list);
}

static int read_u16(int dfd, const char *name, uint16_t *ret)
{
	int64_t v;
	int r = sysfs_read_int(dfd, name, &v);

	if (r < 0)
		return r;
	if (v < 0 || v > 0xffff)
		return -EBADMSG;
	*ret = (uint16_t)v;
	return 0;
}

static int read_ids(int dfd, struct pci_device *d)
{
	int64_t v;
	int r;

	if ((r = read_u16(dfd, "vendor", &d->vendor)) < 0 ||
	    (r = read_u16(dfd, "device", &d->device)) < 0)
		return r;
	/* Subsystem IDs are absent on some bridges: leave them 0. */
	if ((r = read_u16(dfd, "subsystem_vendor", &d->subsystem_vendor)) < 0 && r != -ENOENT)
		return r;
	if ((r = read_u16(dfd, "subsystem_device", &d->subsystem_device)) < 0 && r != -ENOENT)
		return r;
	if ((r = sysfs_read_int(dfd, "class", &v)) < 0)
		return r;
	d->class = (uint32_t)v & 0xffffff;
	if (sysfs_read_int(dfd, "revision", &v) >= 0)
		d->revision = (uint8_t)v;
	return 0;
}

static int read_resources(int dfd, struct pci_device *d)
{
	_cleanup_free_ char *s = NULL;
	char *line, *save = NULL;
	int r, i = 0;

	r = sysfs_read_attr(dfd, "resource", &s);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	for (line = strtok_r(s, "\n", &save); line && i < PCI_NUM_RESOURCES;
	     line = strtok_r(NULL, "\n", &save), i++) {
		struct pci_resource *res = &d->res[i];

		if (sscanf(line, "%" SCNx64 " %" SCNx64 " %" SCNx64, &res->start, &res->end,
			   &res->flags) != 3)
			return -EBADMSG;
	}
	return 0;
}

static int read_reset_methods(int dfd, struct pci_device *d)
{
	_cleanup_free_ char *s = NULL;
	int r;

	r = sysfs_read_attr(dfd, "reset_method", &s);
	if (r == -ENOENT) {
		/* Kernels before 5.15 only have `reset`; its method is the kernel's choice. */
		if (faccessat(dfd, "reset", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			return strv_split(&d->reset_methods, "default", " ");
		return 0;
	}
	if (r < 0)
		return r;
	return strv_split(&d->reset_methods, s, " ");
}

static int read_iommu_group(const char *root, int dfd, struct pci_device *d)
{
	_cleanup_free_ char *group = NULL, *rel = NULL, *dir = NULL;
	char *end;
	long g;
	int r;

	d->iommu_group = -1;
	r = sysfs_read_link_basename(dfd, "iommu_group", &group);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	g = strtol(group, &end, 10);
	if (*end || g < 0 || g > INT32_MAX)
		return -EBADMSG;
	d->iommu_group = (int)g;
	if (asprintf(&rel, "sys/kernel/iommu_groups/%ld/devices", g) < 0 ||
	    root_join(root, rel, &dir) < 0)
		return -ENOMEM;
	r = strv_from_dir(&d->group_peers, dir, d->slot);
	return r == -ENOENT ? 0 : r;
}

static int read_driver(int dfd, struct pci_device *d)
{
	int r;

	r = sysfs_read_link_basename(dfd, "driver", &d->driver);
	if (r < 0 && r != -ENOENT)
		return r;
	r = sysfs_read_attr(dfd, "driver_override", &d->driver_override);
	if (r < 0 && r != -ENOENT)
		return r;
	if (d->driver_override && (streq(d->driver_override, "(null)") || !*d->driver_override)) {
		free(d->driver_override);
		d->driver_override = NULL;
	}
	return 0;
}

int pci_device_read(const char *root, const char *slot, struct pci_device **ret)
{
	_cleanup_(pci_device_freep) struct pci_device *d = NULL;
	_cleanup_close_ int dfd = -1;
	int64_t v;
	int r;

	if (!pci_slot_is_valid(slot))
		return -EINVAL;
	r = sysfs_open_pci_device(root, slot, &dfd);
	if (r < 0)
		return r;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	memcpy(d->slot, slot, PCI_SLOT_LEN);
	d->numa_node = -1;
	if ((r = read_ids(dfd, d)) < 0 || (r = read_resources(dfd, d)) < 0 ||
	    (r = read_reset_methods(dfd, d)) < 0 || (r = read_iommu_group(root, dfd, d)) < 0 ||
	    (r = read_driver(dfd, d)) < 0)
		return r == -ENOENT ? -ENODEV : r;
	if (sysfs_read_int(dfd, "numa_node", &v) >= 0)
		d->numa_node = (int)v;
	if (sysfs_read_int(dfd, "irq", &v) >= 0)
		d->irq = (int)v;
	r = pci_usage_describe(root, dfd, &d->in_use);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(d);
	return 0;
}

int pci_device_enumerate(const char *root, struct pci_device ***ret_list, size_t *ret_n)
{
	_cleanup_strv_free_ char **slots = NULL;
	_cleanup_free_ char *dir = NULL;
	struct pci_device **list = NULL;
	size_t n = 0;
	int r;

	if (root_join(root, "sys/bus/pci/devices", &dir) < 0)
		return -ENOMEM;
	r = strv_from_dir(&slots, dir, NULL);
	if (r < 0)
		return r;
	list = calloc(strv_length(slots) + 1, sizeof(*list));
	if (!list)
		return -ENOMEM;
	for (char **s = slots; s && *s; s++) {
		if (!pci_slot_is_valid(*s))
			continue;
		r = pci_device_read(root, *s, &list[n]);
		if (r == -ENODEV) /* removed while we looked */
			continue;
		if (r == -ENOMEM) {
			pci_device_list_free(list, n);
			return r;
		}
		if (r < 0) {
			/* One unreadable function must not hide the others. */
			log_warning_errno(r, "Skipping PCI function %s: cannot read it: %m", *s);
			continue;
		}
		n++;
	}
	/* Already in slot order: strv_from_dir() sorts the names, and each slot is its name. */
	*ret_list = list;
	*ret_n = n;
	return 0;
}
