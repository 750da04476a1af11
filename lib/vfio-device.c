/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A VFIO lease on the client side: BAR and config regions of the device fd, interrupt vectors
 * as eventfds. */
#include <endian.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>

#include "sysfs.h"
#include "udrv-internal.h"

struct vfio_irqs {
	unsigned index; /* VFIO_PCI_{MSIX,MSI,INTX}_IRQ_INDEX */
	unsigned n;
	int fds[];
};

/* Node mode's fds are the device's own, not the lease's. */
static void vfio_close_owned(struct udrv_device *dev)
{
	if (dev->group_fd < 0)
		return;
	closep(&dev->vfio_fd);
	closep(&dev->container_fd);
	closep(&dev->group_fd);
	dev->vfio_fd = dev->container_fd = dev->group_fd = -1;
}

static int region_info(int fd, unsigned index, struct vfio_region_info *ret)
{
	*ret = (struct vfio_region_info){.argsz = sizeof(*ret), .index = index};
	return ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, ret) < 0 ? negative_errno() : 0;
}

/* The last component of SLOT's sysfs link NAME ("driver", "iommu_group"); NULL when it has
 * none. */
static int slot_link(const char *slot, const char *name, char **ret)
{
	_cleanup_free_ char *path = NULL;
	int r;

	if (asprintf(&path, "/sys/bus/pci/devices/%s/%s", slot, name) < 0)
		return -ENOMEM;
	r = sysfs_read_link_basename(AT_FDCWD, path, ret);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		*ret = NULL;
	return 0;
}

/* Node mode (`udrvctl grant` with the vfio backend): udrvd gave this uid /dev/vfio/GROUP and
 * the lease holds only ctl and config. The library opens the group, a type1v2 container and
 * the device itself, as DPDK would, and turns bus mastering on: the IOMMU confines it.
 * 0 and nothing opened when the function is not on vfio-pci (a UIO lease). */
static int vfio_open_node(struct udrv_device *dev)
{
	struct vfio_group_status status = {.argsz = sizeof(status)};
	_cleanup_close_ int container = -1, group = -1;
	_cleanup_free_ char *drv = NULL, *grp = NULL, *path = NULL;
	const char *root = getenv("UDRV_ROOT");
	int fd;

	if (root && *root && !streq(root, "/")) /* a fixture tree: no VFIO there */
		return 0;
	if (slot_link(dev->lease->slot, "driver", &drv) < 0 ||
	    slot_link(dev->lease->slot, "iommu_group", &grp) < 0)
		return -ENOMEM;
	if (!drv || !streq(drv, "vfio-pci") || !grp)
		return 0;
	if (asprintf(&path, "/dev/vfio/%s", grp) < 0)
		return -ENOMEM;
	group = open(path, O_RDWR | O_CLOEXEC);
	container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (group < 0 || container < 0)
		return negative_errno();
	if (ioctl(container, VFIO_GET_API_VERSION) != VFIO_API_VERSION ||
	    ioctl(group, VFIO_GROUP_GET_STATUS, &status) < 0 ||
	    !(status.flags & VFIO_GROUP_FLAGS_VIABLE))
		return -EPROTO;
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) < 0 ||
	    ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) < 0)
		return negative_errno();
	fd = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, dev->lease->slot);
	if (fd < 0)
		return negative_errno();
	dev->vfio_fd = fd;
	dev->container_fd = TAKE_FD(container);
	dev->group_fd = TAKE_FD(group);
	ulog(LOG_DEBUG, "%s: node mode: opened /dev/vfio/%s", dev->lease->slot, grp);
	return 1;
}

/* Bus mastering on through vfio-pci's config virtualization (node mode; udrvd does it in fd
 * mode). */
static int vfio_set_master(struct udrv_device *dev)
{
	uint16_t cmd;
	int r = vfio_config_rw(dev, false, 0x04, &cmd, sizeof(cmd));

	if (r < 0 || (cmd & htole16(0x0004)))
		return r;
	cmd |= htole16(0x0004);
	return vfio_config_rw(dev, true, 0x04, &cmd, sizeof(cmd));
}

int vfio_device_init(struct udrv_device *dev)
{
	struct vfio_region_info info;
	int r = 0;

	dev->group_fd = -1;
	dev->vfio_fd = lease_fd(dev->lease, LEASE_FD_VFIO_DEVICE);
	dev->container_fd = lease_fd(dev->lease, LEASE_FD_VFIO_CONTAINER);
	if (dev->vfio_fd < 0 || dev->container_fd < 0) {
		dev->vfio_fd = dev->container_fd = -1;
		r = vfio_open_node(dev);
		if (r <= 0)
			return r;
	}
	r = region_info(dev->vfio_fd, VFIO_PCI_CONFIG_REGION_INDEX, &info);
	if (r < 0)
		goto fail;
	dev->config_offset = info.offset;
	if (dev->group_fd >= 0 && (r = vfio_set_master(dev)) < 0)
		goto fail;
	for (unsigned i = 0; i < UDRV_BAR_MAX; i++) {
		r = region_info(dev->vfio_fd, VFIO_PCI_BAR0_REGION_INDEX + i, &info);
		if (r < 0)
			goto fail;
		if (info.size == 0)
			continue;
		dev->bar_fd[i] = dev->vfio_fd;
		dev->bar_size[i] = (size_t)info.size;
		dev->bar_offset[i] = info.offset;
	}
	return 0;
fail:
	vfio_close_owned(dev);
	return r;
}

int vfio_config_rw(struct udrv_device *dev, bool write, unsigned offset, void *buf, size_t len)
{
	off_t at = (off_t)(dev->config_offset + offset);
	ssize_t n = write ? pwrite(dev->vfio_fd, buf, len, at) : pread(dev->vfio_fd, buf, len, at);

	if (n < 0)
		return negative_errno();
	return (size_t)n == len ? 0 : -EIO;
}

static int irq_set(int fd, unsigned index, uint32_t flags, unsigned count, const int *fds)
{
	size_t size = sizeof(struct vfio_irq_set) + (fds ? count * sizeof(int32_t) : 0);
	_cleanup_free_ struct vfio_irq_set *set = calloc(1, size);

	if (!set)
		return -ENOMEM;
	set->argsz = (uint32_t)size;
	set->flags = flags;
	set->index = index;
	set->count = count;
	if (fds)
		memcpy(set->data, fds, count * sizeof(int32_t));
	return ioctl(fd, VFIO_DEVICE_SET_IRQS, set) < 0 ? negative_errno() : 0;
}

/* The best interrupt the function has: MSI-X, else MSI, else INTx, and its vector count. */
static int irq_pick(int fd, unsigned *ret_index, unsigned *ret_n)
{
	static const unsigned order[] = {VFIO_PCI_MSIX_IRQ_INDEX, VFIO_PCI_MSI_IRQ_INDEX,
					 VFIO_PCI_INTX_IRQ_INDEX};

	for (size_t i = 0; i < ELEMENTSOF(order); i++) {
		struct vfio_irq_info info = {.argsz = sizeof(info), .index = order[i]};

		if (ioctl(fd, VFIO_DEVICE_GET_IRQ_INFO, &info) < 0)
			return negative_errno();
		if (info.count > 0 && (info.flags & VFIO_IRQ_INFO_EVENTFD)) {
			*ret_index = order[i];
			*ret_n = info.count;
			return 0;
		}
	}
	return -ENOENT;
}

static void irqs_free(struct vfio_irqs *irqs)
{
	for (unsigned i = 0; irqs && i < irqs->n; i++)
		closep(&irqs->fds[i]);
	free(irqs);
}

/* Enables every vector of the best interrupt kind, each signalling its own eventfd. */
static int irqs_enable_locked(struct udrv_device *dev)
{
	struct vfio_irqs *irqs;
	unsigned index, n;
	int r;

	r = irq_pick(dev->vfio_fd, &index, &n);
	if (r < 0)
		return r;
	irqs = calloc(1, sizeof(*irqs) + n * sizeof(int));
	if (!irqs)
		return -ENOMEM;
	irqs->index = index;
	for (; irqs->n < n; irqs->n++) {
		irqs->fds[irqs->n] = eventfd(0, EFD_CLOEXEC);
		if (irqs->fds[irqs->n] < 0) {
			r = negative_errno();
			irqs_free(irqs);
			return r;
		}
	}
	r = irq_set(dev->vfio_fd, index, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, n,
		    irqs->fds);
	if (r < 0) {
		irqs_free(irqs);
		return r;
	}
	/* Published for vfio_irq_read() and vfio_irq_unmask(), which read it without the lock. */
	__atomic_store_n(&dev->irqs, irqs, __ATOMIC_RELEASE);
	ulog(LOG_DEBUG, "%s: %u %s vector%s enabled", dev->lease->slot, n,
	     index == VFIO_PCI_MSIX_IRQ_INDEX  ? "MSI-X"
	     : index == VFIO_PCI_MSI_IRQ_INDEX ? "MSI"
					       : "INTx",
	     n == 1 ? "" : "s");
	return 0;
}

int udrv_irq_vectors(struct udrv_device *dev, unsigned *ret_n)
{
	unsigned index, n;
	int r;

	if (ctl_ended(&dev->ctl))
		return -ENOLINK;
	if (dev->vfio_fd < 0) {
		if (dev->n_vecs > 0) { /* uio-ext MSI/MSI-X */
			*ret_n = dev->n_vecs;
			return 0;
		}
		if (dev->irq_fd < 0)
			return -ENOENT;
		*ret_n = 1;
		return 0;
	}
	r = irq_pick(dev->vfio_fd, &index, &n);
	if (r < 0)
		return r;
	*ret_n = n;
	return 0;
}

int udrv_irq_vector_fd(struct udrv_device *dev, unsigned vector)
{
	int r = 0;

	if (ctl_ended(&dev->ctl))
		return -ENOLINK;
	if (dev->vfio_fd < 0) {
		if (dev->n_vecs > 0) /* uio-ext MSI/MSI-X */
			return vector < dev->n_vecs ? dev->vec_fds[vector] : -ENOENT;
		if (vector > 0)
			return -ENOENT;
		return dev->irq_fd >= 0 ? dev->irq_fd : -ENOENT;
	}
	pthread_mutex_lock(&dev->lock);
	if (!dev->irqs)
		r = irqs_enable_locked(dev);
	if (r >= 0)
		r = vector < dev->irqs->n ? dev->irqs->fds[vector] : -ENOENT;
	pthread_mutex_unlock(&dev->lock);
	return r;
}

int vfio_irq_read(struct udrv_device *dev, uint64_t *ret_count)
{
	/* Once enabled the vectors stay until the device is closed: no lock on this path. */
	struct vfio_irqs *irqs = __atomic_load_n(&dev->irqs, __ATOMIC_ACQUIRE);
	uint64_t v;
	ssize_t n;
	int fd;

	if (irqs) {
		if (ctl_ended(&dev->ctl))
			return -ENOLINK;
		fd = irqs->fds[0];
	} else
		fd = udrv_irq_vector_fd(dev, 0);
	if (fd < 0)
		return fd;
	n = read(fd, &v, sizeof(v));
	if (n != sizeof(v))
		return n < 0 ? negative_errno() : -EIO;
	*ret_count = v;
	return 0;
}

int vfio_irq_unmask(struct udrv_device *dev)
{
	struct vfio_irqs *irqs = __atomic_load_n(&dev->irqs, __ATOMIC_ACQUIRE);

	if (ctl_ended(&dev->ctl))
		return -ENOLINK;
	/* MSI and MSI-X are edge-triggered: nothing stays masked. */
	if (!irqs || irqs->index != VFIO_PCI_INTX_IRQ_INDEX)
		return 0;
	return irq_set(dev->vfio_fd, VFIO_PCI_INTX_IRQ_INDEX,
		       VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK, 1, NULL);
}

void vfio_device_done(struct udrv_device *dev)
{
	if (dev->vfio_fd < 0)
		return;
	dma_free_all(dev);
	if (dev->irqs)
		(void)irq_set(dev->vfio_fd, dev->irqs->index,
			      VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0, NULL);
	irqs_free(dev->irqs);
	dev->irqs = NULL;
	vfio_close_owned(dev);
}
