"""AsyncioConnection: pika's callback API on an asyncio event loop.

The connection's ``ioloop`` is the asyncio loop itself, as in pika; underneath, a small
adapter gives BaseConnection the handler/timer surface it drives (add_reader/add_writer
and call_later).
"""
from __future__ import annotations

import asyncio
from typing import Any, Callable, Dict, Optional

from pika_fast.adapters.base_connection import BaseConnection
from pika_fast.connection import Parameters


class _AsyncioServices:
    """The IOLoop surface BaseConnection uses, over an asyncio event loop."""

    READ = 0x0001
    WRITE = 0x0004
    ERROR = 0x0008

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._handlers: Dict[int, Any] = {}
        self._events: Dict[int, int] = {}

    def call_later(self, delay: float, callback: Callable[[], None]) -> asyncio.TimerHandle:
        return self.loop.call_later(delay, callback)

    def remove_timeout(self, handle: asyncio.TimerHandle) -> None:
        handle.cancel()

    def add_handler(self, fd: int, handler: Callable[[int, int], None], events: int) -> None:
        self._handlers[fd] = handler
        self._events[fd] = 0
        self.update_handler(fd, events)

    def update_handler(self, fd: int, events: int) -> None:
        old = self._events[fd]
        handler = self._handlers[fd]
        if (events & self.READ) and not (old & self.READ):
            self.loop.add_reader(fd, handler, fd, self.READ)
        elif (old & self.READ) and not (events & self.READ):
            self.loop.remove_reader(fd)
        if (events & self.WRITE) and not (old & self.WRITE):
            self.loop.add_writer(fd, handler, fd, self.WRITE)
        elif (old & self.WRITE) and not (events & self.WRITE):
            self.loop.remove_writer(fd)
        self._events[fd] = events

    def remove_handler(self, fd: int) -> None:
        if self._handlers.pop(fd, None) is None:
            return
        self._events.pop(fd, None)
        self.loop.remove_reader(fd)
        self.loop.remove_writer(fd)


class AsyncioConnection(BaseConnection):
    """A connection driven by an asyncio event loop (``custom_ioloop``, or the current)."""

    def __init__(self, parameters: Optional[Parameters] = None,
                 on_open_callback: Optional[Callable[..., None]] = None,
                 on_open_error_callback: Optional[Callable[..., None]] = None,
                 on_close_callback: Optional[Callable[..., None]] = None,
                 custom_ioloop: Optional[asyncio.AbstractEventLoop] = None,
                 internal_connection_workflow: bool = True) -> None:
        loop = custom_ioloop if custom_ioloop is not None else _current_loop()
        super().__init__(parameters, on_open_callback, on_open_error_callback,
                         on_close_callback, _AsyncioServices(loop),
                         internal_connection_workflow)

    @property
    def ioloop(self) -> asyncio.AbstractEventLoop:
        """The asyncio event loop, as in pika."""
        return self._ioloop.loop


def _current_loop() -> asyncio.AbstractEventLoop:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        pass
    try:
        return asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        return loop


# Names pika's module of the same path also exports; code written against pika imports
# them from here.
import logging  # noqa: E402

LOGGER = logging.getLogger(__name__)
