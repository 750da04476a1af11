/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the uio_ext VM test programs (uioext-util.h). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "uioext-util.h"

unsigned failures;
long page_size;

void result(bool ok, const char *desc, const char *fmt, ...)
{
	va_list ap;

	failures += !ok;
	/* record_lines shows a FAIL's detail; a PASS's detail follows as a comment line. */
	if (ok)
		printf("PASS\t%s\n# %s: ", desc, desc);
	else
		printf("FAIL\t%s\t", desc);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

void info(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

void die(const char *what)
{
	printf("FAIL\t%s\t%s\n", what, strerror(errno));
	exit(2);
}

u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000u + (u64)ts.tv_nsec;
}

int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* ---- control side (root) ---- */

int ctl_open(unsigned idx)
{
	struct uio_ext_attach at = {.uio_index = idx};
	int fd = open("/dev/" UIO_EXT_CTL_NAME, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die("open /dev/uio-ext");
	if (ioctl(fd, UIO_EXT_ATTACH, &at) < 0)
		die("UIO_EXT_ATTACH");
	return fd;
}

struct uio_ext_status status_of(int ctl)
{
	struct uio_ext_status st;

	if (ioctl(ctl, UIO_EXT_GET_STATUS, &st) < 0)
		die("UIO_EXT_GET_STATUS");
	return st;
}

void set_irq(int ctl, uint32_t mode, uint32_t rate, u64 poll_ns)
{
	struct uio_ext_irq irq = {.mode = mode, .rate_limit = rate, .poll_ns = poll_ns};

	if (ioctl(ctl, UIO_EXT_SET_IRQ, &irq) < 0)
		die("UIO_EXT_SET_IRQ");
}

int uio_open(unsigned idx)
{
	char path[32];
	int fd;

	snprintf(path, sizeof(path), "/dev/uio%u", idx);
	fd = open(path, O_RDWR);
	if (fd < 0)
		die(path);
	return fd;
}

/* ---- holder side (uid 1000) ---- */

void become_holder(const int *keep, unsigned n)
{
	for (int fd = 3; fd < 1024; fd++) {
		bool k = false;

		for (unsigned i = 0; i < n; i++)
			k |= keep[i] == fd;
		if (!k)
			close(fd);
	}
	if (setgroups(0, NULL) < 0 || setgid(HOLDER_UID) < 0 || setuid(HOLDER_UID) < 0)
		die("drop to uid 1000");
	if (getuid() != HOLDER_UID || geteuid() != HOLDER_UID)
		die("still privileged");
}

volatile uint32_t *map_region(int fd, unsigned map, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)map * page_size);

	return p == MAP_FAILED ? NULL : p;
}

int edu_roundtrip(int fd, volatile uint32_t *r)
{
	uint32_t n, one = 1;

	r[EDU_IRQ_RAISE / 4] = 1;
	if (read(fd, &n, 4) != 4)
		return -errno;
	if (!(r[EDU_IRQ_STATUS / 4] & 1))
		return -EPROTO;
	r[EDU_IRQ_ACK / 4] = 1;
	if (write(fd, &one, 4) != 4)
		return -errno;
	return 0;
}

int reap(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

uint16_t config_command(const char *slot)
{
	char path[128];
	uint16_t cmd = 0xffff;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", slot);
	fd = open(path, O_RDONLY);
	if (fd < 0 || pread(fd, &cmd, 2, 4) != 2)
		die(path);
	close(fd);
	return cmd;
}

int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), ok;

	if (fd < 0)
		return -errno;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	close(fd);
	return ok ? 0 : -EIO;
}
