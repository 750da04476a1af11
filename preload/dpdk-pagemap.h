/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /proc/self/pagemap entries made from bus addresses (Documentation/admin-guide/mm/pagemap.rst).
 * Pure: the address lookup is the caller's. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PAGEMAP_ENTRY_SIZE 8
#define PAGEMAP_PRESENT (UINT64_C(1) << 63)
#define PAGEMAP_PFN_MASK ((UINT64_C(1) << 55) - 1) /* bits 0-54 */

/* The entry of a present page at BUS, in frames of PAGE_SIZE (a power of two). */
uint64_t pagemap_entry(uint64_t bus, size_t page_size);

/* VA's bus address (0 or -errno). -EFAULT: nothing mapped there, the entry reads "not
 * present" as the kernel's does; any other error fails the read. */
typedef int (*pagemap_lookup_fn)(uint64_t va, uint64_t *ret_bus, void *userdata);

/* Fills BUF with the LEN bytes of pagemap at OFFSET, as read() or pread() of the kernel's file
 * would (OFFSET and LEN multiples of 8, else -EINVAL; entry k is the page at virtual address
 * k * PAGE_SIZE). Returns LEN or -errno. */
ssize_t pagemap_read(void *buf, size_t len, uint64_t offset, size_t page_size,
		     pagemap_lookup_fn lookup, void *userdata);
