"""``tornado.gen``: gale's ``gale.gen``."""

from gale.gen import *  # noqa: F401,F403
from gale.gen import __all__  # noqa: F401
