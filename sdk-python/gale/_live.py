"""Under ``gale dev``, the plugin's module as it is now: when its file changes, the next
request runs it again and is served by the handlers it defines, as Tornado's ``autoreload``
serves an edit (it restarts the process). The build ``gale dev`` starts at the same time
then makes the edit the plugin's version.

Only while the routes stay the same: the host routes by the table the plugin gave at load,
so an edit that changes the routes is served once that build is swapped in. Only the
plugin's module is run again (not the modules it imports), as a new module beside the one
being served, so its module-level state starts anew.
"""

import sys
import types

from gale import _embedded, routing
from gale._host import info, warning
from gale.log import app_log


class _Module:
    module = None  # the plugin's module
    source = None  # its file as the application being served was built from it
    said = None  # the source whose run failed or changed the routes, said once


def watch(module):
    """Records the plugin's module and its source, as the snapshot is made from them."""
    _Module.module = module
    _Module.source = _read(module.__file__)


def edited(application, routes):
    """The application to serve: ``application``, or the one the module's edited file builds
    now, when ``routes(new) == routes(application)``."""
    module = _Module.module
    if module is None or not _embedded.live():
        return application
    source = _read(module.__file__)
    if source is None or source in (_Module.source, _Module.said):
        return application
    built = len(routing.built)
    # A module of its own: the one being served keeps its globals, whatever the edit does.
    fresh = types.ModuleType(module.__name__)
    fresh.__dict__.update(__file__=module.__file__, __spec__=module.__spec__,
                          __loader__=module.__loader__, __package__=module.__package__)
    try:
        exec(compile(source, module.__file__, "exec"), fresh.__dict__)  # noqa: S102
        found = routing.built[-1] if len(routing.built) > built else None
        if found is None and callable(getattr(fresh, "make_app", None)):
            found = fresh.make_app()
        if not isinstance(found, routing.Application):
            raise RuntimeError("it builds no tornado.web.Application")
    except Exception:  # noqa: BLE001 (any error of the plugin's code: the old one serves)
        _Module.said = source
        app_log.exception("%s, as edited, does not run; the previous version serves until it "
                          "does", module.__file__)
        return application
    if routes(found) != routes(application):
        _Module.said = source
        warning("%s, as edited, changes the routes: the edit is served once its build is "
                "swapped in" % module.__file__)
        return application
    _Module.source = source
    sys.modules[module.__name__] = _Module.module = fresh
    info("%s changed: served as edited (its build follows)" % module.__file__)
    return found


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None
