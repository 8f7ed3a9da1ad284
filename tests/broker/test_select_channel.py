"""SelectConnection's Channel against the broker: the callback API end to end.

Every scenario is written the way pika users write callback code (on_open_callback ->
connection.channel(on_open_callback=...) -> queue_declare(callback=...) -> ...) and run
twice: once with the real pika 1.4.4, once with pika_fast. Each run records the callbacks
it gets, in order, with a normalised description of their arguments (class names, AMQP
method names and fields, exception codes; generated names replaced by aliases); the two
logs must be equal. The pika run is the reference: if *it* does not log what the test
expects, the test fails with ``ReferenceMismatch`` (never masked by an xfail mark).

Every run is bounded: a ``call_later(SCENARIO_TIMEOUT)`` stops the loop and fails the
test. Queues and exchanges a test names are deleted afterwards over a separate real-pika
connection; server-named queues are exclusive. No broker -> failure, never a skip.
"""
import hashlib
import os
import time

import pytest

import pika.adapters.select_connection  # noqa: F401  (loads real_pika.<submodule>)
import pika.amqp_object  # noqa: F401  (loads real_pika.<submodule>)
import pika.channel  # noqa: F401  (loads real_pika.<submodule>)
import pika.connection  # noqa: F401  (loads real_pika.<submodule>)
import pika.exceptions  # noqa: F401  (loads real_pika.<submodule>)
import pika.exchange_type  # noqa: F401  (loads real_pika.<submodule>)
import pika.frame  # noqa: F401  (loads real_pika.<submodule>)
import pika.spec  # noqa: F401  (loads real_pika.<submodule>)


from tests.support.select_harness import (  # noqa: F401  (fixtures included)
    SCENARIO_TIMEOUT,
    LIBS,
    _FRAME_METHOD,
    _AMQP_METHOD,
    _PROPERTIES,
    _CHANNEL,
    _CONNECTION,
    _CLOSED,
    _GENERATED,
    ReferenceMismatch,
    broker_url,
    Names,
    sel_names,
    Session,
    run_both,
)


# ============================================================== helpers of this file


def closed_by_client(code=200, text="Normal shutdown"):
    return ("connection_closed", "SelectConnection", f"ConnectionClosedByClient({code}, {text!r})")


def open_channel(s, on_channel, **connect_kwargs):
    """Connect, open one channel, hand it to ``on_channel(channel)``."""
    s.connect(lambda conn: conn.channel(on_open_callback=on_channel), **connect_kwargs)


def with_exclusive_queue(ch, then, **kwargs):
    """Declare a server-named exclusive queue, then ``then(queue_name)``."""
    ch.queue_declare("", exclusive=True, callback=lambda f: then(f.method.queue), **kwargs)


def run_steps(s, steps, done):
    """Chain RPCs: each ``(label, start)`` calls ``start(callback)``; the callback records
    ``(label, *args)`` and starts the next step; ``done()`` after the last."""
    pending = list(steps)

    def next_step():
        if not pending:
            done()
            return
        label, start = pending.pop(0)

        def callback(*args):
            s.record(label, *args)
            next_step()
        start(callback)

    next_step()


def wait_count(ch, queue, wanted, then, max_wait=5.0):
    """Poll passive declares until the queue holds ``wanted`` ready messages (the
    broker's count lags behind publishes and requeues) or ``max_wait`` passed; then
    ``then(frame)`` with the last DeclareOk frame."""
    deadline = time.monotonic() + max_wait

    def poll():
        ch.queue_declare(queue, passive=True, callback=on_ok)

    def on_ok(frame):
        if frame.method.message_count == wanted or time.monotonic() >= deadline:
            then(frame)
        else:
            ch.connection.ioloop.call_later(0.05, poll)

    poll()


def declare_ok(queue, messages=0, consumers=0):
    return (f"Method[1]Queue.DeclareOk[('consumer_count', {consumers}), "
            f"('message_count', {messages}), ('queue', '{queue}')]")


# ============================================================== channel open and close


def test_channel_open_and_client_close(broker_url, sel_names):
    def scenario(s):
        def on_open(conn):
            conn.channel(on_open_callback=on_channel)

        def on_channel(ch):
            s.record("channel_open", ch, ch.is_open, ch.is_opening, ch.is_closed, int(ch))
            ch.add_on_close_callback(on_closed)
            if ch.channel_number == 1:
                ch.close()
            else:
                ch.close(200, "bye")
            s.record("closing", ch, ch.is_closing, ch.is_open)
            try:
                ch.close()
            except Exception as exc:  # noqa: BLE001
                s.record("close_again", exc)

        def on_closed(ch, error):
            s.record("channel_closed", ch, error, ch.is_closed)
            for attempt in (lambda: ch.basic_publish("", "q", b""),
                            lambda: ch.queue_declare("q", callback=lambda f: None)):
                try:
                    attempt()
                except Exception as exc:  # noqa: BLE001
                    s.record("after_close", exc)
            if ch.channel_number == 1:  # then one with an explicit number
                ch.connection.channel(channel_number=7, on_open_callback=on_channel)
            else:
                ch.connection.close()

        s.connect(on_open)

    run_both(broker_url, sel_names, scenario, expected=[
        ("channel_open", "Channel[1]", True, False, False, 1),
        ("closing", "Channel[1]", True, False),
        ("close_again", "ChannelWrongStateError"),
        ("channel_closed", "Channel[1]", "ChannelClosedByClient(0, 'Normal shutdown')", True),
        ("after_close", "ChannelWrongStateError"),
        ("after_close", "ChannelWrongStateError"),
        ("channel_open", "Channel[7]", True, False, False, 7),
        ("closing", "Channel[7]", True, False),
        ("close_again", "ChannelWrongStateError"),
        ("channel_closed", "Channel[7]", "ChannelClosedByClient(200, 'bye')", True),
        ("after_close", "ChannelWrongStateError"),
        ("after_close", "ChannelWrongStateError"),
        closed_by_client(),
    ])


def test_passive_declare_of_missing_queue_closes_channel_404(broker_url, sel_names):
    """ChannelClosedByBroker(404) reaches the channel's close callback, the declare
    callback never runs, and the connection stays usable."""
    def scenario(s):
        missing = s.queue()

        def on_channel(ch):
            ch.add_on_close_callback(on_closed)
            ch.queue_declare(missing, passive=True,
                             callback=lambda f: s.record("unexpected_declare_ok", f))

        def on_closed(ch, error):
            s.record("channel_closed", ch, error, ch.is_closed, error.reply_code,
                     isinstance(error, s.lib.exceptions.ChannelClosedByBroker))
            ch.connection.channel(on_open_callback=on_second)

        def on_second(ch):
            s.record("second_channel", ch.is_open)
            with_exclusive_queue(ch, lambda q: (s.record("declared"), ch.connection.close()))

        open_channel(s, on_channel)

    run_both(broker_url, sel_names, scenario, expected=[
        ("channel_closed", "Channel[1]",
         "ChannelClosedByBroker(404, \"NOT_FOUND - no queue '<q1>' in vhost '/'\")",
         True, 404, True),
        ("second_channel", True),
        ("declared",),
        closed_by_client(),
    ])


def test_channel_opened_from_close_callback_gets_a_new_number(broker_url, sel_names):
    def scenario(s):
        def on_channel(ch):
            ch.add_on_close_callback(lambda c, e: c.connection.channel(
                on_open_callback=lambda ch2: (s.record("second", ch2), ch2.connection.close())))
            ch.close()

        open_channel(s, on_channel)

    run_both(broker_url, sel_names, scenario,
             expected=[("second", "Channel[2]"), closed_by_client()])


def test_consumer_tags_still_listed_in_close_callback(broker_url, sel_names):
    def scenario(s):
        def on_channel(ch):
            ch.add_on_close_callback(lambda c, e: (s.record("closed", tuple(c.consumer_tags)),
                                                   c.connection.close()))
            with_exclusive_queue(ch, lambda q: ch.basic_consume(
                q, lambda *a: None, consumer_tag="tag-1", callback=lambda f: ch.queue_declare(
                    s.queue(), passive=True, callback=lambda f2: None)))

        open_channel(s, on_channel)

    run_both(broker_url, sel_names, scenario, expected=[("closed", ("tag-1",)), closed_by_client()])


def test_publish_to_missing_exchange_closes_channel_404(broker_url, sel_names):
    def scenario(s):
        missing = s.exchange()

        def on_channel(ch):
            ch.add_on_close_callback(lambda c, e: (s.record("channel_closed", c, e),
                                                   c.connection.close()))
            ch.basic_publish(missing, "rk", b"nowhere")

        open_channel(s, on_channel)

    run_both(broker_url, sel_names, scenario, expected=[
        ("channel_closed", "Channel[1]",
         "ChannelClosedByBroker(404, \"NOT_FOUND - no exchange '<x1>' in vhost '/'\")"),
        closed_by_client(),
    ])


def test_redeclare_with_other_type_closes_channel_406(broker_url, sel_names):
    def scenario(s):
        exchange = s.exchange()

        def on_channel(ch):
            ch.add_on_close_callback(lambda c, e: (s.record("channel_closed", c, e),
                                                   c.connection.close()))
            ch.exchange_declare(exchange, "direct", callback=lambda f: (
                s.record("declared", f),
                ch.exchange_declare(exchange, "fanout",
                                    callback=lambda f2: s.record("unexpected", f2))))

        open_channel(s, on_channel)

    run_both(broker_url, sel_names, scenario, expected=[
        ("declared", "Method[1]Exchange.DeclareOk[]"),
        ("channel_closed", "Channel[1]",
         "ChannelClosedByBroker(406, \"PRECONDITION_FAILED - inequivalent arg 'type' for "
         "exchange '<x1>' in vhost '/': received 'fanout' but current is 'direct'\")"),
        closed_by_client(),
    ])


# ============================================================== topology


def test_exchange_and_queue_topology_callbacks(broker_url, sel_names):
    """declare/bind/unbind/purge/delete: each callback gets one frame.Method with the
    matching *Ok method (and its fields)."""
    def scenario(s):
        source, dest, queue = s.exchange(), s.exchange(), s.queue()
        fanout = s.lib.exchange_type.ExchangeType.fanout

        def on_channel(ch):
            def publish_three(cb):
                for i in range(3):
                    ch.basic_publish(source, "rk", b"m%d" % i)
                wait_count(ch, queue, 3, cb)

            run_steps(s, [
                ("x_declare", lambda cb: ch.exchange_declare(source, "direct", callback=cb)),
                ("x_declare", lambda cb: ch.exchange_declare(dest, fanout, durable=False,
                                                             auto_delete=False, callback=cb)),
                ("x_passive", lambda cb: ch.exchange_declare(source, passive=True,
                                                             callback=cb)),
                ("x_bind", lambda cb: ch.exchange_bind(dest, source, "rk", callback=cb)),
                ("q_declare", lambda cb: ch.queue_declare(queue, callback=cb)),
                ("q_bind", lambda cb: ch.queue_bind(queue, dest, "any", callback=cb)),
                ("q_passive_after_publish", publish_three),
                ("q_purge", lambda cb: ch.queue_purge(queue, callback=cb)),
                ("q_unbind", lambda cb: ch.queue_unbind(queue, dest, "any", callback=cb)),
                ("x_unbind", lambda cb: ch.exchange_unbind(dest, source, "rk", callback=cb)),
                ("q_delete", lambda cb: ch.queue_delete(queue, callback=cb)),
                ("x_delete", lambda cb: ch.exchange_delete(dest, callback=cb)),
                ("x_delete", lambda cb: ch.exchange_delete(source, if_unused=True,
                                                           callback=cb)),
            ], done=ch.connection.close)

        open_channel(s, on_channel)

    run_both(broker_url, sel_names, scenario, expected=[
        ("x_declare", "Method[1]Exchange.DeclareOk[]"),
        ("x_declare", "Method[1]Exchange.DeclareOk[]"),
        ("x_passive", "Method[1]Exchange.DeclareOk[]"),
        ("x_bind", "Method[1]Exchange.BindOk[]"),
        ("q_declare", declare_ok("<q1>")),
        ("q_bind", "Method[1]Queue.BindOk[]"),
        ("q_passive_after_publish", declare_ok("<q1>", messages=3)),
        ("q_purge", "Method[1]Queue.PurgeOk[('message_count', 3)]"),
        ("q_unbind", "Method[1]Queue.UnbindOk[]"),
        ("x_unbind", "Method[1]Exchange.UnbindOk[]"),
        ("q_delete", "Method[1]Queue.DeleteOk[('message_count', 0)]"),
        ("x_delete", "Method[1]Exchange.DeleteOk[]"),
        ("x_delete", "Method[1]Exchange.DeleteOk[]"),
        closed_by_client(),
    ])


def test_nowait_when_callback_is_none(broker_url, sel_names):
    """callback=None sends the nowait form (no reply expected, nothing called); the
    next RPC's callback still gets its own reply. Queue.Unbind has no nowait: its
    reply is consumed silently."""
    def scenario(s):
        x1, x2, queue = s.exchange(), s.exchange(), s.queue()

        def on_channel(ch):
            ch.add_on_close_callback(on_closed)
            ch.add_on_return_callback(lambda c, m, p, body: on_return(c, body))
            ch.exchange_declare(x1, "direct")
            ch.exchange_declare(x2, "fanout")
            ch.exchange_bind(x2, x1, "k")
            ch.queue_declare(queue)
            ch.queue_bind(queue, x2, "ignored")
            ch.basic_publish(x1, "k", b"via x1 -> x2 -> queue")
            wait_count(ch, queue, 1, lambda f: step2(ch, f))

        def step2(ch, frame):
            s.record("count", frame)
            ch.queue_purge(queue)
            ch.queue_unbind(queue, x2, "ignored")
            ch.exchange_unbind(x2, x1, "k")
            ch.basic_publish(x1, "k", b"unroutable now", mandatory=True)

        def on_return(ch, body):
            s.record("returned", body)  # proves the unbind happened
            wait_count(ch, queue, 0, lambda f: step3(ch, f))  # and the purge

        def step3(ch, frame):
            s.record("count", frame)
            ch.queue_delete(queue)
            ch.exchange_delete(x2)
            ch.exchange_delete(x1)
            # proves the nowait deletes happened: the passive declare fails
            ch.exchange_declare(x1, passive=True,
                                callback=lambda f: s.record("unexpected_declare_ok", f))

        def on_closed(ch, error):
            s.record("channel_closed", error)
            ch.connection.close()

        open_channel(s, on_channel)

    run_both(broker_url, sel_names, scenario, expected=[
        ("count", declare_ok("<q1>", messages=1)),
        ("returned", b"unroutable now"),
        ("count", declare_ok("<q1>", messages=0)),
        ("channel_closed",
         "ChannelClosedByBroker(404, \"NOT_FOUND - no exchange '<x1>' in vhost '/'\")"),
        closed_by_client(),
    ])


# ============================================================== publish and consume


def test_publish_consume_with_properties(broker_url, sel_names):
    """on_message_callback(channel, Basic.Deliver, BasicProperties, bytes); properties
    round-trip; ConsumeOk/CancelOk frames go to the callbacks."""
    def scenario(s):
        got = []

        def on_channel(ch):
            with_exclusive_queue(ch, lambda q: consume(ch, q))

        def consume(ch, queue):
            tag = ch.basic_consume(queue, on_message, consumer_tag="my-tag",
                                   callback=lambda f: publish(ch, queue, f))
            s.record("consume_returned", tag, tuple(ch.consumer_tags))
            try:
                ch.basic_consume(queue, on_message, consumer_tag="my-tag")
            except Exception as exc:  # noqa: BLE001
                s.record("duplicate_tag", exc)

        def publish(ch, queue, frame):
            s.record("consume_ok", frame)
            props = s.lib.BasicProperties(
                content_type="application/json", content_encoding="utf-8",
                headers={"int": 1, "str": "text", "list": [1, "two"], "nested": {"ok": True},
                         "bytes": b"\x00\x01"},
                delivery_mode=2, priority=5, correlation_id="corr", reply_to="amq.direct",
                expiration="60000", message_id="mid", timestamp=1700000000, type="kind",
                app_id="tests")
            ch.basic_publish("", queue, b"bytes body", props)
            ch.basic_publish("", queue, "str body \u00e9")  # str: UTF-8 encoded
            ch.basic_publish("", queue, b"")  # empty body

        def on_message(ch, method, props, body):
            s.record("message", ch, method, props, body)
            got.append(method.delivery_tag)
            if len(got) == 3:
                ch.basic_ack(3, multiple=True)
                ch.basic_cancel(method.consumer_tag, callback=lambda f: cancelled(ch, f))

        def cancelled(ch, frame):
            s.record("cancel_ok", frame)
            ch.basic_cancel("my-tag")  # already gone: a no-op
            ch.connection.ioloop.call_later(0.1, lambda: (
                s.record("consumer_tags", tuple(ch.consumer_tags)), ch.connection.close()))

        open_channel(s, on_channel)

    log = run_both(broker_url, sel_names, scenario)
    assert log[:3] == [("consume_returned", "my-tag", ("my-tag",)),
                       ("duplicate_tag", "DuplicateConsumerTag"),
                       ("consume_ok", "Method[1]Basic.ConsumeOk[('consumer_tag', 'my-tag')]")]
    assert [entry[4] for entry in log[3:6]] == [b"bytes body", "str body \u00e9".encode(), b""]
    assert log[6:] == [("cancel_ok", "Method[1]Basic.CancelOk[('consumer_tag', 'my-tag')]"),
                       ("consumer_tags", ()), closed_by_client()]


def test_basic_cancel_without_callback_is_nowait(broker_url, sel_names):
    def scenario(s):
        def on_channel(ch):
            with_exclusive_queue(ch, lambda q: ch.basic_consume(
                q, lambda c, m, p, b: on_message(ch, q, m, b),
                callback=lambda f: ch.basic_publish("", q, b"first")))

        def on_message(ch, queue, method, body):
            s.record("message", body)
            ch.basic_ack(method.delivery_tag)
            ch.basic_cancel(method.consumer_tag)
            s.record("consumer_tags", tuple(ch.consumer_tags))
            ch.basic_publish("", queue, b"second: stays in the queue")
            ch.connection.ioloop.call_later(0.3, lambda: wait_count(
                ch, queue, 1, lambda f: (s.record("count", f), ch.connection.close())))

        open_channel(s, on_channel)

    run_both(broker_url, sel_names, scenario, expected=[
        ("message", b"first"),
        ("consumer_tags", ()),
        ("count", declare_ok("<amq.gen>", messages=1, consumers=0)),
        closed_by_client(),
    ])


IN_FLIGHT = 300  # messages queued before consuming: many are in flight at cancel time


def _fill_then(s, ch, queue, then):
    """Publish IN_FLIGHT messages to ``queue``; ``then()`` once the broker counts them."""
    for i in range(IN_FLIGHT):
        ch.basic_publish("", queue, b"m%d" % i)
    wait_count(ch, queue, IN_FLIGHT, lambda f: (s.record("ready", f.method.message_count),
                                                then()))


def test_deliveries_in_flight_after_cancel_with_callback(broker_url, sel_names):
    def scenario(s):
        queue = s.queue()
        state = {"cancelled": False, "after_cancel": 0}

        def on_channel(ch):
            ch.queue_declare(queue, callback=lambda f: _fill_then(
                s, ch, queue, lambda: ch.basic_consume(queue, on_message)))

        def on_message(ch, method, props, body):
            if state["cancelled"]:
                state["after_cancel"] += 1
                return
            s.record("first", method.delivery_tag, body)
            ch.basic_ack(method.delivery_tag)
            state["cancelled"] = True
            ch.basic_cancel(method.consumer_tag, callback=lambda f: on_cancel_ok(ch, f))

        def on_cancel_ok(ch, frame):
            s.record("cancel_ok", frame, "on_message calls after basic_cancel",
                     state["after_cancel"])
            wait_count(ch, queue, IN_FLIGHT - 1, max_wait=2, then=lambda f: (
                s.record("ready", f.method.message_count), ch.connection.close()))

        open_channel(s, on_channel)

    run_both(broker_url, sel_names, scenario, expected=[
        ("ready", IN_FLIGHT),
        ("first", 1, b"m0"),
        ("cancel_ok", "Method[1]Basic.CancelOk[('consumer_tag', '<ctag>')]",
         "on_message calls after basic_cancel", 0),
        ("ready", IN_FLIGHT - 1),  # the in-flight ones were rejected back to the queue
        closed_by_client(),
    ])


def test_deliveries_in_flight_after_nowait_cancel_of_auto_ack_consumer(broker_url, sel_names):
    def scenario(s):
        queue = s.queue()
        state = {"cancelled": False, "after_cancel": 0}

        def on_channel(ch):
            ch.add_on_close_callback(lambda c, e: s.record("channel_closed", c, e))
            ch.queue_declare(queue, callback=lambda f: _fill_then(
                s, ch, queue, lambda: ch.basic_consume(queue, on_message, auto_ack=True)))

        def on_message(ch, method, props, body):
            if state["cancelled"]:
                state["after_cancel"] += 1
                return
            s.record("first", method.delivery_tag, body)
            state["cancelled"] = True
            ch.basic_cancel(method.consumer_tag)
            ch.connection.ioloop.call_later(0.5, lambda: check(ch))

        def check(ch):
            s.record("after", state["after_cancel"], ch.is_open)
            ch.connection.close()

        open_channel(s, on_channel)

    run_both(broker_url, sel_names, scenario, expected=[
        ("ready", IN_FLIGHT),
        ("first", 1, b"m0"),
        ("after", 0, True),
        ("channel_closed", "Channel[1]", "ChannelClosedByClient(200, 'Normal shutdown')"),
        closed_by_client(),
    ])


def test_deliveries_in_flight_after_nowait_cancel_are_requeued(broker_url, sel_names):
    """Manual-ack consumer, basic_cancel without callback: in-flight deliveries are not
    given to on_message_callback and go back to the queue."""
    def scenario(s):
        queue = s.queue()
        state = {"cancelled": False, "after_cancel": 0}

        def on_channel(ch):
            ch.queue_declare(queue, callback=lambda f: _fill_then(
                s, ch, queue, lambda: ch.basic_consume(queue, on_message)))

        def on_message(ch, method, props, body):
            if state["cancelled"]:
                state["after_cancel"] += 1
                return
            s.record("first", method.delivery_tag, body)
            ch.basic_ack(method.delivery_tag)
            state["cancelled"] = True
            ch.basic_cancel(method.consumer_tag)
            ch.connection.ioloop.call_later(0.5, lambda: wait_count(
                ch, queue, IN_FLIGHT - 1, max_wait=2, then=lambda f: (
                    s.record("after", state["after_cancel"], f.method.message_count,
                             f.method.consumer_count),
                    ch.connection.close())))

        open_channel(s, on_channel)

    run_both(broker_url, sel_names, scenario, expected=[
        ("ready", IN_FLIGHT),
        ("first", 1, b"m0"),
        ("after", 0, IN_FLIGHT - 1, 0),
        closed_by_client(),
    ])


# ============================================================== basic_get


def test_basic_get_with_callback_and_get_empty(broker_url, sel_names):
    """basic_get's callback gets (channel, Basic.GetOk, BasicProperties, body); on an
    empty queue it is not called: Basic.GetEmpty goes to add_callback([GetEmpty])."""
    def scenario(s):
        def on_channel(ch):
            with_exclusive_queue(ch, lambda q: start(ch, q))

        def start(ch, queue):
            ch.basic_publish("", queue, b"one",
                             s.lib.BasicProperties(content_type="text/plain",
                                                   headers={"k": "v"}))
            ch.basic_publish("", queue, "two")
            ch.basic_get(queue, lambda *args: got_one(ch, queue, *args))
            try:
                ch.basic_get(queue, lambda *args: s.record("unexpected", *args))
            except Exception as exc:  # noqa: BLE001
                s.record("get_while_pending", exc)

        def got_one(ch, queue, channel, method, props, body):
            s.record("get", channel, method, props, body)
            ch.basic_ack(method.delivery_tag)
            ch.basic_get(queue, lambda *args: got_two(ch, queue, *args), auto_ack=True)

        def got_two(ch, queue, channel, method, props, body):
            s.record("get", channel, method, props, body)
            ch.add_callback(lambda f: on_empty(ch, queue, f), [s.lib.spec.Basic.GetEmpty])
            ch.basic_get(queue, lambda *args: s.record("unexpected_get", *args))

        def on_empty(ch, queue, frame):
            s.record("get_empty", frame)
            ch.basic_publish("", queue, b"three")  # the GetOk slot is free again
            ch.basic_get(queue, lambda c, m, p, b: (s.record("get", c, m, p, b),
                                                    ch.connection.close()), auto_ack=True)

        open_channel(s, on_channel)

    def get_ok(tag, remaining):
        return (f"Basic.GetOk[('delivery_tag', {tag}), ('exchange', ''), "
                f"('message_count', {remaining}), ('redelivered', False), "
                f"('routing_key', '<amq.gen>')]")

    run_both(broker_url, sel_names, scenario, expected=[
        ("get_while_pending", "DuplicateGetOkCallback"),
        ("get", "Channel[1]", get_ok(1, 1),
         "BasicProperties[('content_type', 'text/plain'), ('headers', {'k': 'v'})]", b"one"),
        ("get", "Channel[1]", get_ok(2, 0), "BasicProperties[]", b"two"),
        ("get_empty", "Method[1]Basic.GetEmpty[('cluster_id', '')]"),
        ("get", "Channel[1]", get_ok(3, 0), "BasicProperties[]", b"three"),
        closed_by_client(),
    ])


# ============================================================== ack / nack / reject / qos


def test_ack_nack_reject(broker_url, sel_names):
    def scenario(s):
        def on_channel(ch):
            with_exclusive_queue(ch, lambda q: start(ch, q))

        def start(ch, queue):
            for body in (b"ack", b"nack", b"reject", b"later"):
                ch.basic_publish("", queue, body)
            ch.basic_consume(queue, lambda c, m, p, b: on_message(c, queue, m, b))

        def on_message(ch, queue, method, body):
            s.record("deliver", method.delivery_tag, method.redelivered, body)
            if body == b"ack":
                ch.basic_ack(method.delivery_tag)
            elif body == b"nack":
                ch.basic_nack(method.delivery_tag, requeue=False)
            elif body == b"reject" and not method.redelivered:
                ch.basic_reject(method.delivery_tag, requeue=True)
            elif body == b"reject":
                # settles tag 4 ("later") and this one; nothing is left unacked
                ch.basic_nack(method.delivery_tag, multiple=True, requeue=False)
                ch.add_on_close_callback(lambda c, e: c.connection.channel(
                    on_open_callback=lambda ch2: wait_count(
                        ch2, queue, 0,
                        lambda f: (s.record("left", f.method), ch2.connection.close()))))
                ch.close()

        open_channel(s, on_channel)

    run_both(broker_url, sel_names, scenario, expected=[
        ("deliver", 1, False, b"ack"),
        ("deliver", 2, False, b"nack"),
        ("deliver", 3, False, b"reject"),
        ("deliver", 4, False, b"later"),
        ("deliver", 5, True, b"reject"),
        ("left", declare_ok("<amq.gen>", messages=0).replace("Method[1]", "")),
        closed_by_client(),
    ])


def test_basic_qos_prefetch_count(broker_url, sel_names):
    """prefetch_count=1: the broker sends the next message only after the ack."""
    def scenario(s):
        state = {"unacked": 0}

        def on_channel(ch):
            ch.basic_qos(prefetch_count=1, callback=lambda f: (
                s.record("qos_ok", f), with_exclusive_queue(ch, lambda q: start(ch, q))))

        def start(ch, queue):
            for i in range(3):
                ch.basic_publish("", queue, b"%d" % i)
            ch.basic_consume(queue, on_message)

        def on_message(ch, method, props, body):
            state["unacked"] += 1
            s.record("deliver", body, state["unacked"])
            ch.connection.ioloop.call_later(0.2, lambda: ack(ch, method.delivery_tag))

        def ack(ch, tag):
            s.record("unacked_before_ack", state["unacked"])
            state["unacked"] -= 1
            ch.basic_ack(tag)
            if tag == 3:
                ch.connection.close()

        open_channel(s, on_channel)

    run_both(broker_url, sel_names, scenario, expected=[
        ("qos_ok", "Method[1]Basic.QosOk[]"),
        ("deliver", b"0", 1), ("unacked_before_ack", 1),
        ("deliver", b"1", 1), ("unacked_before_ack", 1),
        ("deliver", b"2", 1), ("unacked_before_ack", 1),
        closed_by_client(),
    ])


# ============================================================== publisher confirms


def _confirm_tracker(s, on_all, expected_count):
    """An ack_nack_callback: expands multiple=True and calls ``on_all(outcomes)`` once
    every tag up to ``expected_count`` is settled; logs the first frame's shape."""
    outcomes = {}

    def on_confirm(frame):
        if not outcomes:
            s.record("first_confirm", type(frame).__name__, frame.channel_number,
                     frame.method.NAME)
        tag, kind = frame.method.delivery_tag, frame.method.NAME
        tags = range(1, tag + 1) if frame.method.multiple else (tag,)
        for t in tags:
            outcomes.setdefault(t, kind)
        if len(outcomes) == expected_count:
            on_all(outcomes)

    return on_confirm


def test_confirm_delivery_acks_every_publish(broker_url, sel_names):
    count = 500

    def scenario(s):
        def on_channel(ch):
            def on_all(outcomes):
                s.record("settled", len(outcomes), sorted(outcomes) == list(range(1, count + 1)),
                         set(outcomes.values()) == {"Basic.Ack"})
                ch.connection.close()

            ch.confirm_delivery(_confirm_tracker(s, on_all, count),
                                callback=lambda f: (s.record("select_ok", f),
                                                    with_exclusive_queue(ch, publish)))

            def publish(queue):
                for i in range(count):
                    ch.basic_publish("", queue, b"%d" % i)

        open_channel(s, on_channel)

    run_both(broker_url, sel_names, scenario, expected=[
        ("select_ok", "Method[1]Confirm.SelectOk[]"),
        ("first_confirm", "Method", 1, "Basic.Ack"),
        ("settled", count, True, True),
        closed_by_client(),
    ])


def test_confirm_delivery_without_callback_is_nowait(broker_url, sel_names):
    def scenario(s):
        def on_channel(ch):
            def on_all(outcomes):
                s.record("settled", sorted(outcomes.items()))
                ch.connection.close()

            ch.confirm_delivery(_confirm_tracker(s, on_all, 3))
            # the next RPC's callback gets its own reply (no SelectOk in between)
            with_exclusive_queue(ch, lambda q: publish(q))

            def publish(queue):
                s.record("declared", queue)
                for i in range(3):
                    ch.basic_publish("", queue, b"%d" % i)

        open_channel(s, on_channel)

    run_both(broker_url, sel_names, scenario, expected=[
        ("declared", "<amq.gen>"),
        ("first_confirm", "Method", 1, "Basic.Ack"),
        ("settled", ((1, "Basic.Ack"), (2, "Basic.Ack"), (3, "Basic.Ack"))),
        closed_by_client(),
    ])


def test_confirm_nack_from_reject_publish_overflow(broker_url, sel_names):
    """x-max-length=1 + x-overflow=reject-publish: the 1st publish is acked, the others
    nacked."""
    def scenario(s):
        queue = s.queue()

        def on_channel(ch):
            def on_all(outcomes):
                s.record("settled", sorted(outcomes.items()))
                wait_count(ch, queue, 1, lambda f: (s.record("count", f),
                                                    ch.connection.close()))

            ch.confirm_delivery(_confirm_tracker(s, on_all, 3), callback=lambda f: (
                ch.queue_declare(queue, arguments={"x-max-length": 1,
                                                   "x-overflow": "reject-publish"},
                                 callback=lambda f2: publish())))

            def publish():
                for i in range(3):
                    ch.basic_publish("", queue, b"%d" % i)

        open_channel(s, on_channel)

    log = run_both(broker_url, sel_names, scenario)
    assert log[1:] == [
        ("settled", ((1, "Basic.Ack"), (2, "Basic.Nack"), (3, "Basic.Nack"))),
        ("count", declare_ok("<q1>", messages=1)),
        closed_by_client(),
    ]
    assert log[0][:3] == ("first_confirm", "Method", 1)


def test_return_of_mandatory_unroutable_message(broker_url, sel_names):
    """add_on_return_callback: callback(channel, Basic.Return, BasicProperties, body);
    in confirm mode the Return comes before the message's Ack. A non-mandatory
    unroutable message is dropped silently."""
    def scenario(s):
        key = s.queue()  # a routing key nothing is bound with
        settled = {}

        def on_channel(ch):
            ch.add_on_return_callback(lambda *args: s.record("returned", *args))
            ch.confirm_delivery(lambda f: on_confirm(ch, f), callback=lambda f: publish(ch))

        def publish(ch):
            ch.basic_publish("amq.direct", key, b"dropped")
            ch.basic_publish("amq.direct", key, b"lost",
                             s.lib.BasicProperties(message_id="m-2"), mandatory=True)

        def on_confirm(ch, frame):
            # the broker may or may not merge the two acks (multiple=True)
            tag = frame.method.delivery_tag
            for t in range(1, tag + 1) if frame.method.multiple else (tag,):
                settled[t] = frame.method.NAME
            if 2 in settled:
                s.record("settled", sorted(settled.items()))
                ch.connection.close()

        open_channel(s, on_channel)

    run_both(broker_url, sel_names, scenario, expected=[
        ("returned", "Channel[1]",
         "Basic.Return[('exchange', 'amq.direct'), ('reply_code', 312), "
         "('reply_text', 'NO_ROUTE'), ('routing_key', '<q1>')]",
         "BasicProperties[('message_id', 'm-2')]", b"lost"),
        ("settled", ((1, "Basic.Ack"), (2, "Basic.Ack"))),
        closed_by_client(),
    ])


# ============================================================== transactions


def test_tx_select_commit_rollback(broker_url, sel_names):
    def scenario(s):
        def on_channel(ch):
            with_exclusive_queue(ch, lambda q: steps(ch, q))

        def steps(ch, queue):
            def publish_then(call, *bodies):
                def start(cb):
                    for body in bodies:
                        ch.basic_publish("", queue, body)
                    call(cb)
                return start

            def count(wanted):
                return lambda cb: wait_count(ch, queue, wanted, cb)

            run_steps(s, [
                ("tx_select", lambda cb: ch.tx_select(callback=cb)),
                ("tx_rollback", publish_then(lambda cb: ch.tx_rollback(callback=cb), b"x")),
                ("count", count(0)),
                ("tx_commit", publish_then(lambda cb: ch.tx_commit(callback=cb),
                                           b"a", b"b")),
                ("count", count(2)),
            ], done=ch.connection.close)

        open_channel(s, on_channel)

    run_both(broker_url, sel_names, scenario, expected=[
        ("tx_select", "Method[1]Tx.SelectOk[]"),
        ("tx_rollback", "Method[1]Tx.RollbackOk[]"),
        ("count", declare_ok("<amq.gen>", messages=0)),
        ("tx_commit", "Method[1]Tx.CommitOk[]"),
        ("count", declare_ok("<amq.gen>", messages=2)),
        closed_by_client(),
    ])


# ============================================================== broker-initiated cancel


def test_broker_cancels_consumer_when_queue_is_deleted(broker_url, sel_names):
    """add_on_cancel_callback gets frame.Method(Basic.Cancel); the consumer is gone
    from consumer_tags by then; the channel stays open."""
    def scenario(s):
        queue = s.queue()
        state = {}

        def on_open(conn):
            conn.channel(on_open_callback=on_channel)

        def on_channel(ch):
            state["ch1"] = ch
            ch.add_on_cancel_callback(on_cancel)
            ch.queue_declare(queue, callback=lambda f: ch.basic_consume(
                queue, lambda *a: None, callback=consumed))

        def consumed(frame):
            state["tag"] = frame.method.consumer_tag
            state["ch1"].connection.channel(on_open_callback=lambda ch2: ch2.queue_delete(
                queue, callback=deleted))

        def on_cancel(frame):
            ch1 = state["ch1"]
            state["cancel"] = (s.describe(frame), frame.method.consumer_tag == state["tag"],
                               state["tag"] in ch1.consumer_tags, ch1.is_open)
            finish()

        def deleted(frame):
            state["delete_ok"] = s.describe(frame)
            finish()

        def finish():
            if "cancel" in state and "delete_ok" in state:  # the two channels race
                s.record("cancel", *state["cancel"])
                s.record("delete_ok", state["delete_ok"])
                ch1 = state["ch1"]
                ch1.basic_cancel(state["tag"])  # already cancelled: a no-op
                with_exclusive_queue(ch1, lambda q: (s.record("ch1_usable"),
                                                     ch1.connection.close()))

        s.connect(on_open)

    run_both(broker_url, sel_names, scenario, expected=[
        ("cancel", "Method[1]Basic.Cancel[('consumer_tag', '<ctag>'), ('nowait', True)]",
         True, False, True),
        ("delete_ok", "Method[2]Queue.DeleteOk[('message_count', 0)]"),
        ("ch1_usable",),
        closed_by_client(),
    ])


# ============================================================== two channels


def test_two_channels_on_one_connection(broker_url, sel_names):
    def scenario(s):
        opened = []
        state = {"got": 0}

        def on_open(conn):
            conn.channel(on_open_callback=on_channel)
            conn.channel(on_open_callback=on_channel)

        def on_channel(ch):
            s.record("channel_open", ch)
            opened.append(ch)
            if len(opened) == 2:
                with_exclusive_queue(opened[0], setup)

        def setup(queue):
            ch1, ch2 = opened
            state["queue"] = queue
            ch2.basic_consume(queue, on_message, callback=lambda f: [
                ch1.basic_publish("", queue, b"%d" % i) for i in range(5)])

        def on_message(ch, method, props, body):
            s.record("deliver", ch, method.delivery_tag, body)
            ch.basic_ack(method.delivery_tag)
            state["got"] += 1
            ch1, ch2 = opened
            if state["got"] == 5:
                ch1.add_on_close_callback(on_ch1_closed)
                ch1.close()
            elif state["got"] == 6:
                ch2.add_on_close_callback(lambda c, e: s.record("channel_closed", c, e))
                ch.connection.close()

        def on_ch1_closed(ch1, error):
            ch2 = opened[1]
            s.record("channel_closed", ch1, error, ch2.is_open)
            ch2.basic_publish("", state["queue"], b"after ch1 closed")

        s.connect(on_open)

    run_both(broker_url, sel_names, scenario, expected=[
        ("channel_open", "Channel[1]"), ("channel_open", "Channel[2]"),
        ("deliver", "Channel[2]", 1, b"0"), ("deliver", "Channel[2]", 2, b"1"),
        ("deliver", "Channel[2]", 3, b"2"), ("deliver", "Channel[2]", 4, b"3"),
        ("deliver", "Channel[2]", 5, b"4"),
        ("channel_closed", "Channel[1]", "ChannelClosedByClient(0, 'Normal shutdown')", True),
        ("deliver", "Channel[2]", 6, b"after ch1 closed"),
        ("channel_closed", "Channel[2]", "ChannelClosedByClient(200, 'Normal shutdown')"),
        closed_by_client(),
    ])


# ============================================================== closing under way


def test_channel_close_waits_for_pending_rpc(broker_url, sel_names):
    """close() right after an RPC: the RPC's callback still runs, then the close one."""
    def scenario(s):
        def on_channel(ch):
            ch.add_on_close_callback(lambda c, e: (s.record("channel_closed", c, e),
                                                   c.connection.close()))
            ch.queue_declare("", exclusive=True,
                             callback=lambda f: s.record("declare_ok", f.method.NAME,
                                                         ch.is_closing))
            ch.close()

        open_channel(s, on_channel)

    run_both(broker_url, sel_names, scenario, expected=[
        ("declare_ok", "Queue.DeclareOk", True),
        ("channel_closed", "Channel[1]", "ChannelClosedByClient(0, 'Normal shutdown')"),
        closed_by_client(),
    ])


def test_channel_close_while_opening_suppresses_open_callback(broker_url, sel_names):
    def scenario(s):
        def on_open(conn):
            ch = conn.channel(on_open_callback=lambda c: s.record("channel_open", c, c.is_open))
            ch.add_on_close_callback(lambda c, e: (s.record("channel_closed", c, e),
                                                   conn.close()))
            s.record("opening", ch.is_opening)
            ch.close()
            s.record("closing", ch.is_closing)

        s.connect(on_open)

    run_both(broker_url, sel_names, scenario, expected=[
        ("opening", True), ("closing", True),
        ("channel_closed", "Channel[1]", "ChannelClosedByClient(0, 'Normal shutdown')"),
        closed_by_client(),
    ])


def test_connection_close_while_channel_opening(broker_url, sel_names):
    def scenario(s):
        def on_open(conn):
            ch = conn.channel(on_open_callback=lambda c: s.record("channel_open", c))
            ch.add_on_close_callback(lambda c, e: s.record("channel_closed", c, e))
            conn.close()

        s.connect(on_open)

    run_both(broker_url, sel_names, scenario, expected=[
        ("channel_closed", "Channel[1]", "ChannelClosedByClient(200, 'Normal shutdown')"),
        closed_by_client(),
    ])


def _close_with_deliveries_in_flight(s, close_connection, auto_ack):
    """Consume IN_FLIGHT queued messages; in the first on_message_callback close the
    channel (or the connection) while the rest are still arriving."""
    queue = s.queue()
    state = {"closing": False, "after_close": 0}

    def on_channel(ch):
        ch.add_on_close_callback(on_channel_closed)
        ch.queue_declare(queue, callback=lambda f: _fill_then(
            s, ch, queue, lambda: ch.basic_consume(queue, on_message, auto_ack=auto_ack)))

    def on_message(ch, method, props, body):
        if state["closing"]:
            state["after_close"] += 1
            return
        s.record("first", method.delivery_tag, body)
        state["closing"] = True
        if close_connection:
            ch.connection.close()
        else:
            ch.close()

    def on_channel_closed(ch, error):
        s.record("channel_closed", ch, error, "on_message calls after close",
                 state["after_close"])
        if ch.connection.is_open:
            ch.connection.close()

    open_channel(s, on_channel)


@pytest.mark.parametrize("auto_ack", [False, True], ids=["manual_ack", "auto_ack"])
def test_channel_close_with_deliveries_in_flight(broker_url, sel_names, auto_ack):
    def scenario(s):
        _close_with_deliveries_in_flight(s, close_connection=False, auto_ack=auto_ack)

    run_both(broker_url, sel_names, scenario, expected=[
        ("ready", IN_FLIGHT),
        ("first", 1, b"m0"),
        ("channel_closed", "Channel[1]", "ChannelClosedByClient(0, 'Normal shutdown')",
         "on_message calls after close", 0),
        closed_by_client(),
    ])


@pytest.mark.parametrize("auto_ack", [False, True], ids=["manual_ack", "auto_ack"])
def test_connection_close_with_deliveries_in_flight(broker_url, sel_names, auto_ack):
    def scenario(s):
        _close_with_deliveries_in_flight(s, close_connection=True, auto_ack=auto_ack)

    run_both(broker_url, sel_names, scenario, expected=[
        ("ready", IN_FLIGHT),
        ("first", 1, b"m0"),
        ("channel_closed", "Channel[1]", "ChannelClosedByClient(200, 'Normal shutdown')",
         "on_message calls after close", 0),
        closed_by_client(),
    ])


def test_exception_in_on_message_callback(broker_url, sel_names):
    """A user callback's exception: pika aborts the connection with StreamLostError."""
    def scenario(s):
        def on_channel(ch):
            ch.add_on_close_callback(lambda c, e: s.record("channel_closed", c, e))
            with_exclusive_queue(ch, lambda q: ch.basic_consume(
                q, on_message, callback=lambda f: ch.basic_publish("", q, b"boom")))

        def on_message(ch, method, props, body):
            s.record("message", body)
            raise ValueError("user code failed")

        try:
            open_channel(s, on_channel)
        except ValueError as exc:
            s.record("raised_from_ioloop", exc)

    run_both(broker_url, sel_names, scenario, expected=[
        ("message", b"boom"),
        ("channel_closed", "Channel[1]", "StreamLostError"),
        ("connection_closed", "SelectConnection", "StreamLostError"),
    ])


# ============================================================== more message features


def test_add_callback_not_one_shot_fires_every_time(broker_url, sel_names):
    def scenario(s):
        calls = []

        def on_channel(ch):
            with_exclusive_queue(ch, lambda q: start(ch, q))

        def start(ch, queue):
            ch.add_callback(lambda f: calls.append(s.describe(f)), [s.lib.spec.Basic.GetEmpty],
                            one_shot=False)
            loop = ch.connection.ioloop
            for i in range(3):
                loop.call_later(0.1 * i, lambda: ch.basic_get(queue, lambda *a: None))
            loop.call_later(0.8, lambda: (s.record("get_empty_calls", tuple(calls)),
                                          ch.connection.close()))

        open_channel(s, on_channel)

    empty = "Method[1]Basic.GetEmpty[('cluster_id', '')]"
    run_both(broker_url, sel_names, scenario, expected=[
        ("get_empty_calls", (empty, empty, empty)), closed_by_client()])


def test_many_channels_open_and_close(broker_url, sel_names):
    count = 50

    def scenario(s):
        channels, opened, closed = [], [], []

        def on_open(conn):
            channels.extend(conn.channel(on_open_callback=on_channel) for _ in range(count))

        def on_channel(ch):
            opened.append(ch.channel_number)
            ch.add_on_close_callback(on_closed)
            if len(opened) == count:
                s.record("opened", sorted(opened) == list(range(1, count + 1)))
                for channel in channels:
                    channel.close()

        def on_closed(ch, error):
            closed.append((ch.channel_number, s.describe(error)))
            if len(closed) == count:
                s.record("closed", sorted(closed) == [
                    (n, "ChannelClosedByClient(0, 'Normal shutdown')")
                    for n in range(1, count + 1)])
                ch.connection.close()

        s.connect(on_open)

    run_both(broker_url, sel_names, scenario, expected=[
        ("opened", True), ("closed", True), closed_by_client()])


def test_basic_recover_redelivers_unacked(broker_url, sel_names):
    def scenario(s):
        state = {"n": 0}

        def on_channel(ch):
            with_exclusive_queue(ch, lambda q: ch.basic_consume(
                q, on_message, callback=lambda f: ch.basic_publish("", q, b"again")))

        def on_message(ch, method, props, body):
            state["n"] += 1
            s.record("deliver", method.delivery_tag, method.redelivered, body)
            if state["n"] == 1:
                ch.basic_recover(requeue=True, callback=lambda f: s.record("recover_ok", f))
            else:
                ch.basic_ack(method.delivery_tag)
                ch.connection.close()

        open_channel(s, on_channel)

    log = run_both(broker_url, sel_names, scenario)
    assert log[0] == ("deliver", 1, False, b"again")
    assert sorted(log[1:3]) == [("deliver", 2, True, b"again"),
                                ("recover_ok", "Method[1]Basic.RecoverOk[]")]


def test_basic_consume_on_missing_queue_closes_channel_404(broker_url, sel_names):
    def scenario(s):
        missing = s.queue()

        def on_channel(ch):
            ch.add_on_close_callback(lambda c, e: (
                s.record("channel_closed", c, e), c.connection.close()))
            ch.basic_consume(missing, lambda *a: s.record("unexpected_message"),
                             callback=lambda f: s.record("unexpected_consume_ok", f))

        open_channel(s, on_channel)

    run_both(broker_url, sel_names, scenario, expected=[
        ("channel_closed", "Channel[1]",
         "ChannelClosedByBroker(404, \"NOT_FOUND - no queue '<q1>' in vhost '/'\")"),
        closed_by_client(),
    ])


def test_header_table_types_round_trip(broker_url, sel_names):
    """Every field-table type pika encodes comes back decoded the same way."""
    import datetime
    import decimal

    def shape(value):
        """repr with the exact type, except pika's ``long`` (an int subclass whose repr
        ends in 'L') counts as int."""
        if isinstance(value, dict):
            return {k: shape(v) for k, v in value.items()}
        if isinstance(value, list):
            return [shape(v) for v in value]
        if isinstance(value, int) and not isinstance(value, bool):
            return ("int", int(value))
        return (type(value).__name__, repr(value))

    def scenario(s):
        headers = {
            "str": "text \u00e9", "bytes": b"\x00\xff", "int": 7, "neg": -7,
            "big": 2 ** 40, "huge_neg": -(2 ** 62), "true": True,
            "false": False, "none": None, "decimal": decimal.Decimal("3.14"),
            "when": datetime.datetime(2024, 1, 2, 3, 4, 5), "list": [1, "a", [2]],
            "table": {"nested": {"deep": 1}}, "empty_list": [], "empty_table": {},
        }

        def on_channel(ch):
            with_exclusive_queue(ch, lambda q: (
                ch.basic_publish("", q, b"h", s.lib.BasicProperties(headers=headers)),
                ch.basic_get(q, lambda c, m, p, b: (s.record("headers", sorted(
                    (k, repr(shape(v))) for k, v in p.headers.items())), ch.connection.close()),
                    auto_ack=True)))

        open_channel(s, on_channel)

    log = run_both(broker_url, sel_names, scenario)
    assert len(log[0][1]) == 15


def test_small_frame_max_splits_large_bodies(broker_url, sel_names):
    """frame_max=4096: 300 KB bodies go out in ~75 body frames each and come back intact
    and in order, mixed with small ones."""
    # interleaved sizes: small bodies are copied into the output buffer, large ones
    # (>= 64 KiB) are queued uncopied; the order on the wire must not change
    bodies = [os.urandom(n) for n in (1000, 60000, 300000, 10, 70000, 0, 300000, 5)]

    def scenario(s):
        got = []

        def on_channel(ch):
            with_exclusive_queue(ch, lambda q: ch.basic_consume(
                q, on_message, auto_ack=True,
                callback=lambda f: [ch.basic_publish("", q, b) for b in bodies]))

        def on_message(ch, method, props, body):
            got.append(body)
            if len(got) == len(bodies):
                s.record("bodies_equal", got == bodies, ch.connection.params.frame_max)
                ch.connection.close()

        open_channel(s, on_channel, params=s.params(frame_max=4096))

    run_both(broker_url, sel_names, scenario, expected=[
        ("bodies_equal", True, 4096), closed_by_client()])


# ============================================================== volume


def test_ten_thousand_messages_arrive_in_order(broker_url, sel_names):
    """10,000 publishes (confirm mode) on one channel, consumed on another: every one is
    confirmed, and they arrive in publish order with consecutive delivery tags."""
    count = 10000

    def scenario(s):
        opened = []
        state = {"bodies": [], "tags": [], "confirmed": None}

        def on_open(conn):
            conn.channel(on_open_callback=on_channel)

        def on_channel(ch):
            opened.append(ch)
            if len(opened) == 1:
                # one after the other: the broker may answer two Channel.Open out of
                # order, and the publisher must be channel 1 in both runs
                ch.connection.channel(on_open_callback=on_channel)
            else:
                pub, sub = opened
                pub.confirm_delivery(_confirm_tracker(s, on_confirmed, count),
                                     callback=lambda f: with_exclusive_queue(pub, setup))

        def setup(queue):
            pub, sub = opened
            sub.basic_qos(prefetch_count=1000, callback=lambda f: sub.basic_consume(
                queue, on_message, callback=lambda f2: publish(pub, queue)))

        def publish(pub, queue):
            for i in range(count):
                pub.basic_publish("", queue, b"%05d" % i)

        def on_confirmed(outcomes):
            state["confirmed"] = (len(outcomes), tuple(sorted(set(outcomes.values()))))
            finish()

        def on_message(ch, method, props, body):
            state["bodies"].append(body)
            state["tags"].append(method.delivery_tag)
            if method.delivery_tag % 500 == 0:
                ch.basic_ack(method.delivery_tag, multiple=True)
            if len(state["bodies"]) == count:
                finish()

        def finish():
            if state["confirmed"] is None or len(state["bodies"]) < count:
                return
            s.record("confirmed", *state["confirmed"])
            s.record("received", len(state["bodies"]),
                     state["bodies"] == [b"%05d" % i for i in range(count)],
                     state["tags"] == list(range(1, count + 1)))
            opened[0].connection.close()

        s.connect(on_open)

    run_both(broker_url, sel_names, scenario, timeout=60, expected=[
        ("first_confirm", "Method", 1, "Basic.Ack"),
        ("confirmed", count, ("Basic.Ack",)),
        ("received", count, True, True),
        closed_by_client(),
    ])


_BIG = {}


def big_body():
    """16 MiB of random bytes, made once per session."""
    if "body" not in _BIG:
        _BIG["body"] = os.urandom(16 * 1024 * 1024)
        _BIG["sha"] = hashlib.sha256(_BIG["body"]).hexdigest()
    return _BIG["body"], _BIG["sha"]


def test_sixteen_mib_message_round_trip(broker_url, sel_names):
    """A 16 MiB body (128 body frames at the default frame_max) goes out and comes back
    intact, through basic_consume and basic_get."""
    body, sha = big_body()

    def scenario(s):
        def on_channel(ch):
            state = {}
            ch.confirm_delivery(_confirm_tracker(s, lambda outcomes: fetch(ch, state["queue"]),
                                                 2),
                                callback=lambda f: with_exclusive_queue(
                                    ch, lambda q: start(ch, q, state)))

        def start(ch, queue, state):
            state["queue"] = queue
            props = s.lib.BasicProperties(headers={"sha256": sha}, delivery_mode=2)
            ch.basic_publish("", queue, body, props)
            ch.basic_publish("", queue, body, props)

        def fetch(ch, queue):
            ch.basic_get(queue, lambda c, m, p, b: (
                check("get", p, b),
                c.basic_consume(queue, lambda c2, m2, p2, b2: (
                    check("consume", p2, b2), c2.basic_ack(m2.delivery_tag),
                    c2.connection.close())),
                c.basic_ack(m.delivery_tag)))

        def check(label, props, received):
            s.record(label, type(received).__name__, len(received),
                     hashlib.sha256(received).hexdigest() == props.headers["sha256"] == sha)

        open_channel(s, on_channel)

    run_both(broker_url, sel_names, scenario, timeout=45, expected=[
        ("first_confirm", "Method", 1, "Basic.Ack"),
        ("get", "bytes", len(body), True),
        ("consume", "bytes", len(body), True),
        closed_by_client(),
    ])
