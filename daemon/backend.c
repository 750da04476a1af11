/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The choice of backend, and the VFIO backend's side of the contract (backend.h); the
 * mechanics are in backend-vfio.c. uio and uio-ext implement it in backend-uio.c. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "backend-vfio.h"
#include "backend.h"
#include "log.h"
#include "macro.h"
#include "strv.h"
#include "sysfs.h"

void backend_holder_done(struct backend_holder *h)
{
	closep(&h->pidfd);
}

int backend_select(const char *root, const struct pci_device *dev, const struct policy_grant *g,
		   const struct backend_ops **ret, const char **ret_why)
{
	enum policy_backend b;
	int r = policy_backend_choose(g, dev, policy_uio_ext_loaded(root), &b, ret_why);

	if (r < 0)
		return r;
	*ret = b == POLICY_BACKEND_VFIO	     ? &backend_vfio_ops
	       : b == POLICY_BACKEND_UIO_EXT ? &backend_uio_ext_ops
					     : &backend_uio_ops;
	return 0;
}

const struct backend_ops *backend_from_record(const char *name)
{
	if (!name)
		return NULL;
	if (streq(name, "uio"))
		return &backend_uio_ops;
	if (streq(name, "uio-ext"))
		return &backend_uio_ext_ops;
	if (startswith(name, "vfio"))
		return &backend_vfio_ops;
	return NULL;
}

/* VFIO */

static int vfio_check(const char *root, const struct pci_device *dev, const struct policy_grant *g,
		      const struct backend_holder *h, char **ret_why)
{
	return vfio_dev_check(root, dev, g, h->node, ret_why);
}

/* The holder's pidfd first, before the slow part (bind, reset): its pid cannot name another
 * process by the time its RLIMIT_MEMLOCK is raised. */
static int vfio_prepare(const char *root, const struct pci_device *dev,
			const struct policy_grant *g, struct backend_holder *h, void **ret)
{
	struct vfio_dev *v;
	int r;

	if (g->memlock_limit && h->pidfd < 0) {
		r = vfio_dev_open_pidfd(h->pid, &h->pidfd);
		if (r < 0)
			return r;
	}
	r = vfio_dev_open(root, dev, g, h->uid, h->pid, &v);
	if (r < 0)
		return r;
	*ret = v;
	return 0;
}

/* Fd mode: the device and container fds; node mode: an ACL on /dev/vfio/N. Both raise the
 * holder's RLIMIT_MEMLOCK to MemlockLimit=. */
static int vfio_client_fds(void *b, const struct pci_device *dev, const struct policy_grant *g,
			   const struct backend_holder *h, int **ret_fds, char ***ret_names,
			   size_t *ret_n)
{
	struct vfio_dev *v = b;
	int r;

	(void)dev;
	r = h->node ? vfio_dev_grant_node(v, h->uid) : 0;
	if (r >= 0)
		r = vfio_dev_client_fds(v, ret_fds, ret_names, ret_n);
	if (r >= 0 && g->memlock_limit)
		r = vfio_dev_raise_memlock(h->pidfd, h->pid, g->memlock_limit);
	return r;
}

static int vfio_irq_setup(void *b, const struct policy_grant *g, int device_irq,
			  struct backend_irq *ret)
{
	struct vfio_dev *v = b;

	(void)g;
	(void)device_irq;
	*ret = (struct backend_irq){.path = BACKEND_IRQ_HOLDER,
				    .mode = v->irq,
				    .why = "the holder sets them up through VFIO"};
	return 0;
}

static int vfio_holder_paths(void *b, char ***ret)
{
	return vfio_dev_holder_paths(b, ret);
}

static int vfio_request_fd(void *b, int *ret_fd)
{
	return vfio_dev_watch_request(b, ret_fd);
}

static int vfio_request_pending(void *b)
{
	return vfio_dev_request_pending(b);
}

/* vfio-pci cannot be unbound while a process still holds the group (unbinding would block):
 * the holders were dealt with before, so retry the give-back briefly, then leave it to the
 * next start's recovery, which finds the record. */
static int vfio_give_back(void *b)
{
	struct vfio_dev *v = b;
	_cleanup_free_ char *root = strdup(v->root);
	char slot[PCI_SLOT_LEN];
	int r;

	memcpy(slot, v->slot, PCI_SLOT_LEN);
	r = vfio_dev_close(v);
	for (int i = 0; r == -EBUSY && root && i < 20; i++) {
		usleep(50000);
		r = vfio_dev_recover(root, slot);
	}
	if (r < 0)
		log_error_errno(r,
				"%s: still held after its lease ended; it stays confined on "
				"vfio-pci until udrvd restarts: %m",
				slot);
	return r;
}

/* Hot-unplugged: the same as a give-back, which finds no function to give back. */
static void vfio_forget(void *b)
{
	(void)vfio_give_back(b);
}

static int vfio_describe(void *b, const char *policy, sd_bus_message *reply)
{
	struct vfio_dev *v = b;

	return sd_bus_message_append(reply, "a{ss}", 7, "backend", "vfio", "irq", v->irq,
				     "irq_format", "eventfd64", "dma", "on", "reset",
				     v->reset_method ?: "none", "policy", policy, "mode",
				     v->node ? "node" : "fd");
}

static int vfio_summary(void *b, char **ret)
{
	struct vfio_dev *v = b;

	return asprintf(ret, "%s, reset %s", v->node ? "node mode" : "fd mode",
			v->reset_method ?: "none") < 0
		       ? -ENOMEM
		       : 0;
}

static int vfio_plan(const char *root, const struct pci_device *dev, const struct policy_grant *g,
		     const struct backend_holder *h, char **ret)
{
	_cleanup_free_ char *resets =
		dev->reset_methods ? strv_join(dev->reset_methods, " ") : NULL;

	(void)root;
	return asprintf(ret,
			"would record %s's driver (%s) and driver_override (%s)\n"
			"IOMMU group %d is viable%s\n"
			"would bind %s to vfio-pci through driver_override\n"
			"would reset it: %s\n"
			"would let uid %u open /dev/vfio/%d (a POSIX ACL) and raise its "
			"RLIMIT_MEMLOCK to %" PRIu64 " bytes; DMA confined by the IOMMU\n"
			"when the lease ends: ACL removed, %s holders, reset, give it back to %s\n",
			dev->slot, dev->driver ?: "none", dev->driver_override ?: "unset",
			dev->iommu_group,
			g->group_unbind ? " (GroupUnbind=yes: idle members unbound for the lease)"
					: "",
			dev->slot, resets ?: "no reset method: the fallback clean-up",
			(unsigned)h->uid, dev->iommu_group, g->memlock_limit,
			g->stray_holders == POLICY_STRAY_KILL ? "kill stray" : "log stray",
			dev->driver ?: "no driver") < 0
		       ? -ENOMEM
		       : 0;
}

const struct backend_ops backend_vfio_ops = {
	.name = "vfio",
	.driver = VFIO_DRIVER,
	.check = vfio_check,
	.prepare = vfio_prepare,
	.client_fds = vfio_client_fds,
	.irq_setup = vfio_irq_setup,
	.holder_paths = vfio_holder_paths,
	.request_fd = vfio_request_fd,
	.request_pending = vfio_request_pending,
	.give_back = vfio_give_back,
	.forget = vfio_forget,
	.recover = vfio_dev_recover,
	.describe = vfio_describe,
	.summary = vfio_summary,
	.plan = vfio_plan,
};
