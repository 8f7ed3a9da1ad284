"""One ``pika-fast perf`` producer or consumer, run in a process of its own.

The client library is imported by name in the worker (``pika_fast`` or, for
``--compare pika``, pika 1.4.4), so the two never share a process and each worker has
a core's worth of GIL to itself, the way PerfTest's threads each have a core in the JVM.
Workers talk to the parent over a multiprocessing queue:

* ``("ready", wid, info)`` once connected, set up and waiting for ``go``;
* ``("tick", wid, counts)`` every :data:`FLUSH_EVERY` seconds: counters since the
  previous tick, and the latencies (µs) measured in that time as packed int64s;
* ``("done", wid, info)`` at the end (CPU seconds the process used since ``go``);
* ``("error", wid, line, code, traceback)`` instead, if anything fails.

Every message body starts with the publish time, 8 bytes of big-endian microseconds
since the epoch; the consumer's receive time minus that is the latency. Producer and
consumer run on the same host, so they read the same clock.
"""
from __future__ import annotations

import importlib
import signal
import struct
import threading
import time
import traceback
from array import array
from typing import Any, Callable, Dict, Optional, cast

from pika_fast.cli._common import EXIT_REFUSED, CLIError, describe

FLUSH_EVERY = 0.2
CHECK_EVERY = 0.05
BATCH = 100  # messages published per turn of a callback adapter's loop
# A callback producer publishes only while less than this waits for the socket, as
# PerfTest's blocking writes are held back by TCP: otherwise the buffer grows for as
# long as the run lasts and draining it at the end stretches the measured time.
MAX_BACKLOG = 256 * 1024
BACKLOG_RECHECK = 0.001
STAMP = struct.Struct(">q")
_now_us = time.time_ns


def _stamp() -> bytes:
    return STAMP.pack(_now_us() // 1000)


class Stats:
    """Counters of one worker, reported as deltas."""

    def __init__(self) -> None:
        self.sent = self.confirmed = self.nacked = self.returned = self.received = 0
        self.latencies = array("q")
        self._last = (0, 0, 0, 0, 0)
        self.lock = threading.Lock()

    def take(self) -> Dict[str, Any]:
        """The counts since the previous call, and the latencies measured since then."""
        with self.lock:
            now = (self.sent, self.confirmed, self.nacked, self.returned, self.received)
            latencies, self.latencies = self.latencies, array("q")
        delta = [a - b for a, b in zip(now, self._last)]
        self._last = now
        return {"sent": delta[0], "confirmed": delta[1], "nacked": delta[2],
                "returned": delta[3], "received": delta[4], "lat": latencies.tobytes()}


class Worker:
    """What every worker shares: config, stats, reporting, the go/stop signals."""

    def __init__(self, config: Dict[str, Any], reports: Any, go: Any, stop: Any) -> None:
        self.config = config
        self.wid = config["wid"]
        self.role = config["role"]
        self.reports = reports
        self.go = go
        self.stop = stop
        self.stats = Stats()
        self.reported_done = False
        self.lib = importlib.import_module(config["library"])
        self.confirm = int(config.get("confirm") or 0)
        self.limit = int(config.get("pmessages") or 0) if self.role == "producer" else 0
        self.rate = float(config.get("rate") or 0)
        self.pad = b"\0" * max(0, int(config["size"]) - STAMP.size)
        self.properties = self.lib.BasicProperties(delivery_mode=2) \
            if config.get("persistent") else None
        self.next_flush = 0.0
        self.cpu_start = time.process_time()
        self.high_tag = 0  # highest delivery tag confirmed so far

    # -- reporting

    def ready(self) -> None:
        codec = getattr(self.lib, "codec_backend", None)
        self.reports.put(("ready", self.wid, {
            "version": getattr(self.lib, "__version__", "?"),
            "codec": codec() if codec else None}))

    def flush(self, now: float) -> None:
        self.next_flush = now + FLUSH_EVERY
        self.reports.put(("tick", self.wid, self.stats.take()))

    def done(self) -> None:
        if self.reported_done:  # a callback producer reports before it closes
            return
        self.reported_done = True
        self.reports.put(("tick", self.wid, self.stats.take()))
        # CPU from ``go`` on: imports and connection setup are not the workload.
        self.reports.put(("done", self.wid, {"cpu": time.process_time() - self.cpu_start}))

    # -- the message path

    def on_message(self, channel: Any, method: Any, _properties: Any, body: Any) -> None:
        latency = _now_us() // 1000 - STAMP.unpack_from(body)[0]
        stats = self.stats
        if self.config.get("auto_ack"):
            stats.received += 1
            stats.latencies.append(latency)
        else:
            channel.basic_ack(method.delivery_tag)
            stats.received += 1
            stats.latencies.append(latency)

    def on_confirm(self, frame: Any) -> int:
        """Count a Basic.Ack/Nack (``multiple`` covers every tag up to this one)."""
        method = frame.method
        tag = method.delivery_tag
        count = tag - self.high_tag if method.multiple else 1
        if tag > self.high_tag:
            self.high_tag = tag
        if type(method).__name__ == "Nack":
            self.stats.nacked += count
        else:
            self.stats.confirmed += count
        return count

    def on_return(self, *_args: Any) -> None:
        self.stats.returned += 1

    def outstanding(self) -> int:
        stats = self.stats
        return stats.sent - stats.confirmed - stats.nacked

    def adapter_class(self) -> Any:
        adapter = self.config["adapter"]
        if adapter == "blocking":
            return self.lib.BlockingConnection
        if adapter == "select":
            return self.lib.SelectConnection
        if adapter == "threadsafe":
            cls = getattr(self.lib, "Connection", None)
            if cls is None:
                raise RuntimeError(f"{self.config['library']} has no thread-safe Connection")
            return cls
        module = importlib.import_module(f"{self.config['library']}.adapters.{adapter}_connection")
        return getattr(module, {"asyncio": "AsyncioConnection",
                                "gevent": "GeventConnection",
                                "tornado": "TornadoConnection"}[adapter])

    def parameters(self) -> Any:
        return self.lib.URLParameters(self.config["url"])


# ------------------------------------------------------------------ blocking adapters

class SyncWorker(Worker):
    """BlockingConnection, and pika_fast's thread-safe Connection (same loop shape).

    BlockingChannel.basic_publish waits for each confirm in confirm mode, so the
    blocking adapter's confirm window is 1 whatever ``-c`` says; the thread-safe
    connection confirms asynchronously and honours the window.
    """

    def run(self) -> None:
        self.conn = self.adapter_class()(self.parameters())
        self.channel = self.conn.channel()
        threadsafe = self.config["adapter"] == "threadsafe"
        self.window: Optional[threading.Semaphore] = None
        if self.role == "producer":
            if self.confirm:
                if threadsafe:
                    self.window = threading.Semaphore(self.confirm)
                    self.channel.confirm_delivery(self._confirmed_threadsafe)
                else:
                    self.channel.confirm_delivery()
            self.channel.add_on_return_callback(self.on_return)
        else:
            self.channel.basic_qos(prefetch_count=int(self.config["prefetch"]))
            self.channel.basic_consume(self.config["queue"], self._deliver,
                                       auto_ack=bool(self.config.get("auto_ack")))
        self.ready()
        while not self.go.wait(0.05):
            if threadsafe or self.role == "producer":
                continue
            self.conn.process_data_events(0)
        self.cpu_start = time.process_time()
        try:
            if self.role == "producer":
                self._produce(threadsafe)
            else:
                self._consume(threadsafe)
        finally:
            self.done()
            if self.conn.is_open:
                self.conn.close()

    def _deliver(self, channel: Any, method: Any, properties: Any, body: Any) -> None:
        with self.stats.lock:  # the thread-safe adapter calls from its worker thread
            self.on_message(channel, method, properties, body)

    def _confirmed_threadsafe(self, frame: Any) -> None:
        for _ in range(self.on_confirm(frame)):
            self.window.release()  # type: ignore[union-attr]

    def _produce(self, threadsafe: bool) -> None:
        lib_exc = importlib.import_module(f"{self.config['library']}.exceptions")
        refused = (lib_exc.UnroutableError, lib_exc.NackError)
        channel, stats, pad, props = self.channel, self.stats, self.pad, self.properties
        queue, window, sync_confirm = self.config["queue"], self.window, \
            bool(self.confirm and not threadsafe)
        start = time.monotonic()
        next_check = 0.0
        while True:
            if self.limit and stats.sent >= self.limit:
                break
            now = time.monotonic()
            if now >= next_check:
                if self.stop.is_set():
                    break
                if now >= self.next_flush:
                    self.flush(now)
                next_check = now + CHECK_EVERY
            if self.rate:
                due = start + stats.sent / self.rate
                if now < due:
                    time.sleep(min(due - now, CHECK_EVERY))
                    continue
            if window is not None and not window.acquire(timeout=CHECK_EVERY):
                continue
            try:
                channel.basic_publish("", queue, _stamp() + pad, props)
            except refused:
                stats.sent += 1
                stats.nacked += 1
                continue
            stats.sent += 1
            if sync_confirm:
                stats.confirmed += 1
        if window is not None:  # wait a little for the confirms still out
            deadline = time.monotonic() + 5
            while self.outstanding() > 0 and time.monotonic() < deadline:
                time.sleep(0.01)

    def _consume(self, threadsafe: bool) -> None:
        while not self.stop.is_set():
            if threadsafe:
                time.sleep(CHECK_EVERY)
            else:
                self.conn.process_data_events(time_limit=CHECK_EVERY)
            now = time.monotonic()
            if now >= self.next_flush:
                self.flush(now)
        if self.channel.is_open:
            for tag in list(self.channel.consumer_tags):
                self.channel.basic_cancel(tag)


# ------------------------------------------------------------------ callback adapters

class CallbackWorker(Worker):
    """SelectConnection, AsyncioConnection, TornadoConnection, GeventConnection: pika's
    callback API, with the confirm window (``-c``) kept by counting Basic.Ack/Nack."""

    def run(self) -> None:
        self.error: Optional[BaseException] = None
        self.closing = False
        self.stopping = False
        self.stop_deadline = 0.0
        self.waiting_for_confirms = False
        self.started = False
        kwargs: Dict[str, Any] = dict(on_open_callback=self._on_open,
                                      on_open_error_callback=self._on_open_error,
                                      on_close_callback=self._on_closed)
        adapter = self.config["adapter"]
        if adapter == "asyncio":
            import asyncio
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            kwargs["custom_ioloop"] = loop
        self.conn = self.adapter_class()(self.parameters(), **kwargs)
        self.loop = self.conn.ioloop
        if adapter == "asyncio":
            self.loop.run_forever()
        else:
            self.loop.start()
        if self.error is not None:
            raise self.error
        self.done()

    def later(self, delay: float, callback: Callable[[], None]) -> None:
        self.loop.call_later(delay, callback)

    def halt(self) -> None:
        """Make ``run``'s loop return."""
        self.loop.stop()

    # -- setup

    def _on_open(self, _conn: Any) -> None:
        self.conn.channel(on_open_callback=self._on_channel)

    def _on_open_error(self, _conn: Any, error: BaseException) -> None:
        self.error = error if isinstance(error, BaseException) else RuntimeError(str(error))
        self.halt()

    def _on_closed(self, _conn: Any, reason: BaseException) -> None:
        if not self.closing:
            self.error = reason
        self.halt()

    def _on_channel_closed(self, _channel: Any, reason: BaseException) -> None:
        if not self.closing:
            self.error = reason
            self.closing = True
            self.conn.close()

    def _on_channel(self, channel: Any) -> None:
        self.channel = channel
        channel.add_on_close_callback(self._on_channel_closed)
        if self.role == "producer":
            channel.add_on_return_callback(self.on_return)
            if self.confirm:
                channel.confirm_delivery(ack_nack_callback=self._on_confirm,
                                         callback=lambda _frame: self._ready())
            else:
                self._ready()
        else:
            channel.basic_qos(prefetch_count=int(self.config["prefetch"]),
                              callback=lambda _frame: channel.basic_consume(
                                  self.config["queue"], self.on_message,
                                  auto_ack=bool(self.config.get("auto_ack")),
                                  callback=lambda _f: self._ready()))

    def _ready(self) -> None:
        self.ready()
        self._wait_for_go()

    def _wait_for_go(self) -> None:
        if self.go.is_set():
            self.cpu_start = time.process_time()
            self.start = time.monotonic()
            self.started = True
            self._tick()
            if self.role == "producer":
                self._pump()
        else:
            self.later(0.005, self._wait_for_go)

    # -- running

    def _tick(self) -> None:
        now = time.monotonic()
        if now >= self.next_flush:
            self.flush(now)
        if not self.stopping and (self.stop.is_set() or self._limit_reached()):
            self.stopping = True
            self.stop_deadline = now + 5
        if self.stopping and (self.role == "consumer" or not self.confirm
                              or self.outstanding() <= 0 or now >= self.stop_deadline):
            if self.role == "producer" and self.backlog() and now < self.stop_deadline:
                self.later(CHECK_EVERY, self._tick)  # the last publishes are not out yet
                return
            # A producer is done once its messages have left (as a blocking producer's
            # are when publish returns); closing waits for a broker still digesting
            # them, which is not publishing time.
            self.done()
            self.closing = True
            self.conn.close()
            return
        self.later(CHECK_EVERY, self._tick)

    def _limit_reached(self) -> bool:
        return bool(self.limit and self.stats.sent >= self.limit)

    def _on_confirm(self, frame: Any) -> None:
        self.on_confirm(frame)
        self._resume()

    def _resume(self) -> None:
        """A confirm came: publish again if the window had stopped the pump."""
        if self.waiting_for_confirms:
            self.waiting_for_confirms = False
            self._pump()

    def _pump(self) -> None:
        if self.stopping or self.closing:
            return
        stats = self.stats
        n = BATCH
        if self.rate:
            elapsed = time.monotonic() - self.start
            due = int(elapsed * self.rate) + 1 - stats.sent
            if due <= 0:
                self.later(max(0.001, (stats.sent + 1) / self.rate - elapsed), self._pump)
                return
            n = min(n, due)
        if self.confirm:
            n = min(n, self.confirm - self.outstanding())
            if n <= 0:
                self.waiting_for_confirms = True  # _on_confirm resumes
                return
        if self.limit:
            n = min(n, self.limit - stats.sent)
            if n <= 0:
                return
        if self.backlog() > MAX_BACKLOG:
            self.later(BACKLOG_RECHECK, self._pump)
            return
        self._publish(n)
        stats.sent += n
        self.later(0, self._pump)

    def backlog(self) -> int:
        """Bytes the connection holds for the socket: pika's private
        ``_get_write_buffer_size`` (SelectConnection; every pika_fast adapter), or
        its I/O transport's buffer (pika's other adapters)."""
        conn = self.conn
        size = getattr(conn, "_get_write_buffer_size", None)
        if size is not None:
            return int(size())
        transport = getattr(conn, "_transport", None)
        return 0 if transport is None else int(transport.get_write_buffer_size())

    def _publish(self, n: int) -> None:
        publish, queue, pad, props = self.channel.basic_publish, self.config["queue"], \
            self.pad, self.properties
        for _ in range(n):
            publish("", queue, _stamp() + pad, props)


class TwistedWorker(CallbackWorker):
    """TwistedProtocolConnection: the callback worker's pump and clock on the reactor,
    with set-up, confirms and deliveries through the adapter's Deferreds.

    In confirm mode every publish returns a Deferred that fires on its Basic.Ack (or
    fails with NackError), so the window is kept by counting those; a consumer reads
    the ClosableDeferredQueue that ``basic_consume`` hands back.
    """

    def run(self) -> None:
        from twisted.internet import defer, reactor
        self.reactor = cast(Any, reactor)  # typed as one interface; it provides several
        self.error: Optional[BaseException] = None
        self.closing = self.stopping = self.waiting_for_confirms = False
        self.consumer_gone = False
        self.lib_exc = importlib.import_module(f"{self.config['library']}.exceptions")
        self.reactor.callWhenRunning(
            lambda: defer.inlineCallbacks(self._set_up)().addErrback(self._failed))
        # The worker ignores SIGINT already; the parent ends it through ``stop``.
        self.reactor.run(installSignalHandlers=False)
        if self.error is not None:
            raise self.error
        self.done()

    def later(self, delay: float, callback: Callable[[], None]) -> None:
        self.reactor.callLater(delay, self._guarded, callback)

    def _guarded(self, callback: Callable[[], None]) -> None:
        # The reactor would log an exception from a timed call and carry on: end the
        # run instead, as the other loops do, so the parent hears of it.
        try:
            callback()
        except Exception as exc:  # noqa: BLE001 - reported by run()
            self.error = self.error or exc
            self.halt()

    def halt(self) -> None:
        from twisted.internet.error import ReactorNotRunning
        try:
            self.reactor.stop()
        except ReactorNotRunning:  # a connection close and a failed call both ask
            pass

    # -- Twisted's IPushProducer: the transport's buffer holds back the pump

    def pauseProducing(self) -> None:  # noqa: N802 - Twisted's interface
        self.socket_full = True

    def resumeProducing(self) -> None:  # noqa: N802
        self.socket_full = False

    def stopProducing(self) -> None:  # noqa: N802
        self.socket_full = True

    def backlog(self) -> int:
        return MAX_BACKLOG + 1 if self.socket_full else 0

    def _failed(self, failure: Any) -> None:
        if self.error is None and not self.closing:
            self.error = failure.value
        self.halt()

    # -- setup

    def _set_up(self) -> Any:
        """Connect, open a channel, set it up, report ready (a generator for
        ``inlineCallbacks``)."""
        from twisted.internet.endpoints import HostnameEndpoint, connectProtocol
        module = importlib.import_module(
            f"{self.config['library']}.adapters.twisted_connection")
        params = self.parameters()
        # Host and port are Twisted's business with this adapter, not the parameters'
        # (plain TCP: perf refuses amqps:// with it).
        endpoint = HostnameEndpoint(self.reactor, params.host, params.port,
                                    timeout=params.socket_timeout or 30)
        protocol = yield connectProtocol(endpoint, module.TwistedProtocolConnection(params))
        try:
            self.conn = yield protocol.ready
        except self.lib_exc.AMQPConnectionError:
            # The adapter says only that the handshake failed; after a TCP connect that
            # is nearly always the credentials or the virtual host.
            raise CLIError(f"the broker ended the AMQP handshake at {params.host}:"
                           f"{params.port} (wrong user name or password, or no access to "
                           "the virtual host?)", EXIT_REFUSED) from None
        self.conn.closed.addCallback(lambda reason: self._on_closed(self.conn, reason))
        # Twisted tells a registered streaming producer when its socket buffer is
        # full (pauseProducing) and drained again (resumeProducing).
        self.socket_full = False
        protocol.transport.registerProducer(self, True)
        channel = yield self.conn.channel()
        self.channel = channel
        channel.on_closed.addCallback(lambda reason: self._on_channel_closed(channel, reason))
        if self.role == "producer":
            channel.add_on_return_callback(self.on_return)
            if self.confirm:
                yield channel.confirm_delivery()
        else:
            yield channel.basic_qos(prefetch_count=int(self.config["prefetch"]))
            self.messages, _tag = yield channel.basic_consume(
                self.config["queue"], auto_ack=bool(self.config.get("auto_ack")))
            self._take()
        self._ready()

    # -- the message path

    def _publish(self, n: int) -> None:
        publish, queue, pad, props = self.channel.basic_publish, self.config["queue"], \
            self.pad, self.properties
        if not self.confirm:
            for _ in range(n):
                publish("", queue, _stamp() + pad, props)
            return
        for _ in range(n):
            publish("", queue, _stamp() + pad, props).addCallbacks(
                self._acked, self._refused).addErrback(self._failed)

    def _acked(self, _method: Any) -> None:
        self.stats.confirmed += 1
        self._resume()

    def _refused(self, failure: Any) -> None:
        if failure.check(self.lib_exc.NackError):
            self.stats.nacked += 1
        elif failure.check(self.lib_exc.UnroutableError):
            self.stats.confirmed += 1  # acked, and counted as returned by on_return
        else:
            return  # the channel closed: _on_channel_closed reports why
        self._resume()

    def _take(self, _result: Any = None) -> None:
        # get() fires at once while messages are queued: take those in a loop (chaining
        # each get from the previous callback would recurse once per message), then
        # wait on the first one still to come.
        while not self.consumer_gone and self.error is None:
            d = self.messages.get().addCallbacks(self._on_item, self._on_consumer_gone)
            if d.called:  # it was queued, and is handled already
                d.addErrback(self._failed)
                continue
            d.addCallback(self._take).addErrback(self._failed)
            return

    def _on_item(self, item: Any) -> None:
        self.on_message(item.channel, item.method, item.properties, item.body)

    def _on_consumer_gone(self, _failure: Any) -> None:
        # The queue closes with the channel or a cancel; the close reports any error.
        self.consumer_gone = True


def run(config: Dict[str, Any], reports: Any, go: Any, stop: Any) -> None:
    """Process entry point: run one worker, reporting an error as one line."""
    # Ctrl-C reaches the whole process group; the parent decides what it means.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        adapter = config["adapter"]
        worker_class = SyncWorker if adapter in ("blocking", "threadsafe") else \
            TwistedWorker if adapter == "twisted" else CallbackWorker
        worker_class(config, reports, go, stop).run()
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which exits
        line, code = describe(exc, config.get("url"))
        reports.put(("error", config["wid"], line, code, traceback.format_exc()))
