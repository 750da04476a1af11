/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Resets a PCI function the way policy asks, or cleans it up when it cannot be reset. */
#pragma once

#include <stdint.h>

#include "pci-config.h"
#include "policy.h"

/* DEVFD is the function's sysfs directory, CONFIG_FD udrvd's writable config fd, SAVED the
 * header to restore when no reset method exists (or policy says Reset=none): then bus
 * mastering, memory and I/O decoding go off and the saved BARs come back. *RET_METHOD
 * (malloc'd) names what ran: a kernel method ("flr", "bus", ...), "kernel" when the kernel
 * chose among several, or "fallback". */
int pci_reset(int devfd, int config_fd, enum policy_reset want,
	      const uint8_t saved[PCI_CFG_HEADER_SIZE], char **ret_method);

/* Readies a function udrvd held for the driver it goes back to: pci_reset() (which turns bus
 * mastering off first), then, if the reset worked and CLEAN is not NULL, CLEAN's header written
 * back (the header as the opening reset left it), then bus mastering off again whatever
 * happened. Every step runs; failures are logged as warnings naming SLOT. Returns the reset's
 * result, and on success *RET_METHOD as pci_reset() names it (RET_METHOD may be NULL). */
int pci_reset_for_give_back(const char *slot, int devfd, int config_fd, enum policy_reset want,
			    const uint8_t saved[PCI_CFG_HEADER_SIZE], const uint8_t *clean,
			    char **ret_method);
