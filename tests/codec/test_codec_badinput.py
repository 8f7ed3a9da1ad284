"""Malformed and hostile input: both twins raise the same pika_fast exception class,
never crash, and never let a bare struct.error, IndexError or KeyError escape.

The fuzz tests compare each twin with the pure-Python one (the reference) on random
and corrupted bytes: both succeed with equal results, or both raise the same class.
"""
import struct
from datetime import datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pika_fast import _codec_py as reference
from pika_fast import exceptions, frame, spec
from tests.support.canonical import canon


def h(text):
    return bytes.fromhex(text)


def u32(n):
    return struct.pack(">I", n)


def method_frame(channel, payload):
    return bytes((1,)) + struct.pack(">HI", channel, len(payload)) + payload + b"\xce"


def header_frame(channel, body_size, property_bytes, class_id=60):
    payload = struct.pack(">HHQ", class_id, 0, body_size) + property_bytes
    return bytes((2,)) + struct.pack(">HI", channel, len(payload)) + payload + b"\xce"


def body_frame(channel, fragment):
    return bytes((3,)) + struct.pack(">HI", channel, len(fragment)) + fragment + b"\xce"


ACK = h("01 0001 0000000d 003c0050 0000000000000007 01 ce")
HEARTBEAT = h("08 0000 00000000 ce")
DELIVER = spec.Basic.Deliver(consumer_tag="ct", delivery_tag=1, exchange="ex", routing_key="rk")
DELIVER_FRAME = reference.marshal_method_frame(1, DELIVER)


def raises_exactly(error, func, *args):
    with pytest.raises(error) as info:
        func(*args)
    assert info.type is error, f"{info.type.__name__} raised, {error.__name__} expected"
    return info.value


def drain(reader):
    """All units until the reader wants more data, and the error it stopped on."""
    units = []
    try:
        while True:
            batch = reader.read_messages()
            if not batch:
                return units, None
            units.extend(batch)
    except exceptions.AMQPError as exc:
        return units, type(exc)


# ------------------------------------------------------------------ truncated data

VALID = {
    "method": ACK,
    "header": reference.marshal_header_frame(1, 5, spec.BasicProperties(
        content_type="text/plain", headers={"a": [1, "b"]})),
    "body": body_frame(1, b"hello"),
    "heartbeat": HEARTBEAT,
    "protocol-header": b"AMQP\x00\x00\x09\x01",
}


@pytest.mark.parametrize("wire", list(VALID.values()), ids=list(VALID))
def test_every_prefix_waits_for_more(codec, wire):
    for cut in range(len(wire)):
        prefix = wire[:cut]
        assert codec.decode_frame(prefix) == (0, None)
        assert codec.decode_frame(b"\xff\xff" + prefix, 2) == (0, None)
        reader = codec.FrameReader()
        reader.feed(prefix)
        assert reader.read_messages() == []
        assert reader.buffered == cut
        assert reader.next_frame() is None
        assert reader.buffered == cut


def test_reader_keeps_a_partial_frame_after_whole_ones(codec):
    reader = codec.FrameReader()
    reader.feed(ACK + ACK[:9])
    assert len(reader.read_messages()) == 1
    assert reader.buffered == 9
    assert reader.read_messages() == []
    reader.feed(ACK[9:])
    assert len(reader.read_messages()) == 1


# ------------------------------------------------------------------ framing errors


@pytest.mark.parametrize("end", [0x00, 0xcd, 0xcf, 0xff])
def test_bad_frame_end(codec, end):
    wire = ACK[:-1] + bytes((end,))
    raises_exactly(exceptions.InvalidFrameError, codec.decode_frame, wire)
    reader = codec.FrameReader()
    reader.feed(wire)
    raises_exactly(exceptions.InvalidFrameError, reader.read_messages)
    raises_exactly(exceptions.InvalidFrameError, reader.next_frame)


@pytest.mark.parametrize("frame_type", [0, 4, 5, 7, 9, 65, 206, 255])
def test_unknown_frame_type(codec, frame_type):
    wire = bytes((frame_type,)) + ACK[1:]
    raises_exactly(exceptions.InvalidFrameError, codec.decode_frame, wire)
    reader = codec.FrameReader()
    reader.feed(wire)
    raises_exactly(exceptions.InvalidFrameError, reader.read_messages)
    raises_exactly(exceptions.InvalidFrameError, reader.next_frame)


@pytest.mark.parametrize("index", [0x003C00FF, 0x00FF000A, 0x000A0000, 0, 0xFFFFFFFF])
def test_unknown_method_id(codec, index):
    wire = method_frame(1, u32(index) + b"\x00" * 16)
    raises_exactly(exceptions.InvalidFrameError, codec.decode_frame, wire)
    reader = codec.FrameReader()
    reader.feed(wire)
    raises_exactly(exceptions.InvalidFrameError, reader.read_messages)


@pytest.mark.parametrize("payload", [b"", b"\x00", b"\x00\x3c\x00"])
def test_method_frame_too_short_for_a_method_id(codec, payload):
    wire = method_frame(1, payload)
    raises_exactly(exceptions.InvalidFrameError, codec.decode_frame, wire)
    reader = codec.FrameReader()
    reader.feed(wire)
    raises_exactly(exceptions.InvalidFrameError, reader.read_messages)


def test_method_arguments_running_past_the_payload(codec):
    good = reference.encode_method_args(DELIVER)
    for cut in range(len(good)):
        wire = method_frame(1, u32(DELIVER.INDEX) + good[:cut])
        raises_exactly(exceptions.InvalidFrameError, codec.decode_frame, wire)
        target = spec.Basic.Deliver()
        raises_exactly(exceptions.InvalidFrameError, codec.decode_method_into, target,
                       good[:cut])


@pytest.mark.parametrize("size", [0, 1, 11])
def test_header_frame_too_short(codec, size):
    payload = h("003c 0000 0000000000000005")[:size]
    wire = bytes((2,)) + struct.pack(">HI", 1, len(payload)) + payload + b"\xce"
    raises_exactly(exceptions.InvalidFrameError, codec.decode_frame, wire)


def test_header_of_an_unknown_class(codec):
    wire = header_frame(1, 0, b"\x00\x00", class_id=50)
    raises_exactly(exceptions.InvalidFrameError, codec.decode_frame, wire)


def test_frame_larger_than_frame_max_is_refused_before_its_payload(codec):
    reader = codec.FrameReader(frame_max=131072)
    reader.feed(h("01 0001") + u32(131072 - 7))  # 131065 + 8 = 131073
    error = raises_exactly(exceptions.FrameTooLargeError, reader.read_messages)
    assert (error.frame_size, error.frame_max) == (131073, 131072)
    assert isinstance(error, exceptions.InvalidFrameError)
    reader = codec.FrameReader(frame_max=4096)
    reader.feed(h("03 0001 ffffffff"))
    raises_exactly(exceptions.FrameTooLargeError, reader.next_frame)


# ------------------------------------------------------------------ field table errors


@pytest.mark.parametrize("kind", [b"Z", b"N", b"\x00", b"\xff", b"a", b"c", b"e", b"z"])
def test_unknown_field_type(codec, kind):
    error = raises_exactly(exceptions.InvalidFieldTypeException, codec.decode_value,
                           kind + b"\x00" * 8)
    assert error.args[0] == kind
    table = u32(3) + b"\x01k" + kind
    raises_exactly(exceptions.InvalidFieldTypeException, codec.decode_table, table)
    array = b"A" + u32(1) + kind
    raises_exactly(exceptions.InvalidFieldTypeException, codec.decode_value, array)
    start = spec.Connection.Start(server_properties={}, mechanisms="PLAIN", locales="en_US")
    args = bytearray(reference.encode_method_args(start))
    args[2:6] = u32(3)
    args[6:6] = b"\x01k" + kind
    wire = method_frame(0, u32(start.INDEX) + bytes(args))
    raises_exactly(exceptions.InvalidFieldTypeException, codec.decode_frame, wire)


@pytest.mark.parametrize("seconds", [2**64 - 1, 2**63, 253402300800],
                         ids=["u64-max", "i64-overflow", "year-10000"])
def test_out_of_range_timestamp(codec, seconds):
    wire = b"T" + struct.pack(">Q", seconds)
    raises_exactly(exceptions.InvalidFrameError, codec.decode_value, wire)
    raises_exactly(exceptions.InvalidFrameError, codec.decode_table, u32(11) + b"\x01t" + wire)


def test_largest_valid_timestamp(codec):
    value, _ = codec.decode_value(b"T" + struct.pack(">Q", 253402300799))
    assert value.year == 9999


@pytest.mark.parametrize("wire", [
    "53 00000006 68656c6c6f",        # S: 6 announced, 5 present
    "78 ffffffff 00",                # x
    "41 00000010 49 00000001",       # A: length past the end
    "46 00000010 01 6b 56",          # F: length past the end
    "41 00000003 49 000000",         # A: int32 cut by the array's own length
    "46 00000004 01 6b 49 00",       # F: int32 cut by the table's own length
    "46 00000003 05 6b6b",           # F: key length past the table
    "53 0000",                       # S: length itself cut
    "49 000000",                     # I cut
    "6c 00000000000000",             # l cut
    "64 00000000000000",             # d cut
    "66 000000",                     # f cut
    "44 02 0000",                    # D cut
    "54 00000000",                   # T cut
    "74",                            # t cut
    "62", "42", "73 00", "75 00", "69 000000",
    "",                              # nothing at all
], ids=lambda w: w or "empty")
def test_value_running_past_the_end(codec, wire):
    raises_exactly(exceptions.InvalidFrameError, codec.decode_value, h(wire))


@pytest.mark.parametrize("wire", ["", "000000", "00000001", "00000005 01 6b 56",
                                  "00000003 09 6b 56"])
def test_table_running_past_the_end(codec, wire):
    raises_exactly(exceptions.InvalidFrameError, codec.decode_table, h(wire))


def test_decode_at_an_offset_past_the_end(codec):
    raises_exactly(exceptions.InvalidFrameError, codec.decode_value, b"V", 1)
    raises_exactly(exceptions.InvalidFrameError, codec.decode_table, h("00000000"), 4)


@pytest.mark.parametrize("call", [
    lambda c: c.decode_frame(ACK, -1),
    lambda c: c.decode_table(h("00000000"), -1),
    lambda c: c.decode_value(b"V", -1),
    lambda c: c.decode_method_into(spec.Basic.Ack(), h("0000000000000001 00"), -1),
    lambda c: c.decode_properties_into(spec.BasicProperties(), h("0000"), -1),
], ids=["decode_frame", "decode_table", "decode_value", "decode_method_into",
        "decode_properties_into"])
def test_negative_offset_is_refused(codec, call):
    with pytest.raises(ValueError) as info:
        call(codec)
    assert info.type is ValueError


def _nested(levels, opener):
    """A table holding ``levels`` nested containers; opener is b"F" or b"A"."""
    entry = (b"\x01k" if opener == b"F" else b"") + opener
    sizes = [4]  # sizes[k]: bytes of the k-th container from the inside, length included
    for _ in range(levels - 1):
        sizes.append(4 + len(entry) + sizes[-1])
    pieces = [u32(size - 4) + entry for size in reversed(sizes[1:])]
    top = u32(3 + sizes[-1]) + b"\x01k" + opener
    return b"".join([top] + pieces + [u32(0)])


@pytest.mark.parametrize("opener", [b"F", b"A"], ids=["tables", "arrays"])
def test_nesting_100_deep_is_refused(codec, opener):
    wire = _nested(100, opener)
    raises_exactly(exceptions.InvalidFrameError, codec.decode_table, wire)
    header = header_frame(1, 0, b"\x20\x00" + wire)
    raises_exactly(exceptions.InvalidFrameError, codec.decode_frame, header)


@pytest.mark.parametrize("opener", [b"F", b"A"], ids=["tables", "arrays"])
def test_nesting_at_the_limit_is_accepted(codec, opener):
    wire = _nested(codec.MAX_NESTING_DEPTH, opener)
    assert codec.decode_table(wire)[1] == len(wire)
    raises_exactly(exceptions.InvalidFrameError, codec.decode_table,
                   _nested(codec.MAX_NESTING_DEPTH + 1, opener))


def test_nesting_100_000_deep_does_not_overflow_the_stack(codec):
    wire = _nested(100_000, b"A")
    raises_exactly(exceptions.InvalidFrameError, codec.decode_table, wire)


# ------------------------------------------------------------------ content sequence


def _reader_with(codec, *frames):
    reader = codec.FrameReader()
    reader.feed(b"".join(frames))
    return reader


def test_body_without_header(codec):
    reader = _reader_with(codec, body_frame(1, b"x"))
    raises_exactly(exceptions.UnexpectedFrameError, reader.read_messages)
    reader = _reader_with(codec, DELIVER_FRAME, body_frame(1, b"x"))
    raises_exactly(exceptions.UnexpectedFrameError, reader.read_messages)


def test_header_without_content_method(codec):
    reader = _reader_with(codec, header_frame(1, 0, b"\x00\x00"))
    raises_exactly(exceptions.UnexpectedFrameError, reader.read_messages)
    reader = _reader_with(codec, ACK, header_frame(1, 0, b"\x00\x00"))
    assert len(reader.read_messages()) == 1
    raises_exactly(exceptions.UnexpectedFrameError, reader.read_messages)


def test_second_header(codec):
    reader = _reader_with(codec, DELIVER_FRAME, header_frame(1, 5, b"\x00\x00"),
                          header_frame(1, 5, b"\x00\x00"))
    raises_exactly(exceptions.UnexpectedFrameError, reader.read_messages)


def test_method_while_content_is_expected(codec):
    reader = _reader_with(codec, DELIVER_FRAME, ACK)
    raises_exactly(exceptions.UnexpectedFrameError, reader.read_messages)
    reader = _reader_with(codec, DELIVER_FRAME, header_frame(1, 5, b"\x00\x00"), ACK)
    raises_exactly(exceptions.UnexpectedFrameError, reader.read_messages)


def test_body_longer_than_announced(codec):
    reader = _reader_with(codec, DELIVER_FRAME, header_frame(1, 3, b"\x00\x00"),
                          body_frame(1, b"abcd"))
    error = raises_exactly(exceptions.BodyTooLongError, reader.read_messages)
    assert error.args == (4, 3)
    reader = _reader_with(codec, DELIVER_FRAME, header_frame(1, 3, b"\x00\x00"),
                          body_frame(1, b"ab"), body_frame(1, b"cd"))
    error = raises_exactly(exceptions.BodyTooLongError, reader.read_messages)
    assert error.args == (4, 3)


def test_content_on_another_channel_is_independent(codec):
    reader = _reader_with(codec, DELIVER_FRAME, method_frame(2, ACK[7:-1]),
                          header_frame(1, 1, b"\x00\x00"), body_frame(1, b"z"))
    units = reader.read_messages()
    assert [(u[0], type(u[1]).__name__, u[3]) for u in units] == [(2, "Ack", None),
                                                                 (1, "Deliver", b"z")]


# ------------------------------------------------------------------ bad content header (#1698)

BAD_HEADERS = {
    "unknown-field-type": (b"\x20\x00" + u32(3) + b"\x01kZ", exceptions.InvalidFieldTypeException),
    "timestamp-out-of-range": (b"\x20\x00" + u32(11) + b"\x01kT" + b"\xff" * 8,
                               exceptions.InvalidFrameError),
    "string-past-end": (b"\x80\x00\x09abc", exceptions.InvalidFrameError),
    "table-past-end": (b"\x20\x00" + u32(99) + b"\x01kV", exceptions.InvalidFrameError),
    "flags-cut": (b"\x80", exceptions.InvalidFrameError),
}


@pytest.mark.parametrize("size", [0, 5, 300], ids=["empty-body", "one-frame", "many-frames"])
@pytest.mark.parametrize("properties, cause", list(BAD_HEADERS.values()), ids=list(BAD_HEADERS))
def test_bad_content_header_fails_only_its_message(codec, properties, cause, size):
    """pika issue #1698: a header that cannot be decoded used to kill the connection.
    The frames are intact, so only that message fails; the stream goes on."""
    body = bytes(i % 256 for i in range(size))
    stream = [DELIVER_FRAME, header_frame(1, size, properties)]
    stream += [body_frame(1, body[i:i + 100]) for i in range(0, size, 100)]
    after = reference.marshal_content(1, spec.Basic.Deliver(consumer_tag="ct", delivery_tag=2,
                                                            exchange="", routing_key="q"),
                                      spec.BasicProperties(headers={"ok": True}), b"next", 4096)
    reader = codec.FrameReader()
    reader.feed(b"".join(stream) + after + ACK)
    units = reader.read_messages()
    assert len(units) == 3
    channel, method, error, got_body = units[0]
    assert channel == 1
    assert vars(method) == vars(DELIVER)
    assert type(error) is exceptions.MessageDecodeError
    assert type(error.cause) is cause
    assert error.channel_number == 1 and vars(error.method) == vars(DELIVER)
    assert got_body == body and error.body == body
    assert str(error)  # renders without raising
    channel, method, properties, got_body = units[1]
    assert (channel, method.delivery_tag, properties.headers, got_body) == (
        1, 2, {"ok": True}, b"next")
    assert type(units[2][1]) is spec.Basic.Ack
    assert reader.buffered == 0


@pytest.mark.parametrize("properties, cause", list(BAD_HEADERS.values()), ids=list(BAD_HEADERS))
def test_bad_content_header_raises_from_decode_frame(codec, properties, cause):
    raises_exactly(cause, codec.decode_frame, header_frame(1, 0, properties))


# ------------------------------------------------------------------ fuzz


def _outcome(func, *args):
    try:
        return "ok", canon(func(*args))
    except exceptions.AMQPError as exc:
        return "raised", type(exc).__name__


def _reader_outcome(module, data, frame_max, pieces):
    reader = module.FrameReader(frame_max=frame_max)
    units, error = [], None
    step = max(1, len(data) // pieces)
    for start in range(0, len(data) or 1, step):
        reader.feed(data[start:start + step])
        got, error = drain(reader)
        units.extend(got)
        if error:
            break
    return canon(units), error and error.__name__, reader.buffered


def _frames_outcome(module, data):
    reader = module.FrameReader(frame_max=0)
    reader.feed(data)
    frames = []
    try:
        while True:
            item = reader.next_frame()
            if item is None:
                return canon(frames), None, reader.buffered
            frames.append(item)
    except exceptions.AMQPError as exc:
        return canon(frames), type(exc).__name__, reader.buffered


def _same_as_reference(codec, data):
    for func in ("decode_frame", "decode_table", "decode_value"):
        for offset in (0, 1):
            assert _outcome(getattr(codec, func), data, offset) == \
                _outcome(getattr(reference, func), data, offset), func
    for frame_max in (0, 64):
        assert _reader_outcome(codec, data, frame_max, 3) == \
            _reader_outcome(reference, data, frame_max, 3)
    assert _frames_outcome(codec, data) == _frames_outcome(reference, data)


def _table_with_every_type():
    return reference.encode_table({
        "s": "str", "x": b"\x00\x01", "t": True, "i": -5, "l": 2**40, "d": 2.5,
        "D": Decimal("1.25"), "T": datetime(2020, 1, 1), "F": {"n": {"m": None}},
        "A": [1, "a", [b"b"], {"k": False}], "V": None})


def _corpus():
    every_type = _table_with_every_type()
    extras = h("00000017 01 62 62 ff 01 42 42 ff 01 73 73 ffff 01 75 75 ffff 01 69 69 ffffffff")
    start = spec.Connection.Start(server_properties={"capabilities": {"basic.nack": True},
                                                     "product": "RabbitMQ"})
    deliver_stream = (
        reference.marshal_content(1, DELIVER, spec.BasicProperties(
            content_type="application/json", headers={"h": [1, 2.5, "x"]}, priority=3,
            timestamp=1_600_000_000, message_id="m"), b"0123456789" * 5, 20)
        + HEARTBEAT
        + reference.marshal_content(2, DELIVER, None, b"", 4096)
        + ACK)
    return [
        b"AMQP\x00\x00\x09\x01",
        ACK,
        HEARTBEAT,
        reference.marshal_method_frame(0, start),
        reference.marshal_method_frame(1, spec.Queue.Declare(queue="q", arguments={
            "x-args": every_type[4:]})),
        header_frame(1, 10, b"\x20\x00" + every_type),
        header_frame(1, 10, b"\x20\x00" + extras),
        deliver_stream,
        every_type,
        b"F" + every_type,
    ]


CORPUS = _corpus()


@st.composite
def corrupted(draw):
    data = bytearray(draw(st.sampled_from(CORPUS)))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["set", "xor", "truncate", "insert", "delete", "lengthen"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "set" and data:
            data[pos] = draw(st.integers(0, 255))
        elif op == "xor" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "truncate":
            del data[pos:]
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[pos:pos + draw(st.integers(1, 8))]
        elif op == "lengthen" and len(data) >= pos + 4:
            # bump a would-be length field, the likeliest way to confuse a parser
            value = int.from_bytes(data[pos:pos + 4], "big")
            data[pos:pos + 4] = ((value + draw(st.integers(1, 300))) % 2**32).to_bytes(4, "big")
    return bytes(data)


def test_corpus_is_valid():
    for wire in CORPUS:
        assert _same_as_reference(reference, wire) is None


@settings(max_examples=300, deadline=None)
@given(data=corrupted())
def test_corrupted_input_same_outcome_as_reference(codec, data):
    _same_as_reference(codec, data)


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=200))
def test_random_bytes_same_outcome_as_reference(codec, data):
    _same_as_reference(codec, data)


@settings(max_examples=200, deadline=None)
@given(head=st.sampled_from([b"\x01", b"\x02", b"\x03", b"\x08", b"F", b"A", b"S"]),
       data=st.binary(max_size=120))
def test_random_payloads_same_outcome_as_reference(codec, head, data):
    """Random bytes behind a plausible frame or value start, with a right frame end."""
    _same_as_reference(codec, head + b"\x00\x01" + u32(len(data)) + data + b"\xce")
    _same_as_reference(codec, head + u32(len(data)) + data)
    _same_as_reference(codec, method_frame(1, u32(DELIVER.INDEX) + data))
    _same_as_reference(codec, header_frame(1, 0, data))


def test_frame_objects_are_pika_fast_frames(codec):
    _, decoded = codec.decode_frame(ACK)
    assert isinstance(decoded, frame.Frame)
