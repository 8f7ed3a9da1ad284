"""Differential tests against pika 1.4.4, the codec pika_fast replaces.

For generated methods, properties, tables and messages, both twins must produce
pika's bytes, and decoding pika's bytes must give what pika's decoder gives. Where
pika_fast deliberately differs, a named test below pins pika's behaviour and ours.
"""
import inspect
import struct
from datetime import datetime, timezone
from decimal import Decimal

import pika.data
import pika.exceptions
import pika.frame
import pika.spec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pika_fast import exceptions, spec
from tests.support.canonical import canon as shared_canon

UTC = timezone.utc

# The AMQP domain of every method argument, by name (names are unique per domain
# across the whole 0-9-1 spec).
WIRE_TYPES = {
    "bit": {"active", "auto_delete", "durable", "exclusive", "global_qos", "if_empty",
            "if_unused", "immediate", "insist", "internal", "mandatory", "multiple", "no_ack",
            "no_local", "nowait", "passive", "read", "redelivered", "requeue", "write"},
    "octet": {"version_major", "version_minor"},
    "short": {"channel_max", "class_id", "heartbeat", "method_id", "prefetch_count",
              "reply_code", "ticket"},
    "long": {"consumer_count", "frame_max", "message_count", "prefetch_size"},
    "longlong": {"delivery_tag"},
    "shortstr": {"capabilities", "cluster_id", "consumer_tag", "destination", "exchange",
                 "known_hosts", "locale", "mechanism", "out_of_band", "queue", "realm",
                 "reason", "reply_text", "routing_key", "source", "type", "virtual_host"},
    "longstr": {"challenge", "channel_id", "locales", "mechanisms", "new_secret", "response"},
    "table": {"arguments", "client_properties", "server_properties"},
}
WIRE_OF = {name: wire for wire, names in WIRE_TYPES.items() for name in names}

METHODS = [spec.methods[index] for index in sorted(spec.methods)]
METHOD_IDS = [cls.NAME for cls in METHODS]


def canon(value):
    """Strict: anything but plain decoded data in a result is a test failure."""
    return shared_canon(value, strict=True)


def pika_twin(obj):
    """pika's object of the same class, built from the same attributes."""
    if isinstance(obj, spec.BasicProperties):
        return pika.spec.BasicProperties(**vars(obj))
    return pika.spec.methods[obj.INDEX](**vars(obj))


# ------------------------------------------------------------------ strategies

_shortstr = st.one_of(st.text(max_size=20), st.text(max_size=63), st.binary(max_size=255))
_longstr = st.one_of(st.text(max_size=100), st.binary(max_size=300))
_keys = st.one_of(st.text(max_size=15), st.binary(max_size=20))


def _pika_decimal(raw, places):
    return Decimal(raw).scaleb(-places)


# Values pika 1.4.4 can encode too: no float, no bytearray.
_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2**63, 2**63 - 1),
    st.integers(-2**31, 2**31 - 1),
    st.text(max_size=30),
    st.binary(max_size=30),
    st.builds(_pika_decimal, st.integers(-2**31 + 1, 2**31 - 1), st.integers(0, 12)),
    st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(9999, 12, 30),
                 timezones=st.sampled_from([None, UTC])),
)
_values = st.recursive(
    _leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=4),
    max_leaves=16,
)
_tables = st.dictionaries(_keys, _values, max_size=6)

_BY_WIRE = {
    "bit": st.booleans(),
    "octet": st.integers(0, 2**8 - 1),
    "short": st.integers(0, 2**16 - 1),
    "long": st.integers(0, 2**32 - 1),
    "longlong": st.integers(0, 2**64 - 1),
    "shortstr": _shortstr,
    "longstr": _longstr,
    "table": st.one_of(st.none(), _tables),
}


def method_args(cls):
    names = list(inspect.signature(cls.__init__).parameters)[1:]
    return st.fixed_dictionaries({name: _BY_WIRE[WIRE_OF[name]] for name in names})


PROPERTY_WIRE = {
    "content_type": "shortstr", "content_encoding": "shortstr", "headers": "table",
    "delivery_mode": "octet", "priority": "octet", "correlation_id": "shortstr",
    "reply_to": "shortstr", "expiration": "shortstr", "message_id": "shortstr",
    "timestamp": "longlong", "type": "shortstr", "user_id": "shortstr", "app_id": "shortstr",
    "cluster_id": "shortstr",
}
_properties = st.fixed_dictionaries(
    {}, optional={name: (_tables if wire == "table" else _BY_WIRE[wire])
                  for name, wire in PROPERTY_WIRE.items()})


def _wire_table(children):
    return st.lists(st.tuples(st.binary(max_size=12), children), max_size=5).map(
        lambda items: struct.pack(">I", sum(1 + len(k) + len(v) for k, v in items))
        + b"".join(bytes((len(k),)) + k + v for k, v in items))


def _prefixed(code, payload):
    return payload.map(lambda raw: code + raw)


# Field values straight from the wire, every type code pika reads except the floats
# (pika truncates those; see the named test below).
_wire_leaves = st.one_of(
    _prefixed(b"t", st.binary(min_size=1, max_size=1)),
    _prefixed(b"b", st.binary(min_size=1, max_size=1)),
    _prefixed(b"B", st.binary(min_size=1, max_size=1)),
    _prefixed(b"s", st.binary(min_size=2, max_size=2)),
    _prefixed(b"U", st.binary(min_size=2, max_size=2)),
    _prefixed(b"u", st.binary(min_size=2, max_size=2)),
    _prefixed(b"I", st.binary(min_size=4, max_size=4)),
    _prefixed(b"i", st.binary(min_size=4, max_size=4)),
    _prefixed(b"l", st.binary(min_size=8, max_size=8)),
    _prefixed(b"L", st.binary(min_size=8, max_size=8)),
    _prefixed(b"D", st.binary(min_size=5, max_size=5)),
    _prefixed(b"T", st.integers(0, 253402300799).map(lambda s: struct.pack(">Q", s))),
    _prefixed(b"S", st.binary(max_size=20).map(lambda b: struct.pack(">I", len(b)) + b)),
    _prefixed(b"S", st.text(max_size=20).map(
        lambda t: struct.pack(">I", len(t.encode())) + t.encode())),
    _prefixed(b"x", st.binary(max_size=20).map(lambda b: struct.pack(">I", len(b)) + b)),
    st.just(b"V"),
)
_wire_values = st.recursive(
    _wire_leaves,
    lambda inner: (_prefixed(b"A", st.lists(inner, max_size=4).map(
        lambda items: struct.pack(">I", sum(map(len, items))) + b"".join(items)))
        | _prefixed(b"F", _wire_table(inner))),
    max_leaves=16,
)
_wire_tables = _wire_table(_wire_values)


# ------------------------------------------------------------------ methods


def test_every_method_argument_has_a_wire_type():
    for cls in METHODS:
        for name in list(inspect.signature(cls.__init__).parameters)[1:]:
            assert name in WIRE_OF, f"{cls.NAME}.{name}"


def _check_method(codec, method, channel):
    theirs = pika_twin(method)
    wire = pika.frame.Method(channel, theirs).marshal()
    assert codec.marshal_method_frame(channel, method) == wire
    assert codec.encode_method_args(method) == b"".join(theirs.encode())
    if isinstance(method, spec.Connection.UpdateSecret):
        return  # pika cannot decode it: test_update_secret_decodes_new_secret
    consumed, decoded = codec.decode_frame(wire)
    pika_consumed, pika_decoded = pika.frame.decode_frame(wire)
    assert consumed == pika_consumed == len(wire)
    assert canon(decoded) == canon(pika_decoded)
    cls = type(method)
    into = codec.decode_method_into(cls.__new__(cls), wire, 11)
    assert canon(into) == canon(pika_decoded.method)


@pytest.mark.parametrize("cls", METHODS, ids=METHOD_IDS)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_method_like_pika(codec, cls, data):
    kwargs = data.draw(method_args(cls), label="arguments")
    channel = data.draw(st.integers(0, 65535), label="channel")
    _check_method(codec, cls(**kwargs), channel)


@pytest.mark.parametrize("cls", METHODS, ids=METHOD_IDS)
def test_default_method_like_pika(codec, cls):
    """Where pika can marshal a method built with its defaults, so can we; where
    pika cannot (a required string left None), we refuse it too."""
    if cls is spec.Connection.UpdateSecret:
        method = cls(new_secret=b"s", reason="r")
    else:
        method = cls()
    try:
        pika.frame.Method(1, pika_twin(method)).marshal()
    except (AssertionError, struct.error):
        with pytest.raises(TypeError):
            codec.marshal_method_frame(1, method)
        return
    _check_method(codec, method, 1)


# ------------------------------------------------------------------ properties


@settings(max_examples=200, deadline=None)
@given(kwargs=_properties, body_size=st.integers(0, 2**64 - 1),
       channel=st.integers(0, 65535))
def test_properties_like_pika(codec, kwargs, body_size, channel):
    ours = spec.BasicProperties(**kwargs)
    theirs = pika.spec.BasicProperties(**kwargs)
    wire = pika.frame.Header(channel, body_size, theirs).marshal()
    assert codec.marshal_header_frame(channel, body_size, ours) == wire
    assert codec.encode_properties(ours) == b"".join(theirs.encode())
    consumed, decoded = codec.decode_frame(wire)
    pika_consumed, pika_decoded = pika.frame.decode_frame(wire)
    assert consumed == pika_consumed
    assert canon(decoded) == canon(pika_decoded)
    into = codec.decode_properties_into(spec.BasicProperties(), wire, 19)
    assert canon(into) == canon(pika_decoded.properties)


@settings(max_examples=100, deadline=None)
@given(table=_wire_tables)
def test_wire_headers_decode_like_pika(codec, table):
    wire = pika.frame.Header(1, 0, pika.spec.BasicProperties()).marshal()
    wire = (wire[:7 + 12] + b"\x20\x00" + table + b"\xce")
    wire = wire[:3] + struct.pack(">I", len(wire) - 8) + wire[7:]
    assert canon(codec.decode_frame(wire)) == canon(pika.frame.decode_frame(wire))


# ------------------------------------------------------------------ tables


@settings(max_examples=200, deadline=None)
@given(table=_tables)
def test_encode_table_like_pika(codec, table):
    pieces = []
    size = pika.data.encode_table(pieces, table)
    wire = b"".join(pieces)
    assert size == len(wire)
    assert codec.encode_table(table) == wire
    decoded, offset = codec.decode_table(wire)
    assert canon((decoded, offset)) == canon(pika.data.decode_table(wire, 0))


@settings(max_examples=200, deadline=None)
@given(value=_values)
def test_encode_value_like_pika(codec, value):
    pieces = []
    pika.data.encode_value(pieces, value)
    wire = b"".join(pieces)
    assert codec.encode_value(value) == wire
    assert canon(codec.decode_value(wire)) == canon(pika.data.decode_value(wire, 0))


@settings(max_examples=200, deadline=None)
@given(table=_wire_tables, prefix=st.binary(max_size=3))
def test_decode_wire_table_like_pika(codec, table, prefix):
    data = prefix + table
    assert canon(codec.decode_table(data, len(prefix))) == canon(
        pika.data.decode_table(data, len(prefix)))


@settings(max_examples=200, deadline=None)
@given(value=_wire_values)
def test_decode_wire_value_like_pika(codec, value):
    assert canon(codec.decode_value(value)) == canon(pika.data.decode_value(value, 0))


# ------------------------------------------------------------------ content


@settings(max_examples=100, deadline=None)
@given(kwargs=_properties, body=st.binary(max_size=2000), frame_max=st.integers(9, 700),
       channel=st.integers(1, 65535), data=st.data())
def test_content_like_pika(codec, kwargs, body, frame_max, channel, data):
    cls = data.draw(st.sampled_from([spec.Basic.Publish, spec.Basic.Deliver,
                                     spec.Basic.GetOk, spec.Basic.Return]))
    method = cls(**data.draw(method_args(cls)))
    chunk = frame_max - 8
    expected = b"".join(
        [pika.frame.Method(channel, pika_twin(method)).marshal(),
         pika.frame.Header(channel, len(body), pika.spec.BasicProperties(**kwargs)).marshal()]
        + [pika.frame.Body(channel, body[i:i + chunk]).marshal()
           for i in range(0, len(body), chunk)])
    assert codec.marshal_content(channel, method, spec.BasicProperties(**kwargs), body,
                                 frame_max) == expected
    reader = codec.FrameReader(frame_max=0)
    reader.feed(expected)
    [(got_channel, got_method, got_properties, got_body)] = reader.read_messages()
    offset, pika_frames = 0, []
    while offset < len(expected):
        consumed, decoded = pika.frame.decode_frame(expected[offset:])
        pika_frames.append(decoded)
        offset += consumed
    assert got_channel == channel
    assert canon(got_method) == canon(pika_frames[0].method)
    assert canon(got_properties) == canon(pika_frames[1].properties)
    assert got_body == b"".join(f.fragment for f in pika_frames[2:]) == body


# ------------------------------------------------------------------ deliberate fixes


@pytest.mark.parametrize("wire, ours, pikas", [
    (bytes.fromhex("66 3fc00000"), 1.5, 1),
    (bytes.fromhex("66 c0200000"), -2.5, -2),
    (bytes.fromhex("64 4006000000000000"), 2.75, 2),
    (bytes.fromhex("64 400921fb54442d18"), 3.141592653589793, 3),
], ids=["f", "f-negative", "d", "d-pi"])
def test_float_fields_decode_as_float_where_pika_truncates(codec, wire, ours, pikas):
    value, _ = pika.data.decode_value(wire, 0)
    assert value == pikas and isinstance(value, int)  # pika 1.4.4: int(struct value)
    value, offset = codec.decode_value(wire)
    assert value == ours and type(value) is float
    assert offset == len(wire)


def test_python_float_encodes_as_double_where_pika_refuses(codec):
    with pytest.raises(pika.exceptions.UnsupportedAMQPFieldException):
        pika.data.encode_table([], {"f": 1.5})
    assert codec.encode_table({"f": 1.5}) == bytes.fromhex("0000000b 01 66 64 3ff8000000000000")


def test_bytearray_encodes_as_byte_array_where_pika_refuses(codec):
    with pytest.raises(pika.exceptions.UnsupportedAMQPFieldException):
        pika.data.encode_value([], bytearray(b"ab"))
    assert codec.encode_value(bytearray(b"ab")) == bytes.fromhex("78 00000002 6162")


def test_int_beyond_int64_is_unsupported_where_pika_raises_struct_error(codec):
    with pytest.raises(struct.error):
        pika.data.encode_value([], 2**63)
    with pytest.raises(exceptions.UnsupportedAMQPFieldException):
        codec.encode_value(2**63)


def test_update_secret_decodes_new_secret(codec):
    """pika 1.4.4's Connection.UpdateSecret.decode stores the secret in
    ``self.mechanisms``, and pika's decode_frame cannot even build the object (its
    __init__ requires new_secret and reason)."""
    theirs = pika.spec.Connection.UpdateSecret(new_secret=b"token", reason="expiring")
    wire = pika.frame.Method(0, theirs).marshal()
    broken = pika.spec.Connection.UpdateSecret.__new__(pika.spec.Connection.UpdateSecret)
    broken.decode(wire, 11)
    assert vars(broken) == {"mechanisms": b"token", "reason": "expiring"}
    with pytest.raises(TypeError):
        pika.frame.decode_frame(wire)

    consumed, decoded = codec.decode_frame(wire)
    assert consumed == len(wire)
    assert type(decoded.method) is spec.Connection.UpdateSecret
    assert vars(decoded.method) == {"new_secret": b"token", "reason": "expiring"}
    method = codec.decode_method_into(
        spec.Connection.UpdateSecret.__new__(spec.Connection.UpdateSecret), wire, 11)
    assert vars(method) == {"new_secret": b"token", "reason": "expiring"}
