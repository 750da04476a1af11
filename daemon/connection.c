/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One client connection: accepted, admitted (per-uid caps and rate), read through the gate
 * (bus-input.c), served by a peer-to-peer sd-bus server of its own while a request is under way,
 * swept when idle. */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bus-input.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "ratelimit.h"
#include "udrv-protocol.h"

/* The sd-bus server goes, with its sockets and memory: the client is between requests, or the
 * connection is closing. */
static void connection_detach(struct connection *c)
{
	/* Before sd-bus closes the fds they watch. */
	c->bus_in = sd_event_source_disable_unref(c->bus_in);
	c->bus_out = sd_event_source_disable_unref(c->bus_out);
	/* No flush: a client that does not read must not block. This closes bus_fd and out_fd. */
	if (c->bus)
		c->manager->n_servers--;
	c->bus = sd_bus_close_unref(c->bus);
	c->bus_fd = c->out_fd = -1;
	if (c->input)
		bus_input_detach(c->input);
}

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
	m->n_connections--;
	connection_detach(c);
	c->resume = sd_event_source_disable_unref(c->resume);
	c->input = bus_input_free(c->input);
	closep(&c->fd);
	free(c->groups);
	free(c);
	manager_connection_gone(m);
}

/* SO_PEERGROUPS: the kernel says how big a buffer it needs (ERANGE); up to NGROUPS_MAX. */
static int peer_groups(int fd, gid_t **ret, size_t *ret_n)
{
	socklen_t len = 64 * sizeof(gid_t);

	for (;;) {
		_cleanup_free_ gid_t *groups = calloc(1, len + sizeof(gid_t));
		socklen_t got = len;

		if (!groups)
			return -ENOMEM;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &got) == 0) {
			/* Kept for the connection's life: no room past the groups it has. */
			gid_t *fit = realloc(groups, got ? got : 1);

			if (fit)
				groups = fit;
			*ret_n = got / sizeof(gid_t);
			*ret = TAKE_PTR(groups);
			return 0;
		}
		if (errno != ERANGE || got <= len || got > NGROUPS_MAX * sizeof(gid_t))
			return negative_errno();
		len = got;
	}
}

static int peer_creds(int fd, struct connection *c)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0)
		return negative_errno();
	c->uid = uc.uid;
	c->gid = uc.gid;
	c->pid = uc.pid;
	return peer_groups(fd, &c->groups, &c->n_groups);
}

static void on_refuse(void *userdata, const char *why)
{
	connection_drop(userdata, why);
}

static bool on_ready(void *userdata)
{
	struct connection *c = userdata;

	return c->bus && sd_bus_is_ready(c->bus) > 0;
}

/* Replies pile up unread: stop reading the client's requests until it catches up. */
static int on_resume(sd_event_source *s, uint64_t usec, void *userdata);

static void connection_check_queue(struct connection *c)
{
	uint64_t queued = 0;

	(void)sd_bus_get_n_queued_write(c->bus, &queued);
	if (queued > CONNECTION_QUEUE_MAX) {
		connection_drop(c, "left too many replies or events unread");
		return;
	}
	if (queued < CONNECTION_QUEUE_PAUSE || c->resume)
		return;
	bus_input_pause(c->input, true);
	if (sd_event_add_time_relative(c->manager->event, &c->resume, CLOCK_MONOTONIC, 20 * 1000,
				       10 * 1000, on_resume, c) < 0) {
		c->resume = NULL;
		connection_drop(c, "left its replies unread");
	}
}

static int on_resume(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct connection *c = userdata;
	uint64_t queued = 0;

	(void)sd_bus_get_n_queued_write(c->bus, &queued);
	if (queued >= CONNECTION_QUEUE_PAUSE / 2) {
		if (sd_event_source_set_time_relative(s, 20 * 1000) < 0 ||
		    sd_event_source_set_enabled(s, SD_EVENT_ONESHOT) < 0)
			connection_drop(c, "left its replies unread");
		return 0;
	}
	c->resume = sd_event_source_disable_unref(c->resume);
	bus_input_pause(c->input, false);
	return 0;
}

/* Every request passes here before its handler: the unread-reply bound. */
static int on_message(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	connection_check_queue(userdata);
	return 0;
}

static int on_bus_io(sd_event_source *s, int fd, uint32_t revents, void *userdata);
static void connection_process(struct connection *c);

/* Output waits in sd-bus's queue: watch for room in the client's socket only then (a source
 * made the first time). */
static void connection_update_output(struct connection *c)
{
	int events = sd_bus_get_events(c->bus);
	bool want = events > 0 && (events & POLLOUT);

	if (want && !c->bus_out) {
		if (sd_event_add_io(c->manager->event, &c->bus_out, c->out_fd, EPOLLOUT, on_bus_io,
				    c) < 0) {
			c->bus_out = NULL;
			connection_drop(c, "could not be served: udrvd is out of memory");
			return;
		}
		(void)sd_event_source_set_description(c->bus_out, "bus-out");
	}
	if (c->bus_out)
		(void)sd_event_source_set_enabled(c->bus_out, want ? SD_EVENT_ON : SD_EVENT_OFF);
}

/* Between requests: every byte the client sent was a whole message that sd-bus has read and
 * answered, and the answers are written. A monitor keeps its server for the Event signals. */
static bool connection_idle(struct connection *c)
{
	uint64_t queued = 1;
	int unread = 1;

	if (c->subscribed || c->resume || !bus_input_idle(c->input) || sd_bus_is_ready(c->bus) <= 0)
		return false;
	if (sd_bus_get_n_queued_write(c->bus, &queued) < 0 || queued > 0 ||
	    sd_bus_get_n_queued_read(c->bus, &queued) < 0 || queued > 0)
		return false;
	return ioctl(c->bus_fd, FIONREAD, &unread) == 0 && unread == 0;
}

/* Messages handled per wake-up: more wait in the socket, whose readiness brings udrvd back
 * after the other sources had their turn. */
#define PROCESS_BATCH 16

/* sd-bus's input socket has bytes from the gate, or the client's has room for queued output. */
static int on_bus_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	connection_process(userdata);
	return 0;
}

/* The gate fed the server: it processes them in the same turn. */
static void on_fed(void *userdata)
{
	connection_process(userdata);
}

static void connection_process(struct connection *c)
{
	int r = 0;

	for (int i = 0; i < PROCESS_BATCH && !c->doomed; i++) {
		r = sd_bus_process(c->bus, NULL);
		if (r <= 0)
			break;
	}
	/* A client that went away: sd-bus is closing (no Disconnected match: 1.3 KiB a
	 * connection). */
	if (!c->doomed && (r < 0 || sd_bus_is_open(c->bus) <= 0))
		connection_drop(c, NULL);
	if (!c->doomed)
		bus_input_kick(c->input);
	if (c->doomed)
		return;
	if (r == 0 && c->manager->n_servers > c->manager->servers_kept && connection_idle(c)) {
		/* The server costs ~6.5 KiB and three fds; a thousand connections waiting between
		 * calls need none. The next request brings a new one (connection_attach). */
		c->unix_fds = sd_bus_can_send(c->bus, SD_BUS_TYPE_UNIX_FD) > 0;
		connection_detach(c);
		return;
	}
	connection_update_output(c);
}

void connection_output_queued(struct connection *c)
{
	if (c->doomed || !c->bus)
		return;
	if (sd_bus_is_open(c->bus) <= 0) { /* a write failed: the client is gone */
		connection_drop(c, NULL);
		return;
	}
	connection_update_output(c);
}

/* A server for C: reads BUS_FD (the gate's socket), writes OUT_FD; takes both. */
static int connection_bus_new(struct connection *c, int bus_fd, int out_fd)
{
	struct manager *m = c->manager;
	int r;

	if ((r = sd_bus_new(&c->bus)) < 0 || (r = sd_bus_set_fd(c->bus, bus_fd, out_fd)) < 0) {
		c->bus = sd_bus_unref(c->bus);
		close(bus_fd);
		close(out_fd);
		return r;
	}
	m->n_servers++;
	c->bus_fd = bus_fd;
	c->out_fd = out_fd;
	/* sd-bus reads the gate's socket, whose peer is udrvd itself: the caller's identity is
	 * SO_PEERCRED of the client's socket, taken at accept; sd-bus's own check of the claimed
	 * uid is moot. */
	if ((r = sd_bus_set_server(c->bus, 1, m->bus_id)) < 0 ||
	    (r = sd_bus_set_anonymous(c->bus, 1)) < 0 ||
	    (r = sd_bus_negotiate_fds(c->bus, 1)) < 0 ||
	    (r = manager_bus_add_object(c->bus, c)) < 0 ||
	    (r = sd_bus_add_filter(c->bus, NULL, on_message, c)) < 0 ||
	    (r = sd_bus_start(c->bus)) < 0)
		return r;
	r = sd_event_add_io(m->event, &c->bus_in, bus_fd, EPOLLIN, on_bus_io, c);
	if (r < 0)
		return r;
	(void)sd_event_source_set_description(c->bus_in, "bus-in");
	return 0;
}

/* The new server through udrvd's replayed SASL exchange (bus_input_attach), its answers going
 * to a socket of ours; then the client's socket takes that socket's fd number, so the server's
 * replies go to the client as from the first server. */
static int connection_replay(struct connection *c)
{
	int r;

	for (int i = 0; i < 8 && sd_bus_is_ready(c->bus) <= 0; i++) {
		r = sd_bus_process(c->bus, NULL);
		if (r < 0)
			return r;
	}
	if (sd_bus_is_ready(c->bus) <= 0)
		return -EPROTO;
	if (dup3(c->fd, c->out_fd, O_CLOEXEC) < 0)
		return negative_errno();
	return 0;
}

/* The client sent bytes and has no server (the gate's wake): a new one. */
static int connection_attach(struct connection *c)
{
	int discard[2] = {-1, -1}, bus_fd, out_fd, replay, r;

	replay = bus_input_attach(c->input, c->unix_fds, &bus_fd);
	if (replay < 0)
		return replay;
	if (replay)
		r = socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, discard);
	else
		r = discard[0] = fcntl(c->fd, F_DUPFD_CLOEXEC, 3);
	if (r < 0) {
		r = negative_errno();
		close(bus_fd);
		bus_input_detach(c->input);
		return r;
	}
	out_fd = discard[0];
	r = connection_bus_new(c, bus_fd, out_fd);
	if (r >= 0 && replay)
		r = connection_replay(c);
	else if (r >= 0) {
		int size = CONNECTION_SNDBUF;

		/* sd-bus just asked for 8 MiB of send buffer on the client's socket (a replayed
		 * server asks it of the discarded one): an unread client would pin that in the
		 * kernel. */
		(void)setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	}
	closep(&discard[1]);
	if (r < 0)
		connection_detach(c);
	return r;
}

static int on_wake(void *userdata)
{
	int r = connection_attach(userdata);

	if (r < 0)
		log_ratelimit_warning_errno(r, "Failed to serve a request: %m");
	return r;
}

/* The uid's non-monitor connection that has gone longest without a request. */
static struct connection *longest_idle(struct manager *m, uid_t uid, size_t *ret_n)
{
	struct connection *best = NULL;
	size_t n = 0;

	for (struct connection *c = m->connections; c; c = c->next) {
		if (c->uid != uid || c->doomed)
			continue;
		n++;
		if (!c->subscribed && (!best || bus_input_last_request(c->input) <
							bus_input_last_request(best->input)))
			best = c;
	}
	*ret_n = n;
	return best;
}

/* Room for one more connection of C's uid: at the cap, its longest-idle one makes way. */
static int connection_admit(struct connection *c)
{
	struct manager *m = c->manager;
	struct connection *idle;
	uint64_t now = 0;
	size_t n;

	if (m->n_connections >= m->max_connections) {
		log_ratelimit_warning(
			"%zu connections open, the most udrvd serves: refusing pid %d "
			"(uid %u).",
			m->n_connections, (int)c->pid, (unsigned)c->uid);
		return -EUSERS;
	}
	idle = longest_idle(m, c->uid, &n);
	if (n < MANAGER_MAX_CONNECTIONS_PER_UID)
		return 0;
	(void)sd_event_now(m->event, CLOCK_MONOTONIC, &now);
	if (idle && now - bus_input_last_request(idle->input) >= CONNECTION_EVICT_IDLE_USEC) {
		/* Closed now, not by the reaper: its fds are free before the new one takes any
		 * (this runs in the listening socket's callback, never in one of IDLE's). */
		log_ratelimit_notice(
			"Closing the idle connection of pid %d (uid %u): a new "
			"connection of its uid takes its place (the uid is at its cap).",
			(int)idle->pid, (unsigned)idle->uid);
		connection_free(idle);
		return 0;
	}
	log_ratelimit_warning("uid %u has %d connections open, all busy: refusing another.",
			      (unsigned)c->uid, MANAGER_MAX_CONNECTIONS_PER_UID);
	return -EUSERS;
}

/* A token bucket per uid: false when UID opens connections faster than it may. */
static bool connection_rate_ok(struct manager *m, uid_t uid)
{
	const uint64_t full = CONNECTION_RATE_BURST * 1000000ULL;
	struct uid_rate *slot = NULL, *oldest = &m->rates[0];
	uint64_t now = 0;

	(void)sd_event_now(m->event, CLOCK_MONOTONIC, &now);
	for (size_t i = 0; i < MANAGER_RATE_SLOTS && !slot; i++) {
		struct uid_rate *r = &m->rates[i];

		if (r->used && r->uid == uid)
			slot = r;
		else if (!r->used || (oldest->used && r->last_usec < oldest->last_usec))
			oldest = r;
	}
	if (!slot) {
		slot = oldest;
		*slot = (struct uid_rate){
			.uid = uid, .used = true, .last_usec = now, .tokens = full};
	}
	slot->tokens = MIN(full, slot->tokens + (now - slot->last_usec) * CONNECTION_RATE_PER_SEC);
	slot->last_usec = now;
	if (slot->tokens < 1000000)
		return false;
	slot->tokens -= 1000000;
	return true;
}

int connection_new(struct manager *m, int fd)
{
	struct connection *c;
	struct ucred uc;
	socklen_t len = sizeof(uc);
	int r;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == 0 &&
	    !connection_rate_ok(m, uc.uid)) {
		log_ratelimit_warning("uid %u opens connections faster than %d a second: refusing "
				      "one.",
				      (unsigned)uc.uid, CONNECTION_RATE_PER_SEC);
		close(fd);
		return -EUSERS;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	c->manager = m;
	c->fd = fd;
	c->bus_fd = c->out_fd = -1;
	r = peer_creds(fd, c);
	if (r < 0)
		log_ratelimit_warning_errno(r, "Failed to read peer credentials: %m");
	else
		r = connection_admit(c);
	if (r < 0) {
		close(fd);
		free(c->groups);
		free(c);
		return r;
	}
	c->next = m->connections;
	m->connections = c;
	m->n_connections++;
	/* No server yet: it comes with the client's first bytes (on_wake). */
	r = bus_input_new(m->event, fd, on_refuse, on_wake, on_ready, on_fed, c, &c->input);
	if (r < 0) {
		log_ratelimit_warning_errno(r, "Failed to set up a connection from pid %d: %m",
					    (int)c->pid);
		connection_free(c);
	}
	return r;
}

void connection_drop(struct connection *c, const char *why)
{
	struct manager *m = c->manager;

	if (c->doomed)
		return;
	c->doomed = true;
	if (why)
		log_ratelimit_notice("Closing the connection of pid %d (uid %u): it %s.",
				     (int)c->pid, (unsigned)c->uid, why);
	if (c->input)
		bus_input_pause(c->input, true);
	if (c->bus_in)
		(void)sd_event_source_set_enabled(c->bus_in, SD_EVENT_OFF);
	if (c->bus_out)
		(void)sd_event_source_set_enabled(c->bus_out, SD_EVENT_OFF);
	if (m->reaper)
		(void)sd_event_source_set_enabled(m->reaper, SD_EVENT_ONESHOT);
}

void manager_reap_connections(struct manager *m, bool idle)
{
	uint64_t now = 0;

	(void)sd_event_now(m->event, CLOCK_MONOTONIC, &now);
	for (struct connection *c = m->connections, *next; c; c = next) {
		next = c->next;
		if (idle && !c->doomed && !c->subscribed && c->input &&
		    now - bus_input_last_request(c->input) >= CONNECTION_IDLE_USEC &&
		    !bus_input_unread(c->input))
			connection_drop(c, "sent no request for 30 s");
		if (c->doomed)
			connection_free(c);
	}
}
