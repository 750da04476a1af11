/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /proc scanning for fds and mappings of a device, bounded per process. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/kcmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "audit.h"
#include "holders.h"
#include "log.h"
#include "macro.h"
#include "strv.h"
#include "sysfs.h"

#define MAPS_MAX (16u << 20)

/* A pattern ending in '/' names a directory and matches everything below it; any other
 * names one file exactly (so /dev/vfio/1 does not match /dev/vfio/10). */
static bool path_matches(const char *path, char *const *paths)
{
	for (size_t i = 0; paths && paths[i]; i++) {
		size_t n = strlen(paths[i]);

		if (n && paths[i][n - 1] == '/' ? startswith(path, paths[i])
						: streq(path, paths[i]))
			return true;
	}
	return false;
}

int holders_maps_line_matches(const char *line, char *const *paths)
{
	/* address perms offset dev inode [path]: the path starts at the first '/' after the
	 * inode field, and is absent for anonymous mappings. */
	const char *p = line;

	for (int field = 0; field < 5; field++) {
		p = strchr(p, ' ');
		if (!p)
			return false;
		while (*p == ' ')
			p++;
	}
	return *p == '/' && path_matches(p, paths);
}

/* What a scan looks for: PATHS as strings, and the files they name as device and inode. A
 * restarted udrvd runs in a new mount namespace under its unit, and the files its
 * predecessor handed out then read back through /proc/PID/fd as paths relative to mounts
 * that are gone ("/uio0"); their device and inode still match. */
struct ident {
	dev_t dev;
	ino_t ino;
};

/* A file of udrvd's own, named "/proc/self/fd/N" in PATHS: an fd of another process matches
 * when it is the same open file, compared with kcmp(KCMP_FILE). For anonymous files, whose
 * inode many unrelated files share (every VFIO device fd is "anon_inode:[vfio-device]"). */
struct own_file {
	int fd;
	struct ident id; /* only fds with this device and inode are compared */
};

struct targets {
	char *const *paths;
	struct ident *ids;
	size_t n_ids;
	struct own_file *own;
	size_t n_own;
};

#define OWN_FD_PREFIX "/proc/self/fd/"

/* "/proc/self/fd/N" in PATHS: udrvd's fd N, compared by kcmp; not stat()ed, which would give
 * the shared anonymous inode. 1 when PATH is one (added), 0 when not. */
static int own_add(struct targets *t, const char *path)
{
	struct own_file *n;
	struct stat st;
	char *end;
	long fd;

	if (!startswith(path, OWN_FD_PREFIX))
		return 0;
	fd = strtol(path + strlen(OWN_FD_PREFIX), &end, 10);
	if (*end || fd < 0 || fd > INT_MAX || fstat((int)fd, &st) < 0)
		return 1; /* not an fd of ours: names nothing */
	n = realloc(t->own, (t->n_own + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	t->own = n;
	n[t->n_own++] = (struct own_file){.fd = (int)fd, .id = {st.st_dev, st.st_ino}};
	return 1;
}

static void targets_done(struct targets *t)
{
	free(t->ids);
	free(t->own);
}

static int ident_add(struct targets *t, const struct stat *st)
{
	struct ident *n = realloc(t->ids, (t->n_ids + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	t->ids = n;
	n[t->n_ids++] = (struct ident){.dev = st->st_dev, .ino = st->st_ino};
	return 0;
}

/* The identities of PATHS: a file, or every entry of a directory (a pattern ending in '/'). */
static int targets_init(struct targets *t, char *const *paths)
{
	*t = (struct targets){.paths = paths};
	for (size_t i = 0; paths && paths[i]; i++) {
		size_t len = strlen(paths[i]);
		struct stat st;
		DIR *d;
		struct dirent *de;
		int r = own_add(t, paths[i]);

		if (r != 0) {
			if (r < 0)
				return r;
			continue;
		}
		if (len == 0 || paths[i][len - 1] != '/') {
			if (stat(paths[i], &st) == 0 && ident_add(t, &st) < 0)
				return -ENOMEM;
			continue;
		}
		d = opendir(paths[i]);
		while (d && (de = readdir(d)))
			if (de->d_name[0] != '.' && fstatat(dirfd(d), de->d_name, &st, 0) == 0 &&
			    !S_ISDIR(st.st_mode) && ident_add(t, &st) < 0) {
				closedir(d);
				return -ENOMEM;
			}
		if (d)
			closedir(d);
	}
	return 0;
}

static bool ident_matches(const struct targets *t, dev_t dev, ino_t ino)
{
	for (size_t i = 0; i < t->n_ids; i++)
		if (t->ids[i].dev == dev && t->ids[i].ino == ino)
			return true;
	return false;
}

/* The device and inode fields of a /proc/PID/maps line ("... 00:05 1234 /path"). */
static bool maps_line_ident(const char *line, const struct targets *t)
{
	unsigned maj, min;
	unsigned long long ino;

	return sscanf(line, "%*s %*s %*s %x:%x %llu", &maj, &min, &ino) == 3 && ino != 0 &&
	       ident_matches(t, makedev(maj, min), (ino_t)ino);
}

/* What a scan could not look into: the count, and the first such entry to name. */
struct blind {
	size_t n;
	pid_t pid;
	uid_t uid;
	int error;
	char path[48];
	char comm[64];
	const char *cap; /* the capability that would have let udrvd look */
};

static bool is_denied(int r)
{
	return r == -EACCES || r == -EPERM;
}

/* Opening another uid's /proc/PID/fd (mode 0500) is a permission check on the directory,
 * which root passes with CAP_DAC_READ_SEARCH; reading its links and /proc/PID/maps is a
 * ptrace access check, which needs CAP_SYS_PTRACE. */
static void blind_add(struct blind *b, int piddir, pid_t pid, const char *what, int error,
		      const char *cap)
{
	_cleanup_free_ char *comm = NULL;
	struct stat st;

	if (b->n++ > 0)
		return;
	b->pid = pid;
	b->error = error;
	b->cap = cap;
	b->uid = fstat(piddir, &st) == 0 ? st.st_uid : (uid_t)-1;
	snprintf(b->path, sizeof(b->path), "/proc/%d/%s", (int)pid, what);
	if (sysfs_read_attr(piddir, "comm", &comm) >= 0)
		snprintf(b->comm, sizeof(b->comm), "%s", comm);
}

/* 1 when FD of process PID is one of udrvd's own files (ST: its device and inode), 0 when not,
 * -EPERM/-EACCES when kcmp may not look (another uid's process: CAP_SYS_PTRACE). */
static int own_match(const struct targets *t, pid_t pid, int fd, const struct stat *st)
{
	for (size_t i = 0; i < t->n_own; i++) {
		long r;

		if (t->own[i].id.dev != st->st_dev || t->own[i].id.ino != st->st_ino)
			continue;
		r = syscall(SYS_kcmp, getpid(), pid, KCMP_FILE, t->own[i].fd, fd);
		if (r == 0)
			return 1;
		if (r < 0 && is_denied(negative_errno()))
			return negative_errno();
	}
	return 0;
}

/* 1 when an fd of the process names one of PATHS, 0 when none does (or the process is gone),
 * -EACCES/-EPERM when its fd directory (*RET_CAP: the capability that lets root open it) or a
 * link in it may not be read. */
static int fd_match(int piddir, pid_t pid, const struct targets *t, char *what, size_t size,
		    const char **ret_cap)
{
	_cleanup_close_ int fdd = openat(piddir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;
	struct dirent *de;
	int r = 0;

	*ret_cap = "CAP_DAC_READ_SEARCH";
	if (fdd < 0) {
		r = negative_errno();
		return is_denied(r) ? r : 0;
	}
	*ret_cap = "CAP_SYS_PTRACE";
	d = fdopendir(TAKE_FD(fdd));
	if (!d)
		return 0;
	while (r == 0 && (de = readdir(d))) {
		char target[PATH_MAX];
		struct stat st;
		bool have_st;
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		n = readlinkat(dirfd(d), de->d_name, target, sizeof(target) - 1);
		if (n < 0 && is_denied(negative_errno()))
			r = negative_errno();
		if (n <= 0)
			continue;
		target[n] = 0;
		have_st = fstatat(dirfd(d), de->d_name, &st, 0) == 0;
		if (path_matches(target, t->paths) ||
		    (have_st && ident_matches(t, st.st_dev, st.st_ino)) ||
		    (have_st && (r = own_match(t, pid, atoi(de->d_name), &st)) == 1)) {
			const char *copy =
				startswith(target, "anon_inode:") ? ", a copy of udrvd's" : "";

			if (snprintf(what, size, "fd %s on %s%s", de->d_name, target, copy) >=
			    (int)size)
				what[size - 1] = 0; /* a truncated path still names it */
			r = 1;
		}
	}
	closedir(d);
	return r;
}

/* As fd_match(), for the process's mappings. */
static int maps_match(int piddir, const struct targets *t, char *what, size_t size)
{
	_cleanup_free_ char *maps = NULL;
	char *save = NULL;
	int r = read_full_file(piddir, "maps", MAPS_MAX, &maps);

	if (r < 0)
		return is_denied(r) ? r : 0;
	for (char *l = strtok_r(maps, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if (holders_maps_line_matches(l, t->paths) || maps_line_ident(l, t)) {
			if (snprintf(what, size, "mapping of %s", strchr(l, '/') ?: l) >= (int)size)
				what[size - 1] = 0;
			return 1;
		}
	return 0;
}

static int add_holder(struct holder **list, size_t *n, pid_t pid, int piddir, const char *what)
{
	struct holder *nl = realloc(*list, (*n + 1) * sizeof(**list));
	_cleanup_free_ char *comm = NULL;

	if (!nl)
		return -ENOMEM;
	*list = nl;
	nl[*n] = (struct holder){.pid = pid};
	if (snprintf(nl[*n].what, sizeof(nl[*n].what), "%s", what) >= (int)sizeof(nl[*n].what))
		nl[*n].what[sizeof(nl[*n].what) - 1] = 0;
	if (sysfs_read_attr(piddir, "comm", &comm) >= 0)
		snprintf(nl[*n].comm, sizeof(nl[*n].comm), "%s", comm);
	(*n)++;
	return 0;
}

/* Looks at one process: 1 when it holds one of PATHS (WHAT says how), 0 when not, or when it
 * could not be looked into (then counted in BLIND). */
static int look_at(int piddir, pid_t pid, const struct targets *t, char *what, size_t size,
		   struct blind *blind)
{
	const char *cap = NULL;
	int r = fd_match(piddir, pid, t, what, size, &cap);

	if (r == 1)
		return 1;
	if (r < 0) {
		blind_add(blind, piddir, pid, "fd", r, cap);
		return 0;
	}
	r = maps_match(piddir, t, what, size);
	if (r < 0)
		blind_add(blind, piddir, pid, "maps", r, "CAP_SYS_PTRACE");
	return r == 1;
}

static int scan(const char *root, char *const *paths, pid_t except, struct holder **ret,
		size_t *ret_n, struct blind *ret_blind)
{
	_cleanup_free_ char *proc = NULL;
	struct holder *list = NULL;
	struct blind blind = {};
	struct targets t = {};
	size_t n = 0;
	DIR *d;
	struct dirent *de;

	if (root_join(root, "proc", &proc) < 0 || targets_init(&t, paths) < 0) {
		targets_done(&t);
		return -ENOMEM;
	}
	d = opendir(proc);
	if (!d) {
		targets_done(&t);
		return negative_errno();
	}
	while ((de = readdir(d))) {
		char *end, what[PATH_MAX + 32];
		long pid = strtol(de->d_name, &end, 10);
		_cleanup_close_ int piddir = -1;

		if (*end || pid <= 0 || pid == getpid() || pid == except)
			continue;
		piddir = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (piddir < 0 && is_denied(negative_errno())) /* ProtectProc=noaccess */
			blind_add(&blind, -1, (pid_t)pid, "", negative_errno(), "CAP_SYS_PTRACE");
		if (piddir < 0) /* gone, or not to be looked into */
			continue;
		if (!look_at(piddir, (pid_t)pid, &t, what, sizeof(what), &blind))
			continue;
		if (add_holder(&list, &n, (pid_t)pid, piddir, what) < 0) {
			closedir(d);
			free(list);
			targets_done(&t);
			return -ENOMEM;
		}
	}
	closedir(d);
	targets_done(&t);
	*ret = list;
	*ret_n = n;
	*ret_blind = blind;
	return 0;
}

int holders_find(const char *root, char *const *paths, pid_t except, struct holder **ret,
		 size_t *ret_n)
{
	struct holder *list = NULL;
	struct blind blind;
	size_t n = 0;
	int r;

	if (!paths || !*paths) { /* nothing to look for: no /proc scan */
		*ret = NULL;
		*ret_n = 0;
		return 0;
	}
	r = scan(root, paths, except, &list, &n, &blind);
	if (r < 0)
		return r;
	if (blind.n > 0) {
		free(list);
		return blind.error;
	}
	*ret = list;
	*ret_n = n;
	return 0;
}

int holders_paths(const char *root, const char *slot, char *const *extra, char ***ret)
{
	_cleanup_free_ char *rel = NULL, *link = NULL, *real = NULL, *dir = NULL, *uiodir = NULL;
	_cleanup_strv_free_ char **paths = NULL, **uio = NULL;

	if (asprintf(&rel, "sys/bus/pci/devices/%s", slot) < 0 || root_join(root, rel, &link) < 0)
		return -ENOMEM;
	real = realpath(link, NULL);
	if (real) {
		if (asprintf(&dir, "%s/", real) < 0 || strv_push(&paths, dir) < 0)
			return -ENOMEM;
		/* The uio node, while the function is on uio_pci_generic. */
		if (asprintf(&uiodir, "%s/uio", real) < 0)
			return -ENOMEM;
		if (strv_from_dir(&uio, uiodir, NULL) >= 0 && uio) {
			_cleanup_free_ char *node = NULL, *noderel = NULL;

			if (asprintf(&noderel, "dev/%s", uio[0]) < 0 ||
			    root_join(root, noderel, &node) < 0 || strv_push(&paths, node) < 0)
				return -ENOMEM;
		}
	}
	for (size_t i = 0; extra && extra[i]; i++)
		if (strv_push(&paths, extra[i]) < 0)
			return -ENOMEM;
	*ret = TAKE_PTR(paths);
	return 0;
}

/* Says loudly that the scan could not look everywhere, so SLOT goes back not known to be free. */
static void report_blind(const struct blind *b, const char *slot, uid_t uid, const char *policy,
			 const char *when)
{
	log_error("%s: cannot tell whether any process still holds it %s: %zu process(es) could "
		  "not be looked into, first pid %d (%s, uid %d): reading %s failed: %s. Reading "
		  "another user's /proc/PID/fd needs CAP_DAC_READ_SEARCH and CAP_SYS_PTRACE, its "
		  "/proc/PID/maps CAP_SYS_PTRACE; here %s was missing: give it to udrvd "
		  "(CapabilityBoundingSet= in udrvd.service). %s goes back to its driver NOT known "
		  "to be free.",
		  slot, when, b->n, (int)b->pid, b->comm[0] ? b->comm : "?", (int)b->uid, b->path,
		  strerror(-b->error), b->cap, slot);
	audit_event("holders-unchecked", slot, uid, b->pid, policy,
		    "%s: not known to be free %s: %zu process(es) could not be looked into (first "
		    "%s: %s; %s missing)",
		    slot, when, b->n, b->path, strerror(-b->error), b->cap);
}

void holders_deal(const char *root, char *const *paths, const char *slot, bool kill_them, uid_t uid,
		  const char *policy, const char *when)
{
	_cleanup_free_ struct holder *h = NULL;
	struct blind blind = {};
	size_t n = 0;
	int r;

	if (!paths || !*paths)
		return;
	r = scan(root, paths, 0, &h, &n, &blind);
	if (r < 0) {
		log_error_errno(r, "%s: cannot look for processes still holding it: %m", slot);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (kill_them) {
			log_warning("%s: killing pid %d (%s), which still holds it %s (%s).", slot,
				    (int)h[i].pid, h[i].comm, when, h[i].what);
			(void)kill(h[i].pid, SIGKILL);
		} else
			log_error("%s: pid %d (%s) still holds it %s (%s) and keeps it: "
				  "StrayHolders=log.",
				  slot, (int)h[i].pid, h[i].comm, when, h[i].what);
		audit_event(kill_them ? "killed-holder" : "stray-holder", slot, uid, h[i].pid,
			    policy, "%s: pid %d (%s) held it %s", slot, (int)h[i].pid, h[i].comm,
			    when);
	}
	if (blind.n > 0)
		report_blind(&blind, slot, uid, policy, when);
	if (n == 0 || !kill_them)
		return;
	/* SIGKILL is quick but asynchronous: the mappings go when the process is gone. */
	for (int i = 0; i < 200; i++) {
		_cleanup_free_ struct holder *left = NULL;
		size_t nleft = 0;

		if (scan(root, paths, 0, &left, &nleft, &blind) < 0 || nleft == 0)
			return;
		usleep(10000);
	}
	log_error("%s: processes still hold it 2 s after SIGKILL; giving it back anyway.", slot);
}
