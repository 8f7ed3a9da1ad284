"""pika's public codec surface, through the seam: pika_fast.data, pika_fast.frame and
pika_fast.spec used the way code written for pika uses pika.data, pika.frame and
pika.spec. These tests run on whichever backend is active (run the suite twice)."""
import inspect
from datetime import datetime, timezone
from decimal import Decimal
from enum import Enum

import pika.data
import pika.frame
import pika.spec
import pytest

import pika_fast
from pika_fast import data, exceptions, frame, spec

SAMPLE_TABLE = {
    "s": "text", "b": b"\x00\xff", "t": True, "f": False, "i": 7, "n": -2**40,
    "D": Decimal("-12.5"), "T": datetime(2020, 2, 29, 12, 0, tzinfo=timezone.utc),
    "F": {"nested": [1, "two", {"three": None}]}, "A": [], "V": None,
}


def canon(value):
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):
        return ("int", int(value))
    if isinstance(value, Enum):
        return ("enum", type(value).__name__, value.value)
    if isinstance(value, dict):
        return ("dict", [(canon(k), canon(v)) for k, v in value.items()])
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [canon(v) for v in value])
    if hasattr(value, "__dict__") and not isinstance(value, type):
        return (type(value).__name__, canon(vars(value)))
    return (type(value).__name__, value)


# ------------------------------------------------------------------ pika_fast.data


def test_encode_table_appends_and_returns_the_size():
    pieces, theirs = [b"before"], [b"before"]
    size = data.encode_table(pieces, SAMPLE_TABLE)
    assert size == pika.data.encode_table(theirs, SAMPLE_TABLE)
    assert pieces[0] == b"before"
    assert b"".join(pieces) == b"".join(theirs)
    assert size == len(b"".join(pieces)) - len(b"before")


def test_encode_table_of_none_is_empty():
    pieces = []
    assert data.encode_table(pieces, None) == 4
    assert b"".join(pieces) == b"\x00\x00\x00\x00"


def test_decode_table_at_an_offset():
    pieces = [b"xyz"]
    data.encode_table(pieces, SAMPLE_TABLE)
    wire = b"".join(pieces) + b"trailing"
    ours = data.decode_table(wire, 3)
    assert canon(ours) == canon(pika.data.decode_table(wire, 3))
    assert ours[1] == len(wire) - len(b"trailing")


def test_encode_and_decode_value():
    for value in ("s", b"b", True, 5, 2**40, Decimal("1.5"), None, [1], {"k": "v"}):
        pieces, theirs = [], []
        assert data.encode_value(pieces, value) == pika.data.encode_value(theirs, value)
        assert pieces and b"".join(pieces) == b"".join(theirs)
        wire = b"\x00" + b"".join(pieces)
        assert canon(data.decode_value(wire, 1)) == canon(pika.data.decode_value(wire, 1))


def test_short_strings_like_pika():
    for value in ("", "queue", "\u00e9t\u00e9", b"\xff", "x" * 255):
        pieces, theirs = [], []
        assert data.encode_short_string(pieces, value) == pika.data.encode_short_string(
            theirs, value)
        assert b"".join(pieces) == b"".join(theirs)
        wire = b"!" + b"".join(pieces)
        assert data.decode_short_string(wire, 1) == pika.data.decode_short_string(wire, 1)
    with pytest.raises(exceptions.ShortStringTooLong):
        data.encode_short_string([], "x" * 256)


def test_decode_short_string_past_the_end_is_an_invalid_frame():
    with pytest.raises(exceptions.InvalidFrameError):
        data.decode_short_string(b"\x05abc", 0)


# ------------------------------------------------------------------ pika_fast.frame

DELIVER = dict(consumer_tag="ctag", delivery_tag=42, redelivered=True, exchange="ex",
               routing_key="rk")
PROPS = dict(content_type="application/json", headers={"x": 1}, delivery_mode=2,
             timestamp=1_700_000_000)


def _frames():
    """(ours, pika's) pairs of equivalent frame objects."""
    return [
        (frame.Method(1, spec.Basic.Deliver(**DELIVER)),
         pika.frame.Method(1, pika.spec.Basic.Deliver(**DELIVER))),
        (frame.Header(1, 10, spec.BasicProperties(**PROPS)),
         pika.frame.Header(1, 10, pika.spec.BasicProperties(**PROPS))),
        (frame.Body(1, b"0123456789"), pika.frame.Body(1, b"0123456789")),
        (frame.Heartbeat(), pika.frame.Heartbeat()),
        (frame.ProtocolHeader(), pika.frame.ProtocolHeader()),
    ]


@pytest.mark.parametrize("ours, theirs", _frames(),
                         ids=["method", "header", "body", "heartbeat", "protocol-header"])
def test_frame_marshal_like_pika(ours, theirs):
    assert ours.marshal() == theirs.marshal()
    assert canon(ours) == canon(theirs)
    assert ours.NAME == theirs.NAME


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
@pytest.mark.parametrize("ours, theirs", _frames(),
                         ids=["method", "header", "body", "heartbeat", "protocol-header"])
def test_decode_frame_like_pika(ours, theirs, kind):
    wire = theirs.marshal()
    consumed, decoded = frame.decode_frame(kind(wire))
    assert (consumed, canon(decoded)) == (len(wire), canon(pika.frame.decode_frame(wire)[1]))
    consumed, decoded = frame.decode_frame(kind(b"\x00\x00" + wire + b"\x00"), 2)
    assert (consumed, canon(decoded)) == (len(wire), canon(ours))
    assert frame.decode_frame(kind(wire[:-1])) == (0, None)


def test_decode_frame_returns_public_frame_classes():
    wire = pika.frame.Method(1, pika.spec.Basic.Ack(delivery_tag=1)).marshal()
    _, decoded = frame.decode_frame(wire)
    assert type(decoded) is frame.Method and isinstance(decoded, frame.Frame)
    assert type(decoded.method) is spec.Basic.Ack


def test_body_marshal_accepts_memoryview():
    assert frame.Body(3, memoryview(b"abc")).marshal() == pika.frame.Body(3, b"abc").marshal()


# ------------------------------------------------------------------ ContentFrameAssembler


def _message_frames(body, chunk=4):
    method = frame.Method(1, spec.Basic.Deliver(**DELIVER))
    header = frame.Header(1, len(body), spec.BasicProperties(**PROPS))
    bodies = [frame.Body(1, body[i:i + chunk]) for i in range(0, len(body), chunk)]
    return method, header, bodies


@pytest.mark.parametrize("body", [b"", b"abc", b"0123456789"])
def test_assembler_returns_the_message(body):
    assembler = frame.ContentFrameAssembler()
    for _ in range(2):  # reusable after each message
        method, header, bodies = _message_frames(body)
        assert assembler.process(method) is None
        result = assembler.process(header)
        for piece in bodies:
            assert result is None
            result = assembler.process(piece)
        assert result == (method, header, body)
        assert type(result[2]) is bytes


def test_assembler_refuses_a_body_too_long():
    method, header, _ = _message_frames(b"abc")
    assembler = frame.ContentFrameAssembler()
    assembler.process(method)
    assembler.process(header)
    with pytest.raises(exceptions.BodyTooLongError):
        assembler.process(frame.Body(1, b"abcd"))


@pytest.mark.parametrize("first", [
    frame.Method(1, spec.Basic.Ack()), frame.Header(1, 1, spec.BasicProperties()),
    frame.Body(1, b"x"), frame.Heartbeat()], ids=["non-content-method", "header", "body",
                                                  "heartbeat"])
def test_assembler_refuses_a_frame_out_of_sequence(first):
    with pytest.raises(exceptions.UnexpectedFrameError):
        frame.ContentFrameAssembler().process(first)


# ------------------------------------------------------------------ pika_fast.spec


def test_same_methods_as_pika():
    assert sorted(spec.methods) == sorted(pika.spec.methods)
    assert sorted(spec.props) == sorted(pika.spec.props)
    assert spec.props[60] is spec.BasicProperties


def _instance(cls):
    params = inspect.signature(cls.__init__).parameters
    required = {name: "x" for name, p in params.items()
                if name != "self" and p.default is inspect.Parameter.empty}
    return cls(**required)


@pytest.mark.parametrize("index", sorted(pika.spec.methods),
                         ids=[pika.spec.methods[i].NAME for i in sorted(pika.spec.methods)])
def test_method_class_like_pika(index):
    ours, theirs = spec.methods[index], pika.spec.methods[index]
    assert ours.__qualname__ == theirs.__qualname__
    assert (ours.NAME, ours.INDEX) == (theirs.NAME, theirs.INDEX)
    assert _instance(ours).synchronous == _instance(theirs).synchronous
    our_params = inspect.signature(ours.__init__).parameters
    their_params = inspect.signature(theirs.__init__).parameters
    assert list(our_params) == list(their_params)
    for name, param in their_params.items():
        assert canon(our_params[name].default) == canon(param.default), name
        assert our_params[name].kind == param.kind, name
    assert canon(_instance(ours)) == canon(_instance(theirs))
    class_name = ours.NAME.split(".")[0]
    assert getattr(spec, class_name).INDEX == getattr(pika.spec, class_name).INDEX
    assert getattr(spec, class_name).NAME == getattr(pika.spec, class_name).NAME
    assert spec.has_content(index) == pika.spec.has_content(index)


def test_has_content():
    content = {index for index in spec.methods if spec.has_content(index)}
    assert content == {spec.Basic.Publish.INDEX, spec.Basic.Return.INDEX,
                       spec.Basic.Deliver.INDEX, spec.Basic.GetOk.INDEX}
    assert not spec.has_content(0) and not spec.has_content(60)


def test_constants_like_pika():
    names = [name for name in vars(pika.spec) if name.isupper()]
    assert "FRAME_MAX_SIZE" in names and "PROTOCOL_VERSION" in names
    for name in names:
        assert getattr(spec, name) == getattr(pika.spec, name), name


def test_basic_properties_like_pika():
    flags = [name for name in vars(pika.spec.BasicProperties) if name.startswith("FLAG_")]
    assert len(flags) == 14
    for name in flags:
        assert getattr(spec.BasicProperties, name) == getattr(pika.spec.BasicProperties, name)
    assert (spec.BasicProperties.NAME, spec.BasicProperties.INDEX) == (
        pika.spec.BasicProperties.NAME, pika.spec.BasicProperties.INDEX)
    assert spec.BasicProperties.CLASS is spec.Basic
    assert list(inspect.signature(spec.BasicProperties.__init__).parameters) == list(
        inspect.signature(pika.spec.BasicProperties.__init__).parameters)
    assert canon(spec.BasicProperties()) == canon(pika.spec.BasicProperties())
    assert pika_fast.BasicProperties is spec.BasicProperties


def test_method_encode_and_decode_like_pika():
    ours, theirs = spec.Basic.Deliver(**DELIVER), pika.spec.Basic.Deliver(**DELIVER)
    encoded = ours.encode()
    assert isinstance(encoded, list) and all(isinstance(p, bytes) for p in encoded)
    assert b"".join(encoded) == b"".join(theirs.encode())
    wire = b"\x00" + b"".join(encoded)
    decoded = spec.Basic.Deliver()
    assert decoded.decode(wire, 1) is decoded
    assert canon(decoded) == canon(pika.spec.Basic.Deliver().decode(wire, 1))


def test_properties_encode_and_decode_like_pika():
    ours, theirs = spec.BasicProperties(**PROPS), pika.spec.BasicProperties(**PROPS)
    assert b"".join(ours.encode()) == b"".join(theirs.encode())
    wire = b"".join(theirs.encode())
    decoded = spec.BasicProperties()
    assert decoded.decode(wire) is decoded
    assert canon(decoded) == canon(pika.spec.BasicProperties().decode(wire))


def test_methods_carry_content_like_pika():
    method = spec.Basic.Deliver(**DELIVER)
    props = spec.BasicProperties(**PROPS)
    method._set_content(props, b"body")
    assert method.get_properties() is props and method.get_body() == b"body"


def test_codec_backend_is_reported():
    assert pika_fast.codec_backend() in ("cython", "python")
