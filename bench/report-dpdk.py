#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""bench/dpdk.scenario's samples -> the "dpdk" section of BENCHMARKS.md, between its markers.

Usage: report-dpdk.py SAMPLES.tsv OUTPUT.md

SAMPLES lines: stat<TAB>VARIANT<TAB>RUN<TAB>BLOCK<TAB>PORT<TAB>RX-packets<TAB>TX-packets<TAB>
Rx-pps<TAB>Tx-pps, one per testpmd statistics block and port (VARIANT udrv or root; counters
since the port started, rates since the block before), and meta<TAB>KEY<TAB>VALUE. The
section replaces the one already in OUTPUT, or is appended.

A run's rate: the TX-packets of both ports (packets forwarded: io mode sends every packet it
receives on the other port) gained from block WARMUP to block WARMUP+SECS, divided by the
time between those blocks. testpmd measures each interval itself (CLOCK_MONOTONIC_RAW): an
interval's length is its packet gain divided by its Tx-pps. Startup, the warm-up intervals
and the shutdown are outside the window.
"""
import math
import re
import statistics
import sys
import textwrap

BEGIN = "<!-- dpdk: begin (bench/run-dpdk writes this section) -->"
END = "<!-- dpdk: end -->"
GOAL = 0.95


def load(path):
    meta, blocks = {}, {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            v = line.rstrip("\n").split("\t")
            if v[0] == "meta" and len(v) == 3:
                meta[v[1]] = v[2]
            elif v[0] == "stat" and len(v) == 9:
                run = blocks.setdefault((v[1], int(v[2])), {})
                run.setdefault(int(v[3]), {})[v[4]] = tuple(int(x) for x in v[5:9])
    return meta, blocks


def rate(run, warmup, secs):
    """(pps, seconds, packets) of the window, or None when the run has too few blocks."""
    ports = sorted({p for b in run.values() for p in b})
    full = sorted(b for b, ps in run.items() if len(ps) == len(ports) == 2)
    window = [b for b in full if warmup <= b <= warmup + secs]
    if len(window) != secs + 1 or window != list(range(warmup, warmup + secs + 1)):
        return None
    tx = lambda b: sum(run[b][p][1] for p in ports)
    seconds = 0.0
    for b in window[1:]:
        gain = tx(b) - tx(b - 1)
        pps = sum(run[b][p][3] for p in ports)
        seconds += gain / pps if pps > 0 else 1.0  # nothing moved: testpmd's nominal 1 s
    packets = tx(window[-1]) - tx(window[0])
    return packets / seconds, seconds, packets


def tail(n, k):
    """P(at least k of n fair coin flips)."""
    return sum(math.comb(n, i) for i in range(k, n + 1)) / 2 ** n


def render(meta, blocks):
    m = meta.get
    warmup, secs = int(m("warmup", "2")), int(m("secs", "10"))
    res = {k: rate(run, warmup, secs) for k, run in blocks.items()}
    bad = sorted(k for k, r in res.items() if r is None)
    runs = sorted({n for _, n in res})
    val = {k: r[0] for k, r in res.items() if r}
    udrv = [val[("udrv", n)] for n in runs if ("udrv", n) in val]
    root = [val[("root", n)] for n in runs if ("root", n) in val]
    mu, mr = statistics.median(udrv), statistics.median(root)
    ratio = mu / mr
    met = ratio >= GOAL
    pairs = [val[("udrv", n)] / val[("root", n)] for n in runs
             if ("udrv", n) in val and ("root", n) in val]
    order = lambda n: "root, then udrv" if n % 2 else "udrv, then root"
    kpps = lambda x: "{:,.0f}".format(x).replace(",", " ")
    rows = "\n".join(
        "| %d | %s | %s | %s | %s |" % (
            n, order(n),
            kpps(val[("root", n)]) if ("root", n) in val else "(no window)",
            kpps(val[("udrv", n)]) if ("udrv", n) in val else "(no window)",
            "%.2f" % (val[("udrv", n)] / val[("root", n)])
            if ("udrv", n) in val and ("root", n) in val else "")
        for n in runs)
    spread = lambda xs: (max(xs) - min(xs)) / statistics.median(xs)
    verdict = ("**met**" if met else "**not met**")
    bullets = [
        f"Median of {len(udrv)} runs each: {kpps(mu)} packets/s as uid 1000 through udrv, "
        f"{kpps(mr)} as root on uio_pci_generic: ratio **{ratio:.2f}**, goal ≥ {GOAL:.2f} "
        f"{verdict}. Run by run the ratio goes from {min(pairs):.2f} to {max(pairs):.2f} "
        f"(median {statistics.median(pairs):.2f}); within one variant the runs spread by "
        f"{100 * spread(udrv):.0f} % (udrv) and {100 * spread(root):.0f} % (root) of their "
        f"median.",
        "Once testpmd forwards, the data path is the same in both: the PMD polls the "
        "descriptor rings in hugepage memory and writes the tail registers through the BAR "
        "mapping, with no system call per packet; what udrv changes happens before (grant, "
        "bind to uio_ext, EAL opening /dev/uioN, config and resourceN from the lease, "
        "pagemap answered from dma-pin) and after (revoke, back to e1000e), outside the "
        "window. The BAR mapping comes from /dev/uioN (uio_ext) instead of sysfs resourceN: "
        "both are uncached MMIO mappings of the same BAR.",
        "The absolute numbers are TCG's: QEMU emulates both vCPUs and both e1000e on a host "
        f"of {m('host_cores', '?')} cores shared with other work (load average "
        f"{m('loadavg', '?')} when the run began), so they move with host load from one run "
        "to the next and from boot to boot, and mean nothing for real hardware. Runs "
        "alternate in one boot (pairs alternately root-first and udrv-first) so that both "
        "variants see the same load; compare the medians, not single runs.",
    ]
    below = sum(1 for r in pairs if r < 1)
    if not met:
        bullets.append(
            f"Below the goal. udrv was the slower of the two in {below} of the {len(pairs)} "
            f"pairs: were the two equal, {below} or more of {len(pairs)} would come by chance "
            f"{100 * tail(len(pairs), below):.0f} % of the time, so the gap is not all noise, "
            f"though the runs of one variant spread by more than it. bench/more-results.md "
            f"(\"DPDK below the goal\") has what was checked.")
    if bad:
        bullets.append("Runs left out (fewer statistics blocks than the window needs): "
                       + ", ".join("%s %d" % k for k in bad) + ".")
    bullets = "\n".join(textwrap.fill(b, 92, initial_indent="- ", subsequent_indent="  ")
                        for b in bullets)
    return f"""{BEGIN}
## DPDK: testpmd as uid 1000 through udrv against root on uio_pci_generic (VM, same run)

`make bench-dpdk` (also run by `make bench`): bench/dpdk.scenario in the VM bed (noiommu,
{m('vm_smp', '2')} vCPUs, guest kernel {m('guest_kernel', '?')}, two e1000e on one QEMU hub:
{m('ports', '?')}) with the uio_ext module that uio-ext/build-module built, Debian's dpdk
{m('dpdk', '?')} unmodified, on a host with {m('host_cores', '?')} cores (load average
{m('loadavg', '?')} when it began), {m('qemu', '?')}. udrv {m('commit', '?')}, built with
`{m('build', '?')}`; run on {m('date', '?')}, the VM run took {m('vm_seconds', '?')} s. Knobs:
`{m('knobs', '?')}`.

Both variants run the same command, `dpdk-testpmd {m('testpmd', '?')}`:

- **udrv**: uid 1000, `udrvctl grant --dpdk SLOT1,SLOT2 -- dpdk-testpmd ...` on a policy
  with `Backend=uio-ext`, `DMA=unsafe`, `MemlockLimit=256M` (libudrv-dpdk.so preloaded;
  DPDK's pagemap reads answered from the leases' dma-pin fds);
- **root**: the plain DPDK way: both ports bound by hand to uio_pci_generic
  (`driver_override` + `drivers_probe`), dpdk-testpmd as root (EAL reads pagemap itself),
  then the ports given back to e1000e.

The scenario stops testpmd with SIGINT once it has printed enough statistics blocks, so every
run forwards for the same number of intervals. **pps** = packets forwarded per second: the
TX-packets of both ports (the NICs' counters; in io mode each packet received on one port
is sent on the other) gained between statistics block {warmup} and block {warmup + secs}
({secs} one-second intervals after {warmup} of warm-up), divided by the time between those
blocks as testpmd measured it (each interval's packet gain ÷ its Tx-pps, which testpmd
computes on CLOCK_MONOTONIC_RAW). EAL startup, probing, `--tx-first` and shutdown are outside
the window.

| run | order | root on uio_pci_generic, pps | uid 1000 through udrv, pps | udrv ÷ root |
| --- | --- | --- | --- | --- |
{rows}
| **median** | | **{kpps(mr)}** | **{kpps(mu)}** | **{ratio:.2f}** (goal ≥ {GOAL:.2f}) |

{bullets}
{END}
"""


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: report-dpdk.py SAMPLES.tsv OUTPUT.md")
    meta, blocks = load(sys.argv[1])
    ok = {v for (v, _), run in blocks.items()
          if rate(run, int(meta.get("warmup", "2")), int(meta.get("secs", "10")))}
    if ok != {"udrv", "root"}:
        sys.exit("report-dpdk.py: %s: no complete run of %s" % (
            sys.argv[1], " or ".join(sorted({"udrv", "root"} - ok))))
    sec = render(meta, blocks)
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
