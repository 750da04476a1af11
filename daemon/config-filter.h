/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Config-space mediation for UIO clients: a per-bit permission map and a shadow copy built from
 * the device's own capability chains, at vfio-pci's standard or stricter. Pure: no I/O. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"
#include "pci-device.h"
#include "policy.h"

#define CONFIG_SPACE_LEGACY 256
#define CONFIG_SPACE_EXPRESS 4096
/* Room for the longest name config_filter_describe() gives. */
#define CONFIG_FILTER_NAME_MAX 128

/*
 * Every bit of config space is one of:
 *   hardware  the client's writes reach the device (Command's IO/MEM/parity/SERR, cache line,
 *             latency, BIST, PCIe DevCtl/DevCtl2 error and tuning bits, ...), INTx Disable
 *             through udrvd's irq path (enum config_intx);
 *   shadow    kept in udrvd: BARs and ROM (sizing emulated), interrupt line, PCIe MPS and
 *             Initiate FLR, PM PME_En;
 *   read-only everything else: IDs, Status, MSI, MSI-X, PM power state, LnkCtl, SltCtl,
 *             vendor-specific capabilities, bytes no capability claims.
 * Status bits the device changes (write-1-to-clear errors, interrupt and link status) are
 * read-only, and writes to them are dropped whatever the value.
 * ConfigWrite= ranges make bytes raw (written as given), except in the protected structures:
 * the header, MSI, MSI-X, PM, PCI Express, Advanced Features, SR-IOV, ACS and Resizable BAR,
 * whose bits the kernel must know about.
 */

struct config_filter_options {
	bool dma;			/* the client may turn bus mastering on */
	const struct policy_range *raw; /* ConfigWrite= */
	size_t n_raw;
};

/* HW arguments below hold the device's config space as read just before, indexed by offset:
 * at least the bytes [OFF, OFF + LEN). */

/* One hardware write of a plan: LEN bytes at OFF, the data at plan->hw + OFF. */
struct config_access {
	uint16_t off;
	uint16_t len;
};

/* What a write asks of INTx Disable. The bit is the device's, but udrvd's irq path owns it
 * (storm limits, polling leases keep it set): the caller masks or unmasks through that path
 * instead of the plan writing it. */
enum config_intx {
	CONFIG_INTX_KEEP,
	CONFIG_INTX_MASK,
	CONFIG_INTX_UNMASK,
};

/* What an allowed write does: hardware writes (each a run of bytes whose hardware bits change,
 * read-modify-write: other bits keep the hardware value read before, live status bits are
 * written as 0), then the new shadow, then maybe INTx and a reset. */
struct config_write_plan {
	uint8_t hw[CONFIG_SPACE_EXPRESS];     /* by config offset; valid inside the accesses */
	uint8_t shadow[CONFIG_SPACE_EXPRESS]; /* by config offset; valid in the span below */
	unsigned shadow_off, shadow_len;      /* the write's dwords: the shadow bytes it replaces */
	struct config_access access[CONFIG_SPACE_EXPRESS / 2];
	size_t n_access;
	enum config_intx intx;
	bool reset; /* the client set Initiate FLR on a function that supports it */
};

struct config_filter;

/* Builds the filter from IMAGE, the function's config space as root reads it (SIZE 256 or 4096),
 * and RES, its resources from sysfs (BAR sizes and types). -EINVAL for another SIZE. */
int config_filter_new(const uint8_t *image, size_t size,
		      const struct pci_resource res[PCI_NUM_RESOURCES],
		      const struct config_filter_options *opts, struct config_filter **ret);
void config_filter_free(struct config_filter *f);
void config_filter_freep(struct config_filter **f);
#define _cleanup_config_filter_ _cleanup_(config_filter_freep)

/* 256 or 4096. */
size_t config_filter_size(const struct config_filter *f);

/* The client's view of LEN bytes at OFF: the device's (HW) with the shadow's bits laid over.
 * -EIO past the end of config space. */
int config_filter_read(const struct config_filter *f, unsigned off, size_t len, const uint8_t *hw,
		       uint8_t *ret);

/* 1 and *RET_OFF when writing DATA at OFF would change a bit the client may not change,
 * compared to its view: the first such byte. 0 when none. */
int config_filter_refused(const struct config_filter *f, unsigned off, size_t len,
			  const uint8_t *data, const uint8_t *hw, unsigned *ret_off);

/* Plans the client's write of LEN bytes of DATA at OFF. -EPERM when config_filter_refused()
 * finds a byte (the write then changes nothing), -EIO past the end, -EINVAL for LEN 0. Bits the
 * client may not change but writes with their current value are accepted and ignored. */
int config_filter_write(const struct config_filter *f, unsigned off, size_t len,
			const uint8_t *data, const uint8_t *hw, struct config_write_plan *ret);

/* Takes PLAN's shadow, once its hardware writes are done. */
void config_filter_commit(struct config_filter *f, const struct config_write_plan *plan);

/* False when a write of LEN bytes at OFF can be judged and applied without the device's
 * current bytes: every byte is wholly the client's (written to hardware whole) or wholly
 * shadowed. Then the caller may skip reading config space (the dearest part of a mediated
 * write) and pass HW as the complement of the data, so every writable byte is written. */
bool config_filter_needs_hw(const struct config_filter *f, unsigned off, size_t len);

/* Names the register holding OFF for a log ("MSI capability at 0x40: Message Control",
 * "BAR0", "vendor-specific capability at 0x70", "unclaimed byte 0x4e") into BUF and returns the
 * register's first offset (registers of unknown layout: the dword). */
unsigned config_filter_describe(const struct config_filter *f, unsigned off, char *buf,
				size_t size);

/* True when OFF lies in a structure ConfigWrite= cannot open. */
bool config_filter_protected(const struct config_filter *f, unsigned off);
