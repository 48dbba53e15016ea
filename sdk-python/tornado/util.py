"""``tornado.util``: its ``TimeoutError``, asyncio's (the builtin)."""

TimeoutError = TimeoutError

__all__ = ["TimeoutError"]
