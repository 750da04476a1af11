/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for standing grants (table, expiry, file form) and the /proc holder scan. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "grants.h"
#include "holders.h"
#include "macro.h"

static void test_grant_table(void **state)
{
	struct grant_table t = {}, back = {};
	struct grant a = {.slot = "0000:00:03.0", .uid = 1001, .until_usec = 0, .by = 0};
	struct grant b = {.slot = "0000:00:03.0", .uid = 1002, .until_usec = 2000, .by = 5};
	struct grant c = {.slot = "0000:00:04.0", .uid = 1001, .until_usec = 9000, .by = 0};
	_cleanup_free_ char *text = NULL;

	assert_int_equal(grant_table_put(&t, &a), 0);
	assert_int_equal(grant_table_put(&t, &b), 0);
	assert_int_equal(grant_table_put(&t, &c), 0);
	b.until_usec = 3000; /* replaces, does not add */
	assert_int_equal(grant_table_put(&t, &b), 0);
	assert_int_equal(t.n, 3);
	assert_non_null(grant_table_find(&t, "0000:00:03.0", 1002, 2999));
	assert_null(grant_table_find(&t, "0000:00:03.0", 1002, 3000)); /* expired at its time */
	assert_null(grant_table_find(&t, "0000:00:03.0", 1003, 0));
	assert_null(grant_table_find(&t, "0000:00:05.0", 1001, 0));
	assert_non_null(grant_table_find(&t, "0000:00:03.0", 1001, UINT64_MAX)); /* no end */

	assert_int_equal(grant_table_format(&t, &text), 0);
	assert_string_equal(text, "0000:00:03.0 1001 0 0\n0000:00:03.0 1002 3000 5\n"
				  "0000:00:04.0 1001 9000 0\n");
	assert_int_equal(grant_table_parse("garbage\n../x 1 2 3\n0000:00:03.0 1001 0 0\n"
					   "0000:00:03.0 x 0 0\n",
					   &back),
			 0);
	assert_int_equal(back.n, 1); /* malformed lines skipped */
	grant_table_done(&back);

	assert_int_equal(grant_table_expire(&t, 5000), 1);
	assert_int_equal(t.n, 2);
	assert_int_equal(grant_table_remove_slot(&t, "0000:00:03.0"), 1);
	assert_int_equal(t.n, 1);
	assert_string_equal(t.g[0].slot, "0000:00:04.0");
	grant_table_done(&t);
}

static void test_maps_line(void **state)
{
	char *paths[] = {(char *)"/sys/devices/pci0000:00/0000:00:03.0/0000:01:00.0/",
			 (char *)"/dev/uio0", NULL};

	assert_true(holders_maps_line_matches(
		"7f00-7f10 rw-s 00000000 00:15 1234   "
		"/sys/devices/pci0000:00/0000:00:03.0/0000:01:00.0/resource0",
		paths));
	assert_true(holders_maps_line_matches("7f00-7f10 r--s 00000000 00:05 9 /dev/uio0", paths));
	assert_false(holders_maps_line_matches("7f00-7f10 rw-p 00000000 00:00 0 ", paths));
	assert_false(holders_maps_line_matches("7f00-7f10 rw-p 00000000 00:00 0 [heap]", paths));
	assert_false(holders_maps_line_matches(
		"7f00-7f10 rw-s 00000000 00:15 1 /sys/devices/pci0000:00/0000:00:03.0/config",
		paths));
	assert_false(holders_maps_line_matches("garbage", paths));
	/* A file pattern matches exactly: uio0 is not uio01, /dev/vfio/1 not /dev/vfio/10. */
	assert_false(
		holders_maps_line_matches("7f00-7f10 r--s 00000000 00:05 9 /dev/uio01", paths));
}

/* holders_find on a fake /proc: one process maps the BAR, one holds the uio fd, one holds
 * something else, and our own pid is never reported. */
static void test_find(void **state)
{
	char tmpl[] = "/tmp/udrv-proc-XXXXXX";
	char *root = mkdtemp(tmpl), cmd[1024], path[256];
	char *paths[] = {(char *)"/sys/devices/x/0000:01:00.0/", (char *)"/dev/uio0", NULL};
	struct holder *h = NULL;
	size_t n = 0;

	assert_non_null(root);
	snprintf(cmd, sizeof(cmd),
		 "set -e; cd '%s'; mkdir -p proc/101/fd proc/102/fd proc/103/fd proc/%d/fd; "
		 "echo a >proc/101/comm; echo b >proc/102/comm; echo c >proc/103/comm; "
		 "echo '1-2 rw-s 0 0:1 2 /sys/devices/x/0000:01:00.0/resource0' >proc/101/maps; "
		 ": >proc/102/maps; : >proc/103/maps; ln -s /dev/uio0 proc/102/fd/7; "
		 "ln -s /dev/null proc/103/fd/0; ln -s /dev/uio0 proc/%d/fd/3; : >proc/%d/maps",
		 root, (int)getpid(), (int)getpid(), (int)getpid());
	assert_int_equal(system(cmd), 0);
	assert_int_equal(holders_find(root, paths, 0, &h, &n), 0);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++) {
		if (h[i].pid == 101) {
			assert_string_equal(h[i].comm, "a");
			assert_string_equal(h[i].what,
					    "mapping of /sys/devices/x/0000:01:00.0/resource0");
		} else {
			assert_int_equal(h[i].pid, 102);
			assert_string_equal(h[i].what, "fd 7 on /dev/uio0");
		}
	}
	free(h);
	assert_int_equal(holders_find(root, paths, 101, &h, &n), 0); /* EXCEPT */
	assert_int_equal(n, 1);
	free(h);
	snprintf(path, sizeof(path), "rm -rf '%s'", root);
	assert_int_equal(system(path), 0);
}

/* A file handed out by a udrvd that ran in another mount namespace reads back through
 * /proc/PID/fd and maps under another path: device and inode still match it. */
static void test_find_ident(void **state)
{
	char tmpl[] = "/tmp/udrv-proc-XXXXXX";
	char *root = mkdtemp(tmpl), cmd[2048], node[256], dir[256];
	char *paths[] = {dir, node, NULL};
	struct holder *h = NULL;
	struct stat st;
	size_t n = 0;

	assert_non_null(root);
	snprintf(node, sizeof(node), "%s/dev/uio0", root);
	snprintf(dir, sizeof(dir), "%s/sys/dev0/", root);
	snprintf(cmd, sizeof(cmd),
		 "set -e; cd '%s'; mkdir -p dev sys/dev0 gone proc/201/fd proc/202/fd; "
		 ": >dev/uio0; : >sys/dev0/resource0; ln dev/uio0 gone/uio0; "
		 "echo a >proc/201/comm; echo b >proc/202/comm; : >proc/201/maps; "
		 "ln -s '%s/gone/uio0' proc/201/fd/5",
		 root, root);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s/sys/dev0/resource0", root);
	assert_int_equal(stat(cmd, &st), 0);
	snprintf(cmd, sizeof(cmd), "echo '1-2 rw-s 0 %x:%x %llu /resource0' >'%s/proc/202/maps'",
		 major(st.st_dev), minor(st.st_dev), (unsigned long long)st.st_ino, root);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(holders_find(root, paths, 0, &h, &n), 0);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++)
		assert_true(h[i].pid == 201 ? startswith(h[i].what, "fd 5 on ")
					    : streq(h[i].what, "mapping of /resource0"));
	free(h);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

/* A child that holds only FD (every other fd from 3 up closed) until killed. */
static pid_t hold_only(int fd)
{
	pid_t pid = fork();

	if (pid == 0) {
		for (int i = 3; i < 1024; i++)
			if (i != fd)
				close(i);
		pause();
		_exit(0);
	}
	return pid;
}

/* "/proc/self/fd/N" names our own file N: a process holding the same open file matches (kcmp),
 * one holding another file on the same anonymous inode does not (every eventfd, like every
 * VFIO device fd, is one anon inode). The scan sees the two children only: a fake ROOT/proc
 * links to their real /proc entries. */
static void test_find_own_file(void **state)
{
	_cleanup_close_ int mine = eventfd(0, 0), other = eventfd(0, 0);
	char tmpl[] = "/tmp/udrv-proc-XXXXXX";
	char *root = mkdtemp(tmpl), self[64], cmd[512];
	char *paths[] = {self, NULL};
	struct holder *h = NULL;
	size_t n = 0;
	pid_t a, b;
	int r;

	assert_true(root && mine >= 0 && other >= 0);
	snprintf(self, sizeof(self), "/proc/self/fd/%d", mine);
	a = hold_only(mine);
	b = hold_only(other);
	assert_true(a > 0 && b > 0);
	snprintf(cmd, sizeof(cmd),
		 "set -e; mkdir '%s/proc'; ln -s /proc/%d '%s/proc/%d'; "
		 "ln -s /proc/%d '%s/proc/%d'",
		 root, (int)a, root, (int)a, (int)b, root, (int)b);
	assert_int_equal(system(cmd), 0);
	usleep(100000); /* the children closed the rest */
	r = holders_find(root, paths, 0, &h, &n);
	kill(a, SIGKILL);
	kill(b, SIGKILL);
	waitpid(a, NULL, 0);
	waitpid(b, NULL, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(r, 0);
	assert_int_equal(n, 1);
	assert_int_equal(h[0].pid, a);
	assert_non_null(strstr(h[0].what, "anon_inode:[eventfd], a copy of udrvd's"));
	free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grant_table),   cmocka_unit_test(test_maps_line),
		cmocka_unit_test(test_find),	      cmocka_unit_test(test_find_ident),
		cmocka_unit_test(test_find_own_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
