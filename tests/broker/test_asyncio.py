"""AsyncioConnection against the broker, side by side with pika 1.4.4's."""
from __future__ import annotations

import asyncio
import time

import pytest

import pika as real_pika
import pika.adapters.asyncio_connection  # noqa: F401  (loads the submodule)

import pika_fast
from pika_fast import exceptions
from pika_fast.adapters.asyncio_connection import AsyncioConnection
from tests.support.rabbit_node import free_port

LIMIT = 15.0


@pytest.fixture
def loop():
    event_loop = asyncio.new_event_loop()
    yield event_loop
    event_loop.close()


def _adapter(lib):
    if lib is real_pika:
        return real_pika.adapters.asyncio_connection.AsyncioConnection
    return AsyncioConnection


def _round_trip(lib, amqp_url, loop, count):
    """Open, declare, publish ``count`` messages, consume and ack them, close."""
    log = []
    received = []

    def on_open(conn):
        log.append(("open", type(conn.ioloop).__name__ == type(loop).__name__))
        conn.channel(on_open_callback=on_channel)

    def on_channel(channel):
        log.append(("channel", channel.channel_number))
        channel.queue_declare("", exclusive=True,
                              callback=lambda frame: on_declared(channel, frame))

    def on_declared(channel, frame):
        queue = frame.method.queue
        log.append(("declared", type(frame.method).__name__))
        for i in range(count):
            channel.basic_publish("", queue, b"%d" % i,
                                  lib.BasicProperties(headers={"n": i}))
        channel.basic_qos(prefetch_count=100,
                          callback=lambda _f: channel.basic_consume(queue, on_message))

    def on_message(channel, method, properties, body):
        received.append((body, properties.headers["n"]))
        channel.basic_ack(method.delivery_tag)
        if len(received) == count:
            channel.connection.close()

    def on_close(conn, error):
        log.append(("closed", type(error).__name__))
        loop.stop()

    conn = _adapter(lib)(lib.URLParameters(amqp_url), on_open_callback=on_open,
                         on_close_callback=on_close, custom_ioloop=loop)
    handle = loop.call_later(LIMIT, loop.stop)
    loop.run_forever()
    handle.cancel()
    assert conn.is_closed
    return log, received


@pytest.mark.parametrize("count", [1, 10_000])
def test_round_trip_same_callbacks_as_pika(amqp_url, count):
    logs = {}
    for lib in (real_pika, pika_fast):
        event_loop = asyncio.new_event_loop()
        try:
            log, received = _round_trip(lib, amqp_url, event_loop, count)
        finally:
            event_loop.close()
        assert received == [(b"%d" % i, i) for i in range(count)]  # all, in order
        logs[lib.__name__] = log
    assert logs["pika_fast"] == logs["pika"]
    assert logs["pika_fast"][-1] == ("closed", "ConnectionClosedByClient")


def test_connection_refused_reports_open_error(loop):
    outcome = {}

    def on_error(conn, error):
        outcome["error"] = error
        loop.stop()

    AsyncioConnection(pika_fast.ConnectionParameters("127.0.0.1", free_port()),
                      on_open_error_callback=on_error, custom_ioloop=loop)
    handle = loop.call_later(LIMIT, loop.stop)
    loop.run_forever()
    handle.cancel()
    assert isinstance(outcome.get("error"), exceptions.AMQPConnectionError)


def test_create_connection_dead_then_live(amqp_url, loop):
    outcome = {}
    live = pika_fast.URLParameters(amqp_url)

    def on_done(result):
        outcome["result"] = result
        loop.stop()

    AsyncioConnection.create_connection(
        [pika_fast.ConnectionParameters("127.0.0.1", free_port()), live], on_done,
        custom_ioloop=loop)
    handle = loop.call_later(LIMIT, loop.stop)
    loop.run_forever()
    conn = outcome.get("result")
    assert isinstance(conn, AsyncioConnection) and conn.is_open, outcome
    assert conn.params is live
    conn.add_on_close_callback(lambda c, e: loop.stop())
    conn.close()
    loop.run_forever()
    handle.cancel()
    assert conn.is_closed


def test_timers_and_other_coroutines_share_the_loop(amqp_url, loop):
    """The connection runs beside ordinary asyncio work on the same loop."""
    ticks = []

    async def ticker():
        for _ in range(5):
            ticks.append(time.monotonic())
            await asyncio.sleep(0.05)

    def on_open(conn):
        loop.create_task(ticker())
        conn.ioloop.call_later(0.5, conn.close)

    AsyncioConnection(pika_fast.URLParameters(amqp_url), on_open_callback=on_open,
                      on_close_callback=lambda c, e: loop.stop(), custom_ioloop=loop)
    handle = loop.call_later(LIMIT, loop.stop)
    loop.run_forever()
    handle.cancel()
    assert len(ticks) == 5
