/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reads sysfs attributes and links below a root prefix without following planted links. */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "fault.h"
#include "macro.h"
#include "sysfs.h"

int root_join(const char *root, const char *path, char **ret)
{
	char *p;
	size_t n;

	if (!root || !*root)
		root = "/";
	n = strlen(root);
	while (n > 0 && root[n - 1] == '/')
		n--;
	while (*path == '/')
		path++;
	if (asprintf(&p, "%.*s/%s", (int)n, root, path) < 0)
		return -ENOMEM;
	*ret = p;
	return 0;
}

ssize_t sysfs_read_binary(int dirfd, const char *name, void *buf, size_t size)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	size_t done = 0;

	if (fd < 0)
		return negative_errno();
	while (done < size) {
		ssize_t k = read(fd, (char *)buf + done, size - done);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		if (k == 0)
			break;
		done += (size_t)k;
	}
	return (ssize_t)done;
}

int read_full_fd(int fd, size_t max, char **ret, size_t *ret_size)
{
	_cleanup_free_ char *buf = NULL;
	size_t size = 0, done = 0;

	if (max >= SSIZE_MAX)
		return -EINVAL;
	for (;;) {
		ssize_t k;

		/* Room for MAX + 1 bytes, to tell a file of MAX bytes from a longer one. */
		if (done == size) {
			char *nb;

			size = size ? MIN(size * 2, max + 1) : MIN((size_t)4096, max + 1);
			nb = realloc(buf, size + 1);
			if (!nb)
				return -ENOMEM;
			buf = nb;
		}
		k = read(fd, buf + done, size - done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return negative_errno();
		if (k == 0)
			break;
		done += (size_t)k;
		if (done > max)
			return -EFBIG;
	}
	buf[done] = 0;
	*ret = TAKE_PTR(buf);
	if (ret_size)
		*ret_size = done;
	return 0;
}

int read_full_file(int dirfd, const char *name, size_t max, char **ret)
{
	_cleanup_close_ int fd = -1;

	/* Its callers' limits have always meant "fewer than MAX bytes". */
	if (max == 0)
		return -EFBIG;
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	return read_full_fd(fd, max - 1, ret, NULL);
}

int sysfs_read_attr(int dirfd, const char *name, char **ret)
{
	char *s;
	size_t n;
	int r;

	r = read_full_file(dirfd, name, 65536, &s);
	if (r < 0)
		return r;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = 0;
	*ret = s;
	return 0;
}

int sysfs_read_int(int dirfd, const char *name, int64_t *ret)
{
	_cleanup_free_ char *s = NULL;
	char *end;
	long long v;
	int r;

	r = sysfs_read_attr(dirfd, name, &s);
	if (r < 0)
		return r;
	errno = 0;
	v = strtoll(s, &end, 0);
	if (errno != 0 || end == s || *end != 0)
		return -EBADMSG;
	*ret = v;
	return 0;
}

int sysfs_read_link_basename(int dirfd, const char *name, char **ret)
{
	char target[PATH_MAX];
	ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);
	const char *base;

	if (n < 0)
		return negative_errno();
	target[n] = 0;
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (!*base)
		return -EBADMSG;
	*ret = strdup(base);
	return *ret ? 0 : -ENOMEM;
}

int sysfs_open_pci_device(const char *root, const char *slot, int *ret_fd)
{
	_cleanup_free_ char *link = NULL, *devices = NULL, *real = NULL, *real_devices = NULL;
	_cleanup_free_ char *rel = NULL;
	const char *base;
	size_t n;
	int fd;

	if (asprintf(&rel, "sys/bus/pci/devices/%s", slot) < 0)
		return -ENOMEM;
	if (root_join(root, rel, &link) < 0 || root_join(root, "sys/devices", &devices) < 0)
		return -ENOMEM;
	real = realpath(link, NULL);
	if (!real)
		return errno == ENOENT || errno == ENOTDIR ? -ENODEV : negative_errno();
	real_devices = realpath(devices, NULL);
	if (!real_devices)
		return -ENODEV;
	n = strlen(real_devices);
	base = strrchr(real, '/');
	if (strncmp(real, real_devices, n) != 0 || real[n] != '/' || !base ||
	    !streq(base + 1, slot))
		return -ENODEV;
	fd = open(real, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ENODEV : negative_errno();
	*ret_fd = fd;
	return 0;
}

int sysfs_write_attr(int dirfd, const char *name, const char *value)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_TRUNC);
	size_t n = strlen(value);
	ssize_t k;

	if (fd < 0)
		return negative_errno();
	k = write(fd, value, n);
	if (k < 0)
		return negative_errno();
	return (size_t)k == n ? 0 : -EIO;
}

int write_file_atomic(int dirfd, const char *name, const char *tmp_name, const char *text,
		      mode_t mode)
{
	_cleanup_close_ int fd = -1;
	size_t n = strlen(text), done = 0;
	int r = 0;

	fd = openat(dirfd, tmp_name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return negative_errno();
	while (r == 0 && done < n) {
		ssize_t k = write(fd, text + done, n - done);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			r = negative_errno();
		else if (k == 0)
			r = -EIO;
		else
			done += (size_t)k;
	}
	if (r == 0 && fsync(fd) < 0)
		r = negative_errno();
	FAULT_POINT(WRITE_BEFORE_RENAME);
	if (r == 0 && renameat(dirfd, tmp_name, dirfd, name) < 0)
		r = negative_errno();
	if (r < 0)
		(void)unlinkat(dirfd, tmp_name, 0);
	return r;
}
