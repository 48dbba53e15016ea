"""Tornado's ``tornado.web`` for gale plugins: ``RequestHandler``, ``Application``,
``HTTPError``, ``authenticated`` and the built-in handlers, with Tornado's names and
signatures. The request, the response, the cookies and the accounts live on the host;
these methods ask it.
"""

import datetime
import email.utils
import functools
import traceback
import urllib.parse

from gale import _static, escape
from gale._host import application as host_application, call, error, response, warning
from gale._host import request as host_request
from gale._methods import AccountMethods, CookieMethods, TopicMethods
from gale._ui import TemplateModule, UIModule
from gale._views import ViewMethods
from gale.httputil import HTTPServerRequest
from gale.log import access_log, app_log, gen_log  # noqa: F401 (tornado.web has them)
from gale.routing import Application, URLSpec, url

__all__ = ["AccountError", "Application", "Finish", "HTTPError", "MissingArgumentError",
           "RedirectHandler", "RequestHandler", "StaticFileHandler", "TemplateModule",
           "UIModule", "URLSpec", "access_log", "app_log", "authenticated", "gen_log", "url"]


class HTTPError(Exception):
    """An exception that becomes an HTTP error response: ``HTTPError(404)``.

    ``log_message`` (formatted with ``args``) goes to the log, never to the client;
    ``reason`` replaces the standard reason phrase.
    """

    def __init__(self, status_code=500, log_message=None, *args, **kwargs):
        super().__init__()
        self.status_code = status_code
        self.log_message = log_message
        self.args = args
        self.reason = kwargs.get("reason")

    def __str__(self):
        message = "HTTP %d: %s" % (self.status_code, self.reason or "")
        if self.log_message:
            return message + " (" + (self.log_message % self.args) + ")"
        return message


class MissingArgumentError(HTTPError):
    """A required argument is missing: 400."""

    def __init__(self, arg_name):
        super().__init__(400, "Missing argument %s" % arg_name)
        self.arg_name = arg_name


class AccountError(HTTPError):
    """An account call the store refused: ``kind`` is ``"taken"`` (409), ``"invalid"``
    (400, ``why`` says what is not acceptable), ``"bad_credentials"`` (401, one answer for an
    unknown account and a wrong password) or ``"unavailable"`` (503)."""

    STATUS = {"taken": 409, "invalid": 400, "bad_credentials": 401, "unavailable": 503}

    def __init__(self, kind, why):
        super().__init__(self.STATUS[kind], "%s", why)
        self.kind = kind
        self.why = why


class Finish(Exception):
    """Raised to end the request without an error, as ``finish()`` and return."""


_ARG_DEFAULT = object()
_ALL, _QUERY, _BODY = (host_request.ArgSource.ALL, host_request.ArgSource.QUERY,
                       host_request.ArgSource.BODY)


def _header_value(value):
    if isinstance(value, bytes):
        return value.decode("latin1")
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, datetime.datetime):
        return email.utils.format_datetime(value.astimezone(datetime.timezone.utc), True)
    if isinstance(value, str):
        return value
    raise TypeError("Unsupported header value %r" % value)


class _Done:
    """What ``flush()`` returns: awaitable, already complete (the host has sent the data)."""

    def __await__(self):
        return iter(())

    def result(self):
        return None


class RequestHandler(CookieMethods, AccountMethods, TopicMethods, ViewMethods):
    """Tornado's ``RequestHandler``: subclass it and define ``get``, ``post``…

    One handler object serves one request, in a sandboxed instance of the plugin (shared
    by the worker's requests, as Tornado's interpreter, unless the application says
    ``instances="fresh"``):
    ``__init__`` → ``set_default_headers`` → ``initialize(**kwargs)`` → ``prepare`` → the
    method → (``write_error`` on an exception) → the response is sent → ``on_finish``.
    """

    SUPPORTED_METHODS = ("GET", "HEAD", "POST", "DELETE", "PATCH", "PUT", "OPTIONS")

    def __init__(self, application, request, **kwargs):
        self.application = application
        self.request = request
        self.path_args = []
        self.path_kwargs = {}
        self.set_default_headers()
        self.initialize(**kwargs)

    # The stages a handler overrides.
    def initialize(self):
        """Receives the route's keyword arguments."""

    def prepare(self):
        """Runs before the method; finishing the response here skips it."""

    def on_finish(self):
        """Runs after the response is sent."""

    def on_connection_close(self):
        """Called when the client leaves while the handler awaits (a fetch, a timer); its
        coroutine is then cancelled, as Tornado's."""

    def set_default_headers(self):
        """Sets headers at the start of each request, and again before an error page."""

    def _unsupported(self, *args, **kwargs):
        raise HTTPError(405)

    head = get = post = delete = patch = put = options = _unsupported

    @property
    def settings(self):
        """The application's settings."""
        return self.application.settings

    # Input.
    def get_argument(self, name, default=_ARG_DEFAULT, strip=True):
        """The last value of query or body argument ``name``; missing is a 400."""
        return self._get_argument(name, default, _ALL, strip)

    def get_arguments(self, name, strip=True):
        """Every value of query or body argument ``name``."""
        return self._get_arguments(name, _ALL, strip)

    def get_query_argument(self, name, default=_ARG_DEFAULT, strip=True):
        """The last value of query argument ``name``."""
        return self._get_argument(name, default, _QUERY, strip)

    def get_query_arguments(self, name, strip=True):
        """Every value of query argument ``name``."""
        return self._get_arguments(name, _QUERY, strip)

    def get_body_argument(self, name, default=_ARG_DEFAULT, strip=True):
        """The last value of body argument ``name``."""
        return self._get_argument(name, default, _BODY, strip)

    def get_body_arguments(self, name, strip=True):
        """Every value of body argument ``name``."""
        return self._get_arguments(name, _BODY, strip)

    def _get_argument(self, name, default, source, strip):
        values = self._get_arguments(name, source, strip)
        if values:
            return values[-1]
        if default is _ARG_DEFAULT:
            raise MissingArgumentError(name)
        return default

    def _get_arguments(self, name, source, strip):
        return call(host_request.argument, source, name, strip)

    def decode_argument(self, value, name=None):
        """Arguments arrive decoded: returns ``value`` as str."""
        return escape.to_unicode(value)

    # Output.
    def set_status(self, status_code, reason=None):
        """Sets the status; a code without a standard reason needs ``reason``."""
        call(response.set_status, status_code, reason)

    def get_status(self):
        """The status set so far."""
        return response.get_status()

    @property
    def _reason(self):
        """The reason phrase that goes with the status (Tornado's attribute)."""
        return response.get_reason()

    def set_header(self, name, value):
        """Replaces a response header (str, bytes, int or datetime)."""
        call(response.set_header, name, _header_value(value))

    def add_header(self, name, value):
        """Adds another value of a response header."""
        call(response.add_header, name, _header_value(value))

    def clear_header(self, name):
        """Removes a response header."""
        response.clear_header(name)

    def write(self, chunk):
        """Appends str, bytes or a dict (as JSON, with its content type) to the body."""
        if response.finished():
            raise RuntimeError("Cannot write() after finish()")
        if not isinstance(chunk, (bytes, str, dict)):
            message = "write() only accepts bytes, unicode, and dict objects"
            if isinstance(chunk, list):
                message += (". Lists not accepted for security reasons; see "
                            "http://www.tornadoweb.org/en/stable/web.html"
                            "#tornado.web.RequestHandler.write")
            raise TypeError(message)
        if isinstance(chunk, dict):
            chunk = escape.json_encode(chunk)
            self.set_header("Content-Type", "application/json; charset=UTF-8")
        response.write(escape.utf8(chunk))

    def flush(self, include_footers=False):
        """Sends what is written so far; waits while the client is slow to read."""
        response.flush()
        return _Done()

    def finish(self, chunk=None):
        """Ends the response, writing ``chunk`` first."""
        if response.finished():
            raise RuntimeError("finish() called twice")
        if chunk is not None:
            self.write(chunk)
        response.finish()
        return _Done()

    def clear(self):
        """Resets the status, the headers (then ``set_default_headers``) and the body."""
        response.clear()
        self.set_default_headers()

    def redirect(self, url, permanent=False, status=None):
        """Redirects (302, 301 when ``permanent``, or ``status``) and finishes."""
        call(response.redirect, url, permanent, status)

    def send_error(self, status_code=500, **kwargs):
        """Clears the response and sends the error page ``write_error`` renders."""
        self.clear()
        reason = kwargs.get("reason")
        if "exc_info" in kwargs and isinstance(kwargs["exc_info"][1], HTTPError):
            reason = kwargs["exc_info"][1].reason or reason
        self.set_status(status_code, reason)
        try:
            self.write_error(status_code, **kwargs)
        except Exception:
            warning("Uncaught exception in write_error:\n" + traceback.format_exc())
        if not response.finished():
            self.finish()

    def write_error(self, status_code, **kwargs):
        """Renders an error page: Tornado's, or the traceback under ``serve_traceback``."""
        if self.settings.get("serve_traceback") and "exc_info" in kwargs:
            self.set_header("Content-Type", "text/plain")
            for line in traceback.format_exception(*kwargs["exc_info"]):
                self.write(line)
            self.finish()
        else:
            response.finish_with_error_page()

    # The application.
    def reverse_url(self, name, *args):
        """The path of the route named ``name`` with ``args`` filled in."""
        return self.application.reverse_url(name, *args)

    def static_url(self, path, include_host=None, **kwargs):
        """``/static/PATH?v=HASH`` for a file of the ``static_path`` setting's directory (as
        Tornado's), else of gale's ``--static`` directory."""
        if self.settings.get("static_path"):
            url = _static.url(self.settings, path, **kwargs)
        else:
            url = call(host_application.static_url, path)
        if include_host is None:
            include_host = getattr(self, "include_host", False)
        if include_host:
            url = self.request.protocol + "://" + self.request.host + url
        return url

    def require_setting(self, name, feature="this feature"):
        """Raises unless the application has setting ``name``."""
        if not self.settings.get(name):
            raise Exception("You must define the '%s' setting in your application to use %s"
                            % (name, feature))

    def get_login_url(self):
        """The ``login_url`` setting."""
        self.require_setting("login_url", "@tornado.web.authenticated")
        return self.settings["login_url"]

    def log_exception(self, typ, value, tb):
        """Logs an exception from a stage with its traceback, as Tornado's
        ``log_exception`` (the host logs an ``HTTPError``'s status and message itself)."""
        if isinstance(value, HTTPError):
            return  # the host logs an HTTP error's status and message
        trace = "".join(traceback.format_exception(typ, value, tb)).rstrip()
        error("Uncaught exception %s %s (%s)\n%r\n%s" % (
            self.request.method, self.request.uri, self.request.remote_ip, self.request, trace))


def authenticated(method):
    """Tornado's ``@authenticated``: without a ``current_user``, GET and HEAD redirect to
    ``login_url?next=...`` and other methods are 403."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        if not self.current_user:
            if self.request.method in ("GET", "HEAD"):
                login = self.get_login_url()
                if "?" not in login:
                    if urllib.parse.urlsplit(login).scheme:
                        next_url = self.request.full_url()
                    else:
                        next_url = self.request.uri
                    login += "?" + urllib.parse.urlencode(dict(next=next_url))
                self.redirect(login)
                return None
            raise HTTPError(403)
        return method(self, *args, **kwargs)

    return wrapper


class RedirectHandler(RequestHandler):
    """Tornado's ``RedirectHandler``, run by the host: kwargs ``url`` (``{0}``… replaced by
    the captures) and ``permanent`` (default true)."""


class StaticFileHandler(RequestHandler):
    """Tornado's ``StaticFileHandler``, run by the host: kwargs ``path``, a directory beside
    the plugin's file; the route's first capture names the file."""
