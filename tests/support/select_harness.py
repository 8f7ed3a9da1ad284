"""The pika-vs-pika_fast callback harness of the SelectConnection tests.

Each scenario runs twice, with the real pika 1.4.4 and with pika_fast, logging every
callback with a normalised description of its arguments; the two logs must be equal.
"""
import re
import socket
import urllib.parse
import uuid
import pytest
import pika as real_pika
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

SCENARIO_TIMEOUT = 10.0


LIBS = (("pika", real_pika), ("pika_fast", pika_fast))

_FRAME_METHOD = (real_pika.frame.Method, pika_fast.frame.Method)
_AMQP_METHOD = (real_pika.amqp_object.Method, pika_fast.amqp_object.Method)
_PROPERTIES = (real_pika.spec.BasicProperties, pika_fast.spec.BasicProperties)
_CHANNEL = (real_pika.channel.Channel, pika_fast.channel.Channel)
_CONNECTION = (real_pika.connection.Connection, pika_fast.connection.Connection)
_CLOSED = (real_pika.exceptions.ConnectionClosed, real_pika.exceptions.ChannelClosed,
           pika_fast.exceptions.ConnectionClosed, pika_fast.exceptions.ChannelClosed)
_GENERATED = [(re.compile(r"amq\.gen-[A-Za-z0-9_\-]+"), "<amq.gen>"),
              (re.compile(r"ctag\d+\.[0-9a-f]{32}"), "<ctag>")]


class ReferenceMismatch(Exception):
    """The real pika did not behave as the test expects: the test itself is wrong."""


@pytest.fixture(scope="module")
def broker_url(amqp_url):
    """The broker URL; a broker that does not answer fails the test (never a skip)."""
    parts = urllib.parse.urlparse(amqp_url)
    host, port = parts.hostname or "localhost", parts.port or 5672
    try:
        socket.create_connection((host, port), timeout=5).close()
    except OSError as exc:
        pytest.fail(f"RabbitMQ at {host}:{port} (AMQP_URL={amqp_url!r}) is unreachable: "
                    f"{exc!r}. Broker tests never skip.", pytrace=False)
    return amqp_url


class Names:
    """Unique queue/exchange names; deleted at teardown over a real-pika connection."""

    def __init__(self, url):
        self.url = url
        self.queues, self.exchanges = [], []

    def queue(self):
        name = f"pika_fast.test.sel.q.{uuid.uuid4().hex[:12]}"
        self.queues.append(name)
        return name

    def exchange(self):
        name = f"pika_fast.test.sel.x.{uuid.uuid4().hex[:12]}"
        self.exchanges.append(name)
        return name

    def cleanup(self):
        if not (self.queues or self.exchanges):
            return
        conn = real_pika.BlockingConnection(real_pika.URLParameters(self.url))
        try:
            for names, delete in ((self.queues, "queue_delete"),
                                  (self.exchanges, "exchange_delete")):
                for name in names:
                    ch = conn.channel()
                    try:
                        getattr(ch, delete)(name)
                        ch.close()
                    except real_pika.exceptions.ChannelClosedByBroker:
                        pass
        finally:
            conn.close()


@pytest.fixture
def sel_names(broker_url):
    tracker = Names(broker_url)
    yield tracker
    tracker.cleanup()


class Session:
    """One scenario run with one library's SelectConnection, under a deadline.

    ``record(tag, *args)`` logs a callback with a description of its arguments that does
    not depend on the library (class names, method names and fields, exception codes);
    the names the session handed out are replaced by stable aliases (<q1>, <x1>, ...).
    """

    def __init__(self, lib_name, lib, url, names, timeout=SCENARIO_TIMEOUT):
        self.lib_name, self.lib, self.url, self.names = lib_name, lib, url, names
        self.timeout = timeout
        self.log = []
        self.conn = None
        self.timed_out = False
        self.shutting_down = False
        self._aliases = {}
        self._stop_on_close = True

    # -- names and logging

    def queue(self):
        name = self.names.queue()
        self._aliases[name] = f"<q{sum(a.startswith('<q') for a in self._aliases.values()) + 1}>"
        return name

    def exchange(self):
        name = self.names.exchange()
        self._aliases[name] = f"<x{sum(a.startswith('<x') for a in self._aliases.values()) + 1}>"
        return name

    def alias(self, value, label):
        self._aliases[value] = label

    def _text(self, text):
        for name, label in self._aliases.items():
            text = text.replace(name, label)
        for pattern, label in _GENERATED:
            text = pattern.sub(label, text)
        return text

    def describe(self, value):
        if isinstance(value, _FRAME_METHOD):
            return f"Method[{value.channel_number}]{self.describe(value.method)}"
        if isinstance(value, _AMQP_METHOD):
            fields = {k: v for k, v in vars(value).items() if not k.startswith("_")}
            return self._text(f"{value.NAME}{sorted(fields.items())}")
        if isinstance(value, _PROPERTIES):
            fields = {k: v for k, v in vars(value).items() if v is not None}
            return self._text(f"BasicProperties{sorted(fields.items())}")
        if isinstance(value, _CLOSED):
            return self._text(f"{type(value).__name__}({value.reply_code}, "
                              f"{value.reply_text!r})")
        if isinstance(value, BaseException):
            return type(value).__name__
        if isinstance(value, _CHANNEL):
            return f"Channel[{value.channel_number}]"
        if isinstance(value, _CONNECTION):
            return type(value).__name__
        if isinstance(value, str):
            return self._text(value)
        if value is None or type(value) in (bytes, bool, int, float):
            return value
        if isinstance(value, (list, tuple)):
            return tuple(self.describe(v) for v in value)
        return f"<{type(value).__name__}>"

    def record(self, tag, *args):
        self.log.append((tag,) + tuple(self.describe(a) for a in args))

    # -- running

    def params(self, **overrides):
        params = self.lib.URLParameters(self.url)
        for key, value in overrides.items():
            setattr(params, key, value)
        return params

    def connect(self, on_open, params=None, on_open_error=None, on_close=None,
                stop_on_close=True):
        """Open a SelectConnection and run its ioloop until the scenario ends."""
        self._stop_on_close = stop_on_close
        self._user_on_close = on_close
        self._user_on_open_error = on_open_error
        self.conn = self.lib.SelectConnection(
            params if params is not None else self.params(),
            on_open_callback=on_open,
            on_open_error_callback=self._on_open_error,
            on_close_callback=self._on_close)
        self.run_loop(self.conn.ioloop)
        return self.log

    def _on_open_error(self, conn, error):
        if self._user_on_open_error is not None:
            self._user_on_open_error(conn, error)
        else:
            self.record("open_error", conn, error)
        conn.ioloop.stop()

    def _on_close(self, conn, error):
        if self.shutting_down:
            conn.ioloop.stop()
            return
        if self._user_on_close is not None:
            self._user_on_close(conn, error)
        else:
            self.record("connection_closed", conn, error)
        if self._stop_on_close:
            conn.ioloop.stop()

    def run_loop(self, loop):
        """Run ``loop`` until a callback stops it or SCENARIO_TIMEOUT passes; then tidy up."""
        self.loop = loop

        def on_timeout():
            self.timed_out = True
            loop.stop()

        timer = loop.call_later(self.timeout, on_timeout)
        try:
            loop.start()
        finally:
            loop.remove_timeout(timer)
            self.shutdown()
        assert not self.timed_out, (
            f"{self.lib_name}: scenario did not finish within {self.timeout} s; "
            f"callbacks so far: {self.log}")

    def shutdown(self):
        """Close whatever the scenario left open (after a failure), then the loop."""
        self.shutting_down = True
        conn, loop = self.conn, self.loop
        try:
            if conn is not None and not conn.is_closed:
                conn.add_on_close_callback(lambda *_: loop.stop())
                if not conn.is_closing:
                    conn.close()
                timer = loop.call_later(3, loop.stop)
                loop.start()
                loop.remove_timeout(timer)
        except Exception:  # noqa: BLE001 - best effort after a failure
            pass
        finally:
            loop.close()

    def stop(self):
        self.loop.stop()


def run_both(url, names, scenario, expected=None, timeout=SCENARIO_TIMEOUT):
    """Run ``scenario(session)`` with pika then pika_fast; their logs must be equal.

    ``expected``: what the pika run must have logged (checked first; a difference there
    raises ReferenceMismatch, not AssertionError, so an xfail mark cannot hide it).
    """
    logs = {}
    for lib_name, lib in LIBS:
        session = Session(lib_name, lib, url, names, timeout)
        if lib_name == "pika":
            try:
                scenario(session)
            except Exception as exc:  # noqa: BLE001
                raise ReferenceMismatch(
                    f"the real pika failed the scenario: {exc!r}; log: {session.log}") from exc
            if expected is not None and session.log != expected:
                raise ReferenceMismatch(
                    f"the real pika logged\n{session.log}\ninstead of\n{expected}")
        else:
            scenario(session)
        logs[lib_name] = session.log
    # tests/support is not assertion-rewritten: say what differed.
    assert logs["pika_fast"] == logs["pika"], (
        f"pika logged\n{logs['pika']}\npika_fast logged\n{logs['pika_fast']}")
    return logs["pika"]
