/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the uio_ext VM test programs (uioext-test.c, uioext-attack.c): PASS/FAIL
 * lines for record_lines, the control device, holders that drop to uid 1000, edu's registers.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

#include <linux/uio_ext.h>

/* QEMU edu (docs/specs/edu.rst), BAR0, 32-bit registers. */
enum {
	EDU_ID = 0x00,
	EDU_LIVE = 0x04, /* reads back the inverse of what was written */
	EDU_IRQ_STATUS = 0x24,
	EDU_IRQ_RAISE = 0x60,
	EDU_IRQ_ACK = 0x64,
	EDU_DMA_SRC = 0x80,
	EDU_DMA_DST = 0x88,
	EDU_DMA_COUNT = 0x90,
	EDU_DMA_CMD = 0x98,
};
#define EDU_DEV_BUF 0x40000u
#define EDU_BAR 0x100000u

/* The uapi header's __u64 is unsigned long long: one type for every 64-bit count here. */
typedef unsigned long long u64;

#define HOLDER_UID 1000
extern unsigned failures; /* FAIL lines printed so far */
extern long page_size;

__attribute__((format(printf, 3, 4))) void result(bool ok, const char *desc, const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void info(const char *fmt, ...);
/* Prints a FAIL line naming WHAT and errno, exits 2. */
__attribute__((noreturn)) void die(const char *what);
u64 now_ns(void);
int cmp_u64(const void *a, const void *b);
/* Waits for a child; returns its status as "exit code", or 128+signal. */
int reap(pid_t pid);

/* Control side (root): a control fd attached to /dev/uioIDX, its status, its interrupt mode. */
int ctl_open(unsigned idx);
struct uio_ext_status status_of(int ctl);
void set_irq(int ctl, uint32_t mode, uint32_t rate, u64 poll_ns);
int uio_open(unsigned idx);
/* Command as read from the function's sysfs config file. */
uint16_t config_command(const char *slot);
int write_file(const char *path, const char *s);

/* Holder side (uid 1000). Drops to the holder's uid, keeping only the fds in KEEP (and 0..2). */
void become_holder(const int *keep, unsigned n);
volatile uint32_t *map_region(int fd, unsigned map, size_t len);
/* One INTx round trip on edu: raise, wait for the UIO event, ack, unmask with write(1). */
int edu_roundtrip(int fd, volatile uint32_t *r);
