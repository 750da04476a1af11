/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What udrvd must remember about a device it changed, kept under ROOT/run/udrvd/devices/
 * so that a restarted udrvd can give every device back. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "pci-slot.h"

struct device_record {
	char slot[PCI_SLOT_LEN];
	char *original_driver;	 /* NULL: was unbound */
	char *original_override; /* NULL: was unset */
	char *backend;		 /* "uio" */
	uid_t holder_uid;
	pid_t holder_pid;
};

void device_record_done(struct device_record *r);

/* Writes the record atomically (temporary file, fsync, rename). */
int state_save(const char *root, const struct device_record *r);
/* -ENOENT when there is none. */
int state_load(const char *root, const char *slot, struct device_record *ret);
int state_remove(const char *root, const char *slot);
/* Slots that have a record. */
int state_list(const char *root, char ***ret);

/* Pure parsing and formatting, for tests. */
int device_record_format(const struct device_record *r, char **ret);
int device_record_parse(const char *slot, const char *text, struct device_record *ret);
