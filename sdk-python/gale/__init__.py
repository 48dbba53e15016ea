"""gale's Python SDK: Tornado's handler API, compiled with componentize-py into a gale plugin.

A plugin is a directory with an ``app.py`` that builds a ``tornado.web.Application`` (or
``gale.web.Application``, the same class). ``gale build DIR`` compiles it to a component;
gale serves every request in a fresh, sandboxed instance of it.
"""
