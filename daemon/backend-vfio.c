/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Binding a function to vfio-pci, handing out its group (fd mode or node mode), giving it back. */
#include <acl/libacl.h>
#include <endian.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/vfio.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/acl.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/pidfd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "backend-vfio.h"
#include "config-caps.h"
#include "driver.h"
#include "iommu-group.h"
#include "log.h"
#include "macro.h"
#include "reset.h"
#include "state.h"
#include "strv.h"
#include "sysfs.h"

#define BACKEND_MAIN "vfio"
#define BACKEND_PEER "vfio-peer"
/* An override no driver has: a member udrvd unbound stays unbound until it is given back. */
#define OVERRIDE_NONE "none"

bool vfio_dev_usable(const struct pci_device *dev)
{
	return dev->iommu_group >= 0;
}

static void vfio_dev_free(struct vfio_dev *v)
{
	if (!v)
		return;
	v->request_source = sd_event_source_disable_unref(v->request_source);
	closep(&v->request_fd);
	closep(&v->devfd);
	closep(&v->config_fd);
	closep(&v->device_fd);
	closep(&v->container_fd);
	closep(&v->group_fd);
	strv_free(v->unbound);
	free(v->reset_method);
	free(v->root);
	free(v);
}

int vfio_dev_check(const char *root, const struct pci_device *dev, const struct policy_grant *g,
		   bool node, char **ret_why)
{
	_cleanup_(iommu_group_freep) struct iommu_group *grp = NULL;
	unsigned flags = (g->group_unbind ? IOMMU_CHECK_UNBIND : 0) | (node ? IOMMU_CHECK_NODE : 0);
	int r;

	r = iommu_group_read(root, dev, &grp);
	if (r == -ENODEV) {
		r = asprintf(ret_why, "%s has no IOMMU group: VFIO needs an IOMMU", dev->slot);
		return r < 0 ? -ENOMEM : 0;
	}
	if (r < 0)
		return r;
	return iommu_group_check(grp, flags, NULL, ret_why);
}

/* ROOT/dev/vfio/NAME opened O_PATH (the device's open() does not run), checked on the real
 * root to be the char device sysfs names. For ACLs and existence checks. */
static int open_node_path(const char *root, int group, int *ret_fd)
{
	_cleanup_free_ char *rel = NULL, *path = NULL, *cls = NULL, *devno = NULL;
	_cleanup_close_ int fd = -1;
	unsigned maj, min;
	struct stat st;

	if (asprintf(&rel, "dev/vfio/%d", group) < 0 || root_join(root, rel, &path) < 0)
		return -ENOMEM;
	fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	if (fstat(fd, &st) < 0)
		return negative_errno();
	if (streq(root, "/")) {
		if (asprintf(&cls, "/sys/class/vfio/%d/dev", group) < 0)
			return -ENOMEM;
		if (!S_ISCHR(st.st_mode) || sysfs_read_attr(AT_FDCWD, cls, &devno) < 0 ||
		    sscanf(devno, "%u:%u", &maj, &min) != 2 || st.st_rdev != makedev(maj, min))
			return -ENXIO;
	}
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/* Opens the group for real, through the checked O_PATH fd. -EBUSY when a process holds it (the
 * kernel lets one open file at a time), -ENOENT when no member is on vfio-pci. */
static int open_group(const char *root, int group, int *ret_fd)
{
	_cleanup_close_ int pfd = -1;
	char path[64];
	int fd, r;

	r = open_node_path(root, group, &pfd);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", pfd);
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return negative_errno();
	*ret_fd = fd;
	return 0;
}

/* GroupUnbind=yes: records MEMBER's driver (V gives it back from then on), then unbinds it and
 * keeps it unbound. */
static int member_unbind(struct vfio_dev *v, const char *slot, uid_t uid, pid_t pid)
{
	_cleanup_free_ char *override = NULL, *driver = NULL;
	_cleanup_close_ int fd = -1;
	struct device_record rec = {
		.backend = (char *)BACKEND_PEER,
		.holder_uid = uid,
		.holder_pid = pid,
	};
	int r;

	memcpy(rec.slot, slot, PCI_SLOT_LEN);
	r = sysfs_open_pci_device(v->root, slot, &fd);
	if (r >= 0)
		r = driver_current(v->root, slot, &driver);
	if (r < 0)
		return r;
	if (sysfs_read_attr(fd, "driver_override", &override) >= 0 && !streq(override, "(null)") &&
	    *override)
		rec.original_override = override;
	rec.original_driver = driver;
	r = state_save(v->root, &rec);
	if (r < 0)
		return log_error_errno(r, "Failed to record the state of %s: %m", slot);
	if (strv_push(&v->unbound, slot) < 0)
		return -ENOMEM;
	r = sysfs_write_attr(fd, "driver_override", OVERRIDE_NONE);
	if (r >= 0 && driver)
		r = driver_write(v->root, driver, "unbind", slot);
	if (r < 0)
		return log_error_errno(r, "Failed to unbind %s from %s (GroupUnbind=yes): %m", slot,
				       driver ?: "no driver");
	log_notice("%s: unbound from %s so that IOMMU group %d can go to VFIO.", slot,
		   driver ?: "no driver", v->group);
	return 0;
}

/* What a client of this function will find: MSI-X, else MSI, else INTx, from config space. */
static const char *irq_kind(int config_fd)
{
	uint8_t cfg[256];

	if (pci_config_read(config_fd, 0, cfg, sizeof(cfg)) < 0)
		return "none";
	if (pci_config_has_cap(cfg, sizeof(cfg), CAP_MSIX))
		return "msix";
	if (pci_config_has_cap(cfg, sizeof(cfg), CAP_MSI))
		return "msi";
	return cfg[PCI_CFG_INTERRUPT_PIN] ? "intx" : "none";
}

/* The group as it is now: 0 with the members to unbind first, -EBUSY (logged) when not viable. */
static int vfio_dev_check_again(struct vfio_dev *v, const struct pci_device *dev,
				const struct policy_grant *g, char ***ret_unbind)
{
	_cleanup_(iommu_group_freep) struct iommu_group *grp = NULL;
	_cleanup_free_ char *why = NULL;
	int r;

	r = iommu_group_read(v->root, dev, &grp);
	if (r < 0)
		return log_error_errno(r, "Failed to read the IOMMU group of %s: %m", v->slot);
	r = iommu_group_check(grp, g->group_unbind ? IOMMU_CHECK_UNBIND : 0, ret_unbind, &why);
	if (r < 0)
		return r;
	if (r == 0)
		return log_error_errno(EBUSY, "Cannot hand out %s: %s", v->slot, why);
	return 0;
}

/* After the record is written: members off their drivers, DEV on vfio-pci, reset. */
static int vfio_dev_prepare(struct vfio_dev *v, char **unbind, uid_t uid, pid_t pid)
{
	int r;

	for (char **s = unbind; s && *s; s++) {
		r = member_unbind(v, *s, uid, pid);
		if (r < 0)
			return r;
	}
	r = driver_ensure_loaded(v->root, VFIO_DRIVER, "vfio-pci");
	if (r >= 0)
		r = driver_move_to(v->root, v->slot, VFIO_DRIVER);
	if (r < 0)
		return r;
	r = pci_reset(v->devfd, v->config_fd, v->reset, v->saved, &v->reset_method);
	if (r < 0)
		return log_error_errno(r, "Failed to reset %s: %m", v->slot);
	v->irq = irq_kind(v->config_fd);
	return 0;
}

static int vfio_dev_new(const char *root, const struct pci_device *dev,
			const struct policy_grant *g, struct vfio_dev **ret)
{
	struct vfio_dev *v = calloc(1, sizeof(*v));
	int r;

	if (!v || !(v->root = strdup(root))) {
		free(v);
		return -ENOMEM;
	}
	memcpy(v->slot, dev->slot, PCI_SLOT_LEN);
	v->group = dev->iommu_group;
	v->config_fd = v->group_fd = v->container_fd = v->device_fd = v->request_fd = -1;
	v->reset = g->reset;
	v->irq = "none";
	r = sysfs_open_pci_device(root, dev->slot, &v->devfd);
	if (r >= 0) {
		v->config_fd = openat(v->devfd, "config", O_RDWR | O_NOFOLLOW | O_CLOEXEC);
		r = v->config_fd < 0 ? negative_errno()
				     : pci_config_read(v->config_fd, 0, v->saved, sizeof(v->saved));
	}
	if (r < 0) {
		log_error_errno(r, "Failed to open the config space of %s: %m", dev->slot);
		vfio_dev_free(v);
		return r;
	}
	*ret = v;
	return 0;
}

int vfio_dev_open(const char *root, const struct pci_device *dev, const struct policy_grant *g,
		  uid_t uid, pid_t pid, struct vfio_dev **ret)
{
	struct device_record rec = {
		.original_driver = dev->driver,
		.original_override = dev->driver_override,
		.backend = (char *)BACKEND_MAIN,
		.holder_uid = uid,
		.holder_pid = pid,
	};
	_cleanup_strv_free_ char **unbind = NULL;
	struct vfio_dev *v;
	int r;

	if (dev->iommu_group < 0)
		return log_error_errno(ENODEV, "%s has no IOMMU group: VFIO cannot take it.",
				       dev->slot);
	r = vfio_dev_new(root, dev, g, &v);
	if (r < 0)
		return r;
	memcpy(rec.slot, dev->slot, PCI_SLOT_LEN);
	r = vfio_dev_check_again(v, dev, g, &unbind);
	if (r >= 0 && (r = state_save(root, &rec)) < 0)
		log_error_errno(r, "Failed to record the state of %s: %m", v->slot);
	if (r < 0) { /* nothing changed yet */
		vfio_dev_free(v);
		return r;
	}
	r = vfio_dev_prepare(v, unbind, uid, pid);
	if (r < 0) {
		(void)vfio_dev_close(v);
		return r;
	}
	*ret = v;
	return 0;
}

/* The config region of the device fd: vfio-pci's virtualized view, as the client sees it. */
static int device_command_set_master(int device_fd)
{
	struct vfio_region_info info = {.argsz = sizeof(info),
					.index = VFIO_PCI_CONFIG_REGION_INDEX};
	uint16_t cmd;

	if (ioctl(device_fd, VFIO_DEVICE_GET_REGION_INFO, &info) < 0)
		return negative_errno();
	if (pread(device_fd, &cmd, 2, (off_t)info.offset + PCI_CFG_COMMAND) != 2)
		return -EIO;
	cmd |= htole16(PCI_CMD_MASTER);
	if (pwrite(device_fd, &cmd, 2, (off_t)info.offset + PCI_CFG_COMMAND) != 2)
		return -EIO;
	return 0;
}

static int open_container(const char *root, int *ret_fd)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;

	if (root_join(root, "dev/vfio/vfio", &path) < 0)
		return -ENOMEM;
	fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return negative_errno();
	if (ioctl(fd, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
		return -EPROTO;
	if (ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) <= 0)
		return -EOPNOTSUPP;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/* Group, container, type1v2, device: what fd mode hands out. */
static int vfio_dev_attach(struct vfio_dev *v)
{
	struct vfio_group_status status = {.argsz = sizeof(status)};
	int r;

	r = open_container(v->root, &v->container_fd);
	if (r == -EPERM)
		return driver_log_node_error(r, "/dev/vfio/vfio", v->slot,
					     "DeviceAllow=/dev/vfio/vfio rw", "vfio_pci");
	if (r < 0)
		return log_error_errno(r, "Failed to open a VFIO type1v2 container: %m");
	r = open_group(v->root, v->group, &v->group_fd);
	if (r == -EPERM) {
		char node[32];

		snprintf(node, sizeof(node), "/dev/vfio/%d", v->group);
		return driver_log_node_error(r, node, v->slot, "DeviceAllow=char-vfio rw",
					     "vfio_pci");
	}
	if (r < 0)
		return log_error_errno(r, "Failed to open /dev/vfio/%d for %s: %m%s", v->group,
				       v->slot, r == -EBUSY ? " (another process holds it)" : "");
	if (ioctl(v->group_fd, VFIO_GROUP_GET_STATUS, &status) < 0)
		return log_error_errno(errno, "VFIO_GROUP_GET_STATUS on group %d: %m", v->group);
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE))
		return log_error_errno(EBUSY, "IOMMU group %d of %s is not viable.", v->group,
				       v->slot);
	if (ioctl(v->group_fd, VFIO_GROUP_SET_CONTAINER, &v->container_fd) < 0 ||
	    ioctl(v->container_fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) < 0)
		return log_error_errno(errno, "Failed to attach group %d to a container: %m",
				       v->group);
	v->device_fd = ioctl(v->group_fd, VFIO_GROUP_GET_DEVICE_FD, v->slot);
	if (v->device_fd < 0)
		return log_error_errno(errno, "Failed to get the VFIO device fd of %s: %m",
				       v->slot);
	return 0;
}

static int push_dup(int fd, const char *name, int *fds, size_t *n, char ***names)
{
	int copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);

	if (copy < 0)
		return negative_errno();
	fds[(*n)++] = copy;
	return strv_push(names, name);
}

int vfio_dev_client_fds(struct vfio_dev *v, int **ret_fds, char ***ret_names, size_t *ret_n)
{
	_cleanup_strv_free_ char **names = NULL;
	_cleanup_free_ int *fds = calloc(3, sizeof(int));
	_cleanup_close_ int config = -1;
	size_t n = 0;
	int r;

	if (!fds)
		return -ENOMEM;
	if (!v->node && v->device_fd < 0) {
		r = vfio_dev_attach(v);
		if (r < 0)
			return r;
		r = device_command_set_master(v->device_fd);
		if (r < 0)
			return log_error_errno(r, "Failed to turn on bus mastering of %s: %m",
					       v->slot);
		v->bus_master = true;
	}
	config = openat(v->devfd, "config", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (config < 0)
		r = negative_errno();
	else if ((r = push_dup(config, "config", fds, &n, &names)) >= 0 && !v->node &&
		 (r = push_dup(v->device_fd, VFIO_FD_DEVICE, fds, &n, &names)) >= 0)
		r = push_dup(v->container_fd, VFIO_FD_CONTAINER, fds, &n, &names);
	if (r < 0) {
		for (size_t i = 0; i < n; i++)
			close(fds[i]);
		return log_error_errno(r, "Failed to open the fds of %s for the client: %m",
				       v->slot);
	}
	*ret_fds = TAKE_PTR(fds);
	*ret_names = TAKE_PTR(names);
	*ret_n = n;
	return 0;
}

static int acl_set_perms(acl_entry_t e)
{
	acl_permset_t ps;

	if (acl_get_permset(e, &ps) < 0 || acl_clear_perms(ps) < 0 ||
	    acl_add_perm(ps, ACL_READ) < 0 || acl_add_perm(ps, ACL_WRITE) < 0 ||
	    acl_set_permset(e, ps) < 0)
		return negative_errno();
	return 0;
}

/* The ACL_USER entry for UID (any uid when ALL), or NULL; *RET_NAMED counts named entries. */
static acl_entry_t acl_find_user(acl_t acl, uid_t uid, bool all, unsigned *ret_named)
{
	acl_entry_t e, found = NULL;
	acl_tag_t tag;
	unsigned named = 0;

	for (int id = ACL_FIRST_ENTRY; acl_get_entry(acl, id, &e) == 1; id = ACL_NEXT_ENTRY) {
		uid_t *q;

		if (acl_get_tag_type(e, &tag) < 0 || (tag != ACL_USER && tag != ACL_GROUP))
			continue;
		named++;
		if (tag != ACL_USER || found || !(q = acl_get_qualifier(e)))
			continue;
		if (all || *q == uid)
			found = e;
		acl_free(q);
	}
	*ret_named = named;
	return found;
}

/* Adds rw for UID, or removes UID's entry (every named user's with ALL). When no named entry is
 * left the mask goes too, so the ACL is minimal again and the kernel drops it. */
static int acl_update(int path_fd, uid_t uid, bool add, bool all)
{
	char path[64];
	acl_t acl;
	acl_entry_t e;
	unsigned named;
	int r = 0;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", path_fd);
	acl = acl_get_file(path, ACL_TYPE_ACCESS);
	if (!acl)
		return negative_errno();
	e = acl_find_user(acl, uid, all, &named);
	if (add && !e)
		r = acl_create_entry(&acl, &e) < 0 || acl_set_tag_type(e, ACL_USER) < 0 ||
				    acl_set_qualifier(e, &uid) < 0
			    ? negative_errno()
			    : 0;
	if (add && r >= 0)
		r = acl_set_perms(e);
	for (; !add && e; e = acl_find_user(acl, uid, all, &named))
		if (acl_delete_entry(acl, e) < 0) {
			r = negative_errno();
			break;
		}
	if (r >= 0 && !add && named == 0) {
		for (int id = ACL_FIRST_ENTRY; acl_get_entry(acl, id, &e) == 1;
		     id = ACL_NEXT_ENTRY) {
			acl_tag_t tag;

			if (acl_get_tag_type(e, &tag) >= 0 && tag == ACL_MASK) {
				(void)acl_delete_entry(acl, e);
				break;
			}
		}
	} else if (r >= 0 && acl_calc_mask(&acl) < 0)
		r = negative_errno();
	if (r >= 0 && acl_set_file(path, ACL_TYPE_ACCESS, acl) < 0)
		r = negative_errno();
	acl_free(acl);
	return r;
}

int vfio_dev_grant_node(struct vfio_dev *v, uid_t uid)
{
	_cleanup_(iommu_group_freep) struct iommu_group *grp = NULL;
	_cleanup_free_ char *why = NULL;
	_cleanup_(pci_device_freep) struct pci_device *dev = NULL;
	_cleanup_close_ int fd = -1;
	int r;

	if (v->device_fd >= 0)
		return -EBUSY;
	r = pci_device_read(v->root, v->slot, &dev);
	if (r >= 0)
		r = iommu_group_read(v->root, dev, &grp);
	if (r < 0)
		return log_error_errno(r, "Failed to read the IOMMU group of %s: %m", v->slot);
	r = iommu_group_check(grp, IOMMU_CHECK_NODE, NULL, &why);
	if (r < 0)
		return r;
	if (r == 0)
		return log_error_errno(EPERM, "Cannot give uid %u /dev/vfio/%d: %s", (unsigned)uid,
				       v->group, why);
	r = open_node_path(v->root, v->group, &fd);
	if (r >= 0)
		r = acl_update(fd, uid, true, false);
	if (r < 0)
		return log_error_errno(r, "Failed to give uid %u access to /dev/vfio/%d: %m",
				       (unsigned)uid, v->group);
	v->node = true;
	v->node_uid = uid;
	log_info("%s: uid %u may open /dev/vfio/%d for the lease.", v->slot, (unsigned)uid,
		 v->group);
	return 0;
}

int vfio_dev_revoke_node(struct vfio_dev *v)
{
	_cleanup_close_ int fd = -1;
	int r;

	if (!v->node)
		return 0;
	r = open_node_path(v->root, v->group, &fd);
	if (r == -ENOENT) { /* the group went with its last member (hot-unplug): no ACL left */
		v->node = false;
		return 0;
	}
	if (r >= 0)
		r = acl_update(fd, v->node_uid, false, false);
	if (r < 0)
		return log_error_errno(r, "Failed to remove uid %u's access to /dev/vfio/%d: %m",
				       (unsigned)v->node_uid, v->group);
	v->node = false;
	return 0;
}

static bool rlim_covers(rlim_t have, rlim_t want)
{
	return have == RLIM_INFINITY || (want != RLIM_INFINITY && have >= want);
}

int vfio_dev_open_pidfd(pid_t pid, int *ret_pidfd)
{
	int fd = pid > 0 ? pidfd_open(pid, 0) : -1;

	if (fd < 0)
		return log_error_errno(pid > 0 ? errno : ESRCH,
				       "Cannot pin the calling process (pid %d) with a pidfd: %m%s",
				       (int)pid, pid > 0 ? "" : " (not in udrvd's pid namespace)");
	*ret_pidfd = fd;
	return 0;
}

/* 0 while PIDFD's process runs, -ESRCH once it exited (a zombie has exited too). */
static int pidfd_alive(int pidfd)
{
	struct pollfd p = {.fd = pidfd, .events = POLLIN};

	if (poll(&p, 1, 0) < 0)
		return negative_errno();
	return p.revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL) ? -ESRCH : 0;
}

/* prlimit() on PID, valid only if PIDFD's process was alive before and after it. */
static int pidfd_prlimit(int pidfd, pid_t pid, const struct rlimit *set, struct rlimit *get)
{
	int r = pidfd_alive(pidfd);

	if (r < 0)
		return r;
	if (prlimit(pid, RLIMIT_MEMLOCK, set, get) < 0)
		return negative_errno();
	return pidfd_alive(pidfd);
}

int vfio_dev_raise_memlock(int pidfd, pid_t pid, uint64_t limit)
{
	rlim_t want = limit == POLICY_INFINITY ? RLIM_INFINITY : (rlim_t)limit;
	struct rlimit cur, rl;
	int r;

	if (pidfd < 0)
		return -EBADF;
	r = pidfd_prlimit(pidfd, pid, NULL, &cur);
	if (r < 0 || rlim_covers(cur.rlim_cur, want))
		return r;
	rl.rlim_cur = want;
	rl.rlim_max = rlim_covers(cur.rlim_max, want) ? cur.rlim_max : want;
	return pidfd_prlimit(pidfd, pid, &rl, NULL);
}

int vfio_dev_holder_paths(const struct vfio_dev *v, char ***ret)
{
	_cleanup_strv_free_ char **paths = NULL;
	_cleanup_free_ char *group = NULL, *self = NULL;

	if (asprintf(&group, "/dev/vfio/%d", v->group) < 0 || strv_push(&paths, group) < 0)
		return -ENOMEM;
	if (v->device_fd >= 0 &&
	    (asprintf(&self, "/proc/self/fd/%d", v->device_fd) < 0 || strv_push(&paths, self) < 0))
		return -ENOMEM;
	*ret = TAKE_PTR(paths);
	return 0;
}

/* VFIO_DEVICE_SET_IRQS on the request index: EVENTFD >= 0 registers it, -1 unregisters. */
static int device_set_request(int device_fd, int eventfd)
{
	/* struct vfio_irq_set ends in a flexible array: the one fd follows it in this buffer. */
	union {
		struct vfio_irq_set set;
		uint8_t bytes[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
	} req = {.set = {.argsz = sizeof(struct vfio_irq_set),
			 .flags = VFIO_IRQ_SET_ACTION_TRIGGER | VFIO_IRQ_SET_DATA_NONE,
			 .index = VFIO_PCI_REQ_IRQ_INDEX}};

	if (eventfd >= 0) {
		int32_t fd = eventfd;

		req.set.argsz = sizeof(req.bytes);
		req.set.flags = VFIO_IRQ_SET_ACTION_TRIGGER | VFIO_IRQ_SET_DATA_EVENTFD;
		req.set.count = 1;
		memcpy(req.bytes + sizeof(struct vfio_irq_set), &fd, sizeof(fd));
	}
	return ioctl(device_fd, VFIO_DEVICE_SET_IRQS, &req) < 0 ? negative_errno() : 0;
}

int vfio_dev_watch_request(struct vfio_dev *v, int *ret_fd)
{
	struct vfio_irq_info info = {.argsz = sizeof(info), .index = VFIO_PCI_REQ_IRQ_INDEX};
	_cleanup_close_ int efd = -1;
	int r;

	if (v->device_fd < 0)
		return -EOPNOTSUPP;
	if (v->request_fd >= 0) {
		*ret_fd = v->request_fd;
		return 0;
	}
	if (ioctl(v->device_fd, VFIO_DEVICE_GET_IRQ_INFO, &info) < 0)
		return log_error_errno(errno, "%s: VFIO has no device request channel: %m",
				       v->slot);
	if (info.count < 1 || !(info.flags & VFIO_IRQ_INFO_EVENTFD))
		return log_error_errno(EOPNOTSUPP, "%s: VFIO offers no device request eventfd.",
				       v->slot);
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0)
		return negative_errno();
	r = device_set_request(v->device_fd, efd);
	if (r < 0)
		return log_error_errno(r, "%s: cannot register the device request eventfd: %m",
				       v->slot);
	v->request_fd = TAKE_FD(efd);
	*ret_fd = v->request_fd;
	return 0;
}

int vfio_dev_request_pending(struct vfio_dev *v)
{
	eventfd_t n = 0;

	if (v->request_fd < 0 || eventfd_read(v->request_fd, &n) < 0 || n == 0)
		return 0;
	v->removing = true;
	return 1;
}

/* Fd mode: takes DMA away from any process still holding the container, closes udrvd's fds.
 * 0 when no process holds a device fd of the group any more, -EBUSY otherwise. */
static int vfio_dev_detach(struct vfio_dev *v)
{
	struct vfio_iommu_type1_dma_unmap unmap = {.argsz = sizeof(unmap),
						   .flags = VFIO_DMA_UNMAP_FLAG_ALL};
	int r = 0;

	if (v->container_fd >= 0 && v->device_fd >= 0 &&
	    ioctl(v->container_fd, VFIO_IOMMU_UNMAP_DMA, &unmap) < 0)
		log_warning_errno(errno, "Failed to unmap the DMA of %s: %m", v->slot);
	/* A holder's copy keeps the device open: its removal must not signal a closed watch. */
	if (v->request_fd >= 0 && v->device_fd >= 0)
		(void)device_set_request(v->device_fd, -1);
	closep(&v->device_fd);
	v->device_fd = -1;
	closep(&v->container_fd);
	v->container_fd = -1;
	/* Fails while any other process still has a device fd of the group open. */
	if (v->group_fd >= 0 && ioctl(v->group_fd, VFIO_GROUP_UNSET_CONTAINER) < 0 &&
	    errno == EBUSY)
		r = -EBUSY;
	closep(&v->group_fd);
	v->group_fd = -1;
	return r;
}

/* 0 when no process holds GROUP (or it has no node: nothing is on vfio-pci), -EBUSY if one
 * does. Device fds keep the group's file open, so this sees them too. */
static int group_busy(const char *root, int group)
{
	_cleanup_close_ int fd = -1;
	int r = open_group(root, group, &fd);

	return r == -EBUSY ? -EBUSY : 0;
}

/* Reset only what udrvd moved: a failed open may leave DEV on its own driver, in use. */
static bool on_vfio(const char *root, const char *slot)
{
	_cleanup_free_ char *drv = NULL;

	return driver_current(root, slot, &drv) >= 0 && drv && streq(drv, VFIO_DRIVER);
}

/* Whether SLOT is gone from the bus (hot-unplugged). */
static bool is_gone(const char *root, const char *slot)
{
	_cleanup_close_ int fd = -1;

	return sysfs_open_pci_device(root, slot, &fd) == -ENODEV;
}

/* After the kernel asked for the function back (V->removing): vfio-pci lets go of it once the
 * last device fd is closed, and a hot-unplug then deletes it. Waits up to 2 s for that, so that
 * the reset and give-back do not race the removal (both would wait for the device lock it
 * holds, then fail). True when the function is gone. */
static bool wait_released(struct vfio_dev *v)
{
	for (int i = 0; i < 100 && on_vfio(v->root, v->slot) && !is_gone(v->root, v->slot); i++)
		usleep(20000);
	for (int i = 0; i < 10 && !is_gone(v->root, v->slot); i++)
		usleep(20000);
	return is_gone(v->root, v->slot);
}

int vfio_dev_close(struct vfio_dev *v)
{
	_cleanup_free_ char *method = NULL;
	int r;

	if (!v)
		return 0;
	(void)vfio_dev_revoke_node(v);
	r = vfio_dev_detach(v);
	if (r >= 0)
		r = group_busy(v->root, v->group);
	if (r < 0) {
		log_error("%s: a process still holds /dev/vfio/%d; %s stays on vfio-pci, its DMA "
			  "confined and its group closed to new users, until that process ends.",
			  v->slot, v->group, v->slot);
		vfio_dev_free(v);
		return r;
	}
	if ((v->removing && wait_released(v)) || is_gone(v->root, v->slot)) {
		log_info("%s is gone: forgetting it.", v->slot);
		(void)state_remove(v->root, v->slot);
		for (char **s = v->unbound; s && *s; s++)
			driver_give_back(v->root, *s);
		vfio_dev_free(v);
		return 0;
	}
	if (on_vfio(v->root, v->slot) &&
	    pci_reset_for_give_back(v->slot, v->devfd, v->config_fd, v->reset, v->saved, NULL,
				    &method) >= 0)
		log_info("%s reset (%s) before it goes back.", v->slot, method);
	driver_give_back(v->root, v->slot);
	for (char **s = v->unbound; s && *s; s++)
		driver_give_back(v->root, *s);
	vfio_dev_free(v);
	return 0;
}

/* The IOMMU group of the function whose sysfs directory is DEVFD, -1 when it has none. Read from
 * the link, not with pci_device_read(): reading driver_override takes the device lock, which a
 * removal holds while vfio-pci waits for a holder to close the device. */
static int read_group(int devfd)
{
	char target[PATH_MAX];
	ssize_t n = readlinkat(devfd, "iommu_group", target, sizeof(target) - 1);
	const char *base;

	if (n <= 0)
		return -1;
	target[n] = 0;
	base = strrchr(target, '/');
	return base ? atoi(base + 1) : -1;
}

int vfio_dev_recover(const char *root, const char *slot)
{
	_cleanup_close_ int pfd = -1, cfg = -1, devfd = -1;
	_cleanup_free_ char *method = NULL;
	struct device_record rec = {};
	uint8_t hdr[PCI_CFG_HEADER_SIZE];
	bool main;
	int r, group;

	r = state_load(root, slot, &rec);
	if (r < 0)
		return r;
	main = !rec.backend || !streq(rec.backend, BACKEND_PEER);
	device_record_done(&rec);
	r = sysfs_open_pci_device(root, slot, &devfd);
	if (r < 0) {
		log_warning_errno(r, "Recorded device %s is gone: forgetting it.", slot);
		return state_remove(root, slot);
	}
	group = read_group(devfd);
	if (main && group >= 0 && open_node_path(root, group, &pfd) >= 0)
		(void)acl_update(pfd, 0, false, true); /* no lease survives: nobody keeps access */
	if (group >= 0 && group_busy(root, group) < 0)
		return log_warning_errno(EBUSY, "%s: a process still holds /dev/vfio/%d.", slot,
					 group);
	if (main && on_vfio(root, slot) &&
	    (cfg = openat(devfd, "config", O_RDWR | O_NOFOLLOW | O_CLOEXEC)) >= 0 &&
	    pci_config_read(cfg, 0, hdr, sizeof(hdr)) >= 0 &&
	    pci_reset_for_give_back(slot, devfd, cfg, POLICY_RESET_AUTO, hdr, NULL, &method) >= 0)
		log_info("%s reset (%s) before it goes back.", slot, method);
	log_notice("Giving back %s, prepared for VFIO by a previous lease.", slot);
	driver_give_back(root, slot);
	return 0;
}
