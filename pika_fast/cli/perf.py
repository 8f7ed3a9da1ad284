"""``pika-fast perf``: a load generator with the conventions of RabbitMQ's PerfTest.

Producers (``-x``) publish ``-s``-byte messages to one queue at ``-r`` msg/s each (0:
as fast as they can), optionally in confirm mode with ``-c`` confirms outstanding;
consumers (``-y``) consume them with prefetch ``-q``, acking each (or ``-a``
auto-ack). Each body starts with its publish time, so consumers measure latency.
A live line each second, then a summary table (or ``--json``/``--csv``).

Every producer and consumer is a process of its own (see ``_perf_worker``): Python
threads would share one GIL and measure contention rather than the client, and with
``--compare pika`` pika 1.4.4 then runs in processes of its own, never beside
pika_fast. The same workload runs once per library, pika_fast first, and the ratios
follow.
"""
from __future__ import annotations

import argparse
import csv
import importlib.util
import io
import json
import multiprocessing
import queue as queue_module
import sys
import time
import uuid
from array import array
from typing import Any, Dict, List, Optional, TextIO

import pika_fast
from pika_fast.cli import _perf_worker
from pika_fast.cli._common import (
    EXIT_ERROR, EXIT_USAGE, CLIError, add_connection_options, describe, parameters,
    redact, resolve_url)

ADAPTERS = ("blocking", "select", "asyncio", "threadsafe", "tornado", "gevent", "twisted")
COMPARE_WITH = ("pika",)
READY_TIMEOUT = 60.0
DRAIN_IDLE = 3.0  # stop waiting for consumers after this long without progress


def add_parser(subparsers: Any) -> None:
    """Register ``perf`` on ``subparsers``."""
    p = subparsers.add_parser(
        "perf", help="PerfTest-style load test (optionally against pika 1.4.4)",
        description=__doc__.split("\n\n")[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_connection_options(p)
    p.add_argument("-x", "--producers", type=int, default=1, help="producers (default 1)")
    p.add_argument("-y", "--consumers", type=int, default=1, help="consumers (default 1)")
    p.add_argument("-s", "--size", type=int, default=12,
                   help="message size in bytes, at least 8 (default 12)")
    p.add_argument("-r", "--rate", type=float, default=0,
                   help="msg/s per producer, 0 = unlimited (default)")
    p.add_argument("-c", "--confirm", type=int, default=0, metavar="N",
                   help="confirm mode with N confirms outstanding (the blocking adapter "
                        "waits for each); 0 = off (default)")
    p.add_argument("-q", "--prefetch", type=int, default=100,
                   help="consumer prefetch count (default 100)")
    p.add_argument("-a", "--auto-ack", action="store_true", help="consumers auto-ack")
    p.add_argument("-u", "--queue", default=None,
                   help="queue to use (default: a new one, deleted afterwards); with "
                        "--compare it is purged between the runs")
    p.add_argument("--quorum", action="store_true", help="declare a quorum queue")
    p.add_argument("-f", "--persistent", action="store_true", help="delivery mode 2")
    p.add_argument("-z", "--time", type=float, default=None, metavar="SECONDS",
                   help="run time (default 10 s unless -C is given)")
    p.add_argument("-C", "--pmessages", type=int, default=0,
                   help="messages per producer, then stop")
    p.add_argument("--drain", type=float, default=5.0, metavar="SECONDS",
                   help="after the producers stop, wait up to this long for the consumers "
                        "to receive what was sent (default 5)")
    p.add_argument("--adapter", choices=ADAPTERS, default="blocking",
                   help="connection adapter (default blocking)")
    p.add_argument("--compare", choices=COMPARE_WITH, default=None,
                   help="also run the same workload with pika 1.4.4 and print ratios")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="results as JSON on stdout")
    out.add_argument("--csv", action="store_true", help="results as CSV on stdout")
    p.set_defaults(func=cmd_perf)


# --------------------------------------------------------------------------- checks

def _check(args: argparse.Namespace) -> None:
    if args.size < _perf_worker.STAMP.size:
        raise CLIError(f"--size must be at least {_perf_worker.STAMP.size} (the timestamp)",
                       EXIT_USAGE)
    for name in ("producers", "consumers", "confirm", "pmessages", "prefetch"):
        if getattr(args, name) < 0:
            raise CLIError(f"--{name} cannot be negative", EXIT_USAGE)
    if args.drain < 0:
        raise CLIError("--drain cannot be negative", EXIT_USAGE)
    if args.rate < 0:
        raise CLIError("--rate cannot be negative", EXIT_USAGE)
    if args.producers == 0 and args.consumers == 0:
        raise CLIError("nothing to do: no producers and no consumers", EXIT_USAGE)
    if args.time is not None and args.time <= 0:
        raise CLIError("--time must be positive", EXIT_USAGE)
    if args.time is None and not args.pmessages:
        args.time = 10.0
    if args.time is None and args.producers == 0:
        raise CLIError("with no producers, give --time", EXIT_USAGE)
    if args.adapter == "twisted" and args.url.lower().startswith("amqps:"):
        # The adapter takes Twisted's own TLS, which pika's ssl_options do not describe.
        raise CLIError("--adapter twisted connects with plain TCP: use an amqp:// URL",
                       EXIT_USAGE)
    if args.compare:
        try:
            found = importlib.util.find_spec(args.compare) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            raise CLIError(f"--compare {args.compare}: {args.compare} is not installed "
                           f"(pip install pika==1.4.4)", EXIT_USAGE)
        if args.adapter == "threadsafe":
            raise CLIError("--compare pika: pika 1.4.4 has no thread-safe connection; use "
                           "--adapter blocking, select, asyncio, tornado, gevent or twisted",
                           EXIT_USAGE)


# ------------------------------------------------------------------------ the queue

def _declare(args: argparse.Namespace, name: str) -> None:
    connection = pika_fast.BlockingConnection(parameters(pika_fast, args.url))
    try:
        arguments = {"x-queue-type": "quorum"} if args.quorum else None
        connection.channel().queue_declare(name, durable=bool(args.quorum or args.persistent),
                                           arguments=arguments)
    finally:
        if connection.is_open:
            connection.close()


def _purge(args: argparse.Namespace, name: str) -> None:
    connection = pika_fast.BlockingConnection(parameters(pika_fast, args.url))
    try:
        connection.channel().queue_purge(name)
    finally:
        if connection.is_open:
            connection.close()


def _delete(args: argparse.Namespace, name: str) -> None:
    try:
        connection = pika_fast.BlockingConnection(parameters(pika_fast, args.url))
        try:
            connection.channel().queue_delete(name)
        finally:
            if connection.is_open:
                connection.close()
    except Exception as exc:  # noqa: BLE001 - the results matter more than the cleanup
        print(f"pika-fast perf: could not delete queue {name!r}: {describe(exc)[0]}",
              file=sys.stderr)


# ---------------------------------------------------------------------- one workload

class Live:
    """The once-a-second progress line: rewritten in place on a terminal, one plain line
    per second otherwise."""

    def __init__(self, stream: TextIO, label: str) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.label = label
        self.dirty = False

    def show(self, elapsed: float, sent: float, received: float, confirmed: float,
             latencies: "array[int]") -> None:
        lat = _latency_summary(latencies)
        text = (f"{self.label} {elapsed:5.1f}s  sent {sent:9,.0f}/s  received "
                f"{received:9,.0f}/s  confirmed {confirmed:9,.0f}/s  latency us "
                + ("-" if lat["count"] == 0 else
                   f"min {lat['min']:,} median {lat['median']:,} p95 {lat['p95']:,} "
                   f"p99 {lat['p99']:,} max {lat['max']:,}"))
        if self.tty:
            self.stream.write("\r\x1b[2K" + text)
            self.dirty = True
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def end(self) -> None:
        if self.dirty:
            self.stream.write("\n")
            self.stream.flush()
            self.dirty = False


def _percentile(ordered: List[int], fraction: float) -> int:
    index = min(len(ordered) - 1, max(0, int(round(fraction * (len(ordered) - 1)))))
    return ordered[index]


def _latency_summary(latencies: "array[int]") -> Dict[str, Any]:
    if not latencies:
        return {"count": 0, "min": None, "median": None, "p95": None, "p99": None,
                "max": None}
    ordered = sorted(latencies)
    return {"count": len(ordered), "min": ordered[0], "median": _percentile(ordered, 0.5),
            "p95": _percentile(ordered, 0.95), "p99": _percentile(ordered, 0.99),
            "max": ordered[-1]}


def run_workload(args: argparse.Namespace, library: str, live_stream: TextIO) -> Dict[str, Any]:
    """Run the workload with ``library`` in worker processes; return its results."""
    created = args.queue is None
    queue_name = args.queue or f"pika-fast-perf-{uuid.uuid4().hex[:12]}"
    _declare(args, queue_name)
    if args.header:  # once the broker has answered, so an error stays the only line
        print(args.header, file=live_stream)
        args.header = None
    ctx = multiprocessing.get_context("spawn")
    reports = ctx.Queue()
    go, stop_producers, stop_consumers = ctx.Event(), ctx.Event(), ctx.Event()
    base = {"library": library, "adapter": args.adapter, "url": args.url,
            "queue": queue_name, "size": args.size, "rate": args.rate,
            "confirm": args.confirm, "prefetch": args.prefetch, "auto_ack": args.auto_ack,
            "persistent": args.persistent, "pmessages": args.pmessages}
    roles: Dict[int, str] = {}
    processes = []
    workers = [("consumer", stop_consumers)] * args.consumers + \
        [("producer", stop_producers)] * args.producers
    for wid, (role, stop) in enumerate(workers):
        config = dict(base, wid=wid, role=role)
        roles[wid] = role
        process = ctx.Process(target=_perf_worker.run, args=(config, reports, go, stop),
                              name=f"pika-fast-perf-{library}-{role}-{wid}", daemon=True)
        process.start()
        processes.append(process)
    totals = {"sent": 0, "confirmed": 0, "nacked": 0, "returned": 0, "received": 0}
    all_latencies: "array[int]" = array("q")
    info: Dict[str, Any] = {}
    cpu = 0.0
    done: set = set()
    live = Live(live_stream, f"[{library}]")
    try:
        # Everyone connected and set up before the clock starts.
        ready: set = set()
        deadline = time.monotonic() + READY_TIMEOUT
        while len(ready) < len(processes):
            message = _next(reports, deadline, processes, "workers did not get ready")
            if message[0] == "error":
                _fail(message, library)
            if message[0] == "ready":
                ready.add(message[1])
                info = message[2]
        go.set()
        start = time.monotonic()
        window = {"sent": 0, "received": 0, "confirmed": 0}
        window_lat: "array[int]" = array("q")
        next_line = start + 1.0
        producers = {w for w, r in roles.items() if r == "producer"}
        consumers = {w for w, r in roles.items() if r == "consumer"}
        producer_end: Optional[float] = None
        last_receive = start
        last_progress = start
        consumer_end: Optional[float] = None

        while True:
            now = time.monotonic()
            if not stop_producers.is_set() and (
                    args.interrupted
                    or (args.time is not None and now - start >= args.time)
                    or (producers and producers <= done)):
                stop_producers.set()
            if producer_end is None and stop_producers.is_set() and producers <= done:
                producer_end = now
            if producer_end is not None and consumer_end is None:
                expected = totals["sent"] - totals["returned"] - totals["nacked"]
                drained = not producers or totals["received"] >= expected
                if not consumers or drained or now - last_progress >= DRAIN_IDLE \
                        or now - producer_end >= args.drain or args.interrupted:
                    consumer_end = now
                    stop_consumers.set()
            if consumer_end is not None and len(done) == len(processes):
                break
            if now >= next_line:
                live.show(now - start, window["sent"], window["received"],
                          window["confirmed"], window_lat)
                window = {"sent": 0, "received": 0, "confirmed": 0}
                window_lat = array("q")
                next_line += 1.0
            try:
                message = reports.get(timeout=max(0.01, min(0.1, next_line - now)))
            except queue_module.Empty:
                _check_alive(processes, done)
                continue
            except KeyboardInterrupt:
                # Like PerfTest: Ctrl-C ends the run and still prints the results (the
                # workers ignore SIGINT and stop when told); a second one aborts.
                if args.interrupted:
                    raise
                args.interrupted = True
                continue
            kind, wid = message[0], message[1]
            if kind == "error":
                _fail(message, library)
            elif kind == "done":
                done.add(wid)
                cpu += message[2]["cpu"]
            elif kind == "tick":
                counts = message[2]
                for key in totals:
                    totals[key] += counts[key]
                for key in window:
                    window[key] += counts[key]
                if counts["lat"]:
                    batch = array("q")
                    batch.frombytes(counts["lat"])
                    all_latencies.extend(batch)
                    window_lat.extend(batch)
                if counts["received"]:
                    last_receive = time.monotonic()
                if counts["received"] or counts["sent"] or counts["confirmed"]:
                    last_progress = time.monotonic()
    finally:
        live.end()
        stop_producers.set()
        stop_consumers.set()
        go.set()
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)
        if created:
            _delete(args, queue_name)

    assert producer_end is not None and consumer_end is not None
    produce_s = max(1e-9, producer_end - start)
    consume_s = max(1e-9, (last_receive if totals["received"] else consumer_end) - start)
    messages = max(totals["sent"], totals["received"], 1)
    return {
        "library": library,
        "library_version": info.get("version"),
        "codec": info.get("codec"),
        "adapter": args.adapter,
        "duration_s": round(produce_s, 3),
        **totals,
        "send_rate": round(totals["sent"] / produce_s, 1),
        "confirm_rate": round(totals["confirmed"] / produce_s, 1),
        "receive_rate": round(totals["received"] / consume_s, 1),
        # None without consumers: there was nobody to drain the queue.
        "drained": (totals["received"] >= totals["sent"] - totals["returned"] - totals["nacked"])
        if args.consumers else None,
        # How long the consumers went on receiving after the producers stopped.
        "drain_s": round(max(0.0, last_receive - producer_end), 3) if totals["received"] else 0.0,
        "latency_us": _latency_summary(all_latencies),
        "client_cpu_s": round(cpu, 3),
        "client_cpu_us_per_msg": round(cpu * 1e6 / messages, 2),
    }


def _next(reports: Any, deadline: float, processes: List[Any], what: str) -> Any:
    while True:
        try:
            return reports.get(timeout=0.2)
        except queue_module.Empty:
            _check_alive(processes, set())
            if time.monotonic() >= deadline:
                raise CLIError(f"{what} within {READY_TIMEOUT:.0f} s", EXIT_ERROR) from None


def _check_alive(processes: List[Any], done: set) -> None:
    for wid, process in enumerate(processes):
        if wid not in done and process.exitcode not in (None, 0):
            raise CLIError(f"worker {process.name} died (exit code {process.exitcode})")


def _fail(message: Any, library: str) -> None:
    _kind, _wid, line, code, trace = message
    error = CLIError(f"{library}: {line}", code)
    error.__notes__ = [trace]  # type: ignore[attr-defined]  # shown with --debug
    raise error


# ----------------------------------------------------------------------------- output

_ROWS = [
    ("messages sent", "sent", "{:,}"),
    ("messages confirmed", "confirmed", "{:,}"),
    ("messages received", "received", "{:,}"),
    ("sent msg/s", "send_rate", "{:,.0f}"),
    ("confirmed msg/s", "confirm_rate", "{:,.0f}"),
    ("received msg/s", "receive_rate", "{:,.0f}"),
    ("latency min us", "latency_us.min", "{:,}"),
    ("latency median us", "latency_us.median", "{:,}"),
    ("latency p95 us", "latency_us.p95", "{:,}"),
    ("latency p99 us", "latency_us.p99", "{:,}"),
    ("latency max us", "latency_us.max", "{:,}"),
    ("client CPU us/msg", "client_cpu_us_per_msg", "{:,.1f}"),
]
# Ratios are "how many times better pika_fast is": rates pika_fast/pika, costs pika/pika_fast.
_HIGHER_IS_BETTER = {"send_rate", "confirm_rate", "receive_rate"}
_LOWER_IS_BETTER = {"latency_us.median", "latency_us.p95", "latency_us.p99",
                    "client_cpu_us_per_msg"}


def _get(run: Dict[str, Any], key: str) -> Any:
    value: Any = run
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def backlogged(run: Dict[str, Any]) -> bool:
    """The consumers fell behind (they missed messages, or needed more than a second
    after the producers stopped): latency then measures the queue's backlog."""
    return run["drained"] is False or run["drain_s"] > 1.0


def ratios(fast: Dict[str, Any], other: Dict[str, Any]) -> Dict[str, Optional[float]]:
    """pika_fast's advantage per metric (>1: pika_fast better); latency ratios are None
    when either run left a backlog, since a faster producer then makes a longer queue
    and "worse" latency."""
    out: Dict[str, Optional[float]] = {}
    skip_latency = backlogged(fast) or backlogged(other)
    for key in sorted(_HIGHER_IS_BETTER | _LOWER_IS_BETTER):
        a, b = _get(fast, key), _get(other, key)
        if not a or not b or (skip_latency and key.startswith("latency")):
            out[key] = None
        elif key in _HIGHER_IS_BETTER:
            out[key] = round(a / b, 2)
        else:
            out[key] = round(b / a, 2)
    return out


def summary_table(settings: Dict[str, Any], runs: List[Dict[str, Any]],
                  ratio: Optional[Dict[str, Optional[float]]]) -> str:
    """The human summary: one column per library, plus the ratio column."""
    headers = ["", *(f"{r['library']} {r['library_version']}"
                     + (f" ({r['codec']})" if r.get("codec") else "") for r in runs)]
    if ratio is not None:
        headers.append("pika_fast vs pika")
    rows = [headers]
    for label, key, fmt in _ROWS:
        row = [label]
        for run in runs:
            value = _get(run, key)
            row.append("-" if value is None else fmt.format(value))
        if ratio is not None:
            value = ratio.get(key)
            row.append("" if value is None else f"{value:.2f}x")
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
                               for i, cell in enumerate(row)))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    if ratio is not None:
        lines.append("ratios: rates pika_fast/pika, latency and CPU pika/pika_fast "
                     "(above 1: pika_fast better)")
    undrained = [r["library"] for r in runs if backlogged(r)]
    if undrained:
        lines.append(f"note: the consumers fell behind the producers ({', '.join(undrained)}): "
                     "latency includes the queue's backlog")
        if ratio is not None:
            lines.append("      so no latency ratios; use --rate or --confirm to compare "
                         "latency")
    return "\n".join(lines)


def to_csv(runs: List[Dict[str, Any]]) -> str:
    """One CSV row per run, latency fields flattened."""
    flat = []
    for run in runs:
        row = {k: v for k, v in run.items() if k != "latency_us"}
        for k, v in run["latency_us"].items():
            row[f"latency_us_{k}"] = v
        flat.append(row)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(flat[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(flat)
    return buffer.getvalue()


def cmd_perf(args: argparse.Namespace) -> int:
    """Run ``perf``: the workload with pika_fast, then with pika if asked; report."""
    args.url = resolve_url(args.url)
    _check(args)
    libraries = ["pika_fast"] + ([args.compare] if args.compare else [])
    live_stream = sys.stderr
    describe_text = (
        f"{args.producers} producer(s), {args.consumers} consumer(s), {args.size}-byte "
        f"messages, rate {'unlimited' if not args.rate else f'{args.rate:g}/s per producer'}, "
        f"confirm {args.confirm or 'off'}, prefetch {args.prefetch}, "
        f"{'auto-ack' if args.auto_ack else 'ack each'}, adapter {args.adapter}, "
        + (f"{args.time:g} s" if args.time else "")
        + (f"{', ' if args.time else ''}{args.pmessages} msg per producer"
           if args.pmessages else "")
        + f", broker {redact(args.url)}")
    settings = {k: getattr(args, k) for k in (
        "producers", "consumers", "size", "rate", "confirm", "prefetch", "auto_ack",
        "queue", "quorum", "persistent", "time", "pmessages", "adapter", "compare")}
    settings["describe"] = describe_text
    args.header = f"pika-fast perf: {describe_text}"
    args.interrupted = False
    runs: List[Dict[str, Any]] = []
    for library in libraries:
        if args.interrupted:
            break
        if runs and args.queue:
            # What the previous run left in a named queue would skew this one.
            _purge(args, args.queue)
        runs.append(run_workload(args, library, live_stream))
    ratio = ratios(runs[0], runs[1]) if len(runs) == 2 else None
    if args.interrupted:
        print("pika-fast perf: interrupted", file=live_stream)
    table = summary_table(settings, runs, ratio)
    if args.json:
        document = {"tool": "pika-fast perf", "version": pika_fast.__version__,
                    "settings": {k: v for k, v in settings.items() if k != "describe"},
                    "runs": runs, "ratios": ratio}
        print(table, file=sys.stderr)
        print(json.dumps(document, indent=2))
    elif args.csv:
        print(table, file=sys.stderr)
        sys.stdout.write(to_csv(runs))
    else:
        print(table)
    return 0
