/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libudrv: the client library a user-space PCI driver links to obtain and use a udrvd lease. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Conventions: every int function returns 0 (or a documented non-negative value) on success
 * and a negative errno on failure; out-parameters are written only on success. The library
 * never prints; udrv_set_log_func() hands its messages to the caller.
 *
 * Threads: calls on one device may come from any number of threads. Requests to udrvd over the
 * lease's ctl channel (config reads and writes among them) are serialized by a mutex per
 * device; udrv_bar_read() and udrv_bar_write() take no lock. udrv_close() must not race with
 * other calls on the same device.
 *
 * The lease ends when udrv_close() closes the last copy of its ctl channel (process death
 * included), on udrv_release(), or when udrvd ends it. Once the library has seen the end, every
 * call on the device except udrv_close() fails with -ENOLINK. BAR mappings stay in the address
 * space until udrv_close() unmaps them, but the device behind them is no longer yours.
 */

struct udrv_device;

/* Number of BAR indices a PCI function has (0..5). */
#define UDRV_BAR_MAX 6

/* Why udrv_open_error() failed. NAME is the D-Bus error name udrvd returned
 * ("org.udrv.Error.Denied", ...) or "" when the failure happened on this side; MESSAGE is one
 * printable line: udrvd's reason verbatim, or what went wrong here. Both are NUL-terminated,
 * truncated if needed, and both are cleared when the call starts. */
struct udrv_error {
	char name[128];
	char message[512];
};

/*
 * Obtains the lease on SLOT ("DDDD:BB:DD.F" or "BB:DD.F", any hex case) and returns a device.
 * SLOT may be NULL when the environment names one (UDRV_SLOT, see below).
 *
 * Inherited lease: when the environment holds UDRV_SLOT naming the same function (after
 * normalization), the lease that `udrvctl grant SLOT -- CMD` passed down is adopted: UDRV_FDS
 * fds from fd 3 upwards, named by UDRV_FDNAMES ("ctl:config:bar0:...:irq", in fd order). Every
 * name and the count are checked, as is each fd (open; ctl a SOCK_SEQPACKET socket); an
 * inconsistent environment fails with -EINVAL (bad variables) or -EBADF (bad fds) instead of
 * falling back to udrvd. After adopting, the library marks the fds close-on-exec and unsets
 * UDRV_SLOT, UDRV_FDS and UDRV_FDNAMES, as sd_listen_fds(3) does with its unset flag:
 *   - a program the driver later runs (system(), exec) neither keeps the lease alive nor
 *     mistakes unrelated fds 3.. for one;
 *   - a worker made with fork() and no exec shares the parent's struct udrv_device, its fds
 *     and mappings, and needs no second udrv_open(); but its ctl channel is the same socket,
 *     so parent and worker must not issue ctl requests (irq_enable, config_write, ping,
 *     release) concurrently: the mutex is per process. Let one process talk to udrvd.
 * unsetenv() is not thread-safe: call udrv_open() before starting threads that read the
 * environment. With UDRV_SLOT naming another function, the environment is left alone.
 *
 * Otherwise it connects to udrvd at $UDRV_SOCKET, or at $UDRV_ROOT/run/udrvd/udrvd.sock
 * ($UDRV_ROOT defaults to "/"), and calls Acquire. udrvd's refusals map to:
 *   -EACCES  org.udrv.Error.Denied (policy says no)
 *   -EBUSY   org.udrv.Error.Busy (leased by someone) and .InUse (used by the kernel: an up
 *            interface, a mounted disk); tell them apart with udrv_error.name
 *   -ENODEV  org.udrv.Error.NoDevice
 *   -EINVAL  org.udrv.Error.InvalidSlot, or a bad SLOT refused here before connecting
 *   -EIO     org.udrv.Error.Failed (udrvd could not prepare the device)
 *   -EPROTO  udrvd's reply did not follow the protocol
 * and a daemon that is not running gives the connect() error (-ENOENT, -ECONNREFUSED).
 */
int udrv_open(const char *slot, struct udrv_device **ret);

/* udrv_open(), and on failure fills ERROR (may be NULL) with the reason to show a user. */
int udrv_open_error(const char *slot, struct udrv_device **ret, struct udrv_error *error);

/* Unmaps the BARs and closes this process's copies of the lease's fds. NULL is allowed. */
void udrv_close(struct udrv_device *dev);

/* The function's normalized slot, "DDDD:BB:DD.F". */
const char *udrv_device_slot(struct udrv_device *dev);

/* What udrvd reported about the lease: "backend" (uio), "irq" (intx, poll, none), "dma"
 * (off, on), "reset" (the method that ran, or "fallback"), "policy" (the deciding file).
 * NULL for an unknown key, and always NULL on an inherited lease (the environment does not
 * carry it). The string lives as long as DEV. */
const char *udrv_device_info(struct udrv_device *dev, const char *key);

/* Length of BAR in bytes; -ENOENT when the lease does not include it, -EINVAL for BAR >= 6. */
int udrv_bar_size(struct udrv_device *dev, unsigned bar, size_t *ret_size);

/* Maps the whole BAR shared, readable and writable. Repeated calls return the same mapping;
 * udrv_close() unmaps it. -ENOENT when the lease does not include BAR; -EOPNOTSUPP for an I/O
 * BAR (x86 cannot mmap port I/O: use udrv_bar_read/udrv_bar_write). Access the mapping with
 * volatile loads and stores of the width the device expects. */
int udrv_map_bar(struct udrv_device *dev, unsigned bar, void **ret_addr, size_t *ret_len);

/* pread/pwrite on the BAR's file: the way to reach an I/O BAR (LEN 1, 2 or 4, each one port
 * access). The kernel does not implement them on memory BARs (-EIO or -EINVAL from it).
 * Short transfers fail with -EIO. */
int udrv_bar_read(struct udrv_device *dev, unsigned bar, uint64_t offset, void *buf, size_t len);
int udrv_bar_write(struct udrv_device *dev, unsigned bar, uint64_t offset, const void *buf,
		   size_t len);

/*
 * The interrupt fd, owned by DEV: poll() it for POLLIN, then read it. Two kinds stand behind
 * it (udrv_device_info(dev, "irq_format"); udrv_irq_read() handles both):
 *   "uio32" (irq "intx"): /dev/uioN. read() exactly 4 bytes: a native-endian uint32_t, the
 *     total number of interrupts the function has raised since the kernel bound it (not
 *     since the last read). INTx stays masked after each interrupt until udrv_irq_enable()
 *     or udrv_irq_enable_async(): acknowledge the cause in the device first, then re-enable.
 *   "eventfd64" (irq "poll"): a timerfd that expires every PollInterval=. read() exactly 8
 *     bytes: a native-endian uint64_t, the wake-ups since the last read. Nothing to re-enable
 *     (udrv_irq_enable() succeeds and does nothing): poll the device's own status.
 * -ENOENT when the lease has no interrupt.
 * On a VFIO lease (fds "vfio-device" and "vfio-container", or node mode) this is
 * udrv_irq_vector_fd(dev, 0): an "eventfd64" fd, see there.
 */
int udrv_irq_fd(struct udrv_device *dev);

/*
 * Interrupt vectors, on either backend. A VFIO lease uses the best interrupt the function has:
 * MSI-X, else MSI, else INTx; a UIO lease has one vector, 0, its udrv_irq_fd().
 *
 * udrv_irq_vectors() gives the number of vectors. udrv_irq_vector_fd() returns VECTOR's fd,
 * owned by DEV; on a VFIO lease the first call enables every vector at once, each signalling
 * its own eventfd (later calls return the same fds). Each is "eventfd64": poll() it for
 * POLLIN, then read() exactly 8 bytes, a uint64_t, the interrupts since the previous read
 * (udrv_irq_read() does this for vector 0). MSI and MSI-X vectors need no re-enabling; INTx
 * stays masked after each interrupt until udrv_irq_enable(), as on UIO. -ENOENT for a vector
 * the function does not have.
 */
int udrv_irq_vectors(struct udrv_device *dev, unsigned *ret_n);
int udrv_irq_vector_fd(struct udrv_device *dev, unsigned vector);

/* Reads the irq fd once (blocking unless the caller made it non-blocking) and returns its
 * count as described above: the running total for uio32, wake-ups since the last read for
 * eventfd64. */
int udrv_irq_read(struct udrv_device *dev, uint64_t *ret_count);

/* Asks udrvd to unmask INTx (clear Command.INTx Disable) and waits for its answer. */
int udrv_irq_enable(struct udrv_device *dev);

/* The same request without waiting: 0 once it is sent. It goes through the lease's unmask
 * eventfd (one write(), the fast path) when udrvd gave one ("irq-unmask"), else as a
 * no-reply ctl request. A failure on udrvd's side is not reported. udrvd rate-limits both
 * paths (IrqRateLimit=): past the limit INTx stays masked for 100 ms at a time. */
int udrv_irq_enable_async(struct udrv_device *dev);

/* Reads LEN (1..4096) bytes of config space at OFFSET as the holder is shown it. On a UIO lease
 * udrvd answers (a round trip): the device's registers, with what udrvd virtualizes (BARs and
 * ROM, whose sizing it emulates, the interrupt line, PCIe Max Payload Size) read back as the
 * holder wrote them. On a VFIO lease vfio-pci's virtualized view. -EIO past the end of config
 * space (256 bytes for conventional PCI functions). */
int udrv_config_read(struct udrv_device *dev, unsigned offset, void *buf, size_t len);

/* Writes LEN (1..4096) bytes at OFFSET. On a UIO lease udrvd answers -EPERM, and changes
 * nothing, when the write would change a bit the holder may not change (IDs, Status, MSI, MSI-X,
 * power state, Link Control, bus mastering unless DMA=unsafe, anything no capability claims
 * unless ConfigWrite= opens it); bits written with their current value are ignored. What is
 * allowed reaches the device (Command's decoding, cache line, PCIe Device Control) or udrvd's
 * shadow (BARs, ROM, interrupt line); clearing INTx Disable is an udrv_irq_enable(); Initiate
 * FLR resets the function. On a VFIO lease vfio-pci decides. -EINVAL past 4096, -EIO past the
 * end of the function's config space. */
int udrv_config_write(struct udrv_device *dev, unsigned offset, const void *buf, size_t len);

/*
 * DMA memory, on a VFIO lease: LEN bytes of zeroed memory the device may read and write, and
 * nothing else. The memory is memfd-backed and shared (a fork() does not copy the pages the
 * device sees), in 2 MiB hugepages when LEN is at least 2 MiB and the system has free ones,
 * else in 4 KiB pages; LEN is rounded up to whole pages. It is mapped into the lease's IOMMU
 * container; *RET_IOVA is the address to give the device, *RET_VADDR the CPU's. IOVAs are the
 * lowest free ones from 1 MiB up, so a device with a narrow DMA mask (QEMU's edu: 28 bits)
 * reaches them while the buffers add up to less than its limit. A DMA to any address that is
 * not a live buffer of DEV faults in the IOMMU.
 * The pages are pinned and count against the process's RLIMIT_MEMLOCK (udrvd raises it to the
 * policy's MemlockLimit=); beyond it the call fails with -ENOMEM. On a uio-ext lease with
 * DMA=unsafe the buffer is the uio_ext module's (coherent memory, mapped from the holder's
 * /dev/uioN), *RET_IOVA its bus address (no IOMMU: the device can reach all memory), bounded by
 * MemlockLimit= and the module's window; -EPERM without DMA=unsafe. -EOPNOTSUPP on a
 * uio_pci_generic lease, -ENOLINK once the lease has ended.
 */
int udrv_dma_alloc(struct udrv_device *dev, size_t len, void **ret_vaddr, uint64_t *ret_iova);

/* Pins the page that holds ADDR, an address of the calling process's own writable memory,
 * for the device, and tells the address the device uses for ADDR (*RET_BUS) and the size of
 * that page (*RET_PAGE_SIZE: the base page size, or the hugepage size in a hugetlb mapping);
 * the page is physically contiguous, so ADDR's bus address grows with it to the page's end.
 * Either pointer may be NULL. Only on a uio-ext lease with DMA=unsafe (its "dma-pin" fd):
 * what unmodified DPDK needs for physical addresses without an IOMMU. Pinning a page again
 * is free. There is no unpin: the page stays pinned (its memory cannot be moved or freed,
 * even after munmap() or exit) until the uio_ext module has reset the device at the end of
 * the lease, so that the device never writes to memory that was handed back. Pins count
 * against the process's RLIMIT_MEMLOCK (-ENOMEM beyond it; udrvd raises it to the policy's
 * MemlockLimit=) and against MemlockLimit= for the lease (-ENOSPC). -EFAULT for an address
 * that is not mapped writable in this process, -EOPNOTSUPP for memory that cannot be pinned
 * (a BAR or other device mapping, DAX, a shared mapping of an ordinary file), -ERANGE for a
 * page beyond the device's DMA mask, -EPERM without DMA=unsafe, after a revoke, or in a
 * process other than the first that pinned through the lease's fd (the fd is bound to that
 * process's memory, even across fork()); -ENODEV once udrvd took the function back (a revoke
 * unbinds it); -EOPNOTSUPP on a VFIO or uio_pci_generic lease
 * (VFIO: udrv_dma_alloc()), -ENOLINK once the lease has ended.
 */
int udrv_dma_pin(struct udrv_device *dev, void *addr, uint64_t *ret_bus, size_t *ret_page_size);

/* Unmaps a buffer from the device (stop the device using it first), then frees it. VADDR is
 * what udrv_dma_alloc() returned; -ENOENT when it is not a buffer of DEV. udrv_close() frees
 * the buffers left. */
int udrv_dma_free(struct udrv_device *dev, void *vaddr);

/* A round trip to udrvd that does nothing: measures the ctl channel. */
int udrv_ping(struct udrv_device *dev);

/* Ends the lease now, for every process holding it; DEV must still be closed. */
int udrv_release(struct udrv_device *dev);

/* Receives the library's messages: PRIORITY is a syslog level (LOG_ERR .. LOG_DEBUG), MESSAGE
 * one line without a newline. Process-wide; NULL (the default) discards them. Set it before
 * other calls: changing it while other threads call into the library is safe, but a message
 * may still reach the previous function. FUNC may run with a device's mutex held: it must not
 * call back into the library. */
typedef void (*udrv_log_func_t)(int priority, const char *message, void *userdata);
void udrv_set_log_func(udrv_log_func_t func, void *userdata);

#ifdef __cplusplus
}
#endif
