#!/usr/bin/env python3
"""Scale-out benchmark, one command: hello world through real nginx (`deploy/nginx.conf`)
in front of 1, 2 and 3 gale servers, beside one gale served directly, under the same wrk
load in one run (req/s, p99, and the CPU the servers and nginx spent per request, since on
a small machine the client, nginx and the servers share the cores); then the time for one
publish to reach 10,000 WebSocket subscribers spread over 3 servers sharing topics through
Redis (`--pubsub`), beside the same subscribers on one server.

Usage: python3 bench/scaleout.py [--seconds S] [--connections N] [--subscribers N]
Needs wrk, nginx and redis-server (apt-get install wrk nginx redis-server).
"""

import argparse
import os
import pathlib
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from common import ROOT, build, start, stop, wrk
from perf import ticks

NGINX = "/usr/sbin/nginx"
REDIS = "/usr/bin/redis-server"
RELEASE = ROOT / "target/release"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port):
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"nothing listens on {port}")


def nginx(backends):
    """`deploy/nginx.conf` in front of `backends`, one worker; returns (process, address)."""
    work = pathlib.Path(tempfile.mkdtemp(prefix="gale-nginx-"))
    port = free_port()
    site = (ROOT / "deploy/nginx.conf").read_text()
    head, rest = site.split("upstream gale {\n", 1)
    servers = "".join(f"    server {backend};\n" for backend in backends)
    rest = servers + rest[rest.index("    keepalive"):]
    site = (head + "upstream gale {\n" + rest).replace("listen 80;", f"listen 127.0.0.1:{port};")
    (work / "gale.conf").write_text(site)
    temp = "".join(f"  {kind}_temp_path {work / kind};\n"
                   for kind in ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"])
    (work / "nginx.conf").write_text(
        f"daemon off;\nmaster_process off;\npid {work}/nginx.pid;\nerror_log {work}/error.log;\n"
        f"events {{ worker_connections 4096; }}\n"
        f"http {{\n  access_log off;\n{temp}  include {work}/gale.conf;\n}}\n")
    process = subprocess.Popen([NGINX, "-p", str(work), "-e", str(work / "error.log"),
                                "-c", str(work / "nginx.conf")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(port)
    return process, f"127.0.0.1:{port}"


def through_nginx(plugins, count, seconds, connections):
    """wrk through nginx in front of `count` gale servers, on 127.0.0.1, .2, .3."""
    servers = [start(plugins, "--listen", f"127.0.0.{n + 1}:0") for n in range(count)]
    proxy = nginx([address for _, address in servers])
    processes = [process for process, _ in servers] + [proxy[0]]
    url = f"http://{proxy[1]}/hello/world"
    wrk(url, 2, connections)  # warm-up
    cpu = [ticks(process) for process in processes]
    result = wrk(url, seconds, connections)
    spent = [ticks(process) - before for process, before in zip(processes, cpu)]
    result["gale_us"] = sum(spent[:-1]) / result["requests"] * 1e6
    result["nginx_us"] = spent[-1] / result["requests"] * 1e6
    for process in processes:
        stop(process)
    return result


def direct(plugins, seconds, connections):
    process, address = start(plugins)
    url = f"http://{address}/hello/world"
    wrk(url, 2, connections)
    cpu = ticks(process)
    result = wrk(url, seconds, connections)
    result["gale_us"] = (ticks(process) - cpu) / result["requests"] * 1e6
    result["nginx_us"] = 0.0
    stop(process)
    return result


def broadcast(plugins, servers, subscribers, redis_url):
    flags = ["--max-connections", "20000", "--max-websockets", "15000",
             "--max-websockets-per-ip", "15000"]
    if redis_url:
        # The servers sign their messages with a key of the secret they share.
        flags += ["--pubsub", redis_url, "--cookie-secret", "one deployment"]
    started = [start(plugins, "--listen", f"127.0.0.{n + 1}:0", *flags)
               for n in range(servers)]
    time.sleep(1.5)  # the relay connects to Redis
    addresses = ",".join(address for _, address in started)
    out = subprocess.run([str(RELEASE / "wsload"), "broadcast", addresses, str(subscribers), "5"],
                         capture_output=True, text=True, check=True).stdout
    for process, _ in started:
        stop(process)
    return dict(pair.split("=") for pair in out.split())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--subscribers", type=int, default=10_000)
    args = parser.parse_args()
    for tool in [NGINX, REDIS]:
        if not os.path.exists(tool):
            sys.exit(f"needs {tool}: apt-get install nginx redis-server")
    limit = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))
    plugins = build("plugins/hello", "tests/plugins/probe")
    subprocess.run(["cargo", "build", "--release", "-p", "wsload"], cwd=ROOT, check=True)

    rows = [("gale, direct", direct(plugins, args.seconds, args.connections))]
    for count in (1, 2, 3):
        rows.append((f"nginx → {count} gale", through_nginx(plugins, count, args.seconds,
                                                            args.connections)))
    print(f"wrk -t1 -c{args.connections} -d{args.seconds}s, `GET /hello/world`, fresh instance "
          f"per request, {os.cpu_count()} cores shared by wrk, nginx and the servers")
    print("| served by | req/s | p99 | gale CPU per request | nginx CPU per request |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, r in rows:
        print(f"| {name} | {r['rps']:,.0f} | {r['p99']} | {r['gale_us']:.1f} µs | "
              f"{r['nginx_us']:.1f} µs |")

    redis_port = free_port()
    redis = subprocess.Popen([REDIS, "--port", str(redis_port), "--bind", "127.0.0.1",
                              "--save", "", "--appendonly", "no"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(redis_port)
    one = broadcast(plugins, 1, args.subscribers, None)
    three = broadcast(plugins, 3, args.subscribers, f"redis://127.0.0.1:{redis_port}")
    stop(redis)
    print(f"\none publish to {args.subscribers} WebSocket subscribers, 5 rounds, medians")
    print("| subscribers on | p50 | p99 | last one |")
    print("| --- | ---: | ---: | ---: |")
    for name, r in [("1 server, topics local", one), ("3 servers, `--pubsub` Redis", three)]:
        print(f"| {name} | {r['p50_ms']} ms | {r['p99_ms']} ms | {r['last_p50_ms']} ms |")
    shutil.rmtree(plugins, ignore_errors=True)


if __name__ == "__main__":
    main()
