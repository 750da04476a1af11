/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Test-only lease holder for the VFIO gaps scenario (tests/vm/vfio-lease.scenario), run as an
 * ordinary uid through libudrv (fd mode: udrvd's Acquire; node mode: under `udrvctl grant`).
 *   hold SLOT    holds the lease and pings udrvd every 50 ms; once udrvd says the lease is over
 *                it closes everything and exits 0 (how a libudrv program lets go).
 *   stray SLOT   leaves a child holding only the anonymous vfio-device fd (every other fd of
 *                the lease closed, ctl too) and exits: the lease ends with that child still
 *                holding the function.
 *   deaf SLOT    keeps ctl (sockets) and the anonymous vfio-device fd, closes the rest (config,
 *                container) and sleeps without ever looking at ctl: a holder that does not let
 *                go when told, and that only the device fd names. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "udrv.h"

/* The fd whose /proc/self/fd link reads "anon_inode:[vfio-device]", or -1. */
static int find_device_fd(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int found = -1;

	while (d && (de = readdir(d))) {
		char link[300], target[128];
		ssize_t n;

		snprintf(link, sizeof(link), "/proc/self/fd/%s", de->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = 0;
		if (strcmp(target, "anon_inode:[vfio-device]") == 0)
			found = atoi(de->d_name);
	}
	if (d)
		closedir(d);
	return found;
}

static int hold(struct udrv_device *dev)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0)
		printf("holder: RLIMIT_MEMLOCK %llu\n", (unsigned long long)rl.rlim_cur);
	for (int i = 0; i < 60 * 20; i++) {
		int r = udrv_ping(dev);

		if (r < 0) {
			printf("holder: told the lease ended: %s\n", strerror(-r));
			udrv_close(dev);
			return 0;
		}
		usleep(50000);
	}
	printf("holder: never told\n");
	udrv_close(dev);
	return 1;
}

/* Closes every fd from 3 up but sockets and the anonymous vfio-device fd. */
static void keep_sockets_and_device(void)
{
	for (int fd = 3; fd < 1024; fd++) {
		char link[64], target[128];
		ssize_t n;

		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = 0;
		if (strncmp(target, "socket:", 7) != 0 &&
		    strcmp(target, "anon_inode:[vfio-device]") != 0)
			close(fd);
	}
}

static int deaf(void)
{
	keep_sockets_and_device();
	printf("holder: deaf: keeps ctl and fd %d (anon_inode:[vfio-device]) only\n",
	       find_device_fd());
	sleep(60);
	printf("holder: deaf: still alive after 60 s\n");
	_exit(1); /* libudrv's fds were closed behind its back: no udrv_close() */
}

static int stray(struct udrv_device *dev)
{
	int keep = find_device_fd();
	pid_t pid;

	if (keep < 0) {
		printf("stray: no anon_inode:[vfio-device] fd\n");
		udrv_close(dev);
		return 1;
	}
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);

		for (int fd = 3; fd < 1024; fd++)
			if (fd != keep)
				close(fd);
		printf("stray: pid %d holds only fd %d (anon_inode:[vfio-device])\n", (int)getpid(),
		       keep);
		fflush(stdout);
		if (devnull >= 0) { /* the scenario's pipe must not wait for this child */
			dup2(devnull, 1);
			dup2(devnull, 2);
		}
		sleep(60);
		_exit(0);
	}
	udrv_close(dev); /* this process's copies only: the child keeps its own */
	return 0;
}

int main(int argc, char **argv)
{
	struct udrv_device *dev = NULL;
	struct udrv_error err = {};
	int r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 3 ||
	    (strcmp(argv[1], "hold") && strcmp(argv[1], "stray") && strcmp(argv[1], "deaf"))) {
		fprintf(stderr, "usage: vfio-holder hold|stray|deaf SLOT\n");
		return 2;
	}
	r = udrv_open_error(argv[2], &dev, &err);
	if (r < 0) {
		printf("holder: udrv_open %s: %s (%s)\n", argv[2], strerror(-r),
		       err.message[0] ? err.message : "-");
		return 1;
	}
	printf("holder: pid %d leased %s\n", (int)getpid(), argv[2]);
	if (strcmp(argv[1], "deaf") == 0)
		return deaf();
	return strcmp(argv[1], "hold") == 0 ? hold(dev) : stray(dev);
}
