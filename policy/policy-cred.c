/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Resolves a caller's names and groups with NSS, the one place in policy/ that looks them up. */
#include <grp.h>
#include <pwd.h>

#include "policy-internal.h"

/* getpwuid_r() and friends want a buffer; this is enough for any sane entry. */
#define NSS_BUFFER_SIZE 16384
#define GROUPS_MAX 65536

static int cred_add_group_names(struct policy_cred *c)
{
	_cleanup_free_ char *buf = malloc(NSS_BUFFER_SIZE);

	if (!buf)
		return -ENOMEM;
	c->group_names = calloc(c->n_gids + 1, sizeof(char *));
	if (!c->group_names)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_gids; i++) {
		struct group gr, *res = NULL;

		if (getgrgid_r(c->gids[i], &gr, buf, NSS_BUFFER_SIZE, &res) != 0 || !res)
			continue; /* a gid without a name still matches numeric Groups= entries */
		c->group_names[i] = strdup(gr.gr_name);
		if (!c->group_names[i])
			return -ENOMEM;
	}
	return 0;
}

static int cred_add_groups(struct policy_cred *c, const char *user, gid_t primary)
{
	int n = 64;

	for (;;) {
		gid_t *g = reallocarray(c->gids, (size_t)n, sizeof(gid_t));
		int k = n;

		if (!g)
			return -ENOMEM;
		c->gids = g;
		if (getgrouplist(user, primary, c->gids, &k) >= 0) {
			c->n_gids = (size_t)k;
			return cred_add_group_names(c);
		}
		if (k <= n || k > GROUPS_MAX)
			return -E2BIG;
		n = k;
	}
}

int policy_cred_from_uid(uid_t uid, struct policy_cred *ret)
{
	_cleanup_free_ char *buf = malloc(NSS_BUFFER_SIZE);
	struct policy_cred c = {.uid = uid};
	struct passwd pw, *res = NULL;
	int r;

	if (!buf)
		return -ENOMEM;
	if (getpwuid_r(uid, &pw, buf, NSS_BUFFER_SIZE, &res) != 0 || !res) {
		*ret = c;
		return 0;
	}
	c.user = strdup(pw.pw_name);
	r = c.user ? cred_add_groups(&c, pw.pw_name, pw.pw_gid) : -ENOMEM;
	if (r < 0) {
		policy_cred_done(&c);
		return r;
	}
	*ret = c;
	return 0;
}

int policy_cred_from_user(const char *user, struct policy_cred *ret)
{
	_cleanup_free_ char *buf = NULL;
	struct passwd pw, *res = NULL;
	uint64_t uid;

	if (policy_parse_uint64(user, &uid) == 0)
		return uid < UINT32_MAX ? policy_cred_from_uid((uid_t)uid, ret) : -ERANGE;
	buf = malloc(NSS_BUFFER_SIZE);
	if (!buf)
		return -ENOMEM;
	if (getpwnam_r(user, &pw, buf, NSS_BUFFER_SIZE, &res) != 0 || !res)
		return -ESRCH;
	return policy_cred_from_uid(pw.pw_uid, ret);
}

void policy_cred_done(struct policy_cred *c)
{
	for (size_t i = 0; c->group_names && i < c->n_gids; i++)
		free(c->group_names[i]);
	free(c->group_names);
	free(c->gids);
	free(c->user);
	*c = (struct policy_cred){};
}
