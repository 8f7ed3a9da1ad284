"""GeventConnection: pika's callback API on gevent's hub (``pika_fast[gevent]``).

``connection.ioloop`` is a small loop object over the hub with the IOLoop surface
BaseConnection drives; ``ioloop.start()`` blocks the calling greenlet until
``ioloop.stop()``, while the hub runs the connection's watchers and timers.
"""
from __future__ import annotations

import collections
import threading
from typing import Any, Callable, Deque, Dict, Optional

from pika_fast.adapters._optional import require
from pika_fast.adapters.base_connection import BaseConnection
from pika_fast.adapters.utils import nbio_interface
from pika_fast.adapters.utils.selector_ioloop_adapter import SelectorIOServicesAdapter
from pika_fast.connection import Parameters

gevent = require("gevent", "gevent", "GeventConnection")
_gevent_hub = require("gevent.hub", "gevent", "GeventConnection")

__all__ = ["GeventConnection"]


class _GeventIOLoop:
    """The IOLoop surface over a gevent hub; only ``add_callback_threadsafe`` (alias
    ``add_callback``) may be called from other threads."""

    READ = 1   # gevent's own masks
    WRITE = 2
    ERROR = 0  # gevent reports errors as readiness

    def __init__(self, hub: Any = None) -> None:
        self._hub = hub if hub is not None else gevent.get_hub()
        self._watchers: Dict[int, Any] = {}
        self._handlers: Dict[int, Callable[[int, int], None]] = {}
        self._waiter = _gevent_hub.Waiter()
        self._running = False
        self._stop_requested = False
        self._foreign: Deque[Callable[[], None]] = collections.deque()
        self._async = self._hub.loop.async_()
        self._async.start(self._run_foreign)
        self._owner = threading.get_ident()

    # -- lifecycle

    def start(self) -> None:
        """Run the hub until :meth:`stop` (returns at once if a stop is pending)."""
        if self._stop_requested:
            self._stop_requested = False
            return
        self._running = True
        try:
            self._waiter.get()
        finally:
            self._running = False
            self._waiter.clear()

    def stop(self) -> None:
        """Make :meth:`start` return (from a callback, or before start)."""
        if self._running:
            self._waiter.switch(None)
        else:
            self._stop_requested = True

    def close(self) -> None:
        """Release the watchers this loop created (the hub itself stays gevent's)."""
        for watcher in self._watchers.values():
            watcher.close()
        self._watchers.clear()
        self._handlers.clear()
        self._async.close()

    # -- callbacks and timers

    def add_callback_threadsafe(self, callback: Callable[[], None]) -> None:
        """Run ``callback()`` on the hub's thread as soon as possible."""
        if threading.get_ident() == self._owner:
            self._hub.loop.run_callback(callback)
            return
        self._foreign.append(callback)
        self._async.send()

    add_callback = add_callback_threadsafe

    def _run_foreign(self) -> None:
        while self._foreign:
            self._foreign.popleft()()

    def call_later(self, delay: float, callback: Callable[[], None]) -> Any:
        # libev counts a timer from its cached "now", stale by however long the hub
        # was idle or blocked: refresh it, or the timer fires that much too early.
        self._hub.loop.update_now()
        timer = self._hub.loop.timer(max(delay, 0.0))
        timer.start(callback)
        return timer

    def remove_timeout(self, timer: Any) -> None:
        timer.close()

    # -- file descriptors

    def add_handler(self, fd: int, handler: Callable[[int, int], None], events: int) -> None:
        self._handlers[fd] = handler
        self._watch(fd, events)

    def update_handler(self, fd: int, events: int) -> None:
        self._watchers.pop(fd).close()
        self._watch(fd, events)

    def remove_handler(self, fd: int) -> None:
        self._handlers.pop(fd, None)
        watcher = self._watchers.pop(fd, None)
        if watcher is not None:
            watcher.close()

    def _watch(self, fd: int, events: int) -> None:
        watcher = self._hub.loop.io(fd, events or self.READ)
        handler = self._handlers[fd]
        # pass_events: the handler learns which of READ/WRITE fired, not the mask.
        watcher.start(lambda ready: handler(fd, ready), pass_events=True)
        self._watchers[fd] = watcher


class GeventConnection(BaseConnection):
    """A connection driven by gevent's hub (``custom_ioloop``: a loop of this module,
    or a gevent hub)."""

    def __init__(self, parameters: Optional[Parameters] = None,
                 on_open_callback: Optional[Callable[..., None]] = None,
                 on_open_error_callback: Optional[Callable[..., None]] = None,
                 on_close_callback: Optional[Callable[..., None]] = None,
                 custom_ioloop: Any = None,
                 internal_connection_workflow: bool = True) -> None:
        super().__init__(parameters, on_open_callback, on_open_error_callback,
                         on_close_callback, self._make_nbio(custom_ioloop),
                         internal_connection_workflow)

    @classmethod
    def _make_nbio(cls, custom_ioloop: Any) -> nbio_interface.AbstractIOServices:
        if isinstance(custom_ioloop, nbio_interface.AbstractIOServices):
            return custom_ioloop
        if not isinstance(custom_ioloop, _GeventIOLoop):
            custom_ioloop = _GeventIOLoop(custom_ioloop)
        return SelectorIOServicesAdapter(custom_ioloop)


# Names pika's module of the same path also exports; code written against pika imports
# them from here.
import logging  # noqa: E402

from pika_fast.adapters.utils.io_services_utils import check_callback_arg  # noqa: E402,F401
from pika_fast.adapters.utils.nbio_interface import (  # noqa: E402,F401
    AbstractIOReference,
    AbstractIOServices,
)
from pika_fast.adapters.utils.selector_ioloop_adapter import (  # noqa: E402,F401
    AbstractSelectorIOLoop,
)

LOGGER = logging.getLogger(__name__)
