/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a device asks of udrvd over its ctl channel: interrupts, config reads and writes. */
#include "udrv-internal.h"
#include "udrv-protocol.h"

/* Config space is at most 4 KiB (PCIe extended). */
#define CONFIG_SPACE_SIZE 4096u

static int device_call(struct udrv_device *dev, uint32_t op, uint32_t flags, uint32_t offset,
		       const void *in, size_t in_len)
{
	int r;

	pthread_mutex_lock(&dev->lock);
	if (flags & UDRV_CTL_F_NOREPLY)
		r = ctl_drain(&dev->ctl); /* so a lease that ended is noticed on this path too */
	else
		r = 0;
	if (r == 0)
		r = ctl_call(&dev->ctl, op, flags, offset, in, in_len, NULL, 0, NULL);
	pthread_mutex_unlock(&dev->lock);
	return r;
}

int udrv_irq_fd(struct udrv_device *dev)
{
	return udrv_irq_vector_fd(dev, 0);
}

int udrv_irq_enable(struct udrv_device *dev)
{
	if (dev->vfio_fd >= 0)
		return vfio_irq_unmask(dev);
	if (dev->uio_fd >= 0)
		return uio_ext_irq_unmask(dev);
	return device_call(dev, UDRV_CTL_IRQ_ENABLE, 0, 0, NULL, 0);
}

int udrv_irq_enable_async(struct udrv_device *dev)
{
	uint64_t one = 1;

	if (dev->vfio_fd >= 0)
		return vfio_irq_unmask(dev);
	if (dev->uio_fd >= 0) /* one write on the holder's own fd; the module unmasks */
		return uio_ext_irq_unmask(dev);
	/* The unmask eventfd: one write, no packet for udrvd to parse. */
	if (dev->unmask_fd >= 0) {
		if (ctl_ended(&dev->ctl))
			return -ENOLINK;
		return write(dev->unmask_fd, &one, sizeof(one)) == sizeof(one) ? 0
									       : negative_errno();
	}
	return device_call(dev, UDRV_CTL_IRQ_ENABLE, UDRV_CTL_F_NOREPLY, 0, NULL, 0);
}

int udrv_irq_read(struct udrv_device *dev, uint64_t *ret_count)
{
	ssize_t n;

	if (dev->vfio_fd >= 0)
		return vfio_irq_read(dev, ret_count);
	if (dev->irq_fd < 0)
		return -ENOENT;
	if (dev->irq_eventfd) {
		uint64_t v;

		n = read(dev->irq_fd, &v, sizeof(v));
		if (n != sizeof(v))
			return n < 0 ? negative_errno() : -EIO;
		*ret_count = v;
	} else {
		uint32_t v;

		n = read(dev->irq_fd, &v, sizeof(v));
		if (n != sizeof(v))
			return n < 0 ? negative_errno() : -EIO;
		*ret_count = v;
	}
	return 0;
}

int udrv_ping(struct udrv_device *dev)
{
	return device_call(dev, UDRV_CTL_PING, 0, 0, NULL, 0);
}

int udrv_release(struct udrv_device *dev)
{
	int r;

	pthread_mutex_lock(&dev->lock);
	r = ctl_call(&dev->ctl, UDRV_CTL_RELEASE, 0, 0, NULL, 0, NULL, 0, NULL);
	/* udrvd answers, then ends the lease: its event may not have been read yet. */
	if (r == 0)
		(void)ctl_end(&dev->ctl, 0, "released");
	pthread_mutex_unlock(&dev->lock);
	return r;
}

static int config_range_ok(unsigned offset, size_t len)
{
	return len > 0 && len <= CONFIG_SPACE_SIZE && offset <= CONFIG_SPACE_SIZE - len;
}

int udrv_config_read(struct udrv_device *dev, unsigned offset, void *buf, size_t len)
{
	size_t got = 0;
	int r;

	if (!config_range_ok(offset, len))
		return -EINVAL;
	if (ctl_ended(&dev->ctl))
		return -ENOLINK;
	if (dev->vfio_fd >= 0)
		return vfio_config_rw(dev, false, offset, buf, len);
	/* Through udrvd, not the config fd: the BARs, interrupt line and other virtualized
	 * registers read as the holder wrote them. */
	pthread_mutex_lock(&dev->lock);
	r = ctl_call(&dev->ctl, UDRV_CTL_CONFIG_READ, 0, offset, NULL, 0, buf, len, &got);
	pthread_mutex_unlock(&dev->lock);
	if (r == 0 && got != len)
		return -EIO;
	return r;
}

int udrv_config_write(struct udrv_device *dev, unsigned offset, const void *buf, size_t len)
{
	if (!config_range_ok(offset, len))
		return -EINVAL;
	if (dev->vfio_fd >= 0) /* vfio-pci's config virtualization decides what reaches it */
		return ctl_ended(&dev->ctl) ? -ENOLINK
					    : vfio_config_rw(dev, true, offset, (void *)buf, len);
	return device_call(dev, UDRV_CTL_CONFIG_WRITE, 0, offset, buf, len);
}
