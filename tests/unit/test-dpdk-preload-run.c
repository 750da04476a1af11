/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libudrv-dpdk.so itself, preloaded into this program (built without sanitizers, as Debian's
 * dpdk-testpmd is), which makes DPDK 22.11's calls on two inherited leases: a uio-ext one (its
 * "uio" fd is /dev/zero, whose maps a fake sysfs under UDRV_ROOT names) and a uio one, which
 * must be passed through. This process answers the uio-ext lease's ctl channel as udrvd. A
 * second run gives the uio-ext lease a "dma-pin" fd (/dev/null): pagemap is then answered by
 * the library's own udrv_dma_pin(), whose UIO_EXT_PIN ioctl this program answers as the module
 * would (its ioctl() interposes libc's for the preloaded library). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/uio_ext.h>

#include "udrv-protocol.h"

#define SLOT_A "0000:00:03.0"
#define SLOT_B "0000:00:04.0"

static int failed;

static void ok(bool cond, const char *what)
{
	printf("%s - %s\n", cond ? "ok" : "not ok", what);
	if (!cond)
		failed++;
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* /proc/self/maps' offset of the mapping at ADDR. */
static long map_offset(void *addr)
{
	char line[512];
	unsigned long start, off;
	long r = -1;
	FILE *f = fopen("/proc/self/maps", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%*x %*s %lx", &start, &off) == 2 && start == (uintptr_t)addr)
			r = (long)off;
	if (f)
		fclose(f);
	return r;
}

/* The DPDK side, preloaded. */
static int child(const char *sysfs)
{
	char path[4096], link[256];
	uint8_t cfg[4], cmd[2] = {0x06, 0x04};
	struct stat st;
	ssize_t n;
	void *p;
	int uio, conf, conf2, res, fd;

	/* pci.c pci_get_kernel_driver_by_path() */
	snprintf(path, sizeof(path), "%s/%s/driver", sysfs, SLOT_A);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	ok(n > 0 && strcmp(strrchr(link, '/'), "/igb_uio") == 0,
	   "the leased driver link reads igb_uio");
	snprintf(path, sizeof(path), "%s/%s/driver", sysfs, SLOT_B);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	ok(n > 0 && strstr(link, "uio_pci_generic"), "a uio lease's driver link is the real one");

	/* pci_uio.c pci_uio_alloc_resource() */
	uio = open("/dev/uio5", O_RDWR);
	ok(uio >= 0 && fstat(uio, &st) == 0 && st.st_rdev == makedev(1, 5),
	   "/dev/uio5 opens as the lease's uio fd");
	conf = open("/sys/class/uio/uio5/device/config", O_RDWR);
	ok(conf >= 0 && pread(conf, cfg, 4, 0) == 4 && cfg[0] == 0x86 && cfg[1] == 0x80,
	   "the uio device's config opens as the lease's config fd and reads");
	ok(pwrite(conf, cmd, 2, 4) == 2, "a config pwrite reaches udrvd and succeeds");
	errno = 0;
	ok(pwrite(conf, cmd, 2, 4) == -1 && errno == EACCES, "udrvd's refusal is pwrite's EACCES");
	conf2 = dup(conf);
	close(conf);
	ok(pwrite(conf2, cmd, 2, 4) == 2, "a dup of the config fd still writes through udrvd");
	close(conf2);
	fd = open("/dev/null", O_RDWR); /* likely conf2's number again */
	ok(pwrite(fd, cmd, 2, 0) == 2, "a closed config fd's number is a plain fd again");
	close(fd);

	/* pci_uio_map_resource_by_index() */
	snprintf(path, sizeof(path), "%s/%s/resource3_wc", sysfs, SLOT_A);
	errno = 0;
	ok(open(path, O_RDWR) == -1 && errno == ENOENT, "resource3_wc does not exist");
	snprintf(path, sizeof(path), "%s/%s/resource3", sysfs, SLOT_A);
	res = open(path, O_RDWR);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, res, 0);
	ok(res >= 0 && p != MAP_FAILED && map_offset(p) == 4096,
	   "resource3 maps /dev/uioN's map 1 (BAR3) at offset 1 page");
	close(res);
	fd = open("/dev/zero", O_RDWR); /* likely res's number again */
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	ok(p != MAP_FAILED && map_offset(p) == 0, "a closed resource fd's number maps unshifted");
	close(fd);
	snprintf(path, sizeof(path), "%s/%s/resource0", sysfs, SLOT_A);
	res = open(path, O_RDWR);
	p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, res, 0);
	ok(res >= 0 && p != MAP_FAILED && map_offset(p) == 0, "resource0 maps map 0 (BAR0)");
	close(res);
	snprintf(path, sizeof(path), "%s/%s/resource2", sysfs, SLOT_A);
	errno = 0;
	ok(open(path, O_RDWR) == -1 && errno == ENODEV, "resource2 (no map: an I/O BAR) is ENODEV");

	/* eal_memory.c rte_mem_virt2phy(): no dma-pin fd, so the kernel's file, untouched. */
	fd = open("/proc/self/pagemap", O_RDONLY);
	ok(fd >= 0 && lseek(fd, (off_t)((uintptr_t)&st / 4096 * 8), SEEK_SET) > 0 &&
		   read(fd, cfg, 4) == -1 && errno == EINVAL,
	   "pagemap without dma-pin is the kernel's (a 4-byte read is its EINVAL)");
	close(fd);
	close(uio);
	return failed ? 1 : 0;
}

/* The fake module: UIO_EXT_PIN on the lease's "dma-pin" fd (/dev/null here) puts every page
 * at its VA + PIN_OFFSET; nothing below 64 KiB is mapped. Every other ioctl is the kernel's. */
#define PIN_OFFSET UINT64_C(0x100000000)
int ioctl(int fd, unsigned long req, ...)
{
	struct uio_ext_pin *p;
	struct stat st;
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (req != UIO_EXT_PIN || fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) ||
	    st.st_rdev != makedev(1, 3))
		return (int)syscall(SYS_ioctl, fd, req, arg);
	p = arg;
	if (p->vaddr < 0x10000) {
		errno = EFAULT;
		return -1;
	}
	p->page_vaddr = p->vaddr & ~UINT64_C(4095);
	p->page_size = 4096;
	p->bus_addr = p->page_vaddr + PIN_OFFSET;
	return 0;
}

/* rte_mem_virt2phy() of eal_memory.c: open, lseek to va / page size * 8, read 8 bytes. */
static uint64_t virt2phy(const void *va)
{
	uint64_t page;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0 || lseek(fd, (off_t)((uintptr_t)va / 4096 * 8), SEEK_SET) < 0 ||
	    read(fd, &page, 8) != 8) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	close(fd);
	if ((page & 0x7fffffffffffffULL) == 0)
		return 0;
	return (page & 0x7fffffffffffffULL) * 4096 + (uintptr_t)va % 4096;
}

/* The DPDK side with a dma-pin fd: pagemap from the pin. */
static int child_pin(void)
{
	static char heap_page[3 * 4096];
	uint64_t e[2], here = 0;
	char *p = (char *)(((uintptr_t)heap_page + 4095) & ~(uintptr_t)4095);
	int fd, fd2;

	ok(virt2phy(&here) == (uintptr_t)&here + PIN_OFFSET,
	   "pagemap with dma-pin: a stack address's entry gives its pinned bus address");
	ok(virt2phy(p + 123) == (uintptr_t)p + 123 + PIN_OFFSET, "... and a static one's");
	fd = open("/proc/self/pagemap", O_RDONLY);
	ok(fd >= 0 && pread(fd, e, 16, (off_t)((uintptr_t)p / 4096 * 8)) == 16 &&
		   e[0] == ((UINT64_C(1) << 63) | (((uintptr_t)p + PIN_OFFSET) >> 12)) &&
		   e[1] == ((UINT64_C(1) << 63) | (((uintptr_t)p + 4096 + PIN_OFFSET) >> 12)),
	   "pread of two entries: bit 63 and the frame numbers");
	ok(lseek(fd, (off_t)((uintptr_t)p / 4096 * 8), SEEK_SET) > 0 && read(fd, e, 8) == 8 &&
		   lseek(fd, 0, SEEK_CUR) == (off_t)((uintptr_t)p / 4096 * 8 + 8) &&
		   read(fd, e + 1, 8) == 8 &&
		   e[1] == ((UINT64_C(1) << 63) | (((uintptr_t)p + 4096 + PIN_OFFSET) >> 12)),
	   "read advances the position: the next read is the next page's entry");
	ok(pread(fd, e, 8, 0) == 8 && e[0] == 0, "an address nothing is mapped at is not present");
	errno = 0;
	ok(pread(fd, e, 4, 0) == -1 && errno == EINVAL, "a 4-byte read is EINVAL, as the kernel's");
	fd2 = dup(fd);
	close(fd);
	ok(pread(fd2, e, 8, (off_t)((uintptr_t)p / 4096 * 8)) == 8 &&
		   e[0] == ((UINT64_C(1) << 63) | (((uintptr_t)p + PIN_OFFSET) >> 12)),
	   "a dup of the pagemap fd answers from the pin too");
	close(fd2);
	return failed ? 1 : 0;
}

/* udrvd's side of the ctl channel: three config writes, the second refused. */
static void serve_ctl(int ctl)
{
	for (int i = 0; i < 3; i++) {
		uint8_t buf[sizeof(struct udrv_ctl_req) + 16];
		struct udrv_ctl_req req;
		struct udrv_ctl_reply rep = {};
		ssize_t n = recv(ctl, buf, sizeof(buf), 0);

		if (n < (ssize_t)sizeof(req)) {
			ok(false, "udrvd got the config writes");
			return;
		}
		memcpy(&req, buf, sizeof(req));
		ok(req.op == UDRV_CTL_CONFIG_WRITE && req.offset == 4 && req.len == 2 &&
			   buf[sizeof(req)] == 0x06 && buf[sizeof(req) + 1] == 0x04,
		   "udrvd got a config write of 2 bytes at 4");
		rep = (struct udrv_ctl_reply){
			.op = req.op, .seq = req.seq, .status = i == 1 ? -EACCES : 0};
		if (send(ctl, &rep, sizeof(rep), 0) < 0)
			perror("send");
	}
}

static void setup_tree(const char *root, const char *sysfs)
{
	char dir[4096], cmd[32768];

	snprintf(cmd, sizeof(cmd),
		 "mkdir -p %s/sys/dev/char/1:5/maps/map0 %s/sys/dev/char/1:5/maps/map1 %s/%s %s/%s "
		 "&& ln -s ../../../bus/pci/drivers/uio_pci_generic %s/%s/driver",
		 root, root, sysfs, SLOT_A, sysfs, SLOT_B, sysfs, SLOT_B);
	if (system(cmd) != 0)
		exit(1);
	snprintf(dir, sizeof(dir), "%s/sys/dev/char/1:5/maps/map0", root);
	write_file(dir, "name", "BAR0\n");
	write_file(dir, "size", "0x2000\n");
	snprintf(dir, sizeof(dir), "%s/sys/dev/char/1:5/maps/map1", root);
	write_file(dir, "name", "BAR3\n");
	write_file(dir, "size", "0x1000\n");
}

/* The second run: one uio-ext lease with a dma-pin fd. */
static void run_pin(const char *argv0, const char *root, const char *lib, const char *err)
{
	int sv[2], conf = memfd_create("config", MFD_CLOEXEC), status;
	pid_t pid;
	FILE *f;

	if (conf < 0 || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		ok(false, "set up the dma-pin run");
		return;
	}
	pid = fork();
	if (pid == 0) {
		int fds[] = {sv[1], conf, open("/dev/zero", O_RDWR), open("/dev/null", O_RDWR)};

		for (int i = 0; i < 4; i++)
			fds[i] = fcntl(fds[i], F_DUPFD, 20);
		for (int i = 0; i < 4; i++)
			dup2(fds[i], 3 + i);
		if (!freopen(err, "w", stderr))
			_exit(1);
		setenv(UDRV_ENV_SLOT, SLOT_A, 1);
		setenv(UDRV_ENV_FDS, "4", 1);
		setenv(UDRV_ENV_FDNAMES, "ctl:config:uio:dma-pin", 1);
		setenv("UDRV_ROOT", root, 1);
		setenv("LD_PRELOAD", lib, 1);
		unsetenv("ASAN_OPTIONS");
		execl("/proc/self/exe", argv0, "--child-pin", (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	close(conf);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		ok(false, "the preloaded program passed every pagemap check");
	f = fopen(err, "r");
	if (f) {
		char line[1024];
		bool said_dma = false;

		while (fgets(line, sizeof(line), f)) {
			printf("# %s", line);
			said_dma |= strstr(line, "set DMA=unsafe") != NULL;
		}
		fclose(f);
		ok(!said_dma, "with a dma-pin fd the library does not ask for DMA=unsafe");
	}
	close(sv[0]);
}

int main(int argc, char **argv)
{
	const char *builddir = getenv("UDRV_BUILDDIR");
	char root[] = "/tmp/udrv-dpdk-run.XXXXXX", sysfs[4096], lib[4096], err[4096], cmd[8300];
	int a[2], b[2], conf, status;
	pid_t pid;
	FILE *f;

	if (argc == 3 && strcmp(argv[1], "--child") == 0)
		return child(argv[2]);
	if (argc == 2 && strcmp(argv[1], "--child-pin") == 0)
		return child_pin();
	if (!builddir || !mkdtemp(root))
		return 1;
	snprintf(sysfs, sizeof(sysfs), "%s/sys/bus/pci/devices", root);
	snprintf(lib, sizeof(lib), "%s/preload/.libs/libudrv-dpdk.so", builddir);
	snprintf(err, sizeof(err), "%s/stderr", root);
	setup_tree(root, sysfs);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, a) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, b) < 0)
		return 1;
	conf = memfd_create("config", MFD_CLOEXEC);
	if (conf < 0 || pwrite(conf, "\x86\x80\xd3\x10", 4, 0) != 4 || ftruncate(conf, 256) < 0)
		return 1;
	pid = fork();
	if (pid == 0) {
		/* A: ctl, config, uio (fds 3-5); B: ctl, config, bar0 (6-8). */
		int fds[] = {a[1], conf,      open("/dev/zero", O_RDWR),
			     b[1], dup(conf), open("/dev/zero", O_RDWR)};

		for (int i = 0; i < 6; i++)
			fds[i] = fcntl(fds[i], F_DUPFD, 20);
		for (int i = 0; i < 6; i++)
			dup2(fds[i], 3 + i);
		if (!freopen(err, "w", stderr))
			_exit(1);
		setenv(UDRV_ENV_SLOT, SLOT_A "," SLOT_B, 1);
		setenv(UDRV_ENV_FDS, "3,3", 1);
		setenv(UDRV_ENV_FDNAMES, "ctl:config:uio,ctl:config:bar0", 1);
		setenv("UDRV_ROOT", root, 1);
		setenv("SYSFS_PCI_DEVICES", sysfs, 1);
		setenv("LD_PRELOAD", lib, 1);
		unsetenv("ASAN_OPTIONS");
		execl("/proc/self/exe", argv[0], "--child", sysfs, (char *)NULL);
		_exit(127);
	}
	close(a[1]);
	close(b[1]);
	serve_ctl(a[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		ok(false, "the preloaded program passed every check");
	f = fopen(err, "r");
	if (f) {
		char line[1024];
		bool said_uio = false, said_dma = false;

		while (fgets(line, sizeof(line), f)) {
			printf("# %s", line);
			said_uio |= strstr(line, SLOT_B ": the lease is not on udrvd's uio-ext") !=
				    NULL;
			said_dma |= strstr(line, "set DMA=unsafe") != NULL;
		}
		fclose(f);
		ok(said_uio, "the library says the uio lease is passed through");
		ok(said_dma, "the library says, once, to set DMA=unsafe");
	}
	run_pin(argv[0], root, lib, err);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	if (system(cmd) != 0)
		failed++;
	return failed ? 1 : 0;
}
