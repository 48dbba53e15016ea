"""The host's imports, and how their refusals become the exceptions Tornado raises."""

from componentize_py_types import Err
from wit_world.imports import (accounts, application, cookies, database, http_client, log,
                               request, response, timers, topics, websocket)

__all__ = ["Err", "accounts", "application", "call", "cookies", "database", "http_client", "log",
           "request", "response", "timers", "topics", "websocket", "info", "warning", "error",
           "debug"]


def call(function, *args):
    """Calls a host function; a refusal is raised as Tornado raises for the same call."""
    try:
        return function(*args)
    except Err as refused:
        raise exception_for(refused.value) from None


def exception_for(refusal):
    """The exception Tornado raises where the host refused with ``refusal``: ``HTTPError``
    400 for an argument it cannot read and 403 for a failed xsrf check, ``KeyError`` for an
    unknown route name, ``WebSocketClosedError`` for a closed socket, ``ValueError`` for
    every bad value (a 500 with the message logged)."""
    from gale.web import HTTPError
    from gale.websocket import WebSocketClosedError
    if isinstance(refusal, request.RequestError_InvalidUnicode):
        return HTTPError(400, "Invalid unicode in %s", refusal.value)
    if isinstance(refusal, cookies.XsrfError):
        return HTTPError(403, _XSRF[refusal])
    if isinstance(refusal, application.ReverseError_UnknownName):
        return KeyError("%s not found in named urls" % refusal.value)
    if isinstance(refusal, application.ReverseError_CannotReverse):
        return AssertionError(refusal.value)
    if isinstance(refusal, application.StaticUrlError_NoStaticDirectory):
        return Exception("You must define the 'static_path' setting in your application to "
                         "use static_url (gale: start it with --static DIR)")
    if isinstance(refusal, websocket.SocketError_Closed):
        return WebSocketClosedError()
    if isinstance(refusal, websocket.SocketError_Topic):
        return exception_for(refusal.value)
    return ValueError(_message(refusal))


_XSRF = {
    cookies.XsrfError.MISSING: "'_xsrf' argument missing from POST",
    cookies.XsrfError.MALFORMED: "'_xsrf' argument has invalid format",
    cookies.XsrfError.MISMATCH: "XSRF cookie does not match POST argument",
}

_FIXED = {
    response.ResponseError_UnknownStatus: "unknown status code %s",
    cookies.CookieError_HostOwned: "the gale_session cookie is the host's: use login and logout",
    topics.TopicError_TooManyTopics: "a plugin has at most 1024 topics, each with a subscriber",
    topics.TopicError_Unavailable: "the plugin is being removed",
    websocket.SocketError_NotUpgradable: "Missing/Invalid WebSocket headers",
    websocket.SocketError_NoRoom: "no room for another WebSocket",
    websocket.SocketError_AlreadyOpen: "the WebSocket is already open",
}


def _message(refusal):
    """A refusal's text: the host's, or the case's own."""
    fixed = _FIXED.get(type(refusal))
    if fixed is None:
        return getattr(refusal, "value", str(refusal))
    return fixed % refusal.value if "%s" in fixed else fixed


def debug(message):
    """Logs ``message`` at debug level, tagged with the plugin's name by the host."""
    log.log(log.Level.DEBUG, message)


def info(message):
    """Logs ``message`` at info level."""
    log.log(log.Level.INFO, message)


def warning(message):
    """Logs ``message`` as a warning."""
    log.log(log.Level.WARN, message)


def error(message):
    """Logs ``message`` as an error."""
    log.log(log.Level.ERROR, message)
