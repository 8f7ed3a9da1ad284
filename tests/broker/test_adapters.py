"""The broker behaviour suite, written once and run on every adapter.

Each test is one scenario (a generator over ``tests.support.adapters`` operations) run
on pika 1.4.4's adapter of the given name and then on pika_fast's: the two logs of what
was observed (callbacks and their order, reply frames, exception classes with reply
codes, message bodies and properties) must be equal. The scenarios also assert the
outcome itself, so agreeing with pika on a wrong result cannot pass either.

A new adapter joins by adding a driver to ``tests.support.adapters.DRIVERS`` and its
name to ``ADAPTERS``.
"""
from __future__ import annotations

import time

import pytest

from tests.broker.test_faults import _force_memory_alarm, private_node  # noqa: F401
from tests.support import adapters as support
from tests.support.fault_proxy import FaultProxy

ADAPTERS = list(support.DRIVERS)


@pytest.fixture(params=ADAPTERS)
def adapter(request, broker_address):
    """One adapter name; the scenario runs on pika's and pika_fast's adapter of it."""
    return request.param


@pytest.fixture
def tracker(amqp_url):
    names = support.NameTracker(amqp_url)
    yield names
    names.cleanup()


@pytest.fixture
def both(adapter, amqp_url, tracker):
    """``both(scenario, url=None, timeout=...)`` -> the (equal) log of the two runs."""
    def run(scenario, url=None, timeout=support.SCENARIO_TIMEOUT):
        return support.run_both(adapter, url or amqp_url, tracker, scenario, timeout)
    return run


def props(s, **fields):
    return s.spec.BasicProperties(**fields)


# ------------------------------------------------------------------- open and close


def test_open_and_close(both):
    def scenario(s):
        conn = yield s.connect()
        s.record("open", conn.is_open)
        ch = yield s.channel()
        s.record("channel", ch, ch.is_open)
        s.record("channel_closed", (yield s.close_channel(ch)), ch.is_closed)
        s.record("closed", (yield s.close()), conn.is_closed)

    log = both(scenario)
    assert log[0] == ("open", True) and log[1] == ("channel", "Channel[1]", True)
    assert log[-1][-1] is True


def test_wrong_password_fails_the_open_with_pika_s_error(both):
    """The adapter's own way of failing an open (raise, on_open_error_callback, errback),
    with pika's exception class for it."""
    def scenario(s):
        params = s.params(credentials=s.lib.PlainCredentials("guest", "not-the-password"))
        try:
            yield s.connect(params)
        except Exception as exc:  # noqa: BLE001 - the failure is what is compared
            s.record("open_failed", type(exc).__name__)
        else:
            s.record("opened")

    log = both(scenario)
    assert log[0][0] == "open_failed"
    assert log[0][1] in ("ProbableAuthenticationError", "AMQPConnectionError")


def test_declare_bind_purge_delete(both):
    def scenario(s):
        yield s.connect()
        ch = yield s.channel()
        queue, exchange = s.namer.queue(), s.namer.exchange()
        s.record("exchange", (yield s.rpc(ch, "exchange_declare", exchange, "topic",
                                          auto_delete=True)))
        s.record("queue", (yield s.rpc(ch, "queue_declare", queue,
                                       arguments={"x-max-length": 10})))
        s.record("passive", (yield s.rpc(ch, "queue_declare", queue, passive=True)))
        s.record("bind", (yield s.rpc(ch, "queue_bind", queue, exchange, "a.#")))
        yield s.publish(ch, exchange, "a.b", b"routed")
        yield s.wait(lambda: False, timeout=0.2)  # let the broker count it
        s.record("purge", (yield s.rpc(ch, "queue_purge", queue)))
        s.record("unbind", (yield s.rpc(ch, "queue_unbind", queue, exchange, "a.#")))
        s.record("server_named", (yield s.rpc(ch, "queue_declare", "", exclusive=True)))
        s.record("delete", (yield s.rpc(ch, "queue_delete", queue)))
        s.record("xdelete", (yield s.rpc(ch, "exchange_delete", exchange)))
        yield s.close()

    log = both(scenario)
    assert [entry[0] for entry in log] == ["exchange", "queue", "passive", "bind", "purge",
                                           "unbind", "server_named", "delete", "xdelete"]
    assert "message_count', 1" in log[4][1]


# ------------------------------------------------------------------ messages


@pytest.mark.parametrize("count", [10_000])
def test_publish_consume_ack_in_order(both, count):
    def scenario(s):
        yield s.connect()
        ch = yield s.channel()
        queue = (yield s.rpc(ch, "queue_declare", "", exclusive=True)).method.queue
        for i in range(count):
            yield s.publish(ch, "", queue, b"%d" % i, props(s, headers={"n": i},
                                                             content_type="text/plain"))
        s.record("qos", (yield s.rpc(ch, "basic_qos", prefetch_count=200)))
        received = []
        first = []

        def on_message(channel, method, properties, body):
            if not first:
                first.append((channel, method, properties, body))
            received.append((body, properties.headers["n"], method.delivery_tag))
            channel.basic_ack(method.delivery_tag)

        tag = yield s.consume(ch, queue, on_message)
        s.record("consuming", tag)
        s.record("all_received", (yield s.wait(lambda: len(received) >= count, 60)))
        s.record("first", *first[0])
        s.record("count", len(received))
        s.record("in_order", received == [(b"%d" % i, i, i + 1) for i in range(count)])
        s.record("cancel", (yield s.cancel(ch, tag)))
        s.record("left", (yield s.rpc(ch, "queue_declare", queue, passive=True)))
        yield s.close()

    log = both(scenario, timeout=90)
    assert ("count", count) in log and ("in_order", True) in log
    assert "message_count', 0" in log[-1][1]


def test_basic_get(both):
    def scenario(s):
        yield s.connect()
        ch = yield s.channel()
        queue = (yield s.rpc(ch, "queue_declare", "", exclusive=True)).method.queue
        yield s.publish(ch, "", queue, b"one", props(s, message_id="m1", priority=3))
        yield s.publish(ch, "", queue, b"two")
        yield s.wait(lambda: False, timeout=0.2)
        s.record("get1", (yield s.get(ch, queue)))
        s.record("get2", (yield s.get(ch, queue, auto_ack=True)))
        s.record("get3", (yield s.get(ch, queue)))
        yield s.close()

    log = both(scenario)
    assert log[0][1][2] == b"one" and log[1][1][2] == b"two" and log[2] == ("get3", None)


def test_confirms_ack_nack_unroutable(both):
    def scenario(s):
        yield s.connect()
        ch = yield s.channel()
        queue = s.namer.queue()
        yield s.rpc(ch, "queue_declare", queue, auto_delete=True,
                    arguments={"x-max-length": 1, "x-overflow": "reject-publish"})
        confirms = []
        returned = []
        yield s.on_return(ch, lambda c, m, p, b: returned.append(b))
        s.record("select", (yield s.confirm(ch, lambda frame: confirms.append(frame))))
        bodies = [(queue, b"fits"), (queue, b"overflows"), ("nowhere", b"unroutable")]
        for number, (routing_key, body) in enumerate(bodies, 1):
            try:
                s.record("publish", body, (yield s.publish(ch, "", routing_key, body,
                                                           mandatory=True)))
            except Exception as exc:  # noqa: BLE001 - the blocking adapters raise
                s.record("publish_error", body, exc,
                         [m.body for m in getattr(exc, "messages", [])])
            if s.style in ("callback", "threaded"):
                # One at a time: the broker confirms unroutable messages at once and
                # queued ones later, so a burst would be confirmed in either order.
                s.record("confirmed", (yield s.wait(lambda: len(confirms) >= number)))
        if s.style in ("callback", "threaded"):
            yield s.wait(lambda: len(returned) >= 1)
        # The broker may set ``multiple`` on a confirm covering only one message.
        s.record("confirms", [(f.method.NAME, f.method.delivery_tag) for f in confirms])
        s.record("returned", returned)
        yield s.close()

    log = both(scenario)
    assert any("overflows" in repr(entry) for entry in log)


def test_returns_without_confirms(both):
    def scenario(s):
        yield s.connect()
        ch = yield s.channel()
        returned = []
        yield s.on_return(ch, lambda c, m, p, b: returned.append((c, m, p, b)))
        yield s.publish(ch, "", "no.such.queue", b"back", props(s, app_id="t"),
                        mandatory=True)
        yield s.publish(ch, "", "no.such.queue", b"dropped")  # not mandatory
        s.record("returned", (yield s.wait(lambda: len(returned) >= 1)))
        yield s.wait(lambda: False, timeout=0.3)  # nothing else comes back
        for entry in returned:
            s.record("return", *entry)
        yield s.close()

    log = both(scenario)
    assert len([e for e in log if e[0] == "return"]) == 1
    assert "NO_ROUTE" in log[-1][2] and log[-1][-1] == b"back"


# ------------------------------------------------------------------------ cancel


def test_cancel_from_broker_when_queue_deleted(both):
    def scenario(s):
        yield s.connect()
        ch = yield s.channel()
        other = yield s.channel()
        queue = s.namer.queue()
        yield s.rpc(ch, "queue_declare", queue)
        cancels = []
        yield s.on_cancel(ch, lambda frame: cancels.append(frame))
        tag = yield s.consume(ch, queue, lambda *a: None)
        s.record("tags", ch.consumer_tags == [tag])
        s.record("deleted", (yield s.rpc(other, "queue_delete", queue)))
        s.record("cancelled", (yield s.wait(lambda: bool(cancels))))
        s.record("cancel", *cancels)
        s.record("tags_after", ch.consumer_tags, ch.is_open)
        yield s.close()

    log = both(scenario)
    assert ("cancelled", True) in log and ("tags_after", (), True) in log


def test_cancel_from_client(both):
    def scenario(s):
        yield s.connect()
        ch = yield s.channel()
        queue = (yield s.rpc(ch, "queue_declare", "", exclusive=True)).method.queue
        for i in range(5):
            yield s.publish(ch, "", queue, b"%d" % i)
        yield s.rpc(ch, "basic_qos", prefetch_count=2)
        got = []
        tag = yield s.consume(ch, queue, lambda c, m, p, b: got.append(b))
        yield s.wait(lambda: len(got) >= 2)
        s.record("cancel", (yield s.cancel(ch, tag)))
        yield s.wait(lambda: False, timeout=0.2)
        s.record("got", got)
        s.record("after", (yield s.rpc(ch, "queue_declare", queue, passive=True)))
        s.record("tags", ch.consumer_tags)
        yield s.close()

    log = both(scenario)
    assert ("got", (b"0", b"1")) in log


# ----------------------------------------------------------------- blocked/unblocked


def test_blocked_and_unblocked(both, private_node):  # noqa: F811 - the fixture
    def scenario(s):
        yield s.connect(s.params(private_node.url))
        ch = yield s.channel()
        events = []
        yield s.on_blocked(lambda conn, frame: events.append(("blocked", conn, frame)),
                           lambda conn, frame: events.append(("unblocked", conn, frame)))
        _force_memory_alarm(private_node, True)
        try:
            deadline = time.monotonic() + 20
            while not events and time.monotonic() < deadline:
                yield s.publish(ch, "", "nowhere", b"trigger")
                yield s.wait(lambda: bool(events), timeout=0.2)
        finally:
            _force_memory_alarm(private_node, False)
        s.record("unblocked", (yield s.wait(lambda: len(events) >= 2, timeout=20)))
        for tag, conn, frame in events:
            s.record(tag, conn is s.conn, frame)
        queue = (yield s.rpc(ch, "queue_declare", "", exclusive=True)).method.queue
        yield s.publish(ch, "", queue, b"after")
        yield s.wait(lambda: False, timeout=0.2)
        s.record("get", (yield s.get(ch, queue, auto_ack=True)))
        yield s.close()

    log = both(scenario, url=private_node.url, timeout=60)
    assert log[1][0] == "blocked" and log[2][0] == "unblocked"


# ----------------------------------------------------- closing from inside callbacks


def test_channel_close_from_inside_consumer_callback(both):
    def scenario(s):
        yield s.connect()
        closed = []
        ch = yield s.channel(on_close=lambda c, e: closed.append(e))
        queue = (yield s.rpc(ch, "queue_declare", "", exclusive=True)).method.queue
        for i in range(20):
            yield s.publish(ch, "", queue, b"%d" % i)
        yield s.rpc(ch, "basic_qos", prefetch_count=5)
        got = []

        def on_message(channel, method, properties, body):
            got.append(body)
            channel.basic_ack(method.delivery_tag)
            if len(got) == 3:
                channel.close()

        yield s.consume(ch, queue, on_message)
        s.record("closed", (yield s.wait(lambda: ch.is_closed)))
        yield s.wait(lambda: False, timeout=0.2)
        s.record("got", got)
        s.record("reason", closed)
        other = yield s.channel()
        s.record("left", (yield s.rpc(other, "queue_declare", queue, passive=True)))
        yield s.close()

    log = both(scenario)
    assert ("got", (b"0", b"1", b"2")) in log


def test_connection_close_from_inside_consumer_callback(both):
    def scenario(s):
        closed = []
        yield s.connect(on_close=lambda c, e: closed.append(e))
        ch = yield s.channel(on_close=lambda c, e: closed.append(("channel", e)))
        queue = s.namer.queue()
        yield s.rpc(ch, "queue_declare", queue)
        for i in range(20):
            yield s.publish(ch, "", queue, b"%d" % i)
        yield s.rpc(ch, "basic_qos", prefetch_count=5)
        got = []

        def on_message(channel, method, properties, body):
            got.append(body)
            channel.basic_ack(method.delivery_tag)
            if len(got) == 3:
                s.conn.close()

        yield s.consume(ch, queue, on_message)
        try:
            s.record("closed", (yield s.wait(lambda: s.conn.is_closed)))
        except Exception as exc:  # noqa: BLE001 - what a blocking wait reports
            s.record("wait_error", exc)
        s.record("got", got)
        s.record("reasons", s.across_threads(closed))
        s.record("is_closed", s.conn.is_closed)

    log = both(scenario)
    assert ("got", (b"0", b"1", b"2")) in log and ("is_closed", True) in log


# ----------------------------------------------------------------- connection loss


def test_connection_loss_mid_consume(both, amqp_url):
    host, port = support.broker_port(amqp_url)
    with FaultProxy(port, host) as proxy:
        def scenario(s):
            closed = []
            yield s.connect(s.params(f"amqp://guest:guest@127.0.0.1:{proxy.port}/%2F"),
                            on_close=lambda c, e: closed.append(e))
            ch = yield s.channel(on_close=lambda c, e: closed.append(("channel", e)))
            queue = (yield s.rpc(ch, "queue_declare", "", exclusive=True)).method.queue
            for i in range(50):
                yield s.publish(ch, "", queue, b"%d" % i)
            yield s.rpc(ch, "basic_qos", prefetch_count=1)
            got = []

            def on_message(channel, method, properties, body):
                got.append(body)
                if len(got) == 5:
                    # Unacknowledged, so with prefetch 1 nothing else can be in flight.
                    proxy.cut()
                else:
                    channel.basic_ack(method.delivery_tag)

            yield s.consume(ch, queue, on_message)
            try:
                s.record("lost", (yield s.wait(lambda: s.conn.is_closed, timeout=10)))
            except Exception as exc:  # noqa: BLE001 - a blocking wait raises it
                s.record("wait_error", exc)
            s.record("got", got)
            s.record("reasons", s.across_threads(closed))
            s.record("state", s.conn.is_closed, ch.is_closed)
            try:
                yield s.publish(ch, "", queue, b"after")
                s.record("publish_after", "accepted")
            except Exception as exc:  # noqa: BLE001
                s.record("publish_after", exc)

        log = both(scenario)
    assert ("got", tuple(b"%d" % i for i in range(5))) in log
    assert ("state", True, True) in log


# ------------------------------------------------------------ broker-closed channel


def test_broker_closes_channel_404_and_406(both):
    def scenario(s):
        yield s.connect()
        reasons = []
        ch = yield s.channel(on_close=lambda c, e: reasons.append(e))
        try:
            yield s.rpc(ch, "queue_declare", "pika_fast.test.adp.never-declared",
                        passive=True)
            s.record("passive", "no error")
        except Exception as exc:  # noqa: BLE001
            s.record("passive_error", exc, ch.is_closed)
        ch2 = yield s.channel(on_close=lambda c, e: reasons.append(e))
        queue = s.namer.queue()
        yield s.rpc(ch2, "queue_declare", queue, auto_delete=True)
        try:
            yield s.rpc(ch2, "queue_declare", queue, durable=True)
            s.record("redeclare", "no error")
        except Exception as exc:  # noqa: BLE001
            s.record("redeclare_error", exc, ch2.is_closed)
        try:
            yield s.publish(ch2, "", queue, b"on a closed channel")
            s.record("publish_closed", "accepted")
        except Exception as exc:  # noqa: BLE001
            s.record("publish_closed", exc)
        s.record("reasons", s.across_threads(reasons))
        ch3 = yield s.channel()
        s.record("still_usable", (yield s.rpc(ch3, "queue_declare", queue, passive=True)))
        s.record("conn_open", s.conn.is_open)
        yield s.close()

    log = both(scenario)
    assert log[0][0] == "passive_error" and "404" in log[0][1]
    assert log[1][0] == "redeclare_error" and "406" in log[1][1]
    assert ("conn_open", True) in log
