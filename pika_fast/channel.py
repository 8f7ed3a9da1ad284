"""The callback-style Channel, with pika 1.4's ``pika.channel.Channel`` API.

A thin front over :class:`pika_fast._protocol.ChannelCore`: the core keeps the protocol
rules and the channel's state (states, reply pairing, consumers, confirm mode, the
undecodable-message policy); this class maps them to pika's callbacks and argument
conventions, and reads the state from the core rather than keeping a copy.
"""
from __future__ import annotations

import functools
import logging
from typing import (TYPE_CHECKING, Any, Callable, Dict, List, Optional, Sequence, Tuple,
                    TypeVar, Union, overload)

from pika_fast import _legacy, _protocol, exceptions, frame, spec, validators
from pika_fast.exchange_type import ExchangeType
from pika_fast.frame import ContentFrameAssembler  # noqa: F401  (pika.channel's name)

if TYPE_CHECKING:
    from pika_fast.connection import Connection

LOGGER = logging.getLogger(__name__)

MAX_CHANNELS = 65535

# The shapes users' callbacks receive, for type checkers (as precise as pika 1.4.4's
# hints). Callbacks may return anything: their result is ignored.
_ReplyT = TypeVar("_ReplyT")
_OnReply = Callable[[frame.Method[_ReplyT]], Any]
_OnMessageCallback = Callable[
    ["Channel", spec.Basic.Deliver, spec.BasicProperties, bytes], Any]
_OnReturnCallback = Callable[["Channel", spec.Basic.Return, spec.BasicProperties, bytes], Any]
_OnGetCallback = Callable[["Channel", spec.Basic.GetOk, spec.BasicProperties, bytes], Any]


class Channel(_protocol.ChannelHandler):
    """An AMQP channel driven by callbacks, as ``pika.channel.Channel``."""

    CLOSED = _protocol.CHANNEL_CLOSED
    OPENING = _protocol.CHANNEL_OPENING
    OPEN = _protocol.CHANNEL_OPEN
    CLOSING = _protocol.CHANNEL_CLOSING

    def __init__(self, connection: Connection, channel_number: int,
                 on_open_callback: Optional[Callable[[Channel], Any]]) -> None:
        if not isinstance(channel_number, int):
            raise exceptions.InvalidChannelNumber(channel_number)
        validators.rpc_completion_callback(on_open_callback)
        self.connection = connection
        self.channel_number = channel_number
        self.flow_active = True  # as pika: updated by our own Channel.Flow requests' replies
        self._on_open_callback = on_open_callback
        self._core: Optional[_protocol.ChannelCore] = None
        self._on_close_callbacks: List[Callable[..., None]] = []
        self._on_cancel_callbacks: List[Callable[..., None]] = []
        self._on_return_callbacks: List[Callable[..., None]] = []
        self._on_flow_callbacks: List[Callable[..., None]] = []
        self._ack_nack_callback: Optional[Callable[..., None]] = None
        self._on_getok_callback: Optional[Callable[..., None]] = None
        self._extra_callbacks: Dict[type, List[Tuple[Callable[..., None], bool]]] = {}

    def __int__(self) -> int:
        return self.channel_number

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__} number={self.channel_number} " \
               f"{self._state_name()} conn={self.connection!r}>"

    def _state_name(self) -> str:
        return _protocol.CHANNEL_STATE_NAMES[self._state]

    # ----------------------------------------------------------- state

    @property
    def _state(self) -> int:
        """The core's state (CLOSED until :meth:`open` made the core)."""
        core = self._core
        return core.state if core is not None else _protocol.CHANNEL_CLOSED

    @property
    def is_closed(self) -> bool:
        return self._state == self.CLOSED

    @property
    def is_closing(self) -> bool:
        return self._state == self.CLOSING

    @property
    def is_open(self) -> bool:
        return self._state == self.OPEN

    @property
    def is_opening(self) -> bool:
        return self._state == self.OPENING

    @property
    def consumer_tags(self) -> List[str]:
        """Tags of the active consumers."""
        core = self._core
        return core.consumer_tags if core is not None else []

    def open(self) -> None:
        """Open the channel (the connection calls this)."""
        self._core = self.connection._core.open_channel(self, self.channel_number)
        self.connection._flush_soon()

    def _open_core(self) -> _protocol.ChannelCore:
        """The core, once the channel is open; pika's ChannelWrongStateError before."""
        core = self._core
        if core is None or core.state != _protocol.CHANNEL_OPEN:
            raise exceptions.ChannelWrongStateError("Channel is closed.")
        return core

    def _raise_if_not_open(self) -> None:
        self._open_core()

    def _send(self, method: Any) -> None:
        self._open_core().send(method)
        self.connection._flush_soon()

    def _rpc(self, method: Any, callback: Optional[Callable[..., None]]) -> None:
        # The core returns the ticket only once the request is encoded and queued: a
        # method that fails to encode leaves no callback waiting.
        ticket = self._open_core().request(method)
        if ticket is not None:
            ticket.callback = callback
        self.connection._flush_soon()

    # ------------------------------------------------------- callbacks

    def add_callback(self, callback: Callable[[frame.Method[Any]], Any],
                     replies: Sequence[Any], one_shot: bool = True) -> None:
        """Call ``callback(method_frame)`` when one of ``replies`` arrives."""
        validators.require_callback(callback)
        for reply in replies:
            kind = reply if isinstance(reply, type) else type(reply)
            self._extra_callbacks.setdefault(kind, []).append((callback, one_shot))

    def _remove_extra_callback(self, kind: type, callback: Callable[..., None]) -> None:
        """Forget one ``add_callback`` registration (a one-shot that did not fire)."""
        extras = self._extra_callbacks.get(kind)
        if extras:
            extras[:] = [entry for entry in extras if entry[0] is not callback]
            if not extras:
                del self._extra_callbacks[kind]

    def add_on_cancel_callback(self, callback: _OnReply[spec.Basic.Cancel]) -> None:
        """``callback(method_frame)`` when the broker cancels a consumer."""
        self._on_cancel_callbacks.append(callback)

    def add_on_close_callback(self, callback: Callable[[Channel, Exception], Any]) -> None:
        """``callback(channel, exception)`` when the channel closes."""
        self._on_close_callbacks.append(callback)

    def add_on_flow_callback(self, callback: Callable[[bool], Any]) -> None:
        """``callback(active)`` on Channel.Flow from the broker."""
        self._on_flow_callbacks.append(callback)

    def add_on_return_callback(self, callback: _OnReturnCallback) -> None:
        """``callback(channel, method, properties, body)`` for returned messages."""
        self._on_return_callbacks.append(callback)

    # ---------------------------------------------------- core handler

    def on_open(self) -> None:
        if self._on_open_callback is not None:
            self._on_open_callback(self)

    def on_reply(self, ticket: _protocol.RpcTicket, method: Any, properties: Any,
                 body: Any) -> None:
        callback = ticket.callback
        if isinstance(method, spec.Basic.GetOk):
            getok, self._on_getok_callback = self._on_getok_callback, None
            if getok is not None:
                getok(self, method, properties, body)
            return
        if isinstance(method, spec.Basic.GetEmpty):
            self._on_getok_callback = None
        method_frame = frame.Method(self.channel_number, method)
        self._run_extra_callbacks(method_frame)
        if callback is not None:
            callback(method_frame)

    def _run_extra_callbacks(self, method_frame: frame.Method[Any]) -> None:
        kind = type(method_frame.method)
        extras = self._extra_callbacks.get(kind)
        if not extras:
            return
        kept: List[Tuple[Callable[..., None], bool]] = [
            (cb, one_shot) for cb, one_shot in extras if not one_shot]
        if kept:
            self._extra_callbacks[kind] = kept
        else:
            del self._extra_callbacks[kind]
        for callback, _one_shot in extras:
            callback(method_frame)

    def on_return(self, method: Any, properties: Any, body: Any) -> None:
        if not self._on_return_callbacks:
            LOGGER.warning("Basic.Return received with no return callback: %r", method)
        for callback in self._on_return_callbacks:
            callback(self, method, properties, body)

    def on_confirm(self, method: Any) -> None:
        if self._ack_nack_callback is not None:
            self._ack_nack_callback(frame.Method(self.channel_number, method))

    def on_cancel(self, method: Any) -> None:
        method_frame = frame.Method(self.channel_number, method)
        self._run_extra_callbacks(method_frame)
        for callback in self._on_cancel_callbacks:
            callback(method_frame)

    def on_flow(self, active: bool) -> None:
        for callback in self._on_flow_callbacks:
            callback(active)

    def on_closed(self, error: BaseException) -> None:
        # The core forgets its consumers and frees the channel number after this.
        for callback in self._on_close_callbacks:
            callback(self, error)

    def on_bad_message(self, error: exceptions.MessageDecodeError) -> None:
        # The core has applied the policy (reject without requeue unless auto_ack).
        LOGGER.error("Channel %d: %s", self.channel_number, error)

    # ---------------------------------------------------------- basic

    def basic_ack(self, delivery_tag: int = 0, multiple: bool = False) -> None:
        """Acknowledge one message, or all up to ``delivery_tag`` if ``multiple``."""
        self._send(spec.Basic.Ack(delivery_tag, multiple))

    def basic_nack(self, delivery_tag: int = 0, multiple: bool = False,
                   requeue: bool = True) -> None:
        """Reject one or several messages."""
        self._send(spec.Basic.Nack(delivery_tag, multiple, requeue))

    def basic_reject(self, delivery_tag: int = 0, requeue: bool = True) -> None:
        """Reject one message."""
        if not isinstance(delivery_tag, int):
            raise TypeError("delivery_tag must be an integer")
        self._send(spec.Basic.Reject(delivery_tag, requeue))

    def basic_cancel(self, consumer_tag: str = "",
                     callback: Optional[_OnReply[spec.Basic.CancelOk]] = None) -> None:
        """Cancel a consumer; ``callback(method_frame)`` on CancelOk (None: nowait)."""
        validators.require_string(consumer_tag, "consumer_tag")
        core = self._open_core()
        nowait = validators.rpc_completion_callback(callback)
        ticket = core.cancel(consumer_tag, nowait)
        if ticket is not None:
            ticket.callback = callback
        self.connection._flush_soon()

    # The two orders, for type checkers and IDEs; the runtime binding is in _legacy.
    @overload
    def basic_consume(self, queue: str, on_message_callback: _OnMessageCallback,
                      auto_ack: bool = False, exclusive: bool = False,
                      consumer_tag: Optional[str] = None,
                      arguments: Optional[Dict[str, Any]] = None,
                      callback: Optional[_OnReply[spec.Basic.ConsumeOk]] = None) -> str: ...

    @overload
    def basic_consume(self, consumer_callback: _OnMessageCallback, queue: str = "",
                      no_ack: bool = False, exclusive: bool = False,
                      consumer_tag: Optional[str] = None,
                      arguments: Optional[Dict[str, Any]] = None, *,
                      callback: Optional[_OnReply[spec.Basic.ConsumeOk]] = None) -> str: ...

    def basic_consume(self, *args: Any, **kwargs: Any) -> str:
        """Start a consumer: ``basic_consume(queue, on_message_callback, auto_ack=False,
        exclusive=False, consumer_tag=None, arguments=None, callback=None)``.

        ``on_message_callback(channel, method, properties, body)``; ``callback(frame)`` on
        ConsumeOk. pika 0.x's ``basic_consume(consumer_callback, queue='', no_ack=False,
        ...)`` is accepted with a DeprecationWarning.
        """
        bound = _legacy.consume_arguments(args, kwargs, with_callback=True)
        return self._basic_consume(bound["queue"], bound["on_message_callback"],
                                   bound.get("auto_ack", False), bound.get("exclusive", False),
                                   bound.get("consumer_tag"), bound.get("arguments"),
                                   bound.get("callback"))

    basic_consume.__signature__ = _legacy.consume_signature(  # type: ignore[attr-defined]
        "Channel", with_callback=True)


    def _basic_consume(self, queue: str, on_message_callback: Callable[..., None],
                       auto_ack: bool, exclusive: bool, consumer_tag: Optional[str],
                       arguments: Optional[Dict[str, Any]],
                       callback: Optional[Callable[..., None]]) -> str:
        validators.require_string(queue, "queue")
        validators.require_callback(on_message_callback)
        core = self._open_core()
        validators.rpc_completion_callback(callback)
        # The core calls on_message(method, properties, body) straight from dispatch.
        tag, ticket = core.consume(queue, functools.partial(on_message_callback, self),
                                   auto_ack, exclusive, consumer_tag, arguments)
        ticket.callback = callback
        self.connection._flush_soon()
        return tag

    def basic_get(self, queue: str, callback: _OnGetCallback,
                  auto_ack: bool = False, **legacy: Any) -> None:
        """Fetch one message: ``callback(channel, method, properties, body)`` on GetOk.

        pika 0.x's ``no_ack=`` and its ``basic_get(callback, queue)`` order are accepted
        with a DeprecationWarning.
        """
        if callable(queue) and isinstance(callback, str):
            _legacy.warn("basic_get(callback, queue)", "basic_get(queue, callback)")
            queue, callback = callback, queue
        if legacy:
            auto_ack = _legacy.get_auto_ack(auto_ack, legacy)
        validators.require_string(queue, "queue")
        validators.require_callback(callback)
        if self._on_getok_callback is not None:
            raise exceptions.DuplicateGetOkCallback()
        self._rpc(spec.Basic.Get(queue=queue, no_ack=auto_ack), None)
        self._on_getok_callback = callback

    def basic_publish(self, exchange: str, routing_key: str, body: Union[bytes, str],
                      properties: Optional[spec.BasicProperties] = None,
                      mandatory: bool = False, immediate: Optional[bool] = None) -> None:
        """Publish a message (str bodies are UTF-8 encoded).

        ``immediate`` is pika 0.x's: False is accepted, True refused before sending.
        """
        if immediate is not None:
            _legacy.check_immediate(immediate)
        core = self._core
        if core is None or core.state != _protocol.CHANNEL_OPEN:
            raise exceptions.ChannelWrongStateError("Channel is closed.")
        core.publish(exchange, routing_key,
                     properties if properties is not None else _EMPTY_PROPERTIES,
                     body, mandatory)
        self.connection._flush_soon()

    def basic_qos(self, prefetch_size: int = 0, prefetch_count: int = 0,
                  global_qos: bool = False,
                  callback: Optional[_OnReply[spec.Basic.QosOk]] = None,
                  all_channels: Optional[bool] = None) -> None:
        """Set the prefetch window; ``callback(method_frame)`` on QosOk.

        ``all_channels`` is pika 0.x's name for ``global_qos``.
        """
        global_qos = _legacy.qos_global(global_qos, all_channels)
        validators.rpc_completion_callback(callback)
        validators.zero_or_greater("prefetch_size", prefetch_size)
        validators.zero_or_greater("prefetch_count", prefetch_count)
        self._rpc(spec.Basic.Qos(prefetch_size, prefetch_count, global_qos), callback)

    def basic_recover(self, requeue: bool = False,
                      callback: Optional[_OnReply[spec.Basic.RecoverOk]] = None) -> None:
        """Redeliver unacknowledged messages; ``callback(method_frame)`` on RecoverOk."""
        validators.rpc_completion_callback(callback)
        self._rpc(spec.Basic.Recover(requeue), callback)

    def confirm_delivery(
            self, ack_nack_callback: _OnReply[Union[spec.Basic.Ack, spec.Basic.Nack]],
            callback: Optional[_OnReply[spec.Confirm.SelectOk]] = None) -> None:
        """Enter confirm mode; ``ack_nack_callback(method_frame)`` per Ack/Nack."""
        validators.require_callback(ack_nack_callback, "ack_nack_callback")
        nowait = validators.rpc_completion_callback(callback)
        ticket = self._open_core().confirm_select(nowait)
        if ticket is not None:
            ticket.callback = callback
        self._ack_nack_callback = ack_nack_callback
        self.connection._flush_soon()

    def close(self, reply_code: int = 0, reply_text: str = "Normal shutdown") -> None:
        """Close the channel; the close callbacks run on CloseOk."""
        core = self._core
        if core is None:
            raise exceptions.ChannelWrongStateError("Channel is closed.")
        core.close(reply_code, reply_text)
        self.connection._flush_soon()

    def flow(self, active: bool, callback: Optional[Callable[[bool], Any]] = None) -> None:
        """Ask the broker to start/stop flow; ``callback(active)`` with its answer."""
        validators.rpc_completion_callback(callback)

        def on_flow_ok(method_frame: frame.Method[Any]) -> None:
            self.flow_active = method_frame.method.active
            if callback is not None:
                callback(method_frame.method.active)

        self._rpc(spec.Channel.Flow(active), on_flow_ok)

    # -------------------------------------------------------- topology

    def exchange_declare(self, exchange: str,
                         exchange_type: Union[ExchangeType, str] = ExchangeType.direct,
                         passive: bool = False, durable: bool = False,
                         auto_delete: bool = False, internal: bool = False,
                         arguments: Optional[Dict[str, Any]] = None,
                         callback: Optional[_OnReply[spec.Exchange.DeclareOk]] = None,
                         **legacy: Any) -> None:
        """Declare an exchange; ``callback(method_frame)`` on DeclareOk (None: nowait).

        ``type=`` is accepted as pika 0.x's name for ``exchange_type``.
        """
        if legacy:
            exchange_type = _legacy.exchange_type(exchange_type, legacy)
        validators.require_string(exchange, "exchange")
        nowait = validators.rpc_completion_callback(callback)
        if isinstance(exchange_type, ExchangeType):
            exchange_type = exchange_type.value
        self._rpc(spec.Exchange.Declare(0, exchange, exchange_type, passive, durable,
                                        auto_delete, internal, nowait, arguments or {}),
                  callback)

    def exchange_delete(self, exchange: Optional[str] = None, if_unused: bool = False,
                        callback: Optional[_OnReply[spec.Exchange.DeleteOk]] = None) -> None:
        """Delete an exchange."""
        nowait = validators.rpc_completion_callback(callback)
        self._rpc(spec.Exchange.Delete(0, exchange or "", if_unused, nowait), callback)

    def exchange_bind(self, destination: str, source: str, routing_key: str = "",
                      arguments: Optional[Dict[str, Any]] = None,
                      callback: Optional[_OnReply[spec.Exchange.BindOk]] = None) -> None:
        """Bind exchange ``destination`` to ``source``."""
        validators.require_string(destination, "destination")
        validators.require_string(source, "source")
        nowait = validators.rpc_completion_callback(callback)
        self._rpc(spec.Exchange.Bind(0, destination, source, routing_key, nowait,
                                     arguments or {}), callback)

    def exchange_unbind(self, destination: Optional[str] = None,
                        source: Optional[str] = None, routing_key: str = "",
                        arguments: Optional[Dict[str, Any]] = None,
                        callback: Optional[_OnReply[spec.Exchange.UnbindOk]] = None) -> None:
        """Remove an exchange-to-exchange binding."""
        nowait = validators.rpc_completion_callback(callback)
        self._rpc(spec.Exchange.Unbind(0, destination or "", source or "", routing_key,
                                       nowait, arguments or {}), callback)

    def queue_declare(self, queue: str, passive: bool = False, durable: bool = False,
                      exclusive: bool = False, auto_delete: bool = False,
                      arguments: Optional[Dict[str, Any]] = None,
                      callback: Optional[_OnReply[spec.Queue.DeclareOk]] = None) -> None:
        """Declare a queue; ``callback(method_frame)`` on DeclareOk (None: nowait)."""
        validators.require_string(queue, "queue")
        nowait = validators.rpc_completion_callback(callback)
        self._rpc(spec.Queue.Declare(0, queue, passive, durable, exclusive, auto_delete,
                                     nowait, arguments or {}), callback)

    def queue_bind(self, queue: str, exchange: str, routing_key: Optional[str] = None,
                   arguments: Optional[Dict[str, Any]] = None,
                   callback: Optional[_OnReply[spec.Queue.BindOk]] = None) -> None:
        """Bind a queue to an exchange (routing key defaults to the queue name)."""
        validators.require_string(queue, "queue")
        validators.require_string(exchange, "exchange")
        nowait = validators.rpc_completion_callback(callback)
        if routing_key is None:
            routing_key = queue
        self._rpc(spec.Queue.Bind(0, queue, exchange, routing_key, nowait, arguments or {}),
                  callback)

    def queue_unbind(self, queue: str, exchange: Optional[str] = None,
                     routing_key: Optional[str] = None,
                     arguments: Optional[Dict[str, Any]] = None,
                     callback: Optional[_OnReply[spec.Queue.UnbindOk]] = None) -> None:
        """Remove a queue binding."""
        validators.rpc_completion_callback(callback)
        if routing_key is None:
            routing_key = queue
        self._rpc(spec.Queue.Unbind(0, queue, exchange or "", routing_key, arguments or {}),
                  callback)

    def queue_purge(self, queue: str,
                    callback: Optional[_OnReply[spec.Queue.PurgeOk]] = None) -> None:
        """Purge a queue."""
        validators.require_string(queue, "queue")
        nowait = validators.rpc_completion_callback(callback)
        self._rpc(spec.Queue.Purge(0, queue, nowait), callback)

    def queue_delete(self, queue: str, if_unused: bool = False, if_empty: bool = False,
                     callback: Optional[_OnReply[spec.Queue.DeleteOk]] = None) -> None:
        """Delete a queue."""
        validators.require_string(queue, "queue")
        nowait = validators.rpc_completion_callback(callback)
        self._rpc(spec.Queue.Delete(0, queue, if_unused, if_empty, nowait), callback)

    def tx_select(self, callback: Optional[_OnReply[spec.Tx.SelectOk]] = None) -> None:
        """Use transactions on this channel."""
        validators.rpc_completion_callback(callback)
        self._rpc(spec.Tx.Select(), callback)

    def tx_commit(self, callback: Optional[_OnReply[spec.Tx.CommitOk]] = None) -> None:
        """Commit the current transaction."""
        validators.rpc_completion_callback(callback)
        self._rpc(spec.Tx.Commit(), callback)

    def tx_rollback(self, callback: Optional[_OnReply[spec.Tx.RollbackOk]] = None) -> None:

        """Roll back the current transaction."""
        validators.rpc_completion_callback(callback)
        self._rpc(spec.Tx.Rollback(), callback)


_EMPTY_PROPERTIES = spec.BasicProperties()


# Names pika's module of the same path also exports; code written against pika imports
# them from here.
from pika_fast.compat import as_bytes  # noqa: E402,F401
