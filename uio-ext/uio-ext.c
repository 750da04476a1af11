// SPDX-License-Identifier: GPL-2.0
/*
 * uio_ext: a UIO driver for PCI functions lent to unprivileged processes by a broker,
 * with revocable BAR mappings, rate-limited INTx unmasking through irqcontrol, polling,
 * MSI/MSI-X eventfds, coherent DMA buffers and a reset whenever the device is idle.
 *
 * LOCKING
 *
 * A lock is only ever taken while holding locks listed above it, never one listed below:
 *
 *   device_lock (driver core: probe, remove)
 *   mmap_lock (mm: the mmap callback, faults, VMA open and close, pinning user pages)
 *   uio_device.info_lock (UIO core: open, release, mmap and irqcontrol callbacks, and
 *                         uio_unregister_device() in .remove, under device_lock)
 *   uioext_dev.lock (mutex: opens, interrupt mode, vectors, DMA, revoke, reset)
 *   uioext_dev.rev (rw_semaphore: revoked, the mapped address_spaces, the DMA buffers,
 *                   the write-combining BARs)
 *   i_mmap_rwsem and page table locks (mm, inside unmap_mapping_range())
 *   uioext_dev.irq_lock (spinlock, irqsave: INTx state, and every write of Command)
 *   pci_lock (PCI core, inside config accessors)
 *
 * uioext_devs_lock is taken with none of these held and takes none of them.
 *
 * No user memory is touched under uioext_dev.lock or anything below it: a fault in
 * copy_to_user() takes mmap_lock, which sits above it. The control ioctl copies its
 * argument in before it takes the lock and out after it has dropped it.
 *
 * Pins: UIO_EXT_PIN pins the page with the caller's mmap_lock held for reading and no
 * lock of ours, then takes uioext_dev.lock to record it, checking again that the pin fd
 * is still valid (a revoke or a quiesce may have come in between; then the new pin is
 * undone at once). Releasing a pin takes no mmap_lock (unpin_user_page(), and the
 * memlock charge lives in the atomic mm->pinned_vm, not in locked_vm, which needs
 * mmap_lock for writing), so pins are released under uioext_dev.lock, right after the
 * reset, even from the last release under info_lock. uioext_dev.pins (an xarray) has its
 * own spinlock, below uioext_dev.lock; all its users hold uioext_dev.lock as well.
 *
 * The fault handler holds mmap_lock and takes rev for reading; revoke takes rev for
 * writing and zaps through i_mmap_rwsem without mmap_lock, so the two never invert.
 * The release callback runs under info_lock while .remove holds device_lock and then
 * waits for info_lock in uio_unregister_device(): release therefore only try-locks
 * the device (pci_dev_trylock) for its reset. The hrtimer and interrupt handlers
 * take irq_lock alone. A timer is only cancelled without irq_lock held.
 *
 * Command is read-modify-written by the INTx paths (the holder's irqcontrol, the
 * interrupt handler, the unmask timer) and by the control paths (bus mastering): each
 * such update is made whole under irq_lock, so that none of them writes back a stale
 * bus master bit. The writes outside irq_lock (the reset and its restore, the PCI
 * core's MSI enable and disable) run under uioext_dev.lock, as every change of the bus
 * master bit does, so they cannot undo one either.
 */

#include <linux/anon_inodes.h>
#include <linux/dma-direct.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hrtimer.h>
#include <linux/hugetlb.h>
#include <linux/interrupt.h>
#include <linux/kref.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/rwsem.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/swiotlb.h>
#include <linux/uaccess.h>
#include <linux/uio_driver.h>
#include <linux/vmalloc.h>
#include <linux/xarray.h>

#include <linux/uio_ext.h>

#define DRIVER_NAME	"uio_ext"
#define DRIVER_VERSION	"0.1.0"

/* vm_pgoff of our mappings: map index in the high bits, page within the map below. */
#define UIOEXT_MAP_SHIFT	32
#define UIOEXT_PAGE_MASK	((1UL << UIOEXT_MAP_SHIFT) - 1)
#define UIOEXT_NO_MAP		(~0U)

#define UIOEXT_POLL_MIN_NS	(10 * NSEC_PER_USEC)
#define UIOEXT_POLL_MAX_NS	(10 * NSEC_PER_SEC)

static unsigned int dma_window_mb = 16;
module_param(dma_window_mb, uint, 0444);
MODULE_PARM_DESC(dma_window_mb, "Size of each device's \"dma\" map in MiB (default 16, 0: no DMA)");

/* Pages of a BAR that are never mapped: the MSI-X table and PBA. */
struct uioext_hole {
	int bar;
	unsigned long first, last;	/* page indexes within the BAR, inclusive */
};

struct uioext_buf {
	struct list_head node;
	void *cpu;
	dma_addr_t bus;
	size_t size;
	unsigned long page;		/* first page within the "dma" map */
	bool dead;			/* given back: unmapped, freed at quiesce */
};

/*
 * An address_space (the inode of a /dev/uioN node: devtmpfs, or one made with mknod
 * elsewhere) through which the device is mapped, counted by its live VMAs. Those VMAs
 * hold their files, so the inode and its filesystem outlive the entry; nothing here
 * holds them beyond that (an inode reference would outlive an unmounted filesystem).
 */
struct uioext_mref {
	struct list_head node;
	struct address_space *mapping;
	unsigned long vmas;
};

/*
 * A user page (a base page or a whole hugetlb page) pinned for the device, indexed by its
 * PFN in uioext_dev.pins. It lives until the device is idle, whatever happens to the pin
 * fd or the process: @mm (held by mmgrab()) is where its memlock charge is returned.
 */
struct uioext_pin {
	struct page *page;
	struct mm_struct *mm;
	unsigned long npages;		/* base pages it covers */
	u64 owner;			/* id of the pin fd that made it */
};

/*
 * A pin fd. It is bound to the device and, from its first pin on, to the caller's mm;
 * it is valid only for the lease it was made for (uioext_dev.lease at its creation).
 */
struct uioext_pinctx {
	struct uioext_dev *ud;
	struct mm_struct *mm;		/* set once, by the first UIO_EXT_PIN */
	u64 lease;
	u64 id;
};

struct uioext_vec {
	struct uioext_dev *ud;
	struct eventfd_ctx *trigger;
	int irq;
	char name[32];
};

struct uioext_dev {
	struct kref kref;
	struct list_head node;		/* uioext_devs, under uioext_devs_lock */
	struct pci_dev *pdev;
	struct uio_info info;
	struct pci_saved_state *saved;	/* the clean state restored after resets */
	char name[32];
	int minor;			/* N of /dev/uioN, kept past removal for the status */
	int map_bar[MAX_UIO_MAPS];	/* BAR behind each map, -1 for the "dma" map */
	unsigned int dma_map;		/* map index of the "dma" map or UIOEXT_NO_MAP */
	unsigned long dma_pages;
	struct uioext_hole holes[2];
	bool intx_ok;

	struct mutex lock;		/* protects the fields below up to rev */
	unsigned int opens;
	bool removed;
	bool irq_running;
	bool intx_requested;		/* our INTx handler is installed */
	bool dma_allowed;
	u32 mode;
	u32 rate_limit;
	u64 poll_ns;
	struct uioext_vec *vecs;
	unsigned int nvecs;
	u64 dma_limit, dma_used;
	unsigned long dma_next;		/* next unused page of the "dma" map */
	u64 lease;			/* bumped when a lease ends: revoke, quiesce */
	u64 pinctx_ids;
	struct xarray pins;		/* struct uioext_pin by PFN */
	u64 pin_limit, pinned_bytes;
	unsigned int npins;
	u64 pins_released, release_resets;
	u32 release_master;

	struct rw_semaphore rev;	/* protects revoked, mrefs, bufs, wc_bars */
	bool revoked;
	u32 wc_bars;			/* BARs mapped write-combining, their memtype reserved */
	struct list_head mrefs;		/* struct uioext_mref: where the device is mapped */
	struct list_head bufs;

	spinlock_t irq_lock;		/* protects the INTx state below, serializes Command */
	bool intx_on;			/* INTx in use: handler acts, unmasks allowed */
	bool unmask_pending;
	bool in_storm;
	ktime_t next_unmask;
	struct hrtimer unmask_timer;
	struct hrtimer poll_timer;

	atomic64_t n_irqs, n_events, n_unmasks, n_deferred, n_storms;
	atomic64_t n_revokes, n_resets, n_reset_errors;
};

static LIST_HEAD(uioext_devs);
static DEFINE_MUTEX(uioext_devs_lock);

static void uioext_free(struct kref *kref)
{
	struct uioext_dev *ud = container_of(kref, struct uioext_dev, kref);

	WARN_ON_ONCE(!list_empty(&ud->mrefs));
	WARN_ON_ONCE(!xa_empty(&ud->pins));
	xa_destroy(&ud->pins);
	pci_dev_put(ud->pdev);
	kfree(ud->saved);
	kfree(ud);
}

static void uioext_put(struct uioext_dev *ud)
{
	kref_put(&ud->kref, uioext_free);
}

static void uioext_notify(struct uioext_dev *ud)
{
	atomic64_inc(&ud->n_events);
	uio_event_notify(&ud->info);
}

/* ---- Command ---------------------------------------------------------------- */

/* Clears and sets bits of Command in one read-modify-write. Called with irq_lock held. */
static void uioext_cmd_update_locked(struct uioext_dev *ud, u16 clear, u16 set)
{
	u16 old, cmd;

	pci_read_config_word(ud->pdev, PCI_COMMAND, &old);
	cmd = (old & ~clear) | set;
	if (cmd != old)
		pci_write_config_word(ud->pdev, PCI_COMMAND, cmd);
}

static void uioext_intx_disable(struct uioext_dev *ud)
{
	unsigned long flags;

	spin_lock_irqsave(&ud->irq_lock, flags);
	uioext_cmd_update_locked(ud, 0, PCI_COMMAND_INTX_DISABLE);
	spin_unlock_irqrestore(&ud->irq_lock, flags);
}

/* Turns bus mastering on or off. Called with lock held (see LOCKING). */
static void uioext_master(struct uioext_dev *ud, bool on)
{
	unsigned long flags;

	lockdep_assert_held(&ud->lock);
	spin_lock_irqsave(&ud->irq_lock, flags);
	if (on)
		pci_set_master(ud->pdev);
	else
		pci_clear_master(ud->pdev);
	spin_unlock_irqrestore(&ud->irq_lock, flags);
}

/* ---- INTx ---------------------------------------------------------------- */

static irqreturn_t uioext_intx_handler(int irq, void *arg)
{
	struct uioext_dev *ud = arg;
	unsigned long flags;
	bool mine;

	spin_lock_irqsave(&ud->irq_lock, flags);
	mine = ud->intx_on && pci_check_and_mask_intx(ud->pdev);
	spin_unlock_irqrestore(&ud->irq_lock, flags);
	if (!mine)
		return IRQ_NONE;
	atomic64_inc(&ud->n_irqs);
	uioext_notify(ud);
	return IRQ_HANDLED;
}

/*
 * Unmasks INTx unless the device still asserts it; then the line stays masked and the
 * holder is told again, as if a new interrupt had come. Either way the next unmask is
 * allowed one interval after @from (the time this unmask was due), which keeps a
 * deferred holder at the rate limit, not below it. Called with irq_lock held.
 * Returns true when the holder must be notified.
 */
static bool uioext_intx_unmask_locked(struct uioext_dev *ud, ktime_t from)
{
	u32 interval = ud->rate_limit ? NSEC_PER_SEC / ud->rate_limit : 0;

	ud->next_unmask = ktime_add_ns(from, interval);
	return !pci_check_and_unmask_intx(ud->pdev);
}

static enum hrtimer_restart uioext_unmask_timer_fn(struct hrtimer *t)
{
	struct uioext_dev *ud = container_of(t, struct uioext_dev, unmask_timer);
	unsigned long flags;
	bool notify = false;

	spin_lock_irqsave(&ud->irq_lock, flags);
	if (ud->intx_on && ud->unmask_pending) {
		ud->unmask_pending = false;
		notify = uioext_intx_unmask_locked(ud, hrtimer_get_expires(t));
	}
	spin_unlock_irqrestore(&ud->irq_lock, flags);
	if (notify)
		uioext_notify(ud);
	return HRTIMER_NORESTART;
}

static void uioext_intx_unmask(struct uioext_dev *ud)
{
	unsigned long flags;
	bool notify = false;

	atomic64_inc(&ud->n_unmasks);
	spin_lock_irqsave(&ud->irq_lock, flags);
	if (!ud->intx_on || ud->unmask_pending)
		goto out;
	if (ud->rate_limit && ktime_before(ktime_get(), ud->next_unmask)) {
		ud->unmask_pending = true;
		atomic64_inc(&ud->n_deferred);
		if (!ud->in_storm) {
			ud->in_storm = true;
			atomic64_inc(&ud->n_storms);
		}
		hrtimer_start(&ud->unmask_timer, ud->next_unmask, HRTIMER_MODE_ABS);
		goto out;
	}
	ud->in_storm = false;
	notify = uioext_intx_unmask_locked(ud, ktime_get());
out:
	spin_unlock_irqrestore(&ud->irq_lock, flags);
	if (notify)
		uioext_notify(ud);
}

static void uioext_intx_mask(struct uioext_dev *ud)
{
	unsigned long flags;

	spin_lock_irqsave(&ud->irq_lock, flags);
	ud->unmask_pending = false;
	uioext_cmd_update_locked(ud, 0, PCI_COMMAND_INTX_DISABLE);
	spin_unlock_irqrestore(&ud->irq_lock, flags);
}

/* ---- Polling ------------------------------------------------------------- */

/*
 * One UIO event per elapsed period: a late callback (a busy or virtual CPU) counts the
 * periods it missed, as a timerfd would, so the holder's event count tracks time.
 */
static enum hrtimer_restart uioext_poll_timer_fn(struct hrtimer *t)
{
	struct uioext_dev *ud = container_of(t, struct uioext_dev, poll_timer);
	u64 periods = hrtimer_forward_now(t, ns_to_ktime(ud->poll_ns));

	periods = clamp_val(periods, 1, 1000);
	while (periods--)
		uioext_notify(ud);
	return HRTIMER_RESTART;
}

/* ---- MSI and MSI-X --------------------------------------------------------- */

static irqreturn_t uioext_vec_handler(int irq, void *arg)
{
	struct uioext_vec *v = arg;

	atomic64_inc(&v->ud->n_irqs);
	eventfd_signal(v->trigger, 1);
	return IRQ_HANDLED;
}

/*
 * Frees the vectors and their eventfds, leaving INTx masked: disabling MSI or MSI-X
 * clears DisINTx (pci_intx_for_msi()), and no handler is there for INTx. Called with
 * lock held.
 */
static void uioext_vecs_free(struct uioext_dev *ud)
{
	unsigned int i;

	if (!ud->vecs)
		return;
	for (i = 0; i < ud->nvecs; i++) {
		if (ud->vecs[i].irq > 0)
			free_irq(ud->vecs[i].irq, &ud->vecs[i]);
		if (ud->vecs[i].trigger)
			eventfd_ctx_put(ud->vecs[i].trigger);
	}
	pci_free_irq_vectors(ud->pdev);
	uioext_intx_disable(ud);
	kfree(ud->vecs);
	ud->vecs = NULL;
	ud->nvecs = 0;
}

/* ---- Interrupt sources, as a whole ------------------------------------------ */

/*
 * Silences every interrupt source at once: INTx masked and no unmask allowed, timers
 * stopped. Handlers and vectors stay installed (bus mastering off also stops MSI) until
 * uioext_irq_stop(), so a revoke does not wait for free_irq(). Called with lock held.
 */
static void uioext_irq_silence(struct uioext_dev *ud)
{
	unsigned long flags;

	spin_lock_irqsave(&ud->irq_lock, flags);
	ud->intx_on = false;
	ud->unmask_pending = false;
	uioext_cmd_update_locked(ud, 0, PCI_COMMAND_INTX_DISABLE);
	spin_unlock_irqrestore(&ud->irq_lock, flags);
	hrtimer_cancel(&ud->unmask_timer);
	hrtimer_cancel(&ud->poll_timer);
}

/* Stops every interrupt source and frees it, leaving INTx masked. Called with lock held. */
static void uioext_irq_stop(struct uioext_dev *ud)
{
	if (!ud->irq_running)
		return;
	ud->irq_running = false;
	uioext_irq_silence(ud);
	if (ud->intx_requested) {
		free_irq(ud->pdev->irq, ud);
		ud->intx_requested = false;
	}
	uioext_vecs_free(ud);
}

/* Starts the configured mode on an open device. Called with lock held. */
static int uioext_irq_start(struct uioext_dev *ud)
{
	unsigned long flags;
	int ret;

	if (ud->irq_running)
		return 0;
	switch (ud->mode) {
	case UIO_EXT_IRQ_INTX:
		ret = request_irq(ud->pdev->irq, uioext_intx_handler, IRQF_SHARED, ud->name, ud);
		if (ret)
			return ret;
		ud->intx_requested = true;
		spin_lock_irqsave(&ud->irq_lock, flags);
		ud->intx_on = true;
		ud->in_storm = false;
		ud->next_unmask = ktime_get();
		uioext_cmd_update_locked(ud, PCI_COMMAND_INTX_DISABLE, 0);
		spin_unlock_irqrestore(&ud->irq_lock, flags);
		break;
	case UIO_EXT_IRQ_POLL:
		uioext_intx_mask(ud);
		hrtimer_start(&ud->poll_timer, ns_to_ktime(ud->poll_ns), HRTIMER_MODE_REL);
		break;
	default:
		/* MSI and MSI-X vectors are set up by UIO_EXT_SET_VECTORS. */
		uioext_intx_mask(ud);
		break;
	}
	ud->irq_running = true;
	return 0;
}

/* ---- Revocation, reset, quiesce ----------------------------------------------- */

/*
 * Removes the user mappings of @len bytes at @start of the device's file offsets (0: to
 * the end), through every inode it is mapped by. Called with rev held for writing.
 */
static void uioext_zap_locked(struct uioext_dev *ud, loff_t start, loff_t len)
{
	struct uioext_mref *m;

	list_for_each_entry(m, &ud->mrefs, node)
		unmap_mapping_range(m->mapping, start, len, 1);
}

/* Called with lock held. */
static void uioext_revoke_locked(struct uioext_dev *ud)
{
	down_write(&ud->rev);
	ud->revoked = true;
	uioext_zap_locked(ud, 0, 0);
	up_write(&ud->rev);
	atomic64_inc(&ud->n_revokes);
	uioext_irq_silence(ud);
	uioext_master(ud, false);
	ud->dma_allowed = false;
	/* Pin fds die; their pins stay until the device is reset (uioext_quiesce()). */
	ud->lease++;
	/* A holder asleep in read() or poll() wakes, touches the device and gets SIGBUS. */
	if (ud->opens)
		uioext_notify(ud);
}

/*
 * Resets the function with the first method that works and restores the clean state
 * saved at probe (bus mastering off, INTx masked). @dev_locked: the caller holds the
 * device lock (.remove); otherwise it is only try-locked (see LOCKING).
 */
static int uioext_reset(struct uioext_dev *ud, bool dev_locked)
{
	struct pci_dev *pdev = ud->pdev;
	unsigned long flags;
	int ret;

	uioext_master(ud, false);
	if (!dev_locked && !pci_dev_trylock(pdev)) {
		atomic64_inc(&ud->n_reset_errors);
		ret = -EAGAIN;
		goto restore;
	}
	/* Decoding and bus mastering off during the reset, as the PCI core does. */
	spin_lock_irqsave(&ud->irq_lock, flags);
	pci_write_config_word(pdev, PCI_COMMAND, PCI_COMMAND_INTX_DISABLE);
	spin_unlock_irqrestore(&ud->irq_lock, flags);
	ret = __pci_reset_function_locked(pdev);
	if (ret)
		atomic64_inc(&ud->n_reset_errors);
	else
		atomic64_inc(&ud->n_resets);
	pci_load_saved_state(pdev, ud->saved);
	pci_restore_state(pdev);
	if (!dev_locked)
		pci_dev_unlock(pdev);
	return ret;

restore:
	pci_load_saved_state(pdev, ud->saved);
	pci_restore_state(pdev);
	return ret;
}

/* Gives back the write-combining memtype of every WC BAR. Called with rev held for writing. */
static void uioext_wc_free_locked(struct uioext_dev *ud)
{
	int bar;

	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++)
		if (ud->wc_bars & BIT(bar))
			arch_io_free_memtype_wc(pci_resource_start(ud->pdev, bar),
						pci_resource_len(ud->pdev, bar));
	ud->wc_bars = 0;
}

/* Frees every DMA buffer; the device must be quiesced. Called with lock held. */
static void uioext_bufs_free(struct uioext_dev *ud)
{
	struct uioext_buf *b, *tmp;

	down_write(&ud->rev);
	uioext_zap_locked(ud, 0, 0);
	list_for_each_entry_safe(b, tmp, &ud->bufs, node) {
		list_del(&b->node);
		dma_free_coherent(&ud->pdev->dev, b->size, b->cpu, b->bus);
		kfree(b);
	}
	/* The next lease starts uncached. */
	uioext_wc_free_locked(ud);
	up_write(&ud->rev);
	ud->dma_used = 0;
	ud->dma_next = 0;
}

/* The widest DMA mask the platform takes; a lease may narrow it (UIO_EXT_SET_DMA). */
static void uioext_default_dma_mask(struct pci_dev *pdev)
{
	if (dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64)))
		dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(32));
}

/*
 * Releases the pins made through the pin fd @owner (0: every pin). The device must be
 * idle: reset with bus mastering off, or never opened since. Records the reset count and
 * whether bus mastering was on, so that a test can tell the order. Called with lock held.
 */
static void uioext_pins_release(struct uioext_dev *ud, u64 owner)
{
	struct uioext_pin *p;
	unsigned long pfn;
	u16 cmd = 0;

	lockdep_assert_held(&ud->lock);
	if (xa_empty(&ud->pins))
		return;
	pci_read_config_word(ud->pdev, PCI_COMMAND, &cmd);
	xa_for_each(&ud->pins, pfn, p) {
		if (owner && p->owner != owner)
			continue;
		xa_erase(&ud->pins, pfn);
		unpin_user_page(p->page);
		atomic64_sub(p->npages, &p->mm->pinned_vm);
		mmdrop(p->mm);
		ud->pinned_bytes -= (u64)p->npages << PAGE_SHIFT;
		ud->npins--;
		ud->pins_released++;
		if (cmd & PCI_COMMAND_MASTER)
			ud->release_master++;
		kfree(p);
	}
	ud->release_resets = atomic64_read(&ud->n_resets);
}

/*
 * Makes the device idle: no interrupts, no bus mastering, reset to the clean state,
 * then the DMA buffers freed and the pins released. Called with lock held.
 */
static int uioext_quiesce(struct uioext_dev *ud, bool dev_locked)
{
	int ret;

	uioext_irq_stop(ud);
	uioext_master(ud, false);
	ud->dma_allowed = false;
	ud->lease++;
	ret = uioext_reset(ud, dev_locked);
	uioext_bufs_free(ud);
	uioext_pins_release(ud, 0);
	uioext_default_dma_mask(ud->pdev);
	return ret;
}

/* ---- UIO callbacks ----------------------------------------------------------- */

static int uioext_open(struct uio_info *info, struct inode *inode)
{
	struct uioext_dev *ud = info->priv;
	int ret = 0;

	mutex_lock(&ud->lock);
	if (ud->revoked || ud->removed) {
		ret = -EPERM;
		goto out;
	}
	if (ud->opens == 0) {
		ret = uioext_reset(ud, false);
		if (ret == -EAGAIN)
			goto out;
		ret = uioext_irq_start(ud);
		if (ret)
			goto out;
	}
	ud->opens++;
out:
	mutex_unlock(&ud->lock);
	return ret;
}

static int uioext_release(struct uio_info *info, struct inode *inode)
{
	struct uioext_dev *ud = info->priv;

	mutex_lock(&ud->lock);
	if (!WARN_ON(ud->opens == 0) && --ud->opens == 0 && !ud->removed)
		uioext_quiesce(ud, false);
	mutex_unlock(&ud->lock);
	return 0;
}

static int uioext_irqcontrol(struct uio_info *info, s32 on)
{
	struct uioext_dev *ud = info->priv;

	if (READ_ONCE(ud->revoked))
		return -EPERM;
	if (READ_ONCE(ud->mode) != UIO_EXT_IRQ_INTX)
		return 0;
	if (on)
		uioext_intx_unmask(ud);
	else
		uioext_intx_mask(ud);
	return 0;
}

/* ---- Mappings ---------------------------------------------------------------- */

/* The entry for @mapping, or NULL. Called with rev held. */
static struct uioext_mref *uioext_mref_find(struct uioext_dev *ud, struct address_space *mapping)
{
	struct uioext_mref *m;

	list_for_each_entry(m, &ud->mrefs, node)
		if (m->mapping == mapping)
			return m;
	return NULL;
}

/* A VMA copied by fork() or split: one more of its address_space. */
static void uioext_vm_open(struct vm_area_struct *vma)
{
	struct uioext_dev *ud = vma->vm_private_data;
	struct uioext_mref *m;

	kref_get(&ud->kref);
	down_write(&ud->rev);
	m = uioext_mref_find(ud, vma->vm_file->f_mapping);
	if (!WARN_ON_ONCE(!m))
		m->vmas++;
	up_write(&ud->rev);
}

/*
 * Called once the VMA's page table entries are gone and it has left the i_mmap tree,
 * before its file is put: the last VMA of an address_space drops the entry while the
 * inode still lives.
 */
static void uioext_vm_close(struct vm_area_struct *vma)
{
	struct uioext_dev *ud = vma->vm_private_data;
	struct uioext_mref *m;

	down_write(&ud->rev);
	m = uioext_mref_find(ud, vma->vm_file->f_mapping);
	if (!WARN_ON_ONCE(!m) && --m->vmas == 0) {
		list_del(&m->node);
		kfree(m);
	}
	up_write(&ud->rev);
	uioext_put(ud);
}

static bool uioext_in_hole(struct uioext_dev *ud, int bar, unsigned long page)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ud->holes); i++)
		if (ud->holes[i].bar == bar && page >= ud->holes[i].first &&
		    page <= ud->holes[i].last)
			return true;
	return false;
}

/* The PFN behind a page of the "dma" map, or 0. Called with rev held. */
static unsigned long uioext_dma_pfn(struct uioext_dev *ud, unsigned long page)
{
	struct uioext_buf *b;

	void *va;

	list_for_each_entry(b, &ud->bufs, node) {
		if (b->dead || page < b->page || page >= b->page + (b->size >> PAGE_SHIFT))
			continue;
		va = b->cpu + ((page - b->page) << PAGE_SHIFT);
		return is_vmalloc_addr(va) ? vmalloc_to_pfn(va) : page_to_pfn(virt_to_page(va));
	}
	return 0;
}

static vm_fault_t uioext_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct uioext_dev *ud = vma->vm_private_data;
	unsigned int mi = vmf->pgoff >> UIOEXT_MAP_SHIFT;
	unsigned long page = vmf->pgoff & UIOEXT_PAGE_MASK;
	unsigned long pfn = 0;
	vm_fault_t ret = VM_FAULT_SIGBUS;
	int bar;

	down_read(&ud->rev);
	if (ud->revoked || mi >= MAX_UIO_MAPS)
		goto out;
	if (mi == ud->dma_map) {
		pfn = uioext_dma_pfn(ud, page);
	} else {
		bar = ud->map_bar[mi];
		if (bar >= 0 && page < (pci_resource_len(ud->pdev, bar) >> PAGE_SHIFT) &&
		    !uioext_in_hole(ud, bar, page))
			pfn = (pci_resource_start(ud->pdev, bar) >> PAGE_SHIFT) + page;
	}
	if (pfn)
		ret = vmf_insert_pfn(vma, vmf->address, pfn);
out:
	up_read(&ud->rev);
	return ret;
}

static const struct vm_operations_struct uioext_vm_ops = {
	.open = uioext_vm_open,
	.close = uioext_vm_close,
	.fault = uioext_fault,
};

/*
 * Called by the UIO core with info_lock and mmap_lock held, once it has checked that
 * vm_pgoff names a map and the length fits. No page is mapped here: faults do it, so
 * that every page table entry is made under rev after the VMA is visible to
 * unmap_mapping_range().
 */
static int uioext_mmap(struct uio_info *info, struct vm_area_struct *vma)
{
	struct uioext_dev *ud = info->priv;
	struct address_space *mapping = vma->vm_file->f_mapping;
	unsigned long mi = vma->vm_pgoff;
	struct uioext_mref *m, *new;
	bool wc = false;
	int ret = 0;

	if (is_cow_mapping(vma->vm_flags))
		return -EINVAL;
	new = kzalloc(sizeof(*new), GFP_KERNEL);
	if (!new)
		return -ENOMEM;
	down_write(&ud->rev);
	if (ud->revoked) {
		ret = -EPERM;
		goto out;
	}
	/*
	 * Every inode the device is mapped through is zapped on revoke; the VMA joins its
	 * i_mmap tree only after this returns, which is why pages come from faults.
	 */
	m = uioext_mref_find(ud, mapping);
	if (!m) {
		m = new;
		new = NULL;
		m->mapping = mapping;
		list_add_tail(&m->node, &ud->mrefs);
	}
	m->vmas++;
	/* Fixed while any mapping lives: UIO_EXT_SET_WC refuses then. */
	wc = mi < MAX_UIO_MAPS && ud->map_bar[mi] >= 0 && (ud->wc_bars & BIT(ud->map_bar[mi]));
out:
	up_write(&ud->rev);
	kfree(new);
	if (ret)
		return ret;

	vma->vm_flags |= VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP;
	if (mi != ud->dma_map)
		vma->vm_page_prot = wc ? pgprot_writecombine(vma->vm_page_prot) :
					 pgprot_noncached(vma->vm_page_prot);
	vma->vm_pgoff = mi << UIOEXT_MAP_SHIFT;
	vma->vm_private_data = ud;
	vma->vm_ops = &uioext_vm_ops;
	kref_get(&ud->kref);
	return 0;
}

/* ---- Control device ---------------------------------------------------------- */

/*
 * The largest DMA buffer: what the page allocator hands out in one piece. Larger ones
 * would need several pieces, which a device addressing one buffer cannot use.
 */
#define UIOEXT_DMA_BUF_MAX	((size_t)MAX_ORDER_NR_PAGES << PAGE_SHIFT)

/* An ioctl's argument, in kernel memory: copied in before lock is taken, out after. */
union uioext_ioc_arg {
	struct uio_ext_irq irq;
	struct uio_ext_vectors vectors;
	struct uio_ext_dma dma;
	struct uio_ext_dma_buf buf;
	struct uio_ext_status status;
	struct uio_ext_pin_fd pin_fd;
	u32 on;			/* SET_MASTER; SET_WC: the BARs */
	u64 offset;
};

static int uioext_set_irq(struct uioext_dev *ud, const struct uio_ext_irq *req)
{
	switch (req->mode) {
	case UIO_EXT_IRQ_NONE:
		break;
	case UIO_EXT_IRQ_INTX:
		if (!ud->intx_ok)
			return -ENODEV;
		break;
	case UIO_EXT_IRQ_POLL:
		if (req->poll_ns < UIOEXT_POLL_MIN_NS || req->poll_ns > UIOEXT_POLL_MAX_NS)
			return -ERANGE;
		break;
	default:
		return -EINVAL;
	}
	if (req->rate_limit > NSEC_PER_SEC)
		return -ERANGE;
	uioext_irq_stop(ud);
	WRITE_ONCE(ud->mode, req->mode);
	ud->rate_limit = req->rate_limit;
	ud->poll_ns = req->poll_ns;
	if (ud->opens && !ud->revoked)
		return uioext_irq_start(ud);
	return 0;
}

/* @fds: the eventfds, already copied in. */
static int uioext_set_vectors(struct uioext_dev *ud, const struct uio_ext_vectors *req,
			      const s32 *fds)
{
	struct uioext_vec *vecs;
	unsigned int i, flags;
	int ret;

	flags = req->type == UIO_EXT_IRQ_MSI ? PCI_IRQ_MSI : PCI_IRQ_MSIX;
	if (!ud->dma_allowed)
		return -EPERM;	/* an MSI is a DMA write */
	if (!ud->opens || ud->revoked)
		return -ENODEV;

	uioext_irq_stop(ud);
	WRITE_ONCE(ud->mode, UIO_EXT_IRQ_NONE);
	ret = uioext_irq_start(ud);
	if (ret || !req->count)
		return ret;

	vecs = kcalloc(req->count, sizeof(*vecs), GFP_KERNEL);
	if (!vecs)
		return -ENOMEM;
	ud->vecs = vecs;
	ud->nvecs = req->count;
	for (i = 0; i < req->count; i++) {
		vecs[i].ud = ud;
		vecs[i].trigger = eventfd_ctx_fdget(fds[i]);
		if (IS_ERR(vecs[i].trigger)) {
			ret = PTR_ERR(vecs[i].trigger);
			vecs[i].trigger = NULL;
			goto err_free;
		}
	}
	ret = pci_alloc_irq_vectors(ud->pdev, req->count, req->count, flags);
	if (ret < 0)
		goto err_free;
	uioext_master(ud, true);
	for (i = 0; i < req->count; i++) {
		snprintf(vecs[i].name, sizeof(vecs[i].name), "%s[%u]", ud->name, i);
		ret = request_irq(pci_irq_vector(ud->pdev, i), uioext_vec_handler, 0,
				  vecs[i].name, &vecs[i]);
		if (ret)
			goto err_free;
		vecs[i].irq = pci_irq_vector(ud->pdev, i);
	}
	WRITE_ONCE(ud->mode, req->type);
	return 0;

err_free:
	uioext_vecs_free(ud);
	return ret;
}

static int uioext_set_dma(struct uioext_dev *ud, const struct uio_ext_dma *req)
{
	int ret;

	if (req->mask_bits && (req->mask_bits < 24 || req->mask_bits > 64))
		return -EINVAL;
	if (req->limit > (u64)ud->dma_pages << PAGE_SHIFT)
		return -ERANGE;
	if (!req->allow) {
		uioext_master(ud, false);
		ud->dma_allowed = false;
		return 0;
	}
	if (ud->dma_map == UIOEXT_NO_MAP)
		return -EOPNOTSUPP;
	if (req->mask_bits) {
		ret = dma_set_mask_and_coherent(&ud->pdev->dev, DMA_BIT_MASK(req->mask_bits));
		if (ret)
			return ret;
	}
	ud->dma_limit = req->limit;
	ud->dma_allowed = true;
	return 0;
}

/* Whether a map shows @bar to the holder. */
static bool uioext_bar_mapped(struct uioext_dev *ud, int bar)
{
	unsigned int mi;

	for (mi = 0; mi < MAX_UIO_MAPS; mi++)
		if (ud->map_bar[mi] == bar)
			return true;
	return false;
}

/*
 * Maps the BARs in @bars write-combining from the next mmap on: their range's memtype is
 * reserved as WC, which the fault handler's vmf_insert_pfn() then finds (x86 PAT). Only
 * prefetchable BARs, where merged and reordered writes are allowed, and only while nothing
 * maps the device, so that no range is mapped with two cache modes.
 */
static int uioext_set_wc(struct uioext_dev *ud, u32 bars)
{
	int bar, ret = 0;

	if (bars & ~GENMASK(PCI_STD_NUM_BARS - 1, 0))
		return -EINVAL;
	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++)
		if ((bars & BIT(bar)) &&
		    (!(pci_resource_flags(ud->pdev, bar) & IORESOURCE_PREFETCH) ||
		     !uioext_bar_mapped(ud, bar)))
			return -EINVAL;
	down_write(&ud->rev);
	if (!list_empty(&ud->mrefs)) {
		ret = -EBUSY;
		goto out;
	}
	uioext_wc_free_locked(ud);
	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++) {
		if (!(bars & BIT(bar)))
			continue;
		ret = arch_io_reserve_memtype_wc(pci_resource_start(ud->pdev, bar),
						 pci_resource_len(ud->pdev, bar));
		if (ret) {
			uioext_wc_free_locked(ud);
			goto out;
		}
		ud->wc_bars |= BIT(bar);
	}
out:
	up_write(&ud->rev);
	return ret;
}

static int uioext_set_master(struct uioext_dev *ud, u32 on)
{
	if (!on) {
		uioext_master(ud, false);
		return 0;
	}
	if (!ud->dma_allowed)
		return -EPERM;
	if (!ud->opens || ud->revoked)
		return -ENODEV;
	uioext_master(ud, true);
	return 0;
}

static int uioext_dma_alloc(struct uioext_dev *ud, struct uio_ext_dma_buf *req)
{
	struct uioext_buf *b;
	size_t size;

	if (!ud->dma_allowed)
		return -EPERM;
	if (!req->size)
		return -EINVAL;
	if (req->size > UIOEXT_DMA_BUF_MAX)
		return -E2BIG;
	size = PAGE_ALIGN(req->size);
	if (ud->dma_used + size > ud->dma_limit ||
	    ud->dma_next + (size >> PAGE_SHIFT) > ud->dma_pages)
		return -ENOSPC;
	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	/* No warning when memory is too fragmented for the buffer: the caller hears ENOMEM. */
	b->cpu = dma_alloc_coherent(&ud->pdev->dev, size, &b->bus, GFP_KERNEL | __GFP_NOWARN);
	if (!b->cpu) {
		kfree(b);
		return -ENOMEM;
	}
	b->size = size;
	b->page = ud->dma_next;
	down_write(&ud->rev);
	list_add_tail(&b->node, &ud->bufs);
	up_write(&ud->rev);
	ud->dma_next += size >> PAGE_SHIFT;
	ud->dma_used += size;

	req->offset = (u64)b->page << PAGE_SHIFT;
	req->bus_addr = b->bus;
	req->map_index = ud->dma_map;
	req->pad = 0;
	return 0;
}

/* Unmaps a buffer now; its memory is freed once the device is quiesced. */
static int uioext_dma_free(struct uioext_dev *ud, u64 offset)
{
	struct uioext_buf *b;
	int ret = -ENOENT;

	down_write(&ud->rev);
	list_for_each_entry(b, &ud->bufs, node) {
		if (b->dead || (u64)b->page << PAGE_SHIFT != offset)
			continue;
		b->dead = true;
		uioext_zap_locked(ud, (loff_t)(((u64)ud->dma_map << UIOEXT_MAP_SHIFT) +
					       b->page) << PAGE_SHIFT, b->size);
		ret = 0;
		break;
	}
	up_write(&ud->rev);
	return ret;
}

/* ---- Pins ------------------------------------------------------------------------ */

/*
 * Binds the pin fd to the caller's mm on its first pin; a pin from any other mm (the fd
 * passed to another process, or inherited across fork()) is refused.
 */
static int uioext_pin_bind_mm(struct uioext_pinctx *ctx)
{
	struct mm_struct *mm = current->mm;

	if (!mm)
		return -EPERM;
	if (!READ_ONCE(ctx->mm)) {
		mmgrab(mm);
		if (cmpxchg(&ctx->mm, NULL, mm))
			mmdrop(mm);
	}
	return READ_ONCE(ctx->mm) == mm ? 0 : -EPERM;
}

/*
 * Memory the device may be given: anonymous memory (private file mappings included, which
 * FOLL_WRITE copies), shmem and hugetlb. Not I/O or PFN mappings (a BAR), not DAX, not the
 * page cache of a shared file mapping, whose writeback a long-term pin would stall.
 */
static int uioext_pin_vma_ok(struct vm_area_struct *vma)
{
	if (vma->vm_flags & (VM_IO | VM_PFNMAP))
		return -EOPNOTSUPP;
	if (vma_is_dax(vma))
		return -EOPNOTSUPP;
	if (is_vm_hugetlb_page(vma) || vma_is_anonymous(vma) || !(vma->vm_flags & VM_SHARED))
		return 0;
	if (vma->vm_file && shmem_mapping(vma->vm_file->f_mapping))
		return 0;
	return -EOPNOTSUPP;
}

/*
 * Pins the page (a whole hugetlb page in a hugetlb mapping) holding @addr in the
 * caller's mm, which must be @mm. Takes mmap_lock and no lock of ours (see LOCKING).
 */
static int uioext_pin_user(struct mm_struct *mm, unsigned long addr, struct page **ret_page,
			   unsigned long *ret_start, unsigned long *ret_size)
{
	struct vm_area_struct *vma;
	unsigned long size, start;
	struct page *page;
	long n;
	int ret;

	if (!access_ok((void __user *)addr, 1))
		return -EFAULT;
	if (mmap_read_lock_killable(mm))
		return -EINTR;
	vma = vma_lookup(mm, addr);
	ret = vma ? uioext_pin_vma_ok(vma) : -EFAULT;
	if (ret)
		goto out;
	size = is_vm_hugetlb_page(vma) ? huge_page_size(hstate_vma(vma)) : PAGE_SIZE;
	start = ALIGN_DOWN(addr, size);
	n = pin_user_pages(start, 1, FOLL_WRITE | FOLL_LONGTERM, &page, NULL);
	if (n != 1) {
		ret = n < 0 ? n : -EFAULT;
		goto out;
	}
	*ret_page = page;
	*ret_start = start;
	*ret_size = size;
out:
	mmap_read_unlock(mm);
	return ret;
}

/* The bus address of @size bytes at @page, if the device reaches all of them directly. */
static int uioext_pin_bus(struct uioext_dev *ud, struct page *page, unsigned long size,
			  dma_addr_t *ret_bus)
{
	struct device *dev = &ud->pdev->dev;
	u64 limit = min_not_zero(dma_get_mask(dev), dev->bus_dma_limit);
	dma_addr_t bus = phys_to_dma(dev, page_to_phys(page));

	if (bus == DMA_MAPPING_ERROR || bus + size - 1 < bus || bus + size - 1 > limit)
		return -ERANGE;
	*ret_bus = bus;
	return 0;
}

/*
 * Records a new pin of @page for @ctx, charged to @mm's RLIMIT_MEMLOCK (mm->pinned_vm,
 * as RDMA does) and to the device's limit. Returns 1 if the page was pinned already: the
 * caller then drops its own pin. Called with lock held.
 */
static int uioext_pin_add_locked(struct uioext_dev *ud, struct uioext_pinctx *ctx,
				 struct uioext_pin *p)
{
	unsigned long pfn = page_to_pfn(p->page);
	unsigned long lock_limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	int ret;

	if (ud->removed)
		return -ENODEV;
	if (ctx->lease != ud->lease || ud->revoked || !ud->dma_allowed)
		return -EPERM;
	if (xa_load(&ud->pins, pfn))
		return 1;
	if (ud->pinned_bytes + ((u64)p->npages << PAGE_SHIFT) > ud->pin_limit)
		return -ENOSPC;
	if (atomic64_add_return(p->npages, &p->mm->pinned_vm) > lock_limit &&
	    !capable(CAP_IPC_LOCK)) {
		atomic64_sub(p->npages, &p->mm->pinned_vm);
		return -ENOMEM;
	}
	ret = xa_insert(&ud->pins, pfn, p, GFP_KERNEL);
	if (ret) {
		atomic64_sub(p->npages, &p->mm->pinned_vm);
		return ret;
	}
	mmgrab(p->mm);
	ud->pinned_bytes += (u64)p->npages << PAGE_SHIFT;
	ud->npins++;
	return 0;
}

static int uioext_pin(struct uioext_pinctx *ctx, struct uio_ext_pin *req)
{
	struct uioext_dev *ud = ctx->ud;
	unsigned long start, size;
	struct uioext_pin *p;
	struct page *page;
	dma_addr_t bus;
	int ret;

	if (req->vaddr != (unsigned long)req->vaddr)
		return -EFAULT;
	ret = uioext_pin_bind_mm(ctx);
	if (ret)
		return ret;
	p = kzalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);
	if (!p)
		return -ENOMEM;
	ret = uioext_pin_user(ctx->mm, req->vaddr, &page, &start, &size);
	if (ret)
		goto err_free;
	ret = uioext_pin_bus(ud, page, size, &bus);
	if (ret)
		goto err_unpin;
	p->page = page;
	p->mm = ctx->mm;
	p->npages = size >> PAGE_SHIFT;
	p->owner = ctx->id;
	mutex_lock(&ud->lock);
	ret = uioext_pin_add_locked(ud, ctx, p);
	mutex_unlock(&ud->lock);
	if (ret < 0)
		goto err_unpin;
	if (ret > 0) {
		/* Pinned already, by this device: ours is one pin too many. */
		unpin_user_page(page);
		kfree(p);
	}
	req->page_vaddr = start;
	req->page_size = size;
	req->bus_addr = bus;
	return 0;

err_unpin:
	unpin_user_page(page);
err_free:
	kfree(p);
	return ret;
}

static long uioext_pin_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct uio_ext_pin __user *uarg = (void __user *)arg;
	struct uio_ext_pin req;
	int ret;

	if (cmd != UIO_EXT_PIN)
		return -ENOTTY;
	if (copy_from_user(&req, uarg, sizeof(req)))
		return -EFAULT;
	ret = uioext_pin(file->private_data, &req);
	/* A pin whose result cannot be written stays: the same call finds it again. */
	if (!ret && copy_to_user(uarg, &req, sizeof(req)))
		return -EFAULT;
	return ret;
}

/*
 * The pin fd's last close. Its pins stay while the device may still use them: only a
 * device that is not open (reset at its last release, bus mastering off) lets them go
 * now; otherwise the quiesce of the last release or of removal does.
 */
static int uioext_pin_release(struct inode *inode, struct file *file)
{
	struct uioext_pinctx *ctx = file->private_data;
	struct uioext_dev *ud = ctx->ud;

	mutex_lock(&ud->lock);
	if (!ud->opens)
		uioext_pins_release(ud, ctx->id);
	mutex_unlock(&ud->lock);
	if (ctx->mm)
		mmdrop(ctx->mm);
	kfree(ctx);
	uioext_put(ud);
	return 0;
}

static const struct file_operations uioext_pin_fops = {
	.owner = THIS_MODULE,
	.release = uioext_pin_release,
	.unlocked_ioctl = uioext_pin_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

/*
 * UIO_EXT_PIN_FD: a new pin fd for the device's current lease, which only DMA makes
 * useful; without it the holder must not learn where its pages are.
 */
static int uioext_pin_fd(struct uioext_dev *ud, const struct uio_ext_pin_fd *req)
{
	struct device *dev = &ud->pdev->dev;
	struct uioext_pinctx *ctx;
	int ret = 0;

	if (req->flags || req->pad)
		return -EINVAL;
	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	mutex_lock(&ud->lock);
	if (ud->removed) {
		ret = -ENODEV;
	} else if (ud->revoked || !ud->dma_allowed) {
		ret = -EPERM;
	} else if (get_dma_ops(dev) || is_swiotlb_force_bounce(dev)) {
		/* Bus addresses are not physical ones (an IOMMU), or DMA would bounce. */
		ret = -EOPNOTSUPP;
	} else {
		ud->pin_limit = req->limit;
		ctx->lease = ud->lease;
		ctx->id = ++ud->pinctx_ids;
		ctx->ud = ud;
		kref_get(&ud->kref);
	}
	mutex_unlock(&ud->lock);
	if (ret) {
		kfree(ctx);
		return ret;
	}
	ret = anon_inode_getfd("[uio-ext-pin]", &uioext_pin_fops, ctx, O_RDWR | O_CLOEXEC);
	if (ret < 0) {
		kfree(ctx);
		uioext_put(ud);
	}
	return ret;
}

static void uioext_status(struct uioext_dev *ud, struct uio_ext_status *st)
{
	struct uioext_buf *b;
	u16 cmd = 0;

	memset(st, 0, sizeof(*st));
	/* Once removed, the function is no longer ours to read (it may be gone, or another's). */
	if (!ud->removed)
		pci_read_config_word(ud->pdev, PCI_COMMAND, &cmd);
	st->uio_index = ud->minor;
	st->flags = (ud->revoked ? UIO_EXT_F_REVOKED : 0) |
		    (ud->removed ? UIO_EXT_F_REMOVED : 0) |
		    (ud->dma_allowed ? UIO_EXT_F_DMA : 0) |
		    (cmd & PCI_COMMAND_MASTER ? UIO_EXT_F_MASTER : 0) |
		    (cmd & PCI_COMMAND_INTX_DISABLE ? UIO_EXT_F_INTX_MASKED : 0) |
		    (ud->intx_ok ? UIO_EXT_F_INTX_OK : 0);
	st->opens = ud->opens;
	st->mode = ud->mode;
	st->rate_limit = ud->rate_limit;
	st->vectors = ud->nvecs;
	st->poll_ns = ud->poll_ns;
	st->irqs = atomic64_read(&ud->n_irqs);
	st->events = atomic64_read(&ud->n_events);
	st->unmasks = atomic64_read(&ud->n_unmasks);
	st->deferred = atomic64_read(&ud->n_deferred);
	st->storms = atomic64_read(&ud->n_storms);
	st->revokes = atomic64_read(&ud->n_revokes);
	st->resets = atomic64_read(&ud->n_resets);
	st->reset_errors = atomic64_read(&ud->n_reset_errors);
	st->dma_used = ud->dma_used;
	st->dma_limit = ud->dma_limit;
	st->dma_window = (u64)ud->dma_pages << PAGE_SHIFT;
	st->dma_map = ud->dma_map;
	st->pinned_bytes = ud->pinned_bytes;
	st->pin_limit = ud->pin_limit;
	st->pins_released = ud->pins_released;
	st->release_resets = ud->release_resets;
	st->pins = ud->npins;
	st->release_master = ud->release_master;
	down_read(&ud->rev);
	list_for_each_entry(b, &ud->bufs, node)
		st->dma_buffers++;
	up_read(&ud->rev);
}

static int uioext_attach(struct file *file, struct uio_ext_attach __user *arg)
{
	struct uio_ext_attach req;
	struct uioext_dev *ud;
	int ret = -ENODEV;

	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	if (req.flags)
		return -EINVAL;
	mutex_lock(&uioext_devs_lock);
	if (file->private_data) {
		ret = -EBUSY;
		goto out;
	}
	list_for_each_entry(ud, &uioext_devs, node) {
		if (ud->info.uio_dev->minor == req.uio_index) {
			kref_get(&ud->kref);
			file->private_data = ud;
			ret = 0;
			break;
		}
	}
out:
	mutex_unlock(&uioext_devs_lock);
	return ret;
}

/* Runs one command on the device, with its argument in kernel memory. Called with lock held. */
static int uioext_ctl_locked(struct uioext_dev *ud, unsigned int cmd, union uioext_ioc_arg *a,
			     const s32 *fds)
{
	/* The counters of a removed device stay readable: they tell how its end went. */
	if (cmd == UIO_EXT_GET_STATUS) {
		uioext_status(ud, &a->status);
		return 0;
	}
	if (ud->removed)
		return -ENODEV;
	switch (cmd) {
	case UIO_EXT_REVOKE:
		uioext_revoke_locked(ud);
		return 0;
	case UIO_EXT_GRANT:
		if (ud->opens)
			return -EBUSY;
		down_write(&ud->rev);
		ud->revoked = false;
		up_write(&ud->rev);
		/* Not open, so idle: the last lease's pins can go. */
		uioext_pins_release(ud, 0);
		return 0;
	case UIO_EXT_SET_IRQ:
		return uioext_set_irq(ud, &a->irq);
	case UIO_EXT_SET_VECTORS:
		return uioext_set_vectors(ud, &a->vectors, fds);
	case UIO_EXT_SET_DMA:
		return uioext_set_dma(ud, &a->dma);
	case UIO_EXT_SET_MASTER:
		return uioext_set_master(ud, a->on);
	case UIO_EXT_SET_WC:
		return uioext_set_wc(ud, a->on);
	case UIO_EXT_DMA_ALLOC:
		return uioext_dma_alloc(ud, &a->buf);
	case UIO_EXT_DMA_FREE:
		return uioext_dma_free(ud, a->offset);
	}
	return -ENOTTY;
}

static long uioext_ctl_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	s32 fds[UIO_EXT_MAX_VECTORS];
	union uioext_ioc_arg a;
	struct uioext_dev *ud;
	long ret;

	switch (cmd) {
	case UIO_EXT_ATTACH:
		return uioext_attach(file, uarg);
	case UIO_EXT_REVOKE:
	case UIO_EXT_GRANT:
	case UIO_EXT_SET_IRQ:
	case UIO_EXT_SET_VECTORS:
	case UIO_EXT_SET_DMA:
	case UIO_EXT_SET_MASTER:
	case UIO_EXT_DMA_ALLOC:
	case UIO_EXT_DMA_FREE:
	case UIO_EXT_GET_STATUS:
	case UIO_EXT_SET_WC:
	case UIO_EXT_PIN_FD:
		break;
	default:
		return -ENOTTY;
	}
	BUILD_BUG_ON(_IOC_SIZE(UIO_EXT_GET_STATUS) > sizeof(a));

	mutex_lock(&uioext_devs_lock);
	ud = file->private_data;
	mutex_unlock(&uioext_devs_lock);
	if (!ud)
		return -ENXIO;

	/* User memory only outside ud->lock (see LOCKING). */
	if ((_IOC_DIR(cmd) & _IOC_WRITE) && copy_from_user(&a, uarg, _IOC_SIZE(cmd)))
		return -EFAULT;
	if (cmd == UIO_EXT_SET_VECTORS) {
		if (a.vectors.type != UIO_EXT_IRQ_MSI && a.vectors.type != UIO_EXT_IRQ_MSIX)
			return -EINVAL;
		if (a.vectors.count > UIO_EXT_MAX_VECTORS)
			return -E2BIG;
		if (copy_from_user(fds, u64_to_user_ptr(a.vectors.fds),
				   a.vectors.count * sizeof(fds[0])))
			return -EFAULT;
	}
	/* It takes the lock itself: the new fd is installed without it. */
	if (cmd == UIO_EXT_PIN_FD)
		return uioext_pin_fd(ud, &a.pin_fd);

	mutex_lock(&ud->lock);
	ret = uioext_ctl_locked(ud, cmd, &a, fds);
	mutex_unlock(&ud->lock);

	if (!ret && (_IOC_DIR(cmd) & _IOC_READ) && copy_to_user(uarg, &a, _IOC_SIZE(cmd))) {
		ret = -EFAULT;
		/* Nobody learnt where the new buffer is: give it back. */
		if (cmd == UIO_EXT_DMA_ALLOC) {
			mutex_lock(&ud->lock);
			uioext_dma_free(ud, a.buf.offset);
			mutex_unlock(&ud->lock);
		}
	}
	return ret;
}

static int uioext_ctl_open(struct inode *inode, struct file *file)
{
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	/* misc_open() left the miscdevice here; we keep the attached device instead. */
	file->private_data = NULL;
	return 0;
}

static int uioext_ctl_release(struct inode *inode, struct file *file)
{
	if (file->private_data)
		uioext_put(file->private_data);
	return 0;
}

static const struct file_operations uioext_ctl_fops = {
	.owner = THIS_MODULE,
	.open = uioext_ctl_open,
	.release = uioext_ctl_release,
	.unlocked_ioctl = uioext_ctl_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice uioext_ctl = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = UIO_EXT_CTL_NAME,
	.fops = &uioext_ctl_fops,
	.mode = 0600,
};

/* ---- PCI driver ---------------------------------------------------------------- */

/* Finds the pages of the MSI-X table and PBA, which are never mapped. */
static void uioext_find_holes(struct uioext_dev *ud)
{
	struct pci_dev *pdev = ud->pdev;
	u32 table, pba;
	u16 flags;
	u64 start, len;

	ud->holes[0].bar = -1;
	ud->holes[1].bar = -1;
	if (!pdev->msix_cap)
		return;
	pci_read_config_word(pdev, pdev->msix_cap + PCI_MSIX_FLAGS, &flags);
	pci_read_config_dword(pdev, pdev->msix_cap + PCI_MSIX_TABLE, &table);
	pci_read_config_dword(pdev, pdev->msix_cap + PCI_MSIX_PBA, &pba);

	start = table & PCI_MSIX_TABLE_OFFSET;
	len = ((flags & PCI_MSIX_FLAGS_QSIZE) + 1) * PCI_MSIX_ENTRY_SIZE;
	ud->holes[0].bar = table & PCI_MSIX_TABLE_BIR;
	ud->holes[0].first = start >> PAGE_SHIFT;
	ud->holes[0].last = (start + len - 1) >> PAGE_SHIFT;

	start = pba & PCI_MSIX_PBA_OFFSET;
	len = DIV_ROUND_UP((flags & PCI_MSIX_FLAGS_QSIZE) + 1, 64) * 8;
	ud->holes[1].bar = pba & PCI_MSIX_PBA_BIR;
	ud->holes[1].first = start >> PAGE_SHIFT;
	ud->holes[1].last = (start + len - 1) >> PAGE_SHIFT;
}

/* Describes the memory BARs (whole pages only) and the "dma" map to the UIO core. */
static void uioext_setup_maps(struct uioext_dev *ud)
{
	struct pci_dev *pdev = ud->pdev;
	static const char * const names[] = { "BAR0", "BAR1", "BAR2", "BAR3", "BAR4", "BAR5" };
	unsigned int n = 0;
	int bar;

	for (bar = 0; bar < PCI_STD_NUM_BARS && n < MAX_UIO_MAPS; bar++) {
		resource_size_t start = pci_resource_start(pdev, bar);
		resource_size_t len = pci_resource_len(pdev, bar);

		if (!(pci_resource_flags(pdev, bar) & IORESOURCE_MEM) || !len)
			continue;
		/* A partial page would expose whatever shares it. */
		if (!PAGE_ALIGNED(start) || !PAGE_ALIGNED(len)) {
			pci_info(pdev, "BAR%d: %pa bytes at %pa, not whole pages: not mappable\n",
				 bar, &len, &start);
			continue;
		}
		ud->info.mem[n].name = names[bar];
		ud->info.mem[n].addr = start;
		ud->info.mem[n].size = len;
		ud->info.mem[n].memtype = UIO_MEM_PHYS;
		ud->map_bar[n++] = bar;
	}
	ud->dma_map = UIOEXT_NO_MAP;
	if (n < MAX_UIO_MAPS && dma_window_mb) {
		/* No address here: sysfs maps are world-readable. */
		ud->dma_pages = ((unsigned long)dma_window_mb << 20) >> PAGE_SHIFT;
		ud->info.mem[n].name = "dma";
		ud->info.mem[n].size = (resource_size_t)ud->dma_pages << PAGE_SHIFT;
		ud->info.mem[n].memtype = UIO_MEM_NONE;
		ud->map_bar[n] = -1;
		ud->dma_map = n;
	}
}

static int uioext_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct uioext_dev *ud;
	unsigned int i;
	int ret;

	ud = kzalloc(sizeof(*ud), GFP_KERNEL);
	if (!ud)
		return -ENOMEM;
	kref_init(&ud->kref);
	ud->pdev = pci_dev_get(pdev);
	mutex_init(&ud->lock);
	init_rwsem(&ud->rev);
	spin_lock_init(&ud->irq_lock);
	INIT_LIST_HEAD(&ud->bufs);
	INIT_LIST_HEAD(&ud->mrefs);
	INIT_LIST_HEAD(&ud->node);
	xa_init(&ud->pins);
	hrtimer_init(&ud->unmask_timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	ud->unmask_timer.function = uioext_unmask_timer_fn;
	hrtimer_init(&ud->poll_timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	ud->poll_timer.function = uioext_poll_timer_fn;
	for (i = 0; i < MAX_UIO_MAPS; i++)
		ud->map_bar[i] = -1;
	snprintf(ud->name, sizeof(ud->name), "uio_ext:%s", pci_name(pdev));

	ret = pci_enable_device(pdev);
	if (ret)
		goto err_put;
	ret = pci_request_regions(pdev, DRIVER_NAME);
	if (ret)
		goto err_disable;

	/* Nothing of a previous owner survives: no DMA, no INTx until a holder opens. */
	pci_clear_master(pdev);
	pci_intx(pdev, 0);
	ud->intx_ok = pdev->irq && pci_intx_mask_supported(pdev);
	ud->mode = ud->intx_ok ? UIO_EXT_IRQ_INTX : UIO_EXT_IRQ_NONE;
	uioext_default_dma_mask(pdev);

	pci_save_state(pdev);
	ud->saved = pci_store_saved_state(pdev);
	if (!ud->saved) {
		ret = -ENOMEM;
		goto err_release;
	}

	uioext_find_holes(ud);
	uioext_setup_maps(ud);
	ud->info.name = DRIVER_NAME;
	ud->info.version = DRIVER_VERSION;
	ud->info.irq = UIO_IRQ_CUSTOM;
	ud->info.priv = ud;
	ud->info.mmap = uioext_mmap;
	ud->info.open = uioext_open;
	ud->info.release = uioext_release;
	ud->info.irqcontrol = uioext_irqcontrol;
	ret = uio_register_device(&pdev->dev, &ud->info);
	if (ret)
		goto err_release;

	ud->minor = ud->info.uio_dev->minor;
	pci_set_drvdata(pdev, ud);
	mutex_lock(&uioext_devs_lock);
	list_add_tail(&ud->node, &uioext_devs);
	mutex_unlock(&uioext_devs_lock);
	pci_info(pdev, "uio%d, INTx %s, %s\n", ud->info.uio_dev->minor,
		 ud->intx_ok ? "maskable" : "unusable",
		 ud->dma_map == UIOEXT_NO_MAP ? "no DMA map" : "DMA map");
	return 0;

err_release:
	pci_release_regions(pdev);
err_disable:
	pci_disable_device(pdev);
err_put:
	uioext_put(ud);
	return ret;
}

static void uioext_remove(struct pci_dev *pdev)
{
	struct uioext_dev *ud = pci_get_drvdata(pdev);

	mutex_lock(&uioext_devs_lock);
	list_del_init(&ud->node);
	mutex_unlock(&uioext_devs_lock);

	/* Holders lose their mappings first; the UIO core then ends their files. */
	mutex_lock(&ud->lock);
	uioext_revoke_locked(ud);
	ud->removed = true;
	mutex_unlock(&ud->lock);

	uio_unregister_device(&ud->info);

	/* No UIO callback runs any more: release will not come for files still open. */
	mutex_lock(&ud->lock);
	uioext_quiesce(ud, true);
	mutex_unlock(&ud->lock);

	pci_release_regions(pdev);
	pci_disable_device(pdev);
	pci_set_drvdata(pdev, NULL);
	uioext_put(ud);
}

static struct pci_driver uioext_driver = {
	.name = DRIVER_NAME,
	.id_table = NULL,	/* driver_override only */
	.probe = uioext_probe,
	.remove = uioext_remove,
};

static int __init uioext_init(void)
{
	int ret;

	ret = misc_register(&uioext_ctl);
	if (ret)
		return ret;
	ret = pci_register_driver(&uioext_driver);
	if (ret)
		misc_deregister(&uioext_ctl);
	return ret;
}

static void __exit uioext_exit(void)
{
	pci_unregister_driver(&uioext_driver);
	misc_deregister(&uioext_ctl);
}

module_init(uioext_init);
module_exit(uioext_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The udrv authors");
MODULE_DESCRIPTION("Hardened UIO driver for PCI functions lent to user space");
MODULE_VERSION(DRIVER_VERSION);
