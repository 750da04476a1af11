/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reads and writes a function's config space through its sysfs `config` file (udrvd's own
 * writable fd; clients never get one). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCI_CFG_COMMAND 0x04
#define PCI_CFG_STATUS 0x06
#define PCI_STATUS_CAP_LIST 0x10
#define PCI_CMD_IO 0x0001
#define PCI_CMD_MEMORY 0x0002
#define PCI_CMD_MASTER 0x0004
#define PCI_CMD_INTX_DISABLE 0x0400
#define PCI_CFG_HEADER_SIZE 64
#define PCI_CFG_BAR0 0x10
#define PCI_CFG_ROM 0x30
#define PCI_CFG_CACHE_LINE 0x0c
#define PCI_CAP_PTR 0x34
#define PCI_CFG_INTERRUPT_LINE 0x3c
#define PCI_CFG_INTERRUPT_PIN 0x3d

int pci_config_read(int fd, unsigned off, void *buf, size_t len);
int pci_config_write(int fd, unsigned off, const void *buf, size_t len);
int pci_config_read16(int fd, unsigned off, uint16_t *ret);
int pci_config_write16(int fd, unsigned off, uint16_t v);
/* Command = (Command & ~CLEAR) | SET, written only when it changes. */
int pci_config_update_command(int fd, uint16_t set, uint16_t clear);
/* Writes back the writable parts of a saved type-0 header (BARs, ROM, cache line, latency,
 * interrupt line, then Command without bus mastering). Status and IDs are never written. */
int pci_config_restore_header(int fd, const uint8_t saved[PCI_CFG_HEADER_SIZE]);

/* Whether the standard capability list of IMG (LEN bytes of config space from offset 0) holds
 * capability ID. Pure; bounded by LEN and by the number of capabilities that fit, so a looping
 * or broken list ends the walk. */
bool pci_config_has_cap(const uint8_t *img, size_t len, uint8_t id);
