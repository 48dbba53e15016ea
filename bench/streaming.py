#!/usr/bin/env python3
"""Streaming benchmark: the tutorial's /big (a handler writing 64 KiB chunks and flushing
each, through the wasm boundary and the 4-chunk queue) against the same bytes served by the
host alone (a --static file), in one run; and the server's peak RSS after each.

Usage: python3 bench/streaming.py [--mib N] [--rounds R]
Needs curl and wrk (the shared build step checks for wrk). Builds release binaries first.
"""

import argparse
import pathlib
import subprocess
import tempfile

from common import build, start, stop


def fetch(url):
    """Seconds to download `url` to nowhere, and the bytes received."""
    out = subprocess.run(
        ["curl", "-s", "-o", "/dev/null", "-w", "%{time_total} %{size_download}", url],
        capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]), int(out[1])


def peak_rss_mib(process):
    status = pathlib.Path(f"/proc/{process.pid}/status").read_text()
    return int(next(l for l in status.splitlines() if l.startswith("VmHWM:")).split()[1]) / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    size = args.mib << 20
    plugins = build("plugins/tutorial")
    static = pathlib.Path(tempfile.mkdtemp(prefix="gale-static-"))
    with open(static / "big.bin", "wb") as file:
        file.truncate(size)
    process, addr = start(plugins, "--static", str(static))
    try:
        fetch(f"http://{addr}/static/big.bin")  # hashes the file once (its Etag)
        results = {"host, --static file": [], "handler, flush per 64 KiB (/big)": []}
        for _ in range(args.rounds):
            for name, path in zip(results, ["/static/big.bin", f"/big?size={size}"]):
                seconds, got = fetch(f"http://{addr}{path}")
                assert got == size, f"{path}: {got} bytes"
                results[name].append(size / seconds / 2**20)
        rss = peak_rss_mib(process)
    finally:
        stop(process)
    best = {name: max(speeds) for name, speeds in results.items()}
    baseline = best["host, --static file"]
    print(f"{args.mib} MiB per response, best of {args.rounds}; server peak RSS {rss:.1f} MiB")
    print("| served by | MiB/s | ratio to the host alone |\n| --- | ---: | ---: |")
    for name, speed in best.items():
        print(f"| {name} | {speed:,.0f} | {speed / baseline:.2f} |")


if __name__ == "__main__":
    main()
