"""Consuming: basic_consume/start_consuming, acks, qos, the consume() generator, cancels."""
import re
import time

import pytest

import pika as real_pika

import pika_fast as pika
from pika_fast import exceptions, spec
from pika_fast.adapters.blocking_connection import BlockingChannel

CTAG = re.compile(r"^ctag(\d+)\.[0-9a-f]{32}$")


def _publish(ch, queue, bodies, **props):
    for body in bodies:
        ch.basic_publish("", queue, body, pika.BasicProperties(**props) if props else None)


def _consume_until(ch, count, timeout=10.0, auto_ack=False, queue=None, on_each=None):
    """start_consuming until ``count`` messages arrived (bounded by a call_later stop)."""
    got = []

    def on_message(chan, method, props, body):
        got.append((chan, method, props, body))
        if on_each is not None:
            on_each(chan, method, props, body)
        if len(got) >= count:
            chan.stop_consuming()

    tag = ch.basic_consume(queue, on_message, auto_ack=auto_ack)
    timer = ch.connection.call_later(timeout, ch.stop_consuming)
    ch.start_consuming()
    ch.connection.remove_timeout(timer)
    return tag, got


def _threadsafe_later(connection, delay, callback):
    """A backstop independent of call_later: another thread asks the connection's thread
    to run ``callback`` after ``delay`` seconds. ``.cancel()`` it when done."""
    import threading

    def fire():
        try:
            connection.add_callback_threadsafe(callback)
        except Exception:  # noqa: BLE001 - the connection may be closed by then
            pass

    timer = threading.Timer(delay, fire)
    timer.daemon = True
    timer.start()
    return timer


# ---------------------------------------------------- basic_consume basics


def test_basic_consume_callback_arguments(channel, queue):
    _publish(channel, queue, [b"hello"], content_type="text/plain", headers={"h": 1})
    tag, got = _consume_until(channel, 1, queue=queue, auto_ack=True)
    assert len(got) == 1
    chan, method, props, body = got[0]
    assert chan is channel
    assert isinstance(chan, BlockingChannel)
    assert isinstance(method, spec.Basic.Deliver)
    assert method.consumer_tag == tag
    assert method.delivery_tag == 1
    assert method.redelivered is False
    assert method.exchange == ""
    assert method.routing_key == queue
    assert isinstance(props, spec.BasicProperties)
    assert props.content_type == "text/plain"
    assert props.headers == {"h": 1}
    assert body == b"hello" and type(body) is bytes
    # stop_consuming cancelled the consumer
    assert channel.consumer_tags == []


def test_consumer_tag_format_matches_pika(channel, queue, real):
    tag = channel.basic_consume(queue, lambda *a: None)
    m = CTAG.match(tag)
    assert m, tag
    assert int(m.group(1)) == channel.channel_number
    assert channel.consumer_tags == [tag]
    ch5 = channel.connection.channel(channel_number=5)
    q5 = ch5.queue_declare("", exclusive=True).method.queue
    tag5 = ch5.basic_consume(q5, lambda *a: None)
    assert CTAG.match(tag5).group(1) == "5"
    # same shape as the real pika's
    ref = real.connect().channel()
    ref_q = ref.queue_declare("", exclusive=True).method.queue
    ref_tag = ref.basic_consume(ref_q, lambda *a: None)
    assert CTAG.match(ref_tag)
    assert len(ref_tag) == len(tag)


def test_custom_consumer_tag_and_duplicate(channel, queue):
    tag = channel.basic_consume(queue, lambda *a: None, consumer_tag="my-tag")
    assert tag == "my-tag"
    with pytest.raises(exceptions.DuplicateConsumerTag):
        channel.basic_consume(queue, lambda *a: None, consumer_tag="my-tag")
    assert channel.consumer_tags == ["my-tag"]
    assert channel.is_open
    assert channel.basic_cancel("my-tag") == []
    assert channel.consumer_tags == []


def test_basic_consume_requires_callable(channel, queue):
    # TypeError, as pika 1.4.4 (compared in test_blocking_api_parity.py)
    with pytest.raises(TypeError):
        channel.basic_consume(queue, None)
    with pytest.raises(TypeError):
        channel.basic_consume(queue, "not callable")
    assert channel.consumer_tags == []
    assert channel.is_open


def test_basic_consume_missing_queue_is_404(connection):
    ch = connection.channel()
    with pytest.raises(exceptions.ChannelClosedByBroker) as info:
        ch.basic_consume("pika_fast.test.surely-missing", lambda *a: None)
    assert info.value.reply_code == 404
    assert ch.consumer_tags == []


def test_exclusive_consumer(channel, queue, connection):
    channel.basic_consume(queue, lambda *a: None, exclusive=True)
    other = connection.channel()
    with pytest.raises(exceptions.ChannelClosedByBroker) as info:
        other.basic_consume(queue, lambda *a: None)
    assert info.value.reply_code == 403


def test_consumer_arguments_priority(channel, queue):
    # x-priority is a consumer argument RabbitMQ accepts
    tag = channel.basic_consume(queue, lambda *a: None, arguments={"x-priority": 10})
    assert channel.consumer_tags == [tag]


def test_two_consumers_on_one_channel(channel):
    q1 = channel.queue_declare("", exclusive=True).method.queue
    q2 = channel.queue_declare("", exclusive=True).method.queue
    got = {q1: [], q2: []}
    done = []

    def make(queue):
        def on_message(ch, method, props, body):
            got[queue].append(body)
            ch.basic_ack(method.delivery_tag)
            if len(got[q1]) == 3 and len(got[q2]) == 3 and not done:
                done.append(True)
                ch.stop_consuming()
        return on_message

    t1 = channel.basic_consume(q1, make(q1))
    t2 = channel.basic_consume(q2, make(q2))
    assert t1 != t2
    assert sorted(channel.consumer_tags) == sorted([t1, t2])
    for i in range(3):
        channel.basic_publish("", q1, b"a%d" % i)
        channel.basic_publish("", q2, b"b%d" % i)
    timer = channel.connection.call_later(10, channel.stop_consuming)
    channel.start_consuming()
    channel.connection.remove_timeout(timer)
    assert got == {q1: [b"a0", b"a1", b"a2"], q2: [b"b0", b"b1", b"b2"]}
    assert channel.consumer_tags == []


def test_stop_consuming_one_tag_keeps_the_other(channel):
    q1 = channel.queue_declare("", exclusive=True).method.queue
    q2 = channel.queue_declare("", exclusive=True).method.queue
    t1 = channel.basic_consume(q1, lambda *a: None)
    t2 = channel.basic_consume(q2, lambda *a: None)
    channel.stop_consuming(t1)
    assert channel.consumer_tags == [t2]
    channel.stop_consuming()
    assert channel.consumer_tags == []


def test_start_consuming_returns_when_last_consumer_cancelled(channel, queue):
    _publish(channel, queue, [b"1", b"2", b"3"])
    seen = []

    def on_message(ch, method, props, body):
        seen.append(body)
        ch.basic_ack(method.delivery_tag)
        if body == b"2":
            ch.basic_cancel(method.consumer_tag)

    channel.basic_consume(queue, on_message)
    timer = channel.connection.call_later(10, channel.stop_consuming)
    channel.start_consuming()
    channel.connection.remove_timeout(timer)
    assert seen == [b"1", b"2"]
    assert channel.basic_get(queue, auto_ack=True)[2] == b"3"


def test_start_consuming_without_consumers_returns_at_once(channel):
    started = time.monotonic()
    channel.start_consuming()
    assert time.monotonic() - started < 1


def test_start_consuming_is_not_reentrant(channel, queue):
    _publish(channel, queue, [b"x"])
    errors = []

    def on_message(ch, method, props, body):
        try:
            ch.start_consuming()
        except exceptions.ReentrancyError as exc:
            errors.append(exc)
        ch.stop_consuming()

    channel.basic_consume(queue, on_message, auto_ack=True)
    channel.start_consuming()
    assert len(errors) == 1


def test_process_data_events_and_sleep_inside_callback(channel, queue):
    _publish(channel, queue, [b"0", b"1", b"2"])
    seen = []
    depth = [0]

    def on_message(ch, method, props, body):
        depth[0] += 1
        seen.append((body, depth[0]))
        ch.connection.process_data_events(0)
        ch.connection.sleep(0.05)
        ch.basic_ack(method.delivery_tag)
        depth[0] -= 1
        if len(seen) == 3:
            ch.stop_consuming()

    channel.basic_consume(queue, on_message)
    timer = channel.connection.call_later(10, channel.stop_consuming)
    try:
        channel.start_consuming()
    finally:
        channel.connection.remove_timeout(timer)
    # no nested dispatch: every callback ran at depth 1
    assert seen == [(b"0", 1), (b"1", 1), (b"2", 1)]


def test_exception_in_callback_propagates(connection):
    ch = connection.channel()
    q = ch.queue_declare("", exclusive=True).method.queue
    _publish(ch, q, [b"0", b"1", b"2"])

    class Boom(Exception):
        pass

    def on_message(chan, method, props, body):
        raise Boom(body)

    ch.basic_consume(q, on_message)
    with pytest.raises(Boom):
        ch.start_consuming()
    # nothing was acked: closing the channel gives every message back
    ch.close()
    other = connection.channel()
    deadline = time.monotonic() + 5
    while other.queue_declare(q, passive=True).method.message_count != 3:
        assert time.monotonic() < deadline
        time.sleep(0.02)


# -------------------------------------------------------- acks and requeue


def test_ack_nack_reject_requeue_and_redelivered(channel, queue):
    _publish(channel, queue, [b"ack", b"nack", b"reject"])
    _tag, got = _consume_until(channel, 3, queue=queue)
    by_body = {g[3]: g[1] for g in got}
    assert all(m.redelivered is False for m in by_body.values())
    channel.basic_ack(by_body[b"ack"].delivery_tag)
    channel.basic_nack(by_body[b"nack"].delivery_tag, requeue=True)
    channel.basic_reject(by_body[b"reject"].delivery_tag, requeue=True)
    _tag, got = _consume_until(channel, 2, queue=queue)
    again = {g[3]: g[1] for g in got}
    assert set(again) == {b"nack", b"reject"}
    assert all(m.redelivered is True for m in again.values())
    # now drop them for good
    channel.basic_nack(again[b"nack"].delivery_tag, requeue=False)
    channel.basic_reject(again[b"reject"].delivery_tag, requeue=False)
    assert channel.basic_get(queue) == (None, None, None)


def test_ack_and_nack_multiple(channel, queue):
    _publish(channel, queue, [b"%d" % i for i in range(6)])
    _tag, got = _consume_until(channel, 6, queue=queue)
    tags = [g[1].delivery_tag for g in got]
    assert tags == sorted(tags)
    channel.basic_ack(tags[2], multiple=True)      # acks 0,1,2
    channel.basic_nack(tags[5], multiple=True, requeue=True)  # requeues 3,4,5
    bodies = []
    while True:
        method, _p, body = channel.basic_get(queue, auto_ack=True)
        if method is None:
            break
        assert method.redelivered is True
        bodies.append(body)
    assert sorted(bodies) == [b"3", b"4", b"5"]


def test_ack_all_with_tag_zero(channel, queue, count_settles):
    _publish(channel, queue, [b"a", b"b", b"c"])
    _tag, got = _consume_until(channel, 3, queue=queue)
    channel.basic_ack(0, multiple=True)
    channel.close()
    ch = channel.connection.channel()
    assert count_settles(ch, queue, 0) == 0


def test_unknown_delivery_tag_in_consume_generator(connection):
    ch = connection.channel()
    q = ch.queue_declare("", exclusive=True).method.queue
    ch.basic_publish("", q, b"x")
    started = time.monotonic()
    with pytest.raises(exceptions.ChannelClosedByBroker) as info:
        for method, _p, _b in ch.consume(q, inactivity_timeout=0.5):
            if method is not None:
                ch.basic_ack(method.delivery_tag + 100)
            assert time.monotonic() - started < 5
    assert info.value.reply_code == 406
    assert ch.is_closed
    assert connection.is_open


def test_unknown_delivery_tag_closes_channel(connection):
    ch = connection.channel()
    q = ch.queue_declare("", exclusive=True).method.queue
    ch.basic_ack(999)
    with pytest.raises(exceptions.ChannelClosedByBroker) as info:
        ch.queue_declare(q, passive=True)
    assert info.value.reply_code == 406
    assert "PRECONDITION_FAILED" in info.value.reply_text


def test_unknown_delivery_tag_during_start_consuming(connection):
    """The broker closes the channel while we consume: start_consuming raises it."""
    ch = connection.channel()
    q = ch.queue_declare("", exclusive=True).method.queue
    ch.basic_publish("", q, b"x")

    def on_message(chan, method, props, body):
        chan.basic_ack(method.delivery_tag + 100)

    ch.basic_consume(q, on_message)
    backstop = _threadsafe_later(connection, 3, ch.stop_consuming)
    try:
        started = time.monotonic()
        with pytest.raises(exceptions.ChannelClosedByBroker) as info:
            ch.start_consuming()
        assert time.monotonic() - started < 2
    finally:
        backstop.cancel()
    assert info.value.reply_code == 406
    assert ch.is_closed
    assert connection.is_open


def test_basic_recover_requeue(channel, queue):
    _publish(channel, queue, [b"r1", b"r2"])
    _tag, got = _consume_until(channel, 2, queue=queue)
    assert [g[3] for g in got] == [b"r1", b"r2"]
    assert channel.basic_recover(requeue=True) is None
    _tag, got = _consume_until(channel, 2, queue=queue)
    assert sorted(g[3] for g in got) == [b"r1", b"r2"]
    assert all(g[1].redelivered for g in got)
    for g in got:
        channel.basic_ack(g[1].delivery_tag)


# --------------------------------------------------------------------- qos


def test_qos_prefetch_count_limits_unacked(channel, names, observer):
    q = names.queue("qos")
    channel.queue_declare(q)
    _publish(channel, q, [b"%d" % i for i in range(20)])
    assert observer.wait_for(lambda: observer.message_count(q) == 20)
    assert channel.basic_qos(prefetch_count=5) is None
    got = []
    channel.basic_consume(q, lambda ch, m, p, b: got.append(m))
    channel.connection.process_data_events(time_limit=1.0)
    assert len(got) == 5
    # the broker holds the other 15 as ready
    assert observer.wait_for(lambda: observer.message_count(q) == 15)
    # ack them all: 5 more come
    channel.basic_ack(got[-1].delivery_tag, multiple=True)
    deadline = time.monotonic() + 5
    while len(got) < 10 and time.monotonic() < deadline:
        channel.connection.process_data_events(time_limit=0.1)
    channel.connection.process_data_events(time_limit=0.5)
    assert len(got) == 10
    assert observer.wait_for(lambda: observer.message_count(q) == 10)


def test_qos_prefetch_with_consume_generator(channel, queue):
    _publish(channel, queue, [b"%d" % i for i in range(12)])
    channel.basic_qos(prefetch_count=5)
    first = None
    for method, _props, _body in channel.consume(queue, inactivity_timeout=2):
        first = method
        break
    assert first is not None
    channel.connection.process_data_events(time_limit=1.0)
    # 5 delivered, one of them yielded: 4 wait in the generator's buffer
    assert channel.get_waiting_message_count() == 4
    channel.cancel()


def test_qos_prefetch_size_and_global_same_as_pika(amqp_url):
    def scenario(lib):
        with lib.BlockingConnection(lib.URLParameters(amqp_url)) as conn:
            ch = conn.channel()
            q = ch.queue_declare("", exclusive=True).method.queue
            results = [ch.basic_qos(prefetch_count=2, global_qos=True),
                       ch.basic_qos(prefetch_size=0, prefetch_count=3, global_qos=False)]
            for body in (b"a", b"b", b"c", b"d", b"e"):
                ch.basic_publish("", q, body)
            got = []
            ch.basic_consume(q, lambda c, m, p, b: got.append(b))
            conn.process_data_events(time_limit=0.7)
            return results, got

    assert scenario(pika) == scenario(real_pika)


# ---------------------------------------------------- consume() generator


def test_consume_generator_yields_messages_then_inactivity(channel, queue):
    _publish(channel, queue, [b"g1", b"g2"])
    seen = []
    inactive = 0
    started = time.monotonic()
    for method, props, body in channel.consume(queue, inactivity_timeout=0.3):
        if method is None:
            assert (method, props, body) == (None, None, None)
            inactive += 1
            if inactive == 2:
                break
            continue
        assert isinstance(method, spec.Basic.Deliver)
        assert isinstance(props, spec.BasicProperties)
        seen.append(body)
        channel.basic_ack(method.delivery_tag)
    elapsed = time.monotonic() - started
    assert seen == [b"g1", b"g2"]
    assert 0.5 <= elapsed < 3, elapsed
    assert channel.cancel() == 0


def test_consume_generator_resumes_and_param_mismatch(channel, queue):
    _publish(channel, queue, [b"1", b"2", b"3"])
    gen = channel.consume(queue, auto_ack=True, inactivity_timeout=2)
    assert next(gen)[2] == b"1"
    # same params: the same consumer goes on
    gen2 = channel.consume(queue, auto_ack=True, inactivity_timeout=2)
    assert next(gen2)[2] == b"2"
    assert len(channel.consumer_tags) == 1
    with pytest.raises(ValueError):
        next(channel.consume(queue, auto_ack=False, inactivity_timeout=2))
    channel.cancel()
    assert channel.consumer_tags == []


def test_consume_generator_custom_tag_and_arguments(channel, queue):
    _publish(channel, queue, [b"x"])
    for method, _p, _b in channel.consume(queue, auto_ack=True, inactivity_timeout=2,
                                          consumer_tag="gen-tag",
                                          arguments={"x-priority": 1}):
        assert method.consumer_tag == "gen-tag"
        break
    assert channel.consumer_tags == ["gen-tag"]
    channel.cancel()


def test_get_waiting_message_count_and_cancel_requeues(channel, names, observer):
    q = names.queue("waiting")
    channel.queue_declare(q)
    _publish(channel, q, [b"%d" % i for i in range(5)])
    assert observer.wait_for(lambda: observer.message_count(q) == 5)
    assert channel.get_waiting_message_count() == 0
    gen = channel.consume(q, inactivity_timeout=2)
    method, _p, body = next(gen)
    assert body == b"0"
    deadline = time.monotonic() + 5
    while channel.get_waiting_message_count() < 4 and time.monotonic() < deadline:
        channel.connection.process_data_events(time_limit=0.05)
    assert channel.get_waiting_message_count() == 4
    channel.basic_ack(method.delivery_tag)
    channel.cancel()
    assert channel.get_waiting_message_count() == 0
    assert channel.consumer_tags == []
    # the four undelivered ones went back to the queue
    assert observer.wait_for(lambda: observer.message_count(q) == 4)
    # and cancel() again is harmless
    assert channel.cancel() == 0


def test_cancel_return_value_matches_pika(amqp_url):
    def scenario(lib):
        with lib.BlockingConnection(lib.URLParameters(amqp_url)) as conn:
            ch = conn.channel()
            q = ch.queue_declare("", exclusive=True).method.queue
            for i in range(5):
                ch.basic_publish("", q, b"%d" % i)
            gen = ch.consume(q, inactivity_timeout=2)
            next(gen)
            deadline = time.monotonic() + 5
            while ch.get_waiting_message_count() < 4 and time.monotonic() < deadline:
                conn.process_data_events(time_limit=0.05)
            waiting = ch.get_waiting_message_count()
            return waiting, ch.cancel(), ch.cancel()

    assert scenario(pika) == scenario(real_pika)


def test_consume_generator_auto_ack_cancel(channel, queue, count_settles):
    _publish(channel, queue, [b"a", b"b", b"c"])
    gen = channel.consume(queue, auto_ack=True, inactivity_timeout=2)
    assert next(gen)[2] == b"a"
    channel.connection.process_data_events(time_limit=0.3)
    assert channel.cancel() == 0
    # auto-acked messages are gone for good
    assert count_settles(channel, queue, 0) == 0


def test_generator_ends_after_cancel(channel, queue):
    _publish(channel, queue, [b"only"])
    gen = channel.consume(queue, auto_ack=True, inactivity_timeout=0.2)
    assert next(gen)[2] == b"only"
    channel.cancel()
    assert list(gen) == []


def test_consume_missing_queue(connection):
    ch = connection.channel()
    with pytest.raises(exceptions.ChannelClosedByBroker) as info:
        next(ch.consume("pika_fast.test.surely-missing", inactivity_timeout=1))
    assert info.value.reply_code == 404


def test_channel_close_nacks_generator_buffer(connection, names, observer):
    ch = connection.channel()
    q = names.queue("closebuf")
    ch.queue_declare(q)
    _publish(ch, q, [b"%d" % i for i in range(4)])
    assert observer.wait_for(lambda: observer.message_count(q) == 4)
    gen = ch.consume(q, inactivity_timeout=2)
    next(gen)
    connection.process_data_events(time_limit=0.3)
    ch.close()
    assert ch.is_closed
    assert observer.wait_for(lambda: observer.message_count(q) == 4)


# ------------------------------------------------------------ basic_cancel


def test_basic_cancel_auto_ack_returns_pending(channel, queue):
    _publish(channel, queue, [b"p0", b"p1", b"p2"])
    got = []
    tag = channel.basic_consume(queue, lambda ch, m, p, b: got.append(b), auto_ack=True)
    time.sleep(0.3)  # deliveries wait in the socket, undispatched
    pending = channel.basic_cancel(tag)
    assert got == []
    assert isinstance(pending, list)
    assert [b for _m, _p, b in pending] == [b"p0", b"p1", b"p2"]
    for method, props, _body in pending:
        assert isinstance(method, spec.Basic.Deliver)
        assert isinstance(props, spec.BasicProperties)
        assert method.consumer_tag == tag
    assert channel.consumer_tags == []


def test_basic_cancel_manual_ack_requeues_pending(channel, queue, count_settles):
    _publish(channel, queue, [b"p0", b"p1", b"p2"])
    got = []
    tag = channel.basic_consume(queue, lambda ch, m, p, b: got.append(b))
    time.sleep(0.3)
    assert channel.basic_cancel(tag) == []
    assert got == []
    assert count_settles(channel, queue, 3) == 3
    method, _p, body = channel.basic_get(queue, auto_ack=True)
    assert body == b"p0"
    assert method.redelivered is True


def test_basic_cancel_unknown_tag_returns_empty(channel):
    assert channel.basic_cancel("no-such-consumer") == []


# ------------------------------------------------------ broker-initiated cancel


def test_broker_cancel_calls_callback_and_ends_start_consuming(connection):
    ch = connection.channel()
    q = ch.queue_declare("", exclusive=True).method.queue
    calls = []
    ch.add_on_cancel_callback(lambda method_frame: calls.append(method_frame))
    tag = ch.basic_consume(q, lambda *a: None)
    connection.channel().queue_delete(q)
    timer = connection.call_later(10, ch.stop_consuming)
    ch.start_consuming()
    connection.remove_timeout(timer)
    assert ch.consumer_tags == []
    assert ch.is_open
    connection.process_data_events(time_limit=0.2)
    assert len(calls) == 1
    frame_ = calls[0]
    assert isinstance(frame_, pika.frame.Method)
    assert frame_.channel_number == ch.channel_number
    assert isinstance(frame_.method, spec.Basic.Cancel)
    assert frame_.method.consumer_tag == tag


def test_broker_cancel_callback_runs_before_start_consuming_returns(connection):
    ch = connection.channel()
    q = ch.queue_declare("", exclusive=True).method.queue
    calls = []
    ch.add_on_cancel_callback(lambda method_frame: calls.append(method_frame))
    ch.basic_consume(q, lambda *a: None)
    connection.channel().queue_delete(q)
    time.sleep(0.2)
    ch.basic_qos(prefetch_count=0)  # a synchronous call reads the broker's Basic.Cancel
    backstop = _threadsafe_later(connection, 5, ch.stop_consuming)
    try:
        ch.start_consuming()
    finally:
        backstop.cancel()
    assert len(calls) == 1


def test_broker_cancel_while_in_start_consuming(connection, names, amqp_url):
    ch = connection.channel()
    q = names.queue("brokercancel")
    ch.queue_declare(q)
    calls = []
    ch.add_on_cancel_callback(lambda method_frame: calls.append(method_frame))
    tag = ch.basic_consume(q, lambda *a: None)

    def delete_later():
        time.sleep(0.3)
        conn = real_pika.BlockingConnection(real_pika.URLParameters(amqp_url))
        try:
            conn.channel().queue_delete(q)
        finally:
            conn.close()

    import threading

    deleter = threading.Thread(target=delete_later, daemon=True)
    deleter.start()
    backstop = _threadsafe_later(connection, 10, ch.stop_consuming)
    try:
        started = time.monotonic()
        ch.start_consuming()
    finally:
        backstop.cancel()
        deleter.join(10)
    assert time.monotonic() - started < 5
    assert [c.method.consumer_tag for c in calls] == [tag]
    assert ch.consumer_tags == []
    assert ch.is_open


def test_broker_cancel_ends_consume_generator(connection):
    ch = connection.channel()
    q = ch.queue_declare("", exclusive=True).method.queue
    ch.basic_publish("", q, b"x")
    out = []
    for method, _props, body in ch.consume(q, inactivity_timeout=2):
        out.append(body)
        if body == b"x":
            ch.basic_ack(method.delivery_tag)
            connection.channel().queue_delete(q)
        assert len(out) < 5, "generator did not end after the broker's cancel"
    assert out == [b"x"]
    assert ch.get_waiting_message_count() == 0
    assert ch.consumer_tags == []
    assert ch.cancel() == 0
    assert ch.is_open


def test_broker_cancel_of_generator_consumer_same_as_pika(amqp_url):
    """pika 1.4.4 routes the generator's cancel to the generator only: the
    add_on_cancel_callback callbacks are not called for it."""

    def scenario(lib):
        with lib.BlockingConnection(lib.URLParameters(amqp_url)) as conn:
            ch = conn.channel()
            q = ch.queue_declare("", exclusive=True).method.queue
            calls = []
            ch.add_on_cancel_callback(lambda mf: calls.append(mf.method.consumer_tag))
            ch.basic_publish("", q, b"x")
            out = []
            for method, _p, body in ch.consume(q, inactivity_timeout=2):
                out.append(body)
                if body == b"x":
                    ch.basic_ack(method.delivery_tag)
                    conn.channel().queue_delete(q)
                if len(out) > 4:
                    break
            conn.process_data_events(time_limit=0.2)
            # (pika 1.4.4 also leaves the dead tag in consumer_tags: not compared)
            return out, calls

    assert scenario(pika) == scenario(real_pika)


# --------------------------------------------------- closing from a callback


def test_close_channel_inside_callback(connection, count_settles):
    ch = connection.channel()
    q = ch.queue_declare("", exclusive=True).method.queue
    _publish(ch, q, [b"0", b"1", b"2"])
    seen = []

    def on_message(chan, method, props, body):
        seen.append(body)
        chan.close()

    ch.basic_consume(q, on_message)
    timer = connection.call_later(10, lambda: None)
    ch.start_consuming()
    connection.remove_timeout(timer)
    assert seen == [b"0"]
    assert ch.is_closed
    assert connection.is_open
    assert count_settles(connection.channel(), q, 3) == 3


def test_close_connection_inside_callback(connect):
    conn = connect()
    ch = conn.channel()
    q = ch.queue_declare("", exclusive=True).method.queue
    _publish(ch, q, [b"0", b"1", b"2"])
    seen = []

    def on_message(chan, method, props, body):
        seen.append(body)
        chan.connection.close()

    ch.basic_consume(q, on_message)
    ch.start_consuming()
    assert seen == [b"0"]
    assert ch.is_closed
    assert conn.is_closed


def test_close_from_callback_same_as_pika(amqp_url):
    def scenario(lib, close_what):
        conn = lib.BlockingConnection(lib.URLParameters(amqp_url))
        try:
            ch = conn.channel()
            q = ch.queue_declare("", exclusive=True).method.queue
            for i in range(3):
                ch.basic_publish("", q, b"%d" % i)
            seen = []

            def on_message(chan, method, props, body):
                seen.append(body)
                if close_what == "channel":
                    chan.close()
                else:
                    chan.connection.close()

            ch.basic_consume(q, on_message)
            try:
                ch.start_consuming()
                outcome = None
            except Exception as exc:  # noqa: BLE001
                outcome = type(exc).__name__
            return seen, outcome, ch.is_closed, conn.is_closed
        finally:
            if conn.is_open:
                conn.close()

    for what in ("channel", "connection"):
        assert scenario(pika, what) == scenario(real_pika, what), what


def test_stop_consuming_from_call_later(channel, queue):
    started = time.monotonic()
    channel.basic_consume(queue, lambda *a: None)
    channel.connection.call_later(0.3, channel.stop_consuming)
    backstop = _threadsafe_later(channel.connection, 3, channel.stop_consuming)
    try:
        channel.start_consuming()
    finally:
        backstop.cancel()
    assert 0.25 <= time.monotonic() - started < 2
    assert channel.consumer_tags == []


def test_stop_consuming_from_another_thread(channel, queue):
    started = time.monotonic()
    channel.basic_consume(queue, lambda *a: None)
    stopper = _threadsafe_later(channel.connection, 0.3, channel.stop_consuming)
    try:
        channel.start_consuming()
    finally:
        stopper.cancel()
    assert 0.25 <= time.monotonic() - started < 3
    assert channel.consumer_tags == []
