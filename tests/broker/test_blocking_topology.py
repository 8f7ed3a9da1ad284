"""Queues, exchanges and bindings through BlockingChannel, against the broker."""
import time

import pytest

import pika as real_pika

import pika_fast as pika
from pika_fast import exceptions, spec
from pika_fast.exchange_type import ExchangeType
from tests.support.queues import drain as _drain


# ------------------------------------------------------------ queue_declare


def test_server_named_queue(channel):
    result = channel.queue_declare("", exclusive=True)
    assert isinstance(result, pika.frame.Method)
    assert result.channel_number == channel.channel_number
    assert isinstance(result.method, spec.Queue.DeclareOk)
    assert result.method.queue.startswith("amq.gen-")
    assert result.method.message_count == 0
    assert result.method.consumer_count == 0


def test_queue_declare_every_flag(channel, names, observer, count_settles):
    durable = names.queue("durable")
    auto = names.queue("autodel")
    excl = names.queue("excl")
    assert channel.queue_declare(durable, durable=True).method.queue == durable
    assert channel.queue_declare(auto, auto_delete=True).method.queue == auto
    assert channel.queue_declare(excl, exclusive=True).method.queue == excl
    # Redeclaring with the same flags is fine and reports the counts.
    channel.basic_publish("", durable, b"1")
    channel.basic_publish("", durable, b"2")
    assert count_settles(channel, durable, 2) == 2
    ok = channel.queue_declare(durable, durable=True).method
    assert (ok.queue, ok.message_count, ok.consumer_count) == (durable, 2, 0)
    passive = channel.queue_declare(durable, passive=True).method
    assert passive.message_count == 2
    assert observer.message_count(durable) == 2
    # Exclusive: another connection may not touch it.
    with pytest.raises(real_pika.exceptions.ChannelClosedByBroker) as info:
        observer._channel().queue_declare(excl, passive=True)
    assert info.value.reply_code == 405  # RESOURCE_LOCKED


def test_queue_declare_with_arguments(channel, names, observer):
    name = names.queue("args")
    args = {
        "x-message-ttl": 60000,
        "x-max-length": 10,
        "x-max-length-bytes": 1048576,
        "x-expires": 600000,
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": "nowhere",
        "x-overflow": "drop-head",
        "x-max-priority": 5,
        "x-queue-mode": "lazy",
    }
    assert channel.queue_declare(name, arguments=args).method.queue == name
    # Same arguments again: accepted.
    channel.queue_declare(name, arguments=dict(args))
    assert observer.exists(name)
    # Different arguments: PRECONDITION_FAILED closes the channel.
    with pytest.raises(exceptions.ChannelClosedByBroker) as info:
        channel.queue_declare(name, arguments=dict(args, **{"x-max-length": 11}))
    assert info.value.reply_code == 406
    assert "PRECONDITION_FAILED" in info.value.reply_text
    assert channel.is_closed


def test_queue_arguments_x_message_ttl(channel):
    q = channel.queue_declare("", exclusive=True,
                              arguments={"x-message-ttl": 100}).method.queue
    channel.basic_publish("", q, b"short-lived")
    time.sleep(0.5)
    assert channel.basic_get(q) == (None, None, None)
    # per-message expiration property
    q2 = channel.queue_declare("", exclusive=True).method.queue
    channel.basic_publish("", q2, b"gone", pika.BasicProperties(expiration="100"))
    channel.basic_publish("", q2, b"stays")
    time.sleep(0.5)
    assert _drain(channel, q2) == [b"stays"]


def test_queue_arguments_x_max_length_drop_head(channel, count_settles):
    q = channel.queue_declare("", exclusive=True,
                              arguments={"x-max-length": 2}).method.queue
    for i in range(5):
        channel.basic_publish("", q, b"m%d" % i)
    assert count_settles(channel, q, 2) == 2
    assert _drain(channel, q) == [b"m3", b"m4"]


def test_queue_arguments_x_max_priority(channel, count_settles):
    q = channel.queue_declare("", exclusive=True,
                              arguments={"x-max-priority": 9}).method.queue
    for prio in (1, 9, 5, 0):
        channel.basic_publish("", q, b"p%d" % prio, pika.BasicProperties(priority=prio))
    # let the queue process settle, then read in priority order
    assert count_settles(channel, q, 4) == 4
    assert _drain(channel, q) == [b"p9", b"p5", b"p1", b"p0"]


def test_queue_arguments_dead_letter_and_x_death_header(channel):
    dlq = channel.queue_declare("", exclusive=True).method.queue
    src = channel.queue_declare("", exclusive=True, arguments={
        "x-dead-letter-exchange": "", "x-dead-letter-routing-key": dlq}).method.queue
    channel.basic_publish("", src, b"doomed", pika.BasicProperties(headers={"mine": 1}))
    method, _props, _body = channel.basic_get(src)
    channel.basic_reject(method.delivery_tag, requeue=False)
    deadline = time.monotonic() + 5
    while True:
        method, props, body = channel.basic_get(dlq, auto_ack=True)
        if method is not None or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert body == b"doomed"
    headers = props.headers
    assert headers["mine"] == 1
    # x-death is a broker-written array of tables holding a timestamp and a long
    (death,) = headers["x-death"]
    assert death["queue"] == src
    assert death["reason"] == "rejected"
    assert death["count"] == 1
    assert death["routing-keys"] == [src]
    import datetime

    assert isinstance(death["time"], datetime.datetime)
    assert abs(death["time"].timestamp() - time.time()) < 120


def test_exclusive_queue_refused_to_other_connection(channel, connect):
    q = channel.queue_declare("", exclusive=True).method.queue
    other = connect().channel()
    with pytest.raises(exceptions.ChannelClosedByBroker) as info:
        other.basic_consume(q, lambda *a: None)
    assert info.value.reply_code == 405


def test_auto_delete_queue_goes_with_last_consumer(channel, names, observer):
    name = names.queue("auto")
    channel.queue_declare(name, auto_delete=True)
    tag = channel.basic_consume(name, lambda *a: None)
    assert observer.consumer_count(name) == 1
    channel.basic_cancel(tag)
    assert observer.wait_for(lambda: not observer.exists(name))


def test_passive_declare_of_missing_queue_closes_channel(connection, names):
    ch = connection.channel()
    missing = names.queue("missing")
    with pytest.raises(exceptions.ChannelClosedByBroker) as info:
        ch.queue_declare(missing, passive=True)
    err = info.value
    assert isinstance(err, exceptions.ChannelClosed)
    assert isinstance(err, exceptions.AMQPChannelError)
    assert err.reply_code == 404
    assert err.reply_text.startswith("NOT_FOUND")
    assert missing in err.reply_text
    assert err.args == (404, err.reply_text)
    assert ch.is_closed and not ch.is_open
    # The connection and its other channels live on.
    assert connection.is_open
    other = connection.channel()
    other.queue_declare("", exclusive=True)


def test_passive_declare_of_missing_queue_same_as_pika(amqp_url, names):
    missing = names.queue("missing")

    def scenario(lib):
        with lib.BlockingConnection(lib.URLParameters(amqp_url)) as conn:
            ch = conn.channel()
            try:
                ch.queue_declare(missing, passive=True)
            except Exception as exc:  # noqa: BLE001
                return (type(exc).__name__, exc.reply_code, exc.reply_text, ch.is_closed,
                        ch.is_open, conn.is_open)
        return None

    assert scenario(pika) == scenario(real_pika)


def test_calls_on_broker_closed_channel_raise_wrong_state(connection, names):
    ch = connection.channel()
    q = connection.channel().queue_declare("", exclusive=True).method.queue
    with pytest.raises(exceptions.ChannelClosedByBroker):
        ch.queue_declare(names.queue("missing"), passive=True)
    for call in (lambda: ch.queue_declare("", exclusive=True),
                 lambda: ch.basic_publish("", q, b"x"),
                 lambda: ch.basic_ack(1),
                 lambda: ch.basic_nack(1),
                 lambda: ch.basic_reject(1),
                 lambda: ch.basic_consume(q, lambda *a: None),
                 lambda: ch.basic_qos(prefetch_count=1),
                 lambda: ch.exchange_declare("amq.direct", passive=True),
                 lambda: ch.basic_get(q)):
        with pytest.raises(exceptions.ChannelWrongStateError):
            call()
    with pytest.raises(exceptions.ChannelWrongStateError):
        ch.close()


def test_close_of_broker_closed_channel_raises_wrong_state(connection, names):
    ch = connection.channel()
    with pytest.raises(exceptions.ChannelClosedByBroker):
        ch.queue_declare(names.queue("missing"), passive=True)
    with pytest.raises(exceptions.ChannelWrongStateError):
        ch.close()


# --------------------------------------------------------- exchange_declare


@pytest.mark.parametrize("exchange_type", [
    ExchangeType.direct, ExchangeType.fanout, ExchangeType.topic, ExchangeType.headers,
    "direct", "fanout", "topic", "headers"])
def test_exchange_declare_types(channel, names, observer, exchange_type):
    name = names.exchange()
    result = channel.exchange_declare(name, exchange_type)
    assert isinstance(result, pika.frame.Method)
    assert isinstance(result.method, spec.Exchange.DeclareOk)
    assert observer.exchange_exists(name)
    # passive redeclare
    assert isinstance(channel.exchange_declare(name, passive=True).method,
                      spec.Exchange.DeclareOk)
    # keyword form, as users write it
    channel.exchange_declare(exchange=name, exchange_type=exchange_type)


def test_exchange_declare_every_flag_and_argument(channel, names, observer):
    ae = names.exchange("ae")
    channel.exchange_declare(ae, ExchangeType.fanout, durable=False, auto_delete=False)
    ae_q = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(ae_q, ae)
    main = names.exchange("main")
    channel.exchange_declare(main, "direct", durable=True, auto_delete=False,
                             internal=False, arguments={"alternate-exchange": ae})
    # unroutable on main -> alternate exchange -> ae_q
    channel.basic_publish(main, "no-binding", b"to-ae")
    channel.queue_declare(ae_q, passive=True)
    assert _drain(channel, ae_q) == [b"to-ae"]

    internal = names.exchange("internal")
    channel.exchange_declare(internal, "fanout", internal=True)
    assert observer.exchange_exists(internal)

    durable = names.exchange("durable")
    channel.exchange_declare(durable, "topic", durable=True)
    # redeclare with a different type: PRECONDITION_FAILED
    with pytest.raises(exceptions.ChannelClosedByBroker) as info:
        channel.exchange_declare(durable, "fanout", durable=True)
    assert info.value.reply_code == 406


def test_publish_to_internal_exchange_closes_channel(connection, names):
    ch = connection.channel()
    internal = names.exchange("internal")
    ch.exchange_declare(internal, "fanout", internal=True)
    ch.basic_publish(internal, "", b"refused")
    with pytest.raises(exceptions.ChannelClosedByBroker) as info:
        ch.queue_declare("", exclusive=True)
    assert info.value.reply_code == 403
    assert ch.is_closed


def test_auto_delete_exchange_goes_with_last_binding(channel, names, observer):
    ex = names.exchange("autodel")
    channel.exchange_declare(ex, "fanout", auto_delete=True)
    q = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(q, ex)
    assert observer.exchange_exists(ex)
    channel.queue_unbind(q, ex, routing_key=q)
    assert observer.wait_for(lambda: not observer.exchange_exists(ex))


def test_passive_declare_of_missing_exchange(connection, names):
    ch = connection.channel()
    with pytest.raises(exceptions.ChannelClosedByBroker) as info:
        ch.exchange_declare(names.exchange("missing"), passive=True)
    assert info.value.reply_code == 404
    assert ch.is_closed


def test_reserved_exchange_name_refused(connection):
    ch = connection.channel()
    with pytest.raises(exceptions.ChannelClosedByBroker) as info:
        ch.exchange_declare("amq.pika_fast-test", "direct")
    assert info.value.reply_code == 403


def test_exchange_delete(channel, names, observer):
    ex = names.exchange("del")
    channel.exchange_declare(ex, "direct")
    q = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(q, ex, "k")
    with pytest.raises(exceptions.ChannelClosedByBroker) as info:
        channel.exchange_delete(ex, if_unused=True)
    assert info.value.reply_code == 406
    ch = channel.connection.channel()
    result = ch.exchange_delete(ex)
    assert isinstance(result.method, spec.Exchange.DeleteOk)
    assert not observer.exchange_exists(ex)
    # deleting a missing exchange is fine in RabbitMQ 3.x
    ch.exchange_delete(ex)


# ---------------------------------------------------------------- bindings


def test_queue_bind_and_unbind(channel, names):
    ex = names.exchange()
    channel.exchange_declare(ex, "direct")
    q = channel.queue_declare("", exclusive=True).method.queue
    result = channel.queue_bind(q, ex, routing_key="rk")
    assert isinstance(result.method, spec.Queue.BindOk)
    channel.basic_publish(ex, "rk", b"bound")
    channel.basic_publish(ex, "other", b"not-bound")
    # routing_key defaults to the queue name
    channel.queue_bind(q, ex)
    channel.basic_publish(ex, q, b"by-queue-name")
    channel.queue_declare(q, passive=True)
    assert _drain(channel, q) == [b"bound", b"by-queue-name"]
    result = channel.queue_unbind(q, ex, routing_key="rk")
    assert isinstance(result.method, spec.Queue.UnbindOk)
    channel.queue_unbind(q, ex)
    channel.basic_publish(ex, "rk", b"after-unbind")
    channel.basic_publish(ex, q, b"after-unbind-2")
    channel.queue_declare(q, passive=True)
    assert _drain(channel, q) == []


def test_topic_bindings(channel, names):
    ex = names.exchange("topic")
    channel.exchange_declare(ex, ExchangeType.topic)
    q = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(q, ex, "stock.*.nyse")
    channel.queue_bind(q, ex, "log.#")
    for key in ("stock.ibm.nyse", "stock.ibm.lse", "log", "log.a.b.c", "stock.nyse"):
        channel.basic_publish(ex, key, key.encode())
    channel.queue_declare(q, passive=True)
    assert _drain(channel, q) == [b"stock.ibm.nyse", b"log", b"log.a.b.c"]


def test_headers_exchange_binding_arguments(channel, names):
    ex = names.exchange("headers")
    channel.exchange_declare(ex, ExchangeType.headers)
    q_all = channel.queue_declare("", exclusive=True).method.queue
    q_any = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(q_all, ex, "", arguments={"x-match": "all", "a": 1, "b": "two"})
    channel.queue_bind(q_any, ex, "", arguments={"x-match": "any", "a": 1, "b": "two"})
    channel.basic_publish(ex, "", b"both", pika.BasicProperties(headers={"a": 1, "b": "two"}))
    channel.basic_publish(ex, "", b"only-a", pika.BasicProperties(headers={"a": 1}))
    channel.basic_publish(ex, "", b"none", pika.BasicProperties(headers={"c": 3}))
    channel.queue_declare(q_any, passive=True)
    assert _drain(channel, q_all) == [b"both"]
    assert _drain(channel, q_any) == [b"both", b"only-a"]
    channel.queue_unbind(q_all, ex, "", arguments={"x-match": "all", "a": 1, "b": "two"})
    channel.basic_publish(ex, "", b"again", pika.BasicProperties(headers={"a": 1, "b": "two"}))
    channel.queue_declare(q_any, passive=True)
    assert _drain(channel, q_all) == []
    assert _drain(channel, q_any) == [b"again"]


def test_exchange_to_exchange_bind_and_unbind(channel, names):
    src = names.exchange("src")
    dst = names.exchange("dst")
    channel.exchange_declare(src, "topic")
    channel.exchange_declare(dst, "fanout")
    q = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(q, dst)
    result = channel.exchange_bind(destination=dst, source=src, routing_key="a.*")
    assert isinstance(result, pika.frame.Method)
    assert isinstance(result.method, spec.Exchange.BindOk)
    channel.basic_publish(src, "a.b", b"via-e2e")
    channel.basic_publish(src, "z.b", b"filtered")
    channel.queue_declare(q, passive=True)
    assert _drain(channel, q) == [b"via-e2e"]
    result = channel.exchange_unbind(destination=dst, source=src, routing_key="a.*")
    assert isinstance(result.method, spec.Exchange.UnbindOk)
    channel.basic_publish(src, "a.b", b"after-unbind")
    channel.queue_declare(q, passive=True)
    assert _drain(channel, q) == []
    # positional form and binding arguments
    channel.exchange_bind(dst, src, "k", arguments={"note": "x"})
    channel.basic_publish(src, "k", b"positional")
    channel.queue_declare(q, passive=True)
    assert _drain(channel, q) == [b"positional"]
    channel.exchange_unbind(dst, src, "k", arguments={"note": "x"})


def test_bind_to_missing_exchange_is_404(connection, names):
    ch = connection.channel()
    q = ch.queue_declare("", exclusive=True).method.queue
    with pytest.raises(exceptions.ChannelClosedByBroker) as info:
        ch.queue_bind(q, names.exchange("missing"), "k")
    assert info.value.reply_code == 404


# ------------------------------------------------------------ purge/delete


def test_purge_reports_count(channel):
    q = channel.queue_declare("", exclusive=True).method.queue
    for i in range(7):
        channel.basic_publish("", q, b"%d" % i)
    result = channel.queue_purge(q)
    assert isinstance(result, pika.frame.Method)
    assert isinstance(result.method, spec.Queue.PurgeOk)
    assert result.method.message_count == 7
    assert channel.queue_purge(q).method.message_count == 0
    assert channel.basic_get(q) == (None, None, None)


def test_purge_does_not_count_unacked(channel):
    q = channel.queue_declare("", exclusive=True).method.queue
    for i in range(3):
        channel.basic_publish("", q, b"%d" % i)
    method, _p, _b = channel.basic_get(q)  # unacked, held by us
    assert channel.queue_purge(q).method.message_count == 2
    channel.basic_nack(method.delivery_tag, requeue=True)
    channel.queue_declare(q, passive=True)
    assert _drain(channel, q) == [b"0"]


def test_delete_reports_count(channel, names, observer):
    name = names.queue("del")
    channel.queue_declare(name)
    for i in range(4):
        channel.basic_publish("", name, b"%d" % i)
    result = channel.queue_delete(name)
    assert isinstance(result.method, spec.Queue.DeleteOk)
    assert result.method.message_count == 4
    assert not observer.exists(name)


def test_delete_if_empty_and_if_unused(connection, names, observer):
    ch = connection.channel()
    name = names.queue("cond")
    ch.queue_declare(name)
    ch.basic_publish("", name, b"x")
    with pytest.raises(exceptions.ChannelClosedByBroker) as info:
        ch.queue_delete(name, if_empty=True)
    assert info.value.reply_code == 406
    ch = connection.channel()
    ch.basic_consume(name, lambda *a: None)
    other = connection.channel()
    with pytest.raises(exceptions.ChannelClosedByBroker) as info:
        other.queue_delete(name, if_unused=True)
    assert info.value.reply_code == 406
    other = connection.channel()
    assert other.queue_delete(name).method.message_count in (0, 1)
    assert not observer.exists(name)


def test_topology_return_types_match_pika(amqp_url, names):
    ex1, ex2 = names.exchange(), names.exchange()
    qn = names.queue()

    def scenario(lib):
        out = []
        with lib.BlockingConnection(lib.URLParameters(amqp_url)) as conn:
            ch = conn.channel()

            def record(result):
                out.append((type(result).__name__, type(result.method).__name__,
                            result.channel_number, sorted(vars(result.method))))

            record(ch.exchange_declare(ex1, "direct"))
            record(ch.exchange_declare(ex2, "fanout"))
            record(ch.exchange_bind(ex2, ex1, "k"))
            record(ch.exchange_unbind(ex2, ex1, "k"))
            record(ch.queue_declare(qn))
            record(ch.queue_bind(qn, ex1, "k"))
            record(ch.queue_unbind(qn, ex1, "k"))
            record(ch.queue_purge(qn))
            record(ch.queue_delete(qn))
            record(ch.exchange_delete(ex2))
            record(ch.exchange_delete(ex1))
            record(ch.tx_select())
            record(ch.tx_commit())
            record(ch.tx_rollback())
            out.append(ch.basic_qos(prefetch_count=3))
            out.append(ch.basic_recover(requeue=True))
        return out

    assert scenario(pika) == scenario(real_pika)
