/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for policy files: every key, every default, every error, matching and the verdict. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>

#include "test-policy-util.h"

static struct policy_file *parse_ok(const char *text)
{
	_cleanup_(policy_report_done) struct policy_report report = {};
	struct policy_file *f = NULL;
	int r = policy_file_parse("/p/50-test.policy", text, strlen(text), &f, &report);

	test_print_report(&report);
	assert_int_equal(r, 0);
	assert_int_equal(report.n_errors, 0);
	assert_non_null(f);
	return f;
}

/* TEXT must be rejected, with an error at LINE containing MESSAGE. */
static void parse_fails_n(const char *text, size_t size, unsigned line, const char *message)
{
	_cleanup_(policy_report_done) struct policy_report report = {};
	struct policy_file *f = NULL;

	assert_int_equal(policy_file_parse("/p/50-test.policy", text, size, &f, &report), -EINVAL);
	assert_null(f);
	if (!test_report_has(&report, line, message)) {
		fprintf(stderr, "# wanted line %u: %s\n# for: %s\n", line, message, text);
		test_print_report(&report);
		fail();
	}
	assert_string_equal(report.errors[0].path, "/p/50-test.policy");
}

static void parse_fails(const char *text, unsigned line, const char *message)
{
	parse_fails_n(text, strlen(text), line, message);
}

static char *format_key(const struct policy_file *f, enum policy_key k)
{
	char *s = NULL;

	assert_int_equal(policy_file_format_key(f, k, &s), 0);
	return s;
}

static void assert_key(const struct policy_file *f, enum policy_key k, const char *value)
{
	_cleanup_free_ char *s = format_key(f, k);

	assert_string_equal(s, value);
}

static void test_defaults(void **state)
{
	_cleanup_(policy_file_unrefp) struct policy_file *f = parse_ok("[Match]\nSlot=*\n");
	const struct policy_grant *g = policy_file_get_grant(f);

	assert_string_equal(policy_file_get_name(f), "50-test.policy");
	assert_string_equal(policy_file_get_path(f), "/p/50-test.policy");
	assert_int_equal(g->n_users, 0);
	assert_int_equal(g->n_groups, 0);
	assert_int_equal(g->backend, POLICY_BACKEND_AUTO);
	assert_int_equal(g->dma, POLICY_DMA_IOMMU);
	assert_int_equal(g->interrupts, POLICY_INTERRUPTS_AUTO);
	assert_int_equal(g->poll_interval_usec, 1000);
	assert_int_equal(g->bars, 0x3f);
	assert_int_equal(g->n_config_write, 0);
	assert_int_equal(g->reset, POLICY_RESET_AUTO);
	assert_true(g->max_lease_usec == POLICY_INFINITY);
	assert_true(g->memlock_limit == UINT64_C(64) << 20);
	assert_int_equal(g->irq_rate_limit, 100000);
	assert_false(g->group_unbind);
	assert_int_equal(g->stray_holders, POLICY_STRAY_KILL);
	assert_int_equal(g->revoke_grace_usec, 5000000);

	assert_int_equal(policy_file_key_line(f, POLICY_KEY_SLOT), 2);
	for (enum policy_key k = 0; k < _POLICY_KEY_MAX; k++) {
		const char *def = policy_key_default(k);

		if (k != POLICY_KEY_SLOT)
			assert_int_equal(policy_file_key_line(f, k), 0);
		assert_key(f, k, k == POLICY_KEY_SLOT ? "*" : def ?: "");
	}
}

static const char full[] = "# every key\n"
			   "[Match]\n"
			   "Slot=0000:03:00.* 04:00.0\n"
			   "Vendor=8086 0x1234\n"
			   "Device=10d3 11E8\n"
			   "Class=02 0c0330\n"
			   "SubsystemVendor=8086\n"
			   "SubsystemDevice=0000\n"
			   "\n"
			   "[Grant]\n"
			   "Users=alice bob 1000\n"
			   "Groups=netdev 108\n"
			   "Backend=vfio\n"
			   "DMA=unsafe\n"
			   "Interrupts=msix\n"
			   "PollInterval=500us\n"
			   "BARs=0 2\n"
			   "ConfigWrite=0x100-0x10f 0x40\n"
			   "Reset=flr\n"
			   "MaxLeaseTime=8h\n"
			   "MemlockLimit=2G\n"
			   "IrqRateLimit=5000\n"
			   "GroupUnbind=yes\n"
			   "StrayHolders=log\n"
			   "RevokeGracePeriod=0\n"
			   "DMAAddressBits=28\n"
			   "WriteCombining=2 4\n";

static void test_every_key(void **state)
{
	_cleanup_(policy_file_unrefp) struct policy_file *f = parse_ok(full);
	const struct policy_grant *g = policy_file_get_grant(f);

	assert_key(f, POLICY_KEY_SLOT, "0000:03:00.* 0000:04:00.0");
	assert_key(f, POLICY_KEY_VENDOR, "8086 1234");
	assert_key(f, POLICY_KEY_DEVICE, "10d3 11e8");
	assert_key(f, POLICY_KEY_CLASS, "02 0c0330");
	assert_key(f, POLICY_KEY_SUBSYSTEM_VENDOR, "8086");
	assert_key(f, POLICY_KEY_SUBSYSTEM_DEVICE, "0000");
	assert_key(f, POLICY_KEY_USERS, "alice bob 1000");
	assert_key(f, POLICY_KEY_GROUPS, "netdev 108");
	assert_key(f, POLICY_KEY_BACKEND, "vfio");
	assert_key(f, POLICY_KEY_DMA, "unsafe");
	assert_key(f, POLICY_KEY_INTERRUPTS, "msix");
	assert_key(f, POLICY_KEY_POLL_INTERVAL, "500us");
	assert_key(f, POLICY_KEY_BARS, "0 2");
	assert_key(f, POLICY_KEY_CONFIG_WRITE, "0x100-0x10f 0x40");
	assert_key(f, POLICY_KEY_RESET, "flr");
	assert_key(f, POLICY_KEY_MAX_LEASE_TIME, "8h");
	assert_key(f, POLICY_KEY_MEMLOCK_LIMIT, "2G");
	assert_key(f, POLICY_KEY_IRQ_RATE_LIMIT, "5000");
	assert_key(f, POLICY_KEY_GROUP_UNBIND, "yes");

	assert_int_equal(g->n_users, 3);
	assert_string_equal(g->users[0].name, "alice");
	assert_null(g->users[2].name);
	assert_int_equal(g->users[2].id, 1000);
	assert_int_equal(g->n_groups, 2);
	assert_int_equal(g->groups[1].id, 108);
	assert_int_equal(g->backend, POLICY_BACKEND_VFIO);
	assert_int_equal(g->dma, POLICY_DMA_UNSAFE);
	assert_int_equal(g->interrupts, POLICY_INTERRUPTS_MSIX);
	assert_int_equal(g->poll_interval_usec, 500);
	assert_int_equal(g->bars, 0x05);
	assert_int_equal(g->n_config_write, 2);
	assert_int_equal(g->config_write[0].start, 0x100);
	assert_int_equal(g->config_write[0].end, 0x10f);
	assert_int_equal(g->config_write[1].start, 0x40);
	assert_int_equal(g->reset, POLICY_RESET_FLR);
	assert_true(g->max_lease_usec == UINT64_C(8) * 3600 * 1000000);
	assert_true(g->memlock_limit == UINT64_C(2) << 30);
	assert_int_equal(g->irq_rate_limit, 5000);
	assert_true(g->group_unbind);
	assert_int_equal(g->stray_holders, POLICY_STRAY_LOG);
	assert_int_equal(g->revoke_grace_usec, 0);
	assert_int_equal(policy_file_key_line(f, POLICY_KEY_REVOKE_GRACE), 25);
	assert_key(f, POLICY_KEY_DMA_ADDRESS_BITS, "28");
	assert_int_equal(g->dma_address_bits, 28);
	assert_key(f, POLICY_KEY_WRITE_COMBINING, "2 4");
	assert_int_equal(g->write_combining, 0x14);

	assert_int_equal(policy_file_key_line(f, POLICY_KEY_SLOT), 3);
	assert_int_equal(policy_file_key_line(f, POLICY_KEY_USERS), 11);
	assert_int_equal(policy_file_key_line(f, POLICY_KEY_GROUP_UNBIND), 23);
	assert_int_equal(policy_file_key_line(f, _POLICY_KEY_INVALID), 0);
}

/* What format_key() prints parses back to the same settings. */
static void test_round_trip(void **state)
{
	_cleanup_(policy_file_unrefp) struct policy_file *f = parse_ok(full);
	char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);
	_cleanup_(policy_file_unrefp) struct policy_file *g = NULL;

	assert_non_null(out);
	for (const char *section = "Match"; section;
	     section = streq(section, "Match") ? "Grant" : NULL) {
		fprintf(out, "[%s]\n", section);
		for (enum policy_key k = 0; k < _POLICY_KEY_MAX; k++)
			if (streq(policy_key_section(k), section)) {
				_cleanup_free_ char *v = format_key(f, k);

				fprintf(out, "%s=%s\n", policy_key_to_string(k), v);
			}
	}
	fclose(out);
	g = parse_ok(buf);
	for (enum policy_key k = 0; k < _POLICY_KEY_MAX; k++) {
		_cleanup_free_ char *a = format_key(f, k), *b = format_key(g, k);

		assert_string_equal(a, b);
	}
	free(buf);
}

static void test_enum_values(void **state)
{
	static const struct {
		enum policy_key key;
		const char *value;
		size_t offset;
		int expected;
	} cases[] = {
#define G(field) offsetof(struct policy_grant, field)
		{POLICY_KEY_BACKEND, "auto", G(backend), POLICY_BACKEND_AUTO},
		{POLICY_KEY_BACKEND, "vfio", G(backend), POLICY_BACKEND_VFIO},
		{POLICY_KEY_BACKEND, "uio-ext", G(backend), POLICY_BACKEND_UIO_EXT},
		{POLICY_KEY_BACKEND, "uio", G(backend), POLICY_BACKEND_UIO},
		{POLICY_KEY_DMA, "iommu", G(dma), POLICY_DMA_IOMMU},
		{POLICY_KEY_DMA, "unsafe", G(dma), POLICY_DMA_UNSAFE},
		{POLICY_KEY_DMA, "none", G(dma), POLICY_DMA_NONE},
		{POLICY_KEY_INTERRUPTS, "auto", G(interrupts), POLICY_INTERRUPTS_AUTO},
		{POLICY_KEY_INTERRUPTS, "msix", G(interrupts), POLICY_INTERRUPTS_MSIX},
		{POLICY_KEY_INTERRUPTS, "msi", G(interrupts), POLICY_INTERRUPTS_MSI},
		{POLICY_KEY_INTERRUPTS, "intx", G(interrupts), POLICY_INTERRUPTS_INTX},
		{POLICY_KEY_INTERRUPTS, "poll", G(interrupts), POLICY_INTERRUPTS_POLL},
		{POLICY_KEY_RESET, "auto", G(reset), POLICY_RESET_AUTO},
		{POLICY_KEY_RESET, "flr", G(reset), POLICY_RESET_FLR},
		{POLICY_KEY_RESET, "pm", G(reset), POLICY_RESET_PM},
		{POLICY_KEY_RESET, "bus", G(reset), POLICY_RESET_BUS},
		{POLICY_KEY_RESET, "none", G(reset), POLICY_RESET_NONE},
#undef G
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_(policy_file_unrefp) struct policy_file *f = NULL;
		_cleanup_free_ char *text = NULL;
		const struct policy_grant *g;

		assert_true(asprintf(&text, "[Match]\nSlot=*\n[Grant]\n%s=%s\n",
				     policy_key_to_string(cases[i].key), cases[i].value) > 0);
		f = parse_ok(text);
		g = policy_file_get_grant(f);
		assert_int_equal(*(const int *)((const char *)g + cases[i].offset),
				 cases[i].expected);
		assert_key(f, cases[i].key, cases[i].value);
	}
	assert_string_equal(policy_backend_to_string(POLICY_BACKEND_UIO_EXT), "uio-ext");
	assert_string_equal(policy_dma_to_string(POLICY_DMA_NONE), "none");
	assert_string_equal(policy_interrupts_to_string(POLICY_INTERRUPTS_POLL), "poll");
	assert_string_equal(policy_reset_to_string(POLICY_RESET_BUS), "bus");
	assert_null(policy_reset_to_string(99));
}

static void test_key_table(void **state)
{
	for (enum policy_key k = 0; k < _POLICY_KEY_MAX; k++) {
		assert_non_null(policy_key_to_string(k));
		assert_int_equal(policy_key_from_string(policy_key_to_string(k)), k);
		assert_true(streq(policy_key_section(k), "Match") ||
			    streq(policy_key_section(k), "Grant"));
	}
	assert_int_equal(policy_key_from_string("users"), _POLICY_KEY_INVALID);
	assert_int_equal(policy_key_from_string(""), _POLICY_KEY_INVALID);
	assert_null(policy_key_to_string(_POLICY_KEY_MAX));
	assert_null(policy_key_to_string(_POLICY_KEY_INVALID));
	assert_string_equal(policy_key_section(POLICY_KEY_IRQ_RATE_LIMIT), "Grant");
	assert_string_equal(policy_key_default(POLICY_KEY_IRQ_RATE_LIMIT), "100000");
	assert_string_equal(policy_key_default(POLICY_KEY_GROUP_UNBIND), "no");
	assert_string_equal(policy_key_default(POLICY_KEY_STRAY_HOLDERS), "kill");
	assert_string_equal(policy_key_default(POLICY_KEY_REVOKE_GRACE), "5s");
	assert_string_equal(policy_key_default(POLICY_KEY_DMA_ADDRESS_BITS), "0");
	assert_string_equal(policy_stray_to_string(POLICY_STRAY_LOG), "log");
	assert_null(policy_key_default(POLICY_KEY_USERS));
}

static void test_syntax(void **state)
{
	_cleanup_(policy_file_unrefp) struct policy_file *a = NULL, *b = NULL, *c = NULL, *d = NULL;
	_cleanup_free_ char *long_line = malloc(30000);

	/* CRLF, blanks around everything, ';' and indented comments, no final newline. */
	a = parse_ok("; a comment\r\n  # another\r\n [Match] \r\n\tVendor = 8086 \r\n"
		     "[Grant]\r\nUsers =  alice\t bob\r\nBackend=uio");
	assert_key(a, POLICY_KEY_VENDOR, "8086");
	assert_key(a, POLICY_KEY_USERS, "alice bob");
	assert_key(a, POLICY_KEY_BACKEND, "uio");
	assert_int_equal(policy_file_key_line(a, POLICY_KEY_BACKEND), 7);

	/* [Grant] is optional: such a file denies what it matches. */
	b = parse_ok("[Match]\nClass=03\n");
	assert_int_equal(policy_file_get_grant(b)->n_users, 0);

	/* [Grant] may come first. */
	c = parse_ok("[Grant]\nGroups=video\n[Match]\nSlot=*\n");
	assert_key(c, POLICY_KEY_GROUPS, "video");

	/* No line length limit. */
	assert_non_null(long_line);
	strcpy(long_line, "[Match]\nSlot=*\n[Grant]\nUsers=");
	for (int i = 0; i < 2000; i++)
		strcat(long_line, "user12345 ");
	d = parse_ok(long_line);
	assert_int_equal(policy_file_get_grant(d)->n_users, 2000);
}

static void test_structure_errors(void **state)
{
	parse_fails("", 1, "expected a [Match] section");
	parse_fails("# only a comment\n\n", 2, "expected a [Match] section");
	parse_fails("[Grant]\nUsers=alice\n", 2, "expected a [Match] section");
	parse_fails("[Match]\n", 1, "expected at least one key in [Match] (Slot=* matches");
	parse_fails("[Match]\n[Grant]\nUsers=alice\n", 1, "expected at least one key in [Match]");
	parse_fails("Slot=*\n[Match]\nSlot=*\n", 1, "expected [Match] or [Grant] before Slot=");
	parse_fails("[Match]\nSlot=*\n[Match]\nVendor=8086\n", 3,
		    "duplicate [Match] section: expected one (first at line 1)");
	parse_fails("[Match]\nSlot=*\n[Grant]\n[Grant]\n", 4, "duplicate [Grant] section");
	parse_fails("[Match]\nSlot=*\n[Install]\nWantedBy=x\n", 3,
		    "unknown section [Install]: expected [Match] or [Grant]");
	parse_fails("[match]\nSlot=*\n", 1, "unknown section [match]");
	parse_fails("[Match]\nSlot=*\n[Grant\n", 3,
		    "expected ']' at the end of the section header");
	parse_fails("[Match]\nSlot=*\n[]\n", 3, "expected a section name");
	parse_fails("[Match]\nSlot=*\n[Gr ant]\n", 3, "expected a section name");
	parse_fails("[Match]\nSlot=*\nnonsense\n", 3, "expected Key=value, a [Section] header");
	parse_fails("[Match]\nSlot=*\n=x\n", 3, "expected a key name");
	parse_fails("[Match]\nSl ot=*\n", 2, "expected a key name");
	parse_fails("[Match]\nFoo=1\n", 2, "unknown key Foo= in [Match]");
	parse_fails("[Match]\nslot=*\n", 2, "unknown key slot= in [Match]: did you mean Slot=?");
	parse_fails("[Match]\nSlot=*\n[Grant]\ndma=none\n", 4,
		    "unknown key dma= in [Grant]: did you mean DMA=?");
	parse_fails("[Match]\nSlot=*\n[Grant]\nVendor=8086\n", 4,
		    "Vendor= belongs in [Match], not in [Grant]");
	parse_fails("[Match]\nUsers=alice\n", 2, "Users= belongs in [Grant], not in [Match]");
	parse_fails("[Match]\nSlot=*\nSlot=0000:03:00.0\n", 3,
		    "duplicate Slot=: expected it once (first at line 2)");
	parse_fails("[Match]\nSlot=*\n[Grant]\nUsers=a\nUsers=b\n", 5, "duplicate Users=");
	parse_fails("[Match]\nSlot=\n", 2, "expected a value after Slot=");
	parse_fails("[Match]\nSlot=*\n[Grant]\nBackend=  \n", 4, "expected a value after Backend=");
	parse_fails("[Match]\nSlot=*\n[Grant]\nUsers=alice # the admin\n", 4,
		    "Users=: expected a value; comments must be on a line of their own");
	parse_fails_n("[Match]\nSlot=*\0\n", 15, 2, "expected text, found a NUL byte");
}

static void test_value_errors(void **state)
{
	static const struct {
		const char *line;
		const char *message;
	} cases[] = {
		{"Slot=0000:03:00.8",
		 "Slot=: expected a slot such as 0000:03:00.0 or a glob such as "
		 "0000:03:00.*, not \"0000:03:00.8\""},
		{"Slot=* /etc/passwd", "Slot=: expected a slot"},
		{"Vendor=12345", "Vendor=: expected a 16-bit hex id such as 8086, not \"12345\""},
		{"Vendor=8086,1234", "Vendor=: expected a 16-bit hex id"},
		{"Device=xyz", "Device=: expected a 16-bit hex id"},
		{"Class=2", "Class=: expected 2, 4 or 6 hex digits of class, subclass, prog-if"},
		{"Class=0x02000000", "Class=: expected 2, 4 or 6 hex digits"},
		{"SubsystemVendor=g", "SubsystemVendor=: expected a 16-bit hex id"},
		{"SubsystemDevice=10000", "SubsystemDevice=: expected a 16-bit hex id"},
	};
	static const struct {
		const char *line;
		const char *message;
	} grant_cases[] = {
		{"Users=-alice", "Users=: expected a name (letters, digits, '_', '.', '-') or a "
				 "numeric id, not \"-alice\""},
		{"Users=4294967295", "Users=: expected a numeric id below 4294967295"},
		{"Groups=a:b", "Groups=: expected a name"},
		{"Backend=kvm", "Backend=: expected one of auto vfio uio-ext uio, not \"kvm\""},
		{"Backend=vfio uio", "Backend=: expected one of auto vfio uio-ext uio"},
		{"DMA=yes", "DMA=: expected one of iommu unsafe none, not \"yes\""},
		{"Interrupts=msi-x", "Interrupts=: expected one of auto msix msi intx poll"},
		{"PollInterval=0",
		 "PollInterval=: expected a positive duration such as 500us, 1ms"},
		{"PollInterval=infinity", "PollInterval=: expected a positive duration"},
		{"PollInterval=1 parsec", "PollInterval=: expected a positive duration"},
		{"BARs=6", "BARs=: expected a BAR number from 0 to 5, not \"6\""},
		{"BARs=0,2", "BARs=: expected a BAR number from 0 to 5, not \"0,2\""},
		{"ConfigWrite=0x10-0x20",
		 "ConfigWrite=: expected offsets from 0x40 on (the standard "
		 "header is never raw)"},
		{"ConfigWrite=0x100-0x1000",
		 "ConfigWrite=: expected an offset or range of offsets"},
		{"ConfigWrite=0x10f-0x100", "ConfigWrite=: expected an offset or range"},
		{"ConfigWrite=256", "ConfigWrite=: expected an offset or range"},
		{"Reset=warm", "Reset=: expected one of auto flr pm bus none, not \"warm\""},
		{"MaxLeaseTime=0", "MaxLeaseTime=: expected \"infinity\" or a positive duration"},
		{"MaxLeaseTime=soon",
		 "MaxLeaseTime=: expected \"infinity\" or a positive duration"},
		{"MemlockLimit=2GB", "MemlockLimit=: expected \"infinity\" or a size such as 512M"},
		{"IrqRateLimit=0", "IrqRateLimit=: expected \"infinity\" or a positive number"},
		{"IrqRateLimit=-5", "IrqRateLimit=: expected \"infinity\" or a positive number"},
		{"GroupUnbind=maybe", "GroupUnbind=: expected yes or no, not \"maybe\""},
		{"StrayHolders=ignore", "StrayHolders=: expected"},
		{"RevokeGracePeriod=infinity", "RevokeGracePeriod=: expected a duration"},
		{"RevokeGracePeriod=5 parsecs", "RevokeGracePeriod=: expected a duration"},
		{"DMAAddressBits=23",
		 "DMAAddressBits=: expected 0 (the kernel's default) or a number"},
		{"DMAAddressBits=65",
		 "DMAAddressBits=: expected 0 (the kernel's default) or a number"},
		{"DMAAddressBits=28bits", "DMAAddressBits=: expected 0"},
		{"WriteCombining=6", "WriteCombining=: expected a BAR number from 0 to 5"},
		{"WriteCombining=BAR2", "WriteCombining=: expected a BAR number from 0 to 5"},
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_free_ char *text = NULL;

		assert_true(asprintf(&text, "[Match]\n%s\n", cases[i].line) > 0);
		parse_fails(text, 2, cases[i].message);
	}
	for (size_t i = 0; i < ELEMENTSOF(grant_cases); i++) {
		_cleanup_free_ char *text = NULL;

		assert_true(asprintf(&text, "[Match]\nSlot=*\n[Grant]\n%s\n", grant_cases[i].line) >
			    0);
		parse_fails(text, 4, grant_cases[i].message);
	}
}

static void test_long_bad_value(void **state)
{
	_cleanup_(policy_report_done) struct policy_report report = {};
	_cleanup_free_ char *text = malloc(5000);
	struct policy_file *f = NULL;

	assert_non_null(text);
	strcpy(text, "[Match]\nVendor=");
	memset(text + strlen(text), 'x', 4000);
	text[15 + 4000] = '\0';
	assert_int_equal(policy_file_parse("x.policy", text, strlen(text), &f, &report), -EINVAL);
	assert_int_equal(report.n_errors, 1);
	assert_true(strlen(report.errors[0].text) < 200);
	assert_non_null(strstr(report.errors[0].text, "xxx...\""));
}

/* Every bad line is reported, not only the first; a bad section's keys are not. */
static void test_all_errors(void **state)
{
	_cleanup_(policy_report_done) struct policy_report report = {};
	_cleanup_(policy_report_done) struct policy_report many = {};
	_cleanup_free_ char *text = NULL;
	const char *bad = "[Match]\nVendor=x\nFoo=1\n[Grant]\nDMA=maybe\n[Other]\nA=1\nB=2\n";
	struct policy_file *f = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);

	assert_int_equal(policy_file_parse("x.policy", bad, strlen(bad), &f, &report), -EINVAL);
	assert_int_equal(report.n_errors, 4);
	assert_int_equal(report.errors[0].line, 2);
	assert_int_equal(report.errors[1].line, 3);
	assert_int_equal(report.errors[2].line, 5);
	assert_int_equal(report.errors[3].line, 6);

	/* A file of garbage gives a bounded list. */
	fputs("[Match]\n", out);
	for (int i = 0; i < 200; i++)
		fputs("garbage\n", out);
	fclose(out);
	assert_int_equal(policy_file_parse("x.policy", text, size, &f, &many), -EINVAL);
	assert_int_equal(many.n_errors, 51);
	assert_string_equal(many.errors[50].text, "too many errors, giving up");

	/* REPORT may be NULL. */
	assert_int_equal(policy_file_parse("x.policy", bad, strlen(bad), &f, NULL), -EINVAL);
	assert_null(f);
}

static void test_error_format(void **state)
{
	struct policy_error e = {.path = "/etc/udrvd/policy.d/a.policy", .line = 7, .text = "bad"};
	_cleanup_free_ char *s = NULL, *t = NULL;

	assert_int_equal(policy_error_format(&e, &s), 0);
	assert_string_equal(s, "/etc/udrvd/policy.d/a.policy:7: bad");
	e.line = 0;
	assert_int_equal(policy_error_format(&e, &t), 0);
	assert_string_equal(t, "/etc/udrvd/policy.d/a.policy: bad");
}

static void assert_match(const char *match, const struct pci_device *dev, const char *why)
{
	_cleanup_(policy_file_unrefp) struct policy_file *f = NULL;
	_cleanup_free_ char *text = NULL, *w = NULL;

	assert_true(asprintf(&text, "[Match]\n%s\n", match) > 0);
	f = parse_ok(text);
	if (!why) {
		assert_int_equal(policy_file_match(f, dev, &w), 1);
		assert_null(w);
		return;
	}
	assert_int_equal(policy_file_match(f, dev, &w), 0);
	assert_string_equal(w, why);
	assert_int_equal(policy_file_match(f, dev, NULL), 0);
}

static void test_match(void **state)
{
	struct pci_device nic = test_device("0000:03:00.1", 0x8086, 0x10d3, 0x020000);

	assert_match("Slot=*", &nic, NULL);
	assert_match("Slot=0000:03:00.*", &nic, NULL);
	assert_match("Slot=03:00.1", &nic, NULL);
	assert_match("Slot=0000:04:00.0 0000:03:00.[0-3]", &nic, NULL);
	assert_match("Slot=0000:03:00.0", &nic,
		     "Slot=0000:03:00.0 does not match 0000:03:00.1 (50-test.policy:2)");
	assert_match("Vendor=1234 8086", &nic, NULL);
	assert_match("Vendor=1234", &nic,
		     "Vendor=1234 does not match vendor 8086 (50-test.policy:2)");
	assert_match("Device=10D3", &nic, NULL);
	assert_match("Device=11e8", &nic,
		     "Device=11e8 does not match device 10d3 (50-test.policy:2)");
	assert_match("Class=02", &nic, NULL);
	assert_match("Class=0200", &nic, NULL);
	assert_match("Class=020000", &nic, NULL);
	assert_match("Class=03 02", &nic, NULL);
	assert_match("Class=0280", &nic,
		     "Class=0280 does not match class 020000 (50-test.policy:2)");
	assert_match("SubsystemVendor=1af4", &nic, NULL);
	assert_match(
		"SubsystemVendor=8086", &nic,
		"SubsystemVendor=8086 does not match subsystem vendor 1af4 (50-test.policy:2)");
	assert_match("SubsystemDevice=1100", &nic, NULL);
	assert_match(
		"SubsystemDevice=0000", &nic,
		"SubsystemDevice=0000 does not match subsystem device 1100 (50-test.policy:2)");
	/* All keys must match; a failing one is named, in the order of the key table. */
	assert_match("Vendor=8086\nClass=02\nDevice=10d3", &nic, NULL);
	assert_match("Vendor=8086\nClass=01\nDevice=10d3", &nic,
		     "Class=01 does not match class 020000 (50-test.policy:3)");
	assert_match("Class=01\nDevice=ffff", &nic,
		     "Device=ffff does not match device 10d3 (50-test.policy:3)");
}

static void decide(const char *grant, const struct policy_cred *cred, bool granted,
		   const char *reason)
{
	_cleanup_(policy_file_unrefp) struct policy_file *f = NULL;
	_cleanup_(policy_decision_done) struct policy_decision d = {};
	_cleanup_free_ char *text = NULL;

	assert_true(asprintf(&text, "[Match]\nSlot=*\n[Grant]\n%s\n", grant) > 0);
	f = parse_ok(text);
	assert_int_equal(policy_file_decide(f, cred, &d), 0);
	assert_int_equal(d.granted, granted);
	assert_ptr_equal(d.file, f);
	assert_string_equal(d.reason, reason);
}

static void test_decide(void **state)
{
	struct policy_cred alice = test_alice(), bob = test_bob();
	struct policy_cred anon = {.uid = 1234};
	struct policy_cred nameless = {.uid = 1000, .gids = (gid_t[]){108}, .n_gids = 1};

	decide("Users=alice", &alice, true,
	       "granted: alice is listed in Users= (50-test.policy:4)");
	decide("Users=bob alice", &alice, true,
	       "granted: alice is listed in Users= (50-test.policy:4)");
	decide("Users=1000", &alice, true,
	       "granted: alice (uid 1000) is listed in Users= (50-test.policy:4)");
	decide("Users=1000", &nameless, true,
	       "granted: uid 1000 is listed in Users= (50-test.policy:4)");
	decide("Users=alice", &nameless, false,
	       "denied: uid 1000 is not listed in Users= or Groups= of 50-test.policy");
	decide("Groups=netdev", &alice, true,
	       "granted: alice is in group netdev (gid 108), listed in Groups= (50-test.policy:4)");
	decide("Groups=108", &alice, true,
	       "granted: alice is in group netdev (gid 108), listed in Groups= (50-test.policy:4)");
	decide("Groups=108", &nameless, true,
	       "granted: uid 1000 is in group 108, listed in Groups= (50-test.policy:4)");
	decide("Groups=netdev", &nameless, false,
	       "denied: uid 1000 is not listed in Users= or Groups= of 50-test.policy");
	decide("Users=alice\nGroups=netdev", &bob, false,
	       "denied: bob is not listed in Users= or Groups= of 50-test.policy");
	decide("Users=1000", &anon, false,
	       "denied: uid 1234 is not listed in Users= or Groups= of 50-test.policy");
	decide("Backend=vfio", &alice, false,
	       "denied: 50-test.policy grants the device to nobody (no Users= or Groups=)");
	/* A user name is not a group name, nor a uid a gid. */
	decide("Groups=alice1", &alice, false,
	       "denied: alice is not listed in Users= or Groups= of 50-test.policy");
	decide("Users=108", &alice, false,
	       "denied: alice is not listed in Users= or Groups= of 50-test.policy");
	decide("Users=0", &alice, false,
	       "denied: alice is not listed in Users= or Groups= of 50-test.policy");
}

/* The entry of KEY in MAN: from its ".BI Key= " line to the next entry or section. */
static char *man_entry(const char *man, enum policy_key key)
{
	_cleanup_free_ char *head = NULL;
	const char *start, *end;

	assert_true(asprintf(&head, "\n.BI %s= ", policy_key_to_string(key)) > 0);
	start = strstr(man, head);
	if (!start)
		fail_msg("udrvd.policy.5 has no entry \"%s\"", head + 1);
	start += strlen(head);
	end = strstr(start, "\n.TP");
	if (!end)
		end = strstr(start, "\n.SH");
	assert_non_null(end);
	return strndup(start, (size_t)(end - start));
}

/* udrvd.policy(5) has an entry for every key of the table, with the table's default. */
static void test_man_page(void **state)
{
	const char *srcdir = getenv("UDRV_SRCDIR");
	_cleanup_free_ char *path = NULL, *man = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	size_t size = 0;

	assert_non_null(srcdir); /* set by make check */
	assert_true(asprintf(&path, "%s/man/udrvd.policy.5", srcdir) > 0);
	f = fopen(path, "re");
	assert_non_null(f);
	assert_true(getdelim(&man, &size, '\0', f) > 0);
	for (enum policy_key k = 0; k < _POLICY_KEY_MAX; k++) {
		_cleanup_free_ char *entry = man_entry(man, k);
		const char *def = policy_key_default(k) ?: "none";

		if (streq(policy_key_section(k), "Match"))
			continue;
		if (!strstr(entry, "Default:") || !strstr(strstr(entry, "Default:"), def))
			fail_msg("the entry of %s= in %s does not give its default, %s",
				 policy_key_to_string(k), path, def);
	}
}

static void test_refcount(void **state)
{
	struct policy_file *f = parse_ok("[Match]\nSlot=*\n");

	assert_ptr_equal(policy_file_ref(f), f);
	assert_null(policy_file_unref(f));
	assert_string_equal(policy_file_get_name(f), "50-test.policy");
	assert_null(policy_file_unref(f));
	assert_null(policy_file_ref(NULL));
	assert_null(policy_file_unref(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),	 cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_round_trip),	 cmocka_unit_test(test_enum_values),
		cmocka_unit_test(test_key_table),	 cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_structure_errors), cmocka_unit_test(test_value_errors),
		cmocka_unit_test(test_long_bad_value),	 cmocka_unit_test(test_all_errors),
		cmocka_unit_test(test_error_format),	 cmocka_unit_test(test_match),
		cmocka_unit_test(test_decide),		 cmocka_unit_test(test_man_page),
		cmocka_unit_test(test_refcount),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
