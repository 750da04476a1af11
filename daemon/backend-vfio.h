/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The VFIO backend: a function bound to vfio-pci for the length of a lease, its DMA confined by
 * the IOMMU. Two ways to hand it out:
 *   fd mode    udrvd opens the group and a type1 container, attaches them and passes the
 *              client the device fd and the container fd (libudrv clients);
 *   node mode  udrvd gives the holder's uid rw on /dev/vfio/GROUP with a POSIX ACL, and the
 *              unmodified program (DPDK, SPDK) opens the group itself.
 * A lease uses one mode or the other, never both. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>
#include <sys/types.h>

#include "pci-config.h"
#include "pci-device.h"
#include "policy.h"

#define VFIO_DRIVER "vfio-pci"

/* The client fds of fd mode, in this order after "ctl" (see vfio_dev_client_fds). */
#define VFIO_FD_DEVICE "vfio-device"
#define VFIO_FD_CONTAINER "vfio-container"

struct vfio_dev {
	char *root;
	char slot[PCI_SLOT_LEN];
	int group;	  /* IOMMU group number: ROOT/dev/vfio/GROUP */
	int devfd;	  /* sysfs directory of the function */
	int config_fd;	  /* udrvd's writable config fd (reset fallback); never leaves udrvd */
	int group_fd;	  /* fd mode: udrvd's group fd; the client never gets it */
	int container_fd; /* fd mode: the type1 container, shared with the client */
	int device_fd;	  /* fd mode: the function's device fd, shared with the client */
	uint8_t saved[PCI_CFG_HEADER_SIZE]; /* header before udrvd touched the function */
	char *reset_method;		    /* what the opening reset did */
	enum policy_reset reset;
	char **unbound;	 /* group members udrvd unbound for this lease (GroupUnbind=yes) */
	const char *irq; /* what the function offers: "msix", "msi", "intx" or "none" */
	uid_t node_uid;	 /* node mode: the uid the ACL names */
	bool node;	 /* node mode granted */
	bool bus_master; /* fd mode: udrvd turned bus mastering on (DMA is confined) */
	int request_fd;	 /* fd mode: vfio-pci's request eventfd (vfio_dev_watch_request); -1 */
	sd_event_source *request_source; /* the main loop's watch on it, freed with V */
	bool removing; /* the kernel asked for the device back (removal, or unbind from vfio-pci) */
};

/* Backend=auto picks vfio when this is true: DEV is in an IOMMU group. */
bool vfio_dev_usable(const struct pci_device *dev);

/* Whether DEV's group can be handed out under G: 1 yes, 0 no with *RET_WHY naming each
 * offender and its driver ("IOMMU group 7 is not viable: 0000:00:1f.3 is bound to
 * i801_smbus; ..."), -errno when the group cannot be read. NODE: checks for node mode, where
 * members on vfio-pci are offenders too. For Acquire's error reply. */
int vfio_dev_check(const char *root, const struct pci_device *dev, const struct policy_grant *g,
		   bool node, char **ret_why);

/* Checks the group again (-EBUSY if not viable: see the log), records the original drivers
 * (state.c: backend "vfio", and "vfio-peer" for members GroupUnbind=yes unbinds), unbinds
 * those members, binds DEV to vfio-pci, resets it. Opens nothing of VFIO yet: the mode
 * decides. On failure every function is given back as it was. */
int vfio_dev_open(const char *root, const struct pci_device *dev, const struct policy_grant *g,
		  uid_t uid, pid_t pid, struct vfio_dev **ret);

/* The client's fds. Fd mode: opens the group, a container with the type1v2 IOMMU, attaches
 * them, gets the device fd and turns bus mastering on unless DMA=none (the IOMMU confines it).
 * Returns dups of: "config" (sysfs, read-only), "vfio-device", "vfio-container", in that
 * order. The client maps DMA itself (VFIO_IOMMU_MAP_DMA, accounted to its RLIMIT_MEMLOCK) and
 * sets up its interrupts on the device fd. -EBUSY when another process holds the group. Node
 * mode (after vfio_dev_grant_node): "config" only; the client opens /dev/vfio/N itself. */
int vfio_dev_client_fds(struct vfio_dev *v, int **ret_fds, char ***ret_names, size_t *ret_n);

/* Node mode. Gives UID rw on ROOT/dev/vfio/GROUP through a POSIX ACL entry (the file's owner,
 * mode and other entries stay). Refuses (-EPERM, logged) when another member of the group is on
 * vfio-pci, which the holder could then open too. */
int vfio_dev_grant_node(struct vfio_dev *v, uid_t uid);
/* Removes the ACL entry. Processes that already opened the group keep their fds. */
int vfio_dev_revoke_node(struct vfio_dev *v);

/* A pidfd on PID, the process that asked for the lease (SO_PEERCRED), for
 * vfio_dev_raise_memlock(). Take it before the slow part of a grant (bind, reset): from then on
 * a pid the process leaves behind cannot name another process for udrvd. -ESRCH (logged) when
 * PID is gone or not visible in udrvd's pid namespace (SO_PEERCRED said 0). */
int vfio_dev_open_pidfd(pid_t pid, int *ret_pidfd);

/* Raises the RLIMIT_MEMLOCK of PID, the process PIDFD refers to, (soft and, if needed, hard) to
 * LIMIT bytes (POLICY_INFINITY: unlimited); never lowers it. VFIO accounts pinned DMA memory
 * against it. For `udrvctl grant` this is udrvctl's pid before it execs, so the program
 * inherits it. There is no prlimit by pidfd: the pid is used, and PIDFD checked before and after
 * each call: alive after the call means PID was that process during it. -ESRCH when it exited
 * (its pid may name another process by now, which then may have been raised; udrvd raises,
 * never lowers, and only for the microseconds between the check and the call). */
int vfio_dev_raise_memlock(int pidfd, pid_t pid, uint64_t limit);

/* What a process that still holds the function has open, for holders_paths(): "/dev/vfio/GROUP"
 * and, in fd mode, "/proc/self/fd/N", udrvd's own device fd. A holder's copy of the device fd
 * reads only "anon_inode:[vfio-device]" in /proc/PID/fd, the same anonymous inode for every VFIO
 * device of the system, and Linux 6.1 has no fdinfo for it: holders_find() compares each such
 * fd with udrvd's by kcmp(KCMP_FILE). So V must keep its device fd until the holders are dealt
 * with (vfio_dev_close closes it). A strv. */
int vfio_dev_holder_paths(const struct vfio_dev *v, char ***ret);

/* Fd mode: has vfio-pci signal an eventfd when the kernel wants the function back: it is being
 * hot-unplugged, or unbound from vfio-pci. The kernel then blocks until every device fd is
 * closed, and asks again every 10 s. *RET_FD is that eventfd (non-blocking, owned by V, closed
 * with it). -EOPNOTSUPP in node mode, where udrvd has no device fd (the holder's own program may
 * register its own: DPDK does). A holder sharing the device fd could replace the eventfd with its
 * own, as with any vfio-pci interrupt; libudrv does not. */
int vfio_dev_watch_request(struct vfio_dev *v, int *ret_fd);

/* Reads the request eventfd: 1 when the kernel asked since the last call (from then on
 * vfio_dev_close waits for vfio-pci to let go of the function instead of racing the removal, and
 * forgets it if it is gone), 0 when not. */
int vfio_dev_request_pending(struct vfio_dev *v);

/* Ends the lease's hold: removes the ACL, unmaps every DMA mapping of the container (fd mode),
 * closes udrvd's VFIO fds. Then, if no process holds the group any more, resets the function
 * and gives it and the members udrvd unbound back to their drivers, removing the records;
 * returns 0. If a process still holds the group (unbinding would block until it lets go),
 * leaves the function on vfio-pci, confined by the IOMMU and unreachable for new opens, keeps
 * the records and returns -EBUSY: end that process and call vfio_dev_recover(). Always frees
 * V. */
int vfio_dev_close(struct vfio_dev *v);

/* Gives back SLOT, recorded with backend "vfio" or "vfio-peer" by this or a previous udrvd:
 * same as the second half of vfio_dev_close(), -EBUSY while a process holds the group. A
 * "vfio-peer" record waits (-EBUSY) while the function that needed it is still on vfio-pci. */
int vfio_dev_recover(const char *root, const char *slot);
