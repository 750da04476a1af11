/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fault points for test builds: the table's names, arming from the environment, dying there. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fault.h"
#include "macro.h"

#if ENABLE_FAULT_POINTS
static const struct {
	const char *name, *how, *what;
} table[] = {
#define FAULT_POINT_ROW(id, n, h, w) [FAULT_##id] = {n, h, w},
	FAULT_POINTS(FAULT_POINT_ROW)
#undef FAULT_POINT_ROW
};

static int armed = -1; /* set before any thread starts, read-only after */

void fault_points_setup(int argc, char **argv)
{
	const char *want = getenv("UDRVD_FAULT_POINT");

	if (argc == 2 && streq(argv[1], "--list-fault-points")) {
		for (size_t i = 0; i < ELEMENTSOF(table); i++)
			printf("%s\t%s\t%s\n", table[i].name, table[i].how, table[i].what);
		exit(EXIT_SUCCESS);
	}
	if (!want || !*want)
		return;
	for (size_t i = 0; i < ELEMENTSOF(table); i++)
		if (streq(table[i].name, want))
			armed = (int)i;
	if (armed < 0) {
		fprintf(stderr,
			"udrvd: UDRVD_FAULT_POINT=%s names no fault point; see udrvd "
			"--list-fault-points.\n",
			want);
		exit(EXIT_FAILURE);
	}
	fprintf(stderr, "udrvd: fault point %s armed: udrvd dies there.\n", want);
	(void)unsetenv("UDRVD_FAULT_POINT"); /* not for modprobe or anything udrvd runs */
}

void fault_point(enum fault_point p)
{
	if ((int)p != armed)
		return;
	/* No stdio, no cleanup: the process stops here as a SIGKILL would stop it. */
	dprintf(STDERR_FILENO, "udrvd: fault point %s reached: dying (SIGKILL).\n", table[p].name);
	raise(SIGKILL);
	_exit(137);
}
#endif
