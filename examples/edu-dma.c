/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A DMA test driver for QEMU's edu device on a VFIO lease: RAM -> device -> RAM through
 * udrv_dma_alloc()'d buffers, completion by MSI, and DMAs the IOMMU must stop. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "udrv.h"

/* Registers in BAR0 (QEMU's docs/specs/edu.rst); 32-bit accesses. */
enum {
	EDU_ID = 0x00,
	EDU_IRQ_STATUS = 0x24,
	EDU_IRQ_ACK = 0x64,
	EDU_DMA_SRC = 0x80,
	EDU_DMA_DST = 0x88,
	EDU_DMA_COUNT = 0x90,
	EDU_DMA_CMD = 0x98,
};
#define EDU_DMA_START 0x1u
#define EDU_DMA_TO_RAM 0x2u /* direction: device -> RAM; clear: RAM -> device */
#define EDU_DMA_IRQ 0x4u
#define EDU_IRQ_DMA 0x100u
#define EDU_DEV_BUF 0x40000u /* the device's own 4 KiB buffer */
#define EDU_DMA_LIMIT (1ULL << 28)
#define BUF 4096
/* QEMU 7.2's edu refuses (and aborts the VM on) a DMA that ends exactly at the end of its 4 KiB
 * buffer: each transfer uses the first half of it. */
#define DMA_LEN 2048

struct edu {
	struct udrv_device *dev;
	volatile uint32_t *regs;
	int irq_fd;
	int timeout_ms;
	unsigned checks, failed;
	uint64_t irqs;
};

__attribute__((format(printf, 4, 5))) static bool report(struct edu *e, bool ok, const char *name,
							 const char *format, ...)
{
	va_list ap;

	e->checks++;
	e->failed += !ok;
	printf("%-4s %s: ", ok ? "ok" : "FAIL", name);
	va_start(ap, format);
	vprintf(format, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	return ok;
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* One DMA of DMA_LEN bytes; waits for its MSI on the vector's eventfd. 0, or -ETIMEDOUT. */
static int edu_dma(struct edu *e, uint64_t src, uint64_t dst, uint32_t dir)
{
	struct pollfd p = {.fd = e->irq_fd, .events = POLLIN};
	uint64_t n;

	e->regs[EDU_DMA_SRC / 4] = (uint32_t)src;
	e->regs[EDU_DMA_DST / 4] = (uint32_t)dst;
	e->regs[EDU_DMA_COUNT / 4] = DMA_LEN;
	e->regs[EDU_DMA_CMD / 4] = EDU_DMA_START | EDU_DMA_IRQ | dir;
	if (poll(&p, 1, e->timeout_ms) != 1 || read(e->irq_fd, &n, sizeof(n)) != sizeof(n))
		return -ETIMEDOUT;
	e->irqs += n;
	if (e->regs[EDU_DMA_CMD / 4] & EDU_DMA_START ||
	    !(e->regs[EDU_IRQ_STATUS / 4] & EDU_IRQ_DMA))
		return -EIO;
	e->regs[EDU_IRQ_ACK / 4] = EDU_IRQ_DMA;
	return 0;
}

static void fill(uint8_t *p, unsigned seed)
{
	for (size_t i = 0; i < BUF; i++)
		p[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 8));
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* RAM -> device -> RAM, ROUNDS times with fresh data, verified byte for byte. */
static void round_trips(struct edu *e, uint8_t *src, uint64_t src_iova, uint8_t *dst,
			uint64_t dst_iova, unsigned rounds)
{
	uint64_t t[64];
	unsigned ok = 0;
	int r = 0;

	for (unsigned i = 0; i < rounds && i < 64; i++) {
		uint64_t t0 = now_us();

		fill(src, i + 1);
		memset(dst, 0, BUF);
		for (unsigned h = 0; h < BUF && r >= 0; h += DMA_LEN) {
			r = edu_dma(e, src_iova + h, EDU_DEV_BUF, 0);
			if (r >= 0)
				r = edu_dma(e, EDU_DEV_BUF, dst_iova + h, EDU_DMA_TO_RAM);
		}
		t[i] = now_us() - t0;
		if (r < 0 || memcmp(src, dst, BUF) != 0)
			break;
		ok++;
	}
	qsort(t, ok ? ok : 1, sizeof(t[0]), cmp_u64);
	report(e, ok == rounds, "dma-roundtrip",
	       "%u/%u rounds of %d bytes RAM -> device -> RAM identical (%s); p50 %" PRIu64
	       " us per round of %d DMAs, %" PRIu64 " MSIs so far",
	       ok, rounds, BUF, r < 0 ? strerror(-r) : "data verified", ok ? t[ok / 2] : 0,
	       2 * BUF / DMA_LEN, e->irqs);
}

static uint64_t sum(const uint8_t *p, size_t len)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h;
}

/* Device -> RAM to an IOVA that is not mapped: the device finishes (edu ignores DMA errors)
 * but nothing of ours may change; the IOMMU logs a fault in the kernel's log. */
static void stray_write(struct edu *e, const char *name, uint64_t iova, uint8_t **bufs, size_t n)
{
	uint64_t before[8], changed = 0;
	int r;

	for (size_t i = 0; i < n; i++)
		before[i] = sum(bufs[i], BUF);
	r = edu_dma(e, EDU_DEV_BUF, iova, EDU_DMA_TO_RAM);
	for (size_t i = 0; i < n; i++)
		changed += sum(bufs[i], BUF) != before[i];
	report(e, r >= 0 && changed == 0, name,
	       "device -> RAM at IOVA 0x%" PRIx64 " %s; %" PRIu64 " of %zu buffers changed", iova,
	       r < 0 ? strerror(-r) : "completed on the device's side", changed, n);
}

static int run(struct edu *e, unsigned rounds, uint64_t poke)
{
	void *a, *b, *g;
	uint64_t ia, ib, ig;
	unsigned nvec = 0;
	uint8_t *bufs[3];
	int r;

	r = udrv_map_bar(e->dev, 0, (void **)&e->regs, NULL);
	if (!report(e, r >= 0, "bar0", "%s", r < 0 ? strerror(-r) : "mapped through vfio-device"))
		return r;
	report(e, (e->regs[EDU_ID / 4] & 0xff) == 0xed, "id", "0x%08x", e->regs[EDU_ID / 4]);
	r = udrv_irq_vectors(e->dev, &nvec);
	e->irq_fd = r < 0 ? r : udrv_irq_vector_fd(e->dev, 0);
	if (!report(e, e->irq_fd >= 0, "irq", "%u vector(s), vector 0 fd %d", nvec, e->irq_fd))
		return -ENOENT;
	r = udrv_dma_alloc(e->dev, BUF, &a, &ia);
	if (r >= 0)
		r = udrv_dma_alloc(e->dev, BUF, &b, &ib);
	if (r >= 0)
		r = udrv_dma_alloc(e->dev, BUF, &g, &ig);
	if (!report(e, r >= 0 && ia < EDU_DMA_LIMIT && ib < EDU_DMA_LIMIT && ig < EDU_DMA_LIMIT,
		    "dma-alloc", "%s: IOVAs 0x%" PRIx64 " 0x%" PRIx64 " 0x%" PRIx64,
		    r < 0 ? strerror(-r) : "3 buffers", r < 0 ? 0 : ia, r < 0 ? 0 : ib,
		    r < 0 ? 0 : ig))
		return r;
	memset(g, 0x5a, BUF);
	round_trips(e, a, ia, b, ib, rounds);
	bufs[0] = a, bufs[1] = b, bufs[2] = g;
	stray_write(e, "unmapped-write", 0x0ff00000, bufs, 3);
	stray_write(e, "past-buffer-write", ig + BUF, bufs, 3);
	if (poke)
		stray_write(e, "physical-write", poke, bufs, 3);
	r = udrv_dma_free(e->dev, b);
	report(e, r >= 0, "dma-free", "%s", r < 0 ? strerror(-r) : "buffer 2 unmapped and freed");
	bufs[1] = g;
	stray_write(e, "freed-write", ib, bufs, 2);
	/* The device can still use what stays mapped. */
	round_trips(e, a, ia, g, ig, 1);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {{"slot", required_argument, NULL, 's'},
						 {"rounds", required_argument, NULL, 'n'},
						 {"timeout", required_argument, NULL, 't'},
						 {}};
	struct edu e = {.timeout_ms = 5000};
	struct udrv_error err;
	const char *slot = NULL, *poke = getenv("UDRV_TEST_POKE");
	unsigned rounds = 8;
	int c, r;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) >= 0)
		switch (c) {
		case 's':
			slot = optarg;
			break;
		case 'n':
			rounds = (unsigned)atoi(optarg);
			break;
		case 't':
			e.timeout_ms = atoi(optarg);
			break;
		default:
			fprintf(stderr,
				"usage: edu-dma [--slot SLOT] [--rounds N] [--timeout MS]\n");
			return 2;
		}
	r = udrv_open_error(slot, &e.dev, &err);
	if (!report(&e, r >= 0, "lease", "%s", r < 0 ? err.message : udrv_device_slot(e.dev)))
		return 1;
	r = run(&e, rounds, poke && *poke ? strtoull(poke, NULL, 0) : 0);
	udrv_close(e.dev);
	printf("%u checks, %u failed\n", e.checks, e.failed);
	return r < 0 || e.failed ? 1 : 0;
}
