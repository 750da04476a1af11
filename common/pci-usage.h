/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tells whether the system is using a PCI function: an up network interface, a mounted disk. */
#pragma once

/* DFD is the function's sysfs directory. *RET is a sentence naming the user, or NULL when
 * nothing was found. */
int pci_usage_describe(const char *root, int dfd, char **ret);
