/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The root baselines, written on raw sysfs, mmap, pread and pwrite: what DPDK does without udrv. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench-util.h"

#define SYS_PCI "/sys/bus/pci"
#define UIO_DRIVER "uio_pci_generic"
#define PCI_COMMAND_HI 5		 /* high byte of the Command register */
#define PCI_COMMAND_HI_INTX_DISABLE 0x04 /* Command bit 10 */
#define ATTACH_TIMEOUT_S 30

struct options {
	const char *slot;
	const char *samples, *turns;
	bool first, attach, reset;
	unsigned rounds, iterations, batches, irqs, warmup, bind_cycles;
	unsigned config_batches, config_writes; /* root's pwrite of the cache line size */
	int timeout_ms;
};

/* "DDDD:BB:DD.F" in lower-case hex, nothing else: the slot becomes part of sysfs paths. */
static bool slot_valid(const char *s)
{
	static const char pattern[] = "xxxx:xx:xx.x";

	if (strlen(s) != sizeof(pattern) - 1)
		return false;
	for (size_t i = 0; pattern[i]; i++)
		if (pattern[i] == 'x' ? !strchr("0123456789abcdef", s[i]) : s[i] != pattern[i])
			return false;
	return true;
}

/* Writes STRING to a sysfs attribute in one write(); 0 or -errno. */
static int write_attr(const char *path, const char *string)
{
	size_t len = strlen(string);
	ssize_t n;
	int fd, r = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, string, len);
	if (n < 0)
		r = -errno;
	else if ((size_t)n != len)
		r = -EIO;
	close(fd);
	return r;
}

/* The name of the driver SLOT is bound to, "" when none. */
static int current_driver(const char *slot, char *buf, size_t size)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *name;
	size_t len;
	ssize_t n;

	snprintf(path, sizeof(path), SYS_PCI "/devices/%s/driver", slot);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0) {
		if (errno != ENOENT)
			return -errno;
		buf[0] = '\0';
		return 0;
	}
	target[n] = '\0';
	name = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
	len = strlen(name);
	if (len >= size)
		return -ENAMETOOLONG;
	memcpy(buf, name, len + 1);
	return 0;
}

static int unbind(const char *slot, const char *driver)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), SYS_PCI "/drivers/%s/unbind", driver);
	return write_attr(path, slot);
}

/* Binds SLOT to uio_pci_generic the way dpdk-devbind.py does: driver_override, bind, clear. */
static int bind_uio(const char *slot)
{
	char path[PATH_MAX];
	int r;

	snprintf(path, sizeof(path), SYS_PCI "/devices/%s/driver_override", slot);
	r = write_attr(path, UIO_DRIVER);
	if (r < 0)
		return r;
	r = write_attr(SYS_PCI "/drivers/" UIO_DRIVER "/bind", slot);
	(void)write_attr(path, "\n"); /* clears the override */
	return r;
}

/* One cycle of the sysfs writes a root tool needs: bind to uio_pci_generic, then unbind. With
 * --reset, all of udrvd's kernel work: two function resets in between (on open, on close). */
static int bind_cycles(FILE *out, const struct options *opt)
{
	char variant[64], reset[PATH_MAX];
	int r = 0;

	snprintf(variant, sizeof(variant), "%s %s", opt->reset ? "sysfs+reset" : "sysfs",
		 opt->slot);
	snprintf(reset, sizeof(reset), SYS_PCI "/devices/%s/reset", opt->slot);
	for (unsigned i = 0; r == 0 && i < opt->warmup + opt->bind_cycles; i++) {
		uint64_t t0 = bench_now_ns();

		r = bind_uio(opt->slot);
		if (r == 0 && opt->reset)
			r = write_attr(reset, "1");
		if (r == 0 && opt->reset)
			r = write_attr(reset, "1");
		if (r == 0)
			r = unbind(opt->slot, UIO_DRIVER);
		if (r == 0 && i >= opt->warmup)
			bench_sample(out, "grant", variant, bench_now_ns() - t0, i);
	}
	if (r < 0)
		fprintf(stderr, "bench-direct: binding %s to " UIO_DRIVER " and back: %s\n",
			opt->slot, strerror(-r));
	return r;
}

/* Opens /dev/uioN of SLOT (bound to uio_pci_generic). */
static int open_uio(const char *slot)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int fd = -ENOENT;

	snprintf(path, sizeof(path), SYS_PCI "/devices/%s/uio", slot);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (strncmp(de->d_name, "uio", 3) == 0) {
			snprintf(path, sizeof(path), "/dev/%s", de->d_name);
			fd = open(path, O_RDWR | O_CLOEXEC);
			if (fd < 0)
				fd = -errno;
			break;
		}
	closedir(d);
	return fd;
}

/* DPDK's uio_intx_intr_enable(): read the Command register's high byte, clear INTx Disable. */
static int enable_direct(void *userdata)
{
	int cfg = *(int *)userdata;
	unsigned char hi;

	if (pread(cfg, &hi, 1, PCI_COMMAND_HI) != 1)
		return -(errno ?: EIO);
	hi &= (unsigned char)~PCI_COMMAND_HI_INTX_DISABLE;
	if (pwrite(cfg, &hi, 1, PCI_COMMAND_HI) != 1)
		return -(errno ?: EIO);
	return 0;
}

/* CONFIG_BATCHES turns of CONFIG_WRITES timed pwrites of the cache line size on sysfs config
 * (1 byte, a change every time): what udrvd itself does for a holder's mediated write. */
static int config_writes(FILE *out, int cfg, const struct options *opt, struct bench_turns *turns)
{
	size_t cap = (size_t)opt->config_batches * opt->config_writes, n = 0;
	uint64_t *all = calloc(cap ?: 1, sizeof(*all));
	uint8_t cache_line;
	int r = 0;

	if (!all)
		return -ENOMEM;
	if (pread(cfg, &cache_line, 1, PCI_CACHE_LINE_SIZE) != 1)
		r = -(errno ?: EIO);
	for (unsigned b = 1; r == 0 && b <= opt->config_batches; b++) {
		r = bench_turn_begin(turns);
		for (unsigned i = 0; r == 0 && i < opt->warmup + opt->config_writes; i++) {
			uint8_t v = (uint8_t)(cache_line + 1 + (i & 1));
			uint64_t t0 = bench_now_ns(), ns;

			if (pwrite(cfg, &v, 1, PCI_CACHE_LINE_SIZE) != 1)
				r = -(errno ?: EIO);
			ns = bench_now_ns() - t0;
			if (r == 0 && i >= opt->warmup) {
				bench_sample(out, "rpc", "pwrite", ns, b);
				all[n++] = ns;
			}
		}
		if (r == 0)
			r = bench_turn_end(turns);
	}
	if (pwrite(cfg, &cache_line, 1, PCI_CACHE_LINE_SIZE) != 1 && r == 0)
		r = -(errno ?: EIO);
	if (r == 0)
		bench_print_latency("rpc pwrite", all, n);
	free(all);
	return r;
}

static int run(FILE *out, const struct options *opt, struct bench_turns *turns)
{
	struct bench_irq_stats stats;
	char path[PATH_MAX];
	volatile uint32_t *regs;
	void *addr = MAP_FAILED;
	struct stat st;
	int bar = -1, cfg = -1, uio = -1, r;

	snprintf(path, sizeof(path), SYS_PCI "/devices/%s/resource0", opt->slot);
	bar = open(path, O_RDWR | O_SYNC | O_CLOEXEC);
	if (bar < 0 || fstat(bar, &st) < 0) {
		r = -errno;
		fprintf(stderr, "bench-direct: %s: %s\n", path, strerror(-r));
		goto out;
	}
	if ((size_t)st.st_size < EDU_BAR0_MIN_SIZE) {
		fprintf(stderr, "bench-direct: %s is only %lld bytes: not an edu device\n", path,
			(long long)st.st_size);
		r = -ENODEV;
		goto out;
	}
	addr = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, bar, 0);
	if (addr == MAP_FAILED) {
		r = -errno;
		fprintf(stderr, "bench-direct: mmap %s: %s\n", path, strerror(-r));
		goto out;
	}
	regs = addr;
	snprintf(path, sizeof(path), SYS_PCI "/devices/%s/config", opt->slot);
	cfg = open(path, O_RDWR | O_CLOEXEC);
	if (cfg < 0) {
		r = -errno;
		fprintf(stderr, "bench-direct: %s: %s\n", path, strerror(-r));
		goto out;
	}
	uio = open_uio(opt->slot);
	if (uio < 0) {
		r = uio;
		fprintf(stderr, "bench-direct: no /dev/uioN for %s: %s\n", opt->slot, strerror(-r));
		goto out;
	}
	r = bench_mmio(out, "direct", regs, opt->rounds, opt->iterations, turns);
	if (r < 0) {
		fprintf(stderr, "bench-direct: MMIO rounds: %s\n", strerror(-r));
		goto out;
	}
	r = bench_irq_stats_init(&stats, (size_t)opt->batches * opt->irqs);
	for (unsigned b = 1; r == 0 && b <= opt->batches; b++)
		r = bench_irq_batch(out, "direct", regs, uio, enable_direct, &cfg, opt->irqs,
				    opt->warmup, opt->timeout_ms, b, turns, &stats);
	bench_irq_stats_done(&stats, r == 0 ? "direct" : NULL);
	if (r < 0)
		fprintf(stderr, "bench-direct: interrupts: %s\n", strerror(-r));
	if (r == 0 && opt->config_batches > 0) {
		r = config_writes(out, cfg, opt, turns);
		if (r < 0)
			fprintf(stderr, "bench-direct: config writes: %s\n", strerror(-r));
	}
out:
	if (addr != MAP_FAILED)
		munmap(addr, (size_t)st.st_size);
	if (uio >= 0)
		close(uio);
	if (cfg >= 0)
		close(cfg);
	if (bar >= 0)
		close(bar);
	return r;
}

/* --attach: waits (up to ATTACH_TIMEOUT_S) until someone else, udrvd, has bound SLOT to
 * uio_pci_generic and its probe has registered /dev/uioN (the driver link comes first),
 * then runs on it as is. */
static int run_attached(FILE *out, const struct options *opt, struct bench_turns *turns)
{
	char driver[NAME_MAX + 1];
	int r, uio;

	for (unsigned i = 0;; i++) {
		r = current_driver(opt->slot, driver, sizeof(driver));
		if (r < 0) {
			fprintf(stderr, "bench-direct: %s: cannot read its driver: %s\n", opt->slot,
				strerror(-r));
			return r;
		}
		if (strcmp(driver, UIO_DRIVER) == 0) {
			uio = open_uio(opt->slot);
			if (uio >= 0) {
				close(uio);
				break;
			}
		}
		if (i == ATTACH_TIMEOUT_S * 100) {
			fprintf(stderr,
				"bench-direct: %s has no " UIO_DRIVER " device after %d s\n",
				opt->slot, ATTACH_TIMEOUT_S);
			return -ETIMEDOUT;
		}
		usleep(10000);
	}
	return run(out, opt, turns);
}

/* Binds SLOT to uio_pci_generic (if it is not already), runs, and puts the binding back. */
static int run_bound(FILE *out, const struct options *opt, struct bench_turns *turns)
{
	char original[NAME_MAX + 1], path[PATH_MAX];
	int r;

	snprintf(path, sizeof(path), SYS_PCI "/devices/%s", opt->slot);
	if (access(path, F_OK) < 0) {
		r = -errno;
		fprintf(stderr, "bench-direct: %s: %s\n", path, strerror(-r));
		return r;
	}
	r = current_driver(opt->slot, original, sizeof(original));
	if (r < 0) {
		fprintf(stderr, "bench-direct: %s: cannot read its driver: %s\n", opt->slot,
			strerror(-r));
		return r;
	}
	if (strcmp(original, UIO_DRIVER) != 0) {
		if (original[0] && (r = unbind(opt->slot, original)) < 0) {
			fprintf(stderr, "bench-direct: unbinding %s from %s: %s\n", opt->slot,
				original, strerror(-r));
			return r;
		}
		r = bind_uio(opt->slot);
		if (r < 0) {
			fprintf(stderr, "bench-direct: binding %s to " UIO_DRIVER ": %s\n",
				opt->slot, strerror(-r));
			return r;
		}
	}
	r = run(out, opt, turns);
	if (strcmp(original, UIO_DRIVER) != 0) {
		(void)unbind(opt->slot, UIO_DRIVER);
		if (original[0]) {
			snprintf(path, sizeof(path), SYS_PCI "/drivers/%s/bind", original);
			(void)write_attr(path, opt->slot);
		}
	}
	return r;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: bench-direct --slot SLOT [--attach] [--samples FILE]\n"
		"         [--turns WAIT,GIVE [--first]] [--rounds N] [--iterations N]\n"
		"         [--batches N] [--irqs N] [--config-batches N --config-writes N]\n"
		"         [--warmup N] [--timeout MS]\n"
		"       bench-direct --slot SLOT --bind-cycles N [--reset] [--samples FILE]\n"
		"         [--warmup N]\n"
		"As root and without udrv, the way DPDK does it, on the edu device at SLOT\n"
		"(DDDD:BB:DD.F): binds it to " UIO_DRIVER " (with --attach: waits until\n"
		"someone else has), mmaps resource0 for ROUNDS MMIO rounds of ITERATIONS write\n"
		"and read-back pairs, runs BATCHES batches of IRQS interrupt round trips on\n"
		"/dev/uioN re-enabled with pread and pwrite of config byte 5, then CONFIG-BATCHES\n"
		"batches of CONFIG-WRITES pwrites of the cache line size, and restores the\n"
		"binding. --turns takes turns with bench-udrv (same counts on both sides).\n"
		"--bind-cycles times N bind and unbind cycles instead; --reset adds two writes\n"
		"to the function's sysfs reset to each (udrvd's kernel work). Raw samples are\n"
		"appended to FILE (default stdout) as METRIC<TAB>VARIANT<TAB>VALUE<TAB>BATCH.\n");
}

static int parse_options(int argc, char **argv, struct options *opt)
{
	static const struct option options[] = {
		{"slot", required_argument, NULL, 's'},
		{"attach", no_argument, NULL, 'A'},
		{"samples", required_argument, NULL, 'o'},
		{"turns", required_argument, NULL, 'T'},
		{"first", no_argument, NULL, 'F'},
		{"rounds", required_argument, NULL, 'r'},
		{"iterations", required_argument, NULL, 'n'},
		{"batches", required_argument, NULL, 'B'},
		{"irqs", required_argument, NULL, 'i'},
		{"warmup", required_argument, NULL, 'w'},
		{"timeout", required_argument, NULL, 't'},
		{"bind-cycles", required_argument, NULL, 'b'},
		{"reset", no_argument, NULL, 'R'},
		{"config-batches", required_argument, NULL, 'C'},
		{"config-writes", required_argument, NULL, 'W'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	unsigned timeout = 5000;
	int c;

	*opt = (struct options){.rounds = 100,
				.iterations = 50000,
				.batches = 30,
				.irqs = 100,
				.warmup = 10,
				.config_writes = 100};
	while ((c = getopt_long(argc, argv, "s:Ao:T:Fr:n:B:i:w:t:b:RC:W:h", options, NULL)) >= 0) {
		int r = 0;

		switch (c) {
		case 's':
			opt->slot = optarg;
			break;
		case 'A':
			opt->attach = true;
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
		case 'B':
			r = bench_parse_uint(optarg, 1, 1000, &opt->batches);
			break;
		case 'r':
			r = bench_parse_uint(optarg, 1, 1000, &opt->rounds);
			break;
		case 'n':
			r = bench_parse_uint(optarg, 1, 100000000, &opt->iterations);
			break;
		case 'i':
			r = bench_parse_uint(optarg, 1, 1000000, &opt->irqs);
			break;
		case 'w':
			r = bench_parse_uint(optarg, 0, 100000, &opt->warmup);
			break;
		case 't':
			r = bench_parse_uint(optarg, 1, 3600000, &timeout);
			break;
		case 'b':
			r = bench_parse_uint(optarg, 1, 1000000, &opt->bind_cycles);
			break;
		case 'R':
			opt->reset = true;
			break;
		case 'C':
			r = bench_parse_uint(optarg, 0, 1000, &opt->config_batches);
			break;
		case 'W':
			r = bench_parse_uint(optarg, 1, 1000000, &opt->config_writes);
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_SUCCESS);
		default:
			usage(stderr);
			return -EINVAL;
		}
		if (r < 0) {
			fprintf(stderr, "bench-direct: bad number '%s'\n", optarg);
			return r;
		}
	}
	opt->timeout_ms = (int)timeout;
	if (optind < argc) {
		fprintf(stderr, "bench-direct: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (!opt->slot || !slot_valid(opt->slot)) {
		fprintf(stderr, "bench-direct: --slot DDDD:BB:DD.F (lower-case hex) is required\n");
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct bench_turns turns;
	struct options opt;
	FILE *out;
	int r;

	if (parse_options(argc, argv, &opt) < 0)
		return 2;
	r = bench_turns_open(&turns, opt.turns, opt.first);
	if (r < 0) {
		fprintf(stderr, "bench-direct: --turns %s: %s\n", opt.turns, strerror(-r));
		return 1;
	}
	out = bench_open_samples(opt.samples);
	if (!out) {
		fprintf(stderr, "bench-direct: cannot open %s: %s\n", opt.samples, strerror(errno));
		return 1;
	}
	if (opt.bind_cycles)
		r = bind_cycles(out, &opt);
	else if (opt.attach)
		r = run_attached(out, &opt, &turns);
	else
		r = run_bound(out, &opt, &turns);
	bench_turns_close(&turns);
	if (bench_close_samples(out) < 0 && r == 0) {
		fprintf(stderr, "bench-direct: cannot write the samples\n");
		r = -EIO;
	}
	return r < 0 ? 1 : 0;
}
