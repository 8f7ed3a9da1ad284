"""BlockingConnection and BlockingChannel with pika 1.4's API, on the sans-I/O core.

The adapter owns one socket. Publishes are marshalled straight into the core's output
buffer and written at once; the socket is read in large chunks and whole deliveries
go to the user's callbacks. A small background thread keeps heartbeats going while
user code runs for long (it only writes heartbeat frames, under the write lock).
"""
from __future__ import annotations

import collections
import errno
import functools
import heapq
import itertools
import logging
import select
import socket
import ssl
import threading
import time
from typing import (Any, Callable, Deque, Dict, Generator, List, Optional, Sequence,
                    Tuple, Union)

from pika_fast import _codec, _legacy, _protocol, exceptions, frame, spec, validators
from pika_fast.exchange_type import ExchangeType

LOGGER = logging.getLogger(__name__)

_RECV_SIZE = 131072
# Acks made during a dispatch pass are batched into one send, but never for long: each
# one held is a prefetch credit the broker cannot use, and a pass over one large read
# can run hundreds of callbacks. They leave after this many deliveries (or this long).
_ACK_BATCH = 32
_ACK_DELAY = 0.002
_monotonic = time.monotonic

Message = Tuple[Any, Any, Any]


def _last_attempt_error(error: BaseException) -> BaseException:
    """What pika's BlockingConnection raises when every connection attempt failed."""
    if isinstance(error, exceptions.AMQPConnectionWorkflowFailed) and error.exceptions:
        last = error.exceptions[-1]
        if isinstance(last, exceptions.AMQPConnectorSocketConnectError):
            return exceptions.AMQPConnectionError(last)
        if isinstance(last, exceptions.AMQPConnectorPhaseErrorBase):
            return last.exception
        return last
    return error


class ReturnedMessage:
    """A message the broker returned (Basic.Return) while publishing with confirms."""

    __slots__ = ("method", "properties", "body")

    def __init__(self, method: spec.Basic.Return, properties: spec.BasicProperties,
                 body: bytes) -> None:
        self.method = method
        self.properties = properties
        self.body = body


class _Timer:
    __slots__ = ("deadline", "callback", "cancelled")

    def __init__(self, deadline: float, callback: Callable[[], None]) -> None:
        self.deadline = deadline
        self.callback = callback
        self.cancelled = False


class _HeartbeatSender(threading.Thread):
    """Writes heartbeat frames while the owning thread is busy in user code."""

    def __init__(self, connection: "BlockingConnection", interval: int) -> None:
        super().__init__(name="pika_fast-heartbeat", daemon=True)
        self._connection = connection
        self._half = interval / 2.0
        self.stopped = threading.Event()

    def run(self) -> None:
        conn = self._connection
        while not self.stopped.wait(self._half / 2.0):
            core = conn._core
            if core.state != _protocol.CONNECTION_OPEN:
                return
            if not core.heartbeat_frame_due(_monotonic()):
                continue
            with conn._write_lock:
                try:
                    conn._sock.sendall(_codec.HEARTBEAT_FRAME)
                    core.mark_sent(_monotonic())
                except OSError:
                    return  # the owning thread sees the broken socket on its next call


class BlockingConnection(_protocol.ConnectionHandler):
    """A synchronous connection to RabbitMQ, with pika 1.4's BlockingConnection API."""

    def __new__(cls, parameters: Any = None, _impl_class: Any = None,
                recovery: Any = None) -> Any:
        if recovery is not None and cls is BlockingConnection:
            from pika_fast.recovery import RecoveringBlockingConnection  # opt-in recovery
            cls = RecoveringBlockingConnection
        return super().__new__(cls)

    def __init__(self, parameters: Any = None, _impl_class: Any = None,
                 recovery: Any = None) -> None:
        from pika_fast.connection import ConnectionParameters

        if parameters is None:
            candidates = [ConnectionParameters()]
        elif isinstance(parameters, (list, tuple)):
            candidates = list(parameters)
        else:
            candidates = [parameters]
        self._write_lock = threading.Lock()
        self._pump_lock = threading.RLock()
        self._channels: Dict[int, BlockingChannel] = {}
        self._events: Deque[Tuple[Callable[..., None], tuple]] = collections.deque()
        self._threadsafe: Deque[Callable[[], None]] = collections.deque()
        self._timers: List[Tuple[float, int, _Timer]] = []
        self._timer_seq = itertools.count()
        self._blocked_callbacks: List[Callable[..., None]] = []
        self._unblocked_callbacks: List[Callable[..., None]] = []
        self._heartbeat_sender: Optional[_HeartbeatSender] = None
        self._closed_error: Optional[BaseException] = None
        self._opened = False
        self._dispatching = False
        self._acks_since: Optional[float] = None
        self._dispatched_since_flush = 0
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._connect(candidates)

    # ------------------------------------------------------------ connecting

    def _connect(self, candidates: Sequence[Any]) -> None:
        """pika's connection workflow, synchronously: every parameter set, up to its
        connection_attempts, retry_delay between rounds; errors reported as pika does."""
        if not candidates:
            raise ValueError("Expected a non-empty sequence of connection parameters")
        errors: List[BaseException] = []
        attempts = max(p.connection_attempts for p in candidates)
        for attempt in range(attempts):
            if attempt and errors:
                delay = max(p.retry_delay for p in candidates if attempt < p.connection_attempts)
                time.sleep(delay)
            for params in candidates:
                if attempt >= params.connection_attempts:
                    continue
                try:
                    self._open(params)
                    return
                except exceptions.AMQPConnectorException as exc:
                    LOGGER.warning("Connection attempt to %s:%s failed: %r",
                                   params.host, params.port, exc)
                    errors.append(exc)
                    cause = getattr(exc, "exception", None)
                    if isinstance(cause, (exceptions.ProbableAuthenticationError,
                                          exceptions.ProbableAccessDeniedError,
                                          exceptions.AuthenticationError)):
                        raise cause from None  # retrying bad credentials only locks out
        raise _last_attempt_error(exceptions.AMQPConnectionWorkflowFailed(errors))

    def _open(self, params: Any) -> None:
        """One attempt: TCP, TLS, AMQP handshake. Raises the phase's AMQPConnector error."""
        self._params = params
        stack_deadline = _monotonic() + (params.stack_timeout or 1e9)

        def budget() -> float:
            remaining = stack_deadline - _monotonic()
            if remaining <= 0:
                raise exceptions.ConnectionStackTimeout(
                    f"Timeout during AMQP handshake with {params.host}:{params.port} "
                    f"(stack_timeout={params.stack_timeout})")
            return remaining

        try:
            sock = socket.create_connection(
                (params.host, params.port),
                timeout=min(budget(), params.socket_timeout or float("inf")))
        except OSError as exc:
            raise exceptions.AMQPConnectorSocketConnectError(exc) from exc
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if params.ssl_options is not None:
                context = params.ssl_options.context
                server_hostname = params.ssl_options.server_hostname or (
                    params.host if context.check_hostname else None)
                sock.settimeout(budget())
                try:
                    sock = context.wrap_socket(sock, server_hostname=server_hostname)
                except socket.timeout as exc:
                    # The handshake is part of the stack: stack_timeout bounds it, as pika.
                    raise exceptions.ConnectionStackTimeout(
                        f"TLS handshake with {params.host}:{params.port} did not complete "
                        f"within stack_timeout={params.stack_timeout}") from exc
                except (OSError, ValueError) as exc:
                    raise exceptions.AMQPConnectorTransportSetupError(
                        exceptions.TLSSetupError.wrap(exc)) from exc
            sock.settimeout(None)
        except BaseException:
            sock.close()
            raise
        self._sock = sock
        self._sock_fd = sock.fileno()
        self._poller = select.poll()
        self._poller.register(sock.fileno(), select.POLLIN)
        self._poller.register(self._wake_r.fileno(), select.POLLIN)
        self._core = _protocol.ConnectionCore(
            self, credentials=params.credentials, virtual_host=params.virtual_host,
            channel_max=params.channel_max, frame_max=params.frame_max,
            heartbeat=params.heartbeat, client_properties=params.client_properties,
            locale=params.locale, heartbeat_owner=self,
            blocked_connection_timeout=params.blocked_connection_timeout)
        self._core.initiate(_monotonic())
        try:
            self._flush()
            while not self._opened:
                if self._core.state == _protocol.CONNECTION_CLOSED:
                    raise self._core.close_error  # type: ignore[misc]
                self._poll(budget())
        except exceptions.AMQPConnectorException:
            self._close_socket()
            raise
        except exceptions.AMQPError as exc:
            self._close_socket()
            raise exceptions.AMQPConnectorAMQPHandshakeError(exc) from exc
        except BaseException:
            self._close_socket()
            raise
        if self._core.heartbeat:
            self._heartbeat_sender = _HeartbeatSender(self, self._core.heartbeat)
            self._heartbeat_sender.start()

    # ------------------------------------------------------- core callbacks

    def on_connection_open(self) -> None:
        self._opened = True

    def on_connection_closed(self, error: BaseException) -> None:
        self._closed_error = error
        if self._heartbeat_sender is not None:
            self._heartbeat_sender.stopped.set()
        if not isinstance(error, exceptions.ConnectionClosedByClient) and self._opened:
            # Unexpected end: release the socket now; a clean close does it in close().
            self._flush_quietly()
            self._close_socket()

    def _flush_quietly(self) -> None:
        try:
            if self._core.has_output():
                with self._write_lock:
                    for buf in self._core.take_output():
                        self._sock.sendall(buf)
        except OSError:
            pass

    def _close_socket(self) -> None:
        try:
            self._poller.unregister(self._sock_fd)
        except (KeyError, ValueError, OSError):
            pass
        try:
            self._sock.close()
        except OSError:
            pass

    def on_blocked(self, method: Any) -> None:
        for callback in self._blocked_callbacks:
            self._events.append((callback, (self, frame.Method(0, method))))

    def on_unblocked(self, method: Any) -> None:
        for callback in self._unblocked_callbacks:
            self._events.append((callback, (self, frame.Method(0, method))))

    # ------------------------------------------------------------------ I/O

    def _flush(self) -> None:
        core = self._core
        self._acks_since = None
        self._dispatched_since_flush = 0
        if not core.has_output():
            return
        buffers = core.take_output()
        deadline = core.blocked_deadline
        try:
            with self._write_lock:
                if deadline is not None:
                    # The broker stopped reading: don't wait past blocked_connection_timeout.
                    self._sock.settimeout(max(0.001, deadline - _monotonic()))
                try:
                    if len(buffers) == 1:
                        self._sock.sendall(buffers[0])
                    else:
                        self._send_buffers(buffers)
                finally:
                    if deadline is not None:
                        self._sock.settimeout(None)
                core.mark_sent(_monotonic())
        except socket.timeout:
            self._lost(exceptions.ConnectionBlockedTimeout("Blocked connection timeout expired."))
        except OSError as exc:
            self._lost(exc)

    def _send_buffers(self, buffers: List[Any]) -> None:
        sock = self._sock
        if isinstance(sock, ssl.SSLSocket):
            for buf in buffers:
                sock.sendall(buf)
            return
        pending = [memoryview(b) for b in buffers]
        while pending:
            sent = sock.sendmsg(pending[:1024])
            while sent:
                head = pending[0]
                if sent >= len(head):
                    sent -= len(head)
                    pending.pop(0)
                else:
                    pending[0] = head[sent:]
                    sent = 0

    def _lost(self, error: BaseException) -> None:
        self._core.connection_lost(error)
        if self._closed_error is not None:
            raise self._closed_error

    def _poll(self, timeout: Optional[float]) -> bool:
        """Wait up to ``timeout`` seconds for input and feed it to the core.

        One thread at a time pumps the socket; another thread that calls in meanwhile
        waits its turn (up to ``timeout``) instead of sharing the poller (pika's
        examples call process_data_events from a second thread)."""
        if not self._pump_lock.acquire(timeout=-1 if timeout is None else timeout):
            return False
        try:
            return self._poll_locked(timeout)
        finally:
            self._pump_lock.release()

    def _poll_locked(self, timeout: Optional[float]) -> bool:
        core = self._core
        deadline_ms = None if timeout is None else max(0, int(timeout * 1000 + 0.999))
        if core.heartbeat:
            if _monotonic() - core.last_received > core.heartbeat:
                # We may simply not have looked: read what is waiting before judging.
                self._drain()
        # Heartbeats and the blocked-connection deadline: the core's one schedule.
        now = _monotonic()
        due = core.run_deadlines(now)
        if core.state == _protocol.CONNECTION_CLOSED and not isinstance(
                core.close_error, exceptions.ConnectionClosedByClient):
            raise core.close_error  # type: ignore[misc]  # a heartbeat/blocked timeout
        if due is not None:
            due_ms = max(0, int((due - now) * 1000) + 1)
            deadline_ms = due_ms if deadline_ms is None else min(deadline_ms, due_ms)
        if self._timers:
            until = max(0, int((self._timers[0][0] - _monotonic()) * 1000) + 1)
            deadline_ms = until if deadline_ms is None else min(deadline_ms, until)
        pending = 0
        if isinstance(self._sock, ssl.SSLSocket):
            pending = self._sock.pending()
        if deadline_ms != 0 and self._core.has_output():
            self._flush()  # nothing may wait in our buffer while we wait for the broker
        events = self._poller.poll(0 if pending else deadline_ms)
        readable = bool(pending)
        sock_fd = self._sock_fd
        for fd, _mask in events:
            if fd == sock_fd:
                readable = True
            else:
                try:
                    self._wake_r.recv(4096)
                except OSError:
                    pass
        got = self._read() if readable else False
        self._flush()
        return got

    def _sock_readable(self) -> bool:
        return any(fd == self._sock_fd for fd, _mask in self._poller.poll(0))

    def _drain(self) -> None:
        """Read whatever the socket holds right now, without waiting."""
        while (self._core.state != _protocol.CONNECTION_CLOSED and self._sock_readable()
               and self._read()):
            pass

    def _read(self) -> bool:
        try:
            data = self._sock.recv(_RECV_SIZE)
        except (BlockingIOError, InterruptedError, ssl.SSLWantReadError):
            return False
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                return False
            self._lost(exc)
            return False
        if not data:
            self._lost(exceptions.StreamLostError("Transport indicated EOF"))
            return False
        self._core.data_received(data, _monotonic())
        return True

    def _ensure_open(self) -> None:
        if self._closed_error is not None or self._core.state != _protocol.CONNECTION_OPEN:
            raise exceptions.ConnectionWrongStateError(
                "BlockingConnection.channel() called on a closed connection"
                if self._closed_error is None else f"Connection is closed: {self._closed_error!r}")

    def _raise_if_closed(self) -> None:
        if self._closed_error is not None and not isinstance(
                self._closed_error, exceptions.ConnectionClosedByClient):
            raise self._closed_error

    # -------------------------------------------------------------- events

    def _run_timers(self) -> int:
        now = _monotonic()
        timers = self._timers
        fired = 0
        while timers and timers[0][0] <= now:
            _deadline, _seq, timer = heapq.heappop(timers)
            if not timer.cancelled:
                timer.cancelled = True
                timer.callback()
                fired += 1
        return fired

    def _dispatch(self) -> int:
        """Run queued user callbacks; return how many ran."""
        count = 0
        while self._threadsafe:
            self._threadsafe.popleft()()
            count += 1
        count += self._run_timers()
        events = self._events
        while events:
            callback, args = events.popleft()
            self._dispatched_since_flush += 1
            if self._acks_since is not None and (
                    self._dispatched_since_flush > _ACK_BATCH or
                    _monotonic() - self._acks_since > _ACK_DELAY):
                self._flush()
            callback(*args)
            count += 1
        if self._acks_since is not None:
            self._flush()
        return count

    def _flush_acks(self) -> None:
        """Acks made inside a dispatch batch leave together when it ends (or within
        _ACK_DELAY); elsewhere they leave at once."""
        if self._dispatching and self._dispatched_since_flush < _ACK_BATCH:
            if self._acks_since is None:
                self._acks_since = _monotonic()
            return
        self._flush()

    # ----------------------------------------------------------- public API

    def add_on_connection_blocked_callback(self, callback: Callable[..., None]) -> None:
        """Call ``callback(connection, method_frame)`` on Connection.Blocked."""
        self._blocked_callbacks.append(callback)

    def add_on_connection_unblocked_callback(self, callback: Callable[..., None]) -> None:
        """Call ``callback(connection, method_frame)`` on Connection.Unblocked."""
        self._unblocked_callbacks.append(callback)

    def call_later(self, delay: float, callback: Callable[[], None]) -> _Timer:
        """Run ``callback()`` from process_data_events after ``delay`` seconds."""
        if not callable(callback):
            raise TypeError("callback must be callable")
        timer = _Timer(_monotonic() + delay, callback)
        heapq.heappush(self._timers, (timer.deadline, next(self._timer_seq), timer))
        return timer

    def remove_timeout(self, timeout_id: _Timer) -> None:
        """Cancel a timer made by call_later."""
        timeout_id.cancelled = True

    def add_callback_threadsafe(self, callback: Callable[[], None]) -> None:
        """Run ``callback()`` in the connection's thread; callable from any thread."""
        if not callable(callback):
            raise TypeError("callback must be callable")
        if self.is_closed:
            raise exceptions.ConnectionWrongStateError(
                "BlockingConnection.add_callback_threadsafe() called on closed connection")
        self._threadsafe.append(callback)
        try:
            self._wake_w.send(b"\0")
        except OSError:
            pass  # the pipe is full: the loop is already due to wake up

    def update_secret(self, new_secret: str, reason: str) -> None:
        """Send Connection.UpdateSecret."""
        self._ensure_open()
        self._core.update_secret(new_secret, reason)
        self._flush()

    def close(self, reply_code: int = 200, reply_text: str = "Normal shutdown") -> None:
        """Close the channels, then the connection, and wait until it is closed."""
        if self.is_closed:
            raise exceptions.ConnectionWrongStateError(
                "Illegal close({}, {!r}) request on {!r} because it was called while "
                "connection state={}.".format(reply_code, reply_text, self, "CLOSED"))
        for channel in list(self._channels.values()):
            if channel.is_open:
                try:
                    channel.close(reply_code, reply_text)
                except exceptions.AMQPError:
                    pass
        if self._core.state == _protocol.CONNECTION_OPEN:
            self._core.close(reply_code, reply_text)
            self._flush()
            deadline = _monotonic() + 10
            while self._core.state != _protocol.CONNECTION_CLOSED and _monotonic() < deadline:
                try:
                    self._poll(0.5)
                except exceptions.AMQPError:
                    break
        self._shutdown()

    def _shutdown(self) -> None:
        if self._heartbeat_sender is not None:
            self._heartbeat_sender.stopped.set()
        if self._core.state != _protocol.CONNECTION_CLOSED:
            self._core.connection_lost(exceptions.ConnectionClosedByClient(200, "Normal shutdown"))
        self._close_socket()
        for sock in (self._wake_r, self._wake_w):
            sock.close()

    def process_data_events(self, time_limit: Optional[float] = 0) -> None:
        """Do I/O and run callbacks for up to ``time_limit`` seconds.

        ``0`` handles what is ready now; ``None`` waits until at least one callback ran.
        """
        if self._dispatching:
            # Called from a callback: do the I/O (heartbeats, acks, incoming data) and
            # leave the callbacks it queues to the dispatch loop already running.
            self._raise_if_closed()
            deadline = _monotonic() + (time_limit or 0)
            while True:
                self._poll(max(0.0, deadline - _monotonic()))
                self._raise_if_closed()
                if _monotonic() >= deadline:
                    return
        self._raise_if_closed()
        if self.is_closed:
            raise exceptions.ConnectionWrongStateError("process_data_events on a closed connection")
        self._dispatching = True
        try:
            if time_limit is None:
                while not self._dispatch():
                    self._poll(None)
                    self._raise_if_closed()
                return
            deadline = _monotonic() + time_limit
            while True:
                self._poll(max(0.0, deadline - _monotonic()) if not self._events else 0)
                self._raise_if_closed()
                self._dispatch()
                if _monotonic() >= deadline:
                    break
        finally:
            self._dispatching = False

    def sleep(self, duration: float) -> None:
        """Sleep ``duration`` seconds while keeping the connection serviced."""
        assert duration >= 0, duration
        deadline = _monotonic() + duration
        remaining = duration
        while True:
            # At least once: sleep(0) services the connection (pika's shutdown idiom
            # ``while not done.is_set(): conn.sleep(0)`` relies on it).
            self.process_data_events(remaining)
            remaining = deadline - _monotonic()
            if remaining <= 0:
                return

    def channel(self, channel_number: Optional[int] = None) -> "BlockingChannel":
        """Open a channel and wait until the broker confirms it."""
        self._ensure_open()
        chan = BlockingChannel(self, channel_number)
        self._channels[chan.channel_number] = chan
        return chan

    def __enter__(self) -> "BlockingConnection":
        return self

    def __exit__(self, exc_type: Any, value: Any, traceback: Any) -> None:
        if self.is_open:
            self.close()

    @property
    def is_closed(self) -> bool:
        """True once the connection is closed."""
        return self._core.state == _protocol.CONNECTION_CLOSED

    @property
    def is_open(self) -> bool:
        """True while the connection is open."""
        return self._core.state == _protocol.CONNECTION_OPEN

    @property
    def is_closing(self) -> bool:
        """pika 0.x: True while a close is in progress."""
        return self._core.state == _protocol.CONNECTION_CLOSING

    def add_backpressure_callback(self, callback: Callable[..., None]) -> None:
        """pika 0.x: accepted and never called (RabbitMQ signals with connection.blocked)."""
        _legacy.warn("BlockingConnection.add_backpressure_callback",
                     "add_on_connection_blocked_callback")

    def add_on_flow_callback(self, callback: Callable[[bool], None]) -> None:
        """pika 0.x: ``callback(False)`` when the broker blocks publishing, True after."""
        _legacy.warn("BlockingConnection.add_on_flow_callback",
                     "add_on_connection_blocked_callback / add_on_connection_unblocked_callback")
        self._blocked_callbacks.append(lambda _conn, _frame: callback(False))
        self._unblocked_callbacks.append(lambda _conn, _frame: callback(True))

    def _capability(self, name: str) -> bool:
        caps = (self._core.server_properties or {}).get("capabilities") or {}
        return bool(caps.get(name, False))

    @property
    def basic_nack_supported(self) -> bool:
        return self._capability("basic.nack")

    @property
    def consumer_cancel_notify_supported(self) -> bool:
        return self._capability("consumer_cancel_notify")

    @property
    def exchange_exchange_bindings_supported(self) -> bool:
        return self._capability("exchange_exchange_bindings")

    @property
    def publisher_confirms_supported(self) -> bool:
        return self._capability("publisher_confirms")

    # pika 0.x spellings
    basic_nack = basic_nack_supported
    consumer_cancel_notify = consumer_cancel_notify_supported
    exchange_exchange_bindings = exchange_exchange_bindings_supported
    publisher_confirms = publisher_confirms_supported


class _Consumer:
    __slots__ = ("tag", "callback", "auto_ack", "queue")

    def __init__(self, tag: str, callback: Optional[Callable[..., None]], auto_ack: bool,
                 queue: Optional[Deque[Message]]) -> None:
        self.tag = tag
        self.callback = callback
        self.auto_ack = auto_ack
        self.queue = queue  # set for the consume() generator's consumer


class BlockingChannel(_protocol.ChannelHandler):
    """A channel of a BlockingConnection, with pika 1.4's BlockingChannel API."""

    def __init__(self, connection: BlockingConnection, channel_number: Optional[int]) -> None:
        self._connection = connection
        self._consumers: Dict[str, _Consumer] = {}
        self._cancel_callbacks: List[Callable[..., None]] = []
        self._return_callbacks: List[Callable[..., None]] = []
        self._flow_callbacks: List[Callable[[bool], None]] = []
        self._close_callbacks: List[Callable[..., None]] = []
        self._reply: Optional[Tuple[Any, Any, Any]] = None
        self._consuming = False
        self._stop_requested = False
        self._generator: Optional[_Consumer] = None
        self._confirm_result: Optional[Any] = None
        self._unreported_close: Optional[BaseException] = None
        self._confirm_returns: List[ReturnedMessage] = []
        self._delivery_tag_base = 0
        self._core = connection._core.open_channel(self, channel_number)
        self._wait(lambda: self._core.state != _protocol.CHANNEL_OPENING)
        if self._core.state != _protocol.CHANNEL_OPEN:
            raise self._core.close_error or exceptions.ChannelClosed(0, "open failed")

    # -------------------------------------------------------- core callbacks

    def on_reply(self, ticket: Any, method: Any, properties: Any, body: Any) -> None:
        self._reply = (method, properties, body)

    def _on_message(self, consumer: "_Consumer", method: Any, properties: Any,
                    body: Any) -> None:
        # The core dispatches here, by consumer tag, for consumers it has registered.
        if consumer.queue is not None:
            consumer.queue.append((method, properties, body))
        else:
            callback: Callable[..., None] = consumer.callback  # type: ignore[assignment]
            self._connection._events.append((callback, (self, method, properties, body)))

    def on_return(self, method: Any, properties: Any, body: Any) -> None:
        if self._core.confirming:
            self._confirm_returns.append(ReturnedMessage(method, properties, body))
        for callback in self._return_callbacks:
            self._connection._events.append((callback, (self, method, properties, body)))

    def on_confirm(self, method: Any) -> None:
        self._confirm_result = method

    def on_cancel(self, method: Any) -> None:
        consumer = self._consumers.get(method.consumer_tag)
        if consumer is not None and consumer is self._generator:
            # The generator ends; as in pika, the cancel callbacks are not for it.
            self._consumers.pop(method.consumer_tag, None)
            consumer.queue.append((None, None, None))  # type: ignore[union-attr]
            return
        # Dropped when dispatched, after the messages before it: start_consuming keeps
        # running until the user's cancel callbacks have seen it.
        self._connection._events.append((self._dispatch_cancel, (method,)))

    def _dispatch_cancel(self, method: Any) -> None:
        self._consumers.pop(method.consumer_tag, None)
        method_frame = frame.Method(self.channel_number, method)
        for callback in self._cancel_callbacks:
            callback(method_frame)

    def on_closed(self, error: BaseException) -> None:
        if isinstance(error, exceptions.ChannelClosedByBroker):
            self._unreported_close = error
        self._consumers.clear()
        self._connection._channels.pop(self.channel_number, None)
        for callback in self._close_callbacks:
            callback(self, error)
        # Wakes process_data_events(None), so start_consuming sees the close at once.
        self._connection._events.append((_noop, ()))

    def on_bad_message(self, error: exceptions.MessageDecodeError) -> None:
        # The core has applied the policy (reject without requeue unless auto_ack).
        LOGGER.error("Channel %d: %s", self.channel_number, error)

    # ---------------------------------------------------------------- waits

    def _wait(self, done: Callable[[], bool]) -> None:
        conn = self._connection
        while not done():
            if conn._core.state == _protocol.CONNECTION_CLOSED:
                raise conn._closed_error or exceptions.ConnectionClosed(0, "closed")
            conn._poll(None)

    def _rpc(self, method: Any) -> Any:
        return self._call(lambda: self._core.request(method))

    def _call(self, start: Callable[[], Any]) -> Any:
        """Start a core request (``start`` returns its ticket, None if no reply comes)
        and wait for the reply."""
        self._check_usable()
        self._reply = None
        ticket = start()
        self._connection._flush()
        if ticket is None:
            return None
        self._wait(lambda: self._reply is not None or self._core.state == _protocol.CHANNEL_CLOSED)
        if self._reply is None:
            self._unreported_close = None
            raise self._core.close_error  # type: ignore[misc]
        reply = self._reply
        self._reply = None
        return reply

    def _check_usable(self) -> None:
        if self._core.state != _protocol.CHANNEL_OPEN:
            # The broker's reason is raised once, by the first call that meets it (as
            # pika); after that the channel is simply closed.
            error, self._unreported_close = self._unreported_close, None
            if error is not None:
                raise error
            raise exceptions.ChannelWrongStateError("Channel is closed.")

    def _method_frame(self, method: Any) -> frame.Method[Any]:
        return frame.Method(self.channel_number, method)

    # ----------------------------------------------------------- properties

    @property
    def channel_number(self) -> int:
        """The channel's number."""
        return self._core.channel_number

    @property
    def connection(self) -> BlockingConnection:
        """The BlockingConnection this channel belongs to."""
        return self._connection

    @property
    def is_closed(self) -> bool:
        return self._core.state == _protocol.CHANNEL_CLOSED

    @property
    def is_open(self) -> bool:
        return self._core.state == _protocol.CHANNEL_OPEN

    @property
    def consumer_tags(self) -> List[str]:
        """Tags of the active consumers."""
        return list(self._consumers)

    def __int__(self) -> int:
        return self.channel_number

    def __repr__(self) -> str:
        return f"<BlockingChannel impl=<Channel number={self.channel_number}>>"

    def __enter__(self) -> "BlockingChannel":
        return self

    def __exit__(self, exc_type: Any, value: Any, traceback: Any) -> None:
        if self.is_open:
            self.close()

    # -------------------------------------------------------------- closing

    def close(self, reply_code: int = 0, reply_text: str = "Normal shutdown") -> None:
        """Cancel consumers, close the channel and wait for the broker's CloseOk."""
        if self.is_closed:
            raise exceptions.ChannelWrongStateError("Channel is closed.")
        for tag in list(self._consumers):
            consumer = self._consumers[tag]
            try:
                self.basic_cancel(tag)
            except exceptions.AMQPError:
                break
            if consumer.queue is not None and not consumer.auto_ack:
                self._nack_pending(consumer)
        self._core.close(reply_code, reply_text)
        self._connection._flush()
        self._wait(lambda: self._core.state == _protocol.CHANNEL_CLOSED)

    def _nack_pending(self, consumer: _Consumer) -> int:
        count = 0
        queue = consumer.queue
        while queue:
            method, _props, _body = queue.popleft()
            if method is not None and self.is_open:
                self._core.send(spec.Basic.Nack(method.delivery_tag, False, True))
                count += 1
        self._connection._flush()
        return count

    def flow(self, active: bool) -> bool:
        """Ask the broker to start or stop this channel's flow; return its answer."""
        method, _p, _b = self._rpc(spec.Channel.Flow(active))
        return method.active

    def add_on_cancel_callback(self, callback: Callable[..., None]) -> None:
        """Call ``callback(method_frame)`` when the broker cancels a consumer."""
        self._cancel_callbacks.append(callback)

    def add_on_return_callback(self, callback: Callable[..., None]) -> None:
        """Call ``callback(channel, method, properties, body)`` for returned messages."""
        self._return_callbacks.append(callback)

    def add_on_close_callback(self, callback: Callable[..., None]) -> None:
        """Older pika: ``callback(channel, exception)`` when the channel closes.

        pika 1.x raises the close reason from the next call on the channel instead.
        """
        _legacy.warn("BlockingChannel.add_on_close_callback",
                     "the ChannelClosed exception the next channel call raises")
        validators.require_callback(callback)
        self._close_callbacks.append(callback)

    # ----------------------------------------------------------- consuming

    def basic_consume(self, *args: Any, **kwargs: Any) -> str:
        """Start a consumer: ``basic_consume(queue, on_message_callback, auto_ack=False,
        exclusive=False, consumer_tag=None, arguments=None)``.

        ``on_message_callback(channel, method, properties, body)``. The pika 0.x order
        ``basic_consume(consumer_callback, queue='', no_ack=False, ...)`` is accepted
        with a DeprecationWarning.
        """
        bound = _legacy.consume_arguments(args, kwargs, with_callback=False)
        on_message_callback = bound["on_message_callback"]
        validators.require_callback(on_message_callback, "on_message_callback")
        return self._consume(bound["queue"], on_message_callback, None,
                             bound.get("auto_ack", False), bound.get("exclusive", False),
                             bound.get("consumer_tag"), bound.get("arguments"))

    def add_on_flow_callback(self, callback: Callable[[bool], None]) -> None:
        """pika 0.x: ``callback(active)`` when the broker sends Channel.Flow."""
        _legacy.warn("BlockingChannel.add_on_flow_callback",
                     "RabbitMQ's connection.blocked notifications")
        self._flow_callbacks.append(callback)

    def on_flow(self, active: bool) -> None:
        for callback in self._flow_callbacks:
            self._connection._events.append((callback, (active,)))

    def _consume(self, queue: str, callback: Optional[Callable[..., None]],
                 buffer: Optional[Deque[Message]], auto_ack: bool, exclusive: bool,
                 consumer_tag: Optional[str], arguments: Optional[Dict[str, Any]]) -> str:
        self._check_usable()
        if not consumer_tag:
            consumer_tag = f"ctag{self.channel_number}.{_random_hex()}"
        if consumer_tag in self._consumers:
            raise exceptions.DuplicateConsumerTag(consumer_tag)
        consumer = _Consumer(consumer_tag, callback, auto_ack, buffer)
        self._consumers[consumer_tag] = consumer
        on_message = functools.partial(self._on_message, consumer)
        try:
            self._call(lambda: self._core.consume(queue, on_message, auto_ack, exclusive,
                                                  consumer_tag, arguments)[1])
        except BaseException:
            self._consumers.pop(consumer_tag, None)
            raise
        return consumer_tag

    def basic_cancel(self, consumer_tag: str) -> List[Message]:
        """Cancel a consumer; return its undispatched messages when it was auto_ack."""
        consumer = self._consumers.get(consumer_tag)
        if consumer is None:
            return []
        if self.is_open:
            self._call(lambda: self._core.cancel(consumer_tag))
        self._consumers.pop(consumer_tag, None)
        pending: List[Message] = []
        kept = []
        events = self._connection._events
        for callback, args in events:
            if (callback is consumer.callback and len(args) == 4 and args[0] is self
                    and args[1].consumer_tag == consumer_tag):
                pending.append((args[1], args[2], args[3]))
            else:
                kept.append((callback, args))
        # In place: a dispatch loop further up the stack may be iterating this deque.
        events.clear()
        events.extend(kept)
        if not consumer.auto_ack:
            for method, _p, _b in pending:
                if self.is_open:
                    self._core.send(spec.Basic.Nack(method.delivery_tag, False, True))
            self._connection._flush()
            return []
        return pending

    def start_consuming(self) -> None:
        """Dispatch deliveries to consumers until they are all cancelled or stopped."""
        if self._connection._dispatching:
            raise exceptions.ReentrancyError(
                "start_consuming may not be called from the scope of another "
                "BlockingConnection or BlockingChannel callback")
        self._stop_requested = False
        self._consuming = True
        try:
            while self._consumers and not self._stop_requested:
                self._connection.process_data_events(time_limit=None)
            if self._unreported_close is not None:
                self._check_usable()  # the broker closed us: say why
        finally:
            self._consuming = False

    def stop_consuming(self, consumer_tag: Optional[str] = None) -> None:
        """Cancel ``consumer_tag`` (or every consumer) so start_consuming returns."""
        if consumer_tag:
            self.basic_cancel(consumer_tag)
        else:
            self._stop_requested = True
            for tag in list(self._consumers):
                if self._consumers[tag] is not self._generator:
                    self.basic_cancel(tag)

    def consume(self, queue: str, auto_ack: bool = False, exclusive: bool = False,
                arguments: Optional[Dict[str, Any]] = None,
                inactivity_timeout: Optional[float] = None,
                consumer_tag: Optional[str] = None) -> Generator[Message, None, None]:
        """Yield (method, properties, body) from ``queue``; (None, None, None) on inactivity."""
        params = (queue, auto_ack, exclusive, arguments)
        if self._generator is None:
            buffer: Deque[Message] = collections.deque()
            tag = self._consume(queue, None, buffer, auto_ack, exclusive, consumer_tag,
                                arguments)
            self._generator = self._consumers[tag]
            self._generator_params = params
        elif params != self._generator_params:
            raise ValueError(f"Consume with different params not allowed on existing "
                             f"queue consumer generator; previous params: "
                             f"{self._generator_params!r}; new params: {params!r}")
        consumer = self._generator
        buffer = consumer.queue  # type: ignore[assignment]
        conn = self._connection
        try:
            while True:
                if not buffer:
                    deadline = None if inactivity_timeout is None else \
                        _monotonic() + inactivity_timeout
                    while not buffer:
                        if consumer.tag not in self._consumers and self._generator is not consumer:
                            return
                        if self._generator is not consumer:
                            return
                        remaining = None if deadline is None else deadline - _monotonic()
                        if remaining is not None and remaining <= 0:
                            break
                        conn._poll(remaining)
                        conn._raise_if_closed()
                        if not self.is_open:
                            self._check_usable()
                        conn._dispatch()
                    if not buffer:
                        yield (None, None, None)
                        continue
                item = buffer.popleft()
                if item[0] is None:  # the broker cancelled the consumer
                    self._generator = None
                    return
                yield item
        finally:
            pass

    def get_waiting_message_count(self) -> int:
        """Messages the consume() generator holds and has not yet yielded."""
        if self._generator is None or self._generator.queue is None:
            return 0
        return len(self._generator.queue)

    def cancel(self) -> int:
        """Cancel the consume() generator; requeue (nack) its pending messages.

        Returns 0, as pika 1.4 does."""
        consumer = self._generator
        if consumer is None:
            return 0
        self._generator = None
        if consumer.tag in self._consumers and self.is_open:
            self._call(lambda: self._core.cancel(consumer.tag))
        self._consumers.pop(consumer.tag, None)
        if consumer.auto_ack:
            consumer.queue.clear()  # type: ignore[union-attr]
        else:
            self._nack_pending(consumer)  # back to the queue, not lost
        return 0  # pika 1.4 documents and returns 0 here

    # ----------------------------------------------------------- messages

    def basic_ack(self, delivery_tag: int = 0, multiple: bool = False) -> None:
        """Acknowledge one message, or every one up to ``delivery_tag`` if ``multiple``."""
        self._check_usable()
        self._core.send(spec.Basic.Ack(delivery_tag, multiple))
        self._connection._flush_acks()

    def basic_nack(self, delivery_tag: int = 0, multiple: bool = False,
                   requeue: bool = True) -> None:
        """Reject one or several messages, requeueing them by default."""
        self._check_usable()
        self._core.send(spec.Basic.Nack(delivery_tag, multiple, requeue))
        self._connection._flush_acks()

    def basic_reject(self, delivery_tag: int = 0, requeue: bool = True) -> None:
        """Reject one message."""
        self._check_usable()
        self._core.send(spec.Basic.Reject(delivery_tag, requeue))
        self._connection._flush_acks()

    def basic_get(self, queue: str, auto_ack: bool = False,
                  **legacy: Any) -> Message:
        """Fetch one message: (GetOk, properties, body), or (None, None, None) if empty.

        ``no_ack`` is accepted as pika 0.x's name for ``auto_ack``.
        """
        if legacy:
            auto_ack = _legacy.get_auto_ack(auto_ack, legacy)
        method, properties, body = self._rpc(spec.Basic.Get(queue=queue, no_ack=auto_ack))
        if isinstance(method, spec.Basic.GetEmpty):
            return None, None, None
        return method, properties, body

    def basic_publish(self, exchange: str, routing_key: str, body: Any,
                      properties: Optional[spec.BasicProperties] = None,
                      mandatory: bool = False, immediate: Optional[bool] = None) -> None:
        """Publish a message; in confirm mode wait for the broker's verdict.

        Raises UnroutableError when a mandatory message comes back, NackError when the
        broker refuses it (confirm mode only). ``immediate`` is pika 0.x's: False is
        accepted, True refused before anything is sent.
        """
        if immediate is not None:
            _legacy.check_immediate(immediate)
        core = self._core
        if core.state != _protocol.CHANNEL_OPEN:
            self._check_usable()
        if properties is None:
            properties = _EMPTY_PROPERTIES
        if core.confirming:
            self._publish_confirmed(exchange, routing_key, body, properties, mandatory)
            return
        core.publish(exchange, routing_key, properties, body, mandatory)
        self._connection._flush()

    def _publish_confirmed(self, exchange: str, routing_key: str, body: Any,
                           properties: Any, mandatory: bool) -> None:
        self._confirm_result = None
        self._confirm_returns = []
        tag = self._core.publish(exchange, routing_key, properties, body, mandatory)
        conn = self._connection
        conn._flush()
        while True:
            result = self._confirm_result
            if result is not None and (result.delivery_tag >= tag or
                                       (result.delivery_tag == 0 and result.multiple)):
                break
            if result is not None:
                self._confirm_result = None
            if self._core.state != _protocol.CHANNEL_OPEN:
                self._check_usable()
            conn._poll(None)
            conn._raise_if_closed()
        if isinstance(result, spec.Basic.Nack):
            returned, self._confirm_returns = self._confirm_returns, []
            raise exceptions.NackError(returned)
        if self._confirm_returns:
            returned = self._confirm_returns
            self._confirm_returns = []
            raise exceptions.UnroutableError(returned)

    def basic_qos(self, prefetch_size: int = 0, prefetch_count: int = 0,
                  global_qos: bool = False, all_channels: Optional[bool] = None) -> None:
        """Set the prefetch window of this channel (or connection, with global_qos).

        ``all_channels`` is pika 0.x's name for ``global_qos``.
        """
        global_qos = _legacy.qos_global(global_qos, all_channels)
        self._rpc(spec.Basic.Qos(prefetch_size, prefetch_count, global_qos))

    def basic_recover(self, requeue: bool = False) -> None:
        """Ask the broker to redeliver unacknowledged messages."""
        self._rpc(spec.Basic.Recover(requeue))

    def confirm_delivery(self) -> None:
        """Put the channel in publisher-confirm mode."""
        self._call(lambda: self._core.confirm_select())

    # ----------------------------------------------------------- topology

    def exchange_declare(self, exchange: str,
                         exchange_type: Union[ExchangeType, str] = ExchangeType.direct,
                         passive: bool = False, durable: bool = False,
                         auto_delete: bool = False, internal: bool = False,
                         arguments: Optional[Dict[str, Any]] = None,
                         **legacy: Any) -> frame.Method[Any]:
        """Declare an exchange; return the Exchange.DeclareOk method frame.

        ``type=`` is accepted as pika 0.x's name for ``exchange_type``.
        """
        if legacy:
            exchange_type = _legacy.exchange_type(exchange_type, legacy)
        if isinstance(exchange_type, ExchangeType):
            exchange_type = exchange_type.value
        method = self._rpc(spec.Exchange.Declare(
            exchange=exchange, type=exchange_type, passive=passive, durable=durable,
            auto_delete=auto_delete, internal=internal, arguments=arguments or {}))[0]
        return self._method_frame(method)

    def exchange_delete(self, exchange: Optional[str] = None,
                        if_unused: bool = False) -> frame.Method[Any]:
        """Delete an exchange."""
        return self._method_frame(self._rpc(spec.Exchange.Delete(
            exchange=exchange or "", if_unused=if_unused))[0])

    def exchange_bind(self, destination: str, source: str, routing_key: str = "",
                      arguments: Optional[Dict[str, Any]] = None) -> frame.Method[Any]:
        """Bind an exchange to another exchange."""
        return self._method_frame(self._rpc(spec.Exchange.Bind(
            destination=destination, source=source, routing_key=routing_key,
            arguments=arguments or {}))[0])

    def exchange_unbind(self, destination: Optional[str] = None, source: Optional[str] = None,
                        routing_key: str = "",
                        arguments: Optional[Dict[str, Any]] = None) -> frame.Method[Any]:
        """Remove an exchange-to-exchange binding."""
        return self._method_frame(self._rpc(spec.Exchange.Unbind(
            destination=destination or "", source=source or "", routing_key=routing_key,
            arguments=arguments or {}))[0])

    def queue_declare(self, queue: str, passive: bool = False, durable: bool = False,
                      exclusive: bool = False, auto_delete: bool = False,
                      arguments: Optional[Dict[str, Any]] = None) -> frame.Method[Any]:
        """Declare a queue; ``result.method.queue`` is its name."""
        return self._method_frame(self._rpc(spec.Queue.Declare(
            queue=queue, passive=passive, durable=durable, exclusive=exclusive,
            auto_delete=auto_delete, arguments=arguments or {}))[0])

    def queue_delete(self, queue: str, if_unused: bool = False,
                     if_empty: bool = False) -> frame.Method[Any]:
        """Delete a queue; ``result.method.message_count`` is how many it held."""
        return self._method_frame(self._rpc(spec.Queue.Delete(
            queue=queue, if_unused=if_unused, if_empty=if_empty))[0])

    def queue_purge(self, queue: str) -> frame.Method[Any]:
        """Purge a queue; ``result.method.message_count`` is how many were removed."""
        return self._method_frame(self._rpc(spec.Queue.Purge(queue=queue))[0])

    def queue_bind(self, queue: str, exchange: str, routing_key: Optional[str] = None,
                   arguments: Optional[Dict[str, Any]] = None) -> frame.Method[Any]:
        """Bind a queue to an exchange (routing key defaults to the queue name)."""
        if routing_key is None:
            routing_key = queue
        return self._method_frame(self._rpc(spec.Queue.Bind(
            queue=queue, exchange=exchange, routing_key=routing_key,
            arguments=arguments or {}))[0])

    def queue_unbind(self, queue: str, exchange: Optional[str] = None,
                     routing_key: Optional[str] = None,
                     arguments: Optional[Dict[str, Any]] = None) -> frame.Method[Any]:
        """Remove a queue binding."""
        if routing_key is None:
            routing_key = queue
        return self._method_frame(self._rpc(spec.Queue.Unbind(
            queue=queue, exchange=exchange or "", routing_key=routing_key,
            arguments=arguments or {}))[0])

    def tx_select(self) -> frame.Method[Any]:
        """Start using transactions on this channel."""
        return self._method_frame(self._rpc(spec.Tx.Select())[0])

    def tx_commit(self) -> frame.Method[Any]:
        """Commit the current transaction."""
        return self._method_frame(self._rpc(spec.Tx.Commit())[0])

    def tx_rollback(self) -> frame.Method[Any]:
        """Roll back the current transaction."""
        return self._method_frame(self._rpc(spec.Tx.Rollback())[0])


_EMPTY_PROPERTIES = spec.BasicProperties()


def _noop() -> None:
    """A wake-up event: makes process_data_events(None) look at the state again."""


def _random_hex() -> str:
    import uuid

    return uuid.uuid4().hex
