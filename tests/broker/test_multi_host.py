"""Several hosts, attempts and retries, with pika's rules and errors.

Dead hosts are loopback ports nothing listens on; a "silent" host is a loopback
listener that accepts TCP and never says a word; a "slamming" host accepts and closes
at once, and counts how often it was tried.
"""
from __future__ import annotations

import socket
import threading
import time

import pytest

import pika_fast as pika
from pika_fast import exceptions
from tests.support.rabbit_node import free_port


class Listener:
    """A loopback listener that either stays silent or closes each connection at once."""

    def __init__(self, slam: bool) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._slam = slam
        self._held = []
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        self.sock.settimeout(0.1)
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted += 1
            if self._slam:
                conn.close()
            else:
                self._held.append(conn)

    def close(self) -> None:
        self._stop = True
        self._thread.join(timeout=2)
        for conn in self._held:
            conn.close()
        self.sock.close()


@pytest.fixture
def silent():
    listener = Listener(slam=False)
    yield listener
    listener.close()


@pytest.fixture
def slamming():
    listener = Listener(slam=True)
    yield listener
    listener.close()


def _live(amqp_url: str, **kwargs) -> pika.ConnectionParameters:
    url = pika.URLParameters(amqp_url)
    return pika.ConnectionParameters(url.host, url.port, url.virtual_host, url.credentials,
                                     **kwargs)


def _dead(**kwargs) -> pika.ConnectionParameters:
    return pika.ConnectionParameters("127.0.0.1", free_port(), **kwargs)


def _run_select_create(configs, timeout=20.0):
    ioloop = pika.adapters.IOLoop()
    outcome = {}

    def on_done(result):
        outcome["result"] = result
        ioloop.stop()

    pika.SelectConnection.create_connection(configs, on_done, custom_ioloop=ioloop)
    ioloop.call_later(timeout, ioloop.stop)
    start = time.monotonic()
    ioloop.start()
    return outcome.get("result"), time.monotonic() - start, ioloop


def test_blocking_dead_host_then_live_broker(amqp_url):
    live = _live(amqp_url)
    conn = pika.BlockingConnection([_dead(), live])
    try:
        assert conn.is_open
        assert conn._impl.params is live
        channel = conn.channel()
        assert channel.queue_declare("", exclusive=True).method.queue
    finally:
        conn.close()


def test_blocking_all_dead_raises_last_attempts_error(slamming):
    dead = _dead(connection_attempts=2, retry_delay=0.2)
    start = time.monotonic()
    with pytest.raises(exceptions.AMQPConnectionError) as info:
        pika.BlockingConnection([dead, pika.ConnectionParameters(
            "127.0.0.1", slamming.port, connection_attempts=2, retry_delay=0.2)])
    # Two rounds over both hosts, retry_delay between the rounds.
    assert time.monotonic() - start >= 0.2
    assert slamming.accepted == 2
    assert "AMQPConnector" in repr(info.value) or isinstance(
        info.value, exceptions.IncompatibleProtocolError)


def test_connection_attempts_and_retry_delay_are_honoured(slamming):
    params = pika.ConnectionParameters("127.0.0.1", slamming.port, connection_attempts=3,
                                       retry_delay=0.3, socket_timeout=2)
    start = time.monotonic()
    with pytest.raises(exceptions.AMQPConnectionError):
        pika.BlockingConnection(params)
    elapsed = time.monotonic() - start
    assert slamming.accepted == 3
    assert 0.6 <= elapsed < 5


def test_create_connection_all_dead_lists_every_attempt():
    configs = [_dead(connection_attempts=2, retry_delay=0.1), _dead(connection_attempts=1)]
    result, _elapsed, ioloop = _run_select_create(configs)
    try:
        assert isinstance(result, exceptions.AMQPConnectionWorkflowFailed), result
        # attempt 1: both hosts; attempt 2: only the first (it allows 2 attempts)
        assert len(result.exceptions) == 3
        for error in result.exceptions:
            assert isinstance(error, exceptions.AMQPConnectorSocketConnectError)
            assert isinstance(error.exception, ConnectionRefusedError)
    finally:
        ioloop.close()


def test_create_connection_dead_then_live(amqp_url):
    live = _live(amqp_url)
    result, _elapsed, ioloop = _run_select_create([_dead(), live])
    try:
        assert isinstance(result, pika.SelectConnection), result
        assert result.is_open
        assert result.params is live
        closed = {}
        result.add_on_close_callback(lambda c, e: (closed.setdefault("e", e), ioloop.stop()))
        result.close()
        ioloop.call_later(5, ioloop.stop)
        ioloop.start()
        assert isinstance(closed.get("e"), exceptions.ConnectionClosedByClient)
    finally:
        ioloop.close()


def test_blocking_silent_listener_bounded_by_stack_timeout(silent):
    params = pika.ConnectionParameters("127.0.0.1", silent.port, stack_timeout=1.5,
                                       socket_timeout=1, connection_attempts=1)
    start = time.monotonic()
    with pytest.raises(exceptions.AMQPConnectionError):
        pika.BlockingConnection(params)
    elapsed = time.monotonic() - start
    assert 1.0 <= elapsed < 4
    assert silent.accepted == 1


def test_select_silent_listener_bounded_by_stack_timeout(silent):
    params = pika.ConnectionParameters("127.0.0.1", silent.port, stack_timeout=1.5,
                                       socket_timeout=1, connection_attempts=1)
    result, elapsed, ioloop = _run_select_create([params])
    try:
        assert isinstance(result, exceptions.AMQPConnectionWorkflowFailed), result
        assert isinstance(result.exceptions[-1], exceptions.AMQPConnectorStackTimeout)
        assert 1.0 <= elapsed < 4
    finally:
        ioloop.close()


def test_silent_listener_then_live_broker(amqp_url, silent):
    params = [pika.ConnectionParameters("127.0.0.1", silent.port, stack_timeout=1,
                                        connection_attempts=1),
              _live(amqp_url)]
    conn = pika.BlockingConnection(params)
    try:
        assert conn.is_open and conn._impl.params is params[1]
    finally:
        conn.close()


def test_bad_credentials_are_not_retried(amqp_url):
    url = pika.URLParameters(amqp_url)
    params = pika.ConnectionParameters(url.host, url.port, url.virtual_host,
                                       pika.PlainCredentials("guest", "not-the-password"),
                                       connection_attempts=3, retry_delay=1)
    start = time.monotonic()
    with pytest.raises(exceptions.ProbableAuthenticationError):
        pika.BlockingConnection(params)
    assert time.monotonic() - start < 1  # no retry_delay was waited: one attempt only
