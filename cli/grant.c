/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `udrvctl grant SLOT -- CMD [ARGS...]`: obtain a lease and run CMD with its fds from fd 3. */
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>

#include "log.h"
#include "pci-slot.h"
#include "udrv-internal.h"
#include "udrv-protocol.h"
#include "udrvctl.h"

static const char grant_usage[] =
	"usage: udrvctl grant [--dry-run] SLOT -- CMD [ARGS...]\n"
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
};

/* Checks the arguments; on success RET->cmd points at CMD within ARGV. */
static int parse_args(int argc, char **argv, struct grant_args *ret)
{
	static const struct option options[] = {
		{"help", no_argument, NULL, 'h'},
		{"user", required_argument, NULL, 'u'},
		{"for", required_argument, NULL, 'f'},
		{"dry-run", no_argument, NULL, 'n'},
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
		if (optind + 1 != argc) {
			log_error("--user makes a standing grant and takes no command; %s",
				  grant_usage);
			return -EINVAL;
		}
		return 0;
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

int verb_grant(int argc, char **argv, const struct udrvctl_ctx *ctx)
{
	_cleanup_lease_ struct lease *lease = NULL;
	_cleanup_free_ char *path = NULL;
	struct udrv_error error;
	struct grant_args args = {};
	char slot[PCI_SLOT_LEN];
	const char *arg;
	char **cmd;
	int r;

	if (parse_args(argc, argv, &args) < 0)
		return EXIT_USAGE;
	if (args.user)
		return cli_standing_grant(ctx, args.user, args.duration, args.dry, args.slot);
	if (args.dry)
		return cli_grant_dry_run(ctx, args.slot);
	arg = args.slot;
	cmd = args.cmd;
	if (pci_slot_normalize(arg, slot) < 0) {
		log_error("'%s' is not a PCI slot: expected DDDD:BB:DD.F, e.g. 0000:03:00.0.", arg);
		return EXIT_USAGE;
	}
	r = udrvd_socket_path(ctx->root, getenv("UDRV_SOCKET"), &path);
	if (r < 0) {
		log_oom();
		return EXIT_DENIED;
	}
	r = lease_acquire(path, slot, &lease, &error);
	if (r < 0) {
		cli_print_refusal(&error);
		return cli_refusal_exit(&error);
	}
	log_debug("Acquired %s: %zu fds.", slot, lease->n_fds);
	r = lease_export(lease, UDRV_FDS_START);
	if (r >= 0)
		r = close_from(UDRV_FDS_START + (int)lease->n_fds);
	if (r < 0) {
		log_error_errno(r, "cannot pass the lease on %s to '%s': %m", slot, cmd[0]);
		return EXIT_DENIED;
	}
	execvp(cmd[0], cmd);
	log_error_errno(errno, "cannot run '%s': %m", cmd[0]);
	return 127;
}
