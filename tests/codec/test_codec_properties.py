"""Arbitrary bytes into the decoders of both twins: the same result or the same
pika_fast exception class, never another exception type.

These are the fuzz targets of ``make fuzz`` (fuzz/common.py) driven by hypothesis in
the normal suite, plus what test_codec_badinput does not cover already: the property
decoder on its own, every method's argument decoder, and the frame reader at the
frame_max values a connection really uses with random split points. Round trips of
tables, values, methods, properties and content are in test_codec_tables,
test_codec_differential and test_codec_reader.
"""
import struct

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from fuzz import common
from pika_fast import _codec_py as reference
from pika_fast import exceptions, spec

METHOD_CLASSES = [spec.methods[index] for index in sorted(spec.methods)]


def _same(target, codec, data):
    """The fuzz target's outcome on ``codec`` equals the pure twin's (which only
    raises pika_fast exceptions: anything else escapes and fails the test)."""
    assert common.TARGETS[target](codec, data) == common.TARGETS[target](reference, data)


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=300))
@example(data=b"\xff\xff" * 8)  # every flag set, continuation words chained
@example(data=b"\x00\x01\x00\x00")  # a continuation word with nothing after it
@example(data=b"\x20\x00" + struct.pack(">I", 2**32 - 1))  # headers claiming 4 GiB
def test_properties_decoder(codec, data):
    _same("properties", codec, data)


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=200), offset=st.integers(0, 8))
def test_table_decoder(codec, data, offset):
    _same("table", codec, bytes((offset,)) + data)


@st.composite
def _frames(draw):
    """Frame-shaped bytes: plausible types and channels, honest or lying sizes."""
    pieces = []
    for _ in range(draw(st.integers(1, 6))):
        frame_type = draw(st.sampled_from([1, 2, 3, 8, 0, 9]))
        channel = draw(st.sampled_from([0, 1, 2, 5]))
        payload = draw(st.binary(max_size=40))
        if frame_type == 1 and draw(st.booleans()):
            payload = struct.pack(">I", draw(st.sampled_from(sorted(spec.methods)))) + payload
        size = len(payload)
        if draw(st.integers(0, 9)) == 0:
            size = draw(st.sampled_from([size + 1, 2**31, 2**32 - 1, 5000]))
        end = b"\xce" if draw(st.integers(0, 9)) else b"\x00"
        pieces.append(struct.pack(">BHI", frame_type, channel, size) + payload + end)
    return b"".join(pieces)


@settings(max_examples=300, deadline=None)
@given(control=st.integers(0, 255), data=st.one_of(_frames(), st.binary(max_size=200)))
@example(control=0, data=b"\x08\x00\x05\x00\x00\x00\x00\xce")  # heartbeat on channel 5
def test_frame_reader(codec, control, data):
    """read_messages with frame_max and split points from ``control``, next_frame and
    decode_frame, on frame-shaped and on random bytes."""
    _same("reader", codec, bytes((control,)) + data)


@pytest.mark.parametrize("cls", METHOD_CLASSES, ids=[c.NAME for c in METHOD_CLASSES])
@settings(max_examples=25, deadline=None)
@given(data=st.binary(max_size=80))
def test_method_argument_decoders(codec, cls, data):
    def decode(module):
        return module.decode_method_into(cls.__new__(cls), data)
    assert common.outcome(decode, codec) == common.outcome(decode, reference)


def test_heartbeat_on_a_channel_is_refused_by_the_reader(codec):
    """The spec allows heartbeats on channel 0 only (pika 1.4.4 accepts them anywhere;
    a hostile server's stray frame must not pass for liveness)."""
    reader = codec.FrameReader()
    reader.feed(b"\x08\x00\x00\x00\x00\x00\x00\xce" + b"\x08\x00\x05\x00\x00\x00\x00\xce")
    assert reader.read_messages() == [(0, None, None, None)]
    with pytest.raises(exceptions.InvalidFrameError) as info:
        reader.read_messages()
    assert type(info.value) is exceptions.InvalidFrameError
    assert "heartbeat on channel 5" in str(info.value)
