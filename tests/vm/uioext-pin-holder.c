/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A lease holder for tests/vm/uioext-pin-lease.scenario, through the public libudrv API only
 * (`udrvctl grant SLOT -- uioext-pin-holder --pin`): pins a page of anonymous memory and a
 * hugepage with udrv_dma_pin() and prints their bus addresses for root to compare with
 * /proc/PID/pagemap, tries the pin from a forked child, pins hugepages until the lease's
 * MemlockLimit= stops it, then says "pinned" and waits to be killed, or for SIGUSR1 after a
 * revoke. With --no-dma it checks
 * that a lease without DMA=unsafe has no pin fd. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "udrv.h"

#define HUGE_SIZE (2u << 20)
#define EDU_ID 0x00
#define FILL_PAGES 6

static void log_line(int priority, const char *message, void *userdata)
{
	(void)priority;
	(void)userdata;
	printf("log: %s\n", message);
}

static volatile sig_atomic_t poked;

static void on_usr1(int sig)
{
	(void)sig;
	poked = 1;
}

static void on_sigbus(int sig)
{
	static const char msg[] = "sigbus\n";

	(void)sig;
	(void)!write(STDOUT_FILENO, msg, sizeof(msg) - 1);
	_exit(42);
}

/* After "pinned": each SIGUSR1 (the scenario's, after a revoke) tries one more pin, prints
 * "after N ERR", then reads the edu's ID register, which must end in SIGBUS. */
static int wait_poked(struct udrv_device *dev, char *mem)
{
	struct sigaction usr1 = {.sa_handler = on_usr1}, bus = {.sa_handler = on_sigbus};
	volatile uint32_t *bar;
	void *addr;
	size_t len;
	int r;

	sigaction(SIGBUS, &bus, NULL);
	r = udrv_map_bar(dev, 0, &addr, &len);
	if (r < 0) {
		printf("udrv_map_bar: %s\n", strerror(-r));
		return 1;
	}
	bar = addr;
	(void)bar[EDU_ID / 4];
	sigaction(SIGUSR1, &usr1, NULL);
	printf("pid %d\npinned\n", (int)getpid());
	fflush(stdout);
	for (;;) {
		pause();
		if (!poked)
			continue;
		r = udrv_dma_pin(dev, mem, NULL, NULL);
		printf("after %s\n", r < 0 ? strerror(-r) : "pinned");
		fflush(stdout);
		(void)bar[EDU_ID / 4];
		printf("no sigbus\n");
		return 1;
	}
}

/* Pins ADDR; prints "pin WHAT PAGE_VADDR BUS PAGE_SIZE" for the page that holds it. */
static int pin_print(struct udrv_device *dev, const char *what, char *addr, size_t off)
{
	uint64_t bus;
	size_t size;
	int r = udrv_dma_pin(dev, addr + off, &bus, &size);

	if (r < 0) {
		printf("pin %s failed: %s\n", what, strerror(-r));
		return r;
	}
	printf("pin %s 0x%llx 0x%llx %zu\n", what, (unsigned long long)(uintptr_t)addr,
	       (unsigned long long)(bus - off), size);
	return 0;
}

static int pin_test(struct udrv_device *dev, const char *names)
{
	char *mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *huge = mmap(NULL, (size_t)(FILL_PAGES + 1) * HUGE_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	struct rlimit rl;
	unsigned fill = 0;
	pid_t child;
	int r, status;

	if (mem == MAP_FAILED || huge == MAP_FAILED) {
		printf("mmap: %s\n", strerror(errno));
		return 1;
	}
	memset(mem, 1, 4096);
	for (unsigned i = 0; i <= FILL_PAGES; i++)
		huge[(size_t)i * HUGE_SIZE] = 1;
	printf("fds %s\n", names);
	if (pin_print(dev, "anon", mem, 100) < 0 || pin_print(dev, "huge", huge, 12345) < 0)
		return 1;
	fflush(stdout);
	child = fork();
	if (child == 0) {
		char *own = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				 -1, 0);

		own[0] = 1;
		r = udrv_dma_pin(dev, own, NULL, NULL);
		printf("fork %s\n", r < 0 ? strerror(-r) : "pinned");
		_exit(0);
	}
	waitpid(child, &status, 0);
	for (r = 0; fill < FILL_PAGES && r >= 0;) {
		r = udrv_dma_pin(dev, huge + (size_t)(fill + 1) * HUGE_SIZE, NULL, NULL);
		if (r >= 0)
			fill++;
	}
	printf("fill %u %s\n", fill, r < 0 ? strerror(-r) : "no limit");
	getrlimit(RLIMIT_MEMLOCK, &rl);
	printf("rlimit %llu\n", (unsigned long long)rl.rlim_cur);
	return wait_poked(dev, mem + 2048);
}

int main(int argc, char **argv)
{
	/* udrv_open() takes the lease out of the environment: the names first. */
	const char *env = getenv("UDRV_FDNAMES");
	char *names = strdup(env ? env : "?");
	struct udrv_device *dev;
	int r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	udrv_set_log_func(log_line, NULL);
	r = udrv_open(NULL, &dev);
	if (r < 0) {
		fprintf(stderr, "uioext-pin-holder: udrv_open: %s\n", strerror(-r));
		return 1;
	}
	if (argc == 2 && strcmp(argv[1], "--pin") == 0)
		return pin_test(dev, names);
	if (argc == 2 && strcmp(argv[1], "--no-dma") == 0) {
		char *mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				 -1, 0);

		mem[0] = 1;
		r = udrv_dma_pin(dev, mem, NULL, NULL);
		printf("nodma %s, fds %s\n", r < 0 ? strerror(-r) : "pinned", names);
		udrv_close(dev);
		return 0;
	}
	fprintf(stderr, "usage: uioext-pin-holder --pin | --no-dma\n");
	return 2;
}
