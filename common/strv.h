/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NULL-terminated string vectors: split, list a directory, length, membership. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

size_t strv_length(char *const *l);
bool strv_contains(char *const *l, const char *s);
/* Appends a copy of S. */
int strv_push(char ***l, const char *s);
/* The words of L joined by SEP (malloc'd); NULL on ENOMEM. */
char *strv_join(char *const *l, const char *sep);
/* Splits S at any of SEP, dropping empty words; *RET is NULL when there are none. */
int strv_split(char ***ret, const char *s, const char *sep);
/* Sorted names in DIR except ".", ".." and EXCEPT (may be NULL); -ENOENT when DIR is absent
 * (then *RET is untouched). */
int strv_from_dir(char ***ret, const char *dir, const char *except);
