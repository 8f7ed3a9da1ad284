"""Socket connect and stream transports shared by every selector-style adapter, under
``pika.adapters.utils.io_services_utils``'s names.

This module holds the one implementation of non-blocking connect, the TLS handshake,
reads, partial sends and receive errors; the select, asyncio, tornado and gevent
adapters and BlockingConnection all use it through their I/O services.

The transport also has a *pull* side pika's lacks: a connection can hand it a function
that yields the protocol core's pending output (:meth:`_StreamTransport.set_output_source`)
and say when there is some (:meth:`_StreamTransport.want_write`). Output then stays in
the core's buffer until the socket is writable, so a burst of publishes leaves in one
``sendmsg``; :meth:`_StreamTransport.flush_blocking` writes it all at once for the
blocking adapter.
"""
from __future__ import annotations

import collections
import errno
import itertools
import logging
import select
import socket
import ssl
import time
from typing import Any, Callable, Deque, List, Optional, Tuple, Union

from pika_fast import exceptions
from pika_fast.adapters.utils import nbio_interface

LOGGER = logging.getLogger(__name__)

_RECV_SIZE = 131072
_READS_PER_EVENT = 8  # bounded, so one busy socket cannot starve timers and others
_SENDMSG_MAX = 512  # buffers per sendmsg call (below every platform's IOV_MAX)
_WOULD_BLOCK = (errno.EAGAIN, errno.EWOULDBLOCK, errno.EINTR)
_HAVE_SENDMSG = hasattr(socket.socket, "sendmsg")


def check_callback_arg(callback: Any, name: str) -> None:
    """Raise TypeError unless ``callback`` is callable."""
    if not callable(callback):
        raise TypeError(f"{name} must be callable, but got {callback!r}")


def check_fd_arg(fd: int) -> None:
    """Raise TypeError unless ``fd`` is a non-negative int (a file descriptor)."""
    if not isinstance(fd, int) or isinstance(fd, bool) or fd < 0:
        raise TypeError(f"Paramter must be a file descriptor, but got {fd!r}")


class _Handle(nbio_interface.AbstractIOReference):
    """Cancels an operation in progress (connect, TLS handshake)."""

    def __init__(self, cancel: Callable[[], bool]) -> None:
        self._cancel = cancel

    def cancel(self) -> bool:
        return self._cancel()


class SocketConnectionMixin:
    """``connect_socket`` for I/O services that also offer fd watching."""

    def connect_socket(self, sock: socket.socket, resolved_addr: Tuple[str, int],
                       on_done: Callable[[Optional[BaseException]], None]
                       ) -> nbio_interface.AbstractIOReference:
        """Start a non-blocking connect; ``on_done(None)`` once connected, or
        ``on_done(error)``. Errors are reported from the loop, never raised here."""
        check_callback_arg(on_done, "on_done")
        return _SocketConnector(self, sock, resolved_addr, on_done).start()


class _SocketConnector:
    def __init__(self, nbio: Any, sock: socket.socket, address: Tuple[str, int],
                 on_done: Callable[[Optional[BaseException]], None]) -> None:
        self._nbio = nbio
        self._sock = sock
        self._address = address
        self._on_done = on_done
        self._fd = sock.fileno()
        self._watching = False
        self._finished = False

    def start(self) -> _Handle:
        try:
            self._sock.setblocking(False)
            err = self._sock.connect_ex(self._address)
        except OSError as exc:
            self._finish_soon(exc)
            return _Handle(self._cancel)
        if err in (0, errno.EISCONN):
            self._finish_soon(None)
        elif err in (errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY):
            self._watching = True
            self._nbio.set_writer(self._fd, self._on_writable)
        else:
            self._finish_soon(_os_error(err))
        return _Handle(self._cancel)

    def _finish_soon(self, error: Optional[BaseException]) -> None:
        # on_done never runs inside connect_socket itself (the caller's state may not
        # be ready yet), as in pika.
        self._nbio.add_callback_threadsafe(lambda: self._finish(error))

    def _on_writable(self) -> None:
        err = self._sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        self._finish(_os_error(err) if err else None)

    def _finish(self, error: Optional[BaseException]) -> None:
        if self._finished:
            return
        self._finished = True
        self._unwatch()
        self._on_done(error)

    def _unwatch(self) -> None:
        if self._watching:
            self._watching = False
            self._nbio.remove_writer(self._fd)

    def _cancel(self) -> bool:
        if self._finished:
            return False
        self._finished = True
        self._unwatch()
        return True


def _os_error(err: int) -> OSError:
    if err == errno.ECONNREFUSED:
        return ConnectionRefusedError(err, "Connection refused")
    return OSError(err, errno.errorcode.get(err, "connect failed"))


class StreamingConnectionMixin:
    """``create_streaming_connection`` for I/O services that also offer fd watching."""

    def create_streaming_connection(
            self, protocol_factory: Callable[[], nbio_interface.AbstractStreamProtocol],
            sock: socket.socket,
            on_done: Callable[[Union[Tuple[nbio_interface.AbstractStreamTransport,
                                           nbio_interface.AbstractStreamProtocol],
                                     BaseException]], None],
            ssl_context: Optional[ssl.SSLContext] = None,
            server_hostname: Optional[str] = None) -> nbio_interface.AbstractIOReference:
        """Wrap a connected socket in a transport (after a TLS handshake when
        ``ssl_context`` is given) and link it to ``protocol_factory()``. A TLS failure
        reaches ``on_done`` as :class:`~pika_fast.exceptions.TLSSetupError`."""
        check_callback_arg(protocol_factory, "protocol_factory")
        check_callback_arg(on_done, "on_done")
        return _StreamConnector(self, protocol_factory, sock, on_done, ssl_context,
                                server_hostname).start()


class _StreamConnector:
    def __init__(self, nbio: Any, protocol_factory: Callable[[], Any], sock: socket.socket,
                 on_done: Callable[[Any], None], ssl_context: Optional[ssl.SSLContext],
                 server_hostname: Optional[str]) -> None:
        self._nbio = nbio
        self._protocol_factory = protocol_factory
        self._sock: Any = sock
        self._on_done = on_done
        self._ssl_context = ssl_context
        self._server_hostname = server_hostname
        self._fd = sock.fileno()
        self._reading = self._writing = False
        self._finished = False

    def start(self) -> _Handle:
        self._sock.setblocking(False)
        if self._ssl_context is None:
            self._nbio.add_callback_threadsafe(self._link)
            return _Handle(self._cancel)
        try:
            self._sock = self._ssl_context.wrap_socket(
                self._sock, server_hostname=self._server_hostname,
                do_handshake_on_connect=False)
        except (OSError, ValueError) as exc:
            error = exceptions.TLSSetupError.wrap(exc)
            self._nbio.add_callback_threadsafe(lambda: self._fail(error))
            return _Handle(self._cancel)
        self._nbio.add_callback_threadsafe(self._handshake)
        return _Handle(self._cancel)

    def _watch(self, read: bool, write: bool) -> None:
        if read != self._reading:
            if read:
                self._nbio.set_reader(self._fd, self._handshake)
            else:
                self._nbio.remove_reader(self._fd)
            self._reading = read
        if write != self._writing:
            if write:
                self._nbio.set_writer(self._fd, self._handshake)
            else:
                self._nbio.remove_writer(self._fd)
            self._writing = write

    def _handshake(self) -> None:
        if self._finished:
            return
        try:
            self._sock.do_handshake()
        except ssl.SSLWantReadError:
            self._watch(read=True, write=False)
            return
        except ssl.SSLWantWriteError:
            self._watch(read=False, write=True)
            return
        except (OSError, ValueError) as exc:
            self._fail(exceptions.TLSSetupError.wrap(exc))
            return
        self._watch(read=False, write=False)
        self._link()

    def _link(self) -> None:
        if self._finished:
            return
        self._finished = True
        try:
            protocol = self._protocol_factory()
            transport = _StreamTransport(self._nbio, self._sock, protocol)
            protocol.connection_made(transport)
        except BaseException as exc:  # noqa: BLE001 - reported to on_done, as pika
            LOGGER.exception("Linking the stream to its protocol failed: %r", exc)
            self._on_done(exc)
            return
        transport.start_reading()
        self._on_done((transport, protocol))

    def _fail(self, error: BaseException) -> None:
        if self._finished:
            return
        self._finished = True
        self._watch(read=False, write=False)
        self._on_done(error)

    def _cancel(self) -> bool:
        if self._finished:
            return False
        self._finished = True
        self._watch(read=False, write=False)
        return True


class _StreamTransport(nbio_interface.AbstractStreamTransport):
    """A plain or TLS socket stream over fd-watching I/O services."""

    def __init__(self, nbio: Any, sock: Any, protocol: Any) -> None:
        self._nbio = nbio
        self._sock: Any = sock
        self._fd = sock.fileno()
        self._protocol = protocol
        self._tls = isinstance(sock, ssl.SSLSocket)
        self._pending: Deque[memoryview] = collections.deque()
        self._pending_bytes = 0
        self._take_output: Optional[Callable[[], List[Any]]] = None
        self._writer_armed = False
        self._reading = False
        self._closed = False

    # ------------------------------------------------------------ contract

    def get_protocol(self) -> Any:
        return self._protocol

    def get_write_buffer_size(self) -> int:
        return self._pending_bytes

    def write(self, data: bytes) -> None:
        if self._closed:
            raise exceptions.StreamLostError("write on a closed transport")
        if data:
            view = memoryview(data)
            self._pending.append(view)
            self._pending_bytes += view.nbytes
            self.want_write()

    def abort(self) -> None:
        if self._close():
            self._protocol.connection_lost(None)

    # ------------------------------------------------------- pull output

    def set_output_source(self, take_output: Callable[[], List[Any]]) -> None:
        """Where :meth:`want_write` finds output: a function returning the buffers to
        send (ownership passes to the transport)."""
        self._take_output = take_output

    def want_write(self) -> None:
        """There is output: send it when the socket is writable."""
        if not self._writer_armed and not self._closed:
            self._writer_armed = True
            self._nbio.set_writer(self._fd, self._on_writable)

    def send_now(self) -> bool:
        """Send what the socket accepts without waiting; True when nothing is left."""
        if self._closed:
            return True
        done = self._send()
        if done and self._writer_armed:
            self._writer_armed = False
            self._nbio.remove_writer(self._fd)
        elif not done:
            self.want_write()
        return done

    def flush_blocking(self, deadline: Optional[float] = None) -> bool:
        """Send everything, waiting for the socket while it is full (BlockingConnection).

        Returns False if ``deadline`` (monotonic) passed first or the stream ended."""
        if self._send():
            if self._writer_armed:
                self._writer_armed = False
                self._nbio.remove_writer(self._fd)
            return True
        waiter = select.poll()
        while not self._closed:
            waiter.register(self._fd, select.POLLOUT)
            timeout_ms = -1 if deadline is None else \
                max(0, int((deadline - time.monotonic()) * 1000))
            ready = waiter.poll(timeout_ms)
            waiter.unregister(self._fd)
            if not ready and deadline is not None and time.monotonic() >= deadline:
                return False
            if self._send():
                if self._writer_armed:
                    self._writer_armed = False
                    self._nbio.remove_writer(self._fd)
                return True
        return False

    @property
    def fileno(self) -> int:
        return self._fd

    @property
    def socket(self) -> Any:
        """The socket (None once closed)."""
        return None if self._closed else self._sock

    @property
    def has_pending(self) -> bool:
        """Bytes taken for sending and not all sent (a frame may be half out)."""
        return bool(self._pending)

    # ------------------------------------------------------------- internals

    def start_reading(self) -> None:
        if not self._reading and not self._closed:
            self._reading = True
            self._nbio.set_reader(self._fd, self._on_readable)

    def _on_readable(self) -> None:
        sock = self._sock
        for _ in range(_READS_PER_EVENT):
            if self._closed:
                return
            try:
                data = sock.recv(_RECV_SIZE)
            except (BlockingIOError, InterruptedError, ssl.SSLWantReadError,
                    ssl.SSLWantWriteError):
                return
            except OSError as exc:
                if exc.errno in _WOULD_BLOCK:
                    return
                self._lost(exceptions.StreamLostError(f"Stream connection lost: {exc!r}"))
                return
            if not data:
                if not self._protocol.eof_received():
                    self._lost(exceptions.StreamLostError("Transport indicated EOF"))
                return
            try:
                self._protocol.data_received(data)
            except Exception as exc:  # noqa: BLE001 - a user callback raised
                # As pika: the stream is aborted and the close callbacks are told.
                LOGGER.exception("Exception while processing received data: %r", exc)
                self._lost(exceptions.StreamLostError(f"Stream connection lost: {exc!r}"))
                return
            if len(data) < _RECV_SIZE and not (self._tls and sock.pending()):
                return

    def _on_writable(self) -> None:
        if not self._closed:
            self.send_now()

    def _send(self) -> bool:
        """Send until done or the socket is full; True when nothing is left."""
        pending = self._pending
        take_output = self._take_output
        sock = self._sock
        if take_output is not None:
            buffers = take_output()
            if not pending and len(buffers) == 1:
                # The common case (one publish, a batch of acks): one send, no bookkeeping
                # unless the socket takes only part of it.
                buffer = buffers[0]
                try:
                    sent = sock.send(buffer)
                except OSError:
                    sent = 0  # the general path below sends again and tells errors apart
                else:
                    size = buffer.nbytes if isinstance(buffer, memoryview) else len(buffer)
                    if sent == size:
                        return True
                buffers = [memoryview(buffer)[sent:]]
            for buffer in buffers:
                view = memoryview(buffer)
                pending.append(view)
                self._pending_bytes += view.nbytes
        try:
            while pending:
                if self._tls or not _HAVE_SENDMSG:
                    sent = sock.send(pending[0])
                else:
                    sent = sock.sendmsg(itertools.islice(pending, _SENDMSG_MAX))
                self._pending_bytes -= sent
                while sent:
                    head = pending[0]
                    if sent >= head.nbytes:
                        sent -= head.nbytes
                        pending.popleft()
                    else:
                        pending[0] = head[sent:]
                        sent = 0
        except (BlockingIOError, InterruptedError, ssl.SSLWantWriteError,
                ssl.SSLWantReadError):
            pass
        except OSError as exc:
            if exc.errno not in _WOULD_BLOCK:
                self._lost(exceptions.StreamLostError(f"Stream connection lost: {exc!r}"))
                return True
        return not pending

    def _close(self) -> bool:
        if self._closed:
            return False
        self._closed = True
        nbio = self._nbio
        for remove, active in ((nbio.remove_reader, self._reading),
                               (nbio.remove_writer, self._writer_armed)):
            if active:
                try:
                    remove(self._fd)
                except Exception:  # noqa: BLE001 - the loop may be closed already
                    pass
        self._reading = self._writer_armed = False
        self._pending.clear()
        self._pending_bytes = 0
        try:
            self._sock.close()
        except OSError:
            pass
        return True

    def _lost(self, error: BaseException) -> None:
        if self._close():
            self._protocol.connection_lost(error)


# Names pika's module of the same path also exports; code written against pika imports
# them from here.
from pika_fast.adapters.utils.nbio_interface import (  # noqa: E402,F401
    AbstractIOReference,
    AbstractStreamTransport,
)
