"""Adapter benchmark against a real RabbitMQ: each pika_fast adapter vs pika 1.4.4's own.

Run from the repository root::

    PYTHONPATH=. .venv/bin/python benchmarks/adapters.py            # 3 rounds, full sizes
    PYTHONPATH=. .venv/bin/python benchmarks/adapters.py --quick    # 1 round, small sizes

Workloads, each run by pika 1.4.4 and pika_fast in the same round:

* ``pub``/``con`` per adapter (select, asyncio, tornado, gevent, twisted): publish
  ``--n`` messages (``--batch`` per loop tick, timed until the broker holds them all),
  then consume ``--n`` pre-filled messages with one ack each (prefetch ``--prefetch``).
  The callback adapters share benchmarks/e2e.py's SelectConnection workers; Twisted
  uses its Deferred API (``basic_consume``'s queue, ``get()`` per message).
* ``ts``: ``--threads`` threads publishing ``--n`` messages in all: pika_fast's
  thread-safe ``Connection`` (one connection, a channel per thread) against pika's only
  safe equivalent, one ``BlockingConnection`` per thread.
* ``ts-confirm``: the same with publisher confirms, each thread waiting until all of its
  messages are confirmed (pika: ``confirm_delivery()``, one confirm per publish).

The machinery is benchmarks/e2e.py's: every client run in a fresh interpreter,
``getrusage`` client CPU, broker CPU from /proc, queue administration and the
*ceiling* through the raw-socket client (its publish and consume runs of each round are
the ceiling of every adapter's publish and consume rows, and of ``ts``).
"""
from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import sys
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402  (benchmarks/e2e.py, whichever way this file is started)
from e2e import Harness, Marks, Metrics, _lib, _params, _span_metrics  # noqa: E402

ADAPTERS = ["select", "asyncio", "tornado", "gevent", "twisted"]
_CLASS = {"select": "SelectConnection", "asyncio": "AsyncioConnection",
          "tornado": "TornadoConnection", "gevent": "GeventConnection"}

# ============================================================================ workers


def _connection_class(lib: Any, adapter: str) -> Any:
    module = importlib.import_module(f"{lib.__name__}.adapters.{adapter}_connection")
    return getattr(module, _CLASS[adapter])


def _adapter_run(a: Dict[str, Any], on_channel: Callable[[Any, Any], None]) -> None:
    """e2e's _select_run for any callback adapter: open, run ``on_channel`` on a fresh
    channel, drive the adapter's loop until the workload closes the connection."""
    lib, adapter = _lib(a["client"]), a["adapter"]
    cls = _connection_class(lib, adapter)
    errors: List[BaseException] = []
    state = a.setdefault("_state", {})
    kwargs: Dict[str, Any] = {}
    if adapter == "asyncio":
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        kwargs["custom_ioloop"] = loop

    def on_open(conn: Any) -> None:
        conn.channel(on_open_callback=lambda ch: on_channel(conn, ch))

    def on_open_error(conn: Any, err: BaseException) -> None:
        errors.append(err)
        conn.ioloop.stop()

    def on_close(conn: Any, reason: BaseException) -> None:
        if not state.get("done"):
            errors.append(reason)
        conn.ioloop.stop()

    conn = cls(_params(lib, a), on_open_callback=on_open,
               on_open_error_callback=on_open_error, on_close_callback=on_close, **kwargs)
    if adapter == "asyncio":
        conn.ioloop.run_forever()
    else:
        conn.ioloop.start()
    if errors:
        raise RuntimeError(f"{cls.__name__} failed: {errors[0]!r}")
    if not state.get("done"):
        raise RuntimeError(f"{cls.__name__}'s loop stopped before the workload finished")


def w_adapter_publish(a: Dict[str, Any], m: Marks) -> Dict[str, Any]:
    return e2e.w_select_publish(a, m, run=_adapter_run)


def w_adapter_consume(a: Dict[str, Any], m: Marks) -> Dict[str, Any]:
    return e2e.w_select_consume(a, m, run=_adapter_run)


def _twisted_run(a: Dict[str, Any], body: Callable[[Any], Any]) -> None:
    """Connect with ``TwistedProtocolConnection``, run the ``body(connection)``
    generator as inlineCallbacks, stop the reactor when it ends."""
    from twisted.internet import defer, protocol, reactor  # noqa: PLC0415

    lib = _lib(a["client"])
    module = importlib.import_module(f"{lib.__name__}.adapters.twisted_connection")
    failures: List[Any] = []

    @defer.inlineCallbacks
    def main(conn: Any) -> Any:
        yield conn.ready
        yield from body(conn)
        yield conn.close()

    creator = protocol.ClientCreator(reactor, module.TwistedProtocolConnection,
                                     _params(lib, a))
    d = creator.connectTCP(a["host"], a["port"])
    d.addCallback(main)
    d.addErrback(failures.append)
    d.addBoth(lambda _: reactor.stop())
    reactor.run()
    if failures:
        raise RuntimeError(f"Twisted workload failed: {failures[0].getTraceback()}")


def _sleep(seconds: float) -> Any:
    from twisted.internet import reactor, task  # noqa: PLC0415
    return task.deferLater(reactor, seconds, lambda: None)


def w_twisted_publish(a: Dict[str, Any], m: Marks) -> Dict[str, Any]:
    queue, n, batch, payload = a["queue"], a["n"], a["batch"], b"x" * a["size"]

    def body(conn: Any) -> Any:
        ch = yield conn.channel()
        publish = ch.basic_publish
        m.mark("start")
        sent = 0
        while sent < n:
            k = min(batch, n - sent)
            for _ in range(k):
                publish("", queue, payload)
            sent += k
            yield _sleep(0)  # one reactor turn per batch, as call_later(0) elsewhere
        m.mark("returned")
        while True:
            frame = yield ch.queue_declare(queue, passive=True)
            if frame.method.message_count >= n:
                break
            yield _sleep(0.002)
        m.mark("enqueued")

    _twisted_run(a, body)
    return {"ret": m.span("start", "returned"), "all": m.span("start", "enqueued")}


def w_twisted_consume(a: Dict[str, Any], m: Marks) -> Dict[str, Any]:
    queue, n, size = a["queue"], a["n"], a["size"]
    bad: List[str] = []

    def body(conn: Any) -> Any:
        ch = yield conn.channel()
        yield ch.basic_qos(prefetch_count=a["prefetch"])
        m.mark("start")
        messages, _tag = yield ch.basic_consume(queue=queue)
        for count in range(1, n + 1):
            chan, method, _props, data = yield messages.get()
            chan.basic_ack(method.delivery_tag)
            if count == 1 and len(data) != size:
                bad.append(f"first body has {len(data)} bytes, expected {size}")
        m.mark("end")

    _twisted_run(a, body)
    if bad:
        raise AssertionError(bad[0])
    return {"all": m.span("start", "end")}


def _ts_publish(a: Dict[str, Any], m: Marks, confirm: bool) -> Dict[str, Any]:
    """``threads`` threads publishing ``n`` messages in all; the queue depth is polled
    through the raw client so both sides pay the same for it."""
    lib = _lib(a["client"])
    queue, n, threads, payload = a["queue"], a["n"], a["threads"], b"x" * a["size"]
    per = n // threads
    ready = threading.Barrier(threads + 1)
    finished = threading.Event()
    errors: List[BaseException] = []
    admin = e2e._raw_from(a)
    shared: Any = None
    if a["client"] == "fast":
        shared = lib.Connection(_params(lib, a))

    def fast_thread() -> None:
        ch = shared.channel()
        confirmed = threading.Event()
        count = [0]

        def on_confirm(frame: Any) -> None:
            method = frame.method
            if method.NAME != "Basic.Ack":
                errors.append(RuntimeError(f"broker nacked {method.delivery_tag}"))
            count[0] = method.delivery_tag
            if count[0] >= per:
                confirmed.set()
        if confirm:
            ch.confirm_delivery(on_confirm)
        publish = ch.basic_publish
        ready.wait()
        for _ in range(per):
            publish("", queue, payload)
        if confirm and not confirmed.wait(600):
            raise TimeoutError("confirms did not arrive")

    def pika_thread() -> None:
        conn = lib.BlockingConnection(_params(lib, a))
        ch = conn.channel()
        if confirm:
            ch.confirm_delivery()
        publish = ch.basic_publish
        ready.wait()
        for _ in range(per):
            publish("", queue, payload)
        finished.wait(600)  # close outside the timed window
        conn.close()

    target = fast_thread if a["client"] == "fast" else pika_thread

    def guarded() -> None:
        try:
            target()
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
            ready.abort()

    workers = [threading.Thread(target=guarded, name=f"publisher-{i}") for i in range(threads)]
    for t in workers:
        t.start()
    ready.wait()
    m.mark("start")
    deadline = time.monotonic() + 600
    for t in workers:
        # pika's threads stay until ``finished``; the publishing is over when the
        # queue holds everything anyway.
        if a["client"] == "fast":
            t.join(max(deadline - time.monotonic(), 0))
    m.mark("returned")
    e2e._wait_until("all messages enqueued", lambda: errors or
                    admin.queue_declare(queue, True) >= per * threads)
    m.mark("enqueued")
    finished.set()
    for t in workers:
        t.join(60)
    if shared is not None:
        shared.close()
    admin.close()
    if errors:
        raise RuntimeError(f"a publisher thread failed: {errors[0]!r}")
    return {"ret": m.span("start", "returned"), "all": m.span("start", "enqueued")}


def w_ts_publish(a: Dict[str, Any], m: Marks) -> Dict[str, Any]:
    return _ts_publish(a, m, confirm=False)


def w_ts_confirm(a: Dict[str, Any], m: Marks) -> Dict[str, Any]:
    return _ts_publish(a, m, confirm=True)


WORKERS = {
    "adapter_publish": w_adapter_publish,
    "adapter_consume": w_adapter_consume,
    "twisted_publish": w_twisted_publish,
    "twisted_consume": w_twisted_consume,
    "ts_publish": w_ts_publish,
    "ts_confirm": w_ts_confirm,
}


# ============================================================================ runners


class AdapterHarness(Harness):
    script = os.path.abspath(__file__)


def run_pub(h: Harness, client: str, adapter: str) -> Optional[Metrics]:
    o = h.opts
    kind = "raw_publish" if client == "ceiling" else (
        "twisted_publish" if adapter == "twisted" else "adapter_publish")
    queue = h.fresh_queue("apub")
    try:
        r = h.run_worker(kind, client, adapter=adapter, queue=queue, n=o.n,
                         size=o.body_size, batch=o.batch)
    finally:
        h.delete_queue(queue)
    return None if r is None else _span_metrics(r, o.n)


def run_con(h: Harness, client: str, adapter: str) -> Optional[Metrics]:
    o = h.opts
    kind = "raw_consume" if client == "ceiling" else (
        "twisted_consume" if adapter == "twisted" else "adapter_consume")
    queue = h.fresh_queue("acon")
    try:
        h.fill(queue, o.n, o.body_size)
        r = h.run_worker(kind, client, adapter=adapter, queue=queue, n=o.n,
                         size=o.body_size, prefetch=o.prefetch)
    finally:
        h.delete_queue(queue)
    return None if r is None else _span_metrics(r, o.n)


def run_ts(h: Harness, client: str, confirm: bool) -> Optional[Metrics]:
    o = h.opts
    n = (o.confirm_n if confirm else o.n) // o.threads * o.threads
    kind = "raw_publish" if client == "ceiling" else (
        "ts_confirm" if confirm else "ts_publish")
    queue = h.fresh_queue("ts")
    try:
        r = h.run_worker(kind, client, queue=queue, n=n, size=o.body_size,
                         threads=o.threads, batch=o.batch)
    finally:
        h.delete_queue(queue)
    return None if r is None else _span_metrics(r, n)


# (key, label, clients, runner). The raw ceiling runs inside each row, next to the two
# libraries (their order rotated per round): the broker is shared with other work, so a
# ceiling measured minutes apart says little.
def _plan(o: argparse.Namespace) -> List[Tuple[str, str, List[str],
                                               Callable[[Harness, str], Optional[Metrics]]]]:
    plan: List[Tuple[str, str, List[str], Callable[[Harness, str], Optional[Metrics]]]] = []
    both = ["pika", "fast", "ceiling"]
    for adapter in o.adapters:
        if "pub" in o.workloads:
            plan.append((f"{adapter}-pub", f"{adapter} publish", both,
                         lambda h, c, ad=adapter: run_pub(h, c, ad)))
        if "con" in o.workloads:
            plan.append((f"{adapter}-con", f"{adapter} consume + ack", both,
                         lambda h, c, ad=adapter: run_con(h, c, ad)))
    if "ts" in o.workloads:
        plan.append(("ts", f"{o.threads} threads publish", both,
                     lambda h, c: run_ts(h, c, False)))
    if "ts-confirm" in o.workloads:
        # No ceiling: a raw client would have to implement the same threaded confirms.
        plan.append(("ts-confirm", f"{o.threads} threads publish + confirms",
                     ["pika", "fast"], lambda h, c: run_ts(h, c, True)))
    return plan


# ============================================================================ report


def report(h: Harness, results: Dict[str, Dict[str, List[Metrics]]], elapsed: float) -> None:
    o = h.opts

    def med(key: str, client: str, metric: str) -> Optional[float]:
        return e2e._median([r[metric] for r in results.get(key, {}).get(client, [])
                            if metric in r])

    def paired(key: str, other: str) -> Optional[float]:
        runs = results.get(key, {})
        theirs = {r["round"]: r["rate"] for r in runs.get(other, [])}
        return e2e._median([r["rate"] / theirs[r["round"]] for r in runs.get("fast", [])
                            if theirs.get(r["round"])])

    header = ("workload (median of %d round%s)" % (o.rounds, "" if o.rounds == 1 else "s"),
              "pika msg/s", "fast msg/s", "ceil msg/s", "fast/pika", "fast/ceil",
              "pika CPU us/msg", "fast CPU us/msg", "CPU pika/fast", "target")
    rows: List[Tuple[str, ...]] = []
    broker: List[Tuple[str, Optional[float], Optional[float], Optional[float]]] = []
    for key, label, _clients, _runner in _plan(o):
        p, f, c = (med(key, client, "rate") for client in ("pika", "fast", "ceiling"))
        pc, fc = med(key, "pika", "cpu100k"), med(key, "fast", "cpu100k")
        pb, fb, cb = (med(key, client, "broker100k") for client in ("pika", "fast", "ceiling"))
        broker.append((label, pb, fb, cb))
        # Ratios are taken within each round, then the median: the shared broker's
        # speed drifts between rounds far more than between neighbouring runs.
        fp, fceil = paired(key, "pika"), paired(key, "ceiling")
        if fp is None:
            verdict = "n/a"
        else:
            verdict = "ok" if fp >= 2.0 or (fceil is not None and fceil >= 0.90) else "MISS"
        rows.append((label, e2e._fmt(p, ",.0f"), e2e._fmt(f, ",.0f"), e2e._fmt(c, ",.0f"),
                     e2e._fmt(fp, ".2f"), e2e._fmt(fceil, ".2f"),
                     e2e._fmt(None if pc is None else pc * 10, ".1f"),
                     e2e._fmt(None if fc is None else fc * 10, ".1f"),
                     e2e._fmt(e2e._ratio(pc, fc), ".2f"),
                     f">= 2x pika or >= 0.90 ceil [{verdict}]"))
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header) - 1)]

    def line(r: Tuple[str, ...]) -> str:
        cells = [r[0].ljust(widths[0])] + [r[i].rjust(widths[i]) for i in range(1, 9)]
        return "  ".join(cells) + "  " + r[9]

    print()
    print(line(header))
    for r in rows:
        print(line(r))
    print()
    print("broker (beam.smp) CPU us/msg over the same windows, pika / fast / ceiling:")
    for label, pb, fb, cb in broker:
        print(f"  {label.ljust(widths[0])}  " + " / ".join(
            e2e._fmt(None if v is None else v * 10, ".1f") for v in (pb, fb, cb)))
    print()
    print("fast/pika and fast/ceil: the median over rounds of the ratio within a round.")
    print(f"{o.n:,} messages of {o.body_size} B per publish/consume run ({o.batch} per loop "
          f"tick), prefetch {o.prefetch}; ts: {o.threads} threads, {o.n:,} in all; "
          f"ts-confirm: {o.confirm_n:,} in all.")
    print("msg/s: until the broker holds every message (publish) or the last delivery "
          "(consume). CPU: getrusage(RUSAGE_SELF) of the client process over that window")
    print("(all its threads), per message. Ceiling: the raw-socket client of e2e.py on one "
          "connection, run in the same row of each round.")
    backends = ", ".join(sorted(h.backends)) or "unknown (no pika_fast worker finished)"
    print(f"pika_fast codec backend in the workers: {backends}; total wall time {elapsed:.0f} s")
    if h.errors:
        print(f"\n{len(h.errors)} run(s) failed:")
        for e in h.errors:
            print("  " + e)


# ============================================================================ main


def parse_args(argv: List[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="smoke run: 1 round, 20k messages")
    p.add_argument("--rounds", type=int, help="rounds (default 3; --quick 1)")
    p.add_argument("--n", type=int, help="messages per publish/consume/ts run (100000)")
    p.add_argument("--confirm-n", type=int, help="messages for ts-confirm (40000)")
    p.add_argument("--threads", type=int, default=8, help="publisher threads for ts (8)")
    p.add_argument("--body-size", type=int, default=100, help="message body bytes (100)")
    p.add_argument("--prefetch", type=int, default=1000, help="consumer prefetch (1000)")
    p.add_argument("--batch", type=int, default=1000, help="publishes per loop tick (1000)")
    p.add_argument("--adapters", default=",".join(ADAPTERS),
                   help=f"comma-separated subset of {','.join(ADAPTERS)}")
    p.add_argument("--workloads", default="pub,con,ts,ts-confirm",
                   help="comma-separated subset of pub,con,ts,ts-confirm")
    e2e.add_broker_arguments(p)
    o = p.parse_args(argv)
    if o.rounds is None:
        o.rounds = 1 if o.quick else 3
    if o.n is None:
        o.n = 20_000 if o.quick else 100_000
    if o.confirm_n is None:
        o.confirm_n = 8_000 if o.quick else 40_000
    o.adapters = [x.strip() for x in o.adapters.split(",") if x.strip()]
    o.workloads = [x.strip() for x in o.workloads.split(",") if x.strip()]
    for a in o.adapters:
        if a not in ADAPTERS:
            p.error(f"unknown adapter {a!r}; choose from {','.join(ADAPTERS)}")
    for w in o.workloads:
        if w not in ("pub", "con", "ts", "ts-confirm"):
            p.error(f"unknown workload {w!r}; choose from pub,con,ts,ts-confirm")
    if o.threads < 1:
        p.error("--threads must be >= 1")
    return o


def main(argv: List[str]) -> int:
    o = parse_args(argv)
    if o.worker is not None:
        e2e.WORKERS.update(WORKERS)
        return e2e.worker_main(o.worker)
    h = AdapterHarness(o)
    try:
        h.admin().close()
    except (OSError, e2e.BrokerError) as exc:
        print(f"cannot reach RabbitMQ at {o.host}:{o.port}: {exc} (try `make broker`)",
              file=sys.stderr)
        return 2
    print(f"pika_fast adapter benchmark: {o.rounds} round(s); {o.n:,} x {o.body_size} B; "
          f"adapters {','.join(o.adapters)}; workloads {','.join(o.workloads)}", flush=True)
    started = time.monotonic()
    results = e2e.run_rounds(
        h, o.rounds, lambda: [(key, clients, runner) for key, _label, clients, runner in _plan(o)])
    report(h, results, time.monotonic() - started)
    if o.json:
        e2e.write_json(o.json, h, results)
    return 1 if h.errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
