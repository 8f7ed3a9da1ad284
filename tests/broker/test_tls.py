"""TLS and EXTERNAL authentication against a private RabbitMQ node with a TLS listener.

The module starts one PrivateRabbitNode (its own ports, config and data under a temp
dir; the shared broker on 127.0.0.1:5672 is never touched) with

* a plain TCP listener (``node.amqp_port``) and a TLS listener (``tls_port``) whose
  certificate is issued by a throw-away test CA for ``localhost`` / ``127.0.0.1``;
* ``verify_peer`` without ``fail_if_no_peer_cert``: a client certificate is optional,
  but one from an unknown CA is rejected;
* PLAIN and EXTERNAL (``rabbitmq_auth_mechanism_ssl``, user name = the certificate's
  CN), and a password-less broker user named after the client certificate's CN.

Every scenario runs with BlockingConnection and SelectConnection where that makes
sense. Failure scenarios are bounded (``socket_timeout=2``, ``stack_timeout=4``) and
must end well inside ``MAX_FAILURE_SECONDS``; a SIGALRM watchdog turns any hang into a
failure, and every SelectConnection run has a ``call_later`` stop.

The ``test_*_matches_pika`` tests run the same scenario with the real pika 1.4.4 and
require pika_fast to report the same exception class (or a subclass of it): code
written against pika must keep catching what it caught.
"""
from __future__ import annotations

import importlib
import logging
import signal
import socket
import ssl
import threading
import time
import traceback
import urllib.parse
import uuid
import warnings

import pytest

import pika as real_pika
import pika.adapters.utils.connection_workflow  # noqa: F401  (loads the submodule)
import pika.credentials  # noqa: F401

import pika_fast
import pika_fast.credentials
from pika_fast import exceptions

from tests.support.certs import generate_certs
from tests.support.rabbit_node import PrivateRabbitNode, free_port

SOCKET_TIMEOUT = 2
STACK_TIMEOUT = 4
MAX_FAILURE_SECONDS = 10.0
SELECT_LIMIT = 20.0  # a SelectConnection scenario that runs longer is stopped and fails
WATCHDOG_SECONDS = 60.0
PAYLOAD = b"over TLS \x00\xff"

LIBS = {"pika": real_pika, "pika_fast": pika_fast}
ADAPTERS = ("blocking", "select")


# ==================================================================== fixtures


@pytest.fixture(autouse=True)
def _tls_watchdog():
    """Turn a hang into a failure (SIGALRM raises in the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_alarm(signum, frame):
        raise TimeoutError(f"TLS test exceeded its {WATCHDOG_SECONDS:.0f} s watchdog")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, WATCHDOG_SECONDS)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return generate_certs(str(tmp_path_factory.mktemp("tls_certs")))


class TLSBroker:
    """What the tests need to know about the private node."""

    def __init__(self, node: PrivateRabbitNode, tls_port: int, certs, start_seconds: float):
        self.node = node
        self.tls_port = tls_port
        self.plain_port = node.amqp_port
        self.certs = certs
        self.start_seconds = start_seconds

    def connection_row(self, connection_name: str, timeout: float = 10.0) -> dict:
        """The broker's view of the connection that sent ``connection_name``."""
        columns = ("user", "ssl", "auth_mechanism", "peer_cert_subject", "ssl_protocol",
                   "client_properties")
        deadline = time.monotonic() + timeout
        while True:
            out = self.node.ctl("list_connections", *columns)
            for line in out.splitlines():
                if connection_name in line:
                    values = line.split("\t")
                    return dict(zip(columns, values))
            if time.monotonic() >= deadline:
                raise AssertionError(f"no connection named {connection_name!r}:\n{out}")
            time.sleep(0.2)


@pytest.fixture(scope="module")
def broker(certs):
    node = PrivateRabbitNode(plugins=["rabbitmq_auth_mechanism_ssl"])
    try:
        tls_port = free_port()
        cacert = node.write_file("ca.pem", certs.read(certs.ca_cert))
        cert = node.write_file("server.pem", certs.read(certs.server_cert))
        key = node.write_file("server.key", certs.read(certs.server_key), mode=0o600)
        node.config_lines.extend([
            f"listeners.ssl.default = 127.0.0.1:{tls_port}",
            f"ssl_options.cacertfile = {cacert}",
            f"ssl_options.certfile = {cert}",
            f"ssl_options.keyfile = {key}",
            "ssl_options.verify = verify_peer",
            "ssl_options.fail_if_no_peer_cert = false",
            "auth_mechanisms.1 = PLAIN",
            "auth_mechanisms.2 = EXTERNAL",
            "ssl_cert_login_from = common_name",
        ])
        started = time.monotonic()
        node.start()
        start_seconds = time.monotonic() - started
        print(f"\nprivate TLS node {node.name} up in {start_seconds:.1f} s")
        cn = certs.client_cn
        node.ctl("add_user", cn, "unused")
        node.ctl("clear_password", cn)
        node.ctl("set_permissions", "-p", "/", cn, ".*", ".*", ".*")
        yield TLSBroker(node, tls_port, certs, start_seconds)
    finally:
        node.stop()


@pytest.fixture(scope="module")
def silent_port():
    """A port that completes the TCP handshake (listen backlog) and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    yield listener.getsockname()[1]
    listener.close()


@pytest.fixture(scope="module")
def wrong_host_server(certs):
    """A TLS server whose certificate (issued by the trusted test CA) is valid for
    wrong.example only; it completes handshakes and then hangs up."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certs.wrong_host_cert, certs.wrong_host_key)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                sock, _addr = listener.accept()
            except OSError:
                return
            sock.settimeout(5)
            try:
                with context.wrap_socket(sock, server_side=True) as tls:
                    tls.recv(64)
            except OSError:  # the client rejects our certificate: expected
                pass
            finally:
                sock.close()

    thread = threading.Thread(target=serve, name="wrong-host-tls", daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    listener.close()
    thread.join(timeout=5)


# ===================================================================== helpers


def client_context(cafile, certfile=None, keyfile=None, password=None):
    """A verifying client context (check_hostname on) trusting ``cafile``."""
    context = ssl.create_default_context(cafile=cafile)
    if certfile:
        context.load_cert_chain(certfile, keyfile, password)
    return context


def bounded_params(lib, port, host="127.0.0.1", **kwargs):
    kwargs.setdefault("socket_timeout", SOCKET_TIMEOUT)
    kwargs.setdefault("stack_timeout", STACK_TIMEOUT)
    kwargs.setdefault("connection_attempts", 1)
    return lib.ConnectionParameters(host, port, **kwargs)


def named(prefix="tls"):
    return f"pika_fast.test.{prefix}.{uuid.uuid4().hex[:12]}"


def blocking_round_trip(conn, body=PAYLOAD):
    channel = conn.channel()
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.basic_publish("", queue, body)
    method, _properties, got = channel.basic_get(queue, auto_ack=True)
    assert method is not None, "basic_get found no message"
    return got


def blocking_failure(lib, parameters):
    """Open a BlockingConnection that must fail: (exception, seconds)."""
    started = time.monotonic()
    try:
        conn = lib.BlockingConnection(parameters)
    except Exception as exc:  # noqa: BLE001 - the class is what the test looks at
        return exc, time.monotonic() - started
    conn.close()
    raise AssertionError(f"{lib.__name__}.BlockingConnection opened; it should have failed")


def run_select(lib, parameters, on_open=None, drive=None, limit=SELECT_LIMIT):
    """Drive a SelectConnection the way callback code does.

    On open: ``on_open(conn)`` (its result lands in ``outcome["on_open"]``), then
    ``drive(conn, outcome)``, which must end by closing the connection; without
    ``drive``, a publish/get round trip on an exclusive queue (``outcome["body"]``) and
    a close. Returns the outcome: ``opened``, ``open_error``, ``closed``, ``timed_out``,
    ``elapsed``.
    """
    outcome = {}
    started = time.monotonic()

    def opened(conn):
        outcome["opened"] = True
        if on_open is not None:
            outcome["on_open"] = on_open(conn)
        if drive is not None:
            drive(conn, outcome)
            return

        def on_channel(channel):
            def on_declared(frame):
                queue = frame.method.queue
                channel.basic_publish("", queue, PAYLOAD)
                channel.basic_get(queue, on_got, auto_ack=True)

            def on_got(_channel, _method, _properties, body):
                outcome["body"] = body
                conn.close()

            channel.queue_declare("", exclusive=True, callback=on_declared)

        conn.channel(on_open_callback=on_channel)

    def open_error(conn, error):
        outcome["open_error"] = error
        outcome["elapsed"] = time.monotonic() - started
        conn.ioloop.stop()

    def closed(conn, error):
        outcome["closed"] = error
        conn.ioloop.stop()

    def give_up():
        outcome["timed_out"] = True
        conn.ioloop.stop()

    conn = lib.SelectConnection(parameters, on_open_callback=opened,
                                on_open_error_callback=open_error,
                                on_close_callback=closed)
    timer = conn.ioloop.call_later(limit, give_up)
    conn.ioloop.start()
    outcome.setdefault("elapsed", time.monotonic() - started)
    conn.ioloop.remove_timeout(timer)
    if outcome.get("timed_out") and conn.is_open:
        conn.close()
        conn.ioloop.call_later(2, conn.ioloop.stop)
        conn.ioloop.start()
    conn.ioloop.close()
    return outcome


def select_failure(lib, parameters):
    """Open a SelectConnection that must fail: (error given to the open-error callback,
    seconds)."""
    outcome = run_select(lib, parameters, drive=lambda conn, _outcome: conn.close(),
                         limit=MAX_FAILURE_SECONDS + 5)
    assert not outcome.get("opened"), f"{lib.__name__} SelectConnection opened: {outcome}"
    assert not outcome.get("timed_out"), (
        f"{lib.__name__} SelectConnection neither opened nor failed within "
        f"{MAX_FAILURE_SECONDS + 5} s (a hang)")
    assert "open_error" in outcome, outcome
    assert "closed" not in outcome, f"on_close_callback ran for a connection never opened: {outcome}"
    return outcome["open_error"], outcome["elapsed"]


def failure(adapter, lib, parameters):
    if adapter == "blocking":
        return blocking_failure(lib, parameters)
    return select_failure(lib, parameters)


def error_text(error, _seen=None):
    """Everything an exception shows: str/repr of it, its args, the errors it wraps
    (``exception``, ``exceptions``, ``__cause__``, ``__context__``) and the formatted
    traceback."""
    seen = set() if _seen is None else _seen
    if id(error) in seen:
        return ""
    seen.add(id(error))
    parts = [str(error), repr(error)]
    if isinstance(error, BaseException):
        parts.append("".join(traceback.format_exception(type(error), error,
                                                        error.__traceback__)))
        for arg in error.args:
            parts.append(error_text(arg, seen) if isinstance(arg, BaseException)
                         else repr(arg))
        wrapped = tuple(getattr(error, "exceptions", None) or ())
        for inner in (getattr(error, "exception", None), error.__cause__, error.__context__,
                      *wrapped):
            if inner is not None:
                parts.append(error_text(inner, seen))
    return "\n".join(parts)


def fast_equivalent(cls):
    """The pika_fast class standing for pika's ``cls`` (same module path and name);
    ssl/builtin classes stand for themselves."""
    module = cls.__module__
    if module == "pika" or module.startswith("pika."):
        fast_module = importlib.import_module("pika_fast" + module[len("pika"):])
        return getattr(fast_module, cls.__name__)
    return cls


def assert_prompt(elapsed):
    assert elapsed < MAX_FAILURE_SECONDS, f"took {elapsed:.1f} s (limit {MAX_FAILURE_SECONDS} s)"


def quoted_ssl_options(options):
    return urllib.parse.quote(repr(options), safe="")


# ============================================== verified TLS: connect, round trip


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
@pytest.mark.parametrize("adapter", ADAPTERS)
def test_verified_tls_round_trip(broker, certs, adapter, host):
    name = named()
    parameters = pika_fast.ConnectionParameters(
        host, broker.tls_port, client_properties={"connection_name": name},
        ssl_options=pika_fast.SSLOptions(client_context(certs.ca_cert), "localhost"))
    if adapter == "blocking":
        with pika_fast.BlockingConnection(parameters) as conn:
            row = broker.connection_row(name)
            assert blocking_round_trip(conn) == PAYLOAD
    else:
        outcome = run_select(pika_fast, parameters,
                             on_open=lambda conn: broker.connection_row(name))
        assert outcome.get("body") == PAYLOAD, outcome
        assert isinstance(outcome.get("closed"), exceptions.ConnectionClosedByClient), outcome
        row = outcome["on_open"]
    assert row["ssl"] == "true", row
    assert row["user"] == "guest", row
    assert row["auth_mechanism"] == "PLAIN", row


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
@pytest.mark.parametrize("adapter", ADAPTERS)
def test_server_hostname_defaults_to_host(broker, certs, adapter, host):
    """SSLOptions without server_hostname: the certificate is checked against ``host``
    (a DNS name or an IP address SAN)."""
    parameters = pika_fast.ConnectionParameters(
        host, broker.tls_port, ssl_options=pika_fast.SSLOptions(client_context(certs.ca_cert)))
    if adapter == "blocking":
        with pika_fast.BlockingConnection(parameters) as conn:
            assert blocking_round_trip(conn) == PAYLOAD
    else:
        assert run_select(pika_fast, parameters).get("body") == PAYLOAD


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_bulk_transfer_over_tls(broker, certs, adapter):
    """Many TLS records each way: a 3 MB body plus 200 small messages arrive intact."""
    bodies = [bytes(range(256)) * (3 * 4096)] + [b"small-%d" % i for i in range(200)]
    parameters = pika_fast.ConnectionParameters(
        "127.0.0.1", broker.tls_port,
        ssl_options=pika_fast.SSLOptions(client_context(certs.ca_cert), "localhost"))
    if adapter == "blocking":
        with pika_fast.BlockingConnection(parameters) as conn:
            channel = conn.channel()
            queue = channel.queue_declare("", exclusive=True).method.queue
            for body in bodies:
                channel.basic_publish("", queue, body)
            received = []
            for _method, _properties, body in channel.consume(queue, auto_ack=True,
                                                              inactivity_timeout=10):
                if body is None:
                    break
                received.append(body)
                if len(received) == len(bodies):
                    break
            channel.cancel()
        assert received == bodies
        return

    received = []

    def drive(conn, outcome):
        def on_channel(channel):
            def on_declared(frame):
                queue = frame.method.queue
                for body in bodies:
                    channel.basic_publish("", queue, body)
                channel.basic_consume(queue, on_message, auto_ack=True)

            def on_message(_channel, _method, _properties, body):
                received.append(body)
                if len(received) == len(bodies):
                    conn.close()

            channel.queue_declare("", exclusive=True, callback=on_declared)

        conn.channel(on_open_callback=on_channel)

    outcome = run_select(pika_fast, parameters, drive=drive)
    assert not outcome.get("timed_out"), (len(received), outcome)
    assert isinstance(outcome.get("closed"), exceptions.ConnectionClosedByClient), outcome
    assert received == bodies


# ====================================================== amqps:// URL with ssl_options


@pytest.mark.parametrize("ca_key", ["ca_certs", "cafile"])
@pytest.mark.parametrize("adapter", ADAPTERS)
def test_amqps_url_with_ssl_options_query(broker, certs, adapter, ca_key):
    name = named("url")
    options = {ca_key: certs.ca_cert, "server_hostname": "localhost"}
    url = (f"amqps://guest:guest@127.0.0.1:{broker.tls_port}/%2F?"
           f"ssl_options={quoted_ssl_options(options)}&socket_timeout={SOCKET_TIMEOUT}"
           f"&client_properties={urllib.parse.quote(repr({'connection_name': name}))}")
    parameters = pika_fast.URLParameters(url)
    assert parameters.ssl_options is not None
    assert parameters.ssl_options.server_hostname == "localhost"
    assert parameters.port == broker.tls_port
    if adapter == "blocking":
        with pika_fast.BlockingConnection(parameters) as conn:
            row = broker.connection_row(name)
            assert blocking_round_trip(conn) == PAYLOAD
    else:
        outcome = run_select(pika_fast, parameters,
                             on_open=lambda conn: broker.connection_row(name))
        assert outcome.get("body") == PAYLOAD, outcome
        row = outcome["on_open"]
    assert (row["ssl"], row["user"]) == ("true", "guest"), row


def test_amqps_url_without_ssl_options_verifies_against_system_cas(broker):
    """``amqps://`` alone uses the default context: the test CA is not trusted, so the
    handshake fails promptly (it is not silently unverified)."""
    url = (f"amqps://guest:guest@localhost:{broker.tls_port}/%2F?"
           f"socket_timeout={SOCKET_TIMEOUT}&stack_timeout={STACK_TIMEOUT}")
    error, elapsed = blocking_failure(pika_fast, pika_fast.URLParameters(url))
    assert_prompt(elapsed)
    assert "CERTIFICATE_VERIFY_FAILED" in error_text(error), error_text(error)


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_amqps_url_client_certificate_with_key_password_and_external(broker, certs, adapter):
    """The URL's ssl_options may name an encrypted client key and its password; with
    ExternalCredentials the broker logs the connection in as the certificate's CN."""
    name = named("urlext")
    options = {"ca_certs": certs.ca_cert, "certfile": certs.client_cert,
               "keyfile": certs.client_key_encrypted,
               "password": certs.client_key_password, "server_hostname": "localhost"}
    parameters = pika_fast.URLParameters(
        f"amqps://127.0.0.1:{broker.tls_port}/%2F?ssl_options={quoted_ssl_options(options)}")
    parameters.credentials = pika_fast.credentials.ExternalCredentials()
    parameters.client_properties = {"connection_name": name}
    for shown in (repr(parameters), str(parameters), repr(parameters.ssl_options)):
        assert certs.client_key_password not in shown, shown
    if adapter == "blocking":
        with pika_fast.BlockingConnection(parameters) as conn:
            row = broker.connection_row(name)
            assert blocking_round_trip(conn) == PAYLOAD
    else:
        outcome = run_select(pika_fast, parameters,
                             on_open=lambda conn: broker.connection_row(name))
        assert outcome.get("body") == PAYLOAD, outcome
        row = outcome["on_open"]
    assert row["user"] == certs.client_cn, row
    assert row["auth_mechanism"] == "EXTERNAL", row


# ================================================= mutual TLS + EXTERNAL login


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_external_login_with_client_certificate(broker, certs, adapter):
    name = named("ext")
    parameters = pika_fast.ConnectionParameters(
        "127.0.0.1", broker.tls_port,
        credentials=pika_fast.credentials.ExternalCredentials(),
        client_properties={"connection_name": name},
        ssl_options=pika_fast.SSLOptions(
            client_context(certs.ca_cert, certs.client_cert, certs.client_key), "localhost"))
    if adapter == "blocking":
        with pika_fast.BlockingConnection(parameters) as conn:
            row = broker.connection_row(name)
            assert blocking_round_trip(conn) == PAYLOAD
    else:
        outcome = run_select(pika_fast, parameters,
                             on_open=lambda conn: broker.connection_row(name))
        assert outcome.get("body") == PAYLOAD, outcome
        row = outcome["on_open"]
    assert row["user"] == certs.client_cn, row
    assert row["auth_mechanism"] == "EXTERNAL", row
    assert row["ssl"] == "true", row
    assert f"CN={certs.client_cn}" in row["peer_cert_subject"], row


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_external_without_client_certificate_is_refused(broker, certs, adapter):
    parameters = bounded_params(
        pika_fast, broker.tls_port, credentials=pika_fast.credentials.ExternalCredentials(),
        ssl_options=pika_fast.SSLOptions(client_context(certs.ca_cert), "localhost"))
    error, elapsed = failure(adapter, pika_fast, parameters)
    assert_prompt(elapsed)
    assert isinstance(error, exceptions.ProbableAuthenticationError), repr(error)
    assert "EXTERNAL" in str(error)


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_client_certificate_from_unknown_ca_is_rejected(broker, certs, adapter):
    """verify_peer: a certificate the broker's CA did not issue ends the connection."""
    parameters = bounded_params(
        pika_fast, broker.tls_port,
        ssl_options=pika_fast.SSLOptions(
            client_context(certs.ca_cert, certs.rogue_client_cert, certs.rogue_client_key),
            "localhost"))
    error, elapsed = failure(adapter, pika_fast, parameters)
    assert_prompt(elapsed)
    assert isinstance(error, exceptions.IncompatibleProtocolError), repr(error)
    # The broker's "unknown CA" alert, or (when our AMQP header crossed the alert and
    # the broker's RST discarded it) the EOF: pika 1.4.4 shows either, too.
    text = error_text(error)
    assert "UNKNOWN_CA" in text or "EOF" in text, text


# ================================================================ TLS failures
#
# "Clear" means: the failure is reported (BlockingConnection raises, SelectConnection
# calls on_open_error_callback and not on_close_callback) well inside
# MAX_FAILURE_SECONDS, as an AMQPConnectionError (BlockingConnection) or an
# AMQPConnectionError / AMQPConnectionWorkflowFailed (what pika 1.4.4 hands a
# SelectConnection for a failed TLS setup), and its str/repr names the reason.


def assert_clear(adapter, error, *reasons):
    allowed = ((exceptions.AMQPConnectionError,) if adapter == "blocking" else
               (exceptions.AMQPConnectionError, exceptions.AMQPConnectionWorkflowFailed))
    assert isinstance(error, allowed), f"{type(error).__name__}: {error!r}"
    shown = f"{error!s} {error!r}"
    for reason in reasons:
        assert reason in shown, shown


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_wrong_ca_fails_promptly_and_clearly(broker, certs, adapter):
    parameters = bounded_params(
        pika_fast, broker.tls_port,
        ssl_options=pika_fast.SSLOptions(client_context(certs.other_ca_cert), "localhost"))
    error, elapsed = failure(adapter, pika_fast, parameters)
    assert_prompt(elapsed)
    assert_clear(adapter, error, "CERTIFICATE_VERIFY_FAILED")


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_hostname_mismatch_fails_promptly_and_clearly(broker, certs, adapter):
    context = client_context(certs.ca_cert)
    assert context.check_hostname
    parameters = bounded_params(pika_fast, broker.tls_port,
                                ssl_options=pika_fast.SSLOptions(context, "wrong.example"))
    error, elapsed = failure(adapter, pika_fast, parameters)
    assert_prompt(elapsed)
    assert_clear(adapter, error, "Hostname mismatch", "wrong.example")


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_server_certificate_for_another_host_is_rejected(certs, wrong_host_server, adapter):
    """No server_hostname given: the certificate (valid for wrong.example only) is
    checked against ``host`` and rejected."""
    parameters = bounded_params(
        pika_fast, wrong_host_server, host="localhost",
        ssl_options=pika_fast.SSLOptions(client_context(certs.ca_cert)))
    error, elapsed = failure(adapter, pika_fast, parameters)
    assert_prompt(elapsed)
    assert_clear(adapter, error, "Hostname mismatch", "localhost")


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_plain_client_to_tls_port_fails_promptly(broker, adapter):
    error, elapsed = failure(adapter, pika_fast, bounded_params(pika_fast, broker.tls_port))
    assert_prompt(elapsed)
    assert_clear(adapter, error)


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_tls_client_to_plain_port_fails_promptly(broker, certs, adapter):
    parameters = bounded_params(
        pika_fast, broker.plain_port,
        ssl_options=pika_fast.SSLOptions(client_context(certs.ca_cert), "localhost"))
    error, elapsed = failure(adapter, pika_fast, parameters)
    assert_prompt(elapsed)
    assert_clear(adapter, error, "WRONG_VERSION_NUMBER")


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_tls_handshake_to_silent_server_is_bounded(certs, silent_port, adapter):
    """The peer accepts TCP and never answers the ClientHello: bounded by the
    socket/stack timeouts, not a hang."""
    parameters = bounded_params(
        pika_fast, silent_port,
        ssl_options=pika_fast.SSLOptions(client_context(certs.ca_cert), "localhost"))
    error, elapsed = failure(adapter, pika_fast, parameters)
    assert elapsed < STACK_TIMEOUT + 2, f"took {elapsed:.1f} s"
    assert isinstance(error, (exceptions.AMQPConnectionError,
                              exceptions.AMQPConnectorException)), repr(error)


# ============================================ error classes compared with pika 1.4.4


def _scenario_parameters(scenario, lib, broker, certs, silent_port):
    """ConnectionParameters for a failure scenario, built with ``lib``."""
    tls = lambda context, hostname="localhost": lib.SSLOptions(context, hostname)  # noqa: E731
    if scenario == "wrong_ca":
        return bounded_params(lib, broker.tls_port,
                              ssl_options=tls(client_context(certs.other_ca_cert)))
    if scenario == "hostname_mismatch":
        return bounded_params(lib, broker.tls_port,
                              ssl_options=tls(client_context(certs.ca_cert), "wrong.example"))
    if scenario == "plain_to_tls_port":
        return bounded_params(lib, broker.tls_port)
    if scenario == "tls_to_plain_port":
        return bounded_params(lib, broker.plain_port,
                              ssl_options=tls(client_context(certs.ca_cert)))
    if scenario == "external_without_certificate":
        return bounded_params(lib, broker.tls_port,
                              credentials=lib.credentials.ExternalCredentials(),
                              ssl_options=tls(client_context(certs.ca_cert)))
    if scenario == "client_certificate_unknown_ca":
        return bounded_params(lib, broker.tls_port, ssl_options=tls(client_context(
            certs.ca_cert, certs.rogue_client_cert, certs.rogue_client_key)))
    if scenario == "bad_password_over_tls":
        return bounded_params(lib, broker.tls_port,
                              credentials=lib.PlainCredentials("guest", "not-the-password"),
                              ssl_options=tls(client_context(certs.ca_cert)))
    if scenario == "tls_handshake_stall":
        return bounded_params(lib, silent_port, ssl_options=tls(client_context(certs.ca_cert)))
    raise AssertionError(scenario)


SCENARIOS = ["wrong_ca", "hostname_mismatch", "plain_to_tls_port", "tls_to_plain_port",
             "external_without_certificate", "client_certificate_unknown_ca",
             "bad_password_over_tls", "tls_handshake_stall"]

@pytest.mark.parametrize("adapter,scenario",
                         [(adapter, scenario) for adapter in ADAPTERS for scenario in SCENARIOS])
def test_error_class_matches_pika(broker, certs, silent_port, adapter, scenario):
    reference, _ = failure(adapter, real_pika,
                           _scenario_parameters(scenario, real_pika, broker, certs, silent_port))
    error, elapsed = failure(adapter, pika_fast,
                             _scenario_parameters(scenario, pika_fast, broker, certs,
                                                  silent_port))
    assert_prompt(elapsed)
    expected = fast_equivalent(type(reference))
    assert isinstance(error, expected), (
        f"pika 1.4.4 reports {type(reference).__module__}.{type(reference).__name__} "
        f"({reference!r}); pika_fast reports {type(error).__module__}."
        f"{type(error).__name__} ({error!r}), which is not a subclass of "
        f"{expected.__module__}.{expected.__name__}")


# ====================================== legacy spelling: ssl=True + ssl_options dict


def _legacy_parameters(certs, port, ca_certs, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parameters = pika_fast.ConnectionParameters(
            "127.0.0.1", port, ssl=True,
            ssl_options={"ca_certs": ca_certs, "certfile": certs.client_cert,
                         "keyfile": certs.client_key, "cert_reqs": ssl.CERT_REQUIRED,
                         "server_hostname": "localhost"},
            **kwargs)
    return parameters, caught


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_legacy_ssl_true_with_options_dict_connects(broker, certs, adapter):
    name = named("legacy")
    parameters, caught = _legacy_parameters(certs, broker.tls_port, certs.ca_cert,
                                            client_properties={"connection_name": name})
    deprecations = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert deprecations, [str(w.message) for w in caught]
    assert any("ssl" in str(w.message) for w in deprecations)
    # Reported at the caller's line, not inside pika_fast.
    assert all(w.filename == __file__ for w in deprecations), [w.filename for w in deprecations]
    assert isinstance(parameters.ssl_options, pika_fast.SSLOptions)
    assert parameters.ssl_options.server_hostname == "localhost"
    assert parameters.ssl_options.context.verify_mode == ssl.CERT_REQUIRED
    if adapter == "blocking":
        with pika_fast.BlockingConnection(parameters) as conn:
            row = broker.connection_row(name)
            assert blocking_round_trip(conn) == PAYLOAD
    else:
        outcome = run_select(pika_fast, parameters,
                             on_open=lambda conn: broker.connection_row(name))
        assert outcome.get("body") == PAYLOAD, outcome
        row = outcome["on_open"]
    # The dict's certfile/keyfile were used: the broker saw the client certificate.
    assert row["ssl"] == "true", row
    assert f"CN={certs.client_cn}" in row["peer_cert_subject"], row


def test_legacy_ssl_options_dict_really_verifies(broker, certs):
    """The dict's ca_certs/cert_reqs are honoured: the wrong CA fails the handshake."""
    parameters, _ = _legacy_parameters(certs, broker.tls_port, certs.other_ca_cert,
                                       socket_timeout=SOCKET_TIMEOUT,
                                       stack_timeout=STACK_TIMEOUT)
    error, elapsed = blocking_failure(pika_fast, parameters)
    assert_prompt(elapsed)
    assert "CERTIFICATE_VERIFY_FAILED" in error_text(error), error_text(error)


# ================================================= passwords never shown anywhere


def _secret():
    return "pw-" + uuid.uuid4().hex


def _assert_hidden(secret, *things):
    for thing in things:
        text = error_text(thing) if isinstance(thing, BaseException) else (
            f"{thing!s}\n{thing!r}")
        assert secret not in text, f"the password shows in: {text}"


PASSWORD_SCENARIOS = ["wrong_password", "wrong_ca", "plain_to_tls_port", "tls_to_plain_port"]


@pytest.mark.parametrize("scenario", PASSWORD_SCENARIOS)
@pytest.mark.parametrize("adapter", ADAPTERS)
def test_url_password_not_in_parameters_or_errors(broker, certs, adapter, scenario):
    secret = _secret()
    port = broker.plain_port if scenario == "tls_to_plain_port" else broker.tls_port
    scheme = "amqp" if scenario == "plain_to_tls_port" else "amqps"
    query = f"socket_timeout={SOCKET_TIMEOUT}&stack_timeout={STACK_TIMEOUT}"
    if scheme == "amqps":
        ca = certs.other_ca_cert if scenario == "wrong_ca" else certs.ca_cert
        query += "&ssl_options=" + quoted_ssl_options(
            {"ca_certs": ca, "server_hostname": "localhost"})
    parameters = pika_fast.URLParameters(
        f"{scheme}://guest:{secret}@127.0.0.1:{port}/%2F?{query}")
    assert parameters.credentials.password == secret  # it is there, just never shown
    _assert_hidden(secret, parameters, parameters.credentials, parameters.ssl_options)
    error, elapsed = failure(adapter, pika_fast, parameters)
    assert_prompt(elapsed)
    if scenario == "wrong_password":
        assert isinstance(error, exceptions.ProbableAuthenticationError), repr(error)
    _assert_hidden(secret, error, parameters)


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_url_password_not_in_logs(broker, certs, adapter, caplog):
    secret = _secret()
    query = "ssl_options=" + quoted_ssl_options({"ca_certs": certs.other_ca_cert,
                                                 "server_hostname": "localhost"})
    parameters = pika_fast.URLParameters(
        f"amqps://guest:{secret}@127.0.0.1:{broker.tls_port}/%2F?{query}"
        f"&socket_timeout={SOCKET_TIMEOUT}&stack_timeout={STACK_TIMEOUT}")
    with caplog.at_level(logging.DEBUG):
        failure(adapter, pika_fast, parameters)
        wrong = pika_fast.URLParameters(
            f"amqps://guest:{secret}@127.0.0.1:{broker.tls_port}/%2F?"
            + "ssl_options=" + quoted_ssl_options({"ca_certs": certs.ca_cert,
                                                   "server_hostname": "localhost"}))
        failure(adapter, pika_fast, wrong)
    logged = "\n".join(record.getMessage() + (
        "".join(traceback.format_exception(*record.exc_info)) if record.exc_info else "")
        for record in caplog.records)
    assert logged, "expected pika_fast to log the failures"
    assert secret not in logged, logged


def test_key_password_not_shown_when_it_is_wrong(certs):
    """A wrong key password fails when the parameters are built; neither the error nor
    anything else shows it (URL query and legacy dict alike)."""
    wrong = _secret()
    options = {"ca_certs": certs.ca_cert, "certfile": certs.client_cert,
               "keyfile": certs.client_key_encrypted, "password": wrong}
    with pytest.raises(ssl.SSLError) as url_info:
        pika_fast.URLParameters(
            f"amqps://guest:guest@127.0.0.1:5671/%2F?ssl_options={quoted_ssl_options(options)}")
    _assert_hidden(wrong, url_info.value)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(ssl.SSLError) as legacy_info:
            pika_fast.ConnectionParameters("127.0.0.1", 5671, ssl=True, ssl_options=options)
    _assert_hidden(wrong, legacy_info.value)


def test_key_password_not_in_legacy_parameters_repr(certs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        parameters = pika_fast.ConnectionParameters(
            "127.0.0.1", 5671, ssl=True,
            ssl_options={"ca_certs": certs.ca_cert, "certfile": certs.client_cert,
                         "keyfile": certs.client_key_encrypted,
                         "password": certs.client_key_password})
    _assert_hidden(certs.client_key_password, parameters, parameters.ssl_options)


def test_old_documentation_url_form_connects(broker, certs):
    """The pika 0.x documentation's URL, as it was written: ``amqp://`` with
    ``heartbeat_interval`` and a URL-encoded ``ssl_options`` dict of key and cert files
    (here pointing at this node's TLS listener and the test's files)."""
    options = {"keyfile": certs.client_key, "certfile": certs.client_cert,
               "ca_certs": certs.ca_cert}
    url = (f"amqp://guest:guest@localhost:{broker.tls_port}/%2F?heartbeat_interval=30"
           f"&ssl_options={quoted_ssl_options(options)}")
    with pytest.warns(DeprecationWarning, match="heartbeat"):
        parameters = pika_fast.URLParameters(url)
    assert parameters.heartbeat == 30
    assert parameters.ssl_options is not None
    with pika_fast.BlockingConnection(parameters) as conn:
        assert conn._impl._core.heartbeat == 30
        assert blocking_round_trip(conn) == PAYLOAD
