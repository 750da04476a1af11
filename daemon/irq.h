/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What stands behind a lease's irq fd besides plain UIO INTx: a polling timer (an eventfd
 * udrvd bumps every PollInterval=), the unmask eventfd the holder writes to re-enable INTx
 * (vfio's unmask-eventfd idea), and the per-lease interrupt rate limit. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

/* At most LIMIT events per second, counted in 100 ms slices so a burst is caught within one
 * slice; pure, for tests. */
struct rate_limit {
	uint64_t limit;	      /* per second; UINT64_MAX: none */
	uint64_t slice_start; /* usec */
	uint64_t slice_count;
	uint64_t hits; /* how many times the limit was reached */
};

/* True when one more event at NOW would exceed the limit (the event is then not counted). */
bool rate_limit_exceeded(struct rate_limit *r, uint64_t now_usec);

struct irq_poll {
	sd_event_source *timer;
	int efd;	   /* udrvd's copy of the eventfd the holder reads */
	uint64_t interval; /* usec */
	uint64_t ticks;
};

/* Starts a timer that adds 1 to an eventfd every INTERVAL usec; *RET_CLIENT_FD is a new fd
 * for the holder (read(): an 8-byte count of ticks since the last read). */
int irq_poll_new(sd_event *e, uint64_t interval_usec, struct irq_poll **ret, int *ret_client_fd);
struct irq_poll *irq_poll_free(struct irq_poll *p);
