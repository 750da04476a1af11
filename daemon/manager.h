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

struct lease;

struct connection {
	struct manager *manager;
	struct connection *next;
	sd_bus *bus;
	uid_t uid; /* from SO_PEERCRED at accept time: every authorization uses these */
	gid_t gid;
	pid_t pid;
	gid_t *groups; /* SO_PEERGROUPS */
	size_t n_groups;
	bool subscribed; /* `udrvctl monitor`: gets Event signals */
};

struct manager {
	sd_event *event;
	char *root;
	char **policy_dirs;
	struct policy_set *policy;
	int listen_fd;
	bool listen_fd_owned; /* false when systemd passed it */
	char *socket_path;    /* set when udrvd created the socket */
	sd_event_source *listen_source;
	struct connection *connections;
	struct lease *leases;
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

/* Bus glue (manager-bus.c): serves one accepted connection. */
int connection_new(struct manager *m, int fd);
void connection_free(struct connection *c);
/* Root, or a member of the admin group. */
bool connection_is_admin(const struct connection *c);
