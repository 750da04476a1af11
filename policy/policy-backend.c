/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which backend a grant uses on a function, and why: one rule for udrvd (which binds it) and
 * udrvctl (list, policy explain), which must say the same thing. */
#include <stdlib.h>
#include <unistd.h>

#include "macro.h"
#include "pci-device.h"
#include "policy.h"
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

int policy_backend_choose(const struct policy_grant *g, const struct pci_device *dev,
			  bool uio_ext_loaded, enum policy_backend *ret, const char **ret_why)
{
	bool iommu = dev->iommu_group >= 0;

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
