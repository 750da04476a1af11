/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libudrv-dpdk.so (udrv-dpdk(7)), loaded with LD_PRELOAD: DPDK 22.11's own UIO code path runs on
 * the uio-ext leases `udrvctl grant --dpdk` passed down, and on nothing else. For a leased slot
 * the driver link reads as igb_uio, /dev/uioN is the lease's "uio" fd, the uio device's config
 * is the lease's read-only "config" fd with writes sent to udrvd (udrv_config_write), resourceN
 * maps the BAR through /dev/uioN, resourceN_wc does not exist, and /proc/self/pagemap answers
 * from the lease's "dma-pin" fd. It does nothing the process could not do with its own fds. */
#include <dlfcn.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "dpdk-pagemap.h"
#include "dpdk-path.h"
#include "udrv-internal.h"
#include "udrv-protocol.h"

/* libudrv's sources are compiled into this library and none is exported: this binds to its
 * own udrv_dma_pin(), never to a libudrv.so.0 the program may link. */
static int dma_pin(struct udrv_device *dev, uint64_t va, uint64_t *ret_bus)
{
	size_t page_size;

	return udrv_dma_pin(dev, (void *)(uintptr_t)va, ret_bus, &page_size);
}

#define EXPORT __attribute__((visibility("default")))

enum slot_state { SLOT_NEW, SLOT_SERVED, SLOT_PASSED };

struct leased_slot {
	char slot[PCI_SLOT_LEN];
	enum slot_state state;
	struct udrv_device *dev;
	int uio_fd, config_fd, pin_fd;
	unsigned uio_num;
	uint64_t bar_offset[UDRV_BAR_MAX]; /* BAR i's map in uio_fd */
	bool bar_mapped[UDRV_BAR_MAX];
};

enum fd_kind { FD_NONE, FD_CONFIG, FD_BAR, FD_PAGEMAP };

/* What one fd DPDK got from us is. */
struct fd_entry {
	uint8_t kind;
	uint8_t slot;	 /* index in slots[] */
	uint64_t offset; /* FD_BAR: the map's offset in /dev/uioN; FD_PAGEMAP: the file position */
};

static struct {
	pthread_mutex_t lock;
	struct leased_slot slots[LEASE_ENV_MAX];
	size_t n_slots;
	struct fd_entry *fds;
	size_t n_fds_alloc;
	size_t n_tracked; /* read without the lock: 0 means no fd is ours */
	bool warned_pin;
	bool debug;
} st = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* Set while this thread is inside the preload: libudrv's own opens and closes go straight to
 * libc. */
static __thread bool inside;

#define REAL(ret, name, ...)                                                                       \
	static ret (*real_##name)(__VA_ARGS__);                                                    \
	static ret (*get_##name(void))(__VA_ARGS__)                                                \
	{                                                                                          \
		if (!real_##name)                                                                  \
			real_##name = (ret(*)(__VA_ARGS__))dlsym(RTLD_NEXT, #name);                \
		return real_##name;                                                                \
	}
REAL(int, open, const char *, int, ...)
REAL(int, open64, const char *, int, ...)
REAL(int, openat, int, const char *, int, ...)
REAL(int, openat64, int, const char *, int, ...)
REAL(int, __open_2, const char *, int)
REAL(int, __open64_2, const char *, int)
REAL(ssize_t, readlink, const char *restrict, char *restrict, size_t)
REAL(void *, mmap, void *, size_t, int, int, int, off_t)
REAL(void *, mmap64, void *, size_t, int, int, int, off64_t)
REAL(ssize_t, read, int, void *, size_t)
REAL(ssize_t, pread, int, void *, size_t, off_t)
REAL(ssize_t, pread64, int, void *, size_t, off64_t)
REAL(ssize_t, pwrite, int, const void *, size_t, off_t)
REAL(ssize_t, pwrite64, int, const void *, size_t, off64_t)
REAL(off_t, lseek, int, off_t, int)
REAL(off64_t, lseek64, int, off64_t, int)
REAL(int, close, int)
REAL(int, dup, int)
REAL(int, dup2, int, int)
REAL(int, dup3, int, int, int)
REAL(int, fcntl, int, int, ...)
REAL(int, fcntl64, int, int, ...)

static void say(const char *format, ...) _printf_(1, 2);
static void say(const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	fputs("udrv-dpdk: ", stderr);
	vfprintf(stderr, format, ap);
	fputc('\n', stderr);
	va_end(ap);
}

#define debug(...)                                                                                 \
	do {                                                                                       \
		if (st.debug)                                                                      \
			say(__VA_ARGS__);                                                          \
	} while (0)

/* The leased slots named by UDRV_SLOT at load; adopted later, at DPDK's first look at one, so
 * that a shell or wrapper between udrvctl and DPDK leaves them to the program that uses them. */
__attribute__((constructor)) static void preload_init(void)
{
	const char *env = getenv(UDRV_ENV_SLOT);

	st.debug = getenv("UDRV_DPDK_DEBUG") != NULL;
	for (const char *p = env; p && *p && st.n_slots < LEASE_ENV_MAX;) {
		size_t len = strcspn(p, ",");
		char entry[64];

		if (len > 0 && len < sizeof(entry)) {
			memcpy(entry, p, len);
			entry[len] = 0;
			if (pci_slot_normalize(entry, st.slots[st.n_slots].slot) == 0)
				st.n_slots++;
		}
		p += len + (p[len] == ',');
	}
	debug("%zu leased slot(s) in %s", st.n_slots, UDRV_ENV_SLOT);
}

/* Adopts S's inherited lease (under the lock, inside). A lease that is not uio-ext's is left
 * alone: DPDK then sees the function as the kernel shows it. */
static void slot_adopt(struct leased_slot *s)
{
	struct udrv_error error;
	struct lease *lease = NULL;
	struct stat sb;
	int r;

	if (s->state != SLOT_NEW)
		return;
	s->state = SLOT_PASSED;
	r = lease_adopt(s->slot, &lease, &error);
	if (r <= 0) {
		say("%s: cannot adopt the inherited lease: %s", s->slot,
		    r == 0 ? "it is not in the environment (adopted already?)" : error.message);
		return;
	}
	r = device_new(lease, &s->dev);
	if (r < 0) {
		say("%s: cannot set up the inherited lease: %s", s->slot, strerror(-r));
		lease_free(lease);
		return;
	}
	s->uio_fd = lease_fd(lease, LEASE_FD_UIO);
	s->config_fd = lease_fd(lease, "config");
	s->pin_fd = lease_fd(lease, LEASE_FD_DMA_PIN);
	if (s->uio_fd < 0 || fstat(s->uio_fd, &sb) < 0) {
		say("%s: the lease is not on udrvd's uio-ext backend (no uio fd); DPDK sees the "
		    "function as the kernel shows it",
		    s->slot);
		return;
	}
	s->uio_num = minor(sb.st_rdev);
	for (unsigned i = 0; i < UDRV_BAR_MAX; i++)
		if (s->dev->bar_fd[i] == s->uio_fd) {
			s->bar_mapped[i] = true;
			s->bar_offset[i] = s->dev->bar_offset[i];
		}
	s->state = SLOT_SERVED;
	debug("%s: served as igb_uio on /dev/uio%u%s", s->slot, s->uio_num,
	      s->pin_fd >= 0 ? ", pagemap from dma-pin" : "");
}

static struct leased_slot *slot_find(const char *slot)
{
	for (size_t i = 0; i < st.n_slots; i++)
		if (streq(st.slots[i].slot, slot)) {
			slot_adopt(&st.slots[i]);
			return st.slots[i].state == SLOT_SERVED ? &st.slots[i] : NULL;
		}
	return NULL;
}

static struct leased_slot *slot_find_uio(unsigned n)
{
	for (size_t i = 0; i < st.n_slots; i++) {
		slot_adopt(&st.slots[i]);
		if (st.slots[i].state == SLOT_SERVED && st.slots[i].uio_num == n)
			return &st.slots[i];
	}
	return NULL;
}

static struct leased_slot *slot_with_pin(void)
{
	for (size_t i = 0; i < st.n_slots; i++) {
		slot_adopt(&st.slots[i]);
		if (st.slots[i].state == SLOT_SERVED && st.slots[i].pin_fd >= 0)
			return &st.slots[i];
	}
	return NULL;
}

/* Under the lock. */
static int fd_track(int fd, enum fd_kind kind, size_t slot, uint64_t offset)
{
	if (fd < 0)
		return -EBADF;
	if ((size_t)fd >= st.n_fds_alloc) {
		size_t n = MAX((size_t)fd + 1, st.n_fds_alloc * 2);
		struct fd_entry *f = realloc(st.fds, n * sizeof(*f));

		if (!f)
			return -ENOMEM;
		memset(f + st.n_fds_alloc, 0, (n - st.n_fds_alloc) * sizeof(*f));
		st.fds = f;
		st.n_fds_alloc = n;
	}
	if (st.fds[fd].kind == FD_NONE)
		__atomic_add_fetch(&st.n_tracked, 1, __ATOMIC_RELAXED);
	st.fds[fd] =
		(struct fd_entry){.kind = (uint8_t)kind, .slot = (uint8_t)slot, .offset = offset};
	return 0;
}

static void fd_untrack(int fd)
{
	if (fd < 0 || (size_t)fd >= st.n_fds_alloc || st.fds[fd].kind == FD_NONE)
		return;
	st.fds[fd].kind = FD_NONE;
	__atomic_sub_fetch(&st.n_tracked, 1, __ATOMIC_RELAXED);
}

/* A copy of FD's entry (FD_NONE for an fd that is not ours), without locking when none is. */
static struct fd_entry fd_get(int fd)
{
	struct fd_entry e = {};

	if (inside || __atomic_load_n(&st.n_tracked, __ATOMIC_RELAXED) == 0 || fd < 0)
		return e;
	pthread_mutex_lock(&st.lock);
	if ((size_t)fd < st.n_fds_alloc)
		e = st.fds[fd];
	pthread_mutex_unlock(&st.lock);
	return e;
}

/* A new fd for FD (O_CLOEXEC in FLAGS honoured), tracked as KIND. */
static int fd_dup_tracked(int fd, int flags, enum fd_kind kind, size_t slot, uint64_t offset)
{
	int nfd = get_fcntl()(fd, (flags & O_CLOEXEC) ? F_DUPFD_CLOEXEC : F_DUPFD, 0);
	int r;

	if (nfd < 0 || kind == FD_NONE)
		return nfd;
	r = fd_track(nfd, kind, slot, offset);
	if (r < 0) {
		get_close()(nfd);
		errno = -r;
		return -1;
	}
	return nfd;
}

/* The open() of a leased function's files; -2 when PATH is not one (the caller opens it). */
static int open_leased(const struct dpdk_path *p, int flags)
{
	struct leased_slot *s;

	switch (p->kind) {
	case DPDK_PATH_RESOURCE:
	case DPDK_PATH_RESOURCE_WC:
		s = slot_find(p->slot);
		if (!s)
			return -2;
		if (p->kind == DPDK_PATH_RESOURCE_WC) {
			/* No write-combining BAR yet: DPDK falls back to resourceN on ENOENT. */
			errno = ENOENT;
			return -1;
		}
		if (!s->bar_mapped[p->index]) {
			errno = ENODEV; /* an I/O BAR, or no BAR: /dev/uioN has no map for it */
			return -1;
		}
		debug("%s: resource%u -> /dev/uio%u map at 0x%" PRIx64, s->slot, p->index,
		      s->uio_num, s->bar_offset[p->index]);
		return fd_dup_tracked(s->uio_fd, flags, FD_BAR, (size_t)(s - st.slots),
				      s->bar_offset[p->index]);
	case DPDK_PATH_UIO_DEV:
		s = slot_find_uio(p->index);
		if (!s)
			return -2;
		debug("%s: /dev/uio%u -> the lease's uio fd", s->slot, p->index);
		return fd_dup_tracked(s->uio_fd, flags, FD_NONE, 0, 0);
	case DPDK_PATH_UIO_CONFIG:
		s = slot_find_uio(p->index);
		if (!s)
			return -2;
		debug("%s: uio%u config -> the lease's config fd, writes to udrvd", s->slot,
		      p->index);
		return fd_dup_tracked(s->config_fd, flags, FD_CONFIG, (size_t)(s - st.slots), 0);
	default:
		return -2;
	}
}

/* /proc/self/pagemap: the real file, tracked so its reads come from dma-pin; or untouched
 * when no lease has a dma-pin fd. */
static int open_pagemap(int fd)
{
	if (fd < 0)
		return fd;
	if (!slot_with_pin()) {
		if (st.n_slots > 0 && !st.warned_pin) {
			st.warned_pin = true;
			say("%s%s has no dma-pin fd, so DPDK cannot learn the bus addresses of its "
			    "memory (EAL takes IOVA as VA and skips the ports): set DMA=unsafe in "
			    "the udrvd policy that grants it (udrvctl policy explain %s), with a "
			    "uio_ext module that pins DMA memory",
			    st.slots[0].slot, st.n_slots > 1 ? " (and every other lease)" : "",
			    st.slots[0].slot);
		}
		return fd;
	}
	if (fd_track(fd, FD_PAGEMAP, 0, 0) < 0) {
		get_close()(fd);
		errno = ENOMEM;
		return -1;
	}
	debug("/proc/self/pagemap (fd %d) answered from dma-pin", fd);
	return fd;
}

/* Every open flavour: PATH as DPDK spells it; OPEN_REAL opens it when it is not a leased
 * function's. */
#define OPEN_BODY(open_real)                                                                       \
	do {                                                                                       \
		struct dpdk_path p;                                                                \
		int fd, saved;                                                                     \
                                                                                                   \
		if (inside || st.n_slots == 0 || !absolute(path))                                  \
			return open_real;                                                          \
		dpdk_path_match(dpdk_sysfs_devices(), path, &p);                                   \
		if (p.kind == DPDK_PATH_OTHER || p.kind == DPDK_PATH_DRIVER)                       \
			return open_real;                                                          \
		pthread_mutex_lock(&st.lock);                                                      \
		inside = true;                                                                     \
		if (p.kind == DPDK_PATH_PAGEMAP)                                                   \
			fd = open_pagemap(open_real);                                              \
		else if ((fd = open_leased(&p, flags)) == -2)                                      \
			fd = open_real;                                                            \
		saved = errno;                                                                     \
		inside = false;                                                                    \
		pthread_mutex_unlock(&st.lock);                                                    \
		errno = saved;                                                                     \
		return fd;                                                                         \
	} while (0)

/* glibc marks PATH nonnull; a caller may still pass NULL (libc then fails with EFAULT). */
static bool absolute(const char *path)
{
	return path && path[0] == '/';
}

static mode_t open_mode(int flags, va_list ap)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(ap, mode_t) : 0;
}

EXPORT int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	OPEN_BODY(get_open()(path, flags, mode));
}

EXPORT int open64(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	OPEN_BODY(get_open64()(path, flags, mode));
}

EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	OPEN_BODY(get_openat()(dirfd, path, flags, mode));
}

EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	OPEN_BODY(get_openat64()(dirfd, path, flags, mode));
}

/* _FORTIFY_SOURCE's open(); glibc's headers do not declare them. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);

EXPORT int __open_2(const char *path, int flags)
{
	OPEN_BODY(get___open_2()(path, flags));
}

EXPORT int __open64_2(const char *path, int flags)
{
	OPEN_BODY(get___open64_2()(path, flags));
}

/* pci_get_kernel_driver_by_path() takes the link's last component: igb_uio makes the function
 * RTE_PCI_KDRV_IGB_UIO, whose interrupts are write(1)/write(0) on /dev/uioN, uio_ext's
 * irqcontrol. */
EXPORT ssize_t readlink(const char *restrict path, char *restrict buf, size_t size)
{
	struct dpdk_path p;
	bool ours;
	size_t n = strlen(DPDK_DRIVER_LINK);

	if (inside || st.n_slots == 0 || !absolute(path))
		return get_readlink()(path, buf, size);
	dpdk_path_match(dpdk_sysfs_devices(), path, &p);
	if (p.kind != DPDK_PATH_DRIVER)
		return get_readlink()(path, buf, size);
	pthread_mutex_lock(&st.lock);
	inside = true;
	ours = slot_find(p.slot) != NULL;
	inside = false;
	pthread_mutex_unlock(&st.lock);
	if (!ours)
		return get_readlink()(path, buf, size);
	debug("%s: driver -> igb_uio", p.slot);
	memcpy(buf, DPDK_DRIVER_LINK, MIN(n, size));
	return (ssize_t)MIN(n, size);
}

/* resourceN is /dev/uioN at the BAR's map: UIO selects map K by offset K * page size. */
EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t offset)
{
	struct fd_entry e = fd_get(fd);

	if (e.kind == FD_BAR)
		offset += (off64_t)e.offset;
	return get_mmap64()(addr, len, prot, flags, fd, offset);
}

EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t offset)
{
	struct fd_entry e = fd_get(fd);

	if (e.kind == FD_BAR)
		offset += (off_t)e.offset;
	return get_mmap()(addr, len, prot, flags, fd, offset);
}

/* The leases with a dma-pin fd, for one pagemap read. */
struct pin_devs {
	struct udrv_device *dev[LEASE_ENV_MAX];
	const char *slot[LEASE_ENV_MAX];
	size_t n;
};

/* Once per process: why DPDK's memory could not be pinned, and what to change. */
static void pin_failed(const char *slot, uint64_t va, int r)
{
	static bool said;

	if (said)
		return;
	said = true;
	if (r == -ENOMEM || r == -ENOSPC)
		say("cannot pin DPDK's memory at 0x%" PRIx64 " for %s: past MemlockLimit= "
		    "(%s). Every leased port pins all of DPDK's memory (EAL's -m or --socket-mem), "
		    "so MemlockLimit= in the udrvd policy must cover it once per port; see "
		    "udrvctl policy explain %s",
		    va, slot, strerror(-r), slot);
	else
		say("cannot pin DPDK's memory at 0x%" PRIx64 " for %s: %s", va, slot, strerror(-r));
}

/*
 * The pagemap lookup: VA's bus address. Without an IOMMU every function sees the same bus
 * addresses, but each device must hold its own pin: DPDK's memory is a DMA target of every
 * port, and a device's pins drop only once that device is quiesced, so that neither a revoke
 * of one port nor the order of the exit's clean-up lets another port write into memory that
 * is no longer pinned. MemlockLimit= thus covers DPDK's memory once per leased port.
 */
static int va_to_bus(uint64_t va, uint64_t *ret_bus, void *userdata)
{
	const struct pin_devs *p = userdata;
	uint64_t bus;
	int r = -ENXIO;

	for (size_t i = 0; i < p->n; i++) {
		r = dma_pin(p->dev[i], va, i ? &bus : ret_bus);
		if (r < 0) {
			pin_failed(p->slot[i], va, r);
			return r;
		}
	}
	if (r >= 0)
		debug("pagemap: 0x%" PRIx64 " pinned at bus 0x%" PRIx64 " by %zu device(s)", va,
		      *ret_bus, p->n);
	return r;
}

static ssize_t pagemap_pread(void *buf, size_t len, uint64_t offset)
{
	struct pin_devs p = {.n = 0};
	ssize_t n;

	pthread_mutex_lock(&st.lock);
	inside = true;
	if (slot_with_pin())
		for (size_t i = 0; i < st.n_slots && p.n < ELEMENTSOF(p.dev); i++)
			if (st.slots[i].state == SLOT_SERVED && st.slots[i].pin_fd >= 0) {
				p.slot[p.n] = st.slots[i].slot;
				p.dev[p.n++] = st.slots[i].dev;
			}
	inside = false;
	pthread_mutex_unlock(&st.lock);
	if (!p.n)
		return -ENXIO;
	inside = true;
	n = pagemap_read(buf, len, offset, (size_t)getpagesize(), va_to_bus, &p);
	inside = false;
	return n;
}

static ssize_t ret_errno(ssize_t r)
{
	if (r >= 0)
		return r;
	errno = (int)-r;
	return -1;
}

EXPORT ssize_t pread64(int fd, void *buf, size_t len, off64_t offset)
{
	if (fd_get(fd).kind == FD_PAGEMAP)
		return ret_errno(offset < 0 ? -EINVAL : pagemap_pread(buf, len, (uint64_t)offset));
	return get_pread64()(fd, buf, len, offset);
}

EXPORT ssize_t pread(int fd, void *buf, size_t len, off_t offset)
{
	if (fd_get(fd).kind == FD_PAGEMAP)
		return ret_errno(offset < 0 ? -EINVAL : pagemap_pread(buf, len, (uint64_t)offset));
	return get_pread()(fd, buf, len, offset);
}

/* rte_mem_virt2phy(): lseek to the entry, read 8 bytes. */
EXPORT ssize_t read(int fd, void *buf, size_t len)
{
	struct fd_entry e = fd_get(fd);
	ssize_t n;

	if (e.kind != FD_PAGEMAP)
		return get_read()(fd, buf, len);
	n = pagemap_pread(buf, len, e.offset);
	if (n > 0) {
		pthread_mutex_lock(&st.lock);
		if ((size_t)fd < st.n_fds_alloc && st.fds[fd].kind == FD_PAGEMAP)
			st.fds[fd].offset += (uint64_t)n;
		pthread_mutex_unlock(&st.lock);
	}
	return ret_errno(n);
}

static off64_t pagemap_lseek(int fd, off64_t offset, int whence)
{
	off64_t r = -EINVAL;

	pthread_mutex_lock(&st.lock);
	if ((size_t)fd < st.n_fds_alloc && st.fds[fd].kind == FD_PAGEMAP) {
		off64_t base = whence == SEEK_SET   ? 0
			       : whence == SEEK_CUR ? (off64_t)st.fds[fd].offset
						    : -1;

		if (base >= 0 && base + offset >= 0) {
			st.fds[fd].offset = (uint64_t)(base + offset);
			r = base + offset;
		}
	}
	pthread_mutex_unlock(&st.lock);
	return ret_errno(r);
}

EXPORT off64_t lseek64(int fd, off64_t offset, int whence)
{
	if (fd_get(fd).kind == FD_PAGEMAP)
		return pagemap_lseek(fd, offset, whence);
	return get_lseek64()(fd, offset, whence);
}

EXPORT off_t lseek(int fd, off_t offset, int whence)
{
	if (fd_get(fd).kind == FD_PAGEMAP)
		return pagemap_lseek(fd, offset, whence);
	return get_lseek()(fd, offset, whence);
}

/* Config writes are udrvd's to make (mediated): the fd itself is read-only. */
static ssize_t config_pwrite(const struct fd_entry *e, const void *buf, size_t len, off64_t offset)
{
	struct udrv_device *dev = st.slots[e->slot].dev;
	int r;

	if (offset < 0 || offset > UINT16_MAX || len > UINT16_MAX)
		return ret_errno(-EINVAL);
	inside = true;
	r = udrv_config_write(dev, (unsigned)offset, buf, len);
	inside = false;
	debug("%s: config write of %zu byte(s) at 0x%x: %s", st.slots[e->slot].slot, len,
	      (unsigned)offset, r < 0 ? strerror(-r) : "done");
	return ret_errno(r < 0 ? r : (ssize_t)len);
}

EXPORT ssize_t pwrite64(int fd, const void *buf, size_t len, off64_t offset)
{
	struct fd_entry e = fd_get(fd);

	if (e.kind == FD_CONFIG)
		return config_pwrite(&e, buf, len, offset);
	return get_pwrite64()(fd, buf, len, offset);
}

EXPORT ssize_t pwrite(int fd, const void *buf, size_t len, off_t offset)
{
	struct fd_entry e = fd_get(fd);

	if (e.kind == FD_CONFIG)
		return config_pwrite(&e, buf, len, offset);
	return get_pwrite()(fd, buf, len, offset);
}

EXPORT int close(int fd)
{
	if (fd_get(fd).kind != FD_NONE) {
		pthread_mutex_lock(&st.lock);
		fd_untrack(fd);
		pthread_mutex_unlock(&st.lock);
	}
	return get_close()(fd);
}

/* NEWFD (a copy of OLDFD, or -1) takes OLDFD's entry; whatever NEWFD was is forgotten. */
static int dup_done(int oldfd, int newfd, bool replaced)
{
	struct fd_entry e = fd_get(oldfd);
	int saved = errno;

	if (newfd < 0 || inside || (e.kind == FD_NONE && !replaced))
		return newfd;
	pthread_mutex_lock(&st.lock);
	fd_untrack(newfd);
	if (e.kind != FD_NONE)
		(void)fd_track(newfd, e.kind, e.slot, e.offset);
	pthread_mutex_unlock(&st.lock);
	errno = saved;
	return newfd;
}

EXPORT int dup(int fd)
{
	return dup_done(fd, get_dup()(fd), false);
}

EXPORT int dup2(int fd, int newfd)
{
	return fd == newfd ? get_dup2()(fd, newfd) : dup_done(fd, get_dup2()(fd, newfd), true);
}

EXPORT int dup3(int fd, int newfd, int flags)
{
	return dup_done(fd, get_dup3()(fd, newfd, flags), true);
}

/* Every fcntl command's argument fits in a pointer-sized word on the ABIs DPDK runs on. */
EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;
	int r;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	r = get_fcntl64()(fd, cmd, arg);
	return cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC ? dup_done(fd, r, false) : r;
}

EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;
	int r;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	r = get_fcntl()(fd, cmd, arg);
	return cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC ? dup_done(fd, r, false) : r;
}
