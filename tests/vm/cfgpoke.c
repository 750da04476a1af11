/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* VM test helper: pokes a leased function's config space through libudrv's public API and
 * checks each answer. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "udrv.h"

/*
 * cfgpoke SLOT VERB... runs the verbs in order on a lease of SLOT and prints one line per check,
 * "PASS<TAB>what" or "FAIL<TAB>what<TAB>why" (tests/vm/lib.sh's record_lines reads them):
 *   flip OFF LEN MASK RESULT   write the current value XOR MASK; RESULT is ok or an errno name
 *   set OFF LEN VALUE RESULT   write VALUE
 *   expect OFF LEN VALUE       read and compare
 *   size OFF MASK              BAR sizing: all-ones reads back MASK, the old value restores
 *   mmio OFF MASK VALUE        a 32-bit read of BAR0 at OFF, masked, equals VALUE
 *   intx N                     edu only: N interrupts raised in BAR0, each waited for on the
 *                              irq fd, acknowledged, the next one raised while masked, and
 *                              unmasked DPDK-style: a 1-byte config write clearing INTx Disable
 *   sync NAME                  create NAME.ready, wait for NAME.go (lets root look meanwhile)
 * Exit status 1 when a check failed, 2 on bad usage. (Timing is `make bench`'s: bench/.)
 */

static unsigned failures;

static void result(bool ok, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void result(bool ok, const char *what, const char *fmt, ...)
{
	va_list ap;

	printf("%s\t%s", ok ? "PASS" : "FAIL", what);
	if (!ok) {
		putchar('\t');
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		failures++;
	}
	putchar('\n');
	fflush(stdout);
}

static const char *err_name(int r)
{
	static char buf[16];

	switch (r) {
	case 0:
		return "ok";
	case -EPERM:
		return "EPERM";
	case -EIO:
		return "EIO";
	case -EINVAL:
		return "EINVAL";
	}
	snprintf(buf, sizeof(buf), "%d", r);
	return buf;
}

static uint32_t num(const char *s)
{
	return (uint32_t)strtoul(s, NULL, 0);
}

static int cfg_read(struct udrv_device *dev, unsigned off, unsigned len, uint32_t *ret)
{
	uint8_t b[4] = {0};
	int r = udrv_config_read(dev, off, b, len);

	*ret = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	return r;
}

static int cfg_write(struct udrv_device *dev, unsigned off, unsigned len, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

	return udrv_config_write(dev, off, b, len);
}

static void verb_write(struct udrv_device *dev, unsigned off, unsigned len, uint32_t v, bool flip,
		       const char *want)
{
	char what[96];
	uint32_t cur = 0;
	int r = flip ? cfg_read(dev, off, len, &cur) : 0;

	if (flip)
		v ^= cur;
	snprintf(what, sizeof(what), "write 0x%0*x at 0x%x: %s", (int)len * 2, v, off, want);
	if (r == 0)
		r = cfg_write(dev, off, len, v);
	result(strcmp(err_name(r), want) == 0, what, "got %s", err_name(r));
}

static void verb_expect(struct udrv_device *dev, unsigned off, unsigned len, uint32_t want)
{
	char what[64];
	uint32_t v = 0;
	int r = cfg_read(dev, off, len, &v);

	snprintf(what, sizeof(what), "read 0x%x/%u is 0x%x", off, len, want);
	result(r == 0 && v == want, what, "got 0x%x (%s)", v, err_name(r));
}

static void verb_size(struct udrv_device *dev, unsigned off, uint32_t mask)
{
	char what[64];
	uint32_t old = 0, sized = 0, back = 0;
	int r = cfg_read(dev, off, 4, &old);

	if (r == 0)
		r = cfg_write(dev, off, 4, 0xffffffff);
	if (r == 0)
		r = cfg_read(dev, off, 4, &sized);
	if (r == 0)
		r = cfg_write(dev, off, 4, old);
	if (r == 0)
		r = cfg_read(dev, off, 4, &back);
	snprintf(what, sizeof(what), "BAR at 0x%x sizes to 0x%08x and restores", off, mask);
	result(r == 0 && sized == mask && back == old, what, "0x%x -> 0x%x -> 0x%x (%s)", old,
	       sized, back, err_name(r));
}

static void verb_mmio(struct udrv_device *dev, unsigned off, uint32_t mask, uint32_t want)
{
	char what[64];
	void *addr = NULL;
	size_t len = 0;
	uint32_t v = 0;
	int r = udrv_map_bar(dev, 0, &addr, &len);

	if (r == 0 && off + 4 <= len)
		v = ((volatile uint32_t *)addr)[off / 4];
	snprintf(what, sizeof(what), "BAR0 0x%x & 0x%x reads 0x%x", off, mask, want);
	result(r == 0 && (v & mask) == want, what, "got 0x%x (%s)", v, err_name(r));
}

/* Waits for the next interrupt; 0 or -ETIMEDOUT. */
static int wait_irq(struct udrv_device *dev)
{
	struct pollfd p = {.fd = udrv_irq_fd(dev), .events = POLLIN};
	uint64_t count;

	if (p.fd < 0)
		return p.fd;
	if (poll(&p, 1, 2000) <= 0)
		return -ETIMEDOUT;
	return udrv_irq_read(dev, &count);
}

/* Each interrupt after the first is raised while INTx is still masked, so the unmask itself
 * must deliver it (QEMU re-evaluates the line only for writes covering Command's low byte). */
static void verb_intx(struct udrv_device *dev, unsigned n)
{
	char what[80];
	volatile uint32_t *regs;
	void *addr = NULL;
	size_t len = 0;
	uint32_t cmd_hi = 0;
	unsigned got = 0;
	int r = udrv_map_bar(dev, 0, &addr, &len);

	regs = addr;
	if (r == 0)
		regs[0x60 / 4] = 1; /* raise */
	for (unsigned i = 0; i < n && r == 0; i++) {
		r = wait_irq(dev);
		if (r < 0)
			break;
		got++;
		regs[0x64 / 4] = regs[0x24 / 4]; /* acknowledge: the line drops */
		if (i + 1 < n)
			regs[0x60 / 4] = 1; /* the next one, pending behind INTx Disable */
		r = cfg_read(dev, 0x05, 1, &cmd_hi);
		if (r == 0)
			r = cfg_write(dev, 0x05, 1, cmd_hi & ~0x04u);
	}
	snprintf(what, sizeof(what), "%u interrupts, each unmasked by a 1-byte config write", n);
	result(r == 0 && got == n, what, "%u arrived (%s)", got, err_name(r));
}

static void verb_sync(const char *name)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s.ready", name);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
	snprintf(path, sizeof(path), "%s.go", name);
	for (int i = 0; i < 600 && access(path, F_OK) < 0; i++)
		usleep(50000);
}

/* How many arguments VERB takes; -1 for no such verb. */
static int verb_args(const char *verb)
{
	static const struct {
		const char *name;
		int n;
	} verbs[] = {
		{"flip", 4}, {"set", 4},  {"expect", 3}, {"mmio", 3},
		{"size", 2}, {"sync", 1}, {"intx", 1},
	};

	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(verb, verbs[i].name))
			return verbs[i].n;
	return -1;
}

static int run(struct udrv_device *dev, int argc, char **argv)
{
	for (int i = 0; i < argc;) {
		const char *v = argv[i];
		int need = verb_args(v);
		char **a = argv + i + 1;

		if (need < 0 || i + need >= argc) {
			fprintf(stderr, "cfgpoke: bad verb or missing arguments at '%s'\n", v);
			return 2;
		}
		if (!strcmp(v, "flip") || !strcmp(v, "set"))
			verb_write(dev, num(a[0]), num(a[1]), num(a[2]), v[0] == 'f', a[3]);
		else if (!strcmp(v, "expect"))
			verb_expect(dev, num(a[0]), num(a[1]), num(a[2]));
		else if (!strcmp(v, "mmio"))
			verb_mmio(dev, num(a[0]), num(a[1]), num(a[2]));
		else if (!strcmp(v, "size"))
			verb_size(dev, num(a[0]), num(a[1]));
		else if (!strcmp(v, "sync"))
			verb_sync(a[0]);
		else
			verb_intx(dev, num(a[0]));
		i += need + 1;
	}
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct udrv_error err;
	struct udrv_device *dev = NULL;
	int r;

	if (argc < 2) {
		fprintf(stderr, "usage: cfgpoke SLOT VERB...\n");
		return 2;
	}
	r = udrv_open_error(argv[1], &dev, &err);
	if (r < 0) {
		printf("FAIL\tlease on %s\t%s: %s\n", argv[1], err.name, err.message);
		return 1;
	}
	r = run(dev, argc - 2, argv + 2);
	udrv_close(dev);
	return r;
}
