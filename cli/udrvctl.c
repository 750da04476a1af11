/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* udrvctl's entry point: global options, then one verb. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "macro.h"
#include "udrv-internal.h"
#include "udrvctl.h"

struct verb {
	const char *name;
	int (*run)(int argc, char **argv, const struct udrvctl_ctx *ctx);
	const char *help;
};

static const struct verb verbs[] = {
	{"list", verb_list,
	 "list [--json] [SLOT...]     show PCI functions, drivers, IOMMU groups"},
	{"grant", verb_grant,
	 "grant [--dry-run] SLOT -- CMD [ARG...]\n"
	 "                              run CMD with a lease on SLOT (fds from 3)\n"
	 "  grant --user USER [--for DURATION] [--dry-run] SLOT\n"
	 "                              let USER open SLOT (admin)"},
	{"release", verb_release, "release [--dry-run] SLOT   end your own lease on SLOT"},
	{"revoke", verb_revoke,
	 "revoke [--dry-run] SLOT    end SLOT's lease and standing grants (admin)"},
	{"bind", verb_bind, "bind [--dry-run] SLOT DRIVER  bind SLOT to DRIVER (admin)"},
	{"unbind", verb_unbind,
	 "unbind [--dry-run] SLOT    unbind SLOT, clear its override (admin)"},
	{"status", verb_status, "status [--json]            udrvd, its leases, grants and policy"},
	{"monitor", verb_monitor, "monitor [--json]           stream lease and device events"},
	{"reload", verb_reload, "reload                     re-read policy (root)"},
	{"policy", verb_policy,
	 "policy check [--policy-dir DIR] [FILE...]\n"
	 "                              lint policy files\n"
	 "  policy explain [--policy-dir DIR] [--user USER] [--json] SLOT\n"
	 "                              which policy decides SLOT, and the verdict"},
};

static void help(FILE *f)
{
	fprintf(f, "Usage: udrvctl [OPTIONS] VERB [ARGS...]\n"
		   "Ask udrvd for PCI devices and inspect what it would do.\n\n"
		   "Options:\n"
		   "  --root=DIR    resolve /sys, /dev, /run, /etc under DIR (default: $UDRV_ROOT "
		   "or /)\n"
		   "  --json        print JSON where a verb lists things\n"
		   "  -v, --verbose more messages\n"
		   "  -h, --help    this text\n"
		   "  --version     the version\n\nVerbs:\n");
	for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
		fprintf(f, "  %s\n", verbs[i].help);
}

int main(int argc, char **argv)
{
	enum { OPT_ROOT = 0x100, OPT_JSON, OPT_VERSION };
	static const struct option options[] = {
		{"root", required_argument, NULL, OPT_ROOT}, {"json", no_argument, NULL, OPT_JSON},
		{"verbose", no_argument, NULL, 'v'},	     {"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, OPT_VERSION}, {},
	};
	struct udrvctl_ctx ctx = {.root = getenv("UDRV_ROOT")};
	_cleanup_free_ char *socket_path = NULL;
	int c;

	log_set_program("udrvctl");
	log_set_max_level(LOG_NOTICE);
	if (!ctx.root || !*ctx.root)
		ctx.root = "/";
	while ((c = getopt_long(argc, argv, "+hv", options, NULL)) >= 0) {
		switch (c) {
		case OPT_ROOT:
			ctx.root = optarg;
			break;
		case OPT_JSON:
			ctx.json = true;
			break;
		case 'v':
			log_set_max_level(log_get_max_level() + 1);
			break;
		case 'h':
			help(stdout);
			return EXIT_SUCCESS;
		case OPT_VERSION:
			printf("udrvctl %s\n", PACKAGE_VERSION);
			return EXIT_SUCCESS;
		default:
			fprintf(stderr, "Try 'udrvctl --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		help(stderr);
		return EXIT_USAGE;
	}
	if (udrvd_socket_path(ctx.root, getenv("UDRV_SOCKET"), &socket_path) < 0) {
		log_oom();
		return EXIT_DENIED;
	}
	ctx.socket = socket_path;
	for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
		if (streq(argv[optind], verbs[i].name)) {
			char **vargv = argv + optind;
			int vargc = argc - optind;

			optind = 0; /* let the verb run getopt again on its own arguments */
			return verbs[i].run(vargc, vargv, &ctx);
		}
	log_error("unknown verb '%s'; see 'udrvctl --help'.", argv[optind]);
	return EXIT_USAGE;
}
