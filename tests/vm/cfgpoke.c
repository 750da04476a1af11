/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* VM test helper: pokes a leased function's config space through libudrv's public API, checks
 * each answer, and times mediated config writes against their floors. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "udrv.h"

/*
 * cfgpoke SLOT VERB... runs the verbs in order on a lease of SLOT and prints one line per check,
 * "PASS<TAB>what" or "FAIL<TAB>what<TAB>why" (tests/vm/lib.sh's record_lines reads them):
 *   flip OFF LEN MASK RESULT   write the current value XOR MASK; RESULT is ok or an errno name
 *   set OFF LEN VALUE RESULT   write VALUE
 *   expect OFF LEN VALUE       read and compare
 *   size OFF MASK              BAR sizing: all-ones reads back MASK, the old value restores
 *   mmio OFF MASK VALUE        a 32-bit read of BAR0 at OFF, masked, equals VALUE
 *   intx N                     edu only: N interrupts raised in BAR0, each waited for on the
 *                              irq fd, acknowledged, the next one raised while masked, and
 *                              unmasked DPDK-style: a 1-byte config write clearing INTx Disable
 *   sync NAME                  create NAME.ready, wait for NAME.go (lets root look meanwhile)
 *   bench N                    time N rounds, interleaved, of: a bare SOCK_SEQPACKET round
 *                              trip, udrv_ping, a mediated write reaching the device (cache
 *                              line size), one kept in the shadow (interrupt line), a read
 * cfgpoke --sysfs-bench N SLOT (as root) times N pwrites of the cache line size on sysfs config,
 * and N round trips to a process that does that pwrite before it answers (no checks at all).
 * Numbers come as "# " lines. Exit status 1 when a check failed, 2 on bad usage.
 */

static unsigned failures;

static void result(bool ok, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void result(bool ok, const char *what, const char *fmt, ...)
{
	va_list ap;

	printf("%s\t%s", ok ? "PASS" : "FAIL", what);
	if (!ok) {
		putchar('\t');
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		failures++;
	}
	putchar('\n');
	fflush(stdout);
}

static const char *err_name(int r)
{
	static char buf[16];

	switch (r) {
	case 0:
		return "ok";
	case -EPERM:
		return "EPERM";
	case -EIO:
		return "EIO";
	case -EINVAL:
		return "EINVAL";
	}
	snprintf(buf, sizeof(buf), "%d", r);
	return buf;
}

static uint32_t num(const char *s)
{
	return (uint32_t)strtoul(s, NULL, 0);
}

static int cfg_read(struct udrv_device *dev, unsigned off, unsigned len, uint32_t *ret)
{
	uint8_t b[4] = {0};
	int r = udrv_config_read(dev, off, b, len);

	*ret = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	return r;
}

static int cfg_write(struct udrv_device *dev, unsigned off, unsigned len, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

	return udrv_config_write(dev, off, b, len);
}

static void verb_write(struct udrv_device *dev, unsigned off, unsigned len, uint32_t v, bool flip,
		       const char *want)
{
	char what[96];
	uint32_t cur = 0;
	int r = flip ? cfg_read(dev, off, len, &cur) : 0;

	if (flip)
		v ^= cur;
	snprintf(what, sizeof(what), "write 0x%0*x at 0x%x: %s", (int)len * 2, v, off, want);
	if (r == 0)
		r = cfg_write(dev, off, len, v);
	result(strcmp(err_name(r), want) == 0, what, "got %s", err_name(r));
}

static void verb_expect(struct udrv_device *dev, unsigned off, unsigned len, uint32_t want)
{
	char what[64];
	uint32_t v = 0;
	int r = cfg_read(dev, off, len, &v);

	snprintf(what, sizeof(what), "read 0x%x/%u is 0x%x", off, len, want);
	result(r == 0 && v == want, what, "got 0x%x (%s)", v, err_name(r));
}

static void verb_size(struct udrv_device *dev, unsigned off, uint32_t mask)
{
	char what[64];
	uint32_t old = 0, sized = 0, back = 0;
	int r = cfg_read(dev, off, 4, &old);

	if (r == 0)
		r = cfg_write(dev, off, 4, 0xffffffff);
	if (r == 0)
		r = cfg_read(dev, off, 4, &sized);
	if (r == 0)
		r = cfg_write(dev, off, 4, old);
	if (r == 0)
		r = cfg_read(dev, off, 4, &back);
	snprintf(what, sizeof(what), "BAR at 0x%x sizes to 0x%08x and restores", off, mask);
	result(r == 0 && sized == mask && back == old, what, "0x%x -> 0x%x -> 0x%x (%s)", old,
	       sized, back, err_name(r));
}

static void verb_mmio(struct udrv_device *dev, unsigned off, uint32_t mask, uint32_t want)
{
	char what[64];
	void *addr = NULL;
	size_t len = 0;
	uint32_t v = 0;
	int r = udrv_map_bar(dev, 0, &addr, &len);

	if (r == 0 && off + 4 <= len)
		v = ((volatile uint32_t *)addr)[off / 4];
	snprintf(what, sizeof(what), "BAR0 0x%x & 0x%x reads 0x%x", off, mask, want);
	result(r == 0 && (v & mask) == want, what, "got 0x%x (%s)", v, err_name(r));
}

/* Waits for the next interrupt; 0 or -ETIMEDOUT. */
static int wait_irq(struct udrv_device *dev)
{
	struct pollfd p = {.fd = udrv_irq_fd(dev), .events = POLLIN};
	uint64_t count;

	if (p.fd < 0)
		return p.fd;
	if (poll(&p, 1, 2000) <= 0)
		return -ETIMEDOUT;
	return udrv_irq_read(dev, &count);
}

/* Each interrupt after the first is raised while INTx is still masked, so the unmask itself
 * must deliver it (QEMU re-evaluates the line only for writes covering Command's low byte). */
static void verb_intx(struct udrv_device *dev, unsigned n)
{
	char what[80];
	volatile uint32_t *regs;
	void *addr = NULL;
	size_t len = 0;
	uint32_t cmd_hi = 0;
	unsigned got = 0;
	int r = udrv_map_bar(dev, 0, &addr, &len);

	regs = addr;
	if (r == 0)
		regs[0x60 / 4] = 1; /* raise */
	for (unsigned i = 0; i < n && r == 0; i++) {
		r = wait_irq(dev);
		if (r < 0)
			break;
		got++;
		regs[0x64 / 4] = regs[0x24 / 4]; /* acknowledge: the line drops */
		if (i + 1 < n)
			regs[0x60 / 4] = 1; /* the next one, pending behind INTx Disable */
		r = cfg_read(dev, 0x05, 1, &cmd_hi);
		if (r == 0)
			r = cfg_write(dev, 0x05, 1, cmd_hi & ~0x04u);
	}
	snprintf(what, sizeof(what), "%u interrupts, each unmasked by a 1-byte config write", n);
	result(r == 0 && got == n, what, "%u arrived (%s)", got, err_name(r));
}

static void verb_sync(const char *name)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s.ready", name);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
	snprintf(path, sizeof(path), "%s.go", name);
	for (int i = 0; i < 600 && access(path, F_OK) < 0; i++)
		usleep(50000);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Prints p50 and p99 of N samples in microseconds; returns p50 in ns. */
static uint64_t report(const char *name, uint64_t *t, unsigned n)
{
	qsort(t, n, sizeof(*t), cmp_u64);
	printf("# %-40s p50 %7.1f us  p99 %7.1f us  (n=%u)\n", name, t[n / 2] / 1000.0,
	       t[n * 99 / 100] / 1000.0, n);
	fflush(stdout);
	return t[n / 2];
}

/* The floor any mediated call pays: one request and one answer over SOCK_SEQPACKET, to a
 * process that does nothing else. Returns the client's end; the echo process ends with it. */
static int echo_start(pid_t *ret_pid)
{
	char msg[64];
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		exit(2);
	pid = fork();
	if (pid == 0) {
		ssize_t k;

		close(sv[0]);
		while ((k = recv(sv[1], msg, sizeof(msg), 0)) > 0)
			(void)send(sv[1], msg, (size_t)k, 0);
		_exit(0);
	}
	close(sv[1]);
	*ret_pid = pid;
	return sv[0];
}

enum { B_BARE, B_PING, B_WRITE, B_VIRT, B_READ, _B_MAX };

/* One round of each, interleaved, so that drift in a TCG guest hits them alike. */
static int bench_round(struct udrv_device *dev, int echo, unsigned i, uint32_t cl,
		       uint64_t *t[_B_MAX])
{
	char msg[20] = {0};
	uint64_t t0;
	uint32_t v;
	int r;

	t0 = now_ns();
	if (send(echo, msg, sizeof(msg), 0) < 0 || recv(echo, msg, sizeof(msg), 0) < 0)
		return -EIO;
	t[B_BARE][i] = now_ns() - t0;
	t0 = now_ns();
	r = udrv_ping(dev);
	t[B_PING][i] = now_ns() - t0;
	t0 = now_ns();
	/* Cache line size: checked, read-modify-written on the device, one byte. */
	r = r ?: cfg_write(dev, 0x0c, 1, (cl + 1 + (i & 1)) & 0xff);
	t[B_WRITE][i] = now_ns() - t0;
	t0 = now_ns();
	/* Interrupt line: checked, kept in udrvd's shadow. */
	r = r ?: cfg_write(dev, 0x3c, 1, i & 0xff);
	t[B_VIRT][i] = now_ns() - t0;
	t0 = now_ns();
	r = r ?: cfg_read(dev, 0x10, 4, &v);
	t[B_READ][i] = now_ns() - t0;
	return r;
}

static void verb_bench(struct udrv_device *dev, unsigned n)
{
	static const char *const names[_B_MAX] = {
		[B_BARE] = "bare SOCK_SEQPACKET round trip",
		[B_PING] = "udrv_ping (ctl round trip via udrvd)",
		[B_WRITE] = "mediated config write (1 byte, to hw)",
		[B_VIRT] = "mediated config write (1 byte, shadow)",
		[B_READ] = "mediated config read (4 bytes)",
	};
	uint64_t *t[_B_MAX], p50[_B_MAX];
	uint32_t cl = 0, line = 0;
	pid_t pid;
	int echo, r;

	for (int k = 0; k < _B_MAX; k++)
		if (n < 100 || !(t[k] = calloc(n, sizeof(uint64_t))))
			exit(2);
	echo = echo_start(&pid);
	r = cfg_read(dev, 0x0c, 1, &cl);
	r = r ?: cfg_read(dev, 0x3c, 1, &line);
	for (unsigned i = 0; i < n && r == 0; i++)
		r = bench_round(dev, echo, i, cl, t);
	r = r ?: cfg_write(dev, 0x0c, 1, cl);
	r = r ?: cfg_write(dev, 0x3c, 1, line);
	close(echo);
	waitpid(pid, NULL, 0);
	for (int k = 0; k < _B_MAX; k++) {
		p50[k] = report(names[k], t[k], n);
		free(t[k]);
	}
	printf("# mediated write p50 / bare round trip p50 = %.2f; / udrv_ping p50 = %.2f\n",
	       (double)p50[B_WRITE] / (double)p50[B_BARE],
	       (double)p50[B_WRITE] / (double)p50[B_PING]);
	result(r == 0, "benchmark ran", "%s", err_name(r));
}

/* A process that answers each packet after writing its first byte to the cache line size: the
 * floor of any mediated config write, with no checks at all. */
static int writer_start(int fd, pid_t *ret_pid)
{
	uint8_t msg[64];
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		exit(2);
	pid = fork();
	if (pid == 0) {
		ssize_t k;

		close(sv[0]);
		while ((k = recv(sv[1], msg, sizeof(msg), 0)) > 0) {
			if (pwrite(fd, msg, 1, 0x0c) != 1)
				_exit(1);
			(void)send(sv[1], msg, (size_t)k, 0);
		}
		_exit(0);
	}
	close(sv[1]);
	*ret_pid = pid;
	return sv[0];
}

/* Root's direct write, in a tight loop, and the same write done by another process between a
 * request and its answer. */
static int sysfs_bench(unsigned n, const char *slot)
{
	char path[128];
	uint64_t *t = calloc(n, sizeof(*t)), *u = calloc(n, sizeof(*u));
	uint8_t cl = 0, msg[20] = {0};
	int fd, w;
	pid_t pid;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", slot);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (!t || !u || n < 100 || fd < 0 || pread(fd, &cl, 1, 0x0c) != 1)
		return 2;
	w = writer_start(fd, &pid);
	for (unsigned i = 0; i < n; i++) {
		uint8_t v = (uint8_t)(cl + 1 + (i & 1));
		uint64_t t0 = now_ns();

		if (pwrite(fd, &v, 1, 0x0c) != 1)
			return 1;
		t[i] = now_ns() - t0;
		msg[0] = v;
		t0 = now_ns();
		if (send(w, msg, sizeof(msg), 0) < 0 || recv(w, msg, sizeof(msg), 0) < 0)
			return 1;
		u[i] = now_ns() - t0;
	}
	close(w);
	waitpid(pid, NULL, 0);
	(void)!pwrite(fd, &cl, 1, 0x0c);
	report("root pwrite on sysfs config (1 byte)", t, n);
	report("round trip to a process that pwrites", u, n);
	close(fd);
	free(t);
	free(u);
	return 0;
}

/* How many arguments VERB takes; -1 for no such verb. */
static int verb_args(const char *verb)
{
	static const struct {
		const char *name;
		int n;
	} verbs[] = {
		{"flip", 4}, {"set", 4},  {"expect", 3}, {"mmio", 3},
		{"size", 2}, {"sync", 1}, {"bench", 1},	 {"intx", 1},
	};

	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(verb, verbs[i].name))
			return verbs[i].n;
	return -1;
}

static int run(struct udrv_device *dev, int argc, char **argv)
{
	for (int i = 0; i < argc;) {
		const char *v = argv[i];
		int need = verb_args(v);
		char **a = argv + i + 1;

		if (need < 0 || i + need >= argc) {
			fprintf(stderr, "cfgpoke: bad verb or missing arguments at '%s'\n", v);
			return 2;
		}
		if (!strcmp(v, "flip") || !strcmp(v, "set"))
			verb_write(dev, num(a[0]), num(a[1]), num(a[2]), v[0] == 'f', a[3]);
		else if (!strcmp(v, "expect"))
			verb_expect(dev, num(a[0]), num(a[1]), num(a[2]));
		else if (!strcmp(v, "mmio"))
			verb_mmio(dev, num(a[0]), num(a[1]), num(a[2]));
		else if (!strcmp(v, "size"))
			verb_size(dev, num(a[0]), num(a[1]));
		else if (!strcmp(v, "sync"))
			verb_sync(a[0]);
		else if (!strcmp(v, "intx"))
			verb_intx(dev, num(a[0]));
		else
			verb_bench(dev, num(a[0]));
		i += need + 1;
	}
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct udrv_error err;
	struct udrv_device *dev = NULL;
	int r;

	if (argc == 4 && !strcmp(argv[1], "--sysfs-bench"))
		return sysfs_bench(num(argv[2]), argv[3]);
	if (argc < 2) {
		fprintf(stderr, "usage: cfgpoke SLOT VERB... | cfgpoke --sysfs-bench N SLOT\n");
		return 2;
	}
	r = udrv_open_error(argv[1], &dev, &err);
	if (r < 0) {
		printf("FAIL\tlease on %s\t%s: %s\n", argv[1], err.name, err.message);
		return 1;
	}
	r = run(dev, argc - 2, argv + 2);
	udrv_close(dev);
	return r;
}
