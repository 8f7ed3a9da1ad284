"""Twisted adapter with pika 1.4.4's API (``pika_fast[twisted]``).

``TwistedProtocolConnection`` is a Twisted protocol: connect it with Twisted's own
means (``ClientCreator``, endpoints), wait for its ``ready`` Deferred, then use
``channel()``, whose Deferred fires with a :class:`TwistedChannel`. Every channel method
that waits for the broker returns a Deferred; ``basic_consume`` fires with
``(ClosableDeferredQueue, consumer_tag)`` and the queue yields :data:`ReceivedMessage`
tuples. Underneath, ``TwistedConnectionAdapter`` is the callback Connection with the
Twisted transport as its stream and the reactor as its clock.
"""
from __future__ import annotations

import collections
import logging
import time
from typing import Any, Callable, Dict, List, Optional, Set

from pika_fast import exceptions, spec
from pika_fast.adapters._optional import require
from pika_fast.connection import Connection, Parameters
from pika_fast.exchange_type import ExchangeType as _ExchangeType

defer = require("twisted.internet.defer", "twisted", "TwistedProtocolConnection")
protocol = require("twisted.internet.protocol", "twisted", "TwistedProtocolConnection")
_twisted_error = require("twisted.internet.error", "twisted", "TwistedProtocolConnection")
_failure = require("twisted.python.failure", "twisted", "TwistedProtocolConnection")

__all__ = ["ClosableDeferredQueue", "ReceivedMessage", "TwistedChannel",
           "TwistedConnectionAdapter", "TwistedProtocolConnection"]

LOGGER = logging.getLogger(__name__)

#: What a consumer queue, ``basic_get`` and a return callback hand out.
ReceivedMessage = collections.namedtuple("ReceivedMessage",
                                         ["channel", "method", "properties", "body"])


class ClosableDeferredQueue(defer.DeferredQueue):  # type: ignore[misc,name-defined]
    """A DeferredQueue that can be closed with a reason: pending and later ``get()``
    calls then fail with it, and ``put()`` is refused."""

    def __init__(self, size: Optional[int] = None, backlog: Optional[int] = None) -> None:
        self.closed: Optional[BaseException] = None
        super().__init__(size, backlog)

    def put(self, obj: Any) -> Any:
        """Queue ``obj``; a failed Deferred once the queue is closed."""
        if self.closed:
            LOGGER.error("Cannot put to a closed queue (%r)", self.closed)
            return defer.fail(self.closed)
        return super().put(obj)

    def get(self) -> Any:
        """A Deferred for the next item; fails with the reason once closed."""
        if self.closed:
            return defer.fail(self.closed)
        return super().get()

    def close(self, reason: Optional[BaseException]) -> None:
        """Close with ``reason``: waiting ``get()`` calls fail, queued items go."""
        if self.closed:
            LOGGER.warning("Queue already closed with %r", self.closed)
        self.closed = reason
        while self.waiting:
            self.waiting.pop().errback(reason)
        self.pending: List[Any] = []


class TwistedChannel:
    """A channel whose waiting methods return Deferreds (pika's TwistedChannel).

    When the channel closes, every pending Deferred fails with the reason, every
    consumer queue is closed with it and ``on_closed`` fires with it.
    """

    def __init__(self, channel: Any) -> None:
        self._channel = channel
        self._closed: Optional[BaseException] = None
        self._calls: Set[Any] = set()
        self._consumers: Dict[str, ClosableDeferredQueue] = {}
        self._queue_consumers: Dict[str, Set[str]] = {}
        self._get_deferred: Any = None
        self._confirming = False
        self._published = 0
        self._deliveries: Dict[int, Any] = {}
        self._returned: Optional[ReceivedMessage] = None
        self.on_closed = defer.Deferred()
        channel.add_callback(self._on_getempty, [spec.Basic.GetEmpty], False)
        channel.add_on_close_callback(self._on_channel_closed)
        channel.add_on_cancel_callback(self._on_consumer_cancelled)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} channel={self._channel!r}>"

    # ---------------------------------------------------------- events

    def _on_channel_closed(self, _channel: Any, reason: BaseException) -> None:
        self._closed = reason
        calls, self._calls = self._calls, set()
        deliveries, self._deliveries = self._deliveries, {}
        consumers, self._consumers = self._consumers, {}
        for d in calls:
            d.errback(reason)
        for d in deliveries.values():
            d.errback(reason)
        for consumer in consumers.values():
            consumer.close(reason)
        self.on_closed.callback(reason)

    def _on_consumer_cancelled(self, frame: Any) -> Any:
        """Basic.Cancel from the broker, or our CancelOk: the consumer's queue closes."""
        tag = frame.method.consumer_tag
        consumer = self._consumers.pop(tag, None)
        if consumer is None:
            LOGGER.warning("basic_cancel - consumer not found: %s", tag)
            return frame
        consumer.close(exceptions.ConsumerCancelled())
        for tags in self._queue_consumers.values():
            tags.discard(tag)
        return frame

    def _on_getempty(self, _frame: Any) -> None:
        if self._get_deferred is None:
            LOGGER.warning("Basic.GetEmpty with no Basic.Get pending")
            return
        self._get_deferred.callback(None)

    def _on_confirm(self, frame: Any) -> None:
        method = frame.method
        tag = method.delivery_tag
        if tag not in self._deliveries:
            LOGGER.error("Confirm for unknown delivery tag %s", tag)
            return
        tags = sorted(t for t in self._deliveries if t <= tag) if method.multiple else [tag]
        nack = isinstance(method, spec.Basic.Nack)
        for each in tags:
            d = self._deliveries.pop(each)
            returned, self._returned = self._returned, None
            messages = [returned] if returned is not None else []
            if nack:
                d.errback(exceptions.NackError(messages))
            elif messages:
                d.errback(exceptions.UnroutableError(messages))
            else:
                d.callback(method)

    def _on_returned_while_confirming(self, _channel: Any, method: Any, properties: Any,
                                      body: Any) -> None:
        # In confirm mode a Basic.Return comes just before its message's Basic.Ack.
        self._returned = ReceivedMessage(self, method, properties, body)

    # ---------------------------------------------------------- helpers

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """``self._channel.<name>(..., callback=...)`` as a Deferred."""
        if self._closed:
            return defer.fail(self._closed)
        d = defer.Deferred()
        self._calls.add(d)

        def done(*result: Any) -> None:
            self._calls.discard(d)
            d.callback(result if len(result) > 1 else result[0])
        try:
            getattr(self._channel, name)(*args, callback=done, **kwargs)
        except Exception:  # noqa: BLE001 - reported through the Deferred, as pika
            self._calls.discard(d)
            return defer.fail()
        return d

    # ---------------------------------------------------------- properties

    @property
    def channel_number(self) -> int:
        return self._channel.channel_number

    @property
    def connection(self) -> Any:
        return self._channel.connection

    @property
    def is_closed(self) -> bool:
        return self._channel.is_closed

    @property
    def is_closing(self) -> bool:
        return self._channel.is_closing

    @property
    def is_open(self) -> bool:
        return self._channel.is_open

    @property
    def flow_active(self) -> bool:
        return getattr(self._channel, "flow_active", True)

    @property
    def consumer_tags(self) -> List[str]:
        return self._channel.consumer_tags

    # ---------------------------------------------------------- API

    def callback_deferred(self, deferred: Any, replies: List[Any]) -> None:
        """Fire ``deferred`` with the frame when one of ``replies`` arrives."""
        self._channel.add_callback(deferred.callback, replies)

    def add_on_return_callback(self, callback: Callable[[ReceivedMessage], None]) -> None:
        """``callback(ReceivedMessage)`` for each Basic.Return."""
        self._channel.add_on_return_callback(
            lambda _ch, method, properties, body: callback(
                ReceivedMessage(self, method, properties, body)))

    def basic_ack(self, delivery_tag: int = 0, multiple: bool = False) -> None:
        return self._channel.basic_ack(delivery_tag=delivery_tag, multiple=multiple)

    def basic_nack(self, delivery_tag: int = 0, multiple: bool = False,
                   requeue: bool = True) -> None:
        return self._channel.basic_nack(delivery_tag=delivery_tag, multiple=multiple,
                                        requeue=requeue)

    def basic_reject(self, delivery_tag: int, requeue: bool = True) -> None:
        return self._channel.basic_reject(delivery_tag=delivery_tag, requeue=requeue)

    def basic_cancel(self, consumer_tag: str = "") -> Any:
        """Cancel a consumer; its queue closes with ConsumerCancelled."""
        return self._call("basic_cancel", consumer_tag=consumer_tag).addCallback(
            self._on_consumer_cancelled)

    def basic_consume(self, queue: str, auto_ack: bool = False, exclusive: bool = False,
                      consumer_tag: Optional[str] = None,
                      arguments: Optional[Dict[str, Any]] = None) -> Any:
        """A Deferred firing with ``(ClosableDeferredQueue, consumer_tag)``."""
        if self._closed:
            return defer.fail(self._closed)
        messages = ClosableDeferredQueue()
        d = defer.Deferred()
        self._calls.add(d)

        def on_consume_ok(frame: Any) -> None:
            tag = frame.method.consumer_tag
            self._queue_consumers.setdefault(queue, set()).add(tag)
            self._consumers[tag] = messages
            self._calls.discard(d)
            d.callback((messages, tag))

        def on_message(_channel: Any, method: Any, properties: Any, body: Any) -> None:
            messages.put(ReceivedMessage(self, method, properties, body))
        try:
            self._channel.basic_consume(queue=queue, on_message_callback=on_message,
                                        auto_ack=auto_ack, exclusive=exclusive,
                                        consumer_tag=consumer_tag, arguments=arguments,
                                        callback=on_consume_ok)
        except Exception:  # noqa: BLE001
            self._calls.discard(d)
            return defer.fail()
        return d

    def basic_get(self, queue: str, auto_ack: bool = False) -> Any:
        """A Deferred firing with a ReceivedMessage, or None for an empty queue."""
        if self._get_deferred is not None:
            raise exceptions.DuplicateGetOkCallback()
        if self._closed:
            return defer.fail(self._closed)
        d = defer.Deferred()
        self._calls.add(d)

        def on_get_ok(_channel: Any, method: Any, properties: Any, body: Any) -> None:
            d.callback(ReceivedMessage(self, method, properties, body))

        def settle(result: Any) -> Any:
            self._calls.discard(d)
            self._get_deferred = None
            return result
        d.addBoth(settle)
        try:
            self._channel.basic_get(queue, on_get_ok, auto_ack=auto_ack)
        except Exception:  # noqa: BLE001
            self._calls.discard(d)
            return defer.fail()
        self._get_deferred = d
        return d

    def basic_publish(self, exchange: str, routing_key: str, body: Any,
                      properties: Optional[spec.BasicProperties] = None,
                      mandatory: bool = False) -> Any:
        """Publish; in confirm mode the Deferred fires on Basic.Ack and fails with
        NackError or UnroutableError."""
        if self._closed:
            return defer.fail(self._closed)
        result = self._channel.basic_publish(exchange=exchange, routing_key=routing_key,
                                             body=body, properties=properties,
                                             mandatory=mandatory)
        if not self._confirming:
            return defer.succeed(result)
        self._published += 1
        d = self._deliveries[self._published] = defer.Deferred()
        return d

    def basic_qos(self, prefetch_size: int = 0, prefetch_count: int = 0,
                  global_qos: bool = False) -> Any:
        return self._call("basic_qos", prefetch_size=prefetch_size,
                          prefetch_count=prefetch_count, global_qos=global_qos)

    def basic_recover(self, requeue: bool = False) -> Any:
        return self._call("basic_recover", requeue=requeue)

    def close(self, reply_code: int = 0, reply_text: str = "Normal shutdown") -> None:
        """Close the channel; ``on_closed`` fires when it is."""
        return self._channel.close(reply_code=reply_code, reply_text=reply_text)

    def confirm_delivery(self) -> Any:
        """Enter confirm mode: later ``basic_publish`` Deferreds wait for the confirm."""
        if self._confirming:
            LOGGER.error("confirm_delivery: confirmation was already enabled.")
            return defer.succeed(None)

        def entered(result: Any) -> Any:
            self._confirming = True
            self._published = 0
            return result
        d = self._call("confirm_delivery", ack_nack_callback=self._on_confirm)
        d.addCallback(entered)
        self._channel.add_on_return_callback(self._on_returned_while_confirming)
        return d

    def exchange_bind(self, destination: str, source: str, routing_key: str = "",
                      arguments: Optional[Dict[str, Any]] = None) -> Any:
        return self._call("exchange_bind", destination=destination, source=source,
                          routing_key=routing_key, arguments=arguments)

    def exchange_declare(self, exchange: str, exchange_type: Any = _ExchangeType.direct,
                         passive: bool = False, durable: bool = False,
                         auto_delete: bool = False, internal: bool = False,
                         arguments: Optional[Dict[str, Any]] = None) -> Any:
        return self._call("exchange_declare", exchange=exchange,
                          exchange_type=exchange_type, passive=passive, durable=durable,
                          auto_delete=auto_delete, internal=internal, arguments=arguments)

    def exchange_delete(self, exchange: Optional[str] = None, if_unused: bool = False) -> Any:
        return self._call("exchange_delete", exchange=exchange, if_unused=if_unused)

    def exchange_unbind(self, destination: str, source: str, routing_key: str = "",
                        arguments: Optional[Dict[str, Any]] = None) -> Any:
        return self._call("exchange_unbind", destination=destination, source=source,
                          routing_key=routing_key, arguments=arguments)

    def flow(self, active: bool = True) -> Any:
        return self._call("flow", active=active)

    def open(self) -> None:
        """Open the channel (the connection does this)."""
        return self._channel.open()

    def queue_bind(self, queue: str, exchange: str, routing_key: Optional[str] = None,
                   arguments: Optional[Dict[str, Any]] = None) -> Any:
        return self._call("queue_bind", queue=queue, exchange=exchange,
                          routing_key=routing_key, arguments=arguments)

    def queue_declare(self, queue: str, passive: bool = False, durable: bool = False,
                      exclusive: bool = False, auto_delete: bool = False,
                      arguments: Optional[Dict[str, Any]] = None) -> Any:
        return self._call("queue_declare", queue=queue, passive=passive, durable=durable,
                          exclusive=exclusive, auto_delete=auto_delete, arguments=arguments)

    def queue_delete(self, queue: str, if_unused: bool = False,
                     if_empty: bool = False) -> Any:
        """Delete a queue; its consumers' queues close with ConsumerCancelled."""
        def forget_consumers(result: Any) -> Any:
            for tag in list(self._queue_consumers.get(queue, set())):
                consumer = self._consumers.pop(tag, None)
                if consumer is not None:
                    consumer.close(exceptions.ConsumerCancelled(
                        f"Queue {queue} was deleted."))
                self._queue_consumers[queue].discard(tag)
            return result
        return self._call("queue_delete", queue=queue, if_unused=if_unused,
                          if_empty=if_empty).addCallback(forget_consumers)

    def queue_purge(self, queue: str) -> Any:
        return self._call("queue_purge", queue=queue)

    def queue_unbind(self, queue: str, exchange: str,
                     routing_key: Optional[str] = None,
                     arguments: Optional[Dict[str, Any]] = None) -> Any:
        return self._call("queue_unbind", queue=queue, exchange=exchange,
                          routing_key=routing_key, arguments=arguments)

    def tx_commit(self) -> Any:
        return self._call("tx_commit")

    def tx_rollback(self) -> Any:
        return self._call("tx_rollback")

    def tx_select(self) -> Any:
        return self._call("tx_select")


_BOTH: Dict[tuple, type] = {}


def _as_twisted(error: BaseException, twisted_class: type) -> BaseException:
    """``error`` re-made as an instance of both its class and ``twisted_class``.

    pika's Twisted adapter reports how the transport ended (twisted's ConnectionDone
    on a clean close, ConnectionLost when it broke) as the close reason; ours is both
    that and the reason pika_fast's other adapters give, so ``isinstance`` checks
    written for either keep working and the reply code and text are not lost.
    """
    key = (type(error), twisted_class)
    cls = _BOTH.get(key)
    if cls is None:
        cls = _BOTH[key] = type(twisted_class.__name__, (type(error), twisted_class),
                                {"__module__": __name__})
    both: BaseException = cls.__new__(cls)  # type: ignore[call-overload]
    both.__dict__.update(getattr(error, "__dict__", {}))
    both.args = error.args
    return both


class _TimerHandle:
    """A reactor DelayedCall that may be cancelled more than once."""

    __slots__ = ("_call",)

    def __init__(self, call: Any) -> None:
        self._call = call

    def cancel(self) -> None:
        call, self._call = self._call, None
        if call is not None:
            try:
                call.cancel()
            except (_twisted_error.AlreadyCalled, _twisted_error.AlreadyCancelled):
                pass


class TwistedConnectionAdapter(Connection):
    """The callback Connection over a Twisted transport (the stream is Twisted's)."""

    def __init__(self, parameters: Optional[Parameters],
                 on_open_callback: Optional[Callable[..., None]],
                 on_open_error_callback: Optional[Callable[..., None]],
                 on_close_callback: Optional[Callable[..., None]],
                 custom_reactor: Any = None) -> None:
        super().__init__(parameters, on_open_callback, on_open_error_callback,
                         on_close_callback, internal_connection_workflow=False)
        if custom_reactor is None:
            from twisted.internet import reactor as custom_reactor
        self._reactor = custom_reactor
        self._transport: Any = None
        self._write_scheduled = False

    # -- Connection hooks

    def _flush_soon(self) -> None:
        # One write per reactor turn, however many frames were produced in it.
        if self._transport is not None and not self._write_scheduled \
                and self._core.has_output():
            self._write_scheduled = True
            self._reactor.callLater(0, self._write)

    def _write(self) -> None:
        self._write_scheduled = False
        if self._transport is not None and self._core.has_output():
            # Twisted accepts bytes only (the core's buffers may be bytearray/views).
            self._transport.writeSequence(
                [b if type(b) is bytes else bytes(b) for b in self._core.take_output()])
            self._core.last_sent = time.monotonic()

    def _adapter_call_later(self, delay: float, callback: Callable[[], None]) -> Any:
        return _TimerHandle(self._reactor.callLater(delay, callback))

    def _adapter_remove_timeout(self, timeout_id: Any) -> None:
        timeout_id.cancel()

    def _adapter_add_callback_threadsafe(self, callback: Callable[[], None]) -> None:
        self._reactor.callFromThread(callback)

    def _adapter_disconnect_stream(self) -> None:
        transport = self._transport
        if transport is not None:
            self._write()  # a final Close/CloseOk leaves before the stream goes
            transport.loseConnection()

    # -- the protocol's side

    def connection_made(self, transport: Any) -> None:
        """The transport is connected: start the AMQP handshake."""
        self._transport = transport
        self._on_stream_connected()

    def connection_lost(self, error: Any) -> None:
        """The transport is gone (``error``: a Failure)."""
        self._transport = None
        reason = getattr(error, "value", error)
        if isinstance(reason, _twisted_error.ConnectionDone):
            # The peer ended the stream (FIN): pika's Twisted adapter reports
            # ConnectionDone, the other adapters StreamLostError; ours is both.
            self._on_stream_terminated(_as_twisted(
                exceptions.StreamLostError("Transport indicated EOF"),
                _twisted_error.ConnectionDone))
            return
        lost = exceptions.StreamLostError(f"Stream connection lost: {reason!r}")
        self._on_stream_terminated(_as_twisted(lost, type(reason)) if isinstance(
            reason, _twisted_error.ConnectionClosed) else lost)

    def on_connection_closed(self, error: BaseException) -> None:
        if self._opened and isinstance(error, exceptions.ConnectionClosed):
            # A clean close: pika's Twisted adapter reports ConnectionDone.
            error = _as_twisted(error, _twisted_error.ConnectionDone)
        super().on_connection_closed(error)

    def data_received(self, data: bytes) -> None:
        """Bytes from the broker."""
        self._on_data_available(data)


#: pika's private name for it.
_TwistedConnectionAdapter = TwistedConnectionAdapter


class TwistedProtocolConnection(protocol.Protocol):  # type: ignore[misc,name-defined]
    """A Twisted protocol speaking AMQP; ``ready`` fires once the handshake is done
    and ``closed`` (then set) fires with the close reason. Host, port and TLS are
    Twisted's to handle, not the parameters'."""

    def __init__(self, parameters: Optional[Parameters] = None,
                 custom_reactor: Any = None) -> None:
        self.ready: Any = defer.Deferred()
        self.ready.addCallback(lambda _: self.connectionReady())
        self.closed: Any = None
        self._impl = TwistedConnectionAdapter(
            parameters, self._on_connection_ready, self._on_connection_failed,
            self._on_connection_closed, custom_reactor)
        self._calls: Set[Any] = set()

    def channel(self, channel_number: Optional[int] = None) -> Any:
        """A Deferred firing with a :class:`TwistedChannel`."""
        d = defer.Deferred()
        self._calls.add(d)

        def opened(channel: Any) -> Any:
            self._calls.discard(d)
            return channel
        self._impl.channel(channel_number, d.callback)
        return d.addCallback(opened).addCallback(TwistedChannel)

    @property
    def is_open(self) -> bool:
        return self._impl.is_open

    @property
    def is_closed(self) -> bool:
        return self._impl.is_closed

    def close(self, reply_code: int = 200, reply_text: str = "Normal shutdown") -> Any:
        """Close the connection; returns the ``closed`` Deferred."""
        if not self._impl.is_closed:
            self._impl.close(reply_code, reply_text)
        return self.closed

    # -- twisted.internet.protocol.Protocol

    def dataReceived(self, data: bytes) -> None:
        self._impl.data_received(data)

    def connectionLost(self, reason: Any = protocol.connectionDone) -> None:
        self._impl.connection_lost(reason)
        d, self.ready = self.ready, None
        if d:
            d.errback(reason)

    def makeConnection(self, transport: Any) -> None:
        self._impl.connection_made(transport)
        protocol.Protocol.makeConnection(self, transport)

    def connectionReady(self) -> Any:
        """What ``ready`` fires with (override to run more set-up first)."""
        return self

    # -- the callback connection's events

    def _on_connection_ready(self, _connection: Any) -> None:
        d, self.ready = self.ready, None
        if d:
            self.closed = defer.Deferred()
            d.callback(None)

    def _on_connection_failed(self, _connection: Any, error: Any = None) -> None:
        d, self.ready = self.ready, None
        if d:
            # pika's error (the attempt count), with the real reason kept as its cause
            # where pika drops it (a deliberate difference)
            failure = exceptions.AMQPConnectionError(self._impl.params.connection_attempts)
            if isinstance(error, BaseException):
                failure.__cause__ = error
            d.errback(failure)

    def _on_connection_closed(self, _connection: Any, reason: BaseException) -> None:
        calls, self._calls = self._calls, set()
        for d in calls:
            d.errback(reason)
        d, self.closed = self.closed, None
        if d:
            if isinstance(reason, _failure.Failure):
                reason = reason.value
            d.callback(reason)


# Names pika's module of the same path also exports; code written against pika imports
# them from here.
from pika_fast.adapters.utils.io_services_utils import check_callback_arg  # noqa: E402,F401
from pika_fast.exchange_type import ExchangeType  # noqa: E402,F401

Failure = _failure.Failure


def __getattr__(name: str) -> Any:
    # Twisted's global reactor, resolved on first use only: importing it installs the
    # default reactor, which would stop an application installing another one after
    # importing this module.
    if name == "reactor":
        from twisted.internet import reactor
        return reactor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
