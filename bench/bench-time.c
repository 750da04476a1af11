/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Times whole command sequences (a grant, a dpdk-devbind bind and unbind) run N times. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-util.h"

#define STEP_SEPARATOR "::"
#define WAIT_GONE_TIMEOUT_MS 30000

struct options {
	const char *label, *metric, *samples, *log, *wait_gone;
	unsigned runs, warmup;
	long uid; /* -1: keep root */
	char **steps[16];
	size_t n_steps;
};

struct waiter {
	const char *path;
	int inotify_fd; /* -1: poll the path every millisecond */
};

static int waiter_init(struct waiter *w, const char *path)
{
	char dir[PATH_MAX];

	w->path = path;
	w->inotify_fd = -1;
	if (!path)
		return 0;
	snprintf(dir, sizeof(dir), "%s", path);
	w->inotify_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (w->inotify_fd < 0)
		return -errno;
	if (inotify_add_watch(w->inotify_fd, dirname(dir), IN_DELETE | IN_MOVED_FROM) < 0) {
		close(w->inotify_fd); /* the directory may not exist yet: poll */
		w->inotify_fd = -1;
	}
	return 0;
}

/* Returns once W's path is gone; -ETIMEDOUT after WAIT_GONE_TIMEOUT_MS. */
static int waiter_wait(struct waiter *w)
{
	uint64_t deadline = bench_now_ns() + (uint64_t)WAIT_GONE_TIMEOUT_MS * 1000000u;
	char buf[4096];

	if (!w->path)
		return 0;
	while (access(w->path, F_OK) == 0) {
		uint64_t now = bench_now_ns();

		if (now >= deadline)
			return -ETIMEDOUT;
		if (w->inotify_fd >= 0) {
			struct pollfd p = {.fd = w->inotify_fd, .events = POLLIN};

			(void)poll(&p, 1, (int)((deadline - now) / 1000000u) + 1);
			while (read(w->inotify_fd, buf, sizeof(buf)) > 0)
				;
		} else
			usleep(1000);
	}
	return 0;
}

/* Runs one command to its end: 0 when it exited 0, -ECHILD otherwise. */
static int run_step(char **argv, const struct options *opt, int log_fd)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (log_fd >= 0 &&
		    (dup2(log_fd, STDOUT_FILENO) < 0 || dup2(log_fd, STDERR_FILENO) < 0))
			_exit(127);
		if (opt->uid >= 0 &&
		    (setgroups(0, NULL) < 0 ||
		     setresgid((gid_t)opt->uid, (gid_t)opt->uid, (gid_t)opt->uid) < 0 ||
		     setresuid((uid_t)opt->uid, (uid_t)opt->uid, (uid_t)opt->uid) < 0)) {
			fprintf(stderr, "bench-time: cannot become uid %ld: %s\n", opt->uid,
				strerror(errno));
			_exit(127);
		}
		execvp(argv[0], argv);
		fprintf(stderr, "bench-time: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench-time: %s: %s %d\n", argv[0],
			WIFEXITED(status) ? "exit status" : "killed by signal",
			WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		return -ECHILD;
	}
	return 0;
}

static int run(FILE *out, const struct options *opt)
{
	uint64_t *v = calloc(opt->runs, sizeof(*v));
	struct waiter w;
	int log_fd = -1, r;

	if (!v)
		return -ENOMEM;
	if (opt->log) {
		log_fd = open(opt->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (log_fd < 0) {
			r = -errno;
			fprintf(stderr, "bench-time: %s: %s\n", opt->log, strerror(errno));
			free(v);
			return r;
		}
	}
	r = waiter_init(&w, opt->wait_gone);
	for (unsigned i = 0; r == 0 && i < opt->warmup + opt->runs; i++) {
		uint64_t t0 = bench_now_ns();

		for (size_t s = 0; r == 0 && s < opt->n_steps; s++)
			r = run_step(opt->steps[s], opt, log_fd);
		if (r == 0) {
			r = waiter_wait(&w);
			if (r < 0)
				fprintf(stderr, "bench-time: %s still exists after %d ms\n",
					opt->wait_gone, WAIT_GONE_TIMEOUT_MS);
		}
		if (r == 0 && i >= opt->warmup)
			v[i - opt->warmup] = bench_now_ns() - t0;
	}
	if (r == 0) {
		char label[256];

		for (unsigned i = 0; i < opt->runs; i++)
			bench_sample(out, opt->metric, opt->label, v[i], i + 1);
		snprintf(label, sizeof(label), "%s %s", opt->metric, opt->label);
		bench_print_latency(label, v, opt->runs);
	}
	if (w.inotify_fd >= 0)
		close(w.inotify_fd);
	if (log_fd >= 0)
		close(log_fd);
	free(v);
	return r;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: bench-time --label LABEL [--metric NAME] [--samples FILE] [--runs N]\n"
		"                  [--warmup N] [--uid UID] [--wait-gone PATH] [--log FILE]\n"
		"                  -- CMD [ARGS...] [" STEP_SEPARATOR " CMD [ARGS...]]...\n"
		"Runs the commands one after the other, N times (after WARMUP unmeasured times),\n"
		"and times each whole sequence, including the wait until PATH no longer exists\n"
		"(udrvd's record of a lease, removed last when the lease has ended). Each command\n"
		"runs as UID (gid the same, no groups) when given, with its output appended to\n"
		"FILE (default: inherited), and must exit 0. Raw samples are appended to\n"
		"--samples (default stdout) as NAME<TAB>LABEL<TAB>NANOSECONDS (NAME: grant).\n");
}

static int parse_options(int argc, char **argv, struct options *opt)
{
	static const struct option options[] = {
		{"label", required_argument, NULL, 'l'},
		{"metric", required_argument, NULL, 'm'},
		{"samples", required_argument, NULL, 'o'},
		{"runs", required_argument, NULL, 'n'},
		{"warmup", required_argument, NULL, 'w'},
		{"uid", required_argument, NULL, 'u'},
		{"wait-gone", required_argument, NULL, 'g'},
		{"log", required_argument, NULL, 'L'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	unsigned uid;
	int c;

	*opt = (struct options){.metric = "grant", .runs = 10, .warmup = 1, .uid = -1};
	while ((c = getopt_long(argc, argv, "+l:m:o:n:w:u:g:L:h", options, NULL)) >= 0) {
		int r = 0;

		switch (c) {
		case 'l':
			opt->label = optarg;
			break;
		case 'm':
			opt->metric = optarg;
			break;
		case 'o':
			opt->samples = optarg;
			break;
		case 'n':
			r = bench_parse_uint(optarg, 1, 100000, &opt->runs);
			break;
		case 'w':
			r = bench_parse_uint(optarg, 0, 100000, &opt->warmup);
			break;
		case 'u':
			r = bench_parse_uint(optarg, 0, 2147483647u, &uid);
			opt->uid = uid;
			break;
		case 'g':
			opt->wait_gone = optarg;
			break;
		case 'L':
			opt->log = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_SUCCESS);
		default:
			usage(stderr);
			return -EINVAL;
		}
		if (r < 0) {
			fprintf(stderr, "bench-time: bad number '%s'\n", optarg);
			return r;
		}
	}
	if (!opt->label || strpbrk(opt->label, "\t\n") || strpbrk(opt->metric, "\t\n")) {
		fprintf(stderr, "bench-time: --label is required (no tabs or newlines)\n");
		return -EINVAL;
	}
	/* The steps: argv from optind, split in place at each separator. */
	for (int i = optind; i < argc;) {
		if (opt->n_steps == sizeof(opt->steps) / sizeof(opt->steps[0])) {
			fprintf(stderr, "bench-time: too many commands\n");
			return -EINVAL;
		}
		if (strcmp(argv[i], STEP_SEPARATOR) == 0) {
			fprintf(stderr, "bench-time: empty command\n");
			return -EINVAL;
		}
		opt->steps[opt->n_steps++] = &argv[i];
		while (i < argc && strcmp(argv[i], STEP_SEPARATOR) != 0)
			i++;
		if (i < argc) {
			argv[i++] = NULL;
			if (i == argc) {
				fprintf(stderr, "bench-time: empty command\n");
				return -EINVAL;
			}
		}
	}
	if (opt->n_steps == 0) {
		fprintf(stderr, "bench-time: no command\n");
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct options opt;
	FILE *out;
	int r;

	if (parse_options(argc, argv, &opt) < 0)
		return 2;
	out = bench_open_samples(opt.samples);
	if (!out) {
		fprintf(stderr, "bench-time: cannot open %s: %s\n", opt.samples, strerror(errno));
		return 1;
	}
	r = run(out, &opt);
	if (bench_close_samples(out) < 0 && r == 0) {
		fprintf(stderr, "bench-time: cannot write the samples\n");
		r = -EIO;
	}
	return r < 0 ? 1 : 0;
}
