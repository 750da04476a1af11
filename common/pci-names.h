/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Vendor, device and class names from libpci's ID database, never exiting on errors. */
#pragma once

#include <stdint.h>

struct pci_names;

int pci_names_new(struct pci_names **ret);
struct pci_names *pci_names_free(struct pci_names *n);
void pci_names_freep(struct pci_names **n);

/* Each returns a pointer into the object's buffer, valid until the next call, or NULL when
 * the database has no name. */
const char *pci_names_vendor(struct pci_names *n, uint16_t vendor);
const char *pci_names_device(struct pci_names *n, uint16_t vendor, uint16_t device);
const char *pci_names_class(struct pci_names *n, uint32_t class);
