/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A lease on the uio_ext backend: the holder's /dev/uioN carries the BAR maps and the
 * interrupts. The maps are found in sysfs from the fd itself, so an inherited lease (`udrvctl
 * grant -- CMD`) needs nothing but its fds. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <syslog.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "udrv-internal.h"
#include "udrv-protocol.h"
#include "../uio-ext/include/uapi/linux/uio_ext.h"

/* UIO has at most 5 maps (MAX_UIO_MAPS). */
#define UIO_MAPS_MAX 5

static int read_map_attr(const char *dir, unsigned k, const char *attr, char *buf, size_t size)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	if (snprintf(path, sizeof(path), "%s/map%u/%s", dir, k, attr) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

int uio_ext_device_init(struct udrv_device *dev)
{
	const char *root = getenv("UDRV_ROOT");
	long page = sysconf(_SC_PAGESIZE);
	char dir[PATH_MAX];
	struct stat st;

	dev->pin_fd = lease_fd(dev->lease, LEASE_FD_DMA_PIN);
	if (dev->pin_fd < 0)
		dev->pin_fd = -1;
	dev->uio_fd = lease_fd(dev->lease, LEASE_FD_UIO);
	if (dev->uio_fd < 0) {
		dev->uio_fd = -1;
		return 0;
	}
	if (fstat(dev->uio_fd, &st) < 0)
		return negative_errno();
	if (!S_ISCHR(st.st_mode))
		return -ENOTTY;
	if (snprintf(dir, sizeof(dir), "%s/sys/dev/char/%u:%u/maps",
		     root && *root && strcmp(root, "/") ? root : "", major(st.st_rdev),
		     minor(st.st_rdev)) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	/* Interrupts: read a 4-byte count from it, as from uio_pci_generic's node; or, with MSI or
	 * MSI-X (DMA=unsafe), one eventfd per vector. */
	dev->irq_fd = dev->uio_fd;
	dev->irq_eventfd = false;
	for (unsigned v = 0; v < LEASE_MAX_VECTORS; v++) {
		char name[16];
		int fd;

		snprintf(name, sizeof(name), "irq-vec%u", v);
		fd = lease_fd(dev->lease, name);
		if (fd < 0)
			break;
		dev->vec_fds[dev->n_vecs++] = fd;
	}
	for (unsigned k = 0; k < UIO_MAPS_MAX; k++) {
		char name[32], size[32];
		unsigned bar;
		char end;

		if (read_map_attr(dir, k, "name", name, sizeof(name)) < 0)
			break;
		if (sscanf(name, "BAR%u%c", &bar, &end) != 1 || bar >= UDRV_BAR_MAX)
			continue; /* "dma": DMA buffers (lib/dma.c) */
		if (read_map_attr(dir, k, "size", size, sizeof(size)) < 0)
			continue;
		dev->bar_fd[bar] = dev->uio_fd;
		dev->bar_size[bar] = (size_t)strtoull(size, NULL, 0);
		dev->bar_offset[bar] = (uint64_t)k * (uint64_t)page;
	}
	return 0;
}

int uio_ext_irq_unmask(struct udrv_device *dev)
{
	int32_t one = 1;

	if (ctl_ended(&dev->ctl))
		return -ENOLINK;
	return write(dev->uio_fd, &one, sizeof(one)) == sizeof(one) ? 0 : negative_errno();
}

/* The "dma" map's size, from sysfs like the BARs. */
static int dma_window_size(struct udrv_device *dev, uint32_t map_index, size_t *ret)
{
	const char *root = getenv("UDRV_ROOT");
	char dir[PATH_MAX], size[32];
	struct stat st;
	int r;

	if (fstat(dev->uio_fd, &st) < 0)
		return negative_errno();
	if (snprintf(dir, sizeof(dir), "%s/sys/dev/char/%u:%u/maps",
		     root && *root && strcmp(root, "/") ? root : "", major(st.st_rdev),
		     minor(st.st_rdev)) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	r = read_map_attr(dir, map_index, "size", size, sizeof(size));
	if (r < 0)
		return r;
	*ret = (size_t)strtoull(size, NULL, 0);
	return *ret ? 0 : -ENXIO;
}

/* Under dev->lock. Only the pages of live buffers fault in; the rest of the window is SIGBUS. */
static int dma_window_map(struct udrv_device *dev, uint32_t map_index)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t len;
	void *p;
	int r;

	if (dev->dma_window)
		return 0;
	r = dma_window_size(dev, map_index, &len);
	if (r < 0)
		return r;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, dev->uio_fd,
		 (off_t)map_index * page);
	if (p == MAP_FAILED)
		return negative_errno();
	dev->dma_window = p;
	dev->dma_window_len = len;
	return 0;
}

int uio_ext_dma_alloc(struct udrv_device *dev, size_t len, void **ret_vaddr, uint64_t *ret_bus)
{
	struct udrv_ctl_dma buf;
	uint64_t want = len, off;
	size_t n;
	int r;

	pthread_mutex_lock(&dev->lock);
	r = ctl_call(&dev->ctl, UDRV_CTL_DMA_ALLOC, 0, 0, &want, sizeof(want), &buf, sizeof(buf),
		     &n);
	if (r >= 0 && n != sizeof(buf))
		r = -EPROTO;
	if (r >= 0) {
		r = dma_window_map(dev, buf.map_index);
		if (r >= 0 && (buf.offset > dev->dma_window_len ||
			       buf.size > dev->dma_window_len - buf.offset))
			r = -EPROTO;
		if (r < 0) { /* give it back: nothing here can reach it */
			off = buf.offset;
			(void)ctl_call(&dev->ctl, UDRV_CTL_DMA_FREE, 0, 0, &off, sizeof(off), NULL,
				       0, NULL);
		}
	}
	pthread_mutex_unlock(&dev->lock);
	if (r < 0)
		return r;
	*ret_vaddr = (uint8_t *)dev->dma_window + buf.offset;
	*ret_bus = buf.bus_addr;
	return 0;
}

int uio_ext_dma_free(struct udrv_device *dev, void *vaddr)
{
	uint64_t off;
	int r;

	pthread_mutex_lock(&dev->lock);
	if (!dev->dma_window || (uint8_t *)vaddr < (uint8_t *)dev->dma_window ||
	    (uint8_t *)vaddr >= (uint8_t *)dev->dma_window + dev->dma_window_len)
		r = -ENOENT;
	else {
		off = (uint64_t)((uint8_t *)vaddr - (uint8_t *)dev->dma_window);
		r = ctl_call(&dev->ctl, UDRV_CTL_DMA_FREE, 0, 0, &off, sizeof(off), NULL, 0, NULL);
		if (r == -EINVAL)
			r = -ENOENT; /* not the start of a live buffer */
	}
	pthread_mutex_unlock(&dev->lock);
	return r;
}

/* What the module's errors mean for the caller's address, for the log callback. */
static const char *pin_refusal(int err)
{
	switch (err) {
	case EFAULT:
		return "not a writable mapped address of this process";
	case EOPNOTSUPP:
		return "memory that cannot be pinned (a device or PFN mapping, DAX, a shared "
		       "file mapping): use anonymous memory, shmem or hugepages";
	case ERANGE:
		return "the page lies beyond the device's DMA mask (DmaAddressBits=)";
	case ENOMEM:
		return "past RLIMIT_MEMLOCK (udrvd raised it to the policy's MemlockLimit=)";
	case ENOSPC:
		return "past the lease's MemlockLimit= of pinned memory";
	case EPERM:
		return "the pin fd belongs to another process, or the lease was revoked";
	case ENODEV:
		return "the device was taken back (the lease was revoked or ended)";
	default:
		return strerror(err);
	}
}

int uio_ext_dma_pin(struct udrv_device *dev, void *addr, uint64_t *ret_bus, size_t *ret_page_size)
{
	struct uio_ext_pin p = {.vaddr = (uint64_t)(uintptr_t)addr};

	if (ioctl(dev->pin_fd, UIO_EXT_PIN, &p) < 0) {
		int err = errno;

		ulog(LOG_ERR, "cannot pin the page at %p for DMA: %s", addr, pin_refusal(err));
		return -err;
	}
	if (ret_bus)
		*ret_bus = p.bus_addr + ((uint64_t)(uintptr_t)addr - p.page_vaddr);
	if (ret_page_size)
		*ret_page_size = (size_t)p.page_size;
	return 0;
}

void uio_ext_device_done(struct udrv_device *dev)
{
	if (dev->dma_window)
		munmap(dev->dma_window, dev->dma_window_len);
	dev->dma_window = NULL;
}
