/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Finds the processes that still hold a PCI function: an open fd on, or a mapping of, one
 * of its sysfs files, its /dev/uioN or /dev/vfio/N, or a copy of udrvd's own VFIO device fd.
 * The kernel revokes none of them, so udrvd must look. */
#pragma once

#include <limits.h>
#include <stdbool.h>
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
 * exactly ("/dev/uio0" but not "/dev/uio01"); an fd or mapping whose device and inode are those
 * of such a file matches too (under its unit, a restarted udrvd sees the files its predecessor
 * handed out under paths of mounts that are gone). "/proc/self/fd/N" names udrvd's own fd N:
 * an fd that is the same open file matches (kcmp(KCMP_FILE), which like reading another uid's fd
 * links needs CAP_SYS_PTRACE); for anonymous files such as a VFIO device fd, whose path and
 * inode every other VFIO device shares. A process is listed once. *RET is NULL and
 * *RET_N 0 when there are none, and when PATHS is NULL or empty (then without a scan).
 * -EACCES or -EPERM (and nothing listed) when some process's fds or mappings could not be
 * read (another uid's, without CAP_SYS_PTRACE): "none" would then not be known. */
int holders_find(const char *root, char *const *paths, pid_t except, struct holder **ret,
		 size_t *ret_n);

/* The paths that name SLOT for holders_find(): its sysfs directory (everything below it),
 * its /dev/uioN while on uio_pci_generic, and EXTRA (a strv, e.g. "/dev/vfio/8" and
 * "/proc/self/fd/12": vfio_dev_holder_paths) when not NULL. *RET is NULL when the function is
 * gone and EXTRA empty. */
int holders_paths(const char *root, const char *slot, char *const *extra, char ***ret);

/* Deals with the holders of PATHS before SLOT goes back: with KILL each gets SIGKILL and
 * udrvd waits up to 2 s for all to go (their mappings go with them), else each is named at
 * error level. Every one is logged and audited (UID, POLICY, and WHEN: "after its lease
 * ended", "with no lease after a restart"). Processes that could not be looked into are
 * named at error level with the capability that is missing and audited as
 * "holders-unchecked": SLOT then goes back not known to be free. */
void holders_deal(const char *root, char *const *paths, const char *slot, bool kill_them, uid_t uid,
		  const char *policy, const char *when);

/* True when LINE (one line of /proc/PID/maps) maps a file whose path starts with one of
 * PATHS; pure, for tests. */
int holders_maps_line_matches(const char *line, char *const *paths);
