"""Tornado's ``tornado.escape``: escaping for HTML, URLs and JSON, and str/bytes helpers."""

import html
import json
import re
import urllib.parse

from gale._linkify import linkify

__all__ = ["xhtml_escape", "xhtml_unescape", "url_escape", "url_unescape", "json_encode",
           "json_decode", "squeeze", "utf8", "to_unicode", "native_str", "to_basestring",
           "recursive_unicode", "linkify"]


def xhtml_escape(value):
    """Escapes ``&``, ``<``, ``>``, ``"`` and ``'`` (as ``&#x27;``) for HTML, as Tornado:
    ``html.escape``, always giving str."""
    return html.escape(to_unicode(value))


def xhtml_unescape(value):
    """Un-escapes an XML-escaped string."""
    return html.unescape(to_unicode(value))


def json_encode(value):
    """JSON as Tornado writes it: ``json.dumps`` with ``</`` escaped for script tags."""
    return json.dumps(value).replace("</", "<\\/")


def json_decode(value):
    """Parses JSON text or bytes."""
    return json.loads(value)


def squeeze(value):
    """Replaces each run of whitespace with one space."""
    return re.sub(r"[\x00-\x20]+", " ", value).strip()


def url_escape(value, plus=True):
    """URL-encodes a value: a space as ``+`` unless ``plus`` is false."""
    quote = urllib.parse.quote_plus if plus else urllib.parse.quote
    return quote(utf8(value))


def url_unescape(value, encoding="utf-8", plus=True):
    """Decodes a URL-encoded value (bytes when ``encoding`` is None)."""
    if encoding is None:
        if plus:
            value = to_basestring(value).replace("+", " ")
        return urllib.parse.unquote_to_bytes(value)
    unquote = urllib.parse.unquote_plus if plus else urllib.parse.unquote
    return unquote(to_basestring(value), encoding=encoding)


def utf8(value):
    """``value`` as UTF-8 bytes (bytes and None pass through)."""
    if value is None or isinstance(value, bytes):
        return value
    if not isinstance(value, str):
        raise TypeError("Expected bytes, unicode, or None; got %r" % type(value))
    return value.encode("utf-8")


def to_unicode(value):
    """``value`` as str, decoding UTF-8 bytes (str and None pass through)."""
    if value is None or isinstance(value, str):
        return value
    if not isinstance(value, bytes):
        raise TypeError("Expected bytes, unicode, or None; got %r" % type(value))
    return value.decode("utf-8")


native_str = to_unicode
to_basestring = to_unicode
_unicode = to_unicode


def recursive_unicode(obj):
    """Decodes the bytes in a structure of dicts, lists and tuples."""
    if isinstance(obj, dict):
        return {recursive_unicode(k): recursive_unicode(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [recursive_unicode(i) for i in obj]
    if isinstance(obj, tuple):
        return tuple(recursive_unicode(i) for i in obj)
    if isinstance(obj, bytes):
        return to_unicode(obj)
    return obj
