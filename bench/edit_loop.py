#!/usr/bin/env python3
"""The Python edit loop under `gale dev`: how long after a save the browser gets the edit,
for a template, for a handler's code, and (the baseline, in the same run) for an edit that
changes the routes, which still waits for componentize-py and the swap, as every edit did
before templates and code were read live.

Usage: python3 bench/edit_loop.py [--edits N]
Needs componentize-py (pip install componentize-py==0.25.1). Builds the release host first.
"""

import argparse
import os
import pathlib
import re
import statistics
import subprocess
import tempfile
import time
import urllib.request

from common import GALE, ROOT

APP = """import os
import tornado.web


class IndexHandler(tornado.web.RequestHandler):
    def get(self):
        self.render("index.html", who="code {code}")


application = tornado.web.Application(
    [(r"/", IndexHandler){extra}],
    template_path=os.path.join(os.path.dirname(__file__), "templates"))
"""
TEMPLATE = "<p>template {template}: {{{{ who }}}}</p>\n"


class Plugin:
    """The course's first lesson rendering a template, in a directory of its own."""

    def __init__(self, directory):
        self.dir = directory / "lesson"
        (self.dir / "templates").mkdir(parents=True)
        self.code, self.template, self.routes = 0, 0, 0
        self.write()

    def write(self):
        extra = "".join(', (r"/r%d", IndexHandler)' % n for n in range(self.routes))
        (self.dir / "app.py").write_text(APP.format(code=self.code, extra=extra))
        (self.dir / "templates/index.html").write_text(TEMPLATE.format(template=self.template))

    def expected(self):
        return "<p>template %d: code %d</p>\n" % (self.template, self.code)

    def newest(self):
        """The path the latest edit shows at: its newest route, else `/`."""
        return "/r%d" % (self.routes - 1) if self.routes else "/"


def page(addr, path="/"):
    try:
        with urllib.request.urlopen("http://%s%s" % (addr, path), timeout=30) as answer:
            return answer.read().decode()
    except OSError:
        return None


def served_after(addr, plugin, edit):
    """Seconds from the save to the first request that gets the edited page."""
    edit(plugin)
    saved = time.monotonic()
    plugin.write()
    want, path = plugin.expected(), plugin.newest()
    while page(addr, path) != want:
        time.sleep(0.02)
    return time.monotonic() - saved


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--edits", type=int, default=4)
    args = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "-p", "gale-host"], cwd=ROOT, check=True)
    work = pathlib.Path(tempfile.mkdtemp(prefix="gale-edit-loop-"))
    plugin = Plugin(work)
    started = time.monotonic()
    server = subprocess.Popen(
        [str(GALE), "dev", str(plugin.dir), "--listen", "127.0.0.1:0"], cwd=work,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env={**os.environ, "GALE_LOG": "off"})
    try:
        addr = re.search(r"https?://([\d.:]+)", server.stdout.readline().decode()).group(1)
        while page(addr) != plugin.expected():
            time.sleep(0.05)
        print("gale dev: first page after %.1f s" % (time.monotonic() - started))
        kinds = [
            ("a template", lambda p: setattr(p, "template", p.template + 1)),
            ("a handler's code", lambda p: setattr(p, "code", p.code + 1)),
            ("the routes (build and swap: the baseline)",
             lambda p: setattr(p, "routes", p.routes + 1)),
        ]
        # The routes' edits come last: from the first, the newest route is the one checked.
        times = {}
        for name, edit in kinds:
            times[name] = []
            for _ in range(args.edits):
                times[name].append(served_after(addr, plugin, edit))
                # The build an edit of app.py starts: let it land before the next edit.
                time.sleep(12 if edit is not kinds[0][1] else 0.5)
        baseline = statistics.median(times[kinds[2][0]])
        print("| edit of | served after (s), each | median | vs build and swap |")
        print("|---|---|---|---|")
        for name, seconds in times.items():
            median = statistics.median(seconds)
            print("| %s | %s | %.2f | %.3f× |" % (
                name, ", ".join("%.2f" % s for s in seconds), median, median / baseline))
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
