/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The gate between a client's socket and its sd-bus server: udrvd reads the client itself and
 * feeds sd-bus only well-framed bytes, never a file descriptor, at most one bounded message at
 * a time. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

/* The largest request any udrvd method can legitimately get is well under 1 KiB (a slot, a
 * driver name, a uid, a duration): anything past this is refused before sd-bus buffers it. */
#define BUS_INPUT_MAX_MESSAGE (64 * 1024)
/* The SASL exchange before BEGIN: a few short lines. */
#define BUS_INPUT_MAX_AUTH_LINE 256
#define BUS_INPUT_MAX_AUTH 4096

struct bus_input;

/* Called once when the client broke a rule (WHY says which), or went away while no server was
 * attached (WHY is NULL); the owner closes the connection (not from inside this call). A plain
 * EOF with a server attached is passed on: sd-bus sees it. */
typedef void (*bus_input_refuse_t)(void *userdata, const char *why);
/* The client sent bytes and no server is attached: the owner attaches one (bus_input_attach) or
 * fails (< 0), and the connection is refused. */
typedef int (*bus_input_wake_t)(void *userdata);
/* Whether sd-bus is past authentication: requests sent with BEGIN wait for it. */
typedef bool (*bus_input_ready_t)(void *userdata);
/* Bytes just went to the server: the owner may have it process them now. */
typedef void (*bus_input_fed_t)(void *userdata);

/* Reads CLIENT_FD (the caller's: it stays open until bus_input_free(), and sd-bus writes replies
 * to a dup of it). */
int bus_input_new(sd_event *event, int client_fd, bus_input_refuse_t refuse, bus_input_wake_t wake,
		  bus_input_ready_t ready, bus_input_fed_t fed, void *userdata,
		  struct bus_input **ret);
struct bus_input *bus_input_free(struct bus_input *in);
/* A socket for a new sd-bus server to read, in *RET_BUS_FD (the caller's). Returns 1 if the
 * client authenticated with an earlier server: then the socket begins with a SASL exchange of
 * udrvd's own (with NEGOTIATE_UNIX_FD if FDS) that the new server must be taken through, its
 * answers kept from the client. 0 if the client's own exchange is still to come. */
int bus_input_attach(struct bus_input *in, bool fds, int *ret_bus_fd);
/* The server went (its socket is closed): the next bytes from the client call WAKE. */
void bus_input_detach(struct bus_input *in);
/* Between requests: authenticated, every byte fed so far ended a whole message, nothing held or
 * waiting to be fed. Whether the server read them all is the caller's to see. */
bool bus_input_idle(const struct bus_input *in);
/* After the server processed input: bytes held since BEGIN go on once it is ready. */
void bus_input_kick(struct bus_input *in);
/* Stops (or resumes) reading the client: while its replies queue up unread. */
void bus_input_pause(struct bus_input *in, bool pause);
/* CLOCK_MONOTONIC time of the last complete request (or of the accept): idle connections. */
uint64_t bus_input_last_request(const struct bus_input *in);
/* Whether the client sent bytes udrvd has not got to yet while it is reading them (not
 * paused): under load a request can wait in the socket longer than the idle limit, and such
 * a connection is not idle. */
bool bus_input_unread(const struct bus_input *in);
