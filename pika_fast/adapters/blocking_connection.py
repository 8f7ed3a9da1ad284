"""BlockingConnection and BlockingChannel with pika 1.4's API: a synchronous shell over
the callback ``SelectConnection``/``Channel`` (reachable as ``_impl``, as in pika).

No protocol rule lives here: the shell translates calls, waits for the callback
connection's replies by turning its IOLoop, and runs the user's callbacks from
``process_data_events``. What it adds is the fast path pika's own BlockingConnection
lacks: output is written straight to the socket when an API call returns (no loop
round trip per publish, many frames per send), and a small thread keeps heartbeats
going while user code runs.
"""
from __future__ import annotations

import collections
import functools
import logging
import threading
import time
from typing import (TYPE_CHECKING, Any, Callable, Deque, Dict, Generator, List, Optional,
                    Sequence, Tuple, Type, Union, overload)

from pika_fast import _codec, _legacy, _protocol, exceptions, frame, spec, validators
from pika_fast.adapters._ioloop import IOLoop
from pika_fast.adapters.select_connection import SelectConnection
from pika_fast.adapters.utils.connection_workflow import last_attempt_error
from pika_fast.exchange_type import ExchangeType

if TYPE_CHECKING:
    from types import TracebackType

    from pika_fast._parameters import Parameters
    from pika_fast.channel import Channel
    from pika_fast.recovery import RecoveryPolicy

LOGGER = logging.getLogger(__name__)

# Acks made while callbacks are being dispatched leave after this many deliveries have
# been handed out (or when the pass ends): one send for a batch, yet never enough
# held back to drain the broker's prefetch window.
_ACK_BATCH = 32
_monotonic = time.monotonic

Message = Tuple[Any, Any, Any]

# The shapes users' code sees, for type checkers (as precise as pika 1.4.4's hints).
# Callbacks may return anything: their result is ignored.
_OnMessageCallback = Callable[
    ["BlockingChannel", spec.Basic.Deliver, spec.BasicProperties, bytes], Any]
_OnReturnCallback = Callable[
    ["BlockingChannel", spec.Basic.Return, spec.BasicProperties, bytes], Any]
_GetResult = Tuple[Optional[spec.Basic.GetOk], Optional[spec.BasicProperties],
                   Optional[bytes]]
_ConsumeResult = Tuple[Optional[spec.Basic.Deliver], Optional[spec.BasicProperties],
                       Optional[bytes]]
_CancelledMessages = List[Tuple[spec.Basic.Deliver, spec.BasicProperties, bytes]]
_ParametersArg = Union["Parameters", Sequence["Parameters"], None]


class ReturnedMessage:
    """A message the broker returned (Basic.Return) while publishing with confirms."""

    __slots__ = ("method", "properties", "body")

    def __init__(self, method: spec.Basic.Return, properties: spec.BasicProperties,
                 body: bytes) -> None:
        self.method = method
        self.properties = properties
        self.body = body


class _SelectConnectionForBlocking(SelectConnection):
    """The callback connection under a BlockingConnection.

    Once open, its output is not left to the loop: the shell writes it synchronously at
    the end of every call (:meth:`_send_all`), so a burst of publishes leaves in one
    send and nothing waits unsent while the user believes it was sent. Writes hold
    ``write_lock``, which the heartbeat thread takes too.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.write_lock = threading.RLock()
        self.shell_writes = False
        super().__init__(*args, **kwargs)

    def _flush_soon(self) -> None:
        if not self.shell_writes:
            with self.write_lock:
                super()._flush_soon()

    def _send_all(self) -> None:
        """Write everything the core holds, waiting for the socket while it is full;
        a broker that stops reading meets blocked_connection_timeout."""
        transport = self._transport
        if transport is None or not (self._core.has_output() or transport.has_pending):
            return
        with self.write_lock:
            if not transport.flush_blocking(self._core.blocked_deadline):
                self._core.run_deadlines(_monotonic())

    def _adapter_disconnect_stream(self) -> None:
        with self.write_lock:
            super()._adapter_disconnect_stream()


class _HeartbeatSender(threading.Thread):
    """Writes heartbeat frames while the owning thread is busy in user code."""

    def __init__(self, impl: _SelectConnectionForBlocking, interval: int) -> None:
        super().__init__(name="pika_fast-heartbeat", daemon=True)
        self._impl = impl
        self._period = interval / 4.0
        self.stopped = threading.Event()

    def run(self) -> None:
        impl = self._impl
        while not self.stopped.wait(self._period):
            core = impl._core
            if core.state != _protocol.CONNECTION_OPEN:
                return
            if not core.heartbeat_frame_due(_monotonic()):
                continue
            with impl.write_lock:
                transport = impl._transport
                sock = None if transport is None else transport.socket
                if sock is None or transport.has_pending:
                    continue  # mid-write: the owner is sending, which counts as traffic
                try:
                    sock.sendall(_codec.HEARTBEAT_FRAME)
                    core.mark_sent(_monotonic())
                except OSError:
                    return  # the owning thread sees the broken socket on its next call


class BlockingConnection:
    """A synchronous connection to RabbitMQ, with pika 1.4's BlockingConnection API.

    ``_impl`` is the callback connection underneath (a ``SelectConnection``), as in pika.
    """

    def __new__(cls, parameters: _ParametersArg = None,
                _impl_class: Optional[Type[SelectConnection]] = None,
                recovery: Optional[RecoveryPolicy] = None) -> BlockingConnection:
        if recovery is not None and cls is BlockingConnection:
            from pika_fast.recovery import RecoveringBlockingConnection  # opt-in recovery
            cls = RecoveringBlockingConnection
        return super().__new__(cls)

    def __init__(self, parameters: _ParametersArg = None,
                 _impl_class: Optional[Type[SelectConnection]] = None,
                 recovery: Optional[RecoveryPolicy] = None) -> None:
        from pika_fast.connection import ConnectionParameters

        configs: List[Any]
        if parameters is None:
            configs = [ConnectionParameters()]
        elif isinstance(parameters, (list, tuple)):
            configs = list(parameters)
        else:
            configs = [parameters]
        if not configs:
            raise ValueError("Expected a non-empty sequence of connection parameters")
        self._pump_lock = threading.RLock()
        self._channels: Dict[int, BlockingChannel] = {}
        # Connection-level events (thread-safe callbacks, timers, blocked/unblocked) run
        # before the channels' (deliveries, returns, cancels), as in pika.
        self._ready: Deque[Tuple[Callable[..., None], Tuple[Any, ...]]] = collections.deque()
        self._events: Deque[Tuple[Callable[..., None], Tuple[Any, ...]]] = collections.deque()
        self._closed_error: Optional[BaseException] = None
        self._dispatching = False
        self._acks_waiting = False
        self._dispatched_since_flush = 0
        self._heartbeat_sender: Optional[_HeartbeatSender] = None
        self._blocked_callbacks: List[Callable[..., None]] = []
        self._unblocked_callbacks: List[Callable[..., None]] = []
        self._impl: SelectConnection = self._create_impl(
            configs, _impl_class or _SelectConnectionForBlocking)
        impl = self._impl
        impl.add_on_close_callback(self._on_impl_closed)
        impl.add_on_connection_blocked_callback(self._on_impl_blocked)
        impl.add_on_connection_unblocked_callback(self._on_impl_unblocked)
        if isinstance(impl, _SelectConnectionForBlocking):
            impl.shell_writes = True
            if impl._core.heartbeat:
                self._heartbeat_sender = _HeartbeatSender(impl, impl._core.heartbeat)
                self._heartbeat_sender.start()

    def _create_impl(self, configs: Sequence[Any], impl_class: Any) -> SelectConnection:
        """Run the shared connection workflow on a private IOLoop until it is done."""
        loop = IOLoop()
        outcome: List[Any] = []
        impl_class.create_connection(configs, outcome.append, custom_ioloop=loop)
        try:
            while not outcome:
                loop.poll()
                loop.process_timeouts()
        except BaseException:
            loop.close()
            raise
        result: Union[SelectConnection, BaseException] = outcome[0]
        if isinstance(result, BaseException):
            loop.close()
            raise last_attempt_error(result)
        return result

    # ----------------------------------------------------- impl callbacks

    def _on_impl_closed(self, _impl: Any, error: BaseException) -> None:
        self._closed_error = error
        if self._heartbeat_sender is not None:
            self._heartbeat_sender.stopped.set()
        self._ready.append((_noop, ()))  # wakes process_data_events(None)

    def _on_impl_blocked(self, _impl: Any, method_frame: Any) -> None:
        for callback in self._blocked_callbacks:
            self._ready.append((callback, (self, method_frame)))

    def _on_impl_unblocked(self, _impl: Any, method_frame: Any) -> None:
        for callback in self._unblocked_callbacks:
            self._ready.append((callback, (self, method_frame)))

    # -------------------------------------------------------------- I/O

    def _flush(self) -> None:
        """Write what the callback connection produced; output never waits for a loop."""
        self._acks_waiting = False
        self._dispatched_since_flush = 0
        impl = self._impl
        if isinstance(impl, _SelectConnectionForBlocking):
            impl._send_all()
        self._raise_if_closed()

    def _flush_acks(self) -> None:
        """Acks made inside a dispatch pass leave together (at most _ACK_BATCH
        deliveries later, or when the pass ends); elsewhere they leave at once."""
        if self._dispatching and self._dispatched_since_flush < _ACK_BATCH:
            self._acks_waiting = True
            return
        self._flush()

    def _poll(self, timeout: Optional[float]) -> bool:
        """Turn the loop once, waiting at most ``timeout`` seconds (None: until something
        happens). One thread at a time turns it; another that calls in meanwhile waits
        its turn (up to ``timeout``) instead of raising, as pika's examples need."""
        if not self._pump_lock.acquire(timeout=-1 if timeout is None else timeout):
            return False
        try:
            impl = self._impl
            loop = impl.ioloop
            if impl.is_closed:
                return False
            if isinstance(impl, _SelectConnectionForBlocking):
                impl._send_all()  # nothing may wait in our buffer while we wait
            loop._poll_for(timeout)
            loop.process_timeouts()
            if isinstance(impl, _SelectConnectionForBlocking) and not impl.is_closed:
                impl._send_all()
            return True
        finally:
            self._pump_lock.release()

    def _raise_if_closed(self) -> None:
        error = self._closed_error
        if error is not None and not isinstance(error, exceptions.ConnectionClosedByClient):
            self._release()  # the user may never call close() on a lost connection
            raise error

    def _ensure_open(self) -> None:
        if self._closed_error is not None or not self._impl.is_open:
            raise exceptions.ConnectionWrongStateError(
                "BlockingConnection.channel() called on a closed connection"
                if self._closed_error is None else f"Connection is closed: {self._closed_error!r}")

    def _wait(self, done: Callable[[], bool]) -> None:
        """Turn the loop until ``done()``; the connection's end is raised."""
        while not done():
            if self._impl.is_closed:
                self._raise_if_closed()  # releases the loop before raising the reason
                raise self._closed_error or exceptions.ConnectionClosed(0, "closed")
            self._poll(None)

    def _dispatch(self) -> int:
        """Run the queued user callbacks; return how many ran."""
        count = 0
        ready = self._ready
        while ready:
            callback, args = ready.popleft()
            callback(*args)
            count += 1
        events = self._events
        while events:
            callback, args = events.popleft()
            self._dispatched_since_flush += 1
            if self._acks_waiting and self._dispatched_since_flush > _ACK_BATCH:
                self._flush()
            callback(*args)
            count += 1
        if self._acks_waiting:
            self._flush()
        return count

    # ----------------------------------------------------------- public API

    def add_on_connection_blocked_callback(
            self, callback: Callable[[BlockingConnection, frame.Method[spec.Connection.Blocked]],
                                     Any]) -> None:
        """Call ``callback(connection, method_frame)`` on Connection.Blocked."""
        validators.require_callback(callback)
        self._blocked_callbacks.append(callback)

    def add_on_connection_unblocked_callback(
            self, callback: Callable[[BlockingConnection,
                                      frame.Method[spec.Connection.Unblocked]], Any]) -> None:
        """Call ``callback(connection, method_frame)`` on Connection.Unblocked."""
        validators.require_callback(callback)
        self._unblocked_callbacks.append(callback)

    def call_later(self, delay: float, callback: Callable[[], Any]) -> object:
        """Run ``callback()`` from process_data_events after ``delay`` seconds."""
        validators.require_callback(callback)
        return self._impl._adapter_call_later(
            delay, lambda: self._ready.append((callback, ())))

    def remove_timeout(self, timeout_id: object) -> None:
        """Cancel a timer made by call_later."""
        self._impl._adapter_remove_timeout(timeout_id)

    def add_callback_threadsafe(self, callback: Callable[[], Any]) -> None:
        """Run ``callback()`` from process_data_events; callable from any thread."""
        validators.require_callback(callback)
        if self.is_closed:
            raise exceptions.ConnectionWrongStateError(
                "BlockingConnection.add_callback_threadsafe() called on closed connection")
        self._impl._adapter_add_callback_threadsafe(
            lambda: self._ready.append((callback, ())))

    def update_secret(self, new_secret: str, reason: str) -> None:
        """Send Connection.UpdateSecret and wait for UpdateSecretOk."""
        self._ensure_open()
        done: List[Any] = []
        self._impl.update_secret(new_secret, reason, done.append)
        self._flush()
        self._wait(lambda: bool(done))

    def close(self, reply_code: int = 200, reply_text: str = "Normal shutdown") -> None:
        """Close the channels, then the connection, and wait until it is closed."""
        if self.is_closed:
            self._release()
            raise exceptions.ConnectionWrongStateError(
                "Illegal close({}, {!r}) request on {!r} because it was called while "
                "connection state={}.".format(reply_code, reply_text, self, "CLOSED"))
        for channel in list(self._channels.values()):
            if channel.is_open:
                try:
                    channel.close(reply_code, reply_text)
                except exceptions.AMQPError:
                    pass
        impl = self._impl
        if impl.is_open:
            impl.close(reply_code, reply_text)
            try:
                self._flush()
                deadline = _monotonic() + 10
                while not impl.is_closed and _monotonic() < deadline:
                    self._poll(0.5)
            except exceptions.AMQPError:
                pass
        self._shutdown()

    def _shutdown(self) -> None:
        impl = self._impl
        if not impl.is_closed:
            impl._core.connection_lost(exceptions.ConnectionClosedByClient(200, "Normal shutdown"))
        self._release()

    def _release(self) -> None:
        """Free the socket, the loop's wake-up pair and the heartbeat thread (idempotent;
        never from inside the loop's own dispatch)."""
        if self._heartbeat_sender is not None:
            self._heartbeat_sender.stopped.set()
        impl = self._impl
        impl._adapter_disconnect_stream()
        loop = impl.ioloop
        if not self._pump_lock.acquire(blocking=False):
            return  # another thread is in the loop: it releases on its way out
        try:
            loop.close()
        finally:
            self._pump_lock.release()

    def process_data_events(self, time_limit: Optional[float] = 0) -> None:
        """Do I/O and run callbacks; return once some ran or ``time_limit`` passed.

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
                idle = not self._events and not self._ready
                self._poll(max(0.0, deadline - _monotonic()) if idle else 0)
                self._raise_if_closed()
                # time_limit is an upper bound, as in pika: return once callbacks ran
                # (an RPC loop ``while not reply: process_data_events(1)`` must not sit
                # out the rest of the second after its reply arrived).
                if self._dispatch() or _monotonic() >= deadline:
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

    def channel(self, channel_number: Optional[int] = None) -> BlockingChannel:
        """Open a channel and wait until the broker confirms it."""
        self._ensure_open()
        opened: List[Any] = []
        impl_channel = self._impl.channel(channel_number, opened.append)
        chan = BlockingChannel(impl_channel, self)
        self._channels[impl_channel.channel_number] = chan
        self._flush()
        try:
            chan._wait(lambda: bool(opened) or not impl_channel.is_opening)
        except BaseException:
            self._channels.pop(impl_channel.channel_number, None)
            raise
        if not impl_channel.is_open:
            self._channels.pop(impl_channel.channel_number, None)
            chan._check_usable()
        return chan

    def __enter__(self) -> BlockingConnection:
        return self

    def __exit__(self, exc_type: Optional[Type[BaseException]],
                 value: Optional[BaseException], traceback: Optional[TracebackType]) -> None:
        if self.is_open:
            self.close()

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__} impl={self._impl!r}>"

    @property
    def is_closed(self) -> bool:
        """True once the connection is closed."""
        return self._impl.is_closed

    @property
    def is_open(self) -> bool:
        """True while the connection is open."""
        return self._impl.is_open

    @property
    def is_closing(self) -> bool:
        """pika 0.x: True while a close is in progress."""
        return self._impl.is_closing

    def add_backpressure_callback(self, callback: Callable[..., Any]) -> None:
        """pika 0.x: accepted and never called (RabbitMQ signals with connection.blocked)."""
        _legacy.warn("BlockingConnection.add_backpressure_callback",
                     "add_on_connection_blocked_callback")

    def add_on_flow_callback(self, callback: Callable[[bool], Any]) -> None:
        """pika 0.x: ``callback(False)`` when the broker blocks publishing, True after."""
        _legacy.warn("BlockingConnection.add_on_flow_callback",
                     "add_on_connection_blocked_callback / add_on_connection_unblocked_callback")
        self._blocked_callbacks.append(lambda _conn, _frame: callback(False))
        self._unblocked_callbacks.append(lambda _conn, _frame: callback(True))

    @property
    def basic_nack_supported(self) -> bool:
        return self._impl.basic_nack

    @property
    def consumer_cancel_notify_supported(self) -> bool:
        return self._impl.consumer_cancel_notify

    @property
    def exchange_exchange_bindings_supported(self) -> bool:
        return self._impl.exchange_exchange_bindings

    @property
    def publisher_confirms_supported(self) -> bool:
        return self._impl.publisher_confirms

    # pika 0.x names of the same capabilities
    basic_nack = basic_nack_supported
    consumer_cancel_notify = consumer_cancel_notify_supported
    exchange_exchange_bindings = exchange_exchange_bindings_supported
    publisher_confirms = publisher_confirms_supported


class _ConsumerInfo:
    """Where a consumer's deliveries go in the shell: the user's callback, or the
    consume() generator's buffer (``queue``). pika's private name and attributes:
    tracing instrumentations read and replace ``on_message_callback``."""

    __slots__ = ("consumer_tag", "on_message_callback", "auto_ack", "queue")

    def __init__(self, consumer_tag: str, on_message_callback: Optional[Callable[..., None]],
                 auto_ack: bool, queue: Optional[Deque[Message]]) -> None:
        self.consumer_tag = consumer_tag
        self.on_message_callback = on_message_callback
        self.auto_ack = auto_ack
        self.queue = queue


class _QueueConsumerGeneratorInfo:
    """The consume() generator's state under pika's private name: instrumentations
    import it and wrap ``__init__`` to proxy ``pending_events``."""

    def __init__(self, params: Tuple[Any, ...], consumer_tag: Optional[str]) -> None:
        self.params = params
        self.consumer_tag = consumer_tag
        self.pending_events: Deque[Message] = collections.deque()


class _ConsumerDeliveryEvt:
    """pika's private delivery-event class, importable for instrumentations that check
    against it; pika_fast queues plain (method, properties, body) tuples."""

    def __init__(self, method: Any, properties: Any, body: Any) -> None:
        self.method, self.properties, self.body = method, properties, body


class BlockingChannel:
    """A channel of a BlockingConnection, with pika 1.4's BlockingChannel API.

    ``_impl`` is the callback ``Channel`` underneath, as in pika.
    """

    def __init__(self, channel_impl: Channel, connection: BlockingConnection) -> None:
        self._impl = channel_impl
        self._connection = connection
        self._consumer_infos: Dict[str, _ConsumerInfo] = {}
        self._cancel_callbacks: List[Callable[..., None]] = []
        self._return_callbacks: List[Callable[..., None]] = []
        self._flow_callbacks: List[Callable[[bool], None]] = []
        self._close_callbacks: List[Callable[..., None]] = []
        self._stop_requested = False
        self._generator: Optional[_ConsumerInfo] = None
        self._generator_params: Any = None
        self._confirm_result: Optional[Any] = None
        self._unreported_close: Optional[BaseException] = None
        self._confirm_returns: List[ReturnedMessage] = []
        channel_impl.add_on_close_callback(self._on_impl_closed)
        channel_impl.add_on_cancel_callback(self._on_impl_cancel)
        channel_impl.add_on_return_callback(self._on_impl_return)
        channel_impl.add_on_flow_callback(self._on_impl_flow)

    # -------------------------------------------------------- impl callbacks

    def _on_delivery(self, info: _ConsumerInfo, _impl_channel: Any, method: Any,
                     properties: Any, body: Any) -> None:
        if info.queue is not None:
            info.queue.append((method, properties, body))
        else:
            self._connection._events.append((info.on_message_callback,  # type: ignore[arg-type]
                                             (self, method, properties, body)))

    def _on_impl_return(self, _impl_channel: Any, method: Any, properties: Any,
                        body: Any) -> None:
        if self._core.confirming:
            self._confirm_returns.append(ReturnedMessage(method, properties, body))
        for callback in self._return_callbacks:
            self._connection._events.append((callback, (self, method, properties, body)))

    def _on_confirm(self, method_frame: Any) -> None:
        self._confirm_result = method_frame.method

    def _on_impl_cancel(self, method_frame: Any) -> None:
        tag = method_frame.method.consumer_tag
        info = self._consumer_infos.get(tag)
        if info is not None and info is self._generator:
            # The generator ends; as in pika, the cancel callbacks are not for it.
            self._consumer_infos.pop(tag, None)
            info.queue.append((None, None, None))  # type: ignore[union-attr]
            return
        # Dropped when dispatched, after the messages before it: start_consuming keeps
        # running until the user's cancel callbacks have seen it.
        self._connection._events.append((self._dispatch_cancel, (method_frame,)))

    def _dispatch_cancel(self, method_frame: Any) -> None:
        self._consumer_infos.pop(method_frame.method.consumer_tag, None)
        for callback in self._cancel_callbacks:
            callback(method_frame)

    def _on_impl_flow(self, active: bool) -> None:
        for callback in self._flow_callbacks:
            self._connection._events.append((callback, (active,)))

    def _on_impl_closed(self, _impl_channel: Any, error: BaseException) -> None:
        if isinstance(error, exceptions.ChannelClosedByBroker):
            self._unreported_close = error
        self._consumer_infos.clear()
        self._connection._channels.pop(self.channel_number, None)
        for callback in self._close_callbacks:
            callback(self, error)
        # Wakes process_data_events(None), so start_consuming sees the close at once.
        self._connection._events.append((_noop, ()))

    # ---------------------------------------------------------------- waits

    @property
    def _core(self) -> Any:
        return self._impl._core

    def _wait(self, done: Callable[[], bool]) -> None:
        self._connection._wait(done)

    def _call(self, start: Callable[[Callable[..., None]], Any]) -> Any:
        """Start a callback-Channel request, passing it the completion callback, and
        wait for the reply (or the channel's end, whose reason is raised)."""
        self._check_usable()
        replies: List[Any] = []
        start(replies.append)
        self._connection._flush()
        self._wait(lambda: bool(replies) or self._impl.is_closed)
        if not replies:
            self._unreported_close = None
            self._connection._raise_if_closed()  # a lost connection: release, then raise
            raise self._core.close_error
        return replies[0]

    def _method_call(self, name: str, *args: Any, **kwargs: Any) -> frame.Method[Any]:
        """``_impl.<name>(*args, callback=..., **kwargs)``; return the reply frame."""
        method = getattr(self._impl, name)
        reply: frame.Method[Any] = self._call(
            lambda done: method(*args, callback=done, **kwargs))
        return reply

    def _check_usable(self) -> None:
        if not self._impl.is_open:
            # The broker's reason is raised once, by the first call that meets it (as
            # pika); after that the channel is simply closed.
            error, self._unreported_close = self._unreported_close, None
            if error is not None:
                raise error
            raise exceptions.ChannelWrongStateError("Channel is closed.")

    # ----------------------------------------------------------- properties

    @property
    def channel_number(self) -> int:
        """The channel's number."""
        return self._impl.channel_number

    @property
    def connection(self) -> BlockingConnection:
        """The BlockingConnection this channel belongs to."""
        return self._connection

    @property
    def is_closed(self) -> bool:
        return self._impl.is_closed

    @property
    def is_open(self) -> bool:
        return self._impl.is_open

    @property
    def consumer_tags(self) -> List[str]:
        """Tags of the active consumers."""
        return list(self._consumer_infos)

    def __int__(self) -> int:
        return self.channel_number

    def __repr__(self) -> str:
        return f"<BlockingChannel impl={self._impl!r}>"

    def __enter__(self) -> BlockingChannel:
        return self

    def __exit__(self, exc_type: Optional[Type[BaseException]],
                 value: Optional[BaseException], traceback: Optional[TracebackType]) -> None:
        if self.is_open:
            self.close()

    # -------------------------------------------------------------- closing

    def close(self, reply_code: int = 0, reply_text: str = "Normal shutdown") -> None:
        """Cancel consumers, close the channel and wait for the broker's CloseOk."""
        if self.is_closed:
            raise exceptions.ChannelWrongStateError("Channel is closed.")
        for tag in list(self._consumer_infos):
            try:
                if self._consumer_infos[tag] is self._generator:
                    self.cancel()  # its held messages go back to the queue first
                else:
                    self.basic_cancel(tag)
            except exceptions.AMQPError:
                break
        self._impl.close(reply_code, reply_text)
        self._connection._flush()
        self._wait(lambda: self._impl.is_closed)

    def _nack_pending(self, info: _ConsumerInfo) -> None:
        """Give the generator's undelivered messages back to the queue."""
        queue = info.queue
        assert queue is not None  # only the generator's consumer has one
        held = [item for item in queue if item[0] is not None]  # not the cancel marker
        queue.clear()
        self._reject_all(held)

    def _take_pending(self, consumer_tag: str) -> List[Message]:
        """Remove the consumer's deliveries not yet dispatched; return them."""
        pending: List[Message] = []
        kept = []
        events = self._connection._events
        for callback, args in events:
            # By tag, not callback identity: on_message_callback may have been swapped
            # (instrumentations) since the delivery was queued.
            if (len(args) == 4 and args[0] is self and
                    isinstance(args[1], spec.Basic.Deliver) and
                    args[1].consumer_tag == consumer_tag):
                pending.append((args[1], args[2], args[3]))
            else:
                kept.append((callback, args))
        # In place: a dispatch loop further up the stack may be iterating this deque.
        events.clear()
        events.extend(kept)
        return pending

    def _reject_all(self, messages: List[Message]) -> None:
        for method, _p, _b in messages:
            if self.is_open:
                self._impl.basic_reject(method.delivery_tag, True)
        self._connection._flush()

    def flow(self, active: bool) -> bool:
        """Ask the broker to start or stop this channel's flow; return its answer."""
        active_now: bool = self._call(lambda done: self._impl.flow(active, done))
        return active_now

    def add_on_cancel_callback(
            self, callback: Callable[[frame.Method[spec.Basic.Cancel]], Any]) -> None:
        """Call ``callback(method_frame)`` when the broker cancels a consumer."""
        self._cancel_callbacks.append(callback)

    def add_on_return_callback(self, callback: _OnReturnCallback) -> None:
        """Call ``callback(channel, method, properties, body)`` for returned messages."""
        self._return_callbacks.append(callback)

    def add_on_close_callback(
            self, callback: Callable[[BlockingChannel, BaseException], Any]) -> None:
        """Older pika: ``callback(channel, exception)`` when the channel closes.

        pika 1.x raises the close reason from the next call on the channel instead.
        """
        _legacy.warn("BlockingChannel.add_on_close_callback",
                     "the ChannelClosed exception the next channel call raises")
        validators.require_callback(callback)
        self._close_callbacks.append(callback)

    def add_on_flow_callback(self, callback: Callable[[bool], Any]) -> None:
        """pika 0.x: ``callback(active)`` when the broker sends Channel.Flow."""
        _legacy.warn("BlockingChannel.add_on_flow_callback",
                     "RabbitMQ's connection.blocked notifications")
        self._flow_callbacks.append(callback)

    # ----------------------------------------------------------- consuming

    # The two orders, for type checkers and IDEs; the runtime binding is in _legacy.
    @overload
    def basic_consume(self, queue: str, on_message_callback: _OnMessageCallback,
                      auto_ack: bool = False, exclusive: bool = False,
                      consumer_tag: Optional[str] = None,
                      arguments: Optional[Dict[str, Any]] = None) -> str: ...

    @overload
    def basic_consume(self, consumer_callback: _OnMessageCallback, queue: str = "",
                      no_ack: bool = False, exclusive: bool = False,
                      consumer_tag: Optional[str] = None,
                      arguments: Optional[Dict[str, Any]] = None) -> str: ...

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

    basic_consume.__signature__ = _legacy.consume_signature(  # type: ignore[attr-defined]
        "BlockingChannel", with_callback=False)

    def _consume(self, queue: str, callback: Optional[Callable[..., None]],
                 buffer: Optional[Deque[Message]], auto_ack: bool, exclusive: bool,
                 consumer_tag: Optional[str], arguments: Optional[Dict[str, Any]]) -> str:
        self._check_usable()
        if not consumer_tag:
            consumer_tag = self._core.new_consumer_tag()
        if consumer_tag in self._consumer_infos:
            raise exceptions.DuplicateConsumerTag(consumer_tag)
        info = _ConsumerInfo(consumer_tag, callback, auto_ack, buffer)
        on_message = functools.partial(self._on_delivery, info)
        # The callback Channel registers the consumer only once the request is encoded;
        # the shell's entry follows it, so a failed request leaves no trace here either.
        self._call(lambda done: self._impl.basic_consume(
            queue, on_message, auto_ack, exclusive, consumer_tag, arguments, done))
        self._consumer_infos[consumer_tag] = info
        return consumer_tag

    def basic_cancel(self, consumer_tag: str) -> _CancelledMessages:
        """Cancel a consumer; return its undispatched messages when it was auto_ack."""
        info = self._consumer_infos.get(consumer_tag)
        if info is None:
            return []
        pending = self._take_pending(consumer_tag)
        if not info.auto_ack:
            # Rejected before the cancel, as pika does: by the time CancelOk arrives the
            # queue holds them again (another channel counting it sees them).
            self._reject_all(pending)
        if self.is_open and consumer_tag in self._core.consumers:
            self._call(lambda done: self._impl.basic_cancel(consumer_tag, done))
        self._consumer_infos.pop(consumer_tag, None)
        late = self._take_pending(consumer_tag)  # arrived while the cancel was on its way
        if not info.auto_ack:
            self._reject_all(late)
            return []
        return pending + late

    def start_consuming(self) -> None:
        """Dispatch deliveries to consumers until they are all cancelled or stopped."""
        if self._connection._dispatching:
            raise exceptions.ReentrancyError(
                "start_consuming may not be called from the scope of another "
                "BlockingConnection or BlockingChannel callback")
        self._stop_requested = False
        while self._consumer_infos and not self._stop_requested:
            self._connection.process_data_events(time_limit=None)
        if self._unreported_close is not None:
            self._check_usable()  # the broker closed us: say why

    def stop_consuming(self, consumer_tag: Optional[str] = None) -> None:
        """Cancel ``consumer_tag`` (or every consumer) so start_consuming returns."""
        if consumer_tag:
            self.basic_cancel(consumer_tag)
        else:
            self._stop_requested = True
            for tag in list(self._consumer_infos):
                if self._consumer_infos[tag] is not self._generator:
                    self.basic_cancel(tag)

    def consume(self, queue: str, auto_ack: bool = False, exclusive: bool = False,
                arguments: Optional[Dict[str, Any]] = None,
                inactivity_timeout: Optional[float] = None,
                consumer_tag: Optional[str] = None
                ) -> Generator[_ConsumeResult, None, None]:
        """Yield (method, properties, body) from ``queue``; (None, None, None) on inactivity."""
        params = (queue, auto_ack, exclusive, arguments)
        if self._generator is None:
            generator_info = _QueueConsumerGeneratorInfo(params, consumer_tag)
            buffer: Deque[Message] = generator_info.pending_events  # maybe instrumented
            tag = self._consume(queue, None, buffer, auto_ack, exclusive, consumer_tag,
                                arguments)
            generator_info.consumer_tag = tag
            self._generator = self._consumer_infos[tag]
            self._generator_params = params
        elif params != self._generator_params:
            raise ValueError(f"Consume with different params not allowed on existing "
                             f"queue consumer generator; previous params: "
                             f"{self._generator_params!r}; new params: {params!r}")
        info = self._generator
        buffer = info.queue  # type: ignore[assignment]
        conn = self._connection
        while True:
            if not buffer:
                deadline = None if inactivity_timeout is None else \
                    _monotonic() + inactivity_timeout
                while not buffer:
                    if self._generator is not info:
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

    def get_waiting_message_count(self) -> int:
        """Messages the consume() generator holds and has not yet yielded."""
        if self._generator is None or self._generator.queue is None:
            return 0
        return len(self._generator.queue)

    def cancel(self) -> int:
        """Cancel the consume() generator; requeue (nack) its pending messages.

        Returns 0, as pika 1.4 does."""
        info = self._generator
        if info is None:
            return 0
        self._generator = None
        if not info.auto_ack:
            # Back to the queue before the cancel, as pika: requeued by the CancelOk.
            self._nack_pending(info)
        if self.is_open and info.consumer_tag in self._core.consumers:
            self._call(lambda done: self._impl.basic_cancel(info.consumer_tag, done))
        self._consumer_infos.pop(info.consumer_tag, None)
        if info.auto_ack:
            info.queue.clear()  # type: ignore[union-attr]
        else:
            self._nack_pending(info)  # those that arrived while the cancel was on its way
        return 0  # pika 1.4 documents and returns 0 here

    # ----------------------------------------------------------- messages

    def basic_ack(self, delivery_tag: int = 0, multiple: bool = False) -> None:
        """Acknowledge one message, or every one up to ``delivery_tag`` if ``multiple``."""
        self._check_usable()
        self._impl.basic_ack(delivery_tag, multiple)
        self._connection._flush_acks()

    def basic_nack(self, delivery_tag: int = 0, multiple: bool = False,
                   requeue: bool = True) -> None:
        """Reject one or several messages, requeueing them by default."""
        self._check_usable()
        self._impl.basic_nack(delivery_tag, multiple, requeue)
        self._connection._flush_acks()

    def basic_reject(self, delivery_tag: int = 0, requeue: bool = True) -> None:
        """Reject one message."""
        self._check_usable()
        self._impl.basic_reject(delivery_tag, requeue)
        self._connection._flush_acks()

    def basic_get(self, queue: str, auto_ack: bool = False,
                  **legacy: Any) -> _GetResult:
        """Fetch one message: (GetOk, properties, body), or (None, None, None) if empty.

        ``no_ack`` is accepted as pika 0.x's name for ``auto_ack``.
        """
        if legacy:
            auto_ack = _legacy.get_auto_ack(auto_ack, legacy)
        validators.require_string(queue, "queue")

        on_empty: List[Callable[..., None]] = []

        def start(done: Callable[..., None]) -> None:
            on_empty.append(lambda _frame: done(None))
            self._impl.add_callback(on_empty[0], [spec.Basic.GetEmpty])
            self._impl.basic_get(queue, lambda _ch, method, props, body: done(
                (method, props, body)), auto_ack)

        try:
            result: Optional[_GetResult] = self._call(start)
        finally:
            if on_empty:
                self._impl._remove_extra_callback(spec.Basic.GetEmpty, on_empty[0])
        if result is None:
            return None, None, None
        return result

    def basic_publish(self, exchange: str, routing_key: str, body: Union[bytes, str],
                      properties: Optional[spec.BasicProperties] = None,
                      mandatory: bool = False, immediate: Optional[bool] = None) -> None:
        """Publish a message; in confirm mode wait for the broker's verdict.

        Raises UnroutableError when a mandatory message comes back, NackError when the
        broker refuses it (confirm mode only). ``immediate`` is pika 0.x's: False is
        accepted, True refused before anything is sent.
        """
        if immediate is not None:
            _legacy.check_immediate(immediate)
        core: Any = self._impl._core
        if core is None or core.state != _protocol.CHANNEL_OPEN:
            self._check_usable()
        if core.confirming:
            self._publish_confirmed(exchange, routing_key, body, properties, mandatory)
            return
        # Straight to the core (the callback Channel's basic_publish would only repeat
        # the checks above); the shell writes it before returning.
        core.publish(exchange, routing_key,
                     properties if properties is not None else _EMPTY_PROPERTIES,
                     body, mandatory)
        self._connection._flush()

    def _publish_confirmed(self, exchange: str, routing_key: str, body: Any,
                           properties: Any, mandatory: bool) -> None:
        self._confirm_result = None
        self._confirm_returns = []
        self._impl.basic_publish(exchange, routing_key, body, properties, mandatory)
        tag = self._core.publish_seq
        conn = self._connection
        conn._flush()
        while True:
            result = self._confirm_result
            if result is not None and (result.delivery_tag >= tag or
                                       (result.delivery_tag == 0 and result.multiple)):
                break
            if result is not None:
                self._confirm_result = None
            if not self._impl.is_open:
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
        self._method_call("basic_qos", prefetch_size, prefetch_count, global_qos)

    def basic_recover(self, requeue: bool = False) -> None:
        """Ask the broker to redeliver unacknowledged messages."""
        self._method_call("basic_recover", requeue)

    def confirm_delivery(self) -> None:
        """Put the channel in publisher-confirm mode."""
        self._call(lambda done: self._impl.confirm_delivery(self._on_confirm, done))

    # ----------------------------------------------------------- topology

    def exchange_declare(self, exchange: str,
                         exchange_type: Union[ExchangeType, str] = ExchangeType.direct,
                         passive: bool = False, durable: bool = False,
                         auto_delete: bool = False, internal: bool = False,
                         arguments: Optional[Dict[str, Any]] = None,
                         **legacy: Any) -> frame.Method[spec.Exchange.DeclareOk]:
        """Declare an exchange; return the Exchange.DeclareOk method frame.

        ``type=`` is accepted as pika 0.x's name for ``exchange_type``.
        """
        if legacy:
            exchange_type = _legacy.exchange_type(exchange_type, legacy)
        return self._method_call("exchange_declare", exchange, exchange_type, passive,
                                 durable, auto_delete, internal, arguments)

    def exchange_delete(self, exchange: Optional[str] = None,
                        if_unused: bool = False) -> frame.Method[spec.Exchange.DeleteOk]:
        """Delete an exchange."""
        return self._method_call("exchange_delete", exchange, if_unused)

    def exchange_bind(self, destination: str, source: str, routing_key: str = "",
                      arguments: Optional[Dict[str, Any]] = None
                      ) -> frame.Method[spec.Exchange.BindOk]:
        """Bind an exchange to another exchange."""
        return self._method_call("exchange_bind", destination, source, routing_key,
                                 arguments)

    def exchange_unbind(self, destination: Optional[str] = None, source: Optional[str] = None,
                        routing_key: str = "",
                        arguments: Optional[Dict[str, Any]] = None
                        ) -> frame.Method[spec.Exchange.UnbindOk]:
        """Remove an exchange-to-exchange binding."""
        return self._method_call("exchange_unbind", destination, source, routing_key,
                                 arguments)

    def queue_declare(self, queue: str, passive: bool = False, durable: bool = False,
                      exclusive: bool = False, auto_delete: bool = False,
                      arguments: Optional[Dict[str, Any]] = None
                      ) -> frame.Method[spec.Queue.DeclareOk]:
        """Declare a queue; ``result.method.queue`` is its name."""
        return self._method_call("queue_declare", queue, passive, durable, exclusive,
                                 auto_delete, arguments)

    def queue_delete(self, queue: str, if_unused: bool = False,
                     if_empty: bool = False) -> frame.Method[spec.Queue.DeleteOk]:
        """Delete a queue; ``result.method.message_count`` is how many it held."""
        return self._method_call("queue_delete", queue, if_unused, if_empty)

    def queue_purge(self, queue: str) -> frame.Method[spec.Queue.PurgeOk]:
        """Purge a queue; ``result.method.message_count`` is how many were removed."""
        return self._method_call("queue_purge", queue)

    def queue_bind(self, queue: str, exchange: str, routing_key: Optional[str] = None,
                   arguments: Optional[Dict[str, Any]] = None
                   ) -> frame.Method[spec.Queue.BindOk]:
        """Bind a queue to an exchange (routing key defaults to the queue name)."""
        return self._method_call("queue_bind", queue, exchange, routing_key, arguments)

    def queue_unbind(self, queue: str, exchange: str,
                     routing_key: Optional[str] = None,
                     arguments: Optional[Dict[str, Any]] = None
                     ) -> frame.Method[spec.Queue.UnbindOk]:
        """Remove a queue binding."""
        return self._method_call("queue_unbind", queue, exchange, routing_key, arguments)

    def tx_select(self) -> frame.Method[spec.Tx.SelectOk]:
        """Start using transactions on this channel."""
        return self._method_call("tx_select")

    def tx_commit(self) -> frame.Method[spec.Tx.CommitOk]:
        """Commit the current transaction."""
        return self._method_call("tx_commit")

    def tx_rollback(self) -> frame.Method[spec.Tx.RollbackOk]:
        """Roll back the current transaction."""
        return self._method_call("tx_rollback")


_EMPTY_PROPERTIES = spec.BasicProperties()


def _noop() -> None:
    """A wake-up event: makes process_data_events(None) look at the state again."""
