"""FrameReader: received bytes in, whole frames or whole messages out.

Streams are built with the pure twin's marshalling (checked against byte vectors in
test_codec_frames and test_codec_content), so a reader failure here is the reader's.
"""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pika_fast import _codec_py as builder
from pika_fast import exceptions, frame, spec

HEARTBEAT = bytes.fromhex("08 0000 00000000 ce")
PROTOCOL_HEADER = b"AMQP\x00\x00\x09\x01"


def deliver(tag, tag_prefix="ct"):
    return spec.Basic.Deliver(consumer_tag=f"{tag_prefix}{tag}", delivery_tag=tag,
                              redelivered=tag % 2 == 0, exchange="ex", routing_key=f"rk{tag}")


def props(tag):
    return spec.BasicProperties(content_type="application/octet-stream", delivery_mode=2,
                                message_id=str(tag), headers={"n": tag, "s": "x" * (tag % 5)})


def body_of(tag, size):
    return bytes((tag + i) % 256 for i in range(size))


def content(channel, method, properties, body, frame_max=131072):
    return builder.marshal_content(channel, method, properties, body, frame_max)


def canonical(unit):
    """A read_messages unit as plain data: body must be bytes, objects compare by vars."""
    channel, method, properties, body = unit
    return (
        channel,
        None if method is None else (type(method).__name__, vars(method)),
        None if properties is None else (type(properties).__name__, vars(properties)),
        None if body is None else (type(body).__name__, body),
    )


def expected_unit(channel, method, properties, body):
    return canonical((channel, method, properties, bytes(body)))


def read_all(reader):
    return [canonical(unit) for unit in reader.read_messages()]


# ------------------------------------------------------------------ streams of messages


def test_many_deliveries_in_one_feed(codec):
    sizes = [0, 1, 100, 1016, 1017, 3000, 5000] * 30
    stream = bytearray()
    expected = []
    for tag, size in enumerate(sizes, 1):
        body = body_of(tag, size)
        stream += content(1, deliver(tag), props(tag), body, frame_max=1024)
        expected.append(expected_unit(1, deliver(tag), props(tag), body))
    reader = codec.FrameReader(frame_max=1024)
    reader.feed(bytes(stream))
    assert read_all(reader) == expected
    assert reader.buffered == 0
    assert reader.read_messages() == []


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 8, 13, 100, 1024, 4099])
def test_deliveries_fed_in_chunks(codec, chunk):
    stream = bytearray()
    expected = []
    for tag in range(1, 16):
        body = body_of(tag, tag * 37)
        stream += content(tag % 3 + 1, deliver(tag), props(tag), body, frame_max=200)
        expected.append(expected_unit(tag % 3 + 1, deliver(tag), props(tag), body))
        stream += HEARTBEAT
        expected.append((0, None, None, None))
    reader = codec.FrameReader(frame_max=4096)
    got = []
    for start in range(0, len(stream), chunk):
        reader.feed(bytes(stream[start:start + chunk]))
        got.extend(read_all(reader))
    assert got == expected
    assert reader.buffered == 0


def test_byte_at_a_time_keeps_everything_buffered_until_complete(codec):
    wire = content(1, deliver(1), props(1), b"payload", frame_max=12)
    reader = codec.FrameReader()
    units = []
    for i in range(len(wire)):
        reader.feed(wire[i:i + 1])
        units.extend(reader.read_messages())
        if i < len(wire) - 1:
            assert units == []
    assert [canonical(u) for u in units] == [expected_unit(1, deliver(1), props(1), b"payload")]
    assert reader.buffered == 0


def test_interleaved_channels_complete_in_arrival_order(codec):
    m1, m2 = deliver(1), deliver(2)
    p1, p2 = props(1), props(2)
    frames = [
        builder.marshal_method_frame(1, m1),
        builder.marshal_method_frame(2, m2),
        builder.marshal_header_frame(1, 6, p1),
        builder.marshal_method_frame(0, spec.Connection.Blocked(reason="low memory")),
        builder.marshal_header_frame(2, 3, p2),
        builder.marshal_body_frame(1, b"abc"),
        HEARTBEAT,
        builder.marshal_body_frame(2, b"xyz"),
        builder.marshal_method_frame(3, spec.Basic.Ack(delivery_tag=9)),
        builder.marshal_body_frame(1, b"def"),
    ]
    reader = codec.FrameReader()
    reader.feed(b"".join(frames))
    assert read_all(reader) == [
        canonical((0, spec.Connection.Blocked(reason="low memory"), None, None)),
        (0, None, None, None),
        expected_unit(2, m2, p2, b"xyz"),
        canonical((3, spec.Basic.Ack(delivery_tag=9), None, None)),
        expected_unit(1, m1, p1, b"abcdef"),
    ]


def test_every_content_method_is_assembled(codec):
    methods = [
        spec.Basic.Deliver(consumer_tag="c", delivery_tag=1, exchange="", routing_key="q"),
        spec.Basic.GetOk(delivery_tag=2, exchange="", routing_key="q", message_count=0),
        spec.Basic.Return(reply_code=312, reply_text="NO_ROUTE", exchange="x",
                          routing_key="q"),
        spec.Basic.Publish(exchange="", routing_key="q"),
    ]
    reader = codec.FrameReader()
    for i, method in enumerate(methods):
        reader.feed(content(i + 1, method, spec.BasicProperties(), b"b" * i))
    assert read_all(reader) == [expected_unit(i + 1, m, spec.BasicProperties(), b"b" * i)
                                for i, m in enumerate(methods)]


def test_zero_size_body_completes_on_the_header(codec):
    wire = content(1, deliver(1), props(1), b"")
    assert wire.count(b"\x03\x00\x01") == 0  # no body frame was sent
    reader = codec.FrameReader()
    reader.feed(wire)
    units = reader.read_messages()
    assert [canonical(u) for u in units] == [expected_unit(1, deliver(1), props(1), b"")]
    assert type(units[0][3]) is bytes


def test_non_content_methods_heartbeats_and_protocol_header(codec):
    reader = codec.FrameReader()
    reader.feed(PROTOCOL_HEADER)
    reader.feed(builder.marshal_method_frame(0, spec.Connection.Tune(2047, 131072, 60)))
    reader.feed(HEARTBEAT)
    reader.feed(builder.marshal_method_frame(5, spec.Channel.CloseOk()))
    units = reader.read_messages()
    assert len(units) == 4
    channel, header, p, b = units[0]
    assert channel == 0 and type(header) is frame.ProtocolHeader and p is None and b is None
    assert (header.major, header.minor, header.revision) == (0, 9, 1)
    assert [canonical(u) for u in units[1:]] == [
        canonical((0, spec.Connection.Tune(2047, 131072, 60), None, None)),
        (0, None, None, None),
        canonical((5, spec.Channel.CloseOk(), None, None)),
    ]


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_random_interleavings_and_splits(codec, data):
    """Messages on several channels, frames interleaved across channels, fed in
    random pieces: each message comes out whole, when its last frame arrives."""
    frame_max = data.draw(st.integers(9, 300), label="frame_max")
    queues = {}
    for channel in range(1, data.draw(st.integers(1, 4)) + 1):
        queues[channel] = []
        for tag in range(data.draw(st.integers(0, 4))):
            body = data.draw(st.binary(max_size=400))
            method = deliver(tag, f"c{channel}-")
            frames = [builder.marshal_method_frame(channel, method),
                      builder.marshal_header_frame(channel, len(body), props(tag))]
            frames += [builder.marshal_body_frame(channel, body[i:i + frame_max - 8])
                       for i in range(0, len(body), frame_max - 8)]
            for i, wire in enumerate(frames):
                done = expected_unit(channel, method, props(tag), body) \
                    if i == len(frames) - 1 else None
                queues[channel].append((wire, done))
    stream = bytearray()
    expected = []
    while any(queues.values()):
        channel = data.draw(st.sampled_from(sorted(c for c, q in queues.items() if q)))
        wire, done = queues[channel].pop(0)
        stream += wire
        if done is not None:
            expected.append(done)
        if data.draw(st.booleans()):
            stream += HEARTBEAT
            expected.append((0, None, None, None))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=10)))
    reader = codec.FrameReader(frame_max=0)
    got = []
    for start, stop in zip([0] + cuts, cuts + [len(stream)]):
        reader.feed(bytes(stream[start:stop]))
        got.extend(read_all(reader))
    assert got == expected
    assert reader.buffered == 0


# ------------------------------------------------------------------ next_frame


def test_next_frame_yields_each_frame(codec):
    wire = (PROTOCOL_HEADER + content(1, deliver(1), props(1), b"hello!", frame_max=12)
            + HEARTBEAT)
    reader = codec.FrameReader()
    reader.feed(wire)
    kinds, fragments = [], []
    while True:
        item = reader.next_frame()
        if item is None:
            break
        kinds.append(type(item))
        if isinstance(item, frame.Body):
            assert type(item.fragment) is bytes
            fragments.append(item.fragment)
    assert kinds == [frame.ProtocolHeader, frame.Method, frame.Header, frame.Body, frame.Body,
                     frame.Heartbeat]
    assert fragments == [b"hell", b"o!"]
    assert reader.buffered == 0


def test_next_frame_decodes_like_decode_frame(codec):
    wire = content(7, deliver(3), props(3), b"0123456789", frame_max=13)
    reader = codec.FrameReader()
    reader.feed(wire)
    offset = 0
    while offset < len(wire):
        consumed, expected = codec.decode_frame(wire, offset)
        got = reader.next_frame()
        assert type(got) is type(expected) and vars(got) == vars(expected)
        offset += consumed
        assert reader.buffered == len(wire) - offset
    assert reader.next_frame() is None


def test_next_frame_waits_for_a_whole_frame(codec):
    wire = builder.marshal_method_frame(1, spec.Basic.Ack(delivery_tag=1))
    reader = codec.FrameReader()
    for i, byte in enumerate(wire[:-1]):
        reader.feed(bytes((byte,)))
        assert reader.next_frame() is None
        assert reader.buffered == i + 1
    reader.feed(wire[-1:])
    got = reader.next_frame()
    assert vars(got.method) == vars(spec.Basic.Ack(delivery_tag=1))


# ------------------------------------------------------------------ buffering


def test_buffered_counts_unconsumed_bytes(codec):
    ack = builder.marshal_method_frame(1, spec.Basic.Ack(delivery_tag=1))
    reader = codec.FrameReader()
    assert reader.buffered == 0
    reader.feed(ack + ack[:5])
    assert reader.buffered == len(ack) + 5
    assert len(reader.read_messages()) == 1
    assert reader.buffered == 5
    reader.feed(ack[5:])
    assert reader.buffered == len(ack)
    assert len(reader.read_messages()) == 1
    assert reader.buffered == 0


def test_partial_message_stays_buffered_or_held(codec):
    wire = content(1, deliver(1), props(1), b"x" * 50, frame_max=20)
    reader = codec.FrameReader()
    reader.feed(wire[:-3])
    assert reader.read_messages() == []
    reader.feed(wire[-3:])
    assert [canonical(u) for u in reader.read_messages()] == [
        expected_unit(1, deliver(1), props(1), b"x" * 50)]


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_feed_accepts_any_buffer_and_copies_it(codec, kind):
    """The caller reuses its receive buffer (recv_into), so feed must not keep a
    reference to it."""
    wire = content(1, deliver(1), props(1), b"abcdef", frame_max=10)
    half = len(wire) // 2
    reader = codec.FrameReader()
    for piece in (wire[:half], wire[half:]):
        received = bytearray(piece)
        reader.feed(bytes(received) if kind is bytes else kind(received))
        received[:] = b"\x00" * len(received)  # the next recv_into overwrites it
    assert [canonical(u) for u in reader.read_messages()] == [
        expected_unit(1, deliver(1), props(1), b"abcdef")]


def test_feed_of_a_whole_buffer_then_reuse(codec):
    wire = content(1, deliver(1), props(1), b"abcdef", frame_max=10)
    received = bytearray(wire)
    reader = codec.FrameReader()
    reader.feed(memoryview(received))
    received[:] = b"\xff" * len(received)
    assert [canonical(u) for u in reader.read_messages()] == [
        expected_unit(1, deliver(1), props(1), b"abcdef")]


def test_returned_bodies_survive_further_feeding(codec):
    reader = codec.FrameReader()
    reader.feed(content(1, deliver(1), props(1), b"first"))
    first = reader.read_messages()
    reader.feed(content(1, deliver(2), props(2), b"second"))
    second = reader.read_messages()
    assert first[0][3] == b"first" and second[0][3] == b"second"


# ------------------------------------------------------------------ frame_max


def test_oversize_frame_is_refused_from_its_header_alone(codec):
    reader = codec.FrameReader(frame_max=4096)
    reader.feed(bytes.fromhex("03 0001 00000ff9"))  # payload 4089 + 8 = 4097 > 4096
    with pytest.raises(exceptions.FrameTooLargeError) as info:
        reader.read_messages()
    assert (info.value.frame_size, info.value.frame_max) == (4097, 4096)
    with pytest.raises(exceptions.FrameTooLargeError):
        reader.next_frame()


def test_frame_of_exactly_frame_max_is_accepted(codec):
    body = b"z" * (4096 - 8)
    wire = content(1, deliver(1), props(1), body, frame_max=4096)
    reader = codec.FrameReader(frame_max=4096)
    reader.feed(wire)
    assert [canonical(u) for u in reader.read_messages()] == [
        expected_unit(1, deliver(1), props(1), body)]


def test_frame_max_zero_means_no_limit(codec):
    body = b"z" * 300_000
    reader = codec.FrameReader(frame_max=0)
    reader.feed(content(1, deliver(1), props(1), body, frame_max=1_000_000))
    assert reader.read_messages()[0][3] == body


def test_default_frame_max_is_pikas(codec):
    reader = codec.FrameReader()
    reader.feed(bytes.fromhex("03 0001") + (spec.FRAME_MAX_SIZE - 7).to_bytes(4, "big"))
    with pytest.raises(exceptions.FrameTooLargeError):
        reader.read_messages()


def test_frame_max_can_be_lowered_after_tune(codec):
    wire = content(1, deliver(1), props(1), b"q" * 2000, frame_max=4096)
    reader = codec.FrameReader()
    reader.feed(wire)
    assert len(reader.read_messages()) == 1
    reader.frame_max = 1024
    reader.feed(wire)
    with pytest.raises(exceptions.FrameTooLargeError):
        reader.read_messages()


def test_units_before_an_error_are_returned_first(codec):
    good = content(1, deliver(1), props(1), b"ok")
    bad = bytearray(builder.marshal_method_frame(1, spec.Basic.Ack(delivery_tag=1)))
    bad[-1] = 0x00  # frame-end octet
    reader = codec.FrameReader()
    reader.feed(good + bytes(bad))
    assert [canonical(u) for u in reader.read_messages()] == [
        expected_unit(1, deliver(1), props(1), b"ok")]
    assert reader.buffered == len(bad)
    with pytest.raises(exceptions.InvalidFrameError):
        reader.read_messages()
    with pytest.raises(exceptions.InvalidFrameError):
        reader.read_messages()
