"""Faults on the wire, on every adapter: cut mid-frame, stall, delay, half-close, reset.

A :class:`~tests.support.fault_proxy.FaultProxy` sits between the client and the shared
broker. Each case is one scenario (``tests.support.adapters``) run on pika 1.4.4's
adapter of the same name (pika's SelectConnection for the thread-safe ``Connection``)
and then on pika_fast's: the logs (exception classes, close reasons, states, what was
received) must be equal, and the scenario asserts the outcome itself too. Around
pika_fast's run the open file descriptors and threads are counted, and inside it the
event loop's pending timers and watchers (where the loop exposes them): after the fault
nothing of the connection may be left behind.

The blocked callers get their own tests below: a ``BlockingConnection`` waiting in
``start_consuming`` and threads of the thread-safe ``Connection`` waiting for RPC
replies must all return with the fault's exception.
"""
from __future__ import annotations

import gc
import os
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

import pytest

import pika as real_pika

import pika_fast
from pika_fast import exceptions
from tests.support import adapters as support
from tests.support.fault_proxy import FaultProxy

ADAPTERS = list(support.DRIVERS)
HEARTBEAT = 2  # seconds; a stall must be detected within about two of these
BIG = 64 * 1024  # one body frame (frame_max 131072), big enough to be cut in half
# Detection takes two intervals; this allows one more and the poll granularity.
STALL_DETECTION_BOUND = 3 * HEARTBEAT + 2.0


#: the adapters for the cases that lose the stream, and for those where a channel RPC
#: is waiting when it is lost
LOST_ADAPTERS = list(ADAPTERS)
RPC_ADAPTERS = list(ADAPTERS)


# ----------------------------------------------------------------------- fixtures


@pytest.fixture
def proxy(broker_address):
    host, port = broker_address
    with FaultProxy(port, host) as fault_proxy:
        yield fault_proxy


@pytest.fixture
def tracker(amqp_url):
    names = support.NameTracker(amqp_url)
    yield names
    names.cleanup()


def proxy_url(proxy: FaultProxy) -> str:
    return f"amqp://guest:guest@127.0.0.1:{proxy.port}/%2F"


# -------------------------------------------------------------- leak accounting


def open_fds() -> Set[Tuple[int, str]]:
    """This process's open file descriptors, each with what it points at (a socket's
    inode changes when its number is reused)."""
    fds = set()
    for name in os.listdir("/proc/self/fd"):
        try:
            fds.add((int(name), os.readlink(f"/proc/self/fd/{name}")))
        except OSError:
            pass  # the listing's own descriptor, gone already
    return fds


def live_threads() -> Set[Tuple[str, Optional[int]]]:
    return {(t.name, t.ident) for t in threading.enumerate()}


def new_since(before: Tuple[Set[Any], Set[Any]], timeout: float = 10.0
              ) -> Tuple[Set[Any], Set[Any]]:
    """File descriptors and threads that exist now but did not at ``before``; waits up
    to ``timeout`` for them to go (threads and sockets may take a moment to wind down
    after a close). What closed meanwhile (the reference run's leftovers) is ignored."""
    deadline = time.monotonic() + timeout
    while True:
        fds, threads = open_fds() - before[0], live_threads() - before[1]
        if not (fds or threads) or time.monotonic() > deadline:
            return fds, threads
        time.sleep(0.05)


def loop_watchers(s: support.Driver) -> Optional[int]:
    """Pending timers (and fd watchers, where they are counted together) of the
    scenario's event loop; None for the adapters that run no loop of the test's."""
    adapter = s.adapter
    if adapter == "select":
        heap = s.ioloop._heap or []  # type: ignore[attr-defined]
        return sum(1 for t in heap if t[2] is not None) + len(s.ioloop._fd_map)
    if adapter in ("asyncio", "tornado"):
        loop = s.aloop if adapter == "asyncio" else s.tloop.asyncio_loop  # type: ignore
        timers = sum(1 for h in loop._scheduled if not h.cancelled())
        return timers + len(loop._selector.get_map())
    if adapter == "gevent":
        return s.gloop._hub.loop.activecnt  # type: ignore[attr-defined]
    if adapter == "twisted":
        return len(s.reactor.getDelayedCalls())  # type: ignore[attr-defined]
    return None


def mro_names(exc: BaseException) -> Set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


class Case:
    """One fault case on one adapter: faults fired from timer threads, the exceptions
    each library reported (in order), and what pika_fast's run left on its loop."""

    def __init__(self, adapter: str, proxy: FaultProxy, tracker: support.NameTracker,
                 documented: str = "StreamLostError") -> None:
        self.adapter, self.proxy, self.tracker = adapter, proxy, tracker
        #: the pika_fast exception the fault must be reported as
        self.documented = documented
        self.url = proxy_url(proxy)
        self.timers: List[threading.Timer] = []
        self.caught: Dict[str, List[BaseException]] = {"pika": [], "pika_fast": []}
        self.watchers: Optional[Tuple[int, Optional[int]]] = None
        self.elapsed: Dict[str, float] = {}

    # -- used by the scenarios

    def later(self, delay: float, fn: Callable[[], None]) -> None:
        """Fire ``fn`` from a timer thread (joined before the leak count)."""
        timer = threading.Timer(delay, fn)
        timer.daemon = True
        self.timers.append(timer)
        timer.start()

    def error(self, s: support.Driver, tag: str, exc: BaseException) -> None:
        self.caught[s.lib_name].append(exc)
        s.record(tag, exc)

    def open(self, s: support.Driver, closed: List[Any], **params: Any):
        """Connect (close reasons go to ``closed``) and open a channel; remembers the
        loop's timers and watchers before anything was opened."""
        if s.lib is pika_fast:
            self.baseline = loop_watchers(s)
        yield s.connect(s.params(self.url, **params),
                        on_close=lambda c, e: closed.append(e))
        ch = yield s.channel(on_close=lambda c, e: closed.append(("channel", e)))
        return ch

    def wait_closed(self, s: support.Driver, timeout: float):
        """Wait for the connection to end; a blocking adapter raises the reason here."""
        try:
            s.record("lost", (yield s.wait(lambda: s.conn.is_closed, timeout=timeout)))
        except Exception as exc:  # noqa: BLE001 - what a blocking wait reports
            self.error(s, "wait_error", exc)

    def aftermath(self, s: support.Driver, ch: Any, closed: List[Any]):
        """Record what the application sees once the fault ended the connection."""
        if s.style != "sync":
            # The connection's own close callback may run a moment after the channel's.
            yield s.wait(lambda: any(not isinstance(e, tuple) for e in closed), 5)
        for entry in closed:
            self.caught[s.lib_name].append(entry[1] if isinstance(entry, tuple) else entry)
        s.record("reasons", s.across_threads(closed))
        s.record("state", s.conn.is_closed, ch.is_closed)
        try:
            yield s.publish(ch, "", "nowhere", b"after the fault")
            s.record("publish_after", "accepted")
        except Exception as exc:  # noqa: BLE001
            self.error(s, "publish_after", exc)
        yield from self.count_watchers(s)

    def count_watchers(self, s: support.Driver):
        if s.lib is pika_fast and self.baseline is not None:
            # Anything the connection armed on the loop must be gone by now.
            yield s.wait(lambda: False, timeout=0.5)
            self.watchers = (self.baseline, loop_watchers(s))

    baseline: Optional[int] = None

    # -- running

    def join_timers(self) -> None:
        for timer in self.timers:
            timer.join(10)
        self.timers.clear()

    def reset_proxy(self) -> None:
        self.join_timers()
        self.proxy.delay = 0.0
        self.proxy.resume()
        self.proxy.reset()

    def run(self, scenario: support.Scenario, timeout: float = 60.0
            ) -> List[Tuple[Any, ...]]:
        """Run ``scenario`` on pika's adapter and pika_fast's, each through the proxy;
        compare the logs; assert pika_fast's run left no fd, thread, timer or watcher
        behind. Returns pika_fast's log."""
        adapter, threaded = self.adapter, self.adapter in support.THREADED
        reference_adapter = support.REFERENCE.get(adapter, adapter)
        try:
            reference = support.run_one(reference_adapter, real_pika, self.url,
                                        self.tracker, scenario, timeout, threaded)
        except Exception as exc:  # noqa: BLE001
            raise support.ReferenceMismatch(
                f"pika 1.4.4's {reference_adapter} adapter failed the scenario: {exc!r}"
            ) from exc
        finally:
            self.reset_proxy()
        time.sleep(0.2)  # let what the reference run closed finish closing
        before = (open_fds(), live_threads())
        try:
            ours = support.run_one(adapter, pika_fast, self.url, self.tracker, scenario,
                                   timeout, threaded)
        finally:
            self.reset_proxy()  # the proxy's own sockets for this connection go
        fds, threads = new_since(before)
        self.compare(reference, ours)
        assert not fds, f"file descriptors left open: {sorted(fds)}"
        assert not threads, f"threads left running: {sorted(threads)}"
        if self.watchers is not None:
            baseline, now = self.watchers
            assert now == baseline, f"the loop has {now} timers/watchers, {baseline} " \
                                    "before the connection was opened"
        return ours

    def compare(self, reference: List[Tuple[Any, ...]], ours: List[Tuple[Any, ...]]
                ) -> None:
        if self.adapter != "twisted":
            assert ours == reference, support._diff(reference, ours)
            return
        # pika's Twisted adapter reports how the transport ended (twisted's
        # ConnectionDone/ConnectionLost) where the other adapters give the AMQP reason;
        # ours is both (an instance of pika_fast's class and of twisted's). So the
        # exceptions are compared by isinstance, the rest of the logs as they are.
        theirs, mine = self.caught["pika"], self.caught["pika_fast"]
        assert len(theirs) == len(mine), (theirs, mine)
        for expected, got in zip(theirs, mine):
            if type(expected).__module__.startswith("twisted") and \
                    self.documented in mro_names(got):
                # pika gives only how the transport ended where pika_fast gives the
                # documented reason (a heartbeat timeout reported as ConnectionDone
                # is no reason): ours is the documented one.
                continue
            assert type(expected).__name__ in mro_names(got), \
                f"pika reported {expected!r}, pika_fast {got!r} (not also a " \
                f"{type(expected).__name__})"
        names = {support.describe(e) for e in theirs + mine}
        assert mask(ours, names) == mask(reference, names), support._diff(reference, ours)


def mask(value: Any, names: Set[str]) -> Any:
    """``value`` (a log) with every exception name in ``names`` replaced by <exc>."""
    if isinstance(value, str):
        return "<exc>" if value in names else value
    if isinstance(value, (list, tuple)):
        return type(value)(mask(v, names) for v in value)
    return value


def documented(log: List[Tuple[Any, ...]], caught: List[BaseException], name: str) -> bool:
    """Whether pika_fast reported the fault as ``name`` (by class, twisted's dual
    classes included) somewhere in what the application saw."""
    return name in repr(log) or any(name in mro_names(e) for e in caught)


# --------------------------------------------------------------------- the tests


@pytest.mark.parametrize("adapter", RPC_ADAPTERS)
def test_cut_mid_frame_from_broker(adapter, proxy, tracker):
    """The broker's body frame of a basic_get is cut in half, then the stream ends: the
    pending basic_get fails with the stream's loss, nothing half-read is delivered."""
    case = Case(adapter, proxy, tracker)

    def scenario(s):
        closed: List[Any] = []
        ch = yield from case.open(s, closed)
        queue = (yield s.rpc(ch, "queue_declare", "", exclusive=True)).method.queue
        yield s.publish(ch, "", queue, b"x" * BIG)
        yield s.wait(lambda: False, timeout=0.3)  # the broker has it queued
        cut = proxy.cut_mid_frame("to_client", min_payload=BIG // 2)
        try:
            got = yield s.get(ch, queue)
            s.record("get", "returned", None if got is None else len(got[2]))
        except Exception as exc:  # noqa: BLE001
            case.error(s, "get_error", exc)
        s.record("cut", cut.is_set())
        yield from case.wait_closed(s, 10)
        yield from case.aftermath(s, ch, closed)

    log = case.run(scenario)
    assert ("cut", True) in log and not any(e[0] == "get" for e in log), log
    assert documented(log, case.caught["pika_fast"], "StreamLostError"), log
    assert ("state", True, True) in log, log


@pytest.mark.parametrize("adapter", LOST_ADAPTERS)
def test_cut_mid_frame_to_broker(adapter, proxy, tracker):
    """A published body frame reaches the broker half-sent, then both sides close: the
    client learns it from the stream's end (StreamLostError), whatever it was doing."""
    case = Case(adapter, proxy, tracker)

    def scenario(s):
        closed: List[Any] = []
        ch = yield from case.open(s, closed)
        queue = (yield s.rpc(ch, "queue_declare", "", exclusive=True)).method.queue
        cut = proxy.cut_mid_frame("to_server", min_payload=BIG // 2)
        yield s.publish(ch, "", queue, b"y" * BIG)
        yield from case.wait_closed(s, 10)
        s.record("cut", cut.is_set())
        yield from case.aftermath(s, ch, closed)

    log = case.run(scenario)
    assert ("cut", True) in log, log
    assert documented(log, case.caught["pika_fast"], "StreamLostError"), log
    assert ("state", True, True) in log, log


@pytest.mark.parametrize("adapter", RPC_ADAPTERS)
def test_stall_heartbeat_timeout(adapter, proxy, tracker):
    """Nothing moves either way while an RPC waits: the heartbeat timeout ends the
    connection (AMQPHeartbeatTimeout) and the waiting RPC returns with it; pika_fast
    detects it within about two heartbeat intervals."""
    case = Case(adapter, proxy, tracker, documented="AMQPHeartbeatTimeout")

    def scenario(s):
        closed: List[Any] = []
        ch = yield from case.open(s, closed, heartbeat=HEARTBEAT)
        proxy.stall()
        start = time.monotonic()
        try:
            s.record("declare", (yield s.rpc(ch, "queue_declare", "", exclusive=True)))
        except Exception as exc:  # noqa: BLE001
            case.error(s, "declare_error", exc)
        yield from case.wait_closed(s, 30)
        case.elapsed[s.lib_name] = time.monotonic() - start
        yield from case.aftermath(s, ch, closed)

    log = case.run(scenario, timeout=60)
    assert documented(log, case.caught["pika_fast"], "AMQPHeartbeatTimeout"), log
    assert ("state", True, True) in log, log
    assert case.elapsed["pika_fast"] < STALL_DETECTION_BOUND, case.elapsed


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_delay_every_packet(adapter, proxy, tracker):
    """Every chunk held 10 ms each way, handshake included: a confirmed publish and an
    acknowledged consume still complete, in order, and the connection closes cleanly."""
    case = Case(adapter, proxy, tracker)
    count = 60

    def scenario(s):
        proxy.delay = 0.01
        closed: List[Any] = []
        ch = yield from case.open(s, closed, heartbeat=HEARTBEAT)
        queue = (yield s.rpc(ch, "queue_declare", "", exclusive=True)).method.queue
        acked: Set[int] = set()
        nacked: Set[int] = set()

        def on_confirm(frame):
            method = frame.method
            target = nacked if method.NAME == "Basic.Nack" else acked
            target.update(range(1, method.delivery_tag + 1) if method.multiple
                          else (method.delivery_tag,))

        yield s.confirm(ch, on_confirm)
        for i in range(count):
            yield s.publish(ch, "", queue, b"%d" % i)
        if s.style != "sync":
            s.record("confirmed", (yield s.wait(lambda: len(acked) >= count, 20)),
                     sorted(acked) == list(range(1, count + 1)), sorted(nacked))
        yield s.rpc(ch, "basic_qos", prefetch_count=10)
        got = []

        def on_message(channel, method, properties, body):
            got.append(body)
            channel.basic_ack(method.delivery_tag)

        yield s.consume(ch, queue, on_message)
        s.record("received", (yield s.wait(lambda: len(got) >= count, 30)))
        s.record("in_order", got == [b"%d" % i for i in range(count)])
        yield s.close()
        s.record("closed", s.conn.is_closed)
        yield from case.count_watchers(s)

    log = case.run(scenario, timeout=90)
    assert ("received", True) in log and ("in_order", True) in log, log
    assert ("closed", True) in log, log


@pytest.mark.parametrize("direction", ["to_client", "to_server"])
@pytest.mark.parametrize("adapter", LOST_ADAPTERS)
def test_half_close(adapter, direction, proxy, tracker):
    """One direction of the TCP stream is shut while the client consumes: toward the
    client it reads EOF at once; toward the broker the broker closes its side. Either
    way the connection ends with StreamLostError and its channel with it."""
    case = Case(adapter, proxy, tracker)

    def scenario(s):
        closed: List[Any] = []
        ch = yield from case.open(s, closed)
        queue = (yield s.rpc(ch, "queue_declare", "", exclusive=True)).method.queue
        got: List[bytes] = []
        yield s.consume(ch, queue, lambda c, m, p, b: got.append(b))
        case.later(0.3, lambda: proxy.half_close(direction))
        yield from case.wait_closed(s, 15)
        yield from case.aftermath(s, ch, closed)

    log = case.run(scenario)
    assert documented(log, case.caught["pika_fast"], "StreamLostError"), log
    assert ("state", True, True) in log, log


@pytest.mark.parametrize("adapter", RPC_ADAPTERS)
def test_reset_while_rpc_waits(adapter, proxy, tracker):
    """An RPC is outstanding (the proxy holds its request back) when both sides are
    reset (RST): the waiting RPC returns with StreamLostError."""
    case = Case(adapter, proxy, tracker)

    def scenario(s):
        closed: List[Any] = []
        ch = yield from case.open(s, closed)
        proxy.stall()
        case.later(0.5, proxy.reset)
        try:
            s.record("declare", (yield s.rpc(ch, "queue_declare", "", exclusive=True)))
        except Exception as exc:  # noqa: BLE001
            case.error(s, "declare_error", exc)
        yield from case.wait_closed(s, 10)
        yield from case.aftermath(s, ch, closed)

    log = case.run(scenario)
    assert documented(log, case.caught["pika_fast"], "StreamLostError"), log
    assert ("state", True, True) in log, log


# ------------------------------------------------------------------ blocked callers

#: fault -> the exception pika_fast documents for it
BLOCKED_FAULTS = {"stall": "AMQPHeartbeatTimeout", "reset": "StreamLostError",
                  "half_close": "StreamLostError", "cut_mid_frame": "StreamLostError"}


def blocking_consume_until_fault(lib: Any, proxy: FaultProxy, fault: str,
                                 case: Case) -> BaseException:
    """A BlockingConnection blocked in start_consuming() when ``fault`` strikes: what
    start_consuming() raised."""
    conn = lib.BlockingConnection(lib.URLParameters(proxy_url(proxy) +
                                                    f"?heartbeat={HEARTBEAT}"))
    try:
        ch = conn.channel()
        queue = ch.queue_declare("", exclusive=True).method.queue
        got: List[int] = []
        ch.basic_consume(queue, lambda c, m, p, b: got.append(len(b)), auto_ack=True)
        if fault == "stall":
            proxy.stall()
        elif fault == "reset":
            case.later(0.5, proxy.reset)
        elif fault == "half_close":
            case.later(0.5, lambda: proxy.half_close("to_client"))
        else:
            # The delivery of this message is cut inside its body frame.
            proxy.cut_mid_frame("to_client", min_payload=BIG // 2)
            conn.call_later(0.3, lambda: ch.basic_publish("", queue, b"z" * BIG))
        start = time.monotonic()
        with pytest.raises(Exception) as info:
            ch.start_consuming()
        case.elapsed[lib.__name__] = time.monotonic() - start
        assert got == [], "a message cut in half was delivered"
        assert conn.is_closed
        return info.value
    finally:
        case.reset_proxy()
        if conn.is_open:
            conn.close()


@pytest.mark.parametrize("fault", list(BLOCKED_FAULTS))
def test_blocking_start_consuming_returns_on_fault(fault, proxy, tracker):
    """start_consuming() does not outlive the connection: it raises the fault's
    exception, the class pika 1.4.4's BlockingConnection raises."""
    case = Case("blocking", proxy, tracker)
    theirs = blocking_consume_until_fault(real_pika, proxy, fault, case)
    time.sleep(0.2)
    before = (open_fds(), live_threads())
    ours = blocking_consume_until_fault(pika_fast, proxy, fault, case)
    fds, threads = new_since(before)
    assert type(ours).__name__ == type(theirs).__name__, (theirs, ours)
    assert BLOCKED_FAULTS[fault] in mro_names(ours), ours
    assert not fds, f"file descriptors left open: {sorted(fds)}"
    assert not threads, f"threads left running: {sorted(threads)}"
    if fault == "stall":
        assert case.elapsed["pika_fast"] < STALL_DETECTION_BOUND, case.elapsed


@pytest.mark.parametrize("fault", ["stall", "reset", "half_close"])
def test_threadsafe_rpc_waiters_return_on_fault(fault, proxy, tracker):
    """Threads of a thread-safe Connection each wait (no timeout) for an RPC reply the
    proxy holds back when the fault strikes: every one returns with the fault's
    exception, the channels' and the connection's close callbacks run, and the I/O and
    worker threads end."""
    case = Case("threadsafe", proxy, tracker)
    before = (open_fds(), live_threads())
    closed: List[Any] = []
    conn = pika_fast.Connection(
        pika_fast.URLParameters(proxy_url(proxy) + f"?heartbeat={HEARTBEAT}"),
        on_close_callback=lambda c, e: closed.append(e))
    try:
        channels = [conn.channel() for _ in range(3)]
        for ch in channels:
            ch.add_on_close_callback(lambda c, e: closed.append(("channel", e)))
        proxy.stall()
        outcomes: Dict[int, Any] = {}

        def wait_for_reply(index: int, ch: Any) -> None:
            try:
                outcomes[index] = ch.queue_declare("", exclusive=True, timeout=None)
            except BaseException as exc:  # noqa: BLE001 - what the waiter got
                outcomes[index] = exc

        waiters = [threading.Thread(target=wait_for_reply, args=(i, ch), daemon=True)
                   for i, ch in enumerate(channels)]
        start = time.monotonic()
        for thread in waiters:
            thread.start()
        if fault == "reset":
            case.later(0.5, proxy.reset)
        elif fault == "half_close":
            case.later(0.5, lambda: proxy.half_close("to_client"))
        for thread in waiters:
            thread.join(30)
        elapsed = time.monotonic() - start
        assert not any(t.is_alive() for t in waiters), "an RPC waiter never returned"
        expected = BLOCKED_FAULTS[fault]
        assert all(expected in mro_names(e) for e in outcomes.values()), outcomes
        deadline = time.monotonic() + 5
        while len(closed) < 4 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert sorted(type(e[1] if isinstance(e, tuple) else e).__name__ for e in closed) \
            == [expected] * 4, closed
        assert conn.is_closed and all(ch.is_closed for ch in channels)
        with pytest.raises(exceptions.AMQPError):
            channels[0].basic_publish("", "nowhere", b"after")
        if fault == "stall":
            assert elapsed < STALL_DETECTION_BOUND, elapsed
    finally:
        case.reset_proxy()
        if not conn.is_closed:
            conn.close()
    fds, threads = new_since(before)
    assert not fds, f"file descriptors left open: {sorted(fds)}"
    assert not threads, f"threads left running: {sorted(threads)}"


# ------------------------------------------------------------- failed connection


@pytest.mark.parametrize("fault", ["refused", "reset_in_handshake"])
def test_failed_blocking_connect_leaves_nothing_open(fault, proxy):
    """A BlockingConnection that never opens (nothing listens; the handshake is reset)
    raises what pika raises and leaves no descriptor behind, though the application
    still holds the exception (and with it the traceback's frames)."""
    from tests.support.rabbit_node import free_port

    def attempt(lib: Any) -> BaseException:
        if fault == "refused":
            params = lib.ConnectionParameters("127.0.0.1", free_port(),
                                              connection_attempts=1)
        else:
            params = lib.URLParameters(proxy_url(proxy) + "?connection_attempts=1")
            proxy.stall()
            timer = threading.Timer(0.5, proxy.reset)
            timer.start()
        try:
            with pytest.raises(exceptions.AMQPError if lib is pika_fast
                               else real_pika.exceptions.AMQPError) as info:
                lib.BlockingConnection(params)
        finally:
            if fault != "refused":
                timer.join()
                proxy.resume()
        return info.value

    theirs = attempt(real_pika)
    gc_was = gc.isenabled()
    gc.disable()  # a leak must not hide behind a collection that happens to run
    try:
        before = (open_fds(), live_threads())
        ours = [attempt(pika_fast) for _ in range(3)]
        fds, threads = new_since(before, timeout=2)
    finally:
        if gc_was:
            gc.enable()
    assert type(ours[0]).__name__ == type(theirs).__name__, (theirs, ours)
    assert not threads, f"threads left running: {sorted(threads)}"
    assert not fds, f"file descriptors left open: {sorted(fds)}"


# ------------------------------------------------------------------ gevent's clock


def test_gevent_call_later_counts_from_now_after_an_idle_hub():
    """A timer armed after the hub sat idle (blocking code ran; found when the stall
    case followed a minute without gevent work) must not fire early: libev counts from
    its cached time unless told to refresh it."""
    import gevent

    from pika_fast.adapters.gevent_connection import _GeventIOLoop

    loop = _GeventIOLoop(gevent.get_hub())
    try:
        loop.call_later(0.01, loop.stop)
        loop.start()  # the hub has run, and cached its time
        time.sleep(1.5)  # code that does not yield to the hub
        start = time.monotonic()
        loop.call_later(1.0, loop.stop)
        loop.start()
        assert time.monotonic() - start >= 0.95, "the timer fired before its delay"
    finally:
        loop.close()
