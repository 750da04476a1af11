/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Value spellings of policy files (ids, classes, durations, sizes, ranges, names); no I/O. */
#include <inttypes.h>
#include <stdio.h>

#include "macro.h"
#include "pci-slot.h"
#include "policy-values.h"

struct unit {
	const char *name;
	uint64_t mult;
};

#define USEC_PER_SEC UINT64_C(1000000)

static const struct unit duration_units[] = {
	{"us", 1},
	{"usec", 1},
	{"\xc2\xb5s", 1}, /* µs, MICRO SIGN */
	{"\xce\xbcs", 1}, /* μs, GREEK SMALL LETTER MU */
	{"ms", 1000},
	{"msec", 1000},
	{"s", USEC_PER_SEC},
	{"sec", USEC_PER_SEC},
	{"second", USEC_PER_SEC},
	{"seconds", USEC_PER_SEC},
	{"m", 60 * USEC_PER_SEC},
	{"min", 60 * USEC_PER_SEC},
	{"minute", 60 * USEC_PER_SEC},
	{"minutes", 60 * USEC_PER_SEC},
	{"h", 3600 * USEC_PER_SEC},
	{"hr", 3600 * USEC_PER_SEC},
	{"hour", 3600 * USEC_PER_SEC},
	{"hours", 3600 * USEC_PER_SEC},
	{"d", 86400 * USEC_PER_SEC},
	{"day", 86400 * USEC_PER_SEC},
	{"days", 86400 * USEC_PER_SEC},
	{"w", 604800 * USEC_PER_SEC},
	{"week", 604800 * USEC_PER_SEC},
	{"weeks", 604800 * USEC_PER_SEC},
	{"M", 2629800 * USEC_PER_SEC},
	{"month", 2629800 * USEC_PER_SEC},
	{"months", 2629800 * USEC_PER_SEC},
	{"y", 31557600 * USEC_PER_SEC},
	{"year", 31557600 * USEC_PER_SEC},
	{"years", 31557600 * USEC_PER_SEC},
};

static const struct unit size_units[] = {
	{"B", 1},
	{"K", UINT64_C(1) << 10},
	{"M", UINT64_C(1) << 20},
	{"G", UINT64_C(1) << 30},
	{"T", UINT64_C(1) << 40},
	{"P", UINT64_C(1) << 50},
	{"E", UINT64_C(1) << 60},
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -EINVAL;
}

/* Hex digits (optionally after 0x), at least one and at most MAX_DIGITS. */
static int parse_hex(const char *s, unsigned max_digits, uint32_t *ret, unsigned *ret_digits)
{
	uint32_t v = 0;
	unsigned n = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (; *s; s++, n++) {
		int d = hex_value(*s);

		if (d < 0 || n >= max_digits)
			return -EINVAL;
		v = v << 4 | (uint32_t)d;
	}
	if (n == 0)
		return -EINVAL;
	*ret = v;
	if (ret_digits)
		*ret_digits = n;
	return 0;
}

int policy_parse_hex16(const char *s, uint16_t *ret)
{
	uint32_t v;
	int r = parse_hex(s, 4, &v, NULL);

	if (r < 0)
		return r;
	*ret = (uint16_t)v;
	return 0;
}

int policy_parse_class(const char *s, struct policy_class *ret)
{
	uint32_t v;
	unsigned n;
	int r = parse_hex(s, 6, &v, &n);

	if (r < 0)
		return r;
	if (n % 2 != 0)
		return -EINVAL;
	*ret = (struct policy_class){.value = v, .digits = n};
	return 0;
}

bool policy_class_matches(const struct policy_class *c, uint32_t class)
{
	return ((class & 0xffffff) >> (24 - 4 * c->digits)) == c->value;
}

int policy_parse_boolean(const char *s)
{
	static const char *const yes[] = {"1", "yes", "y", "true", "t", "on"};
	static const char *const no[] = {"0", "no", "n", "false", "f", "off"};

	for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	}
	return -EINVAL;
}

/* Decimal digits at *P, advancing *P. */
static int parse_digits(const char **p, uint64_t *ret)
{
	uint64_t v = 0;
	const char *s = *p;

	if (!is_digit(*s))
		return -EINVAL;
	for (; is_digit(*s); s++)
		if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, *s - '0', &v))
			return -ERANGE;
	*p = s;
	*ret = v;
	return 0;
}

int policy_parse_uint64(const char *s, uint64_t *ret)
{
	uint64_t v;
	int r = parse_digits(&s, &v);

	if (r < 0)
		return r;
	if (*s)
		return -EINVAL;
	*ret = v;
	return 0;
}

static bool is_unit_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (unsigned char)c >= 0x80;
}

static int lookup_unit(const char *u, size_t len, const struct unit *units, size_t n_units,
		       uint64_t *ret)
{
	for (size_t i = 0; i < n_units; i++)
		if (strlen(units[i].name) == len && strncmp(u, units[i].name, len) == 0) {
			*ret = units[i].mult;
			return 0;
		}
	return -EINVAL;
}

/* One "<number>[.<fraction>] [unit]" at *P, advancing *P. */
static int parse_component(const char **p, const struct unit *units, size_t n_units,
			   uint64_t bare_mult, uint64_t *ret)
{
	const char *s = *p, *frac = NULL, *u;
	uint64_t whole, mult = bare_mult, v;
	int r;

	r = parse_digits(&s, &whole);
	if (r < 0)
		return r;
	if (*s == '.') {
		frac = ++s;
		if (!is_digit(*s))
			return -EINVAL;
		while (is_digit(*s))
			s++;
	}
	s += strspn(s, " \t");
	for (u = s; is_unit_char(*s); s++)
		;
	if (s > u && lookup_unit(u, s - u, units, n_units, &mult) < 0)
		return -EINVAL;
	if (__builtin_mul_overflow(whole, mult, &v))
		return -ERANGE;
	if (frac) {
		/* Digits past the 18th cannot matter: 10^18 times the largest unit is exact. */
		unsigned __int128 num = 0, den = 1;

		for (unsigned n = 0; is_digit(*frac) && n < 18; frac++, n++) {
			num = num * 10 + (unsigned)(*frac - '0');
			den *= 10;
		}
		if (__builtin_add_overflow(v, (uint64_t)(num * mult / den), &v))
			return -ERANGE;
	}
	*p = s;
	*ret = v;
	return 0;
}

static int parse_with_units(const char *s, const struct unit *units, size_t n_units,
			    uint64_t bare_mult, uint64_t *ret)
{
	uint64_t total = 0;
	bool any = false;

	if (streq(s, "infinity")) {
		*ret = POLICY_INFINITY;
		return 0;
	}
	for (;;) {
		uint64_t v;
		int r;

		s += strspn(s, " \t");
		if (!*s)
			break;
		r = parse_component(&s, units, n_units, bare_mult, &v);
		if (r < 0)
			return r;
		if (__builtin_add_overflow(total, v, &total) || total == POLICY_INFINITY)
			return -ERANGE;
		any = true;
	}
	if (!any)
		return -EINVAL;
	*ret = total;
	return 0;
}

int policy_parse_duration(const char *s, uint64_t *ret_usec)
{
	return parse_with_units(s, duration_units, ELEMENTSOF(duration_units), USEC_PER_SEC,
				ret_usec);
}

int policy_parse_size(const char *s, uint64_t *ret)
{
	return parse_with_units(s, size_units, ELEMENTSOF(size_units), 1, ret);
}

static int parse_offset(const char *s, uint16_t *ret)
{
	uint32_t v;

	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return -EINVAL;
	if (parse_hex(s, 3, &v, NULL) < 0)
		return -EINVAL;
	*ret = (uint16_t)v;
	return 0;
}

int policy_parse_range(const char *s, struct policy_range *ret)
{
	_cleanup_free_ char *start = strdup(s);
	struct policy_range range;
	char *dash;

	if (!start)
		return -ENOMEM;
	dash = strchr(start, '-');
	if (dash)
		*dash = '\0';
	if (parse_offset(start, &range.start) < 0)
		return -EINVAL;
	range.end = range.start;
	if (dash && parse_offset(dash + 1, &range.end) < 0)
		return -EINVAL;
	if (range.end < range.start)
		return -ERANGE;
	*ret = range;
	return 0;
}

int policy_parse_slot_pattern(const char *s, char **ret)
{
	char slot[PCI_SLOT_LEN], *p;

	if (!strpbrk(s, "*?[")) {
		if (pci_slot_normalize(s, slot) < 0)
			return -EINVAL;
		s = slot;
	} else if (strlen(s) > 64 || s[strspn(s, "0123456789abcdefABCDEF:.*?[]!-")])
		return -EINVAL;

	p = strdup(s);
	if (!p)
		return -ENOMEM;
	for (char *c = p; *c; c++)
		if (*c >= 'A' && *c <= 'F')
			*c = (char)(*c - 'A' + 'a');
	*ret = p;
	return 0;
}

static bool name_is_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 256)
		return false;
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_'))
		return false;
	if (s[n - 1] == '$')
		n--;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      is_digit(s[i]) || s[i] == '_' || s[i] == '.' || s[i] == '-'))
			return false;
	return true;
}

int policy_parse_id(const char *s, struct policy_id *ret)
{
	uint64_t v;
	char *name;

	if (is_digit(s[0])) {
		if (policy_parse_uint64(s, &v) < 0)
			return -EINVAL;
		if (v >= UINT32_MAX)
			return -ERANGE;
		*ret = (struct policy_id){.id = (uint32_t)v};
		return 0;
	}
	if (!name_is_valid(s))
		return -EINVAL;
	name = strdup(s);
	if (!name)
		return -ENOMEM;
	*ret = (struct policy_id){.name = name};
	return 0;
}

const char *policy_format_duration(uint64_t usec, char *buf)
{
	static const struct unit units[] = {
		{"d", 86400 * USEC_PER_SEC},
		{"h", 3600 * USEC_PER_SEC},
		{"min", 60 * USEC_PER_SEC},
		{"s", USEC_PER_SEC},
		{"ms", 1000},
		{"us", 1},
	};
	size_t len = 0;

	if (usec == POLICY_INFINITY)
		return strcpy(buf, "infinity");
	if (usec == 0)
		return strcpy(buf, "0");
	buf[0] = '\0';
	for (size_t i = 0; i < ELEMENTSOF(units) && usec > 0; i++) {
		uint64_t n = usec / units[i].mult;

		if (n == 0)
			continue;
		usec -= n * units[i].mult;
		len += snprintf(buf + len, POLICY_VALUE_MAX - len, "%s%" PRIu64 "%s",
				len ? " " : "", n, units[i].name);
	}
	return buf;
}

const char *policy_format_size(uint64_t bytes, char *buf)
{
	if (bytes == POLICY_INFINITY)
		return strcpy(buf, "infinity");
	for (size_t i = ELEMENTSOF(size_units) - 1; i > 0; i--)
		if (bytes != 0 && bytes % size_units[i].mult == 0) {
			snprintf(buf, POLICY_VALUE_MAX, "%" PRIu64 "%s", bytes / size_units[i].mult,
				 size_units[i].name);
			return buf;
		}
	snprintf(buf, POLICY_VALUE_MAX, "%" PRIu64, bytes);
	return buf;
}

const char *policy_format_class(const struct policy_class *c, char *buf)
{
	snprintf(buf, POLICY_VALUE_MAX, "%0*" PRIx32, (int)c->digits, c->value);
	return buf;
}
