"""Tornado's package names over gale's Python SDK, so that code written for Tornado imports
unchanged: ``import tornado.web`` gives ``gale.web``."""

version = "6.6.1"
version_info = (6, 6, 1, 0)
