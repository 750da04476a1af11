/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers udrvctl's verbs share: turning a user's slot argument into a device. */
#include "log.h"
#include "pci-device.h"
#include "udrvctl.h"

int cli_normalize_slot(const char *arg, char slot[PCI_SLOT_LEN])
{
	if (pci_slot_normalize(arg, slot) < 0) {
		log_error("'%s' is not a PCI slot: expected DDDD:BB:DD.F, e.g. 0000:03:00.0.", arg);
		return -EINVAL;
	}
	return 0;
}

int cli_read_device(const struct udrvctl_ctx *ctx, const char *arg, struct pci_device **ret)
{
	char slot[PCI_SLOT_LEN];
	int r;

	if (cli_normalize_slot(arg, slot) < 0)
		return EXIT_USAGE;
	r = pci_device_read(ctx->root, slot, ret);
	if (r == -ENODEV) {
		log_error("no PCI function %s on this machine; 'udrvctl list' shows the slots.",
			  slot);
		return EXIT_USAGE;
	}
	if (r < 0) {
		log_error_errno(r, "cannot read PCI function %s: %m", slot);
		return EXIT_USAGE;
	}
	return 0;
}
