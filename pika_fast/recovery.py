"""Opt-in automatic recovery for ``BlockingConnection`` and the thread-safe ``Connection``.

pika leaves reconnecting to each application. Here it is one keyword away::

    policy = pika_fast.RecoveryPolicy(max_recovery_time=120,
                                      on_unconfirmed=lambda conn, msgs: ...)
    connection = pika_fast.BlockingConnection(params, recovery=policy)

When the connection is lost (the socket breaks, heartbeats stop, the broker is
restarted or forces the connection closed), the next call that meets the loss
reconnects (the hosts in order, exponential backoff with jitter, bounded by
``max_attempts``/``max_recovery_time``), re-opens the channels (the same channel
objects keep working), re-declares the exchanges, queues and bindings declared through
the connection (a server-named queue gets a new name; bindings, consumers and
publishes to the default exchange that used the old name follow it), re-applies
``basic_qos`` and confirm mode, and re-registers the consumers with their callbacks
and consumer tags.

What recovery cannot do, and how it says so:

* A publish that was waiting for its confirm when the connection died may or may not
  have reached the queue. It is never retried behind your back: it is reported to
  ``on_unconfirmed(connection, messages)`` and the ``basic_publish`` call raises
  :class:`UnconfirmedPublishError` (``BlockingConnection``), or, for the thread-safe
  ``Connection``, every publish still unconfirmed is reported to ``on_unconfirmed``.
  A publish without confirm mode whose write failed is sent again once recovered (it
  did not fully leave); one already written when the connection died is lost, as it
  always can be without confirms.
* Deliveries from the dead connection cannot be acknowledged any more: the broker
  requeues them. Delivery tags keep increasing across a recovery on each channel, so
  an ack for a delivery of the dead connection is recognised and dropped silently,
  and never acknowledges a newer message by mistake. Deliveries of the dead connection
  not yet handed to a manual-ack callback are dropped (the broker redelivers them).
* A transaction open when the connection died is lost with it (nothing of it was
  committed). ``BlockingConnection``'s channels go back into transaction mode after
  the recovery, and the next ``tx_commit`` rolls back whatever was done since and
  raises :class:`TransactionLostError`, so a commit never covers half a transaction;
  ``tx_rollback`` just rolls back. ``basic_recover`` and ``flow`` are not repeated.
* A broker that closes the connection for the application's own fault (any reply
  code other than 320 CONNECTION_FORCED and 541 INTERNAL_ERROR) is not recovered from;
  the error is raised as without recovery.

While recovering, ``basic_publish`` waits at most ``publish_timeout`` seconds, then
raises :class:`RecoveryWaitTimeout` (the connection keeps recovering on the next
call). When the policy's limits are reached, ``on_recovery_failed(connection, error)``
runs and every call raises :class:`RecoveryFailedError`.
"""
from __future__ import annotations

import collections
import copy
import functools
import logging
import random
import threading
import time
from typing import (Any, Callable, Deque, Dict, Generator, List, Optional,
                    Sequence, Tuple, Union)

from pika_fast import exceptions, spec
from pika_fast.adapters.blocking_connection import BlockingChannel, BlockingConnection
from pika_fast.adapters.thread_safe_connection import Channel as ThreadSafeChannel
from pika_fast.adapters.thread_safe_connection import Connection as ThreadSafeConnection
from pika_fast.exchange_type import ExchangeType

__all__ = ["RecoveryPolicy", "RecoveryFailedError", "RecoveryWaitTimeout",
           "UnconfirmedPublishError", "UnconfirmedMessage",
           "RecoveringBlockingConnection", "RecoveringBlockingChannel",
           "RecoveringConnection", "RecoveringChannel", "topology_names"]

LOGGER = logging.getLogger(__name__)
_monotonic = time.monotonic

Message = Tuple[Any, Any, Any]

# Broker close codes that say "try again" rather than "your request was wrong".
RECOVERABLE_REPLY_CODES = frozenset({320, 541})
# Replaying a declaration can meet the dead connection's exclusive queue or exclusive
# consumer until the broker has noticed that connection is gone: retry the attempt.
_RETRY_REPLY_CODES = frozenset({403, 405})


# ------------------------------------------------------------------- exceptions


class RecoveryFailedError(exceptions.AMQPConnectionError):
    """Recovery gave up (``max_attempts`` or ``max_recovery_time`` reached, or the
    connection was lost for a reason recovery cannot mend). ``errors`` holds each
    failed attempt's error; ``cause`` the loss that started it."""

    def __init__(self, message: str, cause: Optional[BaseException] = None,
                 errors: Sequence[BaseException] = ()) -> None:
        super().__init__(message)
        self.cause = cause
        self.errors = list(errors)

    def __repr__(self) -> str:
        return f"{type(self).__name__}: {self.args[0]}"


class RecoveryWaitTimeout(exceptions.AMQPConnectionError):
    """A publish waited ``publish_timeout`` seconds for the connection to recover.

    Nothing was sent; the connection goes on recovering at the next call."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}: {self.args[0]}"


class UnconfirmedMessage:
    """A publish the broker had not confirmed when the connection was lost.

    ``seq_no`` numbers the channel's publishes in confirm mode from 1, continuing
    across recoveries (the broker's own numbering restarts with each connection)."""

    __slots__ = ("channel_number", "seq_no", "exchange", "routing_key", "body",
                 "properties", "mandatory")

    def __init__(self, channel_number: int, seq_no: int, exchange: str, routing_key: str,
                 body: Any, properties: Optional[spec.BasicProperties],
                 mandatory: bool) -> None:
        self.channel_number = channel_number
        self.seq_no = seq_no
        self.exchange = exchange
        self.routing_key = routing_key
        self.body = body
        self.properties = properties
        self.mandatory = mandatory

    def __repr__(self) -> str:
        return (f"<UnconfirmedMessage channel={self.channel_number} seq_no={self.seq_no} "
                f"exchange={self.exchange!r} routing_key={self.routing_key!r}>")


class UnconfirmedPublishError(exceptions.AMQPChannelError):
    """The connection was lost before the broker confirmed this publish. It may or may
    not have been routed; it is not sent again. ``messages`` lists the
    :class:`UnconfirmedMessage` (also reported to ``on_unconfirmed``)."""

    def __init__(self, messages: List[UnconfirmedMessage]) -> None:
        super().__init__(messages)
        self.messages = messages

    def __repr__(self) -> str:
        return (f"{type(self).__name__}: {len(self.messages)} publish(es) unconfirmed "
                f"when the connection was lost: {self.messages!r}")


class TransactionLostError(exceptions.AMQPChannelError):
    """The connection was lost while this channel's transaction was open: none of it
    was committed, and what was done on the recovered channel since was rolled back.
    Redo the whole transaction."""


# ----------------------------------------------------------------------- policy


class RecoveryPolicy:
    """How a connection recovers: limits, backoff, hosts and what to tell you.

    :param max_attempts: reconnection attempts per outage (None: no limit; each
        attempt tries every host once)
    :param max_recovery_time: seconds from the loss after which recovery gives up
        (None: no limit). At least one of the two limits should be set.
    :param initial_retry_delay: seconds before the second attempt (the first is
        immediate)
    :param max_retry_delay: cap on the delay between attempts
    :param retry_delay_multiplier: growth of the delay per failed attempt
    :param retry_jitter: fraction (0..1) of each delay drawn at random, so clients
        that lost the same broker do not all come back at once
    :param hosts: connection parameters to reconnect to, tried in order (default: the
        ones the connection was opened with)
    :param publish_timeout: seconds a publish waits for recovery before it raises
        :class:`RecoveryWaitTimeout`
    :param on_connection_lost: ``callback(connection, error)`` when a loss is noticed
    :param on_recovered: ``callback(connection)`` once channels, topology and
        consumers are back
    :param on_recovery_failed: ``callback(connection, error)`` when recovery gives up
    :param on_unconfirmed: ``callback(connection, messages)`` with the list of
        :class:`UnconfirmedMessage` unconfirmed at the moment of loss (called right
        after ``on_connection_lost``, before recovery starts)
    """

    def __init__(self, max_attempts: Optional[int] = None,
                 max_recovery_time: Optional[float] = 300.0,
                 initial_retry_delay: float = 0.5, max_retry_delay: float = 30.0,
                 retry_delay_multiplier: float = 2.0, retry_jitter: float = 0.5,
                 hosts: Optional[Sequence[Any]] = None, publish_timeout: float = 30.0,
                 on_connection_lost: Optional[Callable[[Any, BaseException], None]] = None,
                 on_recovered: Optional[Callable[[Any], None]] = None,
                 on_recovery_failed: Optional[Callable[[Any, BaseException], None]] = None,
                 on_unconfirmed: Optional[Callable[[Any, List[UnconfirmedMessage]], None]]
                 = None) -> None:
        if max_attempts is not None and (not isinstance(max_attempts, int) or
                                         max_attempts < 1):
            raise ValueError(f"max_attempts must be a positive int or None, not "
                             f"{max_attempts!r}")
        for name, value in (("max_recovery_time", max_recovery_time),):
            if value is not None and value < 0:
                raise ValueError(f"{name} must be >= 0 or None, not {value!r}")
        for name, value in (("initial_retry_delay", initial_retry_delay),
                            ("max_retry_delay", max_retry_delay),
                            ("publish_timeout", publish_timeout)):
            if not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"{name} must be a number >= 0, not {value!r}")
        if not isinstance(retry_delay_multiplier, (int, float)) or retry_delay_multiplier < 1:
            raise ValueError(f"retry_delay_multiplier must be >= 1, not "
                             f"{retry_delay_multiplier!r}")
        if not isinstance(retry_jitter, (int, float)) or not 0 <= retry_jitter <= 1:
            raise ValueError(f"retry_jitter must be between 0 and 1, not {retry_jitter!r}")
        for name, callback in (("on_connection_lost", on_connection_lost),
                               ("on_recovered", on_recovered),
                               ("on_recovery_failed", on_recovery_failed),
                               ("on_unconfirmed", on_unconfirmed)):
            if callback is not None and not callable(callback):
                raise TypeError(f"{name} must be callable, not {callback!r}")
        if hosts is not None:
            hosts = list(hosts)
            if not hosts:
                raise ValueError("hosts must be a non-empty sequence of parameters or None")
        self.max_attempts = max_attempts
        self.max_recovery_time = max_recovery_time
        self.initial_retry_delay = float(initial_retry_delay)
        self.max_retry_delay = float(max_retry_delay)
        self.retry_delay_multiplier = float(retry_delay_multiplier)
        self.retry_jitter = float(retry_jitter)
        self.hosts = hosts
        self.publish_timeout = float(publish_timeout)
        self.on_connection_lost = on_connection_lost
        self.on_recovered = on_recovered
        self.on_recovery_failed = on_recovery_failed
        self.on_unconfirmed = on_unconfirmed

    def retry_delay(self, failed_attempts: int) -> float:
        """Seconds to wait after ``failed_attempts`` (>= 1) failed attempts."""
        base = min(self.max_retry_delay,
                   self.initial_retry_delay *
                   self.retry_delay_multiplier ** min(failed_attempts - 1, 64))
        return base * (1.0 - self.retry_jitter * random.random())

    def gave_up(self, attempts: int, elapsed: float) -> bool:
        """True when another attempt is beyond the limits."""
        if self.max_attempts is not None and attempts >= self.max_attempts:
            return True
        return self.max_recovery_time is not None and elapsed >= self.max_recovery_time

    def __repr__(self) -> str:
        return (f"RecoveryPolicy(max_attempts={self.max_attempts!r}, "
                f"max_recovery_time={self.max_recovery_time!r}, "
                f"initial_retry_delay={self.initial_retry_delay!r}, "
                f"max_retry_delay={self.max_retry_delay!r}, "
                f"publish_timeout={self.publish_timeout!r})")


def _attempt_parameters(candidates: Sequence[Any]) -> List[Any]:
    """Copies that try each host once: the policy owns retries and their delays."""
    out = []
    for params in candidates:
        clone = copy.deepcopy(params)
        clone.connection_attempts = 1
        clone.retry_delay = 0
        out.append(clone)
    return out


def _fire(name: str, callback: Optional[Callable[..., None]], *args: Any) -> None:
    if callback is None:
        return
    try:
        callback(*args)
    except Exception:  # noqa: BLE001 - a user callback must not stop recovery
        LOGGER.exception("Exception in recovery callback %s %r", name, callback)


def _without_traceback(error: BaseException) -> BaseException:
    seen = set()
    current: Optional[BaseException] = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        current.__traceback__ = None
        current = current.__cause__ or current.__context__
    return error


# --------------------------------------------------------------------- topology


class _Topology:
    """Exchanges, queues and bindings declared through a connection, to replay.

    Queues are keyed by the name the application knows: for a server-named queue
    that is the first name the broker gave it; ``names`` maps it to the current one.
    """

    def __init__(self) -> None:
        self.exchanges: Dict[str, Dict[str, Any]] = {}
        self.queues: Dict[str, Dict[str, Any]] = {}
        self.names: Dict[str, str] = {}
        self.queue_bindings: Dict[Tuple[str, str, str, str], Dict[str, Any]] = {}
        self.exchange_bindings: Dict[Tuple[str, str, str, str], Dict[str, Any]] = {}
        self.lock = threading.RLock()

    def current(self, queue: str) -> str:
        """The queue's name on the current connection."""
        return self.names.get(queue, queue)

    def known(self, current: str) -> str:
        """The application's name for a queue called ``current`` now."""
        for known, name in self.names.items():
            if name == current:
                return known
        return current

    def add_exchange(self, exchange: str, kwargs: Dict[str, Any]) -> None:
        if exchange.startswith("amq."):
            return  # predeclared; redeclaring them is refused
        with self.lock:
            self.exchanges[exchange] = kwargs

    def delete_exchange(self, exchange: str) -> None:
        with self.lock:
            self.exchanges.pop(exchange, None)
            for key in [k for k in self.queue_bindings if k[1] == exchange]:
                del self.queue_bindings[key]
            for key in [k for k in self.exchange_bindings if exchange in (k[0], k[1])]:
                del self.exchange_bindings[key]

    def add_queue(self, requested: str, actual: str, kwargs: Dict[str, Any]) -> None:
        with self.lock:
            known = self.known(actual) if not requested else requested
            self.queues[known] = dict(kwargs, queue=requested)
            if known != actual:
                self.names[known] = actual

    def delete_queue(self, known: str) -> None:
        with self.lock:
            self.queues.pop(known, None)
            self.names.pop(known, None)
            for key in [k for k in self.queue_bindings if k[0] == known]:
                del self.queue_bindings[key]

    @staticmethod
    def _key(a: str, b: str, routing_key: str, arguments: Optional[Dict[str, Any]]
             ) -> Tuple[str, str, str, str]:
        return (a, b, routing_key, repr(sorted((arguments or {}).items())))

    def bind_queue(self, known: str, exchange: str, routing_key: str,
                   arguments: Optional[Dict[str, Any]]) -> None:
        with self.lock:
            self.queue_bindings[self._key(known, exchange, routing_key, arguments)] = \
                dict(arguments or {})

    def unbind_queue(self, known: str, exchange: str, routing_key: str,
                     arguments: Optional[Dict[str, Any]]) -> None:
        with self.lock:
            self.queue_bindings.pop(self._key(known, exchange, routing_key, arguments), None)

    def bind_exchange(self, destination: str, source: str, routing_key: str,
                      arguments: Optional[Dict[str, Any]]) -> None:
        with self.lock:
            self.exchange_bindings[self._key(destination, source, routing_key, arguments)] = \
                dict(arguments or {})

    def unbind_exchange(self, destination: str, source: str, routing_key: str,
                        arguments: Optional[Dict[str, Any]]) -> None:
        with self.lock:
            self.exchange_bindings.pop(
                self._key(destination, source, routing_key, arguments), None)

    def replay(self, open_channel: Callable[[], Any]) -> None:
        """Declare everything again through channels from ``open_channel()``.

        A declaration the broker refuses for good is logged and forgotten (it would
        fail every time); one refused because the dead connection still holds a lock
        (403/405) fails the attempt, to be retried after the backoff."""
        with self.lock:
            exchanges = list(self.exchanges.items())
            queues = list(self.queues.items())
            exchange_bindings = list(self.exchange_bindings.items())
            queue_bindings = list(self.queue_bindings.items())
        box = [open_channel()]

        def run(what: str, forget: Callable[[], None], call: Callable[[Any], Any]) -> Any:
            try:
                return call(box[0])
            except exceptions.ChannelClosedByBroker as exc:
                if exc.reply_code in _RETRY_REPLY_CODES:
                    raise
                LOGGER.error("Recovery could not redeclare %s (%s); it is forgotten",
                             what, repr(exc))
                forget()
                box[0] = open_channel()
                return None

        # Each call runs at once (no late binding of the loop variables).
        for name, kwargs in exchanges:
            run(f"exchange {name!r}", functools.partial(self.delete_exchange, name),
                lambda ch: ch.exchange_declare(name, **kwargs))
        for known, kwargs in queues:
            frame = run(f"queue {known!r}", functools.partial(self.delete_queue, known),
                        lambda ch: ch.queue_declare(**kwargs))
            if frame is not None and not kwargs["queue"]:
                with self.lock:
                    if known in self.queues:
                        self.names[known] = frame.method.queue
        for (dest, source, rkey, _a), args in exchange_bindings:
            run(f"exchange binding {source!r}->{dest!r}",
                functools.partial(self.unbind_exchange, dest, source, rkey, args),
                lambda ch: ch.exchange_bind(dest, source, rkey, args))
        for (known, exchange, rkey, _a), args in queue_bindings:
            run(f"binding of {known!r} to {exchange!r}",
                functools.partial(self.unbind_queue, known, exchange, rkey, args),
                lambda ch: ch.queue_bind(self.current(known), exchange, rkey, args))
        try:
            box[0].close()
        except exceptions.AMQPError:
            pass


# ------------------------------------------------------------ blocking adapter


class _ConsumerRecord:
    __slots__ = ("tag", "queue", "callback", "auto_ack", "exclusive", "arguments", "buffer")

    def __init__(self, tag: str, queue: str, callback: Optional[Callable[..., None]],
                 auto_ack: bool, exclusive: bool, arguments: Optional[Dict[str, Any]],
                 buffer: Optional[Deque[Message]]) -> None:
        self.tag = tag
        self.queue = queue  # the application's name for it
        self.callback = callback
        self.auto_ack = auto_ack
        self.exclusive = exclusive
        self.arguments = arguments
        self.buffer = buffer  # set for the consume() generator


class _RecoveringTimer:
    __slots__ = ("deadline", "callback", "inner", "done")

    def __init__(self, deadline: float, callback: Callable[[], None]) -> None:
        self.deadline = deadline
        self.callback = callback
        self.inner: Any = None
        self.done = False


class RecoveringBlockingConnection(BlockingConnection):
    """A BlockingConnection that recovers from connection loss (see the module doc).

    Made by ``BlockingConnection(parameters, recovery=RecoveryPolicy(...))``. It owns a
    plain BlockingConnection and replaces it when the connection is lost; its channels
    are :class:`RecoveringBlockingChannel` objects that move to the new connection.
    """

    def __init__(self, parameters: Any = None, _impl_class: Any = None,
                 recovery: Optional[RecoveryPolicy] = None) -> None:
        # BlockingConnection.__init__ is deliberately not run: this object delegates.
        if not isinstance(recovery, RecoveryPolicy):
            raise TypeError(f"recovery must be a RecoveryPolicy, not {recovery!r}")
        self.recovery_policy = recovery
        if parameters is None:
            from pika_fast.connection import ConnectionParameters
            candidates: List[Any] = [ConnectionParameters()]
        elif isinstance(parameters, (list, tuple)):
            candidates = list(parameters)
        else:
            candidates = [parameters]
        self._hosts = _attempt_parameters(recovery.hosts or candidates)
        self._topology = _Topology()
        self._rchannels: List[RecoveringBlockingChannel] = []
        self._blocked_cbs: List[Callable[..., None]] = []
        self._unblocked_cbs: List[Callable[..., None]] = []
        self._rtimers: List[_RecoveringTimer] = []
        self._pending_threadsafe: Deque[Callable[[], None]] = collections.deque()
        self._user_closed = False
        self._fatal: Optional[BaseException] = None
        self._outage: Optional[BaseException] = None  # the loss being recovered from
        self._outage_start = 0.0
        self._attempts = 0
        self._attempt_errors: List[BaseException] = []
        self._next_attempt = 0.0
        self._unconfirmed: List[UnconfirmedMessage] = []
        self._recovering = False
        self._depth = 0  # consumer callbacks running (start_consuming refuses inside one)
        self.generation = 1
        self._conn = BlockingConnection(parameters)
        self._hook_connection(self._conn)

    # ------------------------------------------------------------ internals

    def _hook_connection(self, conn: BlockingConnection) -> None:
        conn.add_on_connection_blocked_callback(
            lambda _c, method_frame: self._relay(self._blocked_cbs, method_frame))
        conn.add_on_connection_unblocked_callback(
            lambda _c, method_frame: self._relay(self._unblocked_cbs, method_frame))

    def _relay(self, callbacks: List[Callable[..., None]], method_frame: Any) -> None:
        for callback in list(callbacks):
            callback(self, method_frame)

    def _usable(self) -> None:
        """Raise when the connection is closed for good."""
        if self._user_closed:
            raise exceptions.ConnectionWrongStateError("Connection is closed")
        if self._fatal is not None:
            raise self._fatal

    def _is_loss(self, error: BaseException, generation: int) -> bool:
        """Whether ``error``, raised by a call made on ``generation``, is a connection
        loss to recover from (True as well when another call has recovered already)."""
        if self._user_closed or self._fatal is not None:
            return False
        if generation != self.generation or self._outage is not None:
            return True
        if not self._conn.is_closed:
            return False
        if isinstance(error, exceptions.ConnectionClosedByClient):
            return False
        if isinstance(error, exceptions.ConnectionClosedByBroker) and \
                error.reply_code not in RECOVERABLE_REPLY_CODES:
            self._fatal = error
            return False
        return True

    def _note_unconfirmed(self, message: UnconfirmedMessage, generation: int) -> None:
        if generation == self.generation and self._outage is None:
            self._unconfirmed.append(message)  # reported when the outage begins
        else:
            _fire("on_unconfirmed", self.recovery_policy.on_unconfirmed, self, [message])

    def _begin_outage(self, error: BaseException) -> None:
        # Formatted now: a log record holding the error would hold the dead
        # connection (and its sockets) through the traceback's frames.
        LOGGER.warning("Connection lost (%s); recovering", repr(error))
        self._outage = error
        self._outage_start = _monotonic()
        self._attempts = 0
        self._attempt_errors = []
        self._next_attempt = 0.0
        for chan in self._rchannels:
            chan._on_connection_lost()
        policy = self.recovery_policy
        _fire("on_connection_lost", policy.on_connection_lost, self, error)
        unconfirmed, self._unconfirmed = self._unconfirmed, []
        if unconfirmed:
            _fire("on_unconfirmed", policy.on_unconfirmed, self, unconfirmed)

    def _recover(self, error: Optional[BaseException], deadline: Optional[float],
                 generation: Optional[int] = None) -> bool:
        """Drive recovery; True once recovered, False at ``deadline``; raises
        RecoveryFailedError when the policy gives up. ``generation``: the connection
        the failed call used (an older one has been recovered from already)."""
        self._usable()
        if self._outage is None:
            if error is None or (generation is not None and generation != self.generation):
                return True
            self._begin_outage(error)
        if self._recovering:
            # A callback run while restoring (a consumer's, say) met the loss again.
            raise exceptions.ConnectionWrongStateError("The connection is recovering")
        policy = self.recovery_policy
        while True:
            now = _monotonic()
            if self._next_attempt > now:
                if deadline is not None and deadline < self._next_attempt:
                    time.sleep(max(0.0, deadline - now))
                    return False
                time.sleep(self._next_attempt - now)
            self._attempts += 1
            conn: Optional[BlockingConnection] = None
            self._recovering = True
            try:
                conn = BlockingConnection(self._hosts)
                self._restore(conn)
            except Exception as exc:  # noqa: BLE001 - every failure is one failed attempt
                LOGGER.warning("Recovery attempt %d failed: %s", self._attempts, repr(exc))
                # Kept for RecoveryFailedError without its frames: they would keep
                # the failed attempt's connection (and its sockets) alive.
                self._attempt_errors.append(_without_traceback(exc))
                if conn is not None and conn.is_open:
                    try:
                        conn.close()
                    except Exception:  # noqa: BLE001
                        pass
                if policy.gave_up(self._attempts, _monotonic() - self._outage_start):
                    self._give_up()
                self._next_attempt = _monotonic() + policy.retry_delay(self._attempts)
                continue
            finally:
                self._recovering = False
            LOGGER.info("Connection recovered after %d attempt(s)", self._attempts)
            self._outage = None
            _fire("on_recovered", policy.on_recovered, self)
            while self._pending_threadsafe:
                self._conn.add_callback_threadsafe(self._pending_threadsafe.popleft())
            return True

    def _give_up(self) -> None:
        cause = self._outage
        last = self._attempt_errors[-1] if self._attempt_errors else None
        error = RecoveryFailedError(
            f"Connection recovery gave up after {self._attempts} attempt(s) in "
            f"{_monotonic() - self._outage_start:.1f} s; lost because {cause!r}; last "
            f"attempt: {last!r}", cause, self._attempt_errors)
        self._fatal = error
        self._outage = None
        for chan in self._rchannels:
            chan._on_recovery_failed()
        _fire("on_recovery_failed", self.recovery_policy.on_recovery_failed, self, error)
        raise error

    def _restore(self, conn: BlockingConnection) -> None:
        """Bring channels, topology, qos, confirm mode and consumers back on ``conn``."""
        self._hook_connection(conn)
        channels = [c for c in self._rchannels if not c._gone]
        inners = [chan._reopen(conn) for chan in channels]
        self._topology.replay(conn.channel)
        generation = self.generation + 1
        for chan, inner in zip(channels, inners):
            chan._restore(inner, generation)
        # Committed only now: a failed attempt leaves the old generation in place.
        self._conn = conn
        self.generation = generation
        for chan, inner in zip(channels, inners):
            chan._commit(inner)
        now = _monotonic()
        for timer in list(self._rtimers):
            self._schedule(timer, max(0.0, timer.deadline - now))

    def _ensure_ready(self, deadline: Optional[float]) -> None:
        """Before a call: raise if closed for good; finish a pending recovery first."""
        self._usable()
        if self._outage is not None:
            if not self._recover(None, deadline):
                raise RecoveryWaitTimeout(
                    f"The connection did not recover within publish_timeout="
                    f"{self.recovery_policy.publish_timeout} s (lost because "
                    f"{self._outage!r})")

    def _guarded(self, call: Callable[[BlockingConnection], Any]) -> Any:
        """Run ``call(connection)``; on loss recover, then run it again."""
        while True:
            self._ensure_ready(None)
            generation = self.generation
            try:
                return call(self._conn)
            except Exception as exc:
                if not self._is_loss(exc, generation):
                    raise
                self._recover(exc, None, generation)

    def _sweep(self) -> None:
        """Channels the broker closed (the connection still open) are not recovered."""
        if self._conn.is_open:
            for chan in self._rchannels:
                chan._check_gone()

    def _schedule(self, timer: _RecoveringTimer, delay: float) -> None:
        def fire() -> None:
            if timer.done:
                return
            timer.done = True
            if timer in self._rtimers:
                self._rtimers.remove(timer)
            timer.callback()
        timer.inner = self._conn.call_later(delay, fire)

    # ----------------------------------------------------------- public API

    @property
    def is_recovering(self) -> bool:
        """True between noticing a loss and recovering from it (or giving up)."""
        return self._outage is not None

    def add_on_connection_blocked_callback(self, callback: Callable[..., None]) -> None:
        """Call ``callback(connection, method_frame)`` on Connection.Blocked."""
        self._blocked_cbs.append(callback)

    def add_on_connection_unblocked_callback(self, callback: Callable[..., None]) -> None:
        """Call ``callback(connection, method_frame)`` on Connection.Unblocked."""
        self._unblocked_cbs.append(callback)

    def call_later(self, delay: float, callback: Callable[[], None]) -> Any:
        """Run ``callback()`` from process_data_events after ``delay`` seconds (a timer
        survives recovery)."""
        if not callable(callback):
            raise TypeError("callback must be callable")
        self._usable()
        timer = _RecoveringTimer(_monotonic() + delay, callback)
        self._rtimers.append(timer)
        if self._outage is None:
            self._schedule(timer, delay)
        return timer

    def remove_timeout(self, timeout_id: Any) -> None:
        """Cancel a timer made by call_later."""
        timeout_id.done = True
        if timeout_id in self._rtimers:
            self._rtimers.remove(timeout_id)
        if timeout_id.inner is not None:
            try:
                self._conn.remove_timeout(timeout_id.inner)
            except Exception:  # noqa: BLE001 - a timer of a dead connection
                pass

    def add_callback_threadsafe(self, callback: Callable[[], None]) -> None:
        """Run ``callback()`` in the connection's thread; callable from any thread.
        Queued during an outage, it runs once the connection has recovered."""
        if not callable(callback):
            raise TypeError("callback must be callable")
        self._usable()
        try:
            self._conn.add_callback_threadsafe(callback)
        except exceptions.ConnectionWrongStateError:
            self._pending_threadsafe.append(callback)

    def update_secret(self, new_secret: str, reason: str) -> None:
        """Send Connection.UpdateSecret (and use the new secret when reconnecting)."""
        for params in self._hosts:
            try:
                params.credentials.password = new_secret
            except AttributeError:
                pass
        self._guarded(lambda conn: conn.update_secret(new_secret, reason))

    def close(self, reply_code: int = 200, reply_text: str = "Normal shutdown") -> None:
        """Close the channels and the connection; ends any recovery."""
        if self.is_closed:
            raise exceptions.ConnectionWrongStateError(
                f"Illegal close({reply_code}, {reply_text!r}) request on {self!r} because "
                "it was called while connection state=CLOSED.")
        self._user_closed = True
        self._outage = None
        for chan in self._rchannels:
            chan._gone = True
        if self._conn.is_open:
            try:
                self._conn.close(reply_code, reply_text)
            except exceptions.AMQPError as exc:
                LOGGER.debug("close(): %s", repr(exc))

    def process_data_events(self, time_limit: Optional[float] = 0) -> None:
        """Do I/O and run callbacks for up to ``time_limit`` seconds (``None``: until at
        least one callback ran); recovers from a loss met meanwhile."""
        deadline = None if time_limit is None else _monotonic() + time_limit
        while True:
            self._ensure_ready(None)
            generation = self.generation
            try:
                remaining = None if deadline is None else max(0.0, deadline - _monotonic())
                self._conn.process_data_events(remaining)
                self._sweep()
                return
            except Exception as exc:
                if not self._is_loss(exc, generation):
                    raise
                self._recover(exc, None, generation)
                if deadline is None or _monotonic() >= deadline:
                    return

    def sleep(self, duration: float) -> None:
        """Sleep ``duration`` seconds while keeping the connection serviced."""
        assert duration >= 0, duration
        deadline = _monotonic() + duration
        while True:
            self.process_data_events(max(0.0, deadline - _monotonic()))
            if _monotonic() >= deadline:
                return

    def channel(self, channel_number: Optional[int] = None) -> "RecoveringBlockingChannel":
        """Open a channel that follows the connection through recoveries."""
        inner = self._guarded(lambda conn: conn.channel(channel_number))
        chan = RecoveringBlockingChannel(self, inner)
        self._rchannels.append(chan)
        return chan

    def __enter__(self) -> "RecoveringBlockingConnection":
        return self

    def __exit__(self, exc_type: Any, value: Any, traceback: Any) -> None:
        if self.is_open or self.is_recovering:
            self.close()

    @property
    def is_closed(self) -> bool:
        """True once closed by the application, or given up on."""
        return self._user_closed or self._fatal is not None

    @property
    def is_open(self) -> bool:
        """True while the connection is open (False while recovering)."""
        return not self.is_closed and self._outage is None and self._conn.is_open

    @property
    def is_closing(self) -> bool:
        return self._conn.is_closing

    def add_backpressure_callback(self, callback: Callable[..., None]) -> None:
        """pika 0.x: accepted and never called."""
        self._conn.add_backpressure_callback(callback)

    def add_on_flow_callback(self, callback: Callable[[bool], None]) -> None:
        """pika 0.x: ``callback(False)`` when the broker blocks publishing, True after."""
        from pika_fast import _legacy

        _legacy.warn("BlockingConnection.add_on_flow_callback",
                     "add_on_connection_blocked_callback / add_on_connection_unblocked_callback")
        self._blocked_cbs.append(lambda _conn, _frame: callback(False))
        self._unblocked_cbs.append(lambda _conn, _frame: callback(True))

    @property
    def basic_nack_supported(self) -> bool:
        return self._conn.basic_nack_supported

    @property
    def consumer_cancel_notify_supported(self) -> bool:
        return self._conn.consumer_cancel_notify_supported

    @property
    def exchange_exchange_bindings_supported(self) -> bool:
        return self._conn.exchange_exchange_bindings_supported

    @property
    def publisher_confirms_supported(self) -> bool:
        return self._conn.publisher_confirms_supported

    basic_nack = basic_nack_supported
    consumer_cancel_notify = consumer_cancel_notify_supported
    exchange_exchange_bindings = exchange_exchange_bindings_supported
    publisher_confirms = publisher_confirms_supported

    def __repr__(self) -> str:
        state = ("CLOSED" if self.is_closed else "RECOVERING" if self.is_recovering
                 else "OPEN")
        return f"<RecoveringBlockingConnection {state} generation={self.generation}>"


class _SettlesAcrossRecoveries:
    """basic_ack/nack/reject of both recovering channels: each goes through the
    channel's ``_settle``, which drops a settlement meant for a dead connection."""

    _settle: Callable[..., None]

    def basic_ack(self, delivery_tag: int = 0, multiple: bool = False) -> None:
        """Acknowledge; an ack for a delivery of a dead connection is dropped."""
        self._settle(lambda ch, tag: ch.basic_ack(tag, multiple), delivery_tag, multiple)

    def basic_nack(self, delivery_tag: int = 0, multiple: bool = False,
                   requeue: bool = True) -> None:
        """Reject one or several; dropped for deliveries of a dead connection."""
        self._settle(lambda ch, tag: ch.basic_nack(tag, multiple, requeue), delivery_tag,
                     multiple)

    def basic_reject(self, delivery_tag: int = 0, requeue: bool = True) -> None:
        """Reject one message; dropped for a delivery of a dead connection."""
        self._settle(lambda ch, tag: ch.basic_reject(tag, requeue), delivery_tag, False)


class RecoveringBlockingChannel(_SettlesAcrossRecoveries, BlockingChannel):
    """A channel of a :class:`RecoveringBlockingConnection`; it moves to the new
    connection after a recovery, keeping its number, qos, confirm mode and consumers.

    Delivery tags continue across recoveries (the n-th delivery after a recovery gets
    the last tag seen plus n), so acknowledging a delivery of the dead connection is
    recognised and dropped silently."""

    def __init__(self, connection: RecoveringBlockingConnection,
                 inner: BlockingChannel) -> None:
        # BlockingChannel.__init__ is deliberately not run: this object delegates.
        self._rconn = connection
        self._inner = inner
        self._number = inner.channel_number
        self._gone = False  # closed by the application or the broker: not recovered
        self._qos: Optional[Tuple[int, int, bool]] = None
        self._confirming = False
        self._transactional = False
        self._tx_dirty = False  # published or settled since the last commit/rollback
        self._tx_lost = False  # the open transaction died with a connection
        self._publish_seq = 0
        self._records: Dict[str, _ConsumerRecord] = {}
        self._return_cbs: List[Callable[..., None]] = []
        self._cancel_cbs: List[Callable[..., None]] = []
        self._close_cbs: List[Callable[..., None]] = []
        self._tag_offset = 0  # added to this connection's delivery tags
        self._last_tag = 0
        self._stop = False
        self._gen_record: Optional[_ConsumerRecord] = None
        self._gen_params: Optional[Tuple[Any, ...]] = None
        self._hook(inner)

    # ------------------------------------------------------------ internals

    def _hook(self, inner: BlockingChannel) -> None:
        inner.add_on_return_callback(self._on_inner_return)
        inner.add_on_cancel_callback(self._on_inner_cancel)
        with _warnings_ignored():
            inner.add_on_close_callback(functools.partial(self._relay_close, inner))

    def _on_inner_return(self, _ch: Any, method: Any, properties: Any, body: Any) -> None:
        for callback in list(self._return_cbs):
            callback(self, method, properties, body)

    def _on_inner_cancel(self, method_frame: Any) -> None:
        record = self._records.pop(method_frame.method.consumer_tag, None)
        if record is not None and record is self._gen_record:
            record.buffer.append((None, None, None))  # type: ignore[union-attr]
            return
        for callback in list(self._cancel_cbs):
            callback(method_frame)

    def _deliverer(self, record: _ConsumerRecord, generation: int,
                   offset: int) -> Callable[..., None]:
        rconn = self._rconn

        def deliver(_ch: Any, method: Any, properties: Any, body: Any) -> None:
            if generation != rconn.generation and not record.auto_ack:
                return  # a delivery of the dead connection: the broker redelivers it
            if offset:
                method.delivery_tag += offset
            self._last_tag = method.delivery_tag
            if record.buffer is not None:
                record.buffer.append((method, properties, body))
                return
            rconn._depth += 1
            try:
                record.callback(self, method, properties, body)  # type: ignore[misc]
            finally:
                rconn._depth -= 1
        return deliver

    def _on_connection_lost(self) -> None:
        # Messages the generator holds from the dead connection cannot be acked.
        record = self._gen_record
        if record is not None and not record.auto_ack and record.buffer:
            record.buffer.clear()

    def _on_recovery_failed(self) -> None:
        self._gone = True

    def _check_gone(self) -> None:
        if not self._gone and self._inner.is_closed:
            self._gone = True
            self._records.clear()

    def _reopen(self, conn: BlockingConnection) -> BlockingChannel:
        try:
            return conn.channel(self._number)
        except exceptions.AMQPChannelError:
            return conn.channel()

    def _restore(self, inner: BlockingChannel, generation: int) -> None:
        """Qos, confirm mode and consumers on the new channel ``inner``."""
        self._hook(inner)
        if self._qos is not None:
            inner.basic_qos(*self._qos)
        if self._confirming:
            inner.confirm_delivery()
        if self._transactional:
            inner.tx_select()
            self._tx_lost = self._tx_lost or self._tx_dirty
        offset = self._last_tag
        topology = self._rconn._topology
        for record in list(self._records.values()):
            inner.basic_consume(topology.current(record.queue),
                                self._deliverer(record, generation, offset),
                                auto_ack=record.auto_ack, exclusive=record.exclusive,
                                consumer_tag=record.tag, arguments=record.arguments)

    def _commit(self, inner: BlockingChannel) -> None:
        self._inner = inner
        self._number = inner.channel_number
        self._tag_offset = self._last_tag

    def _run(self, call: Callable[[BlockingChannel], Any], retry: bool = True) -> Any:
        """``call(inner_channel)``; on connection loss recover, then (``retry``) again."""
        rconn = self._rconn
        while True:
            rconn._ensure_ready(None)
            if self._gone:
                raise exceptions.ChannelWrongStateError("Channel is closed.")
            generation = rconn.generation
            try:
                return call(self._inner)
            except Exception as exc:
                if not rconn._is_loss(exc, generation):
                    self._check_gone()
                    raise
                rconn._recover(exc, None, generation)
                if not retry:
                    raise

    def _inner_tag(self, delivery_tag: int, multiple: bool) -> Optional[int]:
        """This connection's tag for ``delivery_tag``; None for the dead connection's."""
        if delivery_tag == 0 and multiple:
            return 0
        if delivery_tag <= self._tag_offset:
            return None
        return delivery_tag - self._tag_offset

    def _settle(self, call: Callable[[BlockingChannel, int], None], delivery_tag: int,
                multiple: bool) -> None:
        rconn = self._rconn
        rconn._usable()
        if self._gone:
            raise exceptions.ChannelWrongStateError("Channel is closed.")
        tag = self._inner_tag(delivery_tag, multiple)
        if tag is None or rconn._outage is not None:
            return  # the message's connection is gone: the broker requeues it
        if self._transactional:
            self._tx_dirty = True
        generation = rconn.generation
        try:
            call(self._inner, tag)
        except Exception as exc:
            if not rconn._is_loss(exc, generation):
                self._check_gone()
                raise
            # Lost with the connection; the next blocking call recovers.

    # ----------------------------------------------------------- properties

    @property
    def channel_number(self) -> int:
        return self._number

    @property
    def connection(self) -> RecoveringBlockingConnection:  # type: ignore[override]
        return self._rconn

    @property
    def is_closed(self) -> bool:
        return self._gone or self._rconn.is_closed

    @property
    def is_open(self) -> bool:
        return not self._gone and self._rconn.is_open and self._inner.is_open

    @property
    def consumer_tags(self) -> List[str]:
        return list(self._records)

    def __int__(self) -> int:
        return self._number

    def __repr__(self) -> str:
        return f"<RecoveringBlockingChannel number={self._number} inner={self._inner!r}>"

    def __enter__(self) -> "RecoveringBlockingChannel":
        return self

    def __exit__(self, exc_type: Any, value: Any, traceback: Any) -> None:
        if self.is_open:
            self.close()

    # -------------------------------------------------------------- closing

    def close(self, reply_code: int = 0, reply_text: str = "Normal shutdown") -> None:
        """Close the channel (it is not recovered any more)."""
        if self.is_closed:
            raise exceptions.ChannelWrongStateError("Channel is closed.")
        self._gone = True
        self._records.clear()
        self._gen_record = None
        if self._rconn._outage is not None:
            return
        if self._inner.is_open:
            try:
                self._inner.close(reply_code, reply_text)
            except exceptions.AMQPConnectionError:
                pass

    def flow(self, active: bool) -> bool:
        """Ask the broker to start or stop this channel's flow (not repeated after a
        recovery)."""
        return self._run(lambda ch: ch.flow(active), retry=False)

    def add_on_cancel_callback(self, callback: Callable[..., None]) -> None:
        """Call ``callback(method_frame)`` when the broker cancels a consumer."""
        self._cancel_cbs.append(callback)

    def add_on_return_callback(self, callback: Callable[..., None]) -> None:
        """Call ``callback(channel, method, properties, body)`` for returned messages."""
        self._return_cbs.append(callback)

    def add_on_close_callback(self, callback: Callable[..., None]) -> None:
        """Older pika: ``callback(channel, exception)`` when the channel closes for good
        (not when the connection is lost and the channel is about to come back)."""
        from pika_fast import _legacy, validators

        _legacy.warn("BlockingChannel.add_on_close_callback",
                     "the ChannelClosed exception the next channel call raises")
        validators.require_callback(callback)
        self._close_cbs.append(callback)

    def _relay_close(self, inner: Any, _channel: Any, error: BaseException) -> None:
        if inner is not self._inner or not self._close_cbs:
            return
        if not (self._rconn._user_closed or isinstance(
                error, (exceptions.ChannelClosedByBroker, exceptions.ChannelClosedByClient))):
            return  # the connection went; the channel will be back
        for callback in list(self._close_cbs):
            callback(self, error)

    # ----------------------------------------------------------- consuming

    def basic_consume(self, *args: Any, **kwargs: Any) -> str:
        """Start a consumer (pika's signature); it is re-registered after a recovery
        with the same callback and consumer tag."""
        from pika_fast import _legacy, validators

        bound = _legacy.consume_arguments(args, kwargs, with_callback=False)
        callback = bound["on_message_callback"]
        validators.require_callback(callback, "on_message_callback")
        return self._start_consumer(bound["queue"], callback, None,
                                    bound.get("auto_ack", False),
                                    bound.get("exclusive", False),
                                    bound.get("consumer_tag"), bound.get("arguments"))

    def _start_consumer(self, queue: str, callback: Optional[Callable[..., None]],
                        buffer: Optional[Deque[Message]], auto_ack: bool, exclusive: bool,
                        consumer_tag: Optional[str], arguments: Optional[Dict[str, Any]]
                        ) -> str:
        if consumer_tag and consumer_tag in self._records:
            raise exceptions.DuplicateConsumerTag(consumer_tag)
        topology = self._rconn._topology

        def start(inner: BlockingChannel) -> str:
            record = _ConsumerRecord("", topology.known(queue), callback, auto_ack,
                                     exclusive, arguments, buffer)
            tag = inner.basic_consume(
                topology.current(queue),
                self._deliverer(record, self._rconn.generation, self._tag_offset),
                auto_ack=auto_ack, exclusive=exclusive, consumer_tag=consumer_tag,
                arguments=arguments)
            record.tag = tag
            self._records[tag] = record
            return tag
        return self._run(start)

    def add_on_flow_callback(self, callback: Callable[[bool], None]) -> None:
        """pika 0.x: ``callback(active)`` when the broker sends Channel.Flow."""
        self._inner.add_on_flow_callback(callback)

    def basic_cancel(self, consumer_tag: str) -> List[Message]:
        """Cancel a consumer; return its undispatched messages when it was auto_ack."""
        record = self._records.pop(consumer_tag, None)
        if record is None:
            return []
        if self._rconn._outage is not None or self._gone:
            return []
        generation = self._rconn.generation
        try:
            return self._inner.basic_cancel(consumer_tag)
        except Exception as exc:
            if not self._rconn._is_loss(exc, generation):
                raise
            return []  # cancelled with the connection; not re-registered

    def start_consuming(self) -> None:
        """Dispatch deliveries until every consumer is cancelled or stop_consuming is
        called; connection losses on the way are recovered from."""
        if self._rconn._depth:
            raise exceptions.ReentrancyError(
                "start_consuming may not be called from the scope of another "
                "BlockingConnection or BlockingChannel callback")
        self._stop = False
        while self._records and not self._stop:
            if self._gone:
                self._inner.start_consuming()  # raises the broker's reason, once
                return
            self._rconn.process_data_events(None)
        if self._gone and not self._rconn.is_closed and self._inner.is_closed:
            self._inner.start_consuming()

    def stop_consuming(self, consumer_tag: Optional[str] = None) -> None:
        """Cancel ``consumer_tag`` (or every consumer) so start_consuming returns."""
        if consumer_tag:
            self.basic_cancel(consumer_tag)
            return
        self._stop = True
        for tag, record in list(self._records.items()):
            if record is not self._gen_record:
                self.basic_cancel(tag)

    def consume(self, queue: str, auto_ack: bool = False, exclusive: bool = False,
                arguments: Optional[Dict[str, Any]] = None,
                inactivity_timeout: Optional[float] = None,
                consumer_tag: Optional[str] = None) -> Generator[Message, None, None]:
        """Yield (method, properties, body) from ``queue``; (None, None, None) on
        inactivity. The consumer survives recoveries."""
        params = (queue, auto_ack, exclusive, arguments)
        if self._gen_record is None:
            buffer: Deque[Message] = collections.deque()
            tag = self._start_consumer(queue, None, buffer, auto_ack, exclusive,
                                       consumer_tag, arguments)
            self._gen_record = self._records[tag]
            self._gen_params = params
        elif params != self._gen_params:
            raise ValueError(f"Consume with different params not allowed on existing "
                             f"queue consumer generator; previous params: "
                             f"{self._gen_params!r}; new params: {params!r}")
        record = self._gen_record
        buffer = record.buffer  # type: ignore[assignment]
        while True:
            if not buffer:
                deadline = None if inactivity_timeout is None else \
                    _monotonic() + inactivity_timeout
                while not buffer:
                    if self._gen_record is not record:
                        return
                    if self._gone:
                        self._inner.start_consuming()  # the broker's reason, once
                        return
                    remaining = None if deadline is None else deadline - _monotonic()
                    if remaining is not None and remaining <= 0:
                        break
                    self._rconn.process_data_events(remaining)
                if not buffer:
                    yield (None, None, None)
                    continue
            item = buffer.popleft()
            if item[0] is None:
                self._gen_record = None
                return
            yield item

    def get_waiting_message_count(self) -> int:
        """Messages the consume() generator holds and has not yet yielded."""
        record = self._gen_record
        return 0 if record is None or record.buffer is None else len(record.buffer)

    def cancel(self) -> int:
        """Cancel the consume() generator; requeue (nack) its pending messages.

        Returns 0, as pika 1.4 does."""
        record = self._gen_record
        if record is None:
            return 0
        self._gen_record = None
        self.basic_cancel(record.tag)
        pending = list(record.buffer or ())
        if record.buffer is not None:
            record.buffer.clear()
        if not record.auto_ack:
            for method, _p, _b in pending:
                if method is not None:
                    self.basic_nack(method.delivery_tag, False, True)
        return 0

    # ----------------------------------------------------------- messages

    def basic_get(self, queue: str, auto_ack: bool = False, **legacy: Any) -> Message:
        """Fetch one message: (GetOk, properties, body), or (None, None, None)."""
        topology = self._rconn._topology

        def get(ch: BlockingChannel) -> Message:
            method, properties, body = ch.basic_get(topology.current(queue), auto_ack,
                                                    **legacy)
            if method is not None:
                if self._tag_offset:
                    method.delivery_tag += self._tag_offset
                self._last_tag = method.delivery_tag
            return method, properties, body
        return self._run(get)

    def basic_publish(self, exchange: str, routing_key: str, body: Any,
                      properties: Optional[spec.BasicProperties] = None,
                      mandatory: bool = False, immediate: Optional[bool] = None) -> None:
        """Publish; during an outage wait up to ``publish_timeout`` for recovery.

        In confirm mode a publish unconfirmed when the connection is lost raises
        :class:`UnconfirmedPublishError` (and is reported to ``on_unconfirmed``); it is
        not sent again."""
        rconn = self._rconn
        if exchange == "":
            routing_key = rconn._topology.current(routing_key)
        deadline = _monotonic() + rconn.recovery_policy.publish_timeout
        while True:
            rconn._ensure_ready(deadline)
            if self._gone:
                raise exceptions.ChannelWrongStateError("Channel is closed.")
            generation = rconn.generation
            try:
                if self._transactional:
                    self._tx_dirty = True
                self._inner.basic_publish(exchange, routing_key, body, properties,
                                          mandatory, immediate)
                if self._confirming:
                    self._publish_seq += 1
                return
            except Exception as exc:
                if not rconn._is_loss(exc, generation):
                    self._check_gone()
                    raise
                if self._confirming:
                    # Sent (perhaps) on a connection now dead: never sent again.
                    self._publish_seq += 1
                    message = UnconfirmedMessage(self._number, self._publish_seq, exchange,
                                                 routing_key, body, properties, mandatory)
                    rconn._note_unconfirmed(message, generation)
                    try:
                        rconn._recover(exc, deadline, generation)
                    except RecoveryFailedError as failed:
                        raise UnconfirmedPublishError([message]) from failed
                    raise UnconfirmedPublishError([message]) from exc
                if not rconn._recover(exc, deadline, generation):
                    raise RecoveryWaitTimeout(
                        f"The connection did not recover within publish_timeout="
                        f"{rconn.recovery_policy.publish_timeout} s") from exc

    def basic_qos(self, prefetch_size: int = 0, prefetch_count: int = 0,
                  global_qos: bool = False, all_channels: Optional[bool] = None) -> None:
        """Set the prefetch window (re-applied after a recovery)."""
        from pika_fast import _legacy

        global_qos = _legacy.qos_global(global_qos, all_channels)
        self._run(lambda ch: ch.basic_qos(prefetch_size, prefetch_count, global_qos))
        self._qos = (prefetch_size, prefetch_count, global_qos)

    def basic_recover(self, requeue: bool = False) -> None:
        """Ask the broker to redeliver unacknowledged messages."""
        self._run(lambda ch: ch.basic_recover(requeue), retry=False)

    def confirm_delivery(self) -> None:
        """Publisher-confirm mode (re-applied after a recovery)."""
        self._run(lambda ch: ch.confirm_delivery())
        self._confirming = True

    # ----------------------------------------------------------- topology

    def exchange_declare(self, exchange: str,
                         exchange_type: Union[ExchangeType, str] = ExchangeType.direct,
                         passive: bool = False, durable: bool = False,
                         auto_delete: bool = False, internal: bool = False,
                         arguments: Optional[Dict[str, Any]] = None,
                         **legacy: Any) -> Any:
        """Declare an exchange (re-declared after a recovery unless passive)."""
        if legacy:
            from pika_fast import _legacy
            exchange_type = _legacy.exchange_type(exchange_type, legacy)
        if isinstance(exchange_type, ExchangeType):
            exchange_type = exchange_type.value
        result = self._run(lambda ch: ch.exchange_declare(
            exchange, exchange_type, passive, durable, auto_delete, internal, arguments))
        if not passive:
            self._rconn._topology.add_exchange(exchange, dict(
                exchange_type=exchange_type, durable=durable, auto_delete=auto_delete,
                internal=internal, arguments=arguments))
        return result

    def exchange_delete(self, exchange: Optional[str] = None, if_unused: bool = False) -> Any:
        """Delete an exchange (and forget it)."""
        result = self._run(lambda ch: ch.exchange_delete(exchange, if_unused))
        self._rconn._topology.delete_exchange(exchange or "")
        return result

    def exchange_bind(self, destination: str, source: str, routing_key: str = "",
                      arguments: Optional[Dict[str, Any]] = None) -> Any:
        """Bind an exchange to another (re-bound after a recovery)."""
        result = self._run(lambda ch: ch.exchange_bind(destination, source, routing_key,
                                                       arguments))
        self._rconn._topology.bind_exchange(destination, source, routing_key, arguments)
        return result

    def exchange_unbind(self, destination: Optional[str] = None, source: Optional[str] = None,
                        routing_key: str = "",
                        arguments: Optional[Dict[str, Any]] = None) -> Any:
        """Remove an exchange-to-exchange binding."""
        result = self._run(lambda ch: ch.exchange_unbind(destination, source, routing_key,
                                                         arguments))
        self._rconn._topology.unbind_exchange(destination or "", source or "", routing_key,
                                              arguments)
        return result

    def queue_declare(self, queue: str, passive: bool = False, durable: bool = False,
                      exclusive: bool = False, auto_delete: bool = False,
                      arguments: Optional[Dict[str, Any]] = None) -> Any:
        """Declare a queue (re-declared after a recovery unless passive; a server-named
        queue gets a new name then, which ``topology_names`` maps)."""
        topology = self._rconn._topology
        result = self._run(lambda ch: ch.queue_declare(
            topology.current(queue), passive, durable, exclusive, auto_delete, arguments))
        if not passive:
            topology.add_queue(queue, result.method.queue, dict(
                durable=durable, exclusive=exclusive, auto_delete=auto_delete,
                arguments=arguments))
        return result

    def queue_delete(self, queue: str, if_unused: bool = False,
                     if_empty: bool = False) -> Any:
        """Delete a queue (and forget it and its bindings)."""
        topology = self._rconn._topology
        result = self._run(lambda ch: ch.queue_delete(topology.current(queue), if_unused,
                                                      if_empty))
        topology.delete_queue(topology.known(queue))
        return result

    def queue_purge(self, queue: str) -> Any:
        """Purge a queue."""
        topology = self._rconn._topology
        return self._run(lambda ch: ch.queue_purge(topology.current(queue)))

    def queue_bind(self, queue: str, exchange: str, routing_key: Optional[str] = None,
                   arguments: Optional[Dict[str, Any]] = None) -> Any:
        """Bind a queue (re-bound after a recovery, following a server-named queue)."""
        topology = self._rconn._topology
        known = topology.known(queue)
        if routing_key is None:
            routing_key = queue
        result = self._run(lambda ch: ch.queue_bind(topology.current(known), exchange,
                                                    routing_key, arguments))
        topology.bind_queue(known, exchange, routing_key, arguments)
        return result

    def queue_unbind(self, queue: str, exchange: str,
                     routing_key: Optional[str] = None,
                     arguments: Optional[Dict[str, Any]] = None) -> Any:
        """Remove a queue binding."""
        topology = self._rconn._topology
        known = topology.known(queue)
        if routing_key is None:
            routing_key = queue
        result = self._run(lambda ch: ch.queue_unbind(topology.current(known), exchange,
                                                      routing_key, arguments))
        topology.unbind_queue(known, exchange, routing_key, arguments)
        return result

    def tx_select(self) -> Any:
        """Transaction mode (entered again on the new channel after a recovery)."""
        result = self._run(lambda ch: ch.tx_select(), retry=False)
        self._transactional = True
        return result

    def tx_commit(self) -> Any:
        """Commit; raises :class:`TransactionLostError` (after rolling back what the
        recovered channel did since) if the transaction died with a connection."""
        try:
            if self._tx_lost:
                self._run(lambda ch: ch.tx_rollback(), retry=False)
                raise TransactionLostError(
                    "The connection was lost during this transaction: nothing of it was "
                    "committed; redo it")
            return self._run(lambda ch: ch.tx_commit(), retry=False)
        finally:
            # Whatever happened, the caller now knows this transaction's outcome.
            self._tx_dirty = self._tx_lost = False

    def tx_rollback(self) -> Any:
        try:
            return self._run(lambda ch: ch.tx_rollback(), retry=False)
        finally:
            self._tx_dirty = self._tx_lost = False


class _warnings_ignored:
    """Silence the deprecation warning of a legacy call made on the user's behalf."""

    def __enter__(self) -> None:
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore", DeprecationWarning)

    def __exit__(self, *exc: Any) -> None:
        self._ctx.__exit__(*exc)


def topology_names(connection: Any) -> Dict[str, str]:
    """For a recovering connection: the server-named queues renamed by recoveries,
    ``{name the application knows: name on the current connection}``."""
    return dict(connection._topology.names)


# ---------------------------------------------------------- thread-safe adapter

_READY_POLL = 0.05


class RecoveringConnection(ThreadSafeConnection):
    """A thread-safe :class:`~pika_fast.Connection` that recovers from connection loss.

    Made by ``pika_fast.Connection(parameters, ..., recovery=RecoveryPolicy(...))``. It
    owns a plain ``Connection`` and replaces it when the connection is lost; recovery
    runs on a thread of its own (``pika_fast-recovery``), so callers in other threads
    only wait: publishes at most ``publish_timeout``, RPCs their own ``timeout``.
    In confirm mode each channel keeps the publishes the broker has not confirmed
    yet; the ones still unconfirmed when the connection is lost are reported to
    ``on_unconfirmed`` (never sent again).
    """

    def __init__(self, parameters: Any = None,
                 on_open_error_callback: Optional[Callable[..., None]] = None,
                 on_close_callback: Optional[Callable[..., None]] = None,
                 timeout: Optional[float] = 10, work_queue_maxsize: int = 1000,
                 work_queue_put_timeout: Optional[float] = 30.0,
                 recovery: Optional[RecoveryPolicy] = None) -> None:
        # Connection.__init__ is deliberately not run: this object delegates.
        if not isinstance(recovery, RecoveryPolicy):
            raise TypeError(f"recovery must be a RecoveryPolicy, not {recovery!r}")
        self.recovery_policy = recovery
        self.work_queue_maxsize = work_queue_maxsize
        self.work_queue_put_timeout = work_queue_put_timeout
        self._timeout = timeout
        if parameters is None:
            from pika_fast.connection import ConnectionParameters
            candidates: List[Any] = [ConnectionParameters()]
        elif isinstance(parameters, (list, tuple)):
            candidates = list(parameters)
        else:
            candidates = [parameters]
        self._hosts = _attempt_parameters(recovery.hosts or candidates)
        self._topology = _Topology()
        self._rlock = threading.RLock()
        self._rchannels: List[RecoveringChannel] = []
        self._close_cbs: List[Callable[..., None]] = []
        if on_close_callback is not None:
            self._close_cbs.append(on_close_callback)
        self._blocked_cbs: List[Callable[..., None]] = []
        self._unblocked_cbs: List[Callable[..., None]] = []
        self._user_closed = False
        self._fatal: Optional[BaseException] = None
        self._ready = threading.Event()  # set while a live inner connection is in place
        self._recovery_thread: Optional[threading.Thread] = None
        self._finished = threading.Event()  # closed for good, close callbacks run
        self.generation = 1
        self._inner = self._make_inner(list(candidates), on_open_error_callback, timeout, 1)
        self._ready.set()

    # ------------------------------------------------------------ internals

    def _make_inner(self, configs: List[Any], on_open_error_callback: Any,
                    timeout: Optional[float], generation: int) -> ThreadSafeConnection:
        inner = ThreadSafeConnection(configs, on_open_error_callback=on_open_error_callback,
                                     timeout=timeout,
                                     work_queue_maxsize=self.work_queue_maxsize,
                                     work_queue_put_timeout=self.work_queue_put_timeout)
        inner.add_on_close_callback(
            lambda _c, reason: self._on_inner_closed(generation, reason))
        inner.add_on_connection_blocked_callback(
            lambda _c, frame: self._relay(self._blocked_cbs, frame))
        inner.add_on_connection_unblocked_callback(
            lambda _c, frame: self._relay(self._unblocked_cbs, frame))
        return inner

    def _relay(self, callbacks: List[Callable[..., None]], frame: Any) -> None:
        for callback in list(callbacks):
            callback(self, frame)

    def _recoverable(self, reason: BaseException) -> bool:
        if isinstance(reason, exceptions.ConnectionClosedByClient):
            return False
        if isinstance(reason, exceptions.ConnectionClosedByBroker):
            return reason.reply_code in RECOVERABLE_REPLY_CODES
        return True

    def _on_inner_closed(self, generation: int, reason: BaseException) -> None:
        """The inner connection's close callback (on its worker thread)."""
        with self._rlock:
            if generation != self.generation or self._user_closed or self._fatal:
                return
            self._ready.clear()
            if not self._recoverable(reason):
                self._fatal = reason
                self._end(reason)
                return
            thread = threading.Thread(target=self._recover, args=(reason,),
                                      name="pika_fast-recovery", daemon=True)
            self._recovery_thread = thread
        thread.start()

    def _end(self, reason: BaseException) -> None:
        for chan in self._rchannels:
            chan._gone = True
        for callback in list(self._close_cbs):
            _fire("on_close_callback", callback, self, reason)
        self._finished.set()

    def _recover(self, error: BaseException) -> None:
        """The recovery thread: report the loss, then reconnect until done or given up."""
        policy = self.recovery_policy
        LOGGER.warning("Connection lost (%s); recovering", repr(error))
        started = _monotonic()
        # Each channel's close callback runs after the confirms queued before it, so
        # what it finds outstanding then is what the loss left unconfirmed.
        unconfirmed: List[UnconfirmedMessage] = []
        for chan in list(self._rchannels):
            unconfirmed.extend(chan._await_loss(10.0))
        _fire("on_connection_lost", policy.on_connection_lost, self, error)
        if unconfirmed:
            unconfirmed.sort(key=lambda m: (m.channel_number, m.seq_no))
            _fire("on_unconfirmed", policy.on_unconfirmed, self, unconfirmed)
        attempts = 0
        errors: List[BaseException] = []
        inner: Optional[ThreadSafeConnection] = None
        while not self._user_closed:
            attempts += 1
            inner = None
            try:
                inner = self._make_inner(self._hosts, None, self._timeout,
                                         self.generation + 1)
                self._restore(inner)
            except Exception as exc:  # noqa: BLE001 - every failure is one failed attempt
                LOGGER.warning("Recovery attempt %d failed: %s", attempts, repr(exc))
                errors.append(_without_traceback(exc))
                if inner is not None:
                    inner.abort()
                if policy.gave_up(attempts, _monotonic() - started):
                    failed = RecoveryFailedError(
                        f"Connection recovery gave up after {attempts} attempt(s) in "
                        f"{_monotonic() - started:.1f} s; lost because {error!r}; last "
                        f"attempt: {exc!r}", error, errors)
                    with self._rlock:
                        if self._user_closed:
                            return
                        self._fatal = failed
                    _fire("on_recovery_failed", policy.on_recovery_failed, self, failed)
                    self._end(failed)
                    return
                deadline = _monotonic() + policy.retry_delay(attempts)
                while _monotonic() < deadline and not self._user_closed:
                    time.sleep(min(_READY_POLL, max(0.0, deadline - _monotonic())))
                continue
            LOGGER.info("Connection recovered after %d attempt(s)", attempts)
            _fire("on_recovered", policy.on_recovered, self)
            return
        if inner is not None:
            inner.abort()

    def _restore(self, inner: ThreadSafeConnection) -> None:
        channels = [c for c in self._rchannels if not c._gone]
        inners = [chan._reopen(inner) for chan in channels]
        self._topology.replay(inner.channel)
        for chan, channel in zip(channels, inners):
            chan._restore(channel)
        # Calls (acks included) go to the new channels before their consumers start,
        # so a delivery is never acknowledged into the old connection.
        for chan, channel in zip(channels, inners):
            chan._commit(channel)
        for chan in channels:
            chan._start_consumers()
        with self._rlock:
            if self._user_closed:
                raise exceptions.ConnectionWrongStateError("closed while recovering")
            self._inner = inner
            self.generation += 1
            for chan, channel in zip(channels, inners):
                chan._go_live(channel)
            self._ready.set()

    def _wait_ready(self, timeout: Optional[float], publishing: bool = False) -> None:
        """Wait until a live connection is in place; raise if closed for good."""
        deadline = None if timeout is None else _monotonic() + timeout
        while True:
            if self._user_closed:
                raise exceptions.ConnectionWrongStateError("Connection is closed")
            if self._fatal is not None:
                raise self._fatal
            if self._ready.is_set():
                return
            remaining = None if deadline is None else deadline - _monotonic()
            if remaining is not None and remaining <= 0:
                if publishing:
                    raise RecoveryWaitTimeout(
                        f"The connection did not recover within publish_timeout="
                        f"{self.recovery_policy.publish_timeout} s")
                raise TimeoutError(f"The connection did not recover within {timeout} s")
            self._ready.wait(_READY_POLL if remaining is None else min(remaining, _READY_POLL))

    def _lost_since(self, generation: int) -> bool:
        """True when a call made on ``generation`` failed because of a connection loss
        that recovery deals with."""
        if self._user_closed or self._fatal is not None:
            return False
        if generation != self.generation:
            return True
        if self._inner.is_closed:
            # Until its close callback has run the loss may not be marked yet.
            if self._ready.is_set():
                time.sleep(0.01)
            return True
        return False

    # ----------------------------------------------------------- public API

    @property
    def is_recovering(self) -> bool:
        """True between a loss and the recovery (or giving up)."""
        return not self._ready.is_set() and not self.is_closed

    def channel(self, channel_number: Optional[int] = None,
                timeout: Optional[float] = 10) -> "RecoveringChannel":
        """Open a channel that follows the connection through recoveries."""
        while True:
            self._wait_ready(timeout)
            generation = self.generation
            try:
                inner = self._inner.channel(channel_number, timeout)
                break
            except Exception:
                if not self._lost_since(generation):
                    raise
        chan = RecoveringChannel(self, inner)
        with self._rlock:
            self._rchannels.append(chan)
        return chan

    def close(self, reply_code: int = 200, reply_text: str = "Normal shutdown",
              timeout: Optional[float] = 10) -> None:
        """Close the channels and the connection; ends any recovery."""
        with self._rlock:
            if self.is_closed:
                raise exceptions.ConnectionWrongStateError(
                    f"Connection is already closed: {self._fatal!r}")
            self._user_closed = True
            inner = self._inner
        for chan in self._rchannels:
            chan._gone = True
        if not inner.is_closed:
            try:
                inner.close(reply_code, reply_text, timeout)
            except exceptions.AMQPError as exc:
                LOGGER.debug("close(): %s", repr(exc))
        self._join_recovery(timeout)
        self._end(exceptions.ConnectionClosedByClient(reply_code, reply_text))

    def abort(self, timeout: Optional[float] = 10) -> None:
        """Close if still open, never raising; returns once the threads are done."""
        with self._rlock:
            was_closed = self.is_closed
            self._user_closed = True
            inner = self._inner
        inner.abort(timeout)
        self._join_recovery(timeout)
        if not was_closed:
            self._end(exceptions.ConnectionClosedByClient(200, "Normal shutdown"))

    def _join_recovery(self, timeout: Optional[float]) -> None:
        thread = self._recovery_thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(10 if timeout is None else max(timeout, 0.1))
        # An attempt that finished meanwhile may have put a new inner in place.
        if not self._inner.is_closed:
            self._inner.abort(timeout)

    def add_callback_threadsafe(self, callback: Callable[[], None]) -> None:
        """Run ``callback()`` on the I/O thread (waits for a recovery in progress)."""
        self._wait_ready(self._timeout)
        self._inner.add_callback_threadsafe(callback)

    def add_on_close_callback(self, callback: Callable[..., None]) -> None:
        """``callback(connection, reason)`` when the connection closes for good."""
        self._close_cbs.append(callback)

    def add_on_connection_blocked_callback(self, callback: Callable[..., None]) -> None:
        """``callback(connection, method_frame)`` on Connection.Blocked."""
        self._blocked_cbs.append(callback)

    def add_on_connection_unblocked_callback(self, callback: Callable[..., None]) -> None:
        """``callback(connection, method_frame)`` on Connection.Unblocked."""
        self._unblocked_cbs.append(callback)

    def update_secret(self, new_secret: str, reason: str,
                      timeout: Optional[float] = 10) -> Any:
        """Send Connection.UpdateSecret (and use the new secret when reconnecting)."""
        for params in self._hosts:
            try:
                params.credentials.password = new_secret
            except AttributeError:
                pass
        self._wait_ready(timeout)
        return self._inner.update_secret(new_secret, reason, timeout)

    @property
    def is_open(self) -> bool:
        return not self.is_closed and self._ready.is_set() and self._inner.is_open

    @property
    def is_closed(self) -> bool:
        return self._user_closed or self._fatal is not None

    @property
    def server_properties(self) -> Optional[Dict[str, Any]]:
        return self._inner.server_properties

    @property
    def params(self) -> Any:
        return self._inner.params

    def __enter__(self) -> "RecoveringConnection":
        return self

    def __exit__(self, exc_type: Any, value: Any, traceback: Any) -> None:
        if not self.is_closed:
            self.close()

    def __repr__(self) -> str:
        state = ("CLOSED" if self.is_closed else "RECOVERING" if self.is_recovering
                 else "OPEN")
        return f"<RecoveringConnection {state} generation={self.generation}>"


class RecoveringChannel(_SettlesAcrossRecoveries, ThreadSafeChannel):
    """A channel of a :class:`RecoveringConnection`; it moves to the new connection
    after a recovery (same number, qos, confirm mode, consumers and callbacks).
    Delivery tags continue across recoveries; acks for deliveries of a dead
    connection are dropped silently."""

    def __init__(self, connection: RecoveringConnection, inner: ThreadSafeChannel) -> None:
        # Channel.__init__ is deliberately not run: this object delegates.
        self.connection = connection  # type: ignore[assignment]
        self._rconn = connection
        self._inner = inner
        self._number = inner.channel_number
        self._gone = False
        self._qos: Optional[Tuple[int, int, bool]] = None
        self._confirming = False
        self._ack_nack_cb: Optional[Callable[..., None]] = None
        self._outstanding: Dict[int, UnconfirmedMessage] = {}
        self._seq_lock = threading.Lock()
        self._records: Dict[str, _ConsumerRecord] = {}
        self._return_cbs: List[Callable[..., None]] = []
        self._cancel_cbs: List[Callable[..., None]] = []
        self._close_cbs: List[Callable[..., None]] = []
        self._tag_offset = 0
        self._last_tag = 0
        self._seq_base = 0  # confirm numbers of earlier connections
        self._loss_done = threading.Event()
        self._loss_unconfirmed: List[UnconfirmedMessage] = []
        self._live_inner = inner  # the channel whose loss is this channel's loss
        self._hook(inner)

    # ------------------------------------------------------------ internals

    def _hook(self, inner: ThreadSafeChannel) -> None:
        inner.add_on_return_callback(self._on_inner_return)
        inner.add_on_cancel_callback(self._on_inner_cancel)
        inner.add_on_close_callback(
            lambda _ch, reason: self._on_inner_closed(inner, reason))

    def _on_inner_return(self, _ch: Any, method: Any, properties: Any, body: Any) -> None:
        for callback in list(self._return_cbs):
            callback(self, method, properties, body)

    def _on_inner_cancel(self, method_frame: Any) -> None:
        self._records.pop(method_frame.method.consumer_tag, None)
        for callback in list(self._cancel_cbs):
            callback(method_frame)

    def _on_inner_closed(self, inner: Any, reason: BaseException) -> None:
        """On the inner channel's worker, after every confirm queued before the close."""
        if inner is not self._live_inner:
            return
        if isinstance(reason, (exceptions.ChannelClosedByBroker,
                               exceptions.ChannelClosedByClient)) or self._rconn.is_closed:
            self._gone = True
            for callback in list(self._close_cbs):
                _fire("on_close_callback", callback, self, reason)
            self._loss_done.set()
            return
        with self._seq_lock:
            lost = sorted(self._outstanding.values(), key=lambda m: m.seq_no)
            self._outstanding.clear()
        self._loss_unconfirmed = lost
        self._loss_done.set()

    def _await_loss(self, timeout: float) -> List[UnconfirmedMessage]:
        """Recovery thread: this channel's unconfirmed publishes at the loss."""
        if self._gone:
            return []
        self._loss_done.wait(timeout)
        lost, self._loss_unconfirmed = self._loss_unconfirmed, []
        with self._seq_lock:
            # A close callback that never came (timeout): what is left is unconfirmed.
            lost.extend(self._outstanding.values())
            self._outstanding.clear()
        return lost

    def _on_confirm(self, method_frame: Any) -> None:
        method = method_frame.method
        tag = method.delivery_tag + self._seq_base
        with self._seq_lock:
            if method.multiple:
                for seq in [s for s in self._outstanding if s <= tag]:
                    del self._outstanding[seq]
            else:
                self._outstanding.pop(tag, None)
        if self._ack_nack_cb is not None:
            self._ack_nack_cb(method_frame)

    def _deliverer(self, record: _ConsumerRecord, offset: int) -> Callable[..., None]:
        def deliver(_ch: Any, method: Any, properties: Any, body: Any) -> None:
            if offset:
                method.delivery_tag += offset
            self._last_tag = method.delivery_tag
            record.callback(self, method, properties, body)  # type: ignore[misc]
        return deliver

    def _reopen(self, conn: ThreadSafeConnection) -> ThreadSafeChannel:
        try:
            return conn.channel(self._number)
        except exceptions.AMQPChannelError:
            return conn.channel()

    def _restore(self, inner: ThreadSafeChannel) -> None:
        self._hook(inner)
        if self._qos is not None:
            inner.basic_qos(*self._qos)
        if self._confirming:
            inner.confirm_delivery(self._on_confirm)

    def _commit(self, inner: ThreadSafeChannel) -> None:
        with self._seq_lock:
            if self._confirming and self._inner.next_publish_seq_no:
                # The broker numbers the new connection's publishes from 1 again.
                self._seq_base += self._inner.next_publish_seq_no - 1
            self._inner = inner
            self._number = inner.channel_number
            self._tag_offset = self._last_tag

    def _start_consumers(self) -> None:
        topology = self._rconn._topology
        for record in list(self._records.values()):
            self._inner.basic_consume(topology.current(record.queue),
                                      self._deliverer(record, self._tag_offset),
                                      auto_ack=record.auto_ack, exclusive=record.exclusive,
                                      consumer_tag=record.tag, arguments=record.arguments)

    def _go_live(self, inner: ThreadSafeChannel) -> None:
        self._live_inner = inner
        self._loss_done.clear()

    def _run(self, call: Callable[[ThreadSafeChannel], Any], timeout: Optional[float],
             retry: bool = True) -> Any:
        rconn = self._rconn
        while True:
            rconn._wait_ready(timeout)
            if self._gone:
                raise exceptions.ChannelWrongStateError("Channel is closed.")
            generation = rconn.generation
            try:
                return call(self._inner)
            except Exception:
                if not rconn._lost_since(generation) or not retry:
                    raise

    def _inner_tag(self, delivery_tag: int, multiple: bool) -> Optional[int]:
        if delivery_tag == 0 and multiple:
            return 0
        if delivery_tag <= self._tag_offset:
            return None
        return delivery_tag - self._tag_offset

    def _settle(self, call: Callable[[ThreadSafeChannel, int], None], delivery_tag: int,
                multiple: bool) -> None:
        if self._gone:
            raise exceptions.ChannelWrongStateError("Channel is closed.")
        tag = self._inner_tag(delivery_tag, multiple)
        if tag is None:
            return  # the delivery's connection is gone: the broker requeues it
        inner = self._inner
        try:
            call(inner, tag)
        except Exception:
            if not inner.connection.is_closed:
                raise
            # Lost with its connection; the broker requeues the message.

    # -------------------------------------------------------- fire and forget

    def basic_publish(self, exchange: str, routing_key: str, body: Any,
                      properties: Optional[spec.BasicProperties] = None,
                      mandatory: bool = False,
                      on_publish: Optional[Callable[[int], None]] = None) -> None:
        """Publish from any thread; during an outage wait up to ``publish_timeout``.
        In confirm mode the message is kept until the broker confirms it, and
        reported to ``on_unconfirmed`` if the connection is lost first."""
        rconn = self._rconn
        if exchange == "":
            routing_key = rconn._topology.current(routing_key)
        deadline = _monotonic() + rconn.recovery_policy.publish_timeout
        while True:
            rconn._wait_ready(max(0.0, deadline - _monotonic()), publishing=True)
            if self._gone:
                raise exceptions.ChannelWrongStateError("Channel is closed.")
            generation = rconn.generation
            try:
                if self._confirming:
                    base = self._seq_base

                    def track(seq_no: int) -> None:
                        with self._seq_lock:
                            self._outstanding[seq_no + base] = UnconfirmedMessage(
                                self._number, seq_no + base, exchange, routing_key, body,
                                properties, mandatory)
                        if on_publish is not None:
                            on_publish(seq_no + base)
                    self._inner.basic_publish(exchange, routing_key, body, properties,
                                              mandatory, on_publish=track)
                else:
                    self._inner.basic_publish(exchange, routing_key, body, properties,
                                              mandatory, on_publish=on_publish)
                return
            except Exception:
                # Refused before it was written: safe to send on the new connection.
                if not rconn._lost_since(generation):
                    raise

    # ------------------------------------------------------------------ RPCs

    def basic_qos(self, prefetch_size: int = 0, prefetch_count: int = 0,
                  global_qos: bool = False, timeout: Optional[float] = 10) -> Any:
        """Set the prefetch window (re-applied after a recovery)."""
        result = self._run(lambda ch: ch.basic_qos(prefetch_size, prefetch_count,
                                                   global_qos, timeout), timeout)
        self._qos = (prefetch_size, prefetch_count, global_qos)
        return result

    def basic_consume(self, queue: str, on_message_callback: Callable[..., None],
                      auto_ack: bool = False, exclusive: bool = False,
                      consumer_tag: Optional[str] = None,
                      arguments: Optional[Dict[str, Any]] = None,
                      timeout: Optional[float] = 10) -> Any:
        """Start a consumer; re-registered after a recovery (same callback and tag)."""
        if not callable(on_message_callback):
            raise TypeError("on_message_callback must be callable")
        if consumer_tag and consumer_tag in self._records:
            raise exceptions.DuplicateConsumerTag(consumer_tag)
        topology = self._rconn._topology
        tag = consumer_tag or f"ctag{self._number}.{_random_hex()}"
        record = _ConsumerRecord(tag, topology.known(queue), on_message_callback, auto_ack,
                                 exclusive, arguments, None)

        def start(ch: ThreadSafeChannel) -> Any:
            self._records[tag] = record
            try:
                return ch.basic_consume(topology.current(queue),
                                        self._deliverer(record, self._tag_offset),
                                        auto_ack, exclusive, tag, arguments, timeout)
            except BaseException:
                self._records.pop(tag, None)
                raise
        return self._run(start, timeout)

    def basic_cancel(self, consumer_tag: str, timeout: Optional[float] = 10) -> Any:
        """Cancel a consumer (it is not re-registered any more)."""
        if self._records.pop(consumer_tag, None) is None:
            return None
        if not self._rconn._ready.is_set():
            return None
        return self._run(lambda ch: ch.basic_cancel(consumer_tag, timeout), timeout,
                         retry=False)

    def basic_get(self, queue: str, auto_ack: bool = False,
                  timeout: Optional[float] = 10) -> Tuple[Any, Any, Any]:
        """Fetch one message, or ``(None, None, None)``."""
        topology = self._rconn._topology

        def get(ch: ThreadSafeChannel) -> Tuple[Any, Any, Any]:
            method, properties, body = ch.basic_get(topology.current(queue), auto_ack,
                                                    timeout)
            if method is not None:
                if self._tag_offset:
                    method.delivery_tag += self._tag_offset
                self._last_tag = method.delivery_tag
            return method, properties, body
        return self._run(get, timeout)

    def confirm_delivery(self, ack_nack_callback: Optional[Callable[..., None]] = None,
                         timeout: Optional[float] = 10) -> Any:
        """Confirm mode (re-applied after a recovery); ``ack_nack_callback(frame)``
        gets the broker's frames (its numbering restarts with each connection; the
        sequence numbers given to ``on_publish`` and ``on_unconfirmed`` continue)."""
        self._ack_nack_cb = ack_nack_callback
        result = self._run(lambda ch: ch.confirm_delivery(self._on_confirm, timeout),
                           timeout)
        self._confirming = True
        return result

    def queue_declare(self, queue: str, passive: bool = False, durable: bool = False,
                      exclusive: bool = False, auto_delete: bool = False,
                      arguments: Optional[Dict[str, Any]] = None,
                      timeout: Optional[float] = 10) -> Any:
        """Declare a queue (re-declared after a recovery unless passive)."""
        topology = self._rconn._topology
        result = self._run(lambda ch: ch.queue_declare(
            topology.current(queue), passive, durable, exclusive, auto_delete, arguments,
            timeout), timeout)
        if not passive:
            topology.add_queue(queue, result.method.queue, dict(
                durable=durable, exclusive=exclusive, auto_delete=auto_delete,
                arguments=arguments))
        return result

    def queue_delete(self, queue: str, if_unused: bool = False, if_empty: bool = False,
                     timeout: Optional[float] = 10) -> Any:
        """Delete a queue (and forget it and its bindings)."""
        topology = self._rconn._topology
        result = self._run(lambda ch: ch.queue_delete(topology.current(queue), if_unused,
                                                      if_empty, timeout), timeout)
        topology.delete_queue(topology.known(queue))
        return result

    def queue_purge(self, queue: str, timeout: Optional[float] = 10) -> Any:
        """Purge a queue."""
        topology = self._rconn._topology
        return self._run(lambda ch: ch.queue_purge(topology.current(queue), timeout),
                         timeout)

    def queue_bind(self, queue: str, exchange: str, routing_key: Optional[str] = None,
                   arguments: Optional[Dict[str, Any]] = None,
                   timeout: Optional[float] = 10) -> Any:
        """Bind a queue (re-bound after a recovery)."""
        topology = self._rconn._topology
        known = topology.known(queue)
        if routing_key is None:
            routing_key = queue
        result = self._run(lambda ch: ch.queue_bind(topology.current(known), exchange,
                                                    routing_key, arguments, timeout), timeout)
        topology.bind_queue(known, exchange, routing_key, arguments)
        return result

    def queue_unbind(self, queue: str, exchange: Optional[str] = None,
                     routing_key: Optional[str] = None,
                     arguments: Optional[Dict[str, Any]] = None,
                     timeout: Optional[float] = 10) -> Any:
        """Unbind a queue."""
        topology = self._rconn._topology
        known = topology.known(queue)
        if routing_key is None:
            routing_key = queue
        result = self._run(lambda ch: ch.queue_unbind(topology.current(known), exchange,
                                                      routing_key, arguments, timeout),
                           timeout)
        topology.unbind_queue(known, exchange or "", routing_key, arguments)
        return result

    def exchange_declare(self, exchange: str,
                         exchange_type: Union[ExchangeType, str] = ExchangeType.direct,
                         passive: bool = False, durable: bool = False,
                         auto_delete: bool = False, internal: bool = False,
                         arguments: Optional[Dict[str, Any]] = None,
                         timeout: Optional[float] = 10) -> Any:
        """Declare an exchange (re-declared after a recovery unless passive)."""
        if isinstance(exchange_type, ExchangeType):
            exchange_type = exchange_type.value
        result = self._run(lambda ch: ch.exchange_declare(
            exchange, exchange_type, passive, durable, auto_delete, internal, arguments,
            timeout), timeout)
        if not passive:
            self._rconn._topology.add_exchange(exchange, dict(
                exchange_type=exchange_type, durable=durable, auto_delete=auto_delete,
                internal=internal, arguments=arguments))
        return result

    def exchange_delete(self, exchange: Optional[str] = None, if_unused: bool = False,
                        timeout: Optional[float] = 10) -> Any:
        """Delete an exchange (and forget it)."""
        result = self._run(lambda ch: ch.exchange_delete(exchange, if_unused, timeout),
                           timeout)
        self._rconn._topology.delete_exchange(exchange or "")
        return result

    def exchange_bind(self, destination: str, source: str, routing_key: str = "",
                      arguments: Optional[Dict[str, Any]] = None,
                      timeout: Optional[float] = 10) -> Any:
        """Bind two exchanges (re-bound after a recovery)."""
        result = self._run(lambda ch: ch.exchange_bind(destination, source, routing_key,
                                                       arguments, timeout), timeout)
        self._rconn._topology.bind_exchange(destination, source, routing_key, arguments)
        return result

    def exchange_unbind(self, destination: Optional[str] = None,
                        source: Optional[str] = None, routing_key: str = "",
                        arguments: Optional[Dict[str, Any]] = None,
                        timeout: Optional[float] = 10) -> Any:
        """Unbind two exchanges."""
        result = self._run(lambda ch: ch.exchange_unbind(destination, source, routing_key,
                                                         arguments, timeout), timeout)
        self._rconn._topology.unbind_exchange(destination or "", source or "", routing_key,
                                              arguments)
        return result

    def close(self, reply_code: int = 0, reply_text: str = "Normal shutdown",
              timeout: Optional[float] = 10) -> None:
        """Close the channel (it is not recovered any more)."""
        if self.is_closed:
            raise exceptions.ChannelWrongStateError("Channel is already closed")
        self._gone = True
        self._records.clear()
        if self._rconn._ready.is_set() and self._inner.is_open:
            self._inner.close(reply_code, reply_text, timeout)

    def abort(self) -> None:
        """Close if still open, swallowing errors."""
        try:
            if self.is_open:
                self.close()
        except Exception:  # noqa: BLE001 - abort swallows, by contract
            LOGGER.debug("RecoveringChannel.abort(): close failed", exc_info=True)

    def add_on_close_callback(self, callback: Callable[..., None]) -> None:
        """``callback(channel, reason)`` when the channel closes for good."""
        self._close_cbs.append(callback)

    def add_on_return_callback(self, callback: Callable[..., None]) -> None:
        """``callback(channel, method, properties, body)`` for returned messages."""
        self._return_cbs.append(callback)

    def add_on_cancel_callback(self, callback: Callable[..., None]) -> None:
        """``callback(method_frame)`` when the broker cancels a consumer."""
        self._cancel_cbs.append(callback)

    @property
    def channel_number(self) -> int:
        return self._number

    @property
    def is_open(self) -> bool:
        return not self._gone and self._rconn.is_open and self._inner.is_open

    @property
    def is_closed(self) -> bool:
        return self._gone or self._rconn.is_closed

    @property
    def consumer_tags(self) -> List[str]:
        return list(self._records)

    @property
    def next_publish_seq_no(self) -> int:
        """The sequence number the next publish gets in confirm mode (0 before);
        it continues across recoveries."""
        if not self._confirming:
            return 0
        return self._seq_base + self._inner.next_publish_seq_no

    def __int__(self) -> int:
        return self._number

    def __repr__(self) -> str:
        return f"<RecoveringChannel number={self._number} inner={self._inner!r}>"


def _random_hex() -> str:
    import uuid

    return uuid.uuid4().hex
