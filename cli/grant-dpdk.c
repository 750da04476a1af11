/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `udrvctl grant --dpdk`: every lease must be one libudrv-dpdk.so serves (uio-ext with
 * DMA=unsafe), checked before CMD starts, and the library goes into LD_PRELOAD. */
#include <stdio.h>

#include "log.h"
#include "udrv-internal.h"
#include "udrvctl.h"

static const char *lease_info(const struct lease *l, const char *key)
{
	for (char **i = l->info; i && i[0]; i += 2)
		if (streq(i[0], key))
			return i[1];
	return NULL;
}

int grant_dpdk_check_one(const struct lease *l)
{
	const char *backend = lease_info(l, "backend") ?: "unknown";
	const char *dma = lease_info(l, "dma") ?: "off";

	if (streq(backend, "vfio")) {
		log_error("%s is leased through VFIO (it has an IOMMU group), and DPDK drives VFIO "
			  "itself: run 'udrvctl grant %s -- CMD' without --dpdk.",
			  l->slot, l->slot);
		return -EOPNOTSUPP;
	}
	if (streq(backend, "uio")) {
		log_error(
			"%s is on udrvd's uio backend (uio_pci_generic), which --dpdk cannot "
			"serve: udrvd keeps its /dev/uioN to hold bus mastering and its BAR files "
			"are root's. Load the uio_ext module (modprobe uio_ext) and set "
			"Backend=uio-ext (or auto) in the policy that grants it.",
			l->slot);
		return -EOPNOTSUPP;
	}
	if (!streq(backend, "uio-ext") || lease_fd(l, LEASE_FD_UIO) < 0) {
		log_error("%s is on udrvd's %s backend; --dpdk serves only uio-ext leases.",
			  l->slot, backend);
		return -EOPNOTSUPP;
	}
	if (!streq(dma, "on")) {
		log_error(
			"%s: the lease has no DMA (bus mastering off), and DPDK needs its memory's "
			"bus addresses: set DMA=unsafe in the policy that grants it "
			"(udrvctl policy explain %s says which file).",
			l->slot, l->slot);
		return -EPERM;
	}
	return 0;
}

int grant_dpdk_check(struct lease *const *leases, size_t n)
{
	int r = 0;

	for (size_t i = 0; i < n; i++) {
		int k = grant_dpdk_check_one(leases[i]);

		if (k < 0 && r == 0)
			r = k;
	}
	return r;
}

int grant_dpdk_preload(void)
{
	const char *lib = getenv("UDRV_DPDK_PRELOAD") ?: UDRV_DPDK_PRELOAD_PATH;
	const char *old = getenv("LD_PRELOAD");
	_cleanup_free_ char *value = NULL;

	if (access(lib, R_OK) < 0) {
		log_error_errno(errno, "cannot use the DPDK preload library %s: %m", lib);
		return -ENOENT;
	}
	if (asprintf(&value, "%s%s%s", lib, old && *old ? " " : "", old ?: "") < 0)
		return log_oom();
	if (setenv("LD_PRELOAD", value, 1) < 0)
		return negative_errno();
	log_debug("LD_PRELOAD=%s", value);
	return 0;
}
