"""Content marshalling: one message as its method, header and body frames.

Body frames carry at most ``frame_max - 8`` bytes (7-byte frame header and the
frame-end octet); an empty body has no body frame at all.
"""
import array

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pika_fast import spec

PUBLISH = spec.Basic.Publish(exchange="", routing_key="q")
PROPS = spec.BasicProperties(content_type="text/plain", delivery_mode=2)


def h(text):
    return bytes.fromhex(text)


# Basic.Publish(exchange="", routing_key="q") on channel 1, no properties, b"hello",
# frame_max 11: body frames of at most 3 bytes.
GOLDEN_METHOD = h("01 0001 0000000a 003c0028 0000 00 01 71 00 ce")
GOLDEN_HEADER = h("02 0001 0000000e 003c 0000 0000000000000005 0000 ce")
GOLDEN_BODIES = h("03 0001 00000003 68656c ce") + h("03 0001 00000002 6c6f ce")


def frames_of(codec, wire):
    out, offset = [], 0
    while offset < len(wire):
        consumed, decoded = codec.decode_frame(wire, offset)
        assert consumed, "marshalled content ends in a partial frame"
        out.append((decoded, wire[offset:offset + consumed]))
        offset += consumed
    return out


def separate(codec, method, properties, body, frame_max, channel=1):
    """The message built frame by frame with the single-frame marshallers."""
    data = body.encode() if isinstance(body, str) else bytes(body)
    chunk = frame_max - 8
    return b"".join(
        [codec.marshal_method_frame(channel, method),
         codec.marshal_header_frame(channel, len(data), properties or spec.BasicProperties())]
        + [codec.marshal_body_frame(channel, data[i:i + chunk])
           for i in range(0, len(data), chunk)])


def test_golden_content(codec):
    wire = codec.marshal_content(1, PUBLISH, spec.BasicProperties(), b"hello", 11)
    assert type(wire) is bytes
    assert wire == GOLDEN_METHOD + GOLDEN_HEADER + GOLDEN_BODIES


def test_none_properties_means_empty_properties(codec):
    assert codec.marshal_content(1, PUBLISH, None, b"hello", 11) == (
        GOLDEN_METHOD + GOLDEN_HEADER + GOLDEN_BODIES)


def test_empty_body_has_no_body_frame(codec):
    wire = codec.marshal_content(1, PUBLISH, None, b"", 11)
    assert wire == GOLDEN_METHOD + h("02 0001 0000000e 003c 0000 0000000000000000 0000 ce")


@pytest.mark.parametrize("size", [0, 1, 2, 3, 4, 5, 6, 7, 100, 4088, 4089, 8176, 8177])
def test_split_at_frame_max(codec, size):
    frame_max = 4096 if size >= 100 else 11
    chunk = frame_max - 8
    body = bytes(i % 251 for i in range(size))
    wire = codec.marshal_content(2, PUBLISH, PROPS, body, frame_max)
    assert wire == separate(codec, PUBLISH, PROPS, body, frame_max, channel=2)
    frames = frames_of(codec, wire)
    bodies = [raw for decoded, raw in frames[2:]]
    assert len(bodies) == -(-size // chunk)
    assert all(len(raw) == frame_max for raw in bodies[:-1])
    assert all(len(raw) <= frame_max for raw in bodies)
    assert b"".join(decoded.fragment for decoded, _ in frames[2:]) == body
    assert frames[1][0].body_size == size


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview, "str", "memoryview-slice",
                                  "memoryview-of-ints", "array", "strided-memoryview"])
def test_body_types(codec, kind):
    raw = bytes(range(256)) * 3
    if kind == "array":
        body = array.array("B", raw)
    elif kind == "strided-memoryview":
        body = memoryview(bytes(2 * len(raw)))[::2]
        raw = bytes(len(raw))
    elif kind == "str":
        body, raw = "h\u00e9llo w\u00f6rld " * 40, ("h\u00e9llo w\u00f6rld " * 40).encode()
    elif kind == "memoryview-slice":
        body = memoryview(b"\x00" * 7 + raw + b"\x00" * 5)[7:-5]
    elif kind == "memoryview-of-ints":
        body = memoryview(array.array("I", range(192)))
        raw = body.tobytes()
    else:
        body = kind(raw)
    wire = codec.marshal_content(1, PUBLISH, PROPS, body, 100)
    assert wire == codec.marshal_content(1, PUBLISH, PROPS, raw, 100)
    assert wire == separate(codec, PUBLISH, PROPS, raw, 100)


@pytest.mark.parametrize("body", [None, 5, [b"a"], object()], ids=["none", "int", "list", "object"])
def test_bad_body_type(codec, body):
    with pytest.raises(TypeError):
        codec.marshal_content(1, PUBLISH, PROPS, body, 4096)
    with pytest.raises(TypeError):
        codec.content_frame_buffers(1, PUBLISH, PROPS, body, 4096)


@pytest.mark.parametrize("frame_max", [8, 0, -1])
def test_frame_max_without_room_for_a_payload(codec, frame_max):
    with pytest.raises(ValueError):
        codec.marshal_content(1, PUBLISH, PROPS, b"x", frame_max)
    with pytest.raises(ValueError):
        codec.marshal_content_into(bytearray(), 1, PUBLISH, PROPS, b"x", frame_max)
    with pytest.raises(ValueError):
        codec.content_frame_buffers(1, PUBLISH, PROPS, b"x", frame_max)


def test_smallest_frame_max_gives_one_byte_per_frame(codec):
    wire = codec.marshal_content(1, PUBLISH, PROPS, b"abc", 9)
    assert len(frames_of(codec, wire)) == 2 + 3


def test_every_content_method(codec):
    for method in (spec.Basic.Deliver(consumer_tag="c", delivery_tag=1, exchange="",
                                      routing_key="q"),
                   spec.Basic.GetOk(delivery_tag=1, exchange="", routing_key="q",
                                    message_count=0),
                   spec.Basic.Return(reply_code=312, reply_text="", exchange="",
                                     routing_key="q")):
        assert codec.marshal_content(3, method, PROPS, b"xyz", 4096) == separate(
            codec, method, PROPS, b"xyz", 4096, channel=3)


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=3000), frame_max=st.integers(9, 1200),
       channel=st.integers(0, 65535))
def test_content_is_its_frames(codec, body, frame_max, channel):
    wire = codec.marshal_content(channel, PUBLISH, PROPS, body, frame_max)
    assert wire == separate(codec, PUBLISH, PROPS, body, frame_max, channel=channel)
    out = bytearray(b"prefix")
    assert codec.marshal_content_into(out, channel, PUBLISH, PROPS, body, frame_max) is None
    assert out == b"prefix" + wire
    buffers = codec.content_frame_buffers(channel, PUBLISH, PROPS, body, frame_max)
    assert b"".join(buffers) == wire


# ------------------------------------------------------------------ marshal_content_into


def test_marshal_content_into_appends(codec):
    out = bytearray()
    codec.marshal_content_into(out, 1, PUBLISH, None, b"hello", 11)
    assert out == GOLDEN_METHOD + GOLDEN_HEADER + GOLDEN_BODIES
    codec.marshal_content_into(out, 2, PUBLISH, PROPS, memoryview(b"hi"), 4096)
    assert out == (GOLDEN_METHOD + GOLDEN_HEADER + GOLDEN_BODIES
                   + codec.marshal_content(2, PUBLISH, PROPS, b"hi", 4096))


def test_marshal_content_into_leaves_out_untouched_on_error(codec):
    out = bytearray(b"keep")
    with pytest.raises(ValueError):
        codec.marshal_content_into(out, 1, spec.Basic.Publish(routing_key="q"),
                                   spec.BasicProperties(priority=999), b"x", 4096)
    assert out == b"keep"


# ------------------------------------------------------------------ content_frame_buffers


def _body_views(buffers, base):
    """The buffers that are zero-copy views of ``base`` (or ``base`` itself)."""
    shared = []
    for piece in buffers:
        if piece is base:
            shared.append(piece)
        elif isinstance(piece, memoryview) and piece.obj is base:
            shared.append(piece)
    return shared


@pytest.mark.parametrize("size", [5, 100_000])
@pytest.mark.parametrize("kind", ["bytes", "bytearray", "memoryview"])
def test_content_frame_buffers_do_not_copy_the_body(codec, kind, size):
    base = bytes(range(256)) * (size // 256) + bytes(size % 256)
    if kind == "bytearray":
        base = bytearray(base)
    body = memoryview(base) if kind == "memoryview" else base
    buffers = codec.content_frame_buffers(1, PUBLISH, PROPS, body, 4096)
    assert b"".join(buffers) == codec.marshal_content(1, PUBLISH, PROPS, bytes(base), 4096)
    shared = _body_views(buffers, base)
    assert sum(len(piece) for piece in shared) == size
    assert all(isinstance(piece, memoryview) or piece is base for piece in shared)


def test_content_frame_buffers_see_later_changes_to_a_bytearray(codec):
    body = bytearray(b"a" * 10_000)
    buffers = codec.content_frame_buffers(1, PUBLISH, PROPS, body, 4096)
    body[:] = b"b" * len(body)
    joined = b"".join(buffers)
    assert joined.count(b"b") == 10_000 and b"a" * 10 not in joined


def test_content_frame_buffers_are_bytes_like(codec):
    buffers = codec.content_frame_buffers(1, PUBLISH, PROPS, "text body", 4096)
    assert all(isinstance(piece, (bytes, memoryview)) for piece in buffers)
    assert b"".join(buffers) == codec.marshal_content(1, PUBLISH, PROPS, b"text body", 4096)
    empty = codec.content_frame_buffers(1, PUBLISH, PROPS, b"", 4096)
    assert b"".join(empty) == codec.marshal_content(1, PUBLISH, PROPS, b"", 4096)
