"""Method arguments and content properties against hand-written byte vectors.

Each vector covers one argument layout of AMQP 0-9-1: octets, shorts, longs,
long-longs, short strings (octet length), long strings (long length), field tables,
and bits packed low bit first into shared octets.
"""
import pytest

from pika_fast import spec


def h(text):
    return bytes.fromhex(text)


# (id, method object, argument bytes, attributes after decoding)
# Long strings decode as bytes, as in pika; a None table decodes as {}.
METHOD_VECTORS = [
    ("connection-start",
     spec.Connection.Start(version_major=0, version_minor=9,
                           server_properties={"product": "RabbitMQ"},
                           mechanisms="PLAIN AMQPLAIN", locales="en_US"),
     "00 09 00000015 07 70726f64756374 53 00000008 5261626269744d51"
     " 0000000e 504c41494e20414d51504c41494e 00000005 656e5f5553",
     {"version_major": 0, "version_minor": 9, "server_properties": {"product": "RabbitMQ"},
      "mechanisms": b"PLAIN AMQPLAIN", "locales": b"en_US"}),
    ("connection-start-ok",
     spec.Connection.StartOk(client_properties={}, mechanism="PLAIN",
                             response="\x00guest\x00guest", locale="en_US"),
     "00000000 05 504c41494e 0000000c 00 6775657374 00 6775657374 05 656e5f5553",
     {"client_properties": {}, "mechanism": "PLAIN", "response": b"\x00guest\x00guest",
      "locale": "en_US"}),
    ("connection-tune",
     spec.Connection.Tune(channel_max=2047, frame_max=131072, heartbeat=60),
     "07ff 00020000 003c",
     {"channel_max": 2047, "frame_max": 131072, "heartbeat": 60}),
    ("connection-open",
     spec.Connection.Open(virtual_host="/", capabilities="", insist=False),
     "01 2f 00 00",
     {"virtual_host": "/", "capabilities": "", "insist": False}),
    ("connection-close",
     spec.Connection.Close(reply_code=320, reply_text="CONNECTION_FORCED", class_id=0,
                           method_id=0),
     "0140 11 434f4e4e454354494f4e5f464f52434544 0000 0000",
     {"reply_code": 320, "reply_text": "CONNECTION_FORCED", "class_id": 0, "method_id": 0}),
    ("connection-update-secret",
     spec.Connection.UpdateSecret(new_secret=b"tok", reason="refresh"),
     "00000003 746f6b 07 72656672657368",
     {"new_secret": b"tok", "reason": "refresh"}),
    ("channel-open-ok", spec.Channel.OpenOk(channel_id=""), "00000000", {"channel_id": b""}),
    ("channel-flow", spec.Channel.Flow(active=True), "01", {"active": True}),
    ("access-request-five-bits",
     spec.Access.Request(realm="/data", exclusive=False, passive=True, active=True,
                         write=True, read=True),
     "05 2f64617461 1e",
     {"realm": "/data", "exclusive": False, "passive": True, "active": True, "write": True,
      "read": True}),
    ("exchange-declare",
     spec.Exchange.Declare(exchange="logs", type="fanout", durable=True, arguments={}),
     "0000 04 6c6f6773 06 66616e6f7574 02 00000000",
     {"ticket": 0, "exchange": "logs", "type": "fanout", "passive": False, "durable": True,
      "auto_delete": False, "internal": False, "nowait": False, "arguments": {}}),
    ("exchange-bind-none-table",
     spec.Exchange.Bind(destination="d", source="s", routing_key="", nowait=True),
     "0000 01 64 01 73 00 01 00000000",
     {"ticket": 0, "destination": "d", "source": "s", "routing_key": "", "nowait": True,
      "arguments": {}}),
    ("queue-declare",
     spec.Queue.Declare(queue="q", durable=True, arguments={"x-max-length": 10}),
     "0000 01 71 02 00000012 0c 782d6d61782d6c656e677468 49 0000000a",
     {"ticket": 0, "queue": "q", "passive": False, "durable": True, "exclusive": False,
      "auto_delete": False, "nowait": False, "arguments": {"x-max-length": 10}}),
    ("queue-declare-ok",
     spec.Queue.DeclareOk(queue="q", message_count=3, consumer_count=1),
     "01 71 00000003 00000001",
     {"queue": "q", "message_count": 3, "consumer_count": 1}),
    ("queue-bind",
     spec.Queue.Bind(queue="q", exchange="ex", routing_key="rk",
                     arguments={"x-match": "all"}),
     "0000 01 71 02 6578 02 726b 00 00000010 07 782d6d61746368 53 00000003 616c6c",
     {"ticket": 0, "queue": "q", "exchange": "ex", "routing_key": "rk", "nowait": False,
      "arguments": {"x-match": "all"}}),
    ("basic-qos",
     spec.Basic.Qos(prefetch_size=0, prefetch_count=10, global_qos=True),
     "00000000 000a 01",
     {"prefetch_size": 0, "prefetch_count": 10, "global_qos": True}),
    ("basic-consume",
     spec.Basic.Consume(queue="q", consumer_tag="ct", no_ack=True, exclusive=True,
                        arguments={}),
     "0000 01 71 02 6374 06 00000000",
     {"ticket": 0, "queue": "q", "consumer_tag": "ct", "no_local": False, "no_ack": True,
      "exclusive": True, "nowait": False, "arguments": {}}),
    ("basic-publish",
     spec.Basic.Publish(exchange="", routing_key="q", mandatory=False, immediate=True),
     "0000 00 01 71 02",
     {"ticket": 0, "exchange": "", "routing_key": "q", "mandatory": False,
      "immediate": True}),
    ("basic-return",
     spec.Basic.Return(reply_code=312, reply_text="NO_ROUTE", exchange="ex",
                       routing_key="rk"),
     "0138 08 4e4f5f524f555445 02 6578 02 726b",
     {"reply_code": 312, "reply_text": "NO_ROUTE", "exchange": "ex", "routing_key": "rk"}),
    ("basic-deliver",
     spec.Basic.Deliver(consumer_tag="ct", delivery_tag=2**64 - 1, redelivered=True,
                        exchange="ex", routing_key="rk"),
     "02 6374 ffffffffffffffff 01 02 6578 02 726b",
     {"consumer_tag": "ct", "delivery_tag": 2**64 - 1, "redelivered": True, "exchange": "ex",
      "routing_key": "rk"}),
    ("basic-get-ok",
     spec.Basic.GetOk(delivery_tag=1, redelivered=False, exchange="", routing_key="q",
                      message_count=0),
     "0000000000000001 00 00 01 71 00000000",
     {"delivery_tag": 1, "redelivered": False, "exchange": "", "routing_key": "q",
      "message_count": 0}),
    ("basic-ack", spec.Basic.Ack(delivery_tag=7, multiple=True), "0000000000000007 01",
     {"delivery_tag": 7, "multiple": True}),
    ("basic-nack", spec.Basic.Nack(delivery_tag=5, requeue=True), "0000000000000005 02",
     {"delivery_tag": 5, "multiple": False, "requeue": True}),
    ("basic-reject", spec.Basic.Reject(delivery_tag=5, requeue=False), "0000000000000005 00",
     {"delivery_tag": 5, "requeue": False}),
    ("tx-select", spec.Tx.Select(), "", {}),
    ("confirm-select", spec.Confirm.Select(nowait=True), "01", {"nowait": True}),
    ("utf8-short-string",
     spec.Basic.Cancel(consumer_tag="\u00e9t\u00e9", nowait=False),
     "05 c3a974c3a9 00",
     {"consumer_tag": "\u00e9t\u00e9", "nowait": False}),
]
METHOD_IDS = [name for name, _, _, _ in METHOD_VECTORS]


@pytest.mark.parametrize("method, args", [(m, h(a)) for _, m, a, _ in METHOD_VECTORS],
                         ids=METHOD_IDS)
def test_encode_method_args(codec, method, args):
    encoded = codec.encode_method_args(method)
    assert type(encoded) is bytes
    assert encoded == args


@pytest.mark.parametrize("method, args", [(m, h(a)) for _, m, a, _ in METHOD_VECTORS],
                         ids=METHOD_IDS)
def test_marshal_method_frame_wraps_the_args(codec, method, args):
    payload = method.INDEX.to_bytes(4, "big") + args
    expected = b"\x01\x00\x09" + len(payload).to_bytes(4, "big") + payload + b"\xce"
    assert codec.marshal_method_frame(9, method) == expected


@pytest.mark.parametrize("method, args, attributes",
                         [(m, h(a), d) for _, m, a, d in METHOD_VECTORS], ids=METHOD_IDS)
def test_decode_method_into(codec, method, args, attributes):
    cls = type(method)
    target = cls.__new__(cls)
    assert codec.decode_method_into(target, b"\xff" + args, 1) is target
    assert vars(target) == attributes
    for name, value in attributes.items():
        assert type(getattr(target, name)) is type(value), name


@pytest.mark.parametrize("method, args, attributes",
                         [(m, h(a), d) for _, m, a, d in METHOD_VECTORS], ids=METHOD_IDS)
def test_decode_method_frame(codec, method, args, attributes):
    payload = method.INDEX.to_bytes(4, "big") + args
    wire = b"\x01\x00\x09" + len(payload).to_bytes(4, "big") + payload + b"\xce"
    consumed, decoded = codec.decode_frame(wire)
    assert consumed == len(wire)
    assert type(decoded.method) is type(method)
    assert vars(decoded.method) == attributes


def test_short_string_not_utf8_decodes_as_bytes(codec):
    target = spec.Basic.Cancel.__new__(spec.Basic.Cancel)
    codec.decode_method_into(target, h("02 fffe 00"))
    assert target.consumer_tag == b"\xff\xfe"


def test_bytes_arguments_encode_as_is(codec):
    method = spec.Basic.Publish(exchange=b"ex", routing_key=b"\xff")
    assert codec.encode_method_args(method) == h("0000 02 6578 01 ff 00")


def test_exchange_type_enum_default_encodes_its_value(codec):
    method = spec.Exchange.Declare(exchange="x")
    assert codec.encode_method_args(method) == h("0000 01 78 06 646972656374 00 00000000")


# ------------------------------------------------------------------------ properties

ALL_PROPERTIES = dict(
    content_type="a", content_encoding="b", headers={"h": 1}, delivery_mode=2, priority=9,
    correlation_id="c", reply_to="r", expiration="60000", message_id="m",
    timestamp=1_000_000_000, type="t", user_id="guest", app_id="app", cluster_id="cl")

PROPERTY_VECTORS = [
    ("none", {}, "0000"),
    ("all-fourteen", ALL_PROPERTIES,
     "fffc 01 61 01 62 00000007 01 68 49 00000001 02 09 01 63 01 72 05 3630303030 01 6d"
     " 000000003b9aca00 01 74 05 6775657374 03 617070 02 636c"),
    ("type-and-mode", dict(content_type="text/plain", delivery_mode=2),
     "9000 0a 746578742f706c61696e 02"),
    ("empty-headers", dict(headers={}), "2000 00000000"),
    ("timestamp-only", dict(timestamp=1_000_000_000), "0040 000000003b9aca00"),
    ("cluster-id-only", dict(cluster_id=""), "0004 00"),
    ("largest-timestamp", dict(timestamp=2**64 - 1), "0040 ffffffffffffffff"),
]
PROPERTY_IDS = [name for name, _, _ in PROPERTY_VECTORS]


@pytest.mark.parametrize("kwargs, wire", [(k, h(w)) for _, k, w in PROPERTY_VECTORS],
                         ids=PROPERTY_IDS)
def test_encode_properties(codec, kwargs, wire):
    encoded = codec.encode_properties(spec.BasicProperties(**kwargs))
    assert type(encoded) is bytes
    assert encoded == wire


@pytest.mark.parametrize("kwargs, wire", [(k, h(w)) for _, k, w in PROPERTY_VECTORS],
                         ids=PROPERTY_IDS)
def test_decode_properties_into(codec, kwargs, wire):
    target = spec.BasicProperties(content_type="stale", priority=1)
    assert codec.decode_properties_into(target, b"\x00\x00" + wire, 2) is target
    assert vars(target) == vars(spec.BasicProperties(**kwargs))


def test_delivery_mode_enum_encodes_its_value(codec):
    from pika_fast.delivery_mode import DeliveryMode

    props = spec.BasicProperties(delivery_mode=DeliveryMode.Persistent)
    assert codec.encode_properties(props) == h("1000 02")


def test_property_flags_continuation_word_is_skipped(codec):
    # Bit 0 of a flags word says another flags word follows; AMQP 0-9-1 defines no
    # property there, so its bits are read and ignored.
    target = codec.decode_properties_into(spec.BasicProperties(), h("8001 0000 01 61"))
    assert vars(target) == vars(spec.BasicProperties(content_type="a"))
    target = codec.decode_properties_into(spec.BasicProperties(), h("8001 0001 fffe 01 61"))
    assert target.content_type == "a"


@pytest.mark.parametrize("name, value", [("priority", 256), ("delivery_mode", -1),
                                         ("timestamp", 2**64), ("timestamp", -1)])
def test_encode_properties_refuses_an_integer_out_of_range(codec, name, value):
    with pytest.raises(ValueError):
        codec.encode_properties(spec.BasicProperties(**{name: value}))


def test_encode_properties_refuses_a_bad_type(codec):
    with pytest.raises(TypeError):
        codec.encode_properties(spec.BasicProperties(content_type=1))
    with pytest.raises(TypeError):
        codec.encode_properties(spec.BasicProperties(headers=[("a", 1)]))
