"""Faults between client and broker: stalls, cuts, corruption, memory alarms.

A loopback FaultProxy sits between the client and the shared broker; the memory-alarm
tests run on a private RabbitMQ node so the shared broker is never reconfigured.
"""
from __future__ import annotations

import threading
import time

import pytest

import pika_fast as pika
from pika_fast import exceptions
from tests.support.fault_proxy import FaultProxy
from tests.support.rabbit_node import PrivateRabbitNode


def _params(port: int, **kwargs) -> pika.ConnectionParameters:
    return pika.ConnectionParameters("127.0.0.1", port, **kwargs)


@pytest.fixture
def proxy(amqp_url):
    params = pika.URLParameters(amqp_url)
    with FaultProxy(params.port, params.host) as fault_proxy:
        yield fault_proxy


def test_blocking_heartbeat_timeout_through_stalled_proxy(proxy):
    conn = pika.BlockingConnection(_params(proxy.port, heartbeat=1))
    assert conn._impl._core.heartbeat == 1
    proxy.stall()
    start = time.monotonic()
    with pytest.raises(exceptions.AMQPHeartbeatTimeout):
        while time.monotonic() - start < 15:
            conn.process_data_events(time_limit=0.5)
    # Two missed intervals, with slack for the poll granularity.
    assert time.monotonic() - start < 6
    assert conn.is_closed


def test_select_heartbeat_timeout_through_stalled_proxy(proxy):
    outcome = {}

    def on_open(connection):
        proxy.stall()
        outcome["stalled_at"] = time.monotonic()

    def on_close(connection, error):
        outcome["error"] = error
        outcome["closed_at"] = time.monotonic()
        connection.ioloop.stop()

    conn = pika.SelectConnection(_params(proxy.port, heartbeat=1), on_open_callback=on_open,
                                 on_close_callback=on_close)
    conn.ioloop.call_later(15, conn.ioloop.stop)
    conn.ioloop.start()
    assert isinstance(outcome.get("error"), exceptions.AMQPHeartbeatTimeout), outcome
    assert outcome["closed_at"] - outcome["stalled_at"] < 6


def test_connection_cut_mid_consume_raises_stream_lost(proxy):
    conn = pika.BlockingConnection(_params(proxy.port))
    channel = conn.channel()
    queue = channel.queue_declare("", exclusive=True).method.queue
    for i in range(100):
        channel.basic_publish("", queue, b"m%d" % i)
    received = []

    def on_message(ch, method, properties, body):
        received.append(body)
        ch.basic_ack(method.delivery_tag)
        if len(received) == 10:
            proxy.cut()

    channel.basic_qos(prefetch_count=1)
    channel.basic_consume(queue, on_message)
    with pytest.raises((exceptions.StreamLostError, exceptions.ConnectionClosed)):
        channel.start_consuming()
    assert received[:10] == [b"m%d" % i for i in range(10)]
    assert conn.is_closed
    with pytest.raises(exceptions.AMQPError):
        channel.basic_publish("", queue, b"after")


def test_corrupted_frame_from_server_fails_cleanly(proxy):
    conn = pika.BlockingConnection(_params(proxy.port))
    channel = conn.channel()
    proxy.corrupt_next_from_server(b"\x09\x00\x01")  # frame type 9 does not exist
    with pytest.raises(exceptions.AMQPError) as info:
        channel.queue_declare("", exclusive=True)
    assert isinstance(info.value, (exceptions.InvalidFrameError, exceptions.StreamLostError,
                                   exceptions.ConnectionClosed)), info.value
    assert conn.is_closed


def test_stalled_handshake_is_bounded_by_stack_timeout(proxy):
    proxy.stall()
    start = time.monotonic()
    with pytest.raises(exceptions.AMQPConnectionError):
        pika.BlockingConnection(_params(proxy.port, stack_timeout=2, socket_timeout=1,
                                        connection_attempts=1))
    assert time.monotonic() - start < 5


@pytest.fixture(scope="module")
def private_node():
    with PrivateRabbitNode() as node:
        yield node


def _force_memory_alarm(node: PrivateRabbitNode, on: bool) -> None:
    node.ctl("set_vm_memory_high_watermark", "0.0000001" if on else "0.4")


def test_blocked_and_unblocked_callbacks(private_node):
    conn = pika.BlockingConnection(pika.URLParameters(private_node.url))
    events = []
    conn.add_on_connection_blocked_callback(
        lambda c, frame: events.append(("blocked", c, type(frame.method).__name__)))
    conn.add_on_connection_unblocked_callback(
        lambda c, frame: events.append(("unblocked", c, type(frame.method).__name__)))
    channel = conn.channel()
    try:
        _force_memory_alarm(private_node, True)
        # RabbitMQ blocks (and tells) a connection when it next publishes once the
        # alarm is in force: keep publishing until it does.
        deadline = time.monotonic() + 20
        while not events and time.monotonic() < deadline:
            channel.basic_publish("", "nowhere", b"trigger")
            conn.process_data_events(time_limit=0.2)
        assert events and events[0] == ("blocked", conn, "Blocked")
        _force_memory_alarm(private_node, False)
        while len(events) < 2 and time.monotonic() < deadline + 20:
            conn.process_data_events(time_limit=0.2)
        assert events[1] == ("unblocked", conn, "Unblocked")
        queue = channel.queue_declare("", exclusive=True).method.queue
        channel.basic_publish("", queue, b"after unblock")
        assert channel.basic_get(queue, auto_ack=True)[2] == b"after unblock"
    finally:
        _force_memory_alarm(private_node, False)
        if conn.is_open:
            conn.close()


def test_blocked_connection_timeout(private_node):
    conn = pika.BlockingConnection(pika.URLParameters(
        private_node.url + "?blocked_connection_timeout=2"))
    channel = conn.channel()
    queue = channel.queue_declare("", exclusive=True).method.queue
    try:
        _force_memory_alarm(private_node, True)
        start = time.monotonic()
        with pytest.raises(exceptions.ConnectionBlockedTimeout):
            # The broker blocks the connection at the first publish and stops reading.
            while time.monotonic() - start < 30:
                channel.basic_publish("", queue, b"x" * 1024)
                conn.process_data_events(time_limit=0.05)
        assert time.monotonic() - start < 15
        assert conn.is_closed
    finally:
        _force_memory_alarm(private_node, False)


def test_select_blocked_connection_timeout(private_node):
    outcome = {}

    def on_open(connection):
        connection.channel(on_open_callback=on_channel)

    def on_channel(channel):
        _force_memory_alarm(private_node, True)

        def publish():
            if channel.is_open:
                channel.basic_publish("", "nowhere", b"x" * 1024)
                channel.connection.ioloop.call_later(0.05, publish)
        publish()

    def on_close(connection, error):
        outcome["error"] = error
        connection.ioloop.stop()

    params = pika.URLParameters(private_node.url + "?blocked_connection_timeout=2")
    conn = pika.SelectConnection(params, on_open_callback=on_open, on_close_callback=on_close)
    conn.ioloop.call_later(30, conn.ioloop.stop)
    try:
        conn.ioloop.start()
    finally:
        _force_memory_alarm(private_node, False)
    assert isinstance(outcome.get("error"), exceptions.ConnectionBlockedTimeout), outcome


def test_heartbeats_continue_while_user_code_runs_long(proxy):
    """pika_fast keeps a BlockingConnection alive through a long callback (pika drops it)."""
    conn = pika.BlockingConnection(_params(proxy.port, heartbeat=1))
    channel = conn.channel()
    queue = channel.queue_declare("", exclusive=True).method.queue
    sent_before = proxy.bytes_to_server
    time.sleep(4.5)  # > 2 heartbeat intervals without calling into pika_fast
    assert proxy.bytes_to_server > sent_before  # heartbeats went out meanwhile
    channel.basic_publish("", queue, b"still alive")
    assert channel.basic_get(queue, auto_ack=True)[2] == b"still alive"
    conn.close()


def test_add_callback_threadsafe_wakes_blocking_connection(amqp_url):
    conn = pika.BlockingConnection(pika.URLParameters(amqp_url))
    ran = threading.Event()
    threading.Timer(0.2, lambda: conn.add_callback_threadsafe(ran.set)).start()
    start = time.monotonic()
    while not ran.is_set() and time.monotonic() - start < 5:
        conn.process_data_events(time_limit=1)
    assert ran.is_set()
    assert time.monotonic() - start < 2
    conn.close()
