"""Harder paths: client-side encoding errors, broker-closed connections, deliveries
interleaved with RPCs, several threads with their own connections, request/reply."""
import threading
import time
import uuid

import pytest

import pika as real_pika

import pika_fast as pika
from pika_fast import exceptions, spec


def _threadsafe_later(connection, delay, callback):
    def fire():
        try:
            connection.add_callback_threadsafe(callback)
        except Exception:  # noqa: BLE001
            pass

    timer = threading.Timer(delay, fire)
    timer.daemon = True
    timer.start()
    return timer


# ------------------------------------------------------ client-side errors


def test_too_long_short_string_raises_like_pika(amqp_url):
    def scenario(lib):
        with lib.BlockingConnection(lib.URLParameters(amqp_url)) as conn:
            ch = conn.channel()
            out = []
            for call in (lambda: ch.queue_declare("q" * 256),
                         lambda: ch.exchange_declare("e" * 256),
                         lambda: ch.basic_publish("", "r" * 256, b"x")):
                try:
                    call()
                    out.append(None)
                except Exception as exc:  # noqa: BLE001
                    out.append(type(exc).__name__)
            out.append(ch.is_open)
            return out

    assert scenario(pika) == scenario(real_pika)


@pytest.mark.broker_timeout(6)
def test_other_rpc_after_encoding_error(channel):
    with pytest.raises(exceptions.ShortStringTooLong):
        channel.queue_declare("q" * 256)
    q = channel.queue_declare("", exclusive=True).method.queue  # eats the stale entry
    channel.basic_publish("", q, b"x")
    assert channel.basic_get(q, auto_ack=True)[2] == b"x"  # GetOk vs DeclareOk: hangs
    assert channel.flow(True) is True
    channel.exchange_declare("amq.direct", passive=True)


@pytest.mark.broker_timeout(6)
def test_rpc_after_unencodable_arguments(channel):
    with pytest.raises(Exception) as info:
        channel.queue_declare("", exclusive=True, arguments={"x-bad": object()})
    assert not isinstance(info.value, TimeoutError)
    assert channel.basic_qos(prefetch_count=1) is None
    channel.queue_declare("", exclusive=True)


def test_flow_true_returns_active(channel, real):
    assert channel.flow(True) is True
    assert real.connect().channel().flow(True) is True


# ---------------------------------------------- broker-closed connections


def test_broker_closes_connection(connect):
    """RabbitMQ answers Channel.Flow(active=False) by closing the whole connection."""
    conn = connect()
    ch = conn.channel()
    ch2 = conn.channel()
    with pytest.raises(exceptions.ConnectionClosedByBroker) as info:
        ch.flow(False)
    err = info.value
    assert isinstance(err, exceptions.ConnectionClosed)
    assert isinstance(err, exceptions.AMQPConnectionError)
    assert err.reply_code == 540
    assert "NOT_IMPLEMENTED" in err.reply_text
    assert conn.is_closed and not conn.is_open
    assert ch.is_closed and ch2.is_closed
    with pytest.raises(exceptions.ConnectionWrongStateError):
        conn.channel()
    with pytest.raises(exceptions.ConnectionWrongStateError):
        conn.close()


def test_broker_closes_connection_same_as_pika(amqp_url):
    def scenario(lib):
        conn = lib.BlockingConnection(lib.URLParameters(amqp_url))
        ch = conn.channel()
        ch2 = conn.channel()
        try:
            ch.flow(False)
            return None
        except Exception as exc:  # noqa: BLE001
            first = (type(exc).__name__, exc.reply_code, exc.reply_text)
        return first, conn.is_open, conn.is_closed, ch.is_closed, ch2.is_closed

    assert scenario(pika) == scenario(real_pika)


def test_channel_calls_after_broker_closed_connection(connect):
    conn = connect()
    ch = conn.channel()
    ch2 = conn.channel()
    with pytest.raises(exceptions.ConnectionClosedByBroker):
        ch.flow(False)
    for call in (lambda: ch2.queue_declare("", exclusive=True),
                 lambda: ch2.basic_publish("", "x", b"x"),
                 lambda: ch.queue_declare("", exclusive=True),
                 lambda: ch2.basic_ack(1)):
        with pytest.raises(exceptions.ChannelWrongStateError):
            call()


def test_broker_closes_connection_inside_callback(connect):
    conn = connect()
    ch = conn.channel()
    q = ch.queue_declare("", exclusive=True).method.queue
    ch.basic_publish("", q, b"x")
    other = conn.channel()
    raised = []

    def on_message(chan, method, props, body):
        try:
            other.flow(False)
        except exceptions.ConnectionClosedByBroker as exc:
            raised.append(exc)

    ch.basic_consume(q, on_message)
    backstop = _threadsafe_later(conn, 10, lambda: None)
    try:
        try:
            ch.start_consuming()  # pika 1.4.4 raises ConnectionWrongStateError here
        except exceptions.AMQPConnectionError:
            pass
    finally:
        backstop.cancel()
    assert len(raised) == 1
    assert conn.is_closed


# ------------------------------------------------ deliveries meet RPCs


def test_deliveries_arriving_during_rpcs_are_kept_in_order(channel, queue):
    got = []
    channel.basic_consume(queue, lambda ch, m, p, b: got.append(b), auto_ack=True)
    for i in range(200):
        channel.basic_publish("", queue, b"%d" % i)
        if i % 20 == 0:
            # synchronous calls read the socket; deliveries that arrive meanwhile wait
            channel.queue_declare(queue, passive=True)
            channel.basic_qos(prefetch_count=0)
    deadline = time.monotonic() + 10
    while len(got) < 200 and time.monotonic() < deadline:
        channel.connection.process_data_events(time_limit=0.1)
    assert got == [b"%d" % i for i in range(200)]


def test_deliveries_arriving_during_confirmed_publishes(channel, queue):
    got = []
    channel.confirm_delivery()
    channel.basic_consume(queue, lambda ch, m, p, b: got.append(b), auto_ack=True)
    for i in range(100):
        channel.basic_publish("", queue, b"%d" % i)
    deadline = time.monotonic() + 10
    while len(got) < 100 and time.monotonic() < deadline:
        channel.connection.process_data_events(time_limit=0.1)
    assert got == [b"%d" % i for i in range(100)]


def test_basic_get_while_consumer_active(channel):
    q1 = channel.queue_declare("", exclusive=True).method.queue
    q2 = channel.queue_declare("", exclusive=True).method.queue
    got = []
    channel.basic_consume(q1, lambda ch, m, p, b: got.append(b), auto_ack=True)
    channel.basic_publish("", q1, b"consumed")
    channel.basic_publish("", q2, b"fetched")
    method, _p, body = channel.basic_get(q2, auto_ack=True)
    assert isinstance(method, spec.Basic.GetOk)
    assert body == b"fetched"
    deadline = time.monotonic() + 5
    while not got and time.monotonic() < deadline:
        channel.connection.process_data_events(time_limit=0.1)
    assert got == [b"consumed"]


def test_unicode_names(channel, names):
    ex = names.exchange("\u00e9change-\u2713")
    channel.exchange_declare(ex, "direct")
    q = names.queue("\u043e\u0447\u0435\u0440\u0435\u0434\u044c")
    assert channel.queue_declare(q, auto_delete=False).method.queue == q
    channel.queue_bind(q, ex, routing_key="cl\u00e9-\U0001f511")
    channel.basic_publish(ex, "cl\u00e9-\U0001f511", b"unicode routed")
    method, _p, body = channel.basic_get(q, auto_ack=True)
    assert body == b"unicode routed"
    assert method.exchange == ex
    assert method.routing_key == "cl\u00e9-\U0001f511"


# -------------------------------------------------------- threads, RPC


@pytest.mark.broker_timeout(90)
def test_one_connection_per_thread(amqp_url):
    n_threads, per_thread = 4, 500
    errors = []
    results = {}

    def worker(k):
        try:
            with pika.BlockingConnection(pika.URLParameters(amqp_url)) as conn:
                ch = conn.channel()
                q = ch.queue_declare("", exclusive=True).method.queue
                ch.confirm_delivery()
                for i in range(per_thread):
                    ch.basic_publish("", q, b"%d:%d" % (k, i))
                bodies = []
                for method, _p, body in ch.consume(q, inactivity_timeout=5):
                    if method is None:
                        break
                    bodies.append(body)
                    ch.basic_ack(method.delivery_tag)
                    if len(bodies) == per_thread:
                        break
                ch.cancel()
                results[k] = bodies
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(80)
    assert not errors, errors
    for k in range(n_threads):
        assert results[k] == [b"%d:%d" % (k, i) for i in range(per_thread)]


def test_rpc_with_direct_reply_to(amqp_url, connection):
    """The classic pika RPC example: a server thread with its own connection, a client
    consuming from amq.rabbitmq.reply-to."""
    request_q = "pika_fast.test.rpc." + uuid.uuid4().hex[:10]
    ready = threading.Event()
    server_errors = []

    def server():
        try:
            with pika.BlockingConnection(pika.URLParameters(amqp_url)) as conn:
                ch = conn.channel()
                ch.queue_declare(request_q, exclusive=True)
                ready.set()
                served = 0
                for method, props, body in ch.consume(request_q, inactivity_timeout=5):
                    if method is None:
                        break
                    ch.basic_publish("", props.reply_to, body[::-1], pika.BasicProperties(
                        correlation_id=props.correlation_id))
                    ch.basic_ack(method.delivery_tag)
                    served += 1
                    if served == 3:
                        break
                ch.cancel()
        except Exception as exc:  # noqa: BLE001
            server_errors.append(exc)
            ready.set()

    thread = threading.Thread(target=server, daemon=True)
    thread.start()
    assert ready.wait(10)
    ch = connection.channel()
    replies = {}

    def on_reply(chan, method, props, body):
        replies[props.correlation_id] = body

    ch.basic_consume("amq.rabbitmq.reply-to", on_reply, auto_ack=True)
    for word in (b"abc", b"hello", b"pika_fast"):
        corr = uuid.uuid4().hex
        ch.basic_publish("", request_q, word, pika.BasicProperties(
            reply_to="amq.rabbitmq.reply-to", correlation_id=corr))
        deadline = time.monotonic() + 5
        while corr not in replies and time.monotonic() < deadline:
            connection.process_data_events(time_limit=0.1)
        assert replies.get(corr) == word[::-1]
    thread.join(10)
    assert not server_errors, server_errors
