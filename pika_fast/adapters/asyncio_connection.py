"""AsyncioConnection: pika's callback API on an asyncio event loop.

The connection's ``ioloop`` is the asyncio loop itself, as in pika; underneath,
:class:`_AsyncioIOServicesAdapter` gives BaseConnection the I/O services over the
loop's ``add_reader``/``add_writer``, timers and thread-safe calls.
"""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Callable, Optional

from pika_fast.adapters.base_connection import BaseConnection
from pika_fast.adapters.utils import io_services_utils, nbio_interface
from pika_fast.connection import Parameters


if TYPE_CHECKING:
    from typing_extensions import Self

class _TimerHandle(nbio_interface.AbstractTimerReference):
    def __init__(self, handle: asyncio.TimerHandle) -> None:
        self._handle: Optional[asyncio.TimerHandle] = handle

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None


class _FutureHandle(nbio_interface.AbstractIOReference):
    def __init__(self, future: "asyncio.Future[Any]") -> None:
        self._future = future

    def cancel(self) -> bool:
        return self._future.cancel()


class _AsyncioIOServicesAdapter(io_services_utils.SocketConnectionMixin,
                                io_services_utils.StreamingConnectionMixin,
                                nbio_interface.AbstractIOServices,
                                nbio_interface.AbstractFileDescriptorServices):
    """I/O services over an asyncio event loop (``loop``, or a new one)."""

    def __init__(self, loop: Optional[asyncio.AbstractEventLoop] = None) -> None:
        self._own_loop = loop is None
        self._loop = loop if loop is not None else asyncio.new_event_loop()

    def get_native_ioloop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def close(self) -> None:
        if self._own_loop:
            self._loop.close()

    def run(self) -> None:
        self._loop.run_forever()

    def stop(self) -> None:
        self._loop.stop()

    def add_callback_threadsafe(self, callback: Callable[..., None]) -> None:
        io_services_utils.check_callback_arg(callback, "callback")
        self._loop.call_soon_threadsafe(callback)

    def call_later(self, delay: float, callback: Callable[..., None]) -> _TimerHandle:
        io_services_utils.check_callback_arg(callback, "callback")
        return _TimerHandle(self._loop.call_later(delay, callback))

    def getaddrinfo(self, host: str, port: int, on_done: Callable[..., None],
                    family: int = 0, socktype: int = 0, proto: int = 0,
                    flags: int = 0) -> nbio_interface.AbstractIOReference:
        io_services_utils.check_callback_arg(on_done, "on_done")
        future = asyncio.ensure_future(self._loop.getaddrinfo(
            host, port, family=family, type=socktype, proto=proto, flags=flags),
            loop=self._loop)

        def done(fut: "asyncio.Future[Any]") -> None:
            if fut.cancelled():
                return
            error = fut.exception()
            on_done(error if error is not None else fut.result())

        future.add_done_callback(done)
        return _FutureHandle(future)

    def set_reader(self, fd: int, on_readable: Callable[[], None]) -> None:
        io_services_utils.check_fd_arg(fd)
        io_services_utils.check_callback_arg(on_readable, "on_readable")
        self._loop.add_reader(fd, on_readable)

    def remove_reader(self, fd: int) -> bool:
        io_services_utils.check_fd_arg(fd)
        return self._loop.remove_reader(fd)

    def set_writer(self, fd: int, on_writable: Callable[[], None]) -> None:
        io_services_utils.check_fd_arg(fd)
        io_services_utils.check_callback_arg(on_writable, "on_writable")
        self._loop.add_writer(fd, on_writable)

    def remove_writer(self, fd: int) -> bool:
        io_services_utils.check_fd_arg(fd)
        return self._loop.remove_writer(fd)


class AsyncioConnection(BaseConnection):
    """A connection driven by an asyncio event loop (``custom_ioloop``, or the current)."""

    def __init__(self, parameters: Optional[Parameters] = None,
                 on_open_callback: Optional[Callable[[Self], Any]] = None,
                 on_open_error_callback: Optional[Callable[[Self, Exception], Any]] = None,
                 on_close_callback: Optional[Callable[[Self, Exception], Any]] = None,
                 custom_ioloop: Any = None,
                 internal_connection_workflow: bool = True) -> None:
        super().__init__(parameters, on_open_callback, on_open_error_callback,
                         on_close_callback, self._make_nbio(custom_ioloop),
                         internal_connection_workflow)

    @classmethod
    def _make_nbio(cls, custom_ioloop: Any) -> nbio_interface.AbstractIOServices:
        if isinstance(custom_ioloop, nbio_interface.AbstractIOServices):
            return custom_ioloop
        return _AsyncioIOServicesAdapter(custom_ioloop if custom_ioloop is not None
                                         else _current_loop())


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
