/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parsers and formatters for the value spellings of policy files; pure functions. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

/* "Class=02": the top DIGITS hex digits (2, 4 or 6) of the 24-bit class code. */
struct policy_class {
	uint32_t value;
	unsigned digits;
};

/* Each returns 0 or -EINVAL (-ERANGE when a number is out of range). */

/* 1 to 4 hex digits, with or without 0x: "8086", "0x10d3". */
int policy_parse_hex16(const char *s, uint16_t *ret);
/* 2, 4 or 6 hex digits, with or without 0x. */
int policy_parse_class(const char *s, struct policy_class *ret);
bool policy_class_matches(const struct policy_class *c, uint32_t class);
/* "yes", "no" and systemd's other boolean spellings; returns 1, 0 or -EINVAL. */
int policy_parse_boolean(const char *s);
/* Decimal, no sign, no blanks. */
int policy_parse_uint64(const char *s, uint64_t *ret);
/* systemd time spans: "1ms", "30min", "8h", "1h 30min", "1.5s"; a bare number is seconds;
 * "infinity" gives POLICY_INFINITY. */
int policy_parse_duration(const char *s, uint64_t *ret_usec);
/* systemd sizes, base 1024: "512", "64K", "2G", "1.5T"; "infinity" gives POLICY_INFINITY. */
int policy_parse_size(const char *s, uint64_t *ret);
/* "0x100-0x10f" or "0x40"; offsets inside the 4 KiB config space. */
int policy_parse_range(const char *s, struct policy_range *ret);
/* A slot, or a glob over the full DDDD:BB:DD.F form; RET is the lowercase (normalized)
 * pattern. */
int policy_parse_slot_pattern(const char *s, char **ret);
/* A user or group name (as useradd accepts) or a numeric id below 4294967295. */
int policy_parse_id(const char *s, struct policy_id *ret);

/* Formatters write into BUF (at least POLICY_VALUE_MAX bytes) and return it. */
#define POLICY_VALUE_MAX 64
const char *policy_format_duration(uint64_t usec, char *buf);
const char *policy_format_size(uint64_t bytes, char *buf);
const char *policy_format_class(const struct policy_class *c, char *buf);
