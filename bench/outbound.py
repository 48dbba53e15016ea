#!/usr/bin/env python3
"""Waiting on other services, one command: handlers that await an upstream answering after
100 ms (bench/slow-upstream, a native tokio server), on gale with a Rust plugin
(bench/waiting; with fresh instances, its default, and shared ones) and a Python one
(bench/waiting-py), and on Tornado 6.6.1 running the same Python file (max_clients=1000),
each in turn in one run:

- 1,000 clients at once, each request's handler awaiting one fetch: req/s, p50, p99, errors;
- fan-out: one request awaiting 10 fetches of 200 ms at once, its time (median of 5);
- memory, first, on a server that has served nothing (started from the compiled-code cache):
  RSS with 1,000 handlers waiting (an
  upstream that takes 10 s), and per waiting request, beside the server's RSS before.

Usage: python3 bench/outbound.py [--seconds S] [--connections N]
Needs wrk, componentize-py (for the Python plugin) and Tornado 6.6.1.
"""

import argparse
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.request

from common import ROOT, build, start, stop, wrk
from perf import RELEASE, memory, spawn


def upstream():
    subprocess.run(["cargo", "build", "--release", "-p", "slow-upstream"], cwd=ROOT, check=True)
    return spawn([str(RELEASE / "slow-upstream")])


def fanout_ms(address, up):
    """The median time of five requests that each await 10 fetches of 200 ms at once."""
    url = f"http://{address}/fanout?u=http://{up}&n=10&ms=200"
    times = []
    for _ in range(5):
        started = time.perf_counter()
        with urllib.request.urlopen(url) as answer:
            assert answer.read() == b"ok" * 10
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def waiting_memory(process, address, up, count):
    """RSS (MiB) before, and with `count` handlers waiting on a 10 s upstream."""
    before = memory(process, "VmRSS")
    request = f"GET /one?u=http://{up}&ms=10000 HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    host, port = address.rsplit(":", 1)
    clients = []
    for _ in range(count):
        client = socket.create_connection((host, int(port)))
        client.sendall(request)
        clients.append(client)
    time.sleep(4)
    during = memory(process, "VmRSS")
    for client in clients:
        client.close()
    time.sleep(1)
    return before, during


def measure(name, server, up, args):
    process, address = server
    try:
        # Memory first, on a server that has served nothing yet.
        before, waiting = waiting_memory(process, address, up, args.connections)
        url = f"http://{address}/one?u=http://{up}&ms=100"
        wrk(url, 2, args.connections)  # warm-up
        result = wrk(url, args.seconds, args.connections)
        result["fanout"] = fanout_ms(address, up)
        result["before"], result["waiting"] = before, waiting
        return name, result
    finally:
        stop(process)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=1000)
    args = parser.parse_args()
    plugins = build("bench/waiting", "bench/waiting-py")
    up_process, up = upstream()
    rows = []
    try:
        servers = [("gale, Rust (fresh instances)", "waiting", "fresh"),
                   ("gale, Rust (shared instances)", "waiting", "shared"),
                   ("gale, Python (shared instances)", "waiting_py", "shared")]
        for plugin in ("waiting", "waiting_py"):
            (plugins / plugin).mkdir()
            (plugins / f"{plugin}.wasm").rename(plugins / plugin / f"{plugin}.wasm")
        cache = tempfile.mkdtemp(prefix="gale-bench-cache-")
        for name, plugin, mode in servers:
            flags = ["--allow-outbound", f"{plugin}=http://{up}", "--instances", f"{plugin}={mode}",
                     "--cache-dir", cache]
            # A first start compiles into the cache: measured is a start after it, as every
            # start after a plugin's first (a compile leaves the allocator's memory behind).
            stop(start(plugins / plugin, *flags)[0])
            rows.append(measure(name, start(plugins / plugin, *flags), up, args))
        tornado = spawn(["python3", str(ROOT / "tests/tornado/run_app.py"),
                         str(ROOT / "bench/waiting-py/app.py")])
        rows.append(measure("Tornado 6.6.1", tornado, up, args))
    finally:
        stop(up_process)
    print(f"\n{args.connections} clients, each request awaiting one fetch of a 100 ms upstream "
          f"(wrk -c{args.connections} -d{args.seconds}s); fan-out: 10 fetches of 200 ms at once")
    print("| server | req/s | p50 | p99 | errors | fan-out | RSS idle | RSS, "
          f"{args.connections} waiting | per waiting request |")
    print("| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |")
    for name, r in rows:
        per = (r["waiting"] - r["before"]) * 1024 / args.connections
        print(f"| {name} | {r['rps']:,.0f} | {r['p50']} | {r['p99']} | {r['errors']} | "
              f"{r['fanout']:.0f} ms | {r['before']:.0f} MiB | {r['waiting']:.0f} MiB | "
              f"{per:.0f} KiB |")
    tornado = dict(rows)["Tornado 6.6.1"]
    for name, r in rows[:3]:
        per = (r["waiting"] - r["before"]) / max(tornado["waiting"] - tornado["before"], 0.1)
        print(f"{name}: {r['rps'] / tornado['rps']:.2f}x Tornado's req/s, "
              f"{per:.2f}x its memory per waiting request")


if __name__ == "__main__":
    main()
