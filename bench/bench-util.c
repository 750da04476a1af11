/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The clock, raw samples, turns between programs, the edu workloads and the socketpair floor. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench-util.h"
#include "udrv-protocol.h"

#define TURN_TIMEOUT_MS 60000

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int bench_parse_uint(const char *s, unsigned min, unsigned max, unsigned *ret)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < min || v > max)
		return -EINVAL;
	*ret = (unsigned)v;
	return 0;
}

FILE *bench_open_samples(const char *path)
{
	if (!path || strcmp(path, "-") == 0)
		return stdout;
	return fopen(path, "ae");
}

void bench_sample(FILE *f, const char *metric, const char *variant, uint64_t value, unsigned batch)
{
	fprintf(f, "%s\t%s\t%llu\t%u\n", metric, variant, (unsigned long long)value, batch);
}

int bench_close_samples(FILE *f)
{
	int r = 0;

	if (fflush(f) != 0 || ferror(f))
		r = -(errno ?: EIO);
	if (f != stdout && fclose(f) != 0 && r == 0)
		r = -(errno ?: EIO);
	return r;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank, as bench/report.py computes it. V sorted, N > 0. */
static double percentile_us(const uint64_t *v, size_t n, unsigned p)
{
	size_t i = (n * p + 99) / 100;

	return (double)v[i ? i - 1 : 0] / 1000.0;
}

void bench_print_latency(const char *label, uint64_t *v, size_t n)
{
	if (n == 0)
		return;
	qsort(v, n, sizeof(*v), cmp_u64);
	printf("%s: n %zu, p50 %.1f us, p99 %.1f us\n", label, n, percentile_us(v, n, 50),
	       percentile_us(v, n, 99));
	fflush(stdout);
}

int bench_turns_open(struct bench_turns *t, const char *spec, bool first)
{
	char *wait_path, *give_path;
	int r = 0;

	*t = (struct bench_turns){.wait_fd = -1, .give_fd = -1, .first = first};
	if (!spec)
		return 0;
	wait_path = strdup(spec);
	if (!wait_path)
		return -ENOMEM;
	give_path = strchr(wait_path, ',');
	if (!give_path || !give_path[1] || give_path == wait_path) {
		free(wait_path);
		return -EINVAL;
	}
	*give_path++ = '\0';
	t->wait_fd = open(wait_path, O_RDWR | O_CLOEXEC);
	t->give_fd = open(give_path, O_RDWR | O_CLOEXEC);
	if (t->wait_fd < 0 || t->give_fd < 0) {
		r = -errno;
		bench_turns_close(t);
	}
	free(wait_path);
	return r;
}

/* Waits until FD is readable, then reads LEN bytes into BUF: 0, -ETIMEDOUT or -errno. */
static int wait_and_read(int fd, int timeout_ms, void *buf, size_t len)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int r;

	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -ETIMEDOUT;
	return read(fd, buf, len) == (ssize_t)len ? 0 : -(errno ?: EIO);
}

int bench_turn_begin(struct bench_turns *t)
{
	char c;

	if (t->wait_fd < 0)
		return 0;
	if (t->first) {
		t->first = false;
		return 0;
	}
	return wait_and_read(t->wait_fd, TURN_TIMEOUT_MS, &c, 1);
}

int bench_turn_end(struct bench_turns *t)
{
	if (t->give_fd < 0)
		return 0;
	return write(t->give_fd, "t", 1) == 1 ? 0 : -(errno ?: EIO);
}

void bench_turns_close(struct bench_turns *t)
{
	if (t->wait_fd >= 0)
		close(t->wait_fd);
	if (t->give_fd >= 0)
		close(t->give_fd);
	t->wait_fd = t->give_fd = -1;
}

uint64_t bench_mmio_round(volatile uint32_t *regs, unsigned iterations, unsigned *errors)
{
	unsigned bad = 0;
	uint64_t t0 = bench_now_ns();

	for (unsigned i = 0; i < iterations; i++) {
		regs[EDU_LIVENESS / 4] = i;
		bad += regs[EDU_LIVENESS / 4] != ~i;
	}
	*errors = bad;
	return bench_now_ns() - t0;
}

int bench_mmio(FILE *out, const char *variant, volatile uint32_t *regs, unsigned rounds,
	       unsigned iterations, struct bench_turns *turns)
{
	uint64_t *v = calloc(rounds, sizeof(*v));
	unsigned errors, total_errors = 0;
	int r;

	if (!v)
		return -ENOMEM;
	/* Round 0 warms up (TLB, page tables) and is not recorded. */
	for (unsigned i = 0; i <= rounds; i++) {
		uint64_t ns;

		r = bench_turn_begin(turns);
		if (r < 0)
			goto out;
		ns = bench_mmio_round(regs, iterations, &errors);
		r = bench_turn_end(turns);
		if (r < 0)
			goto out;
		total_errors += errors;
		if (i > 0) {
			v[i - 1] = (uint64_t)((double)iterations * 2 * 1e9 / (double)(ns ?: 1));
			bench_sample(out, "mmio", variant, v[i - 1], i);
		}
	}
	qsort(v, rounds, sizeof(*v), cmp_u64);
	printf("mmio %s: %u rounds of %u accesses, median %.3f M/s (%.3f to %.3f), %u bad "
	       "read-backs\n",
	       variant, rounds, iterations * 2, (double)v[rounds / 2] / 1e6, (double)v[0] / 1e6,
	       (double)v[rounds - 1] / 1e6, total_errors);
	fflush(stdout);
	r = total_errors ? -EIO : 0;
out:
	free(v);
	return r;
}

/* Waits for the next interrupt on FD and reads its count; 0 or -errno (-ETIMEDOUT). */
static int wait_irq(int fd, int timeout_ms)
{
	uint32_t count;

	return wait_and_read(fd, timeout_ms, &count, sizeof(count));
}

int bench_irq_stats_init(struct bench_irq_stats *st, size_t cap)
{
	*st = (struct bench_irq_stats){.cap = cap};
	st->rt = calloc(cap ?: 1, sizeof(*st->rt));
	st->en = calloc(cap ?: 1, sizeof(*st->en));
	if (!st->rt || !st->en) {
		free(st->rt);
		free(st->en);
		*st = (struct bench_irq_stats){};
		return -ENOMEM;
	}
	return 0;
}

void bench_irq_stats_done(struct bench_irq_stats *st, const char *variant)
{
	char label[128];

	if (!variant)
		goto out;
	snprintf(label, sizeof(label), "irq %s", variant);
	bench_print_latency(label, st->rt, st->n);
	snprintf(label, sizeof(label), "enable %s (the re-enable call alone)", variant);
	bench_print_latency(label, st->en, st->n);
out:
	free(st->rt);
	free(st->en);
	*st = (struct bench_irq_stats){};
}

int bench_irq_batch(FILE *out, const char *variant, volatile uint32_t *regs, int irq_fd,
		    bench_irq_enable_t enable, void *userdata, unsigned n, unsigned warmup,
		    int timeout_ms, unsigned batch, struct bench_turns *turns,
		    struct bench_irq_stats *st)
{
	size_t first = st->n;
	int r;

	if (st->n + n > st->cap)
		return -ENOBUFS;
	r = bench_turn_begin(turns);
	if (r < 0)
		return r;
	/* Whatever was left: a pending status, a count not yet read, INTx masked. */
	regs[EDU_IRQ_ACK / 4] = 0xffffffff;
	(void)wait_irq(irq_fd, 0);
	r = enable(userdata);
	for (unsigned i = 0; r == 0 && i < warmup + n; i++) {
		uint32_t bit = 1u << (i % 32), status;
		uint64_t t0 = bench_now_ns(), t1, t2;

		regs[EDU_IRQ_RAISE / 4] = bit;
		r = wait_irq(irq_fd, timeout_ms);
		if (r < 0)
			break;
		status = regs[EDU_IRQ_STATUS / 4];
		if (!(status & bit)) {
			r = -EIO;
			break;
		}
		regs[EDU_IRQ_ACK / 4] = status; /* the line drops before INTx is unmasked */
		t1 = bench_now_ns();
		r = enable(userdata);
		t2 = bench_now_ns();
		if (i >= warmup) {
			st->rt[st->n] = t2 - t0;
			st->en[st->n++] = t2 - t1;
		}
	}
	if (r < 0)
		return r;
	r = bench_turn_end(turns);
	if (r < 0)
		return r;
	for (size_t i = first; i < st->n; i++)
		bench_sample(out, "irq", variant, st->rt[i], batch);
	for (size_t i = first; i < st->n; i++)
		bench_sample(out, "enable", variant, st->en[i], batch);
	return 0;
}

/* The echo side: answers each request packet with a reply packet of udrvd's size. */
static void echo(int fd)
{
	struct udrv_ctl_req req;
	struct udrv_ctl_reply reply = {.status = 0};

	for (;;) {
		ssize_t n = recv(fd, &req, sizeof(req), 0);

		if (n <= 0)
			_exit(n == 0 ? 0 : 1);
		reply.op = req.op;
		reply.seq = req.seq;
		if (send(fd, &reply, sizeof(reply), MSG_NOSIGNAL) != sizeof(reply))
			_exit(1);
	}
}

int bench_floor_start(struct bench_floor *f)
{
	int sv[2];

	*f = (struct bench_floor){.fd = -1, .pid = -1};
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	fflush(NULL);
	f->pid = fork();
	if (f->pid < 0) {
		int r = -errno;

		close(sv[0]);
		close(sv[1]);
		return r;
	}
	if (f->pid == 0) {
		/* Hold nothing but the socket: not a copy of a lease's ctl channel, say. */
		for (int fd = 3; fd < 1024; fd++)
			if (fd != sv[1])
				close(fd);
		echo(sv[1]);
	}
	close(sv[1]);
	f->fd = sv[0];
	return 0;
}

int bench_floor_batch(struct bench_floor *f, FILE *out, unsigned n, unsigned warmup, unsigned batch,
		      uint64_t *all, size_t *n_all)
{
	struct udrv_ctl_req req = {.op = UDRV_CTL_PING};
	struct udrv_ctl_reply reply;

	for (unsigned i = 0; i < warmup + n; i++) {
		uint64_t t0 = bench_now_ns(), ns;

		req.seq = ++f->seq ?: ++f->seq; /* never 0, as in the ctl protocol */
		if (send(f->fd, &req, sizeof(req), MSG_NOSIGNAL) != sizeof(req) ||
		    recv(f->fd, &reply, sizeof(reply), 0) != sizeof(reply))
			return -(errno ?: EPROTO);
		ns = bench_now_ns() - t0;
		if (reply.seq != req.seq)
			return -EPROTO;
		if (i >= warmup) {
			bench_sample(out, "rpc", "socketpair", ns, batch);
			all[(*n_all)++] = ns;
		}
	}
	return 0;
}

int bench_floor_stop(struct bench_floor *f)
{
	int status, r = 0;

	if (f->fd >= 0)
		close(f->fd); /* the echo process sees end of file and exits */
	f->fd = -1;
	if (f->pid > 0) {
		while (waitpid(f->pid, &status, 0) < 0)
			if (errno != EINTR)
				return -errno;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			r = -ECHILD;
	}
	f->pid = -1;
	return r;
}
