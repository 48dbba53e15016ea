"""Real Tornado 6.6.1, the reference the end-to-end tests compare gale against.

Started by tests/e2e/support/tornado.rs as `python3 app.py COOKIE_SECRET [STATIC_PATH]`;
prints the port it listens on (127.0.0.1, picked by the OS), then serves until killed.
"""

import sys

import tornado.ioloop
import tornado.netutil
import tornado.web
import tornado.websocket


class Sign(tornado.web.RequestHandler):
    """GET /sign?name=N&value=V: create_signed_value(N, V) with the app's secret."""

    def get(self):
        name, value = self.get_argument("name"), self.get_argument("value")
        self.write(self.create_signed_value(name, value))


class Read(tornado.web.RequestHandler):
    """GET /read?name=N: get_signed_cookie(N), or `none`."""

    def get(self):
        value = self.get_signed_cookie(self.get_argument("name"))
        self.write(value.decode() if value is not None else "none")


class FullCookie(tornado.web.RequestHandler):
    """GET /cookie/full: the same set_cookie calls as the probe plugin's /cookie/full."""

    def get(self):
        self.set_cookie("full", "v", domain="ex.com", expires_days=1, max_age=10,
                        httponly=True, secure=True, samesite="Lax", path="/p")
        self.set_cookie("quoted", "a,b;c")
        if self.get_argument("twice", "") == "1":
            self.set_cookie("full", "second")


class Cookies(tornado.web.RequestHandler):
    """GET /cookie/read: request.cookies as name=value lines, as the probe's."""

    def get(self):
        self.write("\n".join(f"{k}={self.get_cookie(k)}" for k in self.request.cookies))


class Form(tornado.web.RequestHandler):
    """GET /form: an xsrf token (and its cookie); POST /form: accepted with a valid one."""

    def get(self):
        self.write({"token": self.xsrf_token.decode()})

    def post(self):
        self.write("accepted")


class Args(tornado.web.RequestHandler):
    """POST /args: the body arguments and files, as the tutorial's /args and /upload."""

    def post(self):
        self.write({
            "body": {k: [v.decode() for v in vs] for k, vs in self.request.body_arguments.items()},
            "files": {k: [{"filename": f.filename, "content_type": f.content_type,
                           "size": len(f.body)} for f in fs]
                      for k, fs in self.request.files.items()},
        })


class Hello(tornado.web.RequestHandler):
    """GET /hello: the tutorial's `/`, for its Etag."""

    def get(self):
        self.write("hello world")


class StaticUrl(tornado.web.RequestHandler):
    """GET /static-url?path=P: static_url(P)."""

    def get(self):
        self.write(self.static_url(self.get_argument("path")))


class Me(tornado.web.RequestHandler):
    """GET /me: @authenticated with no user, as the accounts plugin's /me logged out."""

    def get_current_user(self):
        return None

    @tornado.web.authenticated
    def get(self):
        self.write("never")

    @tornado.web.authenticated
    def post(self):
        self.write("never")


class EchoSocket(tornado.websocket.WebSocketHandler):
    """/ws/echo: the probe's WebSocket echo (`N:text`, N the message's number; `close`
    closes with 4000 "asked"), for comparing handshakes, close codes and order."""

    def open(self, *args):
        self.count = 0
        self.write_message({"open": len(args), "name": self.get_argument("name", "")})

    def select_subprotocol(self, subprotocols):
        return "echo.v1" if "echo.v1" in subprotocols else None

    def on_message(self, message):
        self.count += 1
        if message == "close":
            self.close(4000, "asked")
        elif isinstance(message, bytes):
            self.write_message(bytes([self.count]) + message, binary=True)
        else:
            self.write_message(f"{self.count}:{message}")


def main():
    app = tornado.web.Application(
        [("/sign", Sign), ("/read", Read), ("/cookie/full", FullCookie),
         ("/cookie/read", Cookies), ("/form", Form), ("/args", Args), ("/hello", Hello),
         ("/static-url", StaticUrl), ("/me", Me), (r"/ws/echo(?:/(\w+))?", EchoSocket)],
        cookie_secret=sys.argv[1], xsrf_cookies=True, login_url="/login",
        static_path=sys.argv[2] if len(sys.argv) > 2 else None,
    )
    # /args is a POST without a token: exempt it, as its comparison is about bodies.
    Args.check_xsrf_cookie = lambda self: None
    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
    print(sockets[0].getsockname()[1], flush=True)
    server = tornado.httpserver.HTTPServer(app)
    server.add_sockets(sockets)
    tornado.ioloop.IOLoop.current().start()


if __name__ == "__main__":
    import tornado.httpserver
    main()
