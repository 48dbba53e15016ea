"""``tornado.simple_httpclient``: the errors of gale's client, which is Tornado's simple
client in its names, defaults and errors."""

from gale.httpclient import HTTPStreamClosedError, HTTPTimeoutError

__all__ = ["HTTPStreamClosedError", "HTTPTimeoutError"]
