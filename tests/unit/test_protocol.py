"""Sans-I/O tests of the protocol core (``pika_fast._protocol``) and the fronts over it.

The core is fed server frames built with the codec and API calls, with no socket and
no clock (time is passed in); the tests assert the frames it writes and the events its
handlers record.
"""
from __future__ import annotations

import functools
import logging
from typing import Any, Dict, List, Optional, Tuple

import pytest

from pika_fast import _codec, _protocol, exceptions, frame, spec
from pika_fast.channel import Channel
from pika_fast.connection import Connection, ConnectionParameters
from pika_fast.credentials import PlainCredentials

SERVER_CAPABILITIES = {
    "publisher_confirms": True,
    "exchange_exchange_bindings": True,
    "basic.nack": True,
    "consumer_cancel_notify": True,
    "connection.blocked": True,
    "authentication_failure_close": True,
}


# ------------------------------------------------------------------ helpers

def server_method(channel_number: int, method: Any) -> bytes:
    """A method frame as the broker would send it."""
    return _codec.marshal_method_frame(channel_number, method)


def server_content(channel_number: int, method: Any, body: bytes = b"body",
                   properties: Optional[spec.BasicProperties] = None) -> bytes:
    """A content-carrying method with its header and body, as the broker sends it."""
    return _codec.marshal_content(channel_number, method,
                                  properties or spec.BasicProperties(), body, 131072)


def undecodable_content(channel_number: int, method: Any, body: bytes = b"x") -> bytes:
    """Intact frames whose content header cannot be decoded (a bad table type)."""
    good = server_content(channel_number, method, body,
                          spec.BasicProperties(headers={"k": 1}))
    method_len = 7 + int.from_bytes(good[3:7], "big") + 1
    header = bytearray(good[method_len:])
    # The header's property table holds one entry: "k" of type 'b' (or 'I'/'l'...).
    marker = header.index(b"\x01k") + 2
    header[marker] = ord("!")  # not a field-table type
    return good[:method_len] + bytes(header)


def client_frames(data: bytes) -> List[Tuple[int, Any, Any, Any]]:
    """Decode what the client wrote into (channel, method, properties, body) units."""
    reader = _codec.FrameReader(131072)
    reader.feed(data)
    return list(reader.read_messages())


def methods(data: bytes) -> List[Tuple[int, Any]]:
    """The (channel, method) pairs the client wrote (heartbeats appear as None)."""
    return [(unit[0], unit[1]) for unit in client_frames(data)]


class RecordingConnectionHandler(_protocol.ConnectionHandler):
    """Records every call the core makes, in order."""

    def __init__(self) -> None:
        self.events: List[Tuple[Any, ...]] = []

    def on_connection_open(self) -> None:
        self.events.append(("open",))

    def on_connection_closed(self, error: BaseException) -> None:
        self.events.append(("closed", error))

    def on_blocked(self, method: Any) -> None:
        self.events.append(("blocked", method))

    def on_unblocked(self, method: Any) -> None:
        self.events.append(("unblocked", method))

    def on_output(self) -> None:
        self.events.append(("output",))

    def on_update_secret_ok(self, method: Any) -> None:
        self.events.append(("update_secret_ok", method))

    def names(self) -> List[str]:
        return [event[0] for event in self.events if event[0] != "output"]


class RecordingChannelHandler(_protocol.ChannelHandler):
    """Records every call a ChannelCore makes, in order."""

    def __init__(self) -> None:
        self.events: List[Tuple[Any, ...]] = []

    def on_open(self) -> None:
        self.events.append(("open",))

    def on_reply(self, ticket: _protocol.RpcTicket, method: Any, properties: Any,
                 body: Any) -> None:
        self.events.append(("reply", ticket, method, properties, body))

    def on_return(self, method: Any, properties: Any, body: Any) -> None:
        self.events.append(("return", method, properties, body))

    def on_confirm(self, method: Any) -> None:
        self.events.append(("confirm", method))

    def on_cancel(self, method: Any) -> None:
        self.events.append(("cancel", method))

    def on_flow(self, active: bool) -> None:
        self.events.append(("flow", active))

    def on_closed(self, error: BaseException) -> None:
        self.events.append(("closed", error))

    def on_bad_message(self, error: exceptions.MessageDecodeError) -> None:
        self.events.append(("bad_message", error))

    def names(self) -> List[str]:
        return [event[0] for event in self.events]


def new_core(**kwargs: Any) -> Tuple[_protocol.ConnectionCore, RecordingConnectionHandler]:
    handler = RecordingConnectionHandler()
    options: Dict[str, Any] = dict(credentials=PlainCredentials("guest", "guest"))
    options.update(kwargs)
    return _protocol.ConnectionCore(handler, **options), handler


def take(core: _protocol.ConnectionCore) -> bytes:
    """Everything the core queued for the socket, as one bytes object."""
    return b"".join(bytes(buf) for buf in core.take_output())


def start_frame(capabilities: Optional[Dict[str, Any]] = None,
                mechanisms: bytes = b"PLAIN AMQPLAIN") -> bytes:
    props = {"product": "RabbitMQ",
             "capabilities": SERVER_CAPABILITIES if capabilities is None else capabilities}
    return server_method(0, spec.Connection.Start(0, 9, props, mechanisms, b"en_US"))


def open_core(now: float = 100.0, heartbeat: int = 0, **kwargs: Any
              ) -> Tuple[_protocol.ConnectionCore, RecordingConnectionHandler]:
    """A core taken through the handshake to OPEN, its output consumed."""
    core, handler = new_core(**kwargs)
    core.initiate(now)
    core.data_received(start_frame(), now)
    core.data_received(server_method(0, spec.Connection.Tune(2047, 131072, heartbeat)), now)
    core.data_received(server_method(0, spec.Connection.OpenOk()), now)
    assert core.state == _protocol.CONNECTION_OPEN
    take(core)
    handler.events.clear()
    return core, handler


def open_channel(core: _protocol.ConnectionCore, number: int = 1
                 ) -> Tuple[_protocol.ChannelCore, RecordingChannelHandler]:
    handler = RecordingChannelHandler()
    channel = core.open_channel(handler, number)
    core.data_received(server_method(number, spec.Channel.OpenOk()), 100.0)
    assert channel.state == _protocol.CHANNEL_OPEN
    take(core)
    handler.events.clear()
    return channel, handler


class Recorder:
    """Collects calls to ``record(name)(*args)``."""

    def __init__(self) -> None:
        self.calls: List[Tuple[str, Tuple[Any, ...]]] = []

    def __call__(self, name: str) -> Any:
        def record(*args: Any) -> None:
            self.calls.append((name, args))
        return record

    def names(self) -> List[str]:
        return [name for name, _args in self.calls]


# ------------------------------------------------------- connection: opening

def test_initiate_writes_the_protocol_header():
    core, handler = new_core()
    assert core.state == _protocol.CONNECTION_INIT
    core.initiate(5.0)
    assert core.state == _protocol.CONNECTION_PROTOCOL
    assert take(core) == b"AMQP\x00\x00\x09\x01"
    assert handler.events == []


def test_start_is_answered_with_start_ok_plain_credentials_and_capabilities():
    core, _handler = new_core(client_properties={"connection_name": "unit"})
    core.initiate(0.0)
    take(core)
    core.data_received(start_frame(), 0.0)
    assert core.state == _protocol.CONNECTION_START
    [(channel, start_ok)] = methods(take(core))
    assert channel == 0 and isinstance(start_ok, spec.Connection.StartOk)
    assert start_ok.mechanism == "PLAIN"
    assert start_ok.response == b"\x00guest\x00guest"
    assert start_ok.locale == "en_US"
    props = start_ok.client_properties
    assert props["connection_name"] == "unit"
    assert props["capabilities"]["publisher_confirms"] is True
    assert props["capabilities"]["connection.blocked"] is True
    assert props["version"] == __import__("pika_fast").__version__
    assert core.server_properties["product"] == "RabbitMQ"


def test_start_without_a_mechanism_we_offer_fails_with_authentication_error():
    core, handler = new_core()
    core.initiate(0.0)
    core.data_received(start_frame(mechanisms=b"EXTERNAL"), 0.0)
    assert core.state == _protocol.CONNECTION_CLOSED
    [(name, error)] = handler.events
    assert name == "closed" and isinstance(error, exceptions.AuthenticationError)


def test_start_of_another_protocol_version_is_a_version_mismatch():
    core, handler = new_core()
    core.initiate(0.0)
    core.data_received(server_method(0, spec.Connection.Start(1, 0, {}, b"PLAIN", b"en_US")),
                       0.0)
    assert isinstance(handler.events[-1][1], exceptions.ProtocolVersionMismatch)


def test_tune_negotiates_and_sends_tune_ok_then_open():
    core, _handler = new_core(virtual_host="vh", channel_max=100, frame_max=65536,
                              heartbeat=None)
    core.initiate(0.0)
    core.data_received(start_frame(), 0.0)
    take(core)
    core.data_received(server_method(0, spec.Connection.Tune(2047, 131072, 60)), 0.0)
    assert core.state == _protocol.CONNECTION_TUNE
    [(_, tune_ok), (_, open_)] = methods(take(core))
    assert isinstance(tune_ok, spec.Connection.TuneOk)
    assert (tune_ok.channel_max, tune_ok.frame_max, tune_ok.heartbeat) == (100, 65536, 60)
    assert isinstance(open_, spec.Connection.Open) and open_.virtual_host == "vh"
    assert (core.channel_max, core.frame_max, core.heartbeat) == (100, 65536, 60)


@pytest.mark.parametrize("client, server, expected", [
    (0, 0, 0), (0, 30, 30), (10, 0, 10), (10, 30, 30)])
def test_heartbeat_negotiation_takes_the_client_value_unless_none(client, server, expected):
    core, _handler = new_core(heartbeat=client)
    core.initiate(0.0)
    core.data_received(start_frame(), 0.0)
    core.data_received(server_method(0, spec.Connection.Tune(0, 0, server)), 0.0)
    assert core.heartbeat == (client if client is not None else server)
    assert core.channel_max == 65535  # 0 on both sides: no limit, pika's 65535


def test_heartbeat_callable_is_asked_with_the_broker_value():
    asked = []

    def choose(owner: Any, value: int) -> int:
        asked.append((owner, value))
        return 7

    core, _handler = new_core(heartbeat=choose, heartbeat_owner="owner")
    core.initiate(0.0)
    core.data_received(start_frame(), 0.0)
    core.data_received(server_method(0, spec.Connection.Tune(0, 0, 60)), 0.0)
    assert asked == [("owner", 60)] and core.heartbeat == 7


def test_open_ok_opens_the_connection():
    core, handler = new_core()
    core.initiate(0.0)
    core.data_received(start_frame(), 0.0)
    core.data_received(server_method(0, spec.Connection.Tune(0, 0, 0)), 0.0)
    assert not core.opened
    core.data_received(server_method(0, spec.Connection.OpenOk()), 0.0)
    assert core.is_open and core.opened
    assert handler.names() == ["open"]


def test_whole_handshake_fed_in_one_chunk():
    core, handler = new_core()
    core.initiate(0.0)
    core.data_received(start_frame() + server_method(0, spec.Connection.Tune(0, 0, 0))
                       + server_method(0, spec.Connection.OpenOk()), 0.0)
    assert core.is_open and handler.names() == ["open"]
    sent = [type(m).__name__ for _, m in methods(take(core))]
    assert sent == ["ProtocolHeader", "StartOk", "TuneOk", "Open"]


def test_handshake_fed_byte_by_byte():
    core, handler = new_core()
    core.initiate(0.0)
    stream = (start_frame() + server_method(0, spec.Connection.Tune(0, 0, 0))
              + server_method(0, spec.Connection.OpenOk()))
    for index in range(len(stream)):
        core.data_received(stream[index:index + 1], float(index))
    assert core.is_open and handler.names() == ["open"]


@pytest.mark.parametrize("state_frames, expected", [
    ([], exceptions.IncompatibleProtocolError),
    (["start"], exceptions.ProbableAuthenticationError),
    (["start", "tune"], exceptions.ProbableAccessDeniedError),
])
def test_stream_lost_while_opening_maps_to_pikas_probable_errors(state_frames, expected):
    core, handler = new_core()
    core.initiate(0.0)
    if "start" in state_frames:
        core.data_received(start_frame(), 0.0)
    if "tune" in state_frames:
        core.data_received(server_method(0, spec.Connection.Tune(0, 0, 0)), 0.0)
    core.connection_lost(ConnectionResetError(104, "reset"))
    [(name, error)] = handler.events
    assert name == "closed" and type(error) is expected
    assert "StreamLostError" in str(error)


def test_broker_close_while_authenticating_is_probable_authentication_error():
    core, handler = new_core()
    core.initiate(0.0)
    core.data_received(start_frame(), 0.0)
    take(core)
    core.data_received(server_method(0, spec.Connection.Close(
        403, "ACCESS_REFUSED - Login was refused", 0, 0)), 0.0)
    [(_, close_ok)] = methods(take(core))
    assert isinstance(close_ok, spec.Connection.CloseOk)
    error = handler.events[-1][1]
    assert type(error) is exceptions.ProbableAuthenticationError
    assert "ACCESS_REFUSED" in str(error) and "403" in str(error)


def test_broker_close_while_opening_the_vhost_is_probable_access_denied():
    core, handler = new_core(virtual_host="nope")
    core.initiate(0.0)
    core.data_received(start_frame() + server_method(0, spec.Connection.Tune(0, 0, 0)), 0.0)
    core.data_received(server_method(0, spec.Connection.Close(
        530, "NOT_ALLOWED - vhost nope not found", 10, 40)), 0.0)
    error = handler.events[-1][1]
    assert type(error) is exceptions.ProbableAccessDeniedError
    assert "NOT_ALLOWED" in str(error)
    assert not core.opened


def test_non_amqp_answer_to_the_protocol_header_is_incompatible_protocol():
    core, handler = new_core()
    core.initiate(0.0)
    core.data_received(b"HTTP/1.1 400 Bad Request\r\n\r\n", 0.0)
    assert type(handler.events[-1][1]) is exceptions.IncompatibleProtocolError


def test_broker_protocol_header_reply_is_incompatible_protocol():
    core, handler = new_core()
    core.initiate(0.0)
    core.data_received(b"AMQP\x00\x00\x08\x00", 0.0)
    error = handler.events[-1][1]
    assert type(error) is exceptions.IncompatibleProtocolError and "AMQP 0-8-" in str(error)


def test_client_close_while_opening_aborts_without_a_word_to_the_broker():
    core, handler = new_core()
    core.initiate(0.0)
    core.data_received(start_frame(), 0.0)
    take(core)
    core.close(200, "bye")
    assert core.state == _protocol.CONNECTION_CLOSED
    assert take(core) == b""
    error = handler.events[-1][1]
    assert type(error) is exceptions.ConnectionOpenAborted
    assert "prev_state=START" in str(error) and "'bye'" in str(error)


# ------------------------------------------------------- connection: closing

def test_client_close_sends_close_and_close_ok_ends_it():
    core, handler = open_core()
    core.close(320, "going away")
    assert core.state == _protocol.CONNECTION_CLOSING and core.is_closing
    [(_, close)] = methods(take(core))
    assert isinstance(close, spec.Connection.Close)
    assert (close.reply_code, close.reply_text) == (320, "going away")
    core.data_received(server_method(0, spec.Connection.CloseOk()), 1.0)
    assert core.state == _protocol.CONNECTION_CLOSED
    error = handler.events[-1][1]
    assert type(error) is exceptions.ConnectionClosedByClient
    assert (error.reply_code, error.reply_text) == (320, "going away")


def test_close_twice_sends_one_close():
    core, _handler = open_core()
    core.close()
    core.close()
    assert len(methods(take(core))) == 1


def test_stream_lost_while_closing_reports_the_client_close():
    core, handler = open_core()
    core.close(200, "Normal shutdown")
    core.connection_lost(None)
    assert type(handler.events[-1][1]) is exceptions.ConnectionClosedByClient


def test_broker_close_when_open_is_connection_closed_by_broker_and_answered():
    core, handler = open_core()
    channel, channel_handler = open_channel(core)
    core.data_received(server_method(0, spec.Connection.Close(320, "CONNECTION_FORCED", 0, 0)),
                       1.0)
    [(_, close_ok)] = methods(take(core))
    assert isinstance(close_ok, spec.Connection.CloseOk)
    error = handler.events[-1][1]
    assert type(error) is exceptions.ConnectionClosedByBroker and error.reply_code == 320
    # The channels are told first, with the connection's error.
    assert channel_handler.events == [("closed", error)]
    assert channel.state == _protocol.CHANNEL_CLOSED and core.channels == {}


def test_stray_close_ok_is_ignored():
    core, handler = open_core()
    core.data_received(server_method(0, spec.Connection.CloseOk()), 1.0)
    assert core.is_open and handler.events == []


def test_close_cascade_closes_channels_first_then_the_connection():
    core, handler = open_core()
    one, one_events = open_channel(core, 1)
    two, two_events = open_channel(core, 2)
    core.close(200, "Normal shutdown")
    assert core.state == _protocol.CONNECTION_CLOSING
    sent = methods(take(core))
    assert [(n, type(m)) for n, m in sent] == [(1, spec.Channel.Close), (2, spec.Channel.Close)]
    assert one.state == two.state == _protocol.CHANNEL_CLOSING
    core.data_received(server_method(1, spec.Channel.CloseOk()), 1.0)
    assert take(core) == b""  # channel 2 is still closing
    core.data_received(server_method(2, spec.Channel.CloseOk()), 1.0)
    [(number, close)] = methods(take(core))
    assert number == 0 and isinstance(close, spec.Connection.Close)
    assert close.reply_code == 200
    assert type(one_events.events[-1][1]) is exceptions.ChannelClosedByClient
    core.data_received(server_method(0, spec.Connection.CloseOk()), 1.0)
    assert handler.names() == ["closed"]


def test_close_cascade_includes_opening_channels_and_waits_for_closing_ones():
    core, _handler = open_core()
    closing, _ = open_channel(core, 1)
    closing.close()
    opening = core.open_channel(RecordingChannelHandler(), 2)
    take(core)
    core.close()
    [(number, method)] = methods(take(core))
    assert number == 2 and isinstance(method, spec.Channel.Close)
    core.data_received(server_method(2, spec.Channel.OpenOk()), 1.0)  # suppressed
    assert opening.state == _protocol.CHANNEL_CLOSING
    core.data_received(server_method(2, spec.Channel.CloseOk()), 1.0)
    assert take(core) == b""
    core.data_received(server_method(1, spec.Channel.CloseOk()), 1.0)
    assert [type(m) for _, m in methods(take(core))] == [spec.Connection.Close]


def test_close_cascade_goes_on_when_the_broker_closes_the_last_channel():
    core, _handler = open_core()
    open_channel(core, 1)
    core.close()
    take(core)
    core.data_received(server_method(1, spec.Channel.Close(406, "PRECONDITION_FAILED", 0, 0)),
                       1.0)
    sent = [(n, type(m)) for n, m in methods(take(core))]
    assert sent == [(1, spec.Channel.CloseOk), (0, spec.Connection.Close)]


def test_close_cancels_consumers_nowait_before_closing_channels():
    core, _handler = open_core()
    channel, _ = open_channel(core, 1)
    tag, _ticket = channel.consume("q", lambda *a: None, consumer_tag="c1")
    take(core)
    core.close()
    sent = methods(take(core))
    assert isinstance(sent[0][1], spec.Basic.Cancel) and sent[0][1].nowait
    assert isinstance(sent[1][1], spec.Channel.Close)


# --------------------------------------------------------- heartbeats & time

def test_no_deadline_without_heartbeats_or_blocking():
    core, _handler = open_core(heartbeat=0)
    assert core.next_deadline() is None
    assert core.run_deadlines(1e6) is None
    assert take(core) == b""


def test_heartbeat_is_sent_after_half_an_interval_of_silence():
    core, handler = open_core(now=100.0, heartbeat=10)
    assert core.next_deadline() == 105.0
    assert core.run_deadlines(104.0) == 105.0
    assert take(core) == b""
    core.data_received(b"", 104.0)  # keeps the peer alive
    assert core.run_deadlines(105.0) == 110.0
    assert take(core) == _codec.HEARTBEAT_FRAME
    assert handler.events == []


def test_recent_writes_postpone_the_heartbeat():
    core, _handler = open_core(now=100.0, heartbeat=10)
    core.mark_sent(104.0)
    assert core.next_deadline() == 109.0
    assert core.run_deadlines(105.0) == 109.0
    assert take(core) == b""


def test_pending_output_stands_in_for_a_heartbeat():
    core, _handler = open_core(now=100.0, heartbeat=10)
    channel, _ = open_channel(core)
    channel.send(spec.Basic.Ack(1))
    assert core.run_deadlines(106.0) == 111.0
    [(_, ack)] = methods(take(core))
    assert isinstance(ack, spec.Basic.Ack)  # no heartbeat frame beside it


def test_two_silent_intervals_end_the_connection_with_heartbeat_timeout():
    core, handler = open_core(now=100.0, heartbeat=10)
    core.run_deadlines(105.0)
    core.run_deadlines(115.0)
    assert core.is_open
    assert core.next_deadline() == 120.0
    assert core.run_deadlines(120.0) is None
    error = handler.events[-1][1]
    assert type(error) is exceptions.AMQPHeartbeatTimeout
    assert "10 seconds" in str(error)
    assert core.next_deadline() is None


def test_received_bytes_reset_the_peer_silence():
    core, _handler = open_core(now=100.0, heartbeat=10)
    core.data_received(_codec.HEARTBEAT_FRAME, 118.0)
    core.run_deadlines(119.0)
    assert core.run_deadlines(125.0) is not None and core.is_open


def test_heartbeat_frame_due_and_mark_sent_for_a_heartbeat_thread():
    core, _handler = open_core(now=100.0, heartbeat=10)
    assert not core.heartbeat_frame_due(104.9)
    assert core.heartbeat_frame_due(105.0)
    core.mark_sent(105.0)
    assert not core.heartbeat_frame_due(109.0)
    assert take(core) == b""  # asking writes nothing


def test_heartbeats_go_on_while_closing_and_stop_when_closed():
    core, _handler = open_core(now=100.0, heartbeat=10)
    core.close()
    take(core)
    assert core.heartbeat_frame_due(106.0)
    core.run_deadlines(106.0)
    assert take(core) == _codec.HEARTBEAT_FRAME
    core.data_received(server_method(0, spec.Connection.CloseOk()), 107.0)
    assert not core.heartbeat_frame_due(200.0)
    assert core.run_deadlines(200.0) is None


def test_heartbeat_frames_from_the_broker_are_not_methods():
    core, handler = open_core(now=100.0, heartbeat=10)
    core.data_received(_codec.HEARTBEAT_FRAME * 3, 101.0)
    assert handler.events == [] and core.last_received == 101.0


# ------------------------------------------------------- blocked / unblocked

def test_blocked_and_unblocked_are_reported():
    core, handler = open_core()
    core.data_received(server_method(0, spec.Connection.Blocked("low on memory")), 1.0)
    assert core.blocked and handler.names() == ["blocked"]
    assert handler.events[0][1].reason == "low on memory"
    core.data_received(server_method(0, spec.Connection.Unblocked()), 2.0)
    assert not core.blocked and handler.names() == ["blocked", "unblocked"]


def test_blocked_without_timeout_sets_no_deadline():
    core, _handler = open_core()
    core.data_received(server_method(0, spec.Connection.Blocked("x")), 1.0)
    assert core.blocked_deadline is None and core.next_deadline() is None


def test_blocked_deadline_runs_from_the_first_blocked():
    core, _handler = open_core(blocked_connection_timeout=30)
    core.data_received(server_method(0, spec.Connection.Blocked("a")), 10.0)
    core.data_received(server_method(0, spec.Connection.Blocked("b")), 20.0)
    assert core.blocked_deadline == 40.0 and core.next_deadline() == 40.0


def test_blocked_deadline_passed_ends_with_connection_blocked_timeout():
    core, handler = open_core(blocked_connection_timeout=30)
    channel, channel_events = open_channel(core)
    core.data_received(server_method(0, spec.Connection.Blocked("a")), 10.0)
    assert core.run_deadlines(39.9) == 40.0 and core.is_open
    assert core.run_deadlines(40.0) is None
    error = handler.events[-1][1]
    assert type(error) is exceptions.ConnectionBlockedTimeout
    assert str(error) == "Blocked connection timeout expired."
    assert take(core) == b""  # as pika: the stream is dropped, no Connection.Close
    assert channel_events.events[-1] == ("closed", error)


def test_unblocked_clears_the_deadline():
    core, handler = open_core(blocked_connection_timeout=30)
    core.data_received(server_method(0, spec.Connection.Blocked("a")), 10.0)
    core.data_received(server_method(0, spec.Connection.Unblocked()), 11.0)
    assert core.blocked_deadline is None
    assert core.run_deadlines(100.0) is None and core.is_open
    core.data_received(server_method(0, spec.Connection.Blocked("again")), 200.0)
    assert core.blocked_deadline == 230.0


def test_blocked_deadline_and_heartbeat_the_earliest_wins():
    core, _handler = open_core(now=0.0, heartbeat=60, blocked_connection_timeout=5)
    assert core.next_deadline() == 30.0
    core.data_received(server_method(0, spec.Connection.Blocked("a")), 1.0)
    assert core.next_deadline() == 6.0


# -------------------------------------------------------- connection: misc

def test_update_secret_round_trip():
    core, handler = open_core()
    core.update_secret("new", "rotation")
    [(_, method)] = methods(take(core))
    assert isinstance(method, spec.Connection.UpdateSecret)
    assert method.new_secret == b"new" and method.reason == "rotation"
    core.data_received(server_method(0, spec.Connection.UpdateSecretOk()), 1.0)
    assert handler.names() == ["update_secret_ok"]


def test_channel_numbers_are_allocated_lowest_free_first():
    core, _handler = open_core()
    assert core.next_channel_number() == 1
    open_channel(core, 1)
    open_channel(core, 3)
    assert core.next_channel_number() == 2
    with pytest.raises(exceptions.InvalidChannelNumber):
        core.open_channel(RecordingChannelHandler(), 3)


def test_no_free_channels_past_the_negotiated_channel_max():
    core, _handler = new_core(channel_max=2)
    core.initiate(0.0)
    core.data_received(start_frame() + server_method(0, spec.Connection.Tune(0, 0, 0))
                       + server_method(0, spec.Connection.OpenOk()), 0.0)
    open_channel(core, 1)
    open_channel(core, 2)
    with pytest.raises(exceptions.NoFreeChannels):
        core.next_channel_number()


def test_channels_need_an_open_connection():
    core, _handler = new_core()
    with pytest.raises(exceptions.ConnectionWrongStateError):
        core.open_channel(RecordingChannelHandler())


def test_malformed_frame_when_open_sends_frame_error_close_and_ends():
    core, handler = open_core()
    core.data_received(b"\x01\x00\x00\x00\x00\x00\x04abcd\x00", 1.0)  # bad frame end
    [(_, close)] = methods(take(core))
    assert isinstance(close, spec.Connection.Close) and close.reply_code == 501
    error = handler.events[-1][1]
    assert type(error) is exceptions.StreamLostError
    assert isinstance(error.__cause__, exceptions.AMQPError)


def test_frames_for_channels_gone_are_logged_and_dropped(caplog):
    core, handler = open_core()
    channel, _channel_handler = open_channel(core, 9)
    channel.close()
    core.data_received(server_method(9, spec.Channel.CloseOk()), 1.0)
    with caplog.at_level(logging.WARNING, logger="pika_fast._protocol"):
        core.data_received(server_method(9, spec.Channel.OpenOk()), 1.0)
    assert "unknown channel 9" in caplog.text and handler.events == []


def test_a_frame_for_a_channel_never_opened_ends_the_connection():
    """A protocol violation (AMQP's 504 CHANNEL_ERROR); pika 1.4.4 drops it and waits."""
    core, handler = open_core()
    core.data_received(server_method(9, spec.Channel.OpenOk()), 1.0)
    error = handler.events[-1][1]
    assert type(error) is exceptions.StreamLostError
    assert type(error.__cause__) is exceptions.UnexpectedFrameError
    assert "channel 9, which was never opened" in str(error)
    (close,) = [m for _, m in methods(take(core)) if isinstance(m, spec.Connection.Close)]
    assert close.reply_code == 504 and close.reply_text.startswith("CHANNEL_ERROR")


def test_connection_lost_when_open_is_stream_lost():
    core, handler = open_core()
    core.connection_lost(OSError("gone"))
    error = handler.events[-1][1]
    assert type(error) is exceptions.StreamLostError and "gone" in str(error)
    core.connection_lost(OSError("again"))  # once closed, nothing more
    assert handler.names() == ["closed"]


def test_abort_ends_with_the_error_as_given():
    core, handler = open_core()
    marker = exceptions.AMQPConnectionError("custom")
    core.abort(marker)
    assert handler.events[-1][1] is marker


# ------------------------------------------------------------ channel: states

def test_channel_opening_then_open():
    core, _handler = open_core()
    events = RecordingChannelHandler()
    channel = core.open_channel(events, 5)
    assert channel.state == _protocol.CHANNEL_OPENING and not channel.is_open
    [(number, method)] = methods(take(core))
    assert number == 5 and isinstance(method, spec.Channel.Open)
    with pytest.raises(exceptions.ChannelWrongStateError):
        channel.request(spec.Queue.Declare(queue="q"))
    core.data_received(server_method(5, spec.Channel.OpenOk()), 1.0)
    assert channel.is_open and events.names() == ["open"]


def test_channel_close_sends_close_and_close_ok_ends_it():
    core, _handler = open_core()
    channel, events = open_channel(core)
    channel.close(0, "Normal shutdown")
    assert channel.state == _protocol.CHANNEL_CLOSING
    [(_, close)] = methods(take(core))
    assert isinstance(close, spec.Channel.Close) and close.reply_code == 0
    with pytest.raises(exceptions.ChannelWrongStateError, match="closing"):
        channel.close()
    core.data_received(server_method(1, spec.Channel.CloseOk()), 1.0)
    assert channel.state == _protocol.CHANNEL_CLOSED
    [(name, error)] = events.events
    assert name == "closed" and type(error) is exceptions.ChannelClosedByClient
    assert 1 not in core.channels
    with pytest.raises(exceptions.ChannelWrongStateError, match="closed"):
        channel.close()


def test_channel_closed_by_broker_is_answered_and_reported():
    core, _handler = open_core()
    channel, events = open_channel(core)
    ticket = channel.request(spec.Queue.Declare(queue="q", passive=True))
    take(core)
    core.data_received(server_method(1, spec.Channel.Close(404, "NOT_FOUND - no queue 'q'",
                                                           50, 10)), 1.0)
    [(_, close_ok)] = methods(take(core))
    assert isinstance(close_ok, spec.Channel.CloseOk)
    [(name, error)] = events.events
    assert type(error) is exceptions.ChannelClosedByBroker and error.reply_code == 404
    assert channel.state == _protocol.CHANNEL_CLOSED and not channel.expected
    assert ticket is not None and 1 not in core.channels
    with pytest.raises(exceptions.ChannelWrongStateError, match="NOT_FOUND"):
        channel.request(spec.Queue.Declare(queue="q"))


def test_close_while_opening_suppresses_the_open_ok():
    core, _handler = open_core()
    events = RecordingChannelHandler()
    channel = core.open_channel(events, 1)
    channel.close()
    core.data_received(server_method(1, spec.Channel.OpenOk()), 1.0)
    assert channel.state == _protocol.CHANNEL_CLOSING and events.events == []
    core.data_received(server_method(1, spec.Channel.CloseOk()), 1.0)
    assert events.names() == ["closed"]


def test_channel_number_stays_taken_while_close_callbacks_run():
    core, _handler = open_core()
    seen = []

    class Handler(RecordingChannelHandler):
        def on_closed(self, error: BaseException) -> None:
            seen.append(1 in core.channels)

    channel = core.open_channel(Handler(), 1)
    core.data_received(server_method(1, spec.Channel.OpenOk()), 1.0)
    channel.close()
    core.data_received(server_method(1, spec.Channel.CloseOk()), 1.0)
    assert seen == [True] and 1 not in core.channels


def test_stray_channel_close_ok_is_ignored():
    core, _handler = open_core()
    channel, events = open_channel(core)
    core.data_received(server_method(1, spec.Channel.CloseOk()), 1.0)
    assert channel.is_open and events.events == []


def test_flow_from_the_broker_is_answered_and_reported():
    core, _handler = open_core()
    _channel, events = open_channel(core)
    core.data_received(server_method(1, spec.Channel.Flow(False)), 1.0)
    [(_, flow_ok)] = methods(take(core))
    assert isinstance(flow_ok, spec.Channel.FlowOk) and flow_ok.active is False
    assert events.events == [("flow", False)]


# ------------------------------------------------------- channel: RPC pairing

def test_replies_complete_tickets_in_request_order():
    core, _handler = open_core()
    channel, events = open_channel(core)
    first = channel.request(spec.Queue.Declare(queue="a"))
    second = channel.request(spec.Exchange.Declare(exchange="x"))
    take(core)
    core.data_received(server_method(1, spec.Queue.DeclareOk("a", 0, 0))
                       + server_method(1, spec.Exchange.DeclareOk()), 1.0)
    assert [(e[0], e[1], type(e[2])) for e in events.events] == [
        ("reply", first, spec.Queue.DeclareOk), ("reply", second, spec.Exchange.DeclareOk)]
    assert not channel.expected


def test_nowait_request_returns_no_ticket_and_expects_no_reply():
    core, _handler = open_core()
    channel, _events = open_channel(core)
    assert channel.request(spec.Queue.Declare(queue="a", nowait=True)) is None
    [(_, method)] = methods(take(core))
    assert method.nowait is True
    assert not channel.expected


def test_a_request_that_fails_to_encode_leaves_no_ticket_and_no_bytes():
    core, _handler = open_core()
    channel, _events = open_channel(core)
    with pytest.raises(exceptions.UnsupportedAMQPFieldException):
        channel.request(spec.Queue.Declare(queue="q1", arguments={"x": object()}))
    assert not channel.expected and take(core) == b""


def test_unexpected_reply_is_logged_not_paired(caplog):
    core, _handler = open_core()
    channel, events = open_channel(core)
    ticket = channel.request(spec.Queue.Declare(queue="a"))
    with caplog.at_level(logging.WARNING, logger="pika_fast._protocol"):
        core.data_received(server_method(1, spec.Queue.PurgeOk(0)), 1.0)
    assert events.events == [] and list(channel.expected) == [ticket]
    assert "Unexpected method" in caplog.text


def test_get_ok_and_get_empty_both_complete_a_get():
    core, _handler = open_core()
    channel, events = open_channel(core)
    first = channel.request(spec.Basic.Get(queue="q"))
    second = channel.request(spec.Basic.Get(queue="q"))
    core.data_received(server_content(1, spec.Basic.GetOk(1, False, "", "q", 0), b"hello")
                       + server_method(1, spec.Basic.GetEmpty()), 1.0)
    (_, t1, m1, p1, b1), (_, t2, m2, _p2, _b2) = events.events
    assert (t1, type(m1), bytes(b1)) == (first, spec.Basic.GetOk, b"hello")
    assert isinstance(p1, spec.BasicProperties)
    assert (t2, type(m2)) == (second, spec.Basic.GetEmpty)


def test_requests_on_a_closed_connection_channel_raise():
    core, _handler = open_core()
    channel, _events = open_channel(core)
    core.connection_lost(OSError("x"))
    with pytest.raises(exceptions.ChannelWrongStateError):
        channel.send(spec.Basic.Ack(1))
    with pytest.raises(exceptions.ChannelWrongStateError):
        channel.publish("", "q", spec.BasicProperties(), b"x", False)


# ---------------------------------------------------- channel: consumers

def test_consume_registers_after_encoding_with_pikas_tag_format():
    core, _handler = open_core()
    channel, _events = open_channel(core, 7)
    tag, ticket = channel.consume("q", lambda *a: None)
    assert tag.startswith("ctag7.") and len(tag) == len("ctag7.") + 32
    assert channel.consumer_tags == [tag]
    [(_, consume)] = methods(take(core))
    assert isinstance(consume, spec.Basic.Consume) and consume.consumer_tag == tag
    assert list(channel.expected) == [ticket]


def test_consume_that_fails_to_encode_registers_nothing():
    core, _handler = open_core()
    channel, _events = open_channel(core)
    with pytest.raises(exceptions.UnsupportedAMQPFieldException):
        channel.consume("q", lambda *a: None, arguments={"x": object()}, consumer_tag="t1")
    assert channel.consumer_tags == [] and not channel.expected and take(core) == b""
    # The tag is free for a good request.
    assert channel.consume("q", lambda *a: None, consumer_tag="t1")[0] == "t1"


def test_duplicate_consumer_tag_is_refused_also_while_cancelling():
    core, _handler = open_core()
    channel, _events = open_channel(core)
    channel.consume("q", lambda *a: None, consumer_tag="t")
    with pytest.raises(exceptions.DuplicateConsumerTag):
        channel.consume("q", lambda *a: None, consumer_tag="t")
    channel.cancel("t", nowait=True)
    with pytest.raises(exceptions.DuplicateConsumerTag):
        channel.consume("q", lambda *a: None, consumer_tag="t")


def test_deliveries_go_to_their_consumer_by_tag():
    core, _handler = open_core()
    channel, _events = open_channel(core)
    got = Recorder()
    channel.consume("q", got("a"), consumer_tag="a")
    channel.consume("q", got("b"), consumer_tag="b")
    take(core)
    props = spec.BasicProperties(content_type="text/plain", headers={"h": 1})
    core.data_received(server_content(1, spec.Basic.Deliver("b", 1, False, "", "q"), b"1",
                                      props)
                       + server_content(1, spec.Basic.Deliver("a", 2, False, "", "q"), b"2"),
                       1.0)
    assert got.names() == ["b", "a"]
    method, properties, body = got.calls[0][1]
    assert method.delivery_tag == 1 and bytes(body) == b"1"
    assert properties.content_type == "text/plain" and properties.headers == {"h": 1}
    assert take(core) == b""


def test_delivery_split_across_many_chunks_is_delivered_once():
    core, _handler = open_core()
    channel, _events = open_channel(core)
    got = Recorder()
    channel.consume("q", got("a"), consumer_tag="a")
    stream = server_content(1, spec.Basic.Deliver("a", 1, False, "", "q"), b"z" * 300000)
    for start in range(0, len(stream), 4096):
        core.data_received(stream[start:start + 4096], 1.0)
    [(_, (method, _p, body))] = got.calls
    assert bytes(body) == b"z" * 300000


def test_cancel_waits_for_cancel_ok_and_forgets_after_the_reply_callbacks():
    core, _handler = open_core()
    channel, _ = open_channel(core)
    seen = []

    class Handler(RecordingChannelHandler):
        def on_reply(self, ticket: Any, method: Any, properties: Any, body: Any) -> None:
            seen.append(list(channel.consumer_tags))

    channel.handler = Handler()
    channel.consume("q", lambda *a: None, consumer_tag="t")
    core.data_received(server_method(1, spec.Basic.ConsumeOk("t")), 1.0)
    take(core)
    ticket = channel.cancel("t")
    [(_, cancel)] = methods(take(core))
    assert isinstance(cancel, spec.Basic.Cancel) and not cancel.nowait
    assert ticket is not None and channel.consumer_tags == ["t"]
    assert channel.cancel("t") is None  # already being cancelled: nothing sent
    assert take(core) == b""
    core.data_received(server_method(1, spec.Basic.CancelOk("t")), 1.0)
    assert seen == [["t"], ["t"]]  # ConsumeOk, then CancelOk still sees it
    assert channel.consumer_tags == [] and channel.cancelled == {}


def test_cancel_nowait_stops_listing_at_once_and_keeps_rejecting_in_flight():
    core, _handler = open_core()
    channel, _events = open_channel(core)
    got = Recorder()
    channel.consume("q", got("t"), consumer_tag="t")
    take(core)
    assert channel.cancel("t", nowait=True) is None
    assert channel.consumer_tags == [] and "t" in channel.cancelled
    take(core)
    core.data_received(server_content(1, spec.Basic.Deliver("t", 5, False, "", "q")), 1.0)
    assert got.calls == []
    [(_, reject)] = methods(take(core))
    assert isinstance(reject, spec.Basic.Reject)
    assert (reject.delivery_tag, reject.requeue) == (5, True)


def test_unknown_consumer_cancel_sends_nothing(caplog):
    core, _handler = open_core()
    channel, _events = open_channel(core)
    with caplog.at_level(logging.WARNING, logger="pika_fast._protocol"):
        assert channel.cancel("nope") is None
    assert take(core) == b"" and "consumer not found" in caplog.text


def test_in_flight_delivery_after_cancel_is_requeued():
    core, _handler = open_core()
    channel, _events = open_channel(core)
    got = Recorder()
    channel.consume("q", got("t"), consumer_tag="t")
    channel.cancel("t")
    take(core)
    core.data_received(server_content(1, spec.Basic.Deliver("t", 9, False, "", "q")), 1.0)
    assert got.calls == []
    [(_, reject)] = methods(take(core))
    assert isinstance(reject, spec.Basic.Reject) and reject.delivery_tag == 9
    assert reject.requeue is True


def test_in_flight_no_ack_delivery_after_cancel_is_dropped_silently():
    core, _handler = open_core()
    channel, _events = open_channel(core)
    got = Recorder()
    channel.consume("q", got("t"), auto_ack=True, consumer_tag="t")
    channel.cancel("t")
    take(core)
    core.data_received(server_content(1, spec.Basic.Deliver("t", 9, False, "", "q")), 1.0)
    assert got.calls == [] and take(core) == b""


def test_delivery_for_an_unknown_consumer_is_logged(caplog):
    core, _handler = open_core()
    _channel, events = open_channel(core)
    with caplog.at_level(logging.ERROR, logger="pika_fast._protocol"):
        core.data_received(server_content(1, spec.Basic.Deliver("ghost", 1, False, "", "q")),
                           1.0)
    assert "Unexpected delivery" in caplog.text
    assert events.events == [] and take(core) == b""


def test_broker_cancel_forgets_the_consumer_and_is_answered_unless_nowait():
    core, _handler = open_core()
    channel, events = open_channel(core)
    channel.consume("q", lambda *a: None, consumer_tag="a")
    channel.consume("q", lambda *a: None, consumer_tag="b")
    take(core)
    core.data_received(server_method(1, spec.Basic.Cancel("a", nowait=False)), 1.0)
    [(_, cancel_ok)] = methods(take(core))
    assert isinstance(cancel_ok, spec.Basic.CancelOk) and cancel_ok.consumer_tag == "a"
    core.data_received(server_method(1, spec.Basic.Cancel("b", nowait=True)), 1.0)
    assert take(core) == b""
    assert channel.consumer_tags == []
    assert [e[1].consumer_tag for e in events.events if e[0] == "cancel"] == ["a", "b"]


def test_broker_cancel_during_a_client_cancel_leaves_it_to_cancel_ok():
    core, _handler = open_core()
    channel, events = open_channel(core)
    channel.consume("q", lambda *a: None, consumer_tag="t")
    channel.cancel("t")
    core.data_received(server_method(1, spec.Basic.Cancel("t", nowait=True)), 1.0)
    assert channel.consumer_tags == ["t"] and events.names() == ["cancel"]


def test_consumers_are_forgotten_after_the_close_callbacks():
    core, _handler = open_core()
    channel, _ = open_channel(core)
    seen = []

    class Handler(RecordingChannelHandler):
        def on_closed(self, error: BaseException) -> None:
            seen.append(channel.consumer_tags)

    channel.handler = Handler()
    channel.consume("q", lambda *a: None, consumer_tag="t")
    core.data_received(server_method(1, spec.Channel.Close(404, "x", 0, 0)), 1.0)
    assert seen == [["t"]] and channel.consumer_tags == []


def test_channel_close_cancels_consumers_then_closes():
    core, _handler = open_core()
    channel, _events = open_channel(core)
    channel.consume("q", lambda *a: None, consumer_tag="a")
    channel.consume("q", lambda *a: None, consumer_tag="b")
    channel.cancel("b")
    take(core)
    channel.close()
    sent = [(type(m).__name__, getattr(m, "consumer_tag", None), getattr(m, "nowait", None))
            for _, m in methods(take(core))]
    assert sent == [("Cancel", "a", True), ("Close", None, None)]


# -------------------------------------------------- channel: bad messages

def test_undecodable_delivery_is_rejected_without_requeue_and_reported():
    core, _handler = open_core()
    channel, events = open_channel(core)
    got = Recorder()
    channel.consume("q", got("t"), consumer_tag="t")
    take(core)
    core.data_received(undecodable_content(1, spec.Basic.Deliver("t", 3, False, "", "q"),
                                           b"payload"), 1.0)
    assert got.calls == []
    [(_, reject)] = methods(take(core))
    assert isinstance(reject, spec.Basic.Reject)
    assert (reject.delivery_tag, reject.requeue) == (3, False)
    [(name, error)] = events.events
    assert name == "bad_message" and isinstance(error, exceptions.MessageDecodeError)
    assert error.method.delivery_tag == 3 and bytes(error.body) == b"payload"
    assert channel.is_open and core.is_open


def test_undecodable_delivery_to_an_auto_ack_consumer_is_only_reported():
    core, _handler = open_core()
    channel, events = open_channel(core)
    channel.consume("q", lambda *a: None, auto_ack=True, consumer_tag="t")
    take(core)
    core.data_received(undecodable_content(1, spec.Basic.Deliver("t", 3, False, "", "q")),
                       1.0)
    assert take(core) == b"" and events.names() == ["bad_message"]


def test_undecodable_delivery_after_cancel_is_rejected_without_requeue():
    core, _handler = open_core()
    channel, _events = open_channel(core)
    channel.consume("q", lambda *a: None, consumer_tag="t")
    channel.cancel("t", nowait=True)
    take(core)
    core.data_received(undecodable_content(1, spec.Basic.Deliver("t", 4, False, "", "q")),
                       1.0)
    [(_, reject)] = methods(take(core))
    assert (reject.delivery_tag, reject.requeue) == (4, False)


def test_undecodable_get_ok_is_reported_and_handed_over_without_properties():
    core, _handler = open_core()
    channel, events = open_channel(core)
    ticket = channel.request(spec.Basic.Get(queue="q"))
    take(core)
    core.data_received(undecodable_content(1, spec.Basic.GetOk(8, False, "", "q", 0), b"b"),
                       1.0)
    assert events.names() == ["bad_message", "reply"]
    _, got_ticket, method, properties, body = events.events[1]
    assert got_ticket is ticket and method.delivery_tag == 8 and properties is None
    assert take(core) == b""  # the caller settles a fetched message itself


def test_good_messages_after_a_bad_one_still_arrive():
    core, _handler = open_core()
    channel, _events = open_channel(core)
    got = Recorder()
    channel.consume("q", got("t"), consumer_tag="t")
    core.data_received(undecodable_content(1, spec.Basic.Deliver("t", 1, False, "", "q"))
                       + server_content(1, spec.Basic.Deliver("t", 2, False, "", "q")), 1.0)
    assert [args[0].delivery_tag for _n, args in got.calls] == [2]


# ------------------------------------------------------- channel: returns

def test_basic_return_is_reported_with_its_content():
    core, _handler = open_core()
    _channel, events = open_channel(core)
    core.data_received(server_content(1, spec.Basic.Return(312, "NO_ROUTE", "x", "rk"),
                                      b"back", spec.BasicProperties(message_id="m")), 1.0)
    [(name, method, properties, body)] = events.events
    assert name == "return" and method.reply_code == 312
    assert properties.message_id == "m" and bytes(body) == b"back"


# ------------------------------------------------------ channel: publishing

def test_publish_writes_method_header_and_body_frames():
    core, _handler = open_core()
    channel, _events = open_channel(core)
    assert channel.publish("ex", "rk", spec.BasicProperties(delivery_mode=2), b"hi",
                           True) == 0
    [(number, method, properties, body)] = client_frames(take(core))
    assert number == 1 and isinstance(method, spec.Basic.Publish)
    assert (method.exchange, method.routing_key, method.mandatory) == ("ex", "rk", True)
    assert properties.delivery_mode == 2 and bytes(body) == b"hi"


def test_large_bodies_are_queued_uncopied():
    core, _handler = open_core()
    channel, _events = open_channel(core)
    body = bytearray(b"y" * (_protocol.ZERO_COPY_THRESHOLD * 2))
    channel.publish("", "q", spec.BasicProperties(), body, False)
    buffers = core.take_output()
    assert any(isinstance(buf, memoryview) and buf.obj is body for buf in buffers)
    [(_, _m, _p, received)] = client_frames(b"".join(bytes(b) for b in buffers))
    assert bytes(received) == bytes(body)


# ------------------------------------------------------- channel: confirms

def test_confirm_select_needs_the_broker_capabilities():
    core, _handler = new_core()
    core.initiate(0.0)
    core.data_received(start_frame(capabilities={"basic.nack": True})
                       + server_method(0, spec.Connection.Tune(0, 0, 0))
                       + server_method(0, spec.Connection.OpenOk()), 0.0)
    channel, _events = open_channel(core)
    with pytest.raises(exceptions.MethodNotImplemented, match="Confirm.Select"):
        channel.confirm_select()
    assert take(core) == b"" and not channel.confirm_requested


def test_confirm_mode_starts_on_select_ok_and_numbers_publishes_from_the_select():
    core, _handler = open_core()
    channel, events = open_channel(core)
    assert channel.publish("", "q", spec.BasicProperties(), b"before", False) == 0
    ticket = channel.confirm_select()
    assert ticket is not None and not channel.confirming
    # Published before SelectOk arrives: the broker already numbers it.
    assert channel.publish("", "q", spec.BasicProperties(), b"1", False) == 1
    core.data_received(server_method(1, spec.Confirm.SelectOk()), 1.0)
    assert channel.confirming and events.events[0][1] is ticket
    assert channel.publish("", "q", spec.BasicProperties(), b"2", False) == 2
    assert channel.publish_seq == 2 and channel.confirms.unsettled == 2


def test_confirm_select_nowait_enters_at_once():
    core, _handler = open_core()
    channel, _events = open_channel(core)
    assert channel.confirm_select(nowait=True) is None
    assert channel.confirming and not channel.expected


def confirming_channel(count: int) -> Tuple[_protocol.ConnectionCore, _protocol.ChannelCore,
                                             RecordingChannelHandler]:
    core, _handler = open_core()
    channel, events = open_channel(core)
    channel.confirm_select()
    core.data_received(server_method(1, spec.Confirm.SelectOk()), 1.0)
    for _ in range(count):
        channel.publish("", "q", spec.BasicProperties(), b"m", False)
    take(core)
    events.events.clear()
    return core, channel, events


def test_acks_and_nacks_settle_ranges_and_are_reported_in_order():
    core, channel, events = confirming_channel(10)
    core.data_received(server_method(1, spec.Basic.Ack(3, multiple=True))
                       + server_method(1, spec.Basic.Nack(4, multiple=False, requeue=False))
                       + server_method(1, spec.Basic.Ack(6, multiple=False)), 1.0)
    assert [(type(e[1]).__name__, e[1].delivery_tag) for e in events.events] == [
        ("Ack", 3), ("Nack", 4), ("Ack", 6)]
    confirms = channel.confirms
    assert confirms.floor == 4 and confirms.islands == [[6, 6]]
    assert [confirms.is_settled(tag) for tag in range(1, 8)] == [
        True, True, True, True, False, True, False]
    assert confirms.unsettled == 5
    core.data_received(server_method(1, spec.Basic.Ack(5)), 1.0)
    assert confirms.floor == 6 and confirms.islands == []
    core.data_received(server_method(1, spec.Basic.Ack(10, multiple=True)), 1.0)
    assert confirms.floor == 10 and confirms.unsettled == 0


def test_ack_multiple_zero_settles_everything_published():
    core, channel, _events = confirming_channel(4)
    core.data_received(server_method(1, spec.Basic.Ack(0, multiple=True)), 1.0)
    assert channel.confirms.unsettled == 0 and channel.confirms.floor == 4


def test_out_of_order_single_acks_merge_into_one_range():
    _core, channel, _events = confirming_channel(0)
    tracker = channel.confirms
    tracker.published = 8
    for tag in (5, 3, 4, 8, 7):
        tracker.settle(tag, False)
    assert tracker.islands == [[3, 5], [7, 8]] and tracker.floor == 0
    tracker.settle(1, False)
    tracker.settle(2, False)
    assert tracker.floor == 5 and tracker.islands == [[7, 8]]
    tracker.settle(6, False)
    assert tracker.floor == 8 and tracker.islands == [] and tracker.unsettled == 0


def test_a_repeated_ack_settles_nothing_new():
    _core, channel, _events = confirming_channel(3)
    assert channel.confirms.settle(2, True) == (1, 2)
    assert channel.confirms.settle(1, False) == (0, -1)
    assert channel.confirms.settle(2, True) == (0, -1)


def test_acks_outside_confirm_mode_are_not_confirms(caplog):
    core, _handler = open_core()
    _channel, events = open_channel(core)
    with caplog.at_level(logging.WARNING, logger="pika_fast._protocol"):
        core.data_received(server_method(1, spec.Basic.Ack(1)), 1.0)
    assert events.events == [] and "Unexpected method" in caplog.text


# --------------------------------------------------- the Channel front (pika API)

class FakeConnection(Connection):
    """The callback Connection with its adapter hooks recorded instead of doing I/O."""

    def __init__(self, **params: Any) -> None:
        self.timers: List[Any] = []
        self.disconnected = 0
        super().__init__(ConnectionParameters(**params), internal_connection_workflow=False)

    def _flush_soon(self) -> None:
        """Output stays in the core until the test takes it."""

    def _adapter_emit_data(self, data: bytes) -> None:
        """Output stays in the core until the test takes it."""

    def _adapter_call_later(self, delay: float, callback: Any) -> Any:
        timer = [delay, callback]
        self.timers.append(timer)
        return timer

    def _adapter_remove_timeout(self, timeout_id: Any) -> None:
        if timeout_id in self.timers:
            self.timers.remove(timeout_id)

    def _adapter_disconnect_stream(self) -> None:
        self.disconnected += 1

    def feed(self, data: bytes) -> None:
        self._on_data_available(data)


def open_front(**params: Any) -> FakeConnection:
    conn = FakeConnection(**params)
    conn.add_on_open_error_callback(lambda c, e: None)
    conn._on_stream_connected()
    conn.feed(start_frame() + server_method(0, spec.Connection.Tune(0, 0, 0))
              + server_method(0, spec.Connection.OpenOk()))
    assert conn.is_open
    take(conn._core)
    return conn


def open_front_channel(conn: FakeConnection, number: int = 1) -> Channel:
    opened = []
    channel = conn.channel(number, on_open_callback=opened.append)
    conn.feed(server_method(number, spec.Channel.OpenOk()))
    assert opened == [channel] and channel.is_open
    take(conn._core)
    return channel


def test_defect_a_failed_queue_declare_leaves_no_callback_behind():
    conn = open_front()
    channel = open_front_channel(conn)
    calls = Recorder()
    with pytest.raises(exceptions.UnsupportedAMQPFieldException):
        channel.queue_declare("q1", arguments={"x": object()}, callback=calls("cb1"))
    channel.queue_declare("q2", callback=calls("cb2"))
    [(_, declare)] = methods(take(conn._core))
    assert declare.queue == "q2"
    conn.feed(server_method(1, spec.Queue.DeclareOk("q2", 0, 0)))
    assert calls.names() == ["cb2"]
    method_frame = calls.calls[0][1][0]
    assert isinstance(method_frame, frame.Method) and method_frame.method.queue == "q2"


def test_defect_b_a_failed_basic_consume_leaves_no_ghost_consumer():
    conn = open_front()
    channel = open_front_channel(conn)
    with pytest.raises(exceptions.UnsupportedAMQPFieldException):
        channel.basic_consume("q", lambda *a: None, arguments={"x": object()},
                              consumer_tag="t1")
    assert channel.consumer_tags == []
    assert take(conn._core) == b""
    calls = Recorder()
    assert channel.basic_consume("q", calls("msg"), consumer_tag="t1") == "t1"
    conn.feed(server_method(1, spec.Basic.ConsumeOk("t1"))
              + server_content(1, spec.Basic.Deliver("t1", 1, False, "", "q"), b"m"))
    [(_, (ch, method, _props, body))] = calls.calls
    assert ch is channel and method.delivery_tag == 1 and bytes(body) == b"m"


def test_front_state_is_the_cores():
    conn = open_front()
    channel = conn.channel(2)
    assert channel.is_opening and channel._core is conn._core.channels[2]
    assert conn._channels == {2: channel}
    conn.feed(server_method(2, spec.Channel.OpenOk()))
    assert channel.is_open
    for name in ("_consumers", "_cancelled", "_consumers_with_noack", "_reply_callbacks"):
        assert name not in vars(channel), name
    channel.close()
    assert channel.is_closing and channel._core.state == _protocol.CHANNEL_CLOSING
    conn.feed(server_method(2, spec.Channel.CloseOk()))
    assert channel.is_closed and conn._channels == {}


def test_front_basic_cancel_callback_sees_the_consumer_then_it_is_gone():
    conn = open_front()
    channel = open_front_channel(conn)
    channel.basic_consume("q", lambda *a: None, consumer_tag="t")
    seen = []
    channel.basic_cancel("t", callback=lambda f: seen.append(list(channel.consumer_tags)))
    conn.feed(server_method(1, spec.Basic.ConsumeOk("t"))
              + server_method(1, spec.Basic.CancelOk("t")))
    assert seen == [["t"]] and channel.consumer_tags == []


def test_front_confirm_delivery_reports_acks_as_method_frames():
    conn = open_front()
    channel = open_front_channel(conn)
    acks = Recorder()
    done = Recorder()
    channel.confirm_delivery(acks("ack"), callback=done("select_ok"))
    conn.feed(server_method(1, spec.Confirm.SelectOk()))
    channel.basic_publish("", "q", b"x")
    conn.feed(server_method(1, spec.Basic.Ack(1)))
    assert done.names() == ["select_ok"]
    [(_, (method_frame,))] = acks.calls
    assert isinstance(method_frame, frame.Method) and method_frame.method.delivery_tag == 1


def test_front_basic_get_that_fails_keeps_no_getok_callback():
    conn = open_front()
    channel = open_front_channel(conn)
    channel.close()
    with pytest.raises(exceptions.ChannelWrongStateError):
        channel.basic_get("q", lambda *a: None)
    assert channel._on_getok_callback is None


def test_front_connection_close_cascade_and_close_callbacks():
    conn = open_front()
    channel = open_front_channel(conn)
    order = []
    channel.add_on_close_callback(lambda ch, err: order.append(("channel", type(err))))
    conn.add_on_close_callback(lambda c, err: order.append(("connection", type(err))))
    conn.close()
    assert conn.is_closing and not conn.is_open
    with pytest.raises(exceptions.ConnectionWrongStateError):
        conn.close()
    assert [type(m) for _, m in methods(take(conn._core))] == [spec.Channel.Close]
    conn.feed(server_method(1, spec.Channel.CloseOk()))
    assert [type(m) for _, m in methods(take(conn._core))] == [spec.Connection.Close]
    conn.feed(server_method(0, spec.Connection.CloseOk()))
    assert order == [("channel", exceptions.ChannelClosedByClient),
                     ("connection", exceptions.ConnectionClosedByClient)]
    assert conn.is_closed and conn.disconnected >= 1


def test_front_blocked_timeout_uses_one_adapter_timer():
    conn = open_front(blocked_connection_timeout=5)
    closed = []
    conn.add_on_close_callback(lambda c, err: closed.append(err))
    conn.feed(server_method(0, spec.Connection.Blocked("mem")))
    [timer] = conn.timers
    assert 0 < timer[0] <= 5
    deadline = conn._core.blocked_deadline
    assert deadline is not None
    # The timer fires late enough: the core ends the connection.
    conn._core.run_deadlines(deadline)
    assert type(closed[0]) is exceptions.ConnectionBlockedTimeout
    assert conn.timers == [] or conn.is_closed


def test_front_on_message_callback_gets_the_channel_first():
    conn = open_front()
    channel = open_front_channel(conn)
    calls = Recorder()
    channel.basic_consume("q", calls("m"), consumer_tag="t")
    conn.feed(server_content(1, spec.Basic.Deliver("t", 1, False, "", "q"), b"b"))
    [(_, (ch, method, properties, body))] = calls.calls
    assert ch is channel and isinstance(properties, spec.BasicProperties)


def test_deliver_dispatch_calls_the_consumer_directly():
    # The hot path: the core calls the registered callable with no front method between.
    core, _handler = open_core()
    channel, _events = open_channel(core)
    target = Recorder()
    bound = functools.partial(target("t"))
    channel.consume("q", bound, consumer_tag="t")
    assert channel.consumers["t"].on_message is bound
