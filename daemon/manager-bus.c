/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* udrvd's bus glue: one peer-to-peer sd-bus server per accepted connection, the
 * org.udrv.Manager1 vtable, and thin handlers that parse, authorize, call the core, reply. */
#include <fcntl.h>
#include <inttypes.h>
#include <time.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "audit.h"
#include "backend.h"
#include "bus-input.h"
#include "driver.h"
#include "fault.h"
#include "lease.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "pci-device.h"
#include "ratelimit.h"
#include "strv.h"
#include "sysfs.h"
#include "udrv-protocol.h"

/* The caller as policy sees it: the process's own groups (SO_PEERGROUPS), names from NSS. */
static int connection_cred(struct connection *c, struct policy_cred *ret)
{
	struct policy_cred cred = {.uid = c->uid};
	struct passwd *pw = getpwuid(c->uid);

	if (pw && !(cred.user = strdup(pw->pw_name)))
		return -ENOMEM;
	cred.gids = calloc(c->n_groups + 1, sizeof(gid_t));
	cred.group_names = calloc(c->n_groups + 1, sizeof(char *));
	if (!cred.gids || !cred.group_names) {
		policy_cred_done(&cred);
		return -ENOMEM;
	}
	cred.gids[cred.n_gids++] = c->gid;
	for (size_t i = 0; i < c->n_groups; i++)
		if (c->groups[i] != c->gid)
			cred.gids[cred.n_gids++] = c->groups[i];
	for (size_t i = 0; i < cred.n_gids; i++) {
		struct group *gr = getgrgid(cred.gids[i]);

		if (gr)
			cred.group_names[i] = strdup(gr->gr_name);
	}
	*ret = cred;
	return 0;
}

static int append_info(sd_bus_message *reply, const struct lease *l, const char *policy)
{
	return l->ops->describe(l->be, policy, reply);
}

static int reply_fds(sd_bus_message *m, const struct lease *l, int ctl, int *fds, char **names,
		     size_t n, const char *policy)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	int r;

	r = sd_bus_message_new_method_return(m, &reply);
	if (r < 0)
		return r;
	r = sd_bus_message_append(reply, "h", ctl);
	if (r < 0)
		return r;
	r = sd_bus_message_open_container(reply, 'a', "(sh)");
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = sd_bus_message_append(reply, "(sh)", names[i], fds[i]);
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	if (r >= 0)
		r = append_info(reply, l, policy);
	return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}

/* ARG as a normalized slot, or the bus error every method gives for a malformed one (1 or <0).
 * EXAMPLE adds Acquire's ", e.g. 0000:03:00.0". */
/* Arguments are echoed in errors at most this long: an error reply is no amplifier. */
#define ECHO_MAX 64
/* MODULE_NAME_LEN (64 - sizeof(unsigned long)) less its NUL. */
#define DRIVER_NAME_MAX 55

static int parse_slot(const char *arg, char slot[PCI_SLOT_LEN], bool example, sd_bus_error *error)
{
	if (pci_slot_normalize(arg, slot) < 0)
		return sd_bus_error_setf(error, UDRV_ERROR_INVALID_SLOT,
					 "'%.*s'%s is not a PCI slot: expected DDDD:BB:DD.F%s",
					 ECHO_MAX, arg, strlen(arg) > ECHO_MAX ? "..." : "",
					 example ? ", e.g. 0000:03:00.0" : "");
	return 1;
}

/* The function at SLOT, or the bus error for one this machine does not have (1 or <0). */
static int read_device(struct manager *m, const char *slot, struct pci_device **ret,
		       sd_bus_error *error)
{
	if (pci_device_read(m->root, slot, ret) < 0)
		return sd_bus_error_setf(error, UDRV_ERROR_NO_DEVICE,
					 "no PCI function %s on this machine", slot);
	return 1;
}

/* The backend for A's device under G, or the bus error for a Backend= it cannot use (1 or <0).
 */
static int select_backend(struct manager *m, const char *slot, const struct pci_device *dev,
			  const struct policy_file *file, const struct backend_ops **ret,
			  const char **ret_why, sd_bus_error *error)
{
	if (backend_select(m->root, dev, policy_file_get_grant(file), ret, ret_why) < 0)
		return sd_bus_error_setf(error, UDRV_ERROR_FAILED, "%s (%s): %s", slot,
					 policy_file_get_name(file), *ret_why);
	return 1;
}

/* A standing grant lets its uid in where the matching file's Users=/Groups= do not; a device
 * no file matches stays denied. */
static int apply_standing_grant(struct manager *m, const char *slot, uid_t uid,
				struct policy_decision *d)
{
	const struct grant *g;
	char *reason;

	if (d->granted || !d->file)
		return 0;
	g = grant_table_find(&m->grants, slot, uid, now_usec(CLOCK_REALTIME));
	if (!g)
		return 0;
	if (asprintf(&reason, "granted: uid %u has a standing grant on %s from uid %u (%s)",
		     (unsigned)uid, slot, (unsigned)g->by, policy_file_get_name(d->file)) < 0)
		return -ENOMEM;
	free(d->reason);
	d->reason = reason;
	d->granted = true;
	return 0;
}

bool connection_is_admin(const struct connection *c)
{
	const struct manager *m = c->manager;

	if (c->uid == 0)
		return true;
	if (m->admin_gid == (gid_t)-1)
		return false;
	if (c->gid == m->admin_gid)
		return true;
	for (size_t i = 0; i < c->n_groups; i++)
		if (c->groups[i] == m->admin_gid)
			return true;
	return false;
}

static int require_admin(struct connection *c, const char *what, sd_bus_error *error)
{
	if (connection_is_admin(c))
		return 1;
	return sd_bus_error_setf(error, UDRV_ERROR_DENIED,
				 "%s is for root and the admin group; uid %u is neither", what,
				 (unsigned)c->uid);
}

static int reply_plan(sd_bus_message *msg, const char *plan)
{
	return sd_bus_reply_method_return(msg, "s", plan);
}

struct acquire {
	char slot[PCI_SLOT_LEN];
	struct pci_device *dev;
	struct policy_decision decision;
	struct policy_cred cred;
	const struct backend_ops *ops;
	void *be;
	int *fds;
	char **names;
	size_t n;
	int ctl[2];
};

static void acquire_done(struct acquire *a)
{
	pci_device_free(a->dev);
	policy_decision_done(&a->decision);
	policy_cred_done(&a->cred);
	for (size_t i = 0; i < a->n; i++)
		close(a->fds[i]);
	free(a->fds);
	strv_free(a->names);
	closep(&a->ctl[0]);
	closep(&a->ctl[1]);
	if (a->be)
		(void)a->ops->give_back(a->be);
}

/* The irq fd: uio's (INTx, plus an unmask eventfd) or a polling timer's eventfd. */
/* Appends FD, named NAME, to the holder's fds; closes FD on failure. */
static int acquire_add_fd(struct acquire *a, const char *name, int fd)
{
	int *nf = realloc(a->fds, (a->n + 1) * sizeof(int));

	if (!nf || strv_push(&a->names, name) < 0) {
		if (nf)
			a->fds = nf;
		close(fd);
		return -ENOMEM;
	}
	a->fds = nf;
	a->fds[a->n++] = fd;
	return 0;
}

/* The irq fd: uio's (INTx, plus an unmask eventfd), a polling timer's eventfd, or the module's
 * vector eventfds (uio-ext). */
static int acquire_irq(struct acquire *a, struct lease *l, const struct policy_grant *g)
{
	struct backend_irq irq = {0};
	int irq_fd, unmask_fd, r;

	r = lease_setup_irq(l, g, a->dev->irq, &irq_fd, &unmask_fd, &irq);
	if (r < 0)
		return r;
	log_info("%s: interrupts: %s.", a->slot, irq.why);
	if (irq_fd >= 0 && a->n > 0 && streq(a->names[a->n - 1], "irq")) {
		close(a->fds[a->n - 1]);
		a->fds[a->n - 1] = irq_fd;
	}
	if (unmask_fd >= 0)
		r = acquire_add_fd(a, "irq-unmask", unmask_fd);
	for (unsigned i = 0; i < irq.n_vectors; i++) {
		char name[24];

		snprintf(name, sizeof(name), "irq-vec%u", i);
		if (r >= 0)
			r = acquire_add_fd(a, name, irq.vector_fds[i]);
		else
			close(irq.vector_fds[i]);
	}
	return r;
}

/* Everything that can refuse a request, in the order a user wants to hear about it. */
static int acquire_check(struct connection *c, const char *arg, struct acquire *a,
			 sd_bus_error *error)
{
	struct manager *m = c->manager;
	struct lease *held;
	int r;

	r = parse_slot(arg, a->slot, true, error);
	if (r <= 0)
		return r;
	/* A holder that just let go (udrv_close, then udrv_open at once) has a lease the loop
	 * has not ended yet: end it now, before the device is read, instead of saying Busy. */
	held = manager_find_lease(m, a->slot);
	if (held)
		(void)lease_settle(held);
	r = read_device(m, a->slot, &a->dev, error);
	if (r <= 0)
		return r;
	r = connection_cred(c, &a->cred);
	if (r < 0)
		return r;
	r = policy_set_decide(m->policy, a->dev, &a->cred, &a->decision);
	if (r < 0)
		return r;
	r = apply_standing_grant(m, a->slot, c->uid, &a->decision);
	if (r < 0)
		return r;
	if (!a->decision.granted) {
		audit_event("denied", a->slot, c->uid, c->pid,
			    a->decision.file ? policy_file_get_name(a->decision.file) : NULL, "%s",
			    a->decision.reason);
		log_notice("Denied %s to uid %u (pid %d): %s", a->slot, (unsigned)c->uid,
			   (int)c->pid, a->decision.reason);
		return sd_bus_error_setf(error, UDRV_ERROR_DENIED, "%s", a->decision.reason);
	}
	held = manager_find_lease(m, a->slot);
	if (held)
		lease_update_comm(held);
	if (held)
		return sd_bus_error_setf(error, UDRV_ERROR_BUSY,
					 "busy: %s is held by uid %u (pid %d, %s)%s", a->slot,
					 (unsigned)held->uid, (int)held->pid, held->comm,
					 held->revoking ? "; its lease is being revoked" : "");
	if (a->dev->in_use)
		return sd_bus_error_setf(error, UDRV_ERROR_IN_USE,
					 "%s is in use: %s; stop using it first", a->slot,
					 a->dev->in_use);
	if ((a->dev->class >> 16) == 0x06)
		return sd_bus_error_setf(error, UDRV_ERROR_DENIED,
					 "%s is a bridge; udrv leases endpoints only", a->slot);
	if (manager_count_leases(m, c->uid) >= MANAGER_MAX_LEASES_PER_UID)
		return sd_bus_error_setf(error, UDRV_ERROR_DENIED,
					 "uid %u already holds %d leases, the most one user may",
					 (unsigned)c->uid, MANAGER_MAX_LEASES_PER_UID);
	return 1;
}

/* The backend's checks, then bind, reset and the holder's fds. */
static int prepare(struct connection *c, struct acquire *a, const struct policy_grant *g,
		   struct backend_holder *h, sd_bus_error *error)
{
	_cleanup_free_ char *why = NULL;
	int r;

	if (a->ops->check) {
		r = a->ops->check(c->manager->root, a->dev, g, h, &why);
		if (r < 0)
			return r;
		if (r == 0)
			return sd_bus_error_setf(error, UDRV_ERROR_IN_USE, "%s", why);
	}
	r = a->ops->prepare(c->manager->root, a->dev, g, h, &a->be);
	if (r < 0)
		return sd_bus_error_setf(error, UDRV_ERROR_FAILED,
					 "could not prepare %s for %s: %s; see udrvd's log",
					 a->slot, a->ops->driver, strerror(-r));
	r = a->ops->client_fds(a->be, a->dev, g, h, &a->fds, &a->names, &a->n);
	if (r < 0)
		return sd_bus_error_setf(error, UDRV_ERROR_FAILED, "could not hand out %s: %s",
					 a->slot, strerror(-r));
	return 1;
}

static int do_acquire(sd_bus_message *msg, struct connection *c, bool node, sd_bus_error *error)
{
	_cleanup_(acquire_done) struct acquire a = {.ctl = {-1, -1}};
	_cleanup_(backend_holder_done) struct backend_holder h = {
		.uid = c->uid, .pid = c->pid, .node = node, .pidfd = -1};
	_cleanup_free_ char *summary = NULL;
	const struct policy_grant *g;
	const char *arg, *chosen;
	struct lease *l;
	int r;

	r = sd_bus_message_read(msg, "s", &arg);
	if (r < 0)
		return r;
	r = acquire_check(c, arg, &a, error);
	if (r <= 0)
		return r;
	g = policy_file_get_grant(a.decision.file);
	r = select_backend(c->manager, a.slot, a.dev, a.decision.file, &a.ops, &chosen, error);
	if (r <= 0)
		return r;
	r = prepare(c, &a, g, &h, error);
	if (r <= 0)
		return r;
	/* Both ends blocking: the lease's ctl thread blocks in recv() on udrvd's (its sends say
	 * MSG_DONTWAIT), and O_NONBLOCK would travel with the client's fd. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, a.ctl) < 0)
		return negative_errno();
	r = lease_new(c->manager, a.slot, c->uid, c->pid, a.decision.file, a.ops, a.be, a.ctl[0],
		      &l);
	if (r < 0)
		return r;
	a.be = NULL;
	a.ctl[0] = -1;
	FAULT_POINT(ACQUIRE_LEASE_MADE);
	if (l->ops->request_fd)
		(void)lease_watch_request(l); /* hot-unplug: hotplug.c */
	r = acquire_irq(&a, l, g);
	if (r < 0) {
		lease_end(l, "its interrupt could not be set up");
		return sd_bus_error_setf(error, UDRV_ERROR_FAILED,
					 "could not set up interrupts for %s: %s", a.slot,
					 strerror(-r));
	}
	r = lease_start(l);
	if (r < 0) {
		lease_end(l, "its ctl thread could not be started");
		return sd_bus_error_setf(error, UDRV_ERROR_FAILED, "could not serve %s's lease: %s",
					 a.slot, strerror(-r));
	}
	FAULT_POINT(ACQUIRE_BEFORE_REPLY);
	r = reply_fds(msg, l, a.ctl[1], a.fds, a.names, a.n, policy_file_get_name(a.decision.file));
	if (r < 0) {
		lease_end(l, "the reply could not be sent");
		return r;
	}
	FAULT_POINT(ACQUIRE_REPLIED);
	audit_event("granted", a.slot, c->uid, c->pid, policy_file_get_name(a.decision.file), "%s",
		    a.decision.reason);
	if (l->ops->summary(l->be, &summary) < 0)
		summary = NULL;
	log_info("Granted %s to uid %u (pid %d, %s) by %s: %s; backend %s (%s), %s.", a.slot,
		 (unsigned)c->uid, (int)c->pid, l->comm, policy_file_get_name(a.decision.file),
		 a.decision.reason, l->ops->name, chosen, summary ?: "?");
	return 1;
}

static int method_acquire(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	return do_acquire(msg, userdata, false, error);
}

static int method_acquire_node(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	return do_acquire(msg, userdata, true, error);
}

/* What an Acquire would do, without doing it: udrvctl grant --dry-run. The plan is for node
 * mode, as `udrvctl grant` asks for it. */
static int method_check(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	struct connection *c = userdata;
	_cleanup_(acquire_done) struct acquire a = {.ctl = {-1, -1}};
	_cleanup_(backend_holder_done) struct backend_holder h = {
		.uid = c->uid, .pid = c->pid, .node = true, .pidfd = -1};
	_cleanup_free_ char *why = NULL, *plan = NULL, *text = NULL;
	const struct policy_grant *g;
	const char *arg, *chosen;
	int r;

	r = sd_bus_message_read(msg, "s", &arg);
	if (r < 0)
		return r;
	r = acquire_check(c, arg, &a, error);
	if (r <= 0)
		return r;
	g = policy_file_get_grant(a.decision.file);
	if (backend_select(c->manager->root, a.dev, g, &a.ops, &chosen) < 0)
		return sd_bus_error_setf(error, UDRV_ERROR_FAILED, "%s (%s): %s", a.slot,
					 policy_file_get_name(a.decision.file), chosen);
	if (a.ops->check) {
		r = a.ops->check(c->manager->root, a.dev, g, &h, &why);
		if (r < 0)
			return r;
		if (r == 0)
			return sd_bus_error_setf(error, UDRV_ERROR_IN_USE, "%s", why);
	}
	r = a.ops->plan(c->manager->root, a.dev, g, &h, &plan);
	if (r < 0)
		return r;
	if (asprintf(&text, "%s\nbackend %s: %s\n%s", a.decision.reason, a.ops->name, chosen,
		     plan) < 0)
		return -ENOMEM;
	return reply_plan(msg, text);
}

static int read_slot_dry(sd_bus_message *msg, char slot[PCI_SLOT_LEN], int *dry,
			 sd_bus_error *error)
{
	const char *arg;
	int r = sd_bus_message_read(msg, "sb", &arg, dry);

	if (r < 0)
		return r;
	return parse_slot(arg, slot, false, error);
}

static int method_release(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	struct connection *c = userdata;
	_cleanup_free_ char *plan = NULL;
	char slot[PCI_SLOT_LEN];
	struct lease *l;
	int dry, r;

	r = read_slot_dry(msg, slot, &dry, error);
	if (r <= 0)
		return r;
	l = manager_find_lease(c->manager, slot);
	if (!l)
		return sd_bus_error_setf(error, UDRV_ERROR_NO_DEVICE, "%s is not leased", slot);
	if (l->uid != c->uid && !connection_is_admin(c))
		return sd_bus_error_setf(error, UDRV_ERROR_DENIED,
					 "%s is held by uid %u; only its holder or an admin may "
					 "release it",
					 slot, (unsigned)l->uid);
	if (asprintf(&plan, "%s %s's lease (uid %u, pid %d, %s): reset it and give it back",
		     dry ? "would end" : "ended", slot, (unsigned)l->uid, (int)l->pid, l->comm) < 0)
		return -ENOMEM;
	if (!dry) {
		audit_event("released", slot, c->uid, c->pid, policy_file_get_name(l->policy),
			    "%s released by uid %u", slot, (unsigned)c->uid);
		lease_end(l, c->uid == l->uid ? "released by its holder" : "released by an admin");
	}
	return reply_plan(msg, plan);
}

static int method_revoke(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	struct connection *c = userdata;
	struct manager *m = c->manager;
	_cleanup_free_ char *plan = NULL, *lease = NULL;
	char slot[PCI_SLOT_LEN];
	struct lease *l;
	size_t grants = 0;
	int dry, r;

	r = read_slot_dry(msg, slot, &dry, error);
	if (r <= 0 || (r = require_admin(c, "revoke", error)) <= 0)
		return r;
	l = manager_find_lease(m, slot);
	grant_table_expire(&m->grants, now_usec(CLOCK_REALTIME));
	for (size_t i = 0; i < m->grants.n; i++)
		grants += streq(m->grants.g[i].slot, slot);
	if (!l && grants == 0)
		return sd_bus_error_setf(error, UDRV_ERROR_NO_DEVICE,
					 "%s has neither a lease nor a standing grant", slot);
	if (l && l->ops->cuts_off && l->ops->cuts_off(l->be)) {
		if (asprintf(&lease,
			     "%s the lease on %s held by uid %u (pid %d, %s): tell it, close its "
			     "ctl, revoke its mappings through %s (it faults from then on), reset "
			     "and give it back now; %.1f s later, %s whoever still holds its sysfs "
			     "files (StrayHolders=, %s)\n",
			     dry ? "would revoke" : "revoked", slot, (unsigned)l->uid, (int)l->pid,
			     l->comm, l->ops->driver,
			     MAX(policy_file_get_grant(l->policy)->revoke_grace_usec,
				 (uint64_t)100000) /
				     1e6,
			     policy_file_get_grant(l->policy)->stray_holders == POLICY_STRAY_KILL
				     ? "kill"
				     : "log",
			     policy_file_get_name(l->policy)) < 0)
			return -ENOMEM;
	} else if (l) {
		const struct policy_grant *g = policy_file_get_grant(l->policy);

		if (asprintf(&lease,
			     "%s the lease on %s held by uid %u (pid %d, %s): tell it, close its "
			     "ctl, wait up to %.1f s for its processes to let go, then %s the rest "
			     "(StrayHolders=, %s); reset and give it back\n",
			     dry ? "would revoke" : "revoked", slot, (unsigned)l->uid, (int)l->pid,
			     l->comm, g->revoke_grace_usec / 1e6,
			     g->stray_holders == POLICY_STRAY_KILL ? "kill" : "log",
			     policy_file_get_name(l->policy)) < 0)
			return -ENOMEM;
	}
	if (asprintf(&plan, "%s%s %zu standing grant(s) on %s\n", lease ?: "",
		     dry ? "would remove" : "removed", grants, slot) < 0)
		return -ENOMEM;
	if (!dry) {
		if (grant_table_remove_slot(&m->grants, slot))
			(void)manager_save_grants(m);
		audit_event("revoke", slot, c->uid, c->pid, NULL, "uid %u revoked %s",
			    (unsigned)c->uid, slot);
		if (l)
			lease_revoke(l, "revoked by an admin");
	}
	return reply_plan(msg, plan);
}

static int method_grant_user(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	struct connection *c = userdata;
	struct manager *m = c->manager;
	_cleanup_(pci_device_freep) struct pci_device *dev = NULL;
	_cleanup_free_ char *plan = NULL;
	struct policy_file *match = NULL;
	struct grant g = {};
	const char *arg;
	uint32_t uid;
	uint64_t duration;
	int dry, r;

	r = sd_bus_message_read(msg, "ustb", &uid, &arg, &duration, &dry);
	if (r < 0 || (r = require_admin(c, "grant --user", error)) <= 0)
		return r;
	if ((r = parse_slot(arg, g.slot, false, error)) <= 0 ||
	    (r = read_device(m, g.slot, &dev, error)) <= 0)
		return r;
	match = m->policy ? policy_set_match(m->policy, dev) : NULL;
	if (!match)
		return sd_bus_error_setf(error, UDRV_ERROR_DENIED,
					 "no policy matches %s: a standing grant needs a policy "
					 "whose [Match] does (its Backend=, DMA=, BARs= apply)",
					 g.slot);
	if (uid == (uint32_t)-1)
		return sd_bus_error_setf(error, UDRV_ERROR_FAILED,
					 "uid 4294967295 is not a user (it means \"no uid\")");
	if (duration > GRANT_MAX_DURATION_USEC)
		return sd_bus_error_setf(
			error, UDRV_ERROR_FAILED,
			"a standing grant may last at most %u days; omit the "
			"duration for one that lasts until revoked",
			(unsigned)(GRANT_MAX_DURATION_USEC / (86400 * 1000000ULL)));
	g.uid = uid;
	g.by = c->uid;
	g.until_usec = duration ? now_usec(CLOCK_REALTIME) + duration : 0;
	if (asprintf(&plan, "%s uid %u to open %s %s; %s's other rules apply\n",
		     dry ? "would allow" : "allowed", (unsigned)uid, g.slot,
		     duration ? "for the given time" : "until revoked",
		     policy_file_get_name(match)) < 0)
		return -ENOMEM;
	if (!dry) {
		r = grant_table_put(&m->grants, &g);
		if (r < 0)
			return r;
		FAULT_POINT(GRANT_IN_MEMORY);
		(void)manager_save_grants(m);
		FAULT_POINT(GRANT_SAVED);
		audit_event("standing-grant", g.slot, uid, c->pid, policy_file_get_name(match),
			    "uid %u granted %s to uid %u %s%" PRIu64 "%s", (unsigned)c->uid, g.slot,
			    (unsigned)uid, g.until_usec ? "until realtime " : "", g.until_usec,
			    g.until_usec ? " us" : " (0: until revoked)");
	}
	return reply_plan(msg, plan);
}

/* A driver name as the kernel has them: a module name's characters and length. */
static bool driver_name_valid(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n <= DRIVER_NAME_MAX &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") ==
		       n;
}

/* modprobe -n: would the module load? Only on the real root. */
static bool driver_loadable(const char *name)
{
	char *argv[] = {(char *)"modprobe", (char *)"-n", (char *)"-q", (char *)name, NULL};
	int status;
	pid_t pid;

	if (posix_spawnp(&pid, "modprobe", NULL, NULL, argv, environ) != 0)
		return false;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Bind's driver, at the boundary: a valid name (1 or <0). */
static int check_driver_name(const char *driver, sd_bus_error *error)
{
	if (driver_name_valid(driver))
		return 1;
	return sd_bus_error_setf(error, UDRV_ERROR_FAILED,
				 "'%.*s'%s is not a driver name: 1 to %d of A-Z a-z 0-9 _ -",
				 ECHO_MAX, driver, strlen(driver) > ECHO_MAX ? "..." : "",
				 DRIVER_NAME_MAX);
}

/* On the real root, the driver must be loaded or a module modprobe finds (1 or <0). A fixture
 * root has no modules: driver_ensure_loaded() reports a missing driver there. */
static int check_driver_exists(struct manager *m, const char *driver, sd_bus_error *error)
{
	_cleanup_free_ char *dir = NULL;

	if (!streq(m->root, "/"))
		return 1;
	if (asprintf(&dir, "/sys/bus/pci/drivers/%s", driver) < 0)
		return -ENOMEM;
	if (access(dir, F_OK) == 0 || driver_loadable(driver))
		return 1;
	return sd_bus_error_setf(error, UDRV_ERROR_FAILED,
				 "no PCI driver %s: it is neither loaded nor a module modprobe "
				 "finds",
				 driver);
}

static int method_bind(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	struct connection *c = userdata;
	struct manager *m = c->manager;
	_cleanup_(pci_device_freep) struct pci_device *dev = NULL;
	_cleanup_free_ char *plan = NULL;
	const char *arg, *driver;
	char slot[PCI_SLOT_LEN];
	bool unbind = streq(sd_bus_message_get_member(msg), "Unbind");
	int dry, r;

	if (unbind) {
		r = sd_bus_message_read(msg, "sb", &arg, &dry);
		driver = NULL;
	} else
		r = sd_bus_message_read(msg, "ssb", &arg, &driver, &dry);
	if (r < 0 || (r = require_admin(c, unbind ? "unbind" : "bind", error)) <= 0)
		return r;
	if ((r = parse_slot(arg, slot, false, error)) <= 0)
		return r;
	if (driver && (r = check_driver_name(driver, error)) <= 0)
		return r;
	if ((r = read_device(m, slot, &dev, error)) <= 0)
		return r;
	if (manager_find_lease(m, slot))
		return sd_bus_error_setf(error, UDRV_ERROR_BUSY,
					 "%s is leased; revoke the lease first", slot);
	if (driver && (r = check_driver_exists(m, driver, error)) <= 0)
		return r;
	if (asprintf(&plan,
		     unbind ? "%s %s from %s and clear driver_override\n"
			    : "%s %s from %s, set driver_override to %s and probe\n",
		     dry ? "would unbind" : "unbound", slot, dev->driver ?: "no driver",
		     driver) < 0)
		return -ENOMEM;
	if (dry)
		return reply_plan(msg, plan);
	if (driver) {
		r = driver_ensure_loaded(m->root, driver, driver);
		if (r >= 0)
			r = driver_move_to(m->root, slot, driver);
	} else
		r = driver_restore(m->root, slot, NULL, NULL);
	audit_event(unbind ? "unbind" : "bind", slot, c->uid, c->pid, NULL, "uid %u %s %s%s%s",
		    (unsigned)c->uid, unbind ? "unbound" : "bound", slot, driver ? " to " : "",
		    driver ?: "");
	if (r < 0)
		return sd_bus_error_setf(error, UDRV_ERROR_FAILED,
					 "%s %s failed: %s; see udrvd's log",
					 unbind ? "unbinding" : "binding", slot, strerror(-r));
	return reply_plan(msg, plan);
}

/* The leases as a(suuts): slot, uid, pid, since (realtime usec), command. */
static int append_leases(sd_bus_message *reply, struct manager *m)
{
	uint64_t now = now_usec(CLOCK_MONOTONIC);
	int r = sd_bus_message_open_container(reply, 'a', "(suuts)");

	for (struct lease *l = m->leases; r >= 0 && l; l = l->next) {
		lease_refresh_comm(l, now);
		r = sd_bus_message_append(reply, "(suuts)", l->slot, (uint32_t)l->uid,
					  (uint32_t)l->pid, l->since_usec, l->comm);
	}
	return r < 0 ? r : sd_bus_message_close_container(reply);
}

static int method_get_status(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	struct connection *c = userdata;
	struct manager *m = c->manager;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	uint64_t now = 0;
	int r;

	(void)sd_event_now(m->event, CLOCK_MONOTONIC, &now);
	grant_table_expire(&m->grants, now_usec(CLOCK_REALTIME));
	r = sd_bus_message_new_method_return(msg, &reply);
	if (r >= 0)
		r = sd_bus_message_append(reply, "st", PACKAGE_VERSION, now - m->start_usec);
	if (r >= 0)
		r = append_leases(reply, m);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', "(sutu)");
	for (size_t i = 0; r >= 0 && i < m->grants.n; i++)
		r = sd_bus_message_append(reply, "(sutu)", m->grants.g[i].slot,
					  (uint32_t)m->grants.g[i].uid, m->grants.g[i].until_usec,
					  (uint32_t)m->grants.g[i].by);
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', "s");
	for (size_t i = 0; r >= 0 && m->policy && i < policy_set_size(m->policy); i++)
		r = sd_bus_message_append(reply, "s",
					  policy_file_get_path(policy_set_get(m->policy, i)));
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	if (r >= 0)
		r = sd_bus_message_append_strv(reply, m->rejected);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', "(st)");
	for (struct lease *l = m->leases; r >= 0 && l; l = l->next)
		if (lease_irq_storms(l))
			r = sd_bus_message_append(reply, "(st)", l->slot, lease_irq_storms(l));
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}

static int method_subscribe(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	struct connection *c = userdata;
	size_t n = 0;

	for (struct connection *o = c->manager->connections; o; o = o->next)
		n += o->uid == c->uid && o->subscribed && !o->doomed;
	if (!c->subscribed && n >= MANAGER_MAX_SUBSCRIBED_PER_UID)
		return sd_bus_error_setf(
			error, UDRV_ERROR_DENIED,
			"uid %u already has %d monitors open, the most one user may",
			(unsigned)c->uid, MANAGER_MAX_SUBSCRIBED_PER_UID);
	c->subscribed = true;
	return sd_bus_reply_method_return(msg, NULL);
}

static int method_list_leases(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	struct connection *c = userdata;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	int r;

	r = sd_bus_message_new_method_return(msg, &reply);
	if (r >= 0)
		r = append_leases(reply, c->manager);
	return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}

static int method_reload(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	struct connection *c = userdata;
	int r;

	/* sd-bus sees udrvd itself as the peer (bus-input.c): the uid check is ours alone. */
	if (c->uid != 0)
		return sd_bus_error_set(error, UDRV_ERROR_DENIED, "only root may reload policy");
	r = manager_reload(c->manager);
	if (r < 0)
		return sd_bus_error_set_errnof(error, r, "policy reload failed: %m");
	return sd_bus_reply_method_return(msg, NULL);
}

/* Every method is flagged UNPRIVILEGED: sd-bus's own check would see udrvd as the peer (it
 * reads through bus-input.c's gate). Each authorizes from the connection's SO_PEERCRED
 * (connection_is_admin, the lease's uid), never from the message. */
#define U SD_BUS_VTABLE_UNPRIVILEGED
static const sd_bus_vtable manager_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD("Acquire", "s", "ha(sh)a{ss}", method_acquire, U),
	SD_BUS_METHOD("AcquireNode", "s", "ha(sh)a{ss}", method_acquire_node, U),
	SD_BUS_METHOD("Check", "s", "s", method_check, U),
	SD_BUS_METHOD("Release", "sb", "s", method_release, U),
	SD_BUS_METHOD("Revoke", "sb", "s", method_revoke, U),
	SD_BUS_METHOD("GrantUser", "ustb", "s", method_grant_user, U),
	SD_BUS_METHOD("Bind", "ssb", "s", method_bind, U),
	SD_BUS_METHOD("Unbind", "sb", "s", method_bind, U),
	SD_BUS_METHOD("ListLeases", "", "a(suuts)", method_list_leases, U),
	SD_BUS_METHOD("GetStatus", "", "sta(suuts)a(sutu)asasa(st)", method_get_status, U),
	SD_BUS_METHOD("Subscribe", "", "", method_subscribe, U),
	SD_BUS_METHOD("Reload", "", "", method_reload, U),
	SD_BUS_SIGNAL("Event", "ssuus", 0),
	SD_BUS_VTABLE_END,
};
#undef U

/* The Manager1 object on one connection's bus: the handlers get C as their userdata. */
int manager_bus_add_object(sd_bus *bus, struct connection *c)
{
	return sd_bus_add_object_vtable(bus, NULL, UDRV_BUS_PATH, UDRV_BUS_INTERFACE,
					manager_vtable, c);
}
