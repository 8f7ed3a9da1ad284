"""Every deliberate difference from pika 1.4.4, shown side by side: pika's behaviour, then ours.

Each test here matches one entry of README.md's "Where pika_fast deliberately differs from
pika 1.4" list. Helpers adding a difference append their test at the END of this file.
"""
from __future__ import annotations

import os
import ssl
import struct
import time
import tracemalloc

import pika
import pytest

import pika_fast
import pika_fast.data
from pika_fast import _codec
from pika_fast import exceptions as fast_exceptions

AMQP_URL = os.environ.get("AMQP_URL") or "amqp://guest:guest@127.0.0.1:5672/%2F"


def _blocking(lib, **overrides):
    params = lib.URLParameters(AMQP_URL)
    for name, value in overrides.items():
        setattr(params, name, value)
    return lib.BlockingConnection(params)


# ----------------------------------------------------- field-table floats and doubles


@pytest.mark.parametrize("wire, value", [
    (bytes.fromhex("66 3fc00000"), 1.5),        # 'f': 32-bit float
    (bytes.fromhex("64 c004000000000000"), -2.5),  # 'd': 64-bit double
], ids=["f", "d"])
def test_table_floats_decode_as_float_where_pika_truncates_to_int(wire, value):
    theirs, _ = pika.data.decode_value(wire, 0)
    assert theirs == int(value) and not isinstance(theirs, float)
    ours, offset = pika_fast.data.decode_value(wire, 0)
    assert ours == value and type(ours) is float and offset == len(wire)


def test_python_float_in_a_table_encodes_as_double_where_pika_refuses():
    with pytest.raises(pika.exceptions.UnsupportedAMQPFieldException):
        pika.data.encode_table([], {"ratio": 0.25})
    pieces = []
    pika_fast.data.encode_table(pieces, {"ratio": 0.25})
    assert b"".join(pieces) == struct.pack(">IB5scd", 15, 5, b"ratio", b"d", 0.25)
    decoded, _ = pika_fast.data.decode_table(b"".join(pieces), 0)
    assert decoded == {"ratio": 0.25}


# ------------------------------------------------------- Connection.UpdateSecret.decode


def test_update_secret_decode_fills_new_secret_where_pika_fills_mechanisms():
    encoded = struct.pack(">I3sB7s", 3, b"tok", 7, b"refresh")
    theirs = pika.spec.Connection.UpdateSecret(b"", "").decode(encoded)
    assert theirs.new_secret == b"" and theirs.mechanisms == b"tok"
    ours = pika_fast.spec.Connection.UpdateSecret(b"", "").decode(encoded)
    assert ours.new_secret == b"tok" and ours.reason == "refresh"
    assert not hasattr(ours, "mechanisms")


# ---------------------------------------------- an undecodable content header (#1698)


def _frame(frame_type, channel, payload):
    return struct.pack(">BHI", frame_type, channel, len(payload)) + payload + b"\xce"


def test_undecodable_content_header_fails_its_message_not_the_stream():
    deliver = pika.spec.Basic.Deliver(consumer_tag="ct", delivery_tag=1, exchange="",
                                      routing_key="q")
    method_frame = pika.frame.Method(1, deliver).marshal()
    # Properties say "headers present", but the table claims 99 bytes and holds 3.
    bad_header = _frame(2, 1, struct.pack(">HHQH", 60, 0, 2, 0x2000)
                        + struct.pack(">I", 99) + b"\x01kV")
    body = _frame(3, 1, b"hi")
    heartbeat = _frame(8, 0, b"")

    # pika: decoding the header frame raises (a bare struct.error here), and pika closes
    # the whole connection on it.
    offset, decoded = pika.frame.decode_frame(method_frame)
    assert isinstance(decoded.method, pika.spec.Basic.Deliver)
    with pytest.raises(struct.error):
        pika.frame.decode_frame(bad_header)

    # pika_fast: the reader reports that one message and carries on with the stream.
    reader = _codec.FrameReader()
    reader.feed(method_frame + bad_header + body + heartbeat)
    units = reader.read_messages()
    channel, method, error, got_body = units[0]
    assert channel == 1 and method.delivery_tag == 1 and got_body == b"hi"
    assert isinstance(error, fast_exceptions.MessageDecodeError)
    assert error.channel_number == 1 and error.body == b"hi"
    assert len(units) == 2 and reader.buffered == 0


# ---------------------------------------------- heartbeats while user code runs


@pytest.mark.parametrize("lib", [pika, pika_fast], ids=["pika", "pika_fast"])
def test_heartbeats_continue_while_user_code_runs_blocking(lib):
    conn = _blocking(lib, heartbeat=1)
    try:
        channel = conn.channel()
        queue = channel.queue_declare("", exclusive=True).method.queue
        time.sleep(6)  # several heartbeat intervals without calling into the connection
        if lib is pika:
            # The broker gave up on the silent client; pika finds out at its next call.
            with pytest.raises(pika.exceptions.AMQPConnectionError):
                channel.queue_declare(queue, passive=True)
        else:
            assert channel.queue_declare(queue, passive=True).method.queue == queue
            assert conn.is_open
    finally:
        if conn.is_open:
            conn.close()


# ---------------------------------------------- bodies: buffers, and no copy on publish


@pytest.mark.parametrize("make_body", [bytearray, memoryview], ids=["bytearray", "memoryview"])
def test_publish_accepts_any_bytes_like_body_where_pika_raises(make_body):
    with _blocking(pika) as conn:
        channel = conn.channel()
        queue = channel.queue_declare("", exclusive=True).method.queue
        with pytest.raises(AttributeError):  # pika calls .encode() on anything not bytes
            channel.basic_publish("", queue, make_body(b"payload"))
    with _blocking(pika_fast) as conn:
        channel = conn.channel()
        queue = channel.queue_declare("", exclusive=True).method.queue
        channel.basic_publish("", queue, make_body(b"payload"))
        assert channel.basic_get(queue, auto_ack=True)[2] == b"payload"


def _publish_peak_bytes(lib, body):
    """Peak Python allocation while basic_publish sends ``body``, and the body received."""
    with _blocking(lib) as conn:
        channel = conn.channel()
        queue = channel.queue_declare("", exclusive=True).method.queue
        tracemalloc.start()
        try:
            tracemalloc.reset_peak()
            channel.basic_publish("", queue, body)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        received = channel.basic_get(queue, auto_ack=True)[2]
    return peak, received


def test_large_body_is_sent_without_a_copy():
    body = os.urandom(1024) * (8 * 1024)  # 8 MiB
    their_peak, their_received = _publish_peak_bytes(pika, body)
    our_peak, our_received = _publish_peak_bytes(pika_fast, body)
    assert their_received == our_received == body
    assert their_peak >= len(body)  # pika joins the frames into a new buffer
    assert our_peak < len(body) // 4  # we hand the caller's buffer to the socket


# ---------------------------------------------- TLS handshake failures


@pytest.mark.parametrize("lib", [pika, pika_fast], ids=["pika", "pika_fast"])
def test_tls_failure_is_an_amqp_connection_error_and_an_ssl_error(lib):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    host, port = pika.URLParameters(AMQP_URL).host, pika.URLParameters(AMQP_URL).port
    params = lib.ConnectionParameters(host, port, ssl_options=lib.SSLOptions(context),
                                      connection_attempts=1, socket_timeout=5)
    # TLS spoken to the plain AMQP port: the handshake cannot succeed.
    with pytest.raises(ssl.SSLError) as caught:
        lib.BlockingConnection(params)
    if lib is pika:
        assert not isinstance(caught.value, pika.exceptions.AMQPConnectionError)
    else:
        assert isinstance(caught.value, fast_exceptions.TLSSetupError)
        assert isinstance(caught.value, fast_exceptions.AMQPConnectionError)
        assert isinstance(caught.value.exception, ssl.SSLError)


# ------------------------------------------------- the thread-safe pika_fast.Connection


def test_thread_safe_connection_exists_where_pika_144_has_none():
    assert not hasattr(pika, "Connection")
    with pytest.raises(ImportError):
        __import__("pika.adapters.thread_safe_connection")
    import threading

    with pika_fast.Connection(pika_fast.URLParameters(AMQP_URL)) as conn:
        channel = conn.channel()
        queue = channel.queue_declare("", exclusive=True).method.queue
        publishers = [threading.Thread(target=channel.basic_publish, args=("", queue, b"m"))
                      for _ in range(4)]
        for t in publishers:
            t.start()
        for t in publishers:
            t.join(10)
        deadline = time.monotonic() + 10
        while channel.queue_declare(queue, passive=True).method.message_count < 4:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert conn.update_secret("guest", "refresh").method.NAME == \
            "Connection.UpdateSecretOk"
    assert conn.is_closed


# --------------------------------------------------- Twisted close reasons keep their codes


def test_twisted_clean_close_reason_is_connection_done_and_keeps_the_reply_code(amqp_url):
    from twisted.internet import error as twisted_error

    from tests.support import adapters as support

    reasons = {}

    def scenario(s):
        yield s.connect()
        reasons[s.lib_name] = yield s.close()

    tracker = support.NameTracker(amqp_url)
    for lib in (pika, pika_fast):
        support.run_one("twisted", lib, amqp_url, tracker, scenario)
    theirs, ours = reasons["pika"], reasons["pika_fast"]
    assert type(theirs) is twisted_error.ConnectionDone and not hasattr(theirs, "reply_code")
    assert isinstance(ours, twisted_error.ConnectionDone)
    assert isinstance(ours, fast_exceptions.ConnectionClosedByClient)
    assert (ours.reply_code, ours.reply_text) == (200, "Normal shutdown")


def test_twisted_lost_transport_reason_is_connection_lost_and_stream_lost():
    from twisted.internet import error as twisted_error

    from pika_fast.adapters.twisted_connection import _as_twisted

    lost = _as_twisted(fast_exceptions.StreamLostError("Stream connection lost: x"),
                       twisted_error.ConnectionLost)
    assert isinstance(lost, twisted_error.ConnectionLost)
    assert isinstance(lost, fast_exceptions.StreamLostError)
    assert type(lost).__name__ == "ConnectionLost" and "Stream connection lost" in str(lost)


def test_twisted_open_failure_keeps_its_reason_as_the_cause_where_pika_drops_it(amqp_url):
    from tests.support import adapters as support

    failures = {}

    def scenario(s):
        params = s.params(credentials=s.lib.PlainCredentials("guest", "not-the-password"))
        try:
            yield s.connect(params)
        except Exception as exc:  # noqa: BLE001 - the failure is what is compared
            failures[s.lib_name] = exc

    tracker = support.NameTracker(amqp_url)
    for lib in (pika, pika_fast):
        support.run_one("twisted", lib, amqp_url, tracker, scenario)
    theirs, ours = failures["pika"], failures["pika_fast"]
    assert type(theirs) is pika.exceptions.AMQPConnectionError and theirs.__cause__ is None
    assert type(ours) is fast_exceptions.AMQPConnectionError and ours.args == theirs.args
    assert isinstance(ours.__cause__, fast_exceptions.ProbableAuthenticationError)


# ------------------------------------------------------------ 64-bit table integers


def test_64_bit_table_integers_decode_as_plain_int_where_pika_gives_its_long():
    wire = bytes.fromhex("6c 0000000000000005")  # 'l': signed 64-bit, e.g. x-death count
    theirs, _ = pika.data.decode_value(wire, 0)
    assert type(theirs) is pika.compat.long and repr(theirs) == "5L"
    ours, _ = pika_fast.data.decode_value(wire, 0)
    assert type(ours) is int and repr(ours) == "5" and ours == theirs


# ------------------------------------------------------- a channel number in use


def test_channel_number_in_use_is_refused_before_sending_where_pika_loses_the_connection():
    theirs = _blocking(pika)
    try:
        theirs.channel(channel_number=7)
        # pika sends Channel.Open for a number it already uses: the broker answers by
        # closing the whole connection (504 CHANNEL_ERROR).
        with pytest.raises(pika.exceptions.ConnectionClosedByBroker) as info:
            theirs.channel(channel_number=7)
        assert info.value.reply_code == 504
    finally:
        if theirs.is_open:
            theirs.close()
    ours = _blocking(pika_fast)
    try:
        ours.channel(channel_number=7)
        with pytest.raises(fast_exceptions.InvalidChannelNumber):
            ours.channel(channel_number=7)
        assert ours.is_open  # nothing was sent: the connection goes on
        ours.channel().queue_declare("", exclusive=True)
    finally:
        ours.close()


# --------------------------------------------- process_data_events after close


def test_process_data_events_after_close_is_a_wrong_state_error_where_pika_leaks_valueerror():
    theirs = _blocking(pika)
    theirs.close()
    with pytest.raises(ValueError):  # from pika's closed selector
        theirs.process_data_events(0)
    ours = _blocking(pika_fast)
    ours.close()
    with pytest.raises(fast_exceptions.ConnectionWrongStateError):
        ours.process_data_events(0)


# ------------------------------------------- heartbeat frames on a non-zero channel


def test_heartbeat_on_a_nonzero_channel_is_a_frame_error_where_pika_accepts_it():
    frame = bytes([8]) + struct.pack(">HI", 5, 0) + b"\xce"  # heartbeat, channel 5
    theirs = pika.frame.decode_frame(frame)
    assert theirs[0] == len(frame) and isinstance(theirs[1], pika.frame.Heartbeat)
    reader = _codec.FrameReader(131072)
    reader.feed(frame)
    with pytest.raises(fast_exceptions.InvalidFrameError, match="channel 5"):
        reader.read_messages()


# ------------------------------------------------- a frame for a channel never opened


def test_a_frame_for_a_channel_never_opened_closes_the_connection_where_pika_drops_it():
    """pika logs and drops it, so a caller waiting on that channel waits forever; the
    core closes the connection with 504 CHANNEL_ERROR (the spec's rule) and reports
    StreamLostError."""
    from tests.unit.test_protocol import open_front, server_method, take

    conn = open_front()
    closed = []
    conn.add_on_close_callback(lambda _c, error: closed.append(error))
    conn.feed(server_method(9, pika_fast.spec.Channel.Flow(True)))
    sent = take(conn._core)
    assert sent[7:11] == struct.pack(">HH", 10, 50)  # Connection.Close
    assert struct.unpack_from(">H", sent, 11)[0] == 504
    assert conn.is_closed and isinstance(closed[0], fast_exceptions.StreamLostError)
