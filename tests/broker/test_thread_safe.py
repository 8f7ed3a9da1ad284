"""pika_fast.Connection, the thread-safe connection, against the broker.

What only this adapter has: many threads on one connection, callbacks on worker
threads, bounded work queues, RPC timeouts, and a clean end for every thread however
the connection ends. (The behaviour it shares with the others is in test_adapters.py.)
"""
from __future__ import annotations

import os
import queue
import threading
import time
import uuid

import pytest

import pika_fast
from pika_fast import exceptions
from pika_fast.adapters import thread_safe_connection
from tests.support.fault_proxy import FaultProxy
from tests.support.rabbit_node import PrivateRabbitNode, free_port

THREADS = 8
TOTAL = 100_000


def _our_threads():
    return [t for t in threading.enumerate() if t.name.startswith("pika_fast-") and t.is_alive()]


def _wait_until(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)
    return True


@pytest.fixture
def params(amqp_url, broker_address):
    return pika_fast.URLParameters(amqp_url)


@pytest.fixture
def conn(params):
    connection = pika_fast.Connection(params)
    yield connection
    connection.abort()
    assert _wait_until(lambda: not _our_threads(), 10), _our_threads()


@pytest.fixture
def proxy(amqp_url):
    p = pika_fast.URLParameters(amqp_url)
    with FaultProxy(p.port, p.host) as fault_proxy:
        yield fault_proxy


def test_public_names():
    assert pika_fast.Connection is thread_safe_connection.Connection
    assert thread_safe_connection.ThreadSafeConnection is pika_fast.Connection
    assert issubclass(exceptions.WorkQueueFullError, exceptions.AMQPConnectionError)


class Confirms:
    """Tracks Basic.Ack/Nack by delivery tag (``multiple`` included)."""

    def __init__(self, total):
        self.flags = bytearray(total + 1)
        self.low = 0
        self.acked = 0
        self.nacked = []
        self.lock = threading.Lock()

    def __call__(self, frame):
        method = frame.method
        with self.lock:
            tags = range(self.low + 1, method.delivery_tag + 1) if method.multiple \
                else (method.delivery_tag,)
            for tag in tags:
                if not self.flags[tag]:
                    self.flags[tag] = 1
                    if method.NAME == "Basic.Ack":
                        self.acked += 1
                    else:
                        self.nacked.append(tag)
            if method.multiple:
                self.low = max(self.low, method.delivery_tag)


@pytest.mark.parametrize("shared_channel", [True, False], ids=["one-channel", "channel-each"])
def test_eight_threads_publish_with_confirms_then_each_message_consumed_once(
        conn, shared_channel):
    per_thread = TOTAL // THREADS
    setup = conn.channel()
    queue_name = setup.queue_declare("", exclusive=True).method.queue
    channels = [conn.channel() for _ in range(1 if shared_channel else THREADS)]
    confirms = [Confirms(TOTAL) for _ in channels]
    for channel, tracker in zip(channels, confirms):
        assert channel.next_publish_seq_no == 0
        assert type(channel.confirm_delivery(tracker).method).__name__ == "SelectOk"
        assert channel.next_publish_seq_no == 1
    seqs = [[] for _ in range(THREADS)]
    errors = []
    start = threading.Barrier(THREADS)

    def publisher(n):
        channel = channels[0 if shared_channel else n]
        try:
            start.wait()
            for i in range(per_thread):
                channel.basic_publish("", queue_name, b"%d:%d" % (n, i),
                                      on_publish=seqs[n].append)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=publisher, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and not any(t.is_alive() for t in threads)
    expected_confirms = TOTAL if shared_channel else per_thread
    assert _wait_until(lambda: all(c.acked + len(c.nacked) == expected_confirms
                                   for c in confirms), 60), [c.acked for c in confirms]
    assert all(not c.nacked for c in confirms)
    # Sequence numbers: each publish got its own, in the order each thread published.
    for n, numbers in enumerate(seqs):
        assert len(numbers) == per_thread and numbers == sorted(numbers), n
    if shared_channel:
        assert sorted(sum(seqs, [])) == list(range(1, TOTAL + 1))
        assert channels[0].next_publish_seq_no == TOTAL + 1

    received = []
    done = threading.Event()

    def on_message(channel, method, properties, body):
        received.append(body)
        channel.basic_ack(method.delivery_tag)
        if len(received) == TOTAL:
            done.set()

    consumer = conn.channel()
    consumer.basic_qos(prefetch_count=1000)
    ok = consumer.basic_consume(queue_name, on_message)
    assert ok.method.consumer_tag in consumer.consumer_tags
    assert done.wait(120), len(received)
    assert len(received) == TOTAL
    seen = {}
    for body in received:
        n, i = map(int, body.split(b":"))
        seen.setdefault(n, []).append(i)
    assert sorted(seen) == list(range(THREADS))
    for n, numbers in seen.items():
        assert numbers == list(range(per_thread)), f"thread {n}: lost, duplicated or reordered"
    assert consumer.queue_declare(queue_name, passive=True).method.message_count == 0
    conn.close()
    assert _wait_until(lambda: not _our_threads(), 10), _our_threads()


def test_consumer_callback_acks_from_another_thread(conn):
    channel = conn.channel()
    queue_name = channel.queue_declare("", exclusive=True).method.queue
    for i in range(500):
        channel.basic_publish("", queue_name, b"%d" % i)
    to_ack = queue.Queue()
    acked = []

    def acker():
        while True:
            tag = to_ack.get()
            if tag is None:
                return
            channel.basic_ack(tag)
            acked.append(tag)

    helper = threading.Thread(target=acker)
    helper.start()
    callback_threads = set()

    def on_message(ch, method, properties, body):
        callback_threads.add(threading.current_thread().name)
        to_ack.put(method.delivery_tag)

    channel.basic_qos(prefetch_count=50)  # the broker waits for the helper's acks
    channel.basic_consume(queue_name, on_message)
    assert _wait_until(lambda: len(acked) == 500)
    to_ack.put(None)
    helper.join(10)
    assert acked == list(range(1, 501))
    assert len(callback_threads) == 1 and "channel-" in callback_threads.pop()
    other = conn.channel()
    declare = other.queue_declare(queue_name, passive=True).method
    assert (declare.message_count, declare.consumer_count) == (0, 1)
    channel.close()
    # Nothing was left unacknowledged: closing the consumer's channel requeues nothing.
    assert other.queue_declare(queue_name, passive=True).method.message_count == 0


def test_close_while_other_threads_publish(conn):
    channel = conn.channel()
    queue_name = channel.queue_declare("", exclusive=True).method.queue
    counts = [0] * 4
    outcome = {}
    running = threading.Barrier(5)

    def publisher(n):
        running.wait()
        try:
            while True:
                channel.basic_publish("", queue_name, b"x")
                counts[n] += 1
        except Exception as exc:  # noqa: BLE001 - every thread must end with one
            outcome[n] = exc

    threads = [threading.Thread(target=publisher, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    running.wait()
    assert _wait_until(lambda: min(counts) > 100)
    conn.close()
    for t in threads:
        t.join(10)
    assert not any(t.is_alive() for t in threads)
    assert sorted(outcome) == [0, 1, 2, 3]
    assert all(isinstance(e, exceptions.ChannelWrongStateError) for e in outcome.values())
    assert conn.is_closed and not channel.is_open
    assert _wait_until(lambda: not _our_threads(), 10), _our_threads()
    with pytest.raises(exceptions.ConnectionWrongStateError):
        conn.close()


def test_broker_drop_while_threads_wait_on_rpcs(proxy):
    threads_before = len(threading.enumerate())
    closed = []
    conn = pika_fast.Connection(
        pika_fast.ConnectionParameters("127.0.0.1", proxy.port),
        on_close_callback=lambda c, reason: closed.append((c, reason)))
    channels = [conn.channel() for _ in range(4)]
    proxy.stall()  # the RPCs below go unanswered
    outcomes = {}
    started = threading.Barrier(len(channels) + 2)

    def waiter(n):
        started.wait()
        try:
            channels[n].queue_declare("", exclusive=True, timeout=None)
            outcomes[n] = "answered"
        except Exception as exc:  # noqa: BLE001
            outcomes[n] = exc

    def connection_rpc():
        started.wait()
        try:
            conn.channel(timeout=None)
            outcomes["channel"] = "answered"
        except Exception as exc:  # noqa: BLE001
            outcomes["channel"] = exc

    threads = [threading.Thread(target=waiter, args=(n,)) for n in range(len(channels))]
    threads.append(threading.Thread(target=connection_rpc))
    for t in threads:
        t.start()
    started.wait()
    time.sleep(0.3)  # let the requests reach the I/O thread
    proxy.cut()
    for t in threads:
        t.join(15)
    assert not any(t.is_alive() for t in threads), "a thread hangs"
    assert len(outcomes) == len(channels) + 1
    for key, outcome in outcomes.items():
        assert isinstance(outcome, exceptions.StreamLostError), (key, outcome)
    assert _wait_until(lambda: closed)
    assert closed[0][0] is conn and isinstance(closed[0][1], exceptions.StreamLostError)
    assert conn.is_closed and all(ch.is_closed for ch in channels)
    assert _wait_until(lambda: not _our_threads(), 10), _our_threads()
    # No thread of any kind is left behind (the waiters above have been joined).
    assert _wait_until(lambda: len(threading.enumerate()) == threads_before, 10), \
        threading.enumerate()
    with pytest.raises(exceptions.ConnectionWrongStateError):
        conn.channel()


def test_rpc_times_out_with_timeout_error(proxy):
    conn = pika_fast.Connection(pika_fast.ConnectionParameters("127.0.0.1", proxy.port))
    try:
        channel = conn.channel()
        proxy.stall()
        with pytest.raises(TimeoutError):
            channel.queue_declare("", exclusive=True, timeout=0.5)
        proxy.resume()
        # The late reply is paired with the request that timed out, not the next one.
        declared = channel.queue_declare("pika_fast.test.ts.late", auto_delete=True)
        assert declared.method.queue == "pika_fast.test.ts.late"
    finally:
        conn.abort()


def test_slow_consumer_overflows_its_work_queue(params):
    closed = []
    conn = pika_fast.Connection(params, on_close_callback=lambda c, r: closed.append(r),
                                work_queue_maxsize=10, work_queue_put_timeout=0.5)
    channel = conn.channel()
    queue_name = channel.queue_declare("", exclusive=True).method.queue
    for i in range(200):
        channel.basic_publish("", queue_name, b"%d" % i)
    release = threading.Event()
    handled = []

    def slow(ch, method, properties, body):
        handled.append(body)
        release.wait(20)

    channel.basic_consume(queue_name, slow, auto_ack=True)
    try:
        assert _wait_until(lambda: conn.is_closed, 20)
    finally:
        release.set()
    assert _wait_until(lambda: closed, 10)
    assert isinstance(closed[0], exceptions.WorkQueueFullError), closed
    assert isinstance(closed[0], exceptions.AMQPConnectionError)
    with pytest.raises(exceptions.ChannelWrongStateError):
        channel.basic_publish("", queue_name, b"after")
    conn.abort()
    assert _wait_until(lambda: not _our_threads(), 10), _our_threads()
    assert 1 <= len(handled) <= 200


def test_update_secret_accepted_by_broker(conn, params):
    ok = conn.update_secret(params.credentials.password, "token refresh")
    assert type(ok.method).__name__ == "UpdateSecretOk"
    assert conn.is_open
    assert conn.channel().queue_declare("", exclusive=True).method.queue


def test_list_of_hosts_with_attempts_and_retry_delay(amqp_url):
    good = pika_fast.URLParameters(amqp_url)
    dead = pika_fast.ConnectionParameters("127.0.0.1", free_port(), connection_attempts=2,
                                          retry_delay=0.1)
    with pika_fast.Connection([dead, good]) as conn:
        assert conn.is_open and conn.params.port == good.port
    assert conn.is_closed
    errors = []
    with pytest.raises(exceptions.AMQPConnectionError):
        pika_fast.Connection([dead], on_open_error_callback=lambda c, e: errors.append(e))
    assert len(errors) == 1 and isinstance(errors[0], exceptions.AMQPConnectionError)
    assert _wait_until(lambda: not _our_threads(), 10), _our_threads()


def test_add_callback_threadsafe_runs_on_the_io_thread(conn):
    ran = []
    done = threading.Event()
    conn.add_callback_threadsafe(lambda: (ran.append(threading.current_thread().name),
                                          done.set()))
    assert done.wait(5) and ran == ["pika_fast-io"]
    # A blocking call from the I/O thread would wait on itself: refused.
    failures = []

    def from_io_thread():
        try:
            conn.channel()
        except RuntimeError as exc:
            failures.append(exc)
        done.set()
    done.clear()
    conn.add_callback_threadsafe(from_io_thread)
    assert done.wait(5) and len(failures) == 1
    conn.close()
    with pytest.raises(exceptions.ConnectionWrongStateError):
        conn.add_callback_threadsafe(lambda: None)


def test_returns_and_cancel_callbacks_on_the_worker(conn):
    channel = conn.channel()
    returned, cancelled = [], []
    channel.add_on_return_callback(
        lambda ch, method, props, body: returned.append((ch, method.reply_code, body)))
    channel.add_on_cancel_callback(lambda frame: cancelled.append(frame.method.NAME))
    channel.basic_publish("", "pika_fast.test.ts.nowhere", b"back", mandatory=True)
    assert _wait_until(lambda: returned)
    assert returned == [(channel, 312, b"back")]
    name = "pika_fast.test.ts.cancel"
    channel.queue_declare(name, auto_delete=False)
    channel.basic_consume(name, lambda *a: None)
    conn.channel().queue_delete(name)
    assert _wait_until(lambda: cancelled)
    assert cancelled == ["Basic.Cancel"] and channel.consumer_tags == []


def _open_fds():
    return len(os.listdir("/proc/self/fd"))


def test_open_timeout_raises_timeout_error_and_leaves_nothing_behind(proxy):
    threads_before, fds_before = len(threading.enumerate()), _open_fds()
    proxy.stall()  # the TCP connect succeeds, the handshake is never answered
    with pytest.raises(TimeoutError):
        pika_fast.Connection(pika_fast.ConnectionParameters("127.0.0.1", proxy.port),
                             timeout=0.5)
    assert _wait_until(lambda: len(threading.enumerate()) == threads_before, 10), \
        threading.enumerate()
    # The socket to the proxy is closed too, not left to the garbage collector (the
    # proxy's own two sockets for that connection go with cut()).
    proxy.cut()
    assert _wait_until(lambda: _open_fds() <= fds_before, 10), (_open_fds(), fds_before)


def test_every_rpc_returns_its_method_frame_and_acks_work_from_any_thread(conn):
    ch = conn.channel()
    tag = uuid.uuid4().hex[:8]
    source, dest, queue_name = (f"pika_fast.test.ts.{tag}.{x}" for x in ("src", "dst", "q"))

    def from_other_thread(fn, *args, **kwargs):
        t = threading.Thread(target=fn, args=args, kwargs=kwargs)
        t.start()
        t.join(10)
        assert not t.is_alive()

    def name(frame):
        return frame.method.NAME

    try:
        assert name(ch.exchange_declare(source, "fanout")) == "Exchange.DeclareOk"
        assert name(ch.exchange_declare(dest, "direct")) == "Exchange.DeclareOk"
        assert name(ch.exchange_bind(dest, source, "k")) == "Exchange.BindOk"
        assert name(ch.queue_declare(queue_name)) == "Queue.DeclareOk"
        assert name(ch.queue_bind(queue_name, dest, "k")) == "Queue.BindOk"
        assert name(ch.basic_qos(prefetch_count=10)) == "Basic.QosOk"
        for i in range(4):
            ch.basic_publish(source, "k", b"%d" % i)  # fanout -> direct "k" -> queue

        def count():
            return ch.queue_declare(queue_name, passive=True).method.message_count
        # The broker enqueues asynchronously to the publish: poll until all four are in.
        assert _wait_until(lambda: count() == 4), count()
        method, properties, body = ch.basic_get(queue_name)
        assert (method.NAME, body) == ("Basic.GetOk", b"0")
        assert properties is not None
        # Settled from other threads; each outcome shows in the queue's depth (the
        # broker updates it asynchronously, hence the polling).
        from_other_thread(ch.basic_reject, method.delivery_tag, requeue=True)
        assert _wait_until(lambda: count() == 4), count()
        ch.basic_get(queue_name)
        second, _, _ = ch.basic_get(queue_name)
        from_other_thread(ch.basic_nack, second.delivery_tag, multiple=True, requeue=True)
        assert _wait_until(lambda: count() == 4), count()
        getter = conn.channel()
        tags = [getter.basic_get(queue_name)[0].delivery_tag for _ in range(4)]
        from_other_thread(getter.basic_ack, tags[0])
        from_other_thread(getter.basic_nack, tags[1], requeue=False)
        from_other_thread(getter.basic_reject, tags[2], requeue=False)
        getter.close()  # requeues the one message left unsettled, and only that one
        assert _wait_until(lambda: count() == 1), count()

        purged = ch.queue_purge(queue_name)
        assert (name(purged), purged.method.message_count) == ("Queue.PurgeOk", 1)
        assert ch.basic_get(queue_name) == (None, None, None)
        ok = ch.basic_consume(queue_name, lambda *a: None)
        assert name(ok) == "Basic.ConsumeOk"
        assert name(ch.basic_cancel(ok.method.consumer_tag)) == "Basic.CancelOk"
        assert ch.basic_cancel(ok.method.consumer_tag) is None  # already cancelled
        assert name(ch.queue_unbind(queue_name, dest, "k")) == "Queue.UnbindOk"
        assert name(ch.exchange_unbind(dest, source, "k")) == "Exchange.UnbindOk"
        deleted = ch.queue_delete(queue_name)
        assert (name(deleted), deleted.method.message_count) == ("Queue.DeleteOk", 0)
        assert name(ch.exchange_delete(dest)) == "Exchange.DeleteOk"
        assert name(ch.exchange_delete(source)) == "Exchange.DeleteOk"
        # A broker refusal closes the channel and raises its reason in the caller.
        with pytest.raises(exceptions.ChannelClosedByBroker) as refused:
            ch.queue_declare(queue_name, passive=True)
        assert refused.value.reply_code == 404 and ch.is_closed
        with pytest.raises(exceptions.ChannelWrongStateError):
            ch.basic_qos(prefetch_count=1)
    finally:
        cleanup = conn.channel()
        cleanup.queue_delete(queue_name)
        cleanup.exchange_delete(dest)
        cleanup.exchange_delete(source)


def test_consumer_callback_may_call_rpcs_while_its_work_queue_is_full(params):
    # No prefetch limit: far more deliveries arrive than the 5 queue slots hold, and
    # each callback waits on an RPC. The I/O thread must not wait for room in the very
    # queue whose worker waits on it (that would end in WorkQueueFullError).
    closed = []
    conn = pika_fast.Connection(params, work_queue_maxsize=5, work_queue_put_timeout=2,
                                on_close_callback=lambda c, r: closed.append(r))
    try:
        channel = conn.channel()
        queue_name = channel.queue_declare("", exclusive=True).method.queue
        for i in range(200):
            channel.basic_publish("", queue_name, b"%d" % i)
        seen = []

        def on_message(ch, method, properties, body):
            declared = ch.queue_declare(queue_name, passive=True)
            seen.append((body, declared.method.NAME))
            ch.basic_ack(method.delivery_tag)

        channel.basic_consume(queue_name, on_message)
        assert _wait_until(lambda: len(seen) == 200 or conn.is_closed, 60)
        assert not closed and conn.is_open, closed
        assert seen == [(b"%d" % i, "Queue.DeclareOk") for i in range(200)]
    finally:
        conn.abort()
    assert _wait_until(lambda: not _our_threads(), 10), _our_threads()


@pytest.mark.parametrize("closer", ["callback", "other-thread"])
def test_close_gets_through_a_full_work_queue(params, closer):
    # A slow consumer has filled its queue and the I/O thread waits for room (put
    # timeout 20 s). A close, from the consumer's own callback or from another thread,
    # must end the connection normally, not by WorkQueueFullError once that expires.
    closed = []
    conn = pika_fast.Connection(params, work_queue_maxsize=5, work_queue_put_timeout=20,
                                on_close_callback=lambda c, r: closed.append(r))
    channel = conn.channel()
    queue_name = channel.queue_declare("", exclusive=True).method.queue
    for i in range(100):
        channel.basic_publish("", queue_name, b"%d" % i)
    release = threading.Event()
    handled = []
    outcome = []

    def close_it():
        try:
            conn.close(timeout=None)
            outcome.append("closed")
        except Exception as exc:  # noqa: BLE001
            outcome.append(exc)

    def slow(ch, method, properties, body):
        handled.append(body)
        if len(handled) == 1:
            if closer == "callback":
                close_it()
                return
            threading.Thread(target=close_it).start()
        release.wait(30)

    channel.basic_consume(queue_name, slow)
    try:
        assert _wait_until(lambda: conn.is_closed, 60)
    finally:
        release.set()
    assert _wait_until(lambda: outcome and closed, 30)
    assert outcome == ["closed"]
    assert isinstance(closed[0], exceptions.ConnectionClosedByClient), closed
    assert closed[0].reply_code == 200
    conn.abort()
    assert _wait_until(lambda: not _our_threads(), 10), _our_threads()


@pytest.fixture(scope="module")
def private_node():
    with PrivateRabbitNode() as node:
        yield node


def _memory_alarm(node, on):
    node.ctl("set_vm_memory_high_watermark", "0.0000001" if on else "0.4")


def test_blocked_and_unblocked_callbacks_on_the_worker(private_node):
    events = []

    def record(kind):
        return lambda c, frame: events.append(
            (kind, c, frame.method.NAME, threading.current_thread().name))

    with pika_fast.Connection(pika_fast.URLParameters(private_node.url)) as conn:
        conn.add_on_connection_blocked_callback(record("blocked"))
        conn.add_on_connection_unblocked_callback(record("unblocked"))
        channel = conn.channel()
        try:
            _memory_alarm(private_node, True)
            # RabbitMQ blocks (and tells) a connection when it next publishes once the
            # alarm is in force: keep publishing until it does.
            deadline = time.monotonic() + 30
            while not events and time.monotonic() < deadline:
                channel.basic_publish("", "nowhere", b"trigger")
                time.sleep(0.2)
            assert events and events[0][:3] == ("blocked", conn, "Connection.Blocked")
            _memory_alarm(private_node, False)
            assert _wait_until(lambda: len(events) >= 2, 30), events
            assert events[1][:3] == ("unblocked", conn, "Connection.Unblocked")
            assert {e[3] for e in events} == {"pika_fast-connection-worker"}
            queue_name = channel.queue_declare("", exclusive=True).method.queue
            channel.basic_publish("", queue_name, b"after unblock")
            assert channel.basic_get(queue_name, auto_ack=True)[2] == b"after unblock"
        finally:
            _memory_alarm(private_node, False)
    assert _wait_until(lambda: not _our_threads(), 10), _our_threads()
