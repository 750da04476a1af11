/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Polling timers and the interrupt rate limiter. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/eventfd.h>

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
		r->hits++;
		return true;
	}
	r->slice_count++;
	return false;
}

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct irq_poll *p = userdata;
	uint64_t planned = usec, now = usec, n; /* USEC is the time it was planned for */

	(void)sd_event_now(sd_event_source_get_event(s), CLOCK_MONOTONIC, &now);
	if (now < planned)
		now = planned;
	/* Every interval that has passed counts, however late this callback runs, so the
	 * holder sees elapsed time / PollInterval wake-ups even when udrvd was busy. */
	n = (now - planned) / p->interval + 1;
	p->ticks += n;
	(void)!write(p->efd, &n, sizeof(n));
	return sd_event_source_set_time(s, planned + n * p->interval);
}

int irq_poll_new(sd_event *e, uint64_t interval_usec, struct irq_poll **ret, int *ret_client_fd)
{
	struct irq_poll *p = calloc(1, sizeof(*p));
	uint64_t now;
	int r, client;

	if (!p)
		return -ENOMEM;
	p->interval = interval_usec;
	p->efd = eventfd(0, EFD_CLOEXEC); /* blocking: the flag would reach the holder too */
	if (p->efd < 0) {
		free(p);
		return negative_errno();
	}
	r = sd_event_now(e, CLOCK_MONOTONIC, &now);
	if (r >= 0)
		/* Accuracy 1 us: with 0, sd-event's default of 250 ms would coalesce the ticks
		 * into one wake-up a quarter of a second (the count stays right, the timing not).
		 */
		r = sd_event_add_time(e, &p->timer, CLOCK_MONOTONIC, now + interval_usec, 1,
				      on_tick, p);
	if (r >= 0)
		r = sd_event_source_set_enabled(p->timer, SD_EVENT_ON);
	if (r >= 0)
		(void)sd_event_source_set_description(p->timer, "irq-poll");
	/* The holder gets its own fd on the same counter; blocking reads are its choice. */
	client = r >= 0 ? fcntl(p->efd, F_DUPFD_CLOEXEC, 3) : -1;
	if (r < 0 || client < 0) {
		r = r < 0 ? r : negative_errno();
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
	sd_event_source_disable_unref(p->timer);
	closep(&p->efd);
	free(p);
	return NULL;
}
