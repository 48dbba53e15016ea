"""Tornado's ``tornado.gen`` for gale plugins, on the plugin's asyncio loop (the host's
timers): ``sleep``, ``multi`` (a list or a dict of awaitables, at once), ``with_timeout``,
and the older ``@gen.coroutine`` with ``yield``."""

import asyncio
import datetime
import functools
import inspect

from gale import _loop

__all__ = ["Return", "TimeoutError", "convert_yielded", "coroutine", "maybe_future", "moment",
           "multi", "multi_future", "sleep", "with_timeout"]

TimeoutError = TimeoutError  # Tornado's is asyncio's, which is the builtin's


class Return(Exception):
    """Ends a ``@gen.coroutine`` with a value: ``raise gen.Return(value)``."""

    def __init__(self, value=None):
        super().__init__()
        self.value = value


def sleep(duration):
    """A Future done after ``duration`` seconds, on the host's timers."""
    return asyncio.ensure_future(asyncio.sleep(duration), loop=_loop.LOOP)


def multi(children, quiet_exceptions=()):
    """Awaits every child at once: a Future of their results, a list for a list and a dict
    (same keys) for a dict. The first exception is raised; later ones are logged unless
    their type is in ``quiet_exceptions``."""
    if isinstance(children, dict):
        keys, awaitables = list(children.keys()), list(children.values())
    else:
        keys, awaitables = None, list(children)
    futures = [convert_yielded(child) for child in awaitables]

    async def gathered():
        results = await asyncio.gather(*futures, return_exceptions=True)
        failures = [result for result in results if isinstance(result, BaseException)]
        for later in failures[1:]:
            if not isinstance(later, quiet_exceptions):
                _loop.LOOP.call_exception_handler(
                    {"message": "Multiple exceptions in yield list", "exception": later})
        if failures:
            raise failures[0]
        return dict(zip(keys, results)) if keys is not None else results

    return asyncio.ensure_future(gathered(), loop=_loop.LOOP)


multi_future = multi


def with_timeout(timeout, future, quiet_exceptions=()):
    """``future``'s result, or ``TimeoutError("Timeout")`` once ``timeout`` passes (an
    ``IOLoop.time()`` deadline, or a ``timedelta`` from now). As Tornado's, the future
    itself is not cancelled."""
    loop = _loop.LOOP
    inner = convert_yielded(future)
    result = loop.create_future()
    if isinstance(timeout, datetime.timedelta):
        deadline = loop.time() + timeout.total_seconds()
    else:
        deadline = timeout

    def expire():
        if not result.done():
            result.set_exception(TimeoutError("Timeout"))

    def copy(done):
        timer.cancel()
        if result.done():
            return
        if done.cancelled():
            result.cancel()
        elif done.exception() is not None:
            result.set_exception(done.exception())
        else:
            result.set_result(done.result())

    timer = loop.call_at(deadline, expire)
    inner.add_done_callback(copy)
    return result


def convert_yielded(yielded):
    """What ``yield`` (or ``await``) in a coroutine waits on, as a Future: a list or dict
    becomes ``multi``, None a finished Future."""
    if yielded is moment:
        return asyncio.ensure_future(asyncio.sleep(0), loop=_loop.LOOP)
    if yielded is None:
        done = _loop.LOOP.create_future()
        done.set_result(None)
        return done
    if isinstance(yielded, (list, dict)):
        return multi(yielded)
    return asyncio.ensure_future(yielded, loop=_loop.LOOP)


def maybe_future(value):
    """``value`` as a Future (done at once unless it is one)."""
    if asyncio.isfuture(value):
        return value
    done = _loop.LOOP.create_future()
    done.set_result(value)
    return done


moment = object()  # ``yield gen.moment``: let other callbacks run


def coroutine(function):
    """Tornado's ``@gen.coroutine``: a generator that ``yield``s futures (or lists, dicts)
    becomes a coroutine; ``return value`` or ``raise gen.Return(value)`` is its result."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        return asyncio.ensure_future(_drive(function, args, kwargs), loop=_loop.LOOP)

    return wrapper


async def _drive(function, args, kwargs):
    try:
        result = function(*args, **kwargs)
    except Return as returned:
        return returned.value
    if inspect.isawaitable(result):
        return await result
    if not inspect.isgenerator(result):
        return result
    sent, thrown = None, None
    while True:
        try:
            yielded = result.throw(thrown) if thrown is not None else result.send(sent)
        except (StopIteration, Return) as finished:
            return finished.value
        try:
            sent, thrown = await convert_yielded(yielded), None
        except Exception as exception:
            sent, thrown = None, exception
