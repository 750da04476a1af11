/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `udrvctl grant SLOT -- CMD [ARGS...]`: obtain a lease and run CMD with its fds from fd 3. */
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>

#include "log.h"
#include "pci-slot.h"
#include "udrv-internal.h"
#include "udrv-protocol.h"
#include "udrvctl.h"

static const char grant_usage[] =
	"usage: udrvctl grant [--dry-run] [--dpdk] SLOT[,SLOT...] -- CMD [ARGS...]\n"
	"       udrvctl grant --user USER [--for DURATION] [--dry-run] SLOT";

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

/* Closes every fd from FIRST up: CMD must inherit the lease and stdio, nothing else (the bus
 * connection in particular). */
static int close_from(int first)
{
	_cleanup_(closedirp) DIR *d = NULL;
	struct dirent *de;

	if (close_range((unsigned)first, ~0U, 0) == 0)
		return 0;
	d = opendir("/proc/self/fd");
	if (!d)
		return negative_errno();
	while ((de = readdir(d))) {
		int fd = atoi(de->d_name);

		if (de->d_name[0] != '.' && fd >= first && fd != dirfd(d))
			close(fd);
	}
	return 0;
}

struct grant_args {
	const char *slot;
	char **cmd; /* NULL for a standing grant or a dry run without CMD */
	const char *user;
	const char *duration;
	bool dry;
	bool dpdk; /* CMD is a DPDK app: libudrv-dpdk.so preloaded (udrv-dpdk(7)) */
};

/* Checks the arguments; on success RET->cmd points at CMD within ARGV. */
static int parse_args(int argc, char **argv, struct grant_args *ret)
{
	static const struct option options[] = {
		{"help", no_argument, NULL, 'h'},
		{"user", required_argument, NULL, 'u'},
		{"for", required_argument, NULL, 'f'},
		{"dry-run", no_argument, NULL, 'n'},
		{"dpdk", no_argument, NULL, 'd'}, /* udrv-dpdk(7) */
		{},
	};
	int c;

	while ((c = getopt_long(argc, argv, "+h", options, NULL)) >= 0)
		switch (c) {
		case 'h':
			printf("%s\nRuns CMD holding the lease on SLOT: fds from 3 (%s), %s, %s.\n",
			       grant_usage, "ctl, config, barN..., irq", UDRV_ENV_FDS,
			       UDRV_ENV_FDNAMES);
			exit(EXIT_SUCCESS);
		case 'u':
			ret->user = optarg;
			break;
		case 'f':
			ret->duration = optarg;
			break;
		case 'n':
			ret->dry = true;
			break;
		case 'd':
			ret->dpdk = true;
			break;
		default:
			log_error("%s", grant_usage);
			return -EINVAL;
		}
	if (optind >= argc) {
		log_error("no slot given; %s", grant_usage);
		return -EINVAL;
	}
	ret->slot = argv[optind];
	if (ret->user) {
		if (ret->dpdk) {
			log_error("--dpdk runs CMD; a standing grant (--user) takes none; %s",
				  grant_usage);
			return -EINVAL;
		}
		if (optind + 1 != argc) {
			log_error("--user makes a standing grant and takes no command; %s",
				  grant_usage);
			return -EINVAL;
		}
		return 0;
	}
	if (ret->dpdk && ret->dry) {
		log_error("--dpdk runs CMD and does not go with --dry-run; %s", grant_usage);
		return -EINVAL;
	}
	if (ret->duration) {
		log_error("--for goes with --user; %s", grant_usage);
		return -EINVAL;
	}
	if (ret->dry && optind + 1 == argc)
		return 0;
	if (optind + 1 >= argc || !streq(argv[optind + 1], "--") || optind + 2 >= argc) {
		log_error("expected '-- CMD' after the slot; %s", grant_usage);
		return -EINVAL;
	}
	ret->cmd = argv + optind + 2;
	return 0;
}

#define GRANT_MAX_SLOTS 8

static void leases_free(struct lease **l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		lease_free(l[i]);
}

/* Acquires every slot of "SLOT[,SLOT...]"; on a refusal prints it and returns the exit code. */
static int acquire_all(const char *path, const char *arg, struct lease **leases, size_t *ret_n)
{
	_cleanup_free_ char *copy = strdup(arg);
	char *save = NULL;
	size_t n = 0;

	if (!copy)
		return log_oom(), EXIT_DENIED;
	for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		struct udrv_error error;
		char slot[PCI_SLOT_LEN];

		if (n == GRANT_MAX_SLOTS)
			log_error("at most %d slots at once; '%s' is one too many.",
				  GRANT_MAX_SLOTS, w);
		if (n == GRANT_MAX_SLOTS || cli_normalize_slot(w, slot) < 0) {
			leases_free(leases, n);
			return EXIT_USAGE;
		}
		/* AcquireNode: on VFIO the command opens /dev/vfio/N itself, as DPDK does. */
		if (lease_acquire_method(path, "AcquireNode", slot, &leases[n], &error) < 0) {
			cli_print_refusal(&error);
			leases_free(leases, n);
			return cli_refusal_exit(&error);
		}
		n++;
	}
	if (n == 0) {
		log_error("no slot given; %s", grant_usage);
		return EXIT_USAGE;
	}
	*ret_n = n;
	return 0;
}

/* Every lease's fds go to 3.., one lease after the other, with UDRV_* set as lists (a
 * multi-port app such as testpmd over the preload uses each one's fds). */
static int pass_leases(struct lease **leases, size_t n)
{
	size_t total = 0;
	int r;

	r = leases_export(leases, n, UDRV_FDS_START);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		total += leases[i]->n_fds;
	return close_from(UDRV_FDS_START + (int)total);
}

int verb_grant(int argc, char **argv, const struct udrvctl_ctx *ctx)
{
	struct lease *leases[GRANT_MAX_SLOTS];
	struct grant_args args = {};
	size_t n = 0;
	int r;

	if (parse_args(argc, argv, &args) < 0)
		return EXIT_USAGE;
	if (args.user)
		return cli_standing_grant(ctx, args.user, args.duration, args.dry, args.slot);
	if (args.dry)
		return cli_grant_dry_run(ctx, args.slot);
	r = acquire_all(ctx->socket, args.slot, leases, &n);
	if (r != 0)
		return r;
	log_debug("Acquired %zu lease(s).", n);
	if (args.dpdk && (grant_dpdk_check(leases, n) < 0 || grant_dpdk_preload() < 0)) {
		log_error("not running '%s' (--dpdk); the lease%s ended.", args.cmd[0],
			  n > 1 ? "s" : "");
		leases_free(leases, n);
		return EXIT_DENIED;
	}
	r = pass_leases(leases, n);
	if (r < 0) {
		log_error_errno(r, "cannot pass the lease on %s to '%s': %m", args.slot,
				args.cmd[0]);
		leases_free(leases, n);
		return EXIT_DENIED;
	}
	execvp(args.cmd[0], args.cmd);
	log_error_errno(errno, "cannot run '%s': %m", args.cmd[0]);
	leases_free(leases, n);
	return 127;
}
