/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fault points: in a test build (--enable-fault-points) udrvd dies at the step that
 * UDRVD_FAULT_POINT names, as a crash or SIGKILL would stop it; in any other build they are
 * nothing. FAULT_POINTS is the one list of the steps: tests/vm/crash.scenario walks it. */
#pragma once

/* X(ID, "name", "how a test reaches it", "where udrvd is when it dies there").
 * How: acquire (a grant), end (the holder exits), revoke (an admin revokes), grant (an admin's
 * grant --user), recover (the start after a crash); "end,recover": both. */
#define FAULT_POINTS(X)                                                                            \
	X(ACQUIRE_RECORDED, "acquire.recorded", "acquire",                                         \
	  "original driver and driver_override recorded, nothing changed yet")                     \
	X(ACQUIRE_OVERRIDE, "acquire.override-set", "acquire",                                     \
	  "driver_override set to the backend's driver, still on the original driver")             \
	X(ACQUIRE_UNBOUND, "acquire.unbound", "acquire",                                           \
	  "unbound from the original driver (or it had none), not yet probed")                     \
	X(ACQUIRE_BOUND, "acquire.bound", "acquire", "bound to the backend's driver")              \
	X(ACQUIRE_UIO_OPENED, "acquire.uio-opened", "acquire", "udrvd holds /dev/uioN, no reset")  \
	X(ACQUIRE_RESET, "acquire.reset", "acquire", "reset, bus mastering not yet set")           \
	X(ACQUIRE_BUS_MASTER, "acquire.bus-master-off", "acquire",                                 \
	  "bus mastering set as policy says (off), no filter yet")                                 \
	X(ACQUIRE_FDS_OPENED, "acquire.fds-opened", "acquire",                                     \
	  "the client's fds opened, no lease")                                                     \
	X(ACQUIRE_LEASE_MADE, "acquire.lease-made", "acquire",                                     \
	  "the lease exists, its interrupts and ctl thread not yet set up")                        \
	X(ACQUIRE_BEFORE_REPLY, "acquire.before-reply", "acquire",                                 \
	  "the lease serves ctl, the reply not yet sent")                                          \
	X(ACQUIRE_REPLIED, "acquire.replied", "acquire",                                           \
	  "the holder has its fds, the grant not yet audited")                                     \
	X(END_TOLD, "end.told", "end", "the lease's threads stopped and ctl closed")               \
	X(END_HOLDERS, "end.holders-dealt", "end", "stray holders killed, nothing reset")          \
	X(END_RESET, "end.reset", "end",                                                           \
	  "reset and bus mastering off, udrvd still holds /dev/uioN")                              \
	X(END_UIO_CLOSED, "end.uio-closed", "end",                                                 \
	  "udrvd's /dev/uioN closed, still on the backend")                                        \
	X(GIVEBACK_UNBOUND, "giveback.unbound", "end,recover",                                     \
	  "unbound from the backend's driver, driver_override still set")                          \
	X(GIVEBACK_OVERRIDE, "giveback.override-restored", "end,recover",                          \
	  "driver_override restored, not yet bound to the original driver")                        \
	X(GIVEBACK_REBOUND, "giveback.rebound", "end,recover",                                     \
	  "back on the original driver (if any), the record still there")                          \
	X(GIVEBACK_RECORD_KEPT, "giveback.before-record-removal", "end,recover",                   \
	  "given back and logged, the record not yet removed")                                     \
	X(GIVEBACK_RECORD_GONE, "giveback.record-removed", "end,recover",                          \
	  "the record removed, udrvd's state of the device not yet freed")                         \
	X(REVOKE_BEGUN, "revoke.begun", "revoke", "revoke audited, the holder not yet told")       \
	X(REVOKE_TOLD, "revoke.told", "revoke", "the holder told and its ctl closed")              \
	X(REVOKE_WAITING, "revoke.waiting", "revoke",                                              \
	  "holders still there: the grace period's timer armed")                                   \
	X(REVOKE_EXPIRED, "revoke.expired", "revoke",                                              \
	  "the grace period over, the lease not ended")                                            \
	X(GRANT_IN_MEMORY, "grant.in-memory", "grant", "a standing grant in the table, not saved") \
	X(WRITE_BEFORE_RENAME, "write.before-rename", "grant",                                     \
	  "a file written by rename (the grants file): temp file synced, not renamed")             \
	X(GRANT_SAVED, "grant.saved", "grant", "the grants file renamed into place, no reply")     \
	X(RECOVER_LISTED, "recover.listed", "recover", "a restart read the records, did nothing")  \
	X(RECOVER_HOLDERS, "recover.holders-cleared", "recover",                                   \
	  "a restart killed the old holders, nothing reset")                                       \
	X(RECOVER_RESET, "recover.reset", "recover",                                               \
	  "a restart reset the function, not given back")                                          \
	X(RECOVER_DONE, "recover.done", "recover",                                                 \
	  "a restart gave every device back, not listening")

enum fault_point {
#define FAULT_POINT_ENUM(id, name, how, what) FAULT_##id,
	FAULT_POINTS(FAULT_POINT_ENUM)
#undef FAULT_POINT_ENUM
		_FAULT_POINT_MAX,
};

#if ENABLE_FAULT_POINTS
/* `udrvd --list-fault-points` prints the table and exits; UDRVD_FAULT_POINT=NAME arms one
 * (an unknown name exits with an error). */
void fault_points_setup(int argc, char **argv);
/* SIGKILLs the process when P is the armed point. Weak: common/sysfs.c is also built into
 * libudrv, which has no fault points (there the symbol stays undefined, NULL). */
void fault_point(enum fault_point p) __attribute__((weak));
#define FAULT_POINT(id)                                                                            \
	do {                                                                                       \
		if (fault_point)                                                                   \
			fault_point(FAULT_##id);                                                   \
	} while (0)
#else
static inline void fault_points_setup(int argc, char **argv)
{
}
#define FAULT_POINT(id) ((void)FAULT_##id)
#endif
