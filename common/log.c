/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Writes log lines to stderr with the program's name; %m follows the error passed in. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

static int max_level = LOG_INFO;
static const char *program;

void log_set_max_level(int level)
{
	max_level = level;
}

int log_get_max_level(void)
{
	return max_level;
}

void log_set_program(const char *name)
{
	program = name;
}

int log_internal(int level, int error, const char *file, int line, const char *func,
		 const char *format, ...)
{
	int saved = errno;
	int e = error < 0 ? -error : error;

	if (level <= max_level) {
		va_list ap;

		errno = e;
		flockfile(stderr); /* one line at a time from udrvd's threads */
		if (program)
			fprintf(stderr, "%s: ", program);
		if (max_level >= LOG_DEBUG)
			fprintf(stderr, "(%s:%d %s) ", file, line, func);
		va_start(ap, format);
		vfprintf(stderr, format, ap);
		va_end(ap);
		fputc('\n', stderr);
		funlockfile(stderr);
	}
	errno = saved;
	return -e;
}
