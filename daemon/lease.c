/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Lease lifetime and the ctl channel: requests from the holder, hang-up ends the lease. */
#include <fcntl.h>
#include <inttypes.h>
#include <sys/eventfd.h>
#include <stdlib.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>

#include "audit.h"
#include "backend-uio.h"
#include "backend-vfio.h"
#include "holders.h"
#include "lease.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "strv.h"
#include "sysfs.h"
#include "udrv-protocol.h"

static void read_comm(pid_t pid, char *buf, size_t size)
{
	char path[64];
	ssize_t n;
	_cleanup_close_ int fd = -1;

	snprintf(buf, size, "?");
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, size - 1);
	if (n <= 0) {
		snprintf(buf, size, "?");
		return;
	}
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
}

#define BACKOFF_USEC (100 * 1000)

static int on_backoff(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct lease *l = userdata;

	l->backoff = sd_event_source_disable_unref(l->backoff);
	if (l->unmask_pending) {
		l->unmask_pending = false;
		(void)uio_dev_irq_enable(l->uio);
	}
	return 0;
}

int lease_irq_enable(struct lease *l)
{
	uint64_t now = 0;

	if (!l->uio || (l->irq_mode && streq(l->irq_mode, "poll")))
		return 0; /* polling: INTx stays masked, nothing to re-enable */
	if (l->backoff) {
		l->unmask_pending = true;
		return 0;
	}
	(void)sd_event_now(l->manager->event, CLOCK_MONOTONIC, &now);
	if (rate_limit_exceeded(&l->rate, now)) {
		if (!l->storm_logged) {
			log_warning("%s: interrupt storm, more than %" PRIu64 "/s (IrqRateLimit=): "
				    "INTx stays masked %d ms at a time.",
				    l->slot, l->rate.limit, (int)(BACKOFF_USEC / 1000));
			audit_event("irq-storm", l->slot, l->uid, l->pid,
				    policy_file_get_name(l->policy),
				    "%s: interrupt storm throttled", l->slot);
			l->storm_logged = true;
		}
		l->unmask_pending = true;
		if (sd_event_add_time_relative(l->manager->event, &l->backoff, CLOCK_MONOTONIC,
					       BACKOFF_USEC, 1, on_backoff, l) < 0)
			l->backoff = NULL;
		return 0;
	}
	return uio_dev_irq_enable(l->uio);
}

static int on_unmask(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct lease *l = userdata;
	uint64_t n;

	/* One read drains any number of writes: the work per wake-up is bounded. */
	if (read(fd, &n, sizeof(n)) == sizeof(n))
		(void)lease_irq_enable(l);
	return 0;
}

int lease_setup_irq(struct lease *l, const struct policy_grant *g, int device_irq, int *ret_irq_fd,
		    int *ret_unmask_fd, const char **ret_why)
{
	bool poll = false;
	int r, efd;

	*ret_irq_fd = *ret_unmask_fd = -1;
	*ret_why = "INTx through uio_pci_generic";
	l->rate = (struct rate_limit){.limit = g->irq_rate_limit};
	if (g->interrupts == POLICY_INTERRUPTS_POLL) {
		poll = true;
		*ret_why = "Interrupts=poll";
	} else if (g->interrupts == POLICY_INTERRUPTS_MSI ||
		   g->interrupts == POLICY_INTERRUPTS_MSIX) {
		/* An MSI is a DMA write: without an IOMMU to confine it, and with UIO, it needs
		 * bus mastering that only DMA=unsafe allows, and uio_pci_generic has no MSI. */
		poll = true;
		*ret_why = "MSI needs bus mastering and an IOMMU; UIO has neither: polling";
	} else if (device_irq <= 0) {
		poll = true;
		*ret_why = "the device has no usable interrupt: polling";
	}
	if (poll) {
		l->irq_mode = "poll";
		/* INTx off for good: nothing but the timer wakes the holder. */
		(void)uio_dev_config_write_intx(l->uio, true);
		return irq_poll_new(l->manager->event, g->poll_interval_usec, &l->poll, ret_irq_fd);
	}
	l->irq_mode = "intx";
	efd = eventfd(0, EFD_CLOEXEC);
	if (efd < 0)
		return negative_errno();
	r = fcntl(efd, F_DUPFD_CLOEXEC, 3);
	if (r < 0) {
		r = negative_errno();
		close(efd);
		return r;
	}
	l->unmask_fd = efd;
	*ret_unmask_fd = r;
	r = sd_event_add_io(l->manager->event, &l->unmask_source, efd, EPOLLIN, on_unmask, l);
	if (r >= 0)
		(void)sd_event_source_set_description(l->unmask_source, "irq-unmask");
	return r;
}

void lease_update_comm(struct lease *l)
{
	char comm[sizeof(l->comm)];

	read_comm(l->pid, comm, sizeof(comm));
	if (!streq(comm, "?")) /* the pid may be gone while a child holds the lease */
		memcpy(l->comm, comm, sizeof(comm));
}

static int ctl_reply(struct lease *l, const struct udrv_ctl_req *req, int status, const void *data,
		     uint32_t len)
{
	struct {
		struct udrv_ctl_reply h;
		uint8_t data[UDRV_CTL_MAX_DATA];
	} msg = {.h = {.op = req->op, .seq = req->seq, .status = status, .len = len}};

	if (req->flags & UDRV_CTL_F_NOREPLY)
		return 0;
	if (len)
		memcpy(msg.data, data, len);
	if (send(l->ctl_fd, &msg, sizeof(msg.h) + len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		return negative_errno();
	return 0;
}

static int ctl_config_read(struct lease *l, const struct udrv_ctl_req *req)
{
	uint8_t buf[UDRV_CTL_MAX_DATA];
	int r;

	if (req->len > UDRV_CTL_MAX_DATA || req->offset > 4096 || req->offset + req->len > 4096)
		return ctl_reply(l, req, -EINVAL, NULL, 0);
	r = uio_dev_config_read(l->uio, req->offset, buf, req->len);
	return ctl_reply(l, req, r, buf, r < 0 ? 0 : req->len);
}

static int ctl_config_write(struct lease *l, const struct udrv_ctl_req *req, const uint8_t *data,
			    size_t data_len)
{
	int r;

	if (req->len != data_len)
		return ctl_reply(l, req, -EINVAL, NULL, 0);
	r = uio_dev_config_write(l->uio, req->offset, data, data_len);
	if (r == -EPERM && l->uio->refusal.report)
		audit_event("refused-write", l->slot, l->uid, l->pid,
			    policy_file_get_name(l->policy),
			    "%s: refused config write of %zu bytes at 0x%x, uid %u pid %d: "
			    "%s (0x%x) is read-only to clients; not logged again",
			    l->slot, data_len, req->offset, (unsigned)l->uid, (int)l->pid,
			    l->uio->refusal.what, l->uio->refusal.off);
	if (r > 0) /* INTx Disable cleared: an unmask like any other */
		r = lease_irq_enable(l);
	return ctl_reply(l, req, r, NULL, 0);
}

static int ctl_handle(struct lease *l, const struct udrv_ctl_req *req, const uint8_t *data,
		      size_t data_len)
{
	switch (req->op) {
	case UDRV_CTL_PING:
		return ctl_reply(l, req, 0, NULL, 0);
	case UDRV_CTL_IRQ_ENABLE:
		return ctl_reply(l, req, lease_irq_enable(l), NULL, 0);
	case UDRV_CTL_CONFIG_READ:
	case UDRV_CTL_CONFIG_WRITE:
		if (!l->uio) /* VFIO: vfio-pci virtualizes config space itself */
			return ctl_reply(l, req, -EOPNOTSUPP, NULL, 0);
		return req->op == UDRV_CTL_CONFIG_READ ? ctl_config_read(l, req)
						       : ctl_config_write(l, req, data, data_len);
	case UDRV_CTL_RELEASE:
		(void)ctl_reply(l, req, 0, NULL, 0);
		lease_end(l, "released by its holder");
		return 1;
	default:
		return ctl_reply(l, req, -EOPNOTSUPP, NULL, 0);
	}
}

static int on_ctl(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct lease *l = userdata;
	struct {
		struct udrv_ctl_req h;
		uint8_t data[UDRV_CTL_MAX_DATA];
	} msg;
	ssize_t n;

	/* Drain what is queued, a bounded number at a time so other leases get their turn. */
	for (int i = 0; i < 64; i++) {
		n = recv(fd, &msg, sizeof(msg), MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n <= 0) {
			lease_end(l, "the holder closed its last copy of the lease");
			return 0;
		}
		if ((size_t)n < sizeof(msg.h) || (size_t)n > sizeof(msg)) {
			log_notice(
				"%s: malformed ctl packet (%zd bytes) from uid %u: ending lease.",
				l->slot, n, (unsigned)l->uid);
			lease_end(l, "malformed request");
			return 0;
		}
		if (ctl_handle(l, &msg.h, msg.data, (size_t)n - sizeof(msg.h)) > 0)
			return 0; /* the lease is gone */
	}
	return 0;
}

static void lease_tell_and_close(struct lease *l, int status)
{
	struct udrv_ctl_reply ev = {.op = UDRV_CTL_EV_LEASE_ENDED, .seq = 0, .status = status};

	if (l->ctl_fd < 0)
		return;
	(void)send(l->ctl_fd, &ev, sizeof(ev), MSG_NOSIGNAL | MSG_DONTWAIT);
	l->ctl_source = sd_event_source_disable_unref(l->ctl_source);
	closep(&l->ctl_fd);
	l->ctl_fd = -1;
}

/* The paths a holder's fds and mappings name: the function's sysfs directory, /dev/uioN,
 * /dev/vfio/N. */
static int lease_paths(struct lease *l, char ***ret)
{
	_cleanup_free_ char *group = NULL;

	if (l->vfio && vfio_dev_group_path(l->vfio, &group) < 0)
		group = NULL;
	return holders_paths(l->manager->root, l->slot, group, ret);
}

static int find_holders(struct lease *l, struct holder **ret, size_t *ret_n)
{
	_cleanup_strv_free_ char **paths = NULL;
	int r = lease_paths(l, &paths);

	if (r < 0)
		return r;
	if (!paths) {
		*ret = NULL;
		*ret_n = 0;
		return 0;
	}
	return holders_find(l->manager->root, paths, 0, ret, ret_n);
}

/* The kernel revokes neither BAR nor UIO mappings: before the device goes back, every
 * process still holding it is killed (StrayHolders=kill) or named loudly (log). */
static void deal_with_holders(struct lease *l)
{
	_cleanup_strv_free_ char **paths = NULL;

	if (lease_paths(l, &paths) < 0)
		return;
	holders_deal(l->manager->root, paths, l->slot,
		     policy_file_get_grant(l->policy)->stray_holders == POLICY_STRAY_KILL, l->uid,
		     policy_file_get_name(l->policy), "after its lease ended");
}

static int arm_timer(struct lease *l, uint64_t usec);

#define REVOKE_POLL_USEC (100 * 1000)

/* MaxLeaseTime= revokes; while revoking, the holder may let go before the grace period ends,
 * so look again every 100 ms until the deadline. */
static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct lease *l = userdata;
	_cleanup_free_ struct holder *h = NULL;
	size_t n = 0;

	if (!l->revoking) {
		lease_revoke(l, "MaxLeaseTime= is reached");
		return 0;
	}
	if (usec >= l->revoke_deadline) {
		lease_end(l, "its revoke grace period is over");
		return 0;
	}
	if (find_holders(l, &h, &n) >= 0 && n == 0) {
		lease_end(l, "revoked, and its holders let go");
		return 0;
	}
	if (arm_timer(l, MIN(REVOKE_POLL_USEC, l->revoke_deadline - usec)) < 0)
		lease_end(l, "revoked");
	return 0;
}

static int arm_timer(struct lease *l, uint64_t usec)
{
	uint64_t now;
	int r;

	l->timer = sd_event_source_disable_unref(l->timer);
	r = sd_event_now(l->manager->event, CLOCK_MONOTONIC, &now);
	if (r < 0)
		return r;
	r = sd_event_add_time(l->manager->event, &l->timer, CLOCK_MONOTONIC,
			      usec > UINT64_MAX - now ? UINT64_MAX : now + usec, 0, on_timer, l);
	if (r >= 0)
		(void)sd_event_source_set_description(l->timer, "lease-timer");
	return r;
}

int lease_new(struct manager *m, const char *slot, uid_t uid, pid_t pid, struct policy_file *policy,
	      struct uio_dev *uio, struct vfio_dev *vfio, int ctl_fd, struct lease **ret)
{
	const struct policy_grant *g = policy_file_get_grant(policy);
	struct lease *l = calloc(1, sizeof(*l));
	struct timespec ts;
	int r;

	if (!l)
		return -ENOMEM;
	l->manager = m;
	memcpy(l->slot, slot, PCI_SLOT_LEN);
	l->uid = uid;
	l->pid = pid;
	read_comm(pid, l->comm, sizeof(l->comm));
	clock_gettime(CLOCK_REALTIME, &ts);
	l->since_usec = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
	l->policy = policy_file_ref(policy);
	l->ctl_fd = ctl_fd;
	l->unmask_fd = -1;
	r = sd_event_add_io(m->event, &l->ctl_source, ctl_fd, EPOLLIN | EPOLLRDHUP, on_ctl, l);
	if (r >= 0 && g->max_lease_usec != POLICY_INFINITY)
		r = arm_timer(l, g->max_lease_usec);
	if (r < 0) {
		sd_event_source_disable_unref(l->ctl_source);
		policy_file_unref(l->policy);
		free(l);
		return r;
	}
	(void)sd_event_source_set_description(l->ctl_source, "lease-ctl");
	l->uio = uio;
	l->vfio = vfio;
	manager_add_lease(m, l);
	manager_emit(m, "lease-started", l->slot, l->uid, l->pid, l->comm);
	*ret = l;
	return 0;
}

void lease_revoke(struct lease *l, const char *why)
{
	const struct policy_grant *g = policy_file_get_grant(l->policy);
	_cleanup_free_ struct holder *h = NULL;
	size_t n = 0;

	if (l->ending || l->revoking)
		return;
	l->revoking = true;
	log_notice("Revoking the lease on %s held by uid %u (pid %d, %s): %s.", l->slot,
		   (unsigned)l->uid, (int)l->pid, l->comm, why);
	audit_event("revoked", l->slot, l->uid, l->pid, policy_file_get_name(l->policy),
		    "Lease on %s revoked: %s", l->slot, why);
	lease_tell_and_close(l, -ECANCELED);
	if (find_holders(l, &h, &n) >= 0 && n == 0) {
		lease_end(l, why);
		return;
	}
	if (sd_event_now(l->manager->event, CLOCK_MONOTONIC, &l->revoke_deadline) < 0 ||
	    g->revoke_grace_usec == 0 ||
	    arm_timer(l, MIN(REVOKE_POLL_USEC, g->revoke_grace_usec)) < 0) {
		lease_end(l, why);
		return;
	}
	l->revoke_deadline += g->revoke_grace_usec;
}

/* vfio-pci cannot be unbound while a process still holds the group (unbinding would block):
 * the holders were dealt with above, so retry the give-back briefly, then leave it to the
 * next start's recovery, which finds the record. */
static void lease_close_vfio(struct lease *l)
{
	const char *root = l->manager->root;
	char slot[PCI_SLOT_LEN];
	int r;

	memcpy(slot, l->slot, PCI_SLOT_LEN);
	r = vfio_dev_close(l->vfio);
	l->vfio = NULL;
	for (int i = 0; r == -EBUSY && i < 20; i++) {
		usleep(50000);
		r = vfio_dev_recover(root, slot);
	}
	if (r < 0)
		log_error_errno(r,
				"%s: still held after its lease ended; it stays confined on "
				"vfio-pci until udrvd restarts: %m",
				slot);
}

void lease_end(struct lease *l, const char *why)
{
	if (l->ending)
		return;
	l->ending = true;
	log_info("Lease on %s held by uid %u (pid %d, %s) ends: %s.", l->slot, (unsigned)l->uid,
		 (int)l->pid, l->comm, why);
	lease_tell_and_close(l, l->revoking ? -ECANCELED : 0);
	l->timer = sd_event_source_disable_unref(l->timer);
	l->backoff = sd_event_source_disable_unref(l->backoff);
	l->unmask_source = sd_event_source_disable_unref(l->unmask_source);
	closep(&l->unmask_fd);
	l->poll = irq_poll_free(l->poll);
	if (!l->device_gone)
		deal_with_holders(l);
	manager_remove_lease(l->manager, l);
	audit_event("ended", l->slot, l->uid, l->pid, policy_file_get_name(l->policy),
		    "Lease on %s ended: %s", l->slot, why);
	manager_emit(l->manager, "lease-ended", l->slot, l->uid, l->pid, why);
	if (l->vfio)
		lease_close_vfio(l);
	else if (l->device_gone)
		uio_dev_forget(l->uio);
	else
		uio_dev_close(l->uio);
	policy_file_unref(l->policy);
	free(l);
}
