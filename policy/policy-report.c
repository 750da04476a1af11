/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The report of a load or reload: FILE:LINE messages and the files rejected or kept. */
#include <stdio.h>

#include "policy-internal.h"

char *policy_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	return r < 0 ? NULL : s;
}

int policy_report_addv(struct policy_report *r, const char *path, unsigned line, const char *fmt,
		       va_list ap)
{
	struct policy_error e = {.line = line};
	struct policy_error *p;

	if (!r)
		return 0;
	e.path = strdup(path);
	if (!e.path || vasprintf(&e.text, fmt, ap) < 0) {
		free(e.path);
		return -ENOMEM;
	}
	p = reallocarray(r->errors, r->n_errors + 1, sizeof(*p));
	if (!p) {
		free(e.path);
		free(e.text);
		return -ENOMEM;
	}
	p[r->n_errors++] = e;
	r->errors = p;
	return 0;
}

int policy_report_add(struct policy_report *r, const char *path, unsigned line, const char *fmt,
		      ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = policy_report_addv(r, path, line, fmt, ap);
	va_end(ap);
	return ret;
}

int policy_error_format(const struct policy_error *e, char **ret)
{
	char *s = e->line > 0 ? policy_asprintf("%s:%u: %s", e->path, e->line, e->text)
			      : policy_asprintf("%s: %s", e->path, e->text);

	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

void policy_report_done(struct policy_report *r)
{
	for (size_t i = 0; i < r->n_errors; i++) {
		free(r->errors[i].path);
		free(r->errors[i].text);
	}
	free(r->errors);
	strv_free(r->rejected);
	strv_free(r->kept);
	*r = (struct policy_report){};
}
