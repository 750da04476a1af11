/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for udrvd's device records: format/parse round trip, atomic save, listing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>

#include "macro.h"
#include "state.h"
#include "strv.h"

static void test_round_trip(void **state)
{
	struct device_record r = {.slot = "0000:00:03.0",
				  .original_driver = (char *)"e1000e",
				  .backend = (char *)"uio",
				  .holder_uid = 1000,
				  .holder_pid = 4242};
	struct device_record back = {};
	_cleanup_free_ char *text = NULL;

	assert_int_equal(device_record_format(&r, &text), 0);
	assert_int_equal(device_record_parse("0000:00:03.0", text, &back), 0);
	assert_string_equal(back.original_driver, "e1000e");
	assert_null(back.original_override);
	assert_string_equal(back.backend, "uio");
	assert_int_equal(back.holder_uid, 1000);
	assert_int_equal(back.holder_pid, 4242);
	device_record_done(&back);
}

static void test_parse_rejects(void **state)
{
	struct device_record back = {};

	/* A record for another slot, or none at all, is not trusted. */
	assert_int_equal(device_record_parse("0000:00:03.0", "slot=0000:00:04.0\n", &back),
			 -EBADMSG);
	assert_int_equal(device_record_parse("0000:00:03.0", "original_driver=x\n", &back),
			 -EBADMSG);
	assert_int_equal(device_record_parse("../x", "slot=../x\n", &back), -EINVAL);
}

static void test_save_load_list(void **state)
{
	char tmpl[] = "/tmp/udrv-state-XXXXXX";
	char *root = mkdtemp(tmpl);
	struct device_record r = {.slot = "0000:00:04.0", .original_override = (char *)"x"};
	struct device_record back = {};
	_cleanup_strv_free_ char **slots = NULL;
	_cleanup_free_ char *cmd = NULL;

	assert_non_null(root);
	assert_int_equal(state_load(root, "0000:00:04.0", &back), -ENOENT);
	assert_int_equal(state_save(root, &r), 0);
	assert_int_equal(state_list(root, &slots), 0);
	assert_int_equal(strv_length(slots), 1);
	assert_string_equal(slots[0], "0000:00:04.0");
	assert_int_equal(state_load(root, "0000:00:04.0", &back), 0);
	assert_null(back.original_driver);
	assert_string_equal(back.original_override, "x");
	device_record_done(&back);
	assert_int_equal(state_remove(root, "0000:00:04.0"), 0);
	assert_int_equal(state_remove(root, "0000:00:04.0"), 0);
	assert_int_equal(state_load(root, "0000:00:04.0", &back), -ENOENT);
	assert_true(asprintf(&cmd, "rm -rf '%s'", root) > 0);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_save_load_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
