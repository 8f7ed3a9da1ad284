"""Opt-in automatic recovery (pika_fast.RecoveryPolicy) against the real broker.

Faults come from a FaultProxy in front of the shared broker (cut, stall) and from
restarting the RabbitMQ application of a private node under load. Each test checks
what the application sees: the same channel objects keep working, what was declared
is back, consumers keep receiving, every confirmed message arrives, unconfirmed ones
are reported, and the callbacks fire in order.
"""
from __future__ import annotations

import gc
import logging
import os
import signal
import threading
import time
import uuid

import pytest

import pika_fast as pika
from pika_fast import exceptions, recovery
from pika_fast.adapters.blocking_connection import BlockingChannel, BlockingConnection
from tests.support.fault_proxy import FaultProxy
from tests.support.queues import drain as _drain
from tests.support.rabbit_node import PrivateRabbitNode


@pytest.fixture(autouse=True)
def _watchdog():
    """A hang becomes a failure (SIGALRM in the main thread)."""
    def on_alarm(signum, frame):
        raise TimeoutError("recovery test exceeded its 240 s watchdog")
    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, 240)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def broker_params(amqp_url, broker_address):
    return pika.URLParameters(amqp_url)


@pytest.fixture
def proxy(broker_params):
    with FaultProxy(broker_params.port, broker_params.host) as fault_proxy:
        yield fault_proxy


@pytest.fixture(scope="module")
def node():
    with PrivateRabbitNode() as private:
        yield private


def _name(kind="q"):
    return f"pika_fast.test.recovery.{kind}.{uuid.uuid4().hex[:10]}"


def _params(port, **kwargs):
    return pika.ConnectionParameters("127.0.0.1", port, **kwargs)


class Events:
    """Records the recovery callbacks, in order."""

    def __init__(self):
        self.log = []
        self.unconfirmed = []
        self.lock = threading.Lock()

    def policy(self, **kwargs):
        kwargs.setdefault("initial_retry_delay", 0.1)
        kwargs.setdefault("max_retry_delay", 1.0)
        kwargs.setdefault("max_recovery_time", 90)
        return pika.RecoveryPolicy(
            on_connection_lost=lambda conn, error: self._add("lost", error),
            on_recovered=lambda conn: self._add("recovered", None),
            on_recovery_failed=lambda conn, error: self._add("failed", error),
            on_unconfirmed=self._on_unconfirmed, **kwargs)

    def _add(self, what, detail):
        with self.lock:
            self.log.append((what, detail))

    def _on_unconfirmed(self, conn, messages):
        with self.lock:
            self.log.append(("unconfirmed", list(messages)))
            self.unconfirmed.extend(messages)

    @property
    def kinds(self):
        return [kind for kind, _ in self.log]


def _cleanup(params, queues=(), exchanges=()):
    conn = BlockingConnection(params)
    try:
        for name in queues:
            ch = conn.channel()
            try:
                ch.queue_delete(name)
                ch.close()
            except exceptions.AMQPChannelError:
                pass
        for name in exchanges:
            ch = conn.channel()
            try:
                ch.exchange_delete(name)
                ch.close()
            except exceptions.AMQPChannelError:
                pass
    finally:
        conn.close()


def _pump_until(conn, predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        conn.process_data_events(time_limit=0.1)
    return predicate()


def _overridden(sub, base, name):
    """``name`` is defined by ``sub`` or a class between it and ``base`` (a mixin)."""
    mro = sub.__mro__
    return any(name in vars(klass) for klass in mro[:mro.index(base)])


def _open_fds():
    return len(os.listdir("/proc/self/fd"))


def _heartbeat_threads():
    return [t for t in threading.enumerate()
            if t.name == "pika_fast-heartbeat" and t.is_alive()]


# ---------------------------------------------------------------------- policy


def test_policy_exported_and_validated():
    assert pika.RecoveryPolicy is recovery.RecoveryPolicy
    with pytest.raises(ValueError):
        pika.RecoveryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        pika.RecoveryPolicy(retry_jitter=2)
    with pytest.raises(ValueError):
        pika.RecoveryPolicy(retry_delay_multiplier=0.5)
    with pytest.raises(ValueError):
        pika.RecoveryPolicy(publish_timeout=-1)
    with pytest.raises(ValueError):
        pika.RecoveryPolicy(hosts=[])
    with pytest.raises(TypeError):
        pika.RecoveryPolicy(on_recovered="not callable")


def test_backoff_grows_to_its_cap_with_jitter_below():
    policy = pika.RecoveryPolicy(initial_retry_delay=0.5, max_retry_delay=4,
                                 retry_delay_multiplier=2, retry_jitter=0.25)
    for failed, base in ((1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (10, 4.0)):
        delays = [policy.retry_delay(failed) for _ in range(200)]
        assert all(base * 0.75 <= d <= base for d in delays), (failed, min(delays))
        assert max(delays) - min(delays) > 0  # jitter really varies
    exact = pika.RecoveryPolicy(initial_retry_delay=1, retry_jitter=0)
    assert exact.retry_delay(1) == 1.0 and exact.retry_delay(3) == 4.0
    assert pika.RecoveryPolicy(max_attempts=3).gave_up(3, 0.0)
    assert not pika.RecoveryPolicy(max_attempts=3, max_recovery_time=None).gave_up(2, 1e6)
    assert pika.RecoveryPolicy(max_recovery_time=5).gave_up(1, 5.0)


def test_recovery_keyword_makes_a_recovering_subclass(broker_params):
    with pytest.raises(TypeError):
        BlockingConnection(broker_params, recovery="yes")
    conn = BlockingConnection(broker_params, recovery=pika.RecoveryPolicy())
    try:
        assert isinstance(conn, BlockingConnection)
        assert isinstance(conn, recovery.RecoveringBlockingConnection)
        channel = conn.channel()
        assert isinstance(channel, BlockingChannel)
        assert channel.connection is conn
        queue = channel.queue_declare("", exclusive=True).method.queue
        channel.basic_publish("", queue, b"plain")
        method, _props, body = channel.basic_get(queue, auto_ack=True)
        assert body == b"plain" and method.delivery_tag == 1
    finally:
        conn.close()
    assert conn.is_closed and not conn.is_open


def test_public_methods_are_all_delegated():
    """Base-class code must never run on the wrappers (they hold no base state)."""
    for base, sub in ((BlockingConnection, recovery.RecoveringBlockingConnection),
                      (BlockingChannel, recovery.RecoveringBlockingChannel)):
        missing = [name for name in dir(base)
                   if not name.startswith("_") and not name.startswith("on_")
                   and not _overridden(sub, base, name)]
        assert not missing, (sub.__name__, missing)


def test_without_recovery_a_cut_still_raises(proxy):
    conn = BlockingConnection(_params(proxy.port))
    assert type(conn) is BlockingConnection
    channel = conn.channel()
    proxy.cut()
    with pytest.raises((exceptions.StreamLostError, exceptions.ConnectionClosed)):
        for _ in range(50):
            conn.process_data_events(time_limit=0.1)
    assert conn.is_closed
    with pytest.raises(exceptions.AMQPError):
        channel.basic_publish("", "nowhere", b"x")


# ------------------------------------------------------------------ proxy cut


def test_cut_restores_topology_qos_confirms_and_consumers(proxy, broker_params):
    events = Events()
    exchange = _name("x")
    named = _name("q")
    conn = BlockingConnection(_params(proxy.port), recovery=events.policy())
    try:
        channel = conn.channel()
        channel.exchange_declare(exchange, "direct", auto_delete=False)
        server_named = channel.queue_declare("", exclusive=True).method.queue
        channel.queue_declare(named, auto_delete=True)
        channel.queue_bind(server_named, exchange, "to-server-named")
        channel.queue_bind(named, exchange, "to-named")
        channel.basic_qos(prefetch_count=5)
        received = []

        def on_message(ch, method, properties, body):
            assert ch is channel
            received.append((method.routing_key, body, method.delivery_tag))
            ch.basic_ack(method.delivery_tag)
        tag_a = channel.basic_consume(server_named, on_message)
        tag_b = channel.basic_consume(named, on_message)
        publisher = conn.channel()
        publisher.confirm_delivery()
        publisher.basic_publish(exchange, "to-server-named", b"before-1")
        publisher.basic_publish(exchange, "to-named", b"before-2")
        assert _pump_until(conn, lambda: len(received) == 2)
        last_tag = max(tag for _rk, _b, tag in received)

        proxy.cut()
        # The next call meets the loss and recovers inside it.
        assert _pump_until(conn, lambda: "recovered" in events.kinds)
        assert events.kinds == ["lost", "recovered"]
        assert conn.is_open and channel.is_open and publisher.is_open
        assert sorted(channel.consumer_tags) == sorted([tag_a, tag_b])

        # Same channel objects; the exclusive server-named queue is new, and its
        # binding and consumer followed it; confirm mode is back on the publisher.
        renamed = recovery.topology_names(conn)
        assert server_named in renamed and renamed[server_named] != server_named
        publisher.basic_publish(exchange, "to-server-named", b"after-1")
        publisher.basic_publish(exchange, "to-named", b"after-2")
        publisher.basic_publish("", server_named, b"after-3")  # old name, followed
        assert _pump_until(conn, lambda: len(received) == 5)
        bodies = sorted(body for _rk, body, _tag in received)
        assert bodies == [b"after-1", b"after-2", b"after-3", b"before-1", b"before-2"]
        # Delivery tags continue across the recovery on the channel.
        assert all(tag > last_tag for _rk, _b, tag in received[2:])
        with pytest.raises(exceptions.UnroutableError):
            publisher.basic_publish(exchange, "no-binding", b"x", mandatory=True)
        # The consumer is back (seen from outside; the exclusive queue is not visible
        # to another connection).
        with BlockingConnection(broker_params) as observer:
            look = observer.channel()
            assert look.queue_declare(named, passive=True).method.consumer_count == 1
    finally:
        conn.close()
        _cleanup(broker_params, [named], [exchange])


def test_ack_of_a_delivery_from_the_dead_connection_is_dropped(proxy, broker_params):
    events = Events()
    queue = _name("q")
    conn = BlockingConnection(_params(proxy.port), recovery=events.policy())
    try:
        channel = conn.channel()
        channel.queue_declare(queue, durable=True)
        for i in range(3):
            channel.basic_publish("", queue, b"m%d" % i)
        held = []
        channel.basic_qos(prefetch_count=1)
        channel.basic_consume(queue, lambda ch, m, p, b: held.append((m.delivery_tag, b)))
        assert _pump_until(conn, lambda: len(held) == 1)
        proxy.cut()
        assert _pump_until(conn, lambda: "recovered" in events.kinds)
        # The broker redelivers m0 on the new connection, with a tag after the old.
        assert _pump_until(conn, lambda: len(held) == 2)
        (old_tag, first), (new_tag, again) = held
        assert first == again == b"m0" and new_tag > old_tag
        channel.basic_ack(old_tag)  # dropped silently: never acks m0's new delivery
        conn.process_data_events(time_limit=0.3)
        assert len(held) == 2  # prefetch 1: nothing new came, m0 is still unacked
        channel.basic_ack(new_tag)
        assert _pump_until(conn, lambda: len(held) == 3)
        assert held[2][1] == b"m1"
    finally:
        conn.close()
        _cleanup(broker_params, [queue])


def test_consume_generator_survives_a_cut(proxy, broker_params):
    events = Events()
    queue = _name("q")
    conn = BlockingConnection(_params(proxy.port), recovery=events.policy())
    try:
        channel = conn.channel()
        channel.queue_declare(queue, durable=True)
        channel.basic_publish("", queue, b"one")
        got = []
        for method, _props, body in channel.consume(queue, inactivity_timeout=0.2):
            if method is None:
                if not got:
                    continue
                if len(got) == 1 and "recovered" not in events.kinds:
                    proxy.cut()
                    continue
                if len(got) == 1 and "recovered" in events.kinds:
                    channel.basic_publish("", queue, b"two")
                    continue
                continue
            got.append(body)
            channel.basic_ack(method.delivery_tag)
            if len(got) == 2:
                break
        assert got == [b"one", b"two"]
        assert events.kinds == ["lost", "recovered"]
        assert channel.cancel() == 0
    finally:
        conn.close()
        _cleanup(broker_params, [queue])


def test_publish_with_confirms_cut_mid_publish_reports_unconfirmed(proxy, broker_params):
    events = Events()
    queue = _name("q")
    conn = BlockingConnection(_params(proxy.port), recovery=events.policy())
    try:
        channel = conn.channel()
        channel.queue_declare(queue, durable=True)
        channel.confirm_delivery()
        channel.basic_publish("", queue, b"ok-1")
        proxy.delay = 0.3  # the confirm of the next publish is still on its way
        threading.Timer(0.1, proxy.cut).start()
        with pytest.raises(recovery.UnconfirmedPublishError) as info:
            channel.basic_publish("", queue, b"maybe")
        proxy.delay = 0.0
        [message] = info.value.messages
        assert (message.body, message.routing_key, message.seq_no) == (b"maybe", queue, 2)
        assert events.kinds == ["lost", "unconfirmed", "recovered"]
        assert events.unconfirmed == [message]
        channel.basic_publish("", queue, b"ok-2")  # confirmed on the new connection
        bodies = _drain(channel, queue)
        assert bodies[0] == b"ok-1" and bodies[-1] == b"ok-2"
        assert set(bodies) <= {b"ok-1", b"maybe", b"ok-2"}
    finally:
        conn.close()
        _cleanup(broker_params, [queue])


def test_transaction_cut_in_half_is_never_committed_in_part(proxy, broker_params):
    """tx mode comes back after a recovery; the transaction the cut broke is lost as a
    whole: the next commit rolls back what followed and raises TransactionLostError.
    The transaction after that commits normally."""
    events = Events()
    queue = _name("q")
    conn = BlockingConnection(_params(proxy.port), recovery=events.policy())
    try:
        channel = conn.channel()
        channel.queue_declare(queue, durable=True)
        channel.tx_select()
        channel.basic_publish("", queue, b"committed")
        channel.tx_commit()
        channel.basic_publish("", queue, b"half-1")
        proxy.cut()
        assert _pump_until(conn, lambda: "recovered" in events.kinds)
        channel.basic_publish("", queue, b"half-2")
        with pytest.raises(recovery.TransactionLostError):
            channel.tx_commit()
        channel.basic_publish("", queue, b"whole")
        channel.tx_commit()  # in transaction mode again, and nothing left over
        with BlockingConnection(broker_params) as observer:
            bodies = _drain(observer.channel(), queue)
        assert bodies == [b"committed", b"whole"]
        # A recovery with no transaction open costs the next commit nothing.
        proxy.cut()
        assert _pump_until(conn, lambda: events.kinds.count("recovered") == 2)
        channel.basic_publish("", queue, b"after")
        channel.tx_commit()
        assert channel.queue_declare(queue, passive=True).method.message_count == 1
    finally:
        conn.close()
        _cleanup(broker_params, [queue])


def test_loss_met_inside_a_consumer_callback_recovers_once(proxy, broker_params):
    """The callback's publish meets the loss and recovers there; the dead connection's
    dispatch loop then ends without starting a second recovery."""
    events = Events()
    source, sink = _name("src"), _name("sink")
    conn = BlockingConnection(_params(proxy.port), recovery=events.policy())
    try:
        channel = conn.channel()
        channel.queue_declare(source, durable=True)
        channel.queue_declare(sink, durable=True)
        for i in range(30):
            channel.basic_publish("", source, b"m%02d" % i)
        channel.basic_qos(prefetch_count=1)
        seen = []

        def on_message(ch, method, properties, body):
            seen.append(body)
            if len(seen) == 10:
                proxy.cut()
                time.sleep(0.3)  # the reset arrives before the publish below
            ch.basic_publish("", sink, body)
            ch.basic_ack(method.delivery_tag)
            if len(set(seen)) == 30:
                ch.stop_consuming()
        channel.basic_consume(source, on_message)
        channel.start_consuming()
        assert events.kinds == ["lost", "recovered"]
        assert set(seen) == {b"m%02d" % i for i in range(30)}
        assert set(_drain(channel, sink)) == set(seen)
    finally:
        conn.close()
        _cleanup(broker_params, [source, sink])


def test_recovery_tries_the_policy_hosts_in_order(broker_params):
    """The first host is down for good, the second (the broker itself) answers."""
    from tests.support.rabbit_node import free_port

    events = Events()
    queue = _name("q")
    proxy = FaultProxy(broker_params.port, broker_params.host).__enter__()
    hosts = [_params(free_port()), _params(broker_params.port)]
    conn = BlockingConnection(_params(proxy.port), recovery=events.policy(hosts=hosts))
    try:
        channel = conn.channel()
        channel.queue_declare(queue, auto_delete=True)
        received = []
        channel.basic_consume(queue, lambda ch, m, p, b: received.append(b), auto_ack=True)
        proxy.close()  # the address the connection was opened with is gone
        assert _pump_until(conn, lambda: "recovered" in events.kinds)
        channel.basic_publish("", queue, b"via the second host")
        assert _pump_until(conn, lambda: received == [b"via the second host"])
    finally:
        conn.close()
        _cleanup(broker_params, [queue])


# ---------------------------------------------------------------------- stall


def test_stall_is_detected_by_heartbeat_and_recovered(proxy, broker_params):
    events = Events()
    queue = _name("q")

    def on_lost(conn, error):
        events._add("lost", error)
        proxy.resume()  # the network comes back for the reconnection
        proxy.cut()
    policy = events.policy()
    policy.on_connection_lost = on_lost
    conn = BlockingConnection(_params(proxy.port, heartbeat=1), recovery=policy)
    try:
        channel = conn.channel()
        channel.queue_declare(queue, auto_delete=True)
        received = []
        channel.basic_consume(queue, lambda ch, m, p, b: (received.append(b),
                                                           ch.basic_ack(m.delivery_tag)))
        proxy.stall()
        assert _pump_until(conn, lambda: "recovered" in events.kinds, timeout=60)
        lost_error = events.log[0][1]
        assert isinstance(lost_error, exceptions.AMQPHeartbeatTimeout), lost_error
        channel.basic_publish("", queue, b"after stall")
        assert _pump_until(conn, lambda: received == [b"after stall"])
    finally:
        conn.close()
        _cleanup(broker_params, [queue])


# --------------------------------------------------------------- giving up


def test_gives_up_after_max_attempts_without_leaks(broker_params, caplog):
    # Log records keep the errors they format, and the errors' tracebacks the failed
    # connections: with records captured, nothing could be freed before the end.
    caplog.set_level(logging.CRITICAL, logger="pika_fast")
    gc.collect()
    fds_before = _open_fds()
    events = Events()
    proxy = FaultProxy(broker_params.port, broker_params.host).__enter__()
    conn = BlockingConnection(_params(proxy.port, heartbeat=2),
                              recovery=events.policy(max_attempts=3, max_recovery_time=None))
    channel = conn.channel()
    proxy.close()  # the listener is gone too: every reconnection is refused
    start = time.monotonic()
    with pytest.raises(recovery.RecoveryFailedError) as info:
        while time.monotonic() - start < 60:
            conn.process_data_events(time_limit=0.2)
    assert len(info.value.errors) == 3
    assert all(isinstance(e, exceptions.AMQPConnectionError) for e in info.value.errors)
    assert events.kinds == ["lost", "failed"]
    assert events.log[1][1] is info.value
    assert conn.is_closed and not conn.is_open and channel.is_closed
    with pytest.raises(recovery.RecoveryFailedError):
        channel.basic_publish("", "x", b"after giving up")
    with pytest.raises(exceptions.ConnectionWrongStateError):
        conn.close()
    del conn, channel, info
    # Held errors keep their tracebacks, whose frames hold the failed connections:
    # the application's copies (and the log capture's) go before counting.
    events.log.clear()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        gc.collect()
        if _open_fds() <= fds_before and not _heartbeat_threads():
            break
        time.sleep(0.1)
    assert _open_fds() <= fds_before
    assert not _heartbeat_threads()


def test_max_recovery_time_bounds_the_outage(broker_params):
    events = Events()
    proxy = FaultProxy(broker_params.port, broker_params.host).__enter__()
    conn = BlockingConnection(_params(proxy.port), recovery=events.policy(
        max_recovery_time=2.0, initial_retry_delay=0.2, max_retry_delay=0.5))
    channel = conn.channel()
    proxy.close()
    start = time.monotonic()
    with pytest.raises(recovery.RecoveryFailedError):
        channel.queue_declare("", exclusive=True)
    assert 2.0 <= time.monotonic() - start < 20
    assert events.kinds == ["lost", "failed"]


# ------------------------------------------------------- private node restart


def test_publish_waits_bounded_while_the_broker_is_down(node):
    events = Events()
    conn = BlockingConnection(pika.URLParameters(node.url),
                              recovery=events.policy(publish_timeout=1.5,
                                                     max_recovery_time=120))
    queue = _name("q")
    try:
        channel = conn.channel()
        channel.queue_declare(queue, durable=True)
        node.ctl("stop_app")
        start = time.monotonic()
        with pytest.raises(recovery.RecoveryWaitTimeout):
            for _ in range(100):
                channel.basic_publish("", queue, b"during outage")
                time.sleep(0.05)
        assert time.monotonic() - start < 30
        assert conn.is_recovering and not conn.is_open and not conn.is_closed
        node.ctl("start_app")
        deadline = time.monotonic() + 60
        while True:
            try:
                channel.basic_publish("", queue, b"after outage")
                break
            except recovery.RecoveryWaitTimeout:
                assert time.monotonic() < deadline
        assert events.kinds == ["lost", "recovered"]
        method, _p, body = channel.basic_get(queue, auto_ack=True)
        assert body == b"after outage"
        channel.queue_delete(queue)
    finally:
        if not conn.is_closed:
            conn.close()


@pytest.mark.parametrize("queue_type", ["classic", "quorum"])
def test_restart_under_load_loses_no_confirmed_message(node, queue_type):
    """A publisher with confirms and a consumer on one connection while the broker
    application restarts: every confirmed message arrives, unconfirmed ones are
    reported, and the declared topology (durable or not) is back."""
    events = Events()
    conn = BlockingConnection(pika.URLParameters(node.url), recovery=events.policy(
        publish_timeout=60, max_recovery_time=120))
    queue = _name("durable")
    exchange = _name("x")
    try:
        channel = conn.channel()
        channel.exchange_declare(exchange, "direct", durable=True)
        channel.queue_declare(queue, durable=True, arguments={"x-queue-type": queue_type})
        channel.queue_bind(queue, exchange, "work")
        side = channel.queue_declare("", exclusive=True).method.queue  # not durable
        channel.queue_bind(side, exchange, "work")
        channel.basic_qos(prefetch_count=50)
        received = set()
        side_received = []

        def on_message(ch, method, properties, body):
            received.add(body)
            ch.basic_ack(method.delivery_tag)
        channel.basic_consume(queue, on_message)
        channel.basic_consume(side, lambda ch, m, p, b: side_received.append(b),
                              auto_ack=True)
        publisher = conn.channel()
        publisher.confirm_delivery()
        persistent = pika.BasicProperties(delivery_mode=2)
        confirmed, unconfirmed = [], []
        restarter = None
        total = 1500
        for i in range(total):
            body = b"m%05d" % i
            if i == 300:
                def restart():
                    node.ctl("stop_app")
                    node.ctl("start_app")
                restarter = threading.Thread(target=restart)
                restarter.start()
            try:
                publisher.basic_publish(exchange, "work", body, persistent)
                confirmed.append(body)
            except recovery.UnconfirmedPublishError as exc:
                unconfirmed.extend(m.body for m in exc.messages)
            if i % 20 == 0:
                conn.process_data_events(0)
        restarter.join()
        assert _pump_until(conn, lambda: set(confirmed) <= received, timeout=60), \
            len(set(confirmed) - received)
        assert "recovered" in events.kinds
        kinds = events.kinds
        assert kinds[0] == "lost" and kinds[-1] == "recovered" and "failed" not in kinds
        assert [m.body for m in events.unconfirmed] == unconfirmed
        assert len(confirmed) + len(unconfirmed) == total
        # The exclusive queue came back under a new name, bound as before.
        assert recovery.topology_names(conn)[side] != side
        publisher.basic_publish(exchange, "work", b"last")
        assert _pump_until(conn, lambda: b"last" in received and b"last" in side_received)
        channel.queue_delete(queue)
        channel.exchange_delete(exchange)
    finally:
        if not conn.is_closed:
            conn.close()


# ------------------------------------------------------ thread-safe Connection


def _our_threads():
    return [t for t in threading.enumerate()
            if t.name.startswith("pika_fast-") and t.is_alive()]


def _wait(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True


def test_threadsafe_recovery_keyword_and_plain_default(broker_params):
    plain = pika.Connection(broker_params)
    try:
        assert type(plain) is pika.Connection
    finally:
        plain.close()
    conn = pika.Connection(broker_params, recovery=pika.RecoveryPolicy())
    try:
        assert isinstance(conn, pika.Connection)
        assert isinstance(conn, recovery.RecoveringConnection)
        assert isinstance(conn.channel(), pika.adapters.thread_safe_connection.Channel)
    finally:
        conn.close()
    assert _wait(lambda: not _our_threads(), 10), _our_threads()


def test_threadsafe_public_methods_are_all_delegated():
    from pika_fast.adapters import thread_safe_connection as tsc
    for base, sub in ((tsc.Connection, recovery.RecoveringConnection),
                      (tsc.Channel, recovery.RecoveringChannel)):
        missing = [name for name in dir(base) if not name.startswith("_")
                   and not _overridden(sub, base, name) and name != "connection"]
        assert not missing, (sub.__name__, missing)


def test_threadsafe_cut_under_load_restores_and_reports(proxy, broker_params):
    events = Events()
    queue = _name("q")
    exchange = _name("x")
    conn = pika.Connection(_params(proxy.port), recovery=events.policy(publish_timeout=30))
    try:
        consumer_ch = conn.channel()
        consumer_ch.exchange_declare(exchange, "fanout")
        consumer_ch.queue_declare(queue, durable=True)
        consumer_ch.queue_bind(queue, exchange, "")
        side = consumer_ch.queue_declare("", exclusive=True).method.queue
        consumer_ch.queue_bind(side, exchange, "")
        consumer_ch.basic_qos(prefetch_count=100)
        received = set()
        side_count = [0]
        lock = threading.Lock()

        def on_message(ch, method, properties, body):
            assert ch is consumer_ch
            with lock:
                received.add(body)
            ch.basic_ack(method.delivery_tag)
        consumer_ch.basic_consume(queue, on_message)
        consumer_ch.basic_consume(side, lambda ch, m, p, b: side_count.__setitem__(
            0, side_count[0] + 1), auto_ack=True)
        publisher = conn.channel()
        confirmed = set()
        seq_to_body = {}

        def on_confirm(frame):
            pass  # the wrapper tracks the numbers; the user's callback still runs
        publisher.confirm_delivery(on_confirm)
        total = 3000
        persistent = pika.BasicProperties(delivery_mode=2)
        for i in range(total):
            body = b"m%05d" % i
            publisher.basic_publish(exchange, "", body, persistent,
                                    on_publish=lambda seq, b=body: seq_to_body.__setitem__(
                                        seq, b))
            if i == 1000:
                proxy.cut()
            if i % 100 == 0:
                time.sleep(0.01)
        assert _wait(lambda: "recovered" in events.kinds, 60), events.kinds
        # Every publish not reported unconfirmed has been confirmed or is still being:
        # wait until nothing is outstanding, then compare with what arrived.
        assert _wait(lambda: not publisher._outstanding, 60)
        lost = {m.body for m in events.unconfirmed}
        assert {m.seq_no for m in events.unconfirmed} <= set(seq_to_body)
        confirmed = {b for b in seq_to_body.values()} - lost
        assert _wait(lambda: confirmed <= received, 60), len(confirmed - received)
        assert events.kinds[0] == "lost" and events.kinds[-1] == "recovered"
        assert "failed" not in events.kinds
        assert sorted(seq_to_body) == list(range(1, total + 1))  # numbers continue
        renamed = recovery.topology_names(conn)
        assert renamed[side] != side
        assert publisher.next_publish_seq_no == total + 1
    finally:
        conn.close()
        _cleanup(broker_params, [queue], [exchange])
    assert _wait(lambda: not _our_threads(), 15), _our_threads()


def test_threadsafe_gives_up_cleanly_without_thread_leaks(broker_params, caplog):
    caplog.set_level(logging.CRITICAL, logger="pika_fast")
    gc.collect()
    fds_before = _open_fds()
    events = Events()
    proxy = FaultProxy(broker_params.port, broker_params.host).__enter__()
    closed = []
    conn = pika.Connection(_params(proxy.port), on_close_callback=lambda c, r: closed.append(r),
                           recovery=events.policy(max_attempts=3, max_recovery_time=None,
                                                  publish_timeout=60))
    channel = conn.channel()
    proxy.close()
    assert _wait(lambda: "failed" in events.kinds, 60), events.kinds
    assert events.kinds == ["lost", "failed"]
    failed = events.log[1][1]
    assert isinstance(failed, recovery.RecoveryFailedError) and len(failed.errors) == 3
    assert conn.is_closed and channel.is_closed
    with pytest.raises(recovery.RecoveryFailedError):
        channel.basic_publish("", "x", b"after giving up")
    assert _wait(lambda: closed, 10) and closed[0] is failed
    assert _wait(lambda: not _our_threads(), 15), _our_threads()
    del conn, channel, failed
    events.log.clear()
    deadline = time.monotonic() + 10
    while _open_fds() > fds_before and time.monotonic() < deadline:
        gc.collect()
        time.sleep(0.1)
    assert _open_fds() <= fds_before


def test_threadsafe_publish_waits_bounded_while_the_broker_is_down(node):
    events = Events()
    conn = pika.Connection(pika.URLParameters(node.url),
                           recovery=events.policy(publish_timeout=1.5, max_recovery_time=120))
    queue = _name("q")
    try:
        channel = conn.channel()
        channel.queue_declare(queue, durable=True)
        node.ctl("stop_app")
        assert _wait(lambda: "lost" in events.kinds, 30)
        start = time.monotonic()
        with pytest.raises(recovery.RecoveryWaitTimeout):
            channel.basic_publish("", queue, b"during outage")
        assert 1.4 <= time.monotonic() - start < 30
        assert conn.is_recovering
        node.ctl("start_app")
        assert _wait(lambda: "recovered" in events.kinds, 90), events.kinds
        channel.basic_publish("", queue, b"after outage")
        assert _wait(lambda: channel.basic_get(queue, auto_ack=True)[2] == b"after outage",
                     10)
        channel.queue_delete(queue)
    finally:
        conn.close()
    assert _wait(lambda: not _our_threads(), 15), _our_threads()


def test_threadsafe_restart_under_load_loses_no_confirmed_message(node):
    events = Events()
    conn = pika.Connection(pika.URLParameters(node.url),
                           recovery=events.policy(publish_timeout=90, max_recovery_time=120))
    queue = _name("durable")
    try:
        consumer_ch = conn.channel()
        consumer_ch.queue_declare(queue, durable=True)
        consumer_ch.basic_qos(prefetch_count=50)
        received = set()
        lock = threading.Lock()

        def on_message(ch, method, properties, body):
            with lock:
                received.add(body)
            ch.basic_ack(method.delivery_tag)
        consumer_ch.basic_consume(queue, on_message)
        publisher = conn.channel()
        publisher.confirm_delivery()
        seq_to_body = {}
        persistent = pika.BasicProperties(delivery_mode=2)
        restarter = None
        total = 4000
        for i in range(total):
            body = b"m%05d" % i
            if i == 1000:
                def restart():
                    node.ctl("stop_app")
                    node.ctl("start_app")
                restarter = threading.Thread(target=restart)
                restarter.start()
            publisher.basic_publish("", queue, body, persistent,
                                    on_publish=lambda seq, b=body: seq_to_body.__setitem__(
                                        seq, b))
            if i % 50 == 0:
                time.sleep(0.005)
        restarter.join()
        assert _wait(lambda: "recovered" in events.kinds, 90), events.kinds
        assert _wait(lambda: not publisher._outstanding, 60)
        lost = {m.body for m in events.unconfirmed}
        confirmed = set(seq_to_body.values()) - lost
        assert len(seq_to_body) == total
        assert _wait(lambda: confirmed <= received, 60), len(confirmed - received)
        assert events.kinds[0] == "lost" and events.kinds[-1] == "recovered"
        consumer_ch.queue_delete(queue)
    finally:
        conn.close()
    assert _wait(lambda: not _our_threads(), 15), _our_threads()
