"""I/O services over any selector-style loop, under
``pika.adapters.utils.selector_ioloop_adapter``'s names.

A loop with pika's IOLoop surface (``add_handler``/``update_handler``/``remove_handler``
with READ/WRITE/ERROR masks, ``call_later``/``remove_timeout``, ``add_callback``,
``start``/``stop``/``close``) becomes full :mod:`nbio_interface` services here: pika_fast's
own IOLoop, tornado's IOLoop and the gevent adapter's loop all go through this one class.
"""
from __future__ import annotations

import abc
import socket
import threading
from typing import Any, Callable, Dict, Optional

from pika_fast.adapters.utils import nbio_interface
from pika_fast.adapters.utils.io_services_utils import (
    SocketConnectionMixin,
    StreamingConnectionMixin,
    check_callback_arg,
    check_fd_arg,
)


class AbstractSelectorIOLoop:
    """The loop surface :class:`SelectorIOServicesAdapter` needs (pika's IOLoop, tornado's)."""

    @property
    @abc.abstractmethod
    def READ(self) -> int:  # noqa: N802 - pika's name
        """The readable event mask."""

    @property
    @abc.abstractmethod
    def WRITE(self) -> int:  # noqa: N802
        """The writable event mask."""

    @property
    @abc.abstractmethod
    def ERROR(self) -> int:  # noqa: N802
        """The error event mask."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the loop's resources."""

    @abc.abstractmethod
    def start(self) -> None:
        """Run until :meth:`stop`."""

    @abc.abstractmethod
    def stop(self) -> None:
        """Make :meth:`start` return."""

    @abc.abstractmethod
    def call_later(self, delay: float, callback: Callable[..., Any]) -> object:
        """Call ``callback()`` once after ``delay`` seconds; return a handle."""

    @abc.abstractmethod
    def remove_timeout(self, timeout_handle: Any) -> None:
        """Cancel a ``call_later`` timer."""

    @abc.abstractmethod
    def add_callback(self, callback: Callable[..., Any]) -> None:
        """Call ``callback()`` on the loop's thread soon; safe from any thread."""

    @abc.abstractmethod
    def add_handler(self, fd: int, handler: Callable[[int, int], None], events: int) -> None:
        """Watch ``fd`` for ``events``; ``handler(fd, events)`` on readiness."""

    @abc.abstractmethod
    def update_handler(self, fd: int, events: int) -> None:
        """Change the events watched on ``fd``."""

    @abc.abstractmethod
    def remove_handler(self, fd: int) -> None:
        """Stop watching ``fd``."""


class _TimerHandle(nbio_interface.AbstractTimerReference):
    def __init__(self, handle: Any, loop: Any) -> None:
        self._handle = handle
        self._loop = loop

    def cancel(self) -> None:
        if self._loop is not None:
            self._loop.remove_timeout(self._handle)
            self._handle = self._loop = None


class _FdCallbacks:
    __slots__ = ("reader", "writer")

    def __init__(self) -> None:
        self.reader: Optional[Callable[[], None]] = None
        self.writer: Optional[Callable[[], None]] = None


class _ResolveHandle(nbio_interface.AbstractIOReference):
    """A name resolution running on a helper thread; the result comes back through
    the loop's thread-safe callback."""

    def __init__(self, services: "SelectorIOServicesAdapter", host: str, port: int,
                 on_done: Callable[..., None], args: tuple, start: bool = True) -> None:
        self._services = services
        self._on_done = on_done
        self._cancelled = False
        self._finished = False
        if start:
            thread = threading.Thread(target=self._resolve, args=(host, port) + args,
                                      name="pika_fast-getaddrinfo", daemon=True)
            thread.start()

    @classmethod
    def settled(cls, services: "SelectorIOServicesAdapter", records: Any,
                on_done: Callable[..., None]) -> "_ResolveHandle":
        """Already resolved: ``on_done`` still runs from the loop, never inline."""
        handle = cls(services, "", 0, on_done, (), start=False)
        services.add_callback_threadsafe(lambda: handle._deliver(records))
        return handle

    def _resolve(self, host: str, port: int, *args: Any) -> None:
        try:
            result: Any = socket.getaddrinfo(host, port, *args)
        except Exception as exc:  # noqa: BLE001 - handed to on_done
            result = exc
        try:
            self._services.add_callback_threadsafe(lambda: self._deliver(result))
        except Exception:  # noqa: BLE001 - the loop went away meanwhile
            pass

    def _deliver(self, result: Any) -> None:
        if not self._cancelled:
            self._finished = True
            self._on_done(result)

    def cancel(self) -> bool:
        if self._cancelled or self._finished:
            return False
        self._cancelled = True
        return True


class SelectorIOServicesAdapter(SocketConnectionMixin, StreamingConnectionMixin,
                                nbio_interface.AbstractIOServices,
                                nbio_interface.AbstractFileDescriptorServices):
    """:mod:`nbio_interface` services over a selector-style loop."""

    def __init__(self, native_loop: AbstractSelectorIOLoop) -> None:
        self._loop = native_loop
        self._fds: Dict[int, _FdCallbacks] = {}
        self._read = native_loop.READ
        self._write = native_loop.WRITE
        self._error = native_loop.ERROR

    def get_native_ioloop(self) -> AbstractSelectorIOLoop:
        return self._loop

    def close(self) -> None:
        self._loop.close()

    def run(self) -> None:
        self._loop.start()

    def stop(self) -> None:
        self._loop.stop()

    def add_callback_threadsafe(self, callback: Callable[..., None]) -> None:
        check_callback_arg(callback, "callback")
        self._loop.add_callback(callback)

    def call_later(self, delay: float, callback: Callable[..., None]) -> _TimerHandle:
        check_callback_arg(callback, "callback")
        return _TimerHandle(self._loop.call_later(delay, callback), self._loop)

    def getaddrinfo(self, host: str, port: int, on_done: Callable[..., None],
                    family: int = 0, socktype: int = 0, proto: int = 0,
                    flags: int = 0) -> nbio_interface.AbstractIOReference:
        check_callback_arg(on_done, "on_done")
        try:
            # A numeric address needs no lookup: no helper thread for it.
            records = socket.getaddrinfo(host, port, family, socktype, proto,
                                         flags | socket.AI_NUMERICHOST)
        except (socket.gaierror, UnicodeError):
            return _ResolveHandle(self, host, port, on_done, (family, socktype, proto, flags))
        return _ResolveHandle.settled(self, records, on_done)

    # ------------------------------------------------------ fd services

    def _events(self, callbacks: _FdCallbacks) -> int:
        events = 0
        if callbacks.reader is not None:
            events |= self._read | self._error
        if callbacks.writer is not None:
            events |= self._write
        return events

    def _on_fd_events(self, fd: int, events: int) -> None:
        callbacks = self._fds.get(fd)
        if callbacks is None:
            return
        # An error is reported to whichever side is watching, which then meets it in
        # its own recv/send/getsockopt.
        if events & (self._read | self._error) and callbacks.reader is not None:
            callbacks.reader()
            callbacks = self._fds.get(fd)  # type: ignore[assignment]
            if callbacks is None:
                return
        if events & (self._write | self._error) and callbacks.writer is not None:
            callbacks.writer()

    def _set(self, fd: int, reader: bool, callback: Callable[[], None]) -> None:
        check_fd_arg(fd)
        check_callback_arg(callback, "on_readable" if reader else "on_writable")
        callbacks = self._fds.get(fd)
        if callbacks is None:
            callbacks = self._fds[fd] = _FdCallbacks()
            if reader:
                callbacks.reader = callback
            else:
                callbacks.writer = callback
            self._loop.add_handler(fd, self._on_fd_events, self._events(callbacks))
            return
        before = self._events(callbacks)
        if reader:
            callbacks.reader = callback
        else:
            callbacks.writer = callback
        after = self._events(callbacks)
        if after != before:
            self._loop.update_handler(fd, after)

    def _remove(self, fd: int, reader: bool) -> bool:
        check_fd_arg(fd)
        callbacks = self._fds.get(fd)
        if callbacks is None or (callbacks.reader if reader else callbacks.writer) is None:
            return False
        if reader:
            callbacks.reader = None
        else:
            callbacks.writer = None
        events = self._events(callbacks)
        if events:
            self._loop.update_handler(fd, events)
        else:
            del self._fds[fd]
            self._loop.remove_handler(fd)
        return True

    def set_reader(self, fd: int, on_readable: Callable[[], None]) -> None:
        self._set(fd, True, on_readable)

    def remove_reader(self, fd: int) -> bool:
        return self._remove(fd, True)

    def set_writer(self, fd: int, on_writable: Callable[[], None]) -> None:
        self._set(fd, False, on_writable)

    def remove_writer(self, fd: int) -> bool:
        return self._remove(fd, False)


# Names pika's module of the same path also exports; code written against pika imports
# them from here.
import logging  # noqa: E402

LOGGER = logging.getLogger(__name__)
