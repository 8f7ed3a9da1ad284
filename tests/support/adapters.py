"""Drivers that run one broker scenario on any adapter, pika's or pika_fast's.

A scenario is a generator function ``scenario(s)`` written once for every adapter. It
yields *operations* built by the driver ``s`` (``ch = yield s.channel()``,
``ok = yield s.rpc(ch, "queue_declare", "", exclusive=True)``) and gets each result
back, or the exception the adapter reported, raised at the ``yield``. Each driver turns
the operations into its adapter's native style: direct calls for the blocking ones,
callbacks resumed from the event loop for select/asyncio/tornado/gevent, Deferreds for
Twisted. Handlers (message, confirm, return, cancel, close) are the scenario's own
functions; the native channel is what they receive, so an ack is ``ch.basic_ack(tag)``
on every adapter.

``s.record(tag, *values)`` logs an observation in a library-neutral form (class names,
method names and fields, reply codes and texts; generated names replaced by aliases).
``run_both`` runs the scenario with pika 1.4.4's adapter of the same name and then
with pika_fast's, and asserts that the two logs are equal. Every run is bounded by a
watchdog: the loop drivers stop their loop at the deadline; every driver also arms a
SIGALRM backstop that raises in the main thread.
"""
from __future__ import annotations

import asyncio
import importlib
import re
import signal
import threading
import time
import urllib.parse
import uuid
from typing import Any, Callable, Dict, Generator, List, Optional, Tuple

import pika as real_pika
import pika.adapters.asyncio_connection  # noqa: F401  (loads the submodule)
import pika.adapters.select_connection  # noqa: F401
import pika.amqp_object  # noqa: F401
import pika.exceptions  # noqa: F401
import pika.frame  # noqa: F401
import pika.spec  # noqa: F401

import pika_fast
import pika_fast.adapters.asyncio_connection
import pika_fast.amqp_object
import pika_fast.exceptions
import pika_fast.frame
import pika_fast.spec

SCENARIO_TIMEOUT = 30.0
Scenario = Callable[["Driver"], Generator[Any, Any, None]]

_GENERATED = [(re.compile(r"amq\.gen-[A-Za-z0-9_\-]+"), "<amq.gen>"),
              (re.compile(r"ctag\d+\.[0-9a-f]{32}"), "<ctag>")]


class ScenarioTimeout(AssertionError):
    """The scenario did not finish before its deadline."""


class ReferenceMismatch(Exception):
    """pika 1.4.4 itself failed the scenario: the test, not pika_fast, is wrong."""


# ------------------------------------------------------------------ describing values


def _is(value: Any, *names: str) -> bool:
    """Duck-typed class check that works for pika's and pika_fast's classes alike."""
    return any(cls.__name__ in names for cls in type(value).__mro__)


class Namer:
    """Queue/exchange names for one scenario, with stable aliases for the log."""

    def __init__(self, tracker: "NameTracker") -> None:
        self.tracker = tracker
        self.aliases: Dict[str, str] = {}

    def queue(self) -> str:
        name = self.tracker.queue()
        self.aliases[name] = f"<q{sum(a.startswith('<q') for a in self.aliases.values()) + 1}>"
        return name

    def exchange(self) -> str:
        name = self.tracker.exchange()
        self.aliases[name] = f"<x{sum(a.startswith('<x') for a in self.aliases.values()) + 1}>"
        return name

    def text(self, text: str) -> str:
        for name, label in self.aliases.items():
            text = text.replace(name, label)
        for pattern, label in _GENERATED:
            text = pattern.sub(label, text)
        return text


def describe(value: Any, namer: Optional[Namer] = None) -> Any:
    """A form of ``value`` that is equal for pika and pika_fast when they behave alike."""
    text = namer.text if namer is not None else (lambda t: t)
    if _is(value, "Method") and hasattr(value, "method") and hasattr(value, "channel_number"):
        return f"Method[{value.channel_number}]{describe(value.method, namer)}"
    if _is(value, "Method", "Class") and hasattr(value, "NAME"):
        fields = {k: v for k, v in vars(value).items() if not k.startswith("_")}
        return text(f"{value.NAME}{sorted(fields.items())}")
    if _is(value, "BasicProperties"):
        fields = {k: v for k, v in vars(value).items() if v is not None}
        return text(f"BasicProperties{sorted(fields.items())}")
    if isinstance(value, BaseException):
        if _is(value, "ConnectionDone") and _is(value, "ConnectionClosed"):
            # pika's Twisted adapter reports a bare twisted ConnectionDone for a clean
            # close; ours is also the ConnectionClosed with its reply code and text
            # (a deliberate difference, tested in test_deliberate_differences).
            return "ConnectionDone"
        if hasattr(value, "reply_code") and hasattr(value, "reply_text"):
            return text(f"{type(value).__name__}({value.reply_code}, {value.reply_text!r})")
        return type(value).__name__
    if hasattr(value, "channel_number") and hasattr(value, "basic_publish"):
        return f"Channel[{value.channel_number}]"
    if isinstance(value, str):
        return text(value)
    if value is None or type(value) in (bytes, bool, int, float):
        return value
    if isinstance(value, (list, tuple)):
        return tuple(describe(v, namer) for v in value)
    return f"<{type(value).__name__}>"


class NameTracker:
    """Unique names; the queues and exchanges are deleted afterwards over real pika."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.queues: List[str] = []
        self.exchanges: List[str] = []

    def queue(self) -> str:
        name = f"pika_fast.test.adp.q.{uuid.uuid4().hex[:12]}"
        self.queues.append(name)
        return name

    def exchange(self) -> str:
        name = f"pika_fast.test.adp.x.{uuid.uuid4().hex[:12]}"
        self.exchanges.append(name)
        return name

    def cleanup(self) -> None:
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


# ------------------------------------------------------------------------ operations


class Op:
    """One request a scenario yields; the driver carries it out."""

    __slots__ = ("kind", "args", "kwargs")

    def __init__(self, kind: str, *args: Any, **kwargs: Any) -> None:
        self.kind, self.args, self.kwargs = kind, args, kwargs

    def __repr__(self) -> str:
        return f"Op({self.kind}, {self.args}, {self.kwargs})"


class Driver:
    """What a scenario sees. Subclasses carry the operations out on one adapter."""

    #: the adapter's family: "sync" (blocking, threadsafe), "callback", "deferred"
    style = "sync"

    def __init__(self, adapter: str, lib: Any, url: str, namer: Namer,
                 timeout: float = SCENARIO_TIMEOUT) -> None:
        self.adapter, self.lib, self.url, self.namer = adapter, lib, url, namer
        self.timeout = timeout
        self.log: List[Tuple[Any, ...]] = []
        self.conn: Any = None
        self.exceptions = lib.exceptions
        self.spec = lib.spec

    #: set for runs compared with a threaded adapter: see :meth:`across_threads`
    threaded = False

    def across_threads(self, events: List[Any]) -> List[Any]:
        """Events recorded by callbacks of different channels (or a channel and the
        connection): ordered on one thread, unordered across worker threads, so they
        are compared as a sorted list wherever a threaded adapter takes part."""
        return sorted(events, key=repr) if self.threaded else events

    @property
    def lib_name(self) -> str:
        return "pika" if self.lib is real_pika else "pika_fast"

    # -- what scenarios call (each returns an Op to yield, except record/params)

    def record(self, tag: str, *values: Any) -> None:
        self.log.append((tag,) + tuple(describe(v, self.namer) for v in values))

    def params(self, url: Optional[str] = None, **overrides: Any) -> Any:
        params = self.lib.URLParameters(url or self.url)
        for key, value in overrides.items():
            setattr(params, key, value)
        return params

    def connect(self, params: Any = None, on_close: Optional[Callable[..., None]] = None) -> Op:
        """Open the connection; ``on_close(conn, error)`` when it closes (callback styles)."""
        return Op("connect", params, on_close)

    def channel(self, on_close: Optional[Callable[..., None]] = None) -> Op:
        """Open a channel; ``on_close(channel, error)`` when it closes (callback styles)."""
        return Op("channel", on_close)

    def rpc(self, ch: Any, method: str, *args: Any, **kwargs: Any) -> Op:
        """A synchronous AMQP method (queue_declare, basic_qos, ...): its reply frame."""
        return Op("rpc", ch, method, *args, **kwargs)

    def consume(self, ch: Any, queue: str, on_message: Callable[..., None],
                **kwargs: Any) -> Op:
        """basic_consume; the result is the consumer tag."""
        return Op("consume", ch, queue, on_message, **kwargs)

    def cancel(self, ch: Any, consumer_tag: str) -> Op:
        return Op("cancel", ch, consumer_tag)

    def get(self, ch: Any, queue: str, auto_ack: bool = False) -> Op:
        """basic_get: ``(method, properties, body)``, or None when the queue is empty."""
        return Op("get", ch, queue, auto_ack)

    def publish(self, ch: Any, exchange: str, routing_key: str, body: bytes,
                properties: Any = None, mandatory: bool = False) -> Op:
        return Op("publish", ch, exchange, routing_key, body, properties, mandatory)

    def confirm(self, ch: Any, on_confirm: Callable[..., None]) -> Op:
        """Enter confirm mode; ``on_confirm(method_frame)`` per Ack/Nack where the
        adapter reports them by callback (the blocking one raises from publish)."""
        return Op("confirm", ch, on_confirm)

    def on_return(self, ch: Any, callback: Callable[..., None]) -> Op:
        return Op("on_return", ch, callback)

    def on_cancel(self, ch: Any, callback: Callable[..., None]) -> Op:
        return Op("on_cancel", ch, callback)

    def on_blocked(self, blocked: Callable[..., None], unblocked: Callable[..., None]) -> Op:
        return Op("on_blocked", blocked, unblocked)

    def close_channel(self, ch: Any) -> Op:
        """Close a channel and wait until it is closed."""
        return Op("close_channel", ch)

    def close(self) -> Op:
        """Close the connection and wait until it is closed."""
        return Op("close")

    def wait(self, predicate: Callable[[], bool], timeout: float = 10.0) -> Op:
        """Let the adapter work until ``predicate()``; the result says whether it held."""
        return Op("wait", predicate, timeout)

    def call(self, fn: Callable[[], Any]) -> Op:
        """Run ``fn()`` where the adapter runs user code (its loop or thread)."""
        return Op("call", fn)

    # -- running

    def run(self, scenario: Scenario) -> List[Tuple[Any, ...]]:
        raise NotImplementedError


def _backstop(seconds: float) -> Callable[[], None]:
    """A SIGALRM that raises in the main thread if everything else failed to stop us."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def on_alarm(signum: int, frame: Any) -> None:
        raise ScenarioTimeout(f"scenario exceeded its {seconds:.0f} s backstop")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)

    def disarm() -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    return disarm


# ----------------------------------------------------------------------- blocking


class BlockingDriver(Driver):
    """BlockingConnection: every operation is a direct call; waits pump the connection."""

    style = "sync"

    def run(self, scenario: Scenario) -> List[Tuple[Any, ...]]:
        disarm = _backstop(self.timeout + 15)
        self.deadline = time.monotonic() + self.timeout
        gen = scenario(self)
        try:
            value: Any = None
            error: Optional[BaseException] = None
            while True:
                try:
                    op = gen.throw(error) if error is not None else gen.send(value)
                except StopIteration:
                    break
                value, error = None, None
                try:
                    value = self.execute(op)
                except (AssertionError, ScenarioTimeout):
                    raise
                except Exception as exc:  # noqa: BLE001 - handed to the scenario
                    error = exc
                if time.monotonic() > self.deadline:
                    raise ScenarioTimeout(f"{self.lib_name} {self.adapter}: scenario took "
                                          f"over {self.timeout} s; log: {self.log}")
        finally:
            gen.close()
            self.shutdown()
            disarm()
        return self.log

    def open_connection(self, params: Any) -> Any:
        return self.lib.BlockingConnection(params)

    def pump(self, seconds: float) -> None:
        self.conn.process_data_events(time_limit=seconds)

    def execute(self, op: Op) -> Any:
        kind, args, kwargs = op.kind, op.args, op.kwargs
        if kind == "connect":
            params, _on_close = args
            self.conn = self.open_connection(params if params is not None else self.params())
            return self.conn
        if kind == "channel":
            return self.conn.channel()
        if kind == "rpc":
            ch, name, *rest = args
            return getattr(ch, name)(*rest, **kwargs)
        if kind == "consume":
            ch, queue, on_message = args
            return ch.basic_consume(queue, on_message, **kwargs)
        if kind == "cancel":
            ch, tag = args
            return ch.basic_cancel(tag)
        if kind == "get":
            ch, queue, auto_ack = args
            method, properties, body = ch.basic_get(queue, auto_ack=auto_ack)
            return None if method is None else (method, properties, body)
        if kind == "publish":
            ch, exchange, routing_key, body, properties, mandatory = args
            return ch.basic_publish(exchange, routing_key, body, properties, mandatory)
        if kind == "confirm":
            return args[0].confirm_delivery()
        if kind == "on_return":
            return args[0].add_on_return_callback(args[1])
        if kind == "on_cancel":
            return args[0].add_on_cancel_callback(args[1])
        if kind == "on_blocked":
            self.conn.add_on_connection_blocked_callback(args[0])
            self.conn.add_on_connection_unblocked_callback(args[1])
            return None
        if kind == "close_channel":
            return args[0].close()
        if kind == "close":
            return self.conn.close()
        if kind == "wait":
            predicate, timeout = args
            deadline = time.monotonic() + timeout
            while not predicate():
                if time.monotonic() >= deadline:
                    return False
                self.pump(0.02)
            return True
        if kind == "call":
            return args[0]()
        raise ValueError(f"unknown operation {op!r}")

    def shutdown(self) -> None:
        conn = self.conn
        try:
            if conn is not None and conn.is_open:
                conn.close()
        except Exception:  # noqa: BLE001 - best effort after a failure
            pass


# ------------------------------------------------------------------- callback loops


class LoopDriver(Driver):
    """A callback adapter: the scenario is resumed from the adapter's event loop.

    Subclasses supply the loop: ``make_connection``, ``loop_call_later``,
    ``loop_cancel``, ``loop_run`` (until ``loop_stop``) and ``loop_close``.
    """

    style = "callback"
    poll_interval = 0.02

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.gen: Any = None
        self.finished = False
        self.failure: Optional[BaseException] = None
        self.timed_out = False
        self._pending: Optional[Tuple[str, Any]] = None  # what the scenario waits for
        self._waiter: Optional[Tuple[Callable[[], bool], Any]] = None
        self._on_close_user: Optional[Callable[..., None]] = None
        self._channel_waits: Dict[int, Any] = {}  # channel number -> what is awaited
        self._channel_hooks: Dict[int, Any] = {}  # channel number -> scenario's on_close
        self.shutting_down = False

    # -- the loop (subclasses)

    def make_connection(self, params: Any, on_open: Any, on_open_error: Any,
                        on_close: Any) -> Any:
        raise NotImplementedError

    def loop_call_later(self, delay: float, fn: Callable[[], None]) -> Any:
        raise NotImplementedError

    def loop_cancel(self, handle: Any) -> None:
        raise NotImplementedError

    def loop_run(self) -> None:
        raise NotImplementedError

    def loop_stop(self) -> None:
        raise NotImplementedError

    def loop_close(self) -> None:
        pass

    # -- stepping

    def run(self, scenario: Scenario) -> List[Tuple[Any, ...]]:
        disarm = _backstop(self.timeout + 15)
        self.gen = scenario(self)
        watchdog = None
        try:
            self.prepare_loop()
            watchdog = self.loop_call_later(self.timeout, self._on_deadline)
            self.loop_call_later(0, lambda: self._step(None, None))
            self.loop_run()
            if watchdog is not None:
                self.loop_cancel(watchdog)
        finally:
            self.gen.close()
            try:
                self.shutdown()
            finally:
                self.loop_close()
                disarm()
        if self.failure is not None:
            raise self.failure
        if self.timed_out or not self.finished:
            raise ScenarioTimeout(f"{self.lib_name} {self.adapter}: scenario did not finish "
                                  f"within {self.timeout} s; waiting for {self._pending}; "
                                  f"log: {self.log}")
        return self.log

    def prepare_loop(self) -> None:
        pass

    def _on_deadline(self) -> None:
        self.timed_out = True
        self.loop_stop()

    def _step(self, value: Any, error: Optional[BaseException]) -> None:
        """Resume the scenario, carrying out operations until one has to wait."""
        if self.finished:
            return
        self._pending = None
        while True:
            try:
                op = self.gen.throw(error) if error is not None else self.gen.send(value)
            except StopIteration:
                self.finished = True
                self.loop_stop()
                return
            except BaseException as exc:  # noqa: BLE001 - the scenario failed
                self.failure = exc
                self.finished = True
                self.loop_stop()
                return
            value, error = None, None
            try:
                done, value = self.execute(op)
            except Exception as exc:  # noqa: BLE001 - handed to the scenario
                error = exc
                continue
            if not done:
                return

    def resume(self, value: Any = None) -> None:
        self._step(value, None)

    def fail(self, error: BaseException) -> None:
        self._step(None, error)

    def _poke(self) -> None:
        """Recheck the scenario's wait predicate (after any callback ran)."""
        waiter = self._waiter
        if waiter is not None and waiter[0]():
            self._waiter = None
            self.loop_cancel(waiter[1])
            self.loop_call_later(0, lambda: self.resume(True))

    def _wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*args: Any) -> Any:
            try:
                return fn(*args)
            finally:
                self._poke()
        return wrapped

    def _wait_for(self, kind: str, detail: Any = None) -> Tuple[bool, Any]:
        self._pending = (kind, detail)
        return False, None

    # -- operations

    def execute(self, op: Op) -> Tuple[bool, Any]:
        kind, args, kwargs = op.kind, op.args, op.kwargs
        if kind == "connect":
            params, on_close = args
            self._on_close_user = on_close
            self.conn = self.make_connection(
                params if params is not None else self.params(),
                lambda conn: self.resume(conn), self._on_open_error, self._on_conn_closed)
            return self._wait_for("connect")
        if kind == "channel":
            (on_close,) = args

            def on_open(ch: Any) -> None:
                ch.add_on_close_callback(self._on_channel_closed)
                self.resume(ch)
            ch = self.conn.channel(on_open_callback=on_open)
            self._channel_hooks[ch.channel_number] = on_close
            return self._wait_for("channel")
        if kind == "rpc":
            ch, name, *rest = args
            self._channel_waits[ch.channel_number] = name
            getattr(ch, name)(*rest, callback=self._rpc_done(ch), **kwargs)
            return self._wait_for("rpc", name)
        if kind == "consume":
            ch, queue, on_message = args
            self._channel_waits[ch.channel_number] = "basic_consume"
            ok = self._rpc_done(ch, lambda _frame: tag)
            tag = ch.basic_consume(queue, self._wrap(on_message), callback=ok, **kwargs)
            return self._wait_for("consume")
        if kind == "cancel":
            ch, tag = args
            self._channel_waits[ch.channel_number] = "basic_cancel"
            ch.basic_cancel(tag, callback=self._rpc_done(ch))
            return self._wait_for("cancel")
        if kind == "get":
            ch, queue, auto_ack = args
            self._channel_waits[ch.channel_number] = "basic_get"
            done = self._rpc_done(ch)
            empty_seen = []

            def on_empty(frame: Any) -> None:
                if not empty_seen:
                    empty_seen.append(frame)
                    done(None)
            # pika's callback basic_get never reports an empty queue itself.
            ch.add_callback(on_empty, [self.spec.Basic.GetEmpty], one_shot=True)
            ch.basic_get(queue, lambda c, m, p, b: (empty_seen.append(m), done((m, p, b))),
                         auto_ack=auto_ack)
            return self._wait_for("get")
        if kind == "publish":
            ch, exchange, routing_key, body, properties, mandatory = args
            return True, ch.basic_publish(exchange, routing_key, body, properties, mandatory)
        if kind == "confirm":
            ch, on_confirm = args
            self._channel_waits[ch.channel_number] = "confirm_delivery"
            ch.confirm_delivery(self._wrap(on_confirm), callback=self._rpc_done(ch))
            return self._wait_for("confirm")
        if kind == "on_return":
            return True, args[0].add_on_return_callback(self._wrap(args[1]))
        if kind == "on_cancel":
            return True, args[0].add_on_cancel_callback(self._wrap(args[1]))
        if kind == "on_blocked":
            self.conn.add_on_connection_blocked_callback(self._wrap(args[0]))
            self.conn.add_on_connection_unblocked_callback(self._wrap(args[1]))
            return True, None
        if kind == "close_channel":
            ch = args[0]
            self._channel_waits[ch.channel_number] = "close"
            ch.close()
            return self._wait_for("close_channel")
        if kind == "close":
            self.conn.close()
            return self._wait_for("close")
        if kind == "wait":
            predicate, timeout = args
            if predicate():
                return True, True
            self._arm_waiter(predicate, timeout)
            return self._wait_for("wait")
        if kind == "call":
            return True, args[0]()
        raise ValueError(f"unknown operation {op!r}")

    def _arm_waiter(self, predicate: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout

        def tick() -> None:
            if self._waiter is None:
                return
            if predicate():
                self._waiter = None
                self.resume(True)
            elif time.monotonic() >= deadline:
                self._waiter = None
                self.resume(False)
            else:
                self._waiter = (predicate, self.loop_call_later(self.poll_interval, tick))
        self._waiter = (predicate, self.loop_call_later(self.poll_interval, tick))

    def _rpc_done(self, ch: Any, transform: Optional[Callable[[Any], Any]] = None
                  ) -> Callable[[Any], None]:
        number = ch.channel_number

        def done(result: Any) -> None:
            if self._channel_waits.pop(number, None) is None:
                return
            self.resume(transform(result) if transform is not None else result)
        return done

    def _on_channel_closed(self, ch: Any, error: BaseException) -> None:
        hook = self._channel_hooks.get(ch.channel_number)
        if hook is not None:
            hook(ch, error)
        waiting = self._channel_waits.pop(ch.channel_number, None)
        if waiting == "close":
            self.resume(error)
        elif waiting is not None:
            # The RPC will never complete: the scenario gets the close reason, as a
            # blocking adapter would raise it.
            self.fail(error)
        self._poke()

    def _on_open_error(self, conn: Any, error: BaseException) -> None:
        if self._pending is not None and self._pending[0] == "connect":
            self.fail(error if isinstance(error, Exception) else RuntimeError(repr(error)))
        else:
            self.record("open_error", error)
            self.loop_stop()

    def _on_conn_closed(self, conn: Any, error: BaseException) -> None:
        if self.shutting_down:
            self.loop_stop()
            return
        if self._on_close_user is not None:
            self._on_close_user(conn, error)
        pending = self._pending
        self._channel_waits.clear()
        if pending is not None and pending[0] == "close":
            self.resume(error)
        elif pending is not None and pending[0] != "wait":
            self.fail(error)
        else:
            self._poke()

    def shutdown(self) -> None:
        """Close what a failed scenario left open, then stop."""
        self.shutting_down = True
        conn = self.conn
        try:
            if conn is not None and not conn.is_closed:
                if not conn.is_closing:
                    conn.close()
                timer = self.loop_call_later(3, self.loop_stop)
                self.loop_run()
                self.loop_cancel(timer)
        except Exception:  # noqa: BLE001 - best effort after a failure
            pass


class SelectDriver(LoopDriver):
    """SelectConnection on its own IOLoop."""

    def make_connection(self, params: Any, on_open: Any, on_open_error: Any,
                        on_close: Any) -> Any:
        conn = self.lib.SelectConnection(params, on_open_callback=on_open,
                                         on_open_error_callback=on_open_error,
                                         on_close_callback=on_close,
                                         custom_ioloop=self.ioloop)
        return conn

    def prepare_loop(self) -> None:
        if self.lib is real_pika:
            self.ioloop = real_pika.adapters.select_connection.IOLoop()
        else:
            self.ioloop = pika_fast.adapters.select_connection.IOLoop()

    def loop_call_later(self, delay: float, fn: Callable[[], None]) -> Any:
        return self.ioloop.call_later(delay, fn)

    def loop_cancel(self, handle: Any) -> None:
        self.ioloop.remove_timeout(handle)

    def loop_run(self) -> None:
        self.ioloop.start()

    def loop_stop(self) -> None:
        self.ioloop.stop()

    def loop_close(self) -> None:
        self.ioloop.close()


class AsyncioDriver(LoopDriver):
    """AsyncioConnection on a fresh asyncio event loop."""

    def prepare_loop(self) -> None:
        self.aloop = asyncio.new_event_loop()

    def make_connection(self, params: Any, on_open: Any, on_open_error: Any,
                        on_close: Any) -> Any:
        if self.lib is real_pika:
            cls = real_pika.adapters.asyncio_connection.AsyncioConnection
        else:
            cls = pika_fast.adapters.asyncio_connection.AsyncioConnection
        return cls(params, on_open_callback=on_open, on_open_error_callback=on_open_error,
                   on_close_callback=on_close, custom_ioloop=self.aloop)

    def loop_call_later(self, delay: float, fn: Callable[[], None]) -> Any:
        return self.aloop.call_later(delay, fn)

    def loop_cancel(self, handle: Any) -> None:
        handle.cancel()

    def loop_run(self) -> None:
        self.aloop.run_forever()

    def loop_stop(self) -> None:
        self.aloop.stop()

    def loop_close(self) -> None:
        self.aloop.close()


class TornadoDriver(LoopDriver):
    """TornadoConnection on a fresh tornado IOLoop."""

    def prepare_loop(self) -> None:
        import tornado.ioloop

        self.tloop = tornado.ioloop.IOLoop(make_current=False)

    def make_connection(self, params: Any, on_open: Any, on_open_error: Any,
                        on_close: Any) -> Any:
        if self.lib is real_pika:
            from pika.adapters.tornado_connection import TornadoConnection
        else:
            from pika_fast.adapters.tornado_connection import TornadoConnection  # type: ignore
        return TornadoConnection(params, on_open_callback=on_open,
                                 on_open_error_callback=on_open_error,
                                 on_close_callback=on_close, custom_ioloop=self.tloop)

    def loop_call_later(self, delay: float, fn: Callable[[], None]) -> Any:
        return self.tloop.call_later(delay, fn)

    def loop_cancel(self, handle: Any) -> None:
        self.tloop.remove_timeout(handle)

    def loop_run(self) -> None:
        self.tloop.start()

    def loop_stop(self) -> None:
        self.tloop.stop()

    def loop_close(self) -> None:
        self.tloop.close()


class GeventDriver(LoopDriver):
    """GeventConnection on gevent's hub (its loop object's start/stop)."""

    def prepare_loop(self) -> None:
        import gevent

        # libev's cached time is stale after the hub sat idle (between tests): the
        # watchdog armed next would fire at once on pika's loop.
        gevent.get_hub().loop.update_now()
        if self.lib is real_pika:
            from pika.adapters.gevent_connection import _GeventSelectorIOLoop
            self.gloop = _GeventSelectorIOLoop(gevent.get_hub())
        else:
            from pika_fast.adapters.gevent_connection import _GeventIOLoop
            self.gloop = _GeventIOLoop(gevent.get_hub())

    def make_connection(self, params: Any, on_open: Any, on_open_error: Any,
                        on_close: Any) -> Any:
        if self.lib is real_pika:
            from pika.adapters.gevent_connection import GeventConnection
        else:
            from pika_fast.adapters.gevent_connection import GeventConnection  # type: ignore
        return GeventConnection(params, on_open_callback=on_open,
                                on_open_error_callback=on_open_error,
                                on_close_callback=on_close, custom_ioloop=self.gloop)

    def loop_call_later(self, delay: float, fn: Callable[[], None]) -> Any:
        return self.gloop.call_later(delay, fn)

    def loop_cancel(self, handle: Any) -> None:
        self.gloop.remove_timeout(handle)

    def loop_run(self) -> None:
        self.gloop.start()

    def loop_stop(self) -> None:
        self.gloop.stop()

    def loop_close(self) -> None:
        # pika's loop object destroys gevent's hub loop on close(): leave it be.
        if self.lib is not real_pika:
            self.gloop.close()


class _Reactor:
    """One Twisted reactor for the whole session, on a background thread (a reactor
    cannot be restarted, and both libraries' runs need one)."""

    thread: Optional[threading.Thread] = None

    @classmethod
    def get(cls) -> Any:
        from twisted.internet import reactor

        if cls.thread is None:
            cls.thread = threading.Thread(
                target=lambda: reactor.run(installSignalHandlers=False),
                name="test-twisted-reactor", daemon=True)
            cls.thread.start()
        return reactor


class TwistedDriver(LoopDriver):
    """TwistedProtocolConnection: operations return Deferreds; the scenario runs on
    the reactor's thread while the test thread waits, under the same deadline."""

    style = "deferred"

    def prepare_loop(self) -> None:
        self.reactor = _Reactor.get()
        self.done = threading.Event()

    def loop_call_later(self, delay: float, fn: Callable[[], None]) -> Any:
        if threading.current_thread() is _Reactor.thread:
            return self.reactor.callLater(delay, fn)
        holder: List[Any] = []
        ready = threading.Event()

        def arm() -> None:
            holder.append(self.reactor.callLater(delay, fn))
            ready.set()
        self.reactor.callFromThread(arm)
        ready.wait(5)
        return holder[0] if holder else None

    def loop_cancel(self, handle: Any) -> None:
        def cancel() -> None:
            if handle is not None and handle.active():
                handle.cancel()
        self.reactor.callFromThread(cancel)

    def loop_run(self) -> None:
        self.done.wait(self.timeout + 5)

    def loop_stop(self) -> None:
        self.done.set()

    def shutdown(self) -> None:
        conn = self.conn
        if conn is None or conn.is_closed:
            return
        closed = threading.Event()

        def close() -> None:
            try:
                if not conn.is_closed:
                    conn.close()
                    conn._impl._adapter_call_later(3, closed.set)
                    if conn.closed is not None:
                        conn.closed.addBoth(lambda _r: closed.set())
                else:
                    closed.set()
            except Exception:  # noqa: BLE001 - best effort after a failure
                closed.set()
        self.reactor.callFromThread(close)
        closed.wait(5)

    def _deferred(self, d: Any, what: str,
                  transform: Optional[Callable[[Any], Any]] = None) -> Tuple[bool, Any]:
        """The operation's outcome: now if ``d`` already fired, else when it does."""
        now: List[Tuple[bool, Any]] = []
        waiting = []

        def ok(result: Any) -> None:
            value = transform(result) if transform is not None else result
            if waiting:
                self.resume(value)
            else:
                now.append((True, value))

        def bad(failure: Any) -> None:
            if waiting:
                self.fail(failure.value)
            else:
                now.append((False, failure.value))
        d.addCallbacks(ok, bad)
        if now:
            fine, value = now[0]
            if not fine:
                raise value
            return True, value
        waiting.append(True)
        return self._wait_for(what)

    def execute(self, op: Op) -> Tuple[bool, Any]:
        kind, args, kwargs = op.kind, op.args, op.kwargs
        if kind == "connect":
            from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol

            params, on_close = args
            params = params if params is not None else self.params()
            module = importlib.import_module(f"{self.lib.__name__}.adapters.twisted_connection")
            self.conn = module.TwistedProtocolConnection(params)
            conn = self.conn

            def ready(_result: Any) -> Any:
                if on_close is not None and conn.closed is not None:
                    conn.closed.addCallback(lambda reason: (on_close(conn, reason), reason)[1])
                return conn
            endpoint = TCP4ClientEndpoint(self.reactor, params.host, params.port)
            connectProtocol(endpoint, conn).addErrback(lambda f: self.fail(f.value))
            return self._deferred(conn.ready.addCallback(ready), "connect")
        if kind == "channel":
            (on_close,) = args

            def opened(ch: Any) -> Any:
                if on_close is not None:
                    ch.on_closed.addCallback(lambda reason: (on_close(ch, reason), reason)[1])
                ch.on_closed.addCallback(lambda reason: (self._poke(), reason)[1])
                return ch
            return self._deferred(self.conn.channel().addCallback(opened), "channel")
        if kind == "rpc":
            ch, name, *rest = args
            return self._deferred(getattr(ch, name)(*rest, **kwargs), name)
        if kind == "consume":
            ch, queue, on_message = args

            def started(result: Any) -> Any:
                messages, tag = result
                self._pump_consumer(messages, self._wrap(on_message))
                return tag
            return self._deferred(ch.basic_consume(queue, **kwargs).addCallback(started),
                                  "consume")
        if kind == "cancel":
            return self._deferred(args[0].basic_cancel(args[1]), "cancel")
        if kind == "get":
            ch, queue, auto_ack = args
            return self._deferred(
                ch.basic_get(queue, auto_ack=auto_ack), "get",
                lambda m: None if m is None else (m.method, m.properties, m.body))
        if kind == "publish":
            ch, exchange, routing_key, body, properties, mandatory = args
            return self._deferred(ch.basic_publish(exchange, routing_key, body, properties,
                                                   mandatory), "publish")
        if kind == "confirm":
            return self._deferred(args[0].confirm_delivery(), "confirm")
        if kind == "on_return":
            fn = self._wrap(args[1])
            args[0].add_on_return_callback(lambda m: fn(m.channel, m.method, m.properties,
                                                        m.body))
            return True, None
        if kind == "on_cancel":
            # TwistedChannel reports a broker cancel by closing the consumer's queue;
            # the frame itself is on the callback channel underneath.
            args[0]._channel.add_on_cancel_callback(self._wrap(args[1]))
            return True, None
        if kind == "on_blocked":
            self.conn._impl.add_on_connection_blocked_callback(self._wrap(args[0]))
            self.conn._impl.add_on_connection_unblocked_callback(self._wrap(args[1]))
            return True, None
        if kind == "close_channel":
            ch = args[0]
            ch.close()
            return self._deferred(ch.on_closed, "close_channel")
        if kind == "close":
            return self._deferred(self.conn.close(), "close")
        return super().execute(op)

    def _pump_consumer(self, messages: Any, on_message: Callable[..., None]) -> None:
        def got(message: Any) -> None:
            on_message(message.channel, message.method, message.properties, message.body)
            messages.get().addCallbacks(got, lambda _f: None)
        messages.get().addCallbacks(got, lambda _f: None)

    def run(self, scenario: Scenario) -> List[Tuple[Any, ...]]:
        self.prepare_loop()
        self.gen = scenario(self)
        disarm = _backstop(self.timeout + 15)
        try:
            watchdog = self.loop_call_later(self.timeout, self._on_deadline)
            self.reactor.callFromThread(lambda: self._step(None, None))
            self.loop_run()
            self.loop_cancel(watchdog)
        finally:
            self.shutdown()
            disarm()
        if self.failure is not None:
            raise self.failure
        if self.timed_out or not self.finished:
            raise ScenarioTimeout(f"{self.lib_name} {self.adapter}: scenario did not finish "
                                  f"within {self.timeout} s; waiting for {self._pending}; "
                                  f"log: {self.log}")
        return self.log


# ---------------------------------------------------------------------- thread-safe


class ThreadSafeDriver(BlockingDriver):
    """pika_fast's thread-safe Connection: RPCs return directly, callbacks run on
    worker threads. pika 1.4.4 has no such class: its reference is pika's
    SelectConnection, whose callbacks (and their order on each channel) the thread-safe
    front promises to keep."""

    style = "threaded"

    def open_connection(self, params: Any) -> Any:
        self.closed_reasons: Dict[Any, BaseException] = {}

        def on_close(conn: Any, error: BaseException) -> None:
            self.closed_reasons["connection"] = error
            if self._on_close_user is not None:
                self._on_close_user(conn, error)
        return self.lib.Connection(params, on_close_callback=on_close)

    def pump(self, seconds: float) -> None:
        time.sleep(seconds)

    def settle(self, timeout: float = 5.0) -> None:
        """Wait until the I/O thread has handed out, and the workers have run, every
        callback due so far (a scenario reads what its handlers recorded)."""
        conn = self.conn
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            workers = [conn._worker] + [c._worker for c in self.channels]
            if not (conn._outbox or conn._handing_out) and \
                    all(w.unfinished_tasks == 0 for w in workers):
                return
            time.sleep(0.005)

    def execute(self, op: Op) -> Any:
        kind, args, kwargs = op.kind, op.args, op.kwargs
        if kind == "connect":
            self.channels: List[Any] = []
            self._on_close_user = args[1]
            return super().execute(op)
        if kind == "channel":
            (on_close,) = args
            ch = self.conn.channel()
            self.channels.append(ch)

            def closed(channel: Any, error: BaseException) -> None:
                self.closed_reasons[channel] = error
                if on_close is not None:
                    on_close(channel, error)
            ch.add_on_close_callback(closed)
            return ch
        if kind == "consume":
            ch, queue, on_message = args
            return ch.basic_consume(queue, on_message, **kwargs).method.consumer_tag
        if kind == "confirm":
            return args[0].confirm_delivery(args[1])
        if kind == "close_channel":
            args[0].close()
            self.settle()
            return self.closed_reasons.get(args[0])
        if kind == "close":
            self.conn.close()
            self.settle()
            return self.closed_reasons.get("connection")
        try:
            result = super().execute(op)
        except Exception:
            # A close reason reaches the waiting thread at once, and the close
            # callbacks a moment later on the worker: let them run first, as the
            # reference runs them before it fails the request.
            self.settle()
            raise
        if kind == "wait":
            self.settle()
        return result

    def shutdown(self) -> None:
        conn = self.conn
        try:
            if conn is not None and not conn.is_closed:
                conn.close()
        except Exception:  # noqa: BLE001 - best effort after a failure
            pass


# ---------------------------------------------------------------------- the registry

#: adapter name -> driver class; each runs pika's class of that name or pika_fast's.
DRIVERS: Dict[str, type] = {
    "blocking": BlockingDriver,
    "select": SelectDriver,
    "asyncio": AsyncioDriver,
    "threadsafe": ThreadSafeDriver,
    "tornado": TornadoDriver,
    "twisted": TwistedDriver,
    "gevent": GeventDriver,
}

#: adapters pika 1.4.4 lacks, and the pika adapter whose behaviour they must match
REFERENCE = {"threadsafe": "select"}

#: adapters whose callbacks run on several threads (no order between channels)
THREADED = {"threadsafe"}


def run_one(adapter: str, lib: Any, url: str, tracker: NameTracker, scenario: Scenario,
            timeout: float = SCENARIO_TIMEOUT, threaded: bool = False
            ) -> List[Tuple[Any, ...]]:
    """Run ``scenario`` on ``lib``'s adapter called ``adapter``; return its log."""
    driver = DRIVERS[adapter](adapter, lib, url, Namer(tracker), timeout)
    driver.threaded = threaded or adapter in THREADED
    return driver.run(scenario)


def run_both(adapter: str, url: str, tracker: NameTracker, scenario: Scenario,
             timeout: float = SCENARIO_TIMEOUT) -> List[Tuple[Any, ...]]:
    """Run ``scenario`` on pika 1.4.4's ``adapter`` (or the one it must behave like)
    then on pika_fast's; the logs must match."""
    reference_adapter = REFERENCE.get(adapter, adapter)
    threaded = adapter in THREADED
    try:
        reference = run_one(reference_adapter, real_pika, url, tracker, scenario, timeout,
                            threaded)
    except Exception as exc:  # noqa: BLE001
        raise ReferenceMismatch(f"pika 1.4.4's {reference_adapter} adapter failed the "
                                f"scenario: {exc!r}") from exc
    ours = run_one(adapter, pika_fast, url, tracker, scenario, timeout, threaded)
    assert ours == reference, _diff(reference, ours)
    return ours


def _diff(reference: List[Tuple[Any, ...]], ours: List[Tuple[Any, ...]]) -> str:
    for index, (a, b) in enumerate(zip(reference, ours)):
        if a != b:
            return f"first difference at entry {index}:\n  pika:      {a}\n  pika_fast: {b}\n" \
                   f"pika log:\n  {reference}\npika_fast log:\n  {ours}"
    return f"logs differ in length ({len(reference)} vs {len(ours)}):\n" \
           f"pika log:\n  {reference}\npika_fast log:\n  {ours}"


def broker_port(url: str) -> Tuple[str, int]:
    parts = urllib.parse.urlparse(url)
    return parts.hostname or "localhost", parts.port or 5672
