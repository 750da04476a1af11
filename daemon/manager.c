/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Manager: socket setup (own or socket-activated), policy loading, signals, recovery. */
#include <fcntl.h>
#include <grp.h>
#include <malloc.h>
#include <signal.h>
#include <time.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>

#include "audit.h"
#include "backend.h"
#include "fault.h"
#include "holders.h"
#include "lease.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "ratelimit.h"
#include "state.h"
#include "strv.h"
#include "sysfs.h"
#include "udrv-protocol.h"

int manager_new(const char *root, char **policy_dirs, struct manager **ret)
{
	_cleanup_(manager_freep) struct manager *m = calloc(1, sizeof(*m));
	int r;

	if (!m)
		return -ENOMEM;
	m->listen_fd = -1;
	m->root = strdup(root);
	if (!m->root)
		return -ENOMEM;
	if (policy_dirs) {
		for (char **d = policy_dirs; *d; d++)
			if (strv_push(&m->policy_dirs, *d) < 0)
				return -ENOMEM;
	} else {
		r = policy_search_path(root, &m->policy_dirs);
		if (r < 0)
			return r;
	}
	r = sd_event_default(&m->event);
	if (r < 0)
		return r;
	r = sd_id128_randomize(&m->bus_id);
	if (r < 0)
		return r;
	m->admin_gid = (gid_t)-1;
	m->servers_kept = MANAGER_SERVERS_KEPT;
	(void)sd_event_now(m->event, CLOCK_MONOTONIC, &m->start_usec);
	*ret = TAKE_PTR(m);
	return 0;
}

struct manager *manager_free(struct manager *m)
{
	if (!m)
		return NULL;
	while (m->leases)
		lease_end(m->leases, "udrvd is exiting");
	holder_sweeps_free(m);
	while (m->connections)
		connection_free(m->connections);
	hotplug_stop(m);
	grant_table_done(&m->grants);
	strv_free(m->rejected);
	sd_event_source_disable_unref(m->listen_source);
	sd_event_source_disable_unref(m->accept_retry);
	sd_event_source_disable_unref(m->reaper);
	sd_event_source_disable_unref(m->idle_timer);
	if (m->listen_fd_owned)
		closep(&m->listen_fd);
	if (m->socket_path)
		(void)unlink(m->socket_path);
	free(m->socket_path);
	policy_set_free(m->policy);
	strv_free(m->policy_dirs);
	sd_event_unref(m->event);
	free(m->root);
	free(m);
	return NULL;
}

void manager_freep(struct manager **m)
{
	manager_free(*m);
}

static void log_report(const struct policy_report *rep)
{
	for (size_t i = 0; i < rep->n_errors; i++) {
		_cleanup_free_ char *line = NULL;

		if (policy_error_format(&rep->errors[i], &line) >= 0)
			log_error("%s", line);
	}
	for (char **k = rep->kept; k && *k; k++)
		log_warning("%s has errors: keeping its last good version.", *k);
	for (char **k = rep->rejected; k && *k; k++)
		log_warning("%s has errors: rejected (no device is granted through it).", *k);
}

int manager_reload(struct manager *m)
{
	struct policy_report rep = {};
	int r;

	if (!m->policy)
		r = policy_set_load(m->policy_dirs, &m->policy, &rep);
	else
		r = policy_set_reload(m->policy, &rep);
	log_report(&rep);
	strv_free(m->rejected);
	m->rejected = TAKE_PTR(rep.rejected);
	policy_report_done(&rep);
	if (r < 0)
		return log_error_errno(r, "Failed to load policy: %m");
	log_info("Policy loaded: %zu file(s) in force.", policy_set_size(m->policy));
	(void)sd_notifyf(false, "STATUS=%zu policy file(s), serving.", policy_set_size(m->policy));
	return 0;
}

/* Out of fds (or kernel memory): accept() would fail again at once, and the pending
 * connection keeps the socket readable. Listening pauses until a connection goes away or
 * ACCEPT_RETRY_USEC passes; the clients wait in the backlog meanwhile. */
#define ACCEPT_RETRY_USEC (100 * 1000)

static int on_accept_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct manager *m = userdata;

	(void)sd_event_source_set_enabled(m->listen_source, SD_EVENT_ON);
	return 0;
}

static void accept_pause(struct manager *m, int error)
{
	log_ratelimit_warning_errno(error,
				    "Failed to accept a connection: %m; pausing for %d ms or until "
				    "a connection closes.",
				    ACCEPT_RETRY_USEC / 1000);
	(void)sd_event_source_set_enabled(m->listen_source, SD_EVENT_OFF);
	if (!m->accept_retry &&
	    sd_event_add_time_relative(m->event, &m->accept_retry, CLOCK_MONOTONIC,
				       ACCEPT_RETRY_USEC, 10 * 1000, on_accept_retry, m) < 0) {
		m->accept_retry = NULL;
		(void)sd_event_source_set_enabled(m->listen_source, SD_EVENT_ON);
		return;
	}
	(void)sd_event_source_set_description(m->accept_retry, "accept-retry");
	(void)sd_event_source_set_time_relative(m->accept_retry, ACCEPT_RETRY_USEC);
	(void)sd_event_source_set_enabled(m->accept_retry, SD_EVENT_ONESHOT);
}

void manager_connection_gone(struct manager *m)
{
	m->trim_pending = true;
	if (m->accept_retry && m->listen_source &&
	    sd_event_source_get_enabled(m->listen_source, NULL) == 0)
		(void)sd_event_source_set_enabled(m->listen_source, SD_EVENT_ON);
}

/* Connections taken per wake-up: the backlog drains fast, the loop still turns. */
#define ACCEPT_BATCH 64

static int on_accept(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct manager *m = userdata;

	for (int i = 0; i < ACCEPT_BATCH; i++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (cfd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM)
				accept_pause(m, errno);
			else if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_ratelimit_warning_errno(errno,
							    "Failed to accept a connection: %m");
			return 0;
		}
		(void)connection_new(m, cfd);
	}
	return 0;
}

static int on_reap(sd_event_source *s, void *userdata)
{
	manager_reap_connections(userdata, false);
	return 0;
}

#define IDLE_SWEEP_USEC (5 * 1000 * 1000ULL)

static int on_idle_sweep(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct manager *m = userdata;

	manager_reap_connections(m, true);
	/* Closed connections leave their buffers (up to 64 KiB each) in the heap: give them
	 * back to the system, at most once a sweep. */
	if (m->trim_pending) {
		m->trim_pending = false;
		(void)malloc_trim(0);
	}
	(void)sd_event_source_set_time_relative(s, IDLE_SWEEP_USEC);
	return sd_event_source_set_enabled(s, SD_EVENT_ON);
}

/* fds: the soft RLIMIT_NOFILE up to the hard one (systemd gives services 1024 soft), and no
 * more connections than the fds can hold with room left for leases. */
static void manager_size_connections(struct manager *m)
{
	struct rlimit rl;
	rlim_t usable;

	m->max_connections = MANAGER_MAX_CONNECTIONS;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		struct rlimit raised = {.rlim_cur = rl.rlim_max, .rlim_max = rl.rlim_max};

		if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
			rl = raised;
	}
	usable = rl.rlim_cur > MANAGER_RESERVED_FDS ? rl.rlim_cur - MANAGER_RESERVED_FDS : 64;
	if (usable / CONNECTION_FDS < m->max_connections)
		m->max_connections = usable / CONNECTION_FDS;
	if (m->max_connections < MANAGER_MAX_CONNECTIONS)
		log_notice("RLIMIT_NOFILE is %llu: at most %zu connections at once.",
			   (unsigned long long)rl.rlim_cur, m->max_connections);
}

static int manager_add_connection_timers(struct manager *m)
{
	int r = sd_event_add_defer(m->event, &m->reaper, on_reap, m);

	if (r < 0)
		return r;
	(void)sd_event_source_set_enabled(m->reaper, SD_EVENT_OFF);
	(void)sd_event_source_set_description(m->reaper, "connection-reaper");
	r = sd_event_add_time_relative(m->event, &m->idle_timer, CLOCK_MONOTONIC, IDLE_SWEEP_USEC,
				       1000 * 1000, on_idle_sweep, m);
	if (r < 0)
		return r;
	(void)sd_event_source_set_description(m->idle_timer, "connection-idle");
	return 0;
}

static int listen_socket(struct manager *m)
{
	_cleanup_free_ char *dir = NULL, *path = NULL;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int n = sd_listen_fds(true);

	if (n > 1)
		return log_error_errno(EINVAL, "Expected one socket from systemd, got %d.", n);
	if (n == 1) {
		int flags;

		if (sd_is_socket_unix(SD_LISTEN_FDS_START, SOCK_STREAM, 1, NULL, 0) <= 0)
			return log_error_errno(EINVAL,
					       "The socket systemd passed is not a listening "
					       "AF_UNIX stream socket: check udrvd.socket.");
		m->listen_fd = SD_LISTEN_FDS_START;
		/* systemd passes it blocking: on_accept() takes connections until EAGAIN, and a
		 * blocking accept4() there would stop the whole loop once the backlog is empty. */
		flags = fcntl(m->listen_fd, F_GETFL);
		if (flags < 0 || fcntl(m->listen_fd, F_SETFL, flags | O_NONBLOCK) < 0)
			return log_error_errno(errno,
					       "Failed to make systemd's socket non-blocking: %m");
		return 0;
	}
	if (root_join(m->root, "run/udrvd", &dir) < 0 ||
	    root_join(m->root, UDRV_SOCKET_PATH, &path) < 0)
		return -ENOMEM;
	if (strlen(path) >= sizeof(sa.sun_path))
		return log_error_errno(ENAMETOOLONG, "Socket path %s is too long.", path);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return log_error_errno(errno, "Failed to create %s: %m", dir);
	strcpy(sa.sun_path, path);
	m->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (m->listen_fd < 0)
		return negative_errno();
	m->listen_fd_owned = true;
	(void)unlink(path);
	if (bind(m->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return log_error_errno(errno, "Failed to bind %s: %m", path);
	/* Everyone may connect; each call is authorized from the peer's credentials. */
	if (chmod(path, 0666) < 0 || listen(m->listen_fd, MANAGER_BACKLOG) < 0)
		return log_error_errno(errno, "Failed to listen on %s: %m", path);
	m->socket_path = TAKE_PTR(path);
	return 0;
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	(void)sd_notify(false, "RELOADING=1");
	(void)manager_reload(userdata);
	(void)sd_notify(false, "READY=1");
	return 0;
}

static int on_sigterm(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	manager_shutdown(userdata);
	return 0;
}

int manager_set_admin_group(struct manager *m, const char *group)
{
	struct group *gr = getgrnam(group);
	char *end;
	unsigned long gid;

	if (gr) {
		m->admin_gid = gr->gr_gid;
		return 0;
	}
	gid = strtoul(group, &end, 10);
	if (!*group || *end || gid >= UINT32_MAX)
		return log_error_errno(ESRCH, "Admin group '%s' does not exist.", group);
	m->admin_gid = (gid_t)gid;
	return 0;
}

int manager_save_grants(struct manager *m)
{
	int r = grant_table_save(m->root, &m->grants);

	if (r < 0)
		log_error_errno(r, "Failed to save standing grants: %m");
	return r;
}

void manager_clear_holders(struct manager *m, const char *slot)
{
	_cleanup_strv_free_ char **paths = NULL;

	if (holders_paths(m->root, slot, NULL, &paths) < 0)
		return;
	holders_deal(m->root, paths, slot, true, 0, NULL, "with no lease after a restart");
}

void manager_emit(struct manager *m, const char *type, const char *slot, uid_t uid, pid_t pid,
		  const char *text)
{
	for (struct connection *c = m->connections; c; c = c->next) {
		uint64_t queued = 0;

		if (!c->subscribed || c->doomed || !c->bus)
			continue;
		(void)sd_bus_emit_signal(c->bus, UDRV_BUS_PATH, UDRV_BUS_INTERFACE, "Event",
					 "ssuus", type, slot, (uint32_t)uid, (uint32_t)pid,
					 text ?: "");
		connection_output_queued(c);
		if (sd_bus_get_n_queued_write(c->bus, &queued) >= 0 &&
		    queued > CONNECTION_QUEUE_MAX)
			connection_drop(c, "left too many events unread");
	}
}

static void recover_devices(struct manager *m)
{
	_cleanup_strv_free_ char **slots = NULL;
	int r = state_list(m->root, &slots);

	if (r < 0) {
		log_warning_errno(r, "Failed to read udrvd's device records: %m");
		return;
	}
	FAULT_POINT(RECOVER_LISTED);
	for (char **s = slots; s && *s; s++) {
		struct device_record rec = {};
		const struct backend_ops *ops = NULL;

		if (state_load(m->root, *s, &rec) >= 0)
			ops = backend_from_record(rec.backend);
		device_record_done(&rec);
		/* A holder from before the restart may still map it: it must go first. */
		manager_clear_holders(m, *s);
		FAULT_POINT(RECOVER_HOLDERS);
		/* Each backend its own way (vfio-pci must not be unbound while someone holds the
		 * group); a record with no backend named is uio's, the oldest. */
		(void)(ops ?: &backend_uio_ops)->recover(m->root, *s);
	}
}

static void load_grants(struct manager *m)
{
	int r = grant_table_load(m->root, &m->grants);

	if (r < 0) {
		log_warning_errno(r, "Failed to read standing grants: %m");
		return;
	}
	if (grant_table_expire(&m->grants, now_usec(CLOCK_REALTIME)))
		(void)manager_save_grants(m);
	if (m->grants.n)
		log_info("%zu standing grant(s) reloaded.", m->grants.n);
}

int manager_start(struct manager *m)
{
	sigset_t mask;
	int r;

	r = manager_reload(m);
	if (r < 0)
		return r;
	recover_devices(m);
	FAULT_POINT(RECOVER_DONE);
	load_grants(m);
	r = hotplug_start(m);
	if (r < 0)
		log_warning_errno(r, "No hotplug monitor (%m): removed devices are noticed late.");
	manager_size_connections(m);
	r = manager_add_connection_timers(m);
	if (r < 0)
		return r;
	r = listen_socket(m);
	if (r < 0)
		return r;
	r = sd_event_add_io(m->event, &m->listen_source, m->listen_fd, EPOLLIN, on_accept, m);
	if (r < 0)
		return r;
	(void)sd_event_source_set_description(m->listen_source, "listen");
	/* sd-event runs one pending source per turn, the highest priority first. The listening
	 * socket has the connections' priority: above them, a connect loop that keeps the
	 * backlog non-empty would win every turn and starve every connected client (root's
	 * GetStatus took 1.5 s under such a loop). Equal, it takes ACCEPT_BATCH connections
	 * per turn in the same rotation as each client's turn. */
	(void)sd_event_source_set_priority(m->listen_source, SD_EVENT_PRIORITY_NORMAL);
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return negative_errno();
	if ((r = sd_event_add_signal(m->event, NULL, SIGHUP, on_sighup, m)) < 0 ||
	    (r = sd_event_add_signal(m->event, NULL, SIGTERM, on_sigterm, m)) < 0 ||
	    (r = sd_event_add_signal(m->event, NULL, SIGINT, on_sigterm, m)) < 0)
		return r;
	return sd_event_set_watchdog(m->event, true);
}

void manager_shutdown(struct manager *m)
{
	m->exiting = true;
	(void)sd_notify(false, "STOPPING=1");
	while (m->leases)
		lease_end(m->leases, "udrvd is stopping");
	(void)sd_event_exit(m->event, 0);
}

void manager_add_lease(struct manager *m, struct lease *l)
{
	l->next = m->leases;
	m->leases = l;
}

void manager_remove_lease(struct manager *m, struct lease *l)
{
	for (struct lease **p = &m->leases; *p; p = &(*p)->next)
		if (*p == l) {
			*p = l->next;
			return;
		}
}

struct lease *manager_find_lease(struct manager *m, const char *slot)
{
	for (struct lease *l = m->leases; l; l = l->next)
		if (streq(l->slot, slot))
			return l;
	return NULL;
}

size_t manager_count_leases(struct manager *m, uid_t uid)
{
	size_t n = 0;

	for (struct lease *l = m->leases; l; l = l->next)
		n += l->uid == uid;
	return n;
}
