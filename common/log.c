/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Writes log lines to stderr with the program's name, or with a syslog priority prefix when stderr
 * is the journal; %m follows the error passed in. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

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

int log_stderr_is_journal(void)
{
	static int cached = -1;
	int c = __atomic_load_n(&cached, __ATOMIC_RELAXED); /* udrvd's lease threads log too */
	unsigned long long dev, ino;
	struct stat st;
	const char *e;

	if (c >= 0)
		return c;
	e = getenv("JOURNAL_STREAM");
	c = e && sscanf(e, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) == 0 &&
	    st.st_dev == dev && st.st_ino == ino;
	__atomic_store_n(&cached, c, __ATOMIC_RELAXED);
	return c;
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
		/* journald reads "<N>" at the start of a stream line as its priority (and
		 * names the program itself); a plain stream gets the program's name. */
		if (log_stderr_is_journal())
			fprintf(stderr, "<%d>", LOG_PRI(level));
		else if (program)
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
