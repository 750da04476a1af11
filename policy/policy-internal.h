/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the policy/ sources share and its users do not see: the file object and the key table. */
#pragma once

#include <stdarg.h>

#include "pci-device.h"

#include "macro.h"
#include "strv.h"
#include "policy-values.h"
#include "policy.h"

struct policy_u16_list {
	uint16_t *v;
	size_t n;
};

struct policy_match {
	char **slots; /* NULL-terminated globs, or NULL */
	struct policy_u16_list vendors;
	struct policy_u16_list devices;
	struct policy_u16_list subsystem_vendors;
	struct policy_u16_list subsystem_devices;
	struct policy_class *classes;
	size_t n_classes;
};

/* Where a key was set: its line and the value as written. */
struct policy_setting {
	unsigned line; /* 0: not set, the default applies */
	char *raw;
};

struct policy_file {
	unsigned n_ref;
	char *path;
	const char *name; /* points into path */
	unsigned match_line;
	unsigned grant_line;
	struct policy_match match;
	struct policy_grant grant;
	struct policy_setting settings[_POLICY_KEY_MAX];
};

/* Room for one message about a bad value. */
#define POLICY_MESSAGE_MAX 256

/* Parses VALUE into F for KEY. -EINVAL with "expected ..." in MSG; -ENOMEM. */
int policy_key_parse(enum policy_key key, struct policy_file *f, const char *value, char *msg);
/* Whether the [Match] key KEY, which F sets, matches DEV; ACTUAL says what DEV has there. */
bool policy_key_match(enum policy_key key, const struct policy_file *f,
		      const struct pci_device *dev, char actual[static POLICY_VALUE_MAX]);
/* Fills F's [Grant] with every key's default. */
int policy_file_set_defaults(struct policy_file *f);
/* Frees what the parsers allocated in F's match and grant. */
void policy_file_clear_values(struct policy_file *f);

/* Adds a message to R (which may be NULL). Returns -ENOMEM or 0. */
int policy_report_add(struct policy_report *r, const char *path, unsigned line, const char *fmt,
		      ...) _printf_(4, 5);
int policy_report_addv(struct policy_report *r, const char *path, unsigned line, const char *fmt,
		       va_list ap) _printf_(4, 0);
/* malloc'ed printf. */
char *policy_asprintf(const char *fmt, ...) _printf_(1, 2);

/* policy_file_load() for NAME in DIR_FD; PATH names it in messages. */
int policy_file_load_at(int dir_fd, const char *name, const char *path, struct policy_file **ret,
			struct policy_report *report);
