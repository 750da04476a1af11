/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Audit records: sd_journal_send() with UDRV_* fields, or a log line with the same facts. */
#include <stdarg.h>
#include <stdio.h>
#include <systemd/sd-journal.h>

#include "audit.h"
#include "log.h"

int audit_to_journal(void)
{
	return log_stderr_is_journal();
}

void audit_event(const char *verdict, const char *slot, uid_t uid, pid_t pid, const char *policy,
		 const char *format, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	int r;

	va_start(ap, format);
	r = vasprintf(&msg, format, ap);
	va_end(ap);
	if (r < 0)
		return;
	if (audit_to_journal()) {
		sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", LOG_NOTICE,
				"SYSLOG_IDENTIFIER=udrvd", "UDRV_SLOT=%s", slot, "UDRV_UID=%u",
				(unsigned)uid, "UDRV_PID=%d", (int)pid, "UDRV_VERDICT=%s", verdict,
				"UDRV_POLICY=%s", policy ?: "", NULL);
		return;
	}
	log_notice(
		"%s [audit: UDRV_SLOT=%s UDRV_UID=%u UDRV_PID=%d UDRV_VERDICT=%s UDRV_POLICY=%s]",
		msg, slot, (unsigned)uid, (int)pid, verdict, policy ?: "");
}
