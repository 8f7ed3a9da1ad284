"""The event loop a BlockingConnection runs for its user: process_data_events, sleep,
timers, thread-safe callbacks and heartbeats."""
import threading
import time

import pytest

import pika as real_pika

import pika_fast as pika
from pika_fast import exceptions


def _threadsafe_later(connection, delay, callback):
    """Another thread asks the connection's thread to run ``callback`` after ``delay``."""

    def fire():
        try:
            connection.add_callback_threadsafe(callback)
        except Exception:  # noqa: BLE001 - the connection may be closed by then
            pass

    timer = threading.Timer(delay, fire)
    timer.daemon = True
    timer.start()
    return timer


# ------------------------------------------------------- process_data_events


def test_process_data_events_zero_returns_at_once(connection):
    started = time.monotonic()
    for _ in range(10):
        connection.process_data_events()
        connection.process_data_events(time_limit=0)
    assert time.monotonic() - started < 0.5


@pytest.mark.parametrize("limit", [0.2, 0.5])
def test_process_data_events_time_limit(connection, limit):
    started = time.monotonic()
    connection.process_data_events(time_limit=limit)
    elapsed = time.monotonic() - started
    assert limit - 0.01 <= elapsed < limit + 0.5, elapsed


def test_process_data_events_time_limit_dispatches_deliveries(channel, queue):
    got = []
    channel.basic_consume(queue, lambda ch, m, p, b: got.append(b), auto_ack=True)
    for i in range(3):
        channel.basic_publish("", queue, b"%d" % i)
    assert got == []  # nothing runs outside process_data_events
    started = time.monotonic()
    deadline = started + 5
    while len(got) < 3 and time.monotonic() < deadline:
        channel.connection.process_data_events(time_limit=1)
    assert got == [b"0", b"1", b"2"]


def test_process_data_events_none_returns_after_a_delivery(channel, queue):
    got = []
    channel.basic_consume(queue, lambda ch, m, p, b: got.append(b), auto_ack=True)
    publisher_done = threading.Event()

    def publish_from_elsewhere():
        time.sleep(0.3)
        # a second connection, so this thread never touches ours
        with pika.BlockingConnection(channel.connection._impl.params) as other:
            other.channel().basic_publish("", queue, b"late")
        publisher_done.set()

    thread = threading.Thread(target=publish_from_elsewhere, daemon=True)
    thread.start()
    backstop = _threadsafe_later(channel.connection, 10, lambda: None)
    try:
        started = time.monotonic()
        channel.connection.process_data_events(time_limit=None)
        elapsed = time.monotonic() - started
    finally:
        backstop.cancel()
        thread.join(10)
    assert got == [b"late"]
    assert 0.2 <= elapsed < 5


def test_process_data_events_none_returns_after_a_timer(connection):
    fired = []
    connection.call_later(0.2, lambda: fired.append(time.monotonic()))
    backstop = _threadsafe_later(connection, 3, lambda: None)
    try:
        started = time.monotonic()
        connection.process_data_events(time_limit=None)
        elapsed = time.monotonic() - started
    finally:
        backstop.cancel()
    assert len(fired) == 1
    assert elapsed < 2


def test_sleep_keeps_dispatching(channel, queue):
    got = []
    channel.basic_consume(queue, lambda ch, m, p, b: got.append(b), auto_ack=True)
    channel.basic_publish("", queue, b"during-sleep")
    started = time.monotonic()
    channel.connection.sleep(0.5)
    elapsed = time.monotonic() - started
    assert 0.49 <= elapsed < 1.5
    assert got == [b"during-sleep"]
    started = time.monotonic()
    channel.connection.sleep(0)
    assert time.monotonic() - started < 0.5


def test_sleep_rejects_negative(connection):
    with pytest.raises((AssertionError, ValueError)):
        connection.sleep(-1)


# ------------------------------------------------------------------ timers


def test_call_later_and_remove_timeout_same_as_pika(amqp_url):
    def scenario(lib):
        with lib.BlockingConnection(lib.URLParameters(amqp_url)) as conn:
            fired = []
            conn.call_later(0.1, lambda: fired.append("t1"))
            conn.call_later(0.05, lambda: fired.append("t2"))
            t3 = conn.call_later(0.1, lambda: fired.append("t3"))
            conn.remove_timeout(t3)
            time.sleep(0.2)
            before = list(fired)  # timers only run inside process_data_events
            conn.process_data_events(0)
            after = list(fired)
            t4 = conn.call_later(0, lambda: fired.append("t4"))
            time.sleep(0.05)
            conn.remove_timeout(t4)  # due but not yet dispatched: still cancellable
            conn.process_data_events(0.1)
            conn.remove_timeout(t3)  # removing twice is harmless
            return before, after, fired

    assert scenario(pika) == scenario(real_pika)


def test_call_later_fires_during_time_limit(connection):
    fired = []
    connection.call_later(0.2, lambda: fired.append(time.monotonic()))
    started = time.monotonic()
    connection.process_data_events(time_limit=1.0)
    assert len(fired) == 1
    assert 0.19 <= fired[0] - started < 0.6


def test_call_later_order_and_nesting(connection):
    order = []

    def outer():
        order.append("outer")
        connection.call_later(0, lambda: order.append("nested"))

    connection.call_later(0.05, lambda: order.append("b"))
    connection.call_later(0.0, lambda: order.append("a"))
    connection.call_later(0.1, outer)
    deadline = time.monotonic() + 3
    while len(order) < 4 and time.monotonic() < deadline:
        connection.process_data_events(time_limit=0.05)
    assert order == ["a", "b", "outer", "nested"]


def test_call_later_rejects_non_callable(connection):
    with pytest.raises(TypeError):
        connection.call_later(1, "not callable")


def test_timers_run_during_start_consuming(channel, queue):
    ticks = []

    def tick():
        ticks.append(time.monotonic())
        if len(ticks) < 3:
            channel.connection.call_later(0.05, tick)
        else:
            channel.basic_publish("", queue, b"stop")

    def on_message(ch, method, props, body):
        ch.stop_consuming()

    channel.basic_consume(queue, on_message, auto_ack=True)
    channel.connection.call_later(0.05, tick)
    backstop = _threadsafe_later(channel.connection, 10, channel.stop_consuming)
    try:
        channel.start_consuming()
    finally:
        backstop.cancel()
    assert len(ticks) == 3


# ------------------------------------------------------------- thread-safe


def test_add_callback_threadsafe_from_other_threads(connection):
    seen = []
    threads_done = threading.Event()
    n_threads, per_thread = 4, 50

    def worker(k):
        for i in range(per_thread):
            connection.add_callback_threadsafe(
                lambda k=k, i=i: seen.append((k, i, threading.get_ident())))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    threads_done.set()
    deadline = time.monotonic() + 5
    while len(seen) < n_threads * per_thread and time.monotonic() < deadline:
        connection.process_data_events(time_limit=0.1)
    assert len(seen) == n_threads * per_thread
    me = threading.get_ident()
    assert all(ident == me for _k, _i, ident in seen)
    for k in range(n_threads):
        assert [i for kk, i, _ in seen if kk == k] == list(range(per_thread))


def test_add_callback_threadsafe_wakes_start_consuming(channel, queue):
    acked = []

    def on_message(ch, method, props, body):
        # hand the work to another thread, which acks through add_callback_threadsafe
        def work():
            time.sleep(0.1)
            ch.connection.add_callback_threadsafe(lambda: (
                ch.basic_ack(method.delivery_tag), acked.append(body), ch.stop_consuming()))

        threading.Thread(target=work, daemon=True).start()

    channel.basic_consume(queue, on_message)
    channel.basic_publish("", queue, b"job")
    backstop = _threadsafe_later(channel.connection, 10, channel.stop_consuming)
    try:
        started = time.monotonic()
        channel.start_consuming()
    finally:
        backstop.cancel()
    assert acked == [b"job"]
    assert time.monotonic() - started < 5
    assert channel.basic_get(queue) == (None, None, None)


def test_add_callback_threadsafe_rejects_non_callable(connection):
    with pytest.raises(TypeError):
        connection.add_callback_threadsafe("not callable")


def test_add_callback_threadsafe_after_close(connect):
    conn = connect()
    conn.close()
    with pytest.raises(exceptions.ConnectionWrongStateError):
        conn.add_callback_threadsafe(lambda: None)


# ------------------------------------------------------------- heartbeats


@pytest.mark.broker_timeout(60)
def test_heartbeat_keeps_idle_connection_alive_in_user_code(connect):
    """pika_fast improvement over pika: a background thread keeps heartbeats going while
    the user's code runs (pika 1.4.4's connection would be dropped by the broker)."""
    conn = connect(heartbeat=2)
    ch = conn.channel()
    q = ch.queue_declare("", exclusive=True).method.queue
    ch.basic_publish("", q, b"before")
    time.sleep(7)  # > 2 heartbeat intervals, without calling into the connection
    assert conn.is_open
    ch.basic_publish("", q, b"after")
    assert ch.basic_get(q, auto_ack=True)[2] == b"before"
    assert ch.basic_get(q, auto_ack=True)[2] == b"after"
    conn.process_data_events(time_limit=0.1)
    assert conn.is_open


@pytest.mark.broker_timeout(60)
def test_heartbeat_idle_consumer_stays_alive(connect):
    conn = connect(heartbeat=2)
    ch = conn.channel()
    q = ch.queue_declare("", exclusive=True).method.queue
    got = []
    ch.basic_consume(q, lambda c, m, p, b: got.append(b), auto_ack=True)
    started = time.monotonic()
    while time.monotonic() - started < 5:
        conn.process_data_events(time_limit=1)
    ch.basic_publish("", q, b"still here")
    deadline = time.monotonic() + 5
    while not got and time.monotonic() < deadline:
        conn.process_data_events(time_limit=0.1)
    assert got == [b"still here"]


def _heartbeat_threads():
    return [t for t in threading.enumerate() if t.is_alive() and "heartbeat" in t.name]


def test_heartbeat_thread_stops_after_close(connect):
    before = set(_heartbeat_threads())
    conn = connect(heartbeat=2)
    conn.channel()
    mine = [t for t in _heartbeat_threads() if t not in before]
    assert len(mine) == 1  # the background sender runs
    conn.close()
    mine[0].join(3)
    assert not mine[0].is_alive()


def test_heartbeat_thread_stops_after_broker_close(connect):
    before = set(_heartbeat_threads())
    conn = connect(heartbeat=2)
    ch = conn.channel()
    mine = [t for t in _heartbeat_threads() if t not in before]
    assert len(mine) == 1
    with pytest.raises(exceptions.ConnectionClosedByBroker):
        ch.flow(False)  # RabbitMQ closes the connection (540 NOT_IMPLEMENTED)
    mine[0].join(3)
    assert not mine[0].is_alive()


def test_no_heartbeat_thread_without_heartbeats(connect):
    before = set(_heartbeat_threads())
    conn = connect(heartbeat=0)
    conn.channel().queue_declare("", exclusive=True)
    assert [t for t in _heartbeat_threads() if t not in before] == []


def test_heartbeat_negotiated_value_used(connect):
    """A client heartbeat lower than the broker's wins (RabbitMQ offers 60)."""
    seen = []

    def choose(connection, broker_value):
        seen.append(broker_value)
        return 3

    conn = connect(heartbeat=choose)
    assert seen and seen[0] >= 0
    ch = conn.channel()
    time.sleep(4)  # longer than one interval: heartbeats keep going in the background
    ch.queue_declare("", exclusive=True)
    assert conn.is_open
