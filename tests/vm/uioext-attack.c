/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* VM test program: the uio_ext defects of issue 19, each as an attacker reaches it (a holder as
 * uid 1000 with only its /dev/uioN fd, or root misusing the control device). Runs as root and
 * prints PASS/FAIL lines for record_lines. Each command failed on the module before its fix
 * (tests/vm/uioext-attack.scenario says how each one failed); commands:
 *
 *   tmpfs IDX           a second /dev/uioN node on a tmpfs: mapped, revoked, unmounted
 *   dma-size IDX        DMA buffers above the page allocator's largest block
 *   master IDX ROUNDS   bus mastering cleared while the holder masks and unmasks INTx
 *   msi-intx IDX TYPE   INTx stays masked when a revoked device's MSI/MSI-X vectors go
 *   deadlock IDX SECS   the control ioctl, mmap and open/close racing in one process
 *   futex IDX           FUTEX_WAKE_OP on a changing register: the kernel's loop, ended by a revoke
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "uioext-util.h"

#define EDU_ID_VALUE 0x010000edu

static sigjmp_buf bus_jmp;

static void on_bus(int sig)
{
	(void)sig;
	siglongjmp(bus_jmp, 1);
}

/* Reads edu's ID register through a mapping: the value, or -1 for SIGBUS. */
static long probe_id(volatile uint32_t *r)
{
	struct sigaction sa = {.sa_handler = on_bus}, old;
	long v;

	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(bus_jmp, 1))
		v = -1;
	else
		v = r[EDU_ID / 4];
	sigaction(SIGBUS, &old, NULL);
	return v;
}

static volatile uint32_t *map_bar0(int fd)
{
	return map_region(fd, 0, (size_t)page_size);
}

/* ---- 1: a second node on a tmpfs ---- */

/* Mounts a tmpfs on DIR and makes DIR/uioIDX there, a node of /dev/uioIDX's device. */
static void tmpfs_node(const char *dir, unsigned idx, char *node, size_t len)
{
	char dev[32];
	struct stat st;

	snprintf(dev, sizeof(dev), "/dev/uio%u", idx);
	snprintf(node, len, "%s/uio%u", dir, idx);
	if (stat(dev, &st) < 0)
		die(dev);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		die(dir);
	if (mount("tmpfs", dir, "tmpfs", 0, "mode=0700") < 0)
		die("mount tmpfs");
	if (mknod(node, S_IFCHR | 0600, st.st_rdev) < 0)
		die("mknod");
}

static int open_node(const char *node)
{
	int fd = open(node, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die(node);
	return fd;
}

static int cmd_tmpfs(unsigned idx)
{
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char dir[256], node[300];
	int ctl = ctl_open(idx), fd, dfd;
	volatile uint32_t *t, *d;
	long tv, dv;

	snprintf(dir, sizeof(dir), "%s/uioext-tmpfs", tmp);
	tmpfs_node(dir, idx, node, sizeof(node));

	/* Both nodes mapped at once; the tmpfs one first, as in the report. */
	fd = open_node(node);
	t = map_bar0(fd);
	result(t && probe_id(t) == EDU_ID_VALUE, "BAR0 maps through a mknod'ed node on a tmpfs",
	       "%s", t ? "read the ID" : strerror(errno));
	dfd = uio_open(idx);
	d = map_bar0(dfd);
	result(d && probe_id(d) == EDU_ID_VALUE,
	       "the devtmpfs node maps too while the tmpfs node's mapping lives (was EXDEV)", "%s",
	       d ? "read the ID" : strerror(errno));
	if (ioctl(ctl, UIO_EXT_REVOKE) < 0)
		die("UIO_EXT_REVOKE");
	tv = t ? probe_id(t) : 0;
	dv = d ? probe_id(d) : 0;
	result(tv == -1 && dv == -1, "a revoke takes away the mappings through both inodes",
	       "tmpfs node: %s, devtmpfs node: %s", tv == -1 ? "SIGBUS" : "not revoked",
	       dv == -1 ? "SIGBUS" : "not revoked");
	if (t)
		munmap((void *)t, (size_t)page_size);
	if (d)
		munmap((void *)d, (size_t)page_size);
	close(fd);
	close(dfd);
	if (ioctl(ctl, UIO_EXT_GRANT) < 0)
		die("UIO_EXT_GRANT");

	/* The tmpfs node maps first and alone, then its filesystem goes. */
	fd = open_node(node);
	t = map_bar0(fd);
	tv = t ? probe_id(t) : 0;
	if (t)
		munmap((void *)t, (size_t)page_size);
	close(fd);
	int um = umount(dir);

	result(tv == EDU_ID_VALUE && um == 0,
	       "the tmpfs unmounts once its node's mapping and file are gone",
	       "mapped %s, umount %s", tv == EDU_ID_VALUE ? "yes" : "no",
	       um ? strerror(errno) : "ok");
	dfd = uio_open(idx);
	d = map_bar0(dfd);
	dv = d ? probe_id(d) : 0;
	result(dv == EDU_ID_VALUE, "afterwards /dev/uioN maps (was EXDEV)", "%s",
	       d ? "read the ID" : strerror(errno));
	if (d)
		munmap((void *)d, (size_t)page_size);
	close(dfd);

	/* Lazily unmounted while mapped: the mapping keeps the filesystem, a revoke still
	 * reaches it, and the filesystem ends with the mapping. */
	tmpfs_node(dir, idx, node, sizeof(node));
	fd = open_node(node);
	t = map_bar0(fd);
	close(fd);
	int busy = umount(dir) < 0 ? errno : 0;
	int lazy = umount2(dir, MNT_DETACH);

	if (!t || lazy < 0)
		die("map, then detach the tmpfs");
	if (ioctl(ctl, UIO_EXT_REVOKE) < 0)
		die("UIO_EXT_REVOKE");
	tv = probe_id(t);
	munmap((void *)t, (size_t)page_size);
	result(busy == EBUSY && tv == -1,
	       "a mapping through a detached tmpfs keeps it busy and is still revoked",
	       "umount: %s, access after revoke: %s", busy ? strerror(busy) : "succeeded",
	       tv == -1 ? "SIGBUS" : "still mapped");
	if (ioctl(ctl, UIO_EXT_GRANT) < 0)
		die("UIO_EXT_GRANT");
	rmdir(dir);
	close(ctl);
	return 0;
}

/* ---- 2: DMA buffers larger than one allocation ---- */

static int dma_alloc_err(int ctl, u64 size)
{
	struct uio_ext_dma_buf b = {.size = size};

	return ioctl(ctl, UIO_EXT_DMA_ALLOC, &b) < 0 ? errno : 0;
}

static int cmd_dma_size(unsigned idx)
{
	int ctl = ctl_open(idx), fd = uio_open(idx);
	struct uio_ext_status st = status_of(ctl);
	struct uio_ext_dma dma = {.allow = 1, .limit = st.dma_window};
	const u64 max = 4u << 20; /* x86-64: 4 KiB pages << (MAX_ORDER - 1) */
	int e8, e_over, e_win, e_max;

	if (ioctl(ctl, UIO_EXT_SET_DMA, &dma) < 0)
		die("UIO_EXT_SET_DMA");
	info("DMA window %llu MiB", st.dma_window >> 20);
	e8 = dma_alloc_err(ctl, 8u << 20);
	e_over = dma_alloc_err(ctl, max + 1);
	e_win = dma_alloc_err(ctl, st.dma_window * 2);
	result(e8 == E2BIG && e_over == E2BIG && e_win == E2BIG,
	       "DMA buffers above 4 MiB are refused with E2BIG (8 MiB, 4 MiB + 1, twice the "
	       "window)",
	       "%s, %s, %s", strerror(e8), strerror(e_over), strerror(e_win));
	e_max = dma_alloc_err(ctl, max);
	st = status_of(ctl);
	result(e_max == 0 && st.dma_buffers == 1 && st.dma_used == max,
	       "a 4 MiB buffer, the largest, is allocated", "%s, %u buffers, %llu bytes",
	       strerror(e_max), st.dma_buffers, st.dma_used);
	close(fd);
	st = status_of(ctl);
	result(st.dma_buffers == 0 && !(st.flags & UIO_EXT_F_DMA),
	       "the last close frees the buffers and forbids DMA", "%u buffers, flags 0x%x",
	       st.dma_buffers, st.flags);
	close(ctl);
	return 0;
}

/* ---- 3: bus mastering undone by the holder's INTx mask and unmask ---- */

static int set_master(int ctl, uint32_t on)
{
	return ioctl(ctl, UIO_EXT_SET_MASTER, &on);
}

static int set_dma(int ctl, uint32_t allow)
{
	struct uio_ext_dma dma = {.allow = allow};

	return ioctl(ctl, UIO_EXT_SET_DMA, &dma);
}

static bool master_on(int ctl)
{
	return status_of(ctl).flags & UIO_EXT_F_MASTER;
}

static int cmd_master(unsigned idx, unsigned rounds)
{
	int ctl = ctl_open(idx), fd = uio_open(idx), ready[2];
	unsigned undone = 0, lost = 0, by_dma = 0;
	u64 unmasks;
	pid_t pid;
	char c;

	set_irq(ctl, UIO_EXT_IRQ_INTX, 0, 0);
	if (set_dma(ctl, 1) < 0 || pipe(ready) < 0)
		die("allow DMA");
	unmasks = status_of(ctl).unmasks;
	pid = fork();
	if (pid == 0) {
		int keep[] = {fd, ready[1]};
		uint32_t one = 1, zero = 0;

		become_holder(keep, 2);
		if (write(ready[1], "r", 1) != 1)
			_exit(3);
		for (;;)
			if (write(fd, &one, 4) != 4 || write(fd, &zero, 4) != 4)
				_exit(4);
	}
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1)
		die("holder did not start");
	for (unsigned i = 0; i < rounds; i++) {
		if (set_master(ctl, 1) < 0)
			die("UIO_EXT_SET_MASTER 1");
		lost += !master_on(ctl);
		/* Every other round through SET_DMA(allow=0), which clears it too. */
		if (i & 1) {
			if (set_dma(ctl, 0) < 0 || set_dma(ctl, 1) < 0)
				die("UIO_EXT_SET_DMA");
		} else if (set_master(ctl, 0) < 0) {
			die("UIO_EXT_SET_MASTER 0");
		}
		/* A stale write lands a little after the clear: look twice. */
		bool on = master_on(ctl);

		on |= master_on(ctl);
		undone += on;
		by_dma += on && (i & 1);
	}
	kill(pid, SIGKILL);
	int rc = reap(pid);

	unmasks = status_of(ctl).unmasks - unmasks;
	info("holder: %llu unmasks during %u rounds", unmasks, rounds);
	result(rc == 128 + SIGKILL && unmasks >= rounds,
	       "the holder (uid 1000) masked and unmasked INTx throughout",
	       "status %d, %llu unmasks", rc, unmasks);
	result(undone == 0,
	       "bus mastering stays off after SET_MASTER(0) or SET_DMA(allow=0) while the holder "
	       "masks and unmasks INTx",
	       "came back on in %u of %u rounds (%u after SET_DMA)", undone, rounds, by_dma);
	result(lost == 0, "bus mastering stays on after SET_MASTER(1) meanwhile",
	       "lost in %u of %u rounds", lost, rounds);
	close(fd);
	close(ctl);
	return 0;
}

/* ---- 4: INTx left unmasked when a revoked device's vectors go ---- */

static int cmd_msi_intx(unsigned idx, const char *type)
{
	int ctl = ctl_open(idx), fd = uio_open(idx), efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	uint32_t t = !strcmp(type, "msix") ? UIO_EXT_IRQ_MSIX : UIO_EXT_IRQ_MSI;
	struct uio_ext_vectors v = {.type = t, .count = 1, .fds = (uintptr_t)&efd};
	const uint32_t modes[] = {UIO_EXT_IRQ_NONE, UIO_EXT_IRQ_POLL, UIO_EXT_IRQ_NONE};
	struct uio_ext_status st;

	if (efd < 0 || set_dma(ctl, 1) < 0)
		die("eventfd, allow DMA");
	for (unsigned i = 0; i < 3; i++) {
		bool revoked = i < 2;

		if (ioctl(ctl, UIO_EXT_SET_VECTORS, &v) < 0)
			die("UIO_EXT_SET_VECTORS");
		st = status_of(ctl);
		if (st.vectors != 1 || st.mode != t)
			die("vectors not set up");
		if (revoked && ioctl(ctl, UIO_EXT_REVOKE) < 0)
			die("UIO_EXT_REVOKE");
		if (modes[i] == UIO_EXT_IRQ_NONE && !revoked) {
			/* Vectors off through SET_VECTORS with no vectors. */
			struct uio_ext_vectors off = {.type = t};

			if (ioctl(ctl, UIO_EXT_SET_VECTORS, &off) < 0)
				die("UIO_EXT_SET_VECTORS 0");
		} else {
			set_irq(ctl, modes[i], 0, modes[i] == UIO_EXT_IRQ_POLL ? 1000000 : 0);
		}
		st = status_of(ctl);
		result(st.vectors == 0 && (st.flags & UIO_EXT_F_INTX_MASKED),
		       revoked ? (modes[i] == UIO_EXT_IRQ_POLL
					  ? "revoked, holder still open: SET_IRQ(poll) frees the "
					    "vectors and leaves INTx masked"
					  : "revoked, holder still open: SET_IRQ(none) frees the "
					    "vectors and leaves INTx masked")
			       : "SET_VECTORS with none frees the vectors and leaves INTx masked",
		       "%s, %u vectors, flags 0x%x", type, st.vectors, st.flags);
		if (revoked) { /* a new lease: every file closed, then granted again */
			close(fd);
			if (ioctl(ctl, UIO_EXT_GRANT) < 0)
				die("UIO_EXT_GRANT");
			fd = uio_open(idx);
			if (set_dma(ctl, 1) < 0)
				die("allow DMA");
		}
	}
	close(fd);
	close(efd);
	close(ctl);
	return 0;
}

/* ---- 5: the control ioctl, mmap and open/close racing ---- */

struct race {
	_Atomic u64 n[3]; /* rounds done: status into fresh pages, mmap/munmap, open/close */
	int ctl, fd;
	unsigned idx;
};

static void *race_status(void *arg)
{
	struct race *r = arg;

	for (;;) {
		void *p = mmap(NULL, (size_t)page_size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			_exit(10);
		/* The copy to user space faults the page in: it takes mmap_lock. */
		if (ioctl(r->ctl, UIO_EXT_GET_STATUS, p) < 0)
			_exit(11);
		munmap(p, (size_t)page_size);
		r->n[0]++;
	}
	return NULL;
}

static void *race_mmap(void *arg)
{
	struct race *r = arg;

	for (;;) {
		volatile uint32_t *p = map_bar0(r->fd);

		if (!p)
			_exit(12);
		munmap((void *)p, (size_t)page_size);
		r->n[1]++;
	}
	return NULL;
}

static void *race_open(void *arg)
{
	struct race *r = arg;
	char path[32];

	snprintf(path, sizeof(path), "/dev/uio%u", r->idx);
	for (;;) {
		int fd = open(path, O_RDWR | O_CLOEXEC);

		if (fd < 0)
			_exit(13);
		close(fd);
		r->n[2]++;
	}
	return NULL;
}

/* Prints the kernel stacks of PID's threads, for a report of where they are stuck. */
static void stacks(pid_t pid)
{
	char path[320], buf[4096];
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stack", pid, e->d_name);
		int fd = open(path, O_RDONLY);
		ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

		if (fd >= 0)
			close(fd);
		buf[n > 0 ? n : 0] = 0;
		for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n"))
			info("thread %s: %s", e->d_name, l);
	}
	if (d)
		closedir(d);
}

static int cmd_deadlock(unsigned idx, unsigned seconds)
{
	struct race *r =
		mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	u64 last[3] = {0}, moved[3] = {0};
	const u64 stuck_ns = 10ull * 1000000000u;
	u64 start, now;
	bool stuck = false;
	pid_t pid;

	if (r == MAP_FAILED)
		die("mmap");
	r->idx = idx;
	r->ctl = ctl_open(idx);
	r->fd = uio_open(idx);
	pid = fork();
	if (pid == 0) {
		pthread_t t[3];

		if (pthread_create(&t[0], NULL, race_status, r) ||
		    pthread_create(&t[1], NULL, race_mmap, r) ||
		    pthread_create(&t[2], NULL, race_open, r))
			_exit(14);
		pause();
		_exit(0);
	}
	start = now_ns();
	for (unsigned i = 0; i < 3; i++)
		moved[i] = start;
	do {
		usleep(100000);
		now = now_ns();
		for (unsigned i = 0; i < 3; i++) {
			u64 n = r->n[i];

			if (n != last[i]) {
				last[i] = n;
				moved[i] = now;
			}
			stuck |= now - moved[i] > stuck_ns;
		}
	} while (!stuck && now - start < (u64)seconds * 1000000000u);
	info("rounds: %llu status copies into fresh pages, %llu mmaps, %llu opens", (u64)r->n[0],
	     (u64)r->n[1], (u64)r->n[2]);
	if (stuck) {
		/* Deadlocked threads never return: report them and leave them. */
		stacks(pid);
		result(false,
		       "GET_STATUS into faulting pages, mmap and open/close run without deadlock",
		       "no progress for 10 s after %.1f s: deadlock", (now - start) / 1e9);
		return 0;
	}
	kill(pid, SIGKILL);
	int rc = reap(pid);

	result(rc == 128 + SIGKILL && r->n[0] && r->n[1] && r->n[2],
	       "GET_STATUS into faulting pages, mmap and open/close run without deadlock",
	       "%u s, racers' status %d", seconds, rc);
	close(r->fd);
	close(r->ctl);
	return 0;
}

/* ---- 6: FUTEX_WAKE_OP on device memory (docs/THREAT-MODEL.md) ---- */

struct futex_holder {
	volatile uint32_t *live; /* edu's liveness register: reads back ~ what was written */
	uint32_t word;		 /* an ordinary futex word, the call's first address */
	int out;		 /* the call's errno goes here when it returns */
};

/* Writes the register until the revoke's SIGBUS, then stops: the caller reports alone. */
static void *futex_writer(void *arg)
{
	struct sigaction sa = {.sa_handler = on_bus};
	struct futex_holder *h = arg;

	sigaction(SIGBUS, &sa, NULL);
	if (sigsetjmp(bus_jmp, 1))
		return NULL;
	for (uint32_t v = 0;; v++)
		h->live[0] = v;
	return NULL;
}

/* x86 runs FUTEX_OP_OR as a cmpxchg loop with a hash-bucket lock held: while the register
 * changes between its load and its cmpxchg, the call never returns. It does return when the
 * writer does not run meanwhile (a loaded host may not run both vCPUs at once): then the call
 * is made again. Each return's errno goes to OUT; the first error ends it. */
static void *futex_caller(void *arg)
{
	struct futex_holder *h = arg;

	for (;;) {
		long r = syscall(SYS_futex, &h->word, FUTEX_WAKE_OP | FUTEX_PRIVATE_FLAG, 1, NULL,
				 h->live, FUTEX_OP(FUTEX_OP_OR, 1, FUTEX_OP_CMP_EQ, 0));
		int e = r < 0 ? errno : 0;

		if (write(h->out, &e, sizeof(e)) != sizeof(e))
			_exit(5);
		if (e)
			return NULL;
	}
}

static int cmd_futex(unsigned idx)
{
	int ctl = ctl_open(idx), fd = uio_open(idx), ready[2], out[2], e = -1;
	struct pollfd pf;
	u64 t0, t1;
	pid_t pid;
	char c;

	if (pipe(ready) < 0 || pipe(out) < 0)
		die("pipe");
	pid = fork();
	if (pid == 0) {
		static struct futex_holder h;
		int keep[] = {fd, ready[1], out[1]};
		volatile uint32_t *r;
		pthread_t w, f;

		become_holder(keep, 3);
		r = map_bar0(fd);
		if (!r)
			_exit(3);
		h.live = &r[EDU_LIVE / 4];
		h.out = out[1];
		if (pthread_create(&w, NULL, futex_writer, &h))
			_exit(4);
		usleep(100000);
		if (write(ready[1], "r", 1) != 1 || pthread_create(&f, NULL, futex_caller, &h))
			_exit(4);
		pause();
		_exit(0);
	}
	close(fd);
	close(ready[1]);
	close(out[1]);
	if (read(ready[0], &c, 1) != 1)
		die("holder did not start");
	/* A call stuck for 2 s (well inside the soft-lockup watchdog's 20): calls that return
	 * meanwhile are counted and made again, for at most 60 s. */
	unsigned quick = 0;
	bool stuck = false, returned = false;
	u64 start = now_ns();

	while (!stuck && now_ns() - start < 60ull * 1000000000u) {
		pf = (struct pollfd){.fd = out[0], .events = POLLIN};
		if (poll(&pf, 1, 2000) == 0)
			stuck = true;
		else if (read(out[0], &e, sizeof(e)) != sizeof(e) || e)
			break;
		else
			quick++;
	}
	result(stuck, "FUTEX_WAKE_OP(OR) on a changing BAR register does not return (x86's loop)",
	       "%s; %u call(s) returned before one stayed",
	       stuck ? "a call still in the kernel after 2 s" : "no call stayed 2 s in 60 s",
	       quick);
	t0 = now_ns();
	if (ioctl(ctl, UIO_EXT_REVOKE) < 0)
		die("UIO_EXT_REVOKE");
	/* The zap's TLB flush makes the loop's next cmpxchg fault: EFAULT, then SIGBUS. */
	if (stuck) {
		pf = (struct pollfd){.fd = out[0], .events = POLLIN};
		returned = poll(&pf, 1, 5000) == 1 && read(out[0], &e, sizeof(e)) == sizeof(e);
	}
	t1 = now_ns();
	kill(pid, SIGKILL);
	/* A task still in the loop cannot die: wait a bounded time. */
	int rc = -1, st;

	for (unsigned i = 0; i < 50 && rc < 0; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		else
			usleep(100000);
	}

	result(returned && e == EFAULT && rc == 128 + SIGKILL,
	       "a revoke ends it: the call returns EFAULT and the holder can be killed",
	       "%s after %.1f ms, holder status %d", returned ? strerror(e) : "no return",
	       (t1 - t0) / 1e6, rc);
	if (ioctl(ctl, UIO_EXT_GRANT) < 0)
		die("UIO_EXT_GRANT");
	close(ctl);
	return 0;
}

int main(int argc, char **argv)
{
	page_size = sysconf(_SC_PAGESIZE);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3) {
		fprintf(stderr, "usage: %s COMMAND IDX [ARG] (see the comment at its top)\n",
			argv[0]);
		return 2;
	}
	const char *c = argv[1];
	unsigned idx = (unsigned)strtoul(argv[2], NULL, 0);
	unsigned n = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 0) : 0;

	if (!strcmp(c, "tmpfs"))
		cmd_tmpfs(idx);
	else if (!strcmp(c, "dma-size"))
		cmd_dma_size(idx);
	else if (!strcmp(c, "master") && n)
		cmd_master(idx, n);
	else if (!strcmp(c, "msi-intx") && argc > 3)
		cmd_msi_intx(idx, argv[3]);
	else if (!strcmp(c, "deadlock") && n)
		cmd_deadlock(idx, n);
	else if (!strcmp(c, "futex"))
		cmd_futex(idx);
	else {
		fprintf(stderr, "%s: unknown command or missing argument '%s'\n", argv[0], c);
		return 2;
	}
	return failures ? 1 : 0;
}
