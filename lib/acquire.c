/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Obtaining a lease from udrvd: sd-bus peer-to-peer over its Unix socket, Acquire, the reply. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-bus.h>

#include "sysfs.h"
#include "udrv-internal.h"
#include "udrv-protocol.h"

/* A reset can take a while (a bus reset waits for the link); udrvd answers within this. */
#define ACQUIRE_TIMEOUT_USEC (60ULL * 1000 * 1000)

int udrvd_socket_path(const char *root, const char *override, char **ret)
{
	char *p;

	if (override && *override) {
		p = strdup(override);
		if (!p)
			return -ENOMEM;
		*ret = p;
		return 0;
	}
	return root_join(root, UDRV_SOCKET_PATH, ret);
}

static int udrvd_connect(const char *path, int *ret_fd, struct udrv_error *error)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = -1;
	int r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return error_setf(error, -ENAMETOOLONG, NULL, "udrvd's socket path is too long: %s",
				  path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return error_setf(error, negative_errno(), NULL, "cannot create a socket: %m");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = negative_errno();
		return error_setf(error, r, NULL, "cannot connect to udrvd at %s: %m%s", path,
				  r == -ENOENT || r == -ECONNREFUSED ? " (is udrvd running?)" : "");
	}
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int udrvd_bus_open(const char *path, sd_bus **ret, struct udrv_error *error)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_close_ int fd = -1;
	int r;

	r = udrvd_connect(path, &fd, error);
	if (r < 0)
		return r;
	r = sd_bus_new(&bus);
	if (r < 0)
		return error_setf(error, r, NULL, "cannot allocate a bus: %m");
	(void)sd_bus_set_description(bus, "udrvd");
	r = sd_bus_set_fd(bus, fd, fd);
	if (r < 0)
		return error_setf(error, r, NULL, "cannot use the udrvd connection: %m");
	TAKE_FD(fd); /* the bus owns it now */
	r = sd_bus_negotiate_fds(bus, 1);
	if (r >= 0)
		r = sd_bus_start(bus);
	if (r < 0)
		return error_setf(error, r, NULL, "cannot talk to udrvd at %s: %m", path);
	/* Waits for authentication; a lease is nothing but fds. */
	r = sd_bus_can_send(bus, SD_BUS_TYPE_UNIX_FD);
	if (r <= 0)
		return error_setf(error, r < 0 ? r : -EPROTO, NULL,
				  r < 0 ? "cannot authenticate to udrvd at %s: %m"
					: "udrvd at %s does not pass fds",
				  path);
	*ret = TAKE_PTR(bus);
	return 0;
}

/* Keeps a copy of FD (sd-bus owns the message's) under NAME, refusing names out of order. */
static int lease_add_dup(struct lease *l, const char *name, int fd, struct udrv_error *error)
{
	int copy, r;

	if (lease_check_next(l, name) < 0)
		return error_setf(error, -EPROTO, NULL, "udrvd sent an unexpected fd '%s'", name);
	copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (copy < 0)
		return error_setf(error, negative_errno(), NULL, "cannot keep the %s fd: %m", name);
	r = lease_add_fd(l, name, copy);
	if (r < 0)
		close(copy);
	return r;
}

static int read_fds(sd_bus_message *reply, struct lease *l, struct udrv_error *error)
{
	const char *name;
	int fd, r;

	r = sd_bus_message_read(reply, "h", &fd);
	if (r < 0)
		return r;
	r = lease_add_dup(l, "ctl", fd, error);
	if (r < 0)
		return r;
	r = sd_bus_message_enter_container(reply, 'a', "(sh)");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_read(reply, "(sh)", &name, &fd)) > 0) {
		r = lease_add_dup(l, name, fd, error);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(reply);
}

static int read_info(sd_bus_message *reply, struct lease *l)
{
	const char *key, *value;
	int r;

	r = sd_bus_message_enter_container(reply, 'a', "{ss}");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_read(reply, "{ss}", &key, &value)) > 0) {
		r = lease_add_info(l, key, value);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(reply);
}

static int lease_from_reply(sd_bus_message *reply, const char *slot, struct lease **ret,
			    struct udrv_error *error)
{
	_cleanup_lease_ struct lease *l = NULL;
	int r;

	r = lease_new(slot, &l);
	if (r < 0)
		return error_setf(error, r, NULL, "cannot allocate a lease: %m");
	r = read_fds(reply, l, error);
	if (r >= 0)
		r = read_info(reply, l);
	if (r >= 0)
		r = lease_check_complete(l);
	if (r < 0) {
		/* read_fds may have said why already. */
		if (error && !error->message[0])
			error_setf(error, r, NULL, "udrvd's answer to Acquire(%s) is malformed: %m",
				   slot);
		return r == -ENOMEM ? r : -EPROTO;
	}
	*ret = TAKE_PTR(l);
	return 0;
}

int lease_acquire(const char *socket_path, const char *slot, struct lease **ret,
		  struct udrv_error *error)
{
	return lease_acquire_method(socket_path, "Acquire", slot, ret, error);
}

int lease_acquire_method(const char *socket_path, const char *method, const char *slot,
			 struct lease **ret, struct udrv_error *error)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	int r;

	r = udrvd_bus_open(socket_path, &bus, error);
	if (r < 0)
		return r;
	r = sd_bus_message_new_method_call(bus, &m, NULL, UDRV_BUS_PATH, UDRV_BUS_INTERFACE,
					   method);
	if (r >= 0)
		r = sd_bus_message_append(m, "s", slot);
	if (r < 0)
		return error_setf(error, r, NULL, "cannot build the Acquire call: %m");
	r = sd_bus_call(bus, m, ACQUIRE_TIMEOUT_USEC, &e, &reply);
	if (r < 0 && sd_bus_error_is_set(&e))
		return error_setf(error, bus_error_to_errno(e.name, r), e.name, "%s",
				  e.message ?: e.name);
	if (r < 0)
		return error_setf(error, r, NULL, "Acquire(%s) failed: %m", slot);
	return lease_from_reply(reply, slot, ret, error);
}
