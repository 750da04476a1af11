/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The lease object: a slot and its named fds in protocol order, wherever they came from. */
#include <stdio.h>

#include "udrv-internal.h"

int lease_new(const char *slot, struct lease **ret)
{
	struct lease *l;

	if (!pci_slot_is_valid(slot))
		return -EINVAL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	memcpy(l->slot, slot, PCI_SLOT_LEN);
	*ret = l;
	return 0;
}

void lease_free(struct lease *l)
{
	if (!l)
		return;
	/* ctl last: when it closes udrvd ends the lease and kills whoever still holds the
	 * device, which must not be us. */
	for (size_t i = l->n_fds; i-- > 0;)
		closep(&l->fds[i]);
	strv_free(l->info);
	free(l);
}

int lease_name_rank(const char *name)
{
	if (streq(name, "ctl"))
		return 0;
	if (streq(name, "config"))
		return 1;
	if (streq(name, "irq"))
		return 2 + UDRV_BAR_MAX;
	if (streq(name, "irq-unmask"))
		return 3 + UDRV_BAR_MAX;
	if (streq(name, "vfio-device"))
		return 4 + UDRV_BAR_MAX;
	if (streq(name, "vfio-container"))
		return 5 + UDRV_BAR_MAX;
	if (streq(name, "uio"))
		return 6 + UDRV_BAR_MAX;
	/* uio-ext with DMA=unsafe: pins the holder's pages (after "uio", before the vectors). */
	if (streq(name, "dma-pin"))
		return 7 + UDRV_BAR_MAX;
	/* "irq-vec0".."irq-vec7" exactly (uio-ext MSI/MSI-X vectors). */
	if (startswith(name, "irq-vec") && name[7] >= '0' && name[7] < '0' + LEASE_MAX_VECTORS &&
	    !name[8])
		return 8 + UDRV_BAR_MAX + name[7] - '0';
	/* "bar0".."bar5" exactly: no sign, no leading zero, no trailing text. */
	if (startswith(name, "bar") && name[3] >= '0' && name[3] < '0' + UDRV_BAR_MAX && !name[4])
		return 2 + name[3] - '0';
	return -EINVAL;
}

int lease_check_next(const struct lease *l, const char *name)
{
	int rank = lease_name_rank(name);

	if (rank < 0 || l->n_fds >= LEASE_MAX_FDS)
		return -EINVAL;
	/* ctl and config come first, in that order; the rest strictly increase, so no repeats. */
	if (l->n_fds < 2)
		return rank == (int)l->n_fds ? 0 : -EINVAL;
	return rank > lease_name_rank(l->names[l->n_fds - 1]) ? 0 : -EINVAL;
}

int lease_add_fd(struct lease *l, const char *name, int fd)
{
	int r;

	if (fd < 0)
		return -EBADF;
	r = lease_check_next(l, name);
	if (r < 0)
		return r;
	l->fds[l->n_fds] = fd;
	snprintf(l->names[l->n_fds], LEASE_NAME_MAX, "%s", name);
	l->n_fds++;
	return 0;
}

int lease_check_complete(const struct lease *l)
{
	return l->n_fds >= 2 ? 0 : -EPROTO;
}

int lease_fd(const struct lease *l, const char *name)
{
	for (size_t i = 0; i < l->n_fds; i++)
		if (streq(l->names[i], name))
			return l->fds[i];
	return -ENOENT;
}

int lease_add_info(struct lease *l, const char *key, const char *value)
{
	size_t n = 0;
	char **info;

	while (l->info && l->info[n])
		n++;
	info = realloc(l->info, (n + 3) * sizeof(char *));
	if (!info)
		return -ENOMEM;
	l->info = info;
	info[n] = strdup(key);
	info[n + 1] = info[n] ? strdup(value) : NULL;
	info[n + 2] = NULL;
	if (!info[n + 1]) {
		free(info[n]);
		info[n] = NULL;
		return -ENOMEM;
	}
	return 0;
}

int lease_fdnames(const struct lease *l, char **ret)
{
	char *s = malloc(l->n_fds * LEASE_NAME_MAX + 1), *p;

	if (!s)
		return -ENOMEM;
	p = s;
	*p = 0;
	for (size_t i = 0; i < l->n_fds; i++)
		p += sprintf(p, "%s%s", i ? ":" : "", l->names[i]);
	*ret = s;
	return 0;
}
