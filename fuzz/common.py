"""What the fuzz targets share: the outcome of one input on one twin, and the seeds.

An outcome is a plain, strictly typed value (the decoded result in canonical form, or
the name of the pika_fast.exceptions class raised). Two twins agree on an input when
their outcomes are equal. Any other exception escapes and is a crash for the fuzzer.
"""
from __future__ import annotations

import hashlib
import os
import struct
from typing import Any, Callable, Iterable, List, Tuple

from pika_fast import exceptions
from tests.support.canonical import canon  # noqa: F401  (the targets compare with it)

# Frame limits the reader target picks from (0: no limit; 4096 is AMQP's minimum).
FRAME_MAXES = (0, 64, 4096, 131072)


def outcome(func: Callable[..., Any], *args: Any) -> Tuple[str, Any]:
    """("ok", result) or ("raised", class name); only AMQPError is an expected failure."""
    try:
        return "ok", canon(func(*args))
    except exceptions.AMQPError as exc:
        return "raised", type(exc).__name__


# ------------------------------------------------------------------ per target


def reader_outcome(codec: Any, data: bytes) -> Any:
    """The reader fed ``data`` in pieces, drained by read_messages; then the same bytes
    frame by frame through next_frame and decode_frame. The first byte picks the
    frame_max and the piece size."""
    if not data:
        return None
    control, data = data[0], data[1:]
    frame_max = FRAME_MAXES[control & 3]
    step = 1 + (control >> 2) * 3
    reader = codec.FrameReader(frame_max=frame_max)
    units: List[Any] = []
    error = None
    for start in range(0, len(data) or 1, step):
        reader.feed(data[start:start + step])
        try:
            while True:
                batch = reader.read_messages()
                if not batch:
                    break
                units.extend(batch)
        except exceptions.AMQPError as exc:
            error = type(exc).__name__
            break
    streamed = (canon(units), error, reader.buffered)

    frames_reader = codec.FrameReader(frame_max=frame_max)
    frames_reader.feed(data)
    frames: List[Any] = []
    error = None
    try:
        while True:
            item = frames_reader.next_frame()
            if item is None:
                break
            frames.append(item)
    except exceptions.AMQPError as exc:
        error = type(exc).__name__
    by_frame = (canon(frames), error, frames_reader.buffered)
    return streamed, by_frame, outcome(codec.decode_frame, data, 0)


def table_outcome(codec: Any, data: bytes) -> Any:
    """decode_table and decode_value at an offset the first byte picks."""
    if not data:
        return None
    offset, data = data[0] & 7, data[1:]
    return (outcome(codec.decode_table, data, offset),
            outcome(codec.decode_value, data, offset))


def properties_outcome(codec: Any, data: bytes) -> Any:
    """decode_properties_into a fresh BasicProperties, and the same bytes as the
    property list of a content header read by decode_frame and by the reader (after a
    Basic.Deliver, so the header belongs to a message)."""
    from pika_fast import spec

    direct = outcome(lambda: codec.decode_properties_into(spec.BasicProperties(), data))
    payload = struct.pack(">HHQ", 60, 0, 3) + data
    header = b"\x02\x00\x01" + struct.pack(">I", len(payload)) + payload + b"\xce"
    framed = outcome(codec.decode_frame, header, 0)
    deliver = codec.marshal_method_frame(1, spec.Basic.Deliver(
        consumer_tag="ct", delivery_tag=1, exchange="", routing_key="rk"))
    reader = codec.FrameReader(frame_max=0)
    reader.feed(deliver + header + b"\x03\x00\x01\x00\x00\x00\x03abc\xce")
    return direct, framed, outcome(reader.read_messages)


TARGETS = {
    "reader": reader_outcome,
    "table": table_outcome,
    "properties": properties_outcome,
}


def compare(target: str, compiled: Any, pure: Any, data: bytes) -> None:
    """Raise AssertionError when the twins disagree on ``data``."""
    run = TARGETS[target]
    ours = run(compiled, data)
    theirs = run(pure, data)
    if ours != theirs:
        raise AssertionError(
            f"twins disagree on {target} input {data!r}:\n  cython: {ours!r}\n"
            f"  python: {theirs!r}")


# ------------------------------------------------------------------ seeds


def _bytes_in(value: Any, depth: int = 0) -> Iterable[bytes]:
    if isinstance(value, (bytes, bytearray)):
        yield bytes(value)
    elif depth < 3 and isinstance(value, (list, tuple)):
        for item in value:
            yield from _bytes_in(item, depth + 1)
    elif depth < 3 and isinstance(value, dict):
        for item in value.values():
            yield from _bytes_in(item, depth + 1)
    elif depth < 3 and type(value).__name__ == "ParameterSet":  # pytest.param(...)
        yield from _bytes_in(value.values, depth + 1)


def golden_vectors() -> List[bytes]:
    """Every bytes constant (and every bytes inside parametrize lists) of the codec
    test modules: the golden vectors tests/codec checks both twins against."""
    import importlib

    found: List[bytes] = []
    for name in ("test_codec_badinput", "test_codec_frames", "test_codec_content",
                 "test_codec_tables", "test_codec_methods", "test_codec_reader"):
        module = importlib.import_module(f"tests.codec.{name}")
        for value in vars(module).values():
            found.extend(_bytes_in(value))
        corpus = getattr(module, "CORPUS", None)
        if corpus:
            found.extend(corpus)
    unique = sorted({b for b in found if 0 < len(b) <= 64 * 1024})
    return unique


def seed_inputs(target: str) -> List[bytes]:
    """Seeds for ``target`` in its input format (a control byte, then the vector)."""
    vectors = golden_vectors()
    if target == "reader":
        return [bytes((control,)) + v for v in vectors for control in (0, 2, 6)]
    if target == "table":
        return [b"\x00" + v for v in vectors] + [b"\x01" + v for v in vectors]
    if target == "properties":
        # header frames' property lists, and every vector as a property list
        seeds = list(vectors)
        for v in vectors:
            if len(v) > 20 and v[0] == 2 and v[-1] == 0xCE:
                seeds.append(v[19:-1])
        return seeds
    raise KeyError(target)


def write_seeds(target: str, directory: str) -> int:
    """Write ``target``'s seeds into ``directory`` (named by content); return the count."""
    os.makedirs(directory, exist_ok=True)
    seeds = seed_inputs(target)
    for seed in seeds:
        name = hashlib.sha1(seed).hexdigest()
        path = os.path.join(directory, name)
        if not os.path.exists(path):
            with open(path, "wb") as out:
                out.write(seed)
    return len(seeds)
