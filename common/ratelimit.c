/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Per-call-site log rate limiting on top of log_internal. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ratelimit.h"

static uint64_t monotonic_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

/* Under rl->lock: may this line go out? Sets *ret_suppressed to the count to report first. */
static bool ratelimit_pass(struct log_ratelimit *rl, unsigned *ret_suppressed)
{
	uint64_t now = monotonic_usec();

	*ret_suppressed = 0;
	if (rl->begin_usec == 0 || now - rl->begin_usec >= LOG_RATELIMIT_INTERVAL_USEC) {
		rl->begin_usec = now;
		rl->n = 0;
		*ret_suppressed = rl->suppressed;
		rl->suppressed = 0;
	}
	if (rl->n >= LOG_RATELIMIT_BURST) {
		rl->suppressed++;
		return false;
	}
	rl->n++;
	return true;
}

int log_ratelimit_internal(struct log_ratelimit *rl, int level, int error, const char *file,
			   int line, const char *func, const char *format, ...)
{
	int saved = errno, e = error < 0 ? -error : error;
	char *text = NULL;
	unsigned suppressed;
	va_list ap;
	bool pass;

	if (level > log_get_max_level())
		return -e;
	pthread_mutex_lock(&rl->lock);
	pass = ratelimit_pass(rl, &suppressed);
	pthread_mutex_unlock(&rl->lock);
	if (!pass) {
		errno = saved;
		return -e;
	}
	if (suppressed > 0)
		(void)log_internal(level, 0, file, line, func,
				   "(suppressed %u similar message(s) in the last second)",
				   suppressed);
	errno = e; /* %m names ERROR, as log_internal's does */
	va_start(ap, format);
	if (vasprintf(&text, format, ap) < 0)
		text = NULL;
	va_end(ap);
	(void)log_internal(level, 0, file, line, func, "%s", text ?: format);
	free(text);
	errno = saved;
	return -e;
}
