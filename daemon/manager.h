/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Manager owns udrvd's event loop, listening socket, client connections, policy and
 * leases. */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include <sys/types.h>

#include "grants.h"
#include "policy.h"

/* Caps on what one uid may hold at once. */
#define MANAGER_MAX_CONNECTIONS_PER_UID 64
#define MANAGER_MAX_LEASES_PER_UID 16
#define MANAGER_MAX_SUBSCRIBED_PER_UID 8
/* All connections together; lowered at start if RLIMIT_NOFILE cannot hold them (each costs
 * at most four fds: the client's socket, and while it has a server the pair to sd-bus and the
 * server's dup of the socket; between requests one). */
#define MANAGER_MAX_CONNECTIONS 4096
#define CONNECTION_FDS 4
/* Connections between requests keep their sd-bus server while at most this many servers
 * exist: a client's next call then costs no new server (~150 us), and the servers of many
 * connections at once are bounded (~6.5 KiB and three fds each). */
#define MANAGER_SERVERS_KEPT 32
/* fds kept out of that count: leases, their files, sysfs, the journal. */
#define MANAGER_RESERVED_FDS 512
/* A connection that completed no request for this long is closed, unless it is a monitor
 * (Subscribe): leases live on their ctl sockets, not on the bus connection. */
#define CONNECTION_IDLE_USEC (30 * 1000 * 1000ULL)
/* At its uid's cap, a new connection replaces the uid's longest-idle one if that one has been
 * idle at least this long: no process can lock its own uid out by hoarding connections. */
#define CONNECTION_EVICT_IDLE_USEC (1000 * 1000ULL)
/* Replies (and Event signals) a client may leave unread: at PAUSE udrvd stops reading its
 * requests; past MAX (a monitor that never reads) the connection is closed. */
/* New connections per uid: a burst, then a steady rate (udrvctl in a loop does ~200/s).
 * Past it a connection is closed right after accept, before it costs anything: a connect
 * flood cannot fill the backlog that root's connection waits in. */
#define CONNECTION_RATE_BURST 32
#define CONNECTION_RATE_PER_SEC 500
#define MANAGER_RATE_SLOTS 64
/* listen()'s backlog when udrvd makes its own socket (udrvd.socket sets Backlog= otherwise). */
#define MANAGER_BACKLOG 256
#define CONNECTION_QUEUE_PAUSE 16
#define CONNECTION_QUEUE_MAX 256
/* The kernel's send buffer toward a client (it doubles it): GetStatus with 256 leases fits. */
#define CONNECTION_SNDBUF (128 * 1024)

struct lease;
struct bus_input;

struct connection {
	struct manager *manager;
	struct connection *next;
	int fd;	     /* the client's socket */
	sd_bus *bus; /* while a request is under way (and for a monitor): connection_attach() */
	int bus_fd, out_fd;	 /* the server's: it reads the gate's socket, writes a dup of fd */
	bool unix_fds;		 /* the client negotiated fd passing (told to each new server) */
	struct bus_input *input; /* the gate every byte from the client passes */
	sd_event_source *resume; /* while paused: looks again whether the client read */
	/* sd-bus is driven by these two, not sd_bus_attach_event(): that adds a prepare callback
	 * per connection which sd-event runs on every loop iteration, so each iteration cost
	 * O(connections) and 1000 busy connections made udrvd's loop quadratic. bus_in: the gate
	 * fed sd-bus's socket; bus_out: sd-bus has output queued and the client's socket has room
	 * (enabled only then). */
	sd_event_source *bus_in, *bus_out;
	bool doomed; /* to be closed by the manager's reaper */
	uid_t uid;   /* from SO_PEERCRED at accept time: every authorization uses these */
	gid_t gid;
	pid_t pid;
	gid_t *groups; /* SO_PEERGROUPS */
	size_t n_groups;
	bool subscribed; /* `udrvctl monitor`: gets Event signals */
};

struct uid_rate {
	uid_t uid;
	bool used;
	uint64_t last_usec; /* CLOCK_MONOTONIC of the last refill */
	uint64_t tokens;    /* in millionths of a connection */
};

struct manager {
	sd_event *event;
	sd_id128_t bus_id; /* the server GUID every connection's sd-bus server gives */
	char *root;
	char **policy_dirs;
	struct policy_set *policy;
	int listen_fd;
	bool listen_fd_owned; /* false when systemd passed it */
	char *socket_path;    /* set when udrvd created the socket */
	sd_event_source *listen_source;
	sd_event_source *accept_retry; /* accept() ran out of fds: listening resumes later */
	sd_event_source *reaper;       /* closes doomed connections outside their callbacks */
	sd_event_source *idle_timer;   /* closes idle connections */
	struct connection *connections;
	size_t n_connections, max_connections;
	size_t n_servers;    /* connections with an sd-bus server attached */
	size_t servers_kept; /* MANAGER_SERVERS_KEPT (the RPC fuzzer also tries 0) */
	bool trim_pending;   /* a connection closed since the last malloc_trim() */
	struct uid_rate rates[MANAGER_RATE_SLOTS]; /* connection rate per uid, the least recent
						      slot reused */
	struct lease *leases;
	struct holder_sweep *sweeps; /* cut-off leases' late stray-holder scans (lease.c) */
	struct grant_table grants;
	char **rejected;     /* policy files the last load rejected outright */
	gid_t admin_gid;     /* members may use the admin verbs; (gid_t)-1: root only */
	uint64_t start_usec; /* CLOCK_MONOTONIC */
	struct udev *udev;
	struct udev_monitor *monitor;
	sd_event_source *monitor_source;
	bool exiting;
};

struct udev;
struct udev_monitor;

int manager_new(const char *root, char **policy_dirs, struct manager **ret);
/* Members of GROUP may use the admin verbs (grant --user, revoke, bind, unbind). */
int manager_set_admin_group(struct manager *m, const char *group);
struct manager *manager_free(struct manager *m);
void manager_freep(struct manager **m);
/* Loads policy, gives back devices a previous udrvd left prepared, starts listening. */
int manager_start(struct manager *m);
int manager_reload(struct manager *m);
/* Ends every lease (on SIGTERM) and asks the loop to exit. */
void manager_shutdown(struct manager *m);

void manager_add_lease(struct manager *m, struct lease *l);
void manager_remove_lease(struct manager *m, struct lease *l);
struct lease *manager_find_lease(struct manager *m, const char *slot);
size_t manager_count_leases(struct manager *m, uid_t uid);
/* Sends Event(type, slot, uid, pid, text) to every subscribed connection. */
void manager_emit(struct manager *m, const char *type, const char *slot, uid_t uid, pid_t pid,
		  const char *text);
/* Standing grants: kept in the table and in ROOT/run/udrvd/grants. */
int manager_save_grants(struct manager *m);
/* Kills (or names) processes that hold SLOT's files although no lease does: after a restart. */
void manager_clear_holders(struct manager *m, const char *slot);

/* hotplug.c: a libudev monitor for PCI functions coming and going (real root only). */
int hotplug_start(struct manager *m);
void hotplug_stop(struct manager *m);
struct lease;
struct holder_sweep;
/* Cancels the pending late holder scans (udrvd exits). */
void holder_sweeps_free(struct manager *m);
/* Watches the backend's device request eventfd (VFIO fd mode: vfio-pci's), which the kernel
 * signals when the function is being removed (or unbound) and blocks until every device fd is
 * closed. The lease is then revoked: the holder is told, and it, udrvd and StrayHolders= let go
 * of the device. -EOPNOTSUPP when the backend has none (VFIO node mode: udrvd has no device
 * fd), nothing watched. */
int lease_watch_request(struct lease *l);

/* connection.c: serves one accepted connection. */
int connection_new(struct manager *m, int fd);
void connection_free(struct connection *c);
/* Closes C soon (not from inside its own callbacks); WHY goes to the log, rate-limited. */
void connection_drop(struct connection *c, const char *why);
/* After udrvd queued output on C's bus outside a request (an Event signal): sd-bus gets to
 * write the rest when the client's socket has room, or the connection goes if it is closing. */
void connection_output_queued(struct connection *c);
/* Closes doomed connections, and those idle past CONNECTION_IDLE_USEC. */
void manager_reap_connections(struct manager *m, bool idle);
/* A connection went away: listening resumes if it had stopped for want of fds. */
void manager_connection_gone(struct manager *m);
/* Bus glue (manager-bus.c). Root, or a member of the admin group. */
bool connection_is_admin(const struct connection *c);
/* Registers org.udrv.Manager1 on a connection's BUS, its methods served for C. */
int manager_bus_add_object(sd_bus *bus, struct connection *c);
