"""``tornado.httputil``: gale's ``gale.httputil``."""

from gale.httputil import *  # noqa: F401,F403
from gale.httputil import __all__  # noqa: F401
