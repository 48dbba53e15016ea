"""The host's imports, and how their failures become Python exceptions."""

from componentize_py_types import Err
from wit_world.imports import accounts, application, cookies, log, request, response, topics

__all__ = ["Err", "accounts", "application", "call", "cookies", "log", "request",
           "response", "topics", "info", "warning", "error", "debug"]


def call(function, *args, error=ValueError):
    """Calls a host function whose failure is a message; raises it as ``error``.

    A refusal of the host (a bad cookie value, a header it keeps) is a programming error, as
    Tornado raises ``ValueError`` for them: the request becomes a 500 with the message logged.
    """
    try:
        return function(*args)
    except Err as refused:
        raise error(refused.value) from None


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
