"""Tornado's UI modules and methods: the ``ui_modules`` and ``ui_methods`` settings, the
built-in modules (``linkify``, ``xsrf_form_html``, ``Template``) and ``{% module %}``'s
namespace."""

import types

from gale import escape

__all__ = ["TemplateModule", "UIModule"]


def is_absolute(path):
    """Whether a module's file is a URL already (else ``static_url`` makes one)."""
    return any(path.startswith(x) for x in ["/", "http:", "https:"])


class UIModule:
    """A reusable part of a page, used as ``{% module Name(...) %}``: subclasses override
    ``render``, and may add JavaScript, CSS and head or body HTML to the page."""

    def __init__(self, handler):
        self.handler = handler
        self.request = handler.request
        self.ui = handler.ui
        self.locale = handler.locale

    @property
    def current_user(self):
        """The handler's ``current_user``."""
        return self.handler.current_user

    def render(self, *args, **kwargs):
        """Override to return this module's output."""
        raise NotImplementedError()

    def embedded_javascript(self):
        """Override to return JavaScript to embed in the page."""
        return None

    def javascript_files(self):
        """Override to return the JavaScript files this module needs (relative ones go
        through ``static_url``)."""
        return None

    def embedded_css(self):
        """Override to return CSS to embed in the page."""
        return None

    def css_files(self):
        """Override to return the CSS files this module needs (relative ones go through
        ``static_url``)."""
        return None

    def html_head(self):
        """Override to return HTML for the end of ``<head>``."""
        return None

    def html_body(self):
        """Override to return HTML for the end of ``<body>``."""
        return None

    def render_string(self, path, **kwargs):
        """Renders a template, as the handler's ``render_string``."""
        return self.handler.render_string(path, **kwargs)


class _linkify(UIModule):
    def render(self, text, **kwargs):
        return escape.linkify(text, **kwargs)


class _xsrf_form_html(UIModule):
    def render(self):
        return self.handler.xsrf_form_html()


class TemplateModule(UIModule):
    """``{% module Template("foo.html", **kw) %}``: an ``include`` with its own namespace,
    whose ``set_resources(js_files=..., embedded_css=...)`` adds to the page once per file."""

    def __init__(self, handler):
        super().__init__(handler)
        # A list and a dict: the resources in order, and once per template.
        self._resource_list = []
        self._resource_dict = {}

    def render(self, path, **kwargs):
        def set_resources(**resources):
            if path not in self._resource_dict:
                self._resource_list.append(resources)
                self._resource_dict[path] = resources
            elif self._resource_dict[path] != resources:
                raise ValueError("set_resources called with different resources for the "
                                 "same template")
            return ""

        return self.render_string(path, set_resources=set_resources, **kwargs)

    def _get_resources(self, key):
        return (r[key] for r in self._resource_list if key in r)

    def _files(self, key):
        result = []
        for f in self._get_resources(key):
            if isinstance(f, (str, bytes)):
                result.append(f)
            else:
                result.extend(f)
        return result

    def embedded_javascript(self):
        return "\n".join(self._get_resources("embedded_javascript"))

    def javascript_files(self):
        return self._files("javascript_files")

    def embedded_css(self):
        return "\n".join(self._get_resources("embedded_css"))

    def css_files(self):
        return self._files("css_files")

    def html_head(self):
        return "".join(self._get_resources("html_head"))

    def html_body(self):
        return "".join(self._get_resources("html_body"))


BUILT_IN = {"linkify": _linkify, "xsrf_form_html": _xsrf_form_html, "Template": TemplateModule}


class UIModuleNamespace:
    """``modules.Name`` in a template: the module bound to the handler."""

    def __init__(self, handler, ui_modules):
        self.handler = handler
        self.ui_modules = ui_modules

    def __getitem__(self, key):
        return self.handler._ui_module(key, self.ui_modules[key])

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError as e:
            raise AttributeError(str(e)) from None


def load_ui_modules(found, modules):
    """Adds the ``UIModule`` classes of ``modules`` (a module, a dict or a list of them)."""
    if isinstance(modules, types.ModuleType):
        load_ui_modules(found, {n: getattr(modules, n) for n in dir(modules)})
    elif isinstance(modules, list):
        for m in modules:
            load_ui_modules(found, m)
    else:
        for name, cls in modules.items():
            if isinstance(cls, type) and issubclass(cls, UIModule):
                found[name] = cls


def load_ui_methods(found, methods):
    """Adds the public functions of ``methods`` (a module, a dict or a list of them)."""
    if isinstance(methods, types.ModuleType):
        load_ui_methods(found, {n: getattr(methods, n) for n in dir(methods)})
    elif isinstance(methods, list):
        for m in methods:
            load_ui_methods(found, m)
    else:
        for name, fn in methods.items():
            if not name.startswith("_") and callable(fn) and name[0].lower() == name[0]:
                found[name] = fn
