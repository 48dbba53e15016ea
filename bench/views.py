#!/usr/bin/env python3
"""Views benchmark, one command: a page extending a base with a 100-row table of escaped user
text, rendered by real Tornado 6.6.1 and by gale from the same `bench/views-py/app.py` (one
shared instance, Python's default; a fresh instance per request; fresh with
`--reuse-instances`), and by gale from the same page in Rust (`bench/views-rs`, askama, a
fresh instance per request), each under the same wrk load in turn in one run: req/s, p50,
p99, and the ratio to Tornado. The ceiling, in the same run: bare hyper (`bench/baseline`)
sending the page's bytes as they are.

Usage: python3 bench/views.py [--seconds S] [--connections N]
Needs wrk, Tornado 6.6.1 and componentize-py 0.25.1. Builds the release host first.
"""

import argparse
import pathlib
import shutil
import subprocess
import sys
import tempfile
import urllib.request

from common import ROOT, build, start
from perf import RELEASE, print_table, rows_of, spawn

SOURCE = ROOT / "bench/views-py"
PATH = "/table"


def _apart(plugins, name):
    """`plugins` split in two directories: `name` alone, and the rest."""
    alone, rest = pathlib.Path(tempfile.mkdtemp()), pathlib.Path(tempfile.mkdtemp())
    for file in plugins.iterdir():
        shutil.copy(file, alone if file.name == name else rest)
    return alone, rest


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    plugins = build(str(SOURCE), str(ROOT / "bench/views-rs"))
    subprocess.run(["cargo", "build", "--release", "-p", "baseline"], cwd=ROOT, check=True)
    tornado = spawn([sys.executable, str(ROOT / "tests/tornado/run_app.py"),
                     str(SOURCE / "app.py")])
    page = tempfile.NamedTemporaryFile(suffix=".html")
    page.write(urllib.request.urlopen(f"http://{tornado[1]}{PATH}").read())
    page.flush()
    rows = rows_of(tornado, args, ("Tornado 6.6.1, one process", PATH))
    rows += rows_of(spawn([str(RELEASE / "baseline"), "127.0.0.1:0", page.name]), args,
                    ("bare hyper, the page's bytes as they are (the ceiling)", "/"))
    cache = tempfile.mkdtemp(prefix="gale-bench-cache-")
    # Two plugins may not claim one route: each row serves one of them.
    rust, python = _apart(plugins, "views_rs.wasm")
    rows += rows_of(start(rust, "--cache-dir", cache), args,
                    ("gale, the page in Rust (askama), a fresh instance per request", PATH))
    for flags, note in [((), "one shared instance (the default)"),
                        (("--instances", "views_py=fresh"), "a fresh instance per request"),
                        (("--instances", "views_py=fresh", "--reuse-instances", "views_py=1000"),
                         "fresh, `--reuse-instances 1000`")]:
        rows += rows_of(start(python, "--cache-dir", cache, *flags), args,
                        (f"gale, the same app.py in Python, {note}", PATH))
    print_table(rows, f"wrk -t1 -c{args.connections} -d{args.seconds}s, `GET {PATH}` "
                f"(a base, a 100-row table, escaped text)")


if __name__ == "__main__":
    main()
