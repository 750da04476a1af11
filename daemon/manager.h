/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Manager owns udrvd's event loop, listening socket, client connections, policy and
 * leases. */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include <sys/types.h>

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
	bool exiting;
};

int manager_new(const char *root, char **policy_dirs, struct manager **ret);
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

/* Bus glue (manager-bus.c): serves one accepted connection. */
int connection_new(struct manager *m, int fd);
void connection_free(struct connection *c);
