"""Opening and closing BlockingConnections: parameters, errors, context managers."""
import socket
import time
import urllib.parse

import pytest

import pika as real_pika

import pika_fast as pika
from pika_fast import exceptions, spec
from pika_fast.adapters.blocking_connection import BlockingChannel, BlockingConnection


def _url_parts(amqp_url):
    parts = urllib.parse.urlparse(amqp_url)
    vhost = urllib.parse.unquote(parts.path[1:]) if len(parts.path) > 1 else "/"
    return (parts.hostname or "localhost", parts.port or 5672,
            urllib.parse.unquote(parts.username or "guest"),
            urllib.parse.unquote(parts.password or "guest"), vhost)


def _free_port():
    """A local TCP port nobody listens on (bound, then released)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def _roundtrip(conn):
    ch = conn.channel()
    q = ch.queue_declare("", exclusive=True).method.queue
    ch.basic_publish("", q, b"ping")
    method, _props, body = ch.basic_get(q, auto_ack=True)
    assert body == b"ping"
    assert method.routing_key == q
    return ch


# ------------------------------------------------------------------ opening


def test_connect_with_connection_parameters(amqp_url):
    host, port, user, password, vhost = _url_parts(amqp_url)
    params = pika.ConnectionParameters(
        host=host, port=port, virtual_host=vhost,
        credentials=pika.PlainCredentials(user, password))
    conn = pika.BlockingConnection(params)
    try:
        assert isinstance(conn, BlockingConnection)
        assert conn.is_open and not conn.is_closed
        _roundtrip(conn)
    finally:
        conn.close()
    assert conn.is_closed and not conn.is_open


def test_connect_with_url_parameters(amqp_url):
    conn = pika.BlockingConnection(pika.URLParameters(amqp_url))
    try:
        assert conn.is_open
        _roundtrip(conn)
    finally:
        conn.close()


def test_connect_with_url_query_options(amqp_url):
    sep = "&" if "?" in amqp_url else "?"
    url = (amqp_url + sep + "heartbeat=30&channel_max=64&frame_max=16384"
           "&connection_attempts=2&retry_delay=0.1&socket_timeout=5&stack_timeout=10")
    conn = pika.BlockingConnection(pika.URLParameters(url))
    try:
        assert conn.is_open
        _roundtrip(conn)
        # channel_max negotiated down to 64: channel numbers stay within it
        numbers = [conn.channel().channel_number for _ in range(3)]
        assert all(1 <= n <= 64 for n in numbers)
    finally:
        conn.close()


def test_connect_with_default_parameters_when_broker_is_local(amqp_url):
    host, port, user, password, vhost = _url_parts(amqp_url)
    if (host, port, user, password, vhost) != ("127.0.0.1", 5672, "guest", "guest", "/") and \
            (host, port, user, password, vhost) != ("localhost", 5672, "guest", "guest", "/"):
        # Not applicable to a remote broker; still make the test meaningful.
        conn = pika.BlockingConnection(pika.URLParameters(amqp_url))
    else:
        conn = pika.BlockingConnection()  # ConnectionParameters() defaults
    try:
        assert conn.is_open
        _roundtrip(conn)
    finally:
        conn.close()


def test_connect_with_parameter_sequence_falls_through_to_working_one(amqp_url):
    bad = pika.ConnectionParameters(host="127.0.0.1", port=_free_port(),
                                    connection_attempts=1, socket_timeout=2)
    good = pika.URLParameters(amqp_url)
    started = time.monotonic()
    conn = pika.BlockingConnection([bad, good])
    try:
        assert conn.is_open
        _roundtrip(conn)
    finally:
        conn.close()
    assert time.monotonic() - started < 10


def test_connection_context_manager_closes(amqp_url):
    with pika.BlockingConnection(pika.URLParameters(amqp_url)) as conn:
        assert conn.is_open
        with conn.channel() as ch:
            assert isinstance(ch, BlockingChannel)
            assert ch.is_open
            q = ch.queue_declare("", exclusive=True).method.queue
            ch.basic_publish("", q, b"x")
        assert ch.is_closed
        assert conn.is_open
    assert conn.is_closed


def test_connection_context_manager_closes_on_exception(amqp_url):
    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        with pika.BlockingConnection(pika.URLParameters(amqp_url)) as conn:
            ch = conn.channel()
            raise Boom()
    assert conn.is_closed
    assert ch.is_closed


def test_context_manager_after_explicit_close_is_fine(amqp_url):
    with pika.BlockingConnection(pika.URLParameters(amqp_url)) as conn:
        with conn.channel() as ch:
            ch.close()
        conn.close()
    assert conn.is_closed


def test_capability_properties_true(connection, real):
    for name in ("publisher_confirms_supported", "basic_nack_supported",
                 "consumer_cancel_notify_supported", "exchange_exchange_bindings_supported"):
        assert getattr(connection, name) is True, name
    # the pika 0.x aliases
    for name in ("publisher_confirms", "basic_nack", "consumer_cancel_notify",
                 "exchange_exchange_bindings"):
        assert getattr(connection, name) is True, name
    ref = real.connect()
    for name in ("publisher_confirms_supported", "basic_nack_supported",
                 "consumer_cancel_notify_supported", "exchange_exchange_bindings_supported"):
        assert getattr(connection, name) == getattr(ref, name)


def test_channel_numbers_and_explicit_number(connection):
    ch1 = connection.channel()
    ch2 = connection.channel()
    assert ch1.channel_number == 1
    assert ch2.channel_number == 2
    assert int(ch2) == 2
    ch9 = connection.channel(channel_number=9)
    assert ch9.channel_number == 9
    assert ch9.connection is connection
    ch9.queue_declare("", exclusive=True)
    ch1.close()
    # pika reuses the lowest free number
    assert connection.channel().channel_number == 1


def test_channel_number_in_use_is_rejected(connection):
    connection.channel(channel_number=5)
    with pytest.raises(exceptions.InvalidChannelNumber):
        connection.channel(channel_number=5)
    # the connection survives
    _roundtrip(connection)


@pytest.mark.parametrize("heartbeat", [0, 60, None], ids=["no-heartbeat", "60", "broker"])
def test_channel_opens_promptly(connect, heartbeat):
    """Regression: Channel.Open once waited in the write buffer until a heartbeat woke
    the loop (forever with heartbeat=0)."""
    conn = connect(heartbeat=heartbeat)
    started = time.monotonic()
    for _ in range(5):
        conn.channel().queue_declare("", exclusive=True)
    assert time.monotonic() - started < 2


def test_many_channels(connection):
    channels = [connection.channel() for _ in range(50)]
    assert sorted(ch.channel_number for ch in channels) == list(range(1, 51))
    for ch in channels[::2]:
        ch.close()
    for ch in channels[1::2]:
        assert ch.is_open
        ch.queue_declare("", exclusive=True)


def test_small_frame_max_still_carries_big_messages(connect):
    conn = connect(frame_max=4096)
    ch = conn.channel()
    q = ch.queue_declare("", exclusive=True).method.queue
    body = bytes(range(256)) * 200  # 51200 bytes, 13 body frames
    ch.basic_publish("", q, body, pika.BasicProperties(headers={"k": "v" * 1000}))
    _m, props, got = ch.basic_get(q, auto_ack=True)
    assert got == body
    assert props.headers == {"k": "v" * 1000}


def test_heartbeat_zero_and_callable(connect):
    seen = []

    def choose(connection, broker_value):
        seen.append((connection, broker_value))
        return 0

    conn = connect(heartbeat=choose)
    assert len(seen) == 1
    # pika passes the callback connection underneath (BlockingConnection._impl)
    assert seen[0][0] is conn._impl
    assert isinstance(seen[0][1], int)
    _roundtrip(conn)
    conn2 = connect(heartbeat=0)
    _roundtrip(conn2)


# --------------------------------------------------------------- failures


def test_closed_port_fails_fast_with_amqp_connection_error():
    params = pika.ConnectionParameters(host="127.0.0.1", port=_free_port(),
                                       connection_attempts=1, socket_timeout=3)
    started = time.monotonic()
    with pytest.raises(exceptions.AMQPConnectionError) as info:
        pika.BlockingConnection(params)
    assert time.monotonic() - started < 3
    # pika 1.4.4 raises the plain AMQPConnectionError here
    real_params = real_pika.ConnectionParameters(host="127.0.0.1", port=params.port,
                                                 connection_attempts=1)
    with pytest.raises(real_pika.exceptions.AMQPConnectionError) as ref:
        real_pika.BlockingConnection(real_params)
    assert type(info.value).__name__ == type(ref.value).__name__


def test_closed_port_with_retries_respects_attempts():
    params = pika.ConnectionParameters(host="127.0.0.1", port=_free_port(),
                                       connection_attempts=3, retry_delay=0.2)
    started = time.monotonic()
    with pytest.raises(exceptions.AMQPConnectionError):
        pika.BlockingConnection(params)
    elapsed = time.monotonic() - started
    assert 0.35 <= elapsed < 5, elapsed  # two retry delays between three attempts


def test_wrong_password_is_probable_authentication_error(amqp_url):
    host, port, user, _password, vhost = _url_parts(amqp_url)
    params = pika.ConnectionParameters(host=host, port=port, virtual_host=vhost,
                                       credentials=pika.PlainCredentials(user, "wrong-pw"))
    started = time.monotonic()
    with pytest.raises(exceptions.ProbableAuthenticationError) as info:
        pika.BlockingConnection(params)
    assert time.monotonic() - started < 10
    assert isinstance(info.value, exceptions.AMQPConnectionError)
    assert "ACCESS_REFUSED" in str(info.value)


def test_unknown_user_is_probable_authentication_error(amqp_url):
    host, port, _user, _password, vhost = _url_parts(amqp_url)
    params = pika.ConnectionParameters(
        host=host, port=port, virtual_host=vhost,
        credentials=pika.PlainCredentials("no-such-user-pika-fast", "pw"))
    with pytest.raises(exceptions.ProbableAuthenticationError):
        pika.BlockingConnection(params)


def test_wrong_vhost_is_probable_access_denied_error(amqp_url):
    host, port, user, password, _vhost = _url_parts(amqp_url)
    params = pika.ConnectionParameters(host=host, port=port,
                                       virtual_host="no-such-vhost-pika-fast",
                                       credentials=pika.PlainCredentials(user, password))
    with pytest.raises(exceptions.ProbableAccessDeniedError) as info:
        pika.BlockingConnection(params)
    assert isinstance(info.value, exceptions.AMQPConnectionError)
    assert "NOT_ALLOWED" in str(info.value)


def test_non_amqp_server_fails_quickly():
    """A server that accepts and hangs up at once: an AMQPConnectionError, not a hang."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(5)
    import threading

    def serve():
        try:
            client, _addr = server.accept()
            client.recv(8)
            client.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
            client.close()
        except OSError:
            pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        params = pika.ConnectionParameters(host="127.0.0.1", port=server.getsockname()[1],
                                           connection_attempts=1, socket_timeout=3,
                                           stack_timeout=5)
        started = time.monotonic()
        # pika 1.4.4 says IncompatibleProtocolError (an AMQPConnectionError)
        with pytest.raises(exceptions.IncompatibleProtocolError):
            pika.BlockingConnection(params)
        assert time.monotonic() - started < 4
    finally:
        server.close()
        thread.join(5)


def test_silent_server_hits_stack_timeout():
    """A server that accepts but never answers: stack_timeout bounds the handshake."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    try:
        params = pika.ConnectionParameters(host="127.0.0.1", port=server.getsockname()[1],
                                           connection_attempts=1, socket_timeout=1,
                                           stack_timeout=1.5)
        started = time.monotonic()
        with pytest.raises(exceptions.AMQPConnectionError):
            pika.BlockingConnection(params)
        assert time.monotonic() - started < 5
    finally:
        server.close()


# ----------------------------------------------------------------- closing


def test_close_then_operations_raise(connect):
    conn = connect()
    ch = conn.channel()
    q = ch.queue_declare("", exclusive=True).method.queue
    conn.close()
    assert conn.is_closed and not conn.is_open
    assert ch.is_closed and not ch.is_open
    with pytest.raises(exceptions.ChannelWrongStateError):
        ch.basic_publish("", q, b"x")
    with pytest.raises(exceptions.ChannelWrongStateError):
        ch.queue_declare("", exclusive=True)
    with pytest.raises(exceptions.ChannelWrongStateError):
        ch.basic_ack(1)
    with pytest.raises(exceptions.ChannelWrongStateError):
        ch.basic_consume(q, lambda *a: None)
    with pytest.raises(exceptions.ChannelWrongStateError):
        ch.close()
    with pytest.raises(exceptions.ConnectionWrongStateError):
        conn.channel()
    # pika 1.4.4 happens to raise ValueError here (its closed ioloop refuses timers);
    # pika_fast raises ConnectionWrongStateError. Either is an error, not a hang.
    with pytest.raises((exceptions.ConnectionWrongStateError, ValueError)):
        conn.process_data_events()
    with pytest.raises((exceptions.ConnectionWrongStateError, ValueError)):
        conn.sleep(0.01)
    with pytest.raises(exceptions.ConnectionWrongStateError):
        conn.close()
    with pytest.raises(exceptions.ConnectionWrongStateError):
        conn.add_callback_threadsafe(lambda: None)


def test_close_with_reply_code_and_text(connect):
    conn = connect()
    ch = conn.channel()
    conn.close(reply_code=200, reply_text="bye now")
    assert conn.is_closed and ch.is_closed


def test_channel_close_then_connection_stays_usable(connection):
    ch = connection.channel()
    ch.close()
    assert ch.is_closed
    with pytest.raises(exceptions.ChannelWrongStateError):
        ch.close()
    with pytest.raises(exceptions.ChannelWrongStateError):
        ch.basic_publish("", "x", b"y")
    _roundtrip(connection)


def test_same_errors_as_pika_after_close(amqp_url):
    """Exception class names after close() match pika 1.4.4's, op by op."""

    def scenario(lib):
        conn = lib.BlockingConnection(lib.URLParameters(amqp_url))
        ch = conn.channel()
        q = ch.queue_declare("", exclusive=True).method.queue
        conn.close()
        outcome = {}
        ops = {
            "publish": lambda: ch.basic_publish("", q, b"x"),
            "declare": lambda: ch.queue_declare("", exclusive=True),
            "ack": lambda: ch.basic_ack(1),
            "nack": lambda: ch.basic_nack(1),
            "reject": lambda: ch.basic_reject(1),
            "consume": lambda: ch.basic_consume(q, lambda *a: None),
            "channel_close": ch.close,
            "channel": conn.channel,
            "close": conn.close,
            "threadsafe": lambda: conn.add_callback_threadsafe(lambda: None),
        }
        for name, op in ops.items():
            try:
                op()
                outcome[name] = None
            except Exception as exc:  # noqa: BLE001 - compared by class name
                outcome[name] = type(exc).__name__
        return outcome

    assert scenario(pika) == scenario(real_pika)


def test_connection_survives_channel_error(connection):
    ch = connection.channel()
    with pytest.raises(exceptions.ChannelClosedByBroker):
        ch.queue_declare("pika_fast.test.surely-missing", passive=True)
    assert connection.is_open
    _roundtrip(connection)


def test_update_secret_is_accepted(connection, amqp_url):
    _host, _port, _user, password, _vhost = _url_parts(amqp_url)
    connection.update_secret(password, "rotation test")
    connection.process_data_events(0.2)
    _roundtrip(connection)


def test_frame_types_are_pikas(connection):
    ch = connection.channel()
    result = ch.queue_declare("", exclusive=True)
    assert isinstance(result, pika.frame.Method)
    assert isinstance(result.method, spec.Queue.DeclareOk)
    assert result.channel_number == ch.channel_number
