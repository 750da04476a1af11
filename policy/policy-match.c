/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Matching a device against [Match] and deciding a caller's grant: pure functions. */
#include <stdio.h>

#include "pci-device.h"
#include "policy-internal.h"

int policy_file_match(const struct policy_file *f, const struct pci_device *dev, char **ret_why)
{
	for (enum policy_key k = 0; k < _POLICY_KEY_MAX; k++) {
		char actual[POLICY_VALUE_MAX] = "";

		if (!f->settings[k].line || !streq(policy_key_section(k), "Match"))
			continue;
		if (policy_key_match(k, f, dev, actual))
			continue;
		if (ret_why) {
			*ret_why = policy_asprintf("%s=%s does not match %s (%s:%u)",
						   policy_key_to_string(k), f->settings[k].raw,
						   actual, f->name, f->settings[k].line);
			if (!*ret_why)
				return -ENOMEM;
		}
		return 0;
	}
	return 1;
}

static const char *cred_group_name(const struct policy_cred *cred, size_t i)
{
	return cred->group_names ? cred->group_names[i] : NULL;
}

/* 1 with RET_REASON when F's Users= lists CRED, 0 when not, -ENOMEM. */
static int reason_users(const struct policy_file *f, const struct policy_cred *cred,
			char **ret_reason)
{
	const struct policy_grant *g = &f->grant;
	unsigned line = f->settings[POLICY_KEY_USERS].line;
	char *s;

	for (size_t i = 0; i < g->n_users; i++) {
		const struct policy_id *id = &g->users[i];

		if (id->name && cred->user && streq(id->name, cred->user))
			s = policy_asprintf("granted: %s is listed in Users= (%s:%u)", cred->user,
					    f->name, line);
		else if (!id->name && id->id == cred->uid)
			s = policy_asprintf("granted: %s%suid %u%s is listed in Users= (%s:%u)",
					    cred->user ?: "", cred->user ? " (" : "",
					    (unsigned)cred->uid, cred->user ? ")" : "", f->name,
					    line);
		else
			continue;
		if (!s)
			return -ENOMEM;
		*ret_reason = s;
		return 1;
	}
	return 0;
}

/* The subject of a reason: "alice", or "uid 1001" when the name is unknown. */
static char *cred_subject(const struct policy_cred *cred)
{
	if (cred->user)
		return strdup(cred->user);
	return policy_asprintf("uid %u", (unsigned)cred->uid);
}

static bool id_matches_group(const struct policy_id *id, const struct policy_cred *cred, size_t j)
{
	const char *name = cred_group_name(cred, j);

	return id->name ? name && streq(id->name, name) : id->id == cred->gids[j];
}

/* Like reason_users(), for Groups=. */
static int reason_groups(const struct policy_file *f, const struct policy_cred *cred,
			 char **ret_reason)
{
	const struct policy_grant *g = &f->grant;
	unsigned line = f->settings[POLICY_KEY_GROUPS].line;

	for (size_t i = 0; i < g->n_groups; i++)
		for (size_t j = 0; j < cred->n_gids; j++) {
			_cleanup_free_ char *who = NULL;
			const char *name = cred_group_name(cred, j);
			char *s;

			if (!id_matches_group(&g->groups[i], cred, j))
				continue;
			who = cred_subject(cred);
			if (!who)
				return -ENOMEM;
			s = policy_asprintf("granted: %s is in group %s%s%u%s, listed in Groups= "
					    "(%s:%u)",
					    who, name ?: "", name ? " (gid " : "",
					    (unsigned)cred->gids[j], name ? ")" : "", f->name,
					    line);
			if (!s)
				return -ENOMEM;
			*ret_reason = s;
			return 1;
		}
	return 0;
}

static char *reason_denied(const struct policy_file *f, const struct policy_cred *cred)
{
	_cleanup_free_ char *who = cred_subject(cred);

	if (!who)
		return NULL;
	if (f->grant.n_users == 0 && f->grant.n_groups == 0)
		return policy_asprintf("denied: %s grants the device to nobody (no Users= or "
				       "Groups=)",
				       f->name);
	return policy_asprintf("denied: %s is not listed in Users= or Groups= of %s", who, f->name);
}

int policy_file_decide(struct policy_file *f, const struct policy_cred *cred,
		       struct policy_decision *ret)
{
	char *reason = NULL;
	int r;

	r = reason_users(f, cred, &reason);
	if (r == 0)
		r = reason_groups(f, cred, &reason);
	if (r < 0)
		return r;
	if (r == 0) {
		reason = reason_denied(f, cred);
		if (!reason)
			return -ENOMEM;
	}
	*ret = (struct policy_decision){
		.granted = r > 0,
		.file = policy_file_ref(f),
		.reason = reason,
	};
	return 0;
}

static int trace_add(struct policy_trace *t, struct policy_file *f, bool matched, char *why)
{
	struct policy_step *p = reallocarray(t->steps, t->n_steps + 1, sizeof(*p));

	if (!p) {
		free(why);
		return -ENOMEM;
	}
	p[t->n_steps++] = (struct policy_step){policy_file_ref(f), matched, why};
	t->steps = p;
	return 0;
}

static int decide_no_match(const struct pci_device *dev, struct policy_decision *ret)
{
	char *reason = policy_asprintf("denied: no policy matches %s", dev->slot);

	if (!reason)
		return -ENOMEM;
	*ret = (struct policy_decision){.reason = reason};
	return 0;
}

struct policy_file *policy_set_match(const struct policy_set *set, const struct pci_device *dev)
{
	for (size_t i = 0; i < policy_set_size(set); i++) {
		struct policy_file *f = policy_set_get(set, i);

		/* Without a reason to write, matching allocates nothing and cannot fail. */
		if (policy_file_match(f, dev, NULL) > 0)
			return f;
	}
	return NULL;
}

/* Records in T each file of SET tried up to MATCH (NULL: all of them), and why it did not match. */
static int trace_fill(struct policy_trace *t, const struct policy_set *set,
		      const struct pci_device *dev, const struct policy_file *match)
{
	for (size_t i = 0; i < policy_set_size(set); i++) {
		struct policy_file *f = policy_set_get(set, i);
		char *why = NULL;
		int r;

		if (f == match)
			return trace_add(t, f, true, NULL);
		r = policy_file_match(f, dev, &why);
		if (r < 0)
			return r;
		r = trace_add(t, f, r > 0, why);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The first matching file of SET decides; TRACE (may be NULL) records the files tried. */
static int explain(const struct policy_set *set, const struct pci_device *dev,
		   const struct policy_cred *cred, struct policy_trace *trace,
		   struct policy_decision *ret)
{
	struct policy_file *f = policy_set_match(set, dev);
	int r;

	if (trace) {
		r = trace_fill(trace, set, dev, f);
		if (r < 0)
			return r;
	}
	return f ? policy_file_decide(f, cred, ret) : decide_no_match(dev, ret);
}

int policy_set_explain(const struct policy_set *set, const struct pci_device *dev,
		       const struct policy_cred *cred, struct policy_trace *ret_trace,
		       struct policy_decision *ret)
{
	_cleanup_(policy_trace_done) struct policy_trace trace = {};
	int r;

	r = explain(set, dev, cred, ret_trace ? &trace : NULL, ret);
	if (r < 0)
		return r;
	if (ret_trace) {
		*ret_trace = trace;
		trace = (struct policy_trace){};
	}
	return 0;
}

int policy_set_decide(const struct policy_set *set, const struct pci_device *dev,
		      const struct policy_cred *cred, struct policy_decision *ret)
{
	return policy_set_explain(set, dev, cred, NULL, ret);
}

void policy_decision_done(struct policy_decision *d)
{
	policy_file_unref(d->file);
	free(d->reason);
	*d = (struct policy_decision){};
}

void policy_trace_done(struct policy_trace *t)
{
	for (size_t i = 0; i < t->n_steps; i++) {
		policy_file_unref(t->steps[i].file);
		free(t->steps[i].why);
	}
	free(t->steps);
	*t = (struct policy_trace){};
}
