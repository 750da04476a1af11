/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* udrvd's D-Bus error names as errnos, and struct udrv_error filling. */
#include <stdarg.h>
#include <stdio.h>

#include "udrv-internal.h"
#include "udrv-protocol.h"

static const struct {
	const char *name;
	int error;
} error_map[] = {
	{UDRV_ERROR_DENIED, EACCES},
	{UDRV_ERROR_BUSY, EBUSY},
	{UDRV_ERROR_IN_USE, EBUSY},
	{UDRV_ERROR_NO_DEVICE, ENODEV},
	{UDRV_ERROR_INVALID_SLOT, EINVAL},
	{UDRV_ERROR_FAILED, EIO},
	/* What sd-bus itself answers for a method udrvd does not have or does not allow. */
	{"org.freedesktop.DBus.Error.AccessDenied", EACCES},
	{"org.freedesktop.DBus.Error.UnknownMethod", EOPNOTSUPP},
	{"org.freedesktop.DBus.Error.UnknownObject", EOPNOTSUPP},
	{"org.freedesktop.DBus.Error.UnknownInterface", EOPNOTSUPP},
	{"org.freedesktop.DBus.Error.InvalidArgs", EINVAL},
	{"org.freedesktop.DBus.Error.NoMemory", ENOMEM},
	{"org.freedesktop.DBus.Error.Timeout", ETIMEDOUT},
	{"org.freedesktop.DBus.Error.NoReply", ETIMEDOUT},
};

int bus_error_to_errno(const char *name, int fallback)
{
	if (!name)
		return fallback;
	for (size_t i = 0; i < ELEMENTSOF(error_map); i++)
		if (streq(name, error_map[i].name))
			return -error_map[i].error;
	return fallback;
}

void error_clear(struct udrv_error *e)
{
	if (e) {
		e->name[0] = 0;
		e->message[0] = 0;
	}
}

int error_setf(struct udrv_error *e, int r, const char *name, const char *format, ...)
{
	int saved = errno;
	va_list ap;

	if (!e)
		return r;
	snprintf(e->name, sizeof(e->name), "%s", name ?: "");
	errno = r < 0 ? -r : r; /* for %m */
	va_start(ap, format);
	vsnprintf(e->message, sizeof(e->message), format, ap);
	va_end(ap);
	/* One printable line, whatever udrvd sent. */
	for (char *p = e->message; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = ' ';
	errno = saved;
	return r;
}
