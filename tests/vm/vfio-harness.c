/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Test-only stand-in for udrvd in the VM: calls the VFIO backend directly as root, hands the
 * lease to a command run as an ordinary uid, then ends the lease and reports what happened. */
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <grp.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#include "backend-vfio.h"
#include "holders.h"
#include "log.h"
#include "macro.h"
#include "pci-device.h"
#include "strv.h"
#include "udrv-protocol.h"

struct options {
	bool group_unbind, node;
	uid_t uid;
	uint64_t memlock;
	int revoke_after_ms; /* end the lease while the command still runs; -1: wait for it */
	bool poke;	     /* give the command a root-owned page's physical address */
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int read_slot(const char *arg, struct pci_device **ret)
{
	char slot[PCI_SLOT_LEN];

	if (pci_slot_normalize(arg, slot) < 0)
		return -EINVAL;
	return pci_device_read("/", slot, ret);
}

/* `check SLOT`: what Acquire would answer about the group. Exit 0 viable, 3 not. */
static int cmd_check(const struct options *o, const char *arg)
{
	_cleanup_(pci_device_freep) struct pci_device *d = NULL;
	_cleanup_free_ char *why = NULL;
	struct policy_grant g = {.group_unbind = o->group_unbind};
	int r;

	r = read_slot(arg, &d);
	if (r < 0)
		return log_error_errno(r, "Cannot read %s: %m", arg), 1;
	r = vfio_dev_check("/", d, &g, o->node, &why);
	if (r < 0)
		return log_error_errno(r, "Cannot check %s: %m", arg), 1;
	printf("harness: check %s: %s\n", d->slot, r ? "viable" : why);
	return r ? 0 : 3;
}

/* A page of root's, filled with a pattern, its physical address found through pagemap: a DMA
 * target that exists only if the IOMMU lets the device reach all of memory. */
static volatile uint8_t *poke_page;
static uint64_t poke_phys;

static void poke_setup(void)
{
	enum { PAGES = 16384 }; /* 64 MiB: some page will lie below edu's 28-bit DMA limit */
	uint8_t *area = mmap(NULL, PAGES * 4096UL, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE | MAP_LOCKED, -1, 0);
	_cleanup_close_ int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (area == MAP_FAILED || fd < 0)
		return;
	memset(area, 0xa5, PAGES * 4096UL);
	for (size_t i = 0; i < PAGES; i++) {
		uint64_t e;
		off_t at = (off_t)(((uintptr_t)area / 4096 + i) * 8);

		if (pread(fd, &e, 8, at) != 8 || !(e & (1ULL << 63)))
			continue;
		e &= (1ULL << 55) - 1;
		if (e && e * 4096 < (1ULL << 28) - 0x10000) {
			poke_page = area + i * 4096;
			poke_phys = e * 4096;
			return;
		}
	}
}

static bool poke_intact(void)
{
	for (size_t i = 0; i < 4096; i++)
		if (poke_page[i] != 0xa5)
			return false;
	return true;
}

/* Fds to 3.., the UDRV_* environment, then the uid, then exec: what `udrvctl grant` does. */
static void child_run(const struct options *o, const char *slot, int *fds, char **names, size_t n,
		      int go, char **argv)
{
	_cleanup_free_ char *joined = strv_join(names, ":");
	char count[24], c;

	if (read(go, &c, 1) != 1)
		_exit(120);
	for (size_t i = 0; i < n; i++)
		fds[i] = fcntl(fds[i], F_DUPFD, (int)(UDRV_FDS_START + n));
	for (size_t i = 0; i < n; i++)
		if (dup2(fds[i], UDRV_FDS_START + (int)i) < 0)
			_exit(121);
	snprintf(count, sizeof(count), "%zu", n);
	if (n && (setenv(UDRV_ENV_SLOT, slot, 1) < 0 || setenv(UDRV_ENV_FDS, count, 1) < 0 ||
		  !joined || setenv(UDRV_ENV_FDNAMES, joined, 1) < 0))
		_exit(122);
	if (setgroups(0, NULL) < 0 || setresgid(o->uid, o->uid, o->uid) < 0 ||
	    setresuid(o->uid, o->uid, o->uid) < 0)
		_exit(123);
	execvp(argv[0], argv);
	_exit(127);
}

static int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

struct lease_set {
	struct vfio_dev *v[4];
	char slot[4][PCI_SLOT_LEN];
	int group[4];
	size_t n;
};

static int open_all(const struct options *o, char **slots, struct lease_set *ls)
{
	struct policy_grant g = {.group_unbind = o->group_unbind, .reset = POLICY_RESET_AUTO};

	for (char **s = slots; s && *s && ls->n < ELEMENTSOF(ls->v); s++) {
		_cleanup_(pci_device_freep) struct pci_device *d = NULL;
		uint64_t t = now_ms();
		int r = read_slot(*s, &d);

		if (r >= 0)
			r = vfio_dev_open("/", d, &g, o->uid, getpid(), &ls->v[ls->n]);
		if (r < 0) {
			printf("harness: open %s: %s\n", *s, strerror(-r));
			return r;
		}
		memcpy(ls->slot[ls->n], d->slot, PCI_SLOT_LEN);
		ls->group[ls->n] = d->iommu_group;
		printf("harness: open %s: ok in %llu ms (group %d, reset %s, irq %s)\n", d->slot,
		       (unsigned long long)(now_ms() - t), ls->v[ls->n]->group,
		       ls->v[ls->n]->reset_method, ls->v[ls->n]->irq);
		if (o->node && (r = vfio_dev_grant_node(ls->v[ls->n], o->uid)) < 0) {
			printf("harness: grant-node %s: %s\n", d->slot, strerror(-r));
			ls->n++;
			return r;
		}
		ls->n++;
	}
	return 0;
}

/* What UID gets opening /dev/vfio/GROUP now: "ok", or the error. */
static const char *uid_open_group(uid_t uid, int group)
{
	char path[64];
	int status;
	pid_t pid;

	snprintf(path, sizeof(path), "/dev/vfio/%d", group);
	pid = fork();
	if (pid == 0) {
		int fd;

		if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 ||
		    setresuid(uid, uid, uid) < 0)
			_exit(255);
		fd = open(path, O_RDWR | O_CLOEXEC);
		_exit(fd >= 0 ? 0 : errno);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return "unknown";
	return WEXITSTATUS(status) ? strerror(WEXITSTATUS(status)) : "ok";
}

/* What udrvd does with stray holders: finds the processes that have the group open (node
 * mode; here, after vfio_dev_close, fd-mode device fds are anonymous) and kills them. */
static void kill_holders(int group)
{
	_cleanup_free_ struct holder *h = NULL;
	_cleanup_free_ char *path = NULL;
	char *paths[2] = {};
	size_t n = 0;

	if (asprintf(&path, "/dev/vfio/%d", group) < 0)
		return;
	paths[0] = path;
	if (holders_find("/", paths, getpid(), &h, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		printf("harness: holder of /dev/vfio/%d: pid %d (%s), %s: killed\n", group,
		       (int)h[i].pid, h[i].comm, h[i].what);
		kill(h[i].pid, SIGKILL);
	}
}

/* Ends every lease; a function still held is recovered once its holder is gone. */
static void close_all(struct lease_set *ls, pid_t holder, uid_t uid)
{
	for (size_t i = 0; i < ls->n; i++) {
		uint64_t t = now_ms();
		int r = vfio_dev_close(ls->v[i]);

		printf("harness: close %s: %s in %llu ms\n", ls->slot[i],
		       r < 0 ? strerror(-r) : "ok", (unsigned long long)(now_ms() - t));
		if (r != -EBUSY)
			continue;
		printf("harness: while held: uid %u opening /dev/vfio/%d: %s\n", (unsigned)uid,
		       ls->group[i], uid_open_group(uid, ls->group[i]));
		kill_holders(ls->group[i]);
		if (holder > 0) {
			kill(holder, SIGKILL);
			printf("harness: holder %d killed: status %d\n", (int)holder,
			       wait_child(holder));
			holder = 0;
		}
		t = now_ms();
		do
			r = vfio_dev_recover("/", ls->slot[i]);
		while (r == -EBUSY && now_ms() - t < 5000 && usleep(50000) == 0);
		printf("harness: recover %s: %s in %llu ms\n", ls->slot[i],
		       r < 0 ? strerror(-r) : "ok", (unsigned long long)(now_ms() - t));
	}
}

/* Puts a fresh ctl socket in front of the client's fds, as udrvd's reply does. */
static int prepend_ctl(int ctl[2], int **fds, char ***names, size_t *n)
{
	_cleanup_strv_free_ char **all_names = NULL;
	int *all = calloc(*n + 1, sizeof(int));

	if (!all || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl) < 0 ||
	    strv_push(&all_names, "ctl") < 0) {
		free(all);
		return -ENOMEM;
	}
	all[0] = ctl[1];
	memcpy(all + 1, *fds, *n * sizeof(int));
	for (char **s = *names; s && *s; s++)
		if (strv_push(&all_names, *s) < 0) {
			free(all);
			return -ENOMEM;
		}
	free(*fds);
	*fds = all;
	strv_free(*names);
	*names = TAKE_PTR(all_names);
	(*n)++;
	return 0;
}

static int cmd_run(const struct options *o, char **slots, char **argv)
{
	struct lease_set ls = {};
	_cleanup_strv_free_ char **names = NULL;
	_cleanup_free_ int *fds = NULL;
	int ctl[2] = {-1, -1}, go[2], status = 0;
	_cleanup_close_ int pidfd = -1;
	size_t n = 0;
	char pokearg[32];
	pid_t pid;
	int r;

	r = open_all(o, slots, &ls);
	if (r >= 0 && !o->node) {
		r = vfio_dev_client_fds(ls.v[0], &fds, &names, &n);
		if (r < 0)
			printf("harness: client-fds: %s\n", strerror(-r));
	} else if (r >= 0) { /* node mode: ctl and config only, as udrvctl grant passes them */
		fds = calloc(1, sizeof(int));
		if (!fds || (fds[0] = openat(ls.v[0]->devfd, "config", O_RDONLY | O_CLOEXEC)) < 0 ||
		    strv_push(&names, "config") < 0)
			return 1;
		n = 1;
	}
	if (r < 0) {
		close_all(&ls, 0, o->uid);
		return 1;
	}
	/* ctl goes first; the harness never answers on it */
	if (prepend_ctl(ctl, &fds, &names, &n) < 0)
		return 1;
	if (o->poke) {
		poke_setup();
		snprintf(pokearg, sizeof(pokearg), "0x%llx", (unsigned long long)poke_phys);
		printf("harness: root's page at physical 0x%llx\n", (unsigned long long)poke_phys);
		setenv("UDRV_TEST_POKE", poke_page ? pokearg : "", 1);
	}
	if (pipe2(go, O_CLOEXEC) < 0)
		return 1;
	pid = fork();
	if (pid == 0)
		child_run(o, ls.slot[0], fds, names, n, go[0], argv);
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	r = vfio_dev_raise_memlock(pidfd, pid, o->memlock);
	printf("harness: memlock of pid %d raised to %llu: %s\n", (int)pid,
	       (unsigned long long)o->memlock, r < 0 ? strerror(-r) : "ok");
	(void)!write(go[1], "g", 1);
	if (o->revoke_after_ms >= 0) {
		usleep((useconds_t)o->revoke_after_ms * 1000);
		close_all(&ls, pid, o->uid);
		status = wait_child(pid); /* -1 once close_all reaped it */
	} else {
		status = wait_child(pid);
		printf("harness: command exited with status %d\n", status);
		close_all(&ls, 0, o->uid);
	}
	if (o->poke && poke_page)
		printf("harness: root's page %s\n", poke_intact() ? "intact" : "CHANGED");
	closep(&ctl[0]);
	return status < 0 ? 0 : status;
}

/* `memlock-reuse`: a pidfd taken on a process that then died, its pid given to a new process
 * (ns_last_pid): raising the memlock of that pid through the stale pidfd must fail with
 * -ESRCH and leave the new process's limit alone. Exit 0 when it does. */
static pid_t spawn_sleeper(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		pause();
		_exit(0);
	}
	return pid;
}

static uint64_t memlock_of(pid_t pid)
{
	struct rlimit rl;

	return prlimit(pid, RLIMIT_MEMLOCK, NULL, &rl) < 0 ? 0 : (uint64_t)rl.rlim_cur;
}

static int cmd_memlock_reuse(const struct options *o)
{
	pid_t old = spawn_sleeper(), reused = -1;
	_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, old, 0);
	uint64_t before;
	int r;

	if (old < 0 || pidfd < 0)
		return 1;
	kill(old, SIGKILL);
	(void)wait_child(old);
	for (int i = 0; i < 20 && reused != old; i++) {
		FILE *f = fopen("/proc/sys/kernel/ns_last_pid", "we");

		if (reused > 0) {
			kill(reused, SIGKILL);
			(void)wait_child(reused);
		}
		if (!f)
			return 1;
		fprintf(f, "%d", (int)old - 1);
		fclose(f);
		reused = spawn_sleeper();
	}
	if (reused != old) {
		printf("harness: memlock-reuse: pid %d was not reused\n", (int)old);
		return 1;
	}
	before = memlock_of(reused);
	r = vfio_dev_raise_memlock(pidfd, old, o->memlock);
	printf("harness: memlock-reuse: pid %d died and was reused; raising its memlock through "
	       "the old pidfd: %s; the new process's limit %s (%llu -> %llu)\n",
	       (int)old, r < 0 ? strerror(-r) : "ok",
	       memlock_of(reused) == before ? "untouched" : "CHANGED", (unsigned long long)before,
	       (unsigned long long)memlock_of(reused));
	r = r == -ESRCH && memlock_of(reused) == before ? 0 : 1;
	kill(reused, SIGKILL);
	(void)wait_child(reused);
	return r;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {{"group-unbind", no_argument, NULL, 'g'},
						 {"uid", required_argument, NULL, 'u'},
						 {"memlock", required_argument, NULL, 'm'},
						 {"revoke-after", required_argument, NULL, 'r'},
						 {"poke", no_argument, NULL, 'p'},
						 {"node", no_argument, NULL, 'n'},
						 {}};
	int c;

	*o = (struct options){.uid = 1000, .memlock = 64 << 20, .revoke_after_ms = -1};
	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) >= 0)
		switch (c) {
		case 'g':
			o->group_unbind = true;
			break;
		case 'u':
			o->uid = (uid_t)strtoul(optarg, NULL, 10);
			break;
		case 'm':
			o->memlock = strtoull(optarg, NULL, 0);
			break;
		case 'r':
			o->revoke_after_ms = atoi(optarg);
			break;
		case 'p':
			o->poke = true;
			break;
		case 'n':
			o->node = true;
			break;
		default:
			return -EINVAL;
		}
	return optind;
}

int main(int argc, char **argv)
{
	_cleanup_strv_free_ char **slots = NULL;
	struct options o;
	const char *verb;
	int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	log_set_program("vfio-harness");
	if (argc < 2)
		goto usage;
	verb = argv[1];
	i = parse_args(argc - 1, argv + 1, &o);
	if (i >= 0 && streq(verb, "memlock-reuse"))
		return cmd_memlock_reuse(&o);
	if (i < 0 || i + 1 >= argc)
		goto usage;
	i++;
	o.node |= streq(verb, "node");
	if (streq(verb, "check"))
		return cmd_check(&o, argv[i]);
	if (strv_split(&slots, argv[i], ",") < 0 || !slots || i + 2 >= argc ||
	    !streq(argv[i + 1], "--"))
		goto usage;
	if (streq(verb, "fd") || streq(verb, "node"))
		return cmd_run(&o, slots, argv + i + 2);
usage:
	fprintf(stderr, "usage: vfio-harness check [--group-unbind] [--node] SLOT\n"
			"       vfio-harness memlock-reuse [--memlock BYTES]\n"
			"       vfio-harness fd|node [--group-unbind] [--uid UID] [--memlock BYTES]"
			" [--revoke-after MS] [--poke] SLOT[,SLOT...] -- CMD [ARGS...]\n");
	return 2;
}
