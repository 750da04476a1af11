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

/* The ','-separated entry INDEX of LIST (no ',' in it: the whole of LIST) into BUF. */
static int env_entry(const char *list, size_t index, char *buf, size_t size)
{
	const char *p = list;
	size_t len;

	for (size_t i = 0; i < index; i++) {
		p = strchr(p, ',');
		if (!p)
			return -ENOENT;
		p++;
	}
	len = strcspn(p, ",");
	if (len >= size)
		return -ENAMETOOLONG;
	memcpy(buf, p, len);
	buf[len] = 0;
	return 0;
}

static size_t env_count(const char *list)
{
	size_t n = 1;

	for (const char *p = list; (p = strchr(p, ',')); p++)
		n++;
	return n;
}

/* Finds SLOT's entry in ENV_SLOT (the first entry not yet adopted, i.e. not empty, when SLOT
 * is NULL); 0 when there is none. Every non-empty entry must be a slot. */
static int find_entry(const char *slot, const char *env_slot, size_t *ret_index,
		      char ret_norm[PCI_SLOT_LEN], struct udrv_error *error)
{
	size_t n = env_count(env_slot), found = SIZE_MAX, left = 0;

	if (n > LEASE_ENV_MAX)
		return error_setf(error, -EINVAL, NULL, "%s='%s': more than %d leases",
				  UDRV_ENV_SLOT, env_slot, LEASE_ENV_MAX);
	for (size_t i = 0; i < n; i++) {
		char entry[64], norm[PCI_SLOT_LEN];

		if (env_entry(env_slot, i, entry, sizeof(entry)) < 0 ||
		    (entry[0] && pci_slot_normalize(entry, norm) < 0))
			return error_setf(error, -EINVAL, NULL, "%s='%s' is not a PCI slot%s",
					  UDRV_ENV_SLOT, env_slot, n > 1 ? " list" : "");
		if (!entry[0])
			continue;
		left++;
		if (found == SIZE_MAX && (!slot || streq(slot, norm))) {
			found = i;
			memcpy(ret_norm, norm, PCI_SLOT_LEN);
		}
	}
	if (left == 0)
		return error_setf(error, -EINVAL, NULL, "%s='%s' names no slot", UDRV_ENV_SLOT,
				  env_slot);
	if (found == SIZE_MAX)
		return 0;
	*ret_index = found;
	return 1;
}

/* Entry INDEX of UDRV_FDS and UDRV_FDNAMES, and where its fds start (after the fds of every
 * entry before it). */
static int entry_fds(const char *env_fds, const char *env_names, size_t index, size_t n_entries,
		     int fd_start, size_t *ret_n, char **ret_names, int *ret_start,
		     struct udrv_error *error)
{
	char count[8];
	size_t n = 0;

	if (!env_fds || env_count(env_fds) != n_entries)
		return error_setf(error, -EINVAL, NULL,
				  "%s='%s': expected %zu count(s) of 2 to %d fds", UDRV_ENV_FDS,
				  env_fds ?: "", n_entries, LEASE_MAX_FDS);
	if (!env_names)
		return error_setf(error, -EINVAL, NULL, "%s is set but %s is not", UDRV_ENV_SLOT,
				  UDRV_ENV_FDNAMES);
	if (env_count(env_names) != n_entries)
		return error_setf(error, -EINVAL, NULL, "%s='%s': expected %zu list(s) of names",
				  UDRV_ENV_FDNAMES, env_names, n_entries);
	for (size_t i = 0; i <= index; i++) {
		if (env_entry(env_fds, i, count, sizeof(count)) < 0 || parse_count(count, &n) < 0)
			return error_setf(error, -EINVAL, NULL,
					  "%s='%s': expected a count of 2 to %d fds", UDRV_ENV_FDS,
					  env_fds, LEASE_MAX_FDS);
		if (i < index)
			fd_start += (int)n;
	}
	for (size_t i = 0; i < index; i++)
		env_names = strchr(env_names, ',') + 1;
	*ret_names = strndup(env_names, strcspn(env_names, ","));
	if (!*ret_names)
		return error_setf(error, -ENOMEM, NULL, "out of memory");
	*ret_n = n;
	*ret_start = fd_start;
	return 0;
}

int lease_parse_env_index(const char *slot, const char *env_slot, const char *env_fds,
			  const char *env_names, int fd_start, struct lease **ret,
			  size_t *ret_index, struct udrv_error *error)
{
	_cleanup_lease_ struct lease *l = NULL;
	_cleanup_free_ char *names = NULL;
	char norm[PCI_SLOT_LEN];
	size_t n = 0, index = 0;
	int r, start = 0;

	if (!env_slot) {
		if (env_fds || env_names)
			return error_setf(error, -EINVAL, NULL, "%s or %s is set but %s is not",
					  UDRV_ENV_FDS, UDRV_ENV_FDNAMES, UDRV_ENV_SLOT);
		return 0;
	}
	r = find_entry(slot, env_slot, &index, norm, error);
	if (r <= 0)
		return r;
	r = entry_fds(env_fds, env_names, index, env_count(env_slot), fd_start, &n, &names, &start,
		      error);
	if (r < 0)
		return r;
	r = lease_new(norm, &l);
	if (r < 0)
		return error_setf(error, r, NULL, "cannot allocate a lease: %m");
	r = parse_names(l, names, n, start, error);
	if (r < 0) {
		l->n_fds = 0; /* not ours to close */
		return r;
	}
	l->adopted = true;
	*ret = TAKE_PTR(l);
	*ret_index = index;
	return 1;
}

int lease_parse_env(const char *slot, const char *env_slot, const char *env_fds,
		    const char *env_names, int fd_start, struct lease **ret,
		    struct udrv_error *error)
{
	size_t index = 0;

	return lease_parse_env_index(slot, env_slot, env_fds, env_names, fd_start, ret, &index,
				     error);
}

/* UDRV_SLOT with entry INDEX emptied (adopted); NULL when no entry is left. */
static int env_slot_without(const char *env_slot, size_t index, char **ret)
{
	size_t n = env_count(env_slot), left = 0;
	char *s = calloc(1, strlen(env_slot) + 1);

	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		char entry[64];

		if (env_entry(env_slot, i, entry, sizeof(entry)) < 0) {
			free(s);
			return -EINVAL;
		}
		if (i > 0)
			strcat(s, ",");
		if (i != index && entry[0]) {
			strcat(s, entry);
			left++;
		}
	}
	if (left == 0) {
		free(s);
		s = NULL;
	}
	*ret = s;
	return 0;
}

int lease_adopt(const char *slot, struct lease **ret, struct udrv_error *error)
{
	const char *env_slot = getenv(UDRV_ENV_SLOT);
	_cleanup_free_ char *rest = NULL;
	struct lease *l = NULL;
	size_t index = 0;
	int r;

	r = lease_parse_env_index(slot, env_slot, getenv(UDRV_ENV_FDS), getenv(UDRV_ENV_FDNAMES),
				  UDRV_FDS_START, &l, &index, error);
	if (r <= 0)
		return r;
	for (size_t i = 0; i < l->n_fds; i++)
		(void)fcntl(l->fds[i], F_SETFD, FD_CLOEXEC);
	/* The other leases stay for their own udrv_open(); an emptied entry keeps their fds'
	 * positions. */
	if (env_slot_without(env_slot, index, &rest) == 0 && rest)
		setenv(UDRV_ENV_SLOT, rest, 1);
	else {
		unsetenv(UDRV_ENV_SLOT);
		unsetenv(UDRV_ENV_FDS);
		unsetenv(UDRV_ENV_FDNAMES);
	}
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

/* Appends SEP and S to *LIST. */
static int list_append(char **list, const char *sep, const char *s)
{
	char *n;

	if (asprintf(&n, "%s%s%s", *list ?: "", *list ? sep : "", s) < 0)
		return -ENOMEM;
	free(*list);
	*list = n;
	return 0;
}

int leases_export(struct lease **leases, size_t n, int fd_start)
{
	_cleanup_free_ char *slots = NULL, *counts = NULL, *all_names = NULL;
	int next = fd_start, above = fd_start;
	int r;

	for (size_t k = 0; k < n; k++)
		above += (int)leases[k]->n_fds;
	for (size_t k = 0; k < n; k++) {
		r = lease_move_above(leases[k], above);
		if (r < 0)
			return r;
	}
	for (size_t k = 0; k < n; k++) {
		struct lease *l = leases[k];
		_cleanup_free_ char *names = NULL;
		char count[16];

		for (size_t i = 0; i < l->n_fds; i++, next++) {
			/* dup2() leaves FD_CLOEXEC clear on the new fd. */
			if (dup2(l->fds[i], next) < 0)
				return negative_errno();
			close(l->fds[i]);
			l->fds[i] = next;
		}
		r = lease_fdnames(l, &names);
		if (r < 0)
			return r;
		snprintf(count, sizeof(count), "%zu", l->n_fds);
		if (list_append(&slots, ",", l->slot) < 0 || list_append(&counts, ",", count) < 0 ||
		    list_append(&all_names, ",", names) < 0)
			return -ENOMEM;
	}
	if (setenv(UDRV_ENV_SLOT, slots, 1) < 0 || setenv(UDRV_ENV_FDS, counts, 1) < 0 ||
	    setenv(UDRV_ENV_FDNAMES, all_names, 1) < 0)
		return negative_errno();
	return 0;
}

int lease_export(struct lease *l, int fd_start)
{
	return leases_export(&l, 1, fd_start);
}
