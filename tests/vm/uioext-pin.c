/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* VM test program for uio_ext's pin fd (tests/vm/uioext-pin.scenario): run as root; the holders
 * it forks drop to uid 1000. Every PASS/FAIL line is printed by the root side, which reads
 * /proc/PID/pagemap and the module's status while the holder waits.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/uio_ext.h>

#include "uioext-util.h"

#define HUGE_SIZE (2u << 20)
#define MiB (1ull << 20)

enum { MSG_CHECK, MSG_STATUS, MSG_RESULT, MSG_KILL, MSG_DONE };

/* Holder to root: one step. Root answers one byte when it has looked. */
struct msg {
	uint32_t kind;
	int32_t err; /* MSG_RESULT: 0 passes; else the errno seen, or -1 */
	u64 a, b;    /* MSG_CHECK: vaddr, bus address; MSG_STATUS: pins, bytes expected */
	char desc[120];
	char detail[120];
};

static int sock = -1;

static void say(uint32_t kind, int err, u64 a, u64 b, const char *desc, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
static void say(uint32_t kind, int err, u64 a, u64 b, const char *desc, const char *fmt, ...)
{
	struct msg m = {.kind = kind, .err = err, .a = a, .b = b};
	va_list ap;
	char c;

	snprintf(m.desc, sizeof(m.desc), "%s", desc);
	va_start(ap, fmt);
	vsnprintf(m.detail, sizeof(m.detail), fmt, ap);
	va_end(ap);
	if (write(sock, &m, sizeof(m)) != sizeof(m) || read(sock, &c, 1) != 1)
		_exit(3);
}

/* Pins the page holding VA; returns 0 or the errno. */
static int pin(int pfd, u64 va, struct uio_ext_pin *ret)
{
	struct uio_ext_pin p = {.vaddr = va};

	if (ioctl(pfd, UIO_EXT_PIN, &p) < 0)
		return errno;
	if (ret)
		*ret = p;
	return 0;
}

static void expect_errno(int pfd, u64 va, int want, const char *desc)
{
	int e = pin(pfd, va, NULL);

	say(MSG_RESULT, e == want ? 0 : (e ? e : -1), 0, 0, desc, "%s (want %s)", strerror(e),
	    strerror(want));
}

/* The PFN behind VA in process PID, as root reads it. */
static u64 pagemap_phys(pid_t pid, u64 va)
{
	char path[64];
	uint64_t e = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || pread(fd, &e, 8, (off_t)(va / (u64)page_size) * 8) != 8)
		e = 0;
	if (fd >= 0)
		close(fd);
	if (!(e >> 63))
		return ~0ull;
	return (e & ((1ull << 55) - 1)) * (u64)page_size;
}

static long meminfo(const char *key)
{
	char line[128];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "re");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = strtol(line + strlen(key) + 1, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

static long proc_status_kb(pid_t pid, const char *key)
{
	char path[64], line[128];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = strtol(line + strlen(key) + 1, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

static int send_fd(int s, int fd)
{
	char buf[CMSG_SPACE(sizeof(int))] = {0}, c = 'f';
	struct iovec iov = {.iov_base = &c, .iov_len = 1};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = buf,
			    .msg_controllen = sizeof(buf)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(s, &mh, 0) == 1 ? 0 : -1;
}

static int recv_fd(int s)
{
	char buf[CMSG_SPACE(sizeof(int))] = {0}, c;
	struct iovec iov = {.iov_base = &c, .iov_len = 1};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = buf,
			    .msg_controllen = sizeof(buf)};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(s, &mh, 0) != 1 || !(cm = CMSG_FIRSTHDR(&mh)) || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/* A second uid 1000 process that is handed the pin fd by SCM_RIGHTS and pins its own page. */
static void stranger(int s)
{
	int pfd = recv_fd(s);
	char *mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int e;

	if (pfd < 0 || mem == MAP_FAILED)
		_exit(100);
	mem[0] = 1;
	e = pin(pfd, (u64)(uintptr_t)mem, NULL);
	_exit(e > 99 ? 99 : e);
}

static char *huge_map(unsigned n)
{
	char *h = mmap(NULL, (size_t)n * HUGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);

	if (h == MAP_FAILED)
		return NULL;
	for (unsigned i = 0; i < n; i++)
		h[(size_t)i * HUGE_SIZE] = 1;
	return h;
}

static void holder(int ufd, int pfd, int strange, u64 cap)
{
	char *mem =
		mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *gone = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *h = huge_map(1), *more = huge_map(4);
	volatile uint32_t *bar = map_region(ufd, 0, EDU_BAR);
	struct uio_ext_pin a, a2, b, hp;
	struct rlimit rl;
	u64 bytes;
	int e, e2, e3;
	pid_t child;

	if (mem == MAP_FAILED || ro == MAP_FAILED || gone == MAP_FAILED || !h || !more || !bar)
		say(MSG_RESULT, -1, 0, 0, "holder set up its memory (anonymous, 5 hugepages, BAR0)",
		    "%s", strerror(errno));
	memset(mem, 1, 3 * 4096);
	munmap(gone, 4096);

	e = pin(pfd, (u64)(uintptr_t)mem + 100, &a);
	say(MSG_RESULT,
	    e ? e : (a.page_vaddr == (u64)(uintptr_t)mem && a.page_size == 4096 ? 0 : -1), 0, 0,
	    "pin of an address in an anonymous page: its page start and 4096 bytes",
	    "%s, page 0x%llx size %llu", strerror(e), a.page_vaddr, a.page_size);
	say(MSG_CHECK, 0, (u64)(uintptr_t)mem, a.bus_addr,
	    "anonymous page: bus address = what root reads in /proc/PID/pagemap", "bus 0x%llx",
	    a.bus_addr);
	e = pin(pfd, (u64)(uintptr_t)mem + 3000, &a2);
	e2 = pin(pfd, (u64)(uintptr_t)mem + 4096, &b);
	say(MSG_RESULT, e || e2 ? (e ? e : e2) : (a2.bus_addr == a.bus_addr ? 0 : -1), 0, 0,
	    "the same page pinned again gives the same bus address", "%s, 0x%llx then 0x%llx",
	    strerror(e), a.bus_addr, a2.bus_addr);
	say(MSG_STATUS, 0, 2, 2 * 4096, "dedup: three pins of two pages count two pages",
	    "want 2 pins, 8192 bytes");

	e = pin(pfd, (u64)(uintptr_t)h + 12345, &hp);
	say(MSG_RESULT,
	    e ? e
	      : (hp.page_vaddr == (u64)(uintptr_t)h && hp.page_size == HUGE_SIZE &&
				 !(hp.bus_addr % HUGE_SIZE)
			 ? 0
			 : -1),
	    0, 0, "pin inside a 2 MiB hugepage: the whole hugepage, aligned bus address",
	    "%s, page 0x%llx size %llu bus 0x%llx", strerror(e), hp.page_vaddr, hp.page_size,
	    hp.bus_addr);
	say(MSG_CHECK, 0, (u64)(uintptr_t)h, hp.bus_addr,
	    "hugepage: bus address = what root reads in /proc/PID/pagemap", "bus 0x%llx",
	    hp.bus_addr);
	bytes = 2 * 4096 + HUGE_SIZE;
	say(MSG_STATUS, 0, 3, bytes, "the hugepage counts once, 2 MiB", "want 3 pins");

	expect_errno(pfd, (u64)(uintptr_t)bar, EOPNOTSUPP, "pin of the BAR mapping refused");
	expect_errno(pfd, 0, EFAULT, "pin of address 0 refused");
	expect_errno(pfd, 0xffffffff81000000ull, EFAULT, "pin of a kernel address refused");
	expect_errno(pfd, 0x0000800000000000ull, EFAULT,
		     "pin of the first non-canonical address refused");
	expect_errno(pfd, 0xdead000000000000ull, EFAULT, "pin of a non-canonical address refused");
	expect_errno(pfd, ~0ull, EFAULT, "pin of address 2^64-1 refused");
	expect_errno(pfd, (u64)(uintptr_t)gone, EFAULT, "pin of an unmapped address refused");
	expect_errno(pfd, (u64)(uintptr_t)ro, EFAULT, "pin of a read-only page refused");
	say(MSG_STATUS, 0, 3, bytes, "refused pins left nothing pinned", "want 3 pins");

	child = fork();
	if (child == 0)
		_exit(pin(pfd, (u64)(uintptr_t)mem + 2 * 4096, NULL));
	e = reap(child);
	say(MSG_RESULT, e == EPERM ? 0 : (e ? e : -1), 0, 0,
	    "pin fd used by a forked child (another mm) refused: EPERM", "%s", strerror(e));
	if (send_fd(strange, pfd) < 0)
		say(MSG_RESULT, -1, 0, 0, "pin fd sent by SCM_RIGHTS", "%s", strerror(errno));
	say(MSG_STATUS, 0, 3, bytes, "neither the child nor the stranger pinned anything",
	    "want 3 pins");

	/* RLIMIT_MEMLOCK: lower the soft limit below what one more hugepage needs. */
	getrlimit(RLIMIT_MEMLOCK, &rl);
	rlim_t hard = rl.rlim_max;
	rl.rlim_cur = bytes + MiB;
	setrlimit(RLIMIT_MEMLOCK, &rl);
	e = pin(pfd, (u64)(uintptr_t)more, NULL);
	rl.rlim_cur = hard;
	setrlimit(RLIMIT_MEMLOCK, &rl);
	say(MSG_RESULT, e == ENOMEM ? 0 : (e ? e : -1), 0, 0,
	    "pin past RLIMIT_MEMLOCK refused: ENOMEM", "%s", strerror(e));
	say(MSG_STATUS, 0, 3, bytes, "the refused pin left nothing pinned", "want 3 pins");

	/* The device's cap: two more hugepages fit, the third does not. */
	e = pin(pfd, (u64)(uintptr_t)more, NULL);
	e2 = pin(pfd, (u64)(uintptr_t)more + HUGE_SIZE, NULL);
	e3 = pin(pfd, (u64)(uintptr_t)more + 2 * HUGE_SIZE, NULL);
	bytes += 2 * HUGE_SIZE;
	say(MSG_RESULT, !e && !e2 && e3 == ENOSPC ? 0 : -1, 0, 0,
	    "pins up to the device's cap pass, the next is refused: ENOSPC", "cap %llu: %s, %s, %s",
	    cap, strerror(e), strerror(e2), strerror(e3));
	say(MSG_STATUS, 0, 5, bytes, "pinned bytes stay within the cap", "want 5 pins");
	/* Bus mastering is on; root kills us now. */
	say(MSG_KILL, 0, 0, 0, "", "%s", "");
	pause();
	_exit(0);
}

/* Root's side of a holder: answers its messages, then kills it and checks the order. */
static void serve(int ctl, int s, pid_t pid, const char *slot, long huge_free_before)
{
	struct uio_ext_status mid, after;
	struct msg m;
	u64 phys;
	bool ok;
	int rc;

	for (;;) {
		if (read(s, &m, sizeof(m)) != sizeof(m)) {
			result(false, "holder ran to its kill point", "exit %d", reap(pid));
			return;
		}
		if (m.kind == MSG_KILL)
			break;
		switch (m.kind) {
		case MSG_CHECK:
			phys = pagemap_phys(pid, m.a);
			result(phys == m.b, m.desc, "%s, pagemap 0x%llx", m.detail, phys);
			break;
		case MSG_STATUS:
			mid = status_of(ctl);
			result(mid.pins == m.a && mid.pinned_bytes == m.b, m.desc,
			       "%s; status: %u pins, %llu bytes", m.detail, mid.pins,
			       mid.pinned_bytes);
			break;
		default:
			result(m.err == 0, m.desc, "%s", m.detail);
		}
		if (write(s, "k", 1) != 1)
			die("answer the holder");
	}
	mid = status_of(ctl);
	long vmpin = proc_status_kb(pid, "VmPin:");
	long huge_free_mid = meminfo("HugePages_Free:");
	uint16_t cmd_mid = config_command(slot);

	info("held: %u pins, %llu bytes, VmPin %ld kB, HugePages_Free %ld (was %ld), Command "
	     "0x%04x, resets %llu",
	     mid.pins, mid.pinned_bytes, vmpin, huge_free_mid, huge_free_before, cmd_mid,
	     mid.resets);
	result(vmpin * 1024 == (long)mid.pinned_bytes,
	       "the pins are charged to the holder's memlock (VmPin)", "VmPin %ld kB, %llu bytes",
	       vmpin, mid.pinned_bytes);
	kill(pid, SIGKILL);
	rc = reap(pid);
	after = status_of(ctl);
	uint16_t cmd_after = config_command(slot);
	long huge_free_after = meminfo("HugePages_Free:");

	info("after SIGKILL: %u pins, %llu bytes, released %llu (at resets %llu, %u with bus "
	     "mastering on), resets %llu -> %llu, Command 0x%04x, HugePages_Free %ld",
	     after.pins, after.pinned_bytes, after.pins_released, after.release_resets,
	     after.release_master, mid.resets, after.resets, cmd_after, huge_free_after);
	result(rc == 128 + SIGKILL && (mid.flags & UIO_EXT_F_MASTER) && mid.pins == 5,
	       "holder SIGKILLed holding 5 pins with bus mastering on", "status %d, flags 0x%x", rc,
	       mid.flags);
	result(after.resets == mid.resets + 1, "the last release reset the function",
	       "resets %llu -> %llu", mid.resets, after.resets);
	result(after.pins == 0 && after.pinned_bytes == 0 &&
		       after.pins_released >= mid.pins_released + mid.pins,
	       "every pin was released", "%u pins, %llu bytes left", after.pins,
	       after.pinned_bytes);
	ok = after.release_resets == after.resets && after.release_master == 0;
	result(ok, "the pins were released after the reset, never with bus mastering on",
	       "released at resets %llu (now %llu), %u released with bus mastering on",
	       after.release_resets, after.resets, after.release_master);
	result(!(cmd_after & 0x4) && !(after.flags & UIO_EXT_F_MASTER),
	       "bus mastering off after the last release", "Command 0x%04x", cmd_after);
	result(huge_free_after == huge_free_before, "the hugepages came back",
	       "HugePages_Free %ld, before %ld", huge_free_after, huge_free_before);
}

static int cmd_pin(unsigned idx, const char *slot)
{
	const u64 cap = 8 * MiB;
	struct uio_ext_dma dma = {.allow = 1, .mask_bits = 24};
	struct uio_ext_pin_fd req = {.limit = cap};
	struct rlimit rl = {.rlim_cur = 64 * MiB, .rlim_max = 64 * MiB};
	int ctl = ctl_open(idx), ufd, pfd, sv[2], st[2];
	long huge_free = meminfo("HugePages_Free:");
	uint32_t on = 1;
	pid_t pid, spid;
	int e;

	e = ioctl(ctl, UIO_EXT_PIN_FD, &req) < 0 ? errno : 0;
	result(e == EPERM, "no pin fd while DMA is not allowed", "%s", strerror(e));
	ufd = uio_open(idx);
	/* A 24-bit DMA mask: no page of ours is below 16 MiB, so every pin is out of reach. */
	if (ioctl(ctl, UIO_EXT_SET_DMA, &dma) < 0 || (pfd = ioctl(ctl, UIO_EXT_PIN_FD, &req)) < 0)
		die("DMA allowed with a 24-bit mask, pin fd");
	char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	page[0] = 1;
	e = pin(pfd, (u64)(uintptr_t)page, NULL);
	result(e == ERANGE, "a page above the device's DMA mask (24 bits) is refused: ERANGE", "%s",
	       strerror(e));
	close(pfd);
	dma.mask_bits = 64;
	if (ioctl(ctl, UIO_EXT_SET_DMA, &dma) < 0 || ioctl(ctl, UIO_EXT_SET_MASTER, &on) < 0 ||
	    (pfd = ioctl(ctl, UIO_EXT_PIN_FD, &req)) < 0)
		die("DMA and bus mastering allowed, pin fd");
	result(fcntl(pfd, F_GETFD) == FD_CLOEXEC, "the pin fd is close-on-exec", "flags %d",
	       fcntl(pfd, F_GETFD));
	if (setrlimit(RLIMIT_MEMLOCK, &rl) < 0 || socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, st) < 0)
		die("memlock limit, sockets");
	spid = fork();
	if (spid == 0) {
		int keep[] = {st[1]};

		become_holder(keep, 1);
		stranger(st[1]);
	}
	pid = fork();
	if (pid == 0) {
		int keep[] = {ufd, pfd, sv[1], st[0]};

		become_holder(keep, 4);
		sock = sv[1];
		holder(ufd, pfd, st[0], cap);
	}
	close(ufd);
	close(pfd);
	close(sv[1]);
	close(st[0]);
	close(st[1]);
	serve(ctl, sv[0], pid, slot, huge_free);
	e = reap(spid);
	result(e == EPERM, "pin fd passed by SCM_RIGHTS to another uid 1000 process: EPERM", "%s",
	       strerror(e));
	return 0;
}

/* A revoke mid-lease: new pins refused, the pins stay until the reset of the last release. */
static int cmd_pin_revoke(unsigned idx)
{
	struct uio_ext_dma dma = {.allow = 1};
	struct uio_ext_pin_fd req = {.limit = 8 * MiB};
	struct uio_ext_status mid, after;
	int ctl = ctl_open(idx), ufd = uio_open(idx), pfd, go[2], res[2], e;
	uint32_t on = 1;
	pid_t pid;
	char c;

	if (ioctl(ctl, UIO_EXT_SET_DMA, &dma) < 0 || ioctl(ctl, UIO_EXT_SET_MASTER, &on) < 0 ||
	    (pfd = ioctl(ctl, UIO_EXT_PIN_FD, &req)) < 0 || pipe(go) < 0 || pipe(res) < 0)
		die("DMA, pin fd, pipes");
	pid = fork();
	if (pid == 0) {
		int keep[] = {ufd, pfd, go[0], res[1]};
		char *mem;

		become_holder(keep, 4);
		mem = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			   0);
		memset(mem, 1, 2 * 4096);
		e = pin(pfd, (u64)(uintptr_t)mem, NULL);
		if (write(res[1], &e, sizeof(e)) != sizeof(e) || read(go[0], &c, 1) != 1)
			_exit(3);
		e = pin(pfd, (u64)(uintptr_t)mem + 4096, NULL);
		if (write(res[1], &e, sizeof(e)) != sizeof(e) || read(go[0], &c, 1) != 1)
			_exit(3);
		_exit(0);
	}
	close(ufd);
	close(pfd);
	if (read(res[0], &e, sizeof(e)) != sizeof(e))
		die("holder's first pin");
	result(e == 0, "holder pinned a page", "%s", strerror(e));
	if (ioctl(ctl, UIO_EXT_REVOKE) < 0)
		die("revoke");
	if (write(go[1], "g", 1) != 1 || read(res[0], &e, sizeof(e)) != sizeof(e))
		die("holder's second pin");
	mid = status_of(ctl);
	result(e == EPERM, "a pin after the revoke is refused: EPERM", "%s", strerror(e));
	e = ioctl(ctl, UIO_EXT_PIN_FD, &req) < 0 ? errno : 0;
	result(e == EPERM, "no new pin fd after the revoke", "%s", strerror(e));
	result(mid.pins == 1 && !(mid.flags & UIO_EXT_F_MASTER),
	       "the revoke turned bus mastering off and kept the pin until the reset",
	       "%u pins, flags 0x%x", mid.pins, mid.flags);
	if (write(go[1], "g", 1) != 1)
		die("let the holder go");
	e = reap(pid);
	after = status_of(ctl);
	info("revoke: pins %u -> %u, resets %llu -> %llu, released at resets %llu", mid.pins,
	     after.pins, mid.resets, after.resets, after.release_resets);
	result(e == 0 && after.pins == 0 && after.resets == mid.resets + 1 &&
		       after.release_resets == after.resets && after.release_master == 0,
	       "the holder's exit (last release) reset the function, then released the pin",
	       "exit %d, %u pins", e, after.pins);
	if (ioctl(ctl, UIO_EXT_GRANT) < 0)
		die("grant again");
	return 0;
}

/*
 * Pins made while /dev/uioN is not open (the device idle: reset at its last release, bus
 * mastering off) go when their pin fd closes, or at the next grant; a pin fd of an earlier
 * lease stays dead even once DMA is allowed again.
 */
static int cmd_pin_idle(unsigned idx)
{
	struct uio_ext_dma dma = {.allow = 1};
	struct uio_ext_pin_fd req = {.limit = 1 << 20};
	struct uio_ext_status st;
	char *mem =
		mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int ctl = ctl_open(idx), pfd, old, e;

	memset(mem, 1, 2 * 4096);
	if (ioctl(ctl, UIO_EXT_SET_DMA, &dma) < 0 || (pfd = ioctl(ctl, UIO_EXT_PIN_FD, &req)) < 0 ||
	    pin(pfd, (u64)(uintptr_t)mem, NULL))
		die("DMA allowed on the closed device, pin fd, pin");
	st = status_of(ctl);
	result(st.opens == 0 && st.pins == 1, "a pin while /dev/uioN is not open",
	       "%u opens, %u pins", st.opens, st.pins);
	close(pfd);
	st = status_of(ctl);
	result(st.pins == 0, "closing its pin fd released it (the device is idle)", "%u pins",
	       st.pins);

	if ((old = ioctl(ctl, UIO_EXT_PIN_FD, &req)) < 0 || pin(old, (u64)(uintptr_t)mem, NULL) ||
	    ioctl(ctl, UIO_EXT_REVOKE) < 0)
		die("pin fd, pin, revoke");
	st = status_of(ctl);
	result(st.pins == 1, "a revoke alone releases no pin", "%u pins", st.pins);
	if (ioctl(ctl, UIO_EXT_GRANT) < 0 || ioctl(ctl, UIO_EXT_SET_DMA, &dma) < 0)
		die("grant, DMA allowed again");
	st = status_of(ctl);
	result(st.pins == 0, "the next grant released the last lease's pin", "%u pins", st.pins);
	e = pin(old, (u64)(uintptr_t)mem + 4096, NULL);
	result(e == EPERM, "the last lease's pin fd stays dead in the new lease: EPERM", "%s",
	       strerror(e));
	close(old);
	dma.allow = 0;
	if (ioctl(ctl, UIO_EXT_SET_DMA, &dma) < 0)
		die("DMA forbidden again");
	return 0;
}

/*
 * A udrvd lease's holder PID with pins (tests/vm/uioext-pin-lease.scenario): its pages' bus
 * addresses (VA BUS pairs) against pagemap, then SIGKILL; the pins must go, after the reset
 * unless NORESET (a function without a reset method), and the hugepages come back.
 */
static int cmd_lease_kill(unsigned idx, pid_t pid, bool reset, const char *revoke, char **pairs,
			  int n)
{
	int ctl = ctl_open(idx);
	struct uio_ext_status mid, after;
	/* Each device pins the same memory for itself (DPDK's ports): VmPin counts it once each. */
	long vmpin, ndev = getenv("UIOEXT_PIN_DEVICES") ? atol(getenv("UIOEXT_PIN_DEVICES")) : 1;
	char path[32];

	for (int i = 0; i + 1 < n; i += 2) {
		u64 va = strtoull(pairs[i], NULL, 0), bus = strtoull(pairs[i + 1], NULL, 0);
		u64 phys = pagemap_phys(pid, va);

		result(phys == bus, "udrv_dma_pin's bus address = what root reads in pagemap",
		       "va 0x%llx: bus 0x%llx, pagemap 0x%llx", va, bus, phys);
	}
	mid = status_of(ctl);
	vmpin = proc_status_kb(pid, "VmPin:");
	info("held: %u pins, %llu bytes (limit %llu), VmPin %ld kB, flags 0x%x, resets %llu",
	     mid.pins, mid.pinned_bytes, mid.pin_limit, vmpin, mid.flags, mid.resets);
	result(mid.pins > 0 && (mid.flags & UIO_EXT_F_MASTER) &&
		       mid.pinned_bytes <= mid.pin_limit &&
		       vmpin * 1024 == (long)mid.pinned_bytes * ndev,
	       "the holder holds pins within MemlockLimit=, charged to its memlock, bus mastering "
	       "on",
	       "%u pins, %llu of %llu bytes, VmPin %ld kB (%ld device(s) pinning), flags 0x%x",
	       mid.pins, mid.pinned_bytes, mid.pin_limit, vmpin, ndev, mid.flags);
	if (revoke) {
		/* udrvd's revoke: the module's revoke, then the unbind, whose removal resets. */
		int rc = system(revoke);

		result(rc == 0, "the revoke command succeeded", "%s: status %d", revoke, rc);
	} else {
		kill(pid, SIGKILL);
	}
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	after = status_of(ctl);
	for (int i = 0; i < 1000 && (after.pins || (!revoke && access(path, F_OK) == 0)); i++) {
		usleep(10000);
		after = status_of(ctl);
	}
	info("after %s: %u pins, released %llu (at resets %llu, %u with bus mastering on), "
	     "resets %llu -> %llu, reset errors %llu, flags 0x%x",
	     revoke ? "the revoke" : "SIGKILL", after.pins, after.pins_released,
	     after.release_resets, after.release_master, mid.resets, after.resets,
	     after.reset_errors, after.flags);
	if (revoke)
		result(kill(pid, 0) == 0 && (after.flags & UIO_EXT_F_REMOVED),
		       "revoke: the holder lives on, the device was taken back (removed from "
		       "uio_ext)",
		       "flags 0x%x", after.flags);
	result(after.pins == 0 && after.pinned_bytes == 0, "every pin released",
	       "%u pins, %llu bytes", after.pins, after.pinned_bytes);
	result(after.release_master == 0 && (!reset || after.release_resets > mid.resets),
	       reset ? "the pins were released after the function's reset, bus mastering off"
		     : "the pins were released with bus mastering off",
	       "released at resets %llu (before the kill %llu), %u with bus mastering on",
	       after.release_resets, mid.resets, after.release_master);
	/* After a revoke the holder lives on, its hugepages still mapped (no longer pinned). */
	result(revoke || meminfo("HugePages_Free:") == meminfo("HugePages_Total:"),
	       "every hugepage is free again", "HugePages_Free %ld of %ld",
	       meminfo("HugePages_Free:"), meminfo("HugePages_Total:"));
	return 0;
}

int main(int argc, char **argv)
{
	page_size = sysconf(_SC_PAGESIZE);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3) {
		fprintf(stderr,
			"usage: %s pin IDX SLOT | pin-revoke IDX | pin-idle IDX | lease-kill IDX "
			"PID "
			"reset|noreset "
			"[VA BUS]... | lease-revoke IDX PID REVOKE-COMMAND [VA BUS]...\n",
			argv[0]);
		return 2;
	}
	unsigned idx = (unsigned)strtoul(argv[2], NULL, 0);

	if (!strcmp(argv[1], "pin") && argc > 3)
		cmd_pin(idx, argv[3]);
	else if (!strcmp(argv[1], "pin-revoke"))
		cmd_pin_revoke(idx);
	else if (!strcmp(argv[1], "pin-idle"))
		cmd_pin_idle(idx);
	else if (!strcmp(argv[1], "lease-kill") && argc > 4)
		cmd_lease_kill(idx, (pid_t)atoi(argv[3]), strcmp(argv[4], "noreset") != 0, NULL,
			       argv + 5, argc - 5);
	else if (!strcmp(argv[1], "lease-revoke") && argc > 4)
		cmd_lease_kill(idx, (pid_t)atoi(argv[3]), true, argv[4], argv + 5, argc - 5);
	else {
		fprintf(stderr, "%s: unknown command '%s'\n", argv[0], argv[1]);
		return 2;
	}
	return failures ? 1 : 0;
}
