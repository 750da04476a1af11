/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* udrvd's calls other than Acquire: listing leases and slot-taking admin methods. */
#include <stdarg.h>
#include <stdlib.h>

#include "udrv-internal.h"
#include "udrv-protocol.h"

#define ADMIN_TIMEOUT_USEC (30ULL * 1000 * 1000)

static int call_error(struct udrv_error *error, int r, const sd_bus_error *e, const char *what)
{
	if (sd_bus_error_is_set(e))
		return error_setf(error, bus_error_to_errno(e->name, r), e->name, "%s",
				  e->message ?: e->name);
	return error_setf(error, r, NULL, "%s failed: %m", what);
}

int udrvd_list_leases(const char *socket_path, struct udrvd_lease_info **ret, size_t *ret_n,
		      struct udrv_error *error)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	_cleanup_free_ struct udrvd_lease_info *list = NULL;
	const char *slot, *comm;
	size_t n = 0;
	uint32_t uid, pid;
	uint64_t since;
	int r;

	r = udrvd_bus_open(socket_path, &bus, error);
	if (r < 0)
		return r;
	r = sd_bus_call_method(bus, NULL, UDRV_BUS_PATH, UDRV_BUS_INTERFACE, "ListLeases", &e,
			       &reply, "");
	if (r < 0)
		return call_error(error, r, &e, "ListLeases");
	r = sd_bus_message_enter_container(reply, 'a', "(suuts)");
	while (r >= 0 &&
	       (r = sd_bus_message_read(reply, "(suuts)", &slot, &uid, &pid, &since, &comm)) > 0) {
		struct udrvd_lease_info *nl = realloc(list, (n + 1) * sizeof(*list));

		if (!nl)
			return error_setf(error, -ENOMEM, NULL, "out of memory");
		list = nl;
		list[n] = (struct udrvd_lease_info){.uid = uid, .pid = pid, .since_usec = since};
		snprintf(list[n].slot, sizeof(list[n].slot), "%s", slot);
		snprintf(list[n].comm, sizeof(list[n].comm), "%s", comm);
		n++;
	}
	if (r < 0)
		return error_setf(error, r, NULL, "udrvd sent a malformed lease list: %m");
	*ret = TAKE_PTR(list);
	*ret_n = n;
	return 0;
}

int udrvd_call_plan(const char *socket_path, const char *method, char **ret_plan,
		    struct udrv_error *error, const char *types, ...)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	const char *plan;
	va_list ap;
	int r;

	r = udrvd_bus_open(socket_path, &bus, error);
	if (r < 0)
		return r;
	va_start(ap, types);
	r = sd_bus_call_methodv(bus, NULL, UDRV_BUS_PATH, UDRV_BUS_INTERFACE, method, &e, &reply,
				types, ap);
	va_end(ap);
	if (r < 0)
		return call_error(error, r, &e, method);
	r = sd_bus_message_read(reply, "s", &plan);
	if (r < 0)
		return error_setf(error, r, NULL, "udrvd sent a malformed %s reply: %m", method);
	*ret_plan = strdup(plan);
	return *ret_plan ? 0 : error_setf(error, -ENOMEM, NULL, "out of memory");
}
