"""BaseConnection: a Connection over a non-blocking socket driven by an event loop.

The loop needs pika's IOLoop surface: ``add_handler``/``update_handler``/
``remove_handler``, ``call_later``/``remove_timeout`` and ``READ``/``WRITE``/``ERROR``.
Output is written at most once per loop iteration (the WRITE interest is armed when
there is output and dropped when it is all sent), so many publishes share one send.
"""
from __future__ import annotations

import collections
import errno
import itertools
import logging
import socket
import ssl
import time
from typing import Any, Callable, Deque, List, Optional, Sequence

from pika_fast import exceptions
from pika_fast.connection import CONNECTION_CLOSED, CONNECTION_CLOSING, Connection, Parameters

LOGGER = logging.getLogger(__name__)

_RECV_SIZE = 131072
_READS_PER_EVENT = 8  # bounded so one busy socket cannot starve timers
_EAGAIN = (errno.EAGAIN, errno.EWOULDBLOCK, errno.EINTR)
_FLUSH_NOW_BYTES = 262144  # output this large is written at once, not at loop end


class BaseConnection(Connection):
    """A Connection whose transport is a socket registered with ``ioloop``."""

    def __init__(self, parameters: Optional[Parameters], on_open_callback: Any,
                 on_open_error_callback: Any, on_close_callback: Any, ioloop: Any,
                 internal_connection_workflow: bool = True) -> None:
        self._ioloop = ioloop
        self._sock: Optional[socket.socket] = None
        self._fd = -1
        self._events = 0
        self._pending: Deque[memoryview] = collections.deque()
        self._write_armed = False
        self._attempt_timer: Any = None
        super().__init__(parameters, on_open_callback, on_open_error_callback,
                         on_close_callback, internal_connection_workflow)
        self._workflow: Optional[_ConnectWorkflow] = None
        if internal_connection_workflow:
            self._workflow = _ConnectWorkflow(self, [self.params], self._workflow_done)
            self._workflow.start()

    @property
    def ioloop(self) -> Any:
        """The event loop this connection runs on."""
        return self._ioloop

    @classmethod
    def create_connection(cls, connection_configs: Sequence[Parameters],
                          on_done: Callable[[Any], None], custom_ioloop: Any = None,
                          workflow: Any = None) -> Any:
        """Connect to the first config that works; ``on_done(connection or error)``.

        Returns the workflow, whose ``abort()`` stops it. When every attempt fails,
        ``on_done`` receives AMQPConnectionWorkflowFailed listing each attempt's error.
        """
        from pika_fast.adapters.utils.connection_workflow import AMQPConnectionWorkflow

        configs = list(connection_configs)
        if not configs:
            raise ValueError("connection_configs must not be empty")
        if workflow is None:
            workflow = AMQPConnectionWorkflow()
        conn = cls(configs[0], custom_ioloop=custom_ioloop,  # type: ignore[call-arg]
                   internal_connection_workflow=False)

        def done(error: Optional[BaseException]) -> None:
            conn._workflow = None
            if error is not None:
                on_done(error)

        workflow._bind(conn, configs, done)
        conn._workflow = workflow._impl
        conn.add_on_open_callback(lambda _conn: on_done(conn))
        conn.add_on_open_error_callback(lambda _c, _e: None)
        workflow.start()
        return workflow

    def _workflow_done(self, error: Optional[BaseException]) -> None:
        self._workflow = None
        if error is None:
            return
        error = _user_facing_error(error)
        if self._core.state == CONNECTION_CLOSED:
            self._on_open_failed(error)  # the workflow is gone: this reaches the user
        else:
            self._core.abort(error)

    def close(self, reply_code: int = 200, reply_text: str = "Normal shutdown") -> None:
        """Close the connection; while it is still connecting, stop connecting."""
        if self._workflow is not None and not self._opened:
            workflow, self._workflow = self._workflow, None
            workflow._stop()
            self._detach()
            self._closing_requested = (reply_code, reply_text)
            self._core.state = CONNECTION_CLOSING
            error = exceptions.ConnectionOpenAborted(
                f"Connection.close() called before the connection finished opening: "
                f"({reply_code}) {reply_text!r}")
            # Reported from the loop, after close() returned, as pika does.
            self._ioloop.call_later(0, lambda: self._core.abort(error))
            return
        super().close(reply_code, reply_text)

    def on_connection_open(self) -> None:
        if self._workflow is not None:
            self._workflow.succeeded()
            self._workflow = None
        super().on_connection_open()

    def _on_open_failed(self, error: BaseException) -> None:
        if self._workflow is not None:
            self._workflow.attempt_failed(error)
        else:
            super()._on_open_failed(error)

    # ------------------------------------------------------ transport

    def _attach(self, sock: socket.socket) -> None:
        self._sock = sock
        self._fd = sock.fileno()
        self._events = self._ioloop.READ
        self._ioloop.add_handler(self._fd, self._on_io, self._events)

    def _detach(self) -> None:
        if self._sock is None:
            return
        try:
            self._ioloop.remove_handler(self._fd)
        except Exception:  # noqa: BLE001 - the loop may be closed already
            pass
        try:
            self._sock.close()
        except OSError:
            pass
        self._sock = None
        self._fd = -1
        self._pending.clear()
        self._write_armed = False

    def _on_io(self, fd: int, events: int) -> None:
        if events & self._ioloop.READ or events & self._ioloop.ERROR:
            self._read()
        if self._sock is not None and events & self._ioloop.WRITE:
            self._write()

    def _read(self) -> None:
        sock = self._sock
        for _ in range(_READS_PER_EVENT):
            if sock is None or sock is not self._sock:
                return
            try:
                data = sock.recv(_RECV_SIZE)
            except (BlockingIOError, InterruptedError, ssl.SSLWantReadError,
                    ssl.SSLWantWriteError):
                return
            except OSError as exc:
                if exc.errno in _EAGAIN:
                    return
                self._on_stream_terminated(
                    exceptions.StreamLostError(f"Stream connection lost: {exc!r}"))
                return
            if not data:
                self._on_stream_terminated(
                    exceptions.StreamLostError("Transport indicated EOF"))
                return
            try:
                self._on_data_available(data)
            except Exception as exc:  # noqa: BLE001 - a user callback raised
                # As pika: the stream is aborted and the close callbacks are told.
                LOGGER.exception("Exception while processing received data: %r", exc)
                self._on_stream_terminated(exceptions.StreamLostError(
                    f"Stream connection lost: {exc!r}"))
                return
            if len(data) < _RECV_SIZE and not (isinstance(sock, ssl.SSLSocket)
                                               and sock.pending()):
                return

    def _flush_soon(self) -> None:
        # Output stays in the core's buffer until the loop says the socket is writable,
        # so a burst of publishes leaves in one send.
        if self._sock is None:
            return
        if self._write_armed:
            if self._core.output_size() >= _FLUSH_NOW_BYTES:
                self._write()
            return
        if self._core.has_output():
            self._write_armed = True
            self._ioloop.update_handler(self._fd, self._ioloop.READ | self._ioloop.WRITE)

    def _write(self) -> None:
        sock = self._sock
        pending = self._pending
        if self._core.has_output():
            pending.extend(memoryview(b) for b in self._core.take_output())
        try:
            while pending:
                if isinstance(sock, ssl.SSLSocket):
                    sent = sock.send(pending[0])
                else:
                    sent = sock.sendmsg(  # type: ignore[union-attr]
                        itertools.islice(pending, 512))
                while sent:
                    head = pending[0]
                    if sent >= len(head):
                        sent -= len(head)
                        pending.popleft()
                    else:
                        pending[0] = head[sent:]
                        sent = 0
        except (BlockingIOError, InterruptedError, ssl.SSLWantWriteError,
                ssl.SSLWantReadError):
            pass
        except OSError as exc:
            if exc.errno not in _EAGAIN:
                self._on_stream_terminated(
                    exceptions.StreamLostError(f"Stream connection lost: {exc!r}"))
                return
        self._core.last_sent = time.monotonic()
        if not pending and self._write_armed and self._sock is not None:
            self._write_armed = False
            self._ioloop.update_handler(self._fd, self._ioloop.READ)
        elif pending and not self._write_armed and self._sock is not None:
            self._write_armed = True
            self._ioloop.update_handler(self._fd, self._ioloop.READ | self._ioloop.WRITE)

    # ------------------------------------------------ Connection hooks

    def _adapter_call_later(self, delay: float, callback: Callable[[], None]) -> Any:
        return self._ioloop.call_later(delay, callback)

    def _adapter_remove_timeout(self, timeout_id: Any) -> None:
        self._ioloop.remove_timeout(timeout_id)

    def _adapter_add_callback_threadsafe(self, callback: Callable[[], None]) -> None:
        self._ioloop.add_callback_threadsafe(callback)

    def _adapter_disconnect(self) -> None:
        if self._sock is not None:
            # Give a final CloseOk/Close a chance to leave before the socket goes.
            try:
                self._write()
            except Exception:  # noqa: BLE001
                pass
        self._detach()


def _user_facing_error(error: BaseException) -> BaseException:
    """What pika hands a SelectConnection's open-error callback for a failed workflow."""
    if isinstance(error, exceptions.AMQPConnectionWorkflowFailed) and error.exceptions:
        last = error.exceptions[-1]
        if isinstance(last, exceptions.AMQPConnectorAMQPHandshakeError):
            return last.exception
        if isinstance(last, exceptions.AMQPConnectorSocketConnectError):
            return exceptions.AMQPConnectionError(error)
        if isinstance(last, exceptions.AMQPConnectorStackTimeout):
            # The AMQP handshake outlived stack_timeout: pika reports the open aborted.
            return exceptions.ConnectionOpenAborted(repr(last))
    return error


class _ConnectWorkflow:
    """Tries each parameter set ``connection_attempts`` times: TCP, TLS, AMQP handshake.

    Each failed attempt is recorded as pika records it (AMQPConnectorSocketConnectError,
    AMQPConnectorTransportSetupError, AMQPConnectorAMQPHandshakeError,
    AMQPConnectorStackTimeout); when every attempt failed, ``on_done`` receives
    AMQPConnectionWorkflowFailed listing them, oldest first.
    """

    def __init__(self, connection: BaseConnection, candidates: Sequence[Parameters],
                 on_done: Callable[[Optional[BaseException]], None]) -> None:
        self._conn = connection
        self._candidates = list(candidates)
        self._on_done = on_done
        self._errors: List[BaseException] = []
        self._plan = [(attempt, params) for attempt in range(
            max(p.connection_attempts for p in self._candidates))
            for params in self._candidates if attempt < params.connection_attempts]
        self._timer: Any = None
        self._stack_timer: Any = None
        self._phase = "tcp"
        self._sock: Optional[socket.socket] = None
        self._finished = False

    def start(self) -> None:
        self._timer = self._conn._ioloop.call_later(0, self._next)

    def abort(self) -> None:
        """Stop connecting; ``on_done`` gets AMQPConnectionWorkflowAborted."""
        if self._finished:
            raise exceptions.AMQPConnectionWorkflowWrongState(
                "connection workflow already finished")
        self._stop()
        self._on_done(exceptions.AMQPConnectionWorkflowAborted())

    def _stop(self) -> None:
        self._finished = True
        self._plan.clear()
        self._cancel_timers()
        self._close_sock()

    def _close_sock(self) -> None:
        if self._sock is not None:
            try:
                self._conn._ioloop.remove_handler(self._sock.fileno())
            except Exception:  # noqa: BLE001 - not registered, or loop closed
                pass
            self._sock.close()
            self._sock = None

    def _next(self) -> None:
        self._timer = None
        if self._finished:
            return
        if not self._plan:
            self._finished = True
            self._on_done(exceptions.AMQPConnectionWorkflowFailed(self._errors))
            return
        attempt, params = self._plan.pop(0)
        delay = params.retry_delay if attempt and self._errors else 0
        self._timer = self._conn._ioloop.call_later(delay, lambda: self._connect(params))

    def _fail(self, error: BaseException) -> None:
        if self._finished:
            return
        self._cancel_timers()
        self._errors.append(error)
        self._close_sock()
        cause = getattr(error, "exception", None)
        if isinstance(cause, (exceptions.ProbableAuthenticationError,
                              exceptions.ProbableAccessDeniedError,
                              exceptions.AuthenticationError)):
            self._plan.clear()  # retrying bad credentials only locks the account out
        self._next()

    def _connect(self, params: Parameters) -> None:
        self._timer = None
        self._params = params
        conn = self._conn
        conn.params = params
        conn._core = conn._new_core()
        try:
            infos = socket.getaddrinfo(params.host, params.port, 0, socket.SOCK_STREAM,
                                       socket.IPPROTO_TCP)
            family, stype, proto, _name, address = infos[0]
            sock = socket.socket(family, stype, proto)
        except OSError as exc:
            self._fail(exceptions.AMQPConnectorSocketConnectError(exc))
            return
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock
        self._phase = "tcp"
        # stack_timeout bounds the whole attempt; socket_timeout only the TCP connect.
        self._stack_timer = conn._ioloop.call_later(params.stack_timeout or 1e9,
                                                   self._stack_timeout)
        self._timer = conn._ioloop.call_later(
            params.socket_timeout or 1e9,
            lambda: self._fail(exceptions.AMQPConnectorSocketConnectError(socket.timeout(
                f"TCP connection attempt to {params.host}:{params.port} timed out"))))
        err = sock.connect_ex(address)
        if err not in (0, errno.EINPROGRESS, errno.EWOULDBLOCK):
            self._fail(exceptions.AMQPConnectorSocketConnectError(
                ConnectionRefusedError(err, errno.errorcode.get(err))
                if err == errno.ECONNREFUSED else OSError(err, errno.errorcode.get(err))))
            return
        conn._ioloop.add_handler(sock.fileno(), self._on_connected,
                                conn._ioloop.WRITE | conn._ioloop.ERROR)

    def _on_connected(self, fd: int, events: int) -> None:
        sock = self._sock
        if sock is None:
            return
        err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            self._fail(exceptions.AMQPConnectorSocketConnectError(
                ConnectionRefusedError(err, "Connection refused")
                if err == errno.ECONNREFUSED else OSError(err, errno.errorcode.get(err))))
            return
        self._conn._ioloop.remove_handler(fd)
        if self._timer is not None:
            self._conn._ioloop.remove_timeout(self._timer)
            self._timer = None
        params = self._params
        if params.ssl_options is not None:
            self._phase = "tls"
            context = params.ssl_options.context
            hostname = params.ssl_options.server_hostname or (
                params.host if context.check_hostname else None)
            try:
                self._sock = context.wrap_socket(sock, server_hostname=hostname,
                                                 do_handshake_on_connect=False)
            except (OSError, ValueError) as exc:
                self._fail(exceptions.AMQPConnectorTransportSetupError(
                    exceptions.TLSSetupError.wrap(exc)))
                return
            self._conn._ioloop.add_handler(self._sock.fileno(), self._on_tls,
                                          self._conn._ioloop.READ | self._conn._ioloop.WRITE)
            return
        self._start_amqp()

    def _on_tls(self, fd: int, events: int) -> None:
        sock = self._sock
        if sock is None:
            return
        try:
            sock.do_handshake()  # type: ignore[attr-defined]
        except ssl.SSLWantReadError:
            self._conn._ioloop.update_handler(fd, self._conn._ioloop.READ)
            return
        except ssl.SSLWantWriteError:
            self._conn._ioloop.update_handler(fd, self._conn._ioloop.WRITE)
            return
        except (OSError, ValueError) as exc:
            self._fail(exceptions.AMQPConnectorTransportSetupError(
                exceptions.TLSSetupError.wrap(exc)))
            return
        self._conn._ioloop.remove_handler(fd)
        self._start_amqp()

    def _start_amqp(self) -> None:
        conn = self._conn
        self._phase = "amqp"
        sock, self._sock = self._sock, None
        assert sock is not None
        conn._attach(sock)
        conn._on_stream_connected()

    def _stack_timeout(self) -> None:
        self._stack_timer = None
        error = exceptions.ConnectionStackTimeout(
            f"Timeout while setting up the connection to {self._params.host}:"
            f"{self._params.port} (stack_timeout={self._params.stack_timeout})")
        if self._phase == "amqp":
            self._conn._core.abort(error)
        elif self._phase == "tls":
            self._fail(exceptions.AMQPConnectorTransportSetupError(error))
        else:
            self._fail(exceptions.AMQPConnectorSocketConnectError(error))

    def succeeded(self) -> None:
        """The AMQP handshake completed."""
        self._finished = True
        self._cancel_timers()

    def _cancel_timers(self) -> None:
        for name in ("_timer", "_stack_timer"):
            timer = getattr(self, name)
            if timer is not None:
                self._conn._ioloop.remove_timeout(timer)
                setattr(self, name, None)

    def attempt_failed(self, error: BaseException) -> None:
        """The AMQP handshake of the current attempt failed."""
        self._conn._detach()
        if not isinstance(error, exceptions.AMQPConnectorException):
            error = exceptions.AMQPConnectorAMQPHandshakeError(error)
        self._fail(error)
