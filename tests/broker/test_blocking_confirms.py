"""Publisher confirms, returned messages and transactions."""
import time

import pytest

import pika as real_pika

import pika_fast as pika
from pika_fast import exceptions, spec


def _reject_publish_queue(ch):
    return ch.queue_declare("", exclusive=True, arguments={
        "x-max-length": 1, "x-overflow": "reject-publish"}).method.queue


# ------------------------------------------------------------------ confirms


def test_confirm_delivery_ack_path(channel, count_settles):
    q = channel.queue_declare("", exclusive=True).method.queue
    assert channel.confirm_delivery() is None
    for i in range(100):
        assert channel.basic_publish("", q, b"%d" % i) is None
    # confirmed means enqueued: the count is exact at once
    assert channel.queue_declare(q, passive=True).method.message_count == 100
    assert channel.basic_get(q, auto_ack=True)[2] == b"0"


def test_confirm_delivery_unroutable_without_mandatory_is_acked(channel):
    channel.confirm_delivery()
    channel.basic_publish("", "pika_fast.test.no-such-queue", b"dropped")
    channel.basic_publish("amq.direct", "no-binding", b"dropped too")
    assert channel.is_open


def test_confirm_delivery_twice_is_harmless(channel, queue):
    channel.confirm_delivery()
    channel.confirm_delivery()
    channel.basic_publish("", queue, b"x")
    assert channel.basic_get(queue, auto_ack=True)[2] == b"x"


def test_nack_error_on_reject_publish_overflow(channel):
    q = _reject_publish_queue(channel)
    channel.confirm_delivery()
    channel.basic_publish("", q, b"fits")
    with pytest.raises(exceptions.NackError) as info:
        channel.basic_publish("", q, b"refused")
    err = info.value
    assert isinstance(err, exceptions.AMQPChannelError)
    assert isinstance(err.messages, list)
    assert "NackError" in repr(err) or "nack" in str(err).lower()
    # the channel stays usable, and confirms keep working
    assert channel.is_open
    assert channel.basic_get(q, auto_ack=True)[2] == b"fits"
    channel.basic_publish("", q, b"fits again")
    assert channel.basic_get(q, auto_ack=True)[2] == b"fits again"


def test_nack_error_messages_same_as_pika(amqp_url):
    def scenario(lib):
        with lib.BlockingConnection(lib.URLParameters(amqp_url)) as conn:
            ch = conn.channel()
            q = _reject_publish_queue(ch)
            ch.confirm_delivery()
            ch.basic_publish("", q, b"fits")
            try:
                ch.basic_publish("", q, b"refused")
            except lib.exceptions.NackError as exc:
                return [(type(m.method).__name__, m.method.reply_code, m.body)
                        for m in exc.messages], ch.is_open
            return None

    assert scenario(pika) == scenario(real_pika)


def test_unroutable_error_with_mandatory(channel):
    channel.confirm_delivery()
    rk = "pika_fast.test.unbound-routing-key"
    props = pika.BasicProperties(content_type="text/plain", headers={"k": "v"})
    with pytest.raises(exceptions.UnroutableError) as info:
        channel.basic_publish("", rk, b"bounced", props, mandatory=True)
    err = info.value
    assert isinstance(err, exceptions.AMQPChannelError)
    assert len(err.messages) == 1
    returned = err.messages[0]
    assert isinstance(returned.method, spec.Basic.Return)
    assert returned.method.reply_code == 312
    assert returned.method.reply_text == "NO_ROUTE"
    assert returned.method.exchange == ""
    assert returned.method.routing_key == rk
    assert isinstance(returned.properties, spec.BasicProperties)
    assert returned.properties.content_type == "text/plain"
    assert returned.properties.headers == {"k": "v"}
    assert returned.body == b"bounced"
    # the next publish is not haunted by the previous return
    q = channel.queue_declare("", exclusive=True).method.queue
    channel.basic_publish("", q, b"routable", mandatory=True)
    assert channel.basic_get(q, auto_ack=True)[2] == b"routable"


def test_unroutable_error_via_exchange(channel, names):
    ex = names.exchange()
    channel.exchange_declare(ex, "direct")
    channel.confirm_delivery()
    with pytest.raises(exceptions.UnroutableError) as info:
        channel.basic_publish(ex, "nobody", b"x", mandatory=True)
    assert info.value.messages[0].method.exchange == ex
    assert info.value.messages[0].method.routing_key == "nobody"


def test_confirm_errors_same_as_pika(amqp_url):
    rk = "pika_fast.test.unbound-routing-key"

    def scenario(lib):
        with lib.BlockingConnection(lib.URLParameters(amqp_url)) as conn:
            ch = conn.channel()
            ch.confirm_delivery()
            out = []
            try:
                ch.basic_publish("", rk, b"bounced", lib.BasicProperties(app_id="a"),
                                 mandatory=True)
            except lib.exceptions.UnroutableError as exc:
                out.append((type(exc).__name__, [
                    (type(m).__name__, type(m.method).__name__, m.method.reply_code,
                     m.method.reply_text, m.method.exchange, m.method.routing_key,
                     m.properties.app_id, m.body) for m in exc.messages]))
            out.append(ch.is_open)
            return out

    assert scenario(pika) == scenario(real_pika)


def test_confirmed_publish_to_missing_exchange_raises_channel_closed(connection, names):
    ch = connection.channel()
    ch.confirm_delivery()
    with pytest.raises(exceptions.ChannelClosedByBroker) as info:
        ch.basic_publish(names.exchange("missing"), "k", b"x")
    assert info.value.reply_code == 404
    assert ch.is_closed
    assert connection.is_open


def test_confirms_with_consumer_on_same_channel(channel):
    q = channel.queue_declare("", exclusive=True).method.queue
    channel.confirm_delivery()
    got = []

    def on_message(ch, method, props, body):
        got.append(body)
        ch.basic_ack(method.delivery_tag)
        if len(got) < 5:
            ch.basic_publish("", q, b"%d" % len(got))  # confirmed publish inside callback
        else:
            ch.stop_consuming()

    channel.basic_consume(q, on_message)
    channel.basic_publish("", q, b"0")
    timer = channel.connection.call_later(10, channel.stop_consuming)
    channel.start_consuming()
    channel.connection.remove_timeout(timer)
    assert got == [b"0", b"1", b"2", b"3", b"4"]


@pytest.mark.broker_timeout(120)
def test_many_confirmed_publishes(channel):
    q = channel.queue_declare("", exclusive=True).method.queue
    channel.confirm_delivery()
    started = time.monotonic()
    for i in range(2000):
        channel.basic_publish("", q, b"%d" % i)
    assert time.monotonic() - started < 60
    assert channel.queue_declare(q, passive=True).method.message_count == 2000


# ----------------------------------------------------- returns without confirms


def test_return_callback_without_confirms(channel):
    returned = []
    channel.add_on_return_callback(lambda *args: returned.append(args))
    rk = "pika_fast.test.unbound-routing-key"
    channel.basic_publish("", rk, b"comes back", pika.BasicProperties(message_id="m1"),
                          mandatory=True)
    assert returned == []  # only dispatched from process_data_events
    deadline = time.monotonic() + 5
    while not returned and time.monotonic() < deadline:
        channel.connection.process_data_events(time_limit=0.1)
    assert len(returned) == 1
    ch, method, props, body = returned[0]
    assert ch is channel
    assert isinstance(method, spec.Basic.Return)
    assert (method.reply_code, method.reply_text, method.exchange, method.routing_key) == \
        (312, "NO_ROUTE", "", rk)
    assert isinstance(props, spec.BasicProperties)
    assert props.message_id == "m1"
    assert body == b"comes back"


def test_return_callback_not_called_for_routable(channel, queue):
    returned = []
    channel.add_on_return_callback(lambda *args: returned.append(args))
    channel.basic_publish("", queue, b"routable", mandatory=True)
    channel.connection.process_data_events(time_limit=0.3)
    assert returned == []


def test_return_callback_with_confirms_same_as_pika(amqp_url):
    """With confirms on, pika raises UnroutableError and still calls the return callback
    (later, from process_data_events)."""
    rk = "pika_fast.test.unbound-routing-key"

    def scenario(lib):
        with lib.BlockingConnection(lib.URLParameters(amqp_url)) as conn:
            ch = conn.channel()
            returned = []
            ch.add_on_return_callback(
                lambda c, m, p, b: returned.append((c is ch, type(m).__name__, b)))
            ch.confirm_delivery()
            raised = None
            try:
                ch.basic_publish("", rk, b"x", mandatory=True)
            except lib.exceptions.UnroutableError as exc:
                raised = len(exc.messages)
            before = list(returned)
            conn.process_data_events(time_limit=0.3)
            return raised, before, returned

    assert scenario(pika) == scenario(real_pika)


# ------------------------------------------------------------- transactions


def test_tx_commit_and_rollback(channel, count_settles):
    q = channel.queue_declare("", exclusive=True).method.queue
    result = channel.tx_select()
    assert isinstance(result, pika.frame.Method)
    assert isinstance(result.method, spec.Tx.SelectOk)
    channel.basic_publish("", q, b"rolled back")
    result = channel.tx_rollback()
    assert isinstance(result.method, spec.Tx.RollbackOk)
    assert count_settles(channel, q, 0, timeout=0.5) == 0
    channel.basic_publish("", q, b"committed")
    assert channel.queue_declare(q, passive=True).method.message_count == 0  # not yet
    result = channel.tx_commit()
    assert isinstance(result.method, spec.Tx.CommitOk)
    assert count_settles(channel, q, 1) == 1
    # the get and its ack are transactional too
    method, _p, body = channel.basic_get(q)
    assert body == b"committed"
    channel.basic_ack(method.delivery_tag)
    channel.tx_commit()
    assert channel.basic_get(q) == (None, None, None)


def test_tx_rollback_of_ack(channel, count_settles):
    q = channel.queue_declare("", exclusive=True).method.queue
    channel.basic_publish("", q, b"keep")
    channel.tx_select()
    method, _p, _b = channel.basic_get(q)
    channel.basic_ack(method.delivery_tag)
    channel.tx_rollback()
    channel.close()  # the ack was rolled back: closing requeues the message
    ch = channel.connection.channel()
    assert count_settles(ch, q, 1) == 1


def test_tx_commit_without_select_is_precondition_failed(connection):
    ch = connection.channel()
    with pytest.raises(exceptions.ChannelClosedByBroker) as info:
        ch.tx_commit()
    assert info.value.reply_code == 406
    assert connection.is_open


def test_tx_and_confirms_do_not_mix(connection):
    ch = connection.channel()
    ch.confirm_delivery()
    with pytest.raises(exceptions.ChannelClosedByBroker) as info:
        ch.tx_select()
    assert info.value.reply_code == 406
