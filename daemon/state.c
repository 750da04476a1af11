/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Device records as small key=value files, written with temp file + rename. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "macro.h"
#include "state.h"
#include "strv.h"
#include "sysfs.h"

#define STATE_DIR "run/udrvd/devices"

void device_record_done(struct device_record *r)
{
	free(r->original_driver);
	free(r->original_override);
	free(r->backend);
	*r = (struct device_record){};
}

int device_record_format(const struct device_record *r, char **ret)
{
	return asprintf(ret,
			"slot=%s\noriginal_driver=%s\noriginal_override=%s\nbackend=%s\n"
			"holder_uid=%u\nholder_pid=%d\n",
			r->slot, r->original_driver ?: "", r->original_override ?: "",
			r->backend ?: "", (unsigned)r->holder_uid, (int)r->holder_pid) < 0
		       ? -ENOMEM
		       : 0;
}

static int set_str(char **field, const char *v)
{
	free(*field);
	*field = NULL;
	if (!*v)
		return 0;
	*field = strdup(v);
	return *field ? 0 : -ENOMEM;
}

int device_record_parse(const char *slot, const char *text, struct device_record *ret)
{
	_cleanup_strv_free_ char **lines = NULL;
	struct device_record r = {};
	int ok = 0;

	if (!pci_slot_is_valid(slot) || strv_split(&lines, text, "\n") < 0)
		return -EINVAL;
	memcpy(r.slot, slot, PCI_SLOT_LEN);
	for (char **l = lines; l && *l; l++) {
		char *eq = strchr(*l, '=');
		int e = 0;

		if (!eq)
			continue;
		*eq = 0;
		if (streq(*l, "slot"))
			ok = streq(eq + 1, slot);
		else if (streq(*l, "original_driver"))
			e = set_str(&r.original_driver, eq + 1);
		else if (streq(*l, "original_override"))
			e = set_str(&r.original_override, eq + 1);
		else if (streq(*l, "backend"))
			e = set_str(&r.backend, eq + 1);
		else if (streq(*l, "holder_uid"))
			r.holder_uid = (uid_t)strtoul(eq + 1, NULL, 10);
		else if (streq(*l, "holder_pid"))
			r.holder_pid = (pid_t)strtol(eq + 1, NULL, 10);
		if (e < 0) {
			device_record_done(&r);
			return e;
		}
	}
	if (!ok) {
		device_record_done(&r);
		return -EBADMSG;
	}
	*ret = r;
	return 0;
}

static int state_dir(const char *root, char **ret)
{
	static const char *const parents[] = {"run", "run/udrvd"};
	_cleanup_free_ char *dir = NULL;

	for (size_t i = 0; i < ELEMENTSOF(parents); i++) {
		_cleanup_free_ char *p = NULL;

		if (root_join(root, parents[i], &p) < 0)
			return -ENOMEM;
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return negative_errno();
	}
	if (root_join(root, STATE_DIR, &dir) < 0)
		return -ENOMEM;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return negative_errno();
	*ret = TAKE_PTR(dir);
	return 0;
}

int state_save(const char *root, const struct device_record *r)
{
	_cleanup_free_ char *dir = NULL, *text = NULL, *tmp = NULL, *dst = NULL;
	int e;

	if ((e = state_dir(root, &dir)) < 0 || (e = device_record_format(r, &text)) < 0)
		return e;
	if (asprintf(&tmp, "%s/.%s.tmp", dir, r->slot) < 0 ||
	    asprintf(&dst, "%s/%s", dir, r->slot) < 0)
		return -ENOMEM;
	return write_file_atomic(AT_FDCWD, dst, tmp, text, 0600);
}

int state_load(const char *root, const char *slot, struct device_record *ret)
{
	_cleanup_free_ char *dir = NULL, *path = NULL, *text = NULL;
	int e;

	if ((e = state_dir(root, &dir)) < 0)
		return e;
	if (asprintf(&path, "%s/%s", dir, slot) < 0)
		return -ENOMEM;
	e = read_full_file(AT_FDCWD, path, 4096, &text);
	if (e < 0)
		return e;
	return device_record_parse(slot, text, ret);
}

int state_remove(const char *root, const char *slot)
{
	_cleanup_free_ char *dir = NULL, *path = NULL;
	int e;

	if ((e = state_dir(root, &dir)) < 0)
		return e;
	if (asprintf(&path, "%s/%s", dir, slot) < 0)
		return -ENOMEM;
	return unlink(path) < 0 && errno != ENOENT ? negative_errno() : 0;
}

int state_list(const char *root, char ***ret)
{
	_cleanup_strv_free_ char **all = NULL, **slots = NULL;
	_cleanup_free_ char *dir = NULL;
	int e;

	if ((e = state_dir(root, &dir)) < 0)
		return e;
	e = strv_from_dir(&all, dir, NULL);
	if (e < 0)
		return e;
	for (char **s = all; s && *s; s++)
		if (pci_slot_is_valid(*s) && strv_push(&slots, *s) < 0)
			return -ENOMEM;
	*ret = TAKE_PTR(slots);
	return 0;
}
