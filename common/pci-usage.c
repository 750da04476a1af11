/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Walks a PCI function's sysfs subtree for network interfaces that are up and block
 * devices that are mounted or held by another device (LVM, RAID, dm-crypt). */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>

#include "macro.h"
#include "pci-slot.h"
#include "pci-usage.h"
#include "strv.h"
#include "sysfs.h"

#define MAX_DEPTH 5
#define IFF_UP_FLAG 0x1

struct usage_walk {
	const char *root;
	char *mountinfo; /* read when the first block device turns up */
	char *found;
};

static int net_describe(int netfd, struct usage_walk *w)
{
	_cleanup_strv_free_ char **ifaces = NULL;
	_cleanup_close_ int fd = dup(netfd);
	DIR *d = fd >= 0 ? fdopendir(TAKE_FD(fd)) : NULL;
	struct dirent *de;

	if (!d)
		return negative_errno();
	while (!w->found && (de = readdir(d))) {
		_cleanup_free_ char *flags = NULL, *path = NULL;

		if (de->d_name[0] == '.' || asprintf(&path, "%s/flags", de->d_name) < 0)
			continue;
		if (sysfs_read_attr(dirfd(d), path, &flags) < 0)
			continue;
		if (strtoul(flags, NULL, 16) & IFF_UP_FLAG &&
		    asprintf(&w->found, "network interface %s is up", de->d_name) < 0)
			w->found = NULL;
	}
	closedir(d);
	return 0;
}

static bool is_mounted(struct usage_walk *w, const char *majmin)
{
	_cleanup_free_ char *path = NULL, *needle = NULL;

	if (!w->mountinfo) {
		if (root_join(w->root, "proc/self/mountinfo", &path) < 0 ||
		    read_full_file(AT_FDCWD, path, 16 << 20, &w->mountinfo) < 0)
			return false;
	}
	/* Field 3 of each mountinfo line is MAJ:MIN, surrounded by spaces. */
	if (asprintf(&needle, " %s ", majmin) < 0)
		return false;
	return strstr(w->mountinfo, needle) != NULL;
}

static void block_check(int blockfd, const char *name, struct usage_walk *w)
{
	_cleanup_free_ char *dev = NULL, *devpath = NULL, *holders = NULL;
	_cleanup_strv_free_ char **held = NULL;
	_cleanup_close_ int hfd = -1;

	if (asprintf(&devpath, "%s/dev", name) < 0 || sysfs_read_attr(blockfd, devpath, &dev) < 0)
		return;
	if (is_mounted(w, dev)) {
		if (asprintf(&w->found, "block device %s is mounted", name) < 0)
			w->found = NULL;
		return;
	}
	if (asprintf(&holders, "%s/holders", name) < 0)
		return;
	hfd = openat(blockfd, holders, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (hfd >= 0) {
		DIR *d = fdopendir(TAKE_FD(hfd));
		struct dirent *de;

		while (d && (de = readdir(d)))
			if (de->d_name[0] != '.' && strv_push(&held, de->d_name) < 0)
				break;
		if (d)
			closedir(d);
	}
	if (held && asprintf(&w->found, "block device %s is used by %s", name, held[0]) < 0)
		w->found = NULL;
}

static void walk(int dfd, int depth, struct usage_walk *w);

static void block_describe(int blockfd, struct usage_walk *w)
{
	_cleanup_close_ int fd = dup(blockfd);
	DIR *d = fd >= 0 ? fdopendir(TAKE_FD(fd)) : NULL;
	struct dirent *de;

	while (d && !w->found && (de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		block_check(blockfd, de->d_name, w);
		if (!w->found) {
			/* Partitions are subdirectories of the disk with their own dev file. */
			_cleanup_close_ int disk =
				openat(blockfd, de->d_name,
				       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (disk >= 0) {
				DIR *pd = fdopendir(TAKE_FD(disk));
				struct dirent *pe;

				while (pd && !w->found && (pe = readdir(pd))) {
					_cleanup_free_ char *part = NULL;

					if (pe->d_type != DT_DIR || pe->d_name[0] == '.' ||
					    asprintf(&part, "%s/partition", pe->d_name) < 0)
						continue;
					if (faccessat(dirfd(pd), part, F_OK, AT_SYMLINK_NOFOLLOW) ==
					    0)
						block_check(dirfd(pd), pe->d_name, w);
				}
				if (pd)
					closedir(pd);
			}
		}
	}
	if (d)
		closedir(d);
}

static void walk(int dfd, int depth, struct usage_walk *w)
{
	_cleanup_close_ int fd = dup(dfd);
	DIR *d = fd >= 0 ? fdopendir(TAKE_FD(fd)) : NULL;
	struct dirent *de;

	while (d && !w->found && (de = readdir(d))) {
		_cleanup_close_ int sub = -1;

		/* Child PCI functions are listed on their own; links (driver, subsystem) lead
		 * out of the subtree. */
		if (de->d_type != DT_DIR || de->d_name[0] == '.' || pci_slot_is_valid(de->d_name))
			continue;
		sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			continue;
		if (streq(de->d_name, "net"))
			net_describe(sub, w);
		else if (streq(de->d_name, "block"))
			block_describe(sub, w);
		else if (depth < MAX_DEPTH)
			walk(sub, depth + 1, w);
	}
	if (d)
		closedir(d);
}

int pci_usage_describe(const char *root, int dfd, char **ret)
{
	struct usage_walk w = {.root = root};

	walk(dfd, 0, &w);
	free(w.mountinfo);
	*ret = w.found;
	return 0;
}
