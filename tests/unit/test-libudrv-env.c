/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for inherited leases: every shape of UDRV_SLOT/UDRV_FDS/UDRV_FDNAMES, and export. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "udrv-internal.h"
#include "udrv-protocol.h"

/* Far from anything cmocka or the sanitizers open. */
#define FD_BASE 200

static const char slot[] = "0000:00:03.0";

/* Puts a fd fit for NAME at FD. */
static void place_fd(int fd, const char *name)
{
	int src;

	if (streq(name, "ctl")) {
		int sv[2];

		assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
		close(sv[1]);
		src = sv[0];
	} else if (streq(name, "irq"))
		src = open("/dev/null", O_RDWR | O_CLOEXEC);
	else {
		src = memfd_create(name, MFD_CLOEXEC);
		assert_int_equal(ftruncate(src, 4096), 0);
	}
	assert_true(src >= 0);
	assert_int_equal(dup2(src, fd), fd);
	close(src);
}

static void place_fds(int base, const char *const *names)
{
	for (size_t i = 0; names[i]; i++)
		place_fd(base + (int)i, names[i]);
}

static void close_fds(int base, size_t n)
{
	for (size_t i = 0; i < n; i++)
		close(base + (int)i);
}

static int parse(const char *want, const char *env_slot, const char *env_fds, const char *env_names,
		 struct lease **ret, struct udrv_error *e)
{
	return lease_parse_env(want, env_slot, env_fds, env_names, FD_BASE, ret, e);
}

static void test_good(void **state)
{
	static const char *const names[] = {"ctl", "config", "bar0", "bar2", "irq", NULL};
	struct lease *l = NULL;
	struct udrv_error e;

	place_fds(FD_BASE, names);
	/* Both spellings of the slot name the same function. */
	assert_int_equal(parse(slot, "00:03.0", "5", "ctl:config:bar0:bar2:irq", &l, &e), 1);
	assert_non_null(l);
	assert_string_equal(l->slot, slot);
	assert_true(l->adopted);
	assert_int_equal(l->n_fds, 5);
	for (size_t i = 0; names[i]; i++) {
		assert_string_equal(l->names[i], names[i]);
		assert_int_equal(l->fds[i], FD_BASE + (int)i);
	}
	assert_int_equal(lease_fd(l, "bar2"), FD_BASE + 3);
	assert_int_equal(lease_fd(l, "bar1"), -ENOENT);
	lease_free(l); /* closes them */
	assert_int_equal(fcntl(FD_BASE, F_GETFD), -1);

	/* uio-ext with DMA=unsafe and MSI-X: the holder's /dev/uioN, the pin fd, the vectors. */
	place_fds(FD_BASE, names);
	assert_int_equal(parse(slot, slot, "5", "ctl:config:uio:dma-pin:irq-vec0", &l, &e), 1);
	assert_int_equal(lease_fd(l, "dma-pin"), FD_BASE + 3);
	assert_int_equal(lease_fd(l, "irq-vec0"), FD_BASE + 4);
	lease_free(l);

	/* No slot asked for: the inherited one; and the smallest lease, ctl and config. */
	place_fds(FD_BASE, names);
	assert_int_equal(parse(NULL, "0000:00:03.0", "2", "ctl:config", &l, &e), 1);
	assert_string_equal(l->slot, slot);
	assert_int_equal(l->n_fds, 2);
	lease_free(l);
	close_fds(FD_BASE, 5);
}

static void test_not_for_us(void **state)
{
	struct lease *l = NULL;
	struct udrv_error e;

	assert_int_equal(parse(slot, NULL, NULL, NULL, &l, &e), 0);
	/* Another function's lease is left for a later udrv_open() of that one. */
	assert_int_equal(parse(slot, "0000:00:04.0", "2", "ctl:config", &l, &e), 0);
	assert_int_equal(parse(slot, "0001:00:03.0", "x", NULL, &l, &e), 0);
	assert_null(l);
}

struct bad_env {
	const char *slot, *fds, *names;
	int error;
};

static void test_bad_env(void **state)
{
	static const char *const names[] = {"ctl", "config", "bar0", "irq", NULL};
	static const struct bad_env bad[] = {
		/* variables without UDRV_SLOT, or a slot that is not one */
		{NULL, "2", NULL, -EINVAL},
		{NULL, NULL, "ctl:config", -EINVAL},
		{"", "2", "ctl:config", -EINVAL},
		{"0000:00:03.0 ", "2", "ctl:config", -EINVAL},
		{"../../etc", "2", "ctl:config", -EINVAL},
		/* counts */
		{slot, NULL, "ctl:config", -EINVAL},
		{slot, "", "ctl:config", -EINVAL},
		{slot, "x", "ctl:config", -EINVAL},
		{slot, "0", "", -EINVAL},
		{slot, "1", "ctl", -EINVAL},
		{slot, "-2", "ctl:config", -EINVAL},
		{slot, "+2", "ctl:config", -EINVAL},
		{slot, " 2", "ctl:config", -EINVAL},
		{slot, "2 ", "ctl:config", -EINVAL},
		{slot, "21",
		 "ctl:config:bar0:bar1:bar2:bar3:bar4:bar5:irq:irq-unmask:vfio-device:"
		 "vfio-container:uio:irq-vec0:irq-vec1:irq-vec2:irq-vec3:irq-vec4:irq-vec5:"
		 "irq-vec6:irq-vec7",
		 -EINVAL},
		{slot, "4", "ctl:config:irq-vec1:irq-vec0", -EINVAL},
		{slot, "5", "ctl:config:uio:irq-vec0:dma-pin", -EINVAL},
		{slot, "4", "ctl:config:dma-pin:uio", -EINVAL},
		{slot, "3", "ctl:config:irq-vec8", -EINVAL},
		{slot, "4", "ctl:config:irq-unmask:irq", -EINVAL},
		{slot, "100", "ctl:config", -EINVAL},
		{slot, "4294967298", "ctl:config", -EINVAL},
		/* names */
		{slot, "2", NULL, -EINVAL},
		{slot, "3", "ctl:config", -EINVAL},
		{slot, "2", "ctl:config:bar0", -EINVAL},
		{slot, "2", "ctl:config:", -EINVAL},
		{slot, "3", "ctl:config:", -EINVAL},
		{slot, "3", "ctl::config", -EINVAL},
		{slot, "3", ":ctl:config", -EINVAL},
		{slot, "2", "config:ctl", -EINVAL},
		{slot, "3", "ctl:bar0:config", -EINVAL},
		{slot, "3", "ctl:config:bar6", -EINVAL},
		{slot, "3", "ctl:config:bar01", -EINVAL},
		{slot, "3", "ctl:config:BAR0", -EINVAL},
		{slot, "3", "ctl:config:bar", -EINVAL},
		{slot, "3", "ctl:config:msix", -EINVAL},
		{slot, "3", "ctl:config:configuration", -EINVAL},
		{slot, "4", "ctl:config:bar0:bar0", -EINVAL},
		{slot, "4", "ctl:config:irq:bar0", -EINVAL},
		{slot, "4", "ctl:config:irq:irq", -EINVAL},
		{slot, "3", "ctl:ctl:config", -EINVAL},
	};

	place_fds(FD_BASE, names);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		struct lease *l = NULL;
		struct udrv_error e;

		error_clear(&e);
		print_message("env %zu: %s %s %s\n", i, bad[i].slot ?: "-", bad[i].fds ?: "-",
			      bad[i].names ?: "-");
		assert_int_equal(parse(slot, bad[i].slot, bad[i].fds, bad[i].names, &l, &e),
				 bad[i].error);
		assert_null(l);
		assert_true(e.message[0] != 0);
		assert_string_equal(e.name, "");
	}
	/* Nothing was closed on the way. */
	for (int i = 0; i < 4; i++)
		assert_true(fcntl(FD_BASE + i, F_GETFD) >= 0);
	close_fds(FD_BASE, 4);
}

static void test_bad_fds(void **state)
{
	static const char *const names[] = {"ctl", "config", "bar0", "irq", NULL};
	struct lease *l = NULL;
	struct udrv_error e;
	int sv[2], dir;

	/* A hole. */
	place_fds(FD_BASE, names);
	close(FD_BASE + 2);
	assert_int_equal(parse(slot, slot, "4", "ctl:config:bar0:irq", &l, &e), -EBADF);
	assert_non_null(strstr(e.message, "bar0"));
	close_fds(FD_BASE, 4);

	/* ctl must be the lease's SOCK_SEQPACKET socket, not a file or a stream socket. */
	place_fds(FD_BASE, names);
	place_fd(FD_BASE, "config");
	assert_int_equal(parse(slot, slot, "4", "ctl:config:bar0:irq", &l, &e), -EBADF);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(dup2(sv[0], FD_BASE), FD_BASE);
	close(sv[0]);
	close(sv[1]);
	assert_int_equal(parse(slot, slot, "4", "ctl:config:bar0:irq", &l, &e), -EBADF);
	assert_non_null(strstr(e.message, "SOCK_SEQPACKET"));

	/* A directory is no device file. */
	place_fd(FD_BASE, "ctl");
	dir = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_int_equal(dup2(dir, FD_BASE + 1), FD_BASE + 1);
	close(dir);
	assert_int_equal(parse(slot, slot, "4", "ctl:config:bar0:irq", &l, &e), -EBADF);
	assert_null(l);
	for (int i = 0; i < 4; i++)
		assert_true(fcntl(FD_BASE + i, F_GETFD) >= 0);
	close_fds(FD_BASE, 4);
}

static void test_open_refuses_bad_env(void **state)
{
	struct udrv_device *dev = NULL;
	struct udrv_error e;

	/* Inconsistent environment for this slot: no fallback to udrvd, environment kept. */
	setenv(UDRV_ENV_SLOT, "00:03.0", 1);
	setenv(UDRV_ENV_FDS, "x", 1);
	setenv(UDRV_ENV_FDNAMES, "ctl:config", 1);
	setenv("UDRV_SOCKET", "/nonexistent/udrvd.sock", 1);
	assert_int_equal(udrv_open_error(slot, &dev, &e), -EINVAL);
	assert_null(dev);
	assert_non_null(strstr(e.message, "UDRV_FDS"));
	assert_string_equal(getenv(UDRV_ENV_FDS), "x");

	/* NULL slot: the inherited one, with the same checks. */
	assert_int_equal(udrv_open(NULL, &dev), -EINVAL);

	/* Another slot: the environment is not looked at, udrvd is asked (and is not there). */
	assert_int_equal(udrv_open_error("0000:00:04.0", &dev, &e), -ENOENT);
	assert_non_null(strstr(e.message, "/nonexistent/udrvd.sock"));

	/* Bad slots are refused before anything else. */
	assert_int_equal(udrv_open_error("0000:00:04.8", &dev, &e), -EINVAL);
	assert_non_null(strstr(e.message, "not a PCI slot"));
	unsetenv(UDRV_ENV_SLOT);
	assert_int_equal(udrv_open_error(NULL, &dev, &e), -EINVAL);
	assert_non_null(strstr(e.message, "UDRV_SLOT is not set"));
	assert_int_equal(udrv_open_error(NULL, &dev, NULL), -EINVAL);
	unsetenv(UDRV_ENV_FDS);
	unsetenv(UDRV_ENV_FDNAMES);
	unsetenv("UDRV_SOCKET");
}

static int fd_cloexec(int fd)
{
	int flags = fcntl(fd, F_GETFD);

	return flags < 0 ? -1 : !!(flags & FD_CLOEXEC);
}

/* In a child: export a lease whose fds sit on each other's targets, then adopt it back. Returns
 * the number of the first failed step, 0 when all passed. */
static int export_then_adopt(void)
{
	static const char *const names[] = {"ctl", "config", "bar0", "irq"};
	/* ctl at 5, config at 3, bar0 at 6, irq at 4: every move collides with another fd. */
	static const int where[] = {5, 3, 6, 4};
	struct lease *l = NULL;
	struct udrv_device *dev = NULL;
	struct stat before[4], st;

	if (lease_new(slot, &l) < 0)
		return 1;
	for (int i = 0; i < 4; i++) {
		place_fd(FD_BASE + i, names[i]);
		if (dup2(FD_BASE + i, where[i]) != where[i] || fstat(where[i], &before[i]) < 0)
			return 2;
		close(FD_BASE + i);
		(void)fcntl(where[i], F_SETFD, FD_CLOEXEC);
		if (lease_add_fd(l, names[i], where[i]) < 0)
			return 3;
	}
	if (lease_export(l, UDRV_FDS_START) < 0)
		return 4;
	for (int i = 0; i < 4; i++) {
		if (fstat(3 + i, &st) < 0 || st.st_ino != before[i].st_ino ||
		    st.st_dev != before[i].st_dev)
			return 5; /* the right file at the right place */
		if (fd_cloexec(3 + i) != 0)
			return 6;
	}
	if (fcntl(7, F_GETFD) >= 0)
		return 7; /* the temporary copies are gone */
	if (!streq(getenv(UDRV_ENV_SLOT) ?: "", slot) || !streq(getenv(UDRV_ENV_FDS) ?: "", "4") ||
	    !streq(getenv(UDRV_ENV_FDNAMES) ?: "", "ctl:config:bar0:irq"))
		return 8;
	free(l); /* the fds now belong to the "exec'd" program, this same process */

	if (udrv_open("00:03.0", &dev) < 0)
		return 9;
	if (!streq(udrv_device_slot(dev), slot) || udrv_irq_fd(dev) != 6)
		return 10;
	if (getenv(UDRV_ENV_SLOT) || getenv(UDRV_ENV_FDS) || getenv(UDRV_ENV_FDNAMES))
		return 11; /* unset after adoption */
	for (int i = 0; i < 4; i++)
		if (fd_cloexec(3 + i) != 1)
			return 12;
	if (udrv_device_info(dev, "backend"))
		return 13; /* the environment carries no info */
	udrv_close(dev);
	if (fcntl(3, F_GETFD) >= 0)
		return 14;
	return 0;
}

static void test_export_adopt(void **state)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(export_then_adopt());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static const char slot2[] = "0000:00:04.0";

/* Several leases: lists in the three variables, fds one lease after the other. */
static void test_multi(void **state)
{
	static const char *const names[] = {"ctl", "config", "bar0", "ctl", "config", NULL};
	static const char both[] = "0000:00:03.0,00:04.0";
	struct lease *l = NULL;
	struct udrv_error e;
	size_t index = 9;

	place_fds(FD_BASE, names);
	assert_int_equal(lease_parse_env_index(slot2, both, "3,2", "ctl:config:bar0,ctl:config",
					       FD_BASE, &l, &index, &e),
			 1);
	assert_string_equal(l->slot, slot2);
	assert_int_equal(index, 1);
	assert_int_equal(l->n_fds, 2);
	assert_int_equal(lease_fd(l, "ctl"), FD_BASE + 3);
	assert_int_equal(lease_fd(l, "config"), FD_BASE + 4);
	l->n_fds = 0; /* keep them for the next parses */
	lease_free(l);

	assert_int_equal(parse(slot, both, "3,2", "ctl:config:bar0,ctl:config", &l, &e), 1);
	assert_int_equal(l->n_fds, 3);
	assert_int_equal(lease_fd(l, "bar0"), FD_BASE + 2);
	l->n_fds = 0;
	lease_free(l);

	/* No slot asked for: the first entry not adopted yet; an emptied entry keeps its fds'
	 * place. */
	assert_int_equal(parse(NULL, both, "3,2", "ctl:config:bar0,ctl:config", &l, &e), 1);
	assert_string_equal(l->slot, slot);
	l->n_fds = 0;
	lease_free(l);
	assert_int_equal(parse(NULL, ",0000:00:04.0", "3,2", "ctl:config:bar0,ctl:config", &l, &e),
			 1);
	assert_string_equal(l->slot, slot2);
	assert_int_equal(lease_fd(l, "ctl"), FD_BASE + 3);
	l->n_fds = 0;
	lease_free(l);
	l = NULL;
	assert_int_equal(parse(slot, ",0000:00:04.0", "3,2", "ctl:config:bar0,ctl:config", &l, &e),
			 0);
	assert_int_equal(parse("0000:00:05.0", both, "3,2", "x", &l, &e), 0);
	assert_null(l);

	/* Lists that do not line up, or name nothing. */
	static const struct bad_env bad[] = {
		{both, "3", "ctl:config:bar0,ctl:config", -EINVAL},
		{both, "3,2,2", "ctl:config:bar0,ctl:config", -EINVAL},
		{both, "3,2", "ctl:config:bar0", -EINVAL},
		{both, "3,2", "ctl:config:bar0,ctl:config,ctl:config", -EINVAL},
		{both, "3,3", "ctl:config:bar0,ctl:config", -EINVAL},
		{both, "2,2", "ctl:config:bar0,ctl:config", -EBADF}, /* bar0 is no ctl */
		{both, "3,", "ctl:config:bar0,ctl:config", -EINVAL},
		{",", "3,2", "ctl:config:bar0,ctl:config", -EINVAL},
		{"0000:00:03.0,x", "3,2", "ctl:config:bar0,ctl:config", -EINVAL},
		{"1:0.0,1:0.1,1:0.2,1:0.3,1:0.4,1:0.5,1:0.6,1:0.7,1:1.0", "2", "ctl:config",
		 -EINVAL},
	};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		error_clear(&e);
		print_message("multi env %zu: %s %s %s\n", i, bad[i].slot, bad[i].fds,
			      bad[i].names);
		assert_int_equal(parse(slot2, bad[i].slot, bad[i].fds, bad[i].names, &l, &e),
				 bad[i].error);
		assert_null(l);
		assert_true(e.message[0] != 0);
	}
	close_fds(FD_BASE, 5);
}

/* In a child: export two leases, adopt the second, then the first. 0 when all passed. */
static int multi_export_then_adopt(void)
{
	static const char *const names[] = {"ctl", "config", "bar0", "ctl", "config", "irq"};
	struct lease *l[2] = {};
	struct udrv_device *a = NULL, *b = NULL;

	if (lease_new(slot, &l[0]) < 0 || lease_new(slot2, &l[1]) < 0)
		return 1;
	for (int i = 0; i < 6; i++) {
		place_fd(FD_BASE + i, names[i]);
		if (lease_add_fd(l[i / 3], names[i], FD_BASE + i) < 0)
			return 2;
	}
	if (leases_export(l, 2, UDRV_FDS_START) < 0)
		return 3;
	if (!streq(getenv(UDRV_ENV_SLOT) ?: "", "0000:00:03.0,0000:00:04.0") ||
	    !streq(getenv(UDRV_ENV_FDS) ?: "", "3,3") ||
	    !streq(getenv(UDRV_ENV_FDNAMES) ?: "", "ctl:config:bar0,ctl:config:irq"))
		return 4;
	for (int i = 0; i < 6; i++)
		if (fd_cloexec(3 + i) != 0)
			return 5;
	free(l[0]);
	free(l[1]);

	if (udrv_open(slot2, &b) < 0 || udrv_irq_fd(b) != 8)
		return 6;
	if (!streq(getenv(UDRV_ENV_SLOT) ?: "", "0000:00:03.0,") ||
	    !streq(getenv(UDRV_ENV_FDS) ?: "", "3,3"))
		return 7; /* the first lease is still there to adopt */
	if (fd_cloexec(6) != 1 || fd_cloexec(3) != 0)
		return 8;
	if (udrv_open(NULL, &a) < 0 || !streq(udrv_device_slot(a), slot))
		return 9;
	if (getenv(UDRV_ENV_SLOT) || getenv(UDRV_ENV_FDS) || getenv(UDRV_ENV_FDNAMES))
		return 10;
	udrv_close(a);
	udrv_close(b);
	return 0;
}

static void test_multi_export_adopt(void **state)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(multi_export_then_adopt());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_names(void **state)
{
	struct lease *l = NULL;
	char *s = NULL;

	assert_int_equal(lease_name_rank("ctl"), 0);
	assert_int_equal(lease_name_rank("config"), 1);
	assert_int_equal(lease_name_rank("bar0"), 2);
	assert_int_equal(lease_name_rank("bar5"), 7);
	assert_int_equal(lease_name_rank("irq"), 8);
	assert_int_equal(lease_name_rank("vfio-device"), 10);
	assert_int_equal(lease_name_rank("vfio-container"), 11);
	assert_int_equal(lease_name_rank("uio"), 12);
	assert_int_equal(lease_name_rank("dma-pin"), 13);
	assert_int_equal(lease_name_rank("irq-vec0"), 14);
	assert_int_equal(lease_name_rank("irq-vec7"), 21);
	assert_int_equal(lease_name_rank("dma-pin0"), -EINVAL);
	assert_int_equal(lease_name_rank("dma"), -EINVAL);
	assert_int_equal(lease_name_rank("bar6"), -EINVAL);
	assert_int_equal(lease_name_rank(""), -EINVAL);
	assert_int_equal(lease_new("03:00.0", &l), -EINVAL); /* normalized slots only */
	assert_int_equal(lease_new(slot, &l), 0);
	assert_int_equal(lease_add_fd(l, "config", 100), -EINVAL);
	assert_int_equal(lease_check_complete(l), -EPROTO);
	assert_int_equal(lease_add_fd(l, "ctl", -1), -EBADF);
	assert_int_equal(lease_add_info(l, "irq", "intx"), 0);
	assert_int_equal(lease_add_info(l, "dma", "off"), 0);
	assert_string_equal(l->info[3], "off");
	assert_null(l->info[4]);
	assert_int_equal(lease_fdnames(l, &s), 0);
	assert_string_equal(s, "");
	free(s);
	lease_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_not_for_us),
		cmocka_unit_test(test_bad_env),
		cmocka_unit_test(test_bad_fds),
		cmocka_unit_test(test_open_refuses_bad_env),
		cmocka_unit_test(test_export_adopt),
		cmocka_unit_test(test_multi),
		cmocka_unit_test(test_multi_export_adopt),
		cmocka_unit_test(test_names),
	};

	unsetenv(UDRV_ENV_SLOT);
	unsetenv(UDRV_ENV_FDS);
	unsetenv(UDRV_ENV_FDNAMES);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
