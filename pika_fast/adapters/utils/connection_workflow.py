"""The connection workflow, under ``pika.adapters.utils.connection_workflow``'s names.

The one attempt plan every adapter uses, BlockingConnection included:

* :class:`AMQPConnector` makes one attempt at one resolved address: TCP connect
  (bounded by ``socket_timeout``), TLS, then the AMQP handshake, the whole bounded by
  ``stack_timeout``; a failure is reported as the phase's AMQPConnector error.
* :class:`AMQPConnectionWorkflow` runs the plan: every parameter set up to its
  ``connection_attempts``, each resolved address in turn, ``retry_delay`` between
  rounds, no retry after bad credentials (it only locks the account out); when all
  failed, ``on_done`` gets AMQPConnectionWorkflowFailed listing every attempt's error.

The errors live in :mod:`pika_fast.exceptions` (one class each, so ``except`` clauses
match whichever module they were imported from).
"""
from __future__ import annotations

import abc
import logging
import socket
from typing import Any, Callable, List, Optional, Sequence, Tuple

from pika_fast import tcp_socket_opts
from pika_fast.compat import AbstractBase
from pika_fast.exceptions import (  # noqa: F401  (re-exported under pika's names)
    AMQPConnectionError,
    AMQPConnectionWorkflowAborted,
    AMQPConnectionWorkflowFailed,
    AMQPConnectionWorkflowWrongState,
    AMQPConnectorAborted,
    AMQPConnectorAMQPHandshakeError,
    AMQPConnectorException,
    AMQPConnectorPhaseErrorBase,
    AMQPConnectorSocketConnectError,
    AMQPConnectorStackTimeout,
    AMQPConnectorTransportSetupError,
    AMQPConnectorWrongState,
    AuthenticationError,
    ConnectionStackTimeout,
    ProbableAccessDeniedError,
    ProbableAuthenticationError,
)

_LOG = logging.getLogger(__name__)

_CREDENTIAL_ERRORS = (ProbableAuthenticationError, ProbableAccessDeniedError,
                      AuthenticationError)


class AMQPConnector:
    """One connection attempt at one resolved address.

    ``conn_factory(params)`` makes the connection object, which is also the stream's
    protocol; ``on_done`` receives it once the AMQP handshake completed, or the error.
    """

    _IDLE, _TCP, _TLS, _AMQP, _DONE = range(5)

    def __init__(self, conn_factory: Callable[[Any], Any], nbio: Any) -> None:
        self._conn_factory = conn_factory
        self._nbio = nbio
        self._state = self._IDLE
        self._sock: Optional[socket.socket] = None
        self._conn: Any = None
        self._io_ref: Any = None
        self._tcp_timer: Any = None
        self._stack_timer: Any = None
        self._params: Any = None
        self._on_done: Optional[Callable[[Any], None]] = None
        #: The attempt got as far as the AMQP handshake (its connection was made).
        self.reached_amqp = False

    def start(self, addr_record: Tuple[Any, ...], conn_params: Any,
              on_done: Callable[[Any], None]) -> None:
        """Connect to ``addr_record`` (a ``getaddrinfo`` entry) with ``conn_params``."""
        if self._state != self._IDLE:
            raise AMQPConnectorWrongState(f"start() in state {self._state}")
        self._params = conn_params
        self._on_done = on_done
        self._state = self._TCP
        family, socktype, proto, _name, address = addr_record[:5]
        try:
            sock = socket.socket(family, socktype, proto)
        except OSError as exc:
            # Bound now: ``exc`` is unset once the except block ends.
            error = AMQPConnectorSocketConnectError(exc)
            self._nbio.add_callback_threadsafe(lambda: self._fail(error))
            return
        self._sock = sock
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            tcp_socket_opts.set_sock_opts(conn_params.tcp_options, sock)
        except OSError as exc:
            _LOG.warning("Could not set socket options on %r: %r", sock, exc)
        if conn_params.stack_timeout:
            self._stack_timer = self._nbio.call_later(conn_params.stack_timeout,
                                                      self._on_stack_timeout)
        if conn_params.socket_timeout:
            self._tcp_timer = self._nbio.call_later(conn_params.socket_timeout,
                                                    self._on_tcp_timeout)
        self._io_ref = self._nbio.connect_socket(sock, address, self._on_tcp_done)

    def abort(self) -> None:
        """Stop the attempt; ``on_done`` receives AMQPConnectorAborted."""
        if self._state in (self._IDLE, self._DONE):
            raise AMQPConnectorWrongState(f"abort() in state {self._state}")
        self._finish(AMQPConnectorAborted())

    def _abandon(self) -> None:
        """Stop silently, leaving a linked connection to its owner (who is closing it)."""
        self._on_done = None
        if self._conn is not None:
            self._conn._attempt_listener = None
            self._conn = None
        if self._state not in (self._IDLE, self._DONE):
            self._finish(AMQPConnectorAborted())

    # ---------------------------------------------------------------- phases

    def _on_tcp_timeout(self) -> None:
        self._tcp_timer = None
        params = self._params
        self._fail(AMQPConnectorSocketConnectError(socket.timeout(
            f"TCP connection attempt to {params.host}:{params.port} timed out")))

    def _on_tcp_done(self, error: Optional[BaseException]) -> None:
        self._io_ref = None
        if self._state != self._TCP:
            return
        self._cancel_tcp_timer()
        if error is not None:
            self._fail(AMQPConnectorSocketConnectError(error))
            return
        params = self._params
        ssl_context = server_hostname = None
        if params.ssl_options is not None:
            self._state = self._TLS
            ssl_context = params.ssl_options.context
            server_hostname = params.ssl_options.server_hostname or (
                params.host if ssl_context.check_hostname else None)
        else:
            self._state = self._AMQP
        sock, self._sock = self._sock, None
        self._io_ref = self._nbio.create_streaming_connection(
            self._make_protocol, sock, self._on_stream_done, ssl_context, server_hostname)

    def _make_protocol(self) -> Any:
        conn = self._conn_factory(self._params)
        self.reached_amqp = True
        conn.add_on_open_callback(self._on_amqp_open)
        # The handshake's failure comes to us, not to the connection's open-error
        # callbacks: the workflow may still try elsewhere.
        conn._attempt_listener = self._on_amqp_failed
        self._conn = conn
        self._state = self._AMQP
        return getattr(conn, "_protocol_shim", conn)

    def _on_stream_done(self, result: Any) -> None:
        self._io_ref = None
        if isinstance(result, BaseException):
            if self._state in (self._TLS, self._AMQP) and self._conn is None:
                self._fail(AMQPConnectorTransportSetupError(result))
            else:
                self._fail(AMQPConnectorAMQPHandshakeError(result))
        # else the AMQP handshake is under way; the connection reports its outcome

    def _on_amqp_open(self, conn: Any) -> None:
        if self._state == self._AMQP:
            self._finish(conn)

    def _on_amqp_failed(self, conn: Any, error: BaseException) -> None:
        if self._state != self._AMQP:
            return
        self._conn = None  # it has closed itself
        if not isinstance(error, AMQPConnectorException):
            error = AMQPConnectorAMQPHandshakeError(error)
        self._finish(error)

    def _on_stack_timeout(self) -> None:
        self._stack_timer = None
        params = self._params
        error = ConnectionStackTimeout(
            f"Timeout while setting up the connection to {params.host}:{params.port} "
            f"(stack_timeout={params.stack_timeout})")
        if self._state == self._AMQP and self._conn is not None:
            # The connection reports it through its open-error callback.
            self._conn._core.abort(error)
            if self._state == self._AMQP:
                self._finish(error)
        elif self._state == self._TLS:
            self._fail(AMQPConnectorTransportSetupError(error))
        else:
            self._fail(AMQPConnectorSocketConnectError(error))

    # --------------------------------------------------------------- endings

    def _fail(self, error: BaseException) -> None:
        if self._state not in (self._IDLE, self._DONE):
            self._finish(error)

    def _cancel_tcp_timer(self) -> None:
        if self._tcp_timer is not None:
            self._tcp_timer.cancel()
            self._tcp_timer = None

    def _finish(self, result: Any) -> None:
        self._state = self._DONE
        self._cancel_tcp_timer()
        if self._stack_timer is not None:
            self._stack_timer.cancel()
            self._stack_timer = None
        if self._io_ref is not None:
            self._io_ref.cancel()
            self._io_ref = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if isinstance(result, BaseException) and self._conn is not None:
            conn, self._conn = self._conn, None
            conn._attempt_listener = None
            if not conn.is_closed:
                conn._attempt_listener = _ignore_failure
                conn._core.abort(result)  # releases the stream; reported to nobody
        on_done, self._on_done = self._on_done, None
        if on_done is not None:
            on_done(result)


def _ignore_failure(_conn: Any, _error: BaseException) -> None:
    """The open-error listener of a connection whose attempt was already reported."""


class AbstractAMQPConnectionWorkflow(AbstractBase):
    """Runs connection attempts until one succeeds or all have failed."""

    @abc.abstractmethod
    def start(self, connection_configs: Sequence[Any],
              connector_factory: Callable[..., Any], native_loop: Any,
              on_done: Callable[[Any], None]) -> None:
        """Begin; ``on_done(connection)`` or ``on_done(AMQPConnectorException)``."""

    @abc.abstractmethod
    def abort(self) -> None:
        """Stop; ``on_done`` receives AMQPConnectionWorkflowAborted."""


class AMQPConnectionWorkflow(AbstractAMQPConnectionWorkflow):
    """The attempt plan (see the module docstring).

    ``_until_first_amqp_attempt``: stop after the first attempt that reached the AMQP
    handshake, whatever its outcome (a connection that runs its own workflow has only
    itself to offer, and it cannot be reused).
    """

    def __init__(self, _until_first_amqp_attempt: bool = False) -> None:
        self._until_first_amqp_attempt = _until_first_amqp_attempt
        self._nbio: Any = None
        self._on_done: Optional[Callable[[Any], None]] = None
        self._plan: List[Tuple[int, Any]] = []
        self._addresses: List[Tuple[Any, ...]] = []
        self._params: Any = None
        self._errors: List[BaseException] = []
        self._connector: Optional[AMQPConnector] = None
        self._connector_factory: Optional[Callable[[], AMQPConnector]] = None
        self._io_ref: Any = None
        self._timer: Any = None
        self._started = False
        self._finished = False

    def set_io_services(self, nbio: Any) -> None:
        """The I/O services the workflow's own timers and resolution use."""
        self._nbio = nbio

    def start(self, connection_configs: Sequence[Any],
              connector_factory: Callable[[], AMQPConnector], native_loop: Any,
              on_done: Callable[[Any], None]) -> None:
        if self._started:
            raise AMQPConnectionWorkflowWrongState("the workflow was already started")
        if self._nbio is None:
            raise AMQPConnectionWorkflowWrongState("set_io_services() was not called")
        configs = list(connection_configs)
        if not configs:
            raise ValueError("connection_configs must not be empty")
        self._started = True
        self._on_done = on_done
        self._connector_factory = connector_factory
        self._plan = [(attempt, params)
                      for attempt in range(max(p.connection_attempts for p in configs))
                      for params in configs if attempt < params.connection_attempts]
        self._timer = self._nbio.call_later(0, self._next_attempt)

    def abort(self) -> None:
        if not self._started:
            raise AMQPConnectionWorkflowWrongState("the workflow was not started")
        if self._finished:
            raise AMQPConnectionWorkflowWrongState("the workflow already finished")
        self._stop()
        if self._connector is not None:
            connector, self._connector = self._connector, None
            connector._on_done = None
            try:
                connector.abort()
            except AMQPConnectorWrongState:
                pass
        self._report(AMQPConnectionWorkflowAborted())

    # ---------------------------------------------------------------- the plan

    def _stop(self) -> None:
        self._plan.clear()
        self._addresses.clear()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._io_ref is not None:
            self._io_ref.cancel()
            self._io_ref = None

    def _next_attempt(self) -> None:
        self._timer = None
        if self._finished:
            return
        if not self._plan:
            self._report(AMQPConnectionWorkflowFailed(self._errors))
            return
        attempt, params = self._plan.pop(0)
        delay = params.retry_delay if attempt and self._errors else 0
        self._params = params
        self._timer = self._nbio.call_later(delay, self._resolve)

    def _resolve(self) -> None:
        self._timer = None
        params = self._params
        self._io_ref = self._nbio.getaddrinfo(params.host, params.port, self._on_resolved,
                                              0, socket.SOCK_STREAM, socket.IPPROTO_TCP)

    def _on_resolved(self, result: Any) -> None:
        self._io_ref = None
        if isinstance(result, BaseException):
            self._errors.append(AMQPConnectorSocketConnectError(result))
            self._next_attempt()
            return
        self._addresses = list(result)
        self._next_address()

    def _next_address(self) -> None:
        if self._finished:
            return
        if not self._addresses:
            self._next_attempt()
            return
        record = self._addresses.pop(0)
        assert self._connector_factory is not None
        self._connector = self._connector_factory()
        self._connector.start(record, self._params, self._on_connector_done)

    def _abandon(self) -> None:
        """Stop without reporting (the connection that ran this workflow is closing)."""
        self._finished = True
        self._on_done = None
        self._stop()
        connector, self._connector = self._connector, None
        if connector is not None:
            connector._abandon()

    def _on_connector_done(self, result: Any) -> None:
        if self._finished:
            return
        connector, self._connector = self._connector, None
        if not isinstance(result, BaseException):
            self._report(result)
            return
        _LOG.warning("AMQP connection attempt to %s:%s failed: %r", self._params.host,
                     self._params.port, result)
        self._errors.append(result)
        cause = getattr(result, "exception", result)
        reached_amqp = connector is not None and connector.reached_amqp
        if isinstance(cause, _CREDENTIAL_ERRORS) or (
                self._until_first_amqp_attempt and reached_amqp):
            # Retrying bad credentials only locks the account out.
            self._stop()
            self._report(AMQPConnectionWorkflowFailed(self._errors))
            return
        self._next_address()

    def _report(self, result: Any) -> None:
        if self._finished:
            return
        self._finished = True
        on_done, self._on_done = self._on_done, None
        if on_done is not None:
            on_done(result)


def last_attempt_error(error: BaseException) -> BaseException:
    """What a synchronous open raises when the workflow failed, as pika's
    BlockingConnection does: the last attempt's own error, not the aggregate."""
    if isinstance(error, AMQPConnectionWorkflowFailed) and error.exceptions:
        last = error.exceptions[-1]
        if isinstance(last, AMQPConnectorSocketConnectError):
            return AMQPConnectionError(last)
        if isinstance(last, AMQPConnectorPhaseErrorBase):
            return last.exception
        return last
    return error
