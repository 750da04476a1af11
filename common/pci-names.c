/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Wraps libpci's name lookup. libpci's default error handler calls exit(); ours jumps back
 * to the lookup and makes it fail instead, so a broken pci.ids never ends the program. */
#include <pci/pci.h>
#include <setjmp.h>
#include <stdarg.h>

#include "log.h"
#include "macro.h"
#include "pci-names.h"

struct pci_names {
	struct pci_access *pacc;
	char buf[256];
};

/* libpci calls the hooks without a context pointer; lookups are single-threaded. */
static jmp_buf *lookup_jmp;

_noreturn_ static void names_error(char *msg, ...)
{
	va_list ap;
	char line[256];

	va_start(ap, msg);
	vsnprintf(line, sizeof(line), msg, ap);
	va_end(ap);
	log_debug("libpci: %s", line);
	if (lookup_jmp)
		longjmp(*lookup_jmp, 1);
	/* An error outside a lookup (none is known): never let libpci exit. */
	abort();
}

static void names_warning(char *msg, ...)
{
	va_list ap;
	char line[256];

	va_start(ap, msg);
	vsnprintf(line, sizeof(line), msg, ap);
	va_end(ap);
	log_debug("libpci: %s", line);
}

static void names_debug(char *msg, ...)
{
}

int pci_names_new(struct pci_names **ret)
{
	struct pci_names *n = calloc(1, sizeof(*n));

	if (!n)
		return -ENOMEM;
	n->pacc = pci_alloc();
	if (!n->pacc) {
		free(n);
		return -ENOMEM;
	}
	n->pacc->error = names_error;
	n->pacc->warning = names_warning;
	n->pacc->debug = names_debug;
	*ret = n;
	return 0;
}

struct pci_names *pci_names_free(struct pci_names *n)
{
	if (n) {
		pci_cleanup(n->pacc);
		free(n);
	}
	return NULL;
}

void pci_names_freep(struct pci_names **n)
{
	pci_names_free(*n);
}

static const char *lookup(struct pci_names *n, int flags, unsigned a, unsigned b)
{
	jmp_buf jb;
	const char *s;

	if (setjmp(jb)) {
		lookup_jmp = NULL;
		return NULL;
	}
	lookup_jmp = &jb;
	s = pci_lookup_name(n->pacc, n->buf, sizeof(n->buf),
			    flags | PCI_LOOKUP_NO_NUMBERS | PCI_LOOKUP_NO_HWDB, a, b);
	lookup_jmp = NULL;
	return s;
}

const char *pci_names_vendor(struct pci_names *n, uint16_t vendor)
{
	return lookup(n, PCI_LOOKUP_VENDOR, vendor, 0);
}

const char *pci_names_device(struct pci_names *n, uint16_t vendor, uint16_t device)
{
	return lookup(n, PCI_LOOKUP_DEVICE, vendor, device);
}

const char *pci_names_class(struct pci_names *n, uint32_t class)
{
	return lookup(n, PCI_LOOKUP_CLASS, (class >> 8) & 0xffff, 0);
}
