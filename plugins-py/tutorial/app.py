"""The tutorial app in Python: the same routes and answers as plugins/tutorial, written as
the course writes Tornado (it imports `tornado`, which gale's SDK provides)."""

import datetime
import uuid

import tornado.ioloop
import tornado.web


class IndexHandler(tornado.web.RequestHandler):
    """`/`: the first lesson."""

    def get(self):
        self.write("hello world")


class TimeHandler(tornado.web.RequestHandler):
    """`/time/Y/M/D`: positional captures."""

    def get(self, year, month, day):
        self.write("%s-%s-%s" % (year, month, day))


class DateHandler(tornado.web.RequestHandler):
    """`/date/M/Y/D`: named captures, which arrive by name."""

    def get(self, year, month, day):
        self.write("%s-%s-%s" % (year, month, day))


class GreetHandler(tornado.web.RequestHandler):
    """`/greet`: an argument from the query or the body; missing is 400."""

    def get(self):
        self.write("hello " + self.get_argument("name"))

    post = get


class ArgsHandler(tornado.web.RequestHandler):
    """`/args`: every argument source, each name with all its values."""

    def get(self):
        def as_text(arguments):
            return {name: [v.decode() for v in values] for name, values in arguments.items()}

        self.write({
            "query": as_text(self.request.query_arguments),
            "body": as_text(self.request.body_arguments),
            "arguments": as_text(self.request.arguments),
        })

    post = get


class UploadHandler(tornado.web.RequestHandler):
    """`/upload`: what arrived in `request.files`, without the bytes."""

    def post(self):
        self.write({field: [{"filename": f.filename, "content_type": f.content_type,
                             "size": len(f.body)} for f in files]
                    for field, files in self.request.files.items()})


class CookieSetHandler(tornado.web.RequestHandler):
    """`/cookie/set`: a session-like cookie that expires in 30 minutes."""

    def get(self):
        value = uuid.uuid4().hex
        expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=30)
        self.set_cookie("sessionid", value, expires=expires)
        self.write(value)


class CookieGetHandler(tornado.web.RequestHandler):
    """`/cookie/get`: the cookie `/cookie/set` made, or `none`."""

    def get(self):
        self.write(self.get_cookie("sessionid", "none"))


class SignedSetHandler(tornado.web.RequestHandler):
    """`/cookie/signed/set?value=V`: a cookie signed by the host."""

    def get(self):
        value = self.get_argument("value")
        self.set_signed_cookie("signed", value)
        self.write(value)


class SignedGetHandler(tornado.web.RequestHandler):
    """`/cookie/signed/get`: the signed cookie's value, or `none` when absent or invalid."""

    def get(self):
        value = self.get_signed_cookie("signed")
        self.write(value.decode() if value is not None else "none")


class BigHandler(tornado.web.RequestHandler):
    """`/big?size=N`: N bytes of `x` in 64 KiB chunks, each flushed."""

    def get(self):
        try:
            size = int(self.get_argument("size", "1048576"))
        except ValueError:
            raise tornado.web.HTTPError(400, "size must be a whole number")
        chunk = b"x" * 65536
        while size > 0:
            self.write(chunk[:size])
            self.flush()
            size -= len(chunk)


class RequestInfoHandler(tornado.web.RequestHandler):
    """`/request`: facts about the request, as JSON."""

    def get(self):
        self.write({
            "method": self.request.method,
            "path": self.request.path,
            "query": self.request.query,
            "user_agent": self.request.headers.get("User-Agent"),
            "remote_ip": self.request.remote_ip,
        })


class CustomRedirectHandler(tornado.web.RequestHandler):
    """`/redirect/custom`: a redirect written by hand, with a custom reason phrase."""

    def get(self):
        self.set_status(302, "FOUND")
        self.add_header("Location", "/")


class RedirectToIndexHandler(tornado.web.RequestHandler):
    """`/redirect/temporary` and `/redirect/permanent`: `redirect`, per the route's kwargs."""

    def initialize(self, permanent=False):
        self.permanent = permanent

    def get(self):
        self.redirect("/", permanent=self.permanent)


class LifecycleHandler(tornado.web.RequestHandler):
    """`/lifecycle`: every stage leaves a mark."""

    def initialize(self, greeting):
        self.greeting = greeting

    def prepare(self):
        self.set_header("X-Prepared", 1)

    def get(self):
        self.write(self.greeting)

    def on_finish(self):
        tornado.web.gen_log.info("on_finish: %s %s finished", self.request.method,
                                 self.request.path)


class TutorialBase(tornado.web.RequestHandler):
    """The tutorial's base handler: an `X-App` header on every response, errors as JSON."""

    def set_default_headers(self):
        self.set_header("X-App", "tutorial")

    def write_error(self, status_code, **kwargs):
        self.finish({"status": status_code, "reason": self._reason})


class BoomHandler(TutorialBase):
    """`/boom`: an error, rendered by the base handler's `write_error`."""

    def get(self):
        raise tornado.web.HTTPError(500, "boom, as the lesson on errors asks")


class ReverseHandler(tornado.web.RequestHandler):
    """`/reverse`: a URL built from a route name."""

    def get(self):
        self.write(self.reverse_url("time", "2026", "11", "27"))


def make_app():
    return tornado.web.Application([
        (r"/", IndexHandler),
        tornado.web.url(r"/time/(\d+)/(\d+)/(\d+)", TimeHandler, name="time"),
        tornado.web.url(r"/date/(?P<month>\d+)/(?P<year>\d+)/(?P<day>\d+)", DateHandler,
                        name="date"),
        (r"/greet", GreetHandler),
        (r"/args", ArgsHandler),
        (r"/upload", UploadHandler),
        (r"/request", RequestInfoHandler),
        (r"/redirect/custom", CustomRedirectHandler),
        (r"/redirect/temporary", RedirectToIndexHandler),
        (r"/redirect/permanent", RedirectToIndexHandler, {"permanent": True}),
        (r"/hello", tornado.web.RedirectHandler, {"url": "/"}),
        (r"/lifecycle", LifecycleHandler, {"greeting": "hi"}),
        (r"/boom", BoomHandler),
        (r"/reverse", ReverseHandler),
        (r"/cookie/set", CookieSetHandler),
        (r"/cookie/get", CookieGetHandler),
        (r"/cookie/signed/set", SignedSetHandler),
        (r"/cookie/signed/get", SignedGetHandler),
        (r"/big", BigHandler),
    ])


if __name__ == "__main__":
    make_app().listen(8000)
    tornado.ioloop.IOLoop.current().start()
