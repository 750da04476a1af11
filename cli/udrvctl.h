/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What every udrvctl verb receives: the global options parsed by main. */
#pragma once

#include <stdbool.h>

#include "pci-slot.h"

/* Exit codes of udrvctl, documented in udrvctl(1). */
#define EXIT_DENIED 1 /* a request was refused or a check failed */
#define EXIT_USAGE 2  /* bad arguments: unknown verb, bad or unknown slot */

struct udrvctl_ctx {
	const char *root;   /* "/" or a fixture tree; every system path is resolved under it */
	const char *socket; /* udrvd's: $UDRV_SOCKET, else under root */
	bool json;	    /* --json given */
};

/* Each verb gets argv with argv[0] = the verb's name, and returns an exit code. */
int verb_list(int argc, char **argv, const struct udrvctl_ctx *ctx);
int verb_policy(int argc, char **argv, const struct udrvctl_ctx *ctx);
int verb_grant(int argc, char **argv, const struct udrvctl_ctx *ctx);
int verb_release(int argc, char **argv, const struct udrvctl_ctx *ctx);
int verb_revoke(int argc, char **argv, const struct udrvctl_ctx *ctx);
int verb_bind(int argc, char **argv, const struct udrvctl_ctx *ctx);
int verb_unbind(int argc, char **argv, const struct udrvctl_ctx *ctx);
int verb_status(int argc, char **argv, const struct udrvctl_ctx *ctx);
int verb_monitor(int argc, char **argv, const struct udrvctl_ctx *ctx);
int verb_reload(int argc, char **argv, const struct udrvctl_ctx *ctx);

struct udrv_error;
/* udrvd's refusal on one line, and the exit code it maps to. */
void cli_print_refusal(const struct udrv_error *error);
int cli_refusal_exit(const struct udrv_error *error);
/* grant --user / grant --dry-run (cli/admin.c). */
int cli_standing_grant(const struct udrvctl_ctx *ctx, const char *user, const char *duration,
		       bool dry, const char *slot);
int cli_grant_dry_run(const struct udrvctl_ctx *ctx, const char *slot);

/* grant-dpdk.c: `grant --dpdk`. */
struct lease;
/* 0 when libudrv-dpdk.so can serve L (uio-ext, DMA=unsafe); else prints what to change and
 * returns -EOPNOTSUPP (backend) or -EPERM (no DMA). */
int grant_dpdk_check_one(const struct lease *l);
/* grant_dpdk_check_one() on each lease, every refusal printed; the first error. */
int grant_dpdk_check(struct lease *const *leases, size_t n);
/* Puts the library ($UDRV_DPDK_PRELOAD, else the installed one) first in LD_PRELOAD. */
int grant_dpdk_preload(void);

struct pci_device;

/* Normalizes ARG into SLOT; on a bad slot prints one line naming ARG and returns -EINVAL. */
int cli_normalize_slot(const char *arg, char slot[PCI_SLOT_LEN]);
/* Validates ARG as a slot and reads the function under ctx->root. On a bad or unknown slot
 * it prints one line naming ARG and returns EXIT_USAGE; 0 on success. */
int cli_read_device(const struct udrvctl_ctx *ctx, const char *arg, struct pci_device **ret);
