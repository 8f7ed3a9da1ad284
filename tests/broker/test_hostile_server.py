"""A misbehaving AMQP server, on every adapter.

Each case is a script for :class:`tests.support.hostile_server.HostileServer` (a plain
loopback socket server) that gets a client to some point of the conversation and then
breaks the protocol. One scenario, written once, runs on every adapter: it connects,
opens a channel, declares a queue and fetches from it; whatever the server does
instead of answering properly must surface as a named pika_fast exception, with the
client's socket closed, within a watchdog (the driver's deadline), and with memory
bounded by frame_max however large a frame the server announces.

Where pika 1.4.4 does not hang on the same server, it raises the same exception class
(``test_pika_raises_the_same_class``); where it hangs (a 2 GiB frame, garbage after
the protocol header, a method for a channel never opened, a heartbeat on channel 5)
pika_fast fails fast instead.
"""
from __future__ import annotations

import struct
import threading
import time
import tracemalloc
from typing import Any, Callable, Dict, List, Tuple

import pika as real_pika
import pytest

import pika_fast
from pika_fast import exceptions, spec
from tests.support import adapters
from tests.support import hostile_server as hs

ADAPTERS = list(adapters.DRIVERS)
SCENARIO_TIMEOUT = 20.0
FRAME_MAX = 131072  # what the hostile server's Connection.Tune offers


def u32(n: int) -> bytes:
    return struct.pack(">I", n)


def nested_table(levels: int) -> bytes:
    """A field table holding a table holding a table ... ``levels`` deep."""
    inner = u32(0)
    for _ in range(levels):
        entry = b"\x01aF" + inner
        inner = u32(len(entry)) + entry
    return inner


def start_with_table(table: bytes) -> bytes:
    """Connection.Start whose server_properties are the given (raw) table bytes."""
    arguments = b"\x00\x09" + table + u32(5) + b"PLAIN" + u32(5) + b"en_US"
    return hs.method_payload_frame(0, spec.Connection.Start.INDEX, arguments)


def _until_declare(peer: hs.Peer) -> int:
    peer.handshake()
    channel = peer.open_channel()
    peer.expect(spec.Queue.Declare)
    return channel


# ---------------------------------------------------------------- the scripts


def frame_of_2_gib(peer: hs.Peer) -> None:
    """Instead of Queue.DeclareOk: a frame header announcing 2 GiB, then 16 MiB of its
    'payload' for as long as the client takes it."""
    channel = _until_declare(peer)
    peer.send(b"\x01" + struct.pack(">H", channel) + u32(2**31))
    peer.stream(b"\x00" * 65536, 16 * 2**20)


def table_nested_10000_deep(peer: hs.Peer) -> None:
    peer.expect_protocol_header()
    peer.send(start_with_table(nested_table(10_000)))


def table_claiming_a_million_entries(peer: hs.Peer) -> None:
    """server_properties whose length claims a million 3-byte entries; three follow."""
    peer.expect_protocol_header()
    peer.send(start_with_table(u32(3 * 1_000_000) + b"\x01aV" * 3))


def body_longer_than_announced(peer: hs.Peer) -> None:
    channel = _until_declare(peer)
    peer.send_method(channel, spec.Queue.DeclareOk("q", 1, 0))
    peer.expect(spec.Basic.Get)
    peer.send(hs.method_bytes(channel, spec.Basic.GetOk(1, False, "", "q", 0))
              + hs.header_bytes(channel, 5) + hs.body_bytes(channel, b"0123456789"))


def method_for_a_channel_never_opened(peer: hs.Peer) -> None:
    _until_declare(peer)
    peer.send_method(7, spec.Queue.DeclareOk("q", 0, 0))


def content_without_a_method(peer: hs.Peer) -> None:
    channel = _until_declare(peer)
    peer.send(hs.header_bytes(channel, 5) + hs.body_bytes(channel, b"hello"))


def heartbeat_on_channel_5(peer: hs.Peer) -> None:
    _until_declare(peer)
    peer.send(hs.frame_bytes(spec.FRAME_HEARTBEAT, 5, b""))


def garbage_after_the_protocol_header(peer: hs.Peer) -> None:
    peer.expect_protocol_header()
    peer.send(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")


def start_without_plain(peer: hs.Peer) -> None:
    peer.expect_protocol_header()
    peer.send_method(0, hs.start_method(mechanisms=b"EXTERNAL AMQPLAIN"))


def tune_below_the_minimum_frame_max(peer: hs.Peer) -> None:
    peer.expect_protocol_header()
    peer.send_method(0, hs.start_method())
    peer.expect(spec.Connection.StartOk)
    peer.send_method(0, spec.Connection.Tune(2047, 512, 0))
    peer.expect(spec.Connection.Open)  # pika_fast never gets this far
    peer.send_method(0, spec.Connection.OpenOk(""))


#: case -> (script, the exception class, text its message must contain)
CASES: Dict[str, Tuple[Callable[[hs.Peer], None], type, str]] = {
    "frame-of-2-GiB": (frame_of_2_gib, exceptions.StreamLostError,
                       "FrameTooLargeError: Frame of 2147483656 bytes"),
    "table-nested-10000-deep": (table_nested_10000_deep, exceptions.IncompatibleProtocolError,
                                "nested deeper than 64 levels"),
    "table-claiming-a-million-entries": (table_claiming_a_million_entries,
                                         exceptions.IncompatibleProtocolError,
                                         "field table runs past the end"),
    "body-longer-than-announced": (body_longer_than_announced, exceptions.StreamLostError,
                                   "BodyTooLongError: Received too many bytes"),
    "method-for-a-channel-never-opened": (method_for_a_channel_never_opened,
                                          exceptions.StreamLostError,
                                          "Queue.DeclareOk for channel 7, which was never "
                                          "opened"),
    "content-without-a-method": (content_without_a_method, exceptions.StreamLostError,
                                 "content header on channel 1 without a content method"),
    "heartbeat-on-channel-5": (heartbeat_on_channel_5, exceptions.StreamLostError,
                               "heartbeat on channel 5"),
    "garbage-after-the-protocol-header": (garbage_after_the_protocol_header,
                                          exceptions.IncompatibleProtocolError,
                                          "FrameTooLargeError"),
    "start-without-PLAIN": (start_without_plain, exceptions.AuthenticationError, "PLAIN"),
    "tune-below-the-minimum-frame-max": (tune_below_the_minimum_frame_max,
                                         exceptions.ProbableAccessDeniedError,
                                         "frame_max=512, below the AMQP 0-9-1 minimum"),
}


def scenario_for(port: int, errors: List[BaseException]) -> adapters.Scenario:
    """Connect, open a channel, declare, get: the server breaks somewhere on the way.
    The error the adapter reports is collected; reaching the end is a failure."""
    def scenario(s: adapters.Driver) -> Any:
        try:
            yield s.connect(s.params(f"amqp://guest:guest@127.0.0.1:{port}/%2F",
                                     connection_attempts=1, socket_timeout=5))
            ch = yield s.channel()
            yield s.rpc(ch, "queue_declare", "q")
            yield s.get(ch, "q")
            s.record("no error")
        except Exception as exc:  # noqa: BLE001 - the subject of the test
            errors.append(exc)
    return scenario


def run_case(adapter: str, lib: Any, script: Callable[[hs.Peer], None]
             ) -> Tuple[List[BaseException], hs.HostileServer]:
    errors: List[BaseException] = []
    with hs.HostileServer(script, timeout=SCENARIO_TIMEOUT + 10) as server:
        log = adapters.run_one(adapter, lib, "amqp://guest:guest@127.0.0.1/%2F",
                               adapters.NameTracker(""), scenario_for(server.port, errors),
                               timeout=SCENARIO_TIMEOUT)
        assert log == [], log
        sleep = time.sleep
        if adapter == "gevent":
            import gevent  # a gevent socket's close completes on the hub

            sleep = gevent.sleep
        server.closed = server.wait_client_closed(10, sleep)  # type: ignore[attr-defined]
    return errors, server


@pytest.mark.broker_timeout(90)
@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("adapter", ADAPTERS)
def test_hostile_server(adapter, case):
    script, error_class, text = CASES[case]
    threads_before = threading.active_count()
    errors, server = run_case(adapter, pika_fast, script)
    assert server.errors == [], f"the hostile server's script failed: {server.errors!r}"
    assert len(errors) == 1, errors
    error = errors[0]
    if adapter == "twisted" and case in OPEN_FAILURES:
        # TwistedProtocolConnection.ready fails with AMQPConnectionError(attempts) for
        # any failure to open, as pika 1.4.4's does; the reason is not carried.
        error_class, text = exceptions.AMQPConnectionError, "1"
    assert type(error) is error_class, f"{type(error).__name__}: {error}"
    assert text in str(error), str(error)
    assert server.closed, "the client did not close its socket"
    # The scenario ended on the error: no connection thread of ours is left behind
    # (the Twisted reactor and gevent's hub are the test harness's, started once).
    if adapter not in ("twisted", "gevent"):
        assert threading.active_count() <= threads_before + 1


@pytest.mark.broker_timeout(90)
@pytest.mark.parametrize("adapter", ADAPTERS)
def test_memory_for_a_2_gib_frame_is_bounded_by_frame_max(adapter):
    """The reader refuses the frame from its header: what the client allocated while
    the server pushed up to 16 MiB of the frame stays within a few frame_max."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        baseline = tracemalloc.get_traced_memory()[0]
        errors, server = run_case(adapter, pika_fast, frame_of_2_gib)
        peak = tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()
    assert [type(e) for e in errors] == [exceptions.StreamLostError], errors
    assert "FrameTooLargeError" in str(errors[0])
    assert peak < 8 * FRAME_MAX, f"peak growth {peak} bytes"


#: cases that fail the connection before it opens
OPEN_FAILURES = {"table-nested-10000-deep", "table-claiming-a-million-entries",
                 "garbage-after-the-protocol-header", "start-without-PLAIN",
                 "tune-below-the-minimum-frame-max"}

#: cases where pika 1.4.4 does not hang: it raises the class pika_fast raises
PIKA_FINISHES = ["table-nested-10000-deep", "table-claiming-a-million-entries",
                 "body-longer-than-announced", "content-without-a-method",
                 "start-without-PLAIN", "tune-below-the-minimum-frame-max"]


@pytest.mark.broker_timeout(90)
@pytest.mark.parametrize("case", PIKA_FINISHES)
def test_pika_raises_the_same_class(case):
    script, error_class, _text = CASES[case]
    errors, _server = run_case("blocking", real_pika, script)
    assert len(errors) == 1, errors
    assert type(errors[0]).__name__ == error_class.__name__, repr(errors[0])
