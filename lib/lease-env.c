/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Inherited leases: reading UDRV_SLOT/UDRV_FDS/UDRV_FDNAMES and fds 3.., and setting them up. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "udrv-internal.h"
#include "udrv-protocol.h"

/* UDRV_FDS: plain decimal, no sign or spaces, within what a lease can hold. */
static int parse_count(const char *s, size_t *ret)
{
	size_t n = 0;

	if (!s || !*s || strlen(s) > 2)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		n = n * 10 + (size_t)(*p - '0');
	}
	if (n < 2 || n > LEASE_MAX_FDS)
		return -EINVAL;
	*ret = n;
	return 0;
}

/* An inherited fd must be open; ctl must be the lease's SOCK_SEQPACKET socket. The device
 * files are not checked further: under a fixture root they are plain files. */
static int check_fd(int fd, const char *name, struct udrv_error *error)
{
	struct stat st;
	int type;
	socklen_t len = sizeof(type);

	if (fcntl(fd, F_GETFD) < 0 || fstat(fd, &st) < 0)
		return error_setf(error, -EBADF, NULL, "inherited fd %d (%s) is not open", fd,
				  name);
	if (streq(name, "ctl")) {
		if (!S_ISSOCK(st.st_mode) || getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
		    type != SOCK_SEQPACKET)
			return error_setf(error, -EBADF, NULL,
					  "inherited fd %d (ctl) is not a SOCK_SEQPACKET socket",
					  fd);
	} else if (S_ISDIR(st.st_mode) || S_ISSOCK(st.st_mode))
		return error_setf(error, -EBADF, NULL, "inherited fd %d (%s) is not a device file",
				  fd, name);
	return 0;
}

/* Splits ENV_NAMES into L's names, checking each against the protocol order, then the fds. */
static int parse_names(struct lease *l, const char *env_names, size_t n, int fd_start,
		       struct udrv_error *error)
{
	const char *p = env_names;

	for (size_t i = 0; i < n; i++) {
		size_t len = strcspn(p, ":");
		char name[LEASE_NAME_MAX];
		int r;

		if (len == 0 || len >= sizeof(name))
			return error_setf(error, -EINVAL, NULL, "%s=%s: bad name at position %zu",
					  UDRV_ENV_FDNAMES, env_names, i + 1);
		memcpy(name, p, len);
		name[len] = 0;
		if (lease_check_next(l, name) < 0)
			return error_setf(error, -EINVAL, NULL,
					  "%s=%s: '%s' is unknown, repeated or out of order "
					  "(expected ctl:config[:barN...][:irq][:irq-unmask]"
					  "[:vfio-device:vfio-container][:uio])",
					  UDRV_ENV_FDNAMES, env_names, name);
		r = check_fd(fd_start + (int)i, name, error);
		if (r < 0)
			return r;
		(void)lease_add_fd(l, name, fd_start + (int)i);
		p += len;
		if (*p == ':' && i + 1 == n)
			return error_setf(error, -EINVAL, NULL, "%s=%s names more than %s=%zu fds",
					  UDRV_ENV_FDNAMES, env_names, UDRV_ENV_FDS, n);
		if (*p == ':')
			p++;
		else if (i + 1 < n)
			return error_setf(error, -EINVAL, NULL, "%s=%s names fewer than %s=%zu fds",
					  UDRV_ENV_FDNAMES, env_names, UDRV_ENV_FDS, n);
	}
	return 0;
}

int lease_parse_env(const char *slot, const char *env_slot, const char *env_fds,
		    const char *env_names, int fd_start, struct lease **ret,
		    struct udrv_error *error)
{
	_cleanup_lease_ struct lease *l = NULL;
	char norm[PCI_SLOT_LEN];
	size_t n;
	int r;

	if (!env_slot) {
		if (env_fds || env_names)
			return error_setf(error, -EINVAL, NULL, "%s or %s is set but %s is not",
					  UDRV_ENV_FDS, UDRV_ENV_FDNAMES, UDRV_ENV_SLOT);
		return 0;
	}
	if (pci_slot_normalize(env_slot, norm) < 0)
		return error_setf(error, -EINVAL, NULL, "%s='%s' is not a PCI slot", UDRV_ENV_SLOT,
				  env_slot);
	if (slot && !streq(slot, norm))
		return 0;
	if (parse_count(env_fds, &n) < 0)
		return error_setf(error, -EINVAL, NULL, "%s='%s': expected a count of 2 to %d fds",
				  UDRV_ENV_FDS, env_fds ?: "", LEASE_MAX_FDS);
	if (!env_names)
		return error_setf(error, -EINVAL, NULL, "%s is set but %s is not", UDRV_ENV_SLOT,
				  UDRV_ENV_FDNAMES);
	r = lease_new(norm, &l);
	if (r < 0)
		return error_setf(error, r, NULL, "cannot allocate a lease: %m");
	r = parse_names(l, env_names, n, fd_start, error);
	if (r < 0) {
		l->n_fds = 0; /* not ours to close */
		return r;
	}
	l->adopted = true;
	*ret = TAKE_PTR(l);
	return 1;
}

int lease_adopt(const char *slot, struct lease **ret, struct udrv_error *error)
{
	struct lease *l = NULL;
	int r;

	r = lease_parse_env(slot, getenv(UDRV_ENV_SLOT), getenv(UDRV_ENV_FDS),
			    getenv(UDRV_ENV_FDNAMES), UDRV_FDS_START, &l, error);
	if (r <= 0)
		return r;
	for (size_t i = 0; i < l->n_fds; i++)
		(void)fcntl(l->fds[i], F_SETFD, FD_CLOEXEC);
	unsetenv(UDRV_ENV_SLOT);
	unsetenv(UDRV_ENV_FDS);
	unsetenv(UDRV_ENV_FDNAMES);
	*ret = l;
	return 1;
}

/* Every fd goes above the target range first, so no dup2() below can hit a lease fd. */
static int lease_move_above(struct lease *l, int floor)
{
	for (size_t i = 0; i < l->n_fds; i++) {
		int fd = fcntl(l->fds[i], F_DUPFD_CLOEXEC, floor);

		if (fd < 0)
			return negative_errno();
		close(l->fds[i]);
		l->fds[i] = fd;
	}
	return 0;
}

int lease_export(struct lease *l, int fd_start)
{
	_cleanup_free_ char *names = NULL;
	char count[16];
	int r;

	r = lease_move_above(l, fd_start + (int)l->n_fds);
	if (r < 0)
		return r;
	for (size_t i = 0; i < l->n_fds; i++) {
		/* dup2() leaves FD_CLOEXEC clear on the new fd. */
		if (dup2(l->fds[i], fd_start + (int)i) < 0)
			return negative_errno();
		close(l->fds[i]);
		l->fds[i] = fd_start + (int)i;
	}
	r = lease_fdnames(l, &names);
	if (r < 0)
		return r;
	snprintf(count, sizeof(count), "%zu", l->n_fds);
	if (setenv(UDRV_ENV_SLOT, l->slot, 1) < 0 || setenv(UDRV_ENV_FDS, count, 1) < 0 ||
	    setenv(UDRV_ENV_FDNAMES, names, 1) < 0)
		return negative_errno();
	return 0;
}
