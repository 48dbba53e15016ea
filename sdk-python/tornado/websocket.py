"""``tornado.websocket``: gale's ``gale.websocket``."""

from gale.websocket import *  # noqa: F401,F403
from gale.websocket import __all__  # noqa: F401
