/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for the value spellings of policy files: ids, classes, durations, sizes, ranges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>

#include "macro.h"
#include "policy-values.h"

#define USEC_PER_SEC UINT64_C(1000000)

static void test_hex16(void **state)
{
	uint16_t v;

	assert_int_equal(policy_parse_hex16("8086", &v), 0);
	assert_int_equal(v, 0x8086);
	assert_int_equal(policy_parse_hex16("0x10D3", &v), 0);
	assert_int_equal(v, 0x10d3);
	assert_int_equal(policy_parse_hex16("0", &v), 0);
	assert_int_equal(v, 0);
	v = 7;
	assert_int_equal(policy_parse_hex16("80861", &v), -EINVAL);
	assert_int_equal(policy_parse_hex16("", &v), -EINVAL);
	assert_int_equal(policy_parse_hex16("0x", &v), -EINVAL);
	assert_int_equal(policy_parse_hex16("80g6", &v), -EINVAL);
	assert_int_equal(policy_parse_hex16("-1", &v), -EINVAL);
	assert_int_equal(v, 7); /* untouched on error */
}

static void test_class(void **state)
{
	struct policy_class c;

	assert_int_equal(policy_parse_class("02", &c), 0);
	assert_int_equal(c.value, 0x02);
	assert_int_equal(c.digits, 2);
	assert_true(policy_class_matches(&c, 0x020000));
	assert_true(policy_class_matches(&c, 0x028000));
	assert_false(policy_class_matches(&c, 0x030000));
	assert_int_equal(policy_parse_class("0200", &c), 0);
	assert_true(policy_class_matches(&c, 0x020000));
	assert_false(policy_class_matches(&c, 0x028000));
	assert_int_equal(policy_parse_class("0x0c0330", &c), 0);
	assert_int_equal(c.digits, 6);
	assert_true(policy_class_matches(&c, 0x0c0330));
	assert_false(policy_class_matches(&c, 0x0c0320));
	assert_int_equal(policy_parse_class("2", &c), -EINVAL);
	assert_int_equal(policy_parse_class("020", &c), -EINVAL);
	assert_int_equal(policy_parse_class("02000000", &c), -EINVAL);
	assert_int_equal(policy_parse_class("zz", &c), -EINVAL);
}

static void test_boolean(void **state)
{
	for (const char *const *s =
		     (const char *const[]){"1", "yes", "y", "true", "t", "on", "YES", NULL};
	     *s; s++)
		assert_int_equal(policy_parse_boolean(*s), 1);
	for (const char *const *s =
		     (const char *const[]){"0", "no", "n", "false", "f", "off", "No", NULL};
	     *s; s++)
		assert_int_equal(policy_parse_boolean(*s), 0);
	assert_int_equal(policy_parse_boolean("maybe"), -EINVAL);
	assert_int_equal(policy_parse_boolean(""), -EINVAL);
}

static void test_uint64(void **state)
{
	uint64_t v;

	assert_int_equal(policy_parse_uint64("100000", &v), 0);
	assert_int_equal(v, 100000);
	assert_int_equal(policy_parse_uint64("18446744073709551615", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(policy_parse_uint64("18446744073709551616", &v), -ERANGE);
	assert_int_equal(policy_parse_uint64("-1", &v), -EINVAL);
	assert_int_equal(policy_parse_uint64("1 ", &v), -EINVAL);
	assert_int_equal(policy_parse_uint64("", &v), -EINVAL);
}

static void test_duration(void **state)
{
	static const struct {
		const char *s;
		uint64_t usec;
	} good[] = {
		{"1ms", 1000},
		{"500us", 500},
		{"500usec", 500},
		{"7\xc2\xb5s", 7},
		{"2msec", 2000},
		{"3", 3 * USEC_PER_SEC},
		{"3s", 3 * USEC_PER_SEC},
		{"3sec", 3 * USEC_PER_SEC},
		{"1second", USEC_PER_SEC},
		{"2seconds", 2 * USEC_PER_SEC},
		{"30min", 1800 * USEC_PER_SEC},
		{"2m", 120 * USEC_PER_SEC},
		{"1minute", 60 * USEC_PER_SEC},
		{"8h", 8 * 3600 * USEC_PER_SEC},
		{"1hr", 3600 * USEC_PER_SEC},
		{"2hours", 7200 * USEC_PER_SEC},
		{"1d", 86400 * USEC_PER_SEC},
		{"1w", 7 * 86400 * USEC_PER_SEC},
		{"1M", 2629800 * USEC_PER_SEC},
		{"1y", 31557600 * USEC_PER_SEC},
		{"1h 30min", 5400 * USEC_PER_SEC},
		{"1h30min", 5400 * USEC_PER_SEC},
		{" 2 s ", 2 * USEC_PER_SEC},
		{"1.5s", 1500000},
		{"0.25ms", 250},
		{"0.1s", 100000},
		{"1.0000000000000000000001s", USEC_PER_SEC},
		{"0", 0},
		{"infinity", POLICY_INFINITY},
	};
	static const char *const bad[] = {
		"",
		"   ",
		"ms",
		"1 parsec",
		"1x",
		"-1s",
		"1.s",
		".5s",
		"infinity1",
		"1h infinity",
		"99999999999999999999s",
		"5000000000000y",
		"1\xff",
	};
	uint64_t v;

	for (size_t i = 0; i < ELEMENTSOF(good); i++) {
		v = 42;
		assert_int_equal(policy_parse_duration(good[i].s, &v), 0);
		assert_true(v == good[i].usec);
	}
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		v = 42;
		assert_true(policy_parse_duration(bad[i], &v) < 0);
		assert_true(v == 42);
	}
}

static void test_size(void **state)
{
	static const struct {
		const char *s;
		uint64_t bytes;
	} good[] = {
		{"512", 512},
		{"512B", 512},
		{"64K", 64 << 10},
		{"64M", UINT64_C(64) << 20},
		{"2G", UINT64_C(2) << 30},
		{"1T", UINT64_C(1) << 40},
		{"1P", UINT64_C(1) << 50},
		{"1E", UINT64_C(1) << 60},
		{"1.5G", UINT64_C(3) << 29},
		{"1G 512M", UINT64_C(3) << 29},
		{"0.5K", 512},
		{"1.5", 1}, /* bytes do not split */
		{"0", 0},
		{"infinity", POLICY_INFINITY},
	};
	static const char *const bad[] = {"", "G", "2g", "2GB", "2Gi", "-1", "16E", "1.G", "x"};
	uint64_t v;

	for (size_t i = 0; i < ELEMENTSOF(good); i++) {
		assert_int_equal(policy_parse_size(good[i].s, &v), 0);
		assert_true(v == good[i].bytes);
	}
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		assert_true(policy_parse_size(bad[i], &v) < 0);
}

static void test_range(void **state)
{
	struct policy_range r;

	assert_int_equal(policy_parse_range("0x100-0x10f", &r), 0);
	assert_int_equal(r.start, 0x100);
	assert_int_equal(r.end, 0x10f);
	assert_int_equal(policy_parse_range("0x40", &r), 0);
	assert_int_equal(r.start, 0x40);
	assert_int_equal(r.end, 0x40);
	assert_int_equal(policy_parse_range("0XFFF", &r), 0);
	assert_int_equal(r.end, 0xfff);
	assert_int_equal(policy_parse_range("0x10f-0x100", &r), -ERANGE);
	assert_int_equal(policy_parse_range("0x1000", &r), -EINVAL);
	assert_int_equal(policy_parse_range("256", &r), -EINVAL);
	assert_int_equal(policy_parse_range("0x100-", &r), -EINVAL);
	assert_int_equal(policy_parse_range("-0x100", &r), -EINVAL);
	assert_int_equal(policy_parse_range("0x100-0x110-0x120", &r), -EINVAL);
	assert_int_equal(policy_parse_range("0x", &r), -EINVAL);
}

static void test_slot_pattern(void **state)
{
	static const struct {
		const char *in, *out;
	} good[] = {
		{"0000:03:00.0", "0000:03:00.0"},
		{"03:00.1", "0000:03:00.1"},
		{"0000:0A:1F.7", "0000:0a:1f.7"},
		{"0000:03:00.*", "0000:03:00.*"},
		{"*", "*"},
		{"0000:0[0-3]:??.[!1]", "0000:0[0-3]:??.[!1]"},
		{"*:0A:00.0", "*:0a:00.0"},
	};
	static const char *const bad[] = {"",	"0000:03:00.8", "0000:03:20.0",	 "03:00",
					  "x*", "/sys/*",	"0000:03:00.0 ", "../*"};

	for (size_t i = 0; i < ELEMENTSOF(good); i++) {
		_cleanup_free_ char *p = NULL;

		assert_int_equal(policy_parse_slot_pattern(good[i].in, &p), 0);
		assert_string_equal(p, good[i].out);
	}
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		char *p = NULL;

		assert_int_equal(policy_parse_slot_pattern(bad[i], &p), -EINVAL);
		assert_null(p);
	}
}

static void test_id(void **state)
{
	struct policy_id id;

	assert_int_equal(policy_parse_id("alice", &id), 0);
	assert_string_equal(id.name, "alice");
	free(id.name);
	assert_int_equal(policy_parse_id("_svc-x.y", &id), 0);
	free(id.name);
	assert_int_equal(policy_parse_id("machine$", &id), 0);
	free(id.name);
	assert_int_equal(policy_parse_id("1000", &id), 0);
	assert_null(id.name);
	assert_int_equal(id.id, 1000);
	assert_int_equal(policy_parse_id("0", &id), 0);
	assert_int_equal(id.id, 0);
	assert_int_equal(policy_parse_id("4294967294", &id), 0);
	assert_int_equal(policy_parse_id("4294967295", &id), -ERANGE);
	assert_int_equal(policy_parse_id("99999999999999999999", &id), -EINVAL);
	assert_int_equal(policy_parse_id("1000x", &id), -EINVAL);
	assert_int_equal(policy_parse_id("-alice", &id), -EINVAL);
	assert_int_equal(policy_parse_id("al ice", &id), -EINVAL);
	assert_int_equal(policy_parse_id("al$ice", &id), -EINVAL);
	assert_int_equal(policy_parse_id("", &id), -EINVAL);
}

static void test_format(void **state)
{
	char buf[POLICY_VALUE_MAX];
	struct policy_class c = {.value = 0x0200, .digits = 4};

	assert_string_equal(policy_format_duration(1000, buf), "1ms");
	assert_string_equal(policy_format_duration(1800 * USEC_PER_SEC, buf), "30min");
	assert_string_equal(policy_format_duration(5400 * USEC_PER_SEC, buf), "1h 30min");
	assert_string_equal(policy_format_duration(8 * 3600 * USEC_PER_SEC, buf), "8h");
	assert_string_equal(policy_format_duration(1500, buf), "1ms 500us");
	assert_string_equal(policy_format_duration(0, buf), "0");
	assert_string_equal(policy_format_duration(POLICY_INFINITY, buf), "infinity");
	assert_string_equal(policy_format_duration(POLICY_INFINITY - 1, buf),
			    "213503982d 8h 1min 49s 551ms 614us");
	assert_string_equal(policy_format_size(UINT64_C(2) << 30, buf), "2G");
	assert_string_equal(policy_format_size(UINT64_C(3) << 29, buf), "1536M");
	assert_string_equal(policy_format_size(1536, buf), "1536");
	assert_string_equal(policy_format_size(1500, buf), "1500");
	assert_string_equal(policy_format_size(0, buf), "0");
	assert_string_equal(policy_format_size(POLICY_INFINITY, buf), "infinity");
	assert_string_equal(policy_format_class(&c, buf), "0200");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex16),	 cmocka_unit_test(test_class),
		cmocka_unit_test(test_boolean),	 cmocka_unit_test(test_uint64),
		cmocka_unit_test(test_duration), cmocka_unit_test(test_size),
		cmocka_unit_test(test_range),	 cmocka_unit_test(test_slot_pattern),
		cmocka_unit_test(test_id),	 cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
