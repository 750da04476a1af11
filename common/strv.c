/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* String vector helpers shared by the device model, policy and CLI. */
#include <dirent.h>
#include <stdlib.h>

#include "macro.h"
#include "strv.h"

size_t strv_length(char *const *l)
{
	size_t n = 0;

	while (l && l[n])
		n++;
	return n;
}

bool strv_contains(char *const *l, const char *s)
{
	for (size_t i = 0; l && l[i]; i++)
		if (streq(l[i], s))
			return true;
	return false;
}

int strv_push(char ***l, const char *s)
{
	size_t n = strv_length(*l);
	char *copy = strdup(s);
	char **nl;

	if (!copy)
		return -ENOMEM;
	nl = realloc(*l, (n + 2) * sizeof(char *));
	if (!nl) {
		free(copy);
		return -ENOMEM;
	}
	nl[n] = copy;
	nl[n + 1] = NULL;
	*l = nl;
	return 0;
}

char *strv_join(char *const *l, const char *sep)
{
	size_t n = 1, k = 0;
	char *s;

	for (size_t i = 0; l && l[i]; i++)
		n += strlen(l[i]) + strlen(sep);
	s = malloc(n);
	if (!s)
		return NULL;
	s[0] = 0;
	for (size_t i = 0; l && l[i]; i++) {
		if (i)
			k += (size_t)sprintf(s + k, "%s", sep);
		k += (size_t)sprintf(s + k, "%s", l[i]);
	}
	return s;
}

int strv_split(char ***ret, const char *s, const char *sep)
{
	_cleanup_strv_free_ char **l = NULL;
	_cleanup_free_ char *copy = strdup(s);
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	for (char *w = strtok_r(copy, sep, &save); w; w = strtok_r(NULL, sep, &save))
		if (strv_push(&l, w) < 0)
			return -ENOMEM;
	strv_free(*ret);
	*ret = TAKE_PTR(l);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int strv_from_dir(char ***ret, const char *dir, const char *except)
{
	_cleanup_strv_free_ char **l = NULL;
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return negative_errno();
	while ((de = readdir(d))) {
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		if (except && streq(de->d_name, except))
			continue;
		if (strv_push(&l, de->d_name) < 0) {
			closedir(d);
			return -ENOMEM;
		}
	}
	closedir(d);
	if (l)
		qsort(l, strv_length(l), sizeof(char *), cmp_str);
	strv_free(*ret);
	*ret = TAKE_PTR(l);
	return 0;
}
