"""Tornado's ``tornado.util``: the small helpers its template module and plugins use."""

TimeoutError = TimeoutError  # asyncio's, the builtin, as Tornado's since 6.0

unicode_type = str

__all__ = ["ObjectDict", "TimeoutError", "exec_in", "unicode_type"]


class ObjectDict(dict):
    """A dictionary whose keys are also attributes: ``d.name`` is ``d["name"]``."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name, value):
        self[name] = value


def exec_in(code, glob, loc=None):
    """Runs ``code`` (source or compiled) in the namespace ``glob``, without inheriting the
    caller's ``__future__`` imports."""
    if isinstance(code, str):
        code = compile(code, "<string>", "exec", dont_inherit=True)
    exec(code, glob, loc)
