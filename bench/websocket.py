#!/usr/bin/env python3
"""Long-connection benchmark, one command: gale (the probe plugin's WebSocket echo and
topics, a fresh instance per event, then with --reuse-instances) against Tornado 6.6.1
serving the same protocol (bench/tornado_ws.py), and bare hyper's c10k memory as the
yardstick, in one run. Rows: 10,000 WebSockets opened, each echoing once, then idle (peak
RSS, instances alive while idle, from the admin endpoint's `/load`); echo throughput over 64
connections and the server's CPU per message; one publish to
10,000 subscribers (latency to each, p50/p99, and to the last); 10,000 parked long polls
answered by one publish. Then the two RFC 6455 crates as bare echo servers (bench/wsecho).

Usage: python3 bench/websocket.py [--connections N] [--echo-seconds S] [--rounds R]
"""

import argparse
import json
import re
import socket
import subprocess
import sys
import urllib.request

from common import ROOT, build, start, stop
from perf import RELEASE, c10k, memory, spawn, ticks

WSLOAD = RELEASE / "wsload"


def run_wsload(*args, on_idle=None):
    """Runs wsload; calls `on_idle()` when it says its connections are idle; its last line."""
    process = subprocess.Popen(["timeout", "300", str(WSLOAD), *map(str, args)],
                               stdout=subprocess.PIPE, text=True)
    idle = None
    for line in process.stdout:
        if line.strip() == "idle" and on_idle:
            idle = on_idle()
        last = line.strip()
    process.wait()
    values = dict(pair.split("=") for pair in last.split())
    return values, idle




def free_address():
    """A loopback address with a port free now (for gale's admin endpoint)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{probe.getsockname()[1]}"


def instances_alive(admin):
    """Handler instances gale holds (running or parked), from its admin endpoint."""
    if admin is None:
        return None
    load = json.load(urllib.request.urlopen(f"http://{admin}/load"))
    return load["instances_in_use"] + load["instances_idle"]


def echo_with_cpu(process, addr, seconds):
    """wsload's echo over 64 connections, with the server's CPU per message in µs."""
    cpu = ticks(process)
    echo, _ = run_wsload("echo", addr, 64, seconds)
    echo["cpu_us"] = (ticks(process) - cpu) / int(echo["messages"]) * 1e6
    return echo


def crates(n, seconds):
    """The two RFC 6455 crates as bare echo servers (bench/wsecho): echo rate and server CPU
    per message over 64 connections, and RSS with `n` open and idle."""
    print("| bare echo on hyper's upgrade | echo msg/s (64) | server CPU per message "
          f"| RSS, {n:,} idle |")
    print("| --- | ---: | ---: | ---: |")
    for name in ["tungstenite", "fastwebsockets"]:
        process, addr = spawn([str(RELEASE / "wsecho"), name, "127.0.0.1:0"])
        echo = echo_with_cpu(process, addr, seconds)
        _, idle_rss = run_wsload("open", addr, n, 3, on_idle=lambda: memory(process, "VmRSS"))
        stop(process)
        print(f"| {name} | {float(echo['rate']):,.0f} | {echo['cpu_us']:.1f} µs "
              f"| {idle_rss:.1f} MiB |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--echo-seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    plugins = build("tests/plugins/probe")
    subprocess.run(["cargo", "build", "--release", "-p", "baseline", "-p", "c10k", "-p", "wsload",
                    "-p", "wsecho"], cwd=ROOT, check=True)
    n = args.connections
    baseline = spawn([str(RELEASE / "baseline"), "127.0.0.1:0"])
    c10k(baseline[1], "/", n, 2)
    hyper_peak = memory(baseline[0], "VmHWM")
    stop(baseline[0])
    # Room for every subscriber and the publishing request beside them, all from one
    # address (the load client's).
    room = ("--max-connections", str(3 * n), "--max-websockets", str(2 * n),
            "--max-websockets-per-ip", str(2 * n))
    admin = free_address()
    servers = [("gale", admin, lambda: start(plugins, *room, "--admin", admin)),
               ("gale, `--reuse-instances probe=1000`", admin,
                lambda: start(plugins, *room, "--admin", admin, "--reuse-instances", "probe=1000"))]
    if subprocess.run([sys.executable, "-c", "import tornado"]).returncode == 0:
        servers.append(("Tornado 6.6.1", None, lambda: spawn(
            [sys.executable, str(ROOT / "bench/tornado_ws.py")])))
    rows = {}
    for name, admin, launch in servers:
        process, addr = launch()
        opened, (idle_rss, alive) = run_wsload(
            "open", addr, n, 3,
            on_idle=lambda: (memory(process, "VmRSS"), instances_alive(admin)))
        open_peak = memory(process, "VmHWM")
        echo = echo_with_cpu(process, addr, args.echo_seconds)
        broadcast, _ = run_wsload("broadcast", addr, n, args.rounds)
        polled, poll_rss = run_wsload("poll", addr, n, on_idle=lambda: memory(process, "VmRSS"))
        stop(process)
        rows[name] = dict(opened=opened, idle_rss=idle_rss, alive=alive, open_peak=open_peak, echo=echo,
                          broadcast=broadcast, polled=polled, poll_rss=poll_rss)
    print(f"bare hyper c10k peak RSS: {hyper_peak:.1f} MiB ({n} keep-alive connections)")
    print("| server | WebSockets opened / echoed / again after idle | instances alive, idle | RSS idle | peak RSS "
          "| vs bare hyper c10k | echo msg/s (64) | CPU per echo | broadcast to all: p50 / p99 / last "
          "| long polls answered | RSS parked |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, r in rows.items():
        o, b, p = r["opened"], r["broadcast"], r["polled"]
        alive = "—" if r["alive"] is None else r["alive"]
        print(f"| {name} | {o['opened']} / {o['answered']} / {o['again']} | {alive} | {r['idle_rss']:.1f} MiB "
              f"| {r['open_peak']:.1f} MiB | {r['open_peak'] / hyper_peak:.2f} "
              f"| {float(r['echo']['rate']):,.0f} | {r['echo']['cpu_us']:.1f} µs "
              f"| {b['p50_ms']} / {b['p99_ms']} / {b['last_p50_ms']} ms "
              f"| {p['answered']} / {p['parked']} | {r['poll_rss']:.1f} MiB |")
    if "Tornado 6.6.1" in rows:
        tornado = rows["Tornado 6.6.1"]
        for name in [n for n in rows if n.startswith("gale")]:
            echo = float(rows[name]["echo"]["rate"]) / float(tornado["echo"]["rate"])
            last = float(tornado["broadcast"]["last_p50_ms"]) / float(rows[name]["broadcast"]["last_p50_ms"])
            print(f"{name}: echo {echo:.1f}x Tornado's; broadcast to the last subscriber "
                  f"{last:.1f}x faster")


    crates(n, args.echo_seconds)


if __name__ == "__main__":
    main()
