/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The one table of policy keys: section, name, parser, formatter and default of each. */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>

#include <fnmatch.h>

#include "pci-device.h"
#include "policy-internal.h"

struct key_info {
	const char *section;
	const char *name;
	size_t offset; /* of the value in struct policy_file */
	int (*parse)(const struct key_info *k, void *field, const char *value, char *msg);
	int (*format)(const struct key_info *k, const void *field, FILE *out);
	/* [Match] keys: whether DEV matches; writes what DEV has to ACTUAL. */
	bool (*match)(const struct key_info *k, const void *field, const struct pci_device *dev,
		      char *actual);
	size_t dev_offset;	  /* of the 16-bit id in struct pci_device a [Match] key tests */
	const char *what;	  /* that id in messages: "vendor" */
	const char *const *names; /* for enum keys, indexed by value, NULL-terminated */
	const char *def;	  /* default as written in a file; NULL: none / any */
};

static const char *const backend_names[] = {"auto", "vfio", "uio-ext", "uio", NULL};
static const char *const dma_names[] = {"iommu", "unsafe", "none", NULL};
static const char *const interrupts_names[] = {"auto", "msix", "msi", "intx", "poll", NULL};
static const char *const reset_names[] = {"auto", "flr", "pm", "bus", "none", NULL};
static const char *const stray_names[] = {"kill", "log", NULL};

#define EXPECTED(msg, what, word)                                                                  \
	(snprintf(msg, POLICY_MESSAGE_MAX, "expected %s, not \"%.64s%s\"", what, word,             \
		  strlen(word) > 64 ? "..." : ""),                                                 \
	 -EINVAL)

/* Calls PARSE_WORD for each blank-separated word of VALUE. */
static int for_each_word(const struct key_info *k, void *field, const char *value, char *msg,
			 int (*parse_word)(const struct key_info *k, void *field, const char *word,
					   char *msg))
{
	_cleanup_free_ char *copy = strdup(value);
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		int r;

		if (w[0] == '#' || w[0] == ';') {
			snprintf(msg, POLICY_MESSAGE_MAX,
				 "expected a value; comments must be on a line of their own");
			return -EINVAL;
		}
		r = parse_word(k, field, w, msg);
		if (r < 0)
			return r;
	}
	return 0;
}

static int grow(void **array, size_t n, size_t size)
{
	void *p = reallocarray(*array, n + 1, size);

	if (!p)
		return -ENOMEM;
	*array = p;
	return 0;
}

static int slot_word(const struct key_info *k, void *field, const char *w, char *msg)
{
	_cleanup_free_ char *pattern = NULL;
	int r = policy_parse_slot_pattern(w, &pattern);

	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return EXPECTED(msg, "a slot such as 0000:03:00.0 or a glob such as 0000:03:00.*",
				w);
	return strv_push(field, pattern);
}

static int parse_slots(const struct key_info *k, void *field, const char *value, char *msg)
{
	return for_each_word(k, field, value, msg, slot_word);
}

static int hex16_word(const struct key_info *k, void *field, const char *w, char *msg)
{
	struct policy_u16_list *l = field;
	uint16_t v;

	if (policy_parse_hex16(w, &v) < 0)
		return EXPECTED(msg, "a 16-bit hex id such as 8086", w);
	if (grow((void **)&l->v, l->n, sizeof(*l->v)) < 0)
		return -ENOMEM;
	l->v[l->n++] = v;
	return 0;
}

static int parse_hex16s(const struct key_info *k, void *field, const char *value, char *msg)
{
	return for_each_word(k, field, value, msg, hex16_word);
}

static int class_word(const struct key_info *k, void *field, const char *w, char *msg)
{
	struct policy_match *m = field;
	struct policy_class c;

	if (policy_parse_class(w, &c) < 0)
		return EXPECTED(msg, "2, 4 or 6 hex digits of class, subclass, prog-if such as 02",
				w);
	if (grow((void **)&m->classes, m->n_classes, sizeof(c)) < 0)
		return -ENOMEM;
	m->classes[m->n_classes++] = c;
	return 0;
}

static int parse_classes(const struct key_info *k, void *field, const char *value, char *msg)
{
	return for_each_word(k, field, value, msg, class_word);
}

/* Users= and Groups=: FIELD points at the array, followed by its count. */
struct id_list {
	struct policy_id *v;
	size_t n;
};

static int id_word(const struct key_info *k, void *field, const char *w, char *msg)
{
	struct id_list *l = field;
	struct policy_id id;
	int r = policy_parse_id(w, &id);

	if (r == -ENOMEM)
		return r;
	if (r == -ERANGE)
		return EXPECTED(msg, "a numeric id below 4294967295", w);
	if (r < 0)
		return EXPECTED(msg, "a name (letters, digits, '_', '.', '-') or a numeric id", w);
	if (grow((void **)&l->v, l->n, sizeof(id)) < 0) {
		free(id.name);
		return -ENOMEM;
	}
	l->v[l->n++] = id;
	return 0;
}

static int parse_ids(const struct key_info *k, void *field, const char *value, char *msg)
{
	return for_each_word(k, field, value, msg, id_word);
}

static int parse_enum(const struct key_info *k, void *field, const char *value, char *msg)
{
	char what[POLICY_MESSAGE_MAX / 2] = "one of";
	size_t len = strlen(what);

	for (int i = 0; k->names[i]; i++)
		if (streq(value, k->names[i])) {
			*(int *)field = i;
			return 0;
		}
	for (int i = 0; k->names[i]; i++)
		len += snprintf(what + len, sizeof(what) - len, " %s", k->names[i]);
	return EXPECTED(msg, what, value);
}

static int parse_poll_interval(const struct key_info *k, void *field, const char *value, char *msg)
{
	uint64_t *v = field;

	if (policy_parse_duration(value, v) < 0 || *v == 0 || *v == POLICY_INFINITY)
		return EXPECTED(msg, "a positive duration such as 500us, 1ms or 1s", value);
	return 0;
}

static int parse_lease(const struct key_info *k, void *field, const char *value, char *msg)
{
	uint64_t *v = field;

	if (policy_parse_duration(value, v) < 0 || *v == 0)
		return EXPECTED(msg, "\"infinity\" or a positive duration such as 30min or 8h",
				value);
	return 0;
}

static int parse_grace(const struct key_info *k, void *field, const char *value, char *msg)
{
	uint64_t *v = field;

	if (policy_parse_duration(value, v) < 0 || *v == POLICY_INFINITY)
		return EXPECTED(msg, "a duration such as 0, 500ms or 5s", value);
	return 0;
}

static int parse_memlock(const struct key_info *k, void *field, const char *value, char *msg)
{
	if (policy_parse_size(value, field) < 0)
		return EXPECTED(msg, "\"infinity\" or a size such as 512M or 2G (base 1024)",
				value);
	return 0;
}

static int parse_rate(const struct key_info *k, void *field, const char *value, char *msg)
{
	uint64_t *v = field;

	if (streq(value, "infinity")) {
		*v = POLICY_INFINITY;
		return 0;
	}
	if (policy_parse_uint64(value, v) < 0 || *v == 0 || *v == POLICY_INFINITY)
		return EXPECTED(msg, "\"infinity\" or a positive number of interrupts per second",
				value);
	return 0;
}

static int parse_address_bits(const struct key_info *k, void *field, const char *value, char *msg)
{
	uint64_t v;

	if (policy_parse_uint64(value, &v) < 0 || (v != 0 && (v < 24 || v > 64)))
		return EXPECTED(msg, "0 (the kernel's default) or a number of bits from 24 to 64",
				value);
	*(unsigned *)field = (unsigned)v;
	return 0;
}

static int parse_bool(const struct key_info *k, void *field, const char *value, char *msg)
{
	int b = policy_parse_boolean(value);

	if (b < 0)
		return EXPECTED(msg, "yes or no", value);
	*(bool *)field = b;
	return 0;
}

static int bar_word(const struct key_info *k, void *field, const char *w, char *msg)
{
	if (w[0] < '0' || w[0] > '5' || w[1])
		return EXPECTED(msg, "a BAR number from 0 to 5", w);
	*(uint8_t *)field |= (uint8_t)(1u << (w[0] - '0'));
	return 0;
}

static int parse_bars(const struct key_info *k, void *field, const char *value, char *msg)
{
	*(uint8_t *)field = 0; /* replaces the default */
	return for_each_word(k, field, value, msg, bar_word);
}

struct range_list {
	struct policy_range *v;
	size_t n;
};

static int range_word(const struct key_info *k, void *field, const char *w, char *msg)
{
	struct range_list *l = field;
	struct policy_range range;
	int r = policy_parse_range(w, &range);

	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return EXPECTED(
			msg, "an offset or range of offsets such as 0x100-0x10f, up to 0xfff", w);
	/* The header holds the command register and the BARs, which the broker mediates. */
	if (range.start < 0x40)
		return EXPECTED(msg, "offsets from 0x40 on (the standard header is never raw)", w);
	if (grow((void **)&l->v, l->n, sizeof(range)) < 0)
		return -ENOMEM;
	l->v[l->n++] = range;
	return 0;
}

static int parse_ranges(const struct key_info *k, void *field, const char *value, char *msg)
{
	return for_each_word(k, field, value, msg, range_word);
}

static int format_slots(const struct key_info *k, const void *field, FILE *out)
{
	char *const *l = *(char *const *const *)field;

	for (size_t i = 0; l && l[i]; i++)
		fprintf(out, "%s%s", i ? " " : "", l[i]);
	return 0;
}

static int format_hex16s(const struct key_info *k, const void *field, FILE *out)
{
	const struct policy_u16_list *l = field;

	for (size_t i = 0; i < l->n; i++)
		fprintf(out, "%s%04" PRIx16, i ? " " : "", l->v[i]);
	return 0;
}

static int format_classes(const struct key_info *k, const void *field, FILE *out)
{
	const struct policy_match *m = field;
	char buf[POLICY_VALUE_MAX];

	for (size_t i = 0; i < m->n_classes; i++)
		fprintf(out, "%s%s", i ? " " : "", policy_format_class(&m->classes[i], buf));
	return 0;
}

static int format_ids(const struct key_info *k, const void *field, FILE *out)
{
	const struct id_list *l = field;

	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].name)
			fprintf(out, "%s%s", i ? " " : "", l->v[i].name);
		else
			fprintf(out, "%s%" PRIu32, i ? " " : "", l->v[i].id);
	}
	return 0;
}

static int format_enum(const struct key_info *k, const void *field, FILE *out)
{
	fputs(k->names[*(const int *)field], out);
	return 0;
}

static int format_duration(const struct key_info *k, const void *field, FILE *out)
{
	char buf[POLICY_VALUE_MAX];

	fputs(policy_format_duration(*(const uint64_t *)field, buf), out);
	return 0;
}

static int format_size(const struct key_info *k, const void *field, FILE *out)
{
	char buf[POLICY_VALUE_MAX];

	fputs(policy_format_size(*(const uint64_t *)field, buf), out);
	return 0;
}

static int format_rate(const struct key_info *k, const void *field, FILE *out)
{
	uint64_t v = *(const uint64_t *)field;

	if (v == POLICY_INFINITY)
		fputs("infinity", out);
	else
		fprintf(out, "%" PRIu64, v);
	return 0;
}

static int format_unsigned(const struct key_info *k, const void *field, FILE *out)
{
	fprintf(out, "%u", *(const unsigned *)field);
	return 0;
}

static int format_bool(const struct key_info *k, const void *field, FILE *out)
{
	fputs(*(const bool *)field ? "yes" : "no", out);
	return 0;
}

static int format_bars(const struct key_info *k, const void *field, FILE *out)
{
	uint8_t bars = *(const uint8_t *)field;
	bool first = true;

	for (int i = 0; i < 6; i++)
		if (bars & (1u << i)) {
			fprintf(out, "%s%d", first ? "" : " ", i);
			first = false;
		}
	return 0;
}

static int format_ranges(const struct key_info *k, const void *field, FILE *out)
{
	const struct range_list *l = field;

	for (size_t i = 0; i < l->n; i++) {
		fprintf(out, "%s0x%" PRIx16, i ? " " : "", l->v[i].start);
		if (l->v[i].end != l->v[i].start)
			fprintf(out, "-0x%" PRIx16, l->v[i].end);
	}
	return 0;
}

static bool match_slots(const struct key_info *k, const void *field, const struct pci_device *dev,
			char *actual)
{
	char *const *slots = *(char *const *const *)field;

	snprintf(actual, POLICY_VALUE_MAX, "%s", dev->slot);
	for (size_t i = 0; slots && slots[i]; i++)
		if (fnmatch(slots[i], dev->slot, 0) == 0)
			return true;
	return false;
}

static bool match_hex16s(const struct key_info *k, const void *field, const struct pci_device *dev,
			 char *actual)
{
	const struct policy_u16_list *l = field;
	uint16_t id = *(const uint16_t *)((const char *)dev + k->dev_offset);

	snprintf(actual, POLICY_VALUE_MAX, "%s %04" PRIx16, k->what, id);
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i] == id)
			return true;
	return false;
}

static bool match_classes(const struct key_info *k, const void *field, const struct pci_device *dev,
			  char *actual)
{
	const struct policy_match *m = field;

	snprintf(actual, POLICY_VALUE_MAX, "class %06" PRIx32, dev->class);
	for (size_t i = 0; i < m->n_classes; i++)
		if (policy_class_matches(&m->classes[i], dev->class))
			return true;
	return false;
}

#define M(field) offsetof(struct policy_file, match.field)
#define G(field) offsetof(struct policy_file, grant.field)

#define ID_OFFSET(id) offsetof(struct pci_device, id)

static const struct key_info keys[_POLICY_KEY_MAX] = {
	[POLICY_KEY_SLOT] = {"Match", "Slot", M(slots), parse_slots, format_slots, match_slots},
	[POLICY_KEY_VENDOR] = {"Match", "Vendor", M(vendors), parse_hex16s, format_hex16s,
			       match_hex16s, ID_OFFSET(vendor), "vendor"},
	[POLICY_KEY_DEVICE] = {"Match", "Device", M(devices), parse_hex16s, format_hex16s,
			       match_hex16s, ID_OFFSET(device), "device"},
	[POLICY_KEY_CLASS] = {"Match", "Class", offsetof(struct policy_file, match), parse_classes,
			      format_classes, match_classes},
	[POLICY_KEY_SUBSYSTEM_VENDOR] = {"Match", "SubsystemVendor", M(subsystem_vendors),
					 parse_hex16s, format_hex16s, match_hex16s,
					 ID_OFFSET(subsystem_vendor), "subsystem vendor"},
	[POLICY_KEY_SUBSYSTEM_DEVICE] = {"Match", "SubsystemDevice", M(subsystem_devices),
					 parse_hex16s, format_hex16s, match_hex16s,
					 ID_OFFSET(subsystem_device), "subsystem device"},
	[POLICY_KEY_USERS] = {"Grant", "Users", G(users), parse_ids, format_ids},
	[POLICY_KEY_GROUPS] = {"Grant", "Groups", G(groups), parse_ids, format_ids},
	[POLICY_KEY_BACKEND] = {"Grant", "Backend", G(backend), parse_enum, format_enum,
				.names = backend_names, .def = "auto"},
	[POLICY_KEY_DMA] = {"Grant", "DMA", G(dma), parse_enum, format_enum, .names = dma_names,
			    .def = "iommu"},
	[POLICY_KEY_INTERRUPTS] = {"Grant", "Interrupts", G(interrupts), parse_enum, format_enum,
				   .names = interrupts_names, .def = "auto"},
	[POLICY_KEY_POLL_INTERVAL] = {"Grant", "PollInterval", G(poll_interval_usec),
				      parse_poll_interval, format_duration, .def = "1ms"},
	[POLICY_KEY_BARS] = {"Grant", "BARs", G(bars), parse_bars, format_bars,
			     .def = "0 1 2 3 4 5"},
	[POLICY_KEY_CONFIG_WRITE] = {"Grant", "ConfigWrite", G(config_write), parse_ranges,
				     format_ranges},
	[POLICY_KEY_RESET] = {"Grant", "Reset", G(reset), parse_enum, format_enum,
			      .names = reset_names, .def = "auto"},
	[POLICY_KEY_MAX_LEASE_TIME] = {"Grant", "MaxLeaseTime", G(max_lease_usec), parse_lease,
				       format_duration, .def = "infinity"},
	[POLICY_KEY_MEMLOCK_LIMIT] = {"Grant", "MemlockLimit", G(memlock_limit), parse_memlock,
				      format_size, .def = "64M"},
	[POLICY_KEY_IRQ_RATE_LIMIT] = {"Grant", "IrqRateLimit", G(irq_rate_limit), parse_rate,
				       format_rate, .def = "100000"},
	[POLICY_KEY_GROUP_UNBIND] = {"Grant", "GroupUnbind", G(group_unbind), parse_bool,
				     format_bool, .def = "no"},
	[POLICY_KEY_STRAY_HOLDERS] = {"Grant", "StrayHolders", G(stray_holders), parse_enum,
				      format_enum, .names = stray_names, .def = "kill"},
	[POLICY_KEY_REVOKE_GRACE] = {"Grant", "RevokeGracePeriod", G(revoke_grace_usec),
				     parse_grace, format_duration, .def = "5s"},
	[POLICY_KEY_DMA_ADDRESS_BITS] = {"Grant", "DMAAddressBits", G(dma_address_bits),
					 parse_address_bits, format_unsigned, .def = "0"},
	[POLICY_KEY_WRITE_COMBINING] = {"Grant", "WriteCombining", G(write_combining), parse_bars,
					format_bars},
};

/* The list parsers cast FIELD to these; keep struct policy_grant laid out to match. */
_Static_assert(offsetof(struct policy_grant, n_users) - offsetof(struct policy_grant, users) ==
		       offsetof(struct id_list, n),
	       "Users= layout");
_Static_assert(offsetof(struct policy_grant, n_groups) - offsetof(struct policy_grant, groups) ==
		       offsetof(struct id_list, n),
	       "Groups= layout");
_Static_assert(offsetof(struct policy_grant, n_config_write) -
			       offsetof(struct policy_grant, config_write) ==
		       offsetof(struct range_list, n),
	       "ConfigWrite= layout");
_Static_assert(sizeof(enum policy_backend) == sizeof(int), "enums are stored as int");

const char *policy_key_to_string(enum policy_key key)
{
	return key >= 0 && key < _POLICY_KEY_MAX ? keys[key].name : NULL;
}

const char *policy_key_section(enum policy_key key)
{
	return key >= 0 && key < _POLICY_KEY_MAX ? keys[key].section : NULL;
}

const char *policy_key_default(enum policy_key key)
{
	return key >= 0 && key < _POLICY_KEY_MAX ? keys[key].def : NULL;
}

enum policy_key policy_key_from_string(const char *name)
{
	for (size_t i = 0; i < _POLICY_KEY_MAX; i++)
		if (streq(keys[i].name, name))
			return (enum policy_key)i;
	return _POLICY_KEY_INVALID;
}

const char *policy_backend_to_string(enum policy_backend b)
{
	return b <= POLICY_BACKEND_UIO ? backend_names[b] : NULL;
}

const char *policy_dma_to_string(enum policy_dma d)
{
	return d <= POLICY_DMA_NONE ? dma_names[d] : NULL;
}

const char *policy_stray_to_string(enum policy_stray st)
{
	return st <= POLICY_STRAY_LOG ? stray_names[st] : NULL;
}

const char *policy_interrupts_to_string(enum policy_interrupts i)
{
	return i <= POLICY_INTERRUPTS_POLL ? interrupts_names[i] : NULL;
}

const char *policy_reset_to_string(enum policy_reset r)
{
	return r <= POLICY_RESET_NONE ? reset_names[r] : NULL;
}

int policy_key_parse(enum policy_key key, struct policy_file *f, const char *value, char *msg)
{
	const struct key_info *k = &keys[key];

	return k->parse(k, (char *)f + k->offset, value, msg);
}

bool policy_key_match(enum policy_key key, const struct policy_file *f,
		      const struct pci_device *dev, char actual[static POLICY_VALUE_MAX])
{
	const struct key_info *k = &keys[key];

	/* Fails closed: a [Match] key without a matcher matches nothing. */
	return k->match && k->match(k, (const char *)f + k->offset, dev, actual);
}

int policy_file_set_defaults(struct policy_file *f)
{
	char msg[POLICY_MESSAGE_MAX];

	for (size_t i = 0; i < _POLICY_KEY_MAX; i++) {
		int r;

		if (!keys[i].def)
			continue;
		r = policy_key_parse((enum policy_key)i, f, keys[i].def, msg);
		if (r < 0)
			return r;
	}
	return 0;
}

int policy_file_format_key(const struct policy_file *f, enum policy_key key, char **ret)
{
	const struct key_info *k;
	char *buf = NULL;
	size_t size = 0;
	FILE *out;

	if (key < 0 || key >= _POLICY_KEY_MAX)
		return -EINVAL;
	k = &keys[key];
	out = open_memstream(&buf, &size);
	if (!out)
		return -ENOMEM;
	k->format(k, (const char *)f + k->offset, out);
	if (fclose(out) != 0) {
		free(buf);
		return -ENOMEM;
	}
	*ret = buf;
	return 0;
}
