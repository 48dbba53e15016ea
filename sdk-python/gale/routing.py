"""Tornado's ``Application`` and ``URLSpec``: the route table a plugin declares.

Building an ``Application`` registers it as the plugin's: gale reads its routes when it
loads the plugin. ``listen`` and ``IOLoop.start`` are accepted and do nothing, as gale owns
the sockets and the loop; what they would have done is explained in the log.
"""

import re

from gale import _static, _ui

__all__ = ["Application", "URLSpec", "url"]

# Every Application the plugin module built, in order: `gale._runtime` serves the last one.
built = []
# What the plugin asked for that gale does differently, said in the log when gale loads it
# (at build time, when the module runs, the host's log is not there yet).
notes = []


class URLSpec:
    """One route: a pattern (a Python regex, anchored at both ends), a handler class, its
    ``initialize`` keyword arguments, and a name for ``reverse_url``."""

    def __init__(self, pattern, handler, kwargs=None, name=None):
        if isinstance(handler, str):
            raise TypeError("route %r: give the handler class itself, not its name %r"
                            % (pattern, handler))
        self.regex = re.compile(pattern if pattern.endswith("$") else pattern + "$")
        self.pattern = pattern
        self.handler_class = handler
        self.kwargs = kwargs or {}
        self.name = name

    def __repr__(self):
        return "%s(%r, %s, kwargs=%r, name=%r)" % (
            type(self).__name__, self.pattern, self.handler_class.__name__, self.kwargs,
            self.name)


url = URLSpec


def _spec(rule):
    if isinstance(rule, URLSpec):
        return rule
    if isinstance(rule, (tuple, list)) and 2 <= len(rule) <= 4:
        return URLSpec(*rule)
    raise ValueError("a route is (pattern, handler[, kwargs[, name]]) or url(...), not %r"
                     % (rule,))


_IGNORED = {
    "cookie_secret": "the cookie secret is gale's (--cookie-secret); this one is not used",
    "debug": "gale reloads a plugin when its file changes (gale dev); debug is not used",
    "autoreload": "gale reloads a plugin when its file changes (gale dev)",
}


class Application:
    """Tornado's ``Application(handlers, **settings)``: the plugin's routes and settings.

    ``xsrf_cookies``, ``login_url``, ``serve_traceback``, the templates' settings
    (``template_path``, ``autoescape``, ``template_whitespace``, ``template_loader``,
    ``ui_modules``, ``ui_methods``) and ``static_path`` (with ``static_url_prefix``) act as
    in Tornado; a setting the host owns (``cookie_secret``) is noted in the log and not used.
    """

    def __init__(self, handlers=None, default_host=None, transforms=None, **settings):
        self.handlers = []
        self.named_handlers = {}
        self.settings = settings
        self.ui_modules = dict(_ui.BUILT_IN)
        self.ui_methods = {}
        _ui.load_ui_modules(self.ui_modules, settings.get("ui_modules", {}))
        _ui.load_ui_methods(self.ui_methods, settings.get("ui_methods", {}))
        for name, why in _IGNORED.items():
            if settings.get(name):
                notes.append("setting %s: %s" % (name, why))
        from gale.web import StaticFileHandler
        self.add_handlers(".*$", _static.routes(settings, handlers, StaticFileHandler))
        built.append(self)

    def add_handlers(self, host_pattern, host_handlers):
        """Appends routes (gale routes every host alike: ``host_pattern`` is not used)."""
        for rule in host_handlers:
            spec = _spec(rule)
            self.handlers.append(spec)
            if spec.name:
                self.named_handlers[spec.name] = spec

    def listen(self, port=None, address="", **kwargs):
        """Accepted and ignored: gale listens where its ``--listen`` says."""
        notes.append("listen(%r) is not used: gale listens where its --listen says" % (port,))

    def reverse_url(self, name, *args):
        """The path of the route named ``name`` with ``args`` filled in."""
        from gale._host import application, call
        return call(application.reverse_url, name, [str(arg) for arg in args])
