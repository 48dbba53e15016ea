"""Tornado's hello world on one process, for bench/perf.py: prints its port, then serves."""

import tornado.httpserver
import tornado.ioloop
import tornado.netutil
import tornado.web


class Hello(tornado.web.RequestHandler):
    def get(self):
        self.write("Hello, world")


sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
print(f"tornado: listening on http://127.0.0.1:{sockets[0].getsockname()[1]}", flush=True)
server = tornado.httpserver.HTTPServer(tornado.web.Application([("/", Hello)]))
server.add_sockets(sockets)
tornado.ioloop.IOLoop.current().start()
