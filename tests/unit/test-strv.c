/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for the string vector helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "macro.h"
#include "strv.h"

static void test_split(void **state)
{
	_cleanup_strv_free_ char **l = NULL;

	assert_int_equal(strv_split(&l, "  flr   bus pm ", " "), 0);
	assert_int_equal(strv_length(l), 3);
	assert_string_equal(l[0], "flr");
	assert_string_equal(l[2], "pm");
	assert_true(strv_contains(l, "bus"));
	assert_false(strv_contains(l, "acpi"));
	assert_int_equal(strv_split(&l, "   ", " "), 0);
	assert_null(l);
}

static void test_from_dir(void **state)
{
	char tmpl[] = "/tmp/udrv-strv-XXXXXX";
	_cleanup_strv_free_ char **l = NULL;
	char *dir = mkdtemp(tmpl);
	char path[64];

	assert_non_null(dir);
	for (const char *n = "cab"; *n; n++) {
		snprintf(path, sizeof(path), "%s/%c", dir, *n);
		assert_int_equal(mkdir(path, 0700), 0);
	}
	assert_int_equal(strv_from_dir(&l, dir, "b"), 0);
	assert_int_equal(strv_length(l), 2);
	assert_string_equal(l[0], "a");
	assert_string_equal(l[1], "c");
	for (const char *n = "cab"; *n; n++) {
		snprintf(path, sizeof(path), "%s/%c", dir, *n);
		rmdir(path);
	}
	rmdir(dir);
	assert_int_equal(strv_from_dir(&l, dir, NULL), -ENOENT);
	assert_int_equal(strv_length(l), 2); /* untouched on error */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_from_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
