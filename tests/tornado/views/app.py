"""The templates corpus: every directive of Tornado's template language, three levels of
`extends`, an `include` inside a block, both whitespace modes, every character
`xhtml_escape` touches, `linkify` over `&` and `<`, and `static_url` over `static_path`.
tests/e2e/views.rs renders each page on real Tornado 6.6.1 and on gale from these same files
and compares the bytes."""

import os

import tornado.template
import tornado.web

# Text that tries every escape: HTML's five characters, a URL with & and <, unicode.
HOSTILE = """<script>alert("x" & 'y')</script> → café ☕ http://example.com/?a=1&b=<2>"""
ROWS = [{"id": i, "name": "row <%d> & 'more'" % i, "price": i * 1.5} for i in range(1, 6)]


class Card(tornado.web.UIModule):
    """A UI module adding JavaScript, CSS and head and body parts to the page."""

    def render(self, title):
        return "<div class=card>%s</div>" % tornado.escape.xhtml_escape(title)

    def embedded_javascript(self):
        return "var card = 1;"

    def javascript_files(self):
        return ["/js/card.js", "https://cdn.example.com/lib.js", "/js/card.js"]

    def embedded_css(self):
        return ".card { color: red }"

    def css_files(self):
        return "/css/card.css"

    def html_head(self):
        return "<meta name=card>"

    def html_body(self):
        return "<!-- card -->"


def shout(handler, text):
    """A ui_method: the handler comes first."""
    return text.upper() + "!"


class PageHandler(tornado.web.RequestHandler):
    """`/page/NAME`: renders templates/NAME with the corpus's values."""

    def get(self, name):
        self.render(name, title="Corpus & <Co>", hostile=HOSTILE, rows=ROWS, count=3,
                    items=["a", "b", "c", "d"], nothing=None, number=7, data={"k": "</script>"})


class StringHandler(tornado.web.RequestHandler):
    """`/string`: render_string's bytes written as they are, twice."""

    def get(self):
        once = self.render_string("partials/footer.html", year=2026)
        self.set_header("Content-Type", "text/plain")
        self.write(once + b"|" + once)


class DirectHandler(tornado.web.RequestHandler):
    """`/direct`: Template and DictLoader used directly, as a script uses them."""

    def get(self):
        page = tornado.template.Template("<p>{{ x }}</p>\n   <i>{{ y }}</i>\n",
                                         whitespace="oneline")
        loader = tornado.template.DictLoader({
            "base.html": "<b>{% block x %}base{% end %}</b>",
            "child.html": "{% extends 'base.html' %}{% block x %}{{ v }}{% end %}",
        })
        self.write(page.generate(x="<1>", y="2 & 3"))
        self.write(loader.load("child.html").generate(v="<child>"))


class DefaultPathHandler(tornado.web.RequestHandler):
    """`/default`: without a template path, templates are beside the handler's file."""

    def get_template_path(self):
        return None

    def get(self):
        self.render("templates/plain.txt", title="beside", hostile=HOSTILE, count=2)


class BesideHandler(DefaultPathHandler):
    """`/beside` (gale only): without a template path, gale also looks in `templates/`
    beside the handler's file (Tornado: a 500)."""

    def get(self):
        self.render("plain.txt", title="beside", hostile=HOSTILE, count=2)


class MissingHandler(tornado.web.RequestHandler):
    """`/missing`: a template that is not there."""

    def get(self):
        self.render("nowhere.html")


class CompiledHandler(tornado.web.RequestHandler):
    """`/compiled` (gale only): the templates already compiled when this request starts. On
    gale, every one that compiles, from the snapshot made at build, even in a fresh
    instance."""

    def get(self):
        from gale import _views
        self.write({"compiled": sorted(name for loader in _views._loaders.values()
                                       for name in loader.templates)})


def make_app():
    return tornado.web.Application(
        [
            (r"/page/(.+)", PageHandler),
            (r"/string", StringHandler),
            (r"/direct", DirectHandler),
            (r"/default", DefaultPathHandler),
            (r"/missing", MissingHandler),
            (r"/compiled", CompiledHandler),
            (r"/beside", BesideHandler),
            tornado.web.url(r"/item/(\d+)", PageHandler, name="item"),
        ],
        template_path=os.path.join(os.path.dirname(__file__), "templates"),
        static_path=os.path.join(os.path.dirname(__file__), "static"),
        ui_modules={"Card": Card},
        ui_methods={"shout": shout},
    )
