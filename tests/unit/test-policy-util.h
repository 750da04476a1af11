/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers the policy unit tests share: fake devices, callers, and files in temporary trees. */
#pragma once

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "macro.h"
#include "pci-device.h"
#include "policy.h"

/* A device as pci_device_read() would return it; no sysfs needed. */
static inline struct pci_device test_device(const char *slot, uint16_t vendor, uint16_t device,
					    uint32_t class)
{
	struct pci_device d = {
		.vendor = vendor,
		.device = device,
		.class = class,
		.subsystem_vendor = 0x1af4,
		.subsystem_device = 0x1100,
		.iommu_group = -1,
		.numa_node = -1,
	};

	snprintf(d.slot, sizeof(d.slot), "%s", slot);
	return d;
}

/* alice (uid 1000) in groups alice (1000) and netdev (108). */
static inline struct policy_cred test_alice(void)
{
	static gid_t gids[] = {1000, 108};
	static char *groups[] = {"alice", "netdev"};

	return (struct policy_cred){1000, "alice", gids, 2, groups};
}

/* bob (uid 1001) in group bob (1001) only. */
static inline struct policy_cred test_bob(void)
{
	static gid_t gids[] = {1001};
	static char *groups[] = {"bob"};

	return (struct policy_cred){1001, "bob", gids, 1, groups};
}

/* Runs the shell command FMT, aborting when it fails. */
static inline void test_sh(const char *fmt, const char *arg)
{
	char *cmd = NULL;

	if (asprintf(&cmd, fmt, arg) < 0 || system(cmd) != 0)
		abort();
	free(cmd);
}

/* Writes TEXT to DIR/NAME (creating DIR's parents), mode 0644. */
static inline void test_write(const char *dir, const char *name, const char *text)
{
	char *path = NULL;
	FILE *f;

	test_sh("mkdir -p '%s'", dir);
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		abort();
	f = fopen(path, "we");
	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
	chmod(path, 0644);
	free(path);
}

static inline char *test_mkdtemp(void)
{
	char tmpl[] = "/tmp/udrv-policy-XXXXXX";
	char *d = mkdtemp(tmpl);

	return d ? strdup(d) : NULL;
}

static inline void test_rm_rf(const char *dir)
{
	test_sh("rm -rf '%s'", dir);
}

/* Whether any error in R is at LINE and contains TEXT. */
static inline bool test_report_has(const struct policy_report *r, unsigned line, const char *text)
{
	for (size_t i = 0; i < r->n_errors; i++)
		if (r->errors[i].line == line && strstr(r->errors[i].text, text))
			return true;
	return false;
}

static inline void test_print_report(const struct policy_report *r)
{
	for (size_t i = 0; i < r->n_errors; i++)
		fprintf(stderr, "# %s:%u: %s\n", r->errors[i].path, r->errors[i].line,
			r->errors[i].text);
}
