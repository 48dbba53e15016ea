"""Tornado 6.6.1 serving what bench/websocket.py asks of gale's probe plugin, written as
Tornado's chat demos are: /ws/echo (a greeting, `N:text` echoes, `sub:T` subscribes),
/topic/publish (a loop over the subscribers and the parked polls, as the demo's
`MessageBuffer.add_message`) and /topic/poll (a long poll on a future, as
`MessageUpdatesHandler`). Prints `listening on http://127.0.0.1:PORT`, then serves.
"""

import asyncio

import tornado.ioloop
import tornado.netutil
import tornado.web
import tornado.websocket

SUBSCRIBERS = {}
WAITERS = {}


class EchoSocket(tornado.websocket.WebSocketHandler):
    def open(self):
        self.count = 0
        self.topics = set()
        self.write_message({"open": 0, "name": ""})

    def on_message(self, message):
        self.count += 1
        if message.startswith("sub:"):
            topic = message[4:]
            self.topics.add(topic)
            SUBSCRIBERS.setdefault(topic, set()).add(self)
        else:
            self.write_message(f"{self.count}:{message}")

    def on_close(self):
        for topic in self.topics:
            SUBSCRIBERS.get(topic, set()).discard(self)


class Publish(tornado.web.RequestHandler):
    def get(self):
        topic, ident, data = (self.get_argument(n) for n in ("topic", "id", "data"))
        for socket in list(SUBSCRIBERS.get(topic, ())):
            socket.write_message(data)
        for future in WAITERS.pop(topic, []):
            if not future.done():
                future.set_result(f"{ident}={data}\n")


class Poll(tornado.web.RequestHandler):
    async def get(self):
        future = asyncio.get_running_loop().create_future()
        WAITERS.setdefault(self.get_argument("topic"), []).append(future)
        self.write(await future)


def main():
    app = tornado.web.Application(
        [("/ws/echo", EchoSocket), ("/topic/publish", Publish), ("/topic/poll", Poll)])
    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
    print(f"listening on http://127.0.0.1:{sockets[0].getsockname()[1]}", flush=True)
    server = tornado.httpserver.HTTPServer(app)
    server.add_sockets(sockets)
    tornado.ioloop.IOLoop.current().start()


if __name__ == "__main__":
    import tornado.httpserver
    main()
