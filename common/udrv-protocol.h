/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The wire contract between udrvd and its clients (libudrv, udrvctl): the bus interface on
 * the Unix socket, and the per-lease `ctl` channel. Both sides include this file only. */
#pragma once

#include <stdint.h>

/* sd-bus in peer-to-peer mode over AF_UNIX at ROOT + UDRV_SOCKET_PATH (env UDRV_SOCKET
 * overrides the whole path for clients). No bus names: the peer is udrvd. */
#define UDRV_SOCKET_PATH "/run/udrvd/udrvd.sock"
#define UDRV_BUS_PATH "/org/udrv/Manager1"
#define UDRV_BUS_INTERFACE "org.udrv.Manager1"

/*
 * org.udrv.Manager1 methods (all authorized from the connection's SO_PEERCRED):
 *
 *   Acquire(s slot) -> (h ctl, a(sh) fds, a{ss} info)
 *       Any user. Checks policy for the caller, prepares the device and returns the lease's
 *       ctl socket, then the device fds named "config" (read-only), "barN" (each granted
 *       BAR), "irq" and, for INTx, "irq-unmask", in that order. "irq" is /dev/uioN
 *       (irq_format uio32: read() gives a 4-byte running interrupt count) or, when polling,
 *       an eventfd (eventfd64: 8 bytes, wake-ups since the last read). "irq-unmask" is an
 *       eventfd: writing any 8-byte value asks udrvd to clear INTx Disable (rate-limited).
 *       INFO has "backend", "irq" (intx|poll), "irq_format", "dma" (off|on), "reset"
 *       (the method that ran, or "fallback"), "policy" (deciding file).
 *   Check(s slot) -> (s plan)
 *       Any user: Acquire's checks and what it would do, without doing it.
 *   Release(s slot, b dry_run) -> (s done)      holder or admin
 *   Revoke(s slot, b dry_run) -> (s done)       admin: ends the lease, drops standing grants
 *   GrantUser(u uid, s slot, t usec, b dry_run) -> (s done)   admin: a standing grant
 *   Bind(s slot, s driver, b dry_run), Unbind(s slot, b dry_run) -> (s done)   admin
 *   GetStatus() -> (s version, t uptime, a(suuts) leases, a(sutu) grants, as policy,
 *       as rejected, a(st) storms)
 *   Subscribe(): the connection then gets Event(s type, s slot, u uid, u pid, s text).
 *       Errors: org.udrv.Error.Denied, .Busy, .InUse, .NoDevice, .InvalidSlot, .Failed.
 *   ListLeases() -> a(suuts)
 *       Any user: slot, uid, pid, start time (CLOCK_REALTIME usec), holder's command name.
 *   Reload()
 *       root only: re-reads policy (as SIGHUP does).
 * "admin": uid 0 or a member of udrvd --admin-group, from SO_PEERCRED/SO_PEERGROUPS.
 */
#define UDRV_ERROR_DENIED "org.udrv.Error.Denied"
#define UDRV_ERROR_BUSY "org.udrv.Error.Busy"
#define UDRV_ERROR_IN_USE "org.udrv.Error.InUse"
#define UDRV_ERROR_NO_DEVICE "org.udrv.Error.NoDevice"
#define UDRV_ERROR_INVALID_SLOT "org.udrv.Error.InvalidSlot"
#define UDRV_ERROR_FAILED "org.udrv.Error.Failed"

/*
 * The ctl channel: one end of an AF_UNIX SOCK_SEQPACKET socketpair per lease. The lease
 * lives while any process holds the client's end; when the last copy closes, udrvd ends it.
 * Each request is one packet: struct udrv_ctl_req followed by LEN data bytes (writes only).
 * Each reply is one packet: struct udrv_ctl_reply followed by LEN data bytes (reads only).
 * Requests are answered in order. Requests with UDRV_CTL_F_NOREPLY get no reply.
 * Packets with seq 0 from udrvd are events (UDRV_CTL_EV_*), not replies.
 */
#define UDRV_CTL_MAX_DATA 4096

enum udrv_ctl_op {
	UDRV_CTL_PING = 1,	   /* no effect: measures the channel */
	UDRV_CTL_IRQ_ENABLE = 2,   /* clear INTx Disable so the next interrupt can arrive */
	UDRV_CTL_CONFIG_READ = 3,  /* OFFSET, LEN (bytes wanted, no data follows) */
	UDRV_CTL_CONFIG_WRITE = 4, /* OFFSET, LEN, data: a mediated write */
	UDRV_CTL_RELEASE = 5,	   /* end the lease now */
	UDRV_CTL_DMA_ALLOC = 6,	   /* data: uint64_t bytes; reply data: struct udrv_ctl_dma */
	UDRV_CTL_DMA_FREE = 7,	   /* data: uint64_t offset, as DMA_ALLOC answered */
};

/* A DMA buffer udrvd had the backend allocate (uio_ext, DMA=unsafe): OFFSET bytes into the
 * holder's "dma" map (its /dev/uioN at MAP_INDEX pages), BUS_ADDR for the device. */
struct udrv_ctl_dma {
	uint64_t size;
	uint64_t offset;
	uint64_t bus_addr;
	uint32_t map_index;
	uint32_t pad;
} __attribute__((packed));

enum udrv_ctl_event {
	UDRV_CTL_EV_LEASE_ENDED = 100, /* STATUS: 0, or -ECANCELED when revoked */
};

#define UDRV_CTL_F_NOREPLY 0x1u

struct udrv_ctl_req {
	uint32_t op;
	uint32_t seq; /* echoed in the reply; never 0 */
	uint32_t flags;
	uint32_t offset;
	uint32_t len;
} __attribute__((packed));

struct udrv_ctl_reply {
	uint32_t op;
	uint32_t seq;
	int32_t status; /* 0 or -errno */
	uint32_t len;
} __attribute__((packed));

/* Inherited leases (`udrvctl grant SLOT -- CMD`): fds from 3 upwards, in the LISTEN_FDS
 * style. UDRV_SLOT=slot, UDRV_FDS=count, UDRV_FDNAMES=ctl:config:bar0:...:irq:irq-unmask.
 * Several leases (`grant S1,S2`): each a ','-separated list, one entry per lease, the fds one
 * lease after the other; an adopted lease's UDRV_SLOT entry is emptied (lib/lease-env.c). */
#define UDRV_ENV_SLOT "UDRV_SLOT"
#define UDRV_ENV_FDS "UDRV_FDS"
#define UDRV_ENV_FDNAMES "UDRV_FDNAMES"
#define UDRV_FDS_START 3
