#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Turns the raw samples of one bench/bench.scenario run into BENCHMARKS.md: ratios against baselines measured in the same run.
#
# Usage: bench/report.py SAMPLES.tsv OUTPUT.md
# SAMPLES lines: "METRIC<TAB>VARIANT<TAB>VALUE<TAB>BATCH" (mmio: accesses/s per round; irq,
# enable, rpc, grant: nanoseconds per operation; tick: nanoseconds off the period; BATCH the round or batch, which pairs a udrv
# sample with the root one of the adjacent turn) and "meta<TAB>KEY<TAB>VALUE"; "meta pass N"
# precedes the samples of pass N of the turn-taking programs.
import collections
import os
import sys

EDU1 = "0000:01:00.0"
EDU0 = "0000:00:02.0"


def percentile(values, p):
    """Nearest rank, as bench/bench-util.c prints it."""
    v = sorted(values)
    i = (len(v) * p + 99) // 100
    return v[max(i, 1) - 1]


def median(values):
    v = sorted(values)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def load(path):
    meta = {}
    samples = collections.defaultdict(list)  # (metric, variant) -> values
    batches = collections.defaultdict(list)  # (metric, variant, (pass, batch)) -> values
    current = 0
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 3 and parts[0] == "meta":
                if parts[1] == "pass":
                    current = int(parts[2])
                else:
                    meta[parts[1]] = parts[2]
                continue
            if len(parts) != 4:
                sys.exit(f"report.py: {path}:{n}: not METRIC<TAB>VARIANT<TAB>VALUE<TAB>BATCH")
            metric, variant, value, batch = parts[0], parts[1], int(parts[2]), int(parts[3])
            samples[(metric, variant)].append(value)
            batches[(metric, variant, (current, batch))].append(value)
    return meta, samples, batches


def us(ns):
    return f"{ns / 1000:.1f} µs"


def ms(ns):
    return f"{ns / 1e6:.0f} ms"


def mops(ops):
    return f"{ops / 1e6:.3f} M/s"


def ratio(a, b):
    return f"**{a / b:.2f}**" if b else "n/a"


class Report:
    def __init__(self, meta, samples, batches):
        self.meta = meta
        self.s = samples
        self.b = batches
        self.passes = sorted({k[2][0] for k in batches if k[2][0] > 0})

    def have(self, metric, variant):
        return bool(self.s.get((metric, variant)))

    def get(self, metric, variant):
        v = self.s.get((metric, variant))
        if not v:
            sys.exit(f"report.py: no samples for {metric} {variant}: did the scenario fail?")
        return v

    def ratio_rows(self):
        """Rows of the main table: (number, measurement, udrv, baseline, ratio, goal)."""
        rows = []
        if self.have("mmio", "udrv") and self.have("mmio", "direct"):
            mu, md = self.get("mmio", "udrv"), self.get("mmio", "direct")
            pairs = self.paired("mmio", "udrv", "direct", median)
            if pairs:
                rows.append(("1", f"MMIO accesses/s on edu BAR0, medians of {len(mu)} rounds; ratio: "
                             f"median of the {len(pairs)} per-round ratios (each udrv round ÷ the "
                             f"root round next to it; higher is better)",
                             mops(median(mu)), f"{mops(median(md))} root, mmap of resource0",
                             f"**{median(pairs):.2f}**", "1.0 (same mapping)"))
            else:
                rows.append(("1", f"MMIO accesses/s on edu BAR0, median of {len(mu)} rounds (higher is better)",
                             mops(median(mu)), f"{mops(median(md))} root, mmap of resource0",
                             ratio(median(mu), median(md)), "1.0 (same mapping)"))
            rows.append(("1", "MMIO accesses/s, best round of each (the one the host disturbed least)",
                         mops(max(mu)), f"{mops(max(md))} root, mmap of resource0",
                         ratio(max(mu), max(md)), "1.0"))
        if self.have("irq", "direct"):
            idirect = self.get("irq", "direct")
            goal50 = ""
            if self.have("rpc", "socketpair"):
                d50, f50 = percentile(idirect, 50), percentile(self.get("rpc", "socketpair"), 50)
                goal50 = f"{(d50 + f50) / d50:.1f}: root + one floor round trip"
            for variant, how in (("udrv", "udrv_irq_enable (RPC to udrvd)"),
                                 ("udrv-async", "udrv_irq_enable_async (no reply)")):
                if not self.have("irq", variant):
                    continue
                iu = self.get("irq", variant)
                for p in (50, 99):
                    rows.append(("2", f"interrupt round trip p{p}, {how} (lower is better)",
                                 us(percentile(iu, p)),
                                 f"{us(percentile(idirect, p))} root, /dev/uioN + pwrite of config",
                                 ratio(percentile(iu, p), percentile(idirect, p)),
                                 goal50 if p == 50 else "(host preemption)"))
        if self.have("irqext", "udrv") and self.have("irqext", "direct"):
            eu, ed = self.get("irqext", "udrv"), self.get("irqext", "direct")
            for p in (50, 99):
                rows.append(("2", f"interrupt round trip p{p} on a uio-ext lease: udrv_irq_enable, "
                             "one write() on the holder's /dev/uioN (edus swapped halfway; lower is better)",
                             us(percentile(eu, p)),
                             f"{us(percentile(ed, p))} root on uio_pci_generic, /dev/uioN + pwrite of config",
                             ratio(percentile(eu, p), percentile(ed, p)),
                             "≤ 1.05" if p == 50 else "(host preemption)"))
        for variant, how in (("udrv", "udrv_irq_enable"), ("udrv-async", "udrv_irq_enable_async")):
            if self.have("enable", variant) and self.have("enable", "direct"):
                eu, ed = self.get("enable", variant), self.get("enable", "direct")
                rows.append(("2", f"the re-enable call alone p50: {how}", us(percentile(eu, 50)),
                             f"{us(percentile(ed, 50))} root pread + pwrite of config byte 5",
                             ratio(percentile(eu, 50), percentile(ed, 50)), ""))
        if self.have("rpc", "socketpair"):
            floor = self.get("rpc", "socketpair")
            if self.have("irq", "udrv") and self.have("irq", "direct"):
                extra = percentile(self.get("irq", "udrv"), 50) - percentile(self.get("irq", "direct"), 50)
                rows.append(("2", "what udrv adds to the round trip (udrv p50 − root p50), against the floor",
                             us(extra), f"{us(percentile(floor, 50))} socketpair ping-pong p50 (floor)",
                             ratio(extra, percentile(floor, 50)), "1.0: one round trip"))
            if self.have("rpc", "udrv_ping"):
                ping = self.get("rpc", "udrv_ping")
                rows.append(("2", "udrv_ping p50 (ctl round trip to udrvd, no work)", us(percentile(ping, 50)),
                             f"{us(percentile(floor, 50))} socketpair ping-pong p50 (floor)",
                             ratio(percentile(ping, 50), percentile(floor, 50)), "1.0"))
        for slot, what in ((EDU1, "bus reset"), (EDU0, "no reset method: fallback")):
            if not self.have("grant", f"udrvctl {slot}"):
                continue
            g = self.get("grant", f"udrvctl {slot}")
            if self.have("grant", f"dpdk-devbind {slot}"):
                d = self.get("grant", f"dpdk-devbind {slot}")
                rows.append(("3", f"grant {slot} ({what}), median (lower is better)", ms(median(g)),
                             f"{ms(median(d))} dpdk-devbind.py --bind, then -u",
                             ratio(median(g), median(d)), "≤ 1"))
            if self.have("grant", f"sysfs+reset {slot}"):
                b = self.get("grant", f"sysfs+reset {slot}")
                rows.append(("3", f"grant {slot} ({what}), median", ms(median(g)),
                             f"{ms(median(b))} root in C: bind, reset ×2, unbind (udrvd's kernel work)",
                             ratio(median(g), median(b)), "close to 1"))
            if self.have("grant", f"sysfs {slot}"):
                b = self.get("grant", f"sysfs {slot}")
                rows.append(("3", f"grant {slot} ({what}), median", ms(median(g)),
                             f"{ms(median(b))} root in C: bind, unbind (no reset)",
                             ratio(median(g), median(b)), "(floor)"))
        if self.have("rpc", "config_write") and self.have("rpc", "socketpair"):
            floor = self.get("rpc", "socketpair")
            w = self.get("rpc", "config_write")
            for p in (50, 99):
                rows.append(("4", f"mediated config write p{p}: 1 byte reaching the device "
                             f"(cache line size) (lower is better)", us(percentile(w, p)),
                             f"{us(percentile(floor, p))} socketpair ping-pong p{p} (floor)",
                             ratio(percentile(w, p), percentile(floor, p)),
                             "1.5" if p == 50 else "(host preemption)"))
            if self.have("rpc", "pwrite"):
                pw = self.get("rpc", "pwrite")
                rows.append(("4", "mediated config write p50 against root's own write",
                             us(percentile(w, 50)),
                             f"{us(percentile(pw, 50))} root pwrite on sysfs config",
                             ratio(percentile(w, 50), percentile(pw, 50)), ""))
            for variant, what in (("config_write_shadow", "config write kept in udrvd's shadow "
                                   "(interrupt line)"),
                                  ("config_read", "config read, 4 bytes (BAR0)")):
                if self.have("rpc", variant):
                    v = self.get("rpc", variant)
                    rows.append(("4", f"mediated {what} p50", us(percentile(v, 50)),
                                 f"{us(percentile(floor, 50))} socketpair ping-pong p50 (floor)",
                                 ratio(percentile(v, 50), percentile(floor, 50)), ""))
        if self.have("tick", "udrv-poll") and self.have("tick", "timerfd"):
            tu, tt = self.get("tick", "udrv-poll"), self.get("tick", "timerfd")
            for p in (50, 99):
                rows.append(("5", f"poll-mode wake-up jitter p{p}: how far the interval between "
                             f"two wake-ups is from 1 ms, Interrupts=poll (lower is better)", us(percentile(tu, p)),
                             f"{us(percentile(tt, p))} a timerfd of the client's own, 1 ms",
                             ratio(percentile(tu, p), percentile(tt, p)),
                             "(reported)" if p == 50 else "(host preemption)"))
        return rows

    def paired(self, metric, a, b, stat):
        """STAT(a's samples) / STAT(b's samples) for each (pass, batch) both have."""
        keys = sorted({k[2] for k in self.b if k[0] == metric and k[1] == a and k[2][0] > 0})
        out = []
        for key in keys:
            va, vb = self.b.get((metric, a, key)), self.b.get((metric, b, key))
            if va and vb:
                out.append(stat(va) / stat(vb))
        return out

    def pair_rows(self):
        """How much each ratio moves from one turn to the next: the noise."""
        rows = []
        p50 = lambda v: percentile(v, 50)  # noqa: E731
        for what, metric, a, b, stat in (
                ("MMIO accesses/s, udrv ÷ root, per round", "mmio", "udrv", "direct", median),
                ("interrupt round trip p50, udrv ÷ root, per batch", "irq", "udrv", "direct", p50),
                ("re-enable call p50, udrv ÷ root, per batch", "enable", "udrv", "direct", p50),
                ("interrupt round trip p50 with udrv_irq_enable_async, udrv ÷ root, per batch",
                 "irq", "udrv-async", "direct", p50),
                ("re-enable call p50, udrv_irq_enable_async ÷ root, per batch", "enable",
                 "udrv-async", "direct", p50),
                ("udrv_ping p50 ÷ socketpair p50, per batch", "rpc", "udrv_ping", "socketpair", p50),
                ("mediated config write p50 ÷ socketpair p50, per batch", "rpc", "config_write",
                 "socketpair", p50),
                ("poll-mode wake-up jitter p50, udrv ÷ timerfd, per batch", "tick", "udrv-poll",
                 "timerfd", p50)):
            r = self.paired(metric, a, b, stat)
            if r:
                q1, q3 = quartiles(r)
                rows.append((what, len(r), f"{median(r):.2f}", f"{q1:.2f} to {q3:.2f}",
                             f"{min(r):.2f} to {max(r):.2f}"))
        return rows

    def raw_rows(self):
        rows = []
        for (metric, variant), v in sorted(self.s.items()):
            if metric == "mmio":
                rows.append((metric, variant, len(v), mops(min(v)), mops(median(v)), "", mops(max(v))))
            elif metric == "grant":
                rows.append((metric, variant, len(v), ms(min(v)), ms(median(v)), "", ms(max(v))))
            else:
                rows.append((metric, variant, len(v), us(min(v)), us(percentile(v, 50)),
                             us(percentile(v, 99)), us(max(v))))
        return rows


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def findings(r):
    """A few sentences computed from this run's numbers."""
    out = []
    p50 = lambda v: percentile(v, 50)  # noqa: E731
    if r.have("mmio", "udrv") and r.have("mmio", "direct"):
        pairs = r.paired("mmio", "udrv", "direct", median)
        ratio_of_medians = median(r.get("mmio", "udrv")) / median(r.get("mmio", "direct"))
        if pairs:
            out.append(f"- MMIO through the granted BAR ran at {median(pairs):.2f} times root's speed, "
                       f"round by round (the middle half of the rounds between "
                       f"{quartiles(pairs)[0]:.2f} and {quartiles(pairs)[1]:.2f}; the ratio of the "
                       f"two medians is {ratio_of_medians:.2f}, of the best rounds "
                       f"{max(r.get('mmio', 'udrv')) / max(r.get('mmio', 'direct')):.2f}): the same "
                       f"kind of mapping of the same resource file, so the same speed within noise.")
        else:
            out.append(f"- MMIO through the granted BAR ran at {ratio_of_medians:.2f} times root's speed.")
    if all(r.have(*k) for k in (("enable", "udrv"), ("enable", "direct"), ("rpc", "udrv_ping"),
                                ("rpc", "socketpair"), ("irq", "udrv"), ("irq", "direct"))):
        eu, ed = p50(r.get("enable", "udrv")), p50(r.get("enable", "direct"))
        ping, floor = p50(r.get("rpc", "udrv_ping")), p50(r.get("rpc", "socketpair"))
        iu, idr = p50(r.get("irq", "udrv")), p50(r.get("irq", "direct"))
        rest = (iu - eu) - (idr - ed)
        text = (f"- An interrupt round trip through udrv costs {iu / idr:.1f} times root's "
                f"({us(iu)} against {us(idr)}, p50), {us(iu - idr)} more, of which the re-enable "
                f"accounts for {us(eu - ed)}: `udrv_irq_enable()` takes {us(eu)}, root's `pread` and "
                f"`pwrite` {us(ed)}. That request costs {eu / floor:.1f} bare socketpair round trips "
                f"({us(floor)}); an empty `udrv_ping` costs {ping / floor:.1f} ({us(ping)}), so "
                f"udrvd's dispatch adds {us(ping - floor)} to the bare exchange and its handling of "
                f"the re-enable {us(eu - ping)} more (root's whole config write: {us(ed)}).")
        if rest > 0:
            text += (f" The rest of the round trip (raise, wake-up, acknowledge) is {us(rest)} "
                     f"slower than root's once the process has switched to udrvd and back.")
        text += (" Under TCG a switch between processes is dear (QEMU flushes its software TLB on "
                 "every CR3 write), and udrv's design pays two per interrupt, where DPDK's "
                 "in-process `pwrite` pays none.")
        out.append(text)
    if r.have("irq", "udrv-async") and r.have("enable", "udrv-async") and r.have("irq", "direct"):
        ia, ea = p50(r.get("irq", "udrv-async")), p50(r.get("enable", "udrv-async"))
        idr, ed = p50(r.get("irq", "direct")), p50(r.get("enable", "direct"))
        text = (f"- With `udrv_irq_enable_async()` (one `write()` to the lease's unmask eventfd, "
                f"which wakes udrvd's unmask thread for that lease) the call itself takes "
                f"{us(ea)} ({ea / ed:.1f} times root's `pread` + `pwrite`), and the round trip "
                f"costs {ia / idr:.1f} times root's ({us(ia)}, p50)")
        if r.have("rpc", "socketpair"):
            floor = p50(r.get("rpc", "socketpair"))
            text += (f", {us(ia - idr)} more than root's: {(ia - idr) / floor:.2f} bare socketpair "
                     f"round trips ({us(floor)}) where the goal allows one")
        out.append(text + ".")
    if all(r.have("rpc", v) for v in ("config_write", "socketpair", "udrv_ping")):
        w, floor = p50(r.get("rpc", "config_write")), p50(r.get("rpc", "socketpair"))
        ping = p50(r.get("rpc", "udrv_ping"))
        text = (f"- A mediated config write of one byte that reaches the device costs "
                f"{w / floor:.2f} bare socketpair round trips ({us(w)} against {us(floor)}, p50; "
                f"goal 1.5): {us(ping - floor)} of udrvd's dispatch (an empty `udrv_ping`) and "
                f"{us(w - ping)} for the filter, the shadow and the write itself")
        if r.have("rpc", "pwrite"):
            text += f" (root's own `pwrite` of that byte: {us(p50(r.get('rpc', 'pwrite')))})"
        out.append(text + ".")
    if r.have("tick", "udrv-poll") and r.have("tick", "timerfd"):
        tu, tt = r.get("tick", "udrv-poll"), r.get("tick", "timerfd")
        out.append(
            f"- Under `Interrupts=poll` at 1 ms a wake-up of the irq fd came within "
            f"{us(percentile(tu, 50))} of its period at p50 and {us(percentile(tu, 99))} at p99 "
            f"({len(tu)} wake-ups), against {us(percentile(tt, 50))} and "
            f"{us(percentile(tt, 99))} for a periodic timerfd in the client itself, read in the "
            f"batches between: at p50, {percentile(tu, 50) / percentile(tt, 50):.2f} times the "
            f"timerfd's jitter. The lease's irq fd is itself a timerfd udrvd set up, so nothing "
            f"but the host's noise should tell the two apart.")
    start = median(r.get("grant", "udrvctl --version")) if r.have("grant", "udrvctl --version") else None
    for slot in (EDU1, EDU0):
        if not r.have("grant", f"udrvctl {slot}"):
            continue
        g = median(r.get("grant", f"udrvctl {slot}"))
        text = f"- A whole grant of {slot} (`udrvctl grant {slot} -- true`, release included) takes {ms(g)}"
        if r.have("grant", f"dpdk-devbind {slot}"):
            d = median(r.get("grant", f"dpdk-devbind {slot}"))
            text += f", {d / g:.0f} times less than binding and unbinding it with dpdk-devbind.py ({ms(d)})"
        text += "."
        kernel = None
        if r.have("grant", f"sysfs+reset {slot}"):
            kernel = median(r.get("grant", f"sysfs+reset {slot}"))
            text += f" The kernel's part (bind, two resets, unbind, done from C) takes {ms(kernel)}"
        elif r.have("grant", f"sysfs {slot}"):
            kernel = median(r.get("grant", f"sysfs {slot}"))
            text += f" The kernel's binding and unbinding (from C) take {ms(kernel)}"
        if kernel is not None and start is not None:
            text += (f" and starting udrvctl (`udrvctl --version`) {ms(start)}, which leaves "
                     f"{ms(g - kernel - start)} for the connection, the policy decision, udrvd's "
                     f"config-space work, the fds and the release.")
        elif kernel is not None:
            text += "."
        out.append(text)
    return "\n".join(out)


def quartiles(values):
    return percentile(values, 25), percentile(values, 75)


def render(r):
    m = r.meta
    params = m.get("params", "")
    notes = ""
    if m.get("devbind") == "missing":
        notes += ("\n**dpdk-devbind.py was not installed on the machine that ran this "
                  "(Debian package `dpdk`), so its rows are missing.**\n")
    if "-fsanitize" in m.get("build", ""):
        notes += ("\n**This build was configured with --enable-sanitizers: every number below is "
                  "for ASan+UBSan code. Re-run in a plain build.**\n")
    async_note = ""
    if m.get("async") == "off":
        async_note = ("\n`udrv_irq_enable_async()` was not measured in this run "
                      "(`BENCH_ARGS=async=0`).\n")
    return f"""<!-- SPDX-License-Identifier: LGPL-2.1-or-later -->
<!-- Written by `make bench` (bench/report.py); edit bench/report.py, not this file. -->
# udrv benchmarks

What it costs to drive a device through udrv instead of as root: each udrv measurement
against a root baseline taken in the same run, on the same emulated device, in a VM under
QEMU's TCG. Ratios are udrv ÷ baseline; the raw numbers follow.

Run on **{m.get('date', '?')}**: guest kernel **{m.get('kernel', '?')}**, TCG guest with
**{m.get('vcpus', '?')} vCPU** on a host with **{m.get('host_cores', '?')} cores**
({m.get('host_cpu', '?')}, host kernel {m.get('host_kernel', '?')}, shared with other work),
{m.get('qemu', '?')}, dpdk {m.get('dpdk', 'not installed')}. udrv {m.get('commit', '?')},
built with `{m.get('build', '?')}`. The VM run took {m.get('vm_seconds', '?')} s.
Knobs: `{params}`.
{notes}
## Results

{table(("#", "measurement", "udrv", "baseline", "ratio", "goal"), r.ratio_rows())}

{findings(r)}
{async_note}
### Noise

The udrv and root programs take turns on the same function, round by round and batch by
batch, so every udrv round or batch has a root one next to it under the same host load.
The same ratios turn by turn; their spread is the noise of this run:

{table(("ratio", "pairs", "median", "middle half", "all"), r.pair_rows())}

### Raw numbers

irq, enable, rpc: one sample per round trip; tick: one per wake-up; mmio: one per round;
grant: one per whole cycle.

{table(("metric", "variant", "n", "min", "median / p50", "p99", "max"), r.raw_rows())}

## What is measured

Everything runs in the VM bed (tests/vm/run, profile `noiommu`: q35 without an IOMMU, so
the UIO backend) on QEMU's `edu` devices, with udrvd running under a policy that grants
them to uid 1000. The programs are in bench/. The root baselines (bench-direct.c, and the
socketpair floor in bench-util.c) do not use libudrv: raw sysfs, `mmap`, `pread`, `pwrite`.

1. **MMIO**: rounds of `write LIVENESS (0x04); read it back` (two 32-bit accesses, the
   inverted read-back checked) on edu 0000:01:00.0's BAR0. udrv: bench-udrv as uid 1000
   under `udrvctl grant 0000:01:00.0 -- bench-udrv`, BAR0 from `udrv_map_bar()`. Root:
   bench-direct `mmap`s `/sys/bus/pci/devices/0000:01:00.0/resource0` itself, at the same
   time, on the function udrvd bound. Same resource, same kind of mapping: the goal is a
   ratio of 1.0 within noise, i.e. udrv adds nothing to the data path.
2. **Interrupt round trip**: write a bit to IRQ_RAISE (0x60), `poll` and `read` the irq fd
   (/dev/uioN), read IRQ_STATUS (0x24), write it to IRQ_ACK (0x64), re-enable INTx; timed
   from the raise to the re-enable's return, p50 and p99 over all round trips. udrv
   re-enables with `udrv_irq_enable()`: a request on the lease's ctl socket that udrvd
   answers after clearing Command.INTx-Disable with a config write; and, in batches that
   alternate with those, with `udrv_irq_enable_async()`: a `write()` to the lease's unmask
   eventfd that udrvd acts on when it next runs, without a reply. Root does what DPDK's
   `uio_intx_intr_enable()` does: `pread` then `pwrite` of config byte 5, on its own
   /dev/uioN and config fds. The floor is a ctl-sized request and reply (20 and 16 bytes)
   over a `SOCK_SEQPACKET` socketpair to a forked echo process, in batches alternating
   with batches of `udrv_ping()` (the same exchange with udrvd, doing nothing): the least
   any broker round trip costs. Goal: udrv's extra cost over root is one such round trip.
3. **Grant latency** (bench-time): the whole of `udrvctl grant SLOT -- true` as uid 1000
   (connect, policy, bind to uio_pci_generic, reset, open and pass the fds, exec `true`;
   then udrvd's release: bus mastering off, reset, header restored, unbind), timed until
   udrvd removes its record of the lease, its last step. In turn with it, round by round:
   root doing the kernel's part of that from C (driver_override, bind, unbind, with the two
   resets udrvd does when the function has a reset method), and starting udrvctl alone
   (`udrvctl --version`). Against it as well: root running Debian's
   `dpdk-devbind.py --bind=uio_pci_generic SLOT`, then `dpdk-devbind.py -u SLOT` (bind and
   unbind only: no reset, no fds). Both edu devices: 0000:01:00.0 behind a root port has a
   bus reset; 0000:00:02.0 has no reset method and gets udrvd's fallback (decoding and bus
   mastering off, header restored). dpdk-devbind.py only manages the device classes it
   lists (network, crypto, DMA, ...) and refuses edu (class 00ff) as "Unknown device", so
   bench/dpdk-devbind-edu runs the unmodified script with edu's IDs appended to its device
   table: every lspci call and sysfs write is the script's own. Its time goes to starting
   python3 and to lspci, which it runs nine times per call.
4. **Mediated config write** (issue 6), in the same batches as the `udrv_ping` ones: one
   byte written to the cache line size with `udrv_config_write()` (udrvd checks it against
   the device's permission map and writes it to the device, a different value every time),
   one to the interrupt line (kept in udrvd's shadow, nothing reaches the device), and a
   4-byte `udrv_config_read()` of BAR0, each timed from the call to its return; against
   the socketpair floor (the least any broker round trip costs) and root's own `pwrite` of
   the cache line size on sysfs `config` (bench-direct, a batch in turn after each udrv
   batch). Goal: the mediated write costs no more than 1.5 floors.

5. **Polling timers** (issue 7): edu 0000:00:02.0 granted under a policy with
   `Interrupts=poll` and `PollInterval=1ms` (udrvd reloads it after the other parts); the
   client (bench-udrv) reads the irq fd (a timerfd udrvd created and set to expire every
   1 ms) and each sample is how far the time between two wake-ups is from 1 ms. In batches
   that alternate with them, the same client reads a periodic 1 ms timerfd it created
   itself: the least jitter a wake-up can have here.

## How to run

```sh
make bench                                  # in a configured build tree: about 2-3 minutes
make bench BENCH_ARGS='passes=3 devbind_runs=5'   # knobs: see bench/bench.scenario
make bench BENCHMARKS_MD=/tmp/bench.md      # write the report elsewhere
```

`make bench` builds the programs (check programs: `make check` compiles them, never runs
them), boots the VM bed once with `UDRV_VM_SMP=1` through bench/run-bench (one vCPU: a
wake-up across TCG vCPUs costs milliseconds), runs bench/bench.scenario and writes this
file with bench/report.py. It needs what the VM tests need, plus Debian's `dpdk` package
for /usr/bin/dpdk-devbind.py (without it those rows are left out). `UDRV_VM_CACHE` reuses
a downloaded kernel. Use a build configured without `--enable-sanitizers`. Then it runs
`make bench-load`, `make bench-uioext` and `make bench-dpdk` (each can be run alone), which
replace their own sections at the end of this file, between their markers.

## How to read it

- The goals: MMIO at 1.0 (the lease hands over the very mapping root would use); an
  interrupt round trip that costs root's plus one broker round trip, no more; a mediated
  config write within 1.5 broker round trips; a grant that
  costs what the kernel's binding and resets cost plus little, and no more than the
  admin's current tool.
- TCG translates every guest instruction and calls into QEMU's device model for each MMIO
  access, and this host is shared with other work that steals time from the vCPU.
  Absolute numbers are nothing like hardware's; only ratios taken in one run mean
  something. The turn-by-turn table above is the measure of noise: a ratio whose turns
  spread as far as it sits from its goal is within noise.
- p99 over thousands of round trips is mostly the host preempting QEMU; compare p50s.
- The grant comparison is the admin's workflow, not equal work: udrv resets the function
  twice and hands out restricted fds; dpdk-devbind.py only rebinds, leaving the device to
  whoever can open it as root.
"""


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: report.py SAMPLES.tsv OUTPUT.md")
    meta, samples, batches = load(sys.argv[1])
    text = render(Report(meta, samples, batches))
    # Results measured by the VM tests (config mediation, DPDK) live in bench/more-results.md
    # and are carried into every regenerated BENCHMARKS.md.
    extra = os.path.join(os.path.dirname(os.path.abspath(__file__)), "more-results.md")
    if os.path.exists(extra):
        with open(extra, encoding="utf-8") as f:
            text = text.rstrip("\n") + "\n\n" + f.read()
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    main()
