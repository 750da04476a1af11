/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The policy files of a search path: masking by name, lexical order, reload keeping the last good.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "policy-internal.h"
#include "sysfs.h"

struct policy_set {
	char **dirs; /* highest priority first */
	struct policy_file **files;
	size_t n_files;
};

/* A candidate file: NAME in dirs[DIR]. */
struct entry {
	char *name;
	size_t dir;
};

struct entries {
	struct entry *v;
	size_t n;
};

static void entries_done(struct entries *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->v[i].name);
	free(e->v);
}

/* The directories of a set, each opened once: listed, then loaded from by name. */
struct dir_fds {
	int *v; /* -1: the directory does not exist */
	size_t n;
};

static void dir_fds_done(struct dir_fds *d)
{
	for (size_t i = 0; i < d->n; i++)
		closep(&d->v[i]);
	free(d->v);
}

struct file_list {
	struct policy_file **v;
	size_t n;
};

static void file_list_done(struct file_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		policy_file_unref(l->v[i]);
	free(l->v);
}

int policy_search_path(const char *root, char ***ret)
{
	static const char *const dirs[] = {
		"/etc/udrvd/policy.d",
		"/run/udrvd/policy.d",
		"/usr/lib/udrvd/policy.d",
	};
	_cleanup_strv_free_ char **l = NULL;

	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		_cleanup_free_ char *p = NULL;

		if (root_join(root, dirs[i], &p) < 0 || strv_push(&l, p) < 0)
			return -ENOMEM;
	}
	*ret = TAKE_PTR(l);
	return 0;
}

int policy_set_new(char *const *dirs, struct policy_set **ret)
{
	struct policy_set *set = calloc(1, sizeof(*set));

	if (!set)
		return -ENOMEM;
	for (size_t i = 0; dirs && dirs[i]; i++)
		if (strv_push(&set->dirs, dirs[i]) < 0) {
			policy_set_free(set);
			return -ENOMEM;
		}
	*ret = set;
	return 0;
}

static bool is_policy_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > strlen(".policy") &&
	       streq(name + n - strlen(".policy"), ".policy");
}

static int entries_add(struct entries *e, const char *name, size_t dir)
{
	struct entry *p = reallocarray(e->v, e->n + 1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	e->v = p;
	p[e->n].name = strdup(name);
	if (!p[e->n].name)
		return -ENOMEM;
	p[e->n++].dir = dir;
	return 0;
}

static int dir_error(struct policy_report *report, const char *path, int error, const char *what)
{
	return policy_report_add(report, path, 0, "%s", what) ?: error;
}

/* Opens PATH into *RET_FD (left -1 when PATH does not exist) and lists its policy files. */
static int list_dir(const char *path, size_t dir, int *ret_fd, struct entries *e,
		    struct policy_report *report)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	struct stat st;
	DIR *d;
	int dup_fd, r = 0;

	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0)
		return dir_error(report, path, -errno, strerror(errno));
	if (fstat(fd, &st) == 0 && (st.st_mode & S_IWOTH))
		return dir_error(report, path, -EPERM,
				 "refusing a world-writable directory: anyone could add policy "
				 "files");
	/* A duplicate for the DIR, which closedir() closes; FD stays open for loading. */
	dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (dup_fd < 0)
		return dir_error(report, path, -errno, strerror(errno));
	d = fdopendir(dup_fd);
	if (!d) {
		r = -errno;
		close(dup_fd);
		return dir_error(report, path, r, strerror(-r));
	}
	while (r >= 0 && (errno = 0, de = readdir(d)))
		if (is_policy_name(de->d_name))
			r = entries_add(e, de->d_name, dir);
	if (r >= 0 && errno != 0)
		r = dir_error(report, path, -errno, strerror(errno));
	closedir(d);
	if (r >= 0)
		*ret_fd = TAKE_FD(fd);
	return r;
}

/* By name, then by directory priority, so the first of each name is the one in force. */
static int entry_compare(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->dir > y->dir) - (x->dir < y->dir);
}

static int collect(const struct policy_set *set, struct dir_fds *fds, struct entries *e,
		   struct policy_report *report)
{
	size_t n = strv_length(set->dirs);

	fds->v = calloc(MAX(n, (size_t)1), sizeof(*fds->v));
	if (!fds->v)
		return -ENOMEM;
	for (; fds->n < n; fds->n++) {
		int r;

		fds->v[fds->n] = -1;
		r = list_dir(set->dirs[fds->n], fds->n, &fds->v[fds->n], e, report);
		if (r < 0)
			return r;
	}
	if (e->n > 0)
		qsort(e->v, e->n, sizeof(*e->v), entry_compare);
	return 0;
}

static struct policy_file *set_find(const struct policy_set *set, const char *name)
{
	for (size_t i = 0; i < set->n_files; i++)
		if (streq(policy_file_get_name(set->files[i]), name))
			return set->files[i];
	return NULL;
}

static int file_list_add(struct file_list *l, struct policy_file *f)
{
	struct policy_file **p = reallocarray(l->v, l->n + 1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p[l->n++] = policy_file_ref(f);
	l->v = p;
	return 0;
}

/* Loads ENTRY into L; a file that fails is reported, and its last good version kept. */
static int load_entry(const struct policy_set *set, int dir_fd, const struct entry *e,
		      struct file_list *l, struct policy_report *report)
{
	_cleanup_(policy_file_unrefp) struct policy_file *f = NULL;
	_cleanup_free_ char *path = policy_asprintf("%s/%s", set->dirs[e->dir], e->name);
	struct policy_file *old;
	int r;

	if (!path)
		return -ENOMEM;
	r = policy_file_load_at(dir_fd, e->name, path, &f, report);
	if (r == POLICY_FILE_MASKED)
		return 0;
	if (r >= 0)
		return file_list_add(l, f);
	if (r == -ENOMEM)
		return r;
	if (report && strv_push(&report->rejected, path) < 0)
		return -ENOMEM;
	old = set_find(set, e->name);
	if (!old)
		return 0;
	if (report && strv_push(&report->kept, path) < 0)
		return -ENOMEM;
	return file_list_add(l, old);
}

int policy_set_reload(struct policy_set *set, struct policy_report *report)
{
	_cleanup_(dir_fds_done) struct dir_fds fds = {};
	_cleanup_(entries_done) struct entries e = {};
	_cleanup_(file_list_done) struct file_list l = {};
	int r;

	r = collect(set, &fds, &e, report);
	if (r < 0)
		return r;
	for (size_t i = 0; i < e.n; i++) {
		if (i > 0 && streq(e.v[i].name, e.v[i - 1].name))
			continue; /* masked by the same name in a directory of higher priority */
		r = load_entry(set, fds.v[e.v[i].dir], &e.v[i], &l, report);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < set->n_files; i++)
		policy_file_unref(set->files[i]);
	free(set->files);
	set->files = l.v;
	set->n_files = l.n;
	l = (struct file_list){};
	return 0;
}

int policy_set_load(char *const *dirs, struct policy_set **ret, struct policy_report *report)
{
	_cleanup_(policy_set_freep) struct policy_set *set = NULL;
	int r;

	r = policy_set_new(dirs, &set);
	if (r < 0)
		return r;
	r = policy_set_reload(set, report);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(set);
	return 0;
}

void policy_set_free(struct policy_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->n_files; i++)
		policy_file_unref(set->files[i]);
	free(set->files);
	strv_free(set->dirs);
	free(set);
}

void policy_set_freep(struct policy_set **set)
{
	policy_set_free(*set);
}

size_t policy_set_size(const struct policy_set *set)
{
	return set ? set->n_files : 0;
}

struct policy_file *policy_set_get(const struct policy_set *set, size_t i)
{
	return set && i < set->n_files ? set->files[i] : NULL;
}
