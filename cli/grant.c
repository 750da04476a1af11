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

static const char grant_usage[] = "usage: udrvctl grant SLOT -- CMD [ARGS...]";

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

/* One line: udrvd's reason, led by "denied:" or "busy:" when it does not say so itself (its
 * other reasons, "X is in use: ...", "no PCI function X", read well as they are). */
static void print_refusal(const struct udrv_error *error)
{
	const char *kind = NULL;

	if (streq(error->name, UDRV_ERROR_DENIED))
		kind = "denied";
	else if (streq(error->name, UDRV_ERROR_BUSY))
		kind = "busy";
	if (kind && !(startswith(error->message, kind) && error->message[strlen(kind)] == ':'))
		log_error("%s: %s", kind, error->message);
	else
		log_error("%s", error->message);
}

static int refusal_exit_code(const struct udrv_error *error)
{
	if (streq(error->name, UDRV_ERROR_INVALID_SLOT) || streq(error->name, UDRV_ERROR_NO_DEVICE))
		return EXIT_USAGE;
	return EXIT_DENIED;
}

/* Checks the arguments; on success *RET_CMD points at CMD within ARGV. */
static int parse_args(int argc, char **argv, const char **ret_slot, char ***ret_cmd)
{
	static const struct option options[] = {
		{"help", no_argument, NULL, 'h'},
		{"user", required_argument, NULL, 'u'},
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
			log_error("standing grants (--user) are not supported yet; %s",
				  grant_usage);
			return -EINVAL;
		default:
			log_error("%s", grant_usage);
			return -EINVAL;
		}
	if (optind >= argc) {
		log_error("no slot given; %s", grant_usage);
		return -EINVAL;
	}
	if (optind + 1 >= argc || !streq(argv[optind + 1], "--") || optind + 2 >= argc) {
		log_error("expected '-- CMD' after the slot; %s", grant_usage);
		return -EINVAL;
	}
	*ret_slot = argv[optind];
	*ret_cmd = argv + optind + 2;
	return 0;
}

int verb_grant(int argc, char **argv, const struct udrvctl_ctx *ctx)
{
	_cleanup_lease_ struct lease *lease = NULL;
	_cleanup_free_ char *path = NULL;
	struct udrv_error error;
	char slot[PCI_SLOT_LEN];
	const char *arg;
	char **cmd;
	int r;

	if (parse_args(argc, argv, &arg, &cmd) < 0)
		return EXIT_USAGE;
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
		print_refusal(&error);
		return refusal_exit_code(&error);
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
