/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The ctl channel's framing: one packet per request and per reply, seq-matched, events seq 0. */
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "udrv-internal.h"
#include "udrv-protocol.h"

void ctl_init(struct ctl *c, int fd, const char *slot)
{
	*c = (struct ctl){.fd = fd, .slot = slot};
}

bool ctl_ended(const struct ctl *c)
{
	return __atomic_load_n(&c->ended, __ATOMIC_ACQUIRE);
}

int ctl_end(struct ctl *c, int status, const char *why)
{
	if (!ctl_ended(c)) {
		c->end_status = status;
		__atomic_store_n(&c->ended, true, __ATOMIC_RELEASE);
		ulog(LOG_NOTICE, "%s: the lease has ended (%s)", c->slot, why);
	}
	return -ENOLINK;
}

static int ctl_event(struct ctl *c, const struct udrv_ctl_reply *ev)
{
	if (ev->op == UDRV_CTL_EV_LEASE_ENDED)
		return ctl_end(c, ev->status, "udrvd ended it");
	/* Newer udrvd, newer events: nothing this library must act on. */
	ulog(LOG_DEBUG, "%s: ignoring ctl event %u", c->slot, ev->op);
	return 0;
}

static int ctl_send(struct ctl *c, const struct udrv_ctl_req *req, const void *in, size_t in_len)
{
	struct iovec iov[2] = {
		{.iov_base = (void *)req, .iov_len = sizeof(*req)},
		{.iov_base = (void *)in, .iov_len = in_len},
	};
	struct msghdr msg = {.msg_iov = iov, .msg_iovlen = in_len ? 2 : 1};
	ssize_t n;

	do
		n = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EPIPE || errno == ECONNRESET || errno == ENOTCONN))
		return ctl_end(c, -errno, "udrvd closed the channel");
	if (n < 0)
		return negative_errno();
	return (size_t)n == sizeof(*req) + in_len ? 0 : -EPROTO;
}

/* Receives one packet into HDR and OUT. 1 when one arrived, 0 when FLAGS has MSG_DONTWAIT and
 * nothing is queued; -ENOLINK on hang-up; -EPROTO when it is too short or too long. */
static int ctl_recv(struct ctl *c, struct udrv_ctl_reply *hdr, void *out, size_t out_len,
		    size_t *ret_len, int flags)
{
	struct iovec iov[2] = {
		{.iov_base = hdr, .iov_len = sizeof(*hdr)},
		{.iov_base = out, .iov_len = out_len},
	};
	struct msghdr msg = {.msg_iov = iov, .msg_iovlen = out_len ? 2 : 1};
	ssize_t n;

	do
		n = recvmsg(c->fd, &msg, flags | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (n == 0 || (n < 0 && (errno == ECONNRESET || errno == ENOTCONN)))
		return ctl_end(c, -ECONNRESET, "udrvd hung up");
	if (n < 0)
		return negative_errno();
	if ((size_t)n < sizeof(*hdr) || (msg.msg_flags & MSG_TRUNC))
		return -EPROTO;
	*ret_len = (size_t)n - sizeof(*hdr);
	return 1;
}

int ctl_drain(struct ctl *c)
{
	struct udrv_ctl_reply hdr;
	size_t len;
	int r;

	if (ctl_ended(c))
		return -ENOLINK;
	/* With no request outstanding only events can be queued; a stray reply is dropped. */
	while ((r = ctl_recv(c, &hdr, NULL, 0, &len, MSG_DONTWAIT)) != 0) {
		if (r == -EPROTO && !ctl_ended(c))
			continue; /* a reply with data we did not ask for */
		if (r < 0)
			return r;
		if (hdr.seq == 0 && ctl_event(c, &hdr) < 0)
			return -ENOLINK;
	}
	return 0;
}

/* Checks a reply to REQ; 1 when it is stale (an earlier request's) and must be skipped. */
static int ctl_check_reply(const struct udrv_ctl_req *req, const struct udrv_ctl_reply *hdr,
			   size_t len)
{
	if (hdr->seq != req->seq)
		return (int32_t)(hdr->seq - req->seq) < 0 ? 1 : -EPROTO;
	if (hdr->op != req->op || hdr->len != len || hdr->status > 0)
		return -EPROTO;
	return 0;
}

int ctl_call(struct ctl *c, uint32_t op, uint32_t flags, uint32_t offset, const void *in,
	     size_t in_len, void *out, size_t out_len, size_t *ret_len)
{
	/* LEN counts the data that follows a write, and the bytes wanted by a read. */
	struct udrv_ctl_req req = {
		.op = op, .flags = flags, .offset = offset, .len = in_len ? in_len : out_len};
	struct udrv_ctl_reply hdr;
	size_t len;
	int r;

	if (in_len > UDRV_CTL_MAX_DATA || out_len > UDRV_CTL_MAX_DATA)
		return -EINVAL;
	if (ctl_ended(c))
		return -ENOLINK;
	if (++c->seq == 0)
		c->seq = 1; /* seq 0 marks events */
	req.seq = c->seq;
	r = ctl_send(c, &req, in, in_len);
	if (r < 0 || (flags & UDRV_CTL_F_NOREPLY))
		return r;
	for (;;) {
		r = ctl_recv(c, &hdr, out, out_len, &len, 0);
		if (r < 0)
			return r;
		if (r == 0) { /* the fd was made non-blocking behind our back: wait */
			struct pollfd p = {.fd = c->fd, .events = POLLIN};

			if (poll(&p, 1, -1) < 0 && errno != EINTR)
				return negative_errno();
			continue;
		}
		if (hdr.seq == 0) {
			if (ctl_event(c, &hdr) < 0)
				return -ENOLINK;
			continue;
		}
		r = ctl_check_reply(&req, &hdr, len);
		if (r < 0)
			return r;
		if (r == 0)
			break;
		ulog(LOG_DEBUG, "%s: skipping stale ctl reply %u", c->slot, hdr.seq);
	}
	if (ret_len)
		*ret_len = len;
	return hdr.status;
}
