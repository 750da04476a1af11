/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Polling timers (a timerfd per lease) and the interrupt rate limiter. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "irq.h"
#include "macro.h"

#define SLICE_USEC 100000ULL /* 100 ms */

bool rate_limit_exceeded(struct rate_limit *r, uint64_t now_usec)
{
	uint64_t per_slice;

	if (r->limit == UINT64_MAX)
		return false;
	if (now_usec - r->slice_start >= SLICE_USEC || now_usec < r->slice_start) {
		r->slice_start = now_usec;
		r->slice_count = 0;
	}
	per_slice = r->limit / (1000000ULL / SLICE_USEC);
	if (per_slice == 0)
		per_slice = 1;
	if (r->slice_count >= per_slice) {
		__atomic_add_fetch(&r->hits, 1, __ATOMIC_RELAXED); /* udrvctl status reads it */
		return true;
	}
	r->slice_count++;
	return false;
}

/* The holder's irq fd is a periodic timerfd of its own: the kernel ticks it, udrvd neither
 * wakes nor writes. (An eventfd udrvd wrote to was shared with the holder, who could fill its
 * counter and make udrvd's blocking write wait forever.) */
int irq_poll_new(uint64_t interval_usec, struct irq_poll **ret, int *ret_client_fd)
{
	struct itimerspec its = {
		.it_interval = {.tv_sec = (time_t)(interval_usec / 1000000),
				.tv_nsec = (long)(interval_usec % 1000000) * 1000},
	};
	struct irq_poll *p;
	int r, client;

	if (interval_usec == 0)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->interval = interval_usec;
	its.it_value = its.it_interval;
	p->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC); /* blocking: the holder's choice */
	if (p->tfd < 0 || timerfd_settime(p->tfd, 0, &its, NULL) < 0) {
		r = negative_errno();
		irq_poll_free(p);
		return r;
	}
	client = fcntl(p->tfd, F_DUPFD_CLOEXEC, 3);
	if (client < 0) {
		r = negative_errno();
		irq_poll_free(p);
		return r;
	}
	*ret = p;
	*ret_client_fd = client;
	return 0;
}

struct irq_poll *irq_poll_free(struct irq_poll *p)
{
	if (!p)
		return NULL;
	if (p->tfd >= 0)
		close(p->tfd);
	free(p);
	return NULL;
}
