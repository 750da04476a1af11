/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Hotplug: a libudev monitor on the pci subsystem. A leased function that goes away ends
 * its lease (the holder is told); one that arrives is announced with the policy's verdict. A
 * VFIO function's removal waits in the kernel for its device fds: its request eventfd revokes
 * the lease first. */
#include <libudev.h>
#include <stdlib.h>

#include "audit.h"
#include "backend.h"
#include "lease.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "pci-device.h"
#include "state.h"

static void device_added(struct manager *m, const char *slot)
{
	_cleanup_(pci_device_freep) struct pci_device *dev = NULL;
	struct policy_file *match;
	const char *policy = "no policy matches it";

	if (pci_device_read(m->root, slot, &dev) < 0)
		return;
	match = m->policy ? policy_set_match(m->policy, dev) : NULL;
	if (match)
		policy = policy_file_get_name(match);
	log_info("PCI function %s (%04x:%04x) appeared; policy: %s.", slot, dev->vendor,
		 dev->device, policy);
	manager_emit(m, "device-added", slot, 0, 0, policy);
}

static void device_removed(struct manager *m, const char *slot)
{
	struct lease *l = manager_find_lease(m, slot);

	manager_emit(m, "device-removed", slot, l ? l->uid : 0, l ? l->pid : 0, "");
	/* A function a process kept after its lease stays recorded (VFIO: vfio_dev_close): gone
	 * now, there is nothing left to give back but the record. */
	if (!l) {
		struct device_record rec = {};
		const struct backend_ops *ops = NULL;

		if (state_load(m->root, slot, &rec) >= 0)
			ops = backend_from_record(rec.backend);
		device_record_done(&rec);
		if (ops && ops->recover(m->root, slot) == 0)
			log_info("%s, kept by a process after its lease, was removed.", slot);
	}
	if (!l)
		return;
	audit_event("removed", slot, l->uid, l->pid, NULL, "%s was removed during its lease", slot);
	l->device_gone = true;
	lease_end(l, "the device was removed");
}

/* The kernel wants the function back (VFIO: it blocks the removal, or unbind, until every
 * device fd is closed, udrvd's included, and asks again every 10 s). Revoke, not end: the
 * holder is told and gets RevokeGracePeriod= to let go; then the lease ends and StrayHolders=
 * deals with what is left, and closing udrvd's fds lets the removal finish. */
static int on_request(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct lease *l = userdata;

	if (l->ops->request_pending(l->be) <= 0 || l->revoking || l->ending)
		return 0;
	audit_event("removal-requested", l->slot, l->uid, l->pid, policy_file_get_name(l->policy),
		    "the kernel asks for %s back during its lease (hot-unplug or unbind)", l->slot);
	manager_emit(l->manager, "device-removing", l->slot, l->uid, l->pid, "");
	lease_revoke(l, "the device is being removed (the kernel asks for it back)");
	return 0;
}

int lease_watch_request(struct lease *l)
{
	int fd, r;

	if (!l->ops->request_fd)
		return -EOPNOTSUPP;
	r = l->ops->request_fd(l->be, &fd);
	if (r == -EOPNOTSUPP)
		log_info("%s: node mode: a removal of the device waits until the holder closes it "
			 "(its program may listen for vfio-pci's device request itself).",
			 l->slot);
	if (r < 0)
		return r;
	r = sd_event_add_io(l->manager->event, &l->request_source, fd, EPOLLIN, on_request, l);
	if (r < 0)
		return log_error_errno(r, "%s: cannot watch the device request eventfd: %m",
				       l->slot);
	(void)sd_event_source_set_description(l->request_source, "device-request");
	return 0;
}

static int on_uevent(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct manager *m = userdata;

	for (int i = 0; i < 64; i++) {
		struct udev_device *d = udev_monitor_receive_device(m->monitor);
		const char *action, *slot;

		if (!d)
			break;
		action = udev_device_get_action(d);
		slot = udev_device_get_sysname(d);
		if (action && slot && pci_slot_is_valid(slot)) {
			if (streq(action, "remove"))
				device_removed(m, slot);
			else if (streq(action, "add"))
				device_added(m, slot);
		}
		udev_device_unref(d);
	}
	return 0;
}

int hotplug_start(struct manager *m)
{
	int r;

	if (!streq(m->root, "/"))
		return 0; /* fixture trees have no uevents */
	m->udev = udev_new();
	if (!m->udev)
		return -ENOMEM;
	/* Kernel uevents: udevd may not run (initramfs, containers), and the kernel's own
	 * events are the ones that matter for a removed device. */
	m->monitor = udev_monitor_new_from_netlink(m->udev, "kernel");
	if (!m->monitor)
		return -EIO;
	r = udev_monitor_filter_add_match_subsystem_devtype(m->monitor, "pci", NULL);
	if (r < 0)
		return r;
	r = udev_monitor_enable_receiving(m->monitor);
	if (r < 0)
		return r;
	r = sd_event_add_io(m->event, &m->monitor_source, udev_monitor_get_fd(m->monitor), EPOLLIN,
			    on_uevent, m);
	if (r < 0)
		return r;
	(void)sd_event_source_set_description(m->monitor_source, "hotplug");
	return 0;
}

void hotplug_stop(struct manager *m)
{
	m->monitor_source = sd_event_source_disable_unref(m->monitor_source);
	m->monitor = udev_monitor_unref(m->monitor);
	m->udev = udev_unref(m->udev);
}
