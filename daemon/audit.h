/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The audit trail: every grant, denial, revoke, lease end and refused config write, with
 * structured fields in the journal (UDRV_SLOT=, UDRV_UID=, UDRV_PID=, UDRV_VERDICT=,
 * UDRV_POLICY=), or as a plain line on stderr when udrvd does not run under journald. */
#pragma once

#include <sys/types.h>

#include "macro.h"

/* VERDICT: granted, denied, revoked, released, ended, refused-write, standing-grant, ...
 * POLICY may be NULL. */
void audit_event(const char *verdict, const char *slot, uid_t uid, pid_t pid, const char *policy,
		 const char *format, ...) _printf_(6, 7);

/* True when stderr is connected to the journal (JOURNAL_STREAM names it). */
int audit_to_journal(void);
