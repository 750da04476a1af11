/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Rate-limited log lines for what a peer can trigger at will: each call site may log a few
 * lines a second, then one line says how many it suppressed. Never for audit records. */
#pragma once

#include <pthread.h>
#include <stdint.h>

#include "log.h"

/* Lines one call site may write per window, and the window. */
#define LOG_RATELIMIT_BURST 3
#define LOG_RATELIMIT_INTERVAL_USEC (1000 * 1000ULL)

struct log_ratelimit {
	pthread_mutex_t lock;
	uint64_t begin_usec; /* CLOCK_MONOTONIC start of the current window */
	unsigned n;	     /* lines written in it */
	unsigned suppressed; /* lines dropped since the last one written */
};

#define LOG_RATELIMIT_INIT                                                                         \
	{                                                                                          \
		.lock = PTHREAD_MUTEX_INITIALIZER                                                  \
	}

/* Like log_internal, but through RL: returns -abs(error) whether or not it wrote. */
int log_ratelimit_internal(struct log_ratelimit *rl, int level, int error, const char *file,
			   int line, const char *func, const char *format, ...) _printf_(7, 8);

/* One limiter per call site. */
#define log_ratelimit_full_errno(level, error, ...)                                                \
	({                                                                                         \
		static struct log_ratelimit _rl = LOG_RATELIMIT_INIT;                              \
		log_ratelimit_internal(&_rl, level, error, __FILE__, __LINE__, __func__,           \
				       __VA_ARGS__);                                               \
	})
#define log_ratelimit_notice(...) (void)log_ratelimit_full_errno(LOG_NOTICE, 0, __VA_ARGS__)
#define log_ratelimit_warning(...) (void)log_ratelimit_full_errno(LOG_WARNING, 0, __VA_ARGS__)
#define log_ratelimit_warning_errno(e, ...) log_ratelimit_full_errno(LOG_WARNING, e, __VA_ARGS__)
