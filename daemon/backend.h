/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The backend contract: what a lease needs from the kernel interface that hands its function
 * out (uio_pci_generic, uio_ext or vfio-pci). lease.c, lease-fast.c, manager-bus.c and
 * recovery call these and never ask which backend they hold. The tables are in backend-uio.c
 * (uio and uio-ext) and backend.c (vfio, and the choice Backend=auto makes). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "config-filter.h"
#include "pci-device.h"
#include "policy.h"

struct lease;

/* Who the function is handed to, and how. */
struct backend_holder {
	uid_t uid;
	pid_t pid;
	bool node; /* VFIO node mode: the holder opens /dev/vfio/N itself */
	int pidfd; /* on PID, taken by a prepare that acts on the process later (VFIO: its
		    * RLIMIT_MEMLOCK), so that a reused pid cannot name another; -1 */
};

/* Closes H's pidfd. */
void backend_holder_done(struct backend_holder *h);

/* A client config write the filter refused: REPORT the first time for its register. */
struct backend_refusal {
	bool report;
	unsigned off;
	char what[CONFIG_FILTER_NAME_MAX];
};

/* How interrupts reach the holder, as the backend set them up. */
enum backend_irq_path {
	BACKEND_IRQ_HOLDER, /* the holder sets them up on its own fds (VFIO) */
	BACKEND_IRQ_UNMASK, /* INTx; udrvd unmasks, rate-limited, on the holder's request */
	BACKEND_IRQ_POLL,   /* udrvd's timer signals the holder's irq eventfd */
	BACKEND_IRQ_KERNEL, /* the module does it all: unmask, rate limit, polling, vectors */
};

/* At most this many per-vector fds go to a holder (uio-ext MSI/MSI-X). */
#define BACKEND_MAX_VECTORS 8

struct backend_irq {
	enum backend_irq_path path;
	const char *mode; /* "intx", "poll", "msi", "msix" or "none": what the holder gets */
	const char *why;  /* for the log: why this mode */
	/* uio-ext MSI/MSI-X: one eventfd per vector for the holder, "irq-vec0".. (the caller
	 * hands them out and closes them); n_vectors 0 otherwise. */
	int vector_fds[BACKEND_MAX_VECTORS];
	unsigned n_vectors;
};

/* A DMA buffer a backend allocated for the holder. */
struct backend_dma_buf {
	uint64_t size;
	uint64_t offset;   /* in the holder's mapping, see map_index */
	uint64_t bus_addr; /* what the device uses */
	uint32_t map_index;
};

struct backend_ops {
	const char *name;   /* Backend=, the record's backend, `udrvctl list` */
	const char *driver; /* the kernel driver the function is bound to for a lease */

	/* Whether DEV can be handed out under G to H now: 1, 0 with *RET_WHY for the error
	 * reply, or -errno. NULL: always. */
	int (*check)(const char *root, const struct pci_device *dev, const struct policy_grant *g,
		     const struct backend_holder *h, char **ret_why);
	/* Records the original driver, binds, resets, leaves the function clean with bus
	 * mastering as policy allows. On failure the function is given back as it was. */
	int (*prepare)(const char *root, const struct pci_device *dev, const struct policy_grant *g,
		       struct backend_holder *h, void **ret);
	/* The holder's fds and their names (besides ctl). */
	int (*client_fds)(void *b, const struct pci_device *dev, const struct policy_grant *g,
			  const struct backend_holder *h, int **ret_fds, char ***ret_names,
			  size_t *ret_n);
	/* Chooses and sets up the interrupt mode. Before the lease's threads run. */
	int (*irq_setup)(void *b, const struct policy_grant *g, int device_irq,
			 struct backend_irq *ret);
	/* INTx Disable, udrvd's own write (BACKEND_IRQ_UNMASK and _POLL). Under the lease's
	 * lock. */
	int (*irq_mask)(void *b, bool masked);
	/* Config space through udrvd's filter, under the lease's lock. NULL: -EOPNOTSUPP (vfio-pci
	 * virtualizes it itself). config_write: -EPERM with *RET_REFUSAL set when refused; 1 when
	 * the write clears INTx Disable (the lease's irq path decides). */
	int (*config_read)(void *b, unsigned off, uint8_t *buf, size_t len);
	int (*config_write)(void *b, unsigned off, const uint8_t *buf, size_t len,
			    struct backend_refusal *ret_refusal);
	/* DMA buffers for the holder (NULL: -EOPNOTSUPP; VFIO's holder maps its own). */
	int (*dma_alloc)(void *b, uint64_t size, struct backend_dma_buf *ret);
	int (*dma_free)(void *b, uint64_t offset);
	/* Takes the holder's access away as far as the backend can: 1 when nothing the holder
	 * holds reaches the device any more (mappings zapped, interrupts stopped, bus mastering
	 * off), 0 when only the holders letting go ends it. NULL: 0. */
	int (*revoke)(void *b);
	/* Whether revoke() would return 1, for what `udrvctl revoke` says. NULL: false. */
	bool (*cuts_off)(void *b);
	/* What holders' fds name beyond the function's sysfs files (/dev/vfio/N, udrvd's own
	 * device fd for kcmp, see holders.h), a strv or NULL in *RET. NULL: nothing. */
	int (*holder_paths)(void *b, char ***ret);
	/* An eventfd the kernel signals when it wants the function back (hot-unplug, unbind)
	 * and blocks until the holder lets go; request_pending() reads it: 1 when asked.
	 * -EOPNOTSUPP (VFIO node mode) or NULL: nothing to watch. */
	int (*request_fd)(void *b, int *ret_fd);
	int (*request_pending)(void *b);
	/* Ends the hold: reset, the original driver and driver_override back, the record
	 * removed. Frees B. 0, or -EBUSY when the function stays confined until recovery. */
	int (*give_back)(void *b);
	/* The function was hot-unplugged: nothing to reset or give back. Frees B. */
	void (*forget)(void *b);
	/* Gives back SLOT, recorded by this or an earlier udrvd with this backend's name. */
	int (*recover)(const char *root, const char *slot);
	/* The lease's properties for Acquire's reply and ListLeases: an a{ss}. */
	int (*describe)(void *b, const char *policy, sd_bus_message *reply);
	/* One phrase for the grant's log line: "bus mastering off, reset flr". Malloc'd. */
	int (*summary)(void *b, char **ret);
	/* What a grant would do, for `udrvctl grant --dry-run`: the lines after the decision. */
	int (*plan)(const char *root, const struct pci_device *dev, const struct policy_grant *g,
		    const struct backend_holder *h, char **ret);
};

extern const struct backend_ops backend_uio_ops;
extern const struct backend_ops backend_uio_ext_ops;
extern const struct backend_ops backend_vfio_ops;

/* The backend a record names ("uio", "uio-ext", "vfio", "vfio-peer"), NULL if none does. */
const struct backend_ops *backend_from_record(const char *name);

/* The backend for DEV under G: Backend= as written, or for auto vfio when DEV has an IOMMU
 * group, else uio-ext when its module is loaded (ROOT/sys/bus/pci/drivers/uio_ext and
 * ROOT/dev/uio-ext), else uio. *RET_WHY says why (static). -ENODEV when Backend= names one
 * DEV cannot use, with *RET_WHY the user's message. */
int backend_select(const char *root, const struct pci_device *dev, const struct policy_grant *g,
		   const struct backend_ops **ret, const char **ret_why);
