"""The glue between gale's exported ``app`` interface and the plugin's ``Application``.

``gale build`` compiles an entry module that calls ``load(MODULE)`` and exposes ``App``:
componentize-py runs it at build time, so the plugin module is imported once, then its
state is the snapshot every instance starts from.
"""

import importlib
import json
import sys

from componentize_py_types import Err
from wit_world import exports
from wit_world.exports import app as wit

from gale import routing, web
from gale._host import info, response
from gale._host import request as host_request
from gale.httputil import HTTPServerRequest


class _State:
    application = None  # the plugin's Application
    handler = None  # the handler of the request this instance serves
    exc_info = None  # the exception of its failed stage, for write_error


def load(module_name):
    """Imports the plugin module and finds its Application: the last one it built on import
    (every Application registers itself), else what ``make_app()`` returns."""
    module = importlib.import_module(module_name)
    found = routing.built[-1] if routing.built else None
    if found is None and callable(getattr(module, "make_app", None)):
        found = module.make_app()
    if not isinstance(found, routing.Application):
        raise SystemExit("%s builds no tornado.web.Application: build one when the module "
                         "is imported, or define make_app() returning it" % module_name)
    _State.application = found


def _target(spec, index):
    builtin = {web.RedirectHandler: wit.Builtin.REDIRECT,
               web.StaticFileHandler: wit.Builtin.STATIC_FILES}.get(spec.handler_class)
    if builtin is not None:
        return wit.Target_Builtin(builtin), json.dumps(spec.kwargs)
    return wit.Target_Handler(index), json.dumps(spec.kwargs, default=repr)


class App(exports.App):
    """The component's export: the route table, and one lifecycle stage at a time."""

    def routes(self):
        # The host asks once per load: the place to say what gale does differently.
        for note in routing.notes:
            info(note)
        table = []
        for index, spec in enumerate(_State.application.handlers):
            target, init_args = _target(spec, index)
            table.append(wit.Route(spec.pattern, target, init_args, spec.name))
        return table

    def dispatch(self, stage):
        try:
            _run(stage)
        except web.Finish:
            if not response.finished():
                response.finish()
        except Exception as exception:
            raise Err(_failed(exception)) from None


def _failed(exception):
    """Logs a stage's exception as Tornado does and gives the error the host answers."""
    _State.exc_info = sys.exc_info()
    (_State.handler or _bare_handler()).log_exception(*_State.exc_info)
    if isinstance(exception, web.HTTPError):
        message = exception.log_message % exception.args if exception.log_message else ""
        return wit.HttpError(exception.status_code, exception.reason, message)
    return wit.HttpError(500, None, "%s: %s" % (type(exception).__name__, exception))


def _new_handler(index):
    spec = _State.application.handlers[index]
    # Cleared first: a handler whose initialize raises is not the one the error renders.
    _State.handler, _State.exc_info = None, None
    _State.handler = spec.handler_class(_State.application, HTTPServerRequest(), **spec.kwargs)
    return _State.handler


def _bare_handler():
    """A plain ``RequestHandler`` for a stage whose handler could not be made: Tornado's
    error page and log line, without running any of the plugin's code."""
    handler = web.RequestHandler.__new__(web.RequestHandler)
    handler.application, handler.request = _State.application, HTTPServerRequest()
    return handler


def _run(stage):
    if isinstance(stage, wit.Stage_Request):
        _execute(_new_handler(stage.value))
    elif isinstance(stage, wit.Stage_Error):
        handler = _State.handler or _bare_handler()
        handler.set_default_headers()
        kwargs = {"exc_info": _State.exc_info} if _State.exc_info else {}
        handler.write_error(response.get_status(), **kwargs)
    elif isinstance(stage, wit.Stage_Finish):
        handler = _State.handler or _bare_handler()
        if type(handler).on_finish is web.RequestHandler.on_finish:
            response.on_finish_unused()
        else:
            handler.on_finish()
    elif isinstance(stage, wit.Stage_Woken):
        index, messages = stage.value
        _complete(_new_handler(index).on_messages(messages))
    else:
        index, event = stage.value
        _complete(_new_handler(index)._event(event))


def _execute(handler):
    """Tornado's ``_execute``: the method check, xsrf, ``prepare``, then the method."""
    request = handler.request
    if request.method not in handler.SUPPORTED_METHODS:
        raise web.HTTPError(405)
    if request.method not in ("GET", "HEAD", "OPTIONS") and handler.settings.get(
            "xsrf_cookies"):
        handler.check_xsrf_cookie()
    _complete(handler.prepare())
    if response.finished():
        return
    kwargs = {name: value for name, value in host_request.path_kwargs()}
    args = [] if kwargs else host_request.path_args()
    handler.path_args, handler.path_kwargs = args, kwargs
    method = getattr(handler, request.method.lower())
    _complete(method(*args, **kwargs))


def _complete(result):
    """Runs a coroutine (``async def get``) to its end: the host's calls are synchronous, so
    anything it awaits is already done."""
    if hasattr(result, "__await__"):
        iterator = result.__await__()
        try:
            while True:
                if next(iterator) is not None:
                    raise RuntimeError("a handler awaited something that is not done (a "
                                       "timer, a socket): gale's calls complete at once, "
                                       "and a plugin has no event loop of its own")
        except StopIteration as done:
            return done.value
    return result
