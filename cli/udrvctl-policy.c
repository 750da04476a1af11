/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* udrvctl policy check|explain: lint policy files, and show which one decides a device and why. */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "pci-device.h"
#include "policy.h"
#include "strv.h"
#include "udrvctl.h"

struct policy_args {
	const char *policy_dir; /* replaces the search path */
	const char *user;
	bool json;
	char **rest; /* the arguments after the options */
	int n_rest;
};

static void policy_help(FILE *f)
{
	fputs("Usage: udrvctl policy check [--policy-dir DIR] [FILE...]\n"
	      "       udrvctl policy explain [--policy-dir DIR] [--user USER] [--json] SLOT\n"
	      "check lints FILEs, or every file udrvd would read; explain shows which policy\n"
	      "file decides SLOT for USER (default: you), its settings and the verdict.\n",
	      f);
}

/* parse_args() found nothing that ends the verb early. */
#define PROCEED (-1)

/* Parses the options after "policy VERB"; returns PROCEED, or the exit code to stop with. */
static int parse_args(int argc, char **argv, bool explain, struct policy_args *ret)
{
	enum { OPT_POLICY_DIR = 0x100, OPT_USER, OPT_JSON };
	static const struct option options[] = {
		{"policy-dir", required_argument, NULL, OPT_POLICY_DIR},
		{"user", required_argument, NULL, OPT_USER},
		{"json", no_argument, NULL, OPT_JSON},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	struct policy_args a = {};
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
		if (c == OPT_POLICY_DIR)
			a.policy_dir = optarg;
		else if (c == OPT_USER && explain)
			a.user = optarg;
		else if (c == OPT_JSON && explain)
			a.json = true;
		else if (c == 'h') {
			policy_help(stdout);
			return EXIT_SUCCESS;
		} else {
			policy_help(stderr);
			return EXIT_USAGE;
		}
	}
	a.rest = argv + optind;
	a.n_rest = argc - optind;
	*ret = a;
	return PROCEED;
}

static void print_report(const struct policy_report *report, const char *note)
{
	for (size_t i = 0; i < report->n_errors; i++) {
		_cleanup_free_ char *s = NULL;

		if (policy_error_format(&report->errors[i], &s) < 0) {
			log_oom();
			continue;
		}
		fprintf(stderr, "%s%s\n", s, note);
	}
}

/* Warnings, not errors: udrvd accepts the file, but a key does not do what it says on a backend
 * the file can select. */
static void print_backend_notes(const struct policy_file *f)
{
	_cleanup_strv_free_ char **notes = NULL;

	if (policy_file_backend_notes(f, &notes) < 0) {
		log_oom();
		return;
	}
	for (char **n = notes; n && *n; n++)
		fprintf(stderr, "warning: %s\n", *n);
}

static bool has_policy_suffix(const char *path)
{
	size_t n = strlen(path);

	return n > strlen(".policy") && streq(path + n - strlen(".policy"), ".policy");
}

static int check_file(const char *path)
{
	_cleanup_(policy_report_done) struct policy_report report = {};
	_cleanup_(policy_file_unrefp) struct policy_file *f = NULL;
	int r;

	r = policy_file_load(path, &f, &report);
	print_report(&report, "");
	if (r == -ENOMEM)
		return log_oom();
	if (f)
		print_backend_notes(f);
	if (r == 0 && !has_policy_suffix(path)) {
		fprintf(stderr,
			"%s: expected a name ending in .policy; udrvd reads no other file\n", path);
		return -EINVAL;
	}
	return r;
}

/* The search path, or DIR alone when --policy-dir was given. */
static int policy_dirs(const struct udrvctl_ctx *ctx, const struct policy_args *a, char ***ret)
{
	if (!a->policy_dir)
		return policy_search_path(ctx->root, ret);
	*ret = NULL;
	return strv_push(ret, a->policy_dir);
}

static int check_search_path(const struct udrvctl_ctx *ctx, const struct policy_args *a)
{
	_cleanup_(policy_report_done) struct policy_report report = {};
	_cleanup_(policy_set_freep) struct policy_set *set = NULL;
	_cleanup_strv_free_ char **dirs = NULL;
	int r;

	r = policy_dirs(ctx, a, &dirs);
	if (r < 0)
		return log_oom();
	r = policy_set_load(dirs, &set, &report);
	print_report(&report, "");
	if (r < 0)
		return r;
	for (size_t i = 0; i < policy_set_size(set); i++)
		print_backend_notes(policy_set_get(set, i));
	if (policy_set_size(set) == 0 && !report.rejected)
		log_notice("no policy files in %s: udrvd denies every device.", dirs[0]);
	return report.rejected ? -EINVAL : 0;
}

static int verb_policy_check(int argc, char **argv, const struct udrvctl_ctx *ctx)
{
	struct policy_args a;
	bool bad = false;
	int r;

	r = parse_args(argc, argv, false, &a);
	if (r != PROCEED)
		return r;
	if (a.n_rest == 0)
		return check_search_path(ctx, &a) < 0 ? EXIT_DENIED : EXIT_SUCCESS;
	if (a.policy_dir) {
		log_error("give either --policy-dir or FILEs to check, not both.");
		return EXIT_USAGE;
	}
	for (int i = 0; i < a.n_rest; i++)
		if (check_file(a.rest[i]) < 0)
			bad = true;
	return bad ? EXIT_DENIED : EXIT_SUCCESS;
}

static void print_cred(const struct policy_cred *cred)
{
	if (cred->user)
		printf("user %s (uid %u)", cred->user, (unsigned)cred->uid);
	else
		printf("user uid %u", (unsigned)cred->uid);
	for (size_t i = 0; i < cred->n_gids; i++) {
		const char *name = cred->group_names ? cred->group_names[i] : NULL;

		printf("%s%s%s%u%s", i ? ", " : ", groups ", name ?: "", name ? " (" : "",
		       (unsigned)cred->gids[i], name ? ")" : "");
	}
	putchar('\n');
}

static int print_settings(const struct policy_file *f)
{
	printf("settings of %s:\n", policy_file_get_path(f));
	for (enum policy_key k = 0; k < _POLICY_KEY_MAX; k++) {
		_cleanup_free_ char *v = NULL, *kv = NULL;
		unsigned line = policy_file_key_line(f, k);

		if (!line && streq(policy_key_section(k), "Match"))
			continue;
		if (policy_file_format_key(f, k, &v) < 0)
			return log_oom();
		if (asprintf(&kv, "%s=%s", policy_key_to_string(k), v) < 0)
			return log_oom();
		if (line)
			printf("  %-32s %s:%u\n", kv, policy_file_get_name(f), line);
		else
			printf("  %-32s default\n", kv);
	}
	return 0;
}

/* The backend the matching file's grant would use on DEV, as udrvd chooses it. */
static const char *explain_backend(const char *root, const struct pci_device *dev,
				   const struct policy_decision *d, const char **ret_why)
{
	enum policy_backend b;

	if (!d->file)
		return NULL;
	if (policy_backend_choose(policy_file_get_grant(d->file), dev, policy_uio_ext_loaded(root),
				  &b, ret_why) < 0)
		return "none";
	return policy_backend_to_string(b);
}

static int print_explain(const char *root, const struct pci_device *dev,
			 const struct policy_cred *cred, const struct policy_trace *trace,
			 const struct policy_decision *d)
{
	const char *backend, *why = NULL;

	printf("device %s: vendor %04x, device %04x, class %06x, subsystem %04x:%04x\n", dev->slot,
	       dev->vendor, dev->device, dev->class, dev->subsystem_vendor, dev->subsystem_device);
	print_cred(cred);
	for (size_t i = 0; i < trace->n_steps; i++)
		if (!trace->steps[i].matched)
			printf("tried %s: %s\n", policy_file_get_name(trace->steps[i].file),
			       trace->steps[i].why);
	if (d->file) {
		int r;

		printf("matched %s\n", policy_file_get_name(d->file));
		r = print_settings(d->file);
		if (r < 0)
			return r;
	}
	backend = explain_backend(root, dev, d, &why);
	if (backend)
		printf("backend %s: %s\n", backend, why);
	printf("%s\n", d->reason);
	return 0;
}

static json_object *json_settings(const struct policy_file *f)
{
	json_object *o = json_object_new_object();

	for (enum policy_key k = 0; k < _POLICY_KEY_MAX; k++) {
		_cleanup_free_ char *v = NULL;
		unsigned line = policy_file_key_line(f, k);
		json_object *s;

		if (!line && streq(policy_key_section(k), "Match"))
			continue;
		if (policy_file_format_key(f, k, &v) < 0)
			return NULL;
		s = json_object_new_object();
		json_object_object_add(s, "value", json_object_new_string(v));
		json_object_object_add(s, "line", line ? json_object_new_int((int)line) : NULL);
		json_object_object_add(o, policy_key_to_string(k), s);
	}
	return o;
}

static json_object *json_cred(const struct policy_cred *cred)
{
	json_object *o = json_object_new_object(), *groups = json_object_new_array();

	json_object_object_add(o, "uid", json_object_new_int64(cred->uid));
	json_object_object_add(o, "name", cred->user ? json_object_new_string(cred->user) : NULL);
	for (size_t i = 0; i < cred->n_gids; i++) {
		const char *name = cred->group_names ? cred->group_names[i] : NULL;
		json_object *g = json_object_new_object();

		json_object_object_add(g, "gid", json_object_new_int64(cred->gids[i]));
		json_object_object_add(g, "name", name ? json_object_new_string(name) : NULL);
		json_object_array_add(groups, g);
	}
	json_object_object_add(o, "groups", groups);
	return o;
}

static json_object *json_file(const struct policy_file *f)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "file", json_object_new_string(policy_file_get_name(f)));
	json_object_object_add(o, "path", json_object_new_string(policy_file_get_path(f)));
	return o;
}

static int print_explain_json(const char *root, const struct pci_device *dev,
			      const struct policy_cred *cred, const struct policy_trace *trace,
			      const struct policy_decision *d)
{
	json_object *o = json_object_new_object(), *tried = json_object_new_array(), *settings;
	const char *backend, *why = NULL;

	json_object_object_add(o, "slot", json_object_new_string(dev->slot));
	json_object_object_add(o, "user", json_cred(cred));
	for (size_t i = 0; i < trace->n_steps; i++) {
		json_object *t;

		if (trace->steps[i].matched)
			continue;
		t = json_file(trace->steps[i].file);
		json_object_object_add(t, "why", json_object_new_string(trace->steps[i].why));
		json_object_array_add(tried, t);
	}
	json_object_object_add(o, "tried", tried);
	json_object_object_add(o, "matched", d->file ? json_file(d->file) : NULL);
	settings = d->file ? json_settings(d->file) : NULL;
	json_object_object_add(o, "settings", settings);
	backend = explain_backend(root, dev, d, &why);
	json_object_object_add(o, "backend", backend ? json_object_new_string(backend) : NULL);
	json_object_object_add(o, "backend_reason", why ? json_object_new_string(why) : NULL);
	json_object_object_add(o, "granted", json_object_new_boolean(d->granted));
	json_object_object_add(o, "reason", json_object_new_string(d->reason));
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
	json_object_put(o);
	return d->file && !settings ? log_oom() : 0;
}

static int read_cred(const char *user, struct policy_cred *ret)
{
	int r = user ? policy_cred_from_user(user, ret) : policy_cred_from_uid(getuid(), ret);

	if (r == -ESRCH || r == -ERANGE) {
		log_error("no user '%s': expected a user name or a numeric uid.", user);
		return EXIT_USAGE;
	}
	if (r < 0) {
		log_error_errno(r, "cannot look up the groups of %s: %m", user ?: "the caller");
		return EXIT_FAILURE;
	}
	return 0;
}

/* Loads the policy files, warning about the ones udrvd would reject. */
static int load_set(const struct udrvctl_ctx *ctx, const struct policy_args *a,
		    struct policy_set **ret)
{
	_cleanup_(policy_report_done) struct policy_report report = {};
	_cleanup_strv_free_ char **dirs = NULL;
	int r;

	r = policy_dirs(ctx, a, &dirs);
	if (r < 0)
		return log_oom();
	r = policy_set_load(dirs, ret, &report);
	print_report(&report, " (file ignored)");
	if (r < 0)
		return log_error_errno(r, "cannot load the policy files: %m");
	return 0;
}

static int explain(const struct udrvctl_ctx *ctx, const struct policy_args *a,
		   const struct pci_device *dev, const struct policy_cred *cred)
{
	_cleanup_(policy_set_freep) struct policy_set *set = NULL;
	_cleanup_(policy_trace_done) struct policy_trace trace = {};
	_cleanup_(policy_decision_done) struct policy_decision d = {};
	int r;

	r = load_set(ctx, a, &set);
	if (r < 0)
		return EXIT_FAILURE;
	r = policy_set_explain(set, dev, cred, &trace, &d);
	if (r < 0) {
		log_oom();
		return EXIT_FAILURE;
	}
	r = a->json ? print_explain_json(ctx->root, dev, cred, &trace, &d)
		    : print_explain(ctx->root, dev, cred, &trace, &d);
	if (r < 0)
		return EXIT_FAILURE;
	return d.granted ? EXIT_SUCCESS : EXIT_DENIED;
}

static int verb_policy_explain(int argc, char **argv, const struct udrvctl_ctx *ctx)
{
	_cleanup_(pci_device_freep) struct pci_device *dev = NULL;
	_cleanup_(policy_cred_done) struct policy_cred cred = {};
	struct policy_args a;
	int r;

	r = parse_args(argc, argv, true, &a);
	if (r != PROCEED)
		return r;
	a.json = a.json || ctx->json;
	if (a.n_rest != 1) {
		log_error("policy explain takes one SLOT; see 'udrvctl policy --help'.");
		return EXIT_USAGE;
	}
	r = cli_read_device(ctx, a.rest[0], &dev);
	if (r != 0)
		return r;
	r = read_cred(a.user, &cred);
	if (r != 0)
		return r;
	return explain(ctx, &a, dev, &cred);
}

int verb_policy(int argc, char **argv, const struct udrvctl_ctx *ctx)
{
	if (argc < 2) {
		policy_help(stderr);
		return EXIT_USAGE;
	}
	if (streq(argv[1], "check"))
		return verb_policy_check(argc - 1, argv + 1, ctx);
	if (streq(argv[1], "explain"))
		return verb_policy_explain(argc - 1, argv + 1, ctx);
	if (streq(argv[1], "--help") || streq(argv[1], "-h")) {
		policy_help(stdout);
		return EXIT_SUCCESS;
	}
	log_error("unknown policy verb '%s': expected check or explain.", argv[1]);
	return EXIT_USAGE;
}
