/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: parse any bytes as a policy file; what parses must format and re-parse alike.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pci-device.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise_report(const struct policy_report *report)
{
	for (size_t i = 0; i < report->n_errors; i++) {
		char *s = NULL;

		if (policy_error_format(&report->errors[i], &s) == 0)
			free(s);
	}
}

/* Every key formatted back into a file. */
static char *format_file(const struct policy_file *f)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);

	if (!out)
		abort();
	for (int grant = 0; grant <= 1; grant++) {
		fprintf(out, "[%s]\n", grant ? "Grant" : "Match");
		for (enum policy_key k = 0; k < _POLICY_KEY_MAX; k++) {
			char *v = NULL;

			if (strcmp(policy_key_section(k), grant ? "Grant" : "Match") != 0)
				continue;
			if (policy_file_format_key(f, k, &v) < 0)
				abort();
			/* Unset lists format as "", which is not a value. */
			if (*v)
				fprintf(out, "%s=%s\n", policy_key_to_string(k), v);
			free(v);
		}
	}
	fclose(out);
	return buf;
}

static void check_round_trip(const struct policy_file *f)
{
	char *text = format_file(f);
	struct policy_file *g = NULL;

	if (policy_file_parse("again.policy", text, strlen(text), &g, NULL) < 0) {
		fprintf(stderr, "formatted file does not parse:\n%s", text);
		abort();
	}
	for (enum policy_key k = 0; k < _POLICY_KEY_MAX; k++) {
		char *a = NULL, *b = NULL;

		if (policy_file_format_key(f, k, &a) < 0 || policy_file_format_key(g, k, &b) < 0)
			abort();
		if (strcmp(a, b) != 0) {
			fprintf(stderr, "%s= formats as \"%s\", then as \"%s\"\n",
				policy_key_to_string(k), a, b);
			abort();
		}
		free(a);
		free(b);
	}
	policy_file_unref(g);
	free(text);
}

static void check_decisions(struct policy_file *f)
{
	static gid_t gids[] = {1000, 108};
	static char *groups[] = {"alice", NULL};
	const struct policy_cred creds[] = {
		{1000, "alice", gids, 2, groups},
		{0, NULL, NULL, 0, NULL},
	};
	const struct pci_device devs[] = {
		{.slot = "0000:00:03.0", .vendor = 0x1234, .device = 0x11e8, .class = 0x00ff00},
		{.slot = "0000:03:00.1",
		 .vendor = 0x8086,
		 .device = 0x10d3,
		 .class = 0x020000,
		 .subsystem_vendor = 0x8086},
	};

	for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++) {
		char *why = NULL;

		if (policy_file_match(f, &devs[i], &why) < 0)
			abort();
		free(why);
	}
	for (size_t i = 0; i < sizeof(creds) / sizeof(creds[0]); i++) {
		struct policy_decision d = {};

		if (policy_file_decide(f, &creds[i], &d) < 0)
			abort();
		policy_decision_done(&d);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_report report = {};
	struct policy_file *f = NULL;

	if (size > POLICY_FILE_SIZE_MAX)
		return 0;
	if (policy_file_parse("fuzz.policy", (const char *)data, size, &f, &report) == 0) {
		if (report.n_errors > 0)
			abort(); /* accepted with errors: the whole-file rule broke */
		check_round_trip(f);
		check_decisions(f);
		policy_file_unref(f);
	} else if (report.n_errors == 0)
		abort(); /* rejected without saying why */
	exercise_report(&report);
	policy_report_done(&report);
	return 0;
}
