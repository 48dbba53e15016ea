#!/usr/bin/env python3
"""What ten thousand connections cost, and where the memory is: bare hyper's c10k beside
gale's (keep-alive connections, idle WebSockets, parked long polls), each with its peak RSS,
the ratio to bare hyper's, and /proc/PID/smaps at that peak by kind (bench/smaps.py). Rounds
alternate the servers so a slow minute of the machine falls on all of them.

Usage: python3 bench/memory.py [--connections N] [--rounds R] [--before GALE] [-- FLAGS...]
`--before` adds each gale row again from another `gale` binary (an earlier build), in the
same alternating rounds, to measure a change of the code; FLAGS go to every gale row.
Needs wrk (for the build check of common.py). Builds release binaries and the plugins first.
"""

import argparse
import pathlib
import subprocess
import threading
import time

from common import GALE, ROOT, build, start, stop
from perf import RELEASE, c10k, memory, spawn
from smaps import breakdown
from websocket import run_wsload


class Peak(threading.Thread):
    """Samples a process's RSS every 50 ms; keeps the breakdown of its highest sample."""

    def __init__(self, process, binary):
        super().__init__(daemon=True)
        self.process, self.binary = process, binary
        self.rss, self.kinds, self.running = 0.0, {}, True
        self.start()

    def run(self):
        while self.running:
            rss = memory(self.process, "VmRSS")
            if rss > self.rss:
                self.rss, self.kinds = rss, breakdown(self.process.pid, self.binary)
            time.sleep(0.05)

    def reset(self):
        """Forgets the samples so far: the peak of what follows is wanted."""
        self.rss, self.kinds = 0.0, {}

    def done(self):
        self.running = False
        self.join()
        return self.rss, self.kinds


def measure(launch, binary, load):
    """Starts a server, runs `load(address, peak)` against it, and returns (outcome, peak
    RSS, breakdown at the peak)."""
    process, address = launch()
    peak = Peak(process, binary)
    try:
        outcome = load(address, peak)
    finally:
        rss, kinds = peak.done()
        stop(process)
    return outcome, rss, kinds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--before", help="an earlier `gale` binary to measure beside this one")
    parser.add_argument("flags", nargs="*", help="extra `gale serve` flags for every gale row")
    args = parser.parse_args()
    plugins = build("plugins/hello", "tests/plugins/probe")
    subprocess.run(["cargo", "build", "--release", "-p", "baseline", "-p", "c10k", "-p", "wsload"],
                   cwd=ROOT, check=True)
    n = args.connections
    room = ("--max-connections", str(3 * n), "--max-websockets", str(2 * n),
            "--max-websockets-per-ip", str(2 * n))
    gale = lambda binary=GALE: lambda: start(plugins, *room, *args.flags, binary=binary)
    hyper = lambda: spawn([str(RELEASE / "baseline"), "127.0.0.1:0"])
    keep_alive = lambda address, _: c10k(address, "/hello/world", n, 3)

    def burst_then(load):
        """`load` after a c10k burst has come and gone (its connections closed), with the
        peak of `load` alone."""
        def run(address, peak):
            c10k(address, "/hello/world", n, 3)
            time.sleep(2)  # the server gives memory back within a second of a burst
            peak.reset()
            return load(address, peak)
        return run

    websockets = lambda address, _: run_wsload("open", address, n, 3)[0]
    polls = lambda address, _: run_wsload("poll", address, n)[0]
    rows = [
        ("bare hyper, keep-alive", hyper, "baseline", lambda a, _: c10k(a, "/", n, 3)),
    ]
    loads = [
        ("keep-alive (hello)", keep_alive),
        ("idle WebSockets (probe)", websockets),
        ("idle WebSockets after a keep-alive burst", burst_then(websockets)),
        ("parked long polls (probe)", polls),
        ("parked long polls after a keep-alive burst", burst_then(polls)),
    ]
    for what, load in loads:
        rows.append((f"gale, {what}", gale(), "gale", load))
        if args.before:
            before = pathlib.Path(args.before)
            rows.append((f"gale before, {what}", gale(before), before.name, load))
    best = {}
    for _ in range(args.rounds):
        for name, launch, binary, load in rows:
            outcome, rss, kinds = measure(launch, binary, load)
            if name not in best or rss < best[name][1]:
                best[name] = (outcome, rss, kinds)
    hyper_rss = best[rows[0][0]][1]
    print(f"{n:,} connections, lowest peak RSS of {args.rounds} alternating rounds"
          + (f", gale flags: {' '.join(args.flags)}" if args.flags else ""))
    print("| server | outcome | peak RSS | vs bare hyper's keep-alive |")
    print("| --- | --- | ---: | ---: |")
    for name, (outcome, rss, _) in best.items():
        said = " ".join(f"{k}={v}" for k, v in outcome.items())
        print(f"| {name} | {said} | {rss:.1f} MiB | {rss / hyper_rss:.2f} |")
    kinds = sorted({kind for _, _, found in best.values() for kind in found},
                   key=lambda kind: kind == "total")
    print("\nRSS (PSS) at each peak, MiB, by kind:")
    print("| kind | " + " | ".join(best) + " |")
    print("| --- |" + " ---: |" * len(best))
    for kind in kinds:
        cells = [found.get(kind, (0, 0)) for _, _, found in best.values()]
        print(f"| {kind} | " + " | ".join(f"{rss:.1f} ({pss:.1f})" for rss, pss in cells) + " |")


if __name__ == "__main__":
    main()
