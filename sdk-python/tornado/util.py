"""``tornado.util``: gale's ``gale.util``."""

from gale.util import *  # noqa: F401,F403
from gale.util import __all__  # noqa: F401
