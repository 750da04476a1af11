/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for the ctl channel and device calls, against a fake udrvd thread on a socketpair. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "udrv-internal.h"
#include "udrv-protocol.h"

/* What the fake udrvd does with each request. */
enum script {
	SERVE,		 /* answer like udrvd */
	EVENT_FIRST,	 /* LEASE_ENDED, then the reply */
	UNKNOWN_EVENT,	 /* an event this library does not know, then the reply */
	STALE_FIRST,	 /* a reply to an older request, then the reply */
	WRONG_OP,	 /* a reply with another op */
	FUTURE_SEQ,	 /* a reply to a request not yet sent */
	SHORT_PACKET,	 /* 3 bytes */
	UNASKED_DATA,	 /* a reply carrying data nobody asked for */
	HANG_UP,	 /* close the channel instead of answering */
	POSITIVE_STATUS, /* status > 0, not a valid -errno */
	SLOW,		 /* answer like udrvd, 2 ms late */
};

struct fake {
	int fd; /* udrvd's end */
	enum script script;
	unsigned requests; /* how many arrived */
	struct udrv_ctl_req last;
	uint8_t last_data[UDRV_CTL_MAX_DATA];
	pthread_t thread;
};

struct fixture {
	struct udrv_device *dev;
	struct fake fake;
	int config_fd, bar0_fd;
};

static void send_reply(int fd, uint32_t op, uint32_t seq, int32_t status, const void *data,
		       uint32_t len)
{
	struct {
		struct udrv_ctl_reply h;
		uint8_t data[UDRV_CTL_MAX_DATA];
	} msg = {.h = {.op = op, .seq = seq, .status = status, .len = len}};

	if (len)
		memcpy(msg.data, data, len);
	/* The client may be gone already (it stops reading at an event): not an error here. */
	(void)send(fd, &msg, sizeof(msg.h) + len, MSG_NOSIGNAL);
}

static void send_event(int fd, uint32_t op, int32_t status)
{
	send_reply(fd, op, 0, status, NULL, 0);
}

static int32_t serve_status(const struct udrv_ctl_req *req, const uint8_t *data)
{
	if (req->op == UDRV_CTL_CONFIG_WRITE)
		/* Like udrvd before config mediation: only Command's INTx Disable byte. */
		return req->offset == 5 && req->len == 1 && (data[0] & ~0x04) == 0 ? 0 : -EPERM;
	return req->op <= UDRV_CTL_RELEASE ? 0 : -EOPNOTSUPP;
}

static void serve(struct fake *f, const struct udrv_ctl_req *req, const uint8_t *data)
{
	uint8_t config[UDRV_CTL_MAX_DATA];

	switch (f->script) {
	case EVENT_FIRST:
		send_event(f->fd, UDRV_CTL_EV_LEASE_ENDED, -ETIMEDOUT);
		break;
	case UNKNOWN_EVENT:
		send_event(f->fd, 4242, 0);
		break;
	case STALE_FIRST:
		send_reply(f->fd, req->op, req->seq - 1, 0, NULL, 0);
		break;
	case WRONG_OP:
		send_reply(f->fd, UDRV_CTL_PING + 1, req->seq, 0, NULL, 0);
		return;
	case FUTURE_SEQ:
		send_reply(f->fd, req->op, req->seq + 1, 0, NULL, 0);
		return;
	case SHORT_PACKET:
		(void)send(f->fd, "abc", 3, MSG_NOSIGNAL);
		return;
	case UNASKED_DATA:
		send_reply(f->fd, req->op, req->seq, 0, "xyz", 3);
		return;
	case HANG_UP:
		shutdown(f->fd, SHUT_RDWR);
		return;
	case POSITIVE_STATUS:
		send_reply(f->fd, req->op, req->seq, 5, NULL, 0);
		return;
	case SLOW:
		usleep(2000);
		break;
	case SERVE:
		break;
	}
	if (req->flags & UDRV_CTL_F_NOREPLY)
		return;
	if (req->op == UDRV_CTL_CONFIG_READ && req->offset + req->len > 256) {
		send_reply(f->fd, req->op, req->seq, -EIO, NULL, 0); /* a 256-byte space */
		return;
	}
	if (req->op == UDRV_CTL_CONFIG_READ) {
		for (uint32_t i = 0; i < req->len; i++)
			config[i] = (uint8_t)(req->offset + i);
		send_reply(f->fd, req->op, req->seq, 0, config, req->len);
		return;
	}
	send_reply(f->fd, req->op, req->seq, serve_status(req, data), NULL, 0);
	if (req->op == UDRV_CTL_RELEASE)
		send_event(f->fd, UDRV_CTL_EV_LEASE_ENDED, 0);
}

static void *fake_run(void *userdata)
{
	struct fake *f = userdata;
	struct {
		struct udrv_ctl_req h;
		uint8_t data[UDRV_CTL_MAX_DATA];
	} msg;
	ssize_t n;

	while ((n = recv(f->fd, &msg, sizeof(msg), 0)) > 0) {
		assert_true((size_t)n >= sizeof(msg.h));
		/* Only writes carry data. */
		assert_int_equal((size_t)n - sizeof(msg.h),
				 msg.h.op == UDRV_CTL_CONFIG_WRITE ? msg.h.len : 0);
		assert_int_not_equal(msg.h.seq, 0);
		__atomic_add_fetch(&f->requests, 1, __ATOMIC_SEQ_CST);
		f->last = msg.h;
		memcpy(f->last_data, msg.data, (size_t)n - sizeof(msg.h));
		serve(f, &msg.h, msg.data);
	}
	return NULL;
}

static unsigned requests(struct fixture *x)
{
	return __atomic_load_n(&x->fake.requests, __ATOMIC_SEQ_CST);
}

static int memfd_with(const char *name, size_t size, uint8_t seed)
{
	int fd = memfd_create(name, MFD_CLOEXEC);
	uint8_t *buf = malloc(size);

	assert_true(fd >= 0);
	for (size_t i = 0; i < size; i++)
		buf[i] = (uint8_t)(seed + i);
	assert_int_equal(pwrite(fd, buf, size, 0), size);
	free(buf);
	return fd;
}

static int setup(void **state)
{
	struct fixture *x = calloc(1, sizeof(*x));
	struct lease *l = NULL;
	uint32_t io_bar = 0xc001;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	x->fake.fd = sv[1];
	x->config_fd = memfd_with("config", 256, 0);
	/* BAR1 is an I/O BAR: bit 0 of its register. */
	assert_int_equal(pwrite(x->config_fd, &io_bar, 4, 0x14), 4);
	x->bar0_fd = memfd_with("bar0", 8192, 0x40);
	assert_int_equal(lease_new("0000:00:03.0", &l), 0);
	assert_int_equal(lease_add_fd(l, "ctl", sv[0]), 0);
	assert_int_equal(lease_add_fd(l, "config", x->config_fd), 0);
	assert_int_equal(lease_add_fd(l, "bar0", x->bar0_fd), 0);
	assert_int_equal(lease_add_fd(l, "bar1", memfd_with("bar1", 32, 0x80)), 0);
	assert_int_equal(lease_add_fd(l, "irq", eventfd(0, EFD_CLOEXEC)), 0);
	assert_int_equal(device_new(l, &x->dev), 0);
	assert_int_equal(pthread_create(&x->fake.thread, NULL, fake_run, &x->fake), 0);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *x = *state;

	udrv_close(x->dev); /* the fake sees the hang-up and ends */
	assert_int_equal(pthread_join(x->fake.thread, NULL), 0);
	close(x->fake.fd);
	free(x);
	return 0;
}

static void test_round_trips(void **state)
{
	struct fixture *x = *state;
	uint8_t intx_off = 0x04, bad[2] = {0xff, 0xff};

	assert_int_equal(udrv_ping(x->dev), 0);
	assert_int_equal(x->fake.last.op, UDRV_CTL_PING);
	assert_int_equal(x->fake.last.flags, 0);
	assert_int_equal(udrv_irq_enable(x->dev), 0);
	assert_int_equal(x->fake.last.op, UDRV_CTL_IRQ_ENABLE);
	/* A write carries its data; udrvd's refusal comes back as its status. */
	assert_int_equal(udrv_config_write(x->dev, 5, &intx_off, 1), 0);
	assert_int_equal(x->fake.last.offset, 5);
	assert_int_equal(x->fake.last.len, 1);
	assert_int_equal(x->fake.last_data[0], 0x04);
	assert_int_equal(udrv_config_write(x->dev, 4, bad, 2), -EPERM);
	assert_memory_equal(x->fake.last_data, bad, 2);
	/* Sequence numbers increase and are never 0. */
	assert_int_equal(x->fake.last.seq, 4);
	assert_int_equal(requests(x), 4);
}

/* udrvd's end once was non-blocking through a shared file status flag: the client must wait
 * for its reply even when its ctl fd is O_NONBLOCK. */
static void test_nonblocking_fd(void **state)
{
	struct fixture *x = *state;
	int fl = fcntl(x->dev->ctl.fd, F_GETFL);

	assert_int_equal(fcntl(x->dev->ctl.fd, F_SETFL, fl | O_NONBLOCK), 0);
	x->fake.script = SLOW;
	for (int i = 0; i < 20; i++) {
		assert_int_equal(udrv_ping(x->dev), 0);
		assert_int_equal(x->fake.last.seq, i + 1);
	}
	assert_int_equal(requests(x), 20);
}

static void test_async(void **state)
{
	struct fixture *x = *state;

	assert_int_equal(udrv_irq_enable_async(x->dev), 0);
	assert_int_equal(udrv_irq_enable_async(x->dev), 0);
	/* No replies to them: the next call's reply is its own. */
	assert_int_equal(udrv_ping(x->dev), 0);
	assert_int_equal(requests(x), 3);
	assert_int_equal(x->fake.last.op, UDRV_CTL_PING);
	assert_int_equal(x->fake.last.seq, 3);
}

static void assert_ended(struct fixture *x)
{
	unsigned n = requests(x);
	void *addr;
	size_t size;
	uint8_t b = 0;

	assert_int_equal(udrv_ping(x->dev), -ENOLINK);
	assert_int_equal(udrv_irq_enable(x->dev), -ENOLINK);
	assert_int_equal(udrv_irq_enable_async(x->dev), -ENOLINK);
	assert_int_equal(udrv_config_write(x->dev, 5, &b, 1), -ENOLINK);
	assert_int_equal(udrv_config_read(x->dev, 0, &b, 1), -ENOLINK);
	assert_int_equal(udrv_irq_fd(x->dev), -ENOLINK);
	assert_int_equal(udrv_map_bar(x->dev, 0, &addr, &size), -ENOLINK);
	assert_int_equal(udrv_bar_size(x->dev, 0, &size), -ENOLINK);
	assert_int_equal(udrv_release(x->dev), -ENOLINK);
	/* Nothing more was sent. */
	assert_int_equal(requests(x), n);
}

static void test_event_interleaved(void **state)
{
	struct fixture *x = *state;

	assert_int_equal(udrv_ping(x->dev), 0);
	x->fake.script = EVENT_FIRST;
	assert_int_equal(udrv_irq_enable(x->dev), -ENOLINK);
	assert_int_equal(x->dev->ctl.end_status, -ETIMEDOUT);
	assert_ended(x);
}

static void test_event_queued_async(void **state)
{
	struct fixture *x = *state;

	/* udrvd ended the lease while the driver only sent requests without replies. */
	send_event(x->fake.fd, UDRV_CTL_EV_LEASE_ENDED, 0);
	assert_int_equal(udrv_irq_enable_async(x->dev), -ENOLINK);
	assert_ended(x);
}

static void test_unknown_event(void **state)
{
	struct fixture *x = *state;

	x->fake.script = UNKNOWN_EVENT;
	assert_int_equal(udrv_ping(x->dev), 0);
	assert_int_equal(udrv_irq_enable_async(x->dev), 0); /* answered by an event alone */
	assert_int_equal(udrv_ping(x->dev), 0);
}

static void test_stale_reply(void **state)
{
	struct fixture *x = *state;

	assert_int_equal(udrv_ping(x->dev), 0);
	x->fake.script = STALE_FIRST;
	assert_int_equal(udrv_ping(x->dev), 0);
	assert_int_equal(udrv_irq_enable(x->dev), 0);
}

static void test_protocol_errors(void **state)
{
	struct fixture *x = *state;
	static const enum script bad[] = {WRONG_OP, FUTURE_SEQ, SHORT_PACKET, UNASKED_DATA,
					  POSITIVE_STATUS};

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		x->fake.script = bad[i];
		assert_int_equal(udrv_ping(x->dev), -EPROTO);
	}
	/* The channel is still usable: the lease has not ended. */
	x->fake.script = SERVE;
	assert_int_equal(udrv_ping(x->dev), 0);
}

static void test_hang_up(void **state)
{
	struct fixture *x = *state;

	x->fake.script = HANG_UP;
	assert_int_equal(udrv_ping(x->dev), -ENOLINK);
	assert_ended(x);
}

static void test_release(void **state)
{
	struct fixture *x = *state;

	assert_int_equal(udrv_release(x->dev), 0);
	assert_int_equal(x->fake.last.op, UDRV_CTL_RELEASE);
	assert_ended(x);
}

static void *ping_many(void *userdata)
{
	struct udrv_device *dev = userdata;

	for (int i = 0; i < 200; i++)
		if (udrv_ping(dev) != 0 || udrv_irq_enable_async(dev) != 0)
			return (void *)1;
	return NULL;
}

static void test_threads(void **state)
{
	struct fixture *x = *state;
	pthread_t t[4];
	void *ret;

	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, ping_many, x->dev), 0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], &ret), 0);
		assert_null(ret);
	}
	/* Requests are served in order: once this is answered, every async one has arrived. */
	assert_int_equal(udrv_ping(x->dev), 0);
	assert_int_equal(requests(x), 4 * 200 * 2 + 1);
}

static void test_ctl_read_framing(void **state)
{
	struct fixture *x = *state;
	uint8_t buf[16];
	size_t len = 0;

	/* The request carries the length wanted and no data; the reply carries the data. */
	assert_int_equal(ctl_call(&x->dev->ctl, UDRV_CTL_CONFIG_READ, 0, 0x40, NULL, 0, buf,
				  sizeof(buf), &len),
			 0);
	assert_int_equal(x->fake.last.len, sizeof(buf));
	assert_int_equal(len, sizeof(buf));
	assert_int_equal(buf[0], 0x40);
	assert_int_equal(buf[15], 0x4f);
	assert_int_equal(ctl_call(&x->dev->ctl, UDRV_CTL_CONFIG_READ, 0, 0, NULL, 0, buf, 4, NULL),
			 0);
	/* More data than room for it. */
	x->fake.script = UNASKED_DATA;
	assert_int_equal(ctl_call(&x->dev->ctl, UDRV_CTL_PING, 0, 0, NULL, 0, buf, 2, NULL),
			 -EPROTO);
	assert_int_equal(ctl_call(&x->dev->ctl, UDRV_CTL_PING, 0, 0, NULL, UDRV_CTL_MAX_DATA + 1,
				  NULL, 0, NULL),
			 -EINVAL);
}

static void test_config_read(void **state)
{
	struct fixture *x = *state;
	uint8_t buf[4];

	/* A CONFIG_READ request: udrvd answers with the client's (virtualized) view. */
	assert_int_equal(udrv_config_read(x->dev, 8, buf, 4), 0);
	assert_int_equal(buf[0], 8);
	assert_int_equal(buf[3], 11);
	assert_int_equal(x->fake.last.op, UDRV_CTL_CONFIG_READ);
	assert_int_equal(x->fake.last.offset, 8);
	assert_int_equal(x->fake.last.len, 4);
	assert_int_equal(udrv_config_read(x->dev, 0, buf, 0), -EINVAL);
	assert_int_equal(udrv_config_read(x->dev, 4095, buf, 2), -EINVAL);
	assert_int_equal(udrv_config_write(x->dev, 4096, buf, 1), -EINVAL);
	assert_int_equal(requests(x), 1); /* the bad ranges never reach udrvd */
	assert_int_equal(udrv_config_read(x->dev, 255, buf, 2), -EIO); /* udrvd's answer */
	assert_int_equal(requests(x), 2);
}

static void test_bars(void **state)
{
	struct fixture *x = *state;
	void *addr = NULL, *again = NULL;
	size_t size = 0;
	uint8_t port[2] = {0};

	assert_int_equal(udrv_bar_size(x->dev, 0, &size), 0);
	assert_int_equal(size, 8192);
	assert_int_equal(udrv_map_bar(x->dev, 0, &addr, &size), 0);
	assert_int_equal(size, 8192);
	assert_int_equal(((uint8_t *)addr)[1], 0x41);
	((uint8_t *)addr)[0] = 0xee; /* shared: the file sees it */
	assert_int_equal(pread(x->bar0_fd, port, 1, 0), 1);
	assert_int_equal(port[0], 0xee);
	assert_int_equal(udrv_map_bar(x->dev, 0, &again, NULL), 0);
	assert_ptr_equal(again, addr);
	/* The I/O BAR: no mapping, but port reads and writes. */
	assert_int_equal(udrv_map_bar(x->dev, 1, &addr, &size), -EOPNOTSUPP);
	assert_int_equal(udrv_bar_read(x->dev, 1, 4, port, 2), 0);
	assert_int_equal(port[0], 0x84);
	assert_int_equal(udrv_bar_write(x->dev, 1, 0, port, 2), 0);
	assert_int_equal(udrv_bar_read(x->dev, 1, 40, port, 2), -EIO);
	/* BARs the lease does not have, and indices no function has. */
	assert_int_equal(udrv_map_bar(x->dev, 2, &addr, &size), -ENOENT);
	assert_int_equal(udrv_bar_size(x->dev, 5, &size), -ENOENT);
	assert_int_equal(udrv_bar_read(x->dev, 3, 0, port, 1), -ENOENT);
	assert_int_equal(udrv_map_bar(x->dev, UDRV_BAR_MAX, &addr, &size), -EINVAL);
	assert_int_equal(udrv_irq_fd(x->dev) >= 0, 1);
	assert_string_equal(udrv_device_slot(x->dev), "0000:00:03.0");
	assert_null(udrv_device_info(x->dev, "irq"));
}

static void log_collect(int priority, const char *message, void *userdata)
{
	char *last = userdata;

	if (priority <= LOG_NOTICE)
		snprintf(last, 256, "%s", message);
}

static void test_log(void **state)
{
	struct fixture *x = *state;
	char last[256] = "";

	udrv_set_log_func(log_collect, last);
	x->fake.script = EVENT_FIRST;
	assert_int_equal(udrv_ping(x->dev), -ENOLINK);
	udrv_set_log_func(NULL, NULL);
	assert_non_null(strstr(last, "0000:00:03.0: the lease has ended"));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_round_trips),
		T(test_nonblocking_fd),
		T(test_async),
		T(test_event_interleaved),
		T(test_event_queued_async),
		T(test_unknown_event),
		T(test_stale_reply),
		T(test_protocol_errors),
		T(test_hang_up),
		T(test_release),
		T(test_threads),
		T(test_ctl_read_framing),
		T(test_config_read),
		T(test_bars),
		T(test_log),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
