/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Finds the processes that still hold a PCI function: an open fd on, or a mapping of, one
 * of its sysfs files or its /dev/uioN. The kernel revokes neither, so udrvd must look. */
#pragma once

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

struct holder {
	pid_t pid;
	char comm[64];
	char what[PATH_MAX + 32]; /* "fd 5 on .../resource0", "mapping of /dev/uio0" */
};

/* Scans ROOT/proc for processes other than udrvd itself (and EXCEPT, when > 0) whose fds or
 * mappings name one of PATHS (NULL-terminated, absolute as the process sees them): a path
 * ending in '/' matches everything below it ("/sys/devices/.../0000:01:00.0/"), any other
 * exactly ("/dev/uio0" but not "/dev/uio01"). A process is listed once. *RET is NULL and
 * *RET_N 0 when there are none. */
int holders_find(const char *root, char *const *paths, pid_t except, struct holder **ret,
		 size_t *ret_n);

/* True when LINE (one line of /proc/PID/maps) maps a file whose path starts with one of
 * PATHS; pure, for tests. */
int holders_maps_line_matches(const char *line, char *const *paths);
