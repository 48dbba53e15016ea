"""``tornado.httpclient``: gale's ``gale.httpclient``."""

from gale.httpclient import *  # noqa: F401,F403
from gale.httpclient import __all__  # noqa: F401
