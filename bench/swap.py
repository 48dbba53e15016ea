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
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
MARKER = b"probe-version:original"


def build():
    subprocess.run(["cargo", "build", "--release", "-p", "gale-host"], cwd=ROOT, check=True)
    out = pathlib.Path(tempfile.mkdtemp(prefix="gale-swap-build-"))
    subprocess.run(
        [str(ROOT / "target/release/gale"), "build", "tests/plugins/probe", "--out", str(out)],
        cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return (out / "probe.wasm").read_bytes()


def version_of(probe, label):
    """The probe answering `label` (padded to the marker's length) on /version."""
    text = ("probe-version:" + label).ljust(len(MARKER), "_").encode()
    assert len(text) == len(MARKER) and probe.count(MARKER) == 1
    return probe.replace(MARKER, text), text.decode()


def deploy(directory, data):
    partial = directory / ".app.wasm.partial"
    partial.write_bytes(data)
    os.rename(partial, directory / "app.wasm")


class Gale:
    def __init__(self, plugins, cache):
        self.process = subprocess.Popen(
            [str(ROOT / "target/release/gale"), "serve", "--plugins", str(plugins),
             "--listen", "127.0.0.1:0", "--cache-dir", str(cache)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env={**os.environ, "GALE_LOG": "warn"})
        line = self.process.stdout.readline().decode()
        self.addr = re.search(r"http://([\d.:]+)", line).group(1)

    def version(self, connection):
        connection.request("GET", "/version")
        return connection.getresponse().read().decode()

    def stop(self):
        self.process.terminate()
        self.process.wait()


def swap_latency(gale, directory, data, expected):
    """Seconds from the rename to the first response from the new version."""
    connection = http.client.HTTPConnection(gale.addr)
    started = time.perf_counter()
    deploy(directory, data)
    while gale.version(connection) != expected:
        pass
    return time.perf_counter() - started


def wrk(addr, seconds):
    out = subprocess.run(["wrk", "-t1", "-c16", f"-d{seconds}s", f"http://{addr}/version"],
                         capture_output=True, text=True, check=True).stdout
    requests = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)", out)
    return requests, errors.group(0) if errors else "none"


def median(values):
    values = sorted(values)
    return values[len(values) // 2]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--swaps", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("swap.py needs wrk: apt-get install wrk")
    probe = build()
    work = pathlib.Path(tempfile.mkdtemp(prefix="gale-swap-"))
    plugins, cache = work / "plugins", work / "cache"
    plugins.mkdir()
    base, base_text = version_of(probe, "base")
    (plugins / "app.wasm").write_bytes(base)
    gale = Gale(plugins, cache)
    try:
        # Every version new: each swap compiles.
        fresh = [version_of(probe, f"new{i:04}") for i in range(args.swaps)]
        cold = [swap_latency(gale, plugins, data, text) for data, text in fresh]
        # Alternating known versions: each swap is a cache hit.
        known = [fresh[-2], fresh[-1]]
        warm = [swap_latency(gale, plugins, *known[i % 2]) for i in range(args.swaps)]

        # Steady load before and after the storm, so that warm-up and drift show.
        before, before_errors = wrk(gale.addr, args.seconds)
        stop = threading.Event()
        swaps = 0

        def storm():
            nonlocal swaps
            while not stop.is_set():
                deploy(plugins, known[swaps % 2][0])
                swaps += 1
                time.sleep(0.1)

        stormer = threading.Thread(target=storm)
        stormer.start()
        during, storm_errors = wrk(gale.addr, args.seconds)
        stop.set()
        stormer.join()
        after, after_errors = wrk(gale.addr, args.seconds)
    finally:
        gale.stop()
        shutil.rmtree(work, ignore_errors=True)

    ms = lambda seconds: f"{seconds * 1000:.1f} ms"
    print(f"swap latency, file renamed in -> first response from it (median of {args.swaps}):")
    print(f"  compiled (no cache hit): {ms(median(cold))}  (min {ms(min(cold))}, max {ms(max(cold))})")
    print(f"  from the cache:          {ms(median(warm))}  (min {ms(min(warm))}, max {ms(max(warm))})")
    print(f"throughput on /version, wrk -t1 -c16 -d{args.seconds}s:")
    steady = (before + after) / 2
    print(f"  steady, before:  {before:,.0f} req/s (errors: {before_errors})")
    print(f"  swap storm:      {during:,.0f} req/s (errors: {storm_errors}; {swaps} swaps, 10/s)")
    print(f"  steady, after:   {after:,.0f} req/s (errors: {after_errors})")
    print(f"  storm / mean of steady: {during / steady:.2f}")


if __name__ == "__main__":
    main()
