#!/usr/bin/env python3
"""What observing gale costs: hello world under wrk with nothing recorded, with `--admin`
(the metrics), with the access log written (text, then JSON, to /dev/null), and with both;
the rounds alternate so that drift on a shared machine falls on every row alike, and each
row is the median of its rounds, as a ratio to the first.

Usage: python3 bench/observe.py [--seconds S] [--rounds N] [--connections N]
Needs wrk (apt-get install wrk). Builds the release binary and the hello plugin first.
"""

import argparse
import statistics

from common import build, start, stop, wrk

VARIANTS = [
    ("nothing recorded (`GALE_LOG=off`)", (), "off"),
    ("metrics (`--admin`)", ("--admin", "127.0.0.1:0"), "off"),
    ("access log, text", (), "info"),
    ("access log, JSON", ("--log-format", "json"), "info"),
    ("metrics and access log", ("--admin", "127.0.0.1:0"), "info"),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    plugins = build("plugins/hello")
    results = {name: [] for name, _, _ in VARIANTS}
    for _ in range(args.rounds):
        for name, flags, log in VARIANTS:
            process, address = start(plugins, *flags, log=log)
            url = f"http://{address}/hello/world"
            wrk(url, 1, args.connections)  # warm-up
            results[name].append(wrk(url, args.seconds, args.connections))
            stop(process)
    print(f"wrk -t1 -c{args.connections} -d{args.seconds}s, hello world, fresh instance per "
          f"request, {args.rounds} alternating rounds, median")
    print("| gale, recording | req/s | p99 | req/s vs nothing recorded |")
    print("| --- | ---: | ---: | ---: |")
    base = statistics.median(r["rps"] for r in results[VARIANTS[0][0]])
    for name, _, _ in VARIANTS:
        rps = statistics.median(r["rps"] for r in results[name])
        p99 = sorted(results[name], key=lambda r: r["rps"])[len(results[name]) // 2]["p99"]
        print(f"| {name} | {rps:,.0f} | {p99} | {rps / base:.3f} |")


if __name__ == "__main__":
    main()
