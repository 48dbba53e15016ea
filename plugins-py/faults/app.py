"""Handlers that misbehave on purpose, in Python: each route is one way a handler can hurt a
host that does not contain it (the Rust faults plugin's cases). Test-only.

The module also starts its server as a Tornado script does, unguarded: gale accepts
`listen` and `IOLoop.start` and explains in the log that it owns the socket and the loop.
"""

import tornado.ioloop
import tornado.web


class Loop(tornado.web.RequestHandler):
    """`/loop`: computes forever; only the time limit ends it."""

    def get(self):
        counter = 0
        while True:
            counter += 1


class MemoryBomb(tornado.web.RequestHandler):
    """`/memory`: allocates a mebibyte at a time until memory runs out."""

    def get(self):
        hoard = []
        while True:
            hoard.append(bytearray(1 << 20))


class Recursion(tornado.web.RequestHandler):
    """`/recursion`: recurses without end."""

    def get(self):
        def deeper(n):
            return deeper(n + 1) + 1

        self.write(str(deeper(0)))


class Uncaught(tornado.web.RequestHandler):
    """`/uncaught`: an ordinary exception, which Tornado answers 500 with its traceback
    in the log."""

    def get(self):
        {}["missing key"]


class Forbidden(tornado.web.RequestHandler):
    """`/forbidden`: `HTTPError(403)` with a log message and a reason, rendered by this
    handler's own `write_error`."""

    def get(self):
        raise tornado.web.HTTPError(403, "no entry for %s", "you", reason="Keep Out")

    def write_error(self, status_code, **kwargs):
        error = kwargs["exc_info"][1]
        self.finish({"status": status_code, "reason": self._reason,
                     "exception": type(error).__name__})


class BadInit(tornado.web.RequestHandler):
    """`/bad-init`: `initialize` raises, so there is no handler to render the error: Tornado's
    page and the traceback in the log."""

    def initialize(self):
        raise ValueError("initialize fails on purpose")

    def write_error(self, status_code, **kwargs):
        self.finish("never: this handler was not made")


class WriteList(tornado.web.RequestHandler):
    """`/write-list`: Tornado refuses a list, for JSON hijacking's sake."""

    def get(self):
        self.write([1, 2])


app = tornado.web.Application(
    [(r"/loop", Loop), (r"/memory", MemoryBomb), (r"/recursion", Recursion),
     (r"/uncaught", Uncaught), (r"/forbidden", Forbidden), (r"/bad-init", BadInit),
     (r"/write-list", WriteList)],
    cookie_secret="not used: gale keeps the secret",
)
app.listen(8888)
tornado.ioloop.IOLoop.current().start()
