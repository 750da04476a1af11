/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for the interrupt rate limiter and the polling timer's tick arithmetic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <inttypes.h>
#include <stdint.h>

#include "irq.h"
#include "macro.h"

static void test_rate_limit(void **state)
{
	struct rate_limit r = {.limit = 1000}; /* 100 per 100 ms slice */
	uint64_t t = 5000000;
	unsigned passed = 0;

	for (int i = 0; i < 150; i++)
		passed += !rate_limit_exceeded(&r, t + (uint64_t)i * 10);
	assert_int_equal(passed, 100);
	assert_int_equal(r.hits, 50);
	/* A new slice starts fresh. */
	assert_false(rate_limit_exceeded(&r, t + 100000));
	/* A clock that goes backwards does not wedge it. */
	assert_false(rate_limit_exceeded(&r, t - 1));
}

static void test_no_limit(void **state)
{
	struct rate_limit r = {.limit = UINT64_MAX};

	for (int i = 0; i < 100000; i++)
		assert_false(rate_limit_exceeded(&r, 1));
	assert_int_equal(r.hits, 0);
}

static void test_tiny_limit(void **state)
{
	struct rate_limit r = {.limit = 5}; /* below one per slice: still one per slice */

	assert_false(rate_limit_exceeded(&r, 0));
	assert_true(rate_limit_exceeded(&r, 1));
	assert_false(rate_limit_exceeded(&r, 100000));
}

/* The timer on a real sd-event loop at 10 ms for about 200 ms: the holder's count is the
 * elapsed time over the interval, whatever the loop's lateness. */
static void test_poll_ticks(void **state)
{
	sd_event *e = NULL;
	struct irq_poll *p = NULL;
	uint64_t start, now, total = 0, n, expected;
	int fd;

	assert_int_equal(sd_event_new(&e), 0);
	assert_int_equal(irq_poll_new(e, 10000, &p, &fd), 0);
	assert_true(sd_event_now(e, CLOCK_MONOTONIC, &start) >= 0);
	do {
		assert_true(sd_event_run(e, 50000) >= 0);
		assert_true(sd_event_now(e, CLOCK_MONOTONIC, &now) >= 0);
	} while (now - start < 200000);
	assert_int_equal(read(fd, &n, sizeof(n)), sizeof(n));
	total += n;
	/* However late the loop ran, the count matches the time that passed (one interval of
	 * slack each side for where within an interval the loop looked). */
	expected = (now - start) / 10000;
	if (total + 1 < expected || total > expected + 1)
		print_message("ticks %" PRIu64 ", expected %" PRIu64 "\n", total, expected);
	assert_true(total + 1 >= expected && total <= expected + 1);
	assert_int_equal(p->ticks, total);
	close(fd);
	irq_poll_free(p);
	sd_event_unref(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_no_limit),
		cmocka_unit_test(test_tiny_limit),
		cmocka_unit_test(test_poll_ticks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
