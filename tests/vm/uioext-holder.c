/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A lease holder for tests/vm/uioext-lease.scenario, through the public libudrv API only:
 * opens its inherited lease (`udrvctl grant SLOT -- uioext-holder`), maps BAR0 of the edu,
 * writes 5 to the factorial register, says "mapped" and reads the ID register in a loop.
 * A revoke must end the loop with SIGBUS: it then prints "sigbus" and the time, and exits 42.
 * With --dma it checks udrv_dma_alloc's buffers with the edu's DMA engine instead, with
 * --bar N it maps BAR N of any device whose BAR is memory (ivshmem's BAR2), writes and reads
 * back a pattern, says "bar N ok" and waits to be killed, and with --wait-gone PATH it is the
 * scenario's stopwatch. */
#include <errno.h>
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
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_COUNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_DMA_START 0x1u
#define EDU_DMA_TO_RAM 0x2u
#define EDU_DMA_BUF 0x40000ULL /* the device's own buffer, in its address space */
/* QEMU 7.2's edu aborts on a DMA ending at the end of its 4 KiB buffer: use half of it. */
#define DMA_LEN 2048

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

/* One edu DMA, completion polled (no interrupt needed). */
static int edu_dma(volatile uint32_t *bar, uint64_t src, uint64_t dst, uint32_t dir)
{
	bar[EDU_DMA_SRC / 4] = (uint32_t)src;
	bar[EDU_DMA_SRC / 4 + 1] = (uint32_t)(src >> 32);
	bar[EDU_DMA_DST / 4] = (uint32_t)dst;
	bar[EDU_DMA_DST / 4 + 1] = (uint32_t)(dst >> 32);
	bar[EDU_DMA_COUNT / 4] = DMA_LEN;
	bar[EDU_DMA_CMD / 4] = EDU_DMA_START | dir;
	for (int i = 0; i < 5000 && (bar[EDU_DMA_CMD / 4] & EDU_DMA_START); i++)
		usleep(1000);
	return bar[EDU_DMA_CMD / 4] & EDU_DMA_START ? -ETIMEDOUT : 0;
}

/* --dma: an 8 MiB buffer refused (E2BIG); two module buffers from udrv_dma_alloc, RAM -> device
 * -> RAM ROUNDS times with fresh data, verified byte for byte; then the buffers are freed.
 * Prints "dma ok N" or a failure. */
static int dma_test(struct udrv_device *dev, volatile uint32_t *bar, unsigned rounds)
{
	uint8_t *src, *dst;
	uint64_t src_bus, dst_bus;
	void *a, *b;
	int r;

	/* One buffer is at most the page allocator's largest block (4 MiB): larger is E2BIG. */
	r = udrv_dma_alloc(dev, 8u << 20, &a, &src_bus);
	if (r == -EPERM) { /* no DMA=unsafe: refused before any size is looked at */
		printf("dma: udrv_dma_alloc: %s\n", strerror(-r));
		return 1;
	}
	if (r != -E2BIG) {
		printf("dma: udrv_dma_alloc of 8 MiB: %s, not E2BIG\n",
		       r < 0 ? strerror(-r) : "ok");
		return 1;
	}
	r = udrv_dma_alloc(dev, 4096, &a, &src_bus);
	if (r >= 0)
		r = udrv_dma_alloc(dev, 4096, &b, &dst_bus);
	if (r < 0) {
		printf("dma: udrv_dma_alloc: %s\n", strerror(-r));
		return 1;
	}
	printf("dma buffers at bus 0x%llx and 0x%llx\n", (unsigned long long)src_bus,
	       (unsigned long long)dst_bus);
	src = a;
	dst = b;
	for (unsigned n = 0; n < rounds; n++) {
		for (size_t i = 0; i < DMA_LEN; i++)
			src[i] = (uint8_t)(n * 131 + i * 7 + (i >> 8));
		memset(dst, 0, DMA_LEN);
		if (edu_dma(bar, src_bus, EDU_DMA_BUF, 0) < 0 ||
		    edu_dma(bar, EDU_DMA_BUF, dst_bus, EDU_DMA_TO_RAM) < 0) {
			printf("dma: round %u timed out\n", n);
			return 1;
		}
		if (memcmp(src, dst, DMA_LEN) != 0) {
			printf("dma: round %u: data differs\n", n);
			return 1;
		}
	}
	r = udrv_dma_free(dev, a);
	if (r >= 0)
		r = udrv_dma_free(dev, b);
	if (r >= 0 && udrv_dma_free(dev, a) != -ENOENT)
		r = -EEXIST;
	if (r < 0) {
		printf("dma: udrv_dma_free: %s\n", strerror(-r));
		return 1;
	}
	printf("dma ok %u\n", rounds);
	return 0;
}

/* --bar N: a BAR that is memory (ivshmem's shared RAM): a pattern written reads back. */
static int bar_test(struct udrv_device *dev, int n)
{
	volatile uint32_t *p;
	void *addr;
	size_t len;
	int r = udrv_map_bar(dev, n, &addr, &len);

	if (r < 0) {
		printf("bar %d: udrv_map_bar: %s\n", n, strerror(-r));
		return 1;
	}
	p = addr;
	for (uint32_t i = 0; i < 1024; i++)
		p[i] = i * 2654435761u;
	for (uint32_t i = 0; i < 1024; i++)
		if (p[i] != i * 2654435761u) {
			printf("bar %d: word %u reads 0x%x\n", n, i, p[i]);
			return 1;
		}
	printf("bar %d ok: %zu bytes mapped, pattern read back\n", n, len);
	fflush(stdout);
	pause();
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
	if (argc == 3 && strcmp(argv[1], "--bar") == 0)
		return bar_test(dev, atoi(argv[2]));
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
	if (argc == 2 && strcmp(argv[1], "--dma") == 0) {
		r = dma_test(dev, bar, 20);
		udrv_close(dev);
		return r;
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
