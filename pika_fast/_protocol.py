"""The sans-I/O protocol core: one AMQP connection and its channels.

It is fed received bytes (:meth:`ConnectionCore.data_received`) and calls from the API
fronts, and it produces bytes to write (:meth:`ConnectionCore.take_output`) and calls on
its handlers. It never touches a socket, a clock or a thread: time comes in as an
argument. The adapters own I/O; the fronts (``BlockingChannel``, ``Channel``) own the
user-facing API.
"""
from __future__ import annotations

import collections
import logging
import platform
from typing import Any, Callable, Deque, Dict, List, Optional, Tuple, Union

from pika_fast import _codec, exceptions, frame, spec

LOGGER = logging.getLogger(__name__)

#: Bodies at least this large go out as memoryviews of the caller's buffer, uncopied.
ZERO_COPY_THRESHOLD = 65536

# Connection states, numbered as pika's Connection.CONNECTION_* constants.
CONNECTION_CLOSED = 0
CONNECTION_INIT = 1
CONNECTION_PROTOCOL = 2
CONNECTION_START = 3
CONNECTION_TUNE = 4
CONNECTION_OPEN = 5
CONNECTION_CLOSING = 6

_CAPABILITIES = {
    "authentication_failure_close": True,
    "basic.nack": True,
    "connection.blocked": True,
    "consumer_cancel_notify": True,
    "publisher_confirms": True,
    "exchange_exchange_bindings": True,
}


def _version() -> str:
    from pika_fast import __version__

    return __version__


def default_client_properties() -> Dict[str, Any]:
    """The client properties pika_fast announces, with pika's capabilities."""
    return {
        "product": "pika_fast Python Client Library",
        "platform": f"Python {platform.python_version()}",
        "capabilities": dict(_CAPABILITIES),
        "information": "See https://pypi.org/project/pika-fast/",
        "version": _version(),
    }


def negotiate(client_value: int, server_value: int) -> int:
    """pika's rule for channel_max and frame_max: 0 means 'no limit' on that side."""
    if client_value == 0 or server_value == 0:
        return max(client_value, server_value)
    return min(client_value, server_value)


class ConnectionHandler:
    """What the core calls on its adapter. Every method has a do-nothing default."""

    def on_connection_open(self) -> None:
        """The broker accepted Connection.Open."""

    def on_connection_closed(self, error: BaseException) -> None:
        """The connection is closed (or failed to open); ``error`` says why."""

    def on_blocked(self, method: Any) -> None:
        """Connection.Blocked arrived."""

    def on_unblocked(self, method: Any) -> None:
        """Connection.Unblocked arrived."""

    def on_output(self) -> None:
        """The core has bytes to write outside a call from the adapter."""

    def on_update_secret_ok(self, method: Any) -> None:
        """Connection.UpdateSecretOk arrived."""


class ConnectionCore:
    """One AMQP 0-9-1 connection: handshake, heartbeats, close, channel routing."""

    def __init__(self, handler: ConnectionHandler, *, credentials: Any,
                 virtual_host: str = "/", channel_max: int = 65535,
                 frame_max: int = spec.FRAME_MAX_SIZE,
                 heartbeat: Union[int, None, Callable[..., int]] = None,
                 client_properties: Optional[Dict[str, Any]] = None,
                 locale: str = "en_US", heartbeat_owner: Any = None) -> None:
        self.handler = handler
        self.credentials = credentials
        self.virtual_host = virtual_host
        self.client_channel_max = channel_max
        self.client_frame_max = frame_max
        self.client_heartbeat = heartbeat
        self.locale = locale
        self._heartbeat_owner = heartbeat_owner
        self.client_properties = default_client_properties()
        if client_properties:
            self.client_properties.update(client_properties)
        self.state = CONNECTION_INIT
        self.server_properties: Optional[Dict[str, Any]] = None
        self.channel_max = channel_max
        self.frame_max = frame_max
        self.heartbeat = 0
        self.reader = _codec.FrameReader(spec.FRAME_MAX_SIZE)
        self._wbuf = bytearray()
        self._wlist: List[Any] = []  # large bodies, queued uncopied after _wbuf's bytes
        self.channels: Dict[int, "ChannelCore"] = {}
        self.last_received = 0.0
        self.last_sent = 0.0
        self.blocked = False
        self.close_error: Optional[BaseException] = None
        self._closing_error: Optional[BaseException] = None

    # -------------------------------------------------------------- output

    def has_output(self) -> bool:
        return bool(self._wbuf) or bool(self._wlist)

    def output_size(self) -> int:
        """Bytes queued for the socket."""
        return len(self._wbuf) + sum(len(b) for b in self._wlist)

    def take_output(self) -> List[Any]:
        """Everything queued for the socket, as buffers for ``sendmsg``, in order."""
        # The buffer itself is handed over (and replaced), not copied.
        if self._wlist:
            if self._wbuf:
                self._wlist.append(self._wbuf)
                self._wbuf = bytearray()
            out, self._wlist = self._wlist, []
            return out
        if not self._wbuf:
            return []
        out = [self._wbuf]
        self._wbuf = bytearray()
        return out

    def _write(self, data: bytes) -> None:
        self._wbuf += data

    def send_method(self, channel_number: int, method: Any) -> None:
        self._wbuf += _codec.marshal_method_frame(channel_number, method)

    def send_content(self, channel_number: int, method: Any, properties: Any,
                     body: Any) -> None:
        if len(body) < ZERO_COPY_THRESHOLD:
            _codec.marshal_content_into(self._wbuf, channel_number, method, properties,
                                        body, self.frame_max)
            return
        if self._wbuf:
            self._wlist.append(self._wbuf)
            self._wbuf = bytearray()
        self._wlist.extend(_codec.content_frame_buffers(channel_number, method, properties,
                                                        body, self.frame_max))

    # ----------------------------------------------------------- lifecycle

    def initiate(self, now: float) -> None:
        """Start the handshake: queue the protocol header."""
        self.state = CONNECTION_PROTOCOL
        self.last_received = self.last_sent = now
        self._write(b"AMQP\x00\x00\x09\x01")

    @property
    def is_open(self) -> bool:
        return self.state == CONNECTION_OPEN

    def close(self, reply_code: int = 200, reply_text: str = "Normal shutdown") -> None:
        """Begin a client-initiated close (channels are closed by the broker with it)."""
        if self.state in (CONNECTION_CLOSED, CONNECTION_CLOSING):
            return
        self._closing_error = exceptions.ConnectionClosedByClient(reply_code, reply_text)
        if self.state != CONNECTION_OPEN:
            self._terminate(exceptions.ConnectionOpenAborted(
                f"Connection closed by client before it opened: ({reply_code}) {reply_text}"))
            return
        self.state = CONNECTION_CLOSING
        self.send_method(0, spec.Connection.Close(reply_code, reply_text, 0, 0))

    def connection_lost(self, error: Optional[BaseException]) -> None:
        """The transport failed or was closed under us."""
        if self.state == CONNECTION_CLOSED:
            return
        if self.state == CONNECTION_CLOSING and self._closing_error is not None:
            self._terminate(self._closing_error)
            return
        if not isinstance(error, exceptions.AMQPError):
            error = exceptions.StreamLostError(f"Stream connection lost: {error!r}")
        self._terminate(self._opening_error(error))

    def _opening_error(self, error: BaseException) -> BaseException:
        """pika's guess at why the broker hung up while the connection was opening."""
        if isinstance(error, (exceptions.StreamLostError, exceptions.ConnectionClosedByBroker)):
            if self.state == CONNECTION_PROTOCOL:
                return exceptions.IncompatibleProtocolError(repr(error))
            if self.state == CONNECTION_START:
                return exceptions.ProbableAuthenticationError(repr(error))
            if self.state == CONNECTION_TUNE:
                return exceptions.ProbableAccessDeniedError(repr(error))
        return error

    def _terminate(self, error: BaseException) -> None:
        self.state = CONNECTION_CLOSED
        self.close_error = error
        for channel in list(self.channels.values()):
            channel.connection_closed(error)
        self.channels.clear()
        self.handler.on_connection_closed(error)

    # ------------------------------------------------------------- heartbeats

    def heartbeat_due(self, now: float) -> Optional[float]:
        """Seconds until the next heartbeat duty, or None without heartbeats.

        Sends a heartbeat when nothing was sent for half the interval and raises
        :class:`AMQPHeartbeatTimeout` when nothing arrived for two intervals.
        """
        interval = self.heartbeat
        if not interval or self.state not in (CONNECTION_OPEN, CONNECTION_CLOSING):
            return None
        silent = now - self.last_received
        if silent > 2 * interval:
            error = exceptions.AMQPHeartbeatTimeout(
                f"No activity or too many missed heartbeats in the last {interval} seconds")
            self._terminate(error)
            raise error
        half = interval / 2.0
        if now - self.last_sent >= half and not self._wbuf:
            self._wbuf += _codec.HEARTBEAT_FRAME
            self.last_sent = now
        return min(half - (now - self.last_sent), 2 * interval - silent)

    # ---------------------------------------------------------------- input

    def data_received(self, data: Any, now: float) -> None:
        """Feed bytes read from the socket; dispatches whatever they complete."""
        self.last_received = now
        reader = self.reader
        reader.feed(data)
        channels = self.channels
        try:
            units = reader.read_messages()
        except exceptions.AMQPError as exc:
            self._stream_corrupt(exc)
            return
        for unit in units:
            channel_number = unit[0]
            if channel_number:
                channel = channels.get(channel_number)
                if channel is not None:
                    channel.unit_received(unit[1], unit[2], unit[3])
                else:
                    LOGGER.warning("Frame for unknown channel %d: %r", channel_number, unit[1])
            elif unit[1] is not None:
                self._connection_method(unit[1])
            if self.state == CONNECTION_CLOSED:
                return
        if reader.buffered and self.state != CONNECTION_CLOSED:
            # read_messages hands back the units before a bad frame first: look again.
            try:
                reader.read_messages()
            except exceptions.AMQPError as exc:
                self._stream_corrupt(exc)

    def _stream_corrupt(self, error: exceptions.AMQPError) -> None:
        """The byte stream cannot be parsed any further: the connection is over."""
        if self.state == CONNECTION_PROTOCOL:
            # Whatever answered our protocol header does not speak AMQP 0-9-1 (a TLS
            # port, an HTTP server, ...).
            self._terminate(exceptions.IncompatibleProtocolError(repr(error)))
            return
        if self.state in (CONNECTION_OPEN, CONNECTION_CLOSING):
            self.send_method(0, spec.Connection.Close(501, f"FRAME_ERROR - {error}"[:255],
                                                      0, 0))
            self.handler.on_output()
        lost = exceptions.StreamLostError(f"Stream connection lost: {error!r}")
        lost.__cause__ = error
        self._terminate(lost)

    def abort(self, error: BaseException) -> None:
        """End the connection with ``error`` exactly as given."""
        if self.state != CONNECTION_CLOSED:
            self._terminate(error)

    def _connection_method(self, method: Any) -> None:
        if isinstance(method, frame.ProtocolHeader):
            # The broker answers an unsupported protocol header with its own, then hangs up.
            self._terminate(exceptions.IncompatibleProtocolError(
                f"Broker speaks AMQP {method.major}-{method.minor}-{method.revision}"))
        elif isinstance(method, spec.Connection.Start):
            self._on_start(method)
        elif isinstance(method, spec.Connection.Tune):
            self._on_tune(method)
        elif isinstance(method, spec.Connection.OpenOk):
            self.known_hosts = method.known_hosts  # pika's Connection.known_hosts
            self.state = CONNECTION_OPEN
            self.handler.on_connection_open()
        elif isinstance(method, spec.Connection.Close):
            self.send_method(0, spec.Connection.CloseOk())
            error = exceptions.ConnectionClosedByBroker(method.reply_code, method.reply_text)
            self.handler.on_output()
            self._terminate(self._opening_error(error) if self.state != CONNECTION_OPEN
                            and self.state != CONNECTION_CLOSING else error)
        elif isinstance(method, spec.Connection.CloseOk):
            self._terminate(self._closing_error or exceptions.ConnectionClosedByClient(
                200, "Normal shutdown"))
        elif isinstance(method, spec.Connection.Blocked):
            self.blocked = True
            self.handler.on_blocked(method)
        elif isinstance(method, spec.Connection.Unblocked):
            self.blocked = False
            self.handler.on_unblocked(method)
        elif isinstance(method, spec.Connection.UpdateSecretOk):
            self.handler.on_update_secret_ok(method)
        elif isinstance(method, spec.Connection.Secure):
            self.close(540, "Connection.Secure is not supported")
        else:
            LOGGER.warning("Unexpected method on channel 0: %r", method)

    def _on_start(self, method: Any) -> None:
        if (method.version_major, method.version_minor) != spec.PROTOCOL_VERSION[:2]:
            self._terminate(exceptions.ProtocolVersionMismatch(
                spec.PROTOCOL_VERSION, (method.version_major, method.version_minor)))
            return
        self.server_properties = method.server_properties
        mechanism, response = self.credentials.response_for(method)
        if mechanism is None:
            self._terminate(exceptions.AuthenticationError(self.credentials.TYPE))
            return
        self.state = CONNECTION_START
        self.send_method(0, spec.Connection.StartOk(self.client_properties, mechanism,
                                                    response, self.locale))
        if getattr(self.credentials, "erase_on_connect", False):
            self.credentials.erase_credentials()

    def _on_tune(self, method: Any) -> None:
        self.channel_max = negotiate(self.client_channel_max, method.channel_max) or 65535
        self.frame_max = negotiate(self.client_frame_max, method.frame_max)
        heartbeat = self.client_heartbeat
        if callable(heartbeat):
            heartbeat = heartbeat(self._heartbeat_owner, method.heartbeat)
            if heartbeat is None:
                raise TypeError("heartbeat callable returned None; expected an int")
        elif heartbeat is None:
            heartbeat = method.heartbeat
        self.heartbeat = int(heartbeat)
        self.reader.frame_max = self.frame_max
        self.state = CONNECTION_TUNE
        self.send_method(0, spec.Connection.TuneOk(self.channel_max, self.frame_max,
                                                   self.heartbeat))
        self.send_method(0, spec.Connection.Open(self.virtual_host, "", False))

    def update_secret(self, new_secret: str, reason: str) -> None:
        self.send_method(0, spec.Connection.UpdateSecret(new_secret, reason))

    # -------------------------------------------------------------- channels

    def next_channel_number(self) -> int:
        limit = self.channel_max or 65535
        if len(self.channels) >= limit:
            raise exceptions.NoFreeChannels()
        for number in range(1, limit + 1):
            if number not in self.channels:
                return number
        raise exceptions.NoFreeChannels()  # pragma: no cover

    def open_channel(self, handler: "ChannelHandler",
                     channel_number: Optional[int] = None) -> "ChannelCore":
        if self.state != CONNECTION_OPEN:
            raise exceptions.ConnectionWrongStateError(
                "Channel allocation requires an open connection: %s" % self.state)
        if channel_number is None:
            channel_number = self.next_channel_number()
        elif channel_number in self.channels:
            raise exceptions.InvalidChannelNumber(channel_number)
        channel = ChannelCore(self, channel_number, handler)
        self.channels[channel_number] = channel
        self.send_method(channel_number, spec.Channel.Open())
        return channel


class ChannelHandler:
    """What a ChannelCore calls on its front. Defaults do nothing."""

    def on_open(self) -> None:
        """Channel.OpenOk arrived."""

    def on_reply(self, method: Any, properties: Any, body: Any) -> None:
        """The reply to the oldest outstanding synchronous request."""

    def on_deliver(self, method: Any, properties: Any, body: Any) -> None:
        """Basic.Deliver with its content."""

    def on_return(self, method: Any, properties: Any, body: Any) -> None:
        """Basic.Return with its content."""

    def on_confirm(self, method: Any) -> None:
        """Basic.Ack or Basic.Nack in confirm mode."""

    def on_cancel(self, method: Any) -> None:
        """The broker cancelled a consumer (Basic.Cancel)."""

    def on_flow(self, active: bool) -> None:
        """Channel.Flow from the broker."""

    def on_closed(self, error: BaseException) -> None:
        """The channel closed; ``error`` is a ChannelClosed or a connection error."""

    def on_bad_message(self, error: exceptions.MessageDecodeError) -> None:
        """A message arrived whose content header could not be decoded."""


# Channel states, as pika's Channel.CLOSED/OPENING/OPEN/CLOSING.
CHANNEL_CLOSED = 0
CHANNEL_OPENING = 1
CHANNEL_OPEN = 2
CHANNEL_CLOSING = 3

_REPLIES: Dict[type, Tuple[type, ...]] = {
    spec.Basic.Qos: (spec.Basic.QosOk,),
    spec.Basic.Consume: (spec.Basic.ConsumeOk,),
    spec.Basic.Cancel: (spec.Basic.CancelOk,),
    spec.Basic.Get: (spec.Basic.GetOk, spec.Basic.GetEmpty),
    spec.Basic.Recover: (spec.Basic.RecoverOk,),
    spec.Confirm.Select: (spec.Confirm.SelectOk,),
    spec.Exchange.Declare: (spec.Exchange.DeclareOk,),
    spec.Exchange.Delete: (spec.Exchange.DeleteOk,),
    spec.Exchange.Bind: (spec.Exchange.BindOk,),
    spec.Exchange.Unbind: (spec.Exchange.UnbindOk,),
    spec.Queue.Declare: (spec.Queue.DeclareOk,),
    spec.Queue.Bind: (spec.Queue.BindOk,),
    spec.Queue.Purge: (spec.Queue.PurgeOk,),
    spec.Queue.Delete: (spec.Queue.DeleteOk,),
    spec.Queue.Unbind: (spec.Queue.UnbindOk,),
    spec.Tx.Select: (spec.Tx.SelectOk,),
    spec.Tx.Commit: (spec.Tx.CommitOk,),
    spec.Tx.Rollback: (spec.Tx.RollbackOk,),
    spec.Channel.Flow: (spec.Channel.FlowOk,),
}

_DELIVER = spec.Basic.Deliver
_ACK = spec.Basic.Ack
_NACK = spec.Basic.Nack


class ChannelCore:
    """The protocol rules of one channel: state, request/reply pairing, confirms."""

    def __init__(self, connection: ConnectionCore, channel_number: int,
                 handler: ChannelHandler) -> None:
        self.connection = connection
        self.channel_number = channel_number
        self.handler = handler
        self.state = CHANNEL_OPENING
        self.expected: Deque[Tuple[type, ...]] = collections.deque()
        self.confirming = False
        self.publish_seq = 0  # delivery tag of the last message published in confirm mode
        self._publish_key: Any = None
        self._publish_method: Any = None
        self.close_error: Optional[BaseException] = None

    @property
    def is_open(self) -> bool:
        return self.state == CHANNEL_OPEN

    def _check_open(self) -> None:
        if self.state != CHANNEL_OPEN:
            if self.state == CHANNEL_CLOSED and self.close_error is not None:
                raise exceptions.ChannelWrongStateError(
                    f"Channel is closed: {self.close_error!r}")
            raise exceptions.ChannelWrongStateError("Channel is closed.")

    def request(self, method: Any) -> None:
        """Send a synchronous method; its reply comes to ``handler.on_reply``."""
        self._check_open()
        # Encode first: a method that fails to encode must leave no reply expected.
        self.connection.send_method(self.channel_number, method)
        if not getattr(method, "nowait", False):
            self.expected.append(_REPLIES[type(method)])

    def send(self, method: Any) -> None:
        """Send an asynchronous method (ack, nack, reject, ...)."""
        self._check_open()
        self.connection.send_method(self.channel_number, method)

    def publish(self, exchange: str, routing_key: str, properties: Any, body: Any,
                mandatory: bool) -> int:
        """Queue one message; return its delivery tag in confirm mode, else 0."""
        if self.state != CHANNEL_OPEN:
            self._check_open()
        key = (exchange, routing_key, mandatory)
        if key != self._publish_key:
            # Publishers mostly repeat one destination: reuse its method object.
            self._publish_method = spec.Basic.Publish(exchange=exchange, routing_key=routing_key,
                                                      mandatory=mandatory)
            self._publish_key = key
        self.connection.send_content(self.channel_number, self._publish_method, properties,
                                     body)
        if self.confirming:
            self.publish_seq += 1
            return self.publish_seq
        return 0

    def close(self, reply_code: int = 0, reply_text: str = "Normal shutdown") -> None:
        if self.state in (CHANNEL_CLOSED, CHANNEL_CLOSING):
            raise exceptions.ChannelWrongStateError("Channel is closed.")
        self.state = CHANNEL_CLOSING
        self.close_error = exceptions.ChannelClosedByClient(reply_code, reply_text)
        self.connection.send_method(self.channel_number,
                                    spec.Channel.Close(reply_code, reply_text, 0, 0))

    def _closed(self, error: BaseException) -> None:
        self.state = CHANNEL_CLOSED
        self.close_error = error
        self.expected.clear()
        try:
            self.handler.on_closed(error)
        finally:
            self.connection.channels.pop(self.channel_number, None)

    def connection_closed(self, error: BaseException) -> None:
        if self.state != CHANNEL_CLOSED:
            self.state = CHANNEL_CLOSED
            self.close_error = error
            self.expected.clear()
            self.handler.on_closed(error)

    def unit_received(self, method: Any, properties: Any, body: Any) -> None:
        cls = type(method)
        if cls is _DELIVER:
            if properties.__class__ is not spec.BasicProperties:
                self.handler.on_bad_message(properties)
                return
            self.handler.on_deliver(method, properties, body)
            return
        if cls is _ACK or cls is _NACK:
            if self.confirming:
                self.handler.on_confirm(method)
                return
        expected = self.expected
        if expected and cls in expected[0]:
            expected.popleft()
            if properties is not None and properties.__class__ is not spec.BasicProperties:
                self.handler.on_bad_message(properties)
                self.handler.on_reply(method, None, body)
                return
            self.handler.on_reply(method, properties, body)
            return
        if cls is spec.Basic.Return:
            self.handler.on_return(method, properties, body)
        elif cls is spec.Channel.OpenOk:
            if self.state == CHANNEL_OPENING:  # a close requested meanwhile wins
                self.state = CHANNEL_OPEN
                self.handler.on_open()
        elif cls is spec.Channel.Close:
            self.connection.send_method(self.channel_number, spec.Channel.CloseOk())
            self.connection.handler.on_output()
            self._closed(exceptions.ChannelClosedByBroker(method.reply_code,
                                                          method.reply_text))
        elif cls is spec.Channel.CloseOk:
            self._closed(self.close_error or exceptions.ChannelClosedByClient(0, ""))
        elif cls is spec.Basic.Cancel:
            if not method.nowait:
                self.connection.send_method(self.channel_number,
                                            spec.Basic.CancelOk(method.consumer_tag))
                self.connection.handler.on_output()
            self.handler.on_cancel(method)
        elif cls is spec.Channel.Flow:
            self.connection.send_method(self.channel_number, spec.Channel.FlowOk(method.active))
            self.connection.handler.on_output()
            self.handler.on_flow(method.active)
        else:
            LOGGER.warning("Unexpected method on channel %d: %r", self.channel_number, method)
