"""Tornado's ``tornado.websocket.WebSocketHandler`` on a connection gale holds.

The host keeps the socket; each event (the upgrade, a message, a pong, the close) runs in a
fresh handler object, so what a connection keeps between events goes in ``self.state``
(bytes, at most 16 KiB) or ``self.json_state``, not in attributes. Topics carry
messages to many sockets without waking any handler: ``self.subscribe(topic)`` here,
``self.publish(topic, id, data)`` in any handler.
"""

import json
import urllib.parse

from gale import escape
from gale._host import Err, call, debug, exception_for
from gale._host import websocket as host
from gale.web import RequestHandler

__all__ = ["WebSocketClosedError", "WebSocketHandler"]


class WebSocketClosedError(Exception):
    """Writing to a connection that has closed."""


class WebSocketHandler(RequestHandler):
    """Subclass it and define ``open``, ``on_message`` and ``on_close``, as in Tornado."""

    def get(self, *args, **kwargs):
        """Tornado's handshake checks in its order, then the upgrade and ``open``."""
        headers = self.request.headers
        if headers.get("Upgrade", "").lower() != "websocket":
            return self._refuse(400, 'Can "Upgrade" only to "WebSocket".')
        if "upgrade" not in [t.strip().lower() for t in headers.get("Connection", "").split(",")]:
            return self._refuse(400, '"Connection" must be "Upgrade".')
        why = self._cross_origin()
        if why is not None:
            debug("Cross origin websockets not allowed: " + why)
            return self._refuse(403, "Cross origin websockets not allowed")
        if headers.get("Sec-WebSocket-Version") != "13":
            self.set_status(426, "Upgrade Required")
            self.set_header("Sec-WebSocket-Version", "13")
            return self.finish()
        offered = [p.strip() for p in headers.get("Sec-WebSocket-Protocol", "").split(",")
                   if p.strip()]
        chosen = self.select_subprotocol(offered) if offered else None
        try:
            host.accept(chosen)
        except Err as refused:
            if isinstance(refused.value, host.SocketError_NotUpgradable):
                return self._refuse(400, "Missing/Invalid WebSocket headers")
            if isinstance(refused.value, host.SocketError_NoRoom):
                return self._refuse(503, "")  # the host answers its own 503
            raise exception_for(refused.value) from None
        return self.open(*args, **kwargs)

    def _refuse(self, status, message):
        self.set_status(status)
        self.finish(message)

    def _cross_origin(self):
        """Tornado's ``_check_cross_origin``: ``None`` when the request may connect."""
        origin = self.request.headers.get("Origin")
        site = self.request.headers.get("Sec-Fetch-Site")
        if site in ("same-origin", "none"):
            return None
        if site is None:
            if origin is None:
                return None
            netloc = urllib.parse.urlparse(origin).netloc.lower()
            host_header = self.request.headers.get("Host", "").lower()
            if netloc == host_header or self.check_origin(origin):
                return None
            return "Origin %r not allowed" % origin
        if origin is not None and self.check_origin(origin):
            return None
        return "Sec-Fetch-Site %s & origin %r not allowed" % (site, origin)

    # What a subclass defines.
    def open(self, *args, **kwargs):
        """The connection is open (the 101 goes out when this returns)."""

    def on_message(self, message):
        """A message from the client: str for text, bytes for binary."""
        raise NotImplementedError

    def on_pong(self, data):
        """A pong, with its data."""

    def on_ping(self, data):
        """Not called: the host answers pings."""

    def on_close(self):
        """The connection has closed: ``close_code`` and ``close_reason`` say how."""

    def check_origin(self, origin):
        """Whether a cross-origin ``Origin`` may connect: those in ``trusted_origins``."""
        return origin in self.settings.get("trusted_origins", ())

    def select_subprotocol(self, subprotocols):
        """One of the client's subprotocols, or ``None``."""
        return None

    # What a handler calls.
    def write_message(self, message, binary=False):
        """Sends text (str, or a dict as JSON) or, with ``binary`` or bytes, binary."""
        if isinstance(message, dict):
            message = escape.json_encode(message)
        if binary or isinstance(message, bytes):
            frame = host.Message_Binary(escape.utf8(message))
        else:
            frame = host.Message_Text(message)
        call(host.write_message, frame)

    def close(self, code=None, reason=None):
        """Closes the connection, as Tornado's ``close(code, reason)``."""
        host.close(code, reason)

    def ping(self, data=b""):
        """Sends a ping; the pong comes to ``on_pong``."""
        call(host.ping, escape.utf8(data))

    @property
    def close_code(self):
        """The code of the client's close frame, in ``on_close``."""
        return host.close_code()

    @property
    def close_reason(self):
        """The reason of the client's close frame, in ``on_close``."""
        return host.close_reason()

    @property
    def state(self):
        """What the connection's events keep (bytes; empty at first)."""
        return host.state()

    @state.setter
    def state(self, value):
        call(host.set_state, escape.utf8(value))

    @property
    def json_state(self):
        """The state as JSON (``None`` when empty or not JSON)."""
        try:
            return json.loads(self.state)
        except ValueError:
            return None

    @json_state.setter
    def json_state(self, value):
        self.state = json.dumps(value)

    def subscribe(self, topic):
        """Sends each message published to ``topic`` to this client, with no event here."""
        call(host.subscribe, topic)

    def unsubscribe(self, topic):
        """Ends the subscription to ``topic``."""
        host.unsubscribe(topic)

    def _event(self, event):
        """Runs one later event of the connection on this fresh handler."""
        from wit_world.exports import app as wit
        if isinstance(event, wit.SocketEvent_Message):
            message = event.value
            text = isinstance(message, host.Message_Text)
            return self.on_message(message.value if text else bytes(message.value))
        if isinstance(event, wit.SocketEvent_Pong):
            return self.on_pong(bytes(event.value))
        return self.on_close()
