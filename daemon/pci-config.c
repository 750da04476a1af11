/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Config-space access with exact-size reads and writes, little-endian registers. */
#include <endian.h>

#include "macro.h"
#include "pci-config.h"

int pci_config_read(int fd, unsigned off, void *buf, size_t len)
{
	ssize_t n = pread(fd, buf, len, off);

	if (n < 0)
		return negative_errno();
	return (size_t)n == len ? 0 : -EIO;
}

int pci_config_write(int fd, unsigned off, const void *buf, size_t len)
{
	ssize_t n = pwrite(fd, buf, len, off);

	if (n < 0)
		return negative_errno();
	return (size_t)n == len ? 0 : -EIO;
}

int pci_config_read16(int fd, unsigned off, uint16_t *ret)
{
	uint16_t v;
	int r = pci_config_read(fd, off, &v, sizeof(v));

	if (r < 0)
		return r;
	*ret = le16toh(v);
	return 0;
}

int pci_config_write16(int fd, unsigned off, uint16_t v)
{
	uint16_t le = htole16(v);

	return pci_config_write(fd, off, &le, sizeof(le));
}

int pci_config_update_command(int fd, uint16_t set, uint16_t clear)
{
	uint16_t cmd, want;
	int r = pci_config_read16(fd, PCI_CFG_COMMAND, &cmd);

	if (r < 0)
		return r;
	want = (uint16_t)((cmd & ~clear) | set);
	return want == cmd ? 0 : pci_config_write16(fd, PCI_CFG_COMMAND, want);
}

int pci_config_restore_header(int fd, const uint8_t saved[PCI_CFG_HEADER_SIZE])
{
	uint16_t cmd = (uint16_t)(saved[PCI_CFG_COMMAND] | saved[PCI_CFG_COMMAND + 1] << 8);
	int r;

	/* Decoding off while BARs change, as the kernel does when it restores state. */
	r = pci_config_update_command(fd, 0, PCI_CMD_IO | PCI_CMD_MEMORY | PCI_CMD_MASTER);
	if (r < 0)
		return r;
	r = pci_config_write(fd, PCI_CFG_BAR0, saved + PCI_CFG_BAR0, 6 * 4);
	if (r < 0)
		return r;
	r = pci_config_write(fd, PCI_CFG_ROM, saved + PCI_CFG_ROM, 4);
	if (r < 0)
		return r;
	r = pci_config_write(fd, PCI_CFG_CACHE_LINE, saved + PCI_CFG_CACHE_LINE, 2);
	if (r < 0)
		return r;
	r = pci_config_write(fd, PCI_CFG_INTERRUPT_LINE, saved + PCI_CFG_INTERRUPT_LINE, 1);
	if (r < 0)
		return r;
	return pci_config_write16(fd, PCI_CFG_COMMAND, (uint16_t)(cmd & ~PCI_CMD_MASTER));
}

bool pci_config_has_cap(const uint8_t *img, size_t len, uint8_t id)
{
	/* Dword-aligned capabilities between the header and the end of legacy config space. */
	const unsigned max = (256 - PCI_CFG_HEADER_SIZE) / 4;
	unsigned pos;

	if (len <= PCI_CAP_PTR || !(img[PCI_CFG_STATUS] & PCI_STATUS_CAP_LIST))
		return false;
	pos = img[PCI_CAP_PTR] & 0xfc;
	for (unsigned n = 0; n < max && pos >= PCI_CFG_HEADER_SIZE && pos + 1 < len; n++) {
		if (img[pos] == id)
			return true;
		pos = img[pos + 1] & 0xfc;
	}
	return false;
}
