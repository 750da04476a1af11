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

/* Called once when the client broke a rule (WHY says which); the owner closes the connection
 * (not from inside this call). A plain EOF is passed on: sd-bus sees it. */
typedef void (*bus_input_refuse_t)(void *userdata, const char *why);
/* Whether sd-bus is past authentication: requests sent with BEGIN wait for it. */
typedef bool (*bus_input_ready_t)(void *userdata);

/* Reads CLIENT_FD through a dup (the caller keeps CLIENT_FD: sd-bus writes replies to it) and
 * returns in *RET_BUS_FD the socket sd-bus must read from (owned by the caller). */
int bus_input_new(sd_event *event, int client_fd, bus_input_refuse_t refuse,
		  bus_input_ready_t ready, void *userdata, int *ret_bus_fd, struct bus_input **ret);
struct bus_input *bus_input_free(struct bus_input *in);
/* Stops (or resumes) reading the client: while its replies queue up unread. */
void bus_input_pause(struct bus_input *in, bool pause);
/* CLOCK_MONOTONIC time of the last complete request (or of the accept): idle connections. */
uint64_t bus_input_last_request(const struct bus_input *in);
/* Whether the client sent bytes udrvd has not got to yet while it is reading them (not
 * paused): under load a request can wait in the socket longer than the idle limit, and such
 * a connection is not idle. */
bool bus_input_unread(const struct bus_input *in);
