/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for the interrupt rate limiter and the polling timer's tick arithmetic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <inttypes.h>
#include <errno.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

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

/* The holder's timerfd at 10 ms, read after about 200 ms: the count is the elapsed time over
 * the interval, however late the read; a blocking read then waits for the next tick. */
static void test_poll_ticks(void **state)
{
	struct irq_poll *p = NULL;
	struct timespec t0, t1;
	uint64_t n, expected, elapsed;
	int fd;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(irq_poll_new(10000, &p, &fd), 0);
	assert_true(fd >= 3 && fd != p->tfd);
	usleep(200000);
	assert_int_equal(read(fd, &n, sizeof(n)), sizeof(n));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	elapsed = (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000 +
		  (uint64_t)((t1.tv_nsec - t0.tv_nsec) / 1000);
	expected = elapsed / 10000;
	if (n + 1 < expected || n > expected + 1)
		print_message("ticks %" PRIu64 ", expected %" PRIu64 "\n", n, expected);
	assert_true(n + 1 >= expected && n <= expected + 1);
	/* The next read blocks until one more tick: 1, after about one interval. */
	assert_int_equal(read(fd, &n, sizeof(n)), sizeof(n));
	assert_int_equal(n, 1);
	/* Nothing the holder writes reaches a counter udrvd would write to (an eventfd's, filled
	 * to its maximum, once blocked udrvd's write for good). */
	n = UINT64_MAX - 1;
	assert_true(write(fd, &n, sizeof(n)) < 0);
	close(fd);
	irq_poll_free(p);
}

static void test_poll_bad_interval(void **state)
{
	struct irq_poll *p = NULL;
	int fd = -1;

	assert_int_equal(irq_poll_new(0, &p, &fd), -EINVAL);
	assert_null(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate_limit),	  cmocka_unit_test(test_no_limit),
		cmocka_unit_test(test_tiny_limit),	  cmocka_unit_test(test_poll_ticks),
		cmocka_unit_test(test_poll_bad_interval),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
