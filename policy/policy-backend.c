/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which backend a grant uses on a function, and why: one rule for udrvd (which binds it) and
 * udrvctl (list, policy explain), which must say the same thing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "macro.h"
#include "pci-device.h"
#include "policy.h"
#include "strv.h"
#include "sysfs.h"

bool policy_uio_ext_loaded(const char *root)
{
	_cleanup_free_ char *drv = NULL, *node = NULL;

	if (root_join(root, "sys/bus/pci/drivers/uio_ext", &drv) < 0 ||
	    root_join(root, "dev/uio-ext", &node) < 0)
		return false;
	return access(drv, F_OK) == 0 && access(node, F_OK) == 0;
}

/* Whether G withholds a memory BAR of DEV: uio_ext maps every one on /dev/uioN. */
static bool bars_narrowed(const struct pci_device *dev, const struct policy_grant *g)
{
	for (int i = 0; i < PCI_ROM_RESOURCE; i++)
		if (pci_resource_size(&dev->res[i]) && !(dev->res[i].flags & PCI_RES_IO) &&
		    !(g->bars & (1u << i)))
			return true;
	return false;
}

/* The first BAR WriteCombining= names that is not a prefetchable memory BAR of DEV, or -1. */
static int wc_bad_bar(const struct pci_device *dev, const struct policy_grant *g)
{
	for (int i = 0; i < PCI_ROM_RESOURCE; i++)
		if ((g->write_combining & (1u << i)) &&
		    (!pci_resource_size(&dev->res[i]) || (dev->res[i].flags & PCI_RES_IO) ||
		     !(dev->res[i].flags & PCI_RES_PREFETCH)))
			return i;
	return -1;
}

/* Why a uio-ext grant with WriteCombining= naming BAR is refused (one per thread). */
static const char *wc_refusal(int bar)
{
	static _Thread_local char why[200];

	snprintf(why, sizeof(why),
		 "WriteCombining= names BAR%d, which is not a prefetchable memory BAR of this "
		 "function: merged or reordered writes would reach its registers; remove %d "
		 "from WriteCombining=",
		 bar, bar);
	return why;
}

int policy_backend_choose(const struct policy_grant *g, const struct pci_device *dev,
			  bool uio_ext_loaded, enum policy_backend *ret, const char **ret_why)
{
	bool iommu = dev->iommu_group >= 0;
	int wc = wc_bad_bar(dev, g);

	switch (g->backend) {
	case POLICY_BACKEND_VFIO:
		if (!iommu) {
			*ret_why = "Backend=vfio needs an IOMMU group (intel_iommu=on or "
				   "amd_iommu=on); use Backend=uio-ext, uio or auto";
			return -ENODEV;
		}
		*ret_why = "Backend=vfio";
		break;
	case POLICY_BACKEND_UIO_EXT:
		if (!uio_ext_loaded) {
			*ret_why = "Backend=uio-ext needs the uio_ext module (package "
				   "udrv-uio-ext-dkms; modprobe uio_ext, then restart udrvd); "
				   "use Backend=uio or auto";
			return -ENODEV;
		}
		if (bars_narrowed(dev, g)) {
			*ret_why =
				"Backend=uio-ext maps every memory BAR, and BARs= withholds one; "
				"use Backend=uio, or grant every memory BAR";
			return -ENODEV;
		}
		if (wc >= 0) {
			*ret_why = wc_refusal(wc);
			return -EINVAL;
		}
		*ret_why = "Backend=uio-ext";
		break;
	case POLICY_BACKEND_UIO:
		*ret_why = "Backend=uio";
		break;
	case POLICY_BACKEND_AUTO:
	default:
		if (iommu) {
			*ret = POLICY_BACKEND_VFIO;
			*ret_why = "Backend=auto: the function has an IOMMU group";
		} else if (uio_ext_loaded && bars_narrowed(dev, g)) {
			*ret = POLICY_BACKEND_UIO;
			*ret_why =
				"Backend=auto: no IOMMU group, and BARs= withholds a memory BAR, "
				"which uio_ext would map: plain uio_pci_generic";
		} else if (uio_ext_loaded && wc >= 0) {
			*ret_why = wc_refusal(wc);
			return -EINVAL;
		} else if (uio_ext_loaded) {
			*ret = POLICY_BACKEND_UIO_EXT;
			*ret_why = "Backend=auto: no IOMMU group, and the uio_ext module is loaded";
		} else {
			*ret = POLICY_BACKEND_UIO;
			*ret_why = "Backend=auto: no IOMMU group, and the uio_ext module is not "
				   "loaded "
				   "(package udrv-uio-ext-dkms): plain uio_pci_generic";
		}
		return 0;
	}
	*ret = g->backend;
	return 0;
}

struct key_note {
	enum policy_key key;
	bool on_vfio; /* warn when the file can select vfio */
	const char *why;
};

static const struct key_note backend_notes[] = {
	{POLICY_KEY_BARS, true,
	 "does not apply on VFIO: the holder gets every BAR region of its VFIO device"},
	{POLICY_KEY_CONFIG_WRITE, true,
	 "does not apply on VFIO: vfio-pci decides config writes itself"},
	{POLICY_KEY_INTERRUPTS, true,
	 "does not apply on VFIO: the holder enables the interrupts it wants (MSI-X, MSI or INTx) "
	 "on its device"},
	{POLICY_KEY_POLL_INTERVAL, true,
	 "does not apply on VFIO: udrvd polls only for uio and uio-ext leases"},
	{POLICY_KEY_IRQ_RATE_LIMIT, true,
	 "does not apply on VFIO: vfio-pci masks INTx itself and does not rate-limit"},
	{POLICY_KEY_WRITE_COMBINING, true,
	 "does not apply on VFIO: vfio-pci maps every BAR uncached"},
};

static int push_free(char ***l, char *s)
{
	int r = strv_push(l, s);

	free(s);
	return r;
}

int policy_file_backend_notes(const struct policy_file *f, char ***ret)
{
	const struct policy_grant *g = policy_file_get_grant(f);
	bool vfio = g->backend == POLICY_BACKEND_VFIO || g->backend == POLICY_BACKEND_AUTO;
	bool ext = g->backend == POLICY_BACKEND_UIO_EXT || g->backend == POLICY_BACKEND_AUTO;
	const char *name = policy_file_get_name(f);
	char **notes = NULL;
	unsigned line;
	char *s;

	for (size_t i = 0; i < ELEMENTSOF(backend_notes); i++) {
		const struct key_note *n = &backend_notes[i];

		line = policy_file_key_line(f, n->key);
		if (!line || !(n->on_vfio && vfio))
			continue;
		if (asprintf(
			    &s, "%s:%u: %s= %s%s", name, line, policy_key_to_string(n->key), n->why,
			    g->backend == POLICY_BACKEND_AUTO
				    ? " (Backend=auto picks vfio on a function with an IOMMU group)"
				    : "") < 0 ||
		    push_free(&notes, s) < 0)
			goto oom;
	}
	line = policy_file_key_line(f, POLICY_KEY_BARS);
	if (line && ext && (g->bars & 0x3f) != 0x3f) {
		if (asprintf(&s,
			     "%s:%u: BARs= withholds a BAR: uio-ext maps every memory BAR, so %s",
			     name, line,
			     g->backend == POLICY_BACKEND_AUTO
				     ? "Backend=auto uses plain uio for a function with a memory "
				       "BAR withheld"
				     : "udrvd refuses a function with a memory BAR withheld") < 0 ||
		    push_free(&notes, s) < 0)
			goto oom;
	}
	line = policy_file_key_line(f, POLICY_KEY_WRITE_COMBINING);
	if (line && !ext) {
		if (asprintf(&s,
			     "%s:%u: WriteCombining= applies only to uio-ext: uio_pci_generic maps "
			     "every BAR uncached",
			     name, line) < 0 ||
		    push_free(&notes, s) < 0)
			goto oom;
	}
	line = policy_file_key_line(f, POLICY_KEY_DMA_ADDRESS_BITS);
	if (line && (!ext || g->dma != POLICY_DMA_UNSAFE)) {
		if (asprintf(&s, "%s:%u: DMAAddressBits= applies only to uio-ext with DMA=unsafe",
			     name, line) < 0 ||
		    push_free(&notes, s) < 0)
			goto oom;
	}
	*ret = notes;
	return 0;
oom:
	strv_free(notes);
	return -ENOMEM;
}
