#!/usr/bin/env python3
"""The course's `/me` on MariaDB, one command: one indexed `SELECT` of the logged-in account
(a `JOIN` by the session cookie), with `connect()` per request as the course writes it, from
the same `plugins-py/course/app.py` on real Tornado 6.6.1 + PyMySQL (each connect and query
blocking its loop) and on gale (the host's pool; one shared instance), beside Tornado +
aiomysql with a pool (`bench/course_aiomysql.py`, the best a careful Tornado developer does)
and the same read in Rust (`bench/db-rs`, a fresh instance per request), each under the same
wrk load in turn in one run: req/s, p50, p99, and the ratio to Tornado + PyMySQL.

Usage: python3 bench/db_mysql.py [--seconds S] [--connections N] [--mysql URL]
Needs wrk, Tornado 6.6.1, PyMySQL, aiomysql, componentize-py 0.25.1 and a MariaDB or MySQL
server (default mysql://root@127.0.0.1:3306, where it makes two databases and drops them).
"""

import argparse
import http.cookies
import os
import sys
import urllib.parse
import urllib.request

import pymysql

from common import ROOT, build, start
from perf import print_table, rows_of, spawn
from views import _apart

COURSE = ROOT / "plugins-py/course"
DATABASES = ("gale_bench_tornado", "gale_bench_gale")


def logged_in(address):
    """Registers and logs in an account on the course app at `address`; its session cookie."""
    form = urllib.parse.urlencode({"account": "ann", "password": "pw", "balance": "12.50"})
    urllib.request.urlopen(f"http://{address}/register", form.encode()).read()
    form = urllib.parse.urlencode({"account": "ann", "password": "pw"})
    response = urllib.request.urlopen(f"http://{address}/login", form.encode())
    cookie = http.cookies.SimpleCookie(response.headers["Set-Cookie"])
    return f"Cookie: session={cookie['session'].value}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--mysql", default="mysql://root@127.0.0.1:3306")
    args = parser.parse_args()
    server = urllib.parse.urlsplit(args.mysql)
    env = {**os.environ, "MYSQL_HOST": server.hostname, "MYSQL_PORT": str(server.port or 3306),
           "MYSQL_USER": server.username or "root", "MYSQL_PASSWORD": server.password or ""}
    admin = pymysql.connect(host=server.hostname, port=server.port or 3306,
                            user=env["MYSQL_USER"], password=env["MYSQL_PASSWORD"])
    with admin.cursor() as cur:
        for name in DATABASES:
            cur.execute(f"DROP DATABASE IF EXISTS {name}")
            cur.execute(f"CREATE DATABASE {name}")
    plugins = build(str(COURSE), str(ROOT / "bench/db-rs"))
    try:
        env["MYSQL_DATABASE"] = DATABASES[0]
        blocking = spawn([sys.executable, str(ROOT / "tests/tornado/run_app.py"),
                          str(COURSE / "app.py")], env=env)
        session = logged_in(blocking[1])
        rows = rows_of(blocking, args, ("Tornado 6.6.1 + PyMySQL, `connect()` per request",
                                        "/me"), headers=[session])
        pooled = spawn([sys.executable, str(ROOT / "bench/course_aiomysql.py")], env=env)
        rows += rows_of(pooled, args, ("Tornado 6.6.1 + aiomysql, a pool of 10", "/me"),
                        headers=[session])
        python, rust = _apart(plugins, "course.wasm")
        given = f"{args.mysql.rstrip('/')}/{DATABASES[1]}"
        gale = start(python, "--plugin-database", f"course={given}")
        session = logged_in(gale[1])
        rows += rows_of(gale, args, ("gale, the same app.py in Python, one shared instance",
                                     "/me"), headers=[session])
        rows += rows_of(start(rust, "--plugin-database", f"db_rs={given}"), args,
                        ("gale, the same read in Rust, a fresh instance per request", "/me"),
                        headers=[session])
        print_table(rows, f"wrk -t1 -c{args.connections} -d{args.seconds}s, `GET /me` (a "
                          f"session's account by a JOIN), MariaDB on loopback")
    finally:
        with admin.cursor() as cur:
            for name in DATABASES:
                cur.execute(f"DROP DATABASE IF EXISTS {name}")


if __name__ == "__main__":
    main()
