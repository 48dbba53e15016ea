"""Tornado's two chat demos in Python, one message log, as plugins/chat:
`demos/websocket/chatdemo.py` (WebSockets) and `demos/chat/chatdemo.py` (long polling), plus
server-sent events. Every message goes through the host's `chat` topic, which keeps the last
200 as history, so every transport sees the same messages in the same order."""

import json
import os
import uuid

import tornado.escape
import tornado.web
import tornado.websocket
from tornado.log import gen_log

TOPIC = "chat"
MAX_MESSAGE = 65536
TRANSPORTS = ("ws", "poll", "sse")


def new_message(handler, body):
    """Publishes `{"id": uuid4-hex, "body": body}` to the topic and returns it."""
    message = {"id": uuid.uuid4().hex, "body": body}
    handler.publish(TOPIC, message["id"], tornado.escape.json_encode(message))
    return message


class Page(tornado.web.RequestHandler):
    """`/chat`: the page (`templates/chat.html`), the history so far escaped, then a script
    that follows the topic over `?transport=ws|poll|sse`."""

    def get(self):
        transport = self.get_argument("transport", "ws")
        if transport not in TRANSPORTS:
            raise tornado.web.HTTPError(
                400, "transport must be ws, poll or sse, not %r", transport)
        history = [json.loads(message.data) for message in self.topic_history(TOPIC)]
        self.render("chat.html", transport=transport, history=history)


class ChatSocket(tornado.websocket.WebSocketHandler):
    """`/chat/socket`: the history on open, then every message as it is published; a text
    frame `{"body": TEXT}` publishes a message."""

    def open(self):
        for message in self.topic_history(TOPIC):
            self.write_message(message.data)
        self.subscribe(TOPIC)

    def on_message(self, message):
        if isinstance(message, str) and len(message) > MAX_MESSAGE:
            return self.close(1009)
        try:
            body = json.loads(message)["body"] if isinstance(message, str) else None
        except (ValueError, KeyError, TypeError):
            body = None
        if not isinstance(body, str):
            return self.close(1003, 'expected {"body": text}')
        # The sender gets it too, through its subscription, as everyone does.
        try:
            new_message(self, body)
        except ValueError as refused:
            # Past the topic's limit once in its envelope (a body of control characters
            # escapes to six times its length): too big, as a message past our own limit.
            gen_log.warning("a message was not published: %s", refused)
            self.close(1009, "message too big to publish")


class MessageNew(tornado.web.RequestHandler):
    """`/chat/a/message/new`: publishes the POSTed `body`, answers it as JSON."""

    def post(self):
        self.write(new_message(self, self.get_argument("body")))


class MessageUpdates(tornado.web.RequestHandler):
    """`/chat/a/message/updates`: the messages after `cursor`, waiting at most 30 s."""

    def post(self):
        self.wait_for_messages(TOPIC, self.get_argument("cursor", "") or None, timeout=30)

    def on_messages(self, messages):
        self.write({"messages": [json.loads(message.data) for message in messages]})


class Events(tornado.web.RequestHandler):
    """`/chat/events`: the topic as server-sent events, after `Last-Event-ID` when sent."""

    def get(self):
        self.stream_events(TOPIC)


application = tornado.web.Application([
    (r"/chat", Page),
    (r"/chat/socket", ChatSocket),
    (r"/chat/a/message/new", MessageNew),
    (r"/chat/a/message/updates", MessageUpdates),
    (r"/chat/events", Events),
], template_path=os.path.join(os.path.dirname(__file__), "templates"))
