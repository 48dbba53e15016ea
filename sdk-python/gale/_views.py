"""Tornado's views on a handler: ``render``, ``render_string``, the template namespace and
the loaders, as ``tornado.web.RequestHandler`` has them, over the vendored
``gale.template`` (Tornado's own), so that a page renders byte for byte as on Tornado.

A running plugin has no files: ``preload`` reads the templates while the plugin's snapshot
is made (at ``gale build``) and compiles them there, so a request only generates; under
``gale dev``, ``refresh`` has each request read them again.
"""

import inspect
import os
import sys

from gale import _embedded, _static, escape, template
from gale._host import response
from gale._ui import UIModuleNamespace, is_absolute


class _English:
    """Tornado's default locale, ``en_US`` without translations: messages as written."""

    code = "en_US"
    name = "English (US)"
    rtl = False

    def translate(self, message, plural_message=None, count=None):
        """``message``, or ``plural_message`` when ``count`` is not 1."""
        if plural_message is not None and count is not None and count != 1:
            return plural_message
        return message

    def pgettext(self, context, message, plural_message=None, count=None):
        """``translate``; the context only matters to a translation."""
        return self.translate(message, plural_message, count)


ENGLISH = _English()

# The loaders by template path, shared by every handler (Tornado's class attribute): those
# `preload` makes are in the snapshot.
_loaders = {}


def loader_for(settings, template_path):
    """Tornado's default loader for ``template_path``: the ``template_loader`` setting, else
    a ``Loader`` with the ``autoescape`` and ``template_whitespace`` settings."""
    if "template_loader" in settings:
        return settings["template_loader"]
    kwargs = {}
    if "autoescape" in settings:
        # autoescape=None means "no escaping": passed only when the application set it.
        kwargs["autoescape"] = settings["autoescape"]
    if "template_whitespace" in settings:
        kwargs["whitespace"] = settings["template_whitespace"]
    return template.Loader(template_path, **kwargs)


def preload(application, module):
    """Embeds and compiles the plugin's templates while its snapshot is made: those under the
    ``template_path`` setting, else beside each file that defines a handler and in its
    ``templates/`` (Tornado's default is the directory of the file that calls ``render``;
    gale also looks in ``templates/`` there). A template that does not parse is
    left for ``render`` to raise, as on Tornado, and said in the log."""
    settings = application.settings
    if settings.get("template_path"):
        paths = [settings["template_path"]]
    else:
        files = {inspect.getfile(spec.handler_class) for spec in application.handlers}
        files.add(module.__file__)
        beside = {os.path.dirname(f) for f in files if not f.startswith(_SDK_DIR)}
        paths = sorted(beside | {os.path.join(d, "templates") for d in beside
                                 if os.path.isdir(os.path.join(d, "templates"))})
    _embedded.watch(os.path.dirname(module.__file__))
    problems = []
    if settings.get("static_path"):
        _static.remember(_static.directory(settings), problems)
    for path in paths:
        names = _embedded.embed(path, problems)
        if "template_loader" in settings:
            continue  # the application's own loader: it reads what it reads
        loader = _loaders.setdefault(path, loader_for(settings, path))
        # A `templates/` below is a loader of its own: its files are compiled there, once.
        inner = [p for p in paths if p.startswith(path + os.sep)]
        for name in names:
            inside = any(os.path.join(path, name).startswith(p + os.sep) for p in inner)
            if name.endswith(_TEMPLATE_SUFFIXES) and not inside:
                try:
                    loader.load(name)
                except Exception as failed:  # noqa: BLE001 (render raises it again)
                    problems.append("template %s does not compile: %s" % (name, failed))
    return problems


def refresh():
    """Drops the compiled templates, so that a request reads them as they are now: what
    ``gale dev`` does before each (Tornado's ``compiled_template_cache=False``)."""
    for loader in _loaders.values():
        loader.reset()


_SDK_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_TEMPLATE_SUFFIXES = (".html", ".htm", ".xml", ".js", ".css", ".txt", ".json", ".svg")


class ViewMethods:
    """``render`` and what it is built from, mixed into ``RequestHandler``."""

    @property
    def locale(self):
        """The locale: ``en_US``, as Tornado's when no translations are loaded."""
        return ENGLISH

    def get_user_locale(self):
        """Override to choose the user's locale; gale has English only."""
        return None

    @property
    def ui(self):
        """The ``ui_methods`` bound to this handler and the ``ui_modules`` namespace."""
        if "_ui" not in self.__dict__:
            application = self.application
            ui = {name: self._ui_method(method)
                  for name, method in application.ui_methods.items()}
            ui["_tt_modules"] = UIModuleNamespace(self, application.ui_modules)
            ui["modules"] = ui["_tt_modules"]
            self.__dict__["_ui"] = ui
        return self.__dict__["_ui"]

    def _ui_module(self, name, module):
        def render(*args, **kwargs):
            active = self.__dict__.setdefault("_active_modules", {})
            if name not in active:
                active[name] = module(self)
            return escape.to_unicode(active[name].render(*args, **kwargs))

        return render

    def _ui_method(self, method):
        return lambda *args, **kwargs: method(self, *args, **kwargs)

    def render(self, template_name, **kwargs):
        """Renders the template with ``kwargs`` as the response, and finishes it; the
        JavaScript, CSS and head and body parts of the UI modules used are put in place."""
        if response.finished():
            raise RuntimeError("Cannot render() after finish()")
        html = self.render_string(template_name, **kwargs)
        parts = _ModuleParts(self.__dict__.get("_active_modules", {}).values())
        if parts.js_files:
            html = _before(html, b"</body>", escape.utf8(self.render_linked_js(parts.js_files)),
                           last=True)
        if parts.js_embed:
            html = _before(html, b"</body>", self.render_embed_js(parts.js_embed), last=True)
        if parts.css_files:
            html = _before(html, b"</head>", escape.utf8(self.render_linked_css(parts.css_files)))
        if parts.css_embed:
            html = _before(html, b"</head>", self.render_embed_css(parts.css_embed))
        if parts.heads:
            html = _before(html, b"</head>", b"".join(parts.heads))
        if parts.bodies:
            html = _before(html, b"</body>", b"".join(parts.bodies))
        return self.finish(html)

    def render_linked_js(self, js_files):
        """The ``<script>`` tags of the modules' JavaScript files (once each)."""
        return "".join('<script src="' + escape.xhtml_escape(p) + '" type="text/javascript">'
                       "</script>" for p in self._static_paths(js_files))

    def render_embed_js(self, js_embed):
        """The modules' embedded JavaScript, in one ``<script>``."""
        return (b'<script type="text/javascript">\n//<![CDATA[\n' + b"\n".join(js_embed)
                + b"\n//]]>\n</script>")

    def render_linked_css(self, css_files):
        """The ``<link>`` tags of the modules' CSS files (once each)."""
        return "".join('<link href="' + escape.xhtml_escape(p) + '" '
                       'type="text/css" rel="stylesheet"/>' for p in self._static_paths(css_files))

    def render_embed_css(self, css_embed):
        """The modules' embedded CSS, in one ``<style>``."""
        return b'<style type="text/css">\n' + b"\n".join(css_embed) + b"\n</style>"

    def _static_paths(self, files):
        paths = []
        for path in files:
            if not is_absolute(path):
                path = self.static_url(path)
            if path not in paths:
                paths.append(path)
        return paths

    def render_string(self, template_name, **kwargs):
        """The template generated with the namespace and ``kwargs``, as UTF-8 bytes."""
        template_path = self.get_template_path()
        if not template_path:
            # Tornado's default: the directory of the file that called render.
            frame = sys._getframe(0)
            here = frame.f_code.co_filename
            while frame.f_code.co_filename == here and frame.f_back is not None:
                frame = frame.f_back
            template_path = _beside(os.path.dirname(frame.f_code.co_filename), template_name)
        loader = _loaders.get(template_path)
        if loader is None:
            loader = _loaders[template_path] = self.create_template_loader(template_path)
        namespace = self.get_template_namespace()
        namespace.update(kwargs)
        return loader.load(template_name).generate(**namespace)

    def get_template_namespace(self):
        """The names every template sees (override to add some): ``handler``, ``request``,
        ``current_user``, ``locale``, ``_``, ``pgettext``, ``static_url``, ``xsrf_form_html``,
        ``reverse_url``, the ``ui_methods`` and ``modules``."""
        namespace = dict(
            handler=self,
            request=self.request,
            current_user=self.current_user,
            locale=self.locale,
            _=self.locale.translate,
            pgettext=self.locale.pgettext,
            static_url=self.static_url,
            xsrf_form_html=self.xsrf_form_html,
            reverse_url=self.reverse_url,
        )
        namespace.update(self.ui)
        return namespace

    def get_template_path(self):
        """The ``template_path`` setting (override per handler); without one, the directory
        of the handler's file, or its ``templates/``."""
        return self.application.settings.get("template_path")

    def create_template_loader(self, template_path):
        """The loader for ``template_path`` (override to use another)."""
        return loader_for(self.application.settings, template_path)


def _beside(directory, template_name):
    """Without a template path, Tornado looks in the directory of the file that renders;
    gale also looks in its ``templates/``, when the template is there and not beside it."""
    templates = os.path.join(directory, "templates")
    if (not _embedded.has(os.path.join(directory, template_name))
            and _embedded.has(os.path.join(templates, template_name))):
        return templates
    return directory


class _ModuleParts:
    """What the UI modules a page used add to it, in Tornado's order."""

    def __init__(self, modules):
        self.js_embed, self.js_files, self.css_embed, self.css_files = [], [], [], []
        self.heads, self.bodies = [], []
        for module in modules:
            _add_text(self.js_embed, module.embedded_javascript())
            _add_files(self.js_files, module.javascript_files())
            _add_text(self.css_embed, module.embedded_css())
            _add_files(self.css_files, module.css_files())
            _add_text(self.heads, module.html_head())
            _add_text(self.bodies, module.html_body())


def _add_text(parts, part):
    if part:
        parts.append(escape.utf8(part))


def _add_files(files, part):
    if part:
        if isinstance(part, (str, bytes)):
            files.append(escape.to_unicode(part))
        else:
            files.extend(part)


def _before(html, tag, part, last=False):
    """``part`` and a newline put before ``tag``'s last (or first) place in ``html``."""
    at = html.rindex(tag) if last else html.index(tag)
    return html[:at] + part + b"\n" + html[at:]
