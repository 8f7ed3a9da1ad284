"""Publishing and getting messages: properties, header tables, bodies, sizes, order."""
import datetime
import decimal
import hashlib
import time

import pytest

import pika as real_pika

import pika_fast as pika
from pika_fast import exceptions, spec
from pika_fast.delivery_mode import DeliveryMode

UTC = datetime.timezone.utc

# Every field-table type pika 1.4.4 can encode, nested too.
PIKA_HEADERS = {
    "str": "hello",
    "unicode": "h\u00e9llo w\u00f6rld \u2713 \U0001f600",
    "empty-str": "",
    "long-str": "x" * 1000,
    "bytes": b"\x00\x01\xfe\xffraw",
    "empty-bytes": b"",
    "int": 42,
    "negative": -7,
    "zero": 0,
    "int32-max": 2 ** 31 - 1,
    "int32-min": -(2 ** 31),
    "big-int": 2 ** 40 + 3,
    "big-negative": -(2 ** 62),
    "int64-max": 2 ** 63 - 1,
    "true": True,
    "false": False,
    "none": None,
    "decimal": decimal.Decimal("3.14159"),
    "decimal-negative": decimal.Decimal("-12.5"),
    "decimal-integral": decimal.Decimal("100"),
    "datetime": datetime.datetime(2024, 2, 29, 23, 59, 58),
    "datetime-utc": datetime.datetime(1999, 12, 31, 0, 0, 1, tzinfo=UTC),
    "dict": {"a": 1, "b": "two", "c": {"deep": [1, "x", None, True]}},
    "empty-dict": {},
    "list": [1, "two", b"three", None, False, decimal.Decimal("1.5"),
             datetime.datetime(2020, 1, 1, tzinfo=UTC), {"k": "v"}, [1, [2, [3]]]],
    "empty-list": [],
}

ALL_PROPERTIES = dict(
    content_type="application/json",
    content_encoding="gzip",
    headers=PIKA_HEADERS,
    delivery_mode=2,
    priority=7,
    correlation_id="corr-\u00e9-1",
    reply_to="amq.rabbitmq.reply-to-ish",
    expiration="600000",
    message_id="msg-0001",
    timestamp=1700000000,
    type="test.event",
    app_id="pika_fast-tests",
    cluster_id="cluster-7",
)
# user_id must equal the authenticated user, or RabbitMQ refuses the publish.


def _user(amqp_url):
    import urllib.parse

    return urllib.parse.unquote(urllib.parse.urlparse(amqp_url).username or "guest")


def _expected_decoded(value):
    """What pika 1.4.4 decodes ``value`` to after a round trip."""
    if isinstance(value, dict):
        return {k: _expected_decoded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_expected_decoded(v) for v in value]
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)  # pika encodes naive datetimes as UTC
        return value.astimezone(UTC).replace(microsecond=0)
    return value


def _get_one(ch, queue, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        result = ch.basic_get(queue, auto_ack=True)
        if result[0] is not None or time.monotonic() > deadline:
            return result
        time.sleep(0.01)


# --------------------------------------------------------------- properties


def test_every_basic_property_round_trips(channel, amqp_url):
    q = channel.queue_declare("", exclusive=True).method.queue
    props = pika.BasicProperties(user_id=_user(amqp_url), **ALL_PROPERTIES)
    channel.basic_publish("", q, b"payload", props)
    method, got, body = _get_one(channel, q)
    assert body == b"payload"
    assert isinstance(method, spec.Basic.GetOk)
    assert isinstance(got, spec.BasicProperties)
    for name, value in ALL_PROPERTIES.items():
        if name == "headers":
            continue
        assert getattr(got, name) == value, name
    assert got.user_id == _user(amqp_url)
    assert got.headers == _expected_decoded(PIKA_HEADERS)


def test_header_types_decode_like_pika(channel, real, amqp_url):
    """Published by pika_fast, read by both: each decodes to the same values."""
    q = channel.queue_declare("", exclusive=False, auto_delete=False).method.queue
    try:
        props = pika.BasicProperties(user_id=_user(amqp_url), **ALL_PROPERTIES)
        channel.basic_publish("", q, b"a", props)
        channel.basic_publish("", q, b"b", props)
        _m, fast_props, _b = _get_one(channel, q)
        ref_ch = real.connect().channel()
        deadline = time.monotonic() + 5
        while True:
            ref_method, ref_props, _rb = ref_ch.basic_get(q, auto_ack=True)
            if ref_method is not None or time.monotonic() > deadline:
                break
        assert ref_props is not None
        assert fast_props.headers == ref_props.headers
        for name in ALL_PROPERTIES:
            assert getattr(fast_props, name) == getattr(ref_props, name), name
        # the decoded types are pika's too
        assert type(fast_props.headers["big-int"]) is int
        assert type(fast_props.headers["bytes"]) is bytes
        assert type(fast_props.headers["decimal"]) is decimal.Decimal
        assert fast_props.headers["datetime"].tzinfo is not None
    finally:
        channel.queue_delete(q)


def test_pika_published_headers_decode_in_pika_fast(channel, real, amqp_url):
    """Published by the real pika 1.4.4, read by pika_fast."""
    q = channel.queue_declare("", exclusive=False, auto_delete=False).method.queue
    try:
        ref_ch = real.connect().channel()
        ref_props = real_pika.BasicProperties(user_id=_user(amqp_url), **ALL_PROPERTIES)
        ref_ch.basic_publish("", q, b"from-pika", ref_props)
        method, got, body = _get_one(channel, q)
        assert body == b"from-pika"
        assert got.headers == _expected_decoded(PIKA_HEADERS)
        for name, value in ALL_PROPERTIES.items():
            if name != "headers":
                assert getattr(got, name) == value, name
    finally:
        channel.queue_delete(q)


def test_float_header_decodes_as_float(channel):
    """pika 1.4.4 cannot encode floats; pika_fast sends a double and reads a float."""
    q = channel.queue_declare("", exclusive=True).method.queue
    headers = {"pi": 3.141592653589793, "neg": -0.5, "nested": {"f": 1e300}, "list": [2.5]}
    channel.basic_publish("", q, b"f", pika.BasicProperties(headers=headers))
    _m, props, _b = _get_one(channel, q)
    assert props.headers == headers
    assert type(props.headers["pi"]) is float
    assert type(props.headers["nested"]["f"]) is float


def test_properties_defaults_are_none(channel):
    q = channel.queue_declare("", exclusive=True).method.queue
    channel.basic_publish("", q, b"bare")
    _m, props, body = _get_one(channel, q)
    assert body == b"bare"
    for name in ("content_type", "content_encoding", "headers", "delivery_mode", "priority",
                 "correlation_id", "reply_to", "expiration", "message_id", "timestamp",
                 "type", "user_id", "app_id", "cluster_id"):
        assert getattr(props, name) is None, name


def test_delivery_mode_enum_and_persistence(channel):
    q = channel.queue_declare("", exclusive=True).method.queue
    channel.basic_publish("", q, b"p", pika.BasicProperties(
        delivery_mode=DeliveryMode.Persistent))
    channel.basic_publish("", q, b"t", pika.BasicProperties(
        delivery_mode=DeliveryMode.Transient))
    _m, props, _b = _get_one(channel, q)
    assert props.delivery_mode == 2
    _m, props, _b = _get_one(channel, q)
    assert props.delivery_mode == 1


def test_user_id_mismatch_closes_channel(connection):
    ch = connection.channel()
    q = ch.queue_declare("", exclusive=True).method.queue
    ch.basic_publish("", q, b"x", pika.BasicProperties(user_id="somebody-else"))
    with pytest.raises(exceptions.ChannelClosedByBroker) as info:
        ch.queue_declare(q, passive=True)
    assert info.value.reply_code == 406
    assert connection.is_open


def test_unencodable_header_raises_and_channel_survives(channel):
    q = channel.queue_declare("", exclusive=True).method.queue
    with pytest.raises(Exception):
        channel.basic_publish("", q, b"x", pika.BasicProperties(headers={"bad": object()}))
    # nothing half-written: the channel still works
    channel.basic_publish("", q, b"ok")
    assert _get_one(channel, q)[2] == b"ok"


# ------------------------------------------------------------------ bodies


@pytest.mark.parametrize("body, expected", [
    (b"bytes body", b"bytes body"),
    (bytearray(b"bytearray body"), b"bytearray body"),
    (memoryview(b"memoryview body"), b"memoryview body"),
    (memoryview(b"xxsliced memoryviewyy")[2:-2], b"sliced memoryview"),
    ("str body \u00e9\u2713", "str body \u00e9\u2713".encode("utf-8")),
    (b"", b""),
    ("", b""),
    (b"\x00" * 10, b"\x00" * 10),
], ids=["bytes", "bytearray", "memoryview", "memoryview-slice", "str", "empty-bytes",
        "empty-str", "nul-bytes"])
def test_body_types(channel, body, expected):
    q = channel.queue_declare("", exclusive=True).method.queue
    channel.basic_publish("", q, body)
    method, _props, got = _get_one(channel, q)
    assert method is not None
    assert type(got) is bytes
    assert got == expected


@pytest.mark.parametrize("kind", ["bytes", "bytearray", "memoryview"])
def test_large_bodies_of_each_type(channel, kind):
    """Above the 64 KiB zero-copy threshold and several frames long."""
    raw = hashlib.sha256(b"seed").digest() * (300 * 1024 // 32 + 1)
    body = {"bytes": raw, "bytearray": bytearray(raw), "memoryview": memoryview(raw)}[kind]
    q = channel.queue_declare("", exclusive=True).method.queue
    channel.basic_publish("", q, body)
    _m, _p, got = _get_one(channel, q)
    assert got == raw


def test_bytearray_mutated_after_publish_is_not_affected(channel):
    q = channel.queue_declare("", exclusive=True).method.queue
    buf = bytearray(b"a" * 200000)
    channel.basic_publish("", q, buf)
    buf[:] = b"b" * 200000
    channel.basic_publish("", q, b"small")
    _m, _p, got = _get_one(channel, q)
    assert got == b"a" * 200000


@pytest.mark.broker_timeout(120)
def test_16_mib_round_trip(channel):
    size = 16 * 1024 * 1024
    body = (hashlib.sha256(b"16MiB").digest() * (size // 32))
    assert len(body) == size
    q = channel.queue_declare("", exclusive=True).method.queue
    started = time.monotonic()
    channel.basic_publish("", q, body, pika.BasicProperties(content_type="application/x"))
    method, props, got = _get_one(channel, q, timeout=30)
    assert method is not None
    assert len(got) == size
    assert hashlib.sha256(got).digest() == hashlib.sha256(body).digest()
    assert props.content_type == "application/x"
    assert time.monotonic() - started < 60
    # and through a consumer
    channel.basic_publish("", q, memoryview(body))
    for method, _props, got in channel.consume(q, auto_ack=True, inactivity_timeout=30):
        assert method is not None
        assert got == body
        break
    assert channel.cancel() == 0


# -------------------------------------------------------------- basic_get


def test_basic_get_fields_and_empty(channel):
    q = channel.queue_declare("", exclusive=True).method.queue
    assert channel.basic_get(q) == (None, None, None)
    assert channel.basic_get(q, auto_ack=True) == (None, None, None)
    for i in range(3):
        channel.basic_publish("", q, b"m%d" % i)
    method, props, body = _get_one(channel, q)  # auto_ack=True
    assert isinstance(method, spec.Basic.GetOk)
    assert method.delivery_tag == 1
    assert method.redelivered is False
    assert method.exchange == ""
    assert method.routing_key == q
    assert method.message_count == 2
    assert body == b"m0"
    method, _p, body = channel.basic_get(q)  # manual ack
    assert (method.delivery_tag, method.message_count, body) == (2, 1, b"m1")
    channel.basic_nack(method.delivery_tag, requeue=True)
    method, _p, body = channel.basic_get(q)
    assert body in (b"m1", b"m2")
    channel.basic_ack(method.delivery_tag)


def test_basic_get_missing_queue_is_404(connection):
    ch = connection.channel()
    with pytest.raises(exceptions.ChannelClosedByBroker) as info:
        ch.basic_get("pika_fast.test.surely-missing-queue")
    assert info.value.reply_code == 404


def test_basic_get_matches_pika(amqp_url):
    def scenario(lib):
        with lib.BlockingConnection(lib.URLParameters(amqp_url)) as conn:
            ch = conn.channel()
            q = ch.queue_declare("", exclusive=True).method.queue
            empty = ch.basic_get(q)
            ch.basic_publish("", q, b"x", lib.BasicProperties(content_type="t/p"))
            ch.basic_publish("", q, "y")
            deadline = time.monotonic() + 5
            while True:
                m, p, b = ch.basic_get(q)
                if m is not None or time.monotonic() > deadline:
                    break
            m2, p2, b2 = ch.basic_get(q, auto_ack=True)
            ch.basic_ack(m.delivery_tag)
            return (empty, type(m).__name__, m.delivery_tag, m.redelivered, m.exchange,
                    m.routing_key == q, m.message_count, type(p).__name__, p.content_type,
                    b, type(b).__name__, m2.delivery_tag, b2)

    assert scenario(pika) == scenario(real_pika)


# ----------------------------------------------------------------- volume


@pytest.mark.broker_timeout(120)
def test_10000_messages_in_order(channel, count_settles):
    total = 10000
    q = channel.queue_declare("", exclusive=True).method.queue
    for i in range(total):
        channel.basic_publish("", q, b"%d" % i,
                              pika.BasicProperties(message_id=str(i), headers={"i": i}))
    received = []

    def on_message(ch, method, props, body):
        received.append((body, props.message_id, props.headers["i"], method.delivery_tag))
        if len(received) % 100 == 0:
            ch.basic_ack(method.delivery_tag, multiple=True)
        if len(received) == total:
            ch.stop_consuming()

    channel.basic_qos(prefetch_count=500)
    channel.basic_consume(q, on_message)
    timer = channel.connection.call_later(90, channel.stop_consuming)
    channel.start_consuming()
    channel.connection.remove_timeout(timer)
    assert len(received) == total
    assert [int(r[0]) for r in received] == list(range(total))
    assert all(r[1] == str(i) and r[2] == i and r[3] == i + 1 for i, r in enumerate(received))
    assert count_settles(channel, q, 0) == 0


@pytest.mark.broker_timeout(120)
def test_10000_messages_in_order_through_consume_generator(channel):
    total = 10000
    q = channel.queue_declare("", exclusive=True).method.queue
    for i in range(total):
        channel.basic_publish("", q, i.to_bytes(4, "big"))
    expected = 0
    for method, _props, body in channel.consume(q, auto_ack=True, inactivity_timeout=10):
        assert method is not None, f"stalled after {expected} messages"
        assert int.from_bytes(body, "big") == expected
        expected += 1
        if expected == total:
            break
    channel.cancel()
    assert expected == total
