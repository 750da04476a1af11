/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Driver binding through sysfs, with module loading on demand. */
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include "driver.h"
#include "fault.h"
#include "log.h"
#include "macro.h"
#include "state.h"
#include "sysfs.h"

extern char **environ;

static int open_dir(const char *root, const char *rel, int *ret_fd)
{
	_cleanup_free_ char *p = NULL;
	int fd;

	if (root_join(root, rel, &p) < 0)
		return -ENOMEM;
	fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	*ret_fd = fd;
	return 0;
}

static int write_under(const char *root, const char *dir, const char *name, const char *value)
{
	_cleanup_close_ int fd = -1;
	int r = open_dir(root, dir, &fd);

	return r < 0 ? r : sysfs_write_attr(fd, name, value);
}

int driver_write(const char *root, const char *driver, const char *attr, const char *slot)
{
	_cleanup_free_ char *dir = NULL;

	if (asprintf(&dir, "sys/bus/pci/drivers/%s", driver) < 0)
		return -ENOMEM;
	return write_under(root, dir, attr, slot);
}

int driver_current(const char *root, const char *slot, char **ret)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_close_ int fd = -1;
	char *name = NULL;
	int r;

	if (asprintf(&dir, "sys/bus/pci/devices/%s", slot) < 0)
		return -ENOMEM;
	r = open_dir(root, dir, &fd);
	if (r < 0)
		return r;
	r = sysfs_read_link_basename(fd, "driver", &name);
	if (r < 0 && r != -ENOENT)
		return r;
	*ret = name;
	return 0;
}

int driver_ensure_loaded(const char *root, const char *driver, const char *module)
{
	_cleanup_free_ char *rel = NULL;
	_cleanup_close_ int fd = -1;
	char *argv[] = {(char *)"modprobe", (char *)"-q", (char *)module, NULL};
	pid_t pid;
	int status, r;

	if (asprintf(&rel, "sys/bus/pci/drivers/%s", driver) < 0)
		return -ENOMEM;
	if (open_dir(root, rel, &fd) == 0)
		return 0;
	if (!streq(root, "/"))
		return log_error_errno(ENOENT, "Driver %s is not loaded under %s.", driver, root);
	r = posix_spawnp(&pid, "modprobe", NULL, NULL, argv, environ);
	if (r != 0)
		return log_error_errno(r, "Failed to run modprobe %s: %m", module);
	if (waitpid(pid, &status, 0) < 0)
		return log_error_errno(errno, "Failed to wait for modprobe: %m");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return log_error_errno(
			ENOENT,
			"modprobe %s failed; is the module installed? (udrvd.service "
			"loads no module itself: it has modprobe@%s.service load it "
			"before udrvd starts)",
			module, module);
	return open_dir(root, rel, &fd);
}

int driver_log_node_error(int r, const char *node, const char *slot, const char *rule,
			  const char *module)
{
	if (r != -EPERM)
		return log_error_errno(r, "Failed to open %s for %s: %m", node, slot);
	return log_error_errno(
		r,
		"Failed to open %s for %s: %m. udrvd's device cgroup forbids it: udrvd.service "
		"allows it through %s, which systemd resolves when the unit starts, and %s was "
		"not loaded then. udrvd.service loads it first (Wants=modprobe@%s.service); if "
		"the unit was changed, run `modprobe %s` and `systemctl restart udrvd.service`.",
		node, slot, rule, module, module, module);
}

int driver_move_to(const char *root, const char *slot, const char *driver)
{
	_cleanup_free_ char *dev = NULL, *cur = NULL, *now = NULL;
	int r;

	if (asprintf(&dev, "sys/bus/pci/devices/%s", slot) < 0)
		return -ENOMEM;
	r = write_under(root, dev, "driver_override", driver);
	if (r < 0)
		return log_error_errno(r, "Failed to set driver_override of %s: %m", slot);
	FAULT_POINT(ACQUIRE_OVERRIDE);
	r = driver_current(root, slot, &cur);
	if (r < 0)
		return r;
	if (cur && !streq(cur, driver)) {
		r = driver_write(root, cur, "unbind", slot);
		if (r < 0)
			return log_error_errno(r, "Failed to unbind %s from %s: %m", slot, cur);
	}
	FAULT_POINT(ACQUIRE_UNBOUND);
	if (!cur || !streq(cur, driver)) {
		r = write_under(root, "sys/bus/pci", "drivers_probe", slot);
		if (r < 0)
			log_debug_errno(r, "drivers_probe for %s: %m", slot);
	}
	r = driver_current(root, slot, &now);
	if (r < 0)
		return r;
	if (!now || !streq(now, driver))
		return log_error_errno(EIO, "%s did not bind to %s (bound to %s).", slot, driver,
				       now ? now : "nothing");
	FAULT_POINT(ACQUIRE_BOUND);
	return 0;
}

int driver_restore(const char *root, const char *slot, const char *original, const char *override)
{
	_cleanup_free_ char *dev = NULL, *cur = NULL;
	int r, first = 0;

	if (asprintf(&dev, "sys/bus/pci/devices/%s", slot) < 0)
		return -ENOMEM;
	r = driver_current(root, slot, &cur);
	if (r < 0)
		first = first ?: r;
	if (cur && (!original || !streq(cur, original))) {
		r = driver_write(root, cur, "unbind", slot);
		if (r < 0)
			first = first
					?: log_warning_errno(r, "Failed to unbind %s from %s: %m",
							     slot, cur);
	}
	FAULT_POINT(GIVEBACK_UNBOUND);
	/* An empty write clears driver_override. */
	r = write_under(root, dev, "driver_override", override ? override : "\n");
	if (r < 0)
		first = first
				?: log_warning_errno(r, "Failed to reset driver_override of %s: %m",
						     slot);
	FAULT_POINT(GIVEBACK_OVERRIDE);
	if (original && (!cur || !streq(cur, original))) {
		r = driver_write(root, original, "bind", slot);
		if (r < 0)
			first = first
					?: log_warning_errno(r, "Failed to rebind %s to %s: %m",
							     slot, original);
	}
	FAULT_POINT(GIVEBACK_REBOUND);
	return first;
}

void driver_give_back(const char *root, const char *slot)
{
	struct device_record rec = {};
	int r;

	r = state_load(root, slot, &rec);
	if (r < 0) {
		log_warning_errno(r, "No record of %s's original driver: leaving it unbound.",
				  slot);
		(void)driver_restore(root, slot, NULL, NULL);
		return;
	}
	r = driver_restore(root, slot, rec.original_driver, rec.original_override);
	if (r >= 0)
		log_info("%s given back to %s.", slot, rec.original_driver ?: "no driver");
	FAULT_POINT(GIVEBACK_RECORD_KEPT);
	(void)state_remove(root, slot);
	FAULT_POINT(GIVEBACK_RECORD_GONE);
	device_record_done(&rec);
}
