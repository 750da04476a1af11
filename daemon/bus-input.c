/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A client's bytes on their way to sd-bus: SASL lines, then D-Bus messages framed by their
 * fixed header, each checked against the bounds in bus-input.h; file descriptors refused. The
 * sd-bus server is there only while the client has a request under way (attach, detach). */
#include <endian.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
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

/* What a client that authenticated earlier is taken to have said to a new server: the server
 * answers (DATA, OK, AGREE_UNIX_FD) go to a socket the connection throws away. */
static const char replay_auth[] = "\0AUTH ANONYMOUS\r\nDATA\r\nBEGIN\r\n";
static const char replay_auth_fds[] = "\0AUTH ANONYMOUS\r\nDATA\r\nNEGOTIATE_UNIX_FD\r\nBEGIN\r\n";

struct bus_input {
	int client_fd; /* the connection's, borrowed */
	int feed_fd;   /* our end of the socketpair sd-bus reads; -1 while no server is attached */
	sd_event_source *client_source;
	sd_event_source *feed_source; /* only while bytes wait for room in sd-bus's socket */
	bus_input_refuse_t refuse;
	bus_input_wake_t wake;
	bus_input_ready_t ready;
	bus_input_fed_t fed;
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

static int on_feed(sd_event_source *s, int fd, uint32_t revents, void *userdata);

/* Reads the client unless bytes wait for sd-bus; watches sd-bus's socket for room only then (a
 * source made on demand: most connections never fill it). False if that watch is impossible. */
static bool update_sources(struct bus_input *in)
{
	bool pending = in->off < in->len;
	bool read = !pending && !in->paused && !in->eof && !in->held_len && !in->refused;

	(void)sd_event_source_set_enabled(in->client_source, read ? SD_EVENT_ON : SD_EVENT_OFF);
	if (!pending) {
		in->feed_source = sd_event_source_disable_unref(in->feed_source);
		return true;
	}
	if (!in->feed_source) {
		if (sd_event_add_io(sd_event_source_get_event(in->client_source), &in->feed_source,
				    in->feed_fd, EPOLLOUT, on_feed, in) < 0) {
			in->feed_source = NULL;
			return false;
		}
		(void)sd_event_source_set_description(in->feed_source, "client-feed");
	}
	return true;
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

static void release_held(struct bus_input *in);
static void refuse_now(struct bus_input *in, const char *why);

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
	if (!update_sources(in)) {
		refuse_now(in, "could not be served: udrvd is out of memory");
		return;
	}
	release_held(in);
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

/* The client broke a rule, or (WHY is NULL) went away while no server was attached: stop
 * reading it and tell the connection, which closes it. */
static void refuse_now(struct bus_input *in, const char *why)
{
	in->refused = true;
	(void)update_sources(in);
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
	else if (n > 0 && in->feed_fd < 0 && in->wake(in->userdata) < 0)
		why = "could not be served: udrvd is out of file descriptors or memory";
	else if (n > 0)
		(void)take(in, read_buf, (size_t)n, &why);
	else if (in->feed_fd < 0) {
		/* Gone between requests: no server to tell. */
		refuse_now(in, NULL);
		return 0;
	} else
		in->eof = true;
	if (why) {
		refuse_now(in, why);
		return 0;
	}
	flush(in);
	/* Served in this same turn: the server exists only as long as the request (a thousand
	 * clients' requests read in a row would make a thousand servers at once). */
	if (n > 0 && !in->refused && in->feed_fd >= 0)
		in->fed(in->userdata);
	return 0;
}

/* Once sd-bus is past authentication, the bytes the client sent after BEGIN go on. */
static void release_held(struct bus_input *in)
{
	const char *why = NULL;
	size_t n = in->held_len;

	if (!n || in->refused || in->off < in->len || in->feed_fd < 0 || !in->ready(in->userdata))
		return;
	memcpy(read_buf, in->held, n);
	in->held_len = 0;
	free(in->held);
	in->held = NULL;
	if (take(in, read_buf, n, &why) < 0) {
		refuse_now(in, why);
		return;
	}
	flush(in);
}

static int on_feed(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	flush(userdata);
	return 0;
}

int bus_input_new(sd_event *event, int client_fd, bus_input_refuse_t refuse, bus_input_wake_t wake,
		  bus_input_ready_t ready, bus_input_fed_t fed, void *userdata,
		  struct bus_input **ret)
{
	struct bus_input *in = calloc(1, sizeof(*in));
	int r;

	if (!in)
		return -ENOMEM;
	in->refuse = refuse;
	in->wake = wake;
	in->ready = ready;
	in->fed = fed;
	in->userdata = userdata;
	in->client_fd = client_fd;
	in->feed_fd = -1;
	r = sd_event_add_io(event, &in->client_source, client_fd, EPOLLIN, on_client, in);
	if (r < 0) {
		bus_input_free(in);
		return r;
	}
	(void)sd_event_source_set_description(in->client_source, "client-input");
	touch(in);
	(void)update_sources(in);
	*ret = in;
	return 0;
}

struct bus_input *bus_input_free(struct bus_input *in)
{
	if (!in)
		return NULL;
	sd_event_source_disable_unref(in->client_source);
	sd_event_source_disable_unref(in->feed_source);
	closep(&in->feed_fd);
	free(in->buf);
	free(in->held);
	free(in);
	return NULL;
}

int bus_input_attach(struct bus_input *in, bool fds, int *ret_bus_fd)
{
	const char *auth = fds ? replay_auth_fds : replay_auth;
	size_t n = (fds ? sizeof(replay_auth_fds) : sizeof(replay_auth)) - 1;
	int pair[2], size = FEED_SNDBUF, r;

	if (in->feed_fd >= 0)
		return -EBUSY;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, pair) < 0)
		return negative_errno();
	(void)setsockopt(pair[1], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	/* An empty socket takes these few bytes whole. */
	if (in->authenticated &&
	    send(pair[1], auth, n, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)n) {
		r = errno > 0 ? -errno : -EIO;
		close(pair[0]);
		close(pair[1]);
		return r;
	}
	in->feed_fd = pair[1];
	*ret_bus_fd = pair[0];
	return in->authenticated;
}

void bus_input_detach(struct bus_input *in)
{
	in->feed_source = sd_event_source_disable_unref(in->feed_source);
	closep(&in->feed_fd);
	in->feed_fd = -1;
}

bool bus_input_idle(const struct bus_input *in)
{
	return in->feed_fd >= 0 && in->authenticated && in->header_len == 0 && in->off == in->len &&
	       !in->held_len && !in->paused && !in->eof && !in->refused;
}

void bus_input_kick(struct bus_input *in)
{
	release_held(in);
}

void bus_input_pause(struct bus_input *in, bool pause)
{
	if (in->paused == pause)
		return;
	in->paused = pause;
	(void)update_sources(in);
}

uint64_t bus_input_last_request(const struct bus_input *in)
{
	return in->last_request;
}

bool bus_input_unread(const struct bus_input *in)
{
	struct pollfd p = {.fd = in->client_fd, .events = POLLIN};

	if (in->paused || in->refused || in->eof)
		return false;
	return in->off < in->len || in->held_len || (poll(&p, 1, 0) == 1 && p.revents & POLLIN);
}
