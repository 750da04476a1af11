/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A lease holder for tests/vm/uioext-lease.scenario, through the public libudrv API only:
 * opens its inherited lease (`udrvctl grant SLOT -- uioext-holder`), maps BAR0 of the edu,
 * writes 5 to the factorial register, says "mapped" and reads the ID register in a loop.
 * A revoke must end the loop with SIGBUS: it then prints "sigbus" and the time, and exits 42.
 * With --wait-gone PATH it is the scenario's stopwatch instead. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "udrv.h"

#define EDU_ID 0x00
#define EDU_FACTORIAL 0x08

/* "sigbus NANOSECONDS\n" (CLOCK_REALTIME, for the scenario's date +%s%N), async-signal-safe. */
static void on_sigbus(int sig)
{
	char msg[40] = "sigbus ", digits[24];
	struct timespec ts;
	unsigned long long ns;
	size_t n = 0, len = 7;

	(void)sig;
	clock_gettime(CLOCK_REALTIME, &ts);
	ns = (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
	do
		digits[n++] = (char)('0' + ns % 10);
	while ((ns /= 10) && n < sizeof(digits));
	while (n)
		msg[len++] = digits[--n];
	msg[len++] = '\n';
	(void)!write(STDOUT_FILENO, msg, len);
	_exit(42);
}

/* --wait-gone PATH: polls every millisecond (sleeping, not spinning: the guest has one vCPU)
 * until PATH is gone, then prints "gone NANOSECONDS" (CLOCK_REALTIME). At most 10 s. */
static int wait_gone(const char *path)
{
	struct timespec ms = {.tv_nsec = 1000000}, ts;

	for (int i = 0; i < 10000 && access(path, F_OK) == 0; i++)
		nanosleep(&ms, NULL);
	if (access(path, F_OK) == 0) {
		fprintf(stderr, "uioext-holder: %s still there after 10 s\n", path);
		return 1;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	printf("gone %lld%09ld\n", (long long)ts.tv_sec, ts.tv_nsec);
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_sigbus};
	struct udrv_device *dev;
	volatile uint32_t *bar;
	void *addr;
	size_t len;
	uint64_t reads = 0;
	int r;

	if (argc == 3 && strcmp(argv[1], "--wait-gone") == 0)
		return wait_gone(argv[2]);
	sigaction(SIGBUS, &sa, NULL);
	r = udrv_open(NULL, &dev);
	if (r < 0) {
		fprintf(stderr, "uioext-holder: udrv_open: %s\n", strerror(-r));
		return 1;
	}
	r = udrv_map_bar(dev, 0, &addr, &len);
	if (r < 0) {
		fprintf(stderr, "uioext-holder: udrv_map_bar(0): %s\n", strerror(-r));
		return 1;
	}
	bar = addr;
	if ((bar[EDU_ID / 4] & 0xff) != 0xed) {
		fprintf(stderr, "uioext-holder: BAR0 ID register reads 0x%x, not an edu\n",
			bar[EDU_ID / 4]);
		return 1;
	}
	bar[EDU_FACTORIAL / 4] = 5;
	printf("mapped %zu bytes, factorial(5) = %u\n", len, bar[EDU_FACTORIAL / 4]);
	fflush(stdout);
	for (;;) {
		(void)bar[EDU_ID / 4];
		if (++reads % 100000 == 0)
			usleep(1000); /* let the guest's one vCPU breathe */
	}
}
