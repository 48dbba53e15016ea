#!/usr/bin/env python3
"""A plugin's own data, one command: the guestbook's read (`GET /entries?q=NAME`: its table
made, as the app does on each request, then a query of 100 rows by name, answered as JSON)
from the same `plugins-py/guestbook/app.py` on real Tornado 6.6.1 (the standard library's
sqlite3, blocking its loop) and on gale (the plugin's own database, one shared instance),
and from the same read in Rust (`bench/db-rs`, a fresh instance per request), each under the
same wrk load in turn in one run: req/s, p50, p99, and the ratio to Tornado. The floor of a
request in gale without a database, in the same run: the hello plugin.

Usage: python3 bench/db.py [--seconds S] [--connections N]
Needs wrk, Tornado 6.6.1 and componentize-py 0.25.1. Builds the release host first.
"""

import argparse
import os
import sys
import tempfile
import urllib.parse
import urllib.request

from common import ROOT, build, start
from perf import print_table, rows_of, spawn
from views import _apart

SOURCE = ROOT / "plugins-py/guestbook"
PATH = "/entries?q=guest42"
ENTRIES = 100


def seeded(server):
    """`server` with the guestbook's 100 entries posted."""
    for at in range(ENTRIES):
        body = urllib.parse.urlencode({"name": f"guest{at}"}).encode()
        urllib.request.urlopen(f"http://{server[1]}/entries", body).read()
    return server


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    plugins = build(str(SOURCE), str(ROOT / "bench/db-rs"), str(ROOT / "plugins/hello"))
    os.chdir(tempfile.mkdtemp(prefix="gale-bench-tornado-"))  # where its guestbook.db goes
    tornado = spawn([sys.executable, str(ROOT / "tests/tornado/run_app.py"),
                     str(SOURCE / "app.py")])
    rows = rows_of(seeded(tornado), args, ("Tornado 6.6.1 + sqlite3, one process", PATH))
    cache = tempfile.mkdtemp(prefix="gale-bench-cache-")
    serve = lambda plugins: start(plugins, "--cache-dir", cache, "--data-dir",
                                  tempfile.mkdtemp(prefix="gale-bench-data-"))
    python, others = _apart(plugins, "guestbook.wasm")
    rust, hello = _apart(others, "db_rs.wasm")
    rows += rows_of(seeded(serve(python)), args,
                    ("gale, the same app.py in Python, one shared instance", PATH))
    rows += rows_of(seeded(serve(rust)), args,
                    ("gale, the same read in Rust, a fresh instance per request", PATH))
    rows += rows_of(serve(hello), args, ("gale, hello in Rust (no database: the floor)", "/hello/world"))
    print_table(rows, f"wrk -t1 -c{args.connections} -d{args.seconds}s, `GET {PATH}` "
                f"(a table made, a query of {ENTRIES} rows by name)")


if __name__ == "__main__":
    main()
