/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What every udrvctl verb receives: the global options parsed by main. */
#pragma once

#include <stdbool.h>

/* Exit codes of udrvctl, documented in udrvctl(1). */
#define EXIT_DENIED 1 /* a request was refused or a check failed */
#define EXIT_USAGE 2  /* bad arguments: unknown verb, bad or unknown slot */

struct udrvctl_ctx {
	const char *root; /* "/" or a fixture tree; every system path is resolved under it */
	bool json;	  /* --json given */
};

/* Each verb gets argv with argv[0] = the verb's name, and returns an exit code. */
int verb_list(int argc, char **argv, const struct udrvctl_ctx *ctx);
int verb_policy(int argc, char **argv, const struct udrvctl_ctx *ctx);
int verb_grant(int argc, char **argv, const struct udrvctl_ctx *ctx);

struct pci_device;

/* Validates ARG as a slot and reads the function under ctx->root. On a bad or unknown slot
 * it prints one line naming ARG and returns EXIT_USAGE; 0 on success. */
int cli_read_device(const struct udrvctl_ctx *ctx, const char *arg, struct pci_device **ret);
