/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A lease: one client's hold on one PCI function, alive while its ctl socket is held. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>
#include <sys/types.h>

#include "irq.h"
#include "pci-slot.h"
#include "policy.h"

struct manager;
struct backend_ops;
struct backend_irq;

struct lease {
	struct manager *manager;
	struct lease *next;
	char slot[PCI_SLOT_LEN];
	uid_t uid;
	pid_t pid;
	char comm[64];
	uint64_t comm_usec;  /* CLOCK_MONOTONIC of the last read of COMM */
	uint64_t start_usec; /* CLOCK_MONOTONIC */
	uint64_t since_usec; /* CLOCK_REALTIME */
	struct policy_file *policy;
	const struct backend_ops *ops; /* the backend (backend.h), and */
	void *be;		       /* its state for this lease */
	int ctl_fd;		/* udrvd's end of the ctl socketpair; -1 once the holder was told */
	sd_event_source *timer; /* MaxLeaseTime=, then a revoke's grace period */
	sd_event_source *request_source; /* the backend's device request (hotplug.c) */
	uint64_t revoke_deadline;	 /* CLOCK_MONOTONIC */
	bool ending;
	bool revoking;
	bool device_gone; /* hot-unplugged: nothing to reset or give back */
	bool no_holders;  /* a /proc scan after ctl closed just found none: no second scan */
	bool cut_off;	  /* the backend revoked the holders' access: nothing to scan for */

	/* Interrupts, when udrvd handles them (BACKEND_IRQ_UNMASK: INTx re-enabled by IRQ_ENABLE
	 * or the unmask eventfd, both rate-limited; BACKEND_IRQ_POLL: a polling timer). */
	int irq_path;		  /* enum backend_irq_path */
	struct irq_poll *poll;	  /* poll mode */
	int unmask_fd;		  /* intx mode: the eventfd the holder writes; -1 */
	sd_event_source *backoff; /* a storm's masked period (main loop) */
	struct rate_limit rate;
	bool unmask_pending; /* asked for during a back-off */
	bool backoff_active; /* INTx held masked by a storm */
	bool backoff_wanted; /* atomic: a thread saw a storm begin, the main loop arms BACKOFF */
	bool storm_logged;

	/* The fast path (lease-fast.c): a thread blocks on ctl, another on the unmask eventfd.
	 * LOCK guards what they share with the main loop: the uio device's config state, the
	 * rate limit and the back-off flags above. */
	pthread_mutex_t lock;
	bool lock_ready;
	pthread_t ctl_thread, unmask_thread;
	bool ctl_thread_running, unmask_thread_running; /* main loop only */
	/* Until its first request (or unmask), a lease has no thread: the main loop watches ctl
	 * and the unmask eventfd and starts the thread at the first sign of use. It never reads
	 * the shared eventfd; ctl is udrvd's own end. A lease that is only held costs no thread. */
	sd_event_source *ctl_watch, *unmask_watch;
	bool stopping;		 /* atomic: the threads are to exit */
	const char *end_request; /* atomic: a thread asks the main loop to end the lease */
	int notify_fd;		 /* eventfd: a thread has work for the main loop */
	sd_event_source *notify_source;
};

/* Ends L now if it is over but the main loop has not seen it yet: its holder closed the ctl
 * socket, a lease thread asked for its end, or it is being revoked and nothing holds the device
 * any more. True if L is gone (freed). */
bool lease_settle(struct lease *l);

/* Has the backend choose the interrupt mode from policy and the device, and sets up udrvd's
 * part of it. *RET_IRQ_FD is the fd for the holder's "irq" (-1: keep the backend's),
 * *RET_UNMASK_FD its "irq-unmask" (-1: none); *RET_IRQ what the backend set up, its vector fds
 * for the holder included (the caller's to hand out and close). */
int lease_setup_irq(struct lease *l, const struct policy_grant *g, int device_irq, int *ret_irq_fd,
		    int *ret_unmask_fd, struct backend_irq *ret_irq);
/* IRQ_ENABLE: clears INTx Disable unless the rate limit holds it masked. Takes l->lock. */
int lease_irq_enable(struct lease *l);
/* How many times the rate limit held INTx masked. */
uint64_t lease_irq_storms(struct lease *l);

/* The fast path, in lease-fast.c. init: the lock and the main loop's notify source;
 * start_unmask: the unmask eventfd's thread, once the holder first writes it (INTx leases; the
 * ctl thread is lease_start()'s, once the first request comes);
 * stop: tells the threads to exit and joins them (nothing of theirs runs after it); done:
 * stop, then frees what init made. */
int lease_fast_init(struct lease *l);
int lease_fast_start_unmask(struct lease *l);
void lease_fast_stop(struct lease *l);
void lease_fast_done(struct lease *l);

/* A lease on CTL_FD (udrvd's end); takes ownership of BE (OPS's state) and of CTL_FD. Requests
 * on ctl are served once lease_start() has run: set the lease up (lease_setup_irq) before. */
int lease_new(struct manager *m, const char *slot, uid_t uid, pid_t pid, struct policy_file *policy,
	      const struct backend_ops *ops, void *be, int ctl_fd, struct lease **ret);

/* Starts serving ctl requests (the ctl thread, from the first request on): the last step
 * before the holder gets ctl. */
int lease_start(struct lease *l);

/* Re-reads the holder's command name: after `udrvctl grant -- CMD` it is CMD's. */
void lease_update_comm(struct lease *l);
/* The same for listings, at NOW (CLOCK_MONOTONIC): at most once a second once the lease is a
 * second old. The name changes when the holder execs, which `udrvctl grant` does right after
 * the grant; a /proc read per lease per call made ListLeases cost O(leases) syscalls. */
void lease_refresh_comm(struct lease *l, uint64_t now);

/* Revokes the lease: tells the holder (ctl event, then ctl closed), and ends it once no
 * process holds the device, or after the policy's RevokeGracePeriod=, whichever is first. */
void lease_revoke(struct lease *l, const char *why);

/* Ends the lease: tells the client why (when it still listens), resets and gives the
 * device back, unlinks and frees the lease. Safe to call once per lease, from any path. */
void lease_end(struct lease *l, const char *why);
