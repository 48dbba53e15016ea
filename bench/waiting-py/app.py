"""Handlers that wait on the upstream named in `u`, for bench/outbound.py: `/one` awaits one
fetch, `/fanout?n=N` awaits N at once. gale serves it; real Tornado runs the same file."""

import tornado.web
from tornado import gen
from tornado.httpclient import AsyncHTTPClient

# Tornado's simple client queues past 10 fetches at once by default; the benchmark's 1,000
# clients each wait on one (gale accepts this and ignores it: it has no such queue).
AsyncHTTPClient.configure(None, max_clients=1000)


class One(tornado.web.RequestHandler):
    async def get(self):
        url = "%s/?ms=%s" % (self.get_argument("u"), self.get_argument("ms", "100"))
        answer = await AsyncHTTPClient().fetch(url)
        self.write(answer.body)


class Fanout(tornado.web.RequestHandler):
    async def get(self):
        url = "%s/?ms=%s" % (self.get_argument("u"), self.get_argument("ms", "200"))
        client = AsyncHTTPClient()
        answers = await gen.multi([client.fetch(url) for _ in range(int(self.get_argument("n", "10")))])
        for answer in answers:
            self.write(answer.body)


application = tornado.web.Application([(r"/one", One), (r"/fanout", Fanout)])
