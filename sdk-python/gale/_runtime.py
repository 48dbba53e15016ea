"""The glue between gale's exported ``app`` interface and the plugin's ``Application``.

``gale build`` compiles an entry module that calls ``load(MODULE)`` and exposes ``App``:
componentize-py runs it at build time, so the plugin module is imported once, then its
state is the snapshot every instance starts from.
"""

import asyncio
import importlib
import inspect
import json
import sys

from componentize_py_types import Err
from wit_world import exports
from wit_world.exports import app as wit

from gale import _embedded, _live, _loop, _views, routing, web
from gale._host import info, response, timers
from gale._host import request as host_request
from gale.httputil import HTTPServerRequest


class _State:
    application = None  # the plugin's Application
    request = None  # the id of the request whose stage runs


def current_request():
    """The id of the request whose stage runs (an instance may hold several at once)."""
    return _State.request


class _Request:
    """What the instance holds of one request: its handler, its stage's exception (for
    ``write_error``), its task while it waits."""

    __slots__ = ("handler", "exc_info", "task", "event")

    def __init__(self):
        self.handler, self.exc_info, self.task = None, None, None
        self.event = False  # a WebSocket event


_requests = {}  # request id -> _Request, until its last stage
_forgotten_early = set()  # handler classes whose requests are forgotten as their stage ends


def load(module_name):
    """Imports the plugin module and finds its Application: the last one it built on import
    (every Application registers itself), else what ``make_app()`` returns."""
    # The standard library's sqlite3 comes first on the path and would open files the
    # sandbox does not have: ``import sqlite3`` is the plugin's own database instead.
    sys.modules["sqlite3"] = importlib.import_module("gale.sqlite")
    module = importlib.import_module(module_name)
    found = routing.built[-1] if routing.built else None
    if found is None and callable(getattr(module, "make_app", None)):
        found = module.make_app()
    if not isinstance(found, routing.Application):
        raise SystemExit("%s builds no tornado.web.Application: build one when the module "
                         "is imported, or define make_app() returning it" % module_name)
    _State.application = found
    # Read and compiled now, into the snapshot: a running plugin has no files.
    routing.notes.extend(_views.preload(found, module))
    _live.watch(module)


def _target(spec, index):
    builtin = {web.RedirectHandler: wit.Builtin.REDIRECT,
               web.StaticFileHandler: wit.Builtin.STATIC_FILES}.get(spec.handler_class)
    if builtin == wit.Builtin.STATIC_FILES:
        # Tornado's idiom, a path beside the module, is where the build saw the plugin's
        # directory: the host takes it relative to the plugin's.
        kwargs = dict(spec.kwargs, path=_embedded.relative(spec.kwargs.get("path")))
        return wit.Target_Builtin(builtin), json.dumps(kwargs)
    if builtin is not None:
        return wit.Target_Builtin(builtin), json.dumps(spec.kwargs)
    return wit.Target_Handler(index), json.dumps(spec.kwargs, default=repr)


def _routes(application):
    """The route table ``application`` gives the host."""
    table = []
    for index, spec in enumerate(application.handlers):
        target, init_args = _target(spec, index)
        table.append(wit.Route(spec.pattern, target, init_args, spec.name))
    return table


class App(exports.App):
    """The component's export: the route table, and one lifecycle stage at a time."""

    def routes(self):
        # The host asks once per load: the place to say what gale does differently.
        for note in routing.notes:
            info(note)
        return _routes(_State.application)

    def instances(self):
        """Shared, as Tornado's one interpreter serves every request, unless the
        application's settings say ``instances="fresh"``."""
        if _State.application.settings.get("instances") == "fresh":
            return wit.InstanceMode.FRESH
        return wit.InstanceMode.SHARED

    def dispatch(self, request, stage):
        _State.request = request
        state = _requests.get(request)
        if state is None:
            state = _requests[request] = _Request()
        last = isinstance(stage, (wit.Stage_Finish, wit.Stage_Cancel))
        try:
            waiting = _run(request, state, stage)
        except web.Finish:
            waiting = False
            if not response.finished():
                response.finish()
        except BaseException as exception:
            _loop.take_parked()
            if not isinstance(exception, (Exception, asyncio.CancelledError)):
                raise
            raise Err(_failed(state, exception)) from None
        finally:
            if last:
                _forget(request)
        # A parked request, or a WebSocket event, has no stage after this one; nor has one
        # whose handler's on_finish does nothing, once its method is done (the host is told
        # once per handler, and skips the finish stage: a call into the instance fewer per
        # request).
        if _loop.take_parked() or (state.event and not waiting):
            _forget(request)
        elif not waiting and _answered(state, stage):
            handler_class = type(state.handler)
            if handler_class not in _forgotten_early:
                _forgotten_early.add(handler_class)
                response.on_finish_unused()
            _forget(request)
        woken = _loop.LOOP.woken(request)
        if woken:
            timers.wake(woken)
        return wit.Progress.WAITING if waiting else wit.Progress.DONE


def _answered(state, stage):
    """Whether ``stage`` ended its request's method (or ``on_messages``) for good, with a
    handler whose ``on_finish`` is the default."""
    ends = isinstance(stage, (wit.Stage_Request, wit.Stage_Resume, wit.Stage_Woken))
    return (ends and state.handler is not None
            and type(state.handler).on_finish is web.RequestHandler.on_finish)


def _forget(request):
    """The request has had its last stage: its handler and its tasks go."""
    _requests.pop(request, None)
    _loop.LOOP.forget(request)


def _failed(state, exception):
    """Logs a stage's exception as Tornado does and gives the error the host answers."""
    state.exc_info = sys.exc_info()
    (state.handler or _bare_handler()).log_exception(*state.exc_info)
    if isinstance(exception, web.HTTPError):
        message = exception.log_message % exception.args if exception.log_message else ""
        return wit.HttpError(exception.status_code, exception.reason, message)
    return wit.HttpError(500, None, "%s: %s" % (type(exception).__name__, exception))


def _new_handler(state, index):
    if _embedded.live():  # under gale dev: templates and the module as they are now
        _views.refresh()
        _State.application = _live.edited(_State.application, _routes)
    spec = _State.application.handlers[index]
    # Cleared first: a handler whose initialize raises is not the one the error renders.
    state.handler, state.exc_info = None, None
    state.handler = spec.handler_class(_State.application, HTTPServerRequest(), **spec.kwargs)
    return state.handler


def _bare_handler():
    """A plain ``RequestHandler`` for a stage whose handler could not be made: Tornado's
    error page and log line, without running any of the plugin's code."""
    handler = web.RequestHandler.__new__(web.RequestHandler)
    handler.application, handler.request = _State.application, HTTPServerRequest()
    return handler


def _run(request, state, stage):
    """Runs ``stage``; whether the request now waits on the host."""
    if isinstance(stage, wit.Stage_Request):
        return _go(request, state, _execute(_new_handler(state, stage.value)))
    if isinstance(stage, wit.Stage_Resume):
        _loop.LOOP.resume(request, stage.value)
        return _go(request, state, None)
    if isinstance(stage, wit.Stage_Cancel):
        if stage.value == wit.CancelReason.CONNECTION_CLOSED and state.handler is not None:
            state.handler.on_connection_close()
        return False
    handler = state.handler or _bare_handler()
    if isinstance(stage, wit.Stage_Error):
        handler.set_default_headers()
        kwargs = {"exc_info": state.exc_info} if state.exc_info else {}
        handler.write_error(response.get_status(), **kwargs)
    elif isinstance(stage, wit.Stage_Finish):
        if type(handler).on_finish is web.RequestHandler.on_finish:
            response.on_finish_unused()
        else:
            handler.on_finish()
    elif isinstance(stage, wit.Stage_Woken):
        index, messages = stage.value
        return _go(request, state, _new_handler(state, index).on_messages(messages))
    else:
        index, event = stage.value
        state.event = True
        return _go(request, state, _new_handler(state, index)._event(event))
    return False


def _go(request, state, result):
    """Runs the request's coroutine (``result``, when a stage returned one; else the one it
    waits in) as far as it goes: whether it still waits. Its exception is the stage's."""
    if _awaitable(result):
        state.task = _loop.start(request, result)
    elif state.task is not None:
        _loop.LOOP.run(request)
    task = state.task
    if task is None:
        return False
    if not task.done():
        return True
    state.task = None
    task.result()  # raises what the coroutine raised
    return False


def _awaitable(result):
    return result is not None and not isinstance(result, web._Done) and inspect.isawaitable(
        result)


def _execute(handler):
    """Tornado's ``_execute``: the method check, xsrf, ``prepare``, then the method; a
    coroutine when ``prepare`` or the method is one."""
    request = handler.request
    if request.method not in handler.SUPPORTED_METHODS:
        raise web.HTTPError(405)
    if request.method not in ("GET", "HEAD", "OPTIONS") and handler.settings.get(
            "xsrf_cookies"):
        handler.check_xsrf_cookie()
    prepared = handler.prepare()
    if _awaitable(prepared):
        return _after_prepare(handler, prepared)
    return _method(handler)


async def _after_prepare(handler, prepared):
    await prepared
    result = _method(handler)
    if _awaitable(result):
        await result


def _method(handler):
    """Runs the request's method unless ``prepare`` finished the response; what it returned
    (a coroutine, for ``async def``)."""
    if response.finished():
        return None
    kwargs = {name: value for name, value in host_request.path_kwargs()}
    args = [] if kwargs else host_request.path_args()
    handler.path_args, handler.path_kwargs = args, kwargs
    method = getattr(handler, handler.request.method.lower())
    return method(*args, **kwargs)
