"""``tornado.options``: ``define`` and ``options.NAME`` give each option its default;
``parse_command_line`` reads nothing (gale's own flags configure the server)."""

__all__ = ["define", "options", "parse_command_line"]


class _Options(dict):
    __getattr__ = dict.__getitem__

    def parse_command_line(self, args=None, final=True):
        """Reads nothing: a plugin has no command line."""
        return []


options = _Options()


def define(name, default=None, type=None, help=None, metavar=None, multiple=False,
           group=None, callback=None):
    """Declares option ``name`` with its default."""
    options[name] = default


parse_command_line = options.parse_command_line
