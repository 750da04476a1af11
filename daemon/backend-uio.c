/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Binding, resetting and handing out a function through uio_pci_generic. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../uio-ext/include/uapi/linux/uio_ext.h"
#include <sys/sysmacros.h>

#include "backend-uio.h"
#include "backend-vfio.h"
#include "driver.h"
#include "fault.h"
#include "log.h"
#include "macro.h"
#include "reset.h"
#include "state.h"
#include "strv.h"
#include "sysfs.h"

#define UIO_DRIVER "uio_pci_generic"
#define UIO_EXT_DRIVER "uio_ext"

static const char *uio_driver(const struct uio_dev *u)
{
	return u->ext ? UIO_EXT_DRIVER : UIO_DRIVER;
}

static void uio_dev_free(struct uio_dev *u)
{
	if (!u)
		return;
	closep(&u->devfd);
	closep(&u->config_fd);
	closep(&u->uio_fd);
	closep(&u->ext_fd);
	config_filter_free(u->filter);
	free(u->reset_method);
	free(u->root);
	free(u);
}

static int find_uio_num(int devfd, int *ret)
{
	_cleanup_strv_free_ char **names = NULL;
	_cleanup_close_ int fd = openat(devfd, "uio", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char path[64];

	if (fd < 0)
		return negative_errno();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (strv_from_dir(&names, path, NULL) < 0 || !names || !startswith(names[0], "uio"))
		return -ENOENT;
	*ret = atoi(names[0] + 3);
	return 0;
}

/* Opens ROOT/dev/uioN and, on the real root, checks it is the char device sysfs names. */
static int open_uio_node(struct uio_dev *u, int flags, int *ret_fd)
{
	_cleanup_free_ char *path = NULL, *rel = NULL, *devno = NULL, *cls = NULL;
	_cleanup_close_ int fd = -1;
	unsigned maj, min;
	struct stat st;

	if (asprintf(&rel, "dev/uio%d", u->uio_num) < 0 || root_join(u->root, rel, &path) < 0)
		return -ENOMEM;
	fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return negative_errno();
	if (streq(u->root, "/")) {
		if (asprintf(&cls, "/sys/class/uio/uio%d/dev", u->uio_num) < 0)
			return -ENOMEM;
		if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) ||
		    sysfs_read_attr(AT_FDCWD, cls, &devno) < 0 ||
		    sscanf(devno, "%u:%u", &maj, &min) != 2 || st.st_rdev != makedev(maj, min))
			return -ENXIO;
	}
	*ret_fd = TAKE_FD(fd);
	return 0;
}

static int open_config(struct uio_dev *u)
{
	u->config_fd = openat(u->devfd, "config", O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (u->config_fd < 0)
		return negative_errno();
	return pci_config_read(u->config_fd, 0, u->saved, sizeof(u->saved));
}

/* uio_ext's control fd, attached to the function (uio index) U is on. */
static int open_ext_control(const char *root, const char *slot, int uio_num, int *ret_fd)
{
	struct uio_ext_attach at = {.uio_index = (uint32_t)uio_num};
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;

	if (root_join(root, "dev/" UIO_EXT_CTL_NAME, &path) < 0)
		return -ENOMEM;
	fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return driver_log_node_error(negative_errno(), "/dev/" UIO_EXT_CTL_NAME, slot,
					     "DeviceAllow=/dev/uio-ext rw", UIO_EXT_DRIVER);
	if (ioctl(fd, UIO_EXT_ATTACH, &at) < 0)
		return log_error_errno(errno, "%s: uio_ext does not know /dev/uio%d: %m", slot,
				       uio_num);
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/* uio_ext: DMA and bus mastering as policy says. Its first open reset the function and the
 * module forbids DMA until told otherwise; every last release forbids it again. */
static int uio_ext_set_dma(struct uio_dev *u, const struct policy_grant *g)
{
	struct uio_ext_dma dma = {.allow = u->bus_master, .mask_bits = g->dma_address_bits};
	struct uio_ext_status st;
	uint32_t on = 1;

	/* Buffers come from the module's "dma" window: MemlockLimit= bounds them below it. */
	if (u->bus_master) {
		if (ioctl(u->ext_fd, UIO_EXT_GET_STATUS, &st) < 0)
			return log_error_errno(errno, "%s: uio_ext status: %m", u->slot);
		dma.limit = MIN(g->memlock_limit, st.dma_window);
	}
	if (ioctl(u->ext_fd, UIO_EXT_SET_DMA, &dma) < 0)
		return log_error_errno(errno, "%s: uio_ext refused the DMA setting: %m", u->slot);
	if (u->bus_master && ioctl(u->ext_fd, UIO_EXT_SET_MASTER, &on) < 0)
		return log_error_errno(errno, "%s: uio_ext refused bus mastering: %m", u->slot);
	return 0;
}

/* WriteCombining=: policy_backend_choose() let only prefetchable memory BARs through; the
 * module maps them write-combining from the holder's first mmap, until its last close. */
static int uio_ext_set_wc(struct uio_dev *u, const struct policy_grant *g)
{
	uint32_t bars = g->write_combining;

	if (!bars)
		return 0;
	if (ioctl(u->ext_fd, UIO_EXT_SET_WC, &bars) < 0)
		return log_error_errno(errno,
				       "%s: uio_ext refused to map the BARs of WriteCombining= "
				       "write-combining: %m",
				       u->slot);
	log_info("%s: WriteCombining=: BAR mask 0x%x mapped write-combining.", u->slot, bars);
	return 0;
}

/* DMA=unsafe on uio_ext: the holder's "dma-pin" fd, which pins pages of its own memory and
 * tells their bus addresses (unmodified DPDK's physical addresses), at most MemlockLimit= of
 * them at once; the module also charges them to the holder's RLIMIT_MEMLOCK, raised to that
 * limit. Without DMA there is no such fd: a device that cannot DMA needs no page's address. */
static int uio_ext_pin_fd(struct uio_dev *u, const struct policy_grant *g, int *ret_fd)
{
	struct uio_ext_pin_fd req = {.limit = g->memlock_limit};
	int fd = ioctl(u->ext_fd, UIO_EXT_PIN_FD, &req);

	if (fd < 0)
		return log_error_errno(errno, "%s: uio_ext refused a pin fd (dma-pin): %m",
				       u->slot);
	*ret_fd = fd;
	return 0;
}

/* After binding: reset, bus mastering as policy says (uio_dev_filter_new() snapshots). */
static int uio_dev_prepare(struct uio_dev *u, const struct policy_grant *g)
{
	int r;

	r = find_uio_num(u->devfd, &u->uio_num);
	if (r < 0)
		return log_error_errno(r, "%s is bound to %s but has no uio device.", u->slot,
				       uio_driver(u));
	if (u->ext) {
		r = open_ext_control(u->root, u->slot, u->uio_num, &u->ext_fd);
		if (r < 0)
			return r;
	}
	/* uio_ext resets the function on this first open and restores its clean state. */
	r = open_uio_node(u, O_RDWR, &u->uio_fd);
	if (r < 0) {
		char node[32];

		snprintf(node, sizeof(node), "/dev/uio%d", u->uio_num);
		return driver_log_node_error(r, node, u->slot, "DeviceAllow=char-uio rw",
					     uio_driver(u));
	}
	FAULT_POINT(ACQUIRE_UIO_OPENED);
	u->bus_master = g->dma == POLICY_DMA_UNSAFE;
	if (u->ext) {
		u->reset_method = strdup("by uio_ext on open");
		if (!u->reset_method)
			return -ENOMEM;
		if (u->bus_master)
			log_warning("%s: DMA=unsafe: bus mastering on without an IOMMU; the "
				    "holder can read and write all of memory.",
				    u->slot);
		r = uio_ext_set_wc(u, g);
		return r < 0 ? r : uio_ext_set_dma(u, g);
	}
	r = pci_reset(u->devfd, u->config_fd, u->reset, u->saved, &u->reset_method);
	if (r < 0)
		return log_error_errno(r, "Failed to reset %s: %m", u->slot);
	FAULT_POINT(ACQUIRE_RESET);
	if (u->bus_master)
		log_warning("%s: DMA=unsafe: bus mastering on without an IOMMU; the holder can "
			    "read and write all of memory.",
			    u->slot);
	r = pci_config_update_command(u->config_fd, u->bus_master ? PCI_CMD_MASTER : 0,
				      u->bus_master ? 0 : PCI_CMD_MASTER);
	if (r < 0)
		return log_error_errno(r, "Failed to set bus mastering of %s: %m", u->slot);
	FAULT_POINT(ACQUIRE_BUS_MASTER);
	return 0;
}

/* Warns about ConfigWrite= bytes the filter keeps closed. */
static void uio_dev_check_raw(struct uio_dev *u, const struct policy_grant *g)
{
	char what[CONFIG_FILTER_NAME_MAX];

	for (size_t i = 0; i < g->n_config_write; i++)
		for (unsigned b = g->config_write[i].start; b <= g->config_write[i].end; b++) {
			if (!config_filter_protected(u->filter, b))
				continue;
			config_filter_describe(u->filter, b, what, sizeof(what));
			log_warning(
				"%s: ConfigWrite=0x%x-0x%x reaches into %s, which stays mediated.",
				u->slot, g->config_write[i].start, g->config_write[i].end, what);
			break;
		}
}

/* The clean header and the filter, from one read of the whole config space as it is after the
 * opening reset. */
static int uio_dev_filter_new(struct uio_dev *u, const struct pci_device *dev,
			      const struct policy_grant *g)
{
	struct config_filter_options opts = {
		.dma = g->dma == POLICY_DMA_UNSAFE, /* no IOMMU confines a UIO device */
		.raw = g->config_write,
		.n_raw = g->n_config_write,
	};
	uint8_t image[CONFIG_SPACE_EXPRESS];
	ssize_t n;
	int r;

	n = pread(u->config_fd, image, sizeof(image), 0);
	if (n < 0 || (size_t)n < sizeof(u->clean))
		return log_error_errno(n < 0 ? negative_errno() : -EIO,
				       "Failed to read the config space of %s: %m", u->slot);
	memcpy(u->clean, image, sizeof(u->clean));
	u->clean_valid = true;
	r = config_filter_new(image, (size_t)n, dev->res, &opts, &u->filter);
	if (r < 0)
		return log_error_errno(r, "Failed to build the config filter of %s (%zd bytes): %m",
				       u->slot, n);
	uio_dev_check_raw(u, g);
	return 0;
}

int uio_dev_open(const char *root, const struct pci_device *dev, const struct policy_grant *g,
		 uid_t uid, pid_t pid, bool ext, struct uio_dev **ret)
{
	struct device_record rec = {
		.original_driver = dev->driver,
		.original_override = dev->driver_override,
		.backend = (char *)(ext ? "uio-ext" : "uio"),
		.holder_uid = uid,
		.holder_pid = pid,
	};
	struct uio_dev *u;
	int r;

	u = calloc(1, sizeof(*u));
	if (!u || !(u->root = strdup(root))) {
		free(u);
		return -ENOMEM;
	}
	memcpy(u->slot, dev->slot, PCI_SLOT_LEN);
	memcpy(rec.slot, dev->slot, PCI_SLOT_LEN);
	u->config_fd = u->uio_fd = u->ext_fd = -1;
	u->ext = ext;
	u->reset = g->reset;
	r = sysfs_open_pci_device(root, dev->slot, &u->devfd);
	if (r < 0) {
		free(u->root);
		free(u);
		return r;
	}
	r = open_config(u);
	if (r < 0) {
		log_error_errno(r, "Failed to open the config space of %s: %m", u->slot);
		uio_dev_free(u);
		return r;
	}
	r = state_save(root, &rec);
	if (r < 0) {
		log_error_errno(r, "Failed to record the state of %s: %m", u->slot);
		uio_dev_free(u);
		return r;
	}
	FAULT_POINT(ACQUIRE_RECORDED);
	r = driver_ensure_loaded(root, uio_driver(u), uio_driver(u));
	if (r >= 0)
		r = driver_move_to(root, dev->slot, uio_driver(u));
	if (r >= 0)
		r = uio_dev_prepare(u, g);
	if (r >= 0)
		r = uio_dev_filter_new(u, dev, g);
	if (r < 0) {
		uio_dev_close(u);
		return r;
	}
	*ret = u;
	return 0;
}

static int open_at(int dirfd, const char *name, int flags, int *fds, size_t *n)
{
	int fd = openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return negative_errno();
	fds[(*n)++] = fd;
	return 0;
}

int uio_dev_client_fds(struct uio_dev *u, const struct pci_device *dev,
		       const struct policy_grant *g, int **ret_fds, char ***ret_names,
		       size_t *ret_n)
{
	_cleanup_strv_free_ char **names = NULL;
	_cleanup_free_ int *fds = calloc(PCI_NUM_RESOURCES + 3, sizeof(int));
	size_t n = 0;
	int r;

	if (!fds)
		return -ENOMEM;
	r = open_at(u->devfd, "config", O_RDONLY, fds, &n);
	if (r < 0 || strv_push(&names, "config") < 0)
		goto fail;
	for (int i = 0; i < PCI_ROM_RESOURCE; i++) {
		char res[16], name[8];

		if (!pci_resource_size(&dev->res[i]) || !(g->bars & (1u << i)))
			continue;
		/* uio_ext maps memory BARs through /dev/uioN, revocably; I/O BARs stay resource
		 * files, read and written by the kernel (no mapping to revoke). */
		if (u->ext && !(dev->res[i].flags & PCI_RES_IO))
			continue;
		u->io_bars = u->ext;
		snprintf(res, sizeof(res), "resource%d", i);
		snprintf(name, sizeof(name), "bar%d", i);
		r = open_at(u->devfd, res, O_RDWR, fds, &n);
		if (r < 0 || (r = strv_push(&names, name)) < 0)
			goto fail;
	}
	if (u->ext) {
		/* The holder's /dev/uioN, the one udrvd opened: BAR maps, interrupts, the unmask
		 * write. udrvd keeps no copy, so the holder's last close is the module's last
		 * release: reset, bus mastering off, DMA forbidden, even with udrvd gone. */
		fds[n] = TAKE_FD(u->uio_fd);
		if ((n++, strv_push(&names, "uio")) < 0) {
			r = -ENOMEM;
			goto fail;
		}
		r = u->bus_master ? uio_ext_pin_fd(u, g, &fds[n]) : 0;
		if (r < 0 || (u->bus_master && (n++, strv_push(&names, "dma-pin")) < 0))
			goto fail;
	} else {
		/* Read-only: enough to wait for interrupts, and no writable mapping of any BAR. */
		r = open_uio_node(u, O_RDONLY, &fds[n]);
		if (r < 0 || (n++, strv_push(&names, "irq")) < 0)
			goto fail;
	}
	FAULT_POINT(ACQUIRE_FDS_OPENED);
	*ret_fds = TAKE_PTR(fds);
	*ret_names = TAKE_PTR(names);
	*ret_n = n;
	return 0;
fail:
	log_error_errno(r, "Failed to open the fds of %s for the client: %m", u->slot);
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
	return r < 0 ? r : -ENOMEM;
}

/* INTx Disable is written as the whole 16-bit Command register, read first so that the bits
 * udrvd does not mean to change keep their value. Measured in the VM bed: QEMU re-evaluates
 * the interrupt line only for writes that cover Command's low byte; a one-byte write at
 * offset 5 changed the bit but a pending interrupt was never delivered (0 of 10). */
static int write_intx(struct uio_dev *u, bool masked)
{
	uint16_t cmd = u->cmd;
	int r;

	/* The kernel changes only INTx Disable (its interrupt handler), which is rewritten
	 * here anyway: after one read the cached value serves every later unmask, one config
	 * access per interrupt instead of two. */
	if (!u->cmd_valid) {
		r = pci_config_read16(u->config_fd, PCI_CFG_COMMAND, &cmd);
		if (r < 0)
			return r;
	}
	cmd = masked ? cmd | PCI_CMD_INTX_DISABLE : cmd & (uint16_t)~PCI_CMD_INTX_DISABLE;
	r = pci_config_write16(u->config_fd, PCI_CFG_COMMAND, cmd);
	if (r < 0) {
		u->cmd_valid = false;
		return r;
	}
	u->cmd = cmd;
	u->cmd_valid = true;
	return 0;
}

int uio_dev_irq_enable(struct uio_dev *u)
{
	return write_intx(u, false);
}

/* Once per register and lease: a client probing config space must not flood the log. */
static void uio_dev_refusal(struct uio_dev *u, unsigned bad)
{
	unsigned reg =
		config_filter_describe(u->filter, bad, u->refusal.what, sizeof(u->refusal.what));
	uint8_t bit = (uint8_t)(1u << (reg % 8));

	u->refusal.off = bad;
	u->refusal.report = reg < CONFIG_SPACE_EXPRESS && !(u->refusal_logged[reg / 8] & bit);
	if (u->refusal.report)
		u->refusal_logged[reg / 8] |= bit;
}

/* Initiate FLR, done the way every reset of this lease is: state saved and restored around it,
 * bus mastering off afterwards, as a real FLR leaves it. */
static int uio_dev_client_reset(struct uio_dev *u)
{
	_cleanup_free_ char *method = NULL;
	int r;

	u->cmd_valid = false;
	r = pci_reset(u->devfd, u->config_fd, u->reset, u->saved, &method);
	if (r < 0)
		return log_warning_errno(r, "%s: reset on the holder's Initiate FLR failed: %m",
					 u->slot);
	log_info("%s: reset (%s) on the holder's Initiate FLR.", u->slot, method);
	return pci_config_update_command(u->config_fd, 0, PCI_CMD_MASTER);
}

/* The device's bytes [OFF, OFF + LEN), at their offsets in HW. */
static int uio_dev_read_hw(struct uio_dev *u, unsigned off, size_t len,
			   uint8_t hw[CONFIG_SPACE_EXPRESS])
{
	size_t size = config_filter_size(u->filter);

	if (off > size || len > size - off)
		return -EIO;
	return pci_config_read(u->config_fd, off, hw + off, len);
}

/* The plan's hardware writes. A write that touches Command makes its cached value stale. */
static int uio_dev_apply(struct uio_dev *u, const struct config_write_plan *plan)
{
	for (size_t i = 0; i < plan->n_access; i++) {
		const struct config_access *a = &plan->access[i];
		int r;

		if (a->off <= PCI_CFG_COMMAND + 1 && PCI_CFG_COMMAND < a->off + a->len)
			u->cmd_valid = false;
		r = pci_config_write(u->config_fd, a->off, plan->hw + a->off, a->len);
		if (r < 0)
			return log_warning_errno(r,
						 "%s: config write of %u bytes at 0x%x failed: %m",
						 u->slot, a->len, a->off);
	}
	return 0;
}

int uio_dev_config_write(struct uio_dev *u, unsigned off, const uint8_t *buf, size_t len)
{
	/* On the stack (16 KiB; lease threads have 512 KiB): only the pages a write touches
	 * become resident, where a plan kept per lease cost 16 KiB each. */
	struct config_write_plan plan_buf, *plan = &plan_buf;
	uint8_t hw[CONFIG_SPACE_EXPRESS];
	unsigned bad;
	int r;

	if (config_filter_needs_hw(u->filter, off, len)) {
		r = uio_dev_read_hw(u, off, len, hw);
		if (r < 0)
			return r;
	} else
		for (size_t i = 0; i < len; i++) /* "changed" everywhere: written whole */
			hw[off + i] = (uint8_t)~buf[i];
	r = config_filter_write(u->filter, off, len, buf, hw, plan);
	/* Refusals are rare: only then is the offending byte looked for. */
	if (r == -EPERM && config_filter_refused(u->filter, off, len, buf, hw, &bad))
		uio_dev_refusal(u, bad);
	if (r >= 0)
		r = uio_dev_apply(u, plan);
	if (r < 0)
		return r;
	config_filter_commit(u->filter, plan);
	if (plan->intx == CONFIG_INTX_MASK)
		r = write_intx(u, true);
	if (r >= 0 && plan->reset)
		r = uio_dev_client_reset(u);
	if (r >= 0 && plan->intx == CONFIG_INTX_UNMASK)
		return 1; /* the caller's irq path unmasks */
	return r;
}

int uio_dev_config_read(struct uio_dev *u, unsigned off, uint8_t *buf, size_t len)
{
	uint8_t hw[CONFIG_SPACE_EXPRESS];
	int r;

	r = uio_dev_read_hw(u, off, len, hw);
	if (r < 0)
		return r;
	return config_filter_read(u->filter, off, len, hw, buf);
}

/* uio_ext: every mapping of the function zapped (every process, every fd), its interrupts
 * stopped, DMA forbidden and bus mastering off; later accesses fault with SIGBUS. */
static int uio_ext_revoke(struct uio_dev *u)
{
	if (u->ext_fd < 0)
		return 0;
	if (ioctl(u->ext_fd, UIO_EXT_REVOKE) < 0) {
		log_warning_errno(errno, "%s: uio_ext could not revoke the holder's access: %m",
				  u->slot);
		return 0;
	}
	return 1;
}

/* uio_ext: revoke, then unbind at once: the module's removal resets the function (when it has
 * a method), stops its interrupts and leaves bus mastering off, and the holder's /dev/uioN reads
 * EIO from then on. What udrvd adds afterwards, with the function already off uio_ext, is the
 * clean-up: the header from before the lease, and the original driver. */
static void uio_ext_close(struct uio_dev *u)
{
	_cleanup_free_ char *drv = NULL;

	(void)uio_ext_revoke(u);
	closep(&u->uio_fd);
	if (driver_current(u->root, u->slot, &drv) >= 0 && drv && streq(drv, UIO_EXT_DRIVER) &&
	    driver_write(u->root, UIO_EXT_DRIVER, "unbind", u->slot) < 0)
		log_warning("%s: could not unbind it from uio_ext; cleaning it up bound.", u->slot);
	if (u->config_fd >= 0)
		(void)pci_reset_for_give_back(u->slot, u->devfd, u->config_fd, POLICY_RESET_NONE,
					      u->saved, NULL, NULL);
	driver_give_back(u->root, u->slot);
	uio_dev_free(u);
}

void uio_dev_close(struct uio_dev *u)
{
	if (!u)
		return;
	if (u->ext) {
		uio_ext_close(u);
		return;
	}
	/* The clean header only once the opening reset ran and it was read: an open that
	 * failed in between would otherwise write zeros over the BARs and Command. */
	if (u->config_fd >= 0)
		(void)pci_reset_for_give_back(u->slot, u->devfd, u->config_fd, u->reset, u->saved,
					      u->reset_method && u->clean_valid ? u->clean : NULL,
					      NULL);
	FAULT_POINT(END_RESET);
	closep(&u->uio_fd);
	u->uio_fd = -1;
	FAULT_POINT(END_UIO_CLOSED);
	driver_give_back(u->root, u->slot);
	uio_dev_free(u);
}

int uio_dev_config_write_intx(struct uio_dev *u, bool masked)
{
	return write_intx(u, masked);
}

void uio_dev_forget(struct uio_dev *u)
{
	if (!u)
		return;
	log_info("%s is gone: forgetting it.", u->slot);
	(void)state_remove(u->root, u->slot);
	uio_dev_free(u);
}

int uio_dev_recover(const char *root, const char *slot)
{
	_cleanup_close_ int devfd = -1, cfg = -1;
	_cleanup_free_ char *method = NULL;
	uint8_t hdr[PCI_CFG_HEADER_SIZE];
	int r;

	r = sysfs_open_pci_device(root, slot, &devfd);
	if (r < 0) {
		log_warning_errno(r, "Recorded device %s is gone: forgetting it.", slot);
		return state_remove(root, slot);
	}
	cfg = openat(devfd, "config", O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (cfg >= 0 && pci_config_read(cfg, 0, hdr, sizeof(hdr)) >= 0)
		(void)pci_reset_for_give_back(slot, devfd, cfg, POLICY_RESET_AUTO, hdr, NULL,
					      &method);
	FAULT_POINT(RECOVER_RESET);
	log_notice("Giving back %s, prepared by a previous udrvd (reset: %s).", slot,
		   method ?: "failed");
	driver_give_back(root, slot);
	return 0;
}

/* The backend contract (backend.h). */

static int uio_prepare(const char *root, const struct pci_device *dev, const struct policy_grant *g,
		       struct backend_holder *h, void **ret)
{
	struct uio_dev *u;
	int r = uio_dev_open(root, dev, g, h->uid, h->pid, false, &u);

	if (r < 0)
		return r;
	*ret = u;
	return 0;
}

static int uio_client_fds(void *b, const struct pci_device *dev, const struct policy_grant *g,
			  const struct backend_holder *h, int **ret_fds, char ***ret_names,
			  size_t *ret_n)
{
	(void)h;
	return uio_dev_client_fds(b, dev, g, ret_fds, ret_names, ret_n);
}

/* INTx through uio_pci_generic, which udrvd unmasks; or udrvd's polling timer. An MSI is a DMA
 * write: without an IOMMU to confine it it needs bus mastering that only DMA=unsafe allows,
 * and uio_pci_generic has no MSI. */
static int uio_irq_setup(void *b, const struct policy_grant *g, int device_irq,
			 struct backend_irq *ret)
{
	struct uio_dev *u = b;

	*ret = (struct backend_irq){
		.path = BACKEND_IRQ_UNMASK, .mode = "intx", .why = "INTx through uio_pci_generic"};
	if (g->interrupts == POLICY_INTERRUPTS_POLL)
		ret->why = "Interrupts=poll";
	else if (g->interrupts == POLICY_INTERRUPTS_MSI || g->interrupts == POLICY_INTERRUPTS_MSIX)
		ret->why = "MSI needs bus mastering and an IOMMU; UIO has neither: polling";
	else if (device_irq <= 0)
		ret->why = "the device has no usable interrupt: polling";
	else {
		u->irq_mode = ret->mode;
		return 0;
	}
	ret->path = BACKEND_IRQ_POLL;
	ret->mode = u->irq_mode = "poll";
	/* INTx off for good: nothing but the timer wakes the holder. */
	return write_intx(u, true);
}

static int uio_irq_mask(void *b, bool masked)
{
	return write_intx(b, masked);
}

static int uio_config_read(void *b, unsigned off, uint8_t *buf, size_t len)
{
	return uio_dev_config_read(b, off, buf, len);
}

static int uio_config_write(void *b, unsigned off, const uint8_t *buf, size_t len,
			    struct backend_refusal *ret_refusal)
{
	struct uio_dev *u = b;
	int r = uio_dev_config_write(u, off, buf, len);

	if (r == -EPERM)
		*ret_refusal = u->refusal;
	return r;
}

static int uio_give_back(void *b)
{
	uio_dev_close(b);
	return 0;
}

static void uio_forget(void *b)
{
	uio_dev_forget(b);
}

static int uio_describe(void *b, const char *policy, sd_bus_message *reply)
{
	struct uio_dev *u = b;
	const char *irq = u->irq_mode ?: "none";

	return sd_bus_message_append(reply, "a{ss}", 6, "backend", "uio", "irq", irq, "irq_format",
				     streq(irq, "poll") ? "eventfd64" : "uio32", "dma",
				     u->bus_master ? "on" : "off", "reset",
				     u->reset_method ?: "none", "policy", policy);
}

static int uio_summary(void *b, char **ret)
{
	struct uio_dev *u = b;

	return asprintf(ret, "%s, reset %s",
			u->bus_master ? "bus mastering on (DMA=unsafe)" : "bus mastering off",
			u->reset_method ?: "none") < 0
		       ? -ENOMEM
		       : 0;
}

/* "ctl, config (read-only), bar0 (4096 bytes memory), ...": what the holder gets. */
static char *uio_plan_fds(const struct pci_device *dev, const struct policy_grant *g)
{
	char *fds = strdup("ctl, config (read-only)");

	for (int i = 0; fds && i < PCI_ROM_RESOURCE; i++) {
		char *n = NULL;

		if (!pci_resource_size(&dev->res[i]) || !(g->bars & (1u << i)))
			continue;
		if (asprintf(&n, "%s, bar%d (%" PRIu64 " bytes %s)", fds, i,
			     pci_resource_size(&dev->res[i]),
			     dev->res[i].flags & PCI_RES_IO ? "I/O" : "memory") < 0)
			n = NULL;
		free(fds);
		fds = n;
	}
	return fds;
}

static int uio_plan(const char *root, const struct pci_device *dev, const struct policy_grant *g,
		    const struct backend_holder *h, char **ret)
{
	_cleanup_free_ char *resets =
		dev->reset_methods ? strv_join(dev->reset_methods, " ") : NULL;
	_cleanup_free_ char *fds = uio_plan_fds(dev, g);

	(void)root;
	if (!fds)
		return -ENOMEM;
	return asprintf(ret,
			"would record %s's driver (%s) and driver_override (%s)\n"
			"would bind %s to uio_pci_generic through driver_override\n"
			"would reset it: %s\n"
			"would keep bus mastering %s\n"
			"would hand uid %u: %s, irq (/dev/uioN)\n"
			"when the lease ends: bus mastering off, reset, %s holders, give it "
			"back to %s\n",
			dev->slot, dev->driver ?: "none", dev->driver_override ?: "unset",
			dev->slot,
			g->reset == POLICY_RESET_NONE ? "Reset=none: the fallback clean-up"
			: resets		      ? resets
				 : "no reset method: the fallback clean-up (decoding and bus "
				   "mastering off, saved header back)",
			g->dma == POLICY_DMA_UNSAFE ? "ON (DMA=unsafe)" : "off", (unsigned)h->uid,
			fds, g->stray_holders == POLICY_STRAY_KILL ? "kill stray" : "log stray",
			dev->driver ?: "no driver") < 0
		       ? -ENOMEM
		       : 0;
}

const struct backend_ops backend_uio_ops = {
	.name = "uio",
	.driver = UIO_DRIVER,
	.prepare = uio_prepare,
	.client_fds = uio_client_fds,
	.irq_setup = uio_irq_setup,
	.irq_mask = uio_irq_mask,
	.config_read = uio_config_read,
	.config_write = uio_config_write,
	.give_back = uio_give_back,
	.forget = uio_forget,
	.recover = uio_dev_recover,
	.describe = uio_describe,
	.summary = uio_summary,
	.plan = uio_plan,
};

/* How many vectors the function offers of TYPE (UIO_EXT_IRQ_MSI or _MSIX), from its capability
 * list; 0 when it has none. */
static unsigned msi_vectors(struct uio_dev *u, uint32_t type)
{
	uint8_t cfg[256];
	unsigned at, guard = 0;

	if (pci_config_read(u->config_fd, 0, cfg, sizeof(cfg)) < 0 || !(cfg[0x06] & 0x10))
		return 0;
	for (at = cfg[0x34] & 0xfc; at >= 0x40 && at < 0xfc && guard++ < 48;
	     at = cfg[at + 1] & 0xfc) {
		uint16_t ctrl = (uint16_t)(cfg[at + 2] | cfg[at + 3] << 8);

		if (type == UIO_EXT_IRQ_MSIX && cfg[at] == 0x11)
			return (ctrl & 0x7ffu) + 1;
		if (type == UIO_EXT_IRQ_MSI && cfg[at] == 0x05)
			return 1u << ((ctrl >> 1) & 7);
	}
	return 0;
}

/* DMA=unsafe and Interrupts=msi|msix: one eventfd per vector, signalled by the module. 1 when set
 * up, 0 when the function has no such vectors. */
static int uio_ext_vectors(struct uio_dev *u, const struct policy_grant *g, struct backend_irq *ret)
{
	uint32_t type =
		g->interrupts == POLICY_INTERRUPTS_MSIX ? UIO_EXT_IRQ_MSIX : UIO_EXT_IRQ_MSI;
	unsigned n = MIN(msi_vectors(u, type), (unsigned)BACKEND_MAX_VECTORS);
	int32_t fds[BACKEND_MAX_VECTORS];
	struct uio_ext_vectors req = {.type = type, .count = n, .fds = (uintptr_t)fds};
	int r = 0;

	if (n == 0)
		return 0;
	for (unsigned i = 0; i < n; i++) {
		fds[i] = eventfd(0, EFD_CLOEXEC);
		if (fds[i] < 0) {
			r = negative_errno();
			n = i;
			break;
		}
	}
	if (r >= 0 && ioctl(u->ext_fd, UIO_EXT_SET_VECTORS, &req) < 0)
		r = log_error_errno(errno, "%s: uio_ext refused %u %s vectors: %m", u->slot, n,
				    type == UIO_EXT_IRQ_MSIX ? "MSI-X" : "MSI");
	if (r < 0) {
		for (unsigned i = 0; i < n; i++)
			close(fds[i]);
		return r;
	}
	for (unsigned i = 0; i < n; i++)
		ret->vector_fds[i] = fds[i];
	ret->n_vectors = n;
	return 1;
}

/* uio_ext: the module unmasks (the holder's write(1) on /dev/uioN, under IrqRateLimit=) and
 * polls; udrvd only says which. An MSI is a DMA write: Interrupts=msi|msix poll unless
 * DMA=unsafe lets the module give vectors. */
static int uio_ext_irq_setup(void *b, const struct policy_grant *g, int device_irq,
			     struct backend_irq *ret)
{
	struct uio_dev *u = b;
	struct uio_ext_irq irq = {
		.mode = UIO_EXT_IRQ_INTX,
		.rate_limit = g->irq_rate_limit == POLICY_INFINITY
				      ? 0
				      : (uint32_t)MIN(g->irq_rate_limit, (uint64_t)1000000000),
	};
	/* Clamped before the multiplication: no wrap into a 10 us poll. */
	uint64_t poll_ns = MIN(g->poll_interval_usec, (uint64_t)10000000) * 1000;

	*ret = (struct backend_irq){
		.path = BACKEND_IRQ_KERNEL,
		.mode = "intx",
		.why = "INTx through uio_ext: the holder unmasks by writing its "
		       "/dev/uioN, the module applies IrqRateLimit="};
	if (g->interrupts == POLICY_INTERRUPTS_POLL)
		ret->why = "Interrupts=poll, by uio_ext's timer";
	else if ((g->interrupts == POLICY_INTERRUPTS_MSI ||
		  g->interrupts == POLICY_INTERRUPTS_MSIX) &&
		 u->bus_master) {
		int r = uio_ext_vectors(u, g, ret);

		if (r < 0)
			ret->why = "the kernel could not set up the vectors (see the log): polling "
				   "by uio_ext's timer";
		else if (r > 0) {
			ret->mode = u->irq_mode =
				g->interrupts == POLICY_INTERRUPTS_MSIX ? "msix" : "msi";
			ret->why = "DMA=unsafe: MSI vectors on eventfds from uio_ext";
			return 0;
		} else
			ret->why = "the function has no such vectors: polling by uio_ext's timer";
	} else if (g->interrupts == POLICY_INTERRUPTS_MSI ||
		   g->interrupts == POLICY_INTERRUPTS_MSIX)
		ret->why = "MSI needs bus mastering, which only DMA=unsafe allows without an "
			   "IOMMU: polling by uio_ext's timer";
	else if (device_irq <= 0)
		ret->why = "the device has no usable interrupt: polling by uio_ext's timer";
	else if (ioctl(u->ext_fd, UIO_EXT_SET_IRQ, &irq) >= 0) {
		u->irq_mode = ret->mode;
		return 0;
	} else if (errno == ENODEV)
		ret->why = "the function cannot mask INTx (uio_ext checked): polling by "
			   "uio_ext's timer";
	else
		return log_error_errno(errno, "%s: uio_ext refused INTx: %m", u->slot);
	irq = (struct uio_ext_irq){
		.mode = UIO_EXT_IRQ_POLL,
		.poll_ns = MAX(MIN(poll_ns, (uint64_t)10000000000), (uint64_t)10000),
	};
	if (ioctl(u->ext_fd, UIO_EXT_SET_IRQ, &irq) < 0)
		return log_error_errno(errno, "%s: uio_ext refused polling: %m", u->slot);
	ret->mode = u->irq_mode = "poll";
	return 0;
}

static int uio_ext_dma_alloc(void *b, uint64_t size, struct backend_dma_buf *ret)
{
	struct uio_dev *u = b;
	struct uio_ext_dma_buf buf = {.size = size};

	if (ioctl(u->ext_fd, UIO_EXT_DMA_ALLOC, &buf) < 0)
		return negative_errno();
	*ret = (struct backend_dma_buf){.size = buf.size,
					.offset = buf.offset,
					.bus_addr = buf.bus_addr,
					.map_index = buf.map_index};
	return 0;
}

static int uio_ext_dma_free(void *b, uint64_t offset)
{
	struct uio_dev *u = b;

	return ioctl(u->ext_fd, UIO_EXT_DMA_FREE, &offset) < 0 ? negative_errno() : 0;
}

/* With DMA=unsafe the holder's pidfd first, as for VFIO: its pins count against its
 * RLIMIT_MEMLOCK, which client_fds raises to MemlockLimit=. */
static int uio_ext_prepare(const char *root, const struct pci_device *dev,
			   const struct policy_grant *g, struct backend_holder *h, void **ret)
{
	struct uio_dev *u;
	int r;

	if (g->dma == POLICY_DMA_UNSAFE && g->memlock_limit && h->pidfd < 0) {
		r = vfio_dev_open_pidfd(h->pid, &h->pidfd);
		if (r < 0)
			return r;
	}
	r = uio_dev_open(root, dev, g, h->uid, h->pid, true, &u);
	if (r < 0)
		return r;
	*ret = u;
	return 0;
}

static int uio_ext_client_fds(void *b, const struct pci_device *dev, const struct policy_grant *g,
			      const struct backend_holder *h, int **ret_fds, char ***ret_names,
			      size_t *ret_n)
{
	struct uio_dev *u = b;

	if (u->bus_master && g->memlock_limit) {
		int r = vfio_dev_raise_memlock(h->pidfd, h->pid, g->memlock_limit);

		if (r < 0)
			return log_error_errno(
				r,
				"%s: could not raise the RLIMIT_MEMLOCK of pid %d to "
				"MemlockLimit=, which its pins count against: %m",
				u->slot, (int)h->pid);
	}
	return uio_dev_client_fds(u, dev, g, ret_fds, ret_names, ret_n);
}

/* 1 when the holder has nothing left that reaches the function: I/O BAR resource files are
 * read and written by the kernel on each call and no revoke reaches them. */
static int uio_ext_revoke_op(void *b)
{
	struct uio_dev *u = b;

	return uio_ext_revoke(u) > 0 && !u->io_bars;
}

static bool uio_ext_cuts_off(void *b)
{
	struct uio_dev *u = b;

	return u->ext_fd >= 0 && !u->io_bars;
}

/* A record of a previous udrvd: its holder's mappings go first (the module's revoke), then
 * the function is given back like any uio function. If the holder exited while no udrvd ran,
 * the module already reset it and turned bus mastering off. */
static int uio_ext_recover(const char *root, const char *slot)
{
	_cleanup_close_ int devfd = -1, ctl = -1;
	int num;

	if (sysfs_open_pci_device(root, slot, &devfd) >= 0 && find_uio_num(devfd, &num) >= 0 &&
	    open_ext_control(root, slot, num, &ctl) >= 0 && ioctl(ctl, UIO_EXT_REVOKE) < 0)
		log_warning_errno(errno, "%s: uio_ext could not revoke: %m", slot);
	return uio_dev_recover(root, slot);
}

static int uio_ext_describe(void *b, const char *policy, sd_bus_message *reply)
{
	struct uio_dev *u = b;

	return sd_bus_message_append(reply, "a{ss}", 7, "backend", "uio-ext", "irq",
				     u->irq_mode ?: "none", "irq_format", "uio32", "irq_unmask",
				     "uio-write", "dma", u->bus_master ? "on" : "off", "reset",
				     u->reset_method ?: "none", "policy", policy);
}

static int uio_ext_plan(const char *root, const struct pci_device *dev,
			const struct policy_grant *g, const struct backend_holder *h, char **ret)
{
	_cleanup_free_ char *fds = uio_plan_fds(dev, g);

	(void)root;
	if (!fds)
		return -ENOMEM;
	return asprintf(ret,
			"would record %s's driver (%s) and driver_override (%s)\n"
			"would bind %s to uio_ext through driver_override\n"
			"would reset it: by uio_ext on open\n"
			"would keep bus mastering %s\n"
			"would hand uid %u: %s, uio (/dev/uioN: memory BARs%s, interrupts)%s\n"
			"when the lease ends: mappings revoked by uio_ext, bus mastering off, "
			"reset, give it back to %s\n",
			dev->slot, dev->driver ?: "none", dev->driver_override ?: "unset",
			dev->slot, g->dma == POLICY_DMA_UNSAFE ? "ON (DMA=unsafe)" : "off",
			(unsigned)h->uid, fds,
			g->write_combining ? ", WriteCombining= ones WC" : "",
			g->dma == POLICY_DMA_UNSAFE ? ", dma-pin (pins its own pages up to "
						      "MemlockLimit=, tells their bus "
						      "addresses)"
						    : "",
			dev->driver ?: "no driver") < 0
		       ? -ENOMEM
		       : 0;
}

const struct backend_ops backend_uio_ext_ops = {
	.name = "uio-ext",
	.driver = UIO_EXT_DRIVER,
	.prepare = uio_ext_prepare,
	.client_fds = uio_ext_client_fds,
	.irq_setup = uio_ext_irq_setup,
	.config_read = uio_config_read,
	.config_write = uio_config_write,
	.dma_alloc = uio_ext_dma_alloc,
	.dma_free = uio_ext_dma_free,
	.revoke = uio_ext_revoke_op,
	.cuts_off = uio_ext_cuts_off,
	.give_back = uio_give_back,
	.forget = uio_forget,
	.recover = uio_ext_recover,
	.describe = uio_ext_describe,
	.summary = uio_summary,
	.plan = uio_ext_plan,
};
