"""Soak test: millions of messages through one connection, watching RSS and open fds.

Run from the repository root (the broker at ``AMQP_URL``, default the local one)::

    PYTHONPATH=. .venv/bin/python benchmarks/soak.py                   # 2,000,000 messages
    PYTHONPATH=. .venv/bin/python benchmarks/soak.py --messages 100000 # a short run

One thread-safe ``pika_fast.Connection`` carries both directions: the main thread
publishes in confirm mode (at most ``--window`` publishes unconfirmed, the confirms
counted from the broker's Basic.Ack frames, multiple or not), and a consumer on a
second channel of the same connection acknowledges every message on its worker
thread, checking that the messages arrive in order, once each. (A BlockingConnection
waits for each confirm in turn; the thread-safe connection keeps a window of them in
flight, so one connection can carry both directions at full speed.)

Every second a sampler records (elapsed s, sent, confirmed, received, RSS MiB, open
fds). At the end it prints the curve and a summary: RSS when 10% of the messages had
been received (after warm-up) and at the end, the maximum, and the slope of RSS
against messages received after the 10% point (least squares, MiB per million
messages), with the fd range over the same stretch. Flat means the slope is a small
fraction of a MiB per million and the fd count does not move.
"""
from __future__ import annotations

import argparse
import os
import struct
import sys
import threading
import time
import uuid
from typing import List, Optional, Tuple

import pika_fast

PAGE = os.sysconf("SC_PAGE_SIZE")
MIB = 1024 * 1024

Sample = Tuple[float, int, int, int, float, int]


def rss_mib() -> float:
    """Resident set size of this process, in MiB."""
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * PAGE / MIB


def open_fds() -> int:
    """Open file descriptors of this process."""
    return len(os.listdir("/proc/self/fd"))


class Confirms:
    """Counts publishes the broker confirmed (Basic.Ack, single or multiple)."""

    def __init__(self) -> None:
        self.upto = 0  # every tag up to here is confirmed
        self.singles: set = set()
        self.nacked = 0
        self.cond = threading.Condition()

    @property
    def count(self) -> int:
        return self.upto + len(self.singles)

    def on_frame(self, frame) -> None:
        method = frame.method
        with self.cond:
            if isinstance(method, pika_fast.spec.Basic.Nack):
                self.nacked += 1
            tag = method.delivery_tag
            if method.multiple:
                if tag > self.upto:
                    self.singles = {t for t in self.singles if t > tag}
                    self.upto = tag
            elif tag > self.upto:
                self.singles.add(tag)
            while self.upto + 1 in self.singles:
                self.upto += 1
                self.singles.discard(self.upto)
            self.cond.notify_all()


class Soak:
    def __init__(self, opts: argparse.Namespace) -> None:
        self.opts = opts
        self.total = opts.messages
        self.sent = 0
        self.received = 0
        self.errors: List[str] = []
        self.confirms = Confirms()
        self.samples: List[Sample] = []
        self.done = threading.Event()
        self.start = 0.0

    # ---------------------------------------------------------------- sampling

    def sample(self) -> Sample:
        return (time.monotonic() - self.start, self.sent, self.confirms.count,
                self.received, rss_mib(), open_fds())

    def sampler(self) -> None:
        while not self.done.wait(1.0):
            row = self.sample()
            self.samples.append(row)
            if self.opts.live:
                print("  %7.1f %10d %10d %10d %9.1f %5d" % row, flush=True)

    # ------------------------------------------------------------------ running

    def on_message(self, channel, method, properties, body) -> None:
        index = struct.unpack_from(">Q", body)[0]
        if index != self.received and len(self.errors) < 10:
            self.errors.append(f"expected message {self.received}, got {index}")
        self.received += 1
        channel.basic_ack(method.delivery_tag)
        if self.received >= self.total:
            self.done.set()

    def run(self) -> None:
        opts = self.opts
        params = pika_fast.URLParameters(opts.url)
        conn = pika_fast.Connection(params)
        queue = f"pika_fast.soak.{uuid.uuid4().hex[:12]}"
        try:
            consumer = conn.channel()
            consumer.queue_declare(queue, auto_delete=False)
            consumer.basic_qos(prefetch_count=opts.prefetch)
            consumer.basic_consume(queue, self.on_message)
            publisher = conn.channel()
            publisher.confirm_delivery(self.confirms.on_frame)
            padding = b"x" * max(0, opts.size - 8)
            pack = struct.Struct(">Q").pack
            confirms = self.confirms
            window = opts.window
            backlog = opts.backlog
            self.start = time.monotonic()
            self.samples.append(self.sample())
            sampler = threading.Thread(target=self.sampler, name="soak-sampler", daemon=True)
            sampler.start()
            while self.sent < self.total:
                if self.sent - confirms.count >= window or self.sent - self.received >= backlog:
                    with confirms.cond:
                        confirms.cond.wait_for(
                            lambda: self.sent - confirms.count < window, timeout=0.05)
                    continue
                publisher.basic_publish("", queue, pack(self.sent) + padding)
                self.sent += 1
            with confirms.cond:
                if not confirms.cond.wait_for(lambda: confirms.count >= self.total,
                                              timeout=opts.timeout):
                    self.errors.append(f"only {confirms.count} of {self.total} confirmed")
            if not self.done.wait(opts.timeout):
                self.errors.append(f"only {self.received} of {self.total} received")
            self.done.set()
            sampler.join()
            self.samples.append(self.sample())
            consumer.queue_delete(queue)
        finally:
            self.done.set()
            conn.close()
        if confirms.nacked:
            self.errors.append(f"{confirms.nacked} publishes nacked by the broker")

    # ---------------------------------------------------------------- reporting

    def report(self) -> int:
        samples = self.samples
        print("\ncurve (one sample a second):")
        print("  %7s %10s %10s %10s %9s %5s" % ("time s", "sent", "confirmed", "received",
                                             "RSS MiB", "fds"))
        step = max(1, len(samples) // self.opts.rows)
        for i, row in enumerate(samples):
            if i % step == 0 or i == len(samples) - 1:
                print("  %7.1f %10d %10d %10d %9.1f %5d" % row)
        warm = next((i for i, row in enumerate(samples) if row[3] >= self.total // 10),
                    len(samples) - 1)
        tail = samples[warm:]
        elapsed = samples[-1][0]
        xs = [row[3] / 1e6 for row in tail]
        ys = [row[4] for row in tail]
        slope = _slope(xs, ys)
        fds = [row[5] for row in tail]
        print("\nsummary:")
        print(f"  messages           {self.total} of {self.opts.size} bytes in {elapsed:.1f} s "
              f"({self.total / elapsed:.0f} msg/s each way, one connection)")
        print(f"  RSS at 10%         {samples[warm][4]:.1f} MiB (t={samples[warm][0]:.0f} s)")
        print(f"  RSS at end         {samples[-1][4]:.1f} MiB")
        print(f"  RSS max            {max(row[4] for row in samples):.1f} MiB")
        print("  RSS slope after 10%  "
              + ("n/a (too few samples)" if slope is None
                 else f"{slope:+.3f} MiB per million messages"))
        print(f"  fds after 10%      min {min(fds)} max {max(fds)} "
              f"(start {samples[0][5]}, end {samples[-1][5]})")
        if self.errors:
            print("\nERRORS:")
            for error in self.errors:
                print("  " + error)
            return 1
        return 0


def _slope(xs: List[float], ys: List[float]) -> Optional[float]:
    if len(xs) < 3 or max(xs) == min(xs):
        return None
    mx = sum(xs) / len(xs)
    my = sum(ys) / len(ys)
    num = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    den = sum((x - mx) ** 2 for x in xs)
    return num / den


def parse_args(argv: List[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2_000_000,
                        help="messages to publish and consume (default 2,000,000)")
    parser.add_argument("--size", type=int, default=100, help="body bytes (default 100)")
    parser.add_argument("--window", type=int, default=2000,
                        help="publishes allowed unconfirmed (default 2000)")
    parser.add_argument("--backlog", type=int, default=20000,
                        help="published but not yet received, at most (default 20000)")
    parser.add_argument("--prefetch", type=int, default=500, help="consumer prefetch")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds to wait for the last confirms and deliveries")
    parser.add_argument("--rows", type=int, default=40, help="curve rows to print")
    parser.add_argument("--live", action="store_true", help="print each sample as taken")
    parser.add_argument("--url", default=os.environ.get(
        "AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F"))
    opts = parser.parse_args(argv)
    if opts.messages < 10 or opts.size < 8:
        parser.error("--messages must be >= 10 and --size >= 8")
    return opts


def main(argv: List[str]) -> int:
    opts = parse_args(argv)
    print(f"pika_fast {pika_fast.__version__} (codec: {pika_fast.codec_backend()}), "
          f"{opts.messages} messages of {opts.size} bytes, confirm window {opts.window}, "
          f"prefetch {opts.prefetch}")
    soak = Soak(opts)
    soak.run()
    return soak.report()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
