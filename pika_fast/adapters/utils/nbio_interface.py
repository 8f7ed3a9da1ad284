"""The I/O-services seam under ``pika.adapters.utils.nbio_interface``'s names.

An adapter gives :class:`~pika_fast.adapters.base_connection.BaseConnection` one object
implementing :class:`AbstractIOServices` (timers, thread-safe callbacks, name
resolution, socket connect, stream transports) and, where it watches file descriptors
itself, :class:`AbstractFileDescriptorServices`. Everything protocol-related stays in
the connection; a new event loop is a services object plus a thin connection class.
"""
from __future__ import annotations

import abc
import socket
import ssl
from typing import Any, Callable, Optional, Tuple, Union

from pika_fast.compat import AbstractBase


class AbstractIOServices(AbstractBase):
    """What a connection needs from an event loop, besides watching descriptors."""

    @abc.abstractmethod
    def get_native_ioloop(self) -> Any:
        """The loop object the application knows (IOLoop, asyncio loop, ...)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release what the services hold; the native loop may be closed too when
        the services created it."""

    @abc.abstractmethod
    def run(self) -> None:
        """Run the loop until :meth:`stop` is called."""

    @abc.abstractmethod
    def stop(self) -> None:
        """Make :meth:`run` return after the current iteration."""

    @abc.abstractmethod
    def add_callback_threadsafe(self, callback: Callable[..., None]) -> None:
        """Run ``callback()`` on the loop's thread soon; the only call other threads
        may make."""

    @abc.abstractmethod
    def call_later(self, delay: float,
                   callback: Callable[..., None]) -> "AbstractTimerReference":
        """Run ``callback()`` once, ``delay`` seconds from now."""

    @abc.abstractmethod
    def getaddrinfo(self, host: str, port: int, on_done: Callable[..., None],
                    family: int = 0, socktype: int = 0, proto: int = 0,
                    flags: int = 0) -> "AbstractIOReference":
        """Resolve like ``socket.getaddrinfo``, without blocking the loop;
        ``on_done(records or exception)``."""

    @abc.abstractmethod
    def connect_socket(self, sock: socket.socket, resolved_addr: Tuple[str, int],
                       on_done: Callable[[Optional[BaseException]], None]
                       ) -> "AbstractIOReference":
        """Connect a non-blocking socket; ``on_done(None)`` or ``on_done(error)``."""

    @abc.abstractmethod
    def create_streaming_connection(
            self, protocol_factory: Callable[[], "AbstractStreamProtocol"],
            sock: socket.socket,
            on_done: Callable[[Union[BaseException, Tuple["AbstractStreamTransport",
                                                          "AbstractStreamProtocol"]]], None],
            ssl_context: Optional[ssl.SSLContext] = None,
            server_hostname: Optional[str] = None) -> "AbstractIOReference":
        """Wrap a connected socket (TLS first when ``ssl_context`` is given) in a
        transport linked to a new protocol; ``on_done((transport, protocol))`` or
        ``on_done(error)``."""


class AbstractFileDescriptorServices(AbstractBase):
    """Readiness callbacks on file descriptors (selector-style loops)."""

    @abc.abstractmethod
    def set_reader(self, fd: int, on_readable: Callable[[], None]) -> None:
        """Call ``on_readable()`` whenever ``fd`` is readable (replaces any earlier)."""

    @abc.abstractmethod
    def remove_reader(self, fd: int) -> bool:
        """Stop watching ``fd`` for reading; False if it was not watched."""

    @abc.abstractmethod
    def set_writer(self, fd: int, on_writable: Callable[[], None]) -> None:
        """Call ``on_writable()`` whenever ``fd`` is writable (replaces any earlier)."""

    @abc.abstractmethod
    def remove_writer(self, fd: int) -> bool:
        """Stop watching ``fd`` for writing; False if it was not watched."""


class AbstractTimerReference(AbstractBase):
    """A timer made by :meth:`AbstractIOServices.call_later`."""

    @abc.abstractmethod
    def cancel(self) -> None:
        """Stop the timer; harmless after it fired or was cancelled."""


class AbstractIOReference(AbstractBase):
    """An asynchronous operation in progress (resolve, connect, TLS setup)."""

    @abc.abstractmethod
    def cancel(self) -> bool:
        """Abandon the operation; its ``on_done`` is not called. False when it had
        already finished."""


class AbstractStreamProtocol(AbstractBase):
    """The receiving side of a stream transport (a connection implements it)."""

    @abc.abstractmethod
    def connection_made(self, transport: "AbstractStreamTransport") -> None:
        """The transport is ready; keep it to write."""

    @abc.abstractmethod
    def connection_lost(self, error: Optional[BaseException]) -> None:
        """The stream ended: ``None`` after an ``abort()`` asked for, else why."""

    @abc.abstractmethod
    def eof_received(self) -> Optional[bool]:
        """The peer closed its side; a false return makes the transport end."""

    @abc.abstractmethod
    def data_received(self, data: bytes) -> None:
        """Bytes arrived."""


class AbstractStreamTransport(AbstractBase):
    """A connected byte stream (plain TCP or TLS)."""

    @abc.abstractmethod
    def abort(self) -> None:
        """Close at once, dropping unsent data; ``connection_lost(None)`` follows."""

    @abc.abstractmethod
    def get_protocol(self) -> AbstractStreamProtocol:
        """The protocol this transport feeds."""

    @abc.abstractmethod
    def write(self, data: bytes) -> None:
        """Queue ``data``; it is sent as the socket accepts it."""

    @abc.abstractmethod
    def get_write_buffer_size(self) -> int:
        """Bytes queued and not yet sent."""
