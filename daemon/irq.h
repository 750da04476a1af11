/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What stands behind a lease's irq fd besides plain UIO INTx: a polling timer (a timerfd that
 * expires every PollInterval=), and the per-lease interrupt rate limit that guards the unmask
 * eventfd the holder writes to re-enable INTx (vfio's unmask-eventfd idea). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* At most LIMIT events per second, counted in 100 ms slices so a burst is caught within one
 * slice; pure, for tests. */
struct rate_limit {
	uint64_t limit;	      /* per second; UINT64_MAX: none */
	uint64_t slice_start; /* usec */
	uint64_t slice_count;
	uint64_t hits; /* how many times the limit was reached (atomic: read without a lock) */
};

/* True when one more event at NOW would exceed the limit (the event is then not counted). */
bool rate_limit_exceeded(struct rate_limit *r, uint64_t now_usec);

struct irq_poll {
	int tfd;	   /* udrvd's copy of the timerfd the holder reads */
	uint64_t interval; /* usec */
};

/* A periodic timerfd that expires every INTERVAL usec; *RET_CLIENT_FD is a new fd on it for the
 * holder (read(): an 8-byte count of expirations since the last read, as an eventfd's). */
int irq_poll_new(uint64_t interval_usec, struct irq_poll **ret, int *ret_client_fd);
struct irq_poll *irq_poll_free(struct irq_poll *p);
