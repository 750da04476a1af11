/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Measures an edu device through a udrv lease: MMIO via udrv_map_bar, interrupts, udrv_ping,
 * mediated config writes, poll-mode wake-ups. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "bench-util.h"
#include "udrv.h"

struct options {
	const char *slot; /* NULL: the inherited lease's (UDRV_SLOT) */
	const char *samples, *turns;
	bool first, async, config;
	unsigned rounds, iterations, batches, irqs, pings, warmup, ticks, tick_period_us;
	int timeout_ms;
};

static int enable_sync(void *userdata)
{
	return udrv_irq_enable(userdata);
}

static int enable_async(void *userdata)
{
	return udrv_irq_enable_async(userdata);
}

/* What one ctl request of each kind costs, timed from the call to its return. */
enum {
	RPC_PING,	  /* udrv_ping: udrvd does nothing */
	RPC_WRITE,	  /* a 1-byte config write that reaches the device (cache line size) */
	RPC_WRITE_SHADOW, /* a 1-byte config write udrvd keeps in its shadow (interrupt line) */
	RPC_READ,	  /* a 4-byte config read (BAR0: the shadow over the device's bytes) */
	_RPC_MAX
};
static const char *const rpc_variant[_RPC_MAX] = {
	[RPC_PING] = "udrv_ping",
	[RPC_WRITE] = "config_write",
	[RPC_WRITE_SHADOW] = "config_write_shadow",
	[RPC_READ] = "config_read",
};

static int rpc_once(struct udrv_device *dev, int kind, unsigned i, uint8_t cache_line)
{
	uint8_t v;
	uint32_t bar;

	switch (kind) {
	case RPC_PING:
		return udrv_ping(dev);
	case RPC_WRITE:
		v = (uint8_t)(cache_line + 1 + (i & 1)); /* a change every time */
		return udrv_config_write(dev, PCI_CACHE_LINE_SIZE, &v, 1);
	case RPC_WRITE_SHADOW:
		v = (uint8_t)i;
		return udrv_config_write(dev, PCI_INTERRUPT_LINE, &v, 1);
	default:
		return udrv_config_read(dev, PCI_BAR0, &bar, sizeof(bar));
	}
}

/* BATCHES turns, each: PINGS udrv_ping round trips, as many on the socketpair floor, then (with
 * --config) as many mediated config writes to the device, writes kept in udrvd's shadow and
 * config reads. In turns with bench-direct's root pwrite batches when it takes part. */
static int run_pings(FILE *out, struct udrv_device *dev, const struct options *opt,
		     struct bench_turns *turns)
{
	size_t total = (size_t)opt->batches * opt->pings, n[_RPC_MAX] = {0}, n_floor = 0;
	uint64_t *t[_RPC_MAX] = {0}, *base = calloc(total, sizeof(*base));
	int kinds = opt->config ? _RPC_MAX : 1, r = 0, r2;
	uint8_t cache_line = 0, line = 0;
	struct bench_floor f;

	for (int k = 0; k < kinds; k++)
		if (!(t[k] = calloc(total, sizeof(uint64_t))))
			r = -ENOMEM;
	if (r == 0 && !base)
		r = -ENOMEM;
	if (r == 0 && opt->config) {
		r = udrv_config_read(dev, PCI_CACHE_LINE_SIZE, &cache_line, 1);
		if (r == 0)
			r = udrv_config_read(dev, PCI_INTERRUPT_LINE, &line, 1);
	}
	if (r == 0)
		r = bench_floor_start(&f);
	else
		f = (struct bench_floor){.fd = -1, .pid = -1};
	for (unsigned b = 1; r == 0 && b <= opt->batches; b++) {
		r = bench_turn_begin(turns);
		for (int k = 0; r == 0 && k < kinds; k++) {
			for (unsigned i = 0; r == 0 && i < opt->warmup + opt->pings; i++) {
				uint64_t t0 = bench_now_ns(), ns;

				r = rpc_once(dev, k, i, cache_line);
				ns = bench_now_ns() - t0;
				if (r == 0 && i >= opt->warmup) {
					bench_sample(out, "rpc", rpc_variant[k], ns, b);
					t[k][n[k]++] = ns;
				}
			}
			if (r < 0)
				fprintf(stderr, "bench-udrv: %s: %s\n", rpc_variant[k],
					strerror(-r));
			if (r == 0 && k == RPC_PING)
				r = bench_floor_batch(&f, out, opt->pings, opt->warmup, b, base,
						      &n_floor);
		}
		if (r == 0)
			r = bench_turn_end(turns);
	}
	r2 = bench_floor_stop(&f);
	if (r == 0 && r2 < 0)
		r = r2;
	if (r == 0 && opt->config) { /* as the lease found them */
		r = udrv_config_write(dev, PCI_CACHE_LINE_SIZE, &cache_line, 1);
		if (r == 0)
			r = udrv_config_write(dev, PCI_INTERRUPT_LINE, &line, 1);
	}
	if (r == 0) {
		char label[64];

		for (int k = 0; k < kinds; k++) {
			snprintf(label, sizeof(label), "rpc %s", rpc_variant[k]);
			bench_print_latency(label, t[k], n[k]);
		}
		bench_print_latency("rpc socketpair", base, n_floor);
	}
	for (int k = 0; k < _RPC_MAX; k++)
		free(t[k]);
	free(base);
	return r;
}

/* BATCHES batches re-enabled with udrv_irq_enable(); with --async each is followed by one
 * re-enabled with udrv_irq_enable_async(), numbered so that bench-direct's batches pair up. */
static int run_irqs(FILE *out, struct udrv_device *dev, volatile uint32_t *regs, int fd,
		    const struct options *opt, struct bench_turns *turns)
{
	size_t cap = (size_t)opt->batches * opt->irqs;
	struct bench_irq_stats sync, async;
	int r;

	r = bench_irq_stats_init(&sync, cap);
	if (r < 0)
		return r;
	r = bench_irq_stats_init(&async, opt->async ? cap : 0);
	if (r < 0) {
		bench_irq_stats_done(&sync, "udrv");
		return r;
	}
	for (unsigned b = 1; r == 0 && b <= opt->batches; b++) {
		r = bench_irq_batch(out, "udrv", regs, fd, enable_sync, dev, opt->irqs, opt->warmup,
				    opt->timeout_ms, opt->async ? 2 * b - 1 : b, turns, &sync);
		if (r < 0)
			fprintf(stderr, "bench-udrv: interrupts with udrv_irq_enable: %s\n",
				strerror(-r));
		else if (opt->async) {
			r = bench_irq_batch(out, "udrv-async", regs, fd, enable_async, dev,
					    opt->irqs, opt->warmup, opt->timeout_ms, 2 * b, turns,
					    &async);
			if (r < 0)
				fprintf(stderr,
					"bench-udrv: interrupts with udrv_irq_enable_async: %s\n",
					strerror(-r));
		}
	}
	bench_irq_stats_done(&sync, "udrv");
	if (opt->async)
		bench_irq_stats_done(&async, "udrv-async");
	else
		bench_irq_stats_done(&async, NULL);
	return r;
}

/* One batch of N wake-ups, from READ_ONE: each sample is |interval - PERIOD| (ns), the jitter
 * of a periodic wake-up; *RET_LATE counts reads that found more than one tick. */
static int tick_batch(FILE *out, const char *variant, int (*read_one)(void *, uint64_t *),
		      void *userdata, unsigned n, uint64_t period, unsigned batch, uint64_t *all,
		      size_t *n_all, unsigned *ret_late)
{
	uint64_t prev = 0, ticks;
	int r;

	for (unsigned i = 0; i <= n; i++) { /* the first read only starts the clock */
		uint64_t now, d;

		r = read_one(userdata, &ticks);
		if (r < 0)
			return r;
		now = bench_now_ns();
		if (ticks > 1)
			(*ret_late)++;
		if (i > 0) {
			d = now - prev;
			d = d > period ? d - period : period - d;
			bench_sample(out, "tick", variant, d, batch);
			all[(*n_all)++] = d;
		}
		prev = now;
	}
	return 0;
}

static int read_lease(void *userdata, uint64_t *ret)
{
	return udrv_irq_read(userdata, ret);
}

static int read_timerfd(void *userdata, uint64_t *ret)
{
	return read(*(int *)userdata, ret, sizeof(*ret)) == sizeof(*ret) ? 0 : -(errno ?: EIO);
}

/* Interrupts=poll: BATCHES batches of TICKS wake-ups of the lease's irq fd, each followed by a
 * batch of a timerfd of this process's own at the same period (the baseline: the kernel's
 * timer with nobody in between). */
static int run_ticks(FILE *out, struct udrv_device *dev, const struct options *opt)
{
	uint64_t period = (uint64_t)opt->tick_period_us * 1000;
	size_t total = (size_t)opt->batches * opt->ticks, n_lease = 0, n_timer = 0;
	uint64_t *lease = calloc(total, sizeof(*lease)), *timer = calloc(total, sizeof(*timer));
	struct itimerspec its = {.it_interval = {.tv_nsec = (long)(period % 1000000000),
						 .tv_sec = (time_t)(period / 1000000000)}};
	unsigned late_lease = 0, late_timer = 0;
	const char *irq;
	int tfd = -1, r = 0;

	if (!lease || !timer)
		r = -ENOMEM;
	irq = udrv_device_info(dev, "irq");
	if (r == 0 && (!irq || strcmp(irq, "poll") != 0)) {
		fprintf(stderr,
			"bench-udrv: --ticks needs a lease with Interrupts=poll (irq is %s)\n",
			irq ?: "unknown");
		r = -EINVAL;
	}
	if (r == 0) {
		tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
		its.it_value = its.it_interval;
		if (tfd < 0 || timerfd_settime(tfd, 0, &its, NULL) < 0)
			r = -errno;
	}
	for (unsigned b = 1; r == 0 && b <= opt->batches; b++) {
		r = tick_batch(out, "udrv-poll", read_lease, dev, opt->ticks, period, b, lease,
			       &n_lease, &late_lease);
		if (r == 0)
			r = tick_batch(out, "timerfd", read_timerfd, &tfd, opt->ticks, period, b,
				       timer, &n_timer, &late_timer);
	}
	if (r == 0) {
		bench_print_latency("tick udrv-poll (|interval - period|)", lease, n_lease);
		bench_print_latency("tick timerfd (|interval - period|)", timer, n_timer);
		printf("ticks: reads that found more than one tick: %u of %zu (udrv), %u of %zu "
		       "(timerfd)\n",
		       late_lease, n_lease, late_timer, n_timer);
	}
	if (tfd >= 0)
		close(tfd);
	free(lease);
	free(timer);
	return r;
}

static int run(FILE *out, struct udrv_device *dev, const struct options *opt,
	       struct bench_turns *turns)
{
	volatile uint32_t *regs;
	void *addr;
	size_t len;
	int fd, r;

	r = udrv_map_bar(dev, 0, &addr, &len);
	if (r < 0) {
		fprintf(stderr, "bench-udrv: udrv_map_bar: %s\n", strerror(-r));
		return r;
	}
	if (len < EDU_BAR0_MIN_SIZE) {
		fprintf(stderr, "bench-udrv: BAR0 is only %zu bytes: not an edu device\n", len);
		return -ENODEV;
	}
	regs = addr;
	if (opt->rounds > 0) {
		r = bench_mmio(out, "udrv", regs, opt->rounds, opt->iterations, turns);
		if (r < 0) {
			fprintf(stderr, "bench-udrv: MMIO rounds: %s\n", strerror(-r));
			return r;
		}
	}
	if (opt->irqs > 0) {
		fd = udrv_irq_fd(dev);
		if (fd < 0) {
			fprintf(stderr, "bench-udrv: udrv_irq_fd: %s\n", strerror(-fd));
			return fd;
		}
		r = run_irqs(out, dev, regs, fd, opt, turns);
		if (r < 0)
			return r;
	}
	if (opt->pings > 0) {
		r = run_pings(out, dev, opt, turns);
		if (r < 0)
			fprintf(stderr, "bench-udrv: udrv_ping and the socketpair floor: %s\n",
				strerror(-r));
	}
	if (r == 0 && opt->ticks > 0) {
		r = run_ticks(out, dev, opt);
		if (r < 0)
			fprintf(stderr, "bench-udrv: poll-mode wake-ups: %s\n", strerror(-r));
	}
	return r;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: bench-udrv [--slot SLOT] [--samples FILE] [--turns WAIT,GIVE [--first]]\n"
		"         [--rounds N] [--iterations N] [--batches N] [--irqs N] [--async]\n"
		"         [--pings N] [--config] [--ticks N [--tick-period-us US]] [--warmup N]\n"
		"         [--timeout MS]\n"
		"Measures QEMU's edu device through libudrv: ROUNDS MMIO rounds of ITERATIONS\n"
		"write and read-back pairs on BAR0 (udrv_map_bar); BATCHES batches of IRQS\n"
		"interrupt round trips re-enabled with udrv_irq_enable (or, with --async,\n"
		"udrv_irq_enable_async); then BATCHES batches of PINGS udrv_ping round trips,\n"
		"each followed by as many on a socketpair to a forked echo process (the floor)\n"
		"and, with --config, by as many mediated config writes (to the device, to\n"
		"udrvd's shadow) and reads; then, on an Interrupts=poll lease, BATCHES batches of\n"
		"TICKS wake-ups of the irq fd, each followed by as many of a timerfd at the same\n"
		"period (TICK-PERIOD-US, default 1000). A count of 0 skips that part. --turns\n"
		"takes turns with bench-direct, round by round and batch by batch (see\n"
		"bench/bench.scenario). SLOT defaults to the lease inherited from 'udrvctl\n"
		"grant SLOT -- bench-udrv'. Raw samples are appended to FILE (default stdout)\n"
		"as METRIC<TAB>VARIANT<TAB>VALUE<TAB>BATCH.\n");
}

static int parse_options(int argc, char **argv, struct options *opt)
{
	static const struct option options[] = {
		{"slot", required_argument, NULL, 's'},
		{"samples", required_argument, NULL, 'o'},
		{"turns", required_argument, NULL, 'T'},
		{"first", no_argument, NULL, 'F'},
		{"rounds", required_argument, NULL, 'r'},
		{"iterations", required_argument, NULL, 'n'},
		{"batches", required_argument, NULL, 'b'},
		{"irqs", required_argument, NULL, 'i'},
		{"async", no_argument, NULL, 'a'},
		{"config", no_argument, NULL, 'c'},
		{"ticks", required_argument, NULL, 'k'},
		{"tick-period-us", required_argument, NULL, 'P'},
		{"pings", required_argument, NULL, 'p'},
		{"warmup", required_argument, NULL, 'w'},
		{"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	unsigned timeout = 5000;
	int c;

	*opt = (struct options){.rounds = 100,
				.iterations = 50000,
				.batches = 30,
				.irqs = 100,
				.pings = 100,
				.tick_period_us = 1000,
				.warmup = 10};
	while ((c = getopt_long(argc, argv, "s:o:T:Fr:n:b:i:acp:k:P:w:t:h", options, NULL)) >= 0) {
		int r = 0;

		switch (c) {
		case 's':
			opt->slot = optarg;
			break;
		case 'o':
			opt->samples = optarg;
			break;
		case 'T':
			opt->turns = optarg;
			break;
		case 'F':
			opt->first = true;
			break;
		case 'r':
			r = bench_parse_uint(optarg, 0, 1000, &opt->rounds);
			break;
		case 'n':
			r = bench_parse_uint(optarg, 1, 100000000, &opt->iterations);
			break;
		case 'b':
			r = bench_parse_uint(optarg, 1, 1000, &opt->batches);
			break;
		case 'i':
			r = bench_parse_uint(optarg, 0, 1000000, &opt->irqs);
			break;
		case 'a':
			opt->async = true;
			break;
		case 'c':
			opt->config = true;
			break;
		case 'k':
			r = bench_parse_uint(optarg, 0, 1000000, &opt->ticks);
			break;
		case 'P':
			r = bench_parse_uint(optarg, 10, 10000000, &opt->tick_period_us);
			break;
		case 'p':
			r = bench_parse_uint(optarg, 0, 1000000, &opt->pings);
			break;
		case 'w':
			r = bench_parse_uint(optarg, 0, 100000, &opt->warmup);
			break;
		case 't':
			r = bench_parse_uint(optarg, 1, 3600000, &timeout);
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_SUCCESS);
		default:
			usage(stderr);
			return -EINVAL;
		}
		if (r < 0) {
			fprintf(stderr, "bench-udrv: bad number '%s'\n", optarg);
			return r;
		}
	}
	opt->timeout_ms = (int)timeout;
	if (optind < argc) {
		fprintf(stderr, "bench-udrv: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct bench_turns turns;
	struct udrv_device *dev;
	struct udrv_error error;
	struct options opt;
	FILE *out;
	int r;

	if (parse_options(argc, argv, &opt) < 0)
		return 2;
	r = bench_turns_open(&turns, opt.turns, opt.first);
	if (r < 0) {
		fprintf(stderr, "bench-udrv: --turns %s: %s\n", opt.turns, strerror(-r));
		return 1;
	}
	out = bench_open_samples(opt.samples);
	if (!out) {
		fprintf(stderr, "bench-udrv: cannot open %s: %s\n", opt.samples, strerror(errno));
		return 1;
	}
	r = udrv_open_error(opt.slot, &dev, &error);
	if (r < 0) {
		fprintf(stderr, "bench-udrv: cannot open the device: %s\n", error.message);
		(void)bench_close_samples(out);
		return 1;
	}
	r = run(out, dev, &opt, &turns);
	udrv_close(dev);
	bench_turns_close(&turns);
	if (bench_close_samples(out) < 0 && r == 0) {
		fprintf(stderr, "bench-udrv: cannot write the samples\n");
		r = -EIO;
	}
	return r < 0 ? 1 : 0;
}
