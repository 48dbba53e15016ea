"""bench/views.py's page: a template extending a base, a 100-row table of escaped user text,
rendered by real Tornado and by gale from this same file."""

import os

import tornado.web

ROWS = [{"id": i, "name": "<b>O'Brien & co #%d</b>" % i, "note": "café \"quoted\" %d" % i}
        for i in range(100)]


class TableHandler(tornado.web.RequestHandler):
    """`/table`: the page."""

    def get(self):
        self.render("table.html", title="A table & its <rows>", rows=ROWS)


application = tornado.web.Application(
    [(r"/table", TableHandler)],
    template_path=os.path.join(os.path.dirname(__file__), "templates"))
