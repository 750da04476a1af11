/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A lease's fast path. Two threads per lease block on the holder's ctl socket and on its
 * unmask eventfd and act right there: a request costs the two context switches any broker
 * pays, not an event-loop round on top (epoll_wait, a recv that finds nothing, sd-event's
 * bookkeeping). What needs the main loop (ending the lease, a storm's back-off timer) is
 * handed to it through an eventfd. lease->lock guards what both sides touch: the device's
 * config state, the rate limit and the back-off flags. Each thread starts at the first request
 * or unmask: a lease that is only held (most, and every open/close cycle) costs no thread. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "backend.h"
#include "lease.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "udrv-protocol.h"

/* Thread-directed only, to break a blocking call: see stop_thread(). */
#define WAKE_SIGNAL SIGUSR2
#define BACKOFF_USEC (100 * 1000)
#define THREAD_STACK (512 * 1024)

static void on_wake_signal(int sig)
{
	(void)sig;
}

static void install_wake_handler(void)
{
	struct sigaction sa = {.sa_handler = on_wake_signal}; /* no SA_RESTART: EINTR */

	sigemptyset(&sa.sa_mask);
	(void)sigaction(WAKE_SIGNAL, &sa, NULL);
}

static bool stopping(const struct lease *l)
{
	return __atomic_load_n(&l->stopping, __ATOMIC_ACQUIRE);
}

static void notify_main(struct lease *l)
{
	uint64_t one = 1;

	(void)!write(l->notify_fd, &one, sizeof(one));
}

/* From a thread: the main loop ends the lease for WHY (a string constant). The first reason
 * wins. */
static void request_end(struct lease *l, const char *why)
{
	const char *none = NULL;

	(void)__atomic_compare_exchange_n(&l->end_request, &none, why, false, __ATOMIC_ACQ_REL,
					  __ATOMIC_ACQUIRE);
	notify_main(l);
}

/* Under l->lock. */
static int irq_enable_locked(struct lease *l)
{
	if (l->irq_path != BACKEND_IRQ_UNMASK)
		return 0; /* polling (INTx stays masked), or not udrvd's to re-enable */
	if (l->backoff_active) {
		l->unmask_pending = true;
		return 0;
	}
	if (rate_limit_exceeded(&l->rate, now_usec(CLOCK_MONOTONIC))) {
		if (!l->storm_logged) {
			log_warning("%s: interrupt storm, more than %" PRIu64 "/s (IrqRateLimit=): "
				    "INTx stays masked %d ms at a time.",
				    l->slot, l->rate.limit, (int)(BACKOFF_USEC / 1000));
			audit_event("irq-storm", l->slot, l->uid, l->pid,
				    policy_file_get_name(l->policy),
				    "%s: interrupt storm throttled", l->slot);
			l->storm_logged = true;
		}
		l->unmask_pending = true;
		l->backoff_active = true;
		__atomic_store_n(&l->backoff_wanted, true, __ATOMIC_RELEASE); /* the main loop's */
		notify_main(l);
		return 0;
	}
	return l->ops->irq_mask(l->be, false);
}

int lease_irq_enable(struct lease *l)
{
	int r;

	pthread_mutex_lock(&l->lock);
	r = irq_enable_locked(l);
	pthread_mutex_unlock(&l->lock);
	return r;
}

uint64_t lease_irq_storms(struct lease *l)
{
	/* Atomic, no lock: the main loop never waits for a thread that may be resetting the
	 * function for its holder (Initiate FLR) under the lock. */
	return __atomic_load_n(&l->rate.hits, __ATOMIC_RELAXED);
}

#define RETRY_USEC 1000

/* The main loop takes l->lock only with trylock: a thread may hold it for long (a reset), and
 * udrvd's loop must not wait on what a holder can cause. Busy: again in 1 ms. */
static int on_backoff(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct lease *l = userdata;

	if (pthread_mutex_trylock(&l->lock) != 0) {
		if (sd_event_source_set_time_relative(s, RETRY_USEC) >= 0 &&
		    sd_event_source_set_enabled(s, SD_EVENT_ONESHOT) >= 0)
			return 0;
		pthread_mutex_lock(&l->lock); /* no timer: wait after all */
	}
	l->backoff = sd_event_source_disable_unref(l->backoff);
	l->backoff_active = false;
	if (l->unmask_pending) {
		l->unmask_pending = false;
		(void)l->ops->irq_mask(l->be, false);
	}
	pthread_mutex_unlock(&l->lock);
	return 0;
}

static int on_notify(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct lease *l = userdata;
	const char *why;
	uint64_t n;

	(void)!read(fd, &n, sizeof(n));
	why = __atomic_load_n(&l->end_request, __ATOMIC_ACQUIRE);
	if (why) {
		lease_end(l, why);
		return 0;
	}
	/* A storm began: the back-off timer (main loop only, no lock needed to arm it). */
	if (__atomic_exchange_n(&l->backoff_wanted, false, __ATOMIC_ACQ_REL) && !l->backoff &&
	    sd_event_add_time_relative(l->manager->event, &l->backoff, CLOCK_MONOTONIC,
				       BACKOFF_USEC, 1, on_backoff, l) < 0) {
		/* No timer: better unmasked now than masked for good. */
		l->backoff = NULL;
		pthread_mutex_lock(&l->lock);
		l->backoff_active = l->unmask_pending = false;
		(void)l->ops->irq_mask(l->be, false);
		pthread_mutex_unlock(&l->lock);
	}
	return 0;
}

/* Replies are sent with MSG_DONTWAIT: a holder that does not read its replies loses them,
 * it cannot stall udrvd. Only the header is initialized: no 4 KiB clearing per reply. */
static int ctl_reply(struct lease *l, const struct udrv_ctl_req *req, int status, const void *data,
		     uint32_t len)
{
	struct udrv_ctl_reply h = {.op = req->op, .seq = req->seq, .status = status, .len = len};
	struct iovec iov[2] = {{.iov_base = &h, .iov_len = sizeof(h)},
			       {.iov_base = (void *)data, .iov_len = len}};
	struct msghdr msg = {.msg_iov = iov, .msg_iovlen = len ? 2 : 1};

	if (req->flags & UDRV_CTL_F_NOREPLY)
		return 0;
	if (sendmsg(l->ctl_fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		return negative_errno();
	return 0;
}

static int ctl_config_read(struct lease *l, const struct udrv_ctl_req *req)
{
	uint8_t buf[UDRV_CTL_MAX_DATA];
	int r;

	if (req->len > UDRV_CTL_MAX_DATA || req->offset > 4096 || req->offset + req->len > 4096)
		return ctl_reply(l, req, -EINVAL, NULL, 0);
	pthread_mutex_lock(&l->lock);
	r = l->ops->config_read(l->be, req->offset, buf, req->len);
	pthread_mutex_unlock(&l->lock);
	return ctl_reply(l, req, r, buf, r < 0 ? 0 : req->len);
}

static int ctl_config_write(struct lease *l, const struct udrv_ctl_req *req, const uint8_t *data,
			    size_t data_len)
{
	struct backend_refusal refusal = {0};
	int r;

	if (req->len != data_len)
		return ctl_reply(l, req, -EINVAL, NULL, 0);
	pthread_mutex_lock(&l->lock);
	r = l->ops->config_write(l->be, req->offset, data, data_len, &refusal);
	if (r == -EPERM && refusal.report)
		audit_event("refused-write", l->slot, l->uid, l->pid,
			    policy_file_get_name(l->policy),
			    "%s: refused config write of %zu bytes at 0x%x, uid %u pid %d: "
			    "%s (0x%x) is read-only to clients; not logged again",
			    l->slot, data_len, req->offset, (unsigned)l->uid, (int)l->pid,
			    refusal.what, refusal.off);
	if (r > 0) /* INTx Disable cleared: an unmask like any other */
		r = irq_enable_locked(l);
	pthread_mutex_unlock(&l->lock);
	return ctl_reply(l, req, r, NULL, 0);
}

/* DMA buffers from the backend (uio_ext with DMA=unsafe): bounded by the module's limit, which
 * udrvd set from MemlockLimit=; freed by the module when the function is quiesced. */
static int ctl_dma(struct lease *l, const struct udrv_ctl_req *req, const uint8_t *data,
		   size_t data_len)
{
	struct backend_dma_buf buf = {0};
	struct udrv_ctl_dma out = {0};
	uint64_t arg;
	int r;

	if (data_len != sizeof(arg))
		return ctl_reply(l, req, -EINVAL, NULL, 0);
	if (!l->ops->dma_alloc)
		return ctl_reply(l, req, -EOPNOTSUPP, NULL, 0);
	memcpy(&arg, data, sizeof(arg));
	pthread_mutex_lock(&l->lock);
	if (req->op == UDRV_CTL_DMA_FREE)
		r = l->ops->dma_free(l->be, arg);
	else
		r = l->ops->dma_alloc(l->be, arg, &buf);
	pthread_mutex_unlock(&l->lock);
	if (r < 0 || req->op == UDRV_CTL_DMA_FREE)
		return ctl_reply(l, req, r, NULL, 0);
	out = (struct udrv_ctl_dma){.size = buf.size,
				    .offset = buf.offset,
				    .bus_addr = buf.bus_addr,
				    .map_index = buf.map_index};
	return ctl_reply(l, req, 0, &out, sizeof(out));
}

/* 1 when the thread is done with the lease. */
static int ctl_handle(struct lease *l, const struct udrv_ctl_req *req, const uint8_t *data,
		      size_t data_len)
{
	switch (req->op) {
	case UDRV_CTL_PING:
		return ctl_reply(l, req, 0, NULL, 0);
	case UDRV_CTL_IRQ_ENABLE:
		return ctl_reply(l, req, lease_irq_enable(l), NULL, 0);
	case UDRV_CTL_CONFIG_READ:
	case UDRV_CTL_CONFIG_WRITE:
		if (!l->ops->config_read) /* VFIO: vfio-pci virtualizes config space itself */
			return ctl_reply(l, req, -EOPNOTSUPP, NULL, 0);
		return req->op == UDRV_CTL_CONFIG_READ ? ctl_config_read(l, req)
						       : ctl_config_write(l, req, data, data_len);
	case UDRV_CTL_DMA_ALLOC:
	case UDRV_CTL_DMA_FREE:
		return ctl_dma(l, req, data, data_len);
	case UDRV_CTL_RELEASE:
		(void)ctl_reply(l, req, 0, NULL, 0);
		request_end(l, "released by its holder");
		return 1;
	default:
		return ctl_reply(l, req, -EOPNOTSUPP, NULL, 0);
	}
}

static void *ctl_thread(void *userdata)
{
	struct lease *l = userdata;
	struct {
		struct udrv_ctl_req h;
		uint8_t data[UDRV_CTL_MAX_DATA];
	} msg;
	ssize_t n;

	while (!stopping(l)) {
		n = recv(l->ctl_fd, &msg, sizeof(msg), MSG_TRUNC);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (stopping(l))
			break;
		if (n <= 0) {
			request_end(l, "the holder closed its last copy of the lease");
			break;
		}
		if ((size_t)n < sizeof(msg.h) || (size_t)n > sizeof(msg)) {
			log_notice(
				"%s: malformed ctl packet (%zd bytes) from uid %u: ending lease.",
				l->slot, n, (unsigned)l->uid);
			request_end(l, "malformed request");
			break;
		}
		if (ctl_handle(l, &msg.h, msg.data, (size_t)n - sizeof(msg.h)) > 0)
			break;
	}
	return NULL;
}

/* One read drains any number of writes: the work per wake-up is bounded, and the rate limit
 * decides whether INTx is unmasked. */
static void *unmask_thread(void *userdata)
{
	struct lease *l = userdata;
	uint64_t n;

	while (!stopping(l)) {
		ssize_t k = read(l->unmask_fd, &n, sizeof(n));

		if (k == sizeof(n)) {
			if (!stopping(l))
				(void)lease_irq_enable(l);
		} else if (k < 0 && errno == EAGAIN) {
			/* The holder made the shared description non-blocking (or read the count
			 * first): wait in poll(), which blocks whatever the file's flags say. */
			struct pollfd p = {.fd = l->unmask_fd, .events = POLLIN};

			(void)poll(&p, 1, -1);
		} else if (k >= 0 || errno != EINTR)
			break;
	}
	return NULL;
}

static int start_thread(struct lease *l, void *(*fn)(void *), pthread_t *ret)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	sigset_t all, old;
	pthread_attr_t attr;
	int r;

	pthread_once(&once, install_wake_handler);
	r = -pthread_attr_init(&attr);
	if (r < 0)
		return r;
	(void)pthread_attr_setstacksize(&attr, THREAD_STACK);
	/* Born with every signal blocked but the wake-up: SIGTERM and SIGHUP stay the main
	 * loop's (signalfd), and nothing else interrupts a request half done. */
	sigfillset(&all);
	sigdelset(&all, WAKE_SIGNAL);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = -pthread_create(ret, &attr, fn, l);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	return r;
}

/* A thread may be about to block when it is told to stop, and the holder shares both fds (it
 * could read the unmask eventfd empty before the thread does), so no write of ours is sure to
 * wake it: signal it (again every 10 ms) until it has exited. The first looks come after
 * 20 µs, 40 µs, ...: a thread that is returning anyway (its holder closed ctl) is joined at
 * once, not after a millisecond's sleep. */
static void stop_thread(struct lease *l, pthread_t t)
{
	/* tryjoin and relative sleeps: no wall clock to be stepped, and sanitizers see it. */
	unsigned long waited = 0, signalled = 0; /* microseconds */
	bool warned = false;

	for (unsigned i = 0;; i++) {
		unsigned long us = MIN(20UL << MIN(i, 6u), 1000UL);
		struct timespec ts = {.tv_nsec = (long)us * 1000};

		if (i == 0 || waited - signalled >= 10 * 1000) {
			(void)pthread_kill(t, WAKE_SIGNAL);
			signalled = waited;
		}
		if (pthread_tryjoin_np(t, NULL) != EBUSY)
			return;
		if (!warned && waited >= 1000 * 1000) {
			/* 1 s: a request that resets the function can take that long */
			log_warning("%s: still waiting for the lease's thread to finish a request.",
				    l->slot);
			warned = true;
		}
		(void)nanosleep(&ts, NULL);
		waited += us;
	}
}

int lease_fast_init(struct lease *l)
{
	int r;

	l->notify_fd = -1;
	r = -pthread_mutex_init(&l->lock, NULL);
	if (r < 0)
		return r;
	l->lock_ready = true;
	l->notify_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->notify_fd < 0)
		return negative_errno();
	r = sd_event_add_io(l->manager->event, &l->notify_source, l->notify_fd, EPOLLIN, on_notify,
			    l);
	if (r < 0)
		return r;
	(void)sd_event_source_set_description(l->notify_source, "lease-notify");
	return 0;
}

/* A lease's thread at its first use (WHAT: "ctl" or "unmask"); a lease whose thread cannot
 * start ends, since nobody would answer its holder. */
static void start_on_use(struct lease *l, void *(*fn)(void *), pthread_t *thread, bool *running,
			 const char *what)
{
	char why[64];
	int r = start_thread(l, fn, thread);

	if (r >= 0) {
		*running = true;
		return;
	}
	log_error_errno(r, "%s: could not start the lease's %s thread: %m", l->slot, what);
	(void)snprintf(why, sizeof(why), "its %s thread could not be started", what);
	lease_end(l, why);
}

/* The first sign of life on ctl: a request (the ctl thread starts and takes it), or the
 * holder let go without one (the lease ends here, no thread ever made). ctl is udrvd's own end
 * of the socketpair: the peek cannot block whatever the holder does to its end. */
static int on_ctl_first(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct lease *l = userdata;
	char c;
	ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	l->ctl_watch = sd_event_source_disable_unref(l->ctl_watch);
	if (n == 0)
		lease_end(l, "the holder closed its last copy of the lease");
	else
		start_on_use(l, ctl_thread, &l->ctl_thread, &l->ctl_thread_running, "ctl");
	return 0;
}

/* The holder wrote the unmask eventfd for the first time: its thread takes over. The main loop
 * only learns that it is readable; it never reads the eventfd, which the holder shares. */
static int on_unmask_first(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct lease *l = userdata;

	l->unmask_watch = sd_event_source_disable_unref(l->unmask_watch);
	start_on_use(l, unmask_thread, &l->unmask_thread, &l->unmask_thread_running, "unmask");
	return 0;
}

static int watch(struct lease *l, int fd, sd_event_io_handler_t fn, const char *what,
		 sd_event_source **ret)
{
	int r = sd_event_add_io(l->manager->event, ret, fd, EPOLLIN, fn, l);

	if (r >= 0)
		(void)sd_event_source_set_description(*ret, what);
	return r;
}

int lease_start(struct lease *l)
{
	return watch(l, l->ctl_fd, on_ctl_first, "lease-ctl-watch", &l->ctl_watch);
}

int lease_fast_start_unmask(struct lease *l)
{
	return watch(l, l->unmask_fd, on_unmask_first, "lease-unmask-watch", &l->unmask_watch);
}

void lease_fast_stop(struct lease *l)
{
	__atomic_store_n(&l->stopping, true, __ATOMIC_RELEASE);
	/* No thread starts from here on; the watches go before the fds they watch are closed. */
	l->ctl_watch = sd_event_source_disable_unref(l->ctl_watch);
	l->unmask_watch = sd_event_source_disable_unref(l->unmask_watch);
	if (l->ctl_thread_running)
		stop_thread(l, l->ctl_thread);
	if (l->unmask_thread_running)
		stop_thread(l, l->unmask_thread);
	l->ctl_thread_running = l->unmask_thread_running = false;
}

void lease_fast_done(struct lease *l)
{
	lease_fast_stop(l);
	l->backoff = sd_event_source_disable_unref(l->backoff);
	l->notify_source = sd_event_source_disable_unref(l->notify_source);
	closep(&l->notify_fd);
	if (l->lock_ready)
		pthread_mutex_destroy(&l->lock);
	l->lock_ready = false;
}
