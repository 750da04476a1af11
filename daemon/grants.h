/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Standing grants: an admin lets one uid open one slot though no policy lists the uid. They
 * persist under ROOT/run/udrvd/grants across udrvd restarts and expire on time. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "pci-slot.h"

struct grant {
	char slot[PCI_SLOT_LEN];
	uid_t uid;
	uint64_t until_usec; /* CLOCK_REALTIME; 0 = until revoked */
	uid_t by;	     /* the admin who granted it */
};

/* The longest a timed grant may run: ten years (longer is "until revoked"). */
#define GRANT_MAX_DURATION_USEC (3650ULL * 86400 * 1000000)

struct grant_table {
	struct grant *g;
	size_t n;
};

void grant_table_done(struct grant_table *t);
/* Adds or replaces the grant for (slot, uid). */
int grant_table_put(struct grant_table *t, const struct grant *g);
/* Removes every grant on SLOT; returns how many. */
size_t grant_table_remove_slot(struct grant_table *t, const char *slot);
/* Drops grants whose time is up at NOW; returns how many. */
size_t grant_table_expire(struct grant_table *t, uint64_t now_usec);
/* The live grant for (SLOT, UID) at NOW, or NULL. */
const struct grant *grant_table_find(const struct grant_table *t, const char *slot, uid_t uid,
				     uint64_t now_usec);

/* Text form, one grant per line: "SLOT UID UNTIL BY". Parsing skips malformed lines. */
int grant_table_format(const struct grant_table *t, char **ret);
int grant_table_parse(const char *text, struct grant_table *ret);

int grant_table_save(const char *root, const struct grant_table *t);
/* An absent file is an empty table. */
int grant_table_load(const char *root, struct grant_table *ret);
