"""Real Tornado serving a Python plugin's own source, unchanged: imports the app module at
PATH, takes its Application (`make_app()`, or a module attribute), prints where it listens,
then serves on one process. The e2e tests compare gale's answers with its; bench/perf.py
compares speed.

Usage: python3 tests/tornado/run_app.py plugins-py/tutorial/app.py
"""

import importlib.util
import sys

import tornado.httpserver
import tornado.ioloop
import tornado.netutil
import tornado.web

spec = importlib.util.spec_from_file_location("app", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
app = module.make_app() if hasattr(module, "make_app") else next(
    value for value in vars(module).values() if isinstance(value, tornado.web.Application))
sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
print(f"tornado: listening on http://127.0.0.1:{sockets[0].getsockname()[1]}", flush=True)
server = tornado.httpserver.HTTPServer(app)
server.add_sockets(sockets)
tornado.ioloop.IOLoop.current().start()
