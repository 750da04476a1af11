/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* udrvd's entry point: options, the Manager, readiness, the event loop. */
#include <getopt.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>

#include "fault.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "strv.h"

static void help(void)
{
	printf("Usage: udrvd [OPTIONS]\n"
	       "Broker that hands PCI devices to unprivileged user-space drivers.\n\n"
	       "  --root=DIR          resolve /sys, /dev, /run, /etc under DIR (default /)\n"
	       "  --policy-dir=DIR    read policy from DIR only (may repeat)\n"
	       "  --admin-group=GROUP members may grant --user, revoke, bind, unbind\n"
	       "  -v, --verbose       debug messages\n"
	       "  -h, --help          this text\n"
	       "  --version           the version\n");
}

int main(int argc, char **argv)
{
	enum { OPT_ROOT = 0x100, OPT_POLICY_DIR, OPT_ADMIN_GROUP, OPT_VERSION };
	static const struct option options[] = {
		{"root", required_argument, NULL, OPT_ROOT},
		{"policy-dir", required_argument, NULL, OPT_POLICY_DIR},
		{"admin-group", required_argument, NULL, OPT_ADMIN_GROUP},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, OPT_VERSION},
		{},
	};
	_cleanup_(manager_freep) struct manager *m = NULL;
	_cleanup_strv_free_ char **dirs = NULL;
	const char *root = "/", *admin_group = NULL;
	int c, r;

	log_set_program("udrvd");
	fault_points_setup(argc, argv);
	while ((c = getopt_long(argc, argv, "hv", options, NULL)) >= 0) {
		switch (c) {
		case OPT_ROOT:
			root = optarg;
			break;
		case OPT_POLICY_DIR:
			if (strv_push(&dirs, optarg) < 0)
				return log_oom(), EXIT_FAILURE;
			break;
		case OPT_ADMIN_GROUP:
			admin_group = optarg;
			break;
		case 'v':
			log_set_max_level(LOG_DEBUG);
			break;
		case 'h':
			help();
			return EXIT_SUCCESS;
		case OPT_VERSION:
			printf("udrvd %s\n", PACKAGE_VERSION);
			return EXIT_SUCCESS;
		default:
			return EXIT_FAILURE;
		}
	}
	if (optind < argc) {
		log_error("unexpected argument '%s'; see udrvd --help.", argv[optind]);
		return EXIT_FAILURE;
	}
	r = manager_new(root, dirs, &m);
	if (r < 0)
		return log_error_errno(r, "Failed to set up: %m"), EXIT_FAILURE;
	if (admin_group && manager_set_admin_group(m, admin_group) < 0)
		return EXIT_FAILURE;
	r = manager_start(m);
	if (r < 0)
		return log_error_errno(r, "Failed to start: %m"), EXIT_FAILURE;
	(void)sd_notify(false, "READY=1");
	log_info("udrvd %s ready (root %s).", PACKAGE_VERSION, root);
	r = sd_event_loop(m->event);
	if (r < 0)
		return log_error_errno(r, "Event loop failed: %m"), EXIT_FAILURE;
	return EXIT_SUCCESS;
}
