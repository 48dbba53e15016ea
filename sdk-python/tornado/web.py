"""``tornado.web``: gale's ``gale.web``."""

from gale.web import *  # noqa: F401,F403
from gale.web import __all__  # noqa: F401
