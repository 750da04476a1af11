/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* BAR access: mmap of a memory BAR's resource file, pread/pwrite for I/O BARs. */
#include <stdbool.h>
#include <sys/mman.h>

#include "udrv-internal.h"

static int bar_fd(struct udrv_device *dev, unsigned bar)
{
	if (bar >= UDRV_BAR_MAX)
		return -EINVAL;
	if (ctl_ended(&dev->ctl))
		return -ENOLINK;
	return dev->bar_fd[bar] >= 0 ? dev->bar_fd[bar] : -ENOENT;
}

/* Bit 0 of the BAR register says I/O space; unreadable config means "try mmap and see". */
static bool bar_is_io(struct udrv_device *dev, unsigned bar)
{
	uint32_t v;

	return pread(dev->config_fd, &v, sizeof(v), 0x10 + 4 * bar) == sizeof(v) && (v & 1);
}

int udrv_bar_size(struct udrv_device *dev, unsigned bar, size_t *ret_size)
{
	int fd = bar_fd(dev, bar);

	if (fd < 0)
		return fd;
	*ret_size = dev->bar_size[bar];
	return 0;
}

static int bar_map_locked(struct udrv_device *dev, unsigned bar, int fd)
{
	void *p;

	if (dev->bar_addr[bar])
		return 0;
	if (dev->bar_size[bar] == 0)
		return -ENXIO;
	if (bar_is_io(dev, bar))
		return -EOPNOTSUPP;
	p = mmap(NULL, dev->bar_size[bar], PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 (off_t)dev->bar_offset[bar]);
	if (p == MAP_FAILED)
		/* x86 gives I/O resource files no mmap at all: the kernel answers ENODEV. */
		return errno == ENODEV ? -EOPNOTSUPP : negative_errno();
	dev->bar_addr[bar] = p;
	return 0;
}

int udrv_map_bar(struct udrv_device *dev, unsigned bar, void **ret_addr, size_t *ret_len)
{
	int fd = bar_fd(dev, bar), r;

	if (fd < 0)
		return fd;
	pthread_mutex_lock(&dev->lock);
	r = bar_map_locked(dev, bar, fd);
	pthread_mutex_unlock(&dev->lock);
	if (r < 0)
		return r;
	*ret_addr = dev->bar_addr[bar];
	if (ret_len)
		*ret_len = dev->bar_size[bar];
	return 0;
}

static int bar_rw(struct udrv_device *dev, bool write, unsigned bar, uint64_t offset, void *buf,
		  size_t len)
{
	int fd = bar_fd(dev, bar);
	off_t at;
	ssize_t n;

	if (fd < 0)
		return fd;
	/* uio-ext: a memory BAR is a map of /dev/uioN, whose read() and write() are the interrupt
	 * count and irqcontrol, not the registers: map it. */
	if (fd == dev->uio_fd)
		return -EOPNOTSUPP;
	if (offset > INT64_MAX)
		return -EINVAL;
	at = (off_t)(dev->bar_offset[bar] + offset);
	n = write ? pwrite(fd, buf, len, at) : pread(fd, buf, len, at);
	if (n < 0)
		return negative_errno();
	return (size_t)n == len ? 0 : -EIO;
}

int udrv_bar_read(struct udrv_device *dev, unsigned bar, uint64_t offset, void *buf, size_t len)
{
	return bar_rw(dev, false, bar, offset, buf, len);
}

int udrv_bar_write(struct udrv_device *dev, unsigned bar, uint64_t offset, const void *buf,
		   size_t len)
{
	return bar_rw(dev, true, bar, offset, (void *)buf, len);
}
