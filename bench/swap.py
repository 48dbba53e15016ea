#!/usr/bin/env python3
"""Hot-swap benchmark: swap latency with and without a compiled-code cache hit, and the
throughput dip during a swap storm against steady load, in one run.

Usage: python3 bench/swap.py [--swaps N] [--seconds S]
Needs wrk (apt-get install wrk). Builds release binaries and the probe plugin first.
"""

import argparse
import http.client
import os
import pathlib
import shutil
import tempfile
import threading
import time

from common import build, start, stop, wrk

MARKER = b"probe-version:original"


def version_of(probe, label):
    """The probe answering `label` (padded to the marker's length) on /version."""
    text = ("probe-version:" + label).ljust(len(MARKER), "_").encode()
    assert len(text) == len(MARKER) and probe.count(MARKER) == 1
    return probe.replace(MARKER, text), text.decode()


def deploy(directory, data):
    partial = directory / ".app.wasm.partial"
    partial.write_bytes(data)
    os.rename(partial, directory / "app.wasm")


def version(addr, connection):
    connection.request("GET", "/version")
    return connection.getresponse().read().decode()


def swap_latency(addr, directory, data, expected):
    """Seconds from the rename to the first response from the new version."""
    connection = http.client.HTTPConnection(addr)
    started = time.perf_counter()
    deploy(directory, data)
    while version(addr, connection) != expected:
        pass
    return time.perf_counter() - started


def median(values):
    values = sorted(values)
    return values[len(values) // 2]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--swaps", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    built = build("tests/plugins/probe")
    probe = (built / "probe.wasm").read_bytes()
    shutil.rmtree(built)
    work = pathlib.Path(tempfile.mkdtemp(prefix="gale-swap-"))
    plugins, cache = work / "plugins", work / "cache"
    plugins.mkdir()
    base, base_text = version_of(probe, "base")
    (plugins / "app.wasm").write_bytes(base)
    gale, addr = start(plugins, "--cache-dir", str(cache))
    try:
        # Every version new: each swap compiles.
        fresh = [version_of(probe, f"new{i:04}") for i in range(args.swaps)]
        cold = [swap_latency(addr, plugins, data, text) for data, text in fresh]
        # Alternating known versions: each swap is a cache hit.
        known = [fresh[-2], fresh[-1]]
        warm = [swap_latency(addr, plugins, *known[i % 2]) for i in range(args.swaps)]

        # Steady load before and after the storm, so that warm-up and drift show.
        before = wrk(f"http://{addr}/version", args.seconds, connections=16)
        calm = threading.Event()
        swaps = 0

        def storm():
            nonlocal swaps
            while not calm.is_set():
                deploy(plugins, known[swaps % 2][0])
                swaps += 1
                time.sleep(0.1)

        stormer = threading.Thread(target=storm)
        stormer.start()
        during = wrk(f"http://{addr}/version", args.seconds, connections=16)
        calm.set()
        stormer.join()
        after = wrk(f"http://{addr}/version", args.seconds, connections=16)
    finally:
        stop(gale)
        shutil.rmtree(work, ignore_errors=True)

    ms = lambda seconds: f"{seconds * 1000:.1f} ms"
    print(f"swap latency, file renamed in -> first response from it (median of {args.swaps}):")
    print(f"  compiled (no cache hit): {ms(median(cold))}  (min {ms(min(cold))}, max {ms(max(cold))})")
    print(f"  from the cache:          {ms(median(warm))}  (min {ms(min(warm))}, max {ms(max(warm))})")
    print(f"throughput on /version, wrk -t1 -c16 -d{args.seconds}s:")
    steady = (before["rps"] + after["rps"]) / 2
    print(f"  steady, before:  {before['rps']:,.0f} req/s (errors: {before['errors']})")
    print(f"  swap storm:      {during['rps']:,.0f} req/s (errors: {during['errors']}; {swaps} swaps, 10/s)")
    print(f"  steady, after:   {after['rps']:,.0f} req/s (errors: {after['errors']})")
    print(f"  storm / mean of steady: {during['rps'] / steady:.2f}")


if __name__ == "__main__":
    main()
