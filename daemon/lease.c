/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Lease lifetime: start, interrupt setup, revoke, end. Requests on ctl: lease-fast.c. */
#include <fcntl.h>
#include <poll.h>
#include <inttypes.h>
#include <sys/eventfd.h>
#include <stdlib.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>

#include "audit.h"
#include "backend.h"
#include "fault.h"
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
	_cleanup_free_ char *comm = NULL;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if (sysfs_read_attr(AT_FDCWD, path, &comm) < 0 || !*comm)
		snprintf(buf, size, "?");
	else
		snprintf(buf, size, "%s", comm);
}

int lease_setup_irq(struct lease *l, const struct policy_grant *g, int device_irq, int *ret_irq_fd,
		    int *ret_unmask_fd, struct backend_irq *ret_irq)
{
	struct backend_irq irq = {0};
	int r, efd;

	*ret_irq_fd = *ret_unmask_fd = -1;
	l->rate = (struct rate_limit){.limit = g->irq_rate_limit};
	pthread_mutex_lock(&l->lock);
	r = l->ops->irq_setup(l->be, g, device_irq, &irq);
	pthread_mutex_unlock(&l->lock);
	if (r < 0)
		return r;
	l->irq_path = irq.path;
	*ret_irq = irq;
	if (irq.path == BACKEND_IRQ_POLL)
		return irq_poll_new(g->poll_interval_usec, &l->poll, ret_irq_fd);
	if (irq.path != BACKEND_IRQ_UNMASK)
		return 0;
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
	r = lease_fast_start_unmask(l);
	if (r < 0) {
		closep(ret_unmask_fd);
		*ret_unmask_fd = -1;
	}
	return r;
}

void lease_update_comm(struct lease *l)
{
	char comm[sizeof(l->comm)];

	read_comm(l->pid, comm, sizeof(comm));
	if (!streq(comm, "?")) /* the pid may be gone while a child holds the lease */
		memcpy(l->comm, comm, sizeof(comm));
	l->comm_usec = now_usec(CLOCK_MONOTONIC);
}

#define COMM_REFRESH_USEC (1000 * 1000ULL)

void lease_refresh_comm(struct lease *l, uint64_t now)
{
	if (l->comm_usec - l->start_usec < COMM_REFRESH_USEC ||
	    (now > l->comm_usec && now - l->comm_usec >= COMM_REFRESH_USEC))
		lease_update_comm(l);
}

static void lease_tell_and_close(struct lease *l, int status)
{
	struct udrv_ctl_reply ev = {.op = UDRV_CTL_EV_LEASE_ENDED, .seq = 0, .status = status};

	if (l->ctl_fd < 0)
		return;
	/* The threads first: no reply may follow the event, and the ctl thread must be gone
	 * before the fd is. From here INTx stays masked: the holder was told it is over. */
	lease_fast_stop(l);
	(void)send(l->ctl_fd, &ev, sizeof(ev), MSG_NOSIGNAL | MSG_DONTWAIT);
	closep(&l->ctl_fd);
	l->ctl_fd = -1;
}

/* The paths a holder's fds and mappings name: the function's sysfs directory, /dev/uioN, and
 * the backend's own (/dev/vfio/N, udrvd's own VFIO device fd: the holder's copy is anonymous). */
static int lease_paths(struct lease *l, char ***ret)
{
	_cleanup_strv_free_ char **extra = NULL;

	if (l->ops->holder_paths && l->ops->holder_paths(l->be, &extra) < 0)
		extra = NULL;
	return holders_paths(l->manager->root, l->slot, extra, ret);
}

static int find_holders(struct lease *l, struct holder **ret, size_t *ret_n)
{
	_cleanup_strv_free_ char **paths = NULL;
	int r = lease_paths(l, &paths);

	if (r < 0)
		return r;
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

/* A lease whose backend cut its holders off (uio-ext: every mapping revoked) goes back at once,
 * with no /proc scan: the holder that just got SIGBUS is still exiting and must not be killed for
 * it. What no revoke reaches is the function's sysfs files the holder was given (its read-only
 * config fd): RevokeGracePeriod= later, whoever still holds one of them is dealt with as
 * StrayHolders= says, unless the function is leased again by then (that lease's end looks). */
struct holder_sweep {
	struct holder_sweep *next;
	struct manager *manager;
	sd_event_source *timer;
	char slot[PCI_SLOT_LEN];
	uid_t uid;
	bool kill;
	char *policy;
};

static void holder_sweep_free(struct holder_sweep *w)
{
	struct manager *m = w->manager;

	for (struct holder_sweep **p = &m->sweeps; *p; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			break;
		}
	sd_event_source_disable_unref(w->timer);
	free(w->policy);
	free(w);
}

void holder_sweeps_free(struct manager *m)
{
	while (m->sweeps)
		holder_sweep_free(m->sweeps);
}

static int on_holder_sweep(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct holder_sweep *w = userdata;
	_cleanup_strv_free_ char **paths = NULL;

	if (!manager_find_lease(w->manager, w->slot) &&
	    holders_paths(w->manager->root, w->slot, NULL, &paths) >= 0)
		holders_deal(w->manager->root, paths, w->slot, w->kill, w->uid, w->policy,
			     "after its lease was cut off (it kept the function's sysfs files)");
	holder_sweep_free(w);
	return 0;
}

static void schedule_holder_sweep(struct lease *l)
{
	const struct policy_grant *g = policy_file_get_grant(l->policy);
	struct holder_sweep *w = calloc(1, sizeof(*w));

	if (!w || !(w->policy = strdup(policy_file_get_name(l->policy)))) {
		free(w);
		log_oom();
		return;
	}
	w->manager = l->manager;
	memcpy(w->slot, l->slot, PCI_SLOT_LEN);
	w->uid = l->uid;
	w->kill = g->stray_holders == POLICY_STRAY_KILL;
	if (sd_event_add_time_relative(l->manager->event, &w->timer, CLOCK_MONOTONIC,
				       MAX(g->revoke_grace_usec, (uint64_t)100000), 0,
				       on_holder_sweep, w) < 0) {
		free(w->policy);
		free(w);
		return;
	}
	(void)sd_event_source_set_description(w->timer, "holder-sweep");
	w->next = l->manager->sweeps;
	l->manager->sweeps = w;
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
		FAULT_POINT(REVOKE_EXPIRED);
		lease_end(l, "its revoke grace period is over");
		return 0;
	}
	if (find_holders(l, &h, &n) >= 0 && n == 0) {
		l->no_holders = true;
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
	      const struct backend_ops *ops, void *be, int ctl_fd, struct lease **ret)
{
	const struct policy_grant *g = policy_file_get_grant(policy);
	struct lease *l = calloc(1, sizeof(*l));
	int r;

	if (!l)
		return -ENOMEM;
	l->manager = m;
	memcpy(l->slot, slot, PCI_SLOT_LEN);
	l->uid = uid;
	l->pid = pid;
	read_comm(pid, l->comm, sizeof(l->comm));
	l->start_usec = l->comm_usec = now_usec(CLOCK_MONOTONIC);
	l->since_usec = now_usec(CLOCK_REALTIME);
	l->policy = policy_file_ref(policy);
	l->ctl_fd = ctl_fd;
	l->unmask_fd = -1;
	l->ops = ops;
	l->be = be;
	r = lease_fast_init(l);
	if (r >= 0 && g->max_lease_usec != POLICY_INFINITY)
		r = arm_timer(l, g->max_lease_usec);
	if (r < 0) {
		/* The caller still owns BE and CTL_FD. */
		lease_fast_done(l);
		l->timer = sd_event_source_disable_unref(l->timer);
		l->request_source = sd_event_source_disable_unref(l->request_source);
		policy_file_unref(l->policy);
		free(l);
		return r;
	}
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
	FAULT_POINT(REVOKE_BEGUN);
	lease_tell_and_close(l, -ECANCELED);
	FAULT_POINT(REVOKE_TOLD);
	/* uio_ext zaps every mapping at once: the holder faults from here on, and the device
	 * can go back now, with no grace period and nobody to kill. */
	if (l->ops->revoke && l->ops->revoke(l->be) > 0) {
		l->cut_off = true;
		lease_end(l, why);
		return;
	}
	if (find_holders(l, &h, &n) >= 0 && n == 0) {
		l->no_holders = true;
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
	FAULT_POINT(REVOKE_WAITING);
}

void lease_end(struct lease *l, const char *why)
{
	if (l->ending)
		return;
	l->ending = true;
	log_info("Lease on %s held by uid %u (pid %d, %s) ends: %s.", l->slot, (unsigned)l->uid,
		 (int)l->pid, l->comm, why);
	lease_tell_and_close(l, l->revoking ? -ECANCELED : 0);
	lease_fast_done(l); /* no thread of the lease's runs after this */
	FAULT_POINT(END_TOLD);
	l->timer = sd_event_source_disable_unref(l->timer);
	closep(&l->unmask_fd);
	l->poll = irq_poll_free(l->poll);
	if (!l->device_gone && !l->cut_off && l->ops->revoke)
		l->cut_off = l->ops->revoke(l->be) > 0;
	if (!l->device_gone && !l->no_holders && !l->cut_off)
		deal_with_holders(l);
	FAULT_POINT(END_HOLDERS);
	manager_remove_lease(l->manager, l);
	audit_event("ended", l->slot, l->uid, l->pid, policy_file_get_name(l->policy),
		    "Lease on %s ended: %s", l->slot, why);
	manager_emit(l->manager, "lease-ended", l->slot, l->uid, l->pid, why);
	l->request_source = sd_event_source_disable_unref(l->request_source);
	if (l->device_gone)
		l->ops->forget(l->be);
	else
		(void)l->ops->give_back(l->be);
	if (l->cut_off && !l->device_gone)
		schedule_holder_sweep(l);
	policy_file_unref(l->policy);
	free(l);
}

bool lease_settle(struct lease *l)
{
	_cleanup_free_ struct holder *h = NULL;
	struct pollfd p = {.fd = l->ctl_fd, .events = POLLRDHUP};
	const char *why = __atomic_load_n(&l->end_request, __ATOMIC_ACQUIRE);
	size_t n = 0;

	if (l->ending)
		return false;
	if (l->revoking) {
		/* In its grace period: over as soon as no process holds the device. */
		if (find_holders(l, &h, &n) < 0 || n > 0)
			return false;
		l->no_holders = true;
		lease_end(l, "revoked, and its holders let go");
		return true;
	}
	if (!why && l->ctl_fd >= 0 && poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLRDHUP)))
		why = "the holder closed its last copy of the lease";
	if (!why)
		return false;
	lease_end(l, why);
	return true;
}
