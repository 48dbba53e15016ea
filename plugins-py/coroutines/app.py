"""Coroutines that wait on the world, one route per case of Tornado's `httpclient`, `gen`,
`asyncio` and `IOLoop`; the tests run this file on real Tornado and on gale against the same
upstream (`tests/tornado/upstream.py`, whose address each request names in `u`) and compare
the answers. Test-only.
"""

import asyncio
import datetime
import json

import tornado.web
from tornado import gen
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.ioloop import IOLoop


class Base(tornado.web.RequestHandler):
    @property
    def upstream(self):
        return self.get_argument("u")

    def fetch(self, path, **kwargs):
        return AsyncHTTPClient().fetch(self.upstream + path, **kwargs)


class Fetch(Base):
    async def get(self):
        response = await self.fetch("/echo/one?x=1", headers={"X-Test": "yes"})
        echoed = json.loads(response.body)
        self.write({"code": response.code, "reason": response.reason,
                    "type": response.headers["Content-Type"], "echoed": echoed,
                    "effective": response.effective_url.replace(self.upstream, "")})


class Multi(Base):
    async def get(self):
        pages = await gen.multi([self.fetch("/page/%d" % n) for n in (1, 2, 3)])
        named = await gen.multi({"a": self.fetch("/page/4"), "b": self.fetch("/page/5")})
        gathered = await asyncio.gather(self.fetch("/page/6"), self.fetch("/page/7"))
        self.write({"list": [page.body.decode() for page in pages],
                    "dict": {key: page.body.decode() for key, page in named.items()},
                    "gather": [page.body.decode() for page in gathered]})


class Post(Base):
    async def get(self):
        form = await self.fetch("/echo", method="POST", body="a=1&b=2")
        typed = await AsyncHTTPClient().fetch(HTTPRequest(self.upstream + "/echo", method="PUT",
                                             body=json.dumps({"k": 1}),
                                             headers={"Content-Type": "application/json"},
                                             auth_username="ann", auth_password="pw"))
        try:
            await self.fetch("/echo", method="POST")
        except ValueError as error:
            missing = str(error)
        self.write({"form": json.loads(form.body), "typed": json.loads(typed.body),
                    "missing": missing})


class Status(Base):
    async def get(self):
        try:
            await self.fetch("/status/404")
        except HTTPClientError as error:
            raised = {"code": error.code, "message": error.message, "str": str(error),
                      "body": error.response.body.decode()}
        kept = await self.fetch("/status/503", raise_error=False)
        self.write({"raised": raised, "kept": {"code": kept.code, "error": str(kept.error),
                                               "body": kept.body.decode()}})


class Timeout(Base):
    async def get(self):
        try:
            await self.fetch("/slow?ms=3000", request_timeout=0.3)
        except HTTPClientError as error:
            self.write({"code": error.code, "str": str(error)})


class Refused(Base):
    async def get(self):
        try:
            await AsyncHTTPClient().fetch("http://127.0.0.1:%s/" % self.get_argument("port"))
        except ConnectionRefusedError as error:
            self.write({"type": type(error).__name__, "errno": error.errno})


class Redirects(Base):
    async def get(self):
        followed = await self.fetch("/redirect?to=/page/8")
        try:
            await self.fetch("/redirect?to=/page/9", follow_redirects=False)
        except HTTPClientError as error:
            kept = {"code": error.code, "location": error.response.headers["Location"]}
        turned = await self.fetch("/redirect?to=/echo&code=303", method="POST", body="x=1")
        self.write({"followed": [followed.code, followed.body.decode(),
                                 followed.effective_url.replace(self.upstream, "")],
                    "kept": kept, "turned": json.loads(turned.body)["method"]})


class Gzipped(Base):
    async def get(self):
        unzipped = await self.fetch("/gzip")
        self.write({"length": len(unzipped.body), "start": unzipped.body[:9].decode(),
                    "encoding": unzipped.headers.get("Content-Encoding")})


class Sleeps(Base):
    async def get(self):
        started = IOLoop.current().time()
        await gen.sleep(0.05)
        await asyncio.sleep(0.05)
        try:
            await asyncio.wait_for(asyncio.sleep(5), 0.05)
        except asyncio.TimeoutError:
            waited = "wait_for timed out"
        try:
            await gen.with_timeout(datetime.timedelta(seconds=0.05), gen.sleep(5))
        except gen.TimeoutError:
            timed = "with_timeout timed out"
        later = asyncio.get_running_loop().create_future()
        IOLoop.current().call_later(0.05, later.set_result, "call_later ran")
        timeout = asyncio.get_running_loop().create_future()
        IOLoop.current().add_timeout(datetime.timedelta(seconds=0.05), timeout.set_result,
                                     "add_timeout ran")
        called = await later, await timeout
        elapsed = IOLoop.current().time() - started
        self.write({"waited": waited, "timed": timed, "called": list(called),
                    "at_least": elapsed >= 0.25})


class Legacy(Base):
    @gen.coroutine
    def get(self):
        first = yield self.fetch("/page/10")
        both = yield [self.fetch("/page/11"), self.fetch("/page/12")]
        self.write({"pages": [first.body.decode()] + [page.body.decode() for page in both]})


class Streams(Base):
    async def get(self):
        self.write("first part\n")
        await self.flush()
        slow = await self.fetch("/slow?ms=300")
        self.write(slow.body + b"\n")


gate = {"event": None}


class WaitForSignal(Base):
    """Waits on an event another request sets, as Tornado's chat demo waits on a condition."""

    async def get(self):
        gate["event"] = asyncio.Event()
        await gate["event"].wait()
        self.write("signalled")


class Signal(Base):
    def get(self):
        event = gate["event"]
        self.write("set" if event is not None else "nobody waits")
        if event is not None:
            event.set()


closed = {"count": 0}


class Abandoned(Base):
    """Waits on a slow upstream request; a client that leaves first is counted."""

    async def get(self):
        await self.fetch("/hold?ms=60000")
        self.write("never")

    def on_connection_close(self):
        closed["count"] += 1


class Closed(Base):
    def get(self):
        self.write(closed)


served = {"count": 0}


class Served(Base):
    """Counts the requests it served in this interpreter (module state lasts as long as it)."""

    def get(self):
        served["count"] += 1
        self.write(served)


def make_app():
    return tornado.web.Application([
        (r"/fetch", Fetch),
        (r"/multi", Multi),
        (r"/post", Post),
        (r"/status", Status),
        (r"/timeout", Timeout),
        (r"/refused", Refused),
        (r"/redirects", Redirects),
        (r"/gzip", Gzipped),
        (r"/sleeps", Sleeps),
        (r"/legacy", Legacy),
        (r"/streams", Streams),
        (r"/wait-for-signal", WaitForSignal),
        (r"/signal", Signal),
        (r"/abandoned", Abandoned),
        (r"/closed", Closed),
        (r"/served", Served),
    ])


application = make_app()
