"""Waiting on other services: ``GET /gateway`` fetches three of the tutorial's pages from this
same server, all at once, each within two seconds, and answers what each page said, as JSON.
A page that fails shows its error instead: one slow service does not fail the rest.

The operator allows the fetches: ``gale serve --allow-outbound gateway=self`` (``gale dev``
allows ``self`` for the plugins it builds). Real Tornado runs this file unchanged.
"""

import tornado.ioloop
import tornado.web
from tornado import gen
from tornado.httpclient import AsyncHTTPClient

PAGES = ["/", "/time/2026/12/4", "/greet?name=gateway"]


class Gateway(tornado.web.RequestHandler):
    async def get(self):
        here = "%s://%s" % (self.request.protocol, self.request.host)
        client = AsyncHTTPClient()
        answers = await gen.multi([self.page(client, here + page) for page in PAGES])
        self.write(dict(zip(PAGES, answers)))

    async def page(self, client, url):
        try:
            answer = await client.fetch(url, request_timeout=2)
            return {"code": answer.code, "body": answer.body.decode()}
        except Exception as error:
            return {"code": getattr(error, "code", 599), "error": str(error)}


def make_app():
    return tornado.web.Application([(r"/gateway", Gateway)])


application = make_app()

if __name__ == "__main__":
    application.listen(8000)
    tornado.ioloop.IOLoop.current().start()
