/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The library's only way to say something: the caller's log function, if it set one. */
#include <stdarg.h>
#include <stdio.h>

#include "udrv-internal.h"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static udrv_log_func_t log_func;
static void *log_userdata;

void udrv_set_log_func(udrv_log_func_t func, void *userdata)
{
	pthread_mutex_lock(&log_lock);
	log_func = func;
	log_userdata = userdata;
	pthread_mutex_unlock(&log_lock);
}

void ulog(int priority, const char *format, ...)
{
	int saved = errno;
	udrv_log_func_t func;
	void *userdata;
	char buf[512];
	va_list ap;

	pthread_mutex_lock(&log_lock);
	func = log_func;
	userdata = log_userdata;
	pthread_mutex_unlock(&log_lock);
	if (!func)
		return;
	va_start(ap, format);
	vsnprintf(buf, sizeof(buf), format, ap);
	va_end(ap);
	func(priority, buf, userdata);
	errno = saved;
}
