/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Lease lifetime and the ctl channel: requests from the holder, hang-up ends the lease. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "backend-uio.h"
#include "lease.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "udrv-protocol.h"

static void read_comm(pid_t pid, char *buf, size_t size)
{
	char path[64];
	ssize_t n;
	_cleanup_close_ int fd = -1;

	snprintf(buf, size, "?");
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, size - 1);
	if (n <= 0) {
		snprintf(buf, size, "?");
		return;
	}
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
}

void lease_update_comm(struct lease *l)
{
	char comm[sizeof(l->comm)];

	read_comm(l->pid, comm, sizeof(comm));
	if (!streq(comm, "?")) /* the pid may be gone while a child holds the lease */
		memcpy(l->comm, comm, sizeof(comm));
}

static int ctl_reply(struct lease *l, const struct udrv_ctl_req *req, int status, const void *data,
		     uint32_t len)
{
	struct {
		struct udrv_ctl_reply h;
		uint8_t data[UDRV_CTL_MAX_DATA];
	} msg = {.h = {.op = req->op, .seq = req->seq, .status = status, .len = len}};

	if (req->flags & UDRV_CTL_F_NOREPLY)
		return 0;
	if (len)
		memcpy(msg.data, data, len);
	if (send(l->ctl_fd, &msg, sizeof(msg.h) + len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		return negative_errno();
	return 0;
}

static int ctl_config_read(struct lease *l, const struct udrv_ctl_req *req)
{
	uint8_t buf[UDRV_CTL_MAX_DATA];
	int r;

	if (req->len > UDRV_CTL_MAX_DATA || req->offset > 4096 || req->offset + req->len > 4096)
		return ctl_reply(l, req, -EINVAL, NULL, 0);
	r = pci_config_read(l->uio->config_fd, req->offset, buf, req->len);
	return ctl_reply(l, req, r, buf, r < 0 ? 0 : req->len);
}

static int ctl_handle(struct lease *l, const struct udrv_ctl_req *req, const uint8_t *data,
		      size_t data_len)
{
	int r;

	switch (req->op) {
	case UDRV_CTL_PING:
		return ctl_reply(l, req, 0, NULL, 0);
	case UDRV_CTL_IRQ_ENABLE:
		return ctl_reply(l, req, uio_dev_irq_enable(l->uio), NULL, 0);
	case UDRV_CTL_CONFIG_READ:
		return ctl_config_read(l, req);
	case UDRV_CTL_CONFIG_WRITE:
		if (req->len != data_len)
			return ctl_reply(l, req, -EINVAL, NULL, 0);
		r = uio_dev_config_write(l->uio, req->offset, data, data_len);
		if (r == -EPERM)
			log_notice("%s: refused config write of %zu bytes at 0x%x from uid %u "
				   "(pid %d).",
				   l->slot, data_len, req->offset, (unsigned)l->uid, (int)l->pid);
		return ctl_reply(l, req, r, NULL, 0);
	case UDRV_CTL_RELEASE:
		(void)ctl_reply(l, req, 0, NULL, 0);
		lease_end(l, "released by its holder");
		return 1;
	default:
		return ctl_reply(l, req, -EOPNOTSUPP, NULL, 0);
	}
}

static int on_ctl(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct lease *l = userdata;
	struct {
		struct udrv_ctl_req h;
		uint8_t data[UDRV_CTL_MAX_DATA];
	} msg;
	ssize_t n;

	/* Drain what is queued, a bounded number at a time so other leases get their turn. */
	for (int i = 0; i < 64; i++) {
		n = recv(fd, &msg, sizeof(msg), MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n <= 0) {
			lease_end(l, "the holder closed its last copy of the lease");
			return 0;
		}
		if ((size_t)n < sizeof(msg.h) || (size_t)n > sizeof(msg)) {
			log_notice(
				"%s: malformed ctl packet (%zd bytes) from uid %u: ending lease.",
				l->slot, n, (unsigned)l->uid);
			lease_end(l, "malformed request");
			return 0;
		}
		if (ctl_handle(l, &msg.h, msg.data, (size_t)n - sizeof(msg.h)) > 0)
			return 0; /* the lease is gone */
	}
	return 0;
}

int lease_new(struct manager *m, const char *slot, uid_t uid, pid_t pid, struct policy_file *policy,
	      struct uio_dev *uio, int ctl_fd, struct lease **ret)
{
	struct lease *l = calloc(1, sizeof(*l));
	struct timespec ts;
	int r;

	if (!l)
		return -ENOMEM;
	l->manager = m;
	memcpy(l->slot, slot, PCI_SLOT_LEN);
	l->uid = uid;
	l->pid = pid;
	read_comm(pid, l->comm, sizeof(l->comm));
	clock_gettime(CLOCK_REALTIME, &ts);
	l->since_usec = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
	l->policy = policy_file_ref(policy);
	l->ctl_fd = ctl_fd;
	r = sd_event_add_io(m->event, &l->ctl_source, ctl_fd, EPOLLIN | EPOLLRDHUP, on_ctl, l);
	if (r < 0) {
		policy_file_unref(l->policy);
		free(l);
		return r;
	}
	/* Ends before new requests are read: a dying client's lease goes first. */
	(void)sd_event_source_set_priority(l->ctl_source, SD_EVENT_PRIORITY_NORMAL);
	(void)sd_event_source_set_description(l->ctl_source, "lease-ctl");
	l->uio = uio;
	manager_add_lease(m, l);
	*ret = l;
	return 0;
}

void lease_end(struct lease *l, const char *why)
{
	struct udrv_ctl_reply ev = {.op = UDRV_CTL_EV_LEASE_ENDED, .seq = 0};

	if (l->ending)
		return;
	l->ending = true;
	log_info("Lease on %s held by uid %u (pid %d, %s) ends: %s.", l->slot, (unsigned)l->uid,
		 (int)l->pid, l->comm, why);
	(void)send(l->ctl_fd, &ev, sizeof(ev), MSG_NOSIGNAL | MSG_DONTWAIT);
	sd_event_source_disable_unref(l->ctl_source);
	l->ctl_source = NULL;
	closep(&l->ctl_fd);
	manager_remove_lease(l->manager, l);
	uio_dev_close(l->uio);
	policy_file_unref(l->policy);
	free(l);
}
