/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A client's bytes on their way to sd-bus: SASL lines, then D-Bus messages framed by their
 * fixed header, each checked against the bounds in bus-input.h; file descriptors refused. */
#include <endian.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "bus-input.h"
#include "macro.h"

#define BUF_SIZE 4096
/* The kernel doubles it: at most ~64 KiB waits between this gate and sd-bus. */
#define FEED_SNDBUF (32 * 1024)
#define DBUS_HEADER_SIZE 16
/* One recvmsg can carry at most SCM_MAX_FD (253) descriptors. */
#define MAX_FDS 253

/* What one read takes from a client: the main loop's alone (one thread), shared by every
 * connection, so an idle connection holds no 4 KiB buffer of its own. */
static uint8_t read_buf[BUF_SIZE];

struct bus_input {
	int read_fd; /* a dup of the client's socket: sd-event watches an fd once, sd-bus writes */
	int feed_fd; /* our end of the socketpair sd-bus reads */
	sd_event_source *client_source, *feed_source, *ready_source;
	bus_input_refuse_t refuse;
	bus_input_ready_t ready;
	void *userdata;
	/* Read from the client, checked, not yet fed: only what sd-bus's socket had no room
	 * for, allocated then (most reads are fed whole from read_buf). */
	uint8_t *buf;
	size_t len, off;
	/* Bytes the client sent right after BEGIN: sd-bus would buffer them unseen until more
	 * input came, so they wait here until its authentication is over (allocated then). */
	uint8_t *held;
	size_t held_len;
	bool paused, eof, authenticated, refused;
	size_t auth_bytes, line_len;
	char line[8]; /* the start of the current SASL line: is it BEGIN? */
	uint8_t header[DBUS_HEADER_SIZE];
	size_t header_len;
	uint64_t left; /* bytes of the current message still to come */
	uint64_t last_request;
};

static void update_sources(struct bus_input *in)
{
	bool pending = in->off < in->len;

	bool read = !pending && !in->paused && !in->eof && !in->held_len && !in->refused;

	(void)sd_event_source_set_enabled(in->client_source, read ? SD_EVENT_ON : SD_EVENT_OFF);
	(void)sd_event_source_set_enabled(in->feed_source, pending ? SD_EVENT_ON : SD_EVENT_OFF);
	(void)sd_event_source_set_enabled(in->ready_source,
					  in->held_len ? SD_EVENT_ON : SD_EVENT_OFF);
}

static void touch(struct bus_input *in)
{
	(void)sd_event_now(sd_event_source_get_event(in->client_source), CLOCK_MONOTONIC,
			   &in->last_request);
}

/* One byte of the SASL exchange; 1 once BEGIN ended it, 0 to go on, -1 on a broken rule. */
static int scan_auth_byte(struct bus_input *in, uint8_t b, const char **why)
{
	if (++in->auth_bytes > BUS_INPUT_MAX_AUTH) {
		*why = "sent more than 4 KiB of authentication";
		return -1;
	}
	if (b == '\n') {
		bool begin = in->line_len == 6 && memcmp(in->line, "BEGIN\r", 6) == 0;

		in->line_len = 0;
		return begin;
	}
	if (in->line_len < sizeof(in->line))
		in->line[in->line_len] = (char)b;
	if (++in->line_len > BUS_INPUT_MAX_AUTH_LINE) {
		*why = "sent an authentication line longer than 256 bytes";
		return -1;
	}
	return 0;
}

/* The fixed header is complete: the whole message's size, checked. */
static int scan_header(struct bus_input *in, const char **why)
{
	uint32_t body, fields;
	uint64_t total;

	memcpy(&body, in->header + 4, 4);
	memcpy(&fields, in->header + 12, 4);
	if (in->header[0] == 'l') {
		body = le32toh(body);
		fields = le32toh(fields);
	} else if (in->header[0] == 'B') {
		body = be32toh(body);
		fields = be32toh(fields);
	} else {
		*why = "sent bytes that are not a D-Bus message";
		return -1;
	}
	total = DBUS_HEADER_SIZE + (((uint64_t)fields + 7) & ~7ULL) + body;
	if (total > BUS_INPUT_MAX_MESSAGE) {
		*why = "announced a message larger than 64 KiB";
		return -1;
	}
	in->left = total - DBUS_HEADER_SIZE;
	return 0;
}

/* Checks P; returns how many bytes may be fed now (all of them, or up to the end of BEGIN),
 * or -1 with *WHY set. */
static ssize_t scan(struct bus_input *in, const uint8_t *p, size_t n, const char **why)
{
	size_t i = 0;

	while (i < n) {
		if (!in->authenticated) {
			int r = scan_auth_byte(in, p[i++], why);

			if (r < 0)
				return r;
			if (r > 0) {
				in->authenticated = true;
				touch(in);
				return (ssize_t)i;
			}
		} else if (in->header_len < DBUS_HEADER_SIZE) {
			in->header[in->header_len++] = p[i++];
			if (in->header_len == DBUS_HEADER_SIZE && scan_header(in, why) < 0)
				return -1;
		} else {
			size_t k = MIN((uint64_t)(n - i), in->left);

			i += k;
			in->left -= k;
		}
		if (in->authenticated && in->header_len == DBUS_HEADER_SIZE && in->left == 0) {
			in->header_len = 0;
			touch(in);
		}
	}
	return (ssize_t)n;
}

/* Sends what it can of the N bytes at P to sd-bus: the count sent. If sd-bus closed its end
 * (it is tearing the connection down), all of them, with EOF set. */
static size_t feed(struct bus_input *in, const uint8_t *p, size_t n)
{
	size_t off = 0;

	while (off < n) {
		ssize_t k = send(in->feed_fd, p + off, n - off, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == EAGAIN)
			break;
		if (k < 0) {
			in->eof = true;
			return n;
		}
		off += (size_t)k;
	}
	return off;
}

/* Keeps the N bytes at P in *BUF (BUF_SIZE, allocated on first use). */
static int keep(uint8_t **buf, const uint8_t *p, size_t n, const char **why)
{
	if (!*buf && !(*buf = malloc(BUF_SIZE))) {
		*why = "could not be served: udrvd is out of memory";
		return -1;
	}
	memcpy(*buf, p, n);
	return 0;
}

/* N bytes from the client at P (read_buf): checked, then fed; what sd-bus's socket has no room
 * for waits in in->buf, the part after BEGIN in in->held. Nothing is pending on entry. */
static int take(struct bus_input *in, const uint8_t *p, size_t n, const char **why)
{
	ssize_t k = scan(in, p, n, why);
	size_t sent;

	if (k < 0)
		return -1;
	if (n > (size_t)k) {
		if (keep(&in->held, p + k, n - (size_t)k, why) < 0)
			return -1;
		in->held_len = n - (size_t)k;
	}
	sent = feed(in, p, (size_t)k);
	if (sent < (size_t)k) {
		if (keep(&in->buf, p + sent, (size_t)k - sent, why) < 0)
			return -1;
		in->off = 0;
		in->len = (size_t)k - sent;
	}
	return 0;
}

/* Feeds what is pending; at EOF, once all is fed, sd-bus sees the EOF too. */
static void flush(struct bus_input *in)
{
	if (in->off < in->len)
		in->off += feed(in, in->buf + in->off, in->len - in->off);
	if (in->off == in->len && in->buf) {
		free(in->buf);
		in->buf = NULL;
		in->off = in->len = 0;
	}
	if (in->eof && in->off == in->len)
		(void)shutdown(in->feed_fd, SHUT_WR);
	update_sources(in);
}

/* Closes every descriptor a message carried; true if there was any (or a truncated set). */
static bool drop_fds(struct msghdr *mh)
{
	bool any = mh->msg_flags & MSG_CTRUNC;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			int fd;

			for (size_t i = 0; i < n; i++) {
				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
				close(fd);
			}
			any = true;
		}
	return any;
}

/* The client broke a rule: stop reading it and tell the connection, which closes it. */
static void refuse_now(struct bus_input *in, const char *why)
{
	in->refused = true;
	update_sources(in);
	in->refuse(in->userdata, why);
}

static int on_client(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct bus_input *in = userdata;
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
	} control;
	struct iovec iov = {.iov_base = read_buf, .iov_len = sizeof(read_buf)};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = &control,
			    .msg_controllen = sizeof(control)};
	const char *why = NULL;
	ssize_t n;

	n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n > 0 && drop_fds(&mh))
		why = "passed file descriptors (udrvd takes none)";
	else if (n > 0)
		(void)take(in, read_buf, (size_t)n, &why);
	else
		in->eof = true;
	if (why) {
		refuse_now(in, why);
		return 0;
	}
	flush(in);
	return 0;
}

/* After any event: once sd-bus is past authentication, the held bytes go on. */
static int on_ready(sd_event_source *s, void *userdata)
{
	struct bus_input *in = userdata;
	const char *why = NULL;
	size_t n = in->held_len;

	if (!n || in->off < in->len || !in->ready(in->userdata))
		return 0;
	memcpy(read_buf, in->held, n);
	in->held_len = 0;
	free(in->held);
	in->held = NULL;
	if (take(in, read_buf, n, &why) < 0) {
		refuse_now(in, why);
		return 0;
	}
	flush(in);
	return 0;
}

static int on_feed(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	flush(userdata);
	return 0;
}

int bus_input_new(sd_event *event, int client_fd, bus_input_refuse_t refuse,
		  bus_input_ready_t ready, void *userdata, int *ret_bus_fd, struct bus_input **ret)
{
	struct bus_input *in = calloc(1, sizeof(*in));
	int pair[2], size = FEED_SNDBUF, r;

	if (!in)
		return -ENOMEM;
	in->refuse = refuse;
	in->ready = ready;
	in->userdata = userdata;
	in->feed_fd = -1;
	in->read_fd = fcntl(client_fd, F_DUPFD_CLOEXEC, 3);
	if (in->read_fd < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, pair) < 0) {
		r = negative_errno();
		bus_input_free(in);
		return r;
	}
	in->feed_fd = pair[1];
	(void)setsockopt(in->feed_fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	r = sd_event_add_io(event, &in->client_source, in->read_fd, EPOLLIN, on_client, in);
	if (r >= 0)
		r = sd_event_add_io(event, &in->feed_source, in->feed_fd, EPOLLOUT, on_feed, in);
	if (r >= 0)
		r = sd_event_add_post(event, &in->ready_source, on_ready, in);
	if (r < 0) {
		close(pair[0]);
		bus_input_free(in);
		return r;
	}
	(void)sd_event_source_set_description(in->client_source, "client-input");
	(void)sd_event_source_set_description(in->feed_source, "client-feed");
	(void)sd_event_source_set_description(in->ready_source, "client-ready");
	touch(in);
	update_sources(in);
	*ret_bus_fd = pair[0];
	*ret = in;
	return 0;
}

struct bus_input *bus_input_free(struct bus_input *in)
{
	if (!in)
		return NULL;
	sd_event_source_disable_unref(in->client_source);
	sd_event_source_disable_unref(in->feed_source);
	sd_event_source_disable_unref(in->ready_source);
	closep(&in->feed_fd);
	closep(&in->read_fd);
	free(in->buf);
	free(in->held);
	free(in);
	return NULL;
}

void bus_input_pause(struct bus_input *in, bool pause)
{
	if (in->paused == pause)
		return;
	in->paused = pause;
	update_sources(in);
}

uint64_t bus_input_last_request(const struct bus_input *in)
{
	return in->last_request;
}

bool bus_input_unread(const struct bus_input *in)
{
	struct pollfd p = {.fd = in->read_fd, .events = POLLIN};

	if (in->paused || in->refused || in->eof)
		return false;
	return in->off < in->len || in->held_len || (poll(&p, 1, 0) == 1 && p.revents & POLLIN);
}
