"""Field values and field tables against hand-written byte vectors.

The vectors come from the AMQP 0-9-1 spec as RabbitMQ reads it (the errata type
codes: t b B s u I i l f d D S x A T F V), written out in hex by hand. Every test
runs on both codec twins through the ``codec`` fixture.
"""
import math
import struct
from collections import OrderedDict
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pika_fast import exceptions

UTC = timezone.utc


def h(text):
    """Bytes from spaced hex, the way the vectors are written."""
    return bytes.fromhex(text)


def same(value, expected):
    """Equal, and of the same type (True == 1 and 1.0 == 1 would hide bugs)."""
    return type(value) is type(expected) and value == expected


# ------------------------------------------------------------------ decode, per type

DECODE_VECTORS = [
    # (id, wire bytes, value)
    ("t-true", "74 01", True),
    ("t-false", "74 00", False),
    ("t-nonzero-is-true", "74 02", True),
    ("b-int8", "62 ff", -1),
    ("b-int8-max", "62 7f", 127),
    ("B-uint8", "42 ff", 255),
    ("s-int16", "73 fffe", -2),
    ("s-int16-min", "73 8000", -32768),
    ("u-uint16", "75 fffe", 65534),
    ("I-int32", "49 fffffffe", -2),
    ("I-int32-max", "49 7fffffff", 2**31 - 1),
    ("i-uint32", "69 fffffffe", 2**32 - 2),
    ("l-int64", "6c fffffffffffffffe", -2),
    ("l-int64-max", "6c 7fffffffffffffff", 2**63 - 1),
    ("f-float", "66 3fc00000", 1.5),
    ("f-float-negative", "66 c0200000", -2.5),
    ("d-double", "64 400921fb54442d18", math.pi),
    ("d-double-tiny", "64 0000000000000001", 5e-324),
    ("D-decimal", "44 02 000004d2", Decimal("12.34")),
    ("D-decimal-negative", "44 01 fffffffb", Decimal("-0.5")),
    ("D-decimal-integral", "44 00 00000064", Decimal("100")),
    ("S-longstr", "53 00000005 68656c6c6f", "hello"),
    ("S-utf8", "53 00000002 c3a9", "\u00e9"),
    ("S-empty", "53 00000000", ""),
    ("S-not-utf8-stays-bytes", "53 00000002 ff fe", b"\xff\xfe"),
    ("x-bytes", "78 00000003 000102", b"\x00\x01\x02"),
    ("x-utf8-stays-bytes", "78 00000002 6869", b"hi"),
    ("A-array", "41 0000000a 49 00000001 53 00000000", [1, ""]),
    ("A-empty", "41 00000000", []),
    ("A-nested", "41 00000007 41 00000002 74 01", [[True]]),
    ("T-timestamp", "54 000000003b9aca00", datetime(2001, 9, 9, 1, 46, 40, tzinfo=UTC)),
    ("T-epoch", "54 0000000000000000", datetime(1970, 1, 1, tzinfo=UTC)),
    ("F-table", "46 00000004 01 6b 74 01", {"k": True}),
    ("F-empty", "46 00000000", {}),
    ("V-void", "56", None),
    # pika's legacy codes, still read the way pika reads them
    ("U-legacy-int16", "55 fffe", -2),
    ("L-legacy-int64", "4c fffffffffffffffe", -2),
]


@pytest.mark.parametrize("wire, expected",
                         [(h(w), v) for _, w, v in DECODE_VECTORS],
                         ids=[i for i, _, _ in DECODE_VECTORS])
def test_decode_value(codec, wire, expected):
    value, offset = codec.decode_value(wire)
    assert offset == len(wire)
    assert same(value, expected)


@pytest.mark.parametrize("wire, expected",
                         [(h(w), v) for _, w, v in DECODE_VECTORS],
                         ids=[i for i, _, _ in DECODE_VECTORS])
def test_decode_value_at_an_offset_inside_a_buffer(codec, wire, expected):
    value, offset = codec.decode_value(b"\xaa\xbb" + wire + b"\xcc", 2)
    assert offset == 2 + len(wire)
    assert same(value, expected)


def test_decoded_timestamp_is_aware_utc(codec):
    value, _ = codec.decode_value(h("54 000000003b9aca00"))
    assert value.utcoffset() == timedelta(0)
    assert value.timestamp() == 1_000_000_000


def test_decoded_decimal_keeps_its_exponent(codec):
    assert str(codec.decode_value(h("44 02 000004d2"))[0]) == "12.34"
    assert str(codec.decode_value(h("44 03 00000000"))[0]) == "0.000"
    assert str(codec.decode_value(h("44 02 00000064"))[0]) == "1.00"


def test_decode_float_special_values(codec):
    assert math.isnan(codec.decode_value(h("64 7ff8000000000000"))[0])
    assert codec.decode_value(h("66 7f800000"))[0] == math.inf
    negative_zero = codec.decode_value(h("64 8000000000000000"))[0]
    assert negative_zero == 0.0 and math.copysign(1, negative_zero) == -1


def test_decode_table_with_every_type(codec):
    entries = [
        ("01 74", "74 01", True), ("01 62", "62 80", -128), ("01 42", "42 80", 128),
        ("01 73", "73 ffff", -1), ("01 75", "75 ffff", 65535),
        ("01 49", "49 80000000", -2**31), ("01 69", "69 80000000", 2**31),
        ("01 6c", "6c 8000000000000000", -2**63), ("01 66", "66 3f800000", 1.0),
        ("01 64", "64 bff0000000000000", -1.0), ("01 44", "44 01 0000000f", Decimal("1.5")),
        ("01 53", "53 00000001 7a", "z"), ("01 78", "78 00000001 7a", b"z"),
        ("01 41", "41 00000002 74 00", [False]),
        ("01 54", "54 0000000000000001", datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC)),
        ("01 46", "46 00000000", {}), ("01 56", "56", None),
    ]
    body = b"".join(h(k) + h(v) for k, v, _ in entries)
    wire = struct.pack(">I", len(body)) + body
    table, offset = codec.decode_table(wire)
    assert offset == len(wire)
    expected = {h(k)[1:].decode(): value for k, _, value in entries}
    assert list(table) == list(expected)
    for key, value in expected.items():
        assert same(table[key], value), key


def test_decode_table_keys(codec):
    wire = h("0000000b 03 6b6579 56 02 ff00 56 00 56")
    table, offset = codec.decode_table(wire)
    assert offset == len(wire)
    assert list(table.items()) == [("key", None), (b"\xff\x00", None), ("", None)]


def test_decode_table_at_an_offset(codec):
    wire = h("00000007 01 61 49 00000001")
    table, offset = codec.decode_table(b"\x00\x00\x00" + wire + b"\xff", 3)
    assert table == {"a": 1}
    assert offset == 3 + len(wire)


def test_decode_empty_table(codec):
    assert codec.decode_table(h("00000000")) == ({}, 4)


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_decode_accepts_any_buffer(codec, kind):
    wire = h("0000000f 01 61 53 00000001 62 01 63 78 00000000")
    table, offset = codec.decode_table(kind(wire))
    assert table == {"a": "b", "c": b""}
    assert type(table["a"]) is str and type(table["c"]) is bytes
    assert offset == len(wire)
    assert codec.decode_value(kind(h("78 00000002 0102")))[0] == b"\x01\x02"
    assert type(codec.decode_value(kind(h("78 00000002 0102")))[0]) is bytes


# ------------------------------------------------------------------ encode, per type


class _Str(str):
    pass


class _Bytes(bytes):
    pass


class _Int(int):
    pass


ENCODE_VECTORS = [
    # (id, value, wire)
    ("str-is-S", "hello", "53 00000005 68656c6c6f"),
    ("str-utf8", "\u00e9", "53 00000002 c3a9"),
    ("str-empty", "", "53 00000000"),
    ("str-subclass", _Str("ab"), "53 00000002 6162"),
    ("bytes-is-x", b"\x00\xff", "78 00000002 00ff"),
    ("bytes-subclass", _Bytes(b"ab"), "78 00000002 6162"),
    ("bytearray-is-x", bytearray(b"ab"), "78 00000002 6162"),
    ("true-is-t", True, "74 01"),
    ("false-is-t", False, "74 00"),
    ("int-is-I", 5, "49 00000005"),
    ("int-zero", 0, "49 00000000"),
    ("int-negative", -1, "49 ffffffff"),
    ("int32-max-is-I", 2**31 - 1, "49 7fffffff"),
    ("int32-min-is-I", -2**31, "49 80000000"),
    ("above-int32-is-l", 2**31, "6c 0000000080000000"),
    ("below-int32-is-l", -2**31 - 1, "6c ffffffff7fffffff"),
    ("int64-max-is-l", 2**63 - 1, "6c 7fffffffffffffff"),
    ("int64-min-is-l", -2**63, "6c 8000000000000000"),
    ("int-subclass", _Int(7), "49 00000007"),
    ("float-is-d", 1.5, "64 3ff8000000000000"),
    ("float-negative", -2.0, "64 c000000000000000"),
    ("decimal-is-D", Decimal("12.34"), "44 02 000004d2"),
    ("decimal-negative", Decimal("-0.5"), "44 01 fffffffb"),
    ("decimal-integral", Decimal("100"), "44 00 00000064"),
    ("decimal-normalized", Decimal("1.500"), "44 01 0000000f"),
    ("decimal-positive-exponent", Decimal("1E+3"), "44 00 000003e8"),
    ("datetime-aware-is-T", datetime(2001, 9, 9, 1, 46, 40, tzinfo=UTC), "54 000000003b9aca00"),
    ("datetime-naive-is-utc", datetime(2001, 9, 9, 1, 46, 40), "54 000000003b9aca00"),
    ("datetime-other-zone", datetime(2001, 9, 9, 3, 46, 40, tzinfo=timezone(timedelta(hours=2))),
     "54 000000003b9aca00"),
    ("datetime-drops-microseconds", datetime(1970, 1, 1, 0, 0, 1, 999999, tzinfo=UTC),
     "54 0000000000000001"),
    ("dict-is-F", {"a": 1}, "46 00000007 01 61 49 00000001"),
    ("dict-empty", {}, "46 00000000"),
    ("ordered-dict", OrderedDict([("b", None), ("a", None)]), "46 00000006 01 62 56 01 61 56"),
    ("list-is-A", [1, "a"], "41 0000000b 49 00000001 53 00000001 61"),
    ("list-empty", [], "41 00000000"),
    ("none-is-V", None, "56"),
]


@pytest.mark.parametrize("value, wire", [(v, h(w)) for _, v, w in ENCODE_VECTORS],
                         ids=[i for i, _, _ in ENCODE_VECTORS])
def test_encode_value(codec, value, wire):
    encoded = codec.encode_value(value)
    assert type(encoded) is bytes
    assert encoded == wire


@pytest.mark.parametrize("value", [object(), (1, 2), {1, 2}, 1j, 2**63, -2**63 - 1,
                                   Decimal("NaN"), Decimal("Infinity"),
                                   Decimal(2**31), Decimal("1E-256")],
                         ids=["object", "tuple", "set", "complex", "int64-overflow",
                              "int64-underflow", "decimal-nan", "decimal-inf",
                              "decimal-raw-overflow", "decimal-too-many-places"])
def test_encode_unsupported_value(codec, value):
    with pytest.raises(exceptions.UnsupportedAMQPFieldException) as info:
        codec.encode_value(value)
    assert info.type is exceptions.UnsupportedAMQPFieldException
    with pytest.raises(exceptions.UnsupportedAMQPFieldException):
        codec.encode_table({"k": value})


def test_str_enum_encodes_its_value(codec):
    """A ``(str, Enum)`` member such as pika's own ExchangeType is a str: its bytes are
    its value, as in pika. ``str(member)`` is ``'ExchangeType.topic'`` on Python 3.11+."""
    from pika_fast.exchange_type import ExchangeType

    assert codec.encode_value(ExchangeType.topic) == h("53 00000005 746f706963")
    assert codec.encode_table({"type": ExchangeType.topic}) == codec.encode_table(
        {"type": "topic"})


def test_pre_epoch_datetime_is_unsupported(codec):
    """The timestamp is unsigned: like an int or Decimal that does not fit its wire
    type, a datetime before 1970 is an UnsupportedAMQPFieldException."""
    with pytest.raises(exceptions.UnsupportedAMQPFieldException):
        codec.encode_value(datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC))


def test_encode_table_vectors(codec):
    assert codec.encode_table(None) == h("00000000")
    assert codec.encode_table({}) == h("00000000")
    assert codec.encode_table({"a": 1, "b": "x"}) == h(
        "0000000f 01 61 49 00000001 01 62 53 00000001 78")
    assert codec.encode_table({"x-max-length": 10}) == h(
        "00000012 0c 782d6d61782d6c656e677468 49 0000000a")
    # keys may be bytes; insertion order is kept
    assert codec.encode_table({b"z": None, "y": True}) == h("00000007 01 7a 56 01 79 74 01")
    assert codec.encode_table({"\u00e9": None}) == h("00000004 02 c3a9 56")


def test_encode_table_key_of_255_bytes_is_the_limit(codec):
    key = "k" * 255
    assert codec.encode_table({key: None}) == struct.pack(">IB", 257, 255) + key.encode() + b"V"
    with pytest.raises(exceptions.ShortStringTooLong):
        codec.encode_table({"k" * 256: None})
    with pytest.raises(exceptions.ShortStringTooLong):
        codec.encode_table({"\u00e9" * 128: None})  # 128 characters, 256 bytes


def test_encode_table_refuses_a_non_dict(codec):
    with pytest.raises(TypeError):
        codec.encode_table([("a", 1)])


def test_encode_large_values(codec):
    text = "\u20ac" * 100_000
    assert codec.encode_value(text) == b"S" + struct.pack(">I", 300_000) + text.encode()
    blob = bytes(range(256)) * 1000
    assert codec.encode_value(blob) == b"x" + struct.pack(">I", len(blob)) + blob


# ------------------------------------------------------------------ nesting limits


def _nested_tables(levels):
    """A table with ``levels`` tables nested inside it (key 'a' at each level)."""
    value = {}
    for _ in range(levels):
        value = {"a": value}
    return value


def _nested_table_bytes(levels):
    wire = h("00000000")
    for _ in range(levels):
        entry = b"\x01aF" + wire
        wire = struct.pack(">I", len(entry)) + entry
    return wire


def test_nesting_up_to_the_limit_round_trips(codec):
    depth = codec.MAX_NESTING_DEPTH
    encoded = codec.encode_table(_nested_tables(depth))
    assert encoded == _nested_table_bytes(depth)
    assert codec.decode_table(encoded) == (_nested_tables(depth), len(encoded))
    value = []
    for _ in range(depth - 1):
        value = [value]
    # a table holding `depth` nested arrays
    assert codec.decode_table(codec.encode_table({"k": value}))[0] == {"k": value}


def test_encode_nesting_past_the_limit_is_refused(codec):
    depth = codec.MAX_NESTING_DEPTH
    with pytest.raises(ValueError):
        codec.encode_table(_nested_tables(depth + 1))
    value = []
    for _ in range(depth):
        value = [value]
    with pytest.raises(ValueError):
        codec.encode_table({"k": value})


def test_encode_self_referencing_table_is_refused(codec):
    table = {}
    table["self"] = table
    with pytest.raises(ValueError):
        codec.encode_table(table)
    array = []
    array.append(array)
    with pytest.raises(ValueError):
        codec.encode_value(array)


# ------------------------------------------------------------------ round trips

def _wire_decimal(raw, places):
    """A Decimal in the form the wire gives back: normalized, and never with a
    positive exponent (the decimals octet is unsigned)."""
    value = Decimal(raw).scaleb(-places).normalize()
    return Decimal(int(value)) if value.as_tuple().exponent > 0 else value


_keys = st.text(max_size=12)
_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2**63, 2**63 - 1),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.binary(max_size=20),
    st.builds(_wire_decimal, st.integers(-2**31, 2**31 - 1), st.integers(0, 12)),
    st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(9999, 12, 31),
                 timezones=st.just(UTC)).map(lambda d: d.replace(microsecond=0)),
)
_values = st.recursive(
    _leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=4),
    max_leaves=20,
)
_tables = st.dictionaries(_keys, _values, max_size=6)


def _typed(value):
    """The value with every leaf tagged by its type, for strict comparison."""
    if isinstance(value, dict):
        return ("dict", [(_typed(k), _typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [_typed(v) for v in value])
    if isinstance(value, float):
        return ("float", value.hex())
    if isinstance(value, Decimal):
        return ("Decimal", value.as_tuple())
    return (type(value).__name__, value)


@settings(max_examples=200, deadline=None)
@given(table=_tables)
def test_table_round_trip(codec, table):
    encoded = codec.encode_table(table)
    decoded, offset = codec.decode_table(encoded)
    assert offset == len(encoded)
    assert _typed(decoded) == _typed(table)


@settings(max_examples=200, deadline=None)
@given(value=_values)
def test_value_round_trip(codec, value):
    encoded = codec.encode_value(value)
    decoded, offset = codec.decode_value(b"\x00" + encoded, 1)
    assert offset == 1 + len(encoded)
    assert _typed(decoded) == _typed(value)


@settings(max_examples=100, deadline=None)
@given(table=_tables)
def test_table_encoding_is_deterministic_across_twins(codec, table):
    from pika_fast import _codec_py

    assert codec.encode_table(table) == _codec_py.encode_table(table)
