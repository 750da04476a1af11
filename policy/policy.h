/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Per-device policy: parsing policy files, the search path, reload and the grant decision. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct pci_device;

/* "No limit" for MaxLeaseTime=, MemlockLimit= and IrqRateLimit=. */
#define POLICY_INFINITY UINT64_MAX

/* Files larger than this are rejected: a policy file is a few lines. */
#define POLICY_FILE_SIZE_MAX (1024 * 1024)

/* Every key of a policy file. The table in policy-keys.c gives each its section, name,
 * parser, formatter and default; nothing else lists them. */
enum policy_key {
	/* [Match] */
	POLICY_KEY_SLOT,
	POLICY_KEY_VENDOR,
	POLICY_KEY_DEVICE,
	POLICY_KEY_CLASS,
	POLICY_KEY_SUBSYSTEM_VENDOR,
	POLICY_KEY_SUBSYSTEM_DEVICE,
	/* [Grant] */
	POLICY_KEY_USERS,
	POLICY_KEY_GROUPS,
	POLICY_KEY_BACKEND,
	POLICY_KEY_DMA,
	POLICY_KEY_INTERRUPTS,
	POLICY_KEY_POLL_INTERVAL,
	POLICY_KEY_BARS,
	POLICY_KEY_CONFIG_WRITE,
	POLICY_KEY_RESET,
	POLICY_KEY_MAX_LEASE_TIME,
	POLICY_KEY_MEMLOCK_LIMIT,
	POLICY_KEY_IRQ_RATE_LIMIT,
	POLICY_KEY_GROUP_UNBIND,
	POLICY_KEY_STRAY_HOLDERS,
	POLICY_KEY_REVOKE_GRACE,
	POLICY_KEY_DMA_ADDRESS_BITS,
	POLICY_KEY_WRITE_COMBINING,
	_POLICY_KEY_MAX,
	_POLICY_KEY_INVALID = -EINVAL,
};

enum policy_backend {
	POLICY_BACKEND_AUTO,
	POLICY_BACKEND_VFIO,
	POLICY_BACKEND_UIO_EXT,
	POLICY_BACKEND_UIO,
};

enum policy_dma {
	POLICY_DMA_IOMMU,  /* bus mastering only when an IOMMU confines the device */
	POLICY_DMA_UNSAFE, /* bus mastering without an IOMMU, logged loudly */
	POLICY_DMA_NONE,   /* bus mastering never enabled */
};

enum policy_interrupts {
	POLICY_INTERRUPTS_AUTO,
	POLICY_INTERRUPTS_MSIX,
	POLICY_INTERRUPTS_MSI,
	POLICY_INTERRUPTS_INTX,
	POLICY_INTERRUPTS_POLL,
};

enum policy_reset {
	POLICY_RESET_AUTO,
	POLICY_RESET_FLR,
	POLICY_RESET_PM,
	POLICY_RESET_BUS,
	POLICY_RESET_NONE,
};

/* What udrvd does with processes that still hold a device's fds or mappings when its lease
 * ends (a client may have passed them on). */
enum policy_stray {
	POLICY_STRAY_KILL, /* SIGKILL them, wait for them to go, then give the device back */
	POLICY_STRAY_LOG,  /* log each one loudly, then give the device back anyway */
};

/* A user or group in Users= / Groups=: a name, or a numeric id when name is NULL. */
struct policy_id {
	char *name;
	uint32_t id;
};

/* An inclusive range of config space offsets a client may write raw. */
struct policy_range {
	uint16_t start;
	uint16_t end;
};

/* The [Grant] section of one file, defaults filled in. */
struct policy_grant {
	struct policy_id *users;
	size_t n_users;
	struct policy_id *groups;
	size_t n_groups;
	enum policy_backend backend;
	enum policy_dma dma;
	enum policy_interrupts interrupts;
	uint64_t poll_interval_usec;
	uint8_t bars; /* bit i set: BAR i may be mapped */
	struct policy_range *config_write;
	size_t n_config_write;
	enum policy_reset reset;
	uint64_t max_lease_usec; /* or POLICY_INFINITY */
	uint64_t memlock_limit;	 /* bytes, or POLICY_INFINITY */
	uint64_t irq_rate_limit; /* interrupts per second, or POLICY_INFINITY */
	bool group_unbind;
	enum policy_stray stray_holders;
	uint64_t revoke_grace_usec; /* how long a revoked holder may keep its mappings */
	unsigned dma_address_bits;  /* what the device can address (uio-ext DMA); 0: the kernel's */
	uint8_t write_combining;    /* bit i set: BAR i is mapped write-combining (uio-ext) */
};

/* Who asks. The caller resolves names with NSS (policy_cred_from_uid() does it); the
 * decision itself never looks anything up. Users= names match USER, Groups= names match
 * GROUP_NAMES, numeric entries match UID and GIDS. */
struct policy_cred {
	uid_t uid;
	char *user;    /* login name of UID, NULL when unknown */
	gid_t *gids;   /* primary and supplementary groups */
	size_t n_gids; /* may be 0 */
	/* n_gids entries or NULL; group_names[i] names gids[i], or is NULL when it has no name */
	char **group_names;
};

/* Fills RET for UID from NSS: login name, primary group, supplementary groups and their
 * names. A UID without a passwd entry gives a credential with only the uid. */
int policy_cred_from_uid(uid_t uid, struct policy_cred *ret);
/* Same, for a user name or a numeric uid. -ESRCH when the name is unknown. */
int policy_cred_from_user(const char *user, struct policy_cred *ret);
void policy_cred_done(struct policy_cred *c);

/* One problem found while loading: PATH:LINE: TEXT (LINE 0: the file as a whole). */
struct policy_error {
	char *path;
	unsigned line;
	char *text;
};

/* What a load or reload found wrong. Zero-initialize; free with policy_report_done(). */
struct policy_report {
	struct policy_error *errors;
	size_t n_errors;
	char **rejected; /* paths of files rejected as a whole; NULL-terminated or NULL */
	char **kept;	 /* paths whose last good version a reload kept; NULL-terminated or NULL */
};

void policy_report_done(struct policy_report *r);
/* Writes "PATH:LINE: TEXT" (or "PATH: TEXT") to RET. */
int policy_error_format(const struct policy_error *e, char **ret);

/* One parsed policy file, immutable once parsed and reference-counted, so a decision
 * stays valid across reloads. */
struct policy_file;

#define POLICY_FILE_MASKED 1

/* Parses SIZE bytes of BUF (need not be NUL-terminated); PATH names the file in errors and
 * its basename becomes the file's name. Every error goes to REPORT (may be NULL); any
 * error rejects the whole file with -EINVAL. */
int policy_file_parse(const char *path, const char *buf, size_t size, struct policy_file **ret,
		      struct policy_report *report);
/* Reads and parses PATH. Symlinks are followed; an empty file or a symlink to /dev/null
 * returns POLICY_FILE_MASKED and leaves RET untouched. World-writable files, non-regular
 * files and files over POLICY_FILE_SIZE_MAX are rejected. */
int policy_file_load(const char *path, struct policy_file **ret, struct policy_report *report);

struct policy_file *policy_file_ref(struct policy_file *f);
struct policy_file *policy_file_unref(struct policy_file *f);
void policy_file_unrefp(struct policy_file **f);

const char *policy_file_get_name(const struct policy_file *f); /* "50-nics.policy" */
const char *policy_file_get_path(const struct policy_file *f);
const struct policy_grant *policy_file_get_grant(const struct policy_file *f);
/* The line that sets KEY, 0 when KEY is not set (its default applies). */
unsigned policy_file_key_line(const struct policy_file *f, enum policy_key key);
/* KEY's resolved value in the file's own syntax ("1ms", "0 2", "vfio"); "" for an empty list. */
int policy_file_format_key(const struct policy_file *f, enum policy_key key, char **ret);
/* 1 when the [Match] section matches DEV; 0 when not, with RET_WHY (may be NULL) saying
 * which key failed, e.g. "Class=02 does not match class 00ff00 (10-gpu.policy:3)". */
int policy_file_match(const struct policy_file *f, const struct pci_device *dev, char **ret_why);

const char *policy_key_to_string(enum policy_key key);	  /* "PollInterval" */
const char *policy_key_section(enum policy_key key);	  /* "Match" or "Grant" */
const char *policy_key_default(enum policy_key key);	  /* NULL when unset means "none" */
enum policy_key policy_key_from_string(const char *name); /* -EINVAL when unknown */

const char *policy_backend_to_string(enum policy_backend b);

/* Whether the uio_ext module is usable under ROOT: its PCI driver and /dev/uio-ext exist. */
bool policy_uio_ext_loaded(const char *root);
/* The backend G uses on DEV (never auto in *RET), and why (*RET_WHY, static): Backend= as
 * written, or for auto vfio when DEV has an IOMMU group, else uio-ext when its module is loaded
 * and BARs= withholds no memory BAR, else uio. -ENODEV when Backend= names one DEV cannot use,
 * *RET_WHY then saying what to do. */
int policy_backend_choose(const struct policy_grant *g, const struct pci_device *dev,
			  bool uio_ext_loaded, enum policy_backend *ret, const char **ret_why);
/* What F sets that does not mean the same on every backend it can select ("FILE:LINE: Key= does
 * not apply on VFIO: ..."): a strv, NULL when nothing. For `udrvctl policy check`. */
int policy_file_backend_notes(const struct policy_file *f, char ***ret);
const char *policy_dma_to_string(enum policy_dma d);
const char *policy_stray_to_string(enum policy_stray s);
const char *policy_interrupts_to_string(enum policy_interrupts i);
const char *policy_reset_to_string(enum policy_reset r);

/* The policy files of a search path, each the last good version seen. */
struct policy_set;

/* ROOT/etc/udrvd/policy.d, ROOT/run/udrvd/policy.d, ROOT/usr/lib/udrvd/policy.d, highest
 * priority first. ROOT may be NULL or "/". */
int policy_search_path(const char *root, char ***ret);

/* A set over DIRS (highest priority first; copied), with no files until reloaded. */
int policy_set_new(char *const *dirs, struct policy_set **ret);
/* (Re)reads every *.policy file in the directories. A name in an earlier directory masks
 * the same name in later ones. A file that fails now is reported in REPORT (may be NULL),
 * and its last good version stays in force if there is one. Fails, leaving SET untouched,
 * only when a directory cannot be read (missing directories are fine) or on ENOMEM. */
int policy_set_reload(struct policy_set *set, struct policy_report *report);
/* policy_set_new() and policy_set_reload() in one. */
int policy_set_load(char *const *dirs, struct policy_set **ret, struct policy_report *report);
void policy_set_free(struct policy_set *set);
void policy_set_freep(struct policy_set **set);

/* Files in force, in the order they are tried. */
size_t policy_set_size(const struct policy_set *set);
struct policy_file *policy_set_get(const struct policy_set *set, size_t i);

/* The verdict for one (device, caller) pair. */
struct policy_decision {
	bool granted;
	struct policy_file *file; /* the file that decided (a reference), NULL when none matched */
	char *reason;		  /* "granted: alice is listed in Users= (50-nics.policy:7)" */
};

void policy_decision_done(struct policy_decision *d);

/* One file tried before a match, and why it did not match. */
struct policy_step {
	struct policy_file *file; /* a reference */
	bool matched;
	char *why; /* NULL when matched */
};

struct policy_trace {
	struct policy_step *steps;
	size_t n_steps;
};

void policy_trace_done(struct policy_trace *t);

/* The first file of SET whose [Match] matches DEV (no reference taken), NULL when none does.
 * Pure: no I/O, no allocation. */
struct policy_file *policy_set_match(const struct policy_set *set, const struct pci_device *dev);
/* The first file whose [Match] matches DEV decides; no match denies. Pure: no I/O. */
int policy_set_decide(const struct policy_set *set, const struct pci_device *dev,
		      const struct policy_cred *cred, struct policy_decision *ret);
/* policy_set_decide(), recording in RET_TRACE every file tried up to the deciding one. */
int policy_set_explain(const struct policy_set *set, const struct pci_device *dev,
		       const struct policy_cred *cred, struct policy_trace *ret_trace,
		       struct policy_decision *ret);
/* The verdict of F's [Grant] for CRED, once F's [Match] has matched the device. */
int policy_file_decide(struct policy_file *f, const struct policy_cred *cred,
		       struct policy_decision *ret);
