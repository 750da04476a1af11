/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* struct udrv_device: opening a lease (inherited or from udrvd), closing it, what it holds. */
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "udrv-internal.h"
#include "udrv-protocol.h"

int device_new(struct lease *lease, struct udrv_device **ret)
{
	struct udrv_device *d;
	char name[LEASE_NAME_MAX];
	int r;

	r = lease_check_complete(lease);
	if (r < 0)
		return r;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	r = pthread_mutex_init(&d->lock, NULL);
	if (r != 0) {
		free(d);
		return -r;
	}
	d->lease = lease;
	ctl_init(&d->ctl, lease_fd(lease, "ctl"), lease->slot);
	d->config_fd = lease_fd(lease, "config");
	d->irq_fd = lease_fd(lease, "irq");
	d->unmask_fd = lease_fd(lease, "irq-unmask");
	if (d->unmask_fd < 0)
		d->unmask_fd = -1;
	if (d->irq_fd >= 0) {
		char link[64], target[64];
		ssize_t n;

		/* Polling leases hand a timerfd (earlier udrvd: an eventfd), both read as an
		 * 8-byte count; an inherited lease carries no info to say so. */
		snprintf(link, sizeof(link), "/proc/self/fd/%d", d->irq_fd);
		n = readlink(link, target, sizeof(target) - 1);
		d->irq_eventfd =
			n > 0 && (target[n] = 0, strstr(target, "[eventfd]") != NULL ||
							 strstr(target, "[timerfd]") != NULL);
	}
	for (unsigned i = 0; i < UDRV_BAR_MAX; i++) {
		struct stat st;

		snprintf(name, sizeof(name), "bar%u", i);
		d->bar_fd[i] = lease_fd(lease, name);
		/* A sysfs resourceN file's size is the BAR's length. */
		if (d->bar_fd[i] >= 0 && fstat(d->bar_fd[i], &st) == 0 && st.st_size > 0)
			d->bar_size[i] = (size_t)st.st_size;
	}
	r = vfio_device_init(d);
	if (r >= 0)
		r = uio_ext_device_init(d);
	if (r < 0) {
		pthread_mutex_destroy(&d->lock);
		free(d);
		return r;
	}
	*ret = d;
	return 0;
}

/* The slot to open: SLOT normalized, or the first inherited one not yet adopted when SLOT is
 * NULL (UDRV_SLOT may list several, emptied entries adopted already). */
static int open_slot(const char *slot, char ret[PCI_SLOT_LEN], struct udrv_error *error)
{
	const char *env = getenv(UDRV_ENV_SLOT);
	char first[64] = "";

	if (!slot && !env)
		return error_setf(error, -EINVAL, NULL, "no slot given and %s is not set",
				  UDRV_ENV_SLOT);
	if (!slot) {
		const char *p = env + strspn(env, ",");
		size_t len = strcspn(p, ",");

		if (len < sizeof(first))
			memcpy(first, p, len), first[len] = 0;
	}
	if (pci_slot_normalize(slot ?: first, ret) < 0)
		return error_setf(
			error, -EINVAL, NULL,
			"%s'%s' is not a PCI slot: expected DDDD:BB:DD.F, e.g. 0000:03:00.0",
			slot ? "" : UDRV_ENV_SLOT "=", slot ?: env);
	return 0;
}

static int lease_from_udrvd(const char *slot, struct lease **ret, struct udrv_error *error)
{
	_cleanup_free_ char *path = NULL;
	int r;

	r = udrvd_socket_path(getenv("UDRV_ROOT"), getenv("UDRV_SOCKET"), &path);
	if (r < 0)
		return error_setf(error, r, NULL, "cannot build udrvd's socket path: %m");
	return lease_acquire(path, slot, ret, error);
}

int udrv_open_error(const char *slot, struct udrv_device **ret, struct udrv_error *error)
{
	_cleanup_lease_ struct lease *lease = NULL;
	char norm[PCI_SLOT_LEN];
	int r;

	error_clear(error);
	if (!ret)
		return error_setf(error, -EINVAL, NULL, "udrv_open: RET is NULL");
	r = open_slot(slot, norm, error);
	if (r < 0)
		return r;
	r = lease_adopt(norm, &lease, error);
	if (r == 0)
		r = lease_from_udrvd(norm, &lease, error);
	if (r < 0) {
		ulog(LOG_DEBUG, "%s: cannot open: %s", norm, error ? error->message : "");
		return r;
	}
	r = device_new(lease, ret);
	if (r < 0)
		return error_setf(error, r, NULL, "cannot set up %s: %m", norm);
	ulog(LOG_DEBUG, "%s: %s lease with %zu fds", norm, lease->adopted ? "inherited" : "new",
	     lease->n_fds);
	TAKE_PTR(lease);
	return 0;
}

int udrv_open(const char *slot, struct udrv_device **ret)
{
	return udrv_open_error(slot, ret, NULL);
}

void udrv_close(struct udrv_device *dev)
{
	if (!dev)
		return;
	for (unsigned i = 0; i < UDRV_BAR_MAX; i++)
		if (dev->bar_addr[i])
			munmap(dev->bar_addr[i], dev->bar_size[i]);
	vfio_device_done(dev);
	uio_ext_device_done(dev);
	/* Closing our ctl copy ends the lease once no other process holds one. */
	lease_free(dev->lease);
	pthread_mutex_destroy(&dev->lock);
	free(dev);
}

const char *udrv_device_slot(struct udrv_device *dev)
{
	return dev->lease->slot;
}

const char *udrv_device_info(struct udrv_device *dev, const char *key)
{
	for (char **i = dev->lease->info; key && i && i[0]; i += 2)
		if (streq(i[0], key))
			return i[1];
	return NULL;
}
