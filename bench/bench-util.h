/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What every benchmark program shares: the clock, raw samples, turns, and the edu workloads. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* QEMU edu registers in BAR0 (32-bit accesses only; QEMU's docs/specs/edu.rst). */
enum {
	EDU_ID = 0x00,
	EDU_LIVENESS = 0x04, /* reads back the bitwise inverse of what was written */
	EDU_IRQ_STATUS = 0x24,
	EDU_IRQ_RAISE = 0x60, /* ORed into IRQ_STATUS, and INTx asserted */
	EDU_IRQ_ACK = 0x64,   /* cleared from IRQ_STATUS; the line drops when it reaches 0 */
};
#define EDU_BAR0_MIN_SIZE (EDU_IRQ_ACK + 4)

/* Config-space registers the config-write measurements use. */
enum {
	PCI_CACHE_LINE_SIZE = 0x0c, /* written through to the device by udrvd */
	PCI_BAR0 = 0x10,
	PCI_INTERRUPT_LINE = 0x3c, /* kept in udrvd's shadow */
};

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t bench_now_ns(void);

/* Parses a decimal unsigned in MIN..MAX; -EINVAL otherwise. */
int bench_parse_uint(const char *s, unsigned min, unsigned max, unsigned *ret);

/*
 * Raw samples go to a TSV file, one per line: "METRIC<TAB>VARIANT<TAB>VALUE<TAB>BATCH"
 * (VALUE an integer: accesses/s for mmio, nanoseconds for the rest; BATCH the round or batch
 * it belongs to, which pairs it with the other program's samples of the same turn).
 * bench/report.py turns them into BENCHMARKS.md. NULL or "-" means stdout.
 */
FILE *bench_open_samples(const char *path);
void bench_sample(FILE *f, const char *metric, const char *variant, uint64_t value, unsigned batch);
/* Closes F (unless stdout); -errno if anything failed to reach it. */
int bench_close_samples(FILE *f);

/* Sorts V in place and prints "LABEL: n N, p50 X us, p99 Y us" to stdout. */
void bench_print_latency(const char *label, uint64_t *v, size_t n);

/*
 * Turns: two programs measuring the same device take turns, so that each round of one sits
 * between two rounds of the other and both see the same host load. SPEC is "WAIT,GIVE": two
 * FIFOs (opened O_RDWR, so neither side blocks opening). bench_turn_begin() waits for a byte
 * on WAIT (except on the first turn when FIRST), bench_turn_end() writes one to GIVE. A turns
 * object with no SPEC makes both no-ops. A turn that waits more than a minute fails with
 * -ETIMEDOUT: the other program died.
 */
struct bench_turns {
	int wait_fd, give_fd;
	bool first; /* this side goes first: its first bench_turn_begin() does not wait */
};
int bench_turns_open(struct bench_turns *t, const char *spec, bool first);
int bench_turn_begin(struct bench_turns *t);
int bench_turn_end(struct bench_turns *t);
void bench_turns_close(struct bench_turns *t);

/*
 * The MMIO workload: ITERATIONS times, write a value to LIVENESS and read its inverse back
 * (two 32-bit accesses). Returns the elapsed nanoseconds; *ERRORS counts wrong read-backs.
 */
uint64_t bench_mmio_round(volatile uint32_t *regs, unsigned iterations, unsigned *errors);

/*
 * One unmeasured warm-up round, then ROUNDS measured rounds of the MMIO workload, each in its
 * own turn; each round's accesses per second becomes a sample "mmio VARIANT ops/s ROUND".
 * 0, -EIO when a read-back was wrong, or a turn's error.
 */
int bench_mmio(FILE *out, const char *variant, volatile uint32_t *regs, unsigned rounds,
	       unsigned iterations, struct bench_turns *turns);

/* How a driver re-enables INTx after acknowledging the device: 0 or -errno. */
typedef int (*bench_irq_enable_t)(void *userdata);

/* All the round trips of one variant, for its summary line. */
struct bench_irq_stats {
	uint64_t *rt, *en; /* whole round trips, and the ENABLE calls in them (ns) */
	size_t n, cap;
};
int bench_irq_stats_init(struct bench_irq_stats *st, size_t cap);
/* Prints "irq VARIANT: ..." and "enable VARIANT ...: ..." (unless VARIANT is NULL), frees ST. */
void bench_irq_stats_done(struct bench_irq_stats *st, const char *variant);

/*
 * One batch of interrupt round trips in its own turn: first clears what the other program
 * left (status acknowledged, count read, INTx enabled), then WARMUP unmeasured and N measured
 * round trips: t0, write a bit to IRQ_RAISE, poll and read the irq fd (a 4-byte uio count),
 * read IRQ_STATUS, write it to IRQ_ACK, ENABLE(USERDATA), t1. Samples "irq VARIANT t1-t0
 * BATCH" and "enable VARIANT (time in ENABLE) BATCH", also added to ST. 0, -ETIMEDOUT when
 * an interrupt did not come within TIMEOUT_MS, -EIO on a wrong status, other -errno.
 */
int bench_irq_batch(FILE *out, const char *variant, volatile uint32_t *regs, int irq_fd,
		    bench_irq_enable_t enable, void *userdata, unsigned n, unsigned warmup,
		    int timeout_ms, unsigned batch, struct bench_turns *turns,
		    struct bench_irq_stats *st);

/*
 * The floor under any broker round trip: a forked echo process answering ctl-sized requests
 * (struct udrv_ctl_req, 20 bytes) with ctl-sized replies over an AF_UNIX SOCK_SEQPACKET
 * socketpair. bench_floor_start() forks it; bench_floor_batch() times WARMUP + N round trips
 * (samples "rpc socketpair NS BATCH"), appending the measured ones to ALL[*N_ALL];
 * bench_floor_stop() ends it (0 when it exited cleanly).
 */
struct bench_floor {
	int fd;
	pid_t pid;
	uint32_t seq;
};
int bench_floor_start(struct bench_floor *f);
int bench_floor_batch(struct bench_floor *f, FILE *out, unsigned n, unsigned warmup, unsigned batch,
		      uint64_t *all, size_t *n_all);
int bench_floor_stop(struct bench_floor *f);
