/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reads sysfs attributes and links below a root prefix without following planted links. */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>

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

int read_full_file(int dirfd, const char *name, size_t max, char **ret)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_free_ char *buf = NULL;
	size_t size = 0, done = 0;

	if (fd < 0)
		return negative_errno();
	for (;;) {
		ssize_t k;

		if (done == size) {
			char *nb;

			if (size >= max)
				return -EFBIG;
			size = size ? MIN(size * 2, max) : MIN((size_t)4096, max);
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
	}
	if (!buf && !(buf = malloc(1)))
		return -ENOMEM;
	buf[done] = 0;
	*ret = TAKE_PTR(buf);
	return 0;
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
