/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libudrv's private interfaces: the lease (named fds), its transports, the ctl channel. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>

#include "macro.h"
#include "pci-slot.h"
#include "udrv.h"

/* ctl, config, bar0..bar5, irq, irq-unmask, vfio-device, vfio-container. */
/* uio-ext MSI/MSI-X vectors, "irq-vec0".. (udrvd's BACKEND_MAX_VECTORS). */
#define LEASE_MAX_VECTORS 8
#define LEASE_MAX_FDS (2 + UDRV_BAR_MAX + 4 + LEASE_MAX_VECTORS)
/* "vfio-container" is the longest name. */
#define LEASE_NAME_MAX 16

/* The fds of one lease, in protocol order: "ctl", "config", then "barN" by increasing N, then
 * "irq" if the function has one. Owns the fds. */
struct lease {
	char slot[PCI_SLOT_LEN];
	size_t n_fds;
	int fds[LEASE_MAX_FDS];
	char names[LEASE_MAX_FDS][LEASE_NAME_MAX];
	char **info; /* key, value, key, value, ..., NULL */
	bool adopted;
};

/* lease.c */
int lease_new(const char *slot, struct lease **ret);
void lease_free(struct lease *l);
static inline void lease_freep(struct lease **l)
{
	lease_free(*l);
}
#define _cleanup_lease_ _cleanup_(lease_freep)
/* Rank of a fd name in protocol order (ctl 0, config 1, barN 2+N, irq 8); -EINVAL if unknown. */
int lease_name_rank(const char *name);
/* -EINVAL unless NAME may follow the fds already in L (see struct lease). */
int lease_check_next(const struct lease *l, const char *name);
/* Appends FD under NAME and owns it from then on; on failure FD is left to the caller. */
int lease_add_fd(struct lease *l, const char *name, int fd);
/* -EPROTO unless L holds at least ctl and config. */
int lease_check_complete(const struct lease *l);
/* The fd named NAME, or -ENOENT. */
int lease_fd(const struct lease *l, const char *name);
int lease_add_info(struct lease *l, const char *key, const char *value);
/* "ctl:config:bar0:irq". */
int lease_fdnames(const struct lease *l, char **ret);

/* lease-env.c: inherited leases. One lease: UDRV_SLOT=SLOT UDRV_FDS=N UDRV_FDNAMES=a:b:c, fds
 * from 3. Several (`udrvctl grant S1,S2 -- CMD`): each variable a ','-separated list with one
 * entry per lease, in the same order, the leases' fds one after the other from 3
 * (UDRV_SLOT=S1,S2 UDRV_FDS=3,3 UDRV_FDNAMES=ctl:config:uio,ctl:config:uio: S2's fds are 6..8).
 * Adopting one empties its UDRV_SLOT entry (",S2"), which keeps the others' positions; the
 * variables go when the last is adopted. */
#define LEASE_ENV_MAX 8
/* Parses an environment (values may be NULL) and fds FD_START.. into a lease for SLOT (or for
 * ENV_SLOT when SLOT is NULL). 1 with *RET set when adopted, 0 when the environment is not for
 * SLOT, -EINVAL/-EBADF (ERROR filled) when it is inconsistent. Touches neither fds nor env. */
int lease_parse_env(const char *slot, const char *env_slot, const char *env_fds,
		    const char *env_names, int fd_start, struct lease **ret,
		    struct udrv_error *error);
/* The same, and *RET_INDEX: the lease's entry in the lists. */
int lease_parse_env_index(const char *slot, const char *env_slot, const char *env_fds,
			  const char *env_names, int fd_start, struct lease **ret,
			  size_t *ret_index, struct udrv_error *error);
/* lease_parse_env() on the real environment and fd 3; on success marks the fds close-on-exec
 * and empties the lease's UDRV_SLOT entry, or unsets the three variables after the last. */
int lease_adopt(const char *slot, struct lease **ret, struct udrv_error *error);
/* Moves L's fds to FD_START.. in order (whatever already sits there is closed), clears
 * FD_CLOEXEC on exactly those, and sets UDRV_SLOT, UDRV_FDS, UDRV_FDNAMES: ready for exec. */
int lease_export(struct lease *l, int fd_start);
/* The same for N leases, their fds one after the other, the variables as lists. */
int leases_export(struct lease **leases, size_t n, int fd_start);

/* acquire.c: a lease from udrvd. */
/* OVERRIDE if set, else ROOT (NULL or "" means "/") + UDRV_SOCKET_PATH. */
int udrvd_socket_path(const char *root, const char *override, char **ret);
/* Connects to udrvd at SOCKET_PATH, calls Acquire(SLOT) and returns the lease, its fds dup'ed
 * (close-on-exec, >= 3). The bus connection is closed before returning. */
int lease_acquire(const char *socket_path, const char *slot, struct lease **ret,
		  struct udrv_error *error);
/* The same through METHOD: "AcquireNode" asks, on VFIO, for /dev/vfio/N access (an ACL) and a
 * raised RLIMIT_MEMLOCK instead of fds, for unmodified apps run by `udrvctl grant`. */
int lease_acquire_method(const char *socket_path, const char *method, const char *slot,
			 struct lease **ret, struct udrv_error *error);

/* error.c */
/* The errno for a D-Bus error name from udrvd (see udrv.h); FALLBACK for unknown names. */
int bus_error_to_errno(const char *name, int fallback);
/* Clears E (may be NULL). */
void error_clear(struct udrv_error *e);
/* Fills E (may be NULL) with NAME (NULL: "") and the formatted message, in which %m stands for
 * strerror(-R). Returns R. */
int error_setf(struct udrv_error *e, int r, const char *name, const char *format, ...)
	_printf_(4, 5);

/* logging.c */
void ulog(int priority, const char *format, ...) _printf_(2, 3);

/* ctl.c: request/reply framing on the lease's SOCK_SEQPACKET channel. Not locked. */
struct ctl {
	int fd; /* not owned */
	uint32_t seq;
	bool ended; /* read with __atomic_load_n by lock-free paths */
	int end_status;
	const char *slot; /* for messages */
};
void ctl_init(struct ctl *c, int fd, const char *slot);
bool ctl_ended(const struct ctl *c);
/* Records that the lease ended (STATUS: -errno, WHY: for the log); returns -ENOLINK. */
int ctl_end(struct ctl *c, int status, const char *why);
/* Sends one request (IN: LEN data bytes) and, unless FLAGS has UDRV_CTL_F_NOREPLY, waits for
 * its reply and copies up to OUT_LEN data bytes to OUT (*RET_LEN, may be NULL). Returns the
 * reply's status; -ENOLINK once the lease has ended (event, hang-up); -EPROTO on a malformed or
 * unexpected reply. Events arriving before the reply are handled. */
int ctl_call(struct ctl *c, uint32_t op, uint32_t flags, uint32_t offset, const void *in,
	     size_t in_len, void *out, size_t out_len, size_t *ret_len);
/* Handles whatever udrvd queued (events) without blocking; -ENOLINK if the lease ended. */
int ctl_drain(struct ctl *c);

/* device.c */
struct udrv_device {
	pthread_mutex_t lock; /* ctl requests and BAR mapping */
	struct lease *lease;
	struct ctl ctl;
	int config_fd;
	int irq_fd;
	int unmask_fd; /* "irq-unmask": an eventfd udrvd watches; -1 */
	int uio_fd;    /* "uio" (uio_ext): BAR maps, interrupts, unmask by write; -1 */
	int pin_fd;    /* "dma-pin" (uio_ext, DMA=unsafe): pins pages of this process; -1 */
	int vec_fds[LEASE_MAX_VECTORS]; /* uio_ext: "irq-vecN", MSI/MSI-X eventfds */
	unsigned n_vecs;
	void *dma_window; /* uio_ext: the "dma" map of uio_fd, mapped at the first buffer */
	size_t dma_window_len;
	bool irq_eventfd; /* the irq fd is an eventfd (polling), not /dev/uioN */
	int bar_fd[UDRV_BAR_MAX];
	size_t bar_size[UDRV_BAR_MAX];
	void *bar_addr[UDRV_BAR_MAX];
	/* VFIO leases (lib/vfio-device.c, lib/dma.c); vfio_fd is -1 on a UIO lease. */
	int vfio_fd;	  /* "vfio-device": regions, interrupts */
	int container_fd; /* "vfio-container": DMA mappings */
	int group_fd; /* node mode: the group the library opened itself (then it owns all three) */
	uint64_t bar_offset[UDRV_BAR_MAX]; /* where BAR i starts in bar_fd[i] (0 on UIO) */
	uint64_t config_offset;		   /* the config region in vfio_fd */
	struct vfio_irqs *irqs;		   /* vectors enabled: set under lock, read lock-free */
	struct dma_buf *dma;		   /* udrv_dma_alloc()'d buffers, under lock */
};
/* A device over LEASE, which it takes over on success. */
int device_new(struct lease *lease, struct udrv_device **ret);

/* admin.c: udrvd's other calls, for udrvctl. */
#include <systemd/sd-bus.h>
/* A bus connection to udrvd at PATH, authenticated, able to pass fds. */
int udrvd_bus_open(const char *path, sd_bus **ret, struct udrv_error *error);

struct udrvd_lease_info {
	char slot[PCI_SLOT_LEN];
	uint32_t uid;
	uint32_t pid;
	uint64_t since_usec;
	char comm[64];
};
/* ListLeases(): every lease udrvd holds. */
int udrvd_list_leases(const char *socket_path, struct udrvd_lease_info **ret, size_t *ret_n,
		      struct udrv_error *error);
/* Calls METHOD with the arguments TYPES describes and returns the string it answers (what
 * was done, or with dry_run what would be). */
int udrvd_call_plan(const char *socket_path, const char *method, char **ret_plan,
		    struct udrv_error *error, const char *types, ...);

/* vfio-device.c: a lease with "vfio-device" and "vfio-container" (fd mode of udrvd's VFIO
 * backend). BARs are regions of the device fd, config space is vfio-pci's virtualized view,
 * interrupts are eventfds per vector. */
#define LEASE_FD_VFIO_DEVICE "vfio-device"
#define LEASE_FD_VFIO_CONTAINER "vfio-container"
/* Called by device_new() once the lease's fds are known: sets vfio_fd and container_fd (-1 on
 * a UIO lease) and, on a VFIO lease, bar_fd/bar_size/bar_offset from the device's regions. */
int vfio_device_init(struct udrv_device *dev);
/* Called by udrv_close() before the lease's fds close: DMA buffers unmapped and freed,
 * interrupts disabled, eventfds closed. */
void vfio_device_done(struct udrv_device *dev);
/* udrv_config_read/udrv_config_write on a VFIO lease: pread/pwrite on the config region. */
int vfio_config_rw(struct udrv_device *dev, bool write, unsigned offset, void *buf, size_t len);
/* udrv_irq_enable on a VFIO lease: unmasks INTx; nothing to do for MSI and MSI-X. */
int vfio_irq_unmask(struct udrv_device *dev);
/* udrv_irq_read on a VFIO lease: vector 0's eventfd count. */
int vfio_irq_read(struct udrv_device *dev, uint64_t *ret_count);

/* uio-ext.c: a lease with "uio", the holder's /dev/uioN of the uio_ext module. Memory BARs are
 * its maps (named "BARn" in sysfs), interrupts are read from it as a 4-byte count and unmasked
 * by writing 1 to it. */
#define LEASE_FD_UIO "uio"
#define LEASE_FD_DMA_PIN "dma-pin"
/* Called by device_new(): sets uio_fd (-1 otherwise), irq_fd, and the memory BARs'
 * bar_fd/bar_size/bar_offset from /sys/dev/char/MAJ:MIN/maps. */
int uio_ext_device_init(struct udrv_device *dev);
/* udrv_irq_enable on a uio_ext lease: the module unmasks INTx (within IrqRateLimit=). */
int uio_ext_irq_unmask(struct udrv_device *dev);
/* udrv_dma_alloc/udrv_dma_free on a uio_ext lease (DMA=unsafe): udrvd has the module allocate
 * the buffer in its "dma" window, which this maps once. */
int uio_ext_dma_alloc(struct udrv_device *dev, size_t len, void **ret_vaddr, uint64_t *ret_bus);
int uio_ext_dma_free(struct udrv_device *dev, void *vaddr);
/* udrv_dma_pin on a uio_ext lease with "dma-pin". */
int uio_ext_dma_pin(struct udrv_device *dev, void *addr, uint64_t *ret_bus, size_t *ret_page_size);
/* udrv_close: unmaps the window (the module frees the buffers at the last close). */
void uio_ext_device_done(struct udrv_device *dev);

/* dma.c */
/* Unmaps and frees every buffer of DEV (udrv_close). */
void dma_free_all(struct udrv_device *dev);
