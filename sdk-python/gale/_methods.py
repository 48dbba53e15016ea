"""The ``RequestHandler`` methods for cookies, xsrf, accounts and topics, kept apart from the
request and response methods. The host keeps the cookie secret and the sessions: a plugin
asks it to sign, check, log in and publish."""

import datetime
import time

from gale import _loop, escape
from gale._host import Err, accounts, call, cookies, topics

__all__ = ["AccountMethods", "CookieMethods", "TopicMethods"]


def _options(domain=None, expires=None, path="/", expires_days=None, max_age=None,
             httponly=False, secure=False, samesite=None, **kwargs):
    """``set_cookie``'s keyword arguments as the host's record."""
    # Tornado accepts the attribute spellings too.
    max_age = kwargs.pop("max-age", max_age)
    httponly = kwargs.pop("HttpOnly", httponly)
    if kwargs:
        raise TypeError("unknown set_cookie arguments: %s" % ", ".join(sorted(kwargs)))
    if isinstance(expires, datetime.datetime):
        expires = expires.replace(tzinfo=expires.tzinfo or datetime.timezone.utc).timestamp()
    elif isinstance(expires, (tuple, time.struct_time)):
        expires = time.mktime(tuple(expires))
    return cookies.CookieOptions(domain=domain, expires=expires, path=path,
                                 expires_days=expires_days, max_age=max_age,
                                 httponly=bool(httponly), secure=bool(secure),
                                 samesite=samesite)


class CookieMethods:
    """Plain, signed and xsrf cookies, as Tornado's ``RequestHandler``."""

    def get_cookie(self, name, default=None):
        """A request cookie's value, or ``default``."""
        value = cookies.cookie(name)
        return default if value is None else value

    def set_cookie(self, name, value, domain=None, expires=None, path="/", expires_days=None,
                   **kwargs):
        """Sets a cookie with Tornado's keyword arguments."""
        options = _options(domain, expires, path, expires_days, **kwargs)
        call(cookies.set_cookie, escape.native_str(name), escape.native_str(value), options)

    def clear_cookie(self, name, path="/", domain=None, **kwargs):
        """Deletes a cookie set with this path and domain."""
        call(cookies.clear_cookie, name, path, domain)

    def clear_all_cookies(self, path="/", domain=None, **kwargs):
        """Deletes every cookie the request carried."""
        call(cookies.clear_all_cookies, path, domain)

    def set_signed_cookie(self, name, value, expires_days=30, version=None, **kwargs):
        """Sets a cookie signed by the host with the server's secret."""
        options = _options(expires_days=expires_days, **kwargs)
        call(cookies.set_signed_cookie, name, escape.utf8(value), options)

    def get_signed_cookie(self, name, value=None, max_age_days=31, min_version=None):
        """A signed cookie's value as bytes if it is valid and at most ``max_age_days`` old,
        else ``None``."""
        if value is not None:
            raise NotImplementedError("gale checks signed cookies by name only: "
                                      "get_signed_cookie(name), without a value")
        return cookies.signed_cookie(name, float(max_age_days))

    set_secure_cookie = set_signed_cookie
    get_secure_cookie = get_signed_cookie

    @property
    def xsrf_token(self):
        """The xsrf token (bytes), setting the ``_xsrf`` cookie when the request had none."""
        return cookies.xsrf_token().encode()

    def xsrf_form_html(self):
        """A hidden ``_xsrf`` form field."""
        token = escape.xhtml_escape(self.xsrf_token)
        return '<input type="hidden" name="_xsrf" value="' + token + '"/>'

    def check_xsrf_cookie(self):
        """403 unless the ``_xsrf`` argument or header carries the cookie's token."""
        call(cookies.check_xsrf_cookie)


def _account_error(error):
    """The host's account error as the ``AccountError`` it answers with."""
    from gale.web import AccountError
    kind, why = {
        accounts.AccountError_Taken: ("taken", "that account name is taken"),
        accounts.AccountError_BadCredentials: ("bad_credentials", "wrong account or password"),
        accounts.AccountError_Unavailable: ("unavailable", "the account store is unavailable"),
    }.get(type(error)) or ("invalid", error.value)
    return AccountError(kind, why)


class AccountMethods:
    """Tornado's ``current_user``, from the host's account store, and the course's register,
    log-in and log-out."""

    def get_current_user(self):
        """The user of the request's live session (``uuid``, ``account``, ``created``)."""
        try:
            return accounts.current_user()
        except Err as failed:
            raise _account_error(failed.value) from None

    @property
    def current_user(self):
        """``get_current_user()``, asked once per request."""
        if not hasattr(self, "_current_user"):
            self._current_user = self.get_current_user()
        return self._current_user

    @current_user.setter
    def current_user(self, value):
        self._current_user = value

    def register(self, account, password):
        """Registers an account (the host hashes the password); 409 when taken."""
        try:
            return accounts.register(account, password)
        except Err as failed:
            raise _account_error(failed.value) from None

    def login(self, account, password):
        """Logs in: a session in the store and its cookie; 401 on a wrong password."""
        try:
            user = accounts.login(account, password)
        except Err as failed:
            raise _account_error(failed.value) from None
        self._current_user = user
        return user

    def logout(self):
        """Ends the session and clears its cookie."""
        try:
            accounts.logout()
        except Err as failed:
            raise _account_error(failed.value) from None
        self._current_user = None


class TopicMethods:
    """Topics, which the host owns: publish, read the history, long-poll, stream events."""

    def publish(self, topic, id, data):
        """Publishes ``data`` under ``id`` to every subscriber of ``topic``."""
        call(topics.publish, topic, id, data)

    def topic_history(self, topic, cursor=None):
        """The messages of ``topic`` after ``cursor`` (each has ``id`` and ``data``)."""
        return call(topics.history, topic, cursor)

    def stream_events(self, topic):
        """Answers, once the method returns, as a ``text/event-stream`` of ``topic``."""
        call(topics.stream_events, topic)

    def wait_for_messages(self, topic, cursor=None, timeout=30.0):
        """Long polling: once the method returns, the host holds the request until
        ``topic`` has messages after ``cursor``; then ``on_messages(messages)`` answers."""
        call(topics.wait_for_messages, topic, cursor, int(timeout * 1000))
        _loop.note_parked()

    def on_messages(self, messages):
        """Answers a request parked with ``wait_for_messages``."""
        raise RuntimeError("the handler waited for messages but has no on_messages")
