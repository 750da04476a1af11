/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The standing-grant table and its file. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "grants.h"
#include "macro.h"
#include "strv.h"
#include "sysfs.h"

#define GRANTS_FILE "run/udrvd/grants"

void grant_table_done(struct grant_table *t)
{
	free(t->g);
	*t = (struct grant_table){};
}

int grant_table_put(struct grant_table *t, const struct grant *g)
{
	struct grant *ng;

	for (size_t i = 0; i < t->n; i++)
		if (streq(t->g[i].slot, g->slot) && t->g[i].uid == g->uid) {
			t->g[i] = *g;
			return 0;
		}
	ng = realloc(t->g, (t->n + 1) * sizeof(*ng));
	if (!ng)
		return -ENOMEM;
	t->g = ng;
	t->g[t->n++] = *g;
	return 0;
}

static size_t remove_if(struct grant_table *t, const char *slot, uint64_t now)
{
	size_t kept = 0, n = t->n;

	for (size_t i = 0; i < n; i++) {
		bool drop = slot ? streq(t->g[i].slot, slot)
				 : t->g[i].until_usec && t->g[i].until_usec <= now;

		if (!drop)
			t->g[kept++] = t->g[i];
	}
	t->n = kept;
	return n - kept;
}

size_t grant_table_remove_slot(struct grant_table *t, const char *slot)
{
	return remove_if(t, slot, 0);
}

size_t grant_table_expire(struct grant_table *t, uint64_t now_usec)
{
	return remove_if(t, NULL, now_usec);
}

const struct grant *grant_table_find(const struct grant_table *t, const char *slot, uid_t uid,
				     uint64_t now_usec)
{
	for (size_t i = 0; i < t->n; i++)
		if (streq(t->g[i].slot, slot) && t->g[i].uid == uid &&
		    (!t->g[i].until_usec || t->g[i].until_usec > now_usec))
			return &t->g[i];
	return NULL;
}

int grant_table_format(const struct grant_table *t, char **ret)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		return -ENOMEM;
	for (size_t i = 0; i < t->n; i++)
		fprintf(f, "%s %u %" PRIu64 " %u\n", t->g[i].slot, (unsigned)t->g[i].uid,
			t->g[i].until_usec, (unsigned)t->g[i].by);
	if (fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	*ret = buf;
	return 0;
}

int grant_table_parse(const char *text, struct grant_table *ret)
{
	_cleanup_strv_free_ char **lines = NULL;
	struct grant_table t = {};

	if (strv_split(&lines, text, "\n") < 0)
		return -ENOMEM;
	for (char **l = lines; l && *l; l++) {
		struct grant g = {};
		char slot[32];
		unsigned uid, by;
		uint64_t until;

		if (sscanf(*l, "%31s %u %" SCNu64 " %u", slot, &uid, &until, &by) != 4 ||
		    !pci_slot_is_valid(slot))
			continue;
		memcpy(g.slot, slot, PCI_SLOT_LEN);
		g.uid = uid;
		g.until_usec = until;
		g.by = by;
		if (grant_table_put(&t, &g) < 0) {
			grant_table_done(&t);
			return -ENOMEM;
		}
	}
	*ret = t;
	return 0;
}

int grant_table_save(const char *root, const struct grant_table *t)
{
	_cleanup_free_ char *path = NULL, *tmp = NULL, *text = NULL;
	int r;

	if (root_join(root, GRANTS_FILE, &path) < 0 || asprintf(&tmp, "%s.tmp", path) < 0)
		return -ENOMEM;
	r = grant_table_format(t, &text);
	if (r < 0)
		return r;
	return write_file_atomic(AT_FDCWD, path, tmp, text, 0600);
}

int grant_table_load(const char *root, struct grant_table *ret)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	int r;

	if (root_join(root, GRANTS_FILE, &path) < 0)
		return -ENOMEM;
	r = read_full_file(AT_FDCWD, path, 1 << 20, &text);
	if (r == -ENOENT) {
		*ret = (struct grant_table){};
		return 0;
	}
	if (r < 0)
		return r;
	return grant_table_parse(text, ret);
}
