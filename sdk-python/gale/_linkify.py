"""Tornado's ``escape.linkify``, as Tornado 6.6.1 writes it (its output is compared with
Tornado's byte for byte): URLs in plain text become links, the rest is escaped."""

import re

# Tornado's: entities other than &amp; and &quot; end a URL, so &lt; never joins one.
_URL_RE = re.compile(
    r"""\b((?:([\w-]+):(/{1,3})|www[.])(?:(?:(?:[^\s&()]|&amp;|&quot;)*(?:[^!"#$%&'()*+,.:;<=>?@\[\]^`{|}~\s]))|(?:\((?:[^\s&()]|&amp;|&quot;)*\)))+)"""  # noqa: E501
)
# Tornado clips a shortened link near this many characters.
_MAX_LEN = 30


def linkify(text, shorten=False, extra_params="", require_protocol=False,
            permitted_protocols=("http", "https")):
    """``text`` HTML-escaped, with each URL made a link: ``shorten`` clips long ones (the
    whole URL in the title), ``extra_params`` is text (or a function of the URL giving text)
    added to each ``<a>``, ``require_protocol`` leaves ``www.`` addresses alone, and only
    ``permitted_protocols`` are linked (never add ``javascript``)."""
    from gale.escape import to_unicode, xhtml_escape
    if extra_params and not callable(extra_params):
        extra_params = " " + extra_params.strip()

    def make_link(m):
        url, proto = m.group(1), m.group(2)
        if (require_protocol and not proto) or (proto and proto not in permitted_protocols):
            return url
        href = url if proto else "http://" + url
        params = " " + extra_params(href).strip() if callable(extra_params) else extra_params
        if shorten and len(url) > _MAX_LEN:
            url, params = _shortened(url, m, href, params)
        return f'<a href="{href}"{params}>{url}</a>'

    return _URL_RE.sub(make_link, to_unicode(xhtml_escape(text)))


def _shortened(url, m, href, params):
    before_clip = url
    proto = m.group(2)
    proto_len = len(proto) + 1 + len(m.group(3) or "") if proto else 0
    parts = url[proto_len:].split("/")
    if len(parts) > 1:
        # The host and the start of the path: the rest of a path says little once clipped.
        url = url[:proto_len] + parts[0] + "/" + parts[1][:8].split("?")[0].split(".")[0]
    if len(url) > _MAX_LEN * 1.5:
        url = url[:_MAX_LEN]
    if url != before_clip:
        amp = url.rfind("&")
        if amp > _MAX_LEN - 5:
            url = url[:amp]  # never split an entity
        url += "..."
        if len(url) >= len(before_clip):
            url = before_clip
        else:
            params += ' title="%s"' % href
    return url, params
