"""``tornado.escape``: gale's ``gale.escape``."""

from gale.escape import *  # noqa: F401,F403
from gale.escape import __all__  # noqa: F401
