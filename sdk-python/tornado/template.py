"""``tornado.template``: gale's ``gale.template``, which is Tornado's own."""

from gale.template import *  # noqa: F401,F403
from gale.template import (BaseLoader, DictLoader, Loader, ParseError,  # noqa: F401
                           Template, filter_whitespace)
