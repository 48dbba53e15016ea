#!/usr/bin/env python3
"""Performance benchmark, one command: bare hyper, gale (hello and tutorial plugins, a fresh
instance per request; then without resident memory, and with the opt-in instance reuse),
`wasmtime serve` 48.0.8 serving the same hello world (by default, pooled, and reusing
instances) and, when installed, Tornado 6.6.1, each under the same wrk load in turn in one
run; req/s, p50, p99, server CPU and RSS, and the ratio to bare hyper. Then the c10k run:
10,000 idle keep-alive connections, each asking again after a pause, against bare hyper and
gale, with each server's peak RSS.

Usage: python3 bench/perf.py [--seconds S] [--connections N] [--c10k N] [--pause S]
                             [--no-wasmtime]
Needs wrk (apt-get install wrk). Builds release binaries and the plugins first.
"""

import argparse
import os
import pathlib
import re
import subprocess
import sys
import tempfile

from common import GALE, ROOT, build, start, stop, wrk

RELEASE = ROOT / "target/release"


def ticks(process):
    """CPU time the process has used so far, in seconds."""
    fields = pathlib.Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory(process, field):
    """A /proc status memory field (VmRSS, VmHWM) in MiB."""
    status = pathlib.Path(f"/proc/{process.pid}/status").read_text()
    return int(re.search(rf"^{field}:\s+(\d+)", status, re.M).group(1)) / 1024


def spawn(command, says_on="stdout", env=None):
    """Starts a server that prints `http://ADDR` first on `says_on` (its stdout or stderr;
    the other goes nowhere); returns (process, address)."""
    pipes = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, says_on: subprocess.PIPE}
    process = subprocess.Popen(command, **pipes, env=env)
    line = getattr(process, says_on).readline().decode()
    return process, re.search(r"http://([\d.:]+)", line).group(1)


def measure(process, url, seconds, connections, headers=()):
    """wrk against `url` (with `headers`), with the server's CPU share and RSS over the run."""
    wrk(url, 2, connections, headers=headers)  # warm-up
    cpu = ticks(process)
    result = wrk(url, seconds, connections, headers=headers)
    result["cpu"] = (ticks(process) - cpu) / seconds * 100
    result["rss"] = memory(process, "VmRSS")
    return result


def rows_of(server, args, *pages, headers=()):
    """`server` (a process and its address) measured at each `(name, path)` of `pages` in
    turn (with `headers`), then stopped: a `(name, result)` row per page."""
    process, address = server
    try:
        return [(name, measure(process, f"http://{address}{path}", args.seconds,
                               args.connections, headers))
                for name, path in pages]
    finally:
        stop(process)


def c10k(address, path, connections, pause):
    out = subprocess.run([str(RELEASE / "c10k"), address, path, str(connections), str(pause)],
                         capture_output=True, text=True, check=True).stdout
    return dict(pair.split("=") for pair in out.split())


def load_time(plugins, cache):
    """What gale's log says a load took: compiling the component, or reading the
    compiled-code cache in `cache`, and the swap."""
    process = subprocess.Popen(
        [str(GALE), "serve", "--plugins", str(plugins), "--listen", "127.0.0.1:0",
         "--cache-dir", cache], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, "GALE_LOG": "info"})
    process.stdout.readline()
    stop(process)
    log = process.stderr.read().decode()
    return re.search(r"(compiled in|compiled-code cache in) [^,]+, swap \S+", log).group(0)


WASMTIME = ROOT / "target/wasmtime-cli-48.0.8/bin/wasmtime"
WASI_HELLO = ROOT / "target/wasi-hello/wasm32-wasip2/release/wasi_hello.wasm"
# `wasmtime serve`'s best fresh-instance setting: pooled memories, tables and stacks, kept
# resident as gale keeps its instances' memory.
POOLED = ("pooling-allocator=y,pooling-memory-keep-resident=4194304,"
          "pooling-table-keep-resident=65536,pooling-async-stack-keep-resident=1048576")


def wasmtime_rows(args):
    """`wasmtime serve` 48.0.8 serving `bench/wasi-hello` (the same response as gale's hello):
    by default, pooled, and reusing instances. Its server is built once into `target/` (about
    15 minutes; 49+ needs a newer rustc); `--no-wasmtime` skips the rows."""
    if not WASMTIME.exists():
        print("building wasmtime-cli 48.0.8 into target/ once (about 15 minutes)")
        subprocess.run(["cargo", "install", "wasmtime-cli", "--version", "48.0.8", "--locked",
                        "--root", str(WASMTIME.parent.parent)], check=True)
    subprocess.run(["cargo", "build", "--release", "--target", "wasm32-wasip2",
                    "--manifest-path", str(ROOT / "bench/wasi-hello/Cargo.toml"),
                    "--target-dir", str(ROOT / "target/wasi-hello")], check=True)
    # One tokio worker: one loop, as gale's and the others' (its default is one per core).
    env = {**os.environ, "TOKIO_WORKER_THREADS": "1"}
    rows = []
    for flags, note in [((), "default"), (("-O", POOLED), "pooled, kept resident"),
                        (("-O", POOLED, "--max-instance-reuse-count", "1000"),
                         "pooled, `--max-instance-reuse-count 1000`")]:
        server = spawn([str(WASMTIME), "serve", "-Scli", "--addr", "127.0.0.1:0", *flags,
                        str(WASI_HELLO)], says_on="stderr", env=env)
        rows += rows_of(server, args, (f"`wasmtime serve` 48.0.8 hello, {note}", "/"))
    return rows


def python_rows(args):
    """The Python tutorial (`plugins-py/tutorial/app.py`), served by real Tornado and by gale
    compiled with componentize-py: one shared instance (Python's default), fresh instances and
    reused ones; the same source, the same route. Skipped, with a line that says so, without componentize-py."""
    if subprocess.run(["componentize-py", "--version"], capture_output=True).returncode != 0:
        print("(componentize-py not installed: pip install componentize-py==0.25.1 to add "
              "the Python rows)")
        return []
    source = ROOT / "plugins-py/tutorial"
    plugins = build(str(source))
    path = "/time/2026/11/27"
    tornado = spawn([sys.executable, str(ROOT / "tests/tornado/run_app.py"),
                     str(source / "app.py")])
    rows = rows_of(tornado, args,
                   ("Tornado 6.6.1 running plugins-py/tutorial/app.py, `GET /time/…`", path))
    cache = tempfile.mkdtemp(prefix="gale-bench-cache-")
    for _ in ("compiling", "from the cache"):
        print("Python tutorial (20 MB) made servable:", load_time(plugins, cache))
    for flags, note in [((), "one shared instance (the default)"),
                        (("--instances", "tutorial=fresh"), "fresh instance per request"),
                        (("--instances", "tutorial=fresh", "--reuse-instances", "tutorial=1000"),
                         "fresh, `--reuse-instances 1000`")]:
        # From the warm cache, as every start after a plugin's first.
        rows += rows_of(start(plugins, "--cache-dir", cache, *flags), args,
                        (f"gale, the same app.py in Python, {note}, `GET /time/…`", path))
    return rows


def print_table(rows, heading):
    """`rows` as a Markdown table under `heading` (what was measured), each row's req/s
    against the first's (Tornado's)."""
    first_rps = rows[0][1]["rps"]
    print(f"{heading}, {os.cpu_count()} cores shared by server and client")
    print("| server | req/s | p50 | p99 | server CPU | RSS | req/s vs Tornado |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, r in rows:
        print(f"| {name} | {r['rps']:,.0f} | {r['p50']} | {r['p99']} | {r['cpu']:.0f}% | "
              f"{r['rss']:.1f} MiB | {r['rps'] / first_rps:.2f} |")


def print_ratios(rows):
    """The ratios issue 19 sets targets for, from the rows this run measured."""
    pairs = [
        ("gale hello, `GET /hello/world`", "`wasmtime serve` 48.0.8 hello, pooled, kept resident",
         "fresh instances, gale / `wasmtime serve` pooled"),
        ("gale hello, `--reuse-instances 1000`, `GET /hello/world`",
         "`wasmtime serve` 48.0.8 hello, pooled, `--max-instance-reuse-count 1000`",
         "reused instances, gale / `wasmtime serve`"),
        ("gale hello, `GET /hello/world`", "Tornado 6.6.1, one process, `GET /`",
         "fresh instances, gale / Tornado"),
    ]
    for ours, theirs, what in pairs:
        if ours in rows and theirs in rows:
            print(f"{what}: {rows[ours]['rps'] / rows[theirs]['rps']:.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--c10k", type=int, default=10_000)
    parser.add_argument("--pause", type=int, default=5)
    parser.add_argument("--no-wasmtime", action="store_true",
                        help="leave out the `wasmtime serve` rows (and its 15-minute build)")
    args = parser.parse_args()
    plugins = build("plugins/hello", "plugins/tutorial")
    subprocess.run(["cargo", "build", "--release", "-p", "baseline", "-p", "c10k"],
                   cwd=ROOT, check=True)
    rows = rows_of(spawn([str(RELEASE / "baseline"), "127.0.0.1:0"]), args,
                   ("bare hyper, `GET /`", "/"))
    for flags, note in [((), ""), (("--resident-memory", "0"), ", `--resident-memory 0`"),
                        (("--reuse-instances", "hello=1000,tutorial=1000"),
                         ", `--reuse-instances 1000`")]:
        rows += rows_of(start(plugins, *flags), args,
                        (f"gale hello{note}, `GET /hello/world`", "/hello/world"),
                        (f"gale tutorial{note}, `GET /time/2026/11/27`", "/time/2026/11/27"))
    if not args.no_wasmtime:
        rows.extend(wasmtime_rows(args))
    has_tornado = subprocess.run([sys.executable, "-c", "import tornado"]).returncode == 0
    if has_tornado:
        rows += rows_of(spawn([sys.executable, str(ROOT / "bench/tornado_hello.py")]), args,
                        ("Tornado 6.6.1, one process, `GET /`", "/"))
        rows += python_rows(args)
    hyper_rps = rows[0][1]["rps"]
    print(f"wrk -t1 -c{args.connections} -d{args.seconds}s, one loop each, "
          f"{os.cpu_count()} cores shared by server and client")
    print("| server | req/s | p50 | p99 | server CPU | RSS | req/s vs bare hyper |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, r in rows:
        print(f"| {name} | {r['rps']:,.0f} | {r['p50']} | {r['p99']} | {r['cpu']:.0f}% | "
              f"{r['rss']:.1f} MiB | {r['rps'] / hyper_rps:.3f} |")
    if not has_tornado:
        print("(Tornado not installed: pip install tornado==6.6.1 to add its row)")
    print_ratios(dict(rows))
    print(f"\nc10k: {args.c10k} keep-alive connections, a request each, {args.pause} s idle, "
          "a second request each")
    print("| server | opened | answered first | answered second | seconds | peak RSS |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    peaks = {}
    for name, (process, address), path in [
        ("bare hyper", spawn([str(RELEASE / "baseline"), "127.0.0.1:0"]), "/"),
        ("gale hello", start(plugins), "/hello/world"),
        ("gale hello, `--resident-memory 0`",
         start(plugins, "--resident-memory", "0"), "/hello/world"),
    ]:
        result = c10k(address, path, args.c10k, args.pause)
        peaks[name] = memory(process, "VmHWM")
        stop(process)
        print(f"| {name} | {result['opened']} | {result['first']} | {result['second']} | "
              f"{result['seconds']} | {peaks[name]:.1f} MiB |")
    print(f"peak RSS, gale / bare hyper: {peaks['gale hello'] / peaks['bare hyper']:.2f}")


if __name__ == "__main__":
    main()
