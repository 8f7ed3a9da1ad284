"""SelectConnection against the broker: opening, closing, errors, the IOLoop, create_connection.

Every scenario is written the way pika users write callback code (on_open_callback ->
connection.channel(on_open_callback=...) -> ...) and, where practical, run twice: once
with the real pika 1.4.4, once with pika_fast. Each run records the callbacks it gets
and a normalised description of their arguments; the two logs must be equal. The pika
run is the reference: if *it* does not behave as the test expects, the test fails with
``ReferenceMismatch`` (a real failure, never masked by an xfail mark).

Every run is bounded: a ``call_later(SCENARIO_TIMEOUT)`` stops the loop and fails the
test. Queues and exchanges a test names are deleted afterwards over a separate real-pika
connection. No broker -> the tests fail, they never skip.
"""
import shutil
import socket
import subprocess
import threading
import time
import urllib.parse
import uuid

import pytest

import pika.adapters.select_connection  # noqa: F401  (loads real_pika.<submodule>)
import pika.amqp_object  # noqa: F401  (loads real_pika.<submodule>)
import pika.channel  # noqa: F401  (loads real_pika.<submodule>)
import pika.connection  # noqa: F401  (loads real_pika.<submodule>)
import pika.exceptions  # noqa: F401  (loads real_pika.<submodule>)
import pika.frame  # noqa: F401  (loads real_pika.<submodule>)
import pika.spec  # noqa: F401  (loads real_pika.<submodule>)

import pika_fast
import pika_fast.adapters.select_connection
import pika_fast.amqp_object
import pika_fast.channel
import pika_fast.connection
import pika_fast.exceptions
import pika_fast.frame
import pika_fast.spec

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


def free_port():
    """A loopback TCP port nobody listens on (bound, then released)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def closed_by_client(code=200, text="Normal shutdown"):
    return f"ConnectionClosedByClient({code}, {text!r})"


class FakeServer:
    """A loopback TCP server run by a thread: ``behaviour(sock)`` handles each client.

    With ``forward_to=(host, port)`` it is a proxy to the broker whose connections
    ``cut()`` drops (the client sees EOF)."""

    def __init__(self, behaviour=None, forward_to=None):
        self.behaviour, self.forward_to = behaviour, forward_to
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]
        self.sockets = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.sockets.append(client)
            if self.forward_to is None:
                threading.Thread(target=self.behaviour, args=(client,), daemon=True).start()
                continue
            upstream = socket.create_connection(self.forward_to)
            self.sockets.append(upstream)
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pump(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass

    def cut(self):
        for sock in self.sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def close(self):
        self.listener.close()
        self.cut()


@pytest.fixture
def fake_servers():
    servers = []

    def make(**kwargs):
        server = FakeServer(**kwargs)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()


# ============================================================== opening and closing


def test_open_and_close_callbacks(broker_url, sel_names):
    def scenario(s):
        def on_open(conn):
            s.record("open", conn, conn.is_open, conn.is_closing, conn.is_closed)
            conn.close()
            s.record("closing", conn.is_open, conn.is_closing, conn.is_closed)

        def on_close(conn, error):
            s.record("closed", conn, error, conn.is_open, conn.is_closing, conn.is_closed)
            for attempt in (conn.close, conn.channel):
                try:
                    attempt()
                except Exception as exc:  # noqa: BLE001
                    s.record("after_close", exc)

        s.connect(on_open, on_close=on_close)

    run_both(broker_url, sel_names, scenario, expected=[
        ("open", "SelectConnection", True, False, False),
        ("closing", False, True, False),
        ("closed", "SelectConnection", closed_by_client(), False, False, True),
        ("after_close", "ConnectionWrongStateError"),
        ("after_close", "ConnectionWrongStateError"),
    ])


def test_close_with_custom_reply(broker_url, sel_names):
    def scenario(s):
        s.connect(lambda conn: conn.close(200, "bye now"))

    run_both(broker_url, sel_names, scenario, expected=[
        ("connection_closed", "SelectConnection", closed_by_client(200, "bye now"))])


def test_close_with_open_channels_closes_them_first(broker_url, sel_names):
    """connection.close() closes each open channel (ChannelClosedByClient with the
    connection's reply), then the connection; callbacks in that order."""
    def scenario(s):
        opened = []
        closed = []

        def on_open(conn):
            for _ in range(3):
                conn.channel(on_open_callback=on_channel)

        def on_channel(ch):
            ch.add_on_close_callback(
                lambda c, e: closed.append((s.describe(c), s.describe(e), c.is_closed)))
            opened.append(ch)
            if len(opened) == 3:
                # the broker may answer the three Channel.Open in any order
                for each in sorted(opened, key=lambda c: c.channel_number):
                    s.record("channel_open", each)
                opened[2].basic_consume("amq.rabbitmq.reply-to", lambda *a: None,
                                        auto_ack=True,
                                        callback=lambda f: ch.connection.close(200, "done"))

        def on_close(conn, error):
            # the broker answers the three Channel.Close in any order
            s.record("channels_closed_first", tuple(sorted(closed)))
            s.record("connection_closed", conn, error)

        s.connect(on_open, on_close=on_close)

    closed = "ChannelClosedByClient(200, 'done')"
    run_both(broker_url, sel_names, scenario, expected=[
        ("channel_open", "Channel[1]"), ("channel_open", "Channel[2]"),
        ("channel_open", "Channel[3]"),
        ("channels_closed_first", (("Channel[1]", closed, True), ("Channel[2]", closed, True),
                                   ("Channel[3]", closed, True))),
        ("connection_closed", "SelectConnection", closed_by_client(200, "done")),
    ])


def test_server_properties_and_capabilities(broker_url, sel_names):
    def scenario(s):
        def on_open(conn):
            props = conn.server_properties
            s.record("props", props["product"], type(props["capabilities"]).__name__,
                     conn.publisher_confirms, conn.basic_nack, conn.consumer_cancel_notify,
                     conn.exchange_exchange_bindings)
            conn.close()

        s.connect(on_open)

    run_both(broker_url, sel_names, scenario, expected=[
        ("props", "RabbitMQ", "dict", True, True, True, True),
        ("connection_closed", "SelectConnection", closed_by_client())])


def test_close_before_open_completes_reports_open_aborted(broker_url, sel_names):
    """close() right after the constructor: on_open_error_callback(conn,
    ConnectionOpenAborted); the connection never opens, on_close is not called."""
    def scenario(s):
        def on_open_error(conn, error):
            s.record("open_error", conn, error, conn.is_closed)
            # stay a little to see that nothing else happens (e.g. a late open)
            conn.ioloop.call_later(1.0, conn.ioloop.stop)

        conn = s.lib.SelectConnection(
            s.params(), on_open_callback=lambda c: s.record("opened", c),
            on_open_error_callback=on_open_error,
            on_close_callback=lambda c, e: s.record("closed", c, e))
        s.conn = conn
        conn.close()
        s.record("after_close", conn.is_closing or conn.is_closed)
        # pika_fast needs its loop to deliver the callback; pika may already have
        s.run_loop(conn.ioloop)

    run_both(broker_url, sel_names, scenario, expected=[
        ("after_close", True),
        ("open_error", "SelectConnection", "ConnectionOpenAborted", True),
    ])


# ============================================================== connection errors


def test_connection_refused_calls_on_open_error(broker_url, sel_names):
    port = free_port()

    def scenario(s):
        def on_open_error(conn, error):
            s.record("open_error", conn, error, conn.is_closed,
                     isinstance(error, s.lib.exceptions.AMQPConnectionError))

        s.connect(lambda conn: s.record("opened"),
                  params=s.lib.ConnectionParameters(host="127.0.0.1", port=port,
                                                    connection_attempts=2, retry_delay=0.1),
                  on_open_error=on_open_error)

    run_both(broker_url, sel_names, scenario, expected=[
        ("open_error", "SelectConnection", "AMQPConnectionError", True, True)])


def test_bad_password_is_probable_authentication_error(broker_url, sel_names):
    def scenario(s):
        params = s.params()
        params.credentials = s.lib.PlainCredentials(
            "guest" if params.credentials.username == "guest" else params.credentials.username,
            "not-the-password")
        s.connect(lambda conn: s.record("opened"), params=params)

    run_both(broker_url, sel_names, scenario, expected=[
        ("open_error", "SelectConnection", "ProbableAuthenticationError")])


def test_unknown_vhost_is_probable_access_denied(broker_url, sel_names):
    def scenario(s):
        s.connect(lambda conn: s.record("opened"),
                  params=s.params(virtual_host=f"no-such-vhost-{uuid.uuid4().hex[:8]}"))

    run_both(broker_url, sel_names, scenario, expected=[
        ("open_error", "SelectConnection", "ProbableAccessDeniedError")])


def test_default_open_error_callback_raises_from_ioloop(broker_url, sel_names):
    """Without on_open_error_callback, pika's default re-raises the error: it comes out
    of ioloop.start() (the program does not hang on a dead connection)."""
    port = free_port()

    def scenario(s):
        conn = s.lib.SelectConnection(
            s.lib.ConnectionParameters(host="127.0.0.1", port=port, connection_attempts=1),
            on_open_callback=lambda c: s.record("opened"))
        s.conn = conn
        try:
            s.run_loop(conn.ioloop)
        except s.lib.exceptions.AMQPConnectionError as exc:
            s.record("raised", exc)

    # short deadline: pika raises at once; a loop that never stops is the failure mode
    run_both(broker_url, sel_names, scenario, timeout=3,
             expected=[("raised", "AMQPConnectionError")])


def test_broker_forced_close_reaches_channel_and_connection_callbacks(broker_url, sel_names):
    """The broker closes the connection (rabbitmqctl close_connection): channel close
    callbacks get the connection's ConnectionClosedByBroker, then on_close_callback."""
    rabbitmqctl = shutil.which("rabbitmqctl")
    if rabbitmqctl is None:
        pytest.fail("rabbitmqctl is needed to make the broker close a connection "
                    "(it is installed with rabbitmq-server)", pytrace=False)
    host = urllib.parse.urlparse(broker_url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        pytest.fail(f"rabbitmqctl can only reach a local broker, not {host}", pytrace=False)

    def force_close(tag):
        out = subprocess.run([rabbitmqctl, "-q", "list_connections", "pid", "client_properties"],
                             capture_output=True, text=True, timeout=30, check=True).stdout
        for line in out.splitlines():
            if tag in line:
                subprocess.run([rabbitmqctl, "-q", "close_connection", line.split("\t")[0],
                                "test says bye"], capture_output=True, timeout=30, check=True)
                return True
        return False

    def scenario(s):
        tag = uuid.uuid4().hex
        params = s.params(client_properties={"connection_name": f"sel-test-{tag}"})
        killers = []

        def on_open(conn):
            conn.channel(on_open_callback=on_channel)

        def on_channel(ch):
            ch.add_on_close_callback(lambda c, e: s.record("channel_closed", c, e))
            killer = threading.Thread(target=lambda: killers.append(force_close(tag)),
                                      daemon=True)
            killers.append(killer)
            killer.start()

        s.connect(on_open, params=params)
        killers[0].join(30)
        s.record("forced", killers[1:])

    reason = "ConnectionClosedByBroker(320, 'CONNECTION_FORCED - test says bye')"
    run_both(broker_url, sel_names, scenario, timeout=25, expected=[
        ("channel_closed", "Channel[1]", reason),
        ("connection_closed", "SelectConnection", reason),
        ("forced", (True,)),
    ])


def test_stream_lost_reaches_channel_and_connection_callbacks(broker_url, sel_names,
                                                            fake_servers):
    """The TCP connection drops under an open connection (a proxy cuts it): a pending
    RPC's callback never runs; channel and connection close callbacks get
    StreamLostError."""
    parts = urllib.parse.urlparse(broker_url)
    proxy = fake_servers(forward_to=(parts.hostname or "localhost", parts.port or 5672))

    def scenario(s):
        def on_open(conn):
            conn.channel(on_open_callback=on_channel)

        def on_channel(ch):
            ch.add_on_close_callback(lambda c, e: s.record("channel_closed", c, e))
            s.record("channel_open", ch)
            ch.connection.ioloop.call_later(0.1, lambda: (
                ch.queue_declare("", exclusive=True,
                                 callback=lambda f: s.record("unexpected_declare_ok")),
                proxy.cut()))

        s.connect(on_open, params=s.params(port=proxy.port))

    run_both(broker_url, sel_names, scenario, expected=[
        ("channel_open", "Channel[1]"),
        ("channel_closed", "Channel[1]", "StreamLostError"),
        ("connection_closed", "SelectConnection", "StreamLostError"),
    ])


def test_silent_server_hits_stack_timeout(broker_url, sel_names, fake_servers):
    """A server that accepts TCP but never answers the protocol header: the open fails
    after stack_timeout."""
    server = fake_servers(behaviour=lambda sock: time.sleep(30))

    def scenario(s):
        started = time.monotonic()

        def on_open_error(conn, error):
            s.record("open_error", conn, error,
                     isinstance(error, s.lib.exceptions.AMQPConnectionError),
                     0.9 < time.monotonic() - started < 5)

        s.connect(lambda conn: s.record("opened"),
                  params=s.lib.ConnectionParameters(host="127.0.0.1", port=server.port,
                                                    stack_timeout=1, connection_attempts=1),
                  on_open_error=on_open_error)

    run_both(broker_url, sel_names, scenario, expected=[
        ("open_error", "SelectConnection", "ConnectionOpenAborted", True, True)])


def test_server_speaking_another_protocol(broker_url, sel_names, fake_servers):
    """The server answers the protocol header with another version's header and hangs
    up."""
    def behaviour(sock):
        sock.recv(8)
        sock.sendall(b"AMQP\x00\x00\x08\x00")
        time.sleep(0.2)
        sock.close()

    server = fake_servers(behaviour=behaviour)

    def scenario(s):
        s.connect(lambda conn: s.record("opened"),
                  params=s.lib.ConnectionParameters(host="127.0.0.1", port=server.port,
                                                    connection_attempts=1))

    run_both(broker_url, sel_names, scenario, expected=[
        ("open_error", "SelectConnection", "IncompatibleProtocolError")])


def test_server_hanging_up_at_once(broker_url, sel_names, fake_servers):
    server = fake_servers(behaviour=lambda sock: sock.close())

    def scenario(s):
        s.connect(lambda conn: s.record("opened"),
                  params=s.lib.ConnectionParameters(host="127.0.0.1", port=server.port,
                                                    connection_attempts=1))

    run_both(broker_url, sel_names, scenario, expected=[
        ("open_error", "SelectConnection", "IncompatibleProtocolError")])


# ============================================================== update_secret


def test_update_secret_callback_gets_update_secret_ok(broker_url, sel_names):
    def scenario(s):
        def on_open(conn):
            password = urllib.parse.unquote(urllib.parse.urlparse(s.url).password or "guest")
            conn.update_secret(password, "rotation",
                               callback=lambda f: (s.record("secret_ok", f), conn.close()))
            conn.ioloop.call_later(3, conn.close)  # a missing callback must not hang

        s.connect(on_open)

    run_both(broker_url, sel_names, scenario, expected=[
        ("secret_ok", "Method[0]Connection.UpdateSecretOk[]"),
        ("connection_closed", "SelectConnection", closed_by_client()),
    ])


# ============================================================== the IOLoop


def test_call_later_and_remove_timeout_on_a_connection_loop(broker_url, sel_names):
    def scenario(s):
        def on_open(conn):
            loop = conn.ioloop
            loop.call_later(0.10, lambda: s.record("t", "b"))
            loop.call_later(0.05, lambda: s.record("t", "a"))
            loop.call_later(0.10, lambda: s.record("t", "c"))  # same deadline: after b
            cancelled = loop.call_later(0.02, lambda: s.record("t", "cancelled"))
            loop.remove_timeout(cancelled)
            loop.remove_timeout(cancelled)  # twice is harmless
            started = time.monotonic()

            def late():
                s.record("late_enough", time.monotonic() - started >= 0.2)
                conn.close()
            loop.call_later(0.2, late)

        s.connect(on_open)

    run_both(broker_url, sel_names, scenario, expected=[
        ("t", "a"), ("t", "b"), ("t", "c"), ("late_enough", True),
        ("connection_closed", "SelectConnection", closed_by_client()),
    ])


def test_add_callback_threadsafe_from_another_thread(broker_url, sel_names):
    """A worker thread hands work to the loop with add_callback_threadsafe while the loop
    is blocked in poll; the callbacks run in the loop's thread, in order, and may use
    the channel (publish) - the documented way to talk to pika from other threads."""
    def scenario(s):
        loop_thread = []
        got = []

        def on_open(conn):
            loop_thread.append(threading.get_ident())
            conn.channel(on_open_callback=on_channel)

        def on_channel(ch):
            ch.queue_declare("", exclusive=True, callback=lambda f: on_queue(ch, f))

        def on_queue(ch, frame):
            queue = frame.method.queue
            ch.basic_consume(queue, lambda c, m, p, body: on_message(ch, body), auto_ack=True,
                             callback=lambda f: start_worker(ch, queue))

        def start_worker(ch, queue):
            loop = ch.connection.ioloop

            def publish(i):
                s.record("in_loop_thread", threading.get_ident() == loop_thread[0])
                ch.basic_publish("", queue, str(i).encode())

            def worker():
                time.sleep(0.3)  # the loop is idle, blocked in poll, by now
                for i in range(3):
                    loop.add_callback_threadsafe(lambda i=i: publish(i))

            threading.Thread(target=worker, daemon=True).start()

        def on_message(ch, body):
            got.append(body)
            if len(got) == 3:
                s.record("received", tuple(got))
                ch.connection.close()

        s.connect(on_open)

    run_both(broker_url, sel_names, scenario, expected=[
        ("in_loop_thread", True), ("in_loop_thread", True), ("in_loop_thread", True),
        ("received", (b"0", b"1", b"2")),
        ("connection_closed", "SelectConnection", closed_by_client()),
    ])


def test_ioloop_stop_via_add_callback_threadsafe(broker_url, sel_names):
    def scenario(s):
        def on_open(conn):
            s.record("open")

            def stopper():
                time.sleep(0.3)
                conn.ioloop.add_callback_threadsafe(conn.ioloop.stop)
            threading.Thread(target=stopper, daemon=True).start()

        conn = s.lib.SelectConnection(s.params(), on_open_callback=on_open)
        s.conn = conn
        started = time.monotonic()
        s.run_loop(conn.ioloop)  # shutdown() closes the still-open connection
        s.record("returned", 0.25 < time.monotonic() - started < 5, conn.is_closed)

    run_both(broker_url, sel_names, scenario, expected=[("open",), ("returned", True, True)])


def test_heartbeats_keep_an_idle_connection_open(broker_url, sel_names):
    """heartbeat=1: the broker drops a client that sends nothing for ~2 s; an idle
    pika_fast connection stays up for 3.5 s because its heartbeat timer sends frames."""
    session = Session("pika_fast", pika_fast, broker_url, sel_names)

    def on_open(conn):
        def check():
            session.record("still_open", conn.is_open)
            conn.close()
        conn.ioloop.call_later(3.5, check)

    session.connect(on_open, params=session.params(heartbeat=1))
    assert session.log == [("still_open", True),
                           ("connection_closed", "SelectConnection", closed_by_client())]


# ============================================================== create_connection


def _create(s, configs, on_done):
    """SelectConnection.create_connection on a custom IOLoop (how users reach the loop)."""
    loop = s.lib.adapters.select_connection.IOLoop()
    s.loop = loop
    workflow = s.lib.SelectConnection.create_connection(configs, on_done, custom_ioloop=loop)
    return loop, workflow


def _run_create(s, loop):
    def on_timeout():
        s.timed_out = True
        loop.stop()

    timer = loop.call_later(SCENARIO_TIMEOUT, on_timeout)
    try:
        loop.start()
    finally:
        loop.remove_timeout(timer)
        s.shutdown()
    assert not s.timed_out, f"{s.lib_name}: create_connection scenario timed out: {s.log}"


def test_create_connection_skips_a_bad_config(broker_url, sel_names):
    port = free_port()

    def scenario(s):
        bad = s.lib.ConnectionParameters(host="127.0.0.1", port=port)
        good = s.params()

        def on_done(result):
            s.record("done", result, getattr(result, "is_open", None))
            if isinstance(result, BaseException):
                loop.stop()
                return
            s.conn = result
            s.record("params_port", result.params.port == good.port)
            result.add_on_close_callback(lambda c, e: (s.record("closed", c, e), loop.stop()))
            result.channel(on_open_callback=lambda ch: (s.record("channel", ch),
                                                        result.close()))

        loop, _workflow = _create(s, [bad, good], on_done)
        _run_create(s, loop)

    run_both(broker_url, sel_names, scenario, expected=[
        ("done", "SelectConnection", True),
        ("params_port", True),
        ("channel", "Channel[1]"),
        ("closed", "SelectConnection", closed_by_client()),
    ])


def test_create_connection_all_configs_fail(broker_url, sel_names):
    """pika: on_done(AMQPConnectionWorkflowFailed) whose ``exceptions`` lists one error
    per attempt."""
    ports = [free_port(), free_port()]

    def scenario(s):
        def on_done(result):
            s.record("done", result, len(getattr(result, "exceptions", ())))
            loop.stop()

        loop, _workflow = _create(
            s, [s.lib.ConnectionParameters(host="127.0.0.1", port=p) for p in ports], on_done)
        _run_create(s, loop)

    run_both(broker_url, sel_names, scenario, expected=[
        ("done", "AMQPConnectionWorkflowFailed", 2)])


def test_create_connection_workflow_abort(broker_url, sel_names):
    """The returned workflow has abort(); on_done then gets AMQPConnectionWorkflowAborted
    and no connection stays open."""
    def scenario(s):
        def on_done(result):
            s.record("done", result)
            if not isinstance(result, BaseException):
                s.conn = result
            loop.call_later(0.5, loop.stop)

        loop, workflow = _create(s, [s.params()], on_done)
        workflow.abort()
        _run_create(s, loop)

    run_both(broker_url, sel_names, scenario, expected=[
        ("done", "AMQPConnectionWorkflowAborted")])


def test_write_buffer_size_counts_output_until_the_socket_took_it(broker_url, sel_names):
    """pika's private ``_get_write_buffer_size()`` (publishers poll it to hold back): a
    burst published inside a callback is counted until the loop has written it."""
    def scenario(s):
        def on_channel(ch):
            conn = ch.connection
            before = conn._get_write_buffer_size()
            for _ in range(200):
                ch.basic_publish("", "pika_fast.test.nowhere", b"x" * 1000)
            s.record("held", before == 0, conn._get_write_buffer_size() >= 200 * 1000)

            def later():
                s.record("written", conn._get_write_buffer_size())
                conn.close()
            conn.ioloop.call_later(0.5, later)

        s.connect(lambda conn: conn.channel(on_open_callback=on_channel))

    run_both(broker_url, sel_names, scenario, expected=[
        ("held", True, True), ("written", 0),
        ("connection_closed", "SelectConnection", closed_by_client())])
