/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Safe reads of sysfs-like trees under a root prefix: attributes, links, joined paths. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ROOT + "/" + PATH with duplicate slashes folded; ROOT NULL or "" means "/". */
int root_join(const char *root, const char *path, char **ret);

/* Reads FD to its end into a NUL-terminated buffer and its length (RET_SIZE may be NULL):
 * at most MAX bytes, -EFBIG for a single byte more. */
int read_full_fd(int fd, size_t max, char **ret, size_t *ret_size);

/* Reads the whole file NAME below DIRFD (absolute NAME: DIRFD ignored), NUL-terminated;
 * -EFBIG at MAX bytes or more. The last component is never followed. */
int read_full_file(int dirfd, const char *name, size_t max, char **ret);

/* Reads attribute NAME below directory DIRFD (O_NOFOLLOW), trailing newline removed.
 * -ENOENT when absent. At most 64 KiB. */
int sysfs_read_attr(int dirfd, const char *name, char **ret);

/* Same, into a caller buffer for binary data; returns the byte count. */
ssize_t sysfs_read_binary(int dirfd, const char *name, void *buf, size_t size);

/* Parses an attribute holding a number ("0x8086", "-1", "12") with strtoll base 0. */
int sysfs_read_int(int dirfd, const char *name, int64_t *ret);

/* The last component of the target of symlink NAME below DIRFD; -ENOENT when absent. */
int sysfs_read_link_basename(int dirfd, const char *name, char **ret);

/* Opens the device directory of SLOT (already normalized) under ROOT, checking that the
 * bus link resolves into ROOT/sys/devices and to a directory named SLOT. */
int sysfs_open_pci_device(const char *root, const char *slot, int *ret_fd);

/* Writes VALUE to attribute NAME below DIRFD (O_WRONLY|O_NOFOLLOW|O_TRUNC) in one write(). */
int sysfs_write_attr(int dirfd, const char *name, const char *value);

/* Replaces NAME below DIRFD with TEXT: writes temp file TMP_NAME (O_NOFOLLOW, MODE when
 * created), fsyncs it and renames it over NAME; TMP_NAME is unlinked on any failure. */
int write_file_atomic(int dirfd, const char *name, const char *tmp_name, const char *text,
		      mode_t mode);
