/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Function reset through sysfs `reset` / `reset_method`, with a header-restoring fallback. */
#include <fcntl.h>

#include "log.h"
#include "macro.h"
#include "reset.h"
#include "strv.h"
#include "sysfs.h"

static int reset_fallback(int config_fd, const uint8_t saved[PCI_CFG_HEADER_SIZE],
			  char **ret_method)
{
	int r;

	r = pci_config_update_command(config_fd, 0, PCI_CMD_MASTER | PCI_CMD_MEMORY | PCI_CMD_IO);
	if (r < 0)
		return r;
	r = pci_config_restore_header(config_fd, saved);
	if (r < 0)
		return r;
	*ret_method = strdup("fallback");
	return *ret_method ? 0 : -ENOMEM;
}

/* Runs one specific method by narrowing reset_method to it, then restores the list. */
static int reset_with(int devfd, const char *method, const char *all)
{
	int r, q;

	r = sysfs_write_attr(devfd, "reset_method", method);
	if (r < 0)
		return r;
	r = sysfs_write_attr(devfd, "reset", "1");
	q = sysfs_write_attr(devfd, "reset_method", all);
	if (q < 0)
		log_warning_errno(q, "Failed to restore reset_method '%s': %m", all);
	return r;
}

int pci_reset(int devfd, int config_fd, enum policy_reset want,
	      const uint8_t saved[PCI_CFG_HEADER_SIZE], char **ret_method)
{
	static const char *const names[] = {
		[POLICY_RESET_FLR] = "flr",
		[POLICY_RESET_PM] = "pm",
		[POLICY_RESET_BUS] = "bus",
	};
	_cleanup_strv_free_ char **methods = NULL;
	_cleanup_free_ char *all = NULL;
	int r;

	if (want == POLICY_RESET_NONE || faccessat(devfd, "reset", F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		return reset_fallback(config_fd, saved, ret_method);
	/* Bus mastering off first: the device must not DMA while it is being reset. */
	(void)pci_config_update_command(config_fd, 0, PCI_CMD_MASTER);
	if (sysfs_read_attr(devfd, "reset_method", &all) >= 0)
		(void)strv_split(&methods, all, " ");
	if (want != POLICY_RESET_AUTO && want < ELEMENTSOF(names) && names[want]) {
		if (strv_contains(methods, names[want])) {
			r = reset_with(devfd, names[want], all);
			if (r >= 0) {
				*ret_method = strdup(names[want]);
				return *ret_method ? 0 : -ENOMEM;
			}
			log_warning_errno(r, "Reset=%s failed: %m; trying the kernel's methods.",
					  names[want]);
		} else
			log_warning("Reset=%s is not offered (reset_method: %s); using the "
				    "kernel's methods.",
				    names[want], all ?: "none");
	}
	r = sysfs_write_attr(devfd, "reset", "1");
	if (r < 0) {
		log_warning_errno(r, "Function reset failed: %m; falling back to a clean-up.");
		return reset_fallback(config_fd, saved, ret_method);
	}
	/* The kernel tries the listed methods in order and stops at the first that works. */
	*ret_method = strdup(methods && methods[0] && !methods[1] ? methods[0] : "kernel");
	return *ret_method ? 0 : -ENOMEM;
}

int pci_reset_for_give_back(const char *slot, int devfd, int config_fd, enum policy_reset want,
			    const uint8_t saved[PCI_CFG_HEADER_SIZE], const uint8_t *clean,
			    char **ret_method)
{
	_cleanup_free_ char *method = NULL;
	int r, q;

	r = pci_reset(devfd, config_fd, want, saved, &method);
	if (r < 0)
		log_warning_errno(r, "Failed to reset %s: %m", slot);
	else if (clean) {
		q = pci_config_restore_header(config_fd, clean);
		if (q < 0)
			log_warning_errno(q, "Failed to restore the header of %s: %m", slot);
	}
	/* Whatever failed above, the function must not go back able to master the bus. */
	q = pci_config_update_command(config_fd, 0, PCI_CMD_MASTER);
	if (q < 0)
		log_warning_errno(q, "Failed to clear bus mastering of %s: %m", slot);
	if (r >= 0 && ret_method)
		*ret_method = TAKE_PTR(method);
	return r;
}
