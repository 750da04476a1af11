/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The UIO backend: a function bound to uio_pci_generic for the length of a lease. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "backend.h"
#include "config-filter.h"
#include "pci-config.h"
#include "pci-device.h"
#include "policy.h"

struct uio_dev {
	char *root;
	char slot[PCI_SLOT_LEN];
	bool ext;      /* uio_ext, not uio_pci_generic */
	int ext_fd;    /* uio_ext: udrvd's /dev/uio-ext, attached to this function */
	bool io_bars;  /* uio_ext: I/O BAR resource files handed out, which no revoke reaches */
	int devfd;     /* sysfs directory of the function */
	int config_fd; /* udrvd's writable config fd: never leaves udrvd */
	int uio_fd;    /* udrvd's own /dev/uioN: closing it would clear bus mastering (uio_ext:
			* the holder's, udrvd keeps none once it is handed out) */
	int uio_num;
	uint16_t cmd;	/* Command as udrvd last wrote or read it; valid when cmd_valid */
	bool cmd_valid; /* cleared by any config write that may touch Command */
	uint8_t saved[PCI_CFG_HEADER_SIZE]; /* header before udrvd touched the function */
	uint8_t clean[PCI_CFG_HEADER_SIZE]; /* header right after the opening reset */
	bool clean_valid;		    /* CLEAN was read */
	char *reset_method;		    /* what the opening reset did */
	enum policy_reset reset;
	bool bus_master;
	const char *irq_mode;	      /* "intx" or "poll", once irq_setup chose */
	struct config_filter *filter; /* the client's view of config space, from the clean config */
	/* The last refused client write; REPORT the first time for its register in this lease. */
	struct backend_refusal refusal;
	uint8_t refusal_logged[CONFIG_SPACE_EXPRESS / 8]; /* by register offset */
};

/* Records the original driver, binds SLOT to uio_pci_generic (EXT: uio_ext), resets it, turns
 * bus mastering off (on only with DMA=unsafe) and snapshots the clean header. On failure the
 * function is given back as it was. */
int uio_dev_open(const char *root, const struct pci_device *dev, const struct policy_grant *g,
		 uid_t uid, pid_t pid, bool ext, struct uio_dev **ret);

/* Opens the fds a client gets: config (read-only), barN for every granted BAR, irq.
 * RET_FDS/RET_NAMES get N entries. */
int uio_dev_client_fds(struct uio_dev *u, const struct pci_device *dev,
		       const struct policy_grant *g, int **ret_fds, char ***ret_names,
		       size_t *ret_n);

/* Clears INTx Disable: the next interrupt can arrive. */
int uio_dev_irq_enable(struct uio_dev *u);

/* A client's config write through the filter (config-filter.h): -EPERM, with u->refusal set,
 * when it would change a bit the client may not change, and then nothing changes; otherwise
 * the hardware bits are written, the shadow updated, INTx Disable set if asked, and Initiate
 * FLR becomes a reset. 1 when the write clears INTx Disable: the caller unmasks through its
 * irq path (limits, polling). -EIO past the end of config space. */
int uio_dev_config_write(struct uio_dev *u, unsigned off, const uint8_t *buf, size_t len);

/* The client's view of LEN bytes at OFF: the device's with the filter's shadow laid over. */
int uio_dev_config_read(struct uio_dev *u, unsigned off, uint8_t *buf, size_t len);

/* Sets (MASKED) or clears INTx Disable in hardware, udrvd's own write. */
int uio_dev_config_write_intx(struct uio_dev *u, bool masked);

/* Ends the lease's hold: bus mastering off, reset, clean header back, the original driver
 * and driver_override back, the record removed. Never fails half-way: every step runs. */
void uio_dev_close(struct uio_dev *u);

/* Forgets a function that was hot-unplugged: nothing to reset or give back. */
void uio_dev_forget(struct uio_dev *u);

/* Gives back a function udrvd prepared before it was restarted (no lease survives). */
int uio_dev_recover(const char *root, const char *slot);
