/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /proc scanning for fds and mappings of a device, bounded per process. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>

#include "holders.h"
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

static bool fd_match(int piddir, char *const *paths, char *what, size_t size)
{
	_cleanup_close_ int fdd = openat(piddir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fdd >= 0 ? fdopendir(TAKE_FD(fdd)) : NULL;
	struct dirent *de;
	bool found = false;

	while (d && !found && (de = readdir(d))) {
		char target[PATH_MAX];
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		n = readlinkat(dirfd(d), de->d_name, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = 0;
		if (path_matches(target, paths)) {
			if (snprintf(what, size, "fd %s on %s", de->d_name, target) >= (int)size)
				what[size - 1] = 0; /* a truncated path still names it */
			found = true;
		}
	}
	if (d)
		closedir(d);
	return found;
}

static bool maps_match(int piddir, char *const *paths, char *what, size_t size)
{
	_cleanup_free_ char *maps = NULL;
	char *save = NULL;

	if (read_full_file(piddir, "maps", MAPS_MAX, &maps) < 0)
		return false;
	for (char *l = strtok_r(maps, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if (holders_maps_line_matches(l, paths)) {
			if (snprintf(what, size, "mapping of %s", strchr(l, '/')) >= (int)size)
				what[size - 1] = 0;
			return true;
		}
	return false;
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

int holders_find(const char *root, char *const *paths, pid_t except, struct holder **ret,
		 size_t *ret_n)
{
	_cleanup_free_ char *proc = NULL;
	struct holder *list = NULL;
	size_t n = 0;
	DIR *d;
	struct dirent *de;

	if (root_join(root, "proc", &proc) < 0)
		return -ENOMEM;
	d = opendir(proc);
	if (!d)
		return negative_errno();
	while ((de = readdir(d))) {
		char *end, what[PATH_MAX + 32];
		long pid = strtol(de->d_name, &end, 10);
		_cleanup_close_ int piddir = -1;

		if (*end || pid <= 0 || pid == getpid() || pid == except)
			continue;
		piddir = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (piddir < 0) /* gone */
			continue;
		if (!fd_match(piddir, paths, what, sizeof(what)) &&
		    !maps_match(piddir, paths, what, sizeof(what)))
			continue;
		if (add_holder(&list, &n, (pid_t)pid, piddir, what) < 0) {
			closedir(d);
			free(list);
			return -ENOMEM;
		}
	}
	closedir(d);
	*ret = list;
	*ret_n = n;
	return 0;
}
