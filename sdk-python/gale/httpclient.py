"""Tornado's ``tornado.httpclient`` for gale plugins: ``AsyncHTTPClient().fetch`` starts a
request on the host at once and returns a Future of its ``HTTPResponse``; the handler awaits
it with its instance free. Names, defaults and errors are Tornado's simple client's: 20 s to
connect and for the whole request, 5 redirects, ``HTTPClientError`` for an answer outside
2xx (unless ``raise_error=False``), code 599 when none came, ``ConnectionRefusedError`` for
a refused connection.

The operator decides who a plugin may call (``--allow-outbound PLUGIN=ORIGIN``): a denied
origin fails at once with a message naming the flag to add.
"""

import base64
import email.utils
import http.client
import io

from gale import _loop
from gale._host import Err
from gale._host import http_client as host
from gale._host import timers
from gale.httputil import HTTPHeaders

__all__ = ["AsyncHTTPClient", "HTTPClientError", "HTTPError", "HTTPRequest", "HTTPResponse",
           "HTTPStreamClosedError", "HTTPTimeoutError"]

_DEFAULTS = dict(connect_timeout=20.0, request_timeout=20.0, follow_redirects=True,
                 max_redirects=5, decompress_response=True, allow_nonstandard_methods=False,
                 validate_cert=True)

# What gale cannot do, and what to do instead.
_UNSUPPORTED = {
    "streaming_callback": "the body arrives whole",
    "header_callback": "the headers arrive with the body",
    "body_producer": "give the body as bytes",
    "prepare_curl_callback": "gale's client is not curl",
    "proxy_host": "gale connects directly",
    "network_interface": "the host chooses the interface",
    "client_cert": "client certificates are not supported",
    "ca_certs": "start gale with --outbound-ca FILE",
    "ssl_options": "start gale with --outbound-ca FILE",
}


class HTTPRequest:
    """Tornado's ``HTTPRequest``: what to fetch."""

    def __init__(self, url, method="GET", headers=None, body=None, auth_username=None,
                 auth_password=None, auth_mode=None, connect_timeout=None,
                 request_timeout=None, if_modified_since=None, follow_redirects=None,
                 max_redirects=None, user_agent=None, use_gzip=None, allow_ipv6=None,
                 expect_100_continue=False, decompress_response=None, **kwargs):
        for name, value in kwargs.items():
            if name in _DEFAULTS:
                setattr(self, name, value)
            elif value is not None and name in _UNSUPPORTED:
                raise NotImplementedError("HTTPRequest(%s=...): %s" % (name, _UNSUPPORTED[name]))
            elif name not in _UNSUPPORTED and not name.startswith("proxy_"):
                raise TypeError("HTTPRequest() got an unexpected keyword argument %r" % name)
        self.url = url
        self.method = method
        self.headers = headers if isinstance(headers, HTTPHeaders) else HTTPHeaders(
            (headers or {}).items())
        if if_modified_since:
            self.headers["If-Modified-Since"] = email.utils.format_datetime(
                if_modified_since, usegmt=True)
        self.body = body.encode("utf-8") if isinstance(body, str) else body
        self.auth_username, self.auth_password, self.auth_mode = (
            auth_username, auth_password, auth_mode)
        self.connect_timeout = connect_timeout
        self.request_timeout = request_timeout
        self.follow_redirects = follow_redirects
        self.max_redirects = max_redirects
        self.user_agent = user_agent
        if use_gzip is not None and decompress_response is None:
            decompress_response = use_gzip
        self.decompress_response = decompress_response
        self.allow_ipv6 = allow_ipv6
        self.expect_100_continue = expect_100_continue

    def _filled(self):
        """Every option left None takes Tornado's default."""
        for name, default in _DEFAULTS.items():
            if getattr(self, name, None) is None:
                setattr(self, name, default)
        if not self.validate_cert:
            raise NotImplementedError("validate_cert=False: gale verifies every certificate; "
                                      "start gale with --outbound-ca FILE for a private CA")
        return self

    def _for_host(self):
        """The request as the host takes it, with what Tornado's simple client adds."""
        method = self.method.upper()
        expected = method in ("POST", "PATCH", "PUT")
        present = self.body is not None
        if not self.allow_nonstandard_methods and expected != present:
            raise ValueError("Body must %sbe None for method %s (unless "
                             "allow_nonstandard_methods is true)"
                             % ("not " if expected else "", method))
        headers = HTTPHeaders(self.headers.get_all())
        if self.auth_username is not None:
            if self.auth_mode not in (None, "basic"):
                raise ValueError("unsupported auth_mode %s" % self.auth_mode)
            token = "%s:%s" % (self.auth_username, self.auth_password or "")
            headers["Authorization"] = "Basic " + base64.b64encode(
                token.encode("utf-8")).decode("ascii")
        if self.user_agent:
            headers["User-Agent"] = self.user_agent
        elif "User-Agent" not in headers:
            import tornado
            headers["User-Agent"] = "Tornado/%s" % tornado.version
        if method == "POST" and "Content-Type" not in headers:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        return host.HttpRequest(
            self.url, method, headers.get_all(), self.body, float(self.connect_timeout),
            float(self.request_timeout), bool(self.follow_redirects), int(self.max_redirects),
            bool(self.decompress_response))


class HTTPResponse:
    """Tornado's ``HTTPResponse``."""

    def __init__(self, request, code, headers=None, buffer=None, effective_url=None,
                 error=None, request_time=None, time_info=None, reason=None,
                 start_time=None):
        self.request = request
        self.code = code
        self.reason = reason or http.client.responses.get(code, "Unknown")
        self.headers = headers if headers is not None else HTTPHeaders()
        self.buffer = buffer
        self._body = None
        self.effective_url = effective_url or request.url
        self.error = error
        if error is None and (code < 200 or code >= 300):
            self.error = HTTPClientError(code, message=self.reason, response=self)
        self.request_time = request_time
        self.time_info = time_info or {}
        self.start_time = start_time

    @property
    def body(self):
        """The body, bytes."""
        if self.buffer is None:
            return b""
        if self._body is None:
            self._body = self.buffer.getvalue()
        return self._body

    def rethrow(self):
        """Raises the request's error, if it had one."""
        if self.error:
            raise self.error

    def __repr__(self):
        return "%s(%s)" % (type(self).__name__, ",".join(
            "%s=%r" % item for item in sorted(self.__dict__.items())))


class HTTPClientError(Exception):
    """Tornado's ``HTTPClientError``: an answer outside 2xx (``response`` has it), or code
    599 when none arrived."""

    def __init__(self, code, message=None, response=None):
        self.code = code
        self.message = message or http.client.responses.get(code, "Unknown")
        self.response = response
        super().__init__(code, message, response)

    def __str__(self):
        return "HTTP %d: %s" % (self.code, self.message)

    __repr__ = __str__


HTTPError = HTTPClientError


class HTTPTimeoutError(HTTPClientError):
    """No answer in time: code 599, ``"Timeout while connecting"`` or ``"Timeout during
    request"``, as Tornado's simple client."""

    def __init__(self, message):
        super().__init__(599, message=message)

    def __str__(self):
        return self.message or "Timeout"


class HTTPStreamClosedError(HTTPClientError):
    """The connection broke before the answer was whole: code 599."""

    def __init__(self, message):
        super().__init__(599, message=message)

    def __str__(self):
        return self.message or "Stream closed"


def _exception(refusal):
    """The exception Tornado's simple client raises where the host answered ``refusal``."""
    why = refusal.value
    if isinstance(refusal, host.FetchError_Timeout):
        return HTTPTimeoutError(why)
    if isinstance(refusal, host.FetchError_Refused):
        # The host's errno (Linux's), not WASI's numbering of the same error.
        return ConnectionRefusedError(111, "Connection refused")
    if isinstance(refusal, host.FetchError_Connection):
        return HTTPStreamClosedError(why)
    if isinstance(refusal, host.FetchError_InvalidRequest):
        return ValueError(why)
    return HTTPClientError(599, message=why)


class AsyncHTTPClient:
    """Tornado's ``AsyncHTTPClient``: one per loop (``AsyncHTTPClient()`` returns it)."""

    _instance = None

    def __new__(cls, force_instance=False, **kwargs):
        if force_instance or cls._instance is None:
            client = super().__new__(cls)
            if force_instance:
                return client
            cls._instance = client
        return cls._instance

    @classmethod
    def configure(cls, impl, **kwargs):
        """Accepted for Tornado's sake: gale has one client, the host's."""

    def close(self):
        """Nothing to close: the host keeps the connections."""

    def fetch(self, request, raise_error=True, **kwargs):
        """Starts fetching ``request`` (a URL or an ``HTTPRequest``) now; a Future of its
        ``HTTPResponse``. With ``raise_error`` (the default) an answer outside 2xx raises
        ``HTTPClientError``; either way, no answer raises."""
        if not isinstance(request, HTTPRequest):
            request = HTTPRequest(url=request, **kwargs)
        elif kwargs:
            raise ValueError("kwargs can't be used if request is an HTTPRequest object")
        future = _loop.LOOP.create_future()
        try:
            handle = host.fetch(request._filled()._for_host())
        except Err as refused:
            future.set_exception(_exception(refused.value))
            return future
        except Exception as exception:
            future.set_exception(exception)
            return future

        def settle():
            outcome = host.outcome(handle)
            if future.done() or outcome is None:
                return
            if isinstance(outcome, Err):
                return future.set_exception(_exception(outcome.value))
            response = _response(request, outcome.value)
            if raise_error and response.error:
                future.set_exception(response.error)
            else:
                future.set_result(response)

        def stopped(done):
            if done.cancelled():
                _loop.LOOP.forget_fetch(handle)
                timers.cancel(handle)  # it stops any handle, a fetch too

        _loop.LOOP.fetching(handle, settle)
        future.add_done_callback(stopped)
        return future


def _response(request, answer):
    headers = HTTPHeaders(answer.headers)
    return HTTPResponse(request, answer.code, headers=headers, buffer=io.BytesIO(answer.body),
                        effective_url=answer.effective_url, request_time=answer.request_time,
                        reason=answer.reason)
