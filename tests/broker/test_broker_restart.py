"""A broker restart while a publisher with confirms runs: no confirmed message is lost,
and every message is accounted for.

A private RabbitMQ node (never the shared broker) is restarted, either its application
(``rabbitmqctl stop_app``/``start_app``) or the whole node, while a publisher keeps
publishing persistent messages, each with its own id, into a durable classic queue or a
quorum queue, reconnecting after the outage. Every attempted message must end as
exactly one of:

* confirmed: the blocking ``basic_publish`` returned, or a Basic.Ack covered it;
* reported unconfirmed: ``basic_publish`` raised, a Basic.Nack covered it, or it was
  outstanding when its channel closed (the close reason tells the application).

Afterwards the queue is drained: every confirmed id must be in it, and nothing that was
never attempted. Unconfirmed ids may or may not be there (the broker may have stored a
message whose confirm was lost with the connection): that is what "unconfirmed" means.

The blocking publisher also runs on pika 1.4.4, which checks the test itself.
"""
from __future__ import annotations

import threading
import time
import uuid
from typing import Any, Dict, List, Optional, Set

import pytest

import pika as real_pika

import pika_fast
from tests.support.rabbit_node import PrivateRabbitNode

QUEUE_ARGUMENTS = {"durable": None, "quorum": {"x-queue-type": "quorum"}}
BEFORE_RESTART = 300  # confirmed messages before the restart is started
AFTER_RESTART = 300  # confirmed messages after the publisher is back
RECONNECT_WITHIN = 180.0  # seconds the node may take to come back
WINDOW = 64  # unconfirmed messages the thread-safe publisher keeps in flight
PACE = 0.0005  # seconds between its publishes (the queue need not hold 100,000)


@pytest.fixture(scope="module")
def node():
    with PrivateRabbitNode() as private:
        yield private


@pytest.fixture(autouse=True)
def _watchdog():
    """A hang is a failure, not a stuck run (SIGALRM in the main thread)."""
    import signal

    def on_alarm(signum, frame):
        raise TimeoutError("broker restart test exceeded its 420 s watchdog")
    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, 420)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class Ledger:
    """What happened to every message the publisher attempted."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.attempted: List[int] = []
        self.confirmed: Set[int] = set()
        self.reported: Dict[int, str] = {}  # id -> how the publisher was told
        self.connection_errors: List[str] = []

    def confirm(self, msg_id: int) -> None:
        with self.lock:
            assert msg_id not in self.reported, f"{msg_id} confirmed after being reported"
            self.confirmed.add(msg_id)

    def report(self, msg_id: int, how: str) -> None:
        with self.lock:
            assert msg_id not in self.confirmed, f"{msg_id} reported after its confirm"
            self.reported.setdefault(msg_id, how)

    def check(self, stored: List[int]) -> None:
        """Every message accounted for once; every confirmed one stored."""
        attempted = set(self.attempted)
        assert len(attempted) == len(self.attempted), "an id was attempted twice"
        assert not self.confirmed & set(self.reported), "confirmed and reported at once"
        assert self.confirmed | set(self.reported) == attempted, \
            f"silently dropped: {sorted(attempted - self.confirmed - set(self.reported))}"
        assert len(self.confirmed) + len(self.reported) == len(self.attempted)
        lost = self.confirmed - set(stored)
        assert not lost, f"{len(lost)} confirmed messages are not in the queue: " \
                         f"{sorted(lost)[:20]}"
        assert set(stored) <= attempted, "the queue holds messages never published"


class Restarter(threading.Thread):
    """Restarts the node (app or whole node) once, on its own thread."""

    def __init__(self, node: PrivateRabbitNode, how: str) -> None:
        super().__init__(name="node-restarter", daemon=True)
        self.node, self.how = node, how
        self.error: Optional[BaseException] = None
        self.done = threading.Event()

    def run(self) -> None:
        try:
            if self.how == "app":
                self.node.restart_app()
            else:
                self.node.restart()
        except BaseException as exc:  # noqa: BLE001 - re-raised by the test
            self.error = exc
        finally:
            self.done.set()


def declare(lib: Any, url: str, kind: str) -> str:
    queue = f"pika_fast.test.restart.{kind}.{uuid.uuid4().hex[:10]}"
    conn = lib.BlockingConnection(lib.URLParameters(url))
    try:
        conn.channel().queue_declare(queue, durable=True, arguments=QUEUE_ARGUMENTS[kind])
    finally:
        conn.close()
    return queue


def drain(url: str, queue: str) -> List[int]:
    """Every message id in ``queue`` (consumed and deleted), through pika 1.4.4."""
    conn = connect_with_retry(real_pika, url)
    try:
        ch = conn.channel()
        left = ch.queue_declare(queue, passive=True).method.message_count
        ch.basic_qos(prefetch_count=1000)
        ids: List[int] = []
        for method, _props, body in ch.consume(queue, auto_ack=True, inactivity_timeout=5):
            if method is None:
                break  # five quiet seconds: the count below tells whether all came
            ids.append(int(body))
            if len(ids) >= left:
                break
        ch.cancel()
        assert len(ids) == left, f"drained {len(ids)} of {left} messages"
        ch.queue_delete(queue)
    finally:
        conn.close()
    return ids


def connect_with_retry(lib: Any, url: str) -> Any:
    """A BlockingConnection once the node accepts one again."""
    deadline = time.monotonic() + RECONNECT_WITHIN
    while True:
        try:
            return lib.BlockingConnection(lib.URLParameters(url + "?connection_attempts=1"))
        except lib.exceptions.AMQPConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def blocking_publisher(lib: Any, node: PrivateRabbitNode, queue: str, how: str
                       ) -> Ledger:
    """Publish with a confirming BlockingChannel through a restart, reconnecting."""
    ledger = Ledger()
    restarter = Restarter(node, how)
    conn: Any = None
    ch: Any = None
    confirmed_since_back = 0
    msg_id = 0
    properties = lib.BasicProperties(delivery_mode=2)
    try:
        while not (restarter.done.is_set() and confirmed_since_back >= AFTER_RESTART):
            if conn is None:
                conn = connect_with_retry(lib, node.url)
                ch = conn.channel()
                ch.confirm_delivery()
            if len(ledger.confirmed) == BEFORE_RESTART and not restarter.is_alive() \
                    and not restarter.done.is_set():
                restarter.start()
            ledger.attempted.append(msg_id)
            try:
                ch.basic_publish("", queue, b"%d" % msg_id, properties, mandatory=True)
            except (lib.exceptions.NackError, lib.exceptions.UnroutableError) as exc:
                ledger.report(msg_id, type(exc).__name__)
            except lib.exceptions.AMQPError as exc:
                # The connection or channel went: this message was never confirmed.
                ledger.report(msg_id, type(exc).__name__)
                ledger.connection_errors.append(type(exc).__name__)
                try:
                    if conn.is_open:
                        conn.close()
                except lib.exceptions.AMQPError:
                    pass
                conn = None
            else:
                ledger.confirm(msg_id)
                if restarter.done.is_set():
                    confirmed_since_back += 1
            msg_id += 1
    finally:
        restarter.join(RECONNECT_WITHIN)
        if conn is not None and conn.is_open:
            conn.close()
    if restarter.error is not None:
        raise restarter.error
    return ledger


class _Epoch:
    """One thread-safe connection's life: seq numbers in flight on its channel."""

    def __init__(self) -> None:
        self.outstanding: Dict[int, int] = {}  # seq_no -> message id
        self.closed = threading.Event()
        self.reason: Optional[BaseException] = None


def threadsafe_publisher(node: PrivateRabbitNode, queue: str, how: str) -> Ledger:
    """Publish with the thread-safe Connection, up to WINDOW unconfirmed at a time,
    through a restart, reconnecting."""
    ledger = Ledger()
    restarter = Restarter(node, how)
    cond = threading.Condition()
    properties = pika_fast.BasicProperties(delivery_mode=2)
    epoch: Optional[_Epoch] = None
    conn: Any = None
    ch: Any = None
    confirmed_since_back = 0
    msg_id = 0

    def open_epoch() -> Any:
        deadline = time.monotonic() + RECONNECT_WITHIN
        while True:
            try:
                return pika_fast.Connection(pika_fast.URLParameters(
                    node.url + "?connection_attempts=1"))
            except pika_fast.exceptions.AMQPConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)

    def on_confirm(current: _Epoch, frame: Any) -> None:
        method = frame.method
        with cond:
            seqs = [s for s in current.outstanding if s <= method.delivery_tag] \
                if method.multiple else [method.delivery_tag]
            for seq in seqs:
                msg = current.outstanding.pop(seq)
                if method.NAME == "Basic.Ack":
                    ledger.confirm(msg)
                else:
                    ledger.report(msg, "Basic.Nack")
            cond.notify_all()

    def on_channel_closed(current: _Epoch, _channel: Any, reason: BaseException) -> None:
        # Runs on the channel's worker after every confirm received before the close:
        # what is still outstanding now will never be confirmed.
        with cond:
            current.reason = reason
            for msg in current.outstanding.values():
                ledger.report(msg, f"outstanding at close: {type(reason).__name__}")
            current.outstanding.clear()
            current.closed.set()
            cond.notify_all()

    try:
        while not (restarter.done.is_set() and confirmed_since_back >= AFTER_RESTART):
            if epoch is None or epoch.closed.is_set():
                if conn is not None and epoch is not None:
                    ledger.connection_errors.append(type(epoch.reason).__name__)
                    if not conn.is_closed:
                        conn.close()
                epoch = _Epoch()
                conn = open_epoch()
                ch = conn.channel()
                current = epoch
                ch.add_on_close_callback(
                    lambda c, r, current=current: on_channel_closed(current, c, r))
                ch.confirm_delivery(lambda f, current=current: on_confirm(current, f))
            if len(ledger.confirmed) >= BEFORE_RESTART and not restarter.is_alive() \
                    and not restarter.done.is_set():
                restarter.start()
            with cond:
                cond.wait_for(lambda: len(epoch.outstanding) < WINDOW  # type: ignore
                              or epoch.closed.is_set(), timeout=30)  # type: ignore
                if epoch.closed.is_set():
                    continue
                assert len(epoch.outstanding) < WINDOW, "no confirm for 30 s"
            time.sleep(PACE)
            ledger.attempted.append(msg_id)
            before = len(ledger.confirmed)
            try:
                ch.basic_publish("", queue, b"%d" % msg_id, properties, mandatory=True,
                                 on_publish=lambda seq, m=msg_id, e=epoch:
                                 e.outstanding.__setitem__(seq, m))
            except pika_fast.exceptions.AMQPError as exc:
                ledger.report(msg_id, type(exc).__name__)
                # The channel's close callback will follow (or ran): wait for it.
                epoch.closed.wait(30)
            if restarter.done.is_set():
                confirmed_since_back += len(ledger.confirmed) - before
            msg_id += 1
        # Wait for the last confirms of the final connection.
        with cond:
            assert cond.wait_for(lambda: not epoch.outstanding  # type: ignore
                                 or epoch.closed.is_set(), timeout=30)  # type: ignore
    finally:
        restarter.join(RECONNECT_WITHIN)
        if conn is not None and not conn.is_closed:
            conn.close()
    if restarter.error is not None:
        raise restarter.error
    return ledger


# The pika reference runs the application restart only (a node restart costs time).
CASES = [pytest.param(publisher, kind, how, id=f"{publisher}-{kind}-{how}")
         for how in ("app", "node") for kind in ("durable", "quorum")
         for publisher in ("pika-blocking", "blocking", "threadsafe")
         if not (publisher == "pika-blocking" and how == "node")]


@pytest.mark.parametrize("publisher,kind,how", CASES)
def test_no_confirmed_message_lost_across_restart(node, publisher, kind, how):
    queue = declare(pika_fast, node.url, kind)
    if publisher == "threadsafe":
        ledger = threadsafe_publisher(node, queue, how)
    else:
        lib = real_pika if publisher == "pika-blocking" else pika_fast
        ledger = blocking_publisher(lib, node, queue, how)
    stored = drain(node.url, queue)
    # The restart really cut the publisher off, and it went on afterwards.
    assert ledger.connection_errors, "the restart never reached the publisher"
    ledger.check(stored)
    assert len(ledger.confirmed) >= BEFORE_RESTART + AFTER_RESTART
