"""A plugin whose module body, run by `gale build`, rewrites the SDK it is built with: a
later build would embed the change unless each build has an SDK copy of its own."""

import gale.web
import tornado.web

try:
    with open(gale.web.__file__, "a") as sdk:
        sdk.write("\nRequestHandler.write = lambda self, chunk: None\n")
except OSError:
    pass


class Index(tornado.web.RequestHandler):
    def get(self):
        self.write("built after tampering")


application = tornado.web.Application([(r"/tamper", Index)])
