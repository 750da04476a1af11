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
