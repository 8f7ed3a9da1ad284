"""AMQP field-table encoding and decoding, with ``pika.data``'s API.

Unlike pika 1.4, floats and doubles decode as ``float`` (pika truncates them to int)
and a Python ``float`` encodes as a double (pika refuses it).
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple, Union

from pika_fast import _codec, exceptions

BytesLike = Union[bytes, bytearray, memoryview]


def encode_short_string(pieces: List[bytes], value: Union[str, bytes]) -> int:
    """Append ``value`` as an AMQP short string to ``pieces``; return its encoded size."""
    raw = value.encode("utf-8") if isinstance(value, str) else value
    if len(raw) > 255:
        raise exceptions.ShortStringTooLong(raw)
    pieces.append(bytes((len(raw),)) + raw)
    return 1 + len(raw)


def decode_short_string(encoded: BytesLike, offset: int) -> Tuple[Union[str, bytes], int]:
    """Decode the short string at ``offset``: (str, or bytes if not UTF-8; next offset)."""
    length = encoded[offset]
    raw = bytes(encoded[offset + 1:offset + 1 + length])
    if len(raw) != length:
        raise exceptions.InvalidFrameError("Malformed frame: short string runs past the end of its data")
    try:
        return raw.decode("utf-8"), offset + 1 + length
    except UnicodeDecodeError:
        return raw, offset + 1 + length


def encode_table(pieces: List[bytes], table: Optional[Dict[str, Any]]) -> int:
    """Append ``table`` (None counts as empty) to ``pieces``; return its encoded size."""
    encoded = _codec.encode_table(table)
    pieces.append(encoded)
    return len(encoded)


def encode_value(pieces: List[bytes], value: Any) -> int:
    """Append one field value, type octet included, to ``pieces``; return its size."""
    encoded = _codec.encode_value(value)
    pieces.append(encoded)
    return len(encoded)


def decode_table(encoded: BytesLike, offset: int) -> Tuple[Dict[Union[str, bytes], Any], int]:
    """Decode the field table at ``offset``; return it and the offset after it."""
    return _codec.decode_table(encoded, offset)


def decode_value(encoded: BytesLike, offset: int) -> Tuple[Any, int]:
    """Decode the field value at ``offset``; return it and the offset after it."""
    return _codec.decode_value(encoded, offset)


# Names pika's module of the same path also exports; code written against pika imports
# them from here.
from pika_fast.compat import as_bytes, long  # noqa: E402,F401
