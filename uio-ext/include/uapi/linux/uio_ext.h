/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * uio_ext control interface: the ioctls of /dev/uio-ext, for the broker (udrvd) only.
 *
 * A control fd is attached to one uio_ext device (by its UIO index, the N of
 * /dev/uioN) with UIO_EXT_ATTACH; every other ioctl then acts on that device.
 *
 * UIO_EXT_PIN_FD makes a pin fd for the device, which the broker hands to the holder: its
 * one ioctl, UIO_EXT_PIN, pins the (huge) page holding an address of the caller's own
 * memory and returns the page's bus address. Pins are never undone one by one: they are
 * released when the device is idle (see uio-ext/README.md, "Pins").
 */
#ifndef _UAPI_LINUX_UIO_EXT_H
#define _UAPI_LINUX_UIO_EXT_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define UIO_EXT_CTL_NAME	"uio-ext"	/* /dev/uio-ext */
#define UIO_EXT_IOC_MAGIC	0xE7

/* Interrupt modes (struct uio_ext_irq.mode, struct uio_ext_status.mode) */
#define UIO_EXT_IRQ_NONE	0	/* no interrupts, INTx masked */
#define UIO_EXT_IRQ_INTX	1	/* INTx: masked by the kernel, unmasked by write(1) */
#define UIO_EXT_IRQ_POLL	2	/* a timer raises the UIO event, INTx masked */
#define UIO_EXT_IRQ_MSI		3	/* MSI vectors signal eventfds (needs DMA) */
#define UIO_EXT_IRQ_MSIX	4	/* MSI-X vectors signal eventfds (needs DMA) */

/* struct uio_ext_status.flags */
#define UIO_EXT_F_REVOKED	(1U << 0)
#define UIO_EXT_F_DMA		(1U << 1)	/* DMA allowed */
#define UIO_EXT_F_MASTER	(1U << 2)	/* bus mastering on */
#define UIO_EXT_F_INTX_MASKED	(1U << 3)	/* DisINTx set in Command */
#define UIO_EXT_F_INTX_OK	(1U << 4)	/* the function can mask INTx */
#define UIO_EXT_F_REMOVED	(1U << 5)	/* unbound: only the status is left */

#define UIO_EXT_MAX_VECTORS	32

struct uio_ext_attach {
	__u32 uio_index;	/* N of /dev/uioN */
	__u32 flags;		/* must be 0 */
};

struct uio_ext_irq {
	__u32 mode;		/* UIO_EXT_IRQ_NONE, _INTX or _POLL */
	__u32 rate_limit;	/* INTx unmasks per second, 0: no limit */
	__u64 poll_ns;		/* _POLL: period, 10 us .. 10 s */
};

struct uio_ext_vectors {
	__u32 type;		/* UIO_EXT_IRQ_MSI or _MSIX; count 0 turns them off */
	__u32 count;		/* at most UIO_EXT_MAX_VECTORS */
	__u64 fds;		/* user pointer to count __s32 eventfds */
};

struct uio_ext_dma {
	__u32 allow;		/* 0 forbids DMA and clears bus mastering */
	__u32 mask_bits;	/* device DMA address width, 24..64; 0: keep */
	__u64 limit;		/* bytes of buffers allowed until the last close */
};

struct uio_ext_dma_buf {
	__u64 size;		/* in: bytes, rounded up to pages (E2BIG over 4 MiB) */
	__u64 offset;		/* out: byte offset in the "dma" map */
	__u64 bus_addr;		/* out: address the device uses */
	__u32 map_index;	/* out: mmap /dev/uioN at map_index * page size */
	__u32 pad;
};

struct uio_ext_status {
	__u32 uio_index;
	__u32 flags;		/* UIO_EXT_F_* */
	__u32 opens;		/* open files of /dev/uioN */
	__u32 mode;		/* UIO_EXT_IRQ_* */
	__u32 rate_limit;
	__u32 vectors;
	__u64 poll_ns;
	__u64 irqs;		/* interrupts taken (INTx and vectors) */
	__u64 events;		/* UIO events raised (interrupts, polls, re-signals) */
	__u64 unmasks;		/* INTx unmask requests */
	__u64 deferred;		/* unmasks deferred by the rate limit */
	__u64 storms;		/* runs of deferred unmasks */
	__u64 revokes;
	__u64 resets;		/* function resets done */
	__u64 reset_errors;	/* resets that failed or found no method */
	__u64 dma_used;		/* bytes of buffers held */
	__u64 dma_limit;
	__u64 dma_window;	/* size of the "dma" map, 0 if none */
	__u32 dma_map;		/* map index of the "dma" map, or ~0U */
	__u32 dma_buffers;	/* buffers held */
	__u64 pinned_bytes;	/* bytes of user pages pinned for the device */
	__u64 pin_limit;	/* the cap of the last UIO_EXT_PIN_FD */
	__u64 pins_released;	/* pins released so far */
	__u64 release_resets;	/* resets (the count above) when pins were last released */
	__u32 pins;		/* pages (huge or not) pinned */
	__u32 release_master;	/* pins released while bus mastering was on: must stay 0 */
};

/* UIO_EXT_PIN_FD: a pin fd for the device, for the holder (needs DMA allowed). */
struct uio_ext_pin_fd {
	__u64 limit;		/* bytes the device may have pinned at once */
	__u32 flags;		/* must be 0 */
	__u32 pad;		/* must be 0 */
};

/* UIO_EXT_PIN, on a pin fd */
struct uio_ext_pin {
	__u64 vaddr;		/* in: an address of the caller's memory, writable */
	__u64 page_vaddr;	/* out: start of the page that holds it */
	__u64 page_size;	/* out: its size (base page, or the hugetlb page size) */
	__u64 bus_addr;		/* out: the address the device uses for page_vaddr */
};

#define UIO_EXT_ATTACH		_IOW(UIO_EXT_IOC_MAGIC, 0, struct uio_ext_attach)
#define UIO_EXT_REVOKE		_IO(UIO_EXT_IOC_MAGIC, 1)
#define UIO_EXT_GRANT		_IO(UIO_EXT_IOC_MAGIC, 2)
#define UIO_EXT_SET_IRQ		_IOW(UIO_EXT_IOC_MAGIC, 3, struct uio_ext_irq)
#define UIO_EXT_SET_VECTORS	_IOW(UIO_EXT_IOC_MAGIC, 4, struct uio_ext_vectors)
#define UIO_EXT_SET_DMA		_IOW(UIO_EXT_IOC_MAGIC, 5, struct uio_ext_dma)
#define UIO_EXT_SET_MASTER	_IOW(UIO_EXT_IOC_MAGIC, 6, __u32)
#define UIO_EXT_DMA_ALLOC	_IOWR(UIO_EXT_IOC_MAGIC, 7, struct uio_ext_dma_buf)
#define UIO_EXT_DMA_FREE	_IOW(UIO_EXT_IOC_MAGIC, 8, __u64)
#define UIO_EXT_GET_STATUS	_IOR(UIO_EXT_IOC_MAGIC, 9, struct uio_ext_status)
/* Returns the new fd (O_CLOEXEC) */
#define UIO_EXT_PIN_FD		_IOW(UIO_EXT_IOC_MAGIC, 10, struct uio_ext_pin_fd)
/*
 * Bit n set: BAR n is mapped write-combining. Only prefetchable memory BARs, and only
 * while nothing maps the device (EBUSY); the last release sets it back to none.
 */
#define UIO_EXT_SET_WC		_IOW(UIO_EXT_IOC_MAGIC, 11, __u32)

/* On a pin fd */
#define UIO_EXT_PIN		_IOWR(UIO_EXT_IOC_MAGIC, 32, struct uio_ext_pin)

#endif /* _UAPI_LINUX_UIO_EXT_H */
