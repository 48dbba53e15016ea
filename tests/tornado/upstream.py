"""A real Tornado service for the outbound tests to fetch from: it echoes what it was sent,
answers slowly, redirects, compresses, sends large or endless bodies, and counts the
requests whose client left before the answer. Prints where it listens, then serves.

Usage: python3 tests/tornado/upstream.py
"""

import asyncio
import gzip
import json

import tornado.ioloop
import tornado.netutil
import tornado.web
from tornado.httpserver import HTTPServer


class Echo(tornado.web.RequestHandler):
    """What the request was: method, path, query, the headers a client sets, the body."""

    SUPPORTED_METHODS = ("GET", "HEAD", "POST", "DELETE", "PATCH", "PUT", "OPTIONS")

    def _echo(self, *args):
        names = ("Content-Type", "User-Agent", "Authorization", "Cookie", "Accept-Encoding",
                 "X-Test")
        self.write({
            "method": self.request.method,
            "path": self.request.path,
            "query": self.request.query,
            "headers": {name: self.request.headers.get(name) for name in names},
            "body": self.request.body.decode("utf-8", "replace"),
        })

    get = post = put = patch = delete = options = _echo


class Page(tornado.web.RequestHandler):
    def get(self, number):
        self.write("page %s" % number)


class Slow(tornado.web.RequestHandler):
    async def get(self):
        await asyncio.sleep(float(self.get_argument("ms", "100")) / 1000)
        self.write("slow %s" % self.get_argument("ms", "100"))


class Status(tornado.web.RequestHandler):
    def get(self, code):
        self.set_status(int(code))
        self.write("status %s" % code)


class Redirect(tornado.web.RequestHandler):
    def get(self):
        self.redirect(self.get_argument("to"), status=int(self.get_argument("code", "302")))

    post = get


class Gzipped(tornado.web.RequestHandler):
    def get(self):
        self.set_header("Content-Encoding", "gzip")
        self.write(gzip.compress(b"unzipped " * 100))


class Big(tornado.web.RequestHandler):
    def get(self):
        self.write(b"x" * int(self.get_argument("n")))


class Forever(tornado.web.RequestHandler):
    """A body that never ends: 64 KiB chunks until the client leaves."""

    async def get(self):
        chunk = b"y" * 65536
        try:
            while True:
                self.write(chunk)
                await self.flush()
        except tornado.iostream.StreamClosedError:
            pass


left = {"count": 0}


class Hold(tornado.web.RequestHandler):
    """Answers after ``ms`` (default a minute) unless the client leaves first, which
    ``/left`` counts."""

    async def get(self):
        self.gone = asyncio.Event()
        try:
            await asyncio.wait_for(self.gone.wait(), float(self.get_argument("ms", "60000")) / 1000)
        except asyncio.TimeoutError:
            self.write("held")

    def on_connection_close(self):
        left["count"] += 1
        self.gone.set()


class Left(tornado.web.RequestHandler):
    def get(self):
        self.write(json.dumps(left))


def make_app():
    return tornado.web.Application([
        (r"/echo.*", Echo),
        (r"/page/(\d+)", Page),
        (r"/slow", Slow),
        (r"/status/(\d+)", Status),
        (r"/redirect", Redirect),
        (r"/gzip", Gzipped),
        (r"/big", Big),
        (r"/forever", Forever),
        (r"/hold", Hold),
        (r"/left", Left),
    ])


if __name__ == "__main__":
    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
    print("upstream: listening on http://127.0.0.1:%d" % sockets[0].getsockname()[1],
          flush=True)
    server = HTTPServer(make_app())
    server.add_sockets(sockets)
    tornado.ioloop.IOLoop.current().start()
