"""Codec micro-benchmarks: pika 1.4.4 vs pika_fast's pure twin vs its compiled twin.

Prints ns per operation (median of several repeats) and each twin's speed-up over pika.
Run with ``make bench-codec``. pika is a benchmark dependency only.
"""
from __future__ import annotations

import argparse
import datetime
import decimal
import importlib
import statistics
import sys
import time
from typing import Callable, Dict, List, Optional

import pika
import pika.channel
import pika.data
import pika.frame
import pika.spec

from pika_fast import spec

DELIVERIES = 10_000
CHUNK = 131_072  # pika's receive size, and ours
BODY = b"x" * 100


def _props(module):
    return module.BasicProperties(content_type="text/plain", delivery_mode=2,
                                  headers={"a": 1, "b": "x"}, message_id="id1")


def nested_table() -> Dict[str, object]:
    return {
        "s": "hello", "i": 42, "neg": -7, "big": 2**40, "t": True, "f": False,
        "none": None, "bytes": b"\x00\x01raw", "dec": decimal.Decimal("3.14"),
        "ts": datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
        "list": [1, "two", {"three": 3}], "x-match": "all", "x-max-length": 1000,
        "x-dead-letter-exchange": "dlx", "x-message-ttl": 60000,
        "inner": {"a": 1, "b": "x", "c": {"d": [1, 2, 3], "e": "deep"}},
        "unicode": "żółw", "empty": {}, "zero": 0, "long-string": "y" * 200,
    }


def deliveries_stream() -> bytes:
    one = b"".join((
        pika.frame.Method(1, pika.spec.Basic.Deliver("ctag1.0", 1, False, "ex", "rk")).marshal(),
        pika.frame.Header(1, len(BODY), _props(pika.spec)).marshal(),
        pika.frame.Body(1, BODY).marshal(),
    ))
    return one * DELIVERIES


# ----------------------------------------------------------------------------- pika


def pika_marshal_publish() -> Callable[[], object]:
    method = pika.spec.Basic.Publish(exchange="", routing_key="q")
    props = _props(pika.spec)

    def run() -> object:
        return b"".join((pika.frame.Method(1, method).marshal(),
                         pika.frame.Header(1, len(BODY), props).marshal(),
                         pika.frame.Body(1, BODY).marshal()))
    return run


def pika_decode_deliveries(stream: bytes, keep: bool) -> Callable[[], object]:
    chunks = [stream[i:i + CHUNK] for i in range(0, len(stream), CHUNK)]

    def run() -> object:
        # What pika's Connection._on_data_available does with each received chunk.
        dispatcher = pika.channel.ContentFrameAssembler()
        buffer = b""
        out: List[object] = []
        count = 0
        for chunk in chunks:
            buffer += chunk
            batch = []
            while buffer:
                consumed, frame_value = pika.frame.decode_frame(buffer)
                if not frame_value:
                    break
                buffer = buffer[consumed:]
                result = dispatcher.process(frame_value)
                if result:
                    batch.append((result[0].method, result[1].properties, result[2]))
            count += len(batch)
            if keep:
                out.extend(batch)
        assert count == DELIVERIES
        return out
    return run


def pika_table(table) -> Callable[[], object]:
    def run() -> object:
        pieces: List[bytes] = []
        pika.data.encode_table(pieces, table)
        return pika.data.decode_table(b"".join(pieces), 0)
    return run


# ------------------------------------------------------------------------ pika_fast


def fast_marshal_publish(codec) -> Callable[[], object]:
    method = spec.Basic.Publish(exchange="", routing_key="q")
    props = _props(spec)
    marshal = codec.marshal_content

    def run() -> object:
        return marshal(1, method, props, BODY, 131072)
    return run


def fast_decode_deliveries(codec, stream: bytes, keep: bool) -> Callable[[], object]:
    chunks = [stream[i:i + CHUNK] for i in range(0, len(stream), CHUNK)]

    def run() -> object:
        reader = codec.FrameReader()
        out: List[object] = []
        count = 0
        for chunk in chunks:
            reader.feed(chunk)
            # Each unit is already (channel_number, method, properties, body).
            batch = reader.read_messages()
            count += len(batch)
            if keep:
                out.extend(batch)
            # Released before the next chunk is decoded, as the pika loop above releases
            # its batch (and as a consumer drops a batch once it is dispatched).
            del batch
        assert count == DELIVERIES
        return out
    return run


def fast_table(codec, table) -> Callable[[], object]:
    encode, decode = codec.encode_table, codec.decode_table

    def run() -> object:
        return decode(encode(table), 0)
    return run


# --------------------------------------------------------------------------- timing


def ns_per_op(fn: Callable[[], object], ops_per_call: int, repeats: int,
              min_time: float) -> float:
    fn()  # warm up
    calls = 1
    while True:
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        if time.perf_counter() - start >= min_time / 4:
            break
        calls *= 2
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        samples.append((time.perf_counter() - start) / (calls * ops_per_call) * 1e9)
    return statistics.median(samples)


def load_compiled():
    try:
        return importlib.import_module("pika_fast._codec_c")
    except ImportError as exc:
        print(f"(compiled codec not available: {exc})", file=sys.stderr)
        return None


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--min-time", type=float, default=0.4,
                        help="seconds per repeat, roughly")
    args = parser.parse_args(argv)

    pure = importlib.import_module("pika_fast._codec_py")
    compiled = load_compiled()
    stream = deliveries_stream()
    table = nested_table()
    cases = [
        ("(a) marshal one publish", 1, pika_marshal_publish(),
         lambda c: fast_marshal_publish(c), 20),
        # As a consumer sees them: each chunk's deliveries are handed on, then dropped.
        (f"(b) decode {DELIVERIES:,} deliveries (per delivery)", DELIVERIES,
         pika_decode_deliveries(stream, False),
         lambda c: fast_decode_deliveries(c, stream, False), 20),
        # The same with all 10,000 kept alive: the garbage collector's share grows.
        ("(b') same, all deliveries kept alive", DELIVERIES,
         pika_decode_deliveries(stream, True),
         lambda c: fast_decode_deliveries(c, stream, True), 20),
        ("(c) encode+decode nested table", 1, pika_table(table),
         lambda c: fast_table(c, table), 10),
    ]
    header = f"{'case':44} {'pika ns':>10} {'pure ns':>10} {'cython ns':>10} " \
             f"{'pure x':>7} {'cython x':>9} {'target':>7}"
    print(f"pika {pika.__version__}, "
          f"python {sys.version.split()[0]}, median of {args.repeats}")
    print(header)
    print("-" * len(header))
    for name, ops, pika_fn, make_fast, target in cases:
        t_pika = ns_per_op(pika_fn, ops, args.repeats, args.min_time)
        t_pure = ns_per_op(make_fast(pure), ops, args.repeats, args.min_time)
        t_c = ns_per_op(make_fast(compiled), ops, args.repeats, args.min_time) \
            if compiled else float("nan")
        ratio_c = t_pika / t_c if compiled else float("nan")
        met = compiled is not None and ratio_c >= target and t_pure <= t_pika
        print(f"{name:44} {t_pika:10.0f} {t_pure:10.0f} {t_c:10.0f} "
              f"{t_pika / t_pure:6.2f}x {ratio_c:8.1f}x {'>=' + str(target) + 'x':>7}"
              f"{'' if met else '  (not met)'}")
    return 0

if __name__ == "__main__":
    sys.exit(main())
