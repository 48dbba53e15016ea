"""``tornado.log``: gale's ``gale.log``."""

from gale.log import *  # noqa: F401,F403
from gale.log import __all__  # noqa: F401
