/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* udrvd's bus glue: one peer-to-peer sd-bus server per accepted connection, the
 * org.udrv.Manager1 vtable, and thin handlers that parse, authorize, call the core, reply. */
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "backend-uio.h"
#include "lease.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "pci-device.h"
#include "udrv-protocol.h"

void connection_free(struct connection *c)
{
	struct manager *m;

	if (!c)
		return;
	m = c->manager;
	for (struct connection **p = &m->connections; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	if (c->bus) {
		(void)sd_bus_detach_event(c->bus);
		sd_bus_flush_close_unref(c->bus);
	}
	free(c->groups);
	free(c);
}

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

static int reply_fds(sd_bus_message *m, const struct uio_dev *u, int ctl, int *fds, char **names,
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
		r = sd_bus_message_append(reply, "a{ss}", 5, "backend", "uio", "irq", "intx", "dma",
					  u->bus_master ? "on" : "off", "reset",
					  u->reset_method ?: "none", "policy", policy);
	return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}

struct acquire {
	char slot[PCI_SLOT_LEN];
	struct pci_device *dev;
	struct policy_decision decision;
	struct policy_cred cred;
	struct uio_dev *uio;
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
	uio_dev_close(a->uio);
}

/* Everything that can refuse a request, in the order a user wants to hear about it. */
static int acquire_check(struct connection *c, const char *arg, struct acquire *a,
			 sd_bus_error *error)
{
	struct manager *m = c->manager;
	struct lease *held;
	int r;

	if (pci_slot_normalize(arg, a->slot) < 0)
		return sd_bus_error_setf(error, UDRV_ERROR_INVALID_SLOT,
					 "'%s' is not a PCI slot: expected DDDD:BB:DD.F, e.g. "
					 "0000:03:00.0",
					 arg);
	r = pci_device_read(m->root, a->slot, &a->dev);
	if (r < 0)
		return sd_bus_error_setf(error, UDRV_ERROR_NO_DEVICE,
					 "no PCI function %s on this machine", a->slot);
	r = connection_cred(c, &a->cred);
	if (r < 0)
		return r;
	r = policy_set_decide(m->policy, a->dev, &a->cred, &a->decision);
	if (r < 0)
		return r;
	if (!a->decision.granted) {
		log_notice("Denied %s to uid %u (pid %d): %s", a->slot, (unsigned)c->uid,
			   (int)c->pid, a->decision.reason);
		return sd_bus_error_setf(error, UDRV_ERROR_DENIED, "%s", a->decision.reason);
	}
	held = manager_find_lease(m, a->slot);
	if (held)
		lease_update_comm(held);
	if (held)
		return sd_bus_error_setf(error, UDRV_ERROR_BUSY,
					 "busy: %s is held by uid %u (pid %d, %s)", a->slot,
					 (unsigned)held->uid, (int)held->pid, held->comm);
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

static int method_acquire(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	struct connection *c = userdata;
	_cleanup_(acquire_done) struct acquire a = {.ctl = {-1, -1}};
	const struct policy_grant *g;
	struct lease *l;
	const char *arg;
	int r;

	r = sd_bus_message_read(msg, "s", &arg);
	if (r < 0)
		return r;
	r = acquire_check(c, arg, &a, error);
	if (r <= 0)
		return r;
	g = policy_file_get_grant(a.decision.file);
	if (g->backend == POLICY_BACKEND_VFIO || g->backend == POLICY_BACKEND_UIO_EXT)
		return sd_bus_error_setf(error, UDRV_ERROR_FAILED,
					 "%s: Backend=%s is not available in this udrvd (%s); "
					 "use Backend=uio or auto",
					 a.slot, policy_backend_to_string(g->backend),
					 policy_file_get_name(a.decision.file));
	r = uio_dev_open(c->manager->root, a.dev, g, c->uid, c->pid, &a.uio);
	if (r < 0)
		return sd_bus_error_setf(
			error, UDRV_ERROR_FAILED,
			"could not prepare %s for uio_pci_generic: %s; see udrvd's "
			"log",
			a.slot, strerror(-r));
	r = uio_dev_client_fds(a.uio, a.dev, g, &a.fds, &a.names, &a.n);
	if (r < 0)
		return sd_bus_error_setf(error, UDRV_ERROR_FAILED, "could not open %s: %s", a.slot,
					 strerror(-r));
	/* Only udrvd's end is non-blocking: O_NONBLOCK would travel with the client's fd. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, a.ctl) < 0 ||
	    fcntl(a.ctl[0], F_SETFL, O_NONBLOCK) < 0)
		return negative_errno();
	r = lease_new(c->manager, a.slot, c->uid, c->pid, a.decision.file, a.uio, a.ctl[0], &l);
	if (r < 0)
		return r;
	a.uio = NULL;
	a.ctl[0] = -1;
	r = reply_fds(msg, l->uio, a.ctl[1], a.fds, a.names, a.n,
		      policy_file_get_name(a.decision.file));
	if (r < 0) {
		lease_end(l, "the reply could not be sent");
		return r;
	}
	log_info("Granted %s to uid %u (pid %d, %s) by %s: %s; backend uio, reset %s, bus "
		 "mastering %s.",
		 a.slot, (unsigned)c->uid, (int)c->pid, l->comm,
		 policy_file_get_name(a.decision.file), a.decision.reason, l->uio->reset_method,
		 l->uio->bus_master ? "on (DMA=unsafe)" : "off");
	return 1;
}

static int method_release(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	struct connection *c = userdata;
	char slot[PCI_SLOT_LEN];
	const char *arg;
	struct lease *l;
	int r;

	r = sd_bus_message_read(msg, "s", &arg);
	if (r < 0)
		return r;
	if (pci_slot_normalize(arg, slot) < 0)
		return sd_bus_error_setf(error, UDRV_ERROR_INVALID_SLOT, "'%s' is not a PCI slot",
					 arg);
	l = manager_find_lease(c->manager, slot);
	if (!l)
		return sd_bus_error_setf(error, UDRV_ERROR_NO_DEVICE, "%s is not leased", slot);
	if (l->uid != c->uid && c->uid != 0)
		return sd_bus_error_setf(error, UDRV_ERROR_DENIED,
					 "%s is held by uid %u; only its holder or root may "
					 "release it",
					 slot, (unsigned)l->uid);
	lease_end(l, c->uid == l->uid ? "released by its holder" : "released by root");
	return sd_bus_reply_method_return(msg, NULL);
}

static int method_list_leases(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	struct connection *c = userdata;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	int r;

	r = sd_bus_message_new_method_return(msg, &reply);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', "(suuts)");
	for (struct lease *l = c->manager->leases; r >= 0 && l; l = l->next) {
		lease_update_comm(l);
		r = sd_bus_message_append(reply, "(suuts)", l->slot, (uint32_t)l->uid,
					  (uint32_t)l->pid, l->since_usec, l->comm);
	}
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}

static int method_reload(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	struct connection *c = userdata;
	int r;

	/* sd-bus already refuses other uids (no UNPRIVILEGED flag); checked again here. */
	if (c->uid != 0)
		return sd_bus_error_set(error, UDRV_ERROR_DENIED, "only root may reload policy");
	r = manager_reload(c->manager);
	if (r < 0)
		return sd_bus_error_set_errnof(error, r, "policy reload failed: %m");
	return sd_bus_reply_method_return(msg, NULL);
}

static const sd_bus_vtable manager_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD("Acquire", "s", "ha(sh)a{ss}", method_acquire, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD("Release", "s", "", method_release, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD("ListLeases", "", "a(suuts)", method_list_leases, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD("Reload", "", "", method_reload, 0),
	SD_BUS_VTABLE_END,
};

static int on_disconnected(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	connection_free(userdata);
	return 0;
}

static int peer_creds(int fd, struct connection *c)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);
	gid_t groups[256];

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0)
		return negative_errno();
	c->uid = uc.uid;
	c->gid = uc.gid;
	c->pid = uc.pid;
	len = sizeof(groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
		return negative_errno();
	c->n_groups = len / sizeof(gid_t);
	c->groups = calloc(c->n_groups + 1, sizeof(gid_t));
	if (!c->groups)
		return -ENOMEM;
	memcpy(c->groups, groups, c->n_groups * sizeof(gid_t));
	return 0;
}

static size_t count_connections(struct manager *m, uid_t uid)
{
	size_t n = 0;

	for (struct connection *c = m->connections; c; c = c->next)
		n += c->uid == uid;
	return n;
}

static int connection_setup(struct connection *c, int fd)
{
	sd_id128_t id;
	int r;

	if ((r = sd_bus_new(&c->bus)) < 0 || (r = sd_bus_set_fd(c->bus, fd, fd)) < 0)
		return r;
	if ((r = sd_id128_randomize(&id)) < 0 || (r = sd_bus_set_server(c->bus, 1, id)) < 0 ||
	    (r = sd_bus_negotiate_fds(c->bus, 1)) < 0 ||
	    (r = sd_bus_negotiate_creds(c->bus, 1,
					SD_BUS_CREDS_PID | SD_BUS_CREDS_UID | SD_BUS_CREDS_EUID |
						SD_BUS_CREDS_GID)) < 0)
		return r;
	r = sd_bus_add_object_vtable(c->bus, NULL, UDRV_BUS_PATH, UDRV_BUS_INTERFACE,
				     manager_vtable, c);
	if (r < 0)
		return r;
	r = sd_bus_match_signal(c->bus, NULL, "org.freedesktop.DBus.Local",
				"/org/freedesktop/DBus/Local", "org.freedesktop.DBus.Local",
				"Disconnected", on_disconnected, c);
	if (r < 0)
		return r;
	if ((r = sd_bus_start(c->bus)) < 0)
		return r;
	return sd_bus_attach_event(c->bus, c->manager->event, SD_EVENT_PRIORITY_NORMAL);
}

int connection_new(struct manager *m, int fd)
{
	struct connection *c = calloc(1, sizeof(*c));
	int r;

	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	c->manager = m;
	r = peer_creds(fd, c);
	if (r < 0) {
		log_warning_errno(r, "Failed to read peer credentials: %m");
		close(fd);
		free(c->groups);
		free(c);
		return r;
	}
	if (count_connections(m, c->uid) >= MANAGER_MAX_CONNECTIONS_PER_UID) {
		log_warning("uid %u has %d connections open: refusing another.", (unsigned)c->uid,
			    MANAGER_MAX_CONNECTIONS_PER_UID);
		close(fd);
		free(c->groups);
		free(c);
		return -EUSERS;
	}
	c->next = m->connections;
	m->connections = c;
	r = connection_setup(c, fd);
	if (r < 0) {
		log_warning_errno(r, "Failed to set up a connection from pid %d: %m", (int)c->pid);
		if (!c->bus)
			close(fd);
		connection_free(c);
	}
	return r;
}
