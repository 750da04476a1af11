/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A DPDK-style user-space driver for QEMU's edu device (1234:11e8), on the public libudrv API. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "udrv.h"

#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8
#define EDU_BAR 0

/* Registers in BAR0; 32-bit accesses only. See QEMU's docs/specs/edu.rst. */
enum {
	EDU_ID = 0x00,	      /* 0xRRrr00ed: major, minor, 0xed */
	EDU_LIVENESS = 0x04,  /* reads back the bitwise inverse of what was written */
	EDU_FACTORIAL = 0x08, /* write n, wait for STATUS.computing to clear, read n! (mod 2^32) */
	EDU_STATUS = 0x20, /* bit 0 computing, bit 7 raise an interrupt when a factorial is done */
	EDU_IRQ_STATUS = 0x24,
	EDU_IRQ_RAISE = 0x60, /* ORed into IRQ_STATUS, and the interrupt raised */
	EDU_IRQ_ACK = 0x64,   /* cleared from IRQ_STATUS; the line drops when it reaches 0 */
};
#define EDU_STATUS_COMPUTING 0x01u

struct options {
	const char *slot; /* NULL: the inherited lease's (UDRV_SLOT) */
	unsigned irqs;
	unsigned factorial;
	unsigned pings;
	unsigned wakeup_seconds; /* --count-wakeups */
	unsigned storm_seconds;	 /* --storm */
	int timeout_ms;
	bool async; /* --async: udrv_irq_enable_async, the unmask eventfd */
	bool verbose;
};

struct edu {
	struct udrv_device *dev;
	volatile uint32_t *regs;
	const struct options *opt;
	unsigned checks, failed;
};

static uint32_t edu_read(struct edu *e, unsigned reg)
{
	return e->regs[reg / 4];
}

static void edu_write(struct edu *e, unsigned reg, uint32_t v)
{
	e->regs[reg / 4] = v;
}

/* One line per check: "ok   NAME: detail" or "FAIL NAME: detail". Returns OK. */
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

/* Interrupt round trips completed, for the SIGBUS message. */
static volatile sig_atomic_t round_trips;

/* SIGBUS: the kernel took the device's registers away under our feet, as uio-ext and VFIO do
 * when the lease is revoked or the device removed. Says so (async-signal-safe), then dies of
 * SIGBUS as it would have without a handler. */
static void on_sigbus(int sig)
{
	static const char head[] = "edu-driver: SIGBUS after ";
	static const char tail[] = " interrupt round trips: BAR0 is no longer mapped "
				   "(lease revoked or device removed)\n";
	char msg[sizeof(head) + sizeof(tail) + 24], digits[24];
	unsigned long n = (unsigned long)round_trips;
	size_t len, nd = 0;

	memcpy(msg, head, sizeof(head) - 1);
	len = sizeof(head) - 1;
	do
		digits[nd++] = (char)('0' + n % 10);
	while ((n /= 10) && nd < sizeof(digits));
	while (nd)
		msg[len++] = digits[--nd];
	memcpy(msg + len, tail, sizeof(tail) - 1);
	len += sizeof(tail) - 1;
	(void)!write(STDERR_FILENO, msg, len);
	signal(sig, SIG_DFL);
	raise(sig);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool check_config_id(struct edu *e)
{
	uint16_t id[2];
	int r = udrv_config_read(e->dev, 0, id, sizeof(id));

	if (r < 0)
		return report(e, false, "config-id", "reading config space: %s", strerror(-r));
	if (id[0] != EDU_VENDOR || id[1] != EDU_DEVICE)
		return report(e, false, "config-id", "%04x:%04x is not edu (%04x:%04x)", id[0],
			      id[1], EDU_VENDOR, EDU_DEVICE);
	return report(e, true, "config-id", "%04x:%04x", id[0], id[1]);
}

static bool map_registers(struct edu *e)
{
	void *addr;
	size_t len;
	int r = udrv_map_bar(e->dev, EDU_BAR, &addr, &len);

	if (r < 0)
		return report(e, false, "bar0", "cannot map: %s", strerror(-r));
	if (len < EDU_IRQ_ACK + 4)
		return report(e, false, "bar0", "only %zu bytes long", len);
	e->regs = addr;
	return report(e, true, "bar0", "%zu KiB mapped", len / 1024);
}

static void check_id(struct edu *e)
{
	uint32_t id = edu_read(e, EDU_ID);

	/* The low byte is edu's signature; the upper bytes are its version. */
	report(e, (id & 0xff) == 0xed, "id", "0x%08" PRIx32 " (edu %u.%u)", id, id >> 24,
	       (id >> 16) & 0xff);
}

static void check_liveness(struct edu *e)
{
	static const uint32_t values[] = {0x12345678, 0, 0xffffffff, 0xa5a5a5a5, 0x5a5a5a5a};

	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		uint32_t got;

		edu_write(e, EDU_LIVENESS, values[i]);
		got = edu_read(e, EDU_LIVENESS);
		if (got != (uint32_t)~values[i]) {
			report(e, false, "liveness", "wrote 0x%08" PRIx32 ", read 0x%08" PRIx32,
			       values[i], got);
			return;
		}
	}
	report(e, true, "liveness", "%zu values read back inverted",
	       sizeof(values) / sizeof(values[0]));
}

/* Polls STATUS until the computation is done; false on timeout. */
static bool wait_not_computing(struct edu *e)
{
	uint64_t deadline = now_ns() + (uint64_t)e->opt->timeout_ms * 1000000u;

	while (edu_read(e, EDU_STATUS) & EDU_STATUS_COMPUTING)
		if (now_ns() > deadline)
			return false;
	return true;
}

static void check_factorial(struct edu *e)
{
	uint32_t expected = 1, got;

	if (e->opt->factorial == 0) {
		printf("skip factorial: --factorial 0\n");
		return;
	}
	edu_write(e, EDU_STATUS, 0); /* no interrupt when a computation ends */
	for (unsigned n = 1; n <= e->opt->factorial; n++) {
		expected *= n; /* edu computes modulo 2^32 too */
		if (!wait_not_computing(e)) {
			report(e, false, "factorial", "device still computing before %u!", n);
			return;
		}
		edu_write(e, EDU_FACTORIAL, n);
		if (!wait_not_computing(e)) {
			report(e, false, "factorial", "%u! not done after %d ms", n,
			       e->opt->timeout_ms);
			return;
		}
		got = edu_read(e, EDU_FACTORIAL);
		if (got != expected) {
			report(e, false, "factorial", "%u! read %" PRIu32 ", expected %" PRIu32, n,
			       got, expected);
			return;
		}
	}
	report(e, true, "factorial", "1! to %u! correct (%u! = %" PRIu32 ")", e->opt->factorial,
	       e->opt->factorial, expected);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The P-th percentile of N sorted samples, in microseconds. */
static double percentile_us(const uint64_t *v, size_t n, unsigned p)
{
	size_t i = (n * p + 99) / 100;

	return (double)v[i ? i - 1 : 0] / 1000.0;
}

/* 0 when FD is readable within TIMEOUT_MS, -ETIMEDOUT, or -errno. */
static int64_t wait_readable(int fd, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int r;

	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return r == 0 ? -ETIMEDOUT : 0;
}

/* Waits for the interrupt fd; returns the count read, or -errno (-ETIMEDOUT). */
static int64_t wait_irq(int fd, int timeout_ms)
{
	uint32_t count;
	int64_t r = wait_readable(fd, timeout_ms);

	if (r < 0)
		return r;
	if (read(fd, &count, sizeof(count)) != sizeof(count))
		return errno ? -errno : -EIO;
	return count;
}

/* Clears what an earlier user may have left: a pending status, a count not yet read. */
static int irq_prepare(struct edu *e, int fd)
{
	edu_write(e, EDU_IRQ_ACK, 0xffffffff);
	(void)wait_irq(fd, 0);
	return udrv_irq_enable(e->dev);
}

/*
 * A round trip that failed on the interrupt fd or the unmask: reports WHAT with the device's
 * IRQ_STATUS. Reading it is also how a revoked lease ends here rather than in a misleading
 * error: uio-ext takes the BAR mappings away, then refuses the unmask (EPERM), wakes the
 * interrupt fd and, once the function is given back, fails it (EIO); after that wake-up the
 * read faults (SIGBUS).
 */
static bool irq_failed(struct edu *e, int fd, bool unmask, const char *what)
{
	uint32_t status;

	if (unmask)
		(void)wait_irq(fd, 100);
	status = edu_read(e, EDU_IRQ_STATUS);
	return report(e, false, "irq", "%s (IRQ_STATUS 0x%08" PRIx32 ")", what, status);
}

/* One round trip: raise, wait, check and acknowledge, re-enable. Fills the two timings. */
static bool irq_round_trip(struct edu *e, int fd, unsigned i, int64_t *last, uint64_t *ret_rt,
			   uint64_t *ret_enable)
{
	uint32_t bit = 1u << (i % 32), status;
	uint64_t t0, t1;
	int64_t count;
	char what[128];
	int r;

	t0 = now_ns();
	edu_write(e, EDU_IRQ_RAISE, bit);
	count = wait_irq(fd, e->opt->timeout_ms);
	if (count < 0) {
		if (count == -ETIMEDOUT)
			snprintf(what, sizeof(what),
				 "interrupt %u of %u did not arrive within %d ms", i + 1,
				 e->opt->irqs, e->opt->timeout_ms);
		else
			snprintf(what, sizeof(what), "interrupt %u of %u: %s", i + 1, e->opt->irqs,
				 strerror((int)-count));
		return irq_failed(e, fd, false, what);
	}
	if (*last >= 0 && count <= *last)
		return report(e, false, "irq",
			      "interrupt %u: count went from %" PRId64 " to %" PRId64, i + 1, *last,
			      count);
	*last = count;
	status = edu_read(e, EDU_IRQ_STATUS);
	if (!(status & bit))
		return report(e, false, "irq",
			      "interrupt %u: status 0x%08" PRIx32 " lacks 0x%08" PRIx32, i + 1,
			      status, bit);
	edu_write(e, EDU_IRQ_ACK, status); /* the line drops before INTx is unmasked */
	t1 = now_ns();
	r = e->opt->async ? udrv_irq_enable_async(e->dev) : udrv_irq_enable(e->dev);
	if (r < 0) {
		snprintf(what, sizeof(what), "interrupt %u: udrv_irq_enable%s: %s", i + 1,
			 e->opt->async ? "_async" : "", strerror(-r));
		return irq_failed(e, fd, true, what);
	}
	*ret_enable = now_ns() - t1;
	*ret_rt = now_ns() - t0;
	round_trips = (sig_atomic_t)(i + 1);
	return true;
}

static void check_irqs(struct edu *e)
{
	unsigned n = e->opt->irqs;
	uint64_t *rt, *en;
	int64_t last = -1;
	int fd, r;

	if (n == 0) {
		printf("skip irq: --irqs 0\n");
		return;
	}
	fd = udrv_irq_fd(e->dev);
	if (fd < 0) {
		report(e, false, "irq", "no interrupt fd: %s (udrvd says irq=%s)", strerror(-fd),
		       udrv_device_info(e->dev, "irq") ?: "?");
		return;
	}
	r = irq_prepare(e, fd);
	if (r < 0) {
		report(e, false, "irq", "udrv_irq_enable: %s", strerror(-r));
		return;
	}
	rt = calloc(n, sizeof(*rt));
	en = calloc(n, sizeof(*en));
	if (!rt || !en) {
		report(e, false, "irq", "out of memory");
		goto out;
	}
	for (unsigned i = 0; i < n; i++)
		if (!irq_round_trip(e, fd, i, &last, &rt[i], &en[i]))
			goto out;
	qsort(rt, n, sizeof(*rt), cmp_u64);
	qsort(en, n, sizeof(*en), cmp_u64);
	report(e, true, "irq",
	       "%u round trips, p50 %.1f us, p99 %.1f us (udrv_irq_enable%s p50 %.1f us, p99 %.1f "
	       "us)",
	       n, percentile_us(rt, n, 50), percentile_us(rt, n, 99), e->opt->async ? "_async" : "",
	       percentile_us(en, n, 50), percentile_us(en, n, 99));
out:
	free(rt);
	free(en);
}

/* Polling leases: counts the irq fd's wake-ups for a while, whatever stands behind it. */
static void count_wakeups(struct edu *e)
{
	int fd = udrv_irq_fd(e->dev);
	uint64_t total = 0, reads = 0, t0, end;

	if (!e->opt->wakeup_seconds)
		return;
	if (fd < 0) {
		report(e, false, "wakeups", "no interrupt fd: %s", strerror(-fd));
		return;
	}
	/* Ticks since the lease began are not part of the measurement. */
	if (wait_readable(fd, 0) == 0) {
		uint64_t stale;

		(void)udrv_irq_read(e->dev, &stale);
	}
	t0 = now_ns();
	end = t0 + (uint64_t)e->opt->wakeup_seconds * 1000000000ull;
	while (now_ns() < end) {
		uint64_t n;
		int r = (int)wait_readable(fd, (int)((end - now_ns()) / 1000000) + 1);

		if (r == -ETIMEDOUT)
			break;
		if (r < 0 || (r = udrv_irq_read(e->dev, &n)) < 0) {
			report(e, false, "wakeups", "reading the irq fd: %s", strerror(-r));
			return;
		}
		total += n;
		reads++;
	}
	report(e, true, "wakeups", "%" PRIu64 " in %.3f s, %" PRIu64 " reads (irq=%s)", total,
	       (now_ns() - t0) / 1e9, reads, udrv_device_info(e->dev, "irq") ?: "?");
}

/* A misbehaving driver: raises an interrupt it never acknowledges and re-enables INTx as
 * fast as interrupts come. udrvd's IrqRateLimit= must contain it. */
static void storm(struct edu *e)
{
	int fd = udrv_irq_fd(e->dev);
	uint64_t count = 0, t0, end;

	if (!e->opt->storm_seconds)
		return;
	if (fd < 0) {
		report(e, false, "storm", "no interrupt fd: %s", strerror(-fd));
		return;
	}
	edu_write(e, EDU_IRQ_RAISE, 1); /* the line stays up: never acknowledged */
	(void)udrv_irq_enable(e->dev);
	t0 = now_ns();
	end = t0 + (uint64_t)e->opt->storm_seconds * 1000000000ull;
	while (now_ns() < end) {
		uint64_t n;

		if (wait_readable(fd, 100) < 0 || udrv_irq_read(e->dev, &n) < 0)
			continue;
		count++;
		(void)udrv_irq_enable_async(e->dev);
	}
	edu_write(e, EDU_IRQ_ACK, 0xffffffff);
	report(e, true, "storm", "%" PRIu64 " interrupts in %.3f s (%.0f/s)", count,
	       (now_ns() - t0) / 1e9, count / ((now_ns() - t0) / 1e9));
}

/* Round trips to udrvd that do nothing: the floor under udrv_irq_enable's cost. */
static void check_pings(struct edu *e)
{
	unsigned n = e->opt->pings;
	uint64_t *v;
	int r = 0;

	if (n == 0)
		return;
	v = calloc(n, sizeof(*v));
	if (!v) {
		report(e, false, "ping", "out of memory");
		return;
	}
	for (unsigned i = 0; i < n && r == 0; i++) {
		uint64_t t0 = now_ns();

		r = udrv_ping(e->dev);
		v[i] = now_ns() - t0;
	}
	if (r < 0)
		report(e, false, "ping", "udrv_ping: %s", strerror(-r));
	else {
		qsort(v, n, sizeof(*v), cmp_u64);
		report(e, true, "ping", "%u round trips to udrvd, p50 %.1f us, p99 %.1f us", n,
		       percentile_us(v, n, 50), percentile_us(v, n, 99));
	}
	free(v);
}

static void log_to_stderr(int priority, const char *message, void *userdata)
{
	fprintf(stderr, "edu-driver: libudrv: %s\n", message);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: edu-driver [--slot SLOT] [--irqs N] [--factorial N] [--pings N]\n"
		"                  [--async] [--count-wakeups S] [--storm S] [--timeout MS] [-v]\n"
		"Drives QEMU's edu device through libudrv and checks it. SLOT defaults to the\n"
		"lease inherited from 'udrvctl grant SLOT -- edu-driver' (UDRV_SLOT).\n"
		"  --irqs N       interrupt round trips (default 100; 0 skips)\n"
		"  --factorial N  compute and check 1! .. N! (default 10; 0 skips)\n"
		"  --pings N      time N empty round trips to udrvd (default 0)\n"
		"  --async        re-enable INTx with udrv_irq_enable_async (the fast path)\n"
		"  --count-wakeups S  count the irq fd's wake-ups for S seconds (polling)\n"
		"  --storm S      never acknowledge, re-enable as fast as possible for S s\n"
		"  --timeout MS   how long to wait for the device (default 1000)\n"
		"  -v, --verbose  show libudrv's messages\n"
		"Exit status: 0 when every check passed, 1 otherwise, 2 on bad usage.\n");
}

static int parse_uint(const char *s, unsigned max, unsigned *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v > max)
		return -EINVAL;
	*ret = (unsigned)v;
	return 0;
}

static int parse_options(int argc, char **argv, struct options *opt)
{
	static const struct option options[] = {
		{"slot", required_argument, NULL, 's'},
		{"irqs", required_argument, NULL, 'i'},
		{"factorial", required_argument, NULL, 'f'},
		{"timeout", required_argument, NULL, 't'},
		{"pings", required_argument, NULL, 'p'},
		{"count-wakeups", required_argument, NULL, 'w'},
		{"storm", required_argument, NULL, 'S'},
		{"async", no_argument, NULL, 'a'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	unsigned timeout;
	int c;

	*opt = (struct options){.irqs = 100, .factorial = 10, .timeout_ms = 1000};
	while ((c = getopt_long(argc, argv, "s:i:f:p:t:w:S:avh", options, NULL)) >= 0) {
		int r = 0;

		switch (c) {
		case 's':
			opt->slot = optarg;
			break;
		case 'i':
			r = parse_uint(optarg, 10000000, &opt->irqs);
			break;
		case 'f':
			r = parse_uint(optarg, 1000000, &opt->factorial);
			break;
		case 'p':
			r = parse_uint(optarg, 10000000, &opt->pings);
			break;
		case 't':
			r = parse_uint(optarg, 3600000, &timeout);
			opt->timeout_ms = (int)timeout;
			break;
		case 'w':
			r = parse_uint(optarg, 3600, &opt->wakeup_seconds);
			break;
		case 'S':
			r = parse_uint(optarg, 3600, &opt->storm_seconds);
			break;
		case 'a':
			opt->async = true;
			break;
		case 'v':
			opt->verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_SUCCESS);
		default:
			usage(stderr);
			return -EINVAL;
		}
		if (r < 0) {
			fprintf(stderr, "edu-driver: bad number '%s'\n", optarg);
			return r;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "edu-driver: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (!opt->slot && !getenv("UDRV_SLOT")) {
		fprintf(stderr, "edu-driver: no --slot and no inherited lease (UDRV_SLOT)\n");
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct options opt;
	struct udrv_error error;
	struct edu e = {.opt = &opt};
	const char *slot;
	int r;

	if (parse_options(argc, argv, &opt) < 0)
		return 2;
	if (opt.verbose)
		udrv_set_log_func(log_to_stderr, NULL);
	signal(SIGBUS, on_sigbus);
	r = udrv_open_error(opt.slot, &e.dev, &error);
	if (r < 0) {
		fprintf(stderr, "edu-driver: cannot open %s: %s\n", opt.slot ?: getenv("UDRV_SLOT"),
			error.message);
		return 1;
	}
	slot = udrv_device_slot(e.dev);
	if (check_config_id(&e) && map_registers(&e)) {
		check_id(&e);
		check_liveness(&e);
		check_factorial(&e);
		check_irqs(&e);
		count_wakeups(&e);
		storm(&e);
		check_pings(&e);
	}
	printf("edu-driver: %s: %u of %u checks passed\n", slot, e.checks - e.failed, e.checks);
	udrv_close(e.dev);
	return e.failed ? 1 : 0;
}
