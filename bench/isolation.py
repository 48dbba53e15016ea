#!/usr/bin/env python3
"""Isolation benchmark: `/` latency with and without two handlers spinning in infinite loops,
in one run, and a soak of mixed traffic with faults (RSS at start and end, requests served,
unexpected statuses).

Usage: python3 bench/isolation.py [--seconds S] [--soak-seconds S]
Needs wrk (apt-get install wrk). Builds release binaries and the plugins first.
"""

import argparse
import pathlib
import re
import shutil
import tempfile
import threading
import time
import urllib.request

from common import build, start, stop, wrk

# The soak's routes and the status each must answer.
SOAK = [
    ("/", 200), ("/time/2026/11/27", 200), ("/greet?name=soak", 200), ("/request", 200),
    ("/panic", 500), ("/memory", 500), ("/recursion", 500), ("/huge-write", 500),
    ("/error-trap", 500), ("/finish-trap", 200), ("/nowhere", 404), ("/loop", 503),
]

# Counts the responses whose status is not the one expected of the path.
SOAK_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) unexpected = 0 end
function response(status, headers, body)
  if status ~= %d then unexpected = unexpected + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("unexpected") end
  io.write(string.format("unexpected: %%d\\n", total))
end
"""


def rss_kib(pid):
    status = pathlib.Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1))


def spin(addr):
    try:
        urllib.request.urlopen(f"http://{addr}/loop", timeout=120).read()
    except Exception:
        pass  # the 503 that ends it


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--soak-seconds", type=int, default=180)
    args = parser.parse_args()
    plugins = build("plugins/tutorial", "tests/plugins/faults")

    # Latency of `/` alone, then with two handlers spinning for longer than the run.
    process, addr = start(plugins, "--handler-timeout", f"{args.seconds * 3}s")
    try:
        alone = wrk(f"http://{addr}/", args.seconds)
        spinners = [threading.Thread(target=spin, args=(addr,)) for _ in range(2)]
        for spinner in spinners:
            spinner.start()
        spinning = wrk(f"http://{addr}/", args.seconds)
    finally:
        stop(process)

    # The soak: every fault at once beside ordinary routes. The time limit is wall-clock, so
    # it is long enough that only `/loop` reaches it under this load.
    process, addr = start(plugins, "--handler-timeout", "1s", "--handler-memory", "16MiB",
                          "--max-response-buffer", "4MiB")
    scripts = []
    for _, status in SOAK:
        script = pathlib.Path(tempfile.mktemp(suffix=".lua"))
        script.write_text(SOAK_SCRIPT % status)
        scripts.append(script)
    try:
        wrk(f"http://{addr}/", 2)  # warm up: the pool's slots, the caches
        rss_start = rss_kib(process.pid)
        # One wrk per route, all at once: each knows the status its route must answer.
        results = [None] * len(SOAK)

        def soak_one(index):
            path = SOAK[index][0]
            results[index] = wrk(f"http://{addr}{path}", args.soak_seconds,
                                 connections=2, script=scripts[index])

        soakers = [threading.Thread(target=soak_one, args=(i,)) for i in range(len(SOAK))]
        for soaker in soakers:
            soaker.start()
        # RSS along the way: a plateau is warm-up (pool slots, allocator arenas), a steady
        # climb would be a leak.
        rss_series = []
        while any(soaker.is_alive() for soaker in soakers):
            time.sleep(args.soak_seconds / 6)
            rss_series.append(rss_kib(process.pid))
        rss_end = rss_kib(process.pid)
        alive = process.poll() is None
    finally:
        stop(process)
        for script in scripts:
            script.unlink()
        shutil.rmtree(plugins, ignore_errors=True)
    soak = {
        "requests": sum(r["requests"] for r in results),
        "unexpected": sum(r["unexpected"] for r in results),
        "errors": [f"{SOAK[i][0]}: {r['errors']}" for i, r in enumerate(results)
                   if "Socket" in r["errors"]],
    }
    soak["rps"] = soak["requests"] / args.soak_seconds

    print(f"`/` latency, wrk -t1 -c32 -d{args.seconds}s:")
    print(f"  alone:                  {alone['rps']:>9,.0f} req/s  p50 {alone['p50']:>8}  p99 {alone['p99']:>8}")
    print(f"  two handlers spinning:  {spinning['rps']:>9,.0f} req/s  p50 {spinning['p50']:>8}  p99 {spinning['p99']:>8}")
    print(f"soak, {args.soak_seconds}s of mixed traffic with faults ({len(SOAK)} routes at once, 2 connections each):")
    print(f"  requests served: {soak['requests']:,} ({soak['rps']:,.0f} req/s)")
    for (path, status), result in zip(SOAK, results):
        if result["unexpected"]:
            print(f"  {path}: {result['unexpected']} of {result['requests']} not {status}")
    print(f"  unexpected statuses: {soak['unexpected']}; socket errors: "
          f"{'; '.join(soak['errors']) or 'none'}")
    print(f"  RSS: {rss_start / 1024:.1f} MiB at start, {rss_end / 1024:.1f} MiB at end; "
          f"server {'alive' if alive else 'DEAD'}")
    print("  RSS along the way (MiB): " + ", ".join(f"{kib / 1024:.1f}" for kib in rss_series))


if __name__ == "__main__":
    main()
