"""pika's semantics as applications use them: SelectConnection and AsyncioConnection.

The callback-style idioms of pika's asynchronous examples and the RabbitMQ tutorials,
each run on ``select`` and ``asyncio`` under pika 1.4.4 and under pika_fast against the
broker (``tests.support.idioms``): the logs (callbacks in order, with their frames,
channels and close reasons) must be equal, and the expected outcome is asserted too.

Catalogue (idiom — where it is seen — what is compared):

==  =====================================================  ============================================  ===============================
#   idiom                                                  seen in                                       compared
==  =====================================================  ============================================  ===============================
A1  consumer chain: open, channel, exchange, queue, bind,  examples/asynchronous_consumer_example.py,    every callback in order, frames,
    qos, consume, ack, stop: cancel, close channel, conn    asyncio_consumer_example.py                  close reasons
A2  publisher: confirm_delivery(callback), publishes on    examples/asynchronous_publisher_example.py    acked tags, nacks, close order
    call_later, stop closing channel and connection
A3  hello world on the callback API                        pika docs "Using the SelectConnection"        frames, body
A4  broker closes the channel (404 passive declare),       asynchronous_consumer_example                 on_channel_closed reason, new
    on_channel_closed opens a new one                      on_channel_closed                             channel works
A5  406 on redeclare, channel close callback               SO "PRECONDITION_FAILED" (async)              reason, states
A6  connection.close() inside on_message                   examples/asynchronous_consumer_example stop   on_close reason, states
A7  on_open_error_callback for an unreachable port         examples/asynchronous_*; reconnecting         error class
A8  ioloop.add_callback_threadsafe / call_soon_threadsafe  pika docs "Requesting message acks from       ack from a worker thread lands
    from a worker thread (ack)                             another thread"                               (queue empty)
A9  basic_get with a callback                              examples/consumer_queued.py-style; docs       GetOk, body
A10 mandatory publish + add_on_return_callback             pika docs Channel.add_on_return_callback      callback args
A11 basic_cancel(callback) then channel.close              asynchronous_consumer_example stop_consuming  CancelOk, close reason order
A12 broker cancel (queue deleted) -> add_on_cancel_cb      asynchronous_consumer_example                 Basic.Cancel frame
A13 wrong credentials -> on_open_error_callback            SO; reconnecting consumer                     error class
A14 confirms: Basic.Nack from a reject-publish queue       asynchronous_publisher_example                ack/nack frames
A15 ioloop.call_later timer and remove_timeout             pika docs ioloop; publisher example           which fired
==  =====================================================  ============================================  ===============================
"""
from __future__ import annotations

import socket
import threading

import pytest

from tests.support.adapters import NameTracker
from tests.support.idioms import (AMQP_URL, ASYNC_ADAPTERS, IDIOM_TIMEOUT, AsyncLoop,
                                  require_broker, run_idiom)


@pytest.fixture(params=ASYNC_ADAPTERS)
def adapter(request):
    return request.param


@pytest.fixture
def idiom(adapter):
    """``idiom(body)`` runs ``body(x, loop)`` on pika and pika_fast; returns the log."""
    require_broker()
    tracker = NameTracker(AMQP_URL)

    def run(body, timeout=IDIOM_TIMEOUT):
        def scenario(x):
            loop = AsyncLoop(x, adapter)
            try:
                body(x, loop)
                loop.run()
            finally:
                loop.shutdown()
        return run_idiom(scenario, tracker, timeout)
    yield run
    tracker.cleanup()


def _open_channel(x, loop, then, on_close=None):
    """Connect, open a channel, call ``then(conn, channel)``; the connection's close
    reason is recorded and stops the loop."""
    def on_connection_closed(conn, reason):
        x.rec("connection_closed", reason)
        loop.stop()

    def on_open(conn):
        def on_channel_open(channel):
            if on_close is not None:
                channel.add_on_close_callback(on_close)
            then(conn, channel)
        conn.channel(on_open_callback=on_channel_open)
    loop.connect(on_open, lambda conn, err: (x.rec("open_error", err), loop.stop()),
                 on_connection_closed)


# ---------------------------------------------------------------------- the examples


def test_a01_asynchronous_consumer_example(idiom):
    def body(x, loop):
        ex, q = x.exchange(), x.queue()
        routing_key = "example.text"
        state = {}

        def on_channel_closed(channel, reason):
            x.rec("on_channel_closed", channel, reason)
            state["conn"].close()

        def setup(conn, channel):
            state["conn"], state["channel"] = conn, channel
            x.rec("channel_open", channel)
            channel.exchange_declare(exchange=ex, exchange_type="topic",
                                     callback=on_exchange_declareok)

        def on_exchange_declareok(frame):
            x.rec("exchange_declareok", frame)
            state["channel"].queue_declare(queue=q, callback=on_queue_declareok)

        def on_queue_declareok(frame):
            x.rec("queue_declareok", frame)
            state["channel"].queue_bind(q, ex, routing_key=routing_key, callback=on_bindok)

        def on_bindok(frame):
            x.rec("bindok", frame)
            state["channel"].basic_qos(prefetch_count=1, callback=on_basic_qos_ok)

        def on_basic_qos_ok(frame):
            x.rec("qos_ok", frame)
            channel = state["channel"]
            channel.add_on_cancel_callback(lambda f: x.rec("cancelled_by_broker", f))
            state["tag"] = channel.basic_consume(q, on_message)
            x.rec("tag_is_str", isinstance(state["tag"], str))
            for n in range(3):
                channel.basic_publish(ex, routing_key, b"msg %d" % n)

        def on_message(channel, basic_deliver, properties, body):
            x.rec("message", basic_deliver.delivery_tag, body, basic_deliver.routing_key)
            channel.basic_ack(basic_deliver.delivery_tag)
            if basic_deliver.delivery_tag == 3:
                channel.basic_cancel(state["tag"], callback=on_cancelok)

        def on_cancelok(frame):
            x.rec("cancelok", frame)
            state["channel"].close()
        _open_channel(x, loop, setup, on_channel_closed)
    log = idiom(body)
    tags = [e for e in log if e[0] == "message"]
    assert tags == [("message", n + 1, b"msg %d" % n, "example.text") for n in range(3)]
    # Channel.close() defaults to reply code 0 in pika 1.4
    assert log[-2] == ("on_channel_closed", "Channel[1]",
                       "ChannelClosedByClient(0, 'Normal shutdown')")
    assert log[-1] == ("connection_closed", "ConnectionClosedByClient(200, 'Normal shutdown')")


def test_a02_asynchronous_publisher_example(idiom):
    def body(x, loop):
        q = x.queue()
        state = {"acked": [], "nacked": [], "published": 0}

        def setup(conn, channel):
            state["conn"], state["channel"] = conn, channel
            channel.queue_declare(q, exclusive=True, callback=on_declared)

        def on_declared(frame):
            state["channel"].confirm_delivery(on_delivery_confirmation,
                                              callback=lambda f: (x.rec("confirm_ok", f),
                                                                  schedule()))

        def schedule():
            loop.call_later(0.01, publish)

        def publish():
            channel = state["channel"]
            props = x.lib.BasicProperties(app_id="example-publisher",
                                          content_type="application/json",
                                          headers={"n": state["published"]})
            channel.basic_publish("", q, b'{"message": "hi"}', props)
            state["published"] += 1
            if state["published"] < 5:
                schedule()

        def on_delivery_confirmation(method_frame):
            confirmation_type = method_frame.method.NAME.split(".")[1].lower()
            tag, multiple = method_frame.method.delivery_tag, method_frame.method.multiple
            # the broker may coalesce acks (multiple=True): count what is covered
            done = state["acked"] if confirmation_type == "ack" else state["nacked"]
            covered = range(len(state["acked"]) + len(state["nacked"]) + 1, tag + 1) \
                if multiple else [tag]
            done.extend(covered)
            if len(state["acked"]) + len(state["nacked"]) == 5:
                x.rec("confirmed", sorted(state["acked"]), state["nacked"])
                state["conn"].close()
        _open_channel(x, loop, setup)
    log = idiom(body)
    assert log[1] == ("confirmed", (1, 2, 3, 4, 5), ())
    assert log[-1] == ("connection_closed", "ConnectionClosedByClient(200, 'Normal shutdown')")


def test_a03_hello_world_callbacks(idiom):
    def body(x, loop):
        q = x.queue()
        state = {}

        def setup(conn, channel):
            state["conn"] = conn
            channel.queue_declare(queue=q, exclusive=True, callback=lambda f: on_declared(
                channel, f))

        def on_declared(channel, frame):
            x.rec("declared", frame)
            channel.basic_publish("", q, "Hello World!")
            channel.basic_consume(q, on_message, auto_ack=True,
                                  callback=lambda f: x.rec("consume_ok", f))

        def on_message(channel, method, properties, body):
            x.rec("message", body, method.redelivered, properties)
            state["conn"].close()
        _open_channel(x, loop, setup)
    log = idiom(body)
    assert ("message", b"Hello World!", False, "BasicProperties[]") in log


@pytest.mark.parametrize("failure", ["passive_404", "redeclare_406"])
def test_a04_a05_channel_closed_by_broker_then_new_channel(idiom, failure):
    def body(x, loop):
        q = x.queue()
        state = {}

        def on_channel_closed(channel, reason):
            x.rec("on_channel_closed", channel, reason, channel.is_closed)
            state["conn"].channel(on_open_callback=on_new_channel)

        def setup(conn, channel):
            state["conn"] = conn
            if failure == "passive_404":
                channel.queue_declare(q, passive=True,
                                      callback=lambda f: x.rec("unexpected", f))
            else:
                channel.queue_declare(q, durable=False, callback=lambda f: (
                    x.rec("first", f),
                    channel.queue_declare(q, durable=True,
                                          callback=lambda g: x.rec("unexpected", g))))

        def on_new_channel(channel):
            x.rec("new_channel", channel, channel.is_open)
            channel.queue_declare(q, exclusive=failure == "passive_404",
                                  callback=lambda f: (x.rec("declared", f),
                                                      state["conn"].close()))
        _open_channel(x, loop, setup, on_channel_closed)
    log = idiom(body)
    closed = next(e for e in log if e[0] == "on_channel_closed")
    code = "404" if failure == "passive_404" else "406"
    assert closed[2].startswith(f"ChannelClosedByBroker({code}, ") and closed[3] is True
    assert ("new_channel", "Channel[2]", True) in log


def test_a06_connection_close_inside_on_message(idiom):
    def body(x, loop):
        q = x.queue()
        state = {}

        def setup(conn, channel):
            state["conn"] = conn
            channel.queue_declare(q, exclusive=True, callback=lambda f: start(channel))

        def start(channel):
            for n in range(3):
                channel.basic_publish("", q, b"%d" % n)
            channel.basic_consume(q, on_message)

        def on_message(channel, method, properties, body):
            x.rec("message", body, state["conn"].is_open)
            if not state["conn"].is_closing:
                state["conn"].close()
                x.rec("closing", state["conn"].is_closing, channel.is_closing)
        _open_channel(x, loop, setup, lambda ch, reason: x.rec("channel_closed", reason))
    log = idiom(body)
    assert log[:2] == [("message", b"0", True), ("closing", True, True)]
    assert log[-1] == ("connection_closed", "ConnectionClosedByClient(200, 'Normal shutdown')")


def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a07_on_open_error_for_unreachable_port(idiom):
    port = _closed_port()

    def body(x, loop):
        def on_open_error(conn, error):
            x.rec("open_error", error, conn.is_closed)
            loop.stop()
        params = x.lib.ConnectionParameters(host="127.0.0.1", port=port,
                                            connection_attempts=1, socket_timeout=2)
        loop.connect(lambda conn: x.rec("unexpected_open"), on_open_error,
                     lambda conn, reason: x.rec("unexpected_close", reason), params=params)
    log = idiom(body)
    assert log == [("open_error", "AMQPConnectionError", True)]


def test_a08_ack_from_a_worker_thread_through_the_ioloop(idiom, adapter):
    def body(x, loop):
        q = x.queue()
        state = {"acked": 0}

        def setup(conn, channel):
            state["conn"] = conn
            channel.queue_declare(q, callback=lambda f: start(channel))

        def start(channel):
            for n in range(3):
                channel.basic_publish("", q, b"%d" % n)
            channel.basic_consume(q, on_message)

        def ack_message(channel, delivery_tag):
            if channel.is_open:
                channel.basic_ack(delivery_tag)
                state["acked"] += 1
                if state["acked"] == 3:
                    channel.queue_declare(q, passive=True, callback=lambda f: (
                        x.rec("left", f.method.message_count), state["conn"].close()))

        def work(channel, delivery_tag):
            callback = lambda: ack_message(channel, delivery_tag)  # noqa: E731
            if adapter == "asyncio":
                state["conn"].ioloop.call_soon_threadsafe(callback)
            else:
                state["conn"].ioloop.add_callback_threadsafe(callback)

        def on_message(channel, method, properties, body):
            x.rec("message", body)
            threading.Thread(target=work, args=(channel, method.delivery_tag)).start()
        _open_channel(x, loop, setup)
    log = idiom(body)
    assert log[:3] == [("message", b"0"), ("message", b"1"), ("message", b"2")]
    assert ("left", 0) in log


def test_a09_basic_get_callback(idiom):
    def body(x, loop):
        q = x.queue()
        state = {}

        def setup(conn, channel):
            state["conn"] = conn
            channel.queue_declare(q, exclusive=True, callback=lambda f: (
                channel.basic_publish("", q, b"got me"),
                channel.basic_publish("", q, b"second"),
                channel.basic_get(q, on_get, auto_ack=True)))

        def on_get(channel, method, properties, body):
            x.rec("get", method, body)
            state["conn"].close()
        _open_channel(x, loop, setup)
    log = idiom(body)
    assert log[0][2] == b"got me" and "message_count', 1" in log[0][1]


def test_a10_mandatory_return_callback(idiom):
    def body(x, loop):
        state = {}

        def setup(conn, channel):
            state["conn"] = conn

            def on_return(ch, method, properties, body):
                x.rec("returned", ch, method, properties.correlation_id, body)
                conn.close()
            channel.add_on_return_callback(on_return)
            channel.basic_publish("amq.direct", "no-such-binding." + x.queue(), b"bounce",
                                  x.lib.BasicProperties(correlation_id="c9"), mandatory=True)
        _open_channel(x, loop, setup)
    log = idiom(body)
    assert log[0][0] == "returned" and "NO_ROUTE" in log[0][2]
    assert log[0][3:] == ("c9", b"bounce")


def test_a11_cancel_then_close_channel(idiom):
    def body(x, loop):
        q = x.queue()
        state = {}

        def setup(conn, channel):
            state["conn"] = conn
            channel.queue_declare(q, exclusive=True, callback=lambda f: consume(channel))

        def consume(channel):
            tag = channel.basic_consume(q, lambda *a: None, consumer_tag="the-tag",
                                        callback=lambda f: cancel(channel, tag))

        def cancel(channel, tag):
            x.rec("consumer_tags", channel.consumer_tags)
            channel.basic_cancel(tag, callback=lambda f: (x.rec("cancelok", f,
                                                                channel.consumer_tags),
                                                          channel.close()))

        def on_channel_closed(channel, reason):
            x.rec("channel_closed", reason)
            state["conn"].close()
        _open_channel(x, loop, setup, on_channel_closed)
    log = idiom(body)
    assert log[0] == ("consumer_tags", ("the-tag",))
    # pika forgets the tag only after the CancelOk callbacks ran
    assert log[1][0] == "cancelok" and log[1][2] == ("the-tag",)
    assert log[2] == ("channel_closed", "ChannelClosedByClient(0, 'Normal shutdown')")


def test_a12_broker_cancel_notification(idiom):
    def body(x, loop):
        q = x.queue()
        state = {}

        def setup(conn, channel):
            state["conn"] = conn
            channel.add_on_cancel_callback(on_cancel)
            channel.queue_declare(q, callback=lambda f: channel.basic_consume(
                q, lambda *a: None, callback=lambda g: conn.channel(
                    on_open_callback=lambda admin: admin.queue_delete(q))))

        def on_cancel(method_frame):
            x.rec("cancelled", method_frame)
            state["conn"].close()
        _open_channel(x, loop, setup)
    log = idiom(body)
    assert log[0][0] == "cancelled" and "Basic.Cancel" in log[0][1]


def test_a13_wrong_credentials(idiom):
    def body(x, loop):
        def on_open_error(conn, error):
            x.rec("open_error", error)
            loop.stop()
        params = x.params(credentials=x.lib.PlainCredentials("guest", "not-the-password"))
        loop.connect(lambda conn: x.rec("unexpected_open"), on_open_error,
                     lambda conn, reason: x.rec("unexpected_close", reason), params=params)
    log = idiom(body)
    assert log == [("open_error", "ProbableAuthenticationError")]


def test_a14_confirm_nack_from_reject_publish_queue(idiom):
    def body(x, loop):
        q = x.queue()
        state = {"frames": []}

        def setup(conn, channel):
            state["conn"] = conn
            channel.queue_declare(q, exclusive=True,
                                  arguments={"x-max-length": 1, "x-overflow": "reject-publish"},
                                  callback=lambda f: channel.confirm_delivery(
                                      on_confirm, callback=lambda g: publish(channel)))

        def publish(channel):
            channel.basic_publish("", q, b"fits")
            channel.basic_publish("", q, b"rejected")

        def on_confirm(frame):
            state["frames"].append(frame)
            if len(state["frames"]) == 2:
                # the broker may set multiple=True on either: compared are kind and tag
                x.rec("confirms", sorted((f.method.NAME, f.method.delivery_tag)
                                         for f in state["frames"]))
                state["conn"].close()
        _open_channel(x, loop, setup)
    log = idiom(body)
    assert log[0] == ("confirms", (("Basic.Ack", 1), ("Basic.Nack", 2)))


def test_a15_call_later_and_remove_timeout(idiom, adapter):
    def body(x, loop):
        def on_open(conn):
            fired = []
            ioloop = conn.ioloop
            if adapter == "asyncio":
                drop = ioloop.call_later(0.05, lambda: fired.append("drop"))
                drop.cancel()
            else:
                drop = ioloop.call_later(0.05, lambda: fired.append("drop"))
                ioloop.remove_timeout(drop)
            ioloop.call_later(0.1, lambda: fired.append("keep"))
            ioloop.call_later(0.3, lambda: (x.rec("fired", fired), conn.close()))
        loop.connect(on_open, None, lambda conn, reason: (x.rec("closed", reason),
                                                          loop.stop()))
    log = idiom(body)
    assert log == [("fired", ("keep",)),
                   ("closed", "ConnectionClosedByClient(200, 'Normal shutdown')")]
