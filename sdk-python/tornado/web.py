"""``tornado.web``: gale's ``gale.web``."""

# Importing Tornado's tornado.web makes these attributes of the package (`tornado.escape`
# after `import tornado.web` alone): code relies on it.
from tornado import escape, gen, httputil, log, template, util  # noqa: F401
from gale.web import *  # noqa: F401,F403
from gale.web import __all__  # noqa: F401
