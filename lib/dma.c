/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* DMA buffers for a VFIO lease: shared memory mapped into the lease's IOMMU container at IOVAs
 * this library hands out. */
#include <linux/vfio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "udrv-internal.h"

/* IOVAs start above 0 so that a zero address in a descriptor is never a valid buffer. */
#define IOVA_BASE (1ULL << 20)
#define PAGE_4K 4096ULL
#define PAGE_2M (2ULL << 20)

struct dma_buf {
	struct dma_buf *next; /* sorted by iova */
	void *vaddr;
	size_t len; /* as mapped: whole pages */
	uint64_t iova;
};

/* Memfd-backed and MAP_SHARED: fork() leaves the pinned pages where the device sees them
 * instead of copying them on write. Hugepages first for large buffers, when there are any. */
static void *dma_mem(size_t want, size_t *ret_len, uint64_t *ret_align)
{
	for (int huge = want >= PAGE_2M; huge >= 0; huge--) {
		size_t page = huge ? PAGE_2M : PAGE_4K;
		size_t len = (want + page - 1) & ~(page - 1);
		int fd = memfd_create("udrv-dma", MFD_CLOEXEC | (huge ? MFD_HUGETLB : 0));
		void *p = MAP_FAILED;

		if (fd < 0)
			continue;
		if (ftruncate(fd, (off_t)len) == 0)
			p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
				 0);
		close(fd);
		if (p != MAP_FAILED) {
			*ret_len = len;
			*ret_align = page;
			return p;
		}
	}
	return NULL;
}

/* The lowest free IOVA of LEN bytes aligned to ALIGN, at or above IOVA_BASE; where the slot
 * goes in the sorted list in *RET_PREV. */
static uint64_t iova_find(struct dma_buf *list, size_t len, uint64_t align,
			  struct dma_buf ***ret_prev)
{
	struct dma_buf **prev = NULL;
	uint64_t at = IOVA_BASE;

	for (struct dma_buf **b = &list; *b; b = &(*b)->next) {
		if (at + len <= (*b)->iova)
			break;
		at = ((*b)->iova + (*b)->len + align - 1) & ~(align - 1);
		prev = &(*b)->next;
	}
	*ret_prev = prev;
	return at;
}

static int dma_map(int container_fd, struct dma_buf *b)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)b->vaddr,
		.iova = b->iova,
		.size = b->len,
	};

	return ioctl(container_fd, VFIO_IOMMU_MAP_DMA, &map) < 0 ? negative_errno() : 0;
}

static int dma_unmap(int container_fd, const struct dma_buf *b)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = b->iova,
		.size = b->len,
	};

	return ioctl(container_fd, VFIO_IOMMU_UNMAP_DMA, &unmap) < 0 ? negative_errno() : 0;
}

static int dma_alloc_locked(struct udrv_device *dev, struct dma_buf *b, uint64_t align)
{
	struct dma_buf **prev;
	int r;

	b->iova = iova_find(dev->dma, b->len, align, &prev);
	r = dma_map(dev->container_fd, b);
	if (r < 0)
		return r;
	if (!prev)
		prev = &dev->dma;
	b->next = *prev;
	*prev = b;
	return 0;
}

int udrv_dma_pin(struct udrv_device *dev, void *addr, uint64_t *ret_bus, size_t *ret_page_size)
{
	if (ctl_ended(&dev->ctl))
		return -ENOLINK;
	if (dev->pin_fd >= 0)
		return uio_ext_dma_pin(dev, addr, ret_bus, ret_page_size);
	/* A uio_ext lease without DMA=unsafe: its device cannot DMA, no page's address is due. */
	return dev->uio_fd >= 0 ? -EPERM : -EOPNOTSUPP;
}

int udrv_dma_alloc(struct udrv_device *dev, size_t len, void **ret_vaddr, uint64_t *ret_iova)
{
	struct dma_buf *b;
	uint64_t align;
	int r;

	if (len == 0 || len > SIZE_MAX / 2)
		return -EINVAL;
	if (ctl_ended(&dev->ctl))
		return -ENOLINK;
	if (dev->uio_fd >= 0)
		return uio_ext_dma_alloc(dev, len, ret_vaddr, ret_iova);
	if (dev->container_fd < 0)
		return -EOPNOTSUPP;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->vaddr = dma_mem(len, &b->len, &align);
	if (!b->vaddr) {
		free(b);
		return -ENOMEM;
	}
	pthread_mutex_lock(&dev->lock);
	r = dma_alloc_locked(dev, b, align);
	pthread_mutex_unlock(&dev->lock);
	if (r < 0) {
		ulog(LOG_DEBUG, "%s: cannot map %zu bytes for DMA: %s", dev->lease->slot, b->len,
		     strerror(-r));
		munmap(b->vaddr, b->len);
		free(b);
		return r;
	}
	*ret_vaddr = b->vaddr;
	*ret_iova = b->iova;
	return 0;
}

int udrv_dma_free(struct udrv_device *dev, void *vaddr)
{
	struct dma_buf *b = NULL;
	int r = -ENOENT;

	if (dev->uio_fd >= 0)
		return uio_ext_dma_free(dev, vaddr);
	if (dev->container_fd < 0)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&dev->lock);
	for (struct dma_buf **p = &dev->dma; *p; p = &(*p)->next)
		if ((*p)->vaddr == vaddr) {
			b = *p;
			*p = b->next;
			break;
		}
	pthread_mutex_unlock(&dev->lock);
	if (b) {
		/* Unmapped from the IOMMU before the pages can be reused. */
		r = dma_unmap(dev->container_fd, b);
		if (r >= 0)
			munmap(b->vaddr, b->len);
		else /* the device might still reach the pages: better leaked than reused */
			ulog(LOG_ERR, "%s: cannot unmap DMA buffer at IOVA 0x%llx: %s",
			     dev->lease->slot, (unsigned long long)b->iova, strerror(-r));
		free(b);
	}
	return r;
}

void dma_free_all(struct udrv_device *dev)
{
	while (dev->dma) {
		struct dma_buf *b = dev->dma;

		dev->dma = b->next;
		/* udrvd may have unmapped everything already when the lease ended. */
		(void)dma_unmap(dev->container_fd, b);
		munmap(b->vaddr, b->len);
		free(b);
	}
}
