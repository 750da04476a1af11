/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: udrvd's RPC surface. One in-process udrvd on a fixture tree; each input is
 * one connection (credentials of root, the admin group, a listed user or a stranger) that sends
 * either a method call with fuzzed arguments through a real sd-bus client, or raw bytes through
 * the gate (bus-input.c) and sd-bus's parser. udrvd must neither crash nor leave a lease or a
 * connection behind. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <systemd/sd-bus.h>

#include "fuzz-input.h"
#include "lease.h"
#include "log.h"
#include "manager.h"
#include "udrv-protocol.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#define ADMIN_GID 4242

static struct manager *manager;
static char fixture_dir[] = "/tmp/udrv-fuzz-rpc.XXXXXX";

static void remove_fixture(void)
{
	char *cmd = NULL;

	if (asprintf(&cmd, "rm -rf '%s'", fixture_dir) > 0)
		(void)!system(cmd);
	free(cmd);
}

static const struct {
	const char *name, *sig;
} methods[] = {
	{"Acquire", "s"},      {"AcquireNode", "s"},  {"Check", "s"},	 {"Release", "sb"},
	{"Revoke", "sb"},      {"GrantUser", "ustb"}, {"Bind", "ssb"},	 {"Unbind", "sb"},
	{"ListLeases", ""},    {"GetStatus", ""},     {"Subscribe", ""}, {"Reload", ""},
	{"NoSuchMethod", "s"},
};

/* The callers: root, an admin-group member, the user the policy lists, a stranger. */
static const struct {
	uid_t uid;
	gid_t gid;
} creds[] = {{0, 0}, {2000, ADMIN_GID}, {1000, 1000}, {1001, 1001}};

/* A string: the bytes up to the next NUL (or the end), at most 300; a few stock slots. */
static const char *take_string(struct input *in, char *buf, size_t size)
{
	static const char *const stock[] = {"0000:00:03.0", "0000:00:04.0", "0000:00:05.0",
					    "uio_pci_generic", "vfio-pci"};
	uint8_t sel = take8(in);
	size_t n = 0;

	if (sel < ELEMENTSOF(stock))
		return stock[sel];
	while (in->left && n + 1 < size && *in->p) {
		buf[n++] = (char)*in->p++;
		in->left--;
	}
	if (in->left) { /* the NUL */
		in->p++;
		in->left--;
	}
	buf[n] = 0;
	return buf;
}

static void run(const char *cmd)
{
	CHECK(system(cmd) == 0, "failed: %s", cmd);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *dir = fixture_dir, *cmd = NULL, *policies[2] = {NULL, NULL};
	const char *src = getenv("UDRV_SRCDIR") ?: UDRV_FUZZ_SRCDIR;
	FILE *f;

	CHECK(mkdtemp(dir), "mkdtemp failed");
	atexit(remove_fixture);
	CHECK(asprintf(&cmd,
		       "python3 %s/tests/fixtures/mkfixture.py tree %s/root "
		       "%s/tests/fixtures/lease.json",
		       src, dir, src) > 0,
	      "oom");
	run(cmd);
	free(cmd);
	CHECK(asprintf(&policies[0], "%s/policy", dir) > 0, "oom");
	CHECK(mkdir(policies[0], 0755) == 0, "mkdir failed");
	CHECK(asprintf(&cmd, "%s/60-edu.policy", policies[0]) > 0, "oom");
	f = fopen(cmd, "w");
	CHECK(f, "cannot write %s", cmd);
	fputs("[Match]\nVendor=1234 8086\n\n[Grant]\nUsers=1000 root\nBackend=uio\nDMA=iommu\n"
	      "RevokeGracePeriod=0\n",
	      f);
	fclose(f);
	free(cmd);
	CHECK(asprintf(&cmd, "%s/root", dir) > 0, "oom");
	log_set_max_level(getenv("UDRV_FUZZ_VERBOSE") ? LOG_DEBUG : LOG_CRIT);
	CHECK(manager_new(cmd, policies, &manager) >= 0, "manager_new failed");
	manager->admin_gid = ADMIN_GID;
	CHECK(manager_start(manager) >= 0, "manager_start failed");
	free(cmd);
	free(policies[0]);
	return 0;
}

/* Turns udrvd's loop and the client's until the reply came (or nothing moves any more). */
static void pump(sd_bus *client, const bool *done)
{
	for (int i = 0; i < 400 && !(done && *done); i++) {
		int a = sd_event_run(manager->event, 0);
		int b = client ? sd_bus_process(client, NULL) : 0;

		if (!done && a == 0 && b == 0 && i > 20)
			break;
	}
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	*(bool *)userdata = true;
	return 0;
}

static void call(int fd, struct input *in)
{
	_cleanup_(sd_bus_close_unrefp) sd_bus *client = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	uint8_t which = take8(in) % ELEMENTSOF(methods), flags = take8(in);
	const char *sig = flags & 1 ? "u" : methods[which].sig; /* a wrong signature */
	char s1[301], s2[301];
	bool done = false;
	int r;

	CHECK(sd_bus_new(&client) >= 0 && sd_bus_set_fd(client, fd, fd) >= 0, "client setup");
	(void)sd_bus_negotiate_fds(client, 1);
	if (sd_bus_start(client) < 0)
		return;
	r = sd_bus_message_new_method_call(client, &m, NULL, UDRV_BUS_PATH,
					   flags & 2 ? "org.udrv.Other" : UDRV_BUS_INTERFACE,
					   methods[which].name);
	for (const char *t = sig; r >= 0 && *t; t++)
		switch (*t) {
		case 's':
			r = sd_bus_message_append_basic(
				m, 's', take_string(in, *t == sig[0] ? s1 : s2, sizeof(s1)));
			break;
		case 'u': {
			uint32_t u = (uint32_t)take64(in);

			r = sd_bus_message_append_basic(m, 'u', &u);
			break;
		}
		case 't': {
			uint64_t v = take64(in);

			r = sd_bus_message_append_basic(m, 't', &v);
			break;
		}
		case 'b': {
			int b = flags & 4 ? 1 : 0;

			r = sd_bus_message_append_basic(m, 'b', &b);
			break;
		}
		}
	if (r < 0) /* e.g. a string that is not UTF-8: sd-bus refuses to send it */
		return;
	if (sd_bus_call_async(client, NULL, m, on_reply, &done, 5 * 1000 * 1000) < 0)
		return;
	pump(client, &done);
}

/* Raw bytes: SASL lines (or not), then whatever the input holds. */
static void raw(int fd, struct input *in)
{
	static const char auth[] = "\0AUTH EXTERNAL 30\r\nNEGOTIATE_UNIX_FD\r\nBEGIN\r\n";

	if (take8(in) & 1)
		(void)!write(fd, auth, sizeof(auth) - 1);
	(void)!write(fd, in->p, in->left);
	if (take8(in) & 1)
		(void)shutdown(fd, SHUT_WR);
	pump(NULL, NULL);
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {data, size};
	uint8_t who = take8(&in), mode = take8(&in);
	struct connection *c;
	int pair[2];

	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, pair) == 0,
	      "socketpair failed");
	memset(manager->rates, 0, sizeof(manager->rates)); /* one client, thousands of inputs */
	/* Half the inputs see a connection lose its server between requests and get a new one
	 * through the replayed authentication (udrvd does that past MANAGER_SERVERS_KEPT). */
	manager->servers_kept = mode & 2 ? 0 : MANAGER_SERVERS_KEPT;
	if (connection_new(manager, pair[0]) < 0) {
		close(pair[1]);
		return 0;
	}
	/* The server side of a socketpair sees our own credentials: give it the chosen ones. */
	c = manager->connections;
	c->uid = creds[who % ELEMENTSOF(creds)].uid;
	c->gid = creds[who % ELEMENTSOF(creds)].gid;
	c->n_groups = 0;
	if (mode & 1)
		raw(pair[1], &in);
	else
		call(pair[1], &in);
	pump(NULL, NULL);
	while (manager->leases)
		lease_end(manager->leases, "the fuzz input is over");
	while (manager->connections)
		connection_free(manager->connections);
	CHECK(manager->n_connections == 0, "%zu connections left", manager->n_connections);
	return 0;
}
