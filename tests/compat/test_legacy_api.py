"""The pika 0.x API, written as its documentation wrote it, runs on pika_fast.

Every old spelling works against the broker and warns with the modern one.
"""
from __future__ import annotations

import uuid
import warnings

import pytest

import pika_fast as pika
from pika_fast import exceptions


@pytest.fixture
def connection(amqp_url):
    conn = pika.BlockingConnection(pika.URLParameters(amqp_url))
    yield conn
    if conn.is_open:
        conn.close()


@pytest.fixture
def queue_name(connection):
    name = f"pika_fast.legacy.{uuid.uuid4().hex}"
    yield name
    if connection.is_open:
        cleanup = connection.channel()
        cleanup.queue_delete(name)
        cleanup.close()


def test_hello_world_tutorial_as_pika_0x_wrote_it(amqp_url, queue_name):
    # The "Hello World" of the 0.x era: basic_consume(callback, queue=..., no_ack=True).
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    channel = connection.channel()
    channel.queue_declare(queue=queue_name)
    channel.basic_publish(exchange="", routing_key=queue_name, body="Hello World!")
    received = []

    def callback(ch, method, properties, body):
        received.append(body)
        ch.stop_consuming()

    with pytest.warns(DeprecationWarning, match="on_message_callback"):
        channel.basic_consume(callback, queue=queue_name, no_ack=True)
    channel.start_consuming()
    assert received == [b"Hello World!"]
    channel.queue_delete(queue_name)
    connection.close()


def test_old_positional_order_with_no_ack(connection, queue_name):
    channel = connection.channel()
    channel.queue_declare(queue=queue_name)
    channel.basic_publish("", queue_name, b"one")
    got = []
    with pytest.warns(DeprecationWarning):
        tag = channel.basic_consume(lambda ch, m, p, b: (got.append((m.redelivered, b)),
                                                         ch.basic_ack(m.delivery_tag)),
                                    queue_name, False, False, "legacy-tag")
    assert tag == "legacy-tag"
    connection.process_data_events(time_limit=1)
    assert got == [(False, b"one")]
    channel.basic_cancel(tag)
    assert channel.queue_declare(queue_name, passive=True).method.message_count == 0


def test_no_ack_keyword_with_modern_order(connection, queue_name):
    channel = connection.channel()
    channel.queue_declare(queue=queue_name)
    channel.basic_publish("", queue_name, b"auto")
    got = []
    with pytest.warns(DeprecationWarning, match="auto_ack"):
        channel.basic_consume(queue_name, lambda ch, m, p, b: got.append(b), no_ack=True)
    connection.process_data_events(time_limit=1)
    assert got == [b"auto"]
    # auto-acked: nothing left to redeliver after the consumer goes
    channel.close()
    check = connection.channel()
    assert check.queue_declare(queue_name, passive=True).method.message_count == 0


def test_exchange_declare_type_keyword(connection):
    channel = connection.channel()
    exchange = f"pika_fast.legacy.logs.{uuid.uuid4().hex}"
    with pytest.warns(DeprecationWarning, match="exchange_type"):
        channel.exchange_declare(exchange=exchange, type="fanout")
    try:
        # A passive redeclare as fanout succeeds only if it really is fanout.
        channel.exchange_declare(exchange=exchange, exchange_type="fanout", passive=True)
        queue = channel.queue_declare("", exclusive=True).method.queue
        channel.queue_bind(queue, exchange)
        channel.basic_publish(exchange, "any-key", b"fanned out")
        assert channel.basic_get(queue, auto_ack=True)[2] == b"fanned out"
    finally:
        channel.exchange_delete(exchange)


def test_basic_qos_all_channels(connection, queue_name):
    channel = connection.channel()
    with pytest.warns(DeprecationWarning, match="global_qos"):
        channel.basic_qos(prefetch_count=1, all_channels=False)
    channel.queue_declare(queue=queue_name)
    for i in range(3):
        channel.basic_publish("", queue_name, b"%d" % i)
    got = []
    channel.basic_consume(queue_name, lambda ch, m, p, b: got.append(m.delivery_tag))
    connection.process_data_events(time_limit=0.5)
    assert len(got) == 1  # prefetch 1 and no ack: exactly one delivered


def test_basic_publish_immediate_false_is_accepted(connection, queue_name):
    channel = connection.channel()
    channel.queue_declare(queue=queue_name)
    with pytest.warns(DeprecationWarning, match="immediate"):
        channel.basic_publish("", queue_name, b"ok", immediate=False)
    assert channel.basic_get(queue_name, auto_ack=True)[2] == b"ok"


def test_basic_publish_immediate_true_refused_before_sending(connection, queue_name):
    channel = connection.channel()
    channel.queue_declare(queue=queue_name)
    with pytest.raises(exceptions.MethodNotImplemented, match="immediate"):
        channel.basic_publish("", queue_name, b"never sent", immediate=True)
    # Nothing went out, and the connection and channel are still usable.
    assert channel.is_open and connection.is_open
    assert channel.queue_declare(queue_name, passive=True).method.message_count == 0


def test_connection_capability_properties_and_is_closing(connection):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert connection.basic_nack is True
        assert connection.publisher_confirms is True
        assert connection.consumer_cancel_notify is True
        assert connection.exchange_exchange_bindings is True
    assert connection.is_closing is False


def test_add_backpressure_callback_accepted(connection):
    with pytest.warns(DeprecationWarning, match="add_on_connection_blocked_callback"):
        connection.add_backpressure_callback(lambda *args: None)
    channel = connection.channel()
    assert channel.is_open


def test_add_on_flow_callbacks_accepted(connection):
    with pytest.warns(DeprecationWarning):
        connection.add_on_flow_callback(lambda active: None)
    channel = connection.channel()
    with pytest.warns(DeprecationWarning):
        channel.add_on_flow_callback(lambda active: None)
    channel.queue_declare("", exclusive=True)


def test_heartbeat_interval_parameter_and_url_key(amqp_url):
    with pytest.warns(DeprecationWarning, match="heartbeat"):
        params = pika.ConnectionParameters("127.0.0.1", heartbeat_interval=7)
    assert params.heartbeat == 7
    conn = pika.BlockingConnection(params)
    assert conn._impl._core.heartbeat == 7
    conn.close()
    with pytest.warns(DeprecationWarning):
        url_params = pika.URLParameters(
            "amqp://guest:guest@127.0.0.1:5672/%2F?heartbeat_interval=9"
            "&backpressure_detection=t&socket_timeout=3")
    assert url_params.heartbeat == 9
    assert url_params.socket_timeout == 3
    conn = pika.BlockingConnection(url_params)
    assert conn._impl._core.heartbeat == 9
    conn.close()


def test_legacy_select_connection_consume_order(amqp_url):
    outcome = {}
    queue = f"pika_fast.legacy.select.{uuid.uuid4().hex}"

    def on_open(conn):
        conn.channel(on_open_callback=on_channel)

    def on_channel(channel):
        outcome["channel"] = channel
        channel.queue_declare(queue, auto_delete=True, callback=lambda _f: on_queue(channel))

    def on_queue(channel):
        channel.basic_publish("", queue, b"select legacy")
        with pytest.warns(DeprecationWarning):
            channel.basic_consume(on_message, queue=queue, no_ack=True)

    def on_message(channel, method, properties, body):
        outcome["body"] = body
        channel.connection.close()

    conn = pika.SelectConnection(pika.URLParameters(amqp_url), on_open_callback=on_open,
                                 on_close_callback=lambda c, e: c.ioloop.stop())
    conn.ioloop.call_later(10, conn.ioloop.stop)
    conn.ioloop.start()
    assert outcome.get("body") == b"select legacy"


@pytest.mark.parametrize("spelling", ["modern-order-no_ack", "0.x-order"])
def test_legacy_select_basic_get_no_ack(amqp_url, spelling):
    """Channel.basic_get(queue, callback, no_ack=True) and pika 0.x's
    basic_get(callback, queue=..., no_ack=True): the message is fetched and, with
    no_ack, not left unacknowledged on the broker."""
    outcome = {"got": []}
    queue = f"pika_fast.legacy.get.{uuid.uuid4().hex}"

    def on_open(conn):
        conn.channel(on_open_callback=on_channel)

    def on_channel(channel):
        channel.queue_declare(queue, auto_delete=False, callback=lambda _f: on_queue(channel))

    def on_queue(channel):
        channel.basic_publish("", queue, b"fetched the old way")
        channel.basic_publish("", queue, b"second")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if spelling == "0.x-order":
                channel.basic_get(on_get, queue, no_ack=True)
            else:
                channel.basic_get(queue, on_get, no_ack=True)
        outcome["warnings"] = [(w.category, str(w.message)) for w in caught]

    def on_get(channel, method, properties, body):
        outcome["got"].append((body, method.message_count))
        # No ack is sent: with no_ack the broker has already forgotten the message, so
        # a passive declare counts only the second one, and closing requeues nothing.
        channel.queue_declare(queue, passive=True, callback=on_count)

    def on_count(method_frame):
        outcome["left"] = method_frame.method.message_count
        conn.close()

    conn = pika.SelectConnection(pika.URLParameters(amqp_url), on_open_callback=on_open,
                                 on_close_callback=lambda c, e: c.ioloop.stop())
    conn.ioloop.call_later(10, conn.ioloop.stop)
    conn.ioloop.start()
    with pika.BlockingConnection(pika.URLParameters(amqp_url)) as cleanup:
        after = cleanup.channel().queue_delete(queue).method.message_count
    assert outcome["got"] == [(b"fetched the old way", 1)]
    assert outcome["left"] == 1 and after == 1
    assert outcome["warnings"] and all(category is DeprecationWarning
                                       for category, _ in outcome["warnings"])
    assert any("no_ack" in text or "basic_get(callback, queue)" in text
               for _, text in outcome["warnings"])
