/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A strict tokenizer for INI-style files: [Section] headers, Key=value, whole-line comments. */
#pragma once

#include <stddef.h>

/* Each callback returns 0 to go on, or a negative errno (e.g. -ENOMEM) to stop parsing. */
struct ini_callbacks {
	int (*section)(void *userdata, unsigned line, const char *name);
	int (*assignment)(void *userdata, unsigned line, const char *key, const char *value);
	/* A line that is none of the above; parsing goes on at the next line. */
	int (*error)(void *userdata, unsigned line, const char *message);
};

/* Tokenizes SIZE bytes of BUF, which need not be NUL-terminated. Names and values are
 * stripped of surrounding blanks; lines have no length limit. Returns 0, or the first
 * negative value a callback returned, or -ENOMEM. */
int ini_parse(const char *buf, size_t size, const struct ini_callbacks *cb, void *userdata);
