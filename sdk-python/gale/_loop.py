"""The plugin's asyncio event loop, driven by the host's, as Tornado's IOLoop runs coroutines.

A plugin has no loop of its own to block in: the host calls ``dispatch`` for one request's
stage, and the stage runs that request's ready callbacks until none is left. Timers
(``call_later``, ``asyncio.sleep``) and fetches are *handles* the host keeps; when the stage
can go no further it returns ``waiting``, and the host resumes it with the handles that are
done. componentize-py's own loop raises ``NotImplementedError`` for ``call_later`` and
``time``: this one has them, on the host's timers.

In a shared instance many requests wait at once. Each request's tasks run in a context that
names it (``REQUEST``), and a stage runs only its own request's callbacks: the host's calls
then always act on the request whose stage runs. A callback a stage made ready for another
request (it resolved a future that one awaits) waits for that request's stage, which the
host runs when told (``woken``).
"""

import asyncio
import collections
import contextvars
import traceback

from gale._host import Err, error
from gale._host import timers as host_timers

REQUEST = contextvars.ContextVar("gale_request", default=None)


class _Timer(asyncio.TimerHandle):
    """A timer on the host's: ``gale`` is its (request id, host handle)."""

    __slots__ = ("gale",)


class _Loop(asyncio.AbstractEventLoop):
    """The asyncio loop of a plugin instance: ready callbacks by request, timers on the
    host's."""

    def __init__(self):
        self._ready = {}  # request id (None: no request) -> deque of Handles
        self._timers = {}  # (request id, host handle) -> TimerHandle
        self._fetches = {}  # (request id, host handle) -> callback(outcome)
        self._tasks = collections.defaultdict(set)  # request id -> its unfinished tasks
        self._exception_handler = None
        self.dispatching = None  # the request whose stage runs

    # What asyncio's futures, tasks, sleep, gather and wait_for ask of a loop.
    def time(self):
        return host_timers.now()

    def call_soon(self, callback, *args, context=None):
        handle = asyncio.Handle(callback, args, self, context)
        request = REQUEST.get() if context is None else context.get(REQUEST)
        self._ready.setdefault(request, collections.deque()).append(handle)
        return handle

    call_soon_threadsafe = call_soon

    def call_later(self, delay, callback, *args, context=None):
        return self.call_at(self.time() + delay, callback, *args, context=context)

    def call_at(self, when, callback, *args, context=None):
        try:
            handle = host_timers.sleep(max(0.0, when - self.time()))
        except Err as refused:
            raise RuntimeError(refused.value.value) from None
        timer = _Timer(when, callback, args, self, context)
        timer._scheduled = True
        timer.gale = (self.dispatching, handle)
        self._timers[timer.gale] = timer
        return timer

    def _timer_handle_cancelled(self, timer):
        if self._timers.pop(timer.gale, None) is not None:
            host_timers.cancel(timer.gale[1])

    def create_future(self):
        return asyncio.Future(loop=self)

    def create_task(self, coro, *, name=None, context=None, **kwargs):
        task = asyncio.Task(coro, loop=self, name=name, context=context, **kwargs)
        request = REQUEST.get() if context is None else context.get(REQUEST)
        tasks = self._tasks[request]
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        return task

    def get_debug(self):
        return False

    def is_running(self):
        return self.dispatching is not None

    def is_closed(self):
        return False

    def get_exception_handler(self):
        return self._exception_handler

    def set_exception_handler(self, handler):
        self._exception_handler = handler

    def call_exception_handler(self, context):
        if self._exception_handler is not None:
            self._exception_handler(self, context)
        else:
            self.default_exception_handler(context)

    def default_exception_handler(self, context):
        """Logs what no coroutine caught, as asyncio's default handler does."""
        message = context.get("message", "Unhandled exception in event loop")
        exception = context.get("exception")
        if exception is not None:
            trace = "".join(traceback.format_exception(exception)).rstrip()
            message = "%s\n%s" % (message, trace)
        error(message)

    # What the stages ask of it.
    def run(self, request):
        """Runs ``request``'s ready callbacks (and those of no request) until none is left."""
        previous = asyncio._get_running_loop()
        asyncio._set_running_loop(self)
        self.dispatching = request
        try:
            while True:
                queue = self._ready.get(None) or self._ready.get(request)
                if not queue:
                    break
                handle = queue.popleft()
                if not handle._cancelled:
                    handle._run()
        finally:
            self.dispatching = None
            asyncio._set_running_loop(previous)
            for key in (None, request):
                if not self._ready.get(key, True):
                    del self._ready[key]

    def fetching(self, handle, settle):
        """Calls ``settle(outcome)`` when the host says the fetch ``handle`` is done."""
        self._fetches[(self.dispatching, handle)] = settle

    def forget_fetch(self, handle):
        self._fetches.pop((self.dispatching, handle), None)

    def resume(self, request, done):
        """Readies what waited on the host handles ``done`` of ``request``."""
        for handle in done:
            timer = self._timers.pop((request, handle), None)
            if timer is not None:
                timer._scheduled = False
                request_of = timer._context.get(REQUEST) if timer._context else request
                self._ready.setdefault(request_of, collections.deque()).append(timer)
            settle = self._fetches.pop((request, handle), None)
            if settle is not None:
                self.dispatching = request
                try:
                    settle()
                finally:
                    self.dispatching = None

    def woken(self, request):
        """Other requests with ready callbacks: a stage of ``request`` resolved something
        they await."""
        if not self._ready:
            return []
        return [other for other, queue in self._ready.items()
                if queue and other is not None and other != request]

    def forget(self, request):
        """``request`` is over: its unfinished tasks are cancelled (their ``finally``
        blocks run now), and what it waited on is dropped."""
        tasks = self._tasks.pop(request, ())
        for task in list(tasks):
            task.cancel()
        if tasks:
            self.run(request)
        self._ready.pop(request, None)
        # (Most requests waited on nothing: skip the scans.)
        for held in (self._timers, self._fetches):
            if held:
                for key in [key for key in held if key[0] == request]:
                    del held[key]
        self._tasks.pop(request, None)


LOOP = _Loop()

_parked = [False]


def note_parked():
    """The running stage parked its request (``wait_for_messages``): its handler goes."""
    _parked[0] = True


def take_parked():
    """Whether the stage that just ran parked its request (and forgets it)."""
    parked, _parked[0] = _parked[0], False
    return parked


def start(request, awaitable):
    """Runs ``awaitable`` as ``request``'s task, as far as it goes now: its task."""
    context = contextvars.copy_context()
    context.run(REQUEST.set, request)
    if asyncio.iscoroutine(awaitable):
        coroutine = awaitable
    else:
        coroutine = _awaiting(awaitable)
    task = LOOP.create_task(coroutine, context=context)
    LOOP.run(request)
    return task


async def _awaiting(awaitable):
    return await awaitable
