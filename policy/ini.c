/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Splits a policy file into sections and assignments, reporting malformed lines by number. */
#include <stdbool.h>

#include "ini.h"
#include "macro.h"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static char *strip(char *s)
{
	char *e;

	while (is_blank(*s))
		s++;
	e = s + strlen(s);
	while (e > s && is_blank(e[-1]))
		*--e = '\0';
	return s;
}

static bool is_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return false;
	return true;
}

static int parse_section(char *l, unsigned line, const struct ini_callbacks *cb, void *userdata)
{
	size_t n = strlen(l);
	char *name;

	if (l[n - 1] != ']')
		return cb->error(userdata, line, "expected ']' at the end of the section header");
	l[n - 1] = '\0';
	name = l + 1;
	if (!is_name(name))
		return cb->error(userdata, line,
				 "expected a section name of letters, digits, '-' or '_' in [...]");
	return cb->section(userdata, line, name);
}

static int parse_line(char *l, unsigned line, const struct ini_callbacks *cb, void *userdata)
{
	char *eq, *key;

	l = strip(l);
	if (!*l || *l == '#' || *l == ';')
		return 0;
	if (*l == '[')
		return parse_section(l, line, cb, userdata);

	eq = strchr(l, '=');
	if (!eq)
		return cb->error(userdata, line,
				 "expected Key=value, a [Section] header or a comment");
	*eq = '\0';
	key = strip(l);
	if (!is_name(key))
		return cb->error(userdata, line,
				 "expected a key name of letters, digits, '-' or '_' before '='");
	return cb->assignment(userdata, line, key, strip(eq + 1));
}

int ini_parse(const char *buf, size_t size, const struct ini_callbacks *cb, void *userdata)
{
	_cleanup_free_ char *copy = malloc(size + 1);
	char *p, *end;
	unsigned line = 0;
	int r;

	if (!copy)
		return -ENOMEM;
	memcpy(copy, buf, size);
	copy[size] = '\0';
	end = copy + size;

	for (p = copy; p < end;) {
		char *nl = memchr(p, '\n', end - p);
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		line++;
		p[len] = '\0';
		if (strlen(p) != len)
			r = cb->error(userdata, line, "expected text, found a NUL byte");
		else
			r = parse_line(p, line, cb, userdata);
		if (r < 0)
			return r;
		p += len + 1;
	}
	return 0;
}
