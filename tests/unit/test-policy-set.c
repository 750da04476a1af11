/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for policy sets: search path, masking, order, first match, reload, explain. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "strv.h"
#include "test-policy-util.h"

static const char nic_for_netdev[] = "[Match]\nVendor=8086\n[Grant]\nGroups=netdev\n";
static const char edu_for_alice[] = "[Match]\nVendor=1234\nDevice=11e8\n[Grant]\nUsers=alice\n";

struct tree {
	char *root;
	char **dirs; /* etc, run, usr/lib */
};

static int tree_setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	t->root = test_mkdtemp();
	assert_non_null(t->root);
	assert_int_equal(policy_search_path(t->root, &t->dirs), 0);
	*state = t;
	return 0;
}

static int tree_teardown(void **state)
{
	struct tree *t = *state;

	test_rm_rf(t->root);
	free(t->root);
	strv_free(t->dirs);
	free(t);
	return 0;
}

static const char *etc(void **state)
{
	return ((struct tree *)*state)->dirs[0];
}

static const char *run(void **state)
{
	return ((struct tree *)*state)->dirs[1];
}

static const char *usr(void **state)
{
	return ((struct tree *)*state)->dirs[2];
}

static struct policy_set *load(void **state, struct policy_report *report)
{
	struct policy_set *set = NULL;

	assert_int_equal(policy_set_load(((struct tree *)*state)->dirs, &set, report), 0);
	return set;
}

/* The names of the files in force, "a.policy b.policy". */
static char *names(const struct policy_set *set)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);

	assert_non_null(out);
	for (size_t i = 0; i < policy_set_size(set); i++)
		fprintf(out, "%s%s", i ? " " : "", policy_file_get_name(policy_set_get(set, i)));
	fclose(out);
	return buf;
}

static void assert_names(const struct policy_set *set, const char *expected)
{
	_cleanup_free_ char *n = names(set);

	assert_string_equal(n, expected);
}

static void assert_verdict(const struct policy_set *set, const struct pci_device *dev,
			   const struct policy_cred *cred, const char *reason)
{
	_cleanup_(policy_decision_done) struct policy_decision d = {};

	assert_int_equal(policy_set_decide(set, dev, cred, &d), 0);
	assert_string_equal(d.reason, reason);
	assert_int_equal(d.granted, startswith(reason, "granted:"));
}

static void test_search_path(void **state)
{
	_cleanup_strv_free_ char **a = NULL, **b = NULL, **c = NULL;

	assert_int_equal(policy_search_path("/", &a), 0);
	assert_int_equal(strv_length(a), 3);
	assert_string_equal(a[0], "/etc/udrvd/policy.d");
	assert_string_equal(a[1], "/run/udrvd/policy.d");
	assert_string_equal(a[2], "/usr/lib/udrvd/policy.d");
	assert_int_equal(policy_search_path(NULL, &b), 0);
	assert_string_equal(b[2], "/usr/lib/udrvd/policy.d");
	assert_int_equal(policy_search_path("/tmp/fix//", &c), 0);
	assert_string_equal(c[0], "/tmp/fix/etc/udrvd/policy.d");
}

static void test_empty(void **state)
{
	_cleanup_(policy_report_done) struct policy_report report = {};
	_cleanup_(policy_set_freep) struct policy_set *set = load(state, &report);
	struct pci_device dev = test_device("0000:03:00.0", 0x8086, 0x10d3, 0x020000);
	struct policy_cred alice = test_alice();

	assert_int_equal(policy_set_size(set), 0);
	assert_null(policy_set_get(set, 0));
	assert_int_equal(report.n_errors, 0);
	assert_verdict(set, &dev, &alice, "denied: no policy matches 0000:03:00.0");
}

static void test_masking(void **state)
{
	_cleanup_(policy_report_done) struct policy_report report = {};
	_cleanup_(policy_set_freep) struct policy_set *set = NULL;
	char path[4096];

	test_write(usr(state), "10-a.policy", "[Match]\nSlot=*\n[Grant]\nUsers=usr\n");
	test_write(run(state), "10-a.policy", "[Match]\nSlot=*\n[Grant]\nUsers=run\n");
	test_write(etc(state), "10-a.policy", "[Match]\nSlot=*\n[Grant]\nUsers=etc\n");
	test_write(usr(state), "20-b.policy", "[Match]\nSlot=*\n[Grant]\nUsers=usr\n");
	test_write(run(state), "20-b.policy", "[Match]\nSlot=*\n[Grant]\nUsers=run\n");
	test_write(usr(state), "30-c.policy", "[Match]\nSlot=*\n");
	test_write(etc(state), "30-c.policy", ""); /* an empty file masks */
	test_write(usr(state), "40-d.policy", "[Match]\nSlot=*\n");
	snprintf(path, sizeof(path), "%s/40-d.policy", etc(state));
	assert_int_equal(symlink("/dev/null", path), 0); /* so does a link to /dev/null */
	test_write(usr(state), "50-e.policy", "[Match]\nSlot=*\n");
	/* Only *.policy, not hidden, counts. */
	test_write(etc(state), "60-f.conf", "garbage");
	test_write(etc(state), ".60-g.policy", "garbage");
	test_write(etc(state), "60-h.policy~", "garbage");
	test_write(etc(state), ".policy", "garbage");

	set = load(state, &report);
	test_print_report(&report);
	assert_int_equal(report.n_errors, 0);
	assert_null(report.rejected);
	assert_names(set, "10-a.policy 20-b.policy 50-e.policy");
	assert_string_equal(policy_file_get_path(policy_set_get(set, 0)),
			    strcat(strcpy(path, etc(state)), "/10-a.policy"));
	assert_string_equal(policy_file_get_grant(policy_set_get(set, 0))->users[0].name, "etc");
	assert_string_equal(policy_file_get_grant(policy_set_get(set, 1))->users[0].name, "run");
}

/* Files are tried by name, whatever their directory, and the first match decides. */
static void test_first_match(void **state)
{
	_cleanup_(policy_set_freep) struct policy_set *set = NULL;
	struct pci_device nic = test_device("0000:03:00.0", 0x8086, 0x10d3, 0x020000);
	struct pci_device edu = test_device("0000:00:03.0", 0x1234, 0x11e8, 0x00ff00);
	struct pci_device gpu = test_device("0000:01:00.0", 0x10de, 0x1c82, 0x030000);
	struct policy_cred alice = test_alice(), bob = test_bob();

	test_write(usr(state), "90-all.policy", "[Match]\nSlot=*\n[Grant]\nUsers=bob\n");
	test_write(etc(state), "60-edu.policy", edu_for_alice);
	test_write(run(state), "50-nics.policy", nic_for_netdev);
	test_write(usr(state), "10-no-gpus.policy", "[Match]\nClass=03\n");
	set = load(state, NULL);
	assert_names(set, "10-no-gpus.policy 50-nics.policy 60-edu.policy 90-all.policy");

	assert_verdict(set, &nic, &alice,
		       "granted: alice is in group netdev (gid 108), listed in Groups= "
		       "(50-nics.policy:4)");
	/* 90-all.policy would grant bob the NIC, but 50-nics.policy matched first. */
	assert_verdict(set, &nic, &bob,
		       "denied: bob is not listed in Users= or Groups= of 50-nics.policy");
	assert_verdict(set, &edu, &alice, "granted: alice is listed in Users= (60-edu.policy:5)");
	assert_verdict(set, &edu, &bob,
		       "denied: bob is not listed in Users= or Groups= of 60-edu.policy");
	assert_verdict(set, &gpu, &bob,
		       "denied: 10-no-gpus.policy grants the device to nobody (no Users= or "
		       "Groups=)");
}

static void test_explain(void **state)
{
	_cleanup_(policy_set_freep) struct policy_set *set = NULL;
	_cleanup_(policy_trace_done) struct policy_trace trace = {};
	_cleanup_(policy_trace_done) struct policy_trace none = {};
	_cleanup_(policy_decision_done) struct policy_decision d = {};
	_cleanup_(policy_decision_done) struct policy_decision nd = {};
	struct pci_device edu = test_device("0000:00:03.0", 0x1234, 0x11e8, 0x00ff00);
	struct pci_device other = test_device("0000:00:04.0", 0x1af4, 0x1000, 0x020000);
	struct policy_cred alice = test_alice();

	test_write(etc(state), "10-no-gpus.policy", "[Match]\nClass=03\n");
	test_write(etc(state), "50-nics.policy", nic_for_netdev);
	test_write(etc(state), "60-edu.policy", edu_for_alice);
	test_write(etc(state), "90-slot.policy", "[Match]\nSlot=0000:05:00.*\n");
	set = load(state, NULL);

	assert_int_equal(policy_set_explain(set, &edu, &alice, &trace, &d), 0);
	assert_int_equal(trace.n_steps, 3);
	assert_string_equal(policy_file_get_name(trace.steps[0].file), "10-no-gpus.policy");
	assert_false(trace.steps[0].matched);
	assert_string_equal(trace.steps[0].why,
			    "Class=03 does not match class 00ff00 (10-no-gpus.policy:2)");
	assert_string_equal(trace.steps[1].why,
			    "Vendor=8086 does not match vendor 1234 (50-nics.policy:2)");
	assert_true(trace.steps[2].matched);
	assert_null(trace.steps[2].why);
	assert_true(d.granted);
	assert_ptr_equal(d.file, trace.steps[2].file);
	assert_string_equal(d.reason, "granted: alice is listed in Users= (60-edu.policy:5)");

	assert_int_equal(policy_set_explain(set, &other, &alice, &none, &nd), 0);
	assert_int_equal(none.n_steps, 4);
	assert_string_equal(none.steps[3].why,
			    "Slot=0000:05:00.* does not match 0000:00:04.0 (90-slot.policy:2)");
	assert_false(nd.granted);
	assert_null(nd.file);
	assert_string_equal(nd.reason, "denied: no policy matches 0000:00:04.0");
}

static bool strv_has(char **l, const char *suffix)
{
	for (size_t i = 0; l && l[i]; i++)
		if (strlen(l[i]) >= strlen(suffix) &&
		    streq(l[i] + strlen(l[i]) - strlen(suffix), suffix))
			return true;
	return false;
}

static void test_reload_keeps_last_good(void **state)
{
	_cleanup_(policy_set_freep) struct policy_set *set = NULL;
	_cleanup_(policy_decision_done) struct policy_decision held = {};
	struct pci_device edu = test_device("0000:00:03.0", 0x1234, 0x11e8, 0x00ff00);
	struct pci_device nic = test_device("0000:03:00.0", 0x8086, 0x10d3, 0x020000);
	struct policy_cred alice = test_alice();
	char path[4096];

	test_write(etc(state), "60-edu.policy", edu_for_alice);
	set = load(state, NULL);
	assert_int_equal(policy_set_decide(set, &edu, &alice, &held), 0);
	assert_true(held.granted);

	/* Broken: the old version stays, and the report says so. */
	test_write(etc(state), "60-edu.policy",
		   "[Match]\nVendor=1234\n[Grant]\nUsers=bob\nDMA=x\n");
	test_write(etc(state), "50-nics.policy", "[Match]\nVendor=zz\n");
	{
		_cleanup_(policy_report_done) struct policy_report report = {};

		assert_int_equal(policy_set_reload(set, &report), 0);
		test_print_report(&report);
		assert_true(test_report_has(&report, 5, "DMA=: expected one of"));
		assert_true(test_report_has(&report, 2, "Vendor=: expected a 16-bit hex id"));
		assert_int_equal(strv_length(report.rejected), 2);
		assert_true(strv_has(report.rejected, "/etc/udrvd/policy.d/50-nics.policy"));
		assert_true(strv_has(report.rejected, "/etc/udrvd/policy.d/60-edu.policy"));
		assert_int_equal(strv_length(report.kept), 1);
		assert_true(strv_has(report.kept, "/etc/udrvd/policy.d/60-edu.policy"));
	}
	assert_names(set, "60-edu.policy");
	assert_verdict(set, &edu, &alice, "granted: alice is listed in Users= (60-edu.policy:5)");
	assert_verdict(set, &nic, &alice, "denied: no policy matches 0000:03:00.0");

	/* Fixed: the new version replaces it; a decision made before stays valid. */
	test_write(etc(state), "60-edu.policy",
		   "[Match]\nVendor=1234\n[Grant]\nUsers=bob\nBackend=uio\n");
	test_write(etc(state), "50-nics.policy", nic_for_netdev);
	{
		_cleanup_(policy_report_done) struct policy_report report = {};

		assert_int_equal(policy_set_reload(set, &report), 0);
		assert_int_equal(report.n_errors, 0);
		assert_null(report.rejected);
		assert_null(report.kept);
	}
	assert_names(set, "50-nics.policy 60-edu.policy");
	assert_verdict(set, &edu, &alice,
		       "denied: alice is not listed in Users= or Groups= of 60-edu.policy");
	assert_string_equal(held.reason, "granted: alice is listed in Users= (60-edu.policy:5)");
	assert_string_equal(policy_file_get_grant(held.file)->users[0].name, "alice");

	/* Broken again: the version kept is the last good one, not the first. */
	test_write(etc(state), "60-edu.policy", "[Match]\n");
	assert_int_equal(policy_set_reload(set, NULL), 0);
	assert_names(set, "50-nics.policy 60-edu.policy");
	assert_verdict(set, &edu, &alice,
		       "denied: alice is not listed in Users= or Groups= of 60-edu.policy");

	/* Removed or masked: gone, whatever its last good version was. */
	snprintf(path, sizeof(path), "%s/60-edu.policy", etc(state));
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink("/dev/null", path), 0);
	snprintf(path, sizeof(path), "%s/50-nics.policy", etc(state));
	assert_int_equal(unlink(path), 0);
	assert_int_equal(policy_set_reload(set, NULL), 0);
	assert_names(set, "");
}

/* A directory that cannot be read fails the reload and leaves the set as it was. */
static void test_reload_unreadable_dir(void **state)
{
	_cleanup_(policy_report_done) struct policy_report report = {};
	_cleanup_(policy_set_freep) struct policy_set *set = NULL;
	char path[4096];

	test_write(etc(state), "60-edu.policy", edu_for_alice);
	set = load(state, NULL);
	/* A file where the directory should be: ENOTDIR, even for root. */
	snprintf(path, sizeof(path), "%s/run/udrvd", ((struct tree *)*state)->root);
	test_write(path, "policy.d", "");
	assert_int_equal(policy_set_reload(set, &report), -ENOTDIR);
	assert_true(test_report_has(&report, 0, "Not a directory"));
	assert_names(set, "60-edu.policy");
	unlink(strcat(path, "/policy.d"));

	/* A directory anyone may write to is refused, sticky or not. */
	assert_int_equal(chmod(etc(state), 01777), 0);
	assert_int_equal(policy_set_reload(set, &report), -EPERM);
	assert_true(test_report_has(&report, 0, "refusing a world-writable directory"));
	assert_names(set, "60-edu.policy");
	assert_int_equal(chmod(etc(state), 0755), 0);
	assert_int_equal(policy_set_reload(set, NULL), 0);
}

static void test_file_checks(void **state)
{
	_cleanup_(policy_report_done) struct policy_report report = {};
	_cleanup_(policy_set_freep) struct policy_set *set = NULL;
	_cleanup_free_ char *big = malloc(POLICY_FILE_SIZE_MAX + 2);
	char path[4096], target[4096];

	/* Followed: a link to a file elsewhere. */
	test_write(((struct tree *)*state)->root, "kept-elsewhere", edu_for_alice);
	snprintf(target, sizeof(target), "%s/kept-elsewhere", ((struct tree *)*state)->root);
	snprintf(path, sizeof(path), "%s/10-link.policy", etc(state));
	test_write(etc(state), "README", "");
	assert_int_equal(symlink(target, path), 0);
	/* Rejected: world-writable, dangling, not a regular file, too large. */
	test_write(etc(state), "20-open.policy", edu_for_alice);
	snprintf(path, sizeof(path), "%s/20-open.policy", etc(state));
	assert_int_equal(chmod(path, 0666), 0);
	snprintf(path, sizeof(path), "%s/30-dangling.policy", etc(state));
	assert_int_equal(symlink("/nonexistent/x.policy", path), 0);
	snprintf(path, sizeof(path), "%s/40-dir.policy", etc(state));
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/50-fifo.policy", etc(state));
	assert_int_equal(mkfifo(path, 0644), 0);
	assert_non_null(big);
	memset(big, '#', POLICY_FILE_SIZE_MAX + 1);
	big[POLICY_FILE_SIZE_MAX + 1] = '\0';
	test_write(etc(state), "60-big.policy", big);

	set = load(state, &report);
	test_print_report(&report);
	assert_names(set, "10-link.policy");
	assert_int_equal(strv_length(report.rejected), 5);
	assert_int_equal(report.n_errors, 5);
	assert_true(test_report_has(&report, 0, "refusing a world-writable file"));
	assert_true(test_report_has(&report, 0, "No such file or directory"));
	assert_true(test_report_has(&report, 0, "expected a regular file"));
	assert_true(test_report_has(&report, 0, "expected at most 1 MiB"));
}

static void test_file_load(void **state)
{
	_cleanup_(policy_report_done) struct policy_report report = {};
	_cleanup_(policy_file_unrefp) struct policy_file *f = NULL;
	struct policy_file *none = NULL;
	char path[4096];

	test_write(etc(state), "a.policy", edu_for_alice);
	snprintf(path, sizeof(path), "%s/a.policy", etc(state));
	assert_int_equal(policy_file_load(path, &f, NULL), 0);
	assert_string_equal(policy_file_get_name(f), "a.policy");
	assert_string_equal(policy_file_get_path(f), path);
	assert_int_equal(policy_file_load("/dev/null", &none, NULL), POLICY_FILE_MASKED);
	assert_null(none);
	test_write(etc(state), "empty.policy", "");
	snprintf(path, sizeof(path), "%s/empty.policy", etc(state));
	assert_int_equal(policy_file_load(path, &none, NULL), POLICY_FILE_MASKED);
	assert_int_equal(policy_file_load("/nonexistent.policy", &none, &report), -ENOENT);
	assert_null(none);
	assert_int_equal(report.n_errors, 1);
	assert_string_equal(report.errors[0].path, "/nonexistent.policy");
	assert_int_equal(report.errors[0].line, 0);
	test_write(etc(state), "bad.policy", "[Match]\nSlot=x\n");
	snprintf(path, sizeof(path), "%s/bad.policy", etc(state));
	assert_int_equal(policy_file_load(path, &none, &report), -EINVAL);
	assert_int_equal(report.n_errors, 2);
	assert_string_equal(report.errors[1].path, path);
	assert_int_equal(report.errors[1].line, 2);
}

/* --policy-dir: one directory, as given. */
static void test_single_dir(void **state)
{
	_cleanup_(policy_set_freep) struct policy_set *set = NULL;
	char *dirs[] = {(char *)usr(state), NULL};

	test_write(usr(state), "50-nics.policy", nic_for_netdev);
	test_write(etc(state), "60-edu.policy", edu_for_alice);
	assert_int_equal(policy_set_load(dirs, &set, NULL), 0);
	assert_names(set, "50-nics.policy");
	assert_int_equal(policy_set_reload(set, NULL), 0);
	assert_names(set, "50-nics.policy");
}

static void test_cred(void **state)
{
	_cleanup_(policy_cred_done) struct policy_cred root = {}, byname = {}, ghost = {};
	struct policy_cred none = {};
	bool root_group = false;

	assert_int_equal(policy_cred_from_uid(0, &root), 0);
	assert_int_equal(root.uid, 0);
	assert_string_equal(root.user, "root");
	assert_true(root.n_gids >= 1);
	for (size_t i = 0; i < root.n_gids; i++)
		if (root.gids[i] == 0 && root.group_names[i] && streq(root.group_names[i], "root"))
			root_group = true;
	assert_true(root_group);
	assert_int_equal(policy_cred_from_user("root", &byname), 0);
	assert_int_equal(byname.uid, 0);
	assert_int_equal(policy_cred_from_user("4000000000", &ghost), 0);
	assert_null(ghost.user);
	assert_int_equal(ghost.n_gids, 0);
	assert_int_equal(policy_cred_from_user("no-such-user-udrv", &none), -ESRCH);
	assert_int_equal(policy_cred_from_user("4294967295", &none), -ERANGE);
	assert_null(none.user);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, tree_setup, tree_teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_search_path),
		T(test_empty),
		T(test_masking),
		T(test_first_match),
		T(test_explain),
		T(test_reload_keeps_last_good),
		T(test_reload_unreadable_dir),
		T(test_file_checks),
		T(test_file_load),
		T(test_single_dir),
		cmocka_unit_test(test_cred),
	};
#undef T

	umask(022); /* world-writable directories would be refused */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
