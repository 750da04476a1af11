/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Load on udrvd: many leases held while many clients call ListLeases and GetStatus, then the
 * grant/release rate; prints "key value" lines (bench/run-load turns them into a report). */
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include <time.h>
#include <unistd.h>

#include "udrv.h"

#define BUS_PATH "/org/udrv/Manager1"
#define BUS_IFACE "org.udrv.Manager1"
#define LEASES_PER_UID 16 /* udrvd's cap on one uid's leases */
#define CONNS_PER_UID 30  /* under udrvd's per-uid burst of 32 new connections (cap 64) */

static struct {
	const char *socket, *slots_file, *udrvctl, *root;
	int leases, clients, calls, seconds;
	unsigned uid_base;
	pid_t udrvd;
} opt = {.leases = 256, .clients = 1000, .calls = 10, .seconds = 3, .uid_base = 20000};

static char **slots;
static int n_slots;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void become(unsigned uid)
{
	if (setgroups(0, NULL) < 0 || setgid(uid) < 0 || setuid(uid) < 0) {
		perror("bench-load: setuid");
		_exit(2);
	}
}

static int read_slots(void)
{
	FILE *f = fopen(opt.slots_file, "re");
	char line[64];

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		slots = realloc(slots, (n_slots + 1) * sizeof(char *));
		if (!slots || !(slots[n_slots++] = strdup(line)))
			return -ENOMEM;
	}
	fclose(f);
	return n_slots;
}

static long count_dir(const char *path)
{
	DIR *d = opendir(path);
	long n = 0;

	if (!d)
		return -1;
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static long udrvd_threads;

/* udrvd's resident memory (KiB) and open fds (and its threads, in udrvd_threads). */
static void sample(long *rss, long *fds)
{
	char path[64], line[256];
	FILE *f;

	*rss = 0;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)opt.udrvd);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", rss) == 1 ||
		    sscanf(line, "Threads: %ld", &udrvd_threads) == 1)
			continue;
	if (f)
		fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)opt.udrvd);
	*fds = count_dir(path);
}

/* Holder H: leases its share of the slots as its own uid, reports how many, holds them until
 * HOLD closes, then closes them. */
static void holder(int h, int ready, int hold)
{
	struct udrv_device *dev[LEASES_PER_UID] = {};
	int ok = 0, first = h * LEASES_PER_UID;
	char c;

	become(opt.uid_base + (unsigned)h);
	for (int i = first; i < first + LEASES_PER_UID && i < opt.leases; i++) {
		struct udrv_error e = {};

		if (udrv_open_error(slots[i], &dev[i - first], &e) == 0)
			ok++;
		else
			fprintf(stderr, "bench-load: %s: %s\n", slots[i], e.message);
	}
	if (write(ready, &ok, sizeof(ok)) != sizeof(ok))
		_exit(2);
	while (read(hold, &c, 1) > 0)
		;
	for (int i = 0; i < LEASES_PER_UID; i++)
		udrv_close(dev[i]);
	_exit(0);
}

struct conn {
	sd_bus *bus;
	int left, warm;
	uint64_t start;
};

struct client {
	struct conn *c;
	int n, busy, errors, wrong;
	bool measuring;
	uint32_t *lat; /* microseconds */
	size_t n_lat;
	sd_event *event;
};

static struct client cl;

static int issue(struct conn *c);

/* The leases a reply lists: ListLeases a(suuts), GetStatus st then a(suuts). */
static int count_leases(sd_bus_message *m, bool status)
{
	int n = 0, r;

	if (status && sd_bus_message_skip(m, "st") < 0)
		return -1;
	r = sd_bus_message_enter_container(m, 'a', "(suuts)");
	while (r >= 0 && (r = sd_bus_message_skip(m, "(suuts)")) > 0)
		n++;
	return r < 0 ? -1 : n;
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct conn *c = userdata;
	bool status = c->left % 2;
	int n;

	if (sd_bus_message_is_method_error(m, NULL)) {
		if (cl.errors++ < 3)
			fprintf(stderr, "bench-load: error: %s\n",
				sd_bus_message_get_error(m)->message);
	} else if ((n = count_leases(m, status)) != opt.leases) {
		if (cl.wrong++ < 3)
			fprintf(stderr, "bench-load: a reply lists %d leases, not %d\n", n,
				opt.leases);
	}
	if (c->warm) {
		c->warm = 0;
		cl.busy--;
		return 0;
	}
	cl.lat[cl.n_lat++] = (uint32_t)((now_ns() - c->start) / 1000);
	if (--c->left > 0 && issue(c) >= 0)
		return 0;
	/* Done, or the connection is gone (udrvd closed it): what it did not ask is an error. */
	cl.errors += c->left > 0 ? c->left : 0;
	if (--cl.busy == 0)
		sd_event_exit(cl.event, 0);
	return 0;
}

static int issue(struct conn *c)
{
	c->start = now_ns();
	return sd_bus_call_method_async(c->bus, NULL, NULL, BUS_PATH, BUS_IFACE,
					c->left % 2 ? "GetStatus" : "ListLeases", on_reply, c, "");
}

static int conn_open(struct conn *c)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), r;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", opt.socket);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	/* Under load an answer may take long: measure it rather than give up after sd-bus's 25 s.
	 */
	if ((r = sd_bus_new(&c->bus)) < 0 || (r = sd_bus_set_fd(c->bus, fd, fd)) < 0 ||
	    (r = sd_bus_set_method_call_timeout(c->bus, 600ull * 1000000)) < 0 ||
	    (r = sd_bus_start(c->bus)) < 0 || (r = sd_bus_attach_event(c->bus, cl.event, 0)) < 0)
		return r;
	return 0;
}

/* Client process K: N connections as its own uid; one warm-up call each (connection and
 * authentication are not timed), READY, wait for GO, then CALLS timed calls each. */
static void client(int k, int n, int ready, int go, int out)
{
	char c = 0;
	int r;

	become(opt.uid_base + 1000 + (unsigned)k);
	cl.c = calloc(n, sizeof(*cl.c));
	cl.lat = calloc((size_t)n * opt.calls + 1, sizeof(uint32_t));
	if (!cl.c || !cl.lat || sd_event_new(&cl.event) < 0)
		_exit(2);
	for (int i = 0; i < n; i++) {
		r = conn_open(&cl.c[i]);
		if (r < 0) {
			fprintf(stderr, "bench-load: connection %d: %s\n", i, strerror(-r));
			cl.errors++;
			continue;
		}
		cl.c[i].warm = 1;
		cl.c[i].left = opt.calls;
		cl.n++;
		if (issue(&cl.c[i]) >= 0)
			cl.busy++;
	}
	while (cl.busy > 0 && sd_event_run(cl.event, UINT64_MAX) >= 0)
		;
	if (write(ready, &c, 1) != 1 || read(go, &c, 1) < 0)
		_exit(2);
	for (int i = 0; i < n; i++)
		if (cl.c[i].bus && issue(&cl.c[i]) >= 0)
			cl.busy++;
	if (cl.busy > 0)
		(void)sd_event_loop(cl.event);
	int head[3] = {(int)cl.n_lat, cl.errors, cl.wrong};
	if (write(out, head, sizeof(head)) != sizeof(head) ||
	    write(out, cl.lat, cl.n_lat * sizeof(uint32_t)) !=
		    (ssize_t)(cl.n_lat * sizeof(uint32_t)))
		_exit(2);
	_exit(0);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int run_clients(long *peak_rss, long *peak_fds)
{
	int np = (opt.clients + CONNS_PER_UID - 1) / CONNS_PER_UID, ready[2], go[2], out[2];
	uint32_t *lat = calloc((size_t)opt.clients * opt.calls + 1, sizeof(uint32_t));
	size_t n_lat = 0;
	int errors = 0, wrong = 0, failed = 0;
	uint64_t t0, t1;
	char c;

	if (!lat || pipe(ready) < 0 || pipe(go) < 0)
		return -1;
	int *outs = calloc(np, sizeof(int));
	pid_t *pids = calloc(np, sizeof(pid_t));
	for (int k = 0; k < np; k++) {
		int n = k == np - 1 ? opt.clients - k * CONNS_PER_UID : CONNS_PER_UID;

		if (pipe(out) < 0)
			return -1;
		if ((pids[k] = fork()) == 0) {
			/* Only the parent may hold GO's write end: closing it is the start. */
			close(out[0]);
			close(go[1]);
			close(ready[0]);
			for (int j = 0; j < k; j++)
				close(outs[j]);
			client(k, n, ready[1], go[0], out[1]);
		}
		close(out[1]);
		outs[k] = out[0];
	}
	for (int k = 0; k < np; k++)
		if (read(ready[0], &c, 1) != 1)
			return -1;
	t0 = now_ns();
	close(go[1]);
	/* Sample while the clients run: each writes its results when done. */
	for (int k = 0; k < np; k++) {
		int head[3];

		for (;;) {
			long rss, fds;
			struct timeval tv = {0, 20000};
			fd_set set;

			FD_ZERO(&set);
			FD_SET(outs[k], &set);
			sample(&rss, &fds);
			*peak_rss = rss > *peak_rss ? rss : *peak_rss;
			*peak_fds = fds > *peak_fds ? fds : *peak_fds;
			if (select(outs[k] + 1, &set, NULL, NULL, &tv) > 0)
				break;
		}
		if (read(outs[k], head, sizeof(head)) != sizeof(head)) {
			failed++;
			continue;
		}
		for (size_t got = 0, want = (size_t)head[0] * sizeof(uint32_t); got < want;) {
			ssize_t r = read(outs[k], (char *)(lat + n_lat) + got, want - got);

			if (r <= 0)
				break;
			got += (size_t)r;
		}
		n_lat += (size_t)head[0];
		errors += head[1];
		wrong += head[2];
	}
	t1 = now_ns();
	for (int k = 0; k < np; k++)
		(void)waitpid(pids[k], NULL, 0);
	qsort(lat, n_lat, sizeof(uint32_t), cmp_u32);
	printf("clients %d\ncalls %zu\ncalls_expected %d\ncall_errors %d\nwrong_answers %d\n",
	       opt.clients, n_lat, opt.clients * opt.calls, errors + failed, wrong);
	if (n_lat)
		printf("latency_p50_us %u\nlatency_p99_us %u\nlatency_max_us %u\ncalls_per_s "
		       "%.0f\n",
		       lat[n_lat / 2], lat[n_lat * 99 / 100], lat[n_lat - 1],
		       n_lat / ((t1 - t0) / 1e9));
	free(lat);
	free(outs);
	free(pids);
	return errors + failed + wrong == 0 && n_lat == (size_t)opt.clients * opt.calls ? 0 : -1;
}

static int leases_recorded(void)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/run/udrvd/devices", opt.root);
	return (int)count_dir(path);
}

enum cycle {
	CYCLE_LIBUDRV, /* udrv_open, udrv_close */
	CYCLE_UDRVCTL, /* udrvctl grant SLOT -- true */
	CYCLE_FLOOR,   /* udrvctl --version -- true's exec aside, what starting udrvctl costs */
};

static int run_udrvctl(const char *slot, bool floor)
{
	pid_t q = fork();
	int st;

	if (q == 0) {
		if (floor) {
			(void)!freopen("/dev/null", "w", stdout);
			execl(opt.udrvctl, "udrvctl", "--version", NULL);
		} else
			execl(opt.udrvctl, "udrvctl", "grant", slot, "--", "true", NULL);
		_exit(127);
	}
	return waitpid(q, &st, 0) == q && WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : -EIO;
}

/* Grant/release cycles for SECONDS as one uid, round-robin over 16 slots. The floor is the same
 * loop starting udrvctl without a grant: on a busy machine, process start-up is most of a
 * udrvctl cycle. */
static void cycles(enum cycle how)
{
	static const char *const key[] = {"libudrv", "udrvctl", "udrvctl_floor"};
	uint64_t t0, end;
	int n = 0, busy = 0, failed = 0, refused = 0, st;
	pid_t p = fork();

	if (p > 0) {
		waitpid(p, &st, 0);
		return;
	}
	become(opt.uid_base);
	t0 = now_ns();
	end = t0 + (uint64_t)opt.seconds * 1000000000ull;
	for (int i = 0; now_ns() < end; i++) {
		const char *slot = slots[i % (n_slots < 16 ? n_slots : 16)];
		int r;

		if (how != CYCLE_LIBUDRV)
			r = run_udrvctl(slot, how == CYCLE_FLOOR);
		else {
			struct udrv_device *d;
			struct udrv_error e = {};

			r = udrv_open_error(slot, &d, &e);
			if (r == 0)
				udrv_close(d);
			/* Closed right after accept: over udrvd's per-uid connection rate. */
			refused += r == -ENOTCONN || r == -ECONNRESET || r == -EPIPE;
			if (r < 0 && busy + failed < 3 && r != -ENOTCONN && r != -ECONNRESET &&
			    r != -EPIPE)
				fprintf(stderr, "bench-load: cycle on %s: %s\n", slot, e.message);
		}
		n += r == 0;
		busy += r == -EBUSY;
		failed += r < 0 && r != -EBUSY;
	}
	printf("%s_cycles_per_s %.0f\n%s_cycle_failures %d\n%s_cycle_refused %d\n", key[how],
	       n / ((now_ns() - t0) / 1e9), key[how], failed + busy - refused, key[how], refused);
	fflush(stdout);
	_exit(0);
}

static int parse(int argc, char **argv)
{
	static const struct option o[] = {
		{"socket", 1, NULL, 's'},
		{"slots", 1, NULL, 'S'},
		{"leases", 1, NULL, 'l'},
		{"clients", 1, NULL, 'c'},
		{"calls", 1, NULL, 'n'},
		{"seconds", 1, NULL, 't'},
		{"udrvd", 1, NULL, 'p'},
		{"udrvctl", 1, NULL, 'u'},
		{"root", 1, NULL, 'r'},
		{"uid-base", 1, NULL, 'b'},
		{},
	};
	int c;

	while ((c = getopt_long(argc, argv, "", o, NULL)) >= 0)
		switch (c) {
		case 's':
			opt.socket = optarg;
			break;
		case 'S':
			opt.slots_file = optarg;
			break;
		case 'l':
			opt.leases = atoi(optarg);
			break;
		case 'c':
			opt.clients = atoi(optarg);
			break;
		case 'n':
			opt.calls = atoi(optarg);
			break;
		case 't':
			opt.seconds = atoi(optarg);
			break;
		case 'p':
			opt.udrvd = atoi(optarg);
			break;
		case 'u':
			opt.udrvctl = optarg;
			break;
		case 'r':
			opt.root = optarg;
			break;
		case 'b':
			opt.uid_base = (unsigned)atoi(optarg);
			break;
		default:
			return -1;
		}
	if (!opt.socket || !opt.slots_file || !opt.udrvctl || !opt.root || opt.udrvd <= 0) {
		fprintf(stderr, "usage: bench-load --socket PATH --slots FILE --udrvd PID "
				"--udrvctl PATH --root DIR [--leases N --clients N --calls N "
				"--seconds S --uid-base UID]\n");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int nh, ready[2], hold[2], granted = 0, ok = 0, left = -1;
	long rss, fds, idle_fds, peak_rss = 0, peak_fds = 0;

	if (parse(argc, argv) < 0 || read_slots() < opt.leases || pipe(ready) < 0 ||
	    pipe(hold) < 0) {
		fprintf(stderr, "bench-load: bad arguments, or fewer slots than leases\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	sample(&rss, &fds);
	idle_fds = fds;
	printf("udrvd_rss_idle_kib %ld\nudrvd_fds_idle %ld\n", rss, fds);
	nh = (opt.leases + LEASES_PER_UID - 1) / LEASES_PER_UID;
	for (int h = 0; h < nh; h++)
		if (fork() == 0) {
			close(hold[1]);
			holder(h, ready[1], hold[0]);
		}
	close(hold[0]);
	for (int h = 0; h < nh; h++) {
		int k = 0;

		if (read(ready[0], &k, sizeof(k)) == sizeof(k))
			granted += k;
	}
	sample(&rss, &fds);
	printf("leases %d\nleases_granted %d\nudrvd_rss_leases_kib %ld\nudrvd_fds_leases %ld\n"
	       "udrvd_threads_leases %ld\n",
	       opt.leases, granted, rss, fds, udrvd_threads);
	if (granted == opt.leases)
		ok = run_clients(&peak_rss, &peak_fds) == 0;
	printf("udrvd_rss_peak_kib %ld\nudrvd_fds_peak %ld\n", peak_rss, peak_fds);
	close(hold[1]); /* the holders close their leases */
	uint64_t t0 = now_ns();
	while (waitpid(-1, NULL, 0) > 0)
		;
	/* Each end joins the lease's threads, resets, scans /proc for holders: give it time. */
	for (int i = 0; i < 3000 && (left = leases_recorded()) != 0; i++)
		usleep(50000);
	printf("leases_left %d\nrelease_all_ms %.0f\n", left, (now_ns() - t0) / 1e6);
	sample(&rss, &fds);
	printf("udrvd_rss_after_kib %ld\nudrvd_fds_after %ld\n", rss, fds);
	/* The clients' connections close as udrvd gets to their EOF: how long until the fds are
	 * back to idle (a leak never gets there; 10 s at most). */
	t0 = now_ns();
	for (int i = 0; i < 200 && fds > idle_fds + 4; i++) {
		usleep(50000);
		sample(&rss, &fds);
	}
	printf("udrvd_fds_settled %ld\nfds_settle_ms %.0f\n", fds, (now_ns() - t0) / 1e6);
	if (opt.seconds > 0) {
		cycles(CYCLE_LIBUDRV);
		cycles(CYCLE_UDRVCTL);
		cycles(CYCLE_FLOOR);
	}
	for (int i = 0; i < n_slots; i++)
		free(slots[i]);
	free(slots);
	return ok && left == 0 ? 0 : 1;
}
