/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Moves a PCI function between kernel drivers through sysfs, as driverctl and dpdk-devbind
 * do: driver_override, unbind, drivers_probe. */
#pragma once

/* Loads MODULE when ROOT/sys/bus/pci/drivers/DRIVER is missing (only on the real root). */
int driver_ensure_loaded(const char *root, const char *driver, const char *module);

/* Writes SLOT to ROOT/sys/bus/pci/drivers/DRIVER/ATTR: "bind" or "unbind". */
int driver_write(const char *root, const char *driver, const char *attr, const char *slot);

/* Binds SLOT to DRIVER: sets driver_override, unbinds the current driver, probes. Checks
 * that DRIVER is bound afterwards (-EIO otherwise). */
int driver_move_to(const char *root, const char *slot, const char *driver);

/* Gives SLOT back: unbinds whatever holds it, sets driver_override to OVERRIDE (NULL
 * clears it), then binds ORIGINAL (NULL: leaves the function unbound unless the kernel's
 * own matching picks a driver when OVERRIDE is set). Every step runs even if one fails;
 * returns the first error. */
int driver_restore(const char *root, const char *slot, const char *original, const char *override);

/* The bound driver's name in *RET, NULL when unbound. */
int driver_current(const char *root, const char *slot, char **ret);

/* Gives SLOT back as its record under ROOT/run/udrvd/devices says (driver and
 * driver_override), then removes the record; without a record, leaves it unbound. */
void driver_give_back(const char *root, const char *slot);

/* Logs, at error level, that NODE (e.g. "/dev/uio0") could not be opened for SLOT, and
 * returns R. For -EPERM, which root gets only from its device cgroup, it names RULE (the
 * unit's "DeviceAllow=char-uio") and what to do: the rule is resolved when the unit
 * starts, so MODULE must be loaded before udrvd is. */
int driver_log_node_error(int r, const char *node, const char *slot, const char *rule,
			  const char *module);
