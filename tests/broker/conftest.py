"""Fixtures for the broker tests: pika_fast's BlockingConnection against a real RabbitMQ.

The autouse fixtures apply to this suite's files (``test_blocking_*.py``) only:

* The broker at ``AMQP_URL`` must be reachable: if it is not, every test_blocking_* test
  *fails* (never skips), so a CI job cannot go green without having talked to it.
* Every test runs under a SIGALRM watchdog (default 60 s, ``@pytest.mark.broker_timeout(n)``
  to change it): a hang in the adapter becomes a failure, not a stuck CI job. Tests are
  bounded by design too (inactivity timeouts, time limits, call_later stops); the
  watchdog is only the backstop.
* Whatever a test declares with the ``names`` factory is deleted afterwards through an
  independent connection of the real pika 1.4.4, so cleanup works even when the test
  broke its pika_fast connection.
"""
import signal
import socket
import threading
import urllib.parse
import uuid

import pytest

import pika as real_pika  # the reference implementation; test-only dependency

import pika_fast

DEFAULT_TEST_TIMEOUT = 60.0


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "broker_timeout(seconds): per-test watchdog for the broker tests")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/broker/" in item.nodeid.replace("\\", "/") or \
                item.nodeid.startswith("broker/"):
            item.add_marker(pytest.mark.broker)


# --------------------------------------------------------------------- broker check


@pytest.fixture(scope="session")
def broker_address(amqp_url):
    parts = urllib.parse.urlparse(amqp_url)
    host = parts.hostname or "localhost"
    port = parts.port or (5671 if parts.scheme == "amqps" else 5672)
    try:
        with socket.create_connection((host, port), timeout=5):
            pass
    except OSError as exc:
        pytest.fail(f"The RabbitMQ broker at {host}:{port} (AMQP_URL={amqp_url!r}) is "
                    f"unreachable: {exc!r}. Broker tests never skip: start the broker "
                    "(make broker) or point AMQP_URL at one.", pytrace=False)
    return host, port


def _is_blocking_suite(request):
    """The autouse fixtures below serve this suite's files (test_blocking_*.py) only;
    other files in tests/broker keep their own conventions."""
    return request.node.fspath.basename.startswith("test_blocking_")


@pytest.fixture(autouse=True)
def _broker_reachable(request):
    """Every test_blocking_* test fails, not skips, when the broker is down."""
    if _is_blocking_suite(request):
        request.getfixturevalue("broker_address")


@pytest.fixture(autouse=True)
def _watchdog(request):
    """Turn a hang into a failure: SIGALRM raises in the (main) test thread."""
    if not _is_blocking_suite(request):
        yield
        return
    marker = request.node.get_closest_marker("broker_timeout")
    seconds = float(marker.args[0]) if marker else DEFAULT_TEST_TIMEOUT
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_alarm(signum, frame):
        raise TimeoutError(f"broker test exceeded its {seconds:.0f} s watchdog")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# ----------------------------------------------------------------------- parameters


@pytest.fixture
def params(amqp_url):
    """Fresh pika_fast URLParameters for the test broker."""
    return pika_fast.URLParameters(amqp_url)


@pytest.fixture
def real_params(amqp_url):
    """The same, for the real pika 1.4.4."""
    return real_pika.URLParameters(amqp_url)


def unique(prefix="q"):
    """A name no other test (or earlier run) uses."""
    return f"pika_fast.test.{prefix}.{uuid.uuid4().hex[:12]}"


# ---------------------------------------------------------------------- connections


class ConnectionFactory:
    """Opens pika_fast connections and closes whatever is still open at teardown."""

    def __init__(self, amqp_url):
        self.amqp_url = amqp_url
        self.opened = []

    def __call__(self, parameters=None, **overrides):
        if parameters is None:
            parameters = pika_fast.URLParameters(self.amqp_url)
        for key, value in overrides.items():
            setattr(parameters, key, value)
        conn = pika_fast.BlockingConnection(parameters)
        self.opened.append(conn)
        return conn

    def close_all(self):
        for conn in self.opened:
            try:
                if conn.is_open:
                    conn.close()
            except Exception:  # the test may have broken it on purpose
                pass


@pytest.fixture
def connect(amqp_url):
    factory = ConnectionFactory(amqp_url)
    yield factory
    factory.close_all()


@pytest.fixture
def connection(connect):
    return connect()


@pytest.fixture
def channel(connection):
    return connection.channel()


@pytest.fixture
def queue(channel):
    """A server-named, exclusive queue on ``channel`` (it dies with the connection)."""
    return channel.queue_declare("", exclusive=True).method.queue


class RealPika:
    """Connections of the real pika 1.4.4, for comparisons; closed at teardown."""

    def __init__(self, amqp_url):
        self.amqp_url = amqp_url
        self.opened = []

    def connect(self, **overrides):
        parameters = real_pika.URLParameters(self.amqp_url)
        for key, value in overrides.items():
            setattr(parameters, key, value)
        conn = real_pika.BlockingConnection(parameters)
        self.opened.append(conn)
        return conn

    def close_all(self):
        for conn in self.opened:
            try:
                if conn.is_open:
                    conn.close()
            except Exception:
                pass


@pytest.fixture
def real(amqp_url):
    helper = RealPika(amqp_url)
    yield helper
    helper.close_all()


class Names:
    """Unique queue/exchange names, deleted at teardown over a real-pika connection."""

    def __init__(self, amqp_url):
        self.amqp_url = amqp_url
        self.queues = []
        self.exchanges = []

    def queue(self, prefix="q"):
        name = unique(prefix)
        self.queues.append(name)
        return name

    def exchange(self, prefix="x"):
        name = unique(prefix)
        self.exchanges.append(name)
        return name

    def cleanup(self):
        if not (self.queues or self.exchanges):
            return
        conn = real_pika.BlockingConnection(real_pika.URLParameters(self.amqp_url))
        try:
            for kind, names in (("queue", self.queues), ("exchange", self.exchanges)):
                for name in names:
                    ch = conn.channel()
                    try:
                        if kind == "queue":
                            ch.queue_delete(name)
                        else:
                            ch.exchange_delete(name)
                        ch.close()
                    except Exception:
                        pass
        finally:
            if conn.is_open:
                conn.close()


@pytest.fixture
def names(amqp_url):
    tracker = Names(amqp_url)
    yield tracker
    tracker.cleanup()


class Observer:
    """An independent real-pika connection to look at queues from the outside."""

    def __init__(self, amqp_url):
        self._conn = real_pika.BlockingConnection(real_pika.URLParameters(amqp_url))
        self._ch = self._conn.channel()

    def _channel(self):
        if self._ch.is_closed:
            self._ch = self._conn.channel()
        return self._ch

    def message_count(self, queue):
        return self._channel().queue_declare(queue, passive=True).method.message_count

    def consumer_count(self, queue):
        return self._channel().queue_declare(queue, passive=True).method.consumer_count

    def exists(self, queue):
        try:
            self._channel().queue_declare(queue, passive=True)
            return True
        except real_pika.exceptions.ChannelClosedByBroker as exc:
            assert exc.reply_code == 404, exc
            return False

    def exchange_exists(self, exchange):
        try:
            self._channel().exchange_declare(exchange, passive=True)
            return True
        except real_pika.exceptions.ChannelClosedByBroker as exc:
            assert exc.reply_code == 404, exc
            return False

    def wait_for(self, predicate, timeout=5.0, interval=0.05):
        """Poll ``predicate()`` (while servicing this connection) until true or timeout."""
        import time

        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value or time.monotonic() >= deadline:
                return value
            self._conn.sleep(interval)

    def close(self):
        if self._conn.is_open:
            self._conn.close()


@pytest.fixture
def observer(amqp_url):
    obs = Observer(amqp_url)
    yield obs
    obs.close()


def wait_for_count(channel, queue, expected, timeout=5.0):
    """Poll a passive declare on ``channel`` until the queue holds ``expected`` ready
    messages (RabbitMQ's counts lag behind publishes a little); return the last count."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        count = channel.queue_declare(queue, passive=True).method.message_count
        if count == expected or time.monotonic() >= deadline:
            return count
        time.sleep(0.01)


@pytest.fixture
def count_settles():
    """``count_settles(channel, queue, n)`` -> last observed ready count (n when it got there)."""
    return wait_for_count
