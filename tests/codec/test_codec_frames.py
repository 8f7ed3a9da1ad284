"""Whole frames of every type against hand-written byte vectors, both ways.

A frame is type (1 octet), channel (short), payload size (long), payload and the
frame-end octet 0xCE; the protocol header is ``AMQP`` 0 0 9 1.
"""
import pytest

from pika_fast import frame, spec


def h(text):
    return bytes.fromhex(text)


ACK_FRAME = h("01 0001 0000000d 003c0050 0000000000000007 01 ce")
TUNE_FRAME = h("01 0000 0000000c 000a001e 07ff 00020000 003c ce")
PUBLISH_FRAME = h("01 0005 0000000d 003c0028 0000 02 6578 02 726b 01 ce")
HEADER_FRAME = h("02 0001 0000001a 003c 0000 0000000000000005 9000 0a 746578742f706c61696e 02 ce")
EMPTY_HEADER_FRAME = h("02 0002 0000000e 003c 0000 0000000000000000 0000 ce")
BODY_FRAME = h("03 0001 00000005 68656c6c6f ce")
EMPTY_BODY_FRAME = h("03 0001 00000000 ce")
HEARTBEAT_FRAME = h("08 0000 00000000 ce")
PROTOCOL_HEADER = h("414d5150 00 00 09 01")


def _check_ack(decoded):
    assert type(decoded) is frame.Method
    assert (decoded.frame_type, decoded.channel_number) == (spec.FRAME_METHOD, 1)
    assert type(decoded.method) is spec.Basic.Ack
    assert vars(decoded.method) == {"delivery_tag": 7, "multiple": True}


def _check_tune(decoded):
    assert type(decoded) is frame.Method and decoded.channel_number == 0
    assert type(decoded.method) is spec.Connection.Tune
    assert vars(decoded.method) == {"channel_max": 2047, "frame_max": 131072, "heartbeat": 60}


def _check_publish(decoded):
    assert type(decoded) is frame.Method and decoded.channel_number == 5
    assert type(decoded.method) is spec.Basic.Publish
    assert vars(decoded.method) == {"ticket": 0, "exchange": "ex", "routing_key": "rk",
                                    "mandatory": True, "immediate": False}


def _check_header(decoded):
    assert type(decoded) is frame.Header
    assert (decoded.frame_type, decoded.channel_number) == (spec.FRAME_HEADER, 1)
    assert decoded.body_size == 5
    assert type(decoded.properties) is spec.BasicProperties
    assert vars(decoded.properties) == vars(spec.BasicProperties(content_type="text/plain",
                                                                 delivery_mode=2))


def _check_empty_header(decoded):
    assert type(decoded) is frame.Header
    assert (decoded.channel_number, decoded.body_size) == (2, 0)
    assert vars(decoded.properties) == vars(spec.BasicProperties())


def _check_body(decoded):
    assert type(decoded) is frame.Body
    assert (decoded.frame_type, decoded.channel_number) == (spec.FRAME_BODY, 1)
    assert type(decoded.fragment) is bytes and decoded.fragment == b"hello"


def _check_empty_body(decoded):
    assert type(decoded) is frame.Body
    assert type(decoded.fragment) is bytes and decoded.fragment == b""


def _check_heartbeat(decoded):
    assert type(decoded) is frame.Heartbeat
    assert (decoded.frame_type, decoded.channel_number) == (spec.FRAME_HEARTBEAT, 0)


def _check_protocol_header(decoded):
    assert type(decoded) is frame.ProtocolHeader
    assert (decoded.major, decoded.minor, decoded.revision) == (0, 9, 1)


FRAMES = [
    ("method-ack", ACK_FRAME, _check_ack),
    ("method-tune", TUNE_FRAME, _check_tune),
    ("method-publish", PUBLISH_FRAME, _check_publish),
    ("header", HEADER_FRAME, _check_header),
    ("header-no-properties", EMPTY_HEADER_FRAME, _check_empty_header),
    ("body", BODY_FRAME, _check_body),
    ("body-empty", EMPTY_BODY_FRAME, _check_empty_body),
    ("heartbeat", HEARTBEAT_FRAME, _check_heartbeat),
    ("protocol-header", PROTOCOL_HEADER, _check_protocol_header),
]
FRAME_IDS = [name for name, _, _ in FRAMES]


@pytest.mark.parametrize("wire, check", [(w, c) for _, w, c in FRAMES], ids=FRAME_IDS)
def test_decode_frame(codec, wire, check):
    consumed, decoded = codec.decode_frame(wire)
    assert consumed == len(wire)
    check(decoded)


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
@pytest.mark.parametrize("wire, check", [(w, c) for _, w, c in FRAMES], ids=FRAME_IDS)
def test_decode_frame_at_an_offset_in_any_buffer(codec, wire, check, kind):
    consumed, decoded = codec.decode_frame(kind(b"\x00" * 3 + wire + b"\x01\x02"), 3)
    assert consumed == len(wire)
    check(decoded)


def test_decode_a_stream_of_frames_by_offset(codec):
    stream = b"".join(wire for _, wire, _ in FRAMES if wire is not PROTOCOL_HEADER)
    checks = [check for _, wire, check in FRAMES if wire is not PROTOCOL_HEADER]
    offset = 0
    for check in checks:
        consumed, decoded = codec.decode_frame(stream, offset)
        check(decoded)
        offset += consumed
    assert offset == len(stream)
    assert codec.decode_frame(stream, offset) == (0, None)


def test_decode_protocol_header_of_another_version(codec):
    consumed, decoded = codec.decode_frame(h("414d5150 00 00 08 02"))
    assert consumed == 8
    assert (decoded.major, decoded.minor, decoded.revision) == (0, 8, 2)


def test_decoded_frames_are_independent_of_the_input_buffer(codec):
    buf = bytearray(BODY_FRAME + HEADER_FRAME)
    _, body = codec.decode_frame(buf)
    _, header = codec.decode_frame(memoryview(buf), len(BODY_FRAME))
    buf[:] = b"\x00" * len(buf)
    _check_body(body)
    _check_header(header)


# ---------------------------------------------------------------------------- encode


def test_marshal_method_frames(codec):
    assert codec.marshal_method_frame(1, spec.Basic.Ack(delivery_tag=7, multiple=True)) == ACK_FRAME
    assert codec.marshal_method_frame(
        0, spec.Connection.Tune(channel_max=2047, frame_max=131072, heartbeat=60)) == TUNE_FRAME
    assert codec.marshal_method_frame(
        5, spec.Basic.Publish(exchange="ex", routing_key="rk", mandatory=True)) == PUBLISH_FRAME


def test_marshal_method_frame_on_the_highest_channel(codec):
    wire = codec.marshal_method_frame(65535, spec.Channel.CloseOk())
    assert wire == h("01 ffff 00000004 00140029 ce")


def test_marshal_header_frames(codec):
    props = spec.BasicProperties(content_type="text/plain", delivery_mode=2)
    assert codec.marshal_header_frame(1, 5, props) == HEADER_FRAME
    assert codec.marshal_header_frame(2, 0, spec.BasicProperties()) == EMPTY_HEADER_FRAME


def test_marshal_header_frame_with_the_largest_body_size(codec):
    wire = codec.marshal_header_frame(1, 2**64 - 1, spec.BasicProperties())
    assert wire == h("02 0001 0000000e 003c 0000 ffffffffffffffff 0000 ce")


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_marshal_body_frames(codec, kind):
    assert codec.marshal_body_frame(1, kind(b"hello")) == BODY_FRAME
    assert codec.marshal_body_frame(1, kind(b"")) == EMPTY_BODY_FRAME


def test_heartbeat_frame_constant(codec):
    assert codec.HEARTBEAT_FRAME == HEARTBEAT_FRAME


@pytest.mark.parametrize("wire", [w for _, w, _ in FRAMES if w is not PROTOCOL_HEADER],
                         ids=[n for n, w, _ in FRAMES if w is not PROTOCOL_HEADER])
def test_decode_then_marshal_gives_the_same_bytes(codec, wire):
    _, decoded = codec.decode_frame(wire)
    if isinstance(decoded, frame.Method):
        again = codec.marshal_method_frame(decoded.channel_number, decoded.method)
    elif isinstance(decoded, frame.Header):
        again = codec.marshal_header_frame(decoded.channel_number, decoded.body_size,
                                           decoded.properties)
    elif isinstance(decoded, frame.Body):
        again = codec.marshal_body_frame(decoded.channel_number, decoded.fragment)
    else:
        again = codec.HEARTBEAT_FRAME
    assert again == wire


@pytest.mark.parametrize("method, error", [
    (spec.Basic.Ack(delivery_tag=-1), ValueError),
    (spec.Basic.Ack(delivery_tag=2**64), ValueError),
    (spec.Basic.Ack(delivery_tag="1"), TypeError),
    (spec.Basic.Qos(prefetch_count=65536), ValueError),
    (spec.Connection.Tune(frame_max=2**32), ValueError),
    (spec.Connection.Start(version_major=256), ValueError),
    (spec.Basic.Publish(exchange=None), TypeError),
    (spec.Basic.Publish(routing_key=5), TypeError),
    (spec.Queue.Declare(arguments=[1]), TypeError),
], ids=["longlong-negative", "longlong-overflow", "int-as-str", "short-overflow",
        "long-overflow", "octet-overflow", "shortstr-none", "shortstr-int", "table-list"])
def test_marshal_refuses_a_bad_argument(codec, method, error):
    with pytest.raises(error) as info:
        codec.marshal_method_frame(1, method)
    assert info.type is error


def test_marshal_refuses_a_short_string_over_255_bytes(codec):
    from pika_fast import exceptions

    assert codec.marshal_method_frame(1, spec.Basic.Publish(routing_key="r" * 255))
    with pytest.raises(exceptions.ShortStringTooLong):
        codec.marshal_method_frame(1, spec.Basic.Publish(routing_key="r" * 256))


def test_marshal_refuses_what_is_not_a_method(codec):
    with pytest.raises(TypeError):
        codec.marshal_method_frame(1, object())
    with pytest.raises(TypeError):
        codec.marshal_method_frame(1, spec.BasicProperties())


@pytest.mark.parametrize("channel", [-1, 65536])
def test_marshal_refuses_a_channel_number_out_of_range(codec, channel):
    ack = spec.Basic.Ack(delivery_tag=1)
    publish = spec.Basic.Publish(routing_key="q")
    for call in (lambda: codec.marshal_method_frame(channel, ack),
                 lambda: codec.marshal_header_frame(channel, 0, spec.BasicProperties()),
                 lambda: codec.marshal_body_frame(channel, b"x"),
                 lambda: codec.marshal_content(channel, publish, None, b"x", 4096),
                 lambda: codec.content_frame_buffers(channel, publish, None, b"x", 4096)):
        with pytest.raises(ValueError):
            call()


@pytest.mark.parametrize("body_size", [-1, 2**64])
def test_marshal_header_refuses_a_body_size_out_of_range(codec, body_size):
    with pytest.raises(ValueError):
        codec.marshal_header_frame(1, body_size, spec.BasicProperties())
