/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `udrvctl list`: one line (or one JSON object) per PCI function. */
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>

#include "log.h"
#include "pci-device.h"
#include "pci-names.h"
#include "strv.h"
#include "policy.h"
#include "udrv-internal.h"
#include "udrvctl.h"

struct device_list {
	struct pci_device **dev;
	size_t n;
	struct udrvd_lease_info *leases; /* NULL when udrvd is not running */
	size_t n_leases;
	struct policy_set *policy; /* NULL when the policy files cannot be read */
	bool uio_ext;		   /* the uio_ext module is loaded (Backend=auto) */
	struct policy_cred cred;   /* the caller */
};

static void device_list_done(struct device_list *l)
{
	pci_device_list_free(l->dev, l->n);
	free(l->leases);
	policy_set_free(l->policy);
	policy_cred_done(&l->cred);
}

/* Loads policy as udrvd would, to show the caller's verdict; quietly skipped when the
 * files cannot be read (`udrvctl policy check` says why). */
static void read_policy(const struct udrvctl_ctx *ctx, struct device_list *l)
{
	_cleanup_strv_free_ char **dirs = NULL;
	struct policy_report rep = {};

	if (policy_search_path(ctx->root, &dirs) < 0 ||
	    policy_cred_from_uid(getuid(), &l->cred) < 0)
		return;
	if (policy_set_load(dirs, &l->policy, &rep) < 0)
		l->policy = NULL;
	if (rep.n_errors > 0)
		log_notice("some policy files have errors; 'udrvctl policy check' lists them.");
	policy_report_done(&rep);
}

/* 1 granted, 0 denied, -1 unknown; RET (may be NULL) gets the decision. */
static int verdict(const struct device_list *l, const struct pci_device *d,
		   struct policy_decision *ret)
{
	struct policy_decision dec = {};
	int granted;

	if (!l->policy || policy_set_decide(l->policy, d, &l->cred, &dec) < 0)
		return -1;
	if (ret) {
		*ret = dec;
		return dec.granted;
	}
	granted = dec.granted;
	policy_decision_done(&dec);
	return granted;
}

static const struct udrvd_lease_info *find_holder(const struct device_list *l, const char *slot)
{
	for (size_t i = 0; i < l->n_leases; i++)
		if (streq(l->leases[i].slot, slot))
			return &l->leases[i];
	return NULL;
}

/* Asks udrvd who holds what; without udrvd every holder column says "-". */
static void read_leases(const struct udrvctl_ctx *ctx, struct device_list *l)
{
	struct udrv_error e = {};

	if (access(ctx->socket, F_OK) < 0)
		return;
	if (udrvd_list_leases(ctx->socket, &l->leases, &l->n_leases, &e) < 0)
		log_warning("cannot ask udrvd for its leases: %s", e.message);
}

static json_object *json_str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static json_object *json_hex(unsigned v, int width)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%0*x", width, v);
	return json_object_new_string(buf);
}

static json_object *json_strv(char **l)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; l && l[i]; i++)
		json_object_array_add(a, json_object_new_string(l[i]));
	return a;
}

static json_object *json_bars(const struct pci_device *d)
{
	json_object *a = json_object_new_array();

	for (int i = 0; i < PCI_NUM_RESOURCES; i++) {
		const struct pci_resource *r = &d->res[i];
		json_object *o;

		if (!pci_resource_size(r))
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "index", json_object_new_int(i));
		json_object_object_add(o, "kind",
				       json_object_new_string(i == PCI_ROM_RESOURCE   ? "rom"
							      : r->flags & PCI_RES_IO ? "io"
										      : "mem"));
		json_object_object_add(o, "start", json_object_new_uint64(r->start));
		json_object_object_add(o, "size", json_object_new_uint64(pci_resource_size(r)));
		json_object_object_add(o, "prefetchable",
				       json_object_new_boolean(!!(r->flags & PCI_RES_PREFETCH)));
		json_object_object_add(o, "64bit",
				       json_object_new_boolean(!!(r->flags & PCI_RES_MEM_64)));
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *holder_to_json(const struct udrvd_lease_info *h)
{
	json_object *o;

	if (!h)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "uid", json_object_new_int64(h->uid));
	json_object_object_add(o, "pid", json_object_new_int64(h->pid));
	json_object_object_add(o, "command", json_object_new_string(h->comm));
	json_object_object_add(o, "since_usec", json_object_new_uint64(h->since_usec));
	return o;
}

/* The backend the matching file's grant would use on D, as udrvd chooses it; NULL without a
 * matching file. *RET_WHY: why, or why it cannot be used. */
static const char *backend_of(const struct device_list *l, const struct pci_device *d,
			      const struct policy_decision *dec, const char **ret_why)
{
	enum policy_backend b;

	if (!dec->file)
		return NULL;
	if (policy_backend_choose(policy_file_get_grant(dec->file), d, l->uio_ext, &b, ret_why) < 0)
		return "none";
	return policy_backend_to_string(b);
}

static json_object *verdict_to_json(const struct device_list *l, const struct pci_device *d)
{
	struct policy_decision dec = {};
	const char *backend, *why = NULL;
	json_object *o;

	if (verdict(l, d, &dec) < 0)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "granted", json_object_new_boolean(dec.granted));
	json_object_object_add(o, "file",
			       dec.file ? json_object_new_string(policy_file_get_name(dec.file))
					: NULL);
	json_object_object_add(o, "reason", json_object_new_string(dec.reason ?: ""));
	backend = backend_of(l, d, &dec, &why);
	json_object_object_add(o, "backend", backend ? json_object_new_string(backend) : NULL);
	json_object_object_add(o, "backend_reason", why ? json_object_new_string(why) : NULL);
	policy_decision_done(&dec);
	return o;
}

static json_object *device_to_json(const struct pci_device *d, struct pci_names *names,
				   const struct udrvd_lease_info *holder, json_object *policy)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "slot", json_object_new_string(d->slot));
	json_object_object_add(o, "vendor", json_hex(d->vendor, 4));
	json_object_object_add(o, "device", json_hex(d->device, 4));
	json_object_object_add(o, "subsystem_vendor", json_hex(d->subsystem_vendor, 4));
	json_object_object_add(o, "subsystem_device", json_hex(d->subsystem_device, 4));
	json_object_object_add(o, "class", json_hex(d->class, 6));
	json_object_object_add(o, "revision", json_hex(d->revision, 2));
	json_object_object_add(o, "vendor_name",
			       json_str_or_null(pci_names_vendor(names, d->vendor)));
	json_object_object_add(o, "device_name",
			       json_str_or_null(pci_names_device(names, d->vendor, d->device)));
	json_object_object_add(o, "class_name", json_str_or_null(pci_names_class(names, d->class)));
	json_object_object_add(o, "driver", json_str_or_null(d->driver));
	json_object_object_add(o, "driver_override", json_str_or_null(d->driver_override));
	json_object_object_add(o, "iommu_group",
			       d->iommu_group >= 0 ? json_object_new_int(d->iommu_group) : NULL);
	json_object_object_add(o, "iommu_group_peers", json_strv(d->group_peers));
	json_object_object_add(o, "reset_methods", json_strv(d->reset_methods));
	json_object_object_add(o, "numa_node", json_object_new_int(d->numa_node));
	json_object_object_add(o, "irq", json_object_new_int(d->irq));
	json_object_object_add(o, "bars", json_bars(d));
	json_object_object_add(o, "in_use", json_str_or_null(d->in_use));
	json_object_object_add(o, "holder", holder_to_json(holder));
	json_object_object_add(o, "policy", policy);
	return o;
}

static int print_json(const struct device_list *l)
{
	_cleanup_(pci_names_freep) struct pci_names *names = NULL;
	json_object *a;

	if (pci_names_new(&names) < 0)
		return log_oom();
	a = json_object_new_array();
	for (size_t i = 0; i < l->n; i++)
		json_object_array_add(a, device_to_json(l->dev[i], names,
							find_holder(l, l->dev[i]->slot),
							verdict_to_json(l, l->dev[i])));
	puts(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PRETTY |
						       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(a);
	return 0;
}

static void print_text_row(const struct pci_device *d, struct pci_names *names,
			   const struct udrvd_lease_info *h, int granted)
{
	_cleanup_free_ char *resets = NULL;
	char id[10], group[16], holder[16] = "-";
	const char *vn = pci_names_vendor(names, d->vendor);
	_cleanup_free_ char *vname = vn ? strdup(vn) : NULL;
	const char *dn = pci_names_device(names, d->vendor, d->device);

	snprintf(id, sizeof(id), "%04x:%04x", d->vendor, d->device);
	if (h)
		snprintf(holder, sizeof(holder), "%u", (unsigned)h->uid);
	if (d->iommu_group >= 0)
		snprintf(group, sizeof(group), "%d", d->iommu_group);
	else
		strcpy(group, "-");
	if (d->reset_methods && d->reset_methods[0])
		resets = strv_join(d->reset_methods, ",");
	printf("%-12s  %-9s  %06x  %-16s  %-5s  %-14s  %-3s  %-6s  %-6s  %s%s%s\n", d->slot, id,
	       d->class, d->driver ? d->driver : "-", group, resets ? resets : "-",
	       d->in_use ? "yes" : "-", holder,
	       granted < 0 ? "-"
	       : granted   ? "yes"
			   : "no",
	       vname ? vname : "?", dn ? " " : "", dn ? dn : "");
}

static int print_text(const struct device_list *l)
{
	_cleanup_(pci_names_freep) struct pci_names *names = NULL;

	if (pci_names_new(&names) < 0)
		return log_oom();
	printf("%-12s  %-9s  %-6s  %-16s  %-5s  %-14s  %-3s  %-6s  %-6s  %s\n", "SLOT", "ID",
	       "CLASS", "DRIVER", "IOMMU", "RESET", "USE", "HOLDER", "POLICY", "NAME");
	for (size_t i = 0; i < l->n; i++)
		print_text_row(l->dev[i], names, find_holder(l, l->dev[i]->slot),
			       verdict(l, l->dev[i], NULL));
	for (size_t i = 0; i < l->n; i++)
		if (l->dev[i]->in_use)
			printf("%s is in use: %s\n", l->dev[i]->slot, l->dev[i]->in_use);
	for (size_t i = 0; i < l->n; i++) {
		struct policy_decision dec = {};
		const char *backend, *why = NULL;

		if (verdict(l, l->dev[i], &dec) == 1 &&
		    (backend = backend_of(l, l->dev[i], &dec, &why)))
			printf("%s would use backend %s: %s\n", l->dev[i]->slot, backend, why);
		policy_decision_done(&dec);
	}
	for (size_t i = 0; i < l->n_leases; i++)
		printf("%s is leased to uid %u (pid %u, %s)\n", l->leases[i].slot,
		       (unsigned)l->leases[i].uid, (unsigned)l->leases[i].pid, l->leases[i].comm);
	return 0;
}

static int read_named(const struct udrvctl_ctx *ctx, char **slots, int n, struct device_list *l)
{
	l->dev = calloc((size_t)n, sizeof(*l->dev));
	if (!l->dev)
		return log_oom(), EXIT_FAILURE;
	for (int i = 0; i < n; i++) {
		int r = cli_read_device(ctx, slots[i], &l->dev[l->n]);

		if (r != 0)
			return r;
		l->n++;
	}
	return 0;
}

int verb_list(int argc, char **argv, const struct udrvctl_ctx *ctx_in)
{
	static const struct option options[] = {{"json", no_argument, NULL, 'j'}, {}};
	_cleanup_(device_list_done) struct device_list l = {};
	struct udrvctl_ctx ctx = *ctx_in;
	int c, r;

	while ((c = getopt_long(argc, argv, "+", options, NULL)) >= 0) {
		if (c != 'j')
			return EXIT_USAGE;
		ctx.json = true;
	}
	if (optind < argc) {
		r = read_named(&ctx, argv + optind, argc - optind, &l);
		if (r != 0)
			return r;
	} else {
		r = pci_device_enumerate(ctx.root, &l.dev, &l.n);
		if (r < 0) {
			log_error_errno(r, "cannot list PCI functions under %s/sys/bus/pci: %m",
					streq(ctx.root, "/") ? "" : ctx.root);
			return EXIT_FAILURE;
		}
	}
	read_leases(&ctx, &l);
	read_policy(&ctx, &l);
	l.uio_ext = policy_uio_ext_loaded(ctx.root);
	r = ctx.json ? print_json(&l) : print_text(&l);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
