"""Run one application idiom under pika 1.4.4 and under pika_fast, and compare.

An idiom is a plain function ``scenario(x)`` written the way an application writes its
pika code, against ``x.lib`` (the real ``pika`` module or ``pika_fast``). It records what
an application could observe with ``x.rec(tag, *values)``: return values, message bodies
and properties, the order callbacks ran in, exception classes with reply codes, states.
Values are turned into a library-neutral form by :func:`tests.support.adapters.describe`
(class names, method fields, generated names replaced by aliases), so the pika run and
the pika_fast run produce equal logs exactly when the two behave alike.

:func:`run_idiom` runs the scenario first on pika (a failure there means the test is
wrong, reported as :class:`~tests.support.adapters.ReferenceMismatch`), then on
pika_fast, and asserts the logs are equal. Each run is bounded by a SIGALRM watchdog in
the main thread and closes every connection it opened; queues and exchanges made with
``x.queue()``/``x.exchange()`` are deleted afterwards over an independent real-pika
connection. Callback-style scenarios (SelectConnection, AsyncioConnection) use
:class:`AsyncLoop` to start and stop the adapter's own loop the same way on both sides.
"""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import threading
import urllib.parse
from typing import Any, Callable, Dict, List, Optional, Tuple

import pika as real_pika
import pika.adapters.asyncio_connection  # noqa: F401  (loads the submodule)
import pika.adapters.select_connection  # noqa: F401
import pytest

import pika_fast
import pika_fast.adapters.asyncio_connection
import pika_fast.adapters.select_connection  # noqa: F401

from tests.support.adapters import (NameTracker, Namer, ReferenceMismatch, _diff,
                                    describe)

AMQP_URL = os.environ.get("AMQP_URL") or "amqp://guest:guest@127.0.0.1:5672/%2F"
#: each run of a scenario (one library) must finish within this many seconds
IDIOM_TIMEOUT = 30.0
LIBS = {"pika": real_pika, "pika_fast": pika_fast}


class IdiomTimeout(AssertionError):
    """A scenario ran past its watchdog: a hang, reported as a failure."""


def require_broker(url: str = AMQP_URL) -> None:
    """Fail (never skip) when the broker is unreachable."""
    parts = urllib.parse.urlparse(url)
    host, port = parts.hostname or "localhost", parts.port or 5672
    try:
        with socket.create_connection((host, port), timeout=5):
            pass
    except OSError as exc:
        pytest.fail(f"The RabbitMQ broker at {host}:{port} is unreachable ({exc!r}); the "
                    "idiom tests never skip: start it (make broker) or set AMQP_URL.",
                    pytrace=False)


class Idiom:
    """What a scenario sees: the library under test, names, connections, the log."""

    def __init__(self, lib: Any, tracker: NameTracker, url: str = AMQP_URL) -> None:
        self.lib = lib
        self.url = url
        self.namer = Namer(tracker)
        self.log: List[Tuple[Any, ...]] = []
        self.opened: List[Any] = []
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return "pika" if self.lib is real_pika else "pika_fast"

    # -- observations

    def rec(self, tag: str, *values: Any) -> None:
        """Log one observation (thread-safe: worker threads record too)."""
        entry = (tag,) + tuple(describe(v, self.namer) for v in values)
        with self._lock:
            self.log.append(entry)

    def exc(self, tag: str, fn: Callable[[], Any]) -> Any:
        """Call ``fn``; log its result, or the exception it raised (class, reply code)."""
        try:
            result = fn()
        except Exception as error:  # noqa: BLE001 - the observation
            self.rec(tag, "raised", error)
            return error
        self.rec(tag, "ok", result)
        return result

    # -- names

    def queue(self) -> str:
        """A unique queue name, deleted after the test."""
        return self.namer.queue()

    def exchange(self) -> str:
        return self.namer.exchange()

    def alias(self, name: str) -> None:
        """Log a broker-generated name (``amq.gen-…``, reply-to) under a stable alias."""
        self.namer.aliases.setdefault(name, f"<n{len(self.namer.aliases) + 1}>")

    # -- connections

    def params(self, url: Optional[str] = None, **overrides: Any) -> Any:
        params = self.lib.URLParameters(url or self.url)
        for key, value in overrides.items():
            setattr(params, key, value)
        return params

    def connect(self, params: Any = None, **overrides: Any) -> Any:
        """A BlockingConnection, closed at the end of the run if still open."""
        conn = self.lib.BlockingConnection(params if params is not None
                                           else self.params(**overrides))
        self.opened.append(conn)
        return conn

    def track(self, conn: Any) -> Any:
        """Close ``conn`` (any adapter) at the end of the run if the scenario did not."""
        self.opened.append(conn)
        return conn

    def close_all(self) -> None:
        for conn in self.opened:
            try:
                if getattr(conn, "is_open", False) and \
                        hasattr(conn, "process_data_events"):
                    conn.close()
            except Exception:  # noqa: BLE001 - best effort after the run
                pass


def _watchdog(seconds: float, what: str) -> Callable[[], None]:
    """SIGALRM raises in the main thread when a run hangs (the test fails, not hangs)."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def on_alarm(signum: int, frame: Any) -> None:
        raise IdiomTimeout(f"{what} exceeded its {seconds:.0f} s watchdog")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)

    def disarm() -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    return disarm


def run_one(lib: Any, scenario: Callable[[Idiom], Any], tracker: NameTracker,
            timeout: float = IDIOM_TIMEOUT) -> List[Tuple[Any, ...]]:
    """Run ``scenario`` against ``lib``; return its log."""
    x = Idiom(lib, tracker)
    disarm = _watchdog(timeout, f"{x.name} scenario")
    try:
        scenario(x)
    finally:
        disarm()
        x.close_all()
    return x.log


def run_idiom(scenario: Callable[[Idiom], Any], tracker: NameTracker,
              timeout: float = IDIOM_TIMEOUT) -> List[Tuple[Any, ...]]:
    """Run ``scenario`` on pika 1.4.4 then pika_fast; the logs must be equal."""
    try:
        reference = run_one(real_pika, scenario, tracker, timeout)
    except Exception as exc:  # noqa: BLE001
        raise ReferenceMismatch(f"pika 1.4.4 failed the scenario: {exc!r}") from exc
    ours = run_one(pika_fast, scenario, tracker, timeout)
    assert ours == reference, _diff(reference, ours)
    return ours


# ------------------------------------------------------------- callback-style adapters

ASYNC_ADAPTERS = ("select", "asyncio")


class AsyncLoop:
    """Open, run and stop a SelectConnection or AsyncioConnection the same way for
    both libraries: ``loop.connect(on_open, on_open_error, on_close)``,
    ``loop.run()`` (returns when the scenario calls ``loop.stop()`` or at the
    deadline), ``loop.call_later(delay, fn)``."""

    def __init__(self, x: Idiom, adapter: str, timeout: float = 15.0) -> None:
        self.x, self.adapter, self.timeout = x, adapter, timeout
        self.conn: Any = None
        self.timed_out = False
        self.aio: Optional[asyncio.AbstractEventLoop] = None
        if adapter == "asyncio":
            self.aio = asyncio.new_event_loop()

    def connect(self, on_open: Callable[[Any], None],
                on_open_error: Optional[Callable[[Any, Any], None]] = None,
                on_close: Optional[Callable[[Any, Any], None]] = None,
                params: Any = None) -> Any:
        lib = self.x.lib
        params = params if params is not None else self.x.params()
        kwargs: Dict[str, Any] = dict(on_open_callback=on_open,
                                      on_open_error_callback=on_open_error,
                                      on_close_callback=on_close)
        if self.adapter == "select":
            self.conn = lib.SelectConnection(params, **kwargs)
        else:
            cls = lib.adapters.asyncio_connection.AsyncioConnection
            self.conn = cls(params, custom_ioloop=self.aio, **kwargs)
        return self.conn

    def call_later(self, delay: float, fn: Callable[[], None]) -> Any:
        if self.aio is not None:
            return self.aio.call_later(delay, fn)
        return self.conn.ioloop.call_later(delay, fn)

    def stop(self) -> None:
        if self.aio is not None:
            self.aio.stop()
        else:
            self.conn.ioloop.stop()

    def _deadline(self) -> None:
        self.timed_out = True
        self.stop()

    def run(self) -> None:
        """Run the loop until ``stop()``; a run past the deadline fails the test."""
        watchdog = self.call_later(self.timeout, self._deadline)
        try:
            if self.aio is not None:
                self.aio.run_forever()
            else:
                self.conn.ioloop.start()
        finally:
            self._cancel(watchdog)
        if self.timed_out:
            self.shutdown()
            raise IdiomTimeout(f"{self.x.name} {self.adapter}: the loop ran past "
                               f"{self.timeout} s; log so far: {self.x.log}")

    def _cancel(self, handle: Any) -> None:
        if self.aio is not None:
            handle.cancel()
        else:
            self.conn.ioloop.remove_timeout(handle)

    def shutdown(self) -> None:
        """Close the connection if the scenario left it open, and the asyncio loop."""
        conn = self.conn
        try:
            if conn is not None and not conn.is_closed:
                if not conn.is_closing:
                    conn.close()
                self.call_later(3, self.stop)
                if self.aio is not None:
                    self.aio.run_forever()
                else:
                    conn.ioloop.start()
        except Exception:  # noqa: BLE001 - best effort
            pass
        finally:
            if self.aio is not None:
                self.aio.close()
            elif conn is not None:
                try:
                    conn.ioloop.close()
                except Exception:  # noqa: BLE001
                    pass

