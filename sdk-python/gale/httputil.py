"""Tornado's ``HTTPServerRequest``, ``HTTPHeaders`` and ``HTTPFile``, read from the host on
demand: a handler that never looks at the body never copies it into the sandbox."""

import http.cookies

from gale._host import request as host_request

__all__ = ["HTTPFile", "HTTPHeaders", "HTTPServerRequest"]


class HTTPHeaders(dict):
    """Headers by name, case-insensitively: ``headers["content-type"]``, ``headers.get(...)``.

    Several values of one header are joined by ``,`` as Tornado's ``headers[name]`` does;
    ``get_list(name)`` gives them apart.
    """

    def __init__(self, pairs=()):
        super().__init__()
        self._lists = {}
        for name, value in pairs:
            self.add(name, value)

    def add(self, name, value):
        """Adds a value to header ``name``."""
        key = name.title()
        self._lists.setdefault(key, []).append(value)
        super().__setitem__(key, ",".join(self._lists[key]))

    def get_list(self, name):
        """Every value of header ``name``."""
        return list(self._lists.get(name.title(), []))

    def get_all(self):
        """Every (name, value) pair, a repeated header once per value."""
        return [(name, value) for name, values in self._lists.items() for value in values]

    def __getitem__(self, name):
        return super().__getitem__(name.title())

    def __setitem__(self, name, value):
        key = name.title()
        self._lists[key] = [value]
        super().__setitem__(key, value)

    def __delitem__(self, name):
        key = name.title()
        del self._lists[key]
        super().__delitem__(key)

    def __contains__(self, name):
        return super().__contains__(name.title())

    def get(self, name, default=None):
        return super().get(name.title(), default)


class HTTPFile(dict):
    """One uploaded file: ``filename``, ``content_type`` and ``body`` (bytes), as attributes
    and as keys, as Tornado's."""

    __getattr__ = dict.__getitem__


def _dict_of_lists(pairs, encode):
    return {name: [encode(value) for value in values] for name, values in pairs}


class HTTPServerRequest:
    """The request a handler serves, as ``self.request``: Tornado's attribute names."""

    def __init__(self):
        self._cache = {}

    def _once(self, key, read):
        if key not in self._cache:
            self._cache[key] = read()
        return self._cache[key]

    method = property(lambda self: self._once("method", host_request.method))
    uri = property(lambda self: self._once("uri", host_request.uri))
    path = property(lambda self: self._once("path", host_request.path))
    query = property(lambda self: self._once("query", host_request.query))
    version = property(lambda self: self._once("version", host_request.version))
    host = property(lambda self: self._once("host", host_request.host))

    @property
    def host_name(self):
        """The ``Host`` without its port, lowercased (an IPv6 literal keeps its brackets)."""
        host = self.host.lower()
        if host.endswith("]") or ":" not in host:
            return host
        return host.rsplit(":", 1)[0]

    protocol = property(lambda self: self._once("protocol", host_request.protocol))
    remote_ip = property(lambda self: self._once("remote_ip", host_request.remote_ip))
    body = property(lambda self: self._once("body", host_request.body))

    @property
    def headers(self):
        """The request headers, an ``HTTPHeaders``."""
        return self._once("headers", lambda: HTTPHeaders(host_request.headers()))

    def _arguments(self, source):
        def read():
            return _dict_of_lists(host_request.arguments(source), str.encode)
        return self._once(source, read)

    @property
    def arguments(self):
        """Query and body arguments: name to a list of byte strings, as Tornado's."""
        return self._arguments(host_request.ArgSource.ALL)

    @property
    def query_arguments(self):
        """The query's arguments: name to a list of byte strings."""
        return self._arguments(host_request.ArgSource.QUERY)

    @property
    def body_arguments(self):
        """The form body's arguments: name to a list of byte strings."""
        return self._arguments(host_request.ArgSource.BODY)

    @property
    def files(self):
        """Uploaded files by field: name to a list of ``HTTPFile``."""
        def read():
            return {field: [HTTPFile(filename=f.filename, content_type=f.content_type,
                                     body=f.body) for f in files]
                    for field, files in host_request.files()}
        return self._once("files", read)

    @property
    def cookies(self):
        """The request's cookies, an ``http.cookies.SimpleCookie``."""
        def read():
            from gale._host import cookies as host_cookies
            jar = http.cookies.SimpleCookie()
            for name, value in host_cookies.cookies():
                jar[name] = value
            return jar
        return self._once("cookies", read)

    def full_url(self):
        """The URL the client asked for: ``protocol://host/uri``."""
        return self.protocol + "://" + self.host + self.uri

    def __repr__(self):
        return "HTTPServerRequest(protocol=%r, host=%r, method=%r, uri=%r, version=%r, " \
               "remote_ip=%r)" % (self.protocol, self.host, self.method, self.uri,
                                   self.version, self.remote_ip)
