/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for slot validation: every path udrv builds starts from one of these names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "macro.h"
#include "pci-slot.h"

static void test_valid_full(void **state)
{
	assert_true(pci_slot_is_valid("0000:03:00.0"));
	assert_true(pci_slot_is_valid("ffff:ff:1f.7"));
	assert_true(pci_slot_is_valid("10de:0a:1e.3"));
}

static void test_invalid(void **state)
{
	static const char *const bad[] = {
		"",
		"0",
		"03:00.0",
		"0000:03:00.0\n",
		"0000:03:00.8",
		"0000:03:20.0",
		"0000:03:00",
		"0000:03:00.00",
		"00000:03:00.0",
		"0000-03:00.0",
		"0000:03-00.0",
		"0000:03:00:0",
		"g000:03:00.0",
		"0000:0g:00.0",
		"../../../etc",
		"0000:03:00.0/../..",
		"0000:03:0/.0",
		" 000:03:00.0",
		"0000:03:00.0 ",
		"0000:03:00.-",
		"ABCD:03:00.0", /* valid hex, but sysfs names are lowercase: is_valid is strict */
	};

	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		assert_false(pci_slot_is_valid(bad[i]));
	assert_false(pci_slot_is_valid(NULL));
}

static void test_normalize(void **state)
{
	char s[PCI_SLOT_LEN];

	assert_int_equal(pci_slot_normalize("03:00.0", s), 0);
	assert_string_equal(s, "0000:03:00.0");
	assert_int_equal(pci_slot_normalize("ABCD:0A:1F.7", s), 0);
	assert_string_equal(s, "abcd:0a:1f.7");
	assert_int_equal(pci_slot_normalize("0000:00:02.0", s), 0);
	assert_string_equal(s, "0000:00:02.0");
}

static void test_normalize_rejects(void **state)
{
	char s[PCI_SLOT_LEN] = "untouched";

	assert_int_equal(pci_slot_normalize("3:00.0", s), -EINVAL);
	assert_int_equal(pci_slot_normalize("0000:03:00.0x", s), -EINVAL);
	assert_int_equal(pci_slot_normalize("03:20.0", s), -EINVAL);
	assert_int_equal(pci_slot_normalize("..:00.0", s), -EINVAL);
	assert_int_equal(pci_slot_normalize("0000/03:00.0", s), -EINVAL);
	assert_int_equal(pci_slot_normalize(NULL, s), -EINVAL);
	assert_string_equal(s, "untouched");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_full),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_normalize_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
