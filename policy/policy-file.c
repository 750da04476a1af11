/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One policy file: reading it, parsing it as a whole (any error rejects it), its lifetime. */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "ini.h"
#include "policy-internal.h"
#include "sysfs.h"

/* A file with this many errors has more wrong with it than a list can help with. */
#define ERRORS_MAX 50

enum section {
	SECTION_NONE,
	SECTION_MATCH,
	SECTION_GRANT,
	SECTION_UNKNOWN,
};

struct parser {
	struct policy_file *f;
	struct policy_report *report;
	enum section section;
	unsigned n_errors;
};

static int parser_error(struct parser *p, unsigned line, const char *fmt, ...) _printf_(3, 4);
static int parser_error(struct parser *p, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int r = 0;

	if (p->n_errors < ERRORS_MAX) {
		va_start(ap, fmt);
		r = policy_report_addv(p->report, p->f->path, line, fmt, ap);
		va_end(ap);
	} else if (p->n_errors == ERRORS_MAX)
		r = policy_report_add(p->report, p->f->path, line, "too many errors, giving up");
	p->n_errors++;
	return r;
}

static int on_error(void *userdata, unsigned line, const char *message)
{
	return parser_error(userdata, line, "%s", message);
}

static int on_section(void *userdata, unsigned line, const char *name)
{
	struct parser *p = userdata;
	unsigned *seen;

	if (streq(name, "Match")) {
		p->section = SECTION_MATCH;
		seen = &p->f->match_line;
	} else if (streq(name, "Grant")) {
		p->section = SECTION_GRANT;
		seen = &p->f->grant_line;
	} else {
		p->section = SECTION_UNKNOWN;
		return parser_error(
			p, line,
			"unknown section [%.64s]: expected [Match] or [Grant] (names are "
			"case-sensitive)",
			name);
	}
	if (*seen)
		return parser_error(p, line,
				    "duplicate [%s] section: expected one (first at line %u)", name,
				    *seen);
	*seen = line;
	return 0;
}

/* For "slot=": the key it was likely meant to be, "Slot"; NULL when none is. */
static const char *key_case_hint(const char *key)
{
	for (enum policy_key k = 0; k < _POLICY_KEY_MAX; k++)
		if (strcasecmp(key, policy_key_to_string(k)) == 0)
			return policy_key_to_string(k);
	return NULL;
}

static int unknown_key(struct parser *p, unsigned line, const char *key, const char *section)
{
	const char *hint = key_case_hint(key);

	if (hint)
		return parser_error(p, line, "unknown key %.64s= in [%s]: did you mean %s=?", key,
				    section, hint);
	return parser_error(p, line, "unknown key %.64s= in [%s]", key, section);
}

static int on_assignment(void *userdata, unsigned line, const char *key, const char *value)
{
	struct parser *p = userdata;
	const char *section = p->section == SECTION_MATCH ? "Match" : "Grant";
	char msg[POLICY_MESSAGE_MAX];
	enum policy_key k;
	int r;

	if (p->section == SECTION_NONE)
		return parser_error(p, line, "expected [Match] or [Grant] before %.64s=", key);
	if (p->section == SECTION_UNKNOWN)
		return 0; /* the section header was already reported */
	k = policy_key_from_string(key);
	if (k < 0)
		return unknown_key(p, line, key, section);
	if (!streq(policy_key_section(k), section))
		return parser_error(p, line, "%s= belongs in [%s], not in [%s]", key,
				    policy_key_section(k), section);
	if (p->f->settings[k].line)
		return parser_error(p, line, "duplicate %s=: expected it once (first at line %u)",
				    key, p->f->settings[k].line);
	if (!*value)
		return parser_error(p, line, "expected a value after %s=", key);

	r = policy_key_parse(k, p->f, value, msg);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return parser_error(p, line, "%s=: %s", key, msg);
	p->f->settings[k] = (struct policy_setting){.line = line, .raw = strdup(value)};
	return p->f->settings[k].raw ? 0 : -ENOMEM;
}

static bool match_is_empty(const struct policy_file *f)
{
	for (size_t k = 0; k < _POLICY_KEY_MAX; k++)
		if (streq(policy_key_section(k), "Match") && f->settings[k].line)
			return false;
	return true;
}

/* Whole-file rules, once every line is read. */
static int parser_finish(struct parser *p, unsigned last_line)
{
	if (!p->f->match_line)
		return parser_error(p, last_line ?: 1, "expected a [Match] section in the file");
	if (match_is_empty(p->f))
		return parser_error(p, p->f->match_line,
				    "expected at least one key in [Match] (Slot=* matches every "
				    "device on purpose)");
	return 0;
}

static unsigned count_lines(const char *buf, size_t size)
{
	unsigned n = 0;

	for (size_t i = 0; i < size; i++)
		if (buf[i] == '\n')
			n++;
	return size > 0 && buf[size - 1] != '\n' ? n + 1 : n;
}

static struct policy_file *policy_file_new(const char *path)
{
	struct policy_file *f = calloc(1, sizeof(*f));
	const char *slash;

	if (!f)
		return NULL;
	f->n_ref = 1;
	f->path = strdup(path);
	if (!f->path || policy_file_set_defaults(f) < 0)
		return policy_file_unref(f);
	slash = strrchr(f->path, '/');
	f->name = slash ? slash + 1 : f->path;
	return f;
}

int policy_file_parse(const char *path, const char *buf, size_t size, struct policy_file **ret,
		      struct policy_report *report)
{
	_cleanup_(policy_file_unrefp) struct policy_file *f = policy_file_new(path);
	static const struct ini_callbacks cb = {
		.section = on_section,
		.assignment = on_assignment,
		.error = on_error,
	};
	struct parser p = {.report = report};
	int r;

	if (!f)
		return -ENOMEM;
	p.f = f;
	r = ini_parse(buf, size, &cb, &p);
	if (r < 0)
		return r;
	if (p.n_errors == 0) {
		r = parser_finish(&p, count_lines(buf, size));
		if (r < 0)
			return r;
	}
	if (p.n_errors > 0)
		return -EINVAL;
	*ret = TAKE_PTR(f);
	return 0;
}

static int load_error(struct policy_report *report, const char *path, int error, const char *what)
{
	int r = policy_report_add(report, path, 0, "%s", what);

	return r < 0 ? r : error;
}

static bool is_dev_null_link(int dir_fd, const char *name)
{
	char target[sizeof("/dev/null")];
	ssize_t n = readlinkat(dir_fd, name, target, sizeof(target));

	return n == (ssize_t)strlen("/dev/null") && memcmp(target, "/dev/null", (size_t)n) == 0;
}

int policy_file_load_at(int dir_fd, const char *name, const char *path, struct policy_file **ret,
			struct policy_report *report)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t size = 0;
	int r;

	/* Checked on the link itself, so a masked file needs no /dev/null under a test root. */
	if (is_dev_null_link(dir_fd, name))
		return POLICY_FILE_MASKED;
	fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0) {
		r = -errno;
		return load_error(report, path, r, strerror(-r));
	}
	if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3))
		return POLICY_FILE_MASKED;
	if (!S_ISREG(st.st_mode))
		return load_error(report, path, -EINVAL, "expected a regular file");
	if (st.st_mode & S_IWOTH)
		return load_error(report, path, -EPERM,
				  "refusing a world-writable file: anyone could grant themselves "
				  "devices");
	r = read_full_fd(fd, POLICY_FILE_SIZE_MAX, &buf, &size);
	if (r == -EFBIG)
		return load_error(report, path, r, "expected at most 1 MiB");
	if (r < 0)
		return load_error(report, path, r, strerror(-r));
	if (size == 0)
		return POLICY_FILE_MASKED;
	return policy_file_parse(path, buf, size, ret, report);
}

int policy_file_load(const char *path, struct policy_file **ret, struct policy_report *report)
{
	return policy_file_load_at(AT_FDCWD, path, path, ret, report);
}

static void u16_list_clear(struct policy_u16_list *l)
{
	free(l->v);
}

static void id_list_free(struct policy_id *ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(ids[i].name);
	free(ids);
}

void policy_file_clear_values(struct policy_file *f)
{
	strv_free(f->match.slots);
	u16_list_clear(&f->match.vendors);
	u16_list_clear(&f->match.devices);
	u16_list_clear(&f->match.subsystem_vendors);
	u16_list_clear(&f->match.subsystem_devices);
	free(f->match.classes);
	id_list_free(f->grant.users, f->grant.n_users);
	id_list_free(f->grant.groups, f->grant.n_groups);
	free(f->grant.config_write);
	f->match = (struct policy_match){};
}

struct policy_file *policy_file_ref(struct policy_file *f)
{
	if (f)
		f->n_ref++;
	return f;
}

struct policy_file *policy_file_unref(struct policy_file *f)
{
	if (!f || --f->n_ref > 0)
		return NULL;
	policy_file_clear_values(f);
	for (size_t k = 0; k < _POLICY_KEY_MAX; k++)
		free(f->settings[k].raw);
	free(f->path);
	free(f);
	return NULL;
}

void policy_file_unrefp(struct policy_file **f)
{
	policy_file_unref(*f);
}

const char *policy_file_get_name(const struct policy_file *f)
{
	return f->name;
}

const char *policy_file_get_path(const struct policy_file *f)
{
	return f->path;
}

const struct policy_grant *policy_file_get_grant(const struct policy_file *f)
{
	return &f->grant;
}

unsigned policy_file_key_line(const struct policy_file *f, enum policy_key key)
{
	return key >= 0 && key < _POLICY_KEY_MAX ? f->settings[key].line : 0;
}
