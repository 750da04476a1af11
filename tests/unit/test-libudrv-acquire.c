/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for Acquire: error names to errnos, and udrv_open against a fake udrvd process. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>

#include "udrv-internal.h"
#include "udrv-protocol.h"

#define GOOD_SLOT "0000:00:03.0"

static const struct refusal {
	const char *slot, *name, *message;
	int error;
} refusals[] = {
	{"0000:00:04.0", UDRV_ERROR_DENIED, "uid 1000 is not granted 0000:00:04.0 by any policy",
	 -EACCES},
	{"0000:00:05.0", UDRV_ERROR_BUSY, "busy: 0000:00:05.0 is held by uid 0 (pid 1, init)",
	 -EBUSY},
	{"0000:00:06.0", UDRV_ERROR_IN_USE, "0000:00:06.0 is in use: interface eth0 is up", -EBUSY},
	{"0000:00:07.0", UDRV_ERROR_NO_DEVICE, "no PCI function 0000:00:07.0", -ENODEV},
	{"0000:00:08.0", UDRV_ERROR_INVALID_SLOT, "not a slot", -EINVAL},
	{"0000:00:09.0", UDRV_ERROR_FAILED, "could not bind uio_pci_generic", -EIO},
	{"0000:00:0a.0", "org.example.Error.Strange", "strange\nmultiline", -EIO},
};

/* Answers udrvd must not give, and the slots that ask for them. */
enum malformed { BAD_NAME = 0x10, NO_CONFIG, OUT_OF_ORDER, REPEATED, WRONG_SIGNATURE };

static char root[] = "/tmp/udrv-acquire-XXXXXX";
static char sock_path[100];
static pid_t server = -1;

/* ---- the fake udrvd, in a child process ---- */

/* Serves a lease's ctl channel: PING answers 0; CONFIG_READ at 0 answers the IDs, elsewhere the
 * number of IRQ_ENABLE requests seen so far (a convention of this test). */
static void *fake_ctl(void *userdata)
{
	int fd = (int)(intptr_t)userdata;
	struct udrv_ctl_req req;
	uint32_t enables = 0;

	while (recv(fd, &req, sizeof(req), MSG_TRUNC) >= (ssize_t)sizeof(req)) {
		struct {
			struct udrv_ctl_reply h;
			uint32_t data;
		} msg = {.h = {.op = req.op, .seq = req.seq}};
		size_t len = sizeof(msg.h);

		if (req.op == UDRV_CTL_IRQ_ENABLE)
			enables++;
		if (req.op == UDRV_CTL_CONFIG_READ) {
			msg.h.len = sizeof(msg.data);
			msg.data = req.offset == 0 ? 0x11e81234 : enables;
			len += sizeof(msg.data);
		}
		if (!(req.flags & UDRV_CTL_F_NOREPLY))
			(void)send(fd, &msg, len, MSG_NOSIGNAL);
	}
	close(fd);
	return NULL;
}

static int make_memfd(const char *name, size_t size)
{
	uint16_t ids[2] = {0x1234, 0x11e8};
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd >= 0 && ftruncate(fd, (off_t)size) == 0 && pwrite(fd, ids, sizeof(ids), 0) > 0)
		return fd;
	_exit(90);
}

static int reply_lease(sd_bus_message *m, int variant)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	int sv[2], config = make_memfd("config", 256), bar0 = make_memfd("bar0", 4096);
	int irq = eventfd(0, EFD_CLOEXEC);
	pthread_t t;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 ||
	    sd_bus_message_new_method_return(m, &reply) < 0 ||
	    sd_bus_message_append(reply, "h", sv[0]) < 0 ||
	    sd_bus_message_open_container(reply, 'a', "(sh)") < 0)
		_exit(91);
	if (variant == OUT_OF_ORDER)
		(void)sd_bus_message_append(reply, "(sh)", "bar0", bar0);
	if (variant != NO_CONFIG)
		(void)sd_bus_message_append(reply, "(sh)", "config", config);
	(void)sd_bus_message_append(reply, "(sh)", variant == BAD_NAME ? "bar9" : "bar0", bar0);
	if (variant == REPEATED)
		(void)sd_bus_message_append(reply, "(sh)", "bar0", bar0);
	(void)sd_bus_message_append(reply, "(sh)", "irq", irq);
	if (sd_bus_message_close_container(reply) < 0 ||
	    sd_bus_message_append(reply, "a{ss}", 2, "backend", "uio", "irq", "intx") < 0 ||
	    sd_bus_send(NULL, reply, NULL) < 0)
		_exit(92);
	close(sv[0]);
	close(config);
	close(bar0);
	close(irq);
	if (pthread_create(&t, NULL, fake_ctl, (void *)(intptr_t)sv[1]) != 0)
		_exit(93);
	pthread_detach(t);
	return 1;
}

/* A plain object callback, not a vtable: sd-bus would check the replies' signatures. */
static int on_message(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	const char *slot;
	unsigned dev, fn;

	if (!sd_bus_message_is_method_call(m, UDRV_BUS_INTERFACE, "Acquire"))
		return 0;
	if (sd_bus_message_read(m, "s", &slot) < 0)
		_exit(94);
	for (size_t i = 0; i < ELEMENTSOF(refusals); i++)
		if (streq(slot, refusals[i].slot))
			return sd_bus_reply_method_errorf(m, refusals[i].name, "%s",
							  refusals[i].message);
	if (sscanf(slot, "0000:00:%x.%x", &dev, &fn) != 2)
		_exit(95);
	if (dev == WRONG_SIGNATURE)
		return sd_bus_reply_method_return(m, "s", "no fds for you");
	return reply_lease(m, streq(slot, GOOD_SLOT) ? 0 : (int)dev);
}

static void serve_connection(int fd)
{
	sd_bus *bus = NULL;
	sd_id128_t id;
	int r;

	if (sd_bus_new(&bus) < 0 || sd_bus_set_fd(bus, fd, fd) < 0 || sd_id128_randomize(&id) < 0 ||
	    sd_bus_set_server(bus, 1, id) < 0 || sd_bus_negotiate_fds(bus, 1) < 0 ||
	    sd_bus_add_object(bus, NULL, UDRV_BUS_PATH, on_message, NULL) < 0 ||
	    sd_bus_start(bus) < 0)
		_exit(96);
	for (;;) {
		r = sd_bus_process(bus, NULL);
		if (r > 0)
			continue;
		if (r == 0)
			r = sd_bus_wait(bus, UINT64_MAX);
		if (r < 0)
			break;
	}
	sd_bus_flush_close_unref(bus);
}

static _noreturn_ void fake_udrvd(int listen_fd)
{
	for (;;) {
		int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);

		if (fd >= 0)
			serve_connection(fd);
		else if (errno != EINTR)
			_exit(0);
	}
}

/* ---- the tests ---- */

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static int setup(void **state)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char dir[128];
	int fd;

	assert_non_null(mkdtemp(root));
	snprintf(dir, sizeof(dir), "%s/run", root);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(dir, sizeof(dir), "%s/run/udrvd", root);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(sock_path, sizeof(sock_path), "%s/run/udrvd/udrvd.sock", root);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 8), 0);
	server = fork();
	assert_true(server >= 0);
	if (server == 0)
		fake_udrvd(fd);
	close(fd);
	setenv("UDRV_ROOT", root, 1);
	unsetenv("UDRV_SOCKET");
	unsetenv(UDRV_ENV_SLOT);
	return 0;
}

static int teardown(void **state)
{
	char dir[128];

	kill(server, SIGKILL);
	waitpid(server, NULL, 0);
	unlink(sock_path);
	snprintf(dir, sizeof(dir), "%s/run/udrvd", root);
	rmdir(dir);
	snprintf(dir, sizeof(dir), "%s/run", root);
	rmdir(dir);
	rmdir(root);
	return 0;
}

static void test_error_map(void **state)
{
	for (size_t i = 0; i < ELEMENTSOF(refusals) - 1; i++)
		assert_int_equal(bus_error_to_errno(refusals[i].name, -EIO), refusals[i].error);
	assert_int_equal(bus_error_to_errno("org.freedesktop.DBus.Error.AccessDenied", -EIO),
			 -EACCES);
	assert_int_equal(bus_error_to_errno("org.example.Unknown", -E2BIG), -E2BIG);
	assert_int_equal(bus_error_to_errno(NULL, -EIO), -EIO);
}

static void test_socket_path(void **state)
{
	static const struct {
		const char *root, *override, *expected;
	} cases[] = {
		{NULL, NULL, "/run/udrvd/udrvd.sock"},
		{"", "", "/run/udrvd/udrvd.sock"},
		{"/", NULL, "/run/udrvd/udrvd.sock"},
		{"/tmp/fx", NULL, "/tmp/fx/run/udrvd/udrvd.sock"},
		{"/tmp/fx//", NULL, "/tmp/fx/run/udrvd/udrvd.sock"},
		{"/tmp/fx", "/elsewhere.sock", "/elsewhere.sock"},
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		char *p = NULL;

		assert_int_equal(udrvd_socket_path(cases[i].root, cases[i].override, &p), 0);
		assert_string_equal(p, cases[i].expected);
		free(p);
	}
}

static void test_good(void **state)
{
	int before = count_fds(), fd;
	struct udrv_device *dev = NULL;
	struct udrv_error e;
	uint16_t ids[2];
	uint32_t enables = 0;
	void *addr;
	size_t size;

	assert_int_equal(udrv_open_error("00:03.0", &dev, &e), 0);
	assert_string_equal(e.message, "");
	/* ctl, config, bar0, irq; the bus connection is gone. */
	assert_int_equal(count_fds(), before + 4);
	for (size_t i = 0; i < dev->lease->n_fds; i++)
		assert_true(fcntl(dev->lease->fds[i], F_GETFD) & FD_CLOEXEC);
	assert_string_equal(udrv_device_slot(dev), GOOD_SLOT);
	assert_string_equal(udrv_device_info(dev, "backend"), "uio");
	assert_string_equal(udrv_device_info(dev, "irq"), "intx");
	assert_null(udrv_device_info(dev, "dma"));
	assert_int_equal(udrv_config_read(dev, 0, ids, sizeof(ids)), 0);
	assert_int_equal(ids[0], 0x1234);
	assert_int_equal(ids[1], 0x11e8);
	assert_int_equal(udrv_map_bar(dev, 0, &addr, &size), 0);
	assert_int_equal(size, 4096);
	assert_int_equal(*(volatile uint16_t *)addr, 0x1234);
	fd = udrv_irq_fd(dev);
	assert_true(fd >= 3);
	assert_int_equal(udrv_ping(dev), 0);
	assert_int_equal(udrv_irq_enable_async(dev), 0);
	assert_int_equal(udrv_irq_enable_async(dev), 0);
	assert_int_equal(udrv_irq_enable(dev), 0);
	assert_int_equal(ctl_call(&dev->ctl, UDRV_CTL_CONFIG_READ, 0, 4, NULL, 0, &enables,
				  sizeof(enables), NULL),
			 0);
	assert_int_equal(enables, 3);
	udrv_close(dev);
	assert_int_equal(count_fds(), before);
}

static void test_refused(void **state)
{
	int before = count_fds();

	for (size_t i = 0; i < ELEMENTSOF(refusals); i++) {
		struct udrv_device *dev = NULL;
		struct udrv_error e;

		assert_int_equal(udrv_open_error(refusals[i].slot, &dev, &e), refusals[i].error);
		assert_null(dev);
		assert_string_equal(e.name, refusals[i].name);
		if (strchr(refusals[i].message, '\n'))
			assert_string_equal(e.message, "strange multiline"); /* one line */
		else
			assert_string_equal(e.message, refusals[i].message);
	}
	assert_int_equal(count_fds(), before);
}

static void test_malformed(void **state)
{
	static const char *const slots[] = {"0000:00:10.0", "0000:00:11.0", "0000:00:12.0",
					    "0000:00:13.0", "0000:00:14.0"};
	int before = count_fds();

	for (size_t i = 0; i < ELEMENTSOF(slots); i++) {
		struct udrv_device *dev = NULL;
		struct udrv_error e;

		print_message("%s\n", slots[i]);
		assert_int_equal(udrv_open_error(slots[i], &dev, &e), -EPROTO);
		assert_null(dev);
		assert_string_equal(e.name, "");
		assert_true(e.message[0] != 0);
	}
	/* Every fd that did arrive was closed again. */
	assert_int_equal(count_fds(), before);
}

static void test_paths(void **state)
{
	struct udrv_device *dev = NULL;
	struct udrv_error e;
	char other[160];

	/* UDRV_SOCKET wins over UDRV_ROOT. */
	setenv("UDRV_ROOT", "/nonexistent", 1);
	setenv("UDRV_SOCKET", sock_path, 1);
	assert_int_equal(udrv_open(GOOD_SLOT, &dev), 0);
	udrv_close(dev);
	unsetenv("UDRV_SOCKET");
	assert_int_equal(udrv_open_error(GOOD_SLOT, &dev, &e), -ENOENT);
	assert_non_null(strstr(e.message, "/nonexistent/run/udrvd/udrvd.sock"));
	assert_non_null(strstr(e.message, "is udrvd running?"));
	snprintf(other, sizeof(other), "%s/%0100d", root, 0);
	setenv("UDRV_SOCKET", other, 1);
	assert_int_equal(udrv_open_error(GOOD_SLOT, &dev, &e), -ENAMETOOLONG);
	unsetenv("UDRV_SOCKET");
	setenv("UDRV_ROOT", root, 1);
}

static void test_inherited_other_slot(void **state)
{
	struct udrv_device *dev = NULL;

	/* A lease on another function is not this one's: udrvd is asked, the variables stay. */
	setenv(UDRV_ENV_SLOT, "0000:00:1f.0", 1);
	setenv(UDRV_ENV_FDS, "2", 1);
	setenv(UDRV_ENV_FDNAMES, "ctl:config", 1);
	assert_int_equal(udrv_open(GOOD_SLOT, &dev), 0);
	assert_string_equal(getenv(UDRV_ENV_SLOT), "0000:00:1f.0");
	udrv_close(dev);
	unsetenv(UDRV_ENV_SLOT);
	unsetenv(UDRV_ENV_FDS);
	unsetenv(UDRV_ENV_FDNAMES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_map),
		cmocka_unit_test(test_socket_path),
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_inherited_other_slot),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
