/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /proc/self/pagemap entries made from bus addresses: what the preload answers DPDK's
 * rte_mem_virt2phy() (open, lseek to va / getpagesize() * 8, read 8 bytes). */
#include <errno.h>
#include <string.h>

#include "dpdk-pagemap.h"

uint64_t pagemap_entry(uint64_t bus, size_t page_size)
{
	return PAGEMAP_PRESENT | ((bus / page_size) & PAGEMAP_PFN_MASK);
}

ssize_t pagemap_read(void *buf, size_t len, uint64_t offset, size_t page_size,
		     pagemap_lookup_fn lookup, void *userdata)
{
	uint8_t *out = buf;

	/* The kernel's pagemap_read(): "if ((*ppos % PM_ENTRY_BYTES) || (count %
	 * PM_ENTRY_BYTES)) return -EINVAL". */
	if (offset % PAGEMAP_ENTRY_SIZE || len % PAGEMAP_ENTRY_SIZE || page_size == 0 ||
	    (page_size & (page_size - 1)))
		return -EINVAL;
	for (size_t i = 0; i < len / PAGEMAP_ENTRY_SIZE; i++) {
		uint64_t vpn = offset / PAGEMAP_ENTRY_SIZE + i, bus = 0, entry = 0;
		int r;

		if (vpn > UINT64_MAX / page_size)
			return -EINVAL;
		r = lookup(vpn * page_size, &bus, userdata);
		if (r == 0)
			entry = pagemap_entry(bus, page_size);
		else if (r != -EFAULT)
			return r;
		memcpy(out + i * PAGEMAP_ENTRY_SIZE, &entry, sizeof(entry));
	}
	return (ssize_t)len;
}
