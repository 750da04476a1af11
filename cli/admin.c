/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* udrvctl's verbs that ask udrvd to change or report something: release, revoke, bind,
 * unbind, standing grants, status, monitor, reload. Every changing verb takes --dry-run. */
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <pwd.h>
#include <stdio.h>
#include <time.h>

#include "log.h"
#include "pci-slot.h"
#include "policy-values.h"
#include "udrv-internal.h"
#include "udrv-protocol.h"
#include "udrvctl.h"

void cli_print_refusal(const struct udrv_error *error)
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

int cli_refusal_exit(const struct udrv_error *error)
{
	if (streq(error->name, UDRV_ERROR_INVALID_SLOT) || streq(error->name, UDRV_ERROR_NO_DEVICE))
		return EXIT_USAGE;
	return EXIT_DENIED;
}

/* --dry-run (and -h) for verbs that take slots; the rest of ARGV from optind. */
static int parse_dry(int argc, char **argv, const char *usage, int want, bool *ret_dry)
{
	static const struct option options[] = {
		{"dry-run", no_argument, NULL, 'n'}, {"help", no_argument, NULL, 'h'}, {}};
	int c;

	*ret_dry = false;
	while ((c = getopt_long(argc, argv, "+nh", options, NULL)) >= 0)
		switch (c) {
		case 'n':
			*ret_dry = true;
			break;
		case 'h':
			printf("usage: udrvctl %s\n", usage);
			exit(EXIT_SUCCESS);
		default:
			log_error("usage: udrvctl %s", usage);
			return -EINVAL;
		}
	if (argc - optind != want) {
		log_error("usage: udrvctl %s", usage);
		return -EINVAL;
	}
	return 0;
}

/* Prints udrvd's answer ("would ..." with --dry-run) or its refusal; returns the exit code. */
static int finish_plan(int r, char *plan, const struct udrv_error *e)
{
	if (r < 0) {
		cli_print_refusal(e);
		return cli_refusal_exit(e);
	}
	fputs(plan, stdout);
	if (*plan && plan[strlen(plan) - 1] != '\n')
		putchar('\n');
	free(plan);
	return EXIT_SUCCESS;
}

static int slot_verb(int argc, char **argv, const struct udrvctl_ctx *ctx, const char *method,
		     const char *usage)
{
	struct udrv_error e = {};
	char slot[PCI_SLOT_LEN], *plan = NULL;
	bool dry;
	int r;

	if (parse_dry(argc, argv, usage, 1, &dry) < 0 || cli_normalize_slot(argv[optind], slot) < 0)
		return EXIT_USAGE;
	r = udrvd_call_plan(ctx->socket, method, &plan, &e, "sb", slot, (int)dry);
	return finish_plan(r, plan, &e);
}

int verb_release(int argc, char **argv, const struct udrvctl_ctx *ctx)
{
	return slot_verb(argc, argv, ctx, "Release", "release [--dry-run] SLOT");
}

int verb_revoke(int argc, char **argv, const struct udrvctl_ctx *ctx)
{
	return slot_verb(argc, argv, ctx, "Revoke", "revoke [--dry-run] SLOT");
}

int verb_unbind(int argc, char **argv, const struct udrvctl_ctx *ctx)
{
	return slot_verb(argc, argv, ctx, "Unbind", "unbind [--dry-run] SLOT");
}

int verb_bind(int argc, char **argv, const struct udrvctl_ctx *ctx)
{
	static const char usage[] = "bind [--dry-run] SLOT DRIVER";
	struct udrv_error e = {};
	char slot[PCI_SLOT_LEN], *plan = NULL;
	bool dry;
	int r;

	if (parse_dry(argc, argv, usage, 2, &dry) < 0 || cli_normalize_slot(argv[optind], slot) < 0)
		return EXIT_USAGE;
	r = udrvd_call_plan(ctx->socket, "Bind", &plan, &e, "ssb", slot, argv[optind + 1],
			    (int)dry);
	return finish_plan(r, plan, &e);
}

static int resolve_user(const char *user, uid_t *ret)
{
	struct passwd *pw = getpwnam(user);
	char *end;
	unsigned long v;

	if (pw) {
		*ret = pw->pw_uid;
		return 0;
	}
	v = strtoul(user, &end, 10);
	if (*user && !*end && v < UINT32_MAX) {
		*ret = (uid_t)v;
		return 0;
	}
	log_error("unknown user '%s': give a login name or a numeric uid.", user);
	return -ESRCH;
}

/* grant --user USER [--for DURATION] [--dry-run] SLOT: a standing grant. */
int cli_standing_grant(const struct udrvctl_ctx *ctx, const char *user, const char *duration,
		       bool dry, const char *arg)
{
	struct udrv_error e = {};
	char slot[PCI_SLOT_LEN], *plan = NULL;
	uint64_t usec = 0;
	uid_t uid;
	int r;

	if (cli_normalize_slot(arg, slot) < 0 || resolve_user(user, &uid) < 0)
		return EXIT_USAGE;
	if (duration && (policy_parse_duration(duration, &usec) < 0 || usec == 0)) {
		log_error("--for '%s': expected a duration such as 30min, 8h or infinity.",
			  duration);
		return EXIT_USAGE;
	}
	if (usec == POLICY_INFINITY)
		usec = 0;
	r = udrvd_call_plan(ctx->socket, "GrantUser", &plan, &e, "ustb", (uint32_t)uid, slot, usec,
			    (int)dry);
	return finish_plan(r, plan, &e);
}

/* grant --dry-run SLOT [-- CMD]: what udrvd would do. */
int cli_grant_dry_run(const struct udrvctl_ctx *ctx, const char *arg)
{
	struct udrv_error e = {};
	char slot[PCI_SLOT_LEN], *plan = NULL;
	int r;

	if (cli_normalize_slot(arg, slot) < 0)
		return EXIT_USAGE;
	r = udrvd_call_plan(ctx->socket, "Check", &plan, &e, "s", slot);
	return finish_plan(r, plan, &e);
}

static void format_time(uint64_t usec, char *buf, size_t size)
{
	time_t t = (time_t)(usec / 1000000);
	struct tm tm;

	if (!usec || !localtime_r(&t, &tm) || !strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, size, "%s", usec ? "?" : "until revoked");
}

static int print_status(sd_bus_message *reply, bool json)
{
	json_object *o = json_object_new_object(), *leases = json_object_new_array(),
		    *grants = json_object_new_array(), *files = json_object_new_array(),
		    *rejected = json_object_new_array(), *storms = json_object_new_array();
	const char *version, *slot, *comm, *file;
	uint32_t uid, pid, by;
	uint64_t uptime, since, until;
	char when[64];
	int r;

	r = sd_bus_message_read(reply, "st", &version, &uptime);
	if (r < 0)
		goto fail;
	if (!json)
		printf("udrvd %s, up %" PRIu64 " s\n\nLeases:\n", version, uptime / 1000000);
	r = sd_bus_message_enter_container(reply, 'a', "(suuts)");
	while (r >= 0 &&
	       (r = sd_bus_message_read(reply, "(suuts)", &slot, &uid, &pid, &since, &comm)) > 0) {
		json_object *l = json_object_new_object();

		json_object_object_add(l, "slot", json_object_new_string(slot));
		json_object_object_add(l, "uid", json_object_new_int64(uid));
		json_object_object_add(l, "pid", json_object_new_int64(pid));
		json_object_object_add(l, "command", json_object_new_string(comm));
		json_object_object_add(l, "since_usec", json_object_new_uint64(since));
		json_object_array_add(leases, l);
		format_time(since, when, sizeof(when));
		if (!json)
			printf("  %s  uid %u  pid %u (%s)  since %s\n", slot, uid, pid, comm, when);
	}
	if (r >= 0)
		r = sd_bus_message_exit_container(reply);
	if (!json)
		printf("%s\nStanding grants:\n",
		       json_object_array_length(leases) ? "" : "  none\n");
	if (r >= 0)
		r = sd_bus_message_enter_container(reply, 'a', "(sutu)");
	while (r >= 0 && (r = sd_bus_message_read(reply, "(sutu)", &slot, &uid, &until, &by)) > 0) {
		json_object *g = json_object_new_object();

		json_object_object_add(g, "slot", json_object_new_string(slot));
		json_object_object_add(g, "uid", json_object_new_int64(uid));
		json_object_object_add(g, "until_usec",
				       until ? json_object_new_uint64(until) : NULL);
		json_object_object_add(g, "granted_by", json_object_new_int64(by));
		json_object_array_add(grants, g);
		format_time(until, when, sizeof(when));
		if (!json)
			printf("  %s  uid %u  %s%s  (by uid %u)\n", slot, uid,
			       until ? "until " : "", when, by);
	}
	if (r >= 0)
		r = sd_bus_message_exit_container(reply);
	if (!json)
		printf("%s\nPolicy files in force:\n",
		       json_object_array_length(grants) ? "" : "  none\n");
	if (r >= 0)
		r = sd_bus_message_enter_container(reply, 'a', "s");
	while (r >= 0 && (r = sd_bus_message_read(reply, "s", &file)) > 0) {
		json_object_array_add(files, json_object_new_string(file));
		if (!json)
			printf("  %s\n", file);
	}
	if (r >= 0)
		r = sd_bus_message_exit_container(reply);
	if (!json)
		printf("%s\nPolicy files rejected:\n",
		       json_object_array_length(files) ? "" : "  none\n");
	if (r >= 0)
		r = sd_bus_message_enter_container(reply, 'a', "s");
	while (r >= 0 && (r = sd_bus_message_read(reply, "s", &file)) > 0) {
		json_object_array_add(rejected, json_object_new_string(file));
		if (!json)
			printf("  %s (see 'udrvctl policy check')\n", file);
	}
	if (r >= 0)
		r = sd_bus_message_exit_container(reply);
	if (!json)
		printf("%s\nInterrupt storms (IrqRateLimit= reached):\n",
		       json_object_array_length(rejected) ? "" : "  none\n");
	if (r >= 0)
		r = sd_bus_message_enter_container(reply, 'a', "(st)");
	while (r >= 0 && (r = sd_bus_message_read(reply, "(st)", &slot, &since)) > 0) {
		json_object *st = json_object_new_object();

		json_object_object_add(st, "slot", json_object_new_string(slot));
		json_object_object_add(st, "throttled", json_object_new_uint64(since));
		json_object_array_add(storms, st);
		if (!json)
			printf("  %s  throttled %" PRIu64 " times\n", slot, since);
	}
	if (r < 0)
		goto fail;
	if (!json && !json_object_array_length(storms))
		printf("  none\n");
	json_object_object_add(o, "irq_storms", storms);
	json_object_object_add(o, "version", json_object_new_string(version));
	json_object_object_add(o, "uptime_usec", json_object_new_uint64(uptime));
	json_object_object_add(o, "leases", leases);
	json_object_object_add(o, "standing_grants", grants);
	json_object_object_add(o, "policy_files", files);
	json_object_object_add(o, "policy_files_rejected", rejected);
	if (json)
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return EXIT_SUCCESS;
fail:
	json_object_put(o);
	log_error_errno(r, "udrvd sent a malformed status: %m");
	return EXIT_DENIED;
}

static int open_bus(const struct udrvctl_ctx *ctx, sd_bus **ret)
{
	struct udrv_error e = {};
	int r;

	r = udrvd_bus_open(ctx->socket, ret, &e);
	if (r < 0)
		log_error("%s", e.message);
	return r;
}

static int json_flag(int argc, char **argv, const struct udrvctl_ctx *ctx, const char *usage,
		     bool *ret)
{
	static const struct option options[] = {{"json", no_argument, NULL, 'j'}, {}};
	int c;

	*ret = ctx->json;
	while ((c = getopt_long(argc, argv, "+", options, NULL)) >= 0) {
		if (c != 'j') {
			log_error("usage: udrvctl %s", usage);
			return -EINVAL;
		}
		*ret = true;
	}
	if (optind != argc) {
		log_error("usage: udrvctl %s", usage);
		return -EINVAL;
	}
	return 0;
}

int verb_status(int argc, char **argv, const struct udrvctl_ctx *ctx)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	bool json;
	int r;

	if (json_flag(argc, argv, ctx, "status [--json]", &json) < 0)
		return EXIT_USAGE;
	if (open_bus(ctx, &bus) < 0)
		return EXIT_DENIED;
	r = sd_bus_call_method(bus, NULL, UDRV_BUS_PATH, UDRV_BUS_INTERFACE, "GetStatus", &e,
			       &reply, "");
	if (r < 0) {
		log_error("status: %s", e.message ?: strerror(-r));
		return EXIT_DENIED;
	}
	return print_status(reply, json);
}

static int on_event(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	const bool *json = userdata;
	const char *type, *slot, *text;
	uint32_t uid, pid;
	struct timespec ts;

	if (sd_bus_message_read(m, "ssuus", &type, &slot, &uid, &pid, &text) < 0)
		return 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (*json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "time_usec",
				       json_object_new_uint64((uint64_t)ts.tv_sec * 1000000 +
							      (uint64_t)ts.tv_nsec / 1000));
		json_object_object_add(o, "event", json_object_new_string(type));
		json_object_object_add(o, "slot", json_object_new_string(slot));
		json_object_object_add(o, "uid", json_object_new_int64(uid));
		json_object_object_add(o, "pid", json_object_new_int64(pid));
		json_object_object_add(o, "text", json_object_new_string(text));
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else
		printf("%s %s uid %u pid %u%s%s\n", type, slot, uid, pid, *text ? ": " : "", text);
	fflush(stdout);
	return 0;
}

int verb_monitor(int argc, char **argv, const struct udrvctl_ctx *ctx)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	bool json;
	int r;

	if (json_flag(argc, argv, ctx, "monitor [--json]", &json) < 0)
		return EXIT_USAGE;
	if (open_bus(ctx, &bus) < 0)
		return EXIT_DENIED;
	r = sd_bus_match_signal(bus, NULL, NULL, UDRV_BUS_PATH, UDRV_BUS_INTERFACE, "Event",
				on_event, &json);
	if (r >= 0)
		r = sd_bus_call_method(bus, NULL, UDRV_BUS_PATH, UDRV_BUS_INTERFACE, "Subscribe",
				       &e, NULL, "");
	if (r < 0) {
		log_error("monitor: %s", e.message ?: strerror(-r));
		return EXIT_DENIED;
	}
	for (;;) {
		r = sd_bus_process(bus, NULL);
		if (r < 0)
			break;
		if (r > 0)
			continue;
		r = sd_bus_wait(bus, UINT64_MAX);
		if (r < 0)
			break;
	}
	log_error_errno(r, "udrvd went away: %m");
	return EXIT_DENIED;
}

int verb_reload(int argc, char **argv, const struct udrvctl_ctx *ctx)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	int r;

	if (argc != 1) {
		log_error("usage: udrvctl reload");
		return EXIT_USAGE;
	}
	if (open_bus(ctx, &bus) < 0)
		return EXIT_DENIED;
	r = sd_bus_call_method(bus, NULL, UDRV_BUS_PATH, UDRV_BUS_INTERFACE, "Reload", &e, NULL,
			       "");
	if (r < 0) {
		log_error("reload: %s", e.message ?: strerror(-r));
		return EXIT_DENIED;
	}
	return EXIT_SUCCESS;
}
