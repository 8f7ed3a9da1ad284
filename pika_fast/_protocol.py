"""The sans-I/O protocol core: one AMQP connection and its channels.

It is fed received bytes (:meth:`ConnectionCore.data_received`) and calls from the API
fronts, and it produces bytes to write (:meth:`ConnectionCore.take_output`) and calls on
its handlers. It never touches a socket, a clock or a thread: time comes in as an
argument. The adapters own I/O; the fronts (``Connection``, ``Channel``) own the
user-facing API and read the state kept here, never keep their own copy of it.

Where each rule lives:

* handshake, negotiation, the error a broker's hang-up while opening maps to,
  heartbeats, the blocked-connection deadline, the close cascade (channels first,
  then the connection): :class:`ConnectionCore`;
* channel states, request/reply pairing (:class:`RpcTicket`), the consumer registry
  and tags, deliveries in flight after a cancel, confirm mode and ack matching
  (:class:`ConfirmTracker`), the undecodable-message policy: :class:`ChannelCore`.
"""
from __future__ import annotations

import collections
import logging
import platform
import uuid
from typing import Any, Callable, Deque, Dict, List, Optional, Tuple, Union

from pika_fast import _codec, exceptions, frame, spec
from pika_fast._version import __version__

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

CONNECTION_STATE_NAMES = {
    CONNECTION_CLOSED: "CLOSED", CONNECTION_INIT: "INIT", CONNECTION_PROTOCOL: "PROTOCOL",
    CONNECTION_START: "START", CONNECTION_TUNE: "TUNE", CONNECTION_OPEN: "OPEN",
    CONNECTION_CLOSING: "CLOSING",
}

_CAPABILITIES = {
    "authentication_failure_close": True,
    "basic.nack": True,
    "connection.blocked": True,
    "consumer_cancel_notify": True,
    "publisher_confirms": True,
    "exchange_exchange_bindings": True,
}


def default_client_properties() -> Dict[str, Any]:
    """The client properties pika_fast announces, with pika's capabilities."""
    return {
        "product": "pika_fast Python Client Library",
        "platform": f"Python {platform.python_version()}",
        "capabilities": dict(_CAPABILITIES),
        "information": "See https://pypi.org/project/pika-fast/",
        "version": __version__,
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
        """Connection.Blocked arrived (the core has set :attr:`ConnectionCore.blocked_deadline`
        if a timeout applies: ask :meth:`ConnectionCore.next_deadline` again)."""

    def on_unblocked(self, method: Any) -> None:
        """Connection.Unblocked arrived."""

    def on_output(self) -> None:
        """The core has bytes to write outside a call from the adapter."""

    def on_update_secret_ok(self, method: Any) -> None:
        """Connection.UpdateSecretOk arrived."""


class ConnectionCore:
    """One AMQP 0-9-1 connection: handshake, heartbeats, the blocked deadline, the close
    cascade, channel routing.

    Time-driven duties (heartbeats, the peer's silence, the blocked-connection timeout)
    are done by :meth:`run_deadlines`; :meth:`next_deadline` says when to call it.
    """

    def __init__(self, handler: ConnectionHandler, *, credentials: Any,
                 virtual_host: str = "/", channel_max: int = 65535,
                 frame_max: int = spec.FRAME_MAX_SIZE,
                 heartbeat: Union[int, None, Callable[..., int]] = None,
                 client_properties: Optional[Dict[str, Any]] = None,
                 locale: str = "en_US", heartbeat_owner: Any = None,
                 blocked_connection_timeout: Optional[float] = None) -> None:
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
        self._wlist_bytes = 0  # bytes held in _wlist
        self.channels: Dict[int, "ChannelCore"] = {}
        # Every channel number opened on this connection: a frame for one of them may
        # trail its close, a frame for any other is a protocol violation.
        self._used_channel_numbers: set = set()
        self.last_received = 0.0
        self.last_sent = 0.0
        self.blocked = False
        self.blocked_connection_timeout = blocked_connection_timeout
        #: When a blocked connection is given up (None: not blocked or no timeout).
        self.blocked_deadline: Optional[float] = None
        #: Whether Connection.OpenOk ever arrived (pika's ``Connection._opened``).
        self.opened = False
        self.known_hosts: Optional[str] = None  # from Connection.OpenOk
        self.close_error: Optional[BaseException] = None
        self._closing_error: Optional[BaseException] = None
        self._close_sent = False

    # -------------------------------------------------------------- output

    def has_output(self) -> bool:
        return bool(self._wbuf) or bool(self._wlist)

    def output_size(self) -> int:
        """Bytes queued for the socket (O(1): adapters ask after every publish)."""
        return len(self._wbuf) + self._wlist_bytes

    def take_output(self) -> List[Any]:
        """Everything queued for the socket, as buffers for ``sendmsg``, in order."""
        # The buffer itself is handed over (and replaced), not copied.
        if self._wlist:
            if self._wbuf:
                self._wlist.append(self._wbuf)
                self._wbuf = bytearray()
            out, self._wlist = self._wlist, []
            self._wlist_bytes = 0
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
            self._wlist_bytes += len(self._wbuf)
            self._wlist.append(self._wbuf)
            self._wbuf = bytearray()
        buffers = _codec.content_frame_buffers(channel_number, method, properties, body,
                                               self.frame_max)
        self._wlist_bytes += sum(len(b) for b in buffers)  # once per large body
        self._wlist.extend(buffers)

    # ----------------------------------------------------------- lifecycle

    def initiate(self, now: float) -> None:
        """Start the handshake: queue the protocol header."""
        self.state = CONNECTION_PROTOCOL
        self.last_received = self.last_sent = now
        self._write(b"AMQP\x00\x00\x09\x01")

    @property
    def is_open(self) -> bool:
        return self.state == CONNECTION_OPEN

    @property
    def is_closing(self) -> bool:
        return self.state == CONNECTION_CLOSING

    @property
    def state_name(self) -> str:
        return CONNECTION_STATE_NAMES[self.state]

    def close(self, reply_code: int = 200, reply_text: str = "Normal shutdown") -> None:
        """Begin a client-initiated close, as pika's ``Connection.close``.

        Open: the connection is CLOSING at once, its open and opening channels are
        closed, and Connection.Close goes out when the last of them is gone. Still
        opening: it ends with ConnectionOpenAborted without a word to the broker.
        """
        if self.state in (CONNECTION_CLOSED, CONNECTION_CLOSING):
            return
        if self.state != CONNECTION_OPEN:
            previous = self.state_name
            self.state = CONNECTION_CLOSING
            self._terminate(exceptions.ConnectionOpenAborted(
                "Connection.close() called before connection finished opening: "
                f"prev_state={previous} ({reply_code}): {reply_text!r}"))
            return
        self._closing_error = exceptions.ConnectionClosedByClient(reply_code, reply_text)
        self.state = CONNECTION_CLOSING
        for channel in list(self.channels.values()):
            if channel.state in (CHANNEL_OPEN, CHANNEL_OPENING):
                channel.close(reply_code, reply_text)
        self._close_if_channels_gone()

    def _close_if_channels_gone(self) -> None:
        if self.state == CONNECTION_CLOSING and not self.channels and not self._close_sent:
            self._close_sent = True
            error = self._closing_error
            assert isinstance(error, exceptions.ConnectionClosedByClient)
            self.send_method(0, spec.Connection.Close(error.reply_code, error.reply_text, 0, 0))
            self.handler.on_output()

    def _channel_gone(self, channel: "ChannelCore") -> None:
        """A channel finished closing: forget it; the close cascade may go on."""
        if self.channels.get(channel.channel_number) is channel:
            del self.channels[channel.channel_number]
        self._close_if_channels_gone()

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
        self.blocked_deadline = None
        try:
            for channel in list(self.channels.values()):
                channel.connection_closed(error)
        finally:
            self.channels.clear()
            self.handler.on_connection_closed(error)

    # ------------------------------------------------------- time-driven duties

    def _heartbeating(self) -> bool:
        return bool(self.heartbeat) and self.state in (CONNECTION_OPEN, CONNECTION_CLOSING)

    def next_deadline(self) -> Optional[float]:
        """The (monotonic) time :meth:`run_deadlines` must next be called at, or None
        when nothing is scheduled."""
        if self.state == CONNECTION_CLOSED:
            return None
        deadline = self.blocked_deadline
        if self._heartbeating():
            interval = self.heartbeat
            soonest = min(self.last_sent + interval / 2.0, self.last_received + 2 * interval)
            if deadline is None or soonest < deadline:
                deadline = soonest
        return deadline

    def run_deadlines(self, now: float) -> Optional[float]:
        """Do the duties due at ``now``; return :meth:`next_deadline` afterwards.

        * blocked longer than ``blocked_connection_timeout``: the connection ends with
          ConnectionBlockedTimeout (as pika, without a Connection.Close);
        * nothing received for two heartbeat intervals: it ends with
          AMQPHeartbeatTimeout;
        * nothing sent for half an interval: a heartbeat frame is queued (the caller
          writes the output).
        """
        if self.state == CONNECTION_CLOSED:
            return None
        if self.blocked_deadline is not None and now >= self.blocked_deadline:
            self._terminate(exceptions.ConnectionBlockedTimeout(
                "Blocked connection timeout expired."))
            return None
        if self._heartbeating():
            interval = self.heartbeat
            if now - self.last_received >= 2 * interval:
                self._terminate(exceptions.AMQPHeartbeatTimeout(
                    f"No activity or too many missed heartbeats in the last {interval} "
                    "seconds"))
                return None
            if now - self.last_sent >= interval / 2.0:
                if not self.has_output():
                    self._wbuf += _codec.HEARTBEAT_FRAME
                # Output waiting to be written counts: it is activity once it leaves.
                self.last_sent = now
        return self.next_deadline()

    def heartbeat_frame_due(self, now: float) -> bool:
        """Whether a heartbeat frame should be written now (nothing sent for half an
        interval). For a heartbeat thread: it reads two numbers and changes nothing;
        after writing ``HEARTBEAT_FRAME`` itself it calls :meth:`mark_sent`."""
        interval = self.heartbeat
        return (bool(interval) and self.state in (CONNECTION_OPEN, CONNECTION_CLOSING)
                and now - self.last_sent >= interval / 2.0)

    def mark_sent(self, now: float) -> None:
        """Bytes were written to the peer at ``now`` (heartbeats need not go out)."""
        self.last_sent = now

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
                elif channel_number not in self._used_channel_numbers:
                    self._stream_corrupt(exceptions.UnexpectedFrameError(
                        f"{getattr(unit[1], 'NAME', 'frame')} for channel {channel_number}, "
                        "which was never opened"), 504, "CHANNEL_ERROR")
                    return
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

    def _stream_corrupt(self, error: exceptions.AMQPError, reply_code: int = 501,
                        reply_name: str = "FRAME_ERROR") -> None:
        """The byte stream cannot be parsed any further (or broke the protocol): the
        connection is over."""
        if self.state == CONNECTION_PROTOCOL:
            # Whatever answered our protocol header does not speak AMQP 0-9-1 (a TLS
            # port, an HTTP server, ...).
            self._terminate(exceptions.IncompatibleProtocolError(repr(error)))
            return
        if self.state in (CONNECTION_OPEN, CONNECTION_CLOSING):
            self.send_method(0, spec.Connection.Close(
                reply_code, f"{reply_name} - {error}"[:255], 0, 0))
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
            if self.state != CONNECTION_TUNE:
                LOGGER.warning("Connection.OpenOk in state %s", self.state_name)
                return
            self.known_hosts = method.known_hosts  # pika's Connection.known_hosts
            self.state = CONNECTION_OPEN
            self.opened = True
            self.handler.on_connection_open()
        elif isinstance(method, spec.Connection.Close):
            self.send_method(0, spec.Connection.CloseOk())
            error = exceptions.ConnectionClosedByBroker(method.reply_code, method.reply_text)
            self.handler.on_output()
            self._terminate(self._opening_error(error) if self.state != CONNECTION_OPEN
                            and self.state != CONNECTION_CLOSING else error)
        elif isinstance(method, spec.Connection.CloseOk):
            if self.state != CONNECTION_CLOSING:
                LOGGER.warning("Connection.CloseOk in state %s", self.state_name)
                return
            self._terminate(self._closing_error or exceptions.ConnectionClosedByClient(
                200, "Normal shutdown"))
        elif isinstance(method, spec.Connection.Blocked):
            self.blocked = True
            timeout = self.blocked_connection_timeout
            if timeout is not None and self.blocked_deadline is None:
                # The clock runs from the first Blocked until Unblocked, as pika's timer.
                self.blocked_deadline = self.last_received + timeout
            self.handler.on_blocked(method)
        elif isinstance(method, spec.Connection.Unblocked):
            self.blocked = False
            self.blocked_deadline = None
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
        if 0 < method.frame_max < spec.FRAME_MIN_SIZE:
            # pika 1.4.4 fails here too (its frame_max check), as access denied while
            # tuning; the reason is stated plainly.
            self._terminate(exceptions.ProbableAccessDeniedError(
                f"Connection.Tune from the server has frame_max={method.frame_max}, below "
                f"the AMQP 0-9-1 minimum of {spec.FRAME_MIN_SIZE}"))
            return
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
        self._used_channel_numbers.add(channel_number)
        self.send_method(channel_number, spec.Channel.Open())
        return channel


class ChannelHandler:
    """What a ChannelCore calls on its front. Defaults do nothing."""

    def on_open(self) -> None:
        """Channel.OpenOk arrived."""

    def on_reply(self, ticket: "RpcTicket", method: Any, properties: Any, body: Any) -> None:
        """The reply that completes ``ticket``, the oldest outstanding request."""

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
        """A message arrived whose content header could not be decoded (the core has
        already applied the policy: see :meth:`ChannelCore._undecodable_delivery`)."""


# Channel states, as pika's Channel.CLOSED/OPENING/OPEN/CLOSING.
CHANNEL_CLOSED = 0
CHANNEL_OPENING = 1
CHANNEL_OPEN = 2
CHANNEL_CLOSING = 3

CHANNEL_STATE_NAMES = {CHANNEL_CLOSED: "CLOSED", CHANNEL_OPENING: "OPENING",
                       CHANNEL_OPEN: "OPEN", CHANNEL_CLOSING: "CLOSING"}

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
_PROPERTIES = spec.BasicProperties


class RpcTicket:
    """One outstanding synchronous request.

    :meth:`ChannelCore.request` returns it only once the request is encoded and queued,
    so a request that fails to encode leaves nothing behind; the front then attaches
    what it needs (``callback``) and gets the ticket back in ``on_reply``.
    """

    __slots__ = ("method", "replies", "callback")

    def __init__(self, method: Any, replies: Tuple[type, ...]) -> None:
        self.method = method
        self.replies = replies
        self.callback: Optional[Callable[..., None]] = None

    def __repr__(self) -> str:
        names = [getattr(reply, "NAME", reply.__name__) for reply in self.replies]
        return f"<RpcTicket {self.method.NAME} -> {names}>"


class Consumer:
    """A consumer the channel registered: its tag, where its deliveries go, its ack mode.

    ``on_message(method, properties, body)`` is called for each delivery (the front
    binds its own arguments, e.g. with :func:`functools.partial`).
    """

    __slots__ = ("tag", "on_message", "auto_ack", "cancelled")

    def __init__(self, tag: str, on_message: Callable[[Any, Any, Any], None],
                 auto_ack: bool) -> None:
        self.tag = tag
        self.on_message = on_message
        self.auto_ack = auto_ack
        self.cancelled = False  # a Basic.Cancel was sent: deliveries are in flight

    def __repr__(self) -> str:
        return f"<Consumer {self.tag!r} auto_ack={self.auto_ack} cancelled={self.cancelled}>"


class ConfirmTracker:
    """Publisher-confirm bookkeeping by delivery-tag ranges, never one entry per message.

    Every tag up to ``floor`` is settled; ``islands`` holds the few settled ranges above
    it (the broker may confirm out of order across queues). ``published`` is the tag of
    the last message sent since Confirm.Select.
    """

    __slots__ = ("published", "floor", "islands")

    def __init__(self) -> None:
        self.published = 0
        self.floor = 0
        self.islands: List[List[int]] = []

    def settle(self, delivery_tag: int, multiple: bool) -> Tuple[int, int]:
        """Mark an Ack/Nack settled; return the (first, last) range it newly covers,
        ``(0, -1)`` when it covers nothing new."""
        if delivery_tag == 0 and multiple:
            delivery_tag = self.published  # 0 with multiple: everything so far
        if delivery_tag <= self.floor:
            return 0, -1
        if delivery_tag > self.published:
            LOGGER.warning("Confirm for delivery tag %d, but only %d published",
                           delivery_tag, self.published)
        if multiple:
            first = self.floor + 1
            self.floor = delivery_tag
            islands = self.islands
            while islands and islands[0][0] <= delivery_tag + 1:
                self.floor = max(self.floor, islands.pop(0)[1])
            return first, delivery_tag
        if delivery_tag == self.floor + 1:
            self.floor = delivery_tag
            islands = self.islands
            if islands and islands[0][0] == delivery_tag + 1:
                self.floor = islands.pop(0)[1]
            return delivery_tag, delivery_tag
        self._add_island(delivery_tag)
        return delivery_tag, delivery_tag

    def _add_island(self, tag: int) -> None:
        islands = self.islands
        for index, island in enumerate(islands):
            if island[0] <= tag <= island[1]:
                return
            if tag == island[1] + 1:
                island[1] = tag
                if index + 1 < len(islands) and islands[index + 1][0] == tag + 1:
                    island[1] = islands.pop(index + 1)[1]
                return
            if tag == island[0] - 1:
                island[0] = tag
                return
            if tag < island[0]:
                islands.insert(index, [tag, tag])
                return
        islands.append([tag, tag])

    def is_settled(self, delivery_tag: int) -> bool:
        """Whether the broker has acked or nacked ``delivery_tag``."""
        if delivery_tag <= self.floor:
            return True
        return any(lo <= delivery_tag <= hi for lo, hi in self.islands)

    @property
    def unsettled(self) -> int:
        """How many published messages still wait for the broker's verdict."""
        return self.published - self.floor - sum(hi - lo + 1 for lo, hi in self.islands)


class ChannelCore:
    """The protocol rules of one channel: state, request/reply pairing, consumers,
    confirm mode and the undecodable-message policy."""

    def __init__(self, connection: "ConnectionCore", channel_number: int,
                 handler: ChannelHandler) -> None:
        self.connection = connection
        self.channel_number = channel_number
        self.handler = handler
        self.state = CHANNEL_OPENING
        self.expected: Deque[RpcTicket] = collections.deque()
        #: Registered consumers by tag (pika's ``Channel._consumers``): consumer_tags.
        self.consumers: Dict[str, Consumer] = {}
        #: Consumers whose cancel was sent and not yet answered (pika's ``_cancelled``);
        #: a nowait cancel stays here until the channel closes.
        self.cancelled: Dict[str, Consumer] = {}
        #: Confirm.Select was sent: publishes are numbered from then on.
        self.confirm_requested = False
        #: The broker answered Confirm.SelectOk (or it was sent nowait): confirm mode.
        self.confirming = False
        self.confirms = ConfirmTracker()
        self._publish_key: Any = None
        self._publish_method: Any = None
        self.close_error: Optional[BaseException] = None

    @property
    def is_open(self) -> bool:
        return self.state == CHANNEL_OPEN

    @property
    def publish_seq(self) -> int:
        """Delivery tag of the last message published since Confirm.Select."""
        return self.confirms.published

    @property
    def consumer_tags(self) -> List[str]:
        """Tags of the registered consumers, as pika's ``Channel.consumer_tags``."""
        return list(self.consumers)

    def _check_open(self) -> None:
        if self.state != CHANNEL_OPEN:
            if self.state == CHANNEL_CLOSED and self.close_error is not None:
                raise exceptions.ChannelWrongStateError(
                    f"Channel is closed: {self.close_error!r}")
            raise exceptions.ChannelWrongStateError("Channel is closed.")

    # ------------------------------------------------------------ requests

    def request(self, method: Any) -> Optional[RpcTicket]:
        """Send a synchronous method; return the ticket its reply will complete, or
        None when it was sent ``nowait`` (no reply comes)."""
        self._check_open()
        # Encode first: a method that fails to encode must leave no reply expected.
        self.connection.send_method(self.channel_number, method)
        if getattr(method, "nowait", False):
            return None
        ticket = RpcTicket(method, _REPLIES[type(method)])
        self.expected.append(ticket)
        return ticket

    def send(self, method: Any) -> None:
        """Send an asynchronous method (ack, nack, reject, ...)."""
        if self.state != CHANNEL_OPEN:
            self._check_open()
        self.connection.send_method(self.channel_number, method)

    def publish(self, exchange: str, routing_key: str, properties: Any, body: Any,
                mandatory: bool) -> int:
        """Queue one message; return its delivery tag once Confirm.Select was sent,
        else 0."""
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
        if self.confirm_requested:
            confirms = self.confirms
            confirms.published += 1
            return confirms.published
        return 0

    # ----------------------------------------------------------- consumers

    def new_consumer_tag(self) -> str:
        """A fresh consumer tag in pika's format, ``ctag<channel>.<hex>``."""
        return f"ctag{self.channel_number}.{uuid.uuid4().hex}"

    def consume(self, queue: str, on_message: Callable[[Any, Any, Any], None],
                auto_ack: bool = False, exclusive: bool = False,
                consumer_tag: Optional[str] = None,
                arguments: Optional[Dict[str, Any]] = None) -> Tuple[str, RpcTicket]:
        """Register a consumer and send Basic.Consume; return its tag and the ticket
        ConsumeOk completes. Nothing is registered if the request cannot be encoded."""
        self._check_open()
        if not consumer_tag:
            consumer_tag = self.new_consumer_tag()
        if consumer_tag in self.consumers or consumer_tag in self.cancelled:
            raise exceptions.DuplicateConsumerTag(consumer_tag)
        ticket = self.request(spec.Basic.Consume(
            queue=queue, consumer_tag=consumer_tag, no_ack=auto_ack, exclusive=exclusive,
            arguments=arguments or {}))
        assert ticket is not None
        self.consumers[consumer_tag] = Consumer(consumer_tag, on_message, auto_ack)
        return consumer_tag, ticket

    def cancel(self, consumer_tag: str, nowait: bool = False) -> Optional[RpcTicket]:
        """Send Basic.Cancel for a registered consumer, as pika's ``basic_cancel``.

        Returns the ticket CancelOk completes; None when nothing was sent (the tag is
        unknown or already being cancelled) or when ``nowait``. From now on the
        consumer's in-flight deliveries are turned back (see :meth:`_stray_delivery`).
        """
        self._check_open()
        if consumer_tag in self.cancelled:
            return None
        consumer = self.consumers.get(consumer_tag)
        if consumer is None:
            LOGGER.warning("basic_cancel - consumer not found: %s", consumer_tag)
            return None
        ticket = self.request(spec.Basic.Cancel(consumer_tag=consumer_tag, nowait=nowait))
        consumer.cancelled = True
        self.cancelled[consumer_tag] = consumer
        if nowait:
            # No CancelOk will come: it stops being listed now, as in pika.
            del self.consumers[consumer_tag]
        return ticket

    def _forget_consumer(self, consumer_tag: str) -> None:
        self.consumers.pop(consumer_tag, None)
        self.cancelled.pop(consumer_tag, None)

    def _stray_delivery(self, method: Any) -> None:
        """A delivery for a consumer that is cancelled or unknown."""
        consumer = self.cancelled.get(method.consumer_tag)
        if consumer is None:
            LOGGER.error("Unexpected delivery for consumer %r: %r", method.consumer_tag,
                         method)
            return
        # In flight when the consumer was cancelled: back to the queue, as pika does;
        # a no-ack delivery is already gone from the broker and cannot be rejected.
        if self.state == CHANNEL_OPEN and not consumer.auto_ack:
            self._send_now(spec.Basic.Reject(method.delivery_tag, True))

    def _undecodable_delivery(self, method: Any, error: exceptions.MessageDecodeError) -> None:
        """The one undecodable-message rule: a Basic.Deliver whose header cannot be
        decoded is rejected without requeue (the broker may dead-letter it; requeueing
        would loop) unless its consumer is auto_ack; the front is told either way."""
        tag = method.consumer_tag
        consumer = self.consumers.get(tag) or self.cancelled.get(tag)
        if consumer is not None and not consumer.auto_ack and self.state == CHANNEL_OPEN:
            self._send_now(spec.Basic.Reject(method.delivery_tag, False))
        self.handler.on_bad_message(error)

    # ------------------------------------------------------------- confirms

    def confirm_select(self, nowait: bool = False) -> Optional[RpcTicket]:
        """Send Confirm.Select if the broker supports confirms (else pika's
        MethodNotImplemented); confirm mode starts on SelectOk (at once if nowait).

        Publishes are numbered from this request on, as the broker numbers them."""
        self._check_open()
        capabilities = (self.connection.server_properties or {}).get("capabilities") or {}
        if not (capabilities.get("publisher_confirms") and capabilities.get("basic.nack")):
            raise exceptions.MethodNotImplemented("Confirm.Select not Supported by Server")
        ticket = self.request(spec.Confirm.Select(nowait))
        self.confirm_requested = True
        if nowait:
            self.confirming = True
        return ticket

    def _on_confirm(self, method: Any) -> None:
        self.confirms.settle(method.delivery_tag, method.multiple)
        self.handler.on_confirm(method)

    # -------------------------------------------------------------- closing

    def close(self, reply_code: int = 0, reply_text: str = "Normal shutdown") -> None:
        """Cancel the consumers (nowait, as pika), then send Channel.Close."""
        if self.state == CHANNEL_CLOSED:
            raise exceptions.ChannelWrongStateError("Channel is closed.")
        if self.state == CHANNEL_CLOSING:
            raise exceptions.ChannelWrongStateError("Channel is closing.")
        if self.state == CHANNEL_OPEN:
            for tag in list(self.consumers):
                if tag not in self.cancelled:
                    self.cancel(tag, nowait=True)
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
            # After the close callbacks, as pika: they still see the consumers, and the
            # channel number stays taken while they run.
            self.consumers.clear()
            self.cancelled.clear()
            self.connection._channel_gone(self)

    def connection_closed(self, error: BaseException) -> None:
        if self.state != CHANNEL_CLOSED:
            self.state = CHANNEL_CLOSED
            self.close_error = error
            self.expected.clear()
            try:
                self.handler.on_closed(error)
            finally:
                self.consumers.clear()
                self.cancelled.clear()

    def _send_now(self, method: Any) -> None:
        """Send a method the core decided on while handling input."""
        self.connection.send_method(self.channel_number, method)
        self.connection.handler.on_output()

    # ---------------------------------------------------------------- input

    def unit_received(self, method: Any, properties: Any, body: Any) -> None:
        cls = type(method)
        if cls is _DELIVER:
            if properties.__class__ is not _PROPERTIES:
                self._undecodable_delivery(method, properties)
                return
            consumer = self.consumers.get(method.consumer_tag)
            if consumer is not None and not consumer.cancelled:
                consumer.on_message(method, properties, body)
                return
            self._stray_delivery(method)
            return
        if (cls is _ACK or cls is _NACK) and self.confirming:
            self._on_confirm(method)
            return
        expected = self.expected
        if expected and cls in expected[0].replies:
            self._reply(expected.popleft(), method, properties, body)
            return
        if cls is spec.Basic.Return:
            self.handler.on_return(method, properties, body)
        elif cls is spec.Channel.OpenOk:
            if self.state == CHANNEL_OPENING:  # a close requested meanwhile wins
                self.state = CHANNEL_OPEN
                self.handler.on_open()
        elif cls is spec.Channel.Close:
            self._send_now(spec.Channel.CloseOk())
            self._closed(exceptions.ChannelClosedByBroker(method.reply_code,
                                                          method.reply_text))
        elif cls is spec.Channel.CloseOk:
            if self.state == CHANNEL_CLOSING:
                self._closed(self.close_error or exceptions.ChannelClosedByClient(0, ""))
            else:
                LOGGER.warning("Channel.CloseOk on channel %d, which is not closing",
                               self.channel_number)
        elif cls is spec.Basic.Cancel:
            if not method.nowait:
                self._send_now(spec.Basic.CancelOk(method.consumer_tag))
            if method.consumer_tag not in self.cancelled:  # else a CancelOk is on its way
                self._forget_consumer(method.consumer_tag)
            self.handler.on_cancel(method)
        elif cls is spec.Channel.Flow:
            self._send_now(spec.Channel.FlowOk(method.active))
            self.handler.on_flow(method.active)
        else:
            LOGGER.warning("Unexpected method on channel %d: %r", self.channel_number, method)

    def _reply(self, ticket: RpcTicket, method: Any, properties: Any, body: Any) -> None:
        cls = type(method)
        if cls is spec.Confirm.SelectOk:
            self.confirming = True
        if properties is not None and properties.__class__ is not _PROPERTIES:
            # A Basic.GetOk whose header cannot be decoded: reported, then handed over
            # without properties so the caller can still settle the delivery tag.
            self.handler.on_bad_message(properties)
            properties = None
        try:
            self.handler.on_reply(ticket, method, properties, body)
        finally:
            if cls is spec.Basic.CancelOk:
                # After the front's callbacks, as pika: they still see the consumer.
                self._forget_consumer(method.consumer_tag)
