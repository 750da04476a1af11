#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""bench/uioext.scenario's samples -> the "uio-ext" section of BENCHMARKS.md, between its markers.

Usage: report-uioext.py SAMPLES.tsv OUTPUT.md

SAMPLES lines: irq<TAB>SLOT<TAB>uio_ext ns<TAB>uio_pci_generic ns (per round trip, one line per
batch), revoke<TAB>SIGBUS ns<TAB>ioctl ns (one per round) and meta<TAB>KEY<TAB>VALUE. The
section replaces the one already in OUTPUT, or is appended.
"""
import re
import sys
import textwrap

BEGIN = "<!-- uio-ext: begin (bench/run-uioext writes this section) -->"
END = "<!-- uio-ext: end -->"
GOAL = 1.05


def load(path):
    meta, irq, revoke = {}, [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            v = line.rstrip("\n").split("\t")
            if v[0] == "meta" and len(v) == 3:
                meta[v[1]] = v[2]
            elif v[0] == "irq" and len(v) == 4:
                irq.append((v[1], float(v[2]), float(v[3])))
            elif v[0] == "revoke" and len(v) == 3:
                revoke.append((float(v[1]), float(v[2])))
    return meta, irq, revoke


def pct(values, p):
    """The p-th percentile (nearest rank, as the test programs report it)."""
    s = sorted(values)
    return s[min(len(s) - 1, int(len(s) * p / 100))] if s else float("nan")


def us(ns):
    return "%.1f µs" % (ns / 1e3)


def ms(ns):
    return "%.2f ms" % (ns / 1e6)


def render(meta, irq, revoke):
    m = meta.get
    ratios = [u / g for _, u, g in irq]
    slots = sorted({s for s, _, _ in irq})
    r50 = pct(ratios, 50)
    verdict = "within the goal" if r50 <= GOAL else "**over the goal**"
    per_slot = [(slot, pct([u / g for s, u, g in irq if s == slot], 50)) for slot in slots]
    halves = ", ".join("%.2f with uio_ext on %s" % (r, slot) for slot, r in per_slot)
    spread = max(r for _, r in per_slot) - min(r for _, r in per_slot)
    halves += ("; where the device sits moves the ratio by %.2f, as much as or more than "
               "the driver's difference" % spread if spread >= abs(r50 - 1)
               else "; the two halves agree within %.2f" % spread)
    u50, g50 = pct([u for _, u, _ in irq], 50), pct([g for _, _, g in irq], 50)
    lat = [x for x, _ in revoke]
    call = [c for _, c in revoke]
    rows = [
        ("INTx round trip, uio_ext as uid 1000 (`write(1)` on its /dev/uioN) ÷ root on "
         "uio_pci_generic (`pwrite` of config byte 5): median of the %d per-batch ratios "
         "(lower is better)" % len(ratios), us(u50), us(g50), "**%.2f**" % r50, "≤ %.2f" % GOAL),
        ("the same, ratio of the two p50s over all batches", us(u50), us(g50),
         "**%.2f**" % (u50 / g50), "≤ %.2f" % GOAL),
        ("revoke latency p50: `UIO_EXT_REVOKE` call to the looping holder's SIGBUS "
         "(%d rounds)" % len(lat), ms(pct(lat, 50)), "", "", "≤ 10 ms"),
        ("revoke latency p90", ms(pct(lat, 90)), "", "", ""),
        ("revoke latency p99", ms(pct(lat, 99)), "", "", "(reported)"),
        ("revoke latency max", ms(max(lat) if lat else float("nan")), "", "", ""),
        ("the `UIO_EXT_REVOKE` ioctl alone, p50 / p99", "%s / %s" % (
            ms(pct(call, 50)), ms(pct(call, 99))), "", "", ""),
    ]
    table = "\n".join("| %s |" % " | ".join(r) for r in rows)
    bullets = [
        f"The INTx round trip through uio_ext costs {r50:.2f} times root's on uio_pci_generic "
        f"(median of the per-batch ratios; middle half {pct(ratios, 25):.2f} to "
        f"{pct(ratios, 75):.2f}, all {min(ratios):.2f} to {max(ratios):.2f}), {verdict} of "
        f"{GOAL:.2f}. Per device: {halves}. The holder's unmask is one `write()` into the "
        f"module (`pci_check_and_unmask_intx` under its rate limit, off here); root's is a "
        f"`pwrite` of sysfs config space: one system call each.",
        f"A revoke reaches the holder's SIGBUS in {ms(pct(lat, 50))} at p50 and "
        f"{ms(pct(lat, 99))} at p99 ({len(lat)} rounds); the ioctl itself (zap every mapping, "
        f"stop interrupts, bus mastering off) takes {ms(pct(call, 50))}, the rest is the holder "
        f"getting the one vCPU back, faulting and entering its handler. The tail is the whole "
        f"guest stalling when the shared host preempts QEMU.",
    ]
    bullets = "\n".join(textwrap.fill(b, 92, initial_indent="- ", subsequent_indent="  ")
                        for b in bullets)
    return f"""{BEGIN}
## uio-ext: the kernel module's INTx unmask and revoke (VM, same run)

`make bench-uioext` (also the end of `make bench`): bench/uioext.scenario in the VM bed
(noiommu, {m('vm_smp', '1')} vCPU, guest kernel {m('guest_kernel', '?')}) with the uio_ext module
that uio-ext/build-module built, on a host with {m('host_cores', '?')} cores (load average
{m('loadavg', '?')} when it began), {m('qemu', '?')}. udrv {m('commit', '?')}, test program built with
`{m('build', '?')}`; run on {m('date', '?')}, the VM run took {m('vm_seconds', '?')} s. Knobs:
`{m('knobs', '?')}`.

tests/vm/uioext-test `bench`: a holder forked by the root test program drops to uid 1000
keeping only its /dev/uioN fd on uio_ext and its own BAR0 mapping, and does edu INTx round
trips (raise, `read()` the event, acknowledge, unmask by `write()` of 1: the kernel's
irqcontrol, no udrvd, no config write); root does the same on the other edu bound to
uio_pci_generic, unmasking with a `pwrite` of config byte 5 (DPDK's way). They take turns
batch by batch (each batch {m('irqs', '?')} round trips; a value is the batch's time per round
trip), and the two edus swap drivers halfway, so each driver runs on each device.
`revoke`: a holder (uid 1000) loops writing and reading back BAR0 while a bystander does
round trips on the other uio_ext device; root calls `UIO_EXT_REVOKE` and the time to the
holder's SIGBUS handler is taken on the same clock, then the device is granted again.

| measurement | uio_ext | uio_pci_generic, root | ratio | goal |
| --- | --- | --- | --- | --- |
{table}

{bullets}
{END}
"""


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: report-uioext.py SAMPLES.tsv OUTPUT.md")
    meta, irq, revoke = load(sys.argv[1])
    if not irq or not revoke:
        sys.exit("report-uioext.py: no irq or no revoke samples in %s" % sys.argv[1])
    sec = render(meta, irq, revoke)
    path = sys.argv[2]
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        text = ""
    m = re.search(re.escape(BEGIN.split(" (")[0]) + r".*?" + re.escape(END) + r"\n?", text, re.S)
    text = text[:m.start()] + sec + text[m.end():] if m else text.rstrip("\n") + "\n\n" + sec
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    main()
