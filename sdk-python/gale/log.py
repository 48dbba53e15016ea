"""Tornado's loggers (``tornado.log``'s ``access_log``, ``app_log`` and ``gen_log``) and the
``logging`` module's root, writing to gale's log: each line is tagged with the plugin's name,
and gale's ``GALE_LOG`` filters them."""

import logging

from gale._host import log as host

__all__ = ["access_log", "app_log", "gen_log"]

_LEVELS = ((logging.ERROR, host.Level.ERROR), (logging.WARNING, host.Level.WARN),
           (logging.INFO, host.Level.INFO))


class _HostHandler(logging.Handler):
    """Hands each record to the host's log at its level."""

    def emit(self, record):
        level = next((ours for floor, ours in _LEVELS if record.levelno >= floor),
                     host.Level.DEBUG)
        host.log(level, self.format(record))


_root = logging.getLogger()
_root.addHandler(_HostHandler())
_root.setLevel(logging.DEBUG)

access_log = logging.getLogger("tornado.access")
app_log = logging.getLogger("tornado.application")
gen_log = logging.getLogger("tornado.general")
