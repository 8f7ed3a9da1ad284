"""End-to-end benchmark against a real RabbitMQ: pika 1.4.4 vs pika_fast vs a raw ceiling.

Run from the repository root::

    PYTHONPATH=. .venv/bin/python benchmarks/e2e.py            # 3 rounds, full sizes
    PYTHONPATH=. .venv/bin/python benchmarks/e2e.py --quick    # 1 round, small sizes

Every client run happens in a fresh interpreter (this file re-run with a hidden
``--worker`` argument), so the client CPU figures are ``getrusage(RUSAGE_SELF)`` deltas
of that client alone and pika and pika_fast never share a process. Runs alternate
clients inside each workload (pika, fast, ceiling, pika, fast, ceiling, ...) and the
table shows medians over the rounds.

The *ceiling* is a client written here on a raw socket with no AMQP library: it does
the handshake itself, publishes pre-encoded frames in large ``sendall`` batches and
consumes with minimal frame scanning (one Basic.Ack per message, sent per recv chunk).
It is the broker's own limit on this machine. Queue administration (declare, message
counts, delete) also goes through that raw client, so the harness does not depend on
either library under test. pika is a benchmark dependency only.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import socket
import statistics
import struct
import subprocess
import sys
import time
import uuid
from typing import Any, Callable, Dict, List, Optional, Tuple

RESULT_MARK = "E2E-RESULT "
MIB = 1024 * 1024

# ============================================================================ measuring


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _maxrss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _broker_cpu(pid: Optional[int]) -> Optional[float]:
    """utime+stime of the broker (beam.smp) in seconds, or None if unreadable."""
    if not pid:
        return None
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat[stat.rindex(b")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK


def _find_broker_pid() -> Optional[int]:
    try:
        entries = os.listdir("/proc")
    except OSError:
        return None
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/comm") as f:
                if f.read().strip() == "beam.smp":
                    return int(entry)
        except OSError:
            continue
    return None


class Marks:
    """Wall time, client CPU and broker CPU at named points of a worker."""

    def __init__(self, broker_pid: Optional[int]) -> None:
        self.broker_pid = broker_pid
        self.points: Dict[str, Tuple[float, float, Optional[float]]] = {}

    def mark(self, name: str) -> None:
        self.points[name] = (time.perf_counter(), _cpu(), _broker_cpu(self.broker_pid))

    def span(self, start: str, end: str) -> Dict[str, Optional[float]]:
        t0, c0, b0 = self.points[start]
        t1, c1, b1 = self.points[end]
        return {"wall": t1 - t0, "cpu": c1 - c0,
                "broker_cpu": (b1 - b0) if b0 is not None and b1 is not None else None}


def _wait_until(what: str, check: Callable[[], bool], timeout: float = 300.0,
                interval: float = 0.002) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


# ============================================================== the raw (ceiling) client

FRAME_METHOD, FRAME_HEADER, FRAME_BODY, FRAME_HEARTBEAT = 1, 2, 3, 8
FRAME_END = b"\xce"
_HDR = struct.Struct(">BHI")


def _shortstr(s: bytes) -> bytes:
    return bytes((len(s),)) + s


def _longstr(s: bytes) -> bytes:
    return struct.pack(">I", len(s)) + s


def _frame(ftype: int, channel: int, payload: bytes) -> bytes:
    return _HDR.pack(ftype, channel, len(payload)) + payload + FRAME_END


def _method(channel: int, class_id: int, method_id: int, args: bytes = b"") -> bytes:
    return _frame(FRAME_METHOD, channel, struct.pack(">HH", class_id, method_id) + args)


def encode_publish(queue: str, body: bytes, frame_max: int, channel: int = 1) -> bytes:
    """Basic.Publish(exchange='', routing_key=queue) + empty-properties header + body."""
    out = [
        _method(channel, 60, 40, b"\x00\x00" + _shortstr(b"") +
                _shortstr(queue.encode()) + b"\x00"),
        _frame(FRAME_HEADER, channel, struct.pack(">HHQH", 60, 0, len(body), 0)),
    ]
    step = frame_max - 8
    for start in range(0, len(body), step):
        out.append(_frame(FRAME_BODY, channel, body[start:start + step]))
    return b"".join(out)


class BrokerError(Exception):
    pass


class RawAmqp:
    """A minimal AMQP 0-9-1 client on a plain socket: handshake, one channel, frames."""

    def __init__(self, host: str, port: int, user: str, password: str, vhost: str) -> None:
        sock = socket.create_connection((host, port), timeout=30)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(None)
        self.sock = sock
        self.buf = bytearray()
        sock.sendall(b"AMQP\x00\x00\x09\x01")
        self.expect(0, 10, 10)  # Connection.Start
        response = b"\x00" + user.encode() + b"\x00" + password.encode()
        self.send(_method(0, 10, 11, b"\x00\x00\x00\x00" + _shortstr(b"PLAIN") +
                          _longstr(response) + _shortstr(b"en_US")))
        channel_max, frame_max, _heartbeat = struct.unpack_from(
            ">HIH", self.expect(0, 10, 30))  # Connection.Tune
        self.frame_max = frame_max or 131072
        # Heartbeats off: this client may sit idle while a worker runs.
        self.send(_method(0, 10, 31, struct.pack(">HIH", channel_max, self.frame_max, 0)))
        self.send(_method(0, 10, 40, _shortstr(vhost.encode()) + _shortstr(b"") + b"\x00"))
        self.expect(0, 10, 41)  # Connection.OpenOk
        self.send(_method(1, 20, 10, _shortstr(b"")))
        self.expect(1, 20, 11)  # Channel.OpenOk

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self, need: int) -> None:
        while len(self.buf) < need:
            chunk = self.sock.recv(262144)
            if not chunk:
                raise BrokerError("broker closed the connection")
            self.buf += chunk

    def read_frame(self) -> Tuple[int, int, bytes]:
        self._fill(7)
        ftype, channel, size = _HDR.unpack_from(self.buf, 0)
        self._fill(7 + size + 1)
        if self.buf[7 + size] != 0xCE:
            raise BrokerError("bad frame end")
        payload = bytes(self.buf[7:7 + size])
        del self.buf[:8 + size]
        return ftype, channel, payload

    def expect(self, channel: int, class_id: int, method_id: int) -> bytes:
        """Read frames until the wanted method arrives; return its arguments."""
        while True:
            ftype, chan, payload = self.read_frame()
            if ftype != FRAME_METHOD:
                continue
            cls, meth = struct.unpack_from(">HH", payload)
            if (chan, cls, meth) == (channel, class_id, method_id):
                return payload[4:]
            if (cls, meth) in ((10, 50), (20, 40)):  # Connection.Close / Channel.Close
                code = struct.unpack_from(">H", payload, 4)[0]
                text = payload[7:7 + payload[6]].decode(errors="replace")
                raise BrokerError(f"broker closed {'connection' if cls == 10 else 'channel'}: "
                                  f"{code} {text}")

    # --- queue administration ------------------------------------------------------

    def queue_declare(self, queue: str, passive: bool = False) -> int:
        """Declare (or passively check) a queue; return its ready message count."""
        self.send(_method(1, 50, 10, b"\x00\x00" + _shortstr(queue.encode()) +
                          bytes((1 if passive else 0,)) + b"\x00\x00\x00\x00"))
        args = self.expect(1, 50, 11)
        return struct.unpack_from(">I", args, 1 + args[0])[0]

    def queue_delete(self, queue: str) -> None:
        self.send(_method(1, 50, 40, b"\x00\x00" + _shortstr(queue.encode()) + b"\x00"))
        self.expect(1, 50, 41)

    def close(self) -> None:
        try:
            self.send(_method(0, 10, 50, struct.pack(">H", 200) + _shortstr(b"") +
                              b"\x00\x00\x00\x00"))
            self.expect(0, 10, 51)
        except (OSError, BrokerError):
            pass
        finally:
            self.sock.close()


def _raw_from(args: Dict[str, Any]) -> RawAmqp:
    return RawAmqp(args["host"], args["port"], args["user"], args["password"], args["vhost"])


def raw_fill(raw: RawAmqp, queue: str, n: int, size: int, batch: int = 2000) -> None:
    """Publish n messages of ``size`` bytes as fast as the socket takes them."""
    one = encode_publish(queue, b"x" * size, raw.frame_max)
    full, rest = divmod(n, batch)
    chunk = one * batch
    for _ in range(full):
        raw.send(chunk)
    if rest:
        raw.send(one * rest)


# ============================================================================ workers


def _lib(client: str) -> Any:
    if client == "pika":
        import pika  # noqa: PLC0415
        return pika
    if client == "fast":
        import pika_fast  # noqa: PLC0415
        return pika_fast
    raise ValueError(client)


def _params(lib: Any, a: Dict[str, Any]) -> Any:
    return lib.ConnectionParameters(host=a["host"], port=a["port"], virtual_host=a["vhost"],
                                    credentials=lib.PlainCredentials(a["user"], a["password"]))


def w_blocking_publish(a: Dict[str, Any], m: Marks) -> Dict[str, Any]:
    lib = _lib(a["client"])
    conn = lib.BlockingConnection(_params(lib, a))
    ch = conn.channel()
    queue, n, body = a["queue"], a["n"], b"x" * a["size"]
    publish = ch.basic_publish
    m.mark("start")
    for _ in range(n):
        publish("", queue, body)
    m.mark("returned")
    _wait_until("all messages enqueued",
                lambda: ch.queue_declare(queue, passive=True).method.message_count >= n)
    m.mark("enqueued")
    conn.close()
    return {"ret": m.span("start", "returned"), "all": m.span("start", "enqueued")}


def w_blocking_confirm(a: Dict[str, Any], m: Marks) -> Dict[str, Any]:
    lib = _lib(a["client"])
    conn = lib.BlockingConnection(_params(lib, a))
    ch = conn.channel()
    ch.confirm_delivery()
    queue, n, body = a["queue"], a["n"], b"x" * a["size"]
    publish = ch.basic_publish
    m.mark("start")
    for _ in range(n):
        publish("", queue, body)
    m.mark("end")
    count = ch.queue_declare(queue, passive=True).method.message_count
    conn.close()
    if count != n:
        raise AssertionError(f"queue holds {count} messages after {n} confirmed publishes")
    return {"all": m.span("start", "end")}


def w_blocking_consume(a: Dict[str, Any], m: Marks) -> Dict[str, Any]:
    lib = _lib(a["client"])
    conn = lib.BlockingConnection(_params(lib, a))
    ch = conn.channel()
    ch.basic_qos(prefetch_count=a["prefetch"])
    queue, n, size = a["queue"], a["n"], a["size"]
    every = a.get("ack_every", 1)
    count = 0
    bad: List[str] = []

    def on_message(chan: Any, method: Any, _props: Any, body: bytes) -> None:
        nonlocal count
        count += 1
        if every == 1:
            chan.basic_ack(method.delivery_tag)
        elif count % every == 0 or count == n:
            chan.basic_ack(method.delivery_tag, multiple=True)
        if count == 1 and len(body) != size:
            bad.append(f"first body has {len(body)} bytes, expected {size}")
        if count == n:
            m.mark("end")
            chan.stop_consuming()

    m.mark("start")
    ch.basic_consume(queue, on_message)
    ch.start_consuming()
    conn.close()
    if bad:
        raise AssertionError(bad[0])
    return {"all": m.span("start", "end")}


def _select_run(a: Dict[str, Any], on_channel: Callable[[Any, Any], None]) -> None:
    lib = _lib(a["client"])
    errors: List[BaseException] = []

    def on_open(conn: Any) -> None:
        conn.channel(on_open_callback=lambda ch: on_channel(conn, ch))

    def on_open_error(conn: Any, err: BaseException) -> None:
        errors.append(err)
        conn.ioloop.stop()

    def on_close(conn: Any, reason: BaseException) -> None:
        if not state.get("done"):
            errors.append(reason)
        conn.ioloop.stop()

    state = a.setdefault("_state", {})
    conn = lib.SelectConnection(_params(lib, a), on_open_callback=on_open,
                                on_open_error_callback=on_open_error,
                                on_close_callback=on_close)
    conn.ioloop.start()
    if errors:
        raise RuntimeError(f"SelectConnection failed: {errors[0]!r}")
    if not state.get("done"):
        raise RuntimeError("SelectConnection ioloop stopped before the workload finished")


def w_select_publish(a: Dict[str, Any], m: Marks,
                     run: Callable[..., None] = _select_run) -> Dict[str, Any]:
    """``run``: how to open the connection and drive its loop (benchmarks/adapters.py
    passes one per adapter)."""
    queue, n, batch, body = a["queue"], a["n"], a["batch"], b"x" * a["size"]
    state = a.setdefault("_state", {})

    def on_channel(conn: Any, ch: Any) -> None:
        publish = ch.basic_publish
        call_later = conn.ioloop.call_later
        sent = 0

        def tick() -> None:
            nonlocal sent
            k = min(batch, n - sent)
            for _ in range(k):
                publish("", queue, body)
            sent += k
            if sent < n:
                call_later(0, tick)
            else:
                m.mark("returned")
                check()

        def check() -> None:
            ch.queue_declare(queue, passive=True, callback=on_declare_ok)

        def on_declare_ok(frame: Any) -> None:
            if frame.method.message_count >= n:
                m.mark("enqueued")
                state["done"] = True
                conn.close()
            else:
                call_later(0.002, check)

        m.mark("start")
        call_later(0, tick)

    run(a, on_channel)
    return {"ret": m.span("start", "returned"), "all": m.span("start", "enqueued")}


def w_select_consume(a: Dict[str, Any], m: Marks,
                     run: Callable[..., None] = _select_run) -> Dict[str, Any]:
    """``run``: as for w_select_publish."""
    queue, n, size = a["queue"], a["n"], a["size"]
    state = a.setdefault("_state", {})
    bad: List[str] = []

    def on_channel(conn: Any, ch: Any) -> None:
        count = 0

        def on_message(chan: Any, method: Any, _props: Any, body: bytes) -> None:
            nonlocal count
            chan.basic_ack(method.delivery_tag)
            count += 1
            if count == 1 and len(body) != size:
                bad.append(f"first body has {len(body)} bytes, expected {size}")
            if count == n:
                m.mark("end")
                state["done"] = True
                conn.close()

        def on_qos_ok(_frame: Any) -> None:
            m.mark("start")
            ch.basic_consume(queue, on_message)

        ch.basic_qos(prefetch_count=a["prefetch"], callback=on_qos_ok)

    run(a, on_channel)
    if bad:
        raise AssertionError(bad[0])
    return {"all": m.span("start", "end")}


def w_big_publish(a: Dict[str, Any], m: Marks) -> Dict[str, Any]:
    lib = _lib(a["client"])
    conn = lib.BlockingConnection(_params(lib, a))
    ch = conn.channel()
    queue, size = a["queue"], a["size"]
    ch.basic_publish("", queue, b"warm-up")  # first-use costs out of the way
    _wait_until("warm-up message", lambda: ch.queue_declare(
        queue, passive=True).method.message_count >= 1)
    ch.queue_purge(queue)
    rss0 = _maxrss_bytes()
    body = os.urandom(size)
    m.mark("start")
    ch.basic_publish("", queue, body)
    m.mark("returned")
    _wait_until("the big message enqueued", lambda: ch.queue_declare(
        queue, passive=True).method.message_count >= 1, interval=0.001)
    m.mark("enqueued")
    peak = _maxrss_bytes() - rss0
    digest = hashlib.sha256(body).hexdigest()
    conn.close()
    return {"ret": m.span("start", "returned"), "all": m.span("start", "enqueued"),
            "peak_rss": peak, "sha256": digest}


def w_big_get(a: Dict[str, Any], m: Marks) -> Dict[str, Any]:
    lib = _lib(a["client"])
    conn = lib.BlockingConnection(_params(lib, a))
    ch = conn.channel()
    queue, size = a["queue"], a["size"]
    rss0 = _maxrss_bytes()
    m.mark("start")
    method, _props, body = ch.basic_get(queue, auto_ack=True)
    m.mark("end")
    peak = _maxrss_bytes() - rss0
    conn.close()
    if method is None:
        raise AssertionError("basic_get found the queue empty")
    intact = len(body) == size and hashlib.sha256(body).hexdigest() == a["sha256"]
    return {"all": m.span("start", "end"), "peak_rss": peak, "intact": intact,
            "got_len": len(body)}


def w_raw_publish(a: Dict[str, Any], m: Marks) -> Dict[str, Any]:
    queue, n, batch = a["queue"], a["n"], a["batch"]
    raw = _raw_from(a)
    admin = _raw_from(a)  # a separate connection checks the queue depth
    one = encode_publish(queue, b"x" * a["size"], raw.frame_max)
    full, rest = divmod(n, batch)
    chunk = one * batch
    tail = one * rest
    send = raw.sock.sendall
    m.mark("start")
    for _ in range(full):
        send(chunk)
    if rest:
        send(tail)
    m.mark("returned")
    _wait_until("all messages enqueued", lambda: admin.queue_declare(queue, True) >= n)
    m.mark("enqueued")
    raw.close()
    admin.close()
    return {"ret": m.span("start", "returned"), "all": m.span("start", "enqueued")}


def w_raw_confirm(a: Dict[str, Any], m: Marks) -> Dict[str, Any]:
    queue, n = a["queue"], a["n"]
    raw = _raw_from(a)
    raw.send(_method(1, 85, 10, b"\x00"))  # Confirm.Select
    raw.expect(1, 85, 11)
    one = encode_publish(queue, b"x" * a["size"], raw.frame_max)
    send, expect = raw.sock.sendall, raw.expect
    m.mark("start")
    for _ in range(n):
        send(one)
        expect(1, 60, 80)  # Basic.Ack
    m.mark("end")
    count = raw.queue_declare(queue, True)
    raw.close()
    if count != n:
        raise AssertionError(f"queue holds {count} messages after {n} confirmed publishes")
    return {"all": m.span("start", "end")}


def w_raw_consume(a: Dict[str, Any], m: Marks) -> Dict[str, Any]:
    queue, n = a["queue"], a["n"]
    raw = _raw_from(a)
    raw.send(_method(1, 60, 10, struct.pack(">IHB", 0, a["prefetch"], 0)))  # Basic.Qos
    raw.expect(1, 60, 11)
    raw.send(_method(1, 60, 20, b"\x00\x00" + _shortstr(queue.encode()) + _shortstr(b"") +
                     b"\x00" + b"\x00\x00\x00\x00"))  # Basic.Consume, acks on
    m.mark("start")
    raw.expect(1, 60, 21)
    sock = raw.sock
    buf = raw.buf  # may already hold deliveries that came with ConsumeOk
    # Basic.Ack frame: type 1, channel 1, size 13, class 60, method 80, tag, multiple=0.
    ack_head = _HDR.pack(FRAME_METHOD, 1, 13) + struct.pack(">HH", 60, 80)
    ack_tail = b"\x00" + FRAME_END
    multi_tail = b"\x01" + FRAME_END
    every = a.get("ack_every", 1)
    deliver = struct.pack(">HH", 60, 60)
    unpack_hdr = _HDR.unpack_from
    count = 0
    while count < n:
        pos, end = 0, len(buf)
        acks = []
        seen = 0
        while end - pos >= 7:
            ftype, _chan, size = unpack_hdr(buf, pos)
            stop = pos + 8 + size
            if stop > end:
                break
            if ftype == FRAME_METHOD and buf[pos + 7:pos + 11] == deliver:
                tag_at = pos + 12 + buf[pos + 11]  # after the consumer-tag shortstr
                seen += 1
                if every == 1:
                    acks.append(ack_head + buf[tag_at:tag_at + 8] + ack_tail)
                elif (count + seen) % every == 0 or count + seen == n:
                    acks.append(ack_head + buf[tag_at:tag_at + 8] + multi_tail)
            pos = stop
        if acks:
            sock.sendall(b"".join(acks))
        count += seen
        del buf[:pos]
        if count >= n:
            break
        chunk = sock.recv(1048576)
        if not chunk:
            raise BrokerError("broker closed the connection")
        buf += chunk
    m.mark("end")
    raw.close()
    if count != n:
        raise AssertionError(f"consumed {count} deliveries, expected {n}")
    return {"all": m.span("start", "end")}


WORKERS: Dict[str, Callable[[Dict[str, Any], Marks], Dict[str, Any]]] = {
    "blocking_publish": w_blocking_publish,
    "blocking_confirm": w_blocking_confirm,
    "blocking_consume": w_blocking_consume,
    "select_publish": w_select_publish,
    "select_consume": w_select_consume,
    "big_publish": w_big_publish,
    "big_get": w_big_get,
    "raw_publish": w_raw_publish,
    "raw_confirm": w_raw_confirm,
    "raw_consume": w_raw_consume,
}


def worker_main(spec_json: str) -> int:
    a = json.loads(spec_json)
    backend = None
    if a["client"] == "fast":
        import pika_fast  # noqa: PLC0415
        backend = pika_fast.codec_backend()
    elif a["client"] == "pika":
        import pika  # noqa: PLC0415,F401
    result = WORKERS[a["kind"]](a, Marks(a.get("broker_pid")))
    result["backend"] = backend
    sys.stdout.write(RESULT_MARK + json.dumps(result) + "\n")
    sys.stdout.flush()
    return 0


# ============================================================================ harness


class Harness:
    # The script a worker runs as (``--worker``); benchmarks/adapters.py sets its own.
    script = os.path.abspath(__file__)

    def __init__(self, opts: argparse.Namespace) -> None:
        self.opts = opts
        self.conn_args = {"host": opts.host, "port": opts.port, "user": opts.user,
                          "password": opts.password, "vhost": opts.vhost}
        self.broker_pid = _find_broker_pid()
        self.tag = uuid.uuid4().hex[:8]
        self.backends: set = set()
        self.errors: List[str] = []

    def admin(self) -> RawAmqp:
        return _raw_from(self.conn_args)

    def fresh_queue(self, label: str) -> str:
        name = f"pika-fast-e2e-{label}-{self.tag}-{uuid.uuid4().hex[:6]}"
        admin = self.admin()
        try:
            admin.queue_declare(name)
        finally:
            admin.close()
        return name

    def delete_queue(self, name: str) -> None:
        try:
            admin = self.admin()
            try:
                admin.queue_delete(name)
            finally:
                admin.close()
        except (OSError, BrokerError) as exc:
            print(f"  warning: could not delete queue {name}: {exc}", file=sys.stderr)

    def fill(self, queue: str, n: int, size: int) -> None:
        """Pre-fill a queue (not timed) with the raw publisher and wait until it holds n."""
        raw = self.admin()
        try:
            raw_fill(raw, queue, n, size)
            _wait_until(f"{n} messages in {queue}", lambda: raw.queue_declare(queue, True) >= n,
                        interval=0.01)
        finally:
            raw.close()

    def run_worker(self, kind: str, client: str, **spec: Any) -> Optional[Dict[str, Any]]:
        spec.update(self.conn_args, kind=kind, client=client, broker_pid=self.broker_pid)
        cmd = [sys.executable, self.script, "--worker", json.dumps(spec)]
        started = time.monotonic()
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, env=_worker_env(),
                                  timeout=self.opts.worker_timeout)
        except subprocess.TimeoutExpired:
            self._error(kind, client, f"timed out after {self.opts.worker_timeout} s")
            return None
        for line in proc.stdout.splitlines():
            if line.startswith(RESULT_MARK):
                result = json.loads(line[len(RESULT_MARK):])
                if result.get("backend"):
                    self.backends.add(result["backend"])
                if self.opts.verbose:
                    print(f"    {kind:17s} {client:7s} {_brief(result)} "
                          f"(process {time.monotonic() - started:.2f} s)", flush=True)
                return result
        tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        self._error(kind, client, f"exit {proc.returncode}: {tail}")
        if self.opts.verbose:
            print(proc.stderr, file=sys.stderr)
        return None

    def _error(self, kind: str, client: str, text: str) -> None:
        msg = f"{kind}/{client}: {text}"
        self.errors.append(msg)
        print(f"  ERROR {msg}", file=sys.stderr)


def _worker_env() -> Dict[str, str]:
    """The workers import this checkout's pika_fast, as ``PYTHONPATH=.`` would."""
    env = dict(os.environ)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    if root not in (os.path.abspath(p) for p in paths):
        env["PYTHONPATH"] = os.pathsep.join([root] + paths)
    return env


def _brief(result: Dict[str, Any]) -> str:
    parts = []
    for key in ("ret", "all"):
        if key in result:
            parts.append(f"{key}={result[key]['wall']:.3f}s cpu={result[key]['cpu']:.3f}s")
    if "peak_rss" in result:
        parts.append(f"peak_rss={result['peak_rss'] / MIB:.1f}MiB")
    return " ".join(parts)


# Workload table: name -> (clients, runner). A runner does one client's run (queue set
# up and torn down around it) and returns named metrics, or None on failure.
Metrics = Dict[str, float]


def _span_metrics(result: Dict[str, Any], n: int, prefix: str = "") -> Metrics:
    out: Metrics = {}
    allspan = result["all"]
    out[prefix + "rate"] = n / allspan["wall"]
    out[prefix + "cpu100k"] = allspan["cpu"] * 100_000 / n
    if allspan.get("broker_cpu") is not None:
        out[prefix + "broker100k"] = allspan["broker_cpu"] * 100_000 / n
    if "ret" in result:
        out[prefix + "ret_rate"] = n / result["ret"]["wall"]
    return out


def run_publish(h: Harness, client: str, select: bool = False) -> Optional[Metrics]:
    o = h.opts
    kind = "raw_publish" if client == "ceiling" else (
        "select_publish" if select else "blocking_publish")
    queue = h.fresh_queue("pub")
    try:
        r = h.run_worker(kind, client, queue=queue, n=o.publish_n, size=o.body_size,
                         batch=o.batch)
    finally:
        h.delete_queue(queue)
    return None if r is None else _span_metrics(r, o.publish_n)


def run_confirm(h: Harness, client: str) -> Optional[Metrics]:
    o = h.opts
    kind = "raw_confirm" if client == "ceiling" else "blocking_confirm"
    queue = h.fresh_queue("confirm")
    try:
        r = h.run_worker(kind, client, queue=queue, n=o.confirm_n, size=o.body_size)
    finally:
        h.delete_queue(queue)
    return None if r is None else _span_metrics(r, o.confirm_n)


def run_consume(h: Harness, client: str, select: bool = False,
                ack_every: int = 1) -> Optional[Metrics]:
    o = h.opts
    kind = "raw_consume" if client == "ceiling" else (
        "select_consume" if select else "blocking_consume")
    queue = h.fresh_queue("consume")
    try:
        h.fill(queue, o.consume_n, o.body_size)
        r = h.run_worker(kind, client, queue=queue, n=o.consume_n, size=o.body_size,
                         prefetch=o.prefetch, ack_every=ack_every)
    finally:
        h.delete_queue(queue)
    return None if r is None else _span_metrics(r, o.consume_n)


def run_big(h: Harness, client: str) -> Optional[Metrics]:
    size = h.opts.big_mib * MIB
    queue = h.fresh_queue("big")
    try:
        pub = h.run_worker("big_publish", client, queue=queue, size=size)
        if pub is None:
            return None
        got = h.run_worker("big_get", client, queue=queue, size=size, sha256=pub["sha256"])
        if got is None:
            return None
    finally:
        h.delete_queue(queue)
    if not got["intact"]:
        h._error("big_get", client, f"body came back damaged ({got['got_len']} bytes)")
    return {
        "pub_s": pub["all"]["wall"], "pub_ret_s": pub["ret"]["wall"],
        "get_s": got["all"]["wall"], "rt_s": pub["all"]["wall"] + got["all"]["wall"],
        "pub_cpu": pub["all"]["cpu"], "get_cpu": got["all"]["cpu"],
        "pub_rss": pub["peak_rss"] / size, "get_rss": got["peak_rss"] / size,
        "intact": 1.0 if got["intact"] else 0.0,
    }


# (d) compares with the raw runs of (a) and (c) from the same round; when those are
# not selected, (d) runs the raw client itself.
_CEILING_FROM = {"d-pub": "a", "d-con": "c"}

WORKLOADS: Dict[str, Tuple[str, List[str], Callable[[Harness, str], Optional[Metrics]]]] = {
    "a": ("BlockingConnection publish", ["pika", "fast", "ceiling"], run_publish),
    "b": ("BlockingConnection publish with confirms", ["pika", "fast", "ceiling"], run_confirm),
    "c": ("BlockingConnection consume + ack", ["pika", "fast", "ceiling"], run_consume),
    # Every side (the raw ceiling too) acks with multiple=True once per 100 deliveries.
    "c-multi": ("BlockingConnection consume + multi-ack every 100", ["pika", "fast", "ceiling"],
                lambda h, c: run_consume(h, c, ack_every=100)),
    "d-pub": ("SelectConnection publish", ["pika", "fast"],
              lambda h, c: run_publish(h, c, select=True)),
    "d-con": ("SelectConnection consume + ack", ["pika", "fast"],
              lambda h, c: run_consume(h, c, select=True)),
    "e": ("100 MiB round trip", ["pika", "fast"], run_big),
}


# ============================================================================ report


def _median(values: List[float]) -> Optional[float]:
    return statistics.median(values) if values else None


def _fmt(v: Optional[float], spec: str) -> str:
    return "-" if v is None else format(v, spec)


def _ratio(a: Optional[float], b: Optional[float]) -> Optional[float]:
    return None if a is None or b is None or b == 0 else a / b


def _check(value: Optional[float], op: str, bound: float) -> str:
    if value is None:
        return "n/a"
    ok = value >= bound if op == ">=" else value <= bound
    return "ok" if ok else "MISS"


def report(h: Harness, results: Dict[str, Dict[str, List[Metrics]]], elapsed: float) -> None:
    o = h.opts

    def med(wl: str, client: str, key: str) -> Optional[float]:
        return _median([m[key] for m in results.get(wl, {}).get(client, []) if key in m])

    rows: List[Tuple[str, ...]] = []

    def row(label: str, wl: str, key: str, fmt: str, scale: float = 1.0,
            ceil_from: Optional[str] = None, target: str = "",
            checks: Tuple[Tuple[str, str, float], ...] = ()) -> None:
        p, f = med(wl, "pika", key), med(wl, "fast", key)
        c = med(ceil_from or wl, "ceiling", key)
        sc = (lambda v: None if v is None else v * scale)
        fp, fc = _ratio(f, p), _ratio(f, c)
        verdicts = []
        for which, op, bound in checks:
            verdicts.append(_check(fp if which == "pika" else fc, op, bound))
        rows.append((label, _fmt(sc(p), fmt), _fmt(sc(f), fmt), _fmt(sc(c), fmt),
                     _fmt(fp, ".3f"), _fmt(fc, ".3f"),
                     (target + ("  [" + " ".join(verdicts) + "]" if verdicts else ""))))

    def headroom(wl: str) -> None:
        best = _ratio(med(wl, "ceiling", "rate"), med(wl, "pika", "rate"))
        rows.append(("  (ceiling/pika: best fast/pika possible)", "", "", "", _fmt(best, ".3f"),
                     "", ""))

    def section(title: str) -> None:
        rows.append(("## " + title,))

    sel = o.workloads
    cf = {wl: (src if src in sel else wl) for wl, src in _CEILING_FROM.items()}
    if "a" in sel:
        section(f"(a) BlockingConnection publish, {o.publish_n:,} x {o.body_size} B, no confirms")
        row("msgs/s, all enqueued (headline)", "a", "rate", ",.0f",
            target=">= 5x pika; >= 0.90 of ceiling",
            checks=(("pika", ">=", 5.0), ("ceil", ">=", 0.90)))
        headroom("a")
        row("msgs/s, last publish returned", "a", "ret_rate", ",.0f")
        row("client CPU s / 100k msgs", "a", "cpu100k", ".3f",
            target="<= 1/15 (0.067) of pika", checks=(("pika", "<=", 1 / 15),))
        row("broker CPU s / 100k msgs", "a", "broker100k", ".3f")
    if "b" in sel:
        section(f"(b) publish with confirms, one at a time, {o.confirm_n:,} x {o.body_size} B")
        row("msgs/s", "b", "rate", ",.0f", target=">= 1.8x pika",
            checks=(("pika", ">=", 1.8),))
        headroom("b")
        row("client CPU s / 100k msgs", "b", "cpu100k", ".3f")
        row("broker CPU s / 100k msgs", "b", "broker100k", ".3f")
    if "c" in sel:
        section(f"(c) BlockingConnection consume, {o.consume_n:,} pre-filled, prefetch "
                f"{o.prefetch}, ack each")
        row("msgs/s", "c", "rate", ",.0f", target=">= 3x pika; >= 0.90 of ceiling",
            checks=(("pika", ">=", 3.0), ("ceil", ">=", 0.90)))
        headroom("c")
        row("client CPU s / 100k msgs", "c", "cpu100k", ".3f",
            target="<= 1/10 (0.100) of pika", checks=(("pika", "<=", 0.10),))
        row("broker CPU s / 100k msgs", "c", "broker100k", ".3f")
    if "c-multi" in sel:
        section(f"(c-multi) BlockingConnection consume, {o.consume_n:,} pre-filled, prefetch "
                f"{o.prefetch}, basic_ack(multiple=True) every 100 (the ceiling acks alike)")
        row("msgs/s", "c-multi", "rate", ",.0f", target=">= 0.95 of ceiling",
            checks=(("ceil", ">=", 0.95),))
        headroom("c-multi")
        row("client CPU s / 100k msgs", "c-multi", "cpu100k", ".3f")
        row("broker CPU s / 100k msgs", "c-multi", "broker100k", ".3f")
    if "d-pub" in sel:
        section(f"(d) SelectConnection publish, {o.publish_n:,}, {o.batch} per call_later(0) "
                f"tick (ceiling: the raw run of "
                f"{'(a)' if cf['d-pub'] == 'a' else 'this workload'})")
        row("msgs/s, all enqueued", "d-pub", "rate", ",.0f", ceil_from=cf["d-pub"],
            target=">= 0.90 of ceiling", checks=(("ceil", ">=", 0.90),))
        row("msgs/s, last publish call returned", "d-pub", "ret_rate", ",.0f", ceil_from=cf["d-pub"])
        row("client CPU s / 100k msgs", "d-pub", "cpu100k", ".3f", ceil_from=cf["d-pub"])
        row("broker CPU s / 100k msgs", "d-pub", "broker100k", ".3f", ceil_from=cf["d-pub"])
    if "d-con" in sel:
        section(f"(d) SelectConnection consume, {o.consume_n:,}, ack each "
                f"(ceiling: the raw run of {'(c)' if cf['d-con'] == 'c' else 'this workload'})")
        row("msgs/s", "d-con", "rate", ",.0f", ceil_from=cf["d-con"],
            target=">= 0.90 of ceiling", checks=(("ceil", ">=", 0.90),))
        row("client CPU s / 100k msgs", "d-con", "cpu100k", ".3f", ceil_from=cf["d-con"])
        row("broker CPU s / 100k msgs", "d-con", "broker100k", ".3f", ceil_from=cf["d-con"])
    if "e" in sel:
        section(f"(e) {o.big_mib} MiB message: BlockingConnection publish, then basic_get")
        row("publish until enqueued, s", "e", "pub_s", ".3f")
        row("basic_get, s", "e", "get_s", ".3f")
        row("round trip, s", "e", "rt_s", ".3f")
        row("publish client CPU, s", "e", "pub_cpu", ".3f")
        row("get client CPU, s", "e", "get_cpu", ".3f")
        row("publish peak RSS above baseline, MiB", "e", "pub_rss", ".1f", scale=o.big_mib)
        row("get peak RSS above baseline, MiB", "e", "get_rss", ".1f", scale=o.big_mib)
        row("publish peak RSS / body", "e", "pub_rss", ".2f",
            target="~1.0 (no extra body copy)")
        row("get peak RSS / body", "e", "get_rss", ".2f", target="<= 1.10")
        f_pub, f_get = med("e", "fast", "pub_rss"), med("e", "fast", "get_rss")
        rows.append(("  fast RSS verdict", "", "", "", "", "",
                     f"publish <= 1.10: {_check(f_pub, '<=', 1.10)}; "
                     f"get <= 1.10: {_check(f_get, '<=', 1.10)}"))
        intact = [m.get("intact") for c in ("pika", "fast")
                  for m in results.get("e", {}).get(c, [])]
        rows.append(("body intact (all runs)", "", "", "", "", "",
                     "n/a (no run finished)" if not intact else
                     ("yes" if all(intact) else "NO")))

    header = ("metric (median of %d round%s)" % (o.rounds, "" if o.rounds == 1 else "s"),
              "pika 1.4.4", "pika_fast", "ceiling", "fast/pika", "fast/ceil", "target")
    body = [r for r in rows if len(r) > 1]
    widths = [max(len(r[i]) for r in body + [header]) for i in range(len(header))]

    def line(r: Tuple[str, ...]) -> str:
        cells = [r[0].ljust(widths[0])] + [r[i].rjust(widths[i]) for i in range(1, 6)]
        return "  ".join(cells) + "  " + r[6]

    print()
    print(line(header))
    for r in rows:
        if len(r) == 1:
            print()
            print(r[0][3:])
        else:
            print(line(r))
    print()
    print("msgs/s, rates and times: higher/lower as labelled; CPU is getrusage(RUSAGE_SELF) of")
    print("the client's own process over the timed window (ceiling publish includes its")
    print("separate queue-depth polling connection); broker CPU is beam.smp utime+stime over")
    print("the same window. RSS / body: (peak ru_maxrss - ru_maxrss before the body existed")
    print("[publish] / before basic_get [get]) / body size; 1.0 = the body alone.")
    backends = ", ".join(sorted(h.backends)) or "unknown (no pika_fast worker finished)"
    print(f"pika_fast codec backend in the workers: {backends}")
    print(f"broker pid for broker CPU: {h.broker_pid or 'not found'}; "
          f"total wall time {elapsed:.0f} s")
    if h.errors:
        print(f"\n{len(h.errors)} run(s) failed:")
        for e in h.errors:
            print("  " + e)


# ============================================================================ main


def add_broker_arguments(p: argparse.ArgumentParser) -> None:
    """The options every benchmark here shares: the broker, the worker limit, output."""
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5672)
    p.add_argument("--user", default="guest")
    p.add_argument("--password", default="guest")
    p.add_argument("--vhost", default="/")
    p.add_argument("--worker-timeout", type=float, default=900.0,
                   help="seconds before one client run is abandoned (900)")
    p.add_argument("--json", metavar="PATH", help="also write every run's metrics here")
    p.add_argument("-v", "--verbose", action="store_true", help="print each run as it ends")
    p.add_argument("--worker", help=argparse.SUPPRESS)


Runner = Callable[["Harness", str], Optional[Metrics]]


def run_rounds(h: "Harness", rounds: int, plan: Callable[[], List[Tuple[str, List[str], Runner]]]
               ) -> Dict[str, Dict[str, List[Metrics]]]:
    """Each round runs every (key, clients, runner) of ``plan()``, the clients in a
    rotated order; returns key -> client -> the rounds' metrics."""
    results: Dict[str, Dict[str, List[Metrics]]] = {}
    for rnd in range(rounds):
        print(f"round {rnd + 1}/{rounds}", flush=True)
        for key, clients, runner in plan():
            shift = rnd % len(clients)  # rotate who goes first, against order effects
            for client in clients[shift:] + clients[:shift]:
                metrics = runner(h, client)
                if metrics is not None:
                    metrics["round"] = rnd
                    results.setdefault(key, {}).setdefault(client, []).append(metrics)
                time.sleep(0.2)  # let the broker settle (queue deletion, GC)
    return results


def write_json(path: str, h: "Harness", results: Dict[str, Dict[str, List[Metrics]]]) -> None:
    with open(path, "w") as f:
        json.dump({"options": {k: v for k, v in vars(h.opts).items() if k != "worker"},
                   "backends": sorted(h.backends), "results": results,
                   "errors": h.errors}, f, indent=1)


def parse_args(argv: List[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="smoke run: 1 round, 50k publish/consume, 5k confirms")
    p.add_argument("--rounds", type=int, help="rounds per workload (default 3; --quick 1)")
    p.add_argument("--publish-n", type=int, help="messages for (a)/(d) publish (200000)")
    p.add_argument("--confirm-n", type=int, help="messages for (b) (20000)")
    p.add_argument("--consume-n", type=int, help="messages for (c)/(d) consume (200000)")
    p.add_argument("--body-size", type=int, default=100, help="message body bytes (100)")
    p.add_argument("--big-mib", type=int, default=100, help="size of the (e) message (100)")
    p.add_argument("--prefetch", type=int, default=1000, help="consumer prefetch (1000)")
    p.add_argument("--batch", type=int, default=1000,
                   help="publishes per ioloop tick (d) and per sendall (ceiling) (1000)")
    p.add_argument("--workloads", default="a,b,c,c-multi,d,e",
                   help="comma-separated subset of a,b,c,c-multi,d,e (d = d-pub and d-con)")
    add_broker_arguments(p)
    opts = p.parse_args(argv)
    quick = opts.quick
    if opts.rounds is None:
        opts.rounds = 1 if quick else 3
    if opts.publish_n is None:
        opts.publish_n = 50_000 if quick else 200_000
    if opts.confirm_n is None:
        opts.confirm_n = 5_000 if quick else 20_000
    if opts.consume_n is None:
        opts.consume_n = 50_000 if quick else 200_000
    chosen = []
    for w in (x.strip() for x in opts.workloads.split(",") if x.strip()):
        if w == "d":
            chosen += ["d-pub", "d-con"]
        elif w in WORKLOADS:
            chosen.append(w)
        else:
            p.error(f"unknown workload {w!r}; choose from a,b,c,c-multi,d,e")
    opts.workloads = [w for w in WORKLOADS if w in chosen]
    return opts


def main(argv: List[str]) -> int:
    opts = parse_args(argv)
    if opts.worker is not None:
        return worker_main(opts.worker)
    h = Harness(opts)
    try:
        h.admin().close()
    except (OSError, BrokerError) as exc:
        print(f"cannot reach RabbitMQ at {opts.host}:{opts.port}: {exc} (try `make broker`)",
              file=sys.stderr)
        return 2
    print(f"pika_fast end-to-end benchmark: {opts.rounds} round(s); publish {opts.publish_n:,}, "
          f"confirms {opts.confirm_n:,}, consume {opts.consume_n:,} x {opts.body_size} B; "
          f"big {opts.big_mib} MiB; workloads {','.join(opts.workloads)}")
    started = time.monotonic()

    def plan() -> List[Tuple[str, List[str], Runner]]:
        steps = []
        for wl in opts.workloads:
            _title, clients, runner = WORKLOADS[wl]
            if _CEILING_FROM.get(wl) not in (None, *opts.workloads):
                clients = clients + ["ceiling"]  # its usual ceiling run is not selected
            steps.append((wl, clients, runner))
        return steps
    results = run_rounds(h, opts.rounds, plan)
    report(h, results, time.monotonic() - started)
    if opts.json:
        write_json(opts.json, h, results)
    return 1 if h.errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
