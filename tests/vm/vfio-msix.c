/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* VM check, run as an ordinary uid on a VFIO lease of QEMU's e1000e: each MSI-X vector arrives
 * on its own eventfd from udrv_irq_vector_fd(), raised through the NIC's ICS register. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "udrv.h"

/* 82574 registers (e1000e), BAR0; 32-bit accesses. */
enum {
	E1000_ICR = 0x000c0,  /* interrupt cause read; write 1 to clear */
	E1000_ICS = 0x000c8,  /* interrupt cause set */
	E1000_IMS = 0x000d0,  /* interrupt mask set */
	E1000_IMC = 0x000d8,  /* interrupt mask clear */
	E1000_IVAR = 0x000e4, /* cause -> MSI-X vector, 4 bits each: 3-bit vector, valid bit */
};
/* The five MSI-X causes and where IVAR puts each: RxQ0 bits 3:0, RxQ1 7:4, TxQ0 11:8, TxQ1
 * 15:12, Other 19:16. */
static const uint32_t causes[] = {0x00100000, 0x00200000, 0x00400000, 0x00800000, 0x01000000};
#define NVEC 5
#define IVAR_VALID 0x8u

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Raises CAUSE and waits for exactly vector WANT among the NVEC fds. */
static int raise_one(volatile uint32_t *regs, struct pollfd *p, unsigned want, uint64_t *ret_us)
{
	uint64_t t0 = now_us(), n;
	int hits = 0;

	regs[E1000_ICS / 4] = causes[want];
	if (poll(p, NVEC, 2000) <= 0)
		return -ETIMEDOUT;
	*ret_us = now_us() - t0;
	usleep(2000); /* a stray second vector would show up by now */
	poll(p, NVEC, 0);
	for (unsigned v = 0; v < NVEC; v++)
		if (p[v].revents & POLLIN) {
			if (read(p[v].fd, &n, sizeof(n)) != sizeof(n))
				return -EIO;
			hits += v == want ? 1 : 100;
		}
	regs[E1000_ICR / 4] = causes[want];
	return hits == 1 ? 0 : -EPROTO;
}

int main(int argc, char **argv)
{
	unsigned rounds = argc > 1 ? (unsigned)atoi(argv[1]) : 20, n = 0, ok = 0;
	struct udrv_device *dev;
	volatile uint32_t *regs;
	struct pollfd p[NVEC];
	uint64_t lat[NVEC * 100];
	int r;

	r = udrv_open(NULL, &dev);
	if (r < 0) {
		printf("FAIL lease: %s\n", strerror(-r));
		return 1;
	}
	r = udrv_map_bar(dev, 0, (void **)&regs, NULL);
	if (r >= 0)
		r = udrv_irq_vectors(dev, &n);
	printf("%-4s vectors: %u (%s)\n", r >= 0 && n == NVEC ? "ok" : "FAIL", n,
	       r < 0 ? strerror(-r) : "MSI-X table size");
	if (r < 0 || n < NVEC)
		return 1;
	for (unsigned v = 0; v < NVEC; v++)
		p[v] = (struct pollfd){.fd = udrv_irq_vector_fd(dev, v), .events = POLLIN};
	regs[E1000_IMC / 4] = 0xffffffff;
	regs[E1000_ICR / 4] = 0xffffffff;
	regs[E1000_IVAR / 4] = (IVAR_VALID | 0) | (IVAR_VALID | 1) << 4 | (IVAR_VALID | 2) << 8 |
			       (IVAR_VALID | 3) << 12 | (IVAR_VALID | 4) << 16;
	regs[E1000_IMS / 4] = causes[0] | causes[1] | causes[2] | causes[3] | causes[4];
	if (rounds > 100)
		rounds = 100;
	for (unsigned i = 0; i < rounds; i++)
		for (unsigned v = 0; v < NVEC; v++) {
			r = raise_one(regs, p, v, &lat[ok]);
			if (r < 0) {
				printf("FAIL vector %u, round %u: %s\n", v, i, strerror(-r));
				goto out;
			}
			ok++;
		}
out:
	regs[E1000_IMC / 4] = 0xffffffff;
	qsort(lat, ok ? ok : 1, sizeof(lat[0]), cmp_u64);
	printf("%-4s msix: %u of %u interrupts, each on its own vector's eventfd and no other; "
	       "p50 %" PRIu64 " us, p99 %" PRIu64 " us from ICS write to poll()\n",
	       ok == rounds * NVEC ? "ok" : "FAIL", ok, rounds * NVEC, ok ? lat[ok / 2] : 0,
	       ok ? lat[ok * 99 / 100] : 0);
	udrv_close(dev);
	return ok == rounds * NVEC ? 0 : 1;
}
