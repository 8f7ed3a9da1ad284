"""The pure-Python codec: frames, field tables, methods, properties and content.

Twin of the compiled ``pika_fast._codec_c`` (``src_pyx/_codec_c.pyx``): both export the
same names with the same signatures and raise the same exceptions. Only
``pika_fast._codec`` imports either of them. This module is also the type source for
the seam.
"""
from __future__ import annotations

import calendar
import decimal
import operator
import sys
from datetime import datetime, timezone
from struct import Struct
from typing import Any, Dict, List, Optional, Tuple, Union

from pika_fast import exceptions, frame, spec
from pika_fast import _spec_py

BytesLike = Union[bytes, bytearray, memoryview]

#: Tables and arrays nested deeper than this are refused rather than recursed into.
MAX_NESTING_DEPTH = 64

FRAME_HEADER_SIZE = 7
FRAME_OVERHEAD = 8  # 7-byte frame header plus the frame-end octet
FRAME_END = 206
_FRAME_END_BYTE = b"\xce"
PROTOCOL_HEADER_SIZE = 8

_u8 = Struct(">B")
_i8 = Struct(">b")
_u16 = Struct(">H")
_i16 = Struct(">h")
_u32 = Struct(">I")
_i32 = Struct(">i")
_u64 = Struct(">Q")
_i64 = Struct(">q")
_f32 = Struct(">f")
_f64 = Struct(">d")
_frame_header = Struct(">BHI")
_content_header = Struct(">BHIHHQ")  # frame header + class id, weight, body size
_body_header = Struct(">BHI")
_method_header = Struct(">BHII")  # frame header + method index

_INT_RANGES = {
    "octet": (0, 0xFF),
    "short": (0, 0xFFFF),
    "long": (0, 0xFFFFFFFF),
    "longlong": (0, 0xFFFFFFFFFFFFFFFF),
    "timestamp": (0, 0xFFFFFFFFFFFFFFFF),
}

_CONTENT_METHODS = frozenset(
    (spec.Basic.Publish.INDEX, spec.Basic.Return.INDEX, spec.Basic.Deliver.INDEX,
     spec.Basic.GetOk.INDEX)
)

HEARTBEAT_FRAME = bytes((spec.FRAME_HEARTBEAT, 0, 0, 0, 0, 0, 0, FRAME_END))


def _truncated(what: str) -> exceptions.InvalidFrameError:
    return exceptions.InvalidFrameError(f"Malformed frame: {what} runs past the end of its data")


# ------------------------------------------------------------------ write primitives


def check_int(value: Any, wire: str, name: str) -> int:
    """Return ``value`` if it is an int that fits the AMQP ``wire`` type."""
    if type(value) is not int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, bool):
                return int(value)
            raise TypeError(f"{name} must be an int, not {type(value).__name__}")
        value = int(value)
    low, high = _INT_RANGES[wire]
    if value < low or value > high:
        raise ValueError(f"{name}={value} does not fit an AMQP {wire}")
    return value


def w_octet(value: Any, name: str) -> bytes:
    return _u8.pack(check_int(value, "octet", name))


def w_timestamp(value: Any, name: str) -> bytes:
    return _u64.pack(check_int(value, "timestamp", name))


def _as_bytes(value: Any, name: str) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, bytes):
        return value
    raise TypeError(f"{name} must be str or bytes, not {type(value).__name__}")


def w_shortstr(value: Any, name: str) -> bytes:
    raw = _as_bytes(value, name)
    if len(raw) > 255:
        raise exceptions.ShortStringTooLong(raw)
    return _u8.pack(len(raw)) + raw


def w_longstr(value: Any, name: str) -> bytes:
    raw = _as_bytes(value, name)
    return _u32.pack(len(raw)) + raw


def w_table(value: Any, name: str) -> bytes:
    if value is None:
        return b"\x00\x00\x00\x00"
    if not isinstance(value, dict):
        raise TypeError(f"{name} must be a dict, not {type(value).__name__}")
    pieces: List[bytes] = []
    _table_into(pieces, value, 0)
    return b"".join(pieces)


def _table_into(pieces: List[bytes], table: Dict[Any, Any], depth: int) -> None:
    if depth > MAX_NESTING_DEPTH:
        raise ValueError(f"field table nested deeper than {MAX_NESTING_DEPTH} levels")
    slot = len(pieces)
    pieces.append(b"")
    start = len(pieces)
    for key, value in table.items():
        pieces.append(w_shortstr(key, "table key"))
        _value_into(pieces, value, depth)
    pieces[slot] = _u32.pack(sum(len(p) for p in pieces[start:]))


def _value_into(pieces: List[bytes], value: Any, depth: int) -> None:
    kind = type(value)
    if kind is str:
        raw = value.encode("utf-8")
        pieces.append(b"S" + _u32.pack(len(raw)))
        pieces.append(raw)
    elif kind is int:
        if -0x80000000 <= value <= 0x7FFFFFFF:
            pieces.append(b"I" + _i32.pack(value))
        elif -0x8000000000000000 <= value <= 0x7FFFFFFFFFFFFFFF:
            pieces.append(b"l" + _i64.pack(value))
        else:
            raise exceptions.UnsupportedAMQPFieldException(pieces, value)
    elif kind is bool:
        pieces.append(b"t\x01" if value else b"t\x00")
    elif kind is bytes:
        pieces.append(b"x" + _u32.pack(len(value)))
        pieces.append(value)
    elif kind is dict:
        pieces.append(b"F")
        _table_into(pieces, value, depth + 1)
    elif kind is list:
        _array_into(pieces, value, depth + 1)
    elif value is None:
        pieces.append(b"V")
    elif kind is float:
        pieces.append(b"d" + _f64.pack(value))
    else:
        _other_value_into(pieces, value, depth)


def _other_value_into(pieces: List[bytes], value: Any, depth: int) -> None:
    """Subclasses and the rarer types, in pika's order of preference."""
    if isinstance(value, str):  # its own text, as pika: str() of a str Enum is its name
        _value_into(pieces, str.__str__(value), depth)
    elif isinstance(value, bytes):
        _value_into(pieces, bytes(value), depth)
    elif isinstance(value, bool):
        _value_into(pieces, bool(value), depth)
    elif isinstance(value, int):
        _value_into(pieces, int(value), depth)
    elif isinstance(value, decimal.Decimal):
        pieces.append(_encode_decimal(value))
    elif isinstance(value, datetime):
        seconds = calendar.timegm(value.utctimetuple())
        if seconds < 0:  # the wire type is unsigned
            raise exceptions.UnsupportedAMQPFieldException(pieces, value)
        pieces.append(b"T" + _u64.pack(seconds))
    elif isinstance(value, dict):
        pieces.append(b"F")
        _table_into(pieces, value, depth + 1)
    elif isinstance(value, list):
        _array_into(pieces, value, depth + 1)
    elif isinstance(value, float):
        pieces.append(b"d" + _f64.pack(value))
    elif isinstance(value, bytearray):
        pieces.append(b"x" + _u32.pack(len(value)))
        pieces.append(bytes(value))
    else:
        raise exceptions.UnsupportedAMQPFieldException(pieces, value)


def _encode_decimal(value: decimal.Decimal) -> bytes:
    value = value.normalize()
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int):
        raise exceptions.UnsupportedAMQPFieldException([], value)
    if exponent < 0:
        decimals = -exponent
        raw = int(value * (decimal.Decimal(10) ** decimals))
    else:
        decimals = 0  # the spec's decimals octet is unsigned
        raw = int(value)
    if decimals > 255 or not -0x80000000 <= raw <= 0x7FFFFFFF:
        raise exceptions.UnsupportedAMQPFieldException([], value)
    return b"D" + _u8.pack(decimals) + _i32.pack(raw)


def _array_into(pieces: List[bytes], values: List[Any], depth: int) -> None:
    if depth > MAX_NESTING_DEPTH:
        raise ValueError(f"field array nested deeper than {MAX_NESTING_DEPTH} levels")
    inner: List[bytes] = []
    for item in values:
        _value_into(inner, item, depth)
    body = b"".join(inner)
    pieces.append(b"A" + _u32.pack(len(body)))
    pieces.append(body)


# ------------------------------------------------------------------- read primitives


def r_bits(buf: bytes, off: int, end: int) -> int:
    if off >= end:
        raise _truncated("bit field")
    return buf[off]


def r_octet(buf: bytes, off: int, end: int) -> Tuple[int, int]:
    if off >= end:
        raise _truncated("octet")
    return buf[off], off + 1


def r_short(buf: bytes, off: int, end: int) -> Tuple[int, int]:
    if off + 2 > end:
        raise _truncated("short")
    return _u16.unpack_from(buf, off)[0], off + 2


def r_long(buf: bytes, off: int, end: int) -> Tuple[int, int]:
    if off + 4 > end:
        raise _truncated("long")
    return _u32.unpack_from(buf, off)[0], off + 4


def r_longlong(buf: bytes, off: int, end: int) -> Tuple[int, int]:
    if off + 8 > end:
        raise _truncated("longlong")
    return _u64.unpack_from(buf, off)[0], off + 8


r_timestamp = r_longlong


def r_shortstr(buf: bytes, off: int, end: int) -> Tuple[Union[str, bytes], int]:
    if off >= end:
        raise _truncated("short string")
    stop = off + 1 + buf[off]
    if stop > end:
        raise _truncated("short string")
    raw = buf[off + 1:stop]
    try:
        return raw.decode("utf-8"), stop
    except UnicodeDecodeError:
        return raw, stop


def r_longstr(buf: bytes, off: int, end: int) -> Tuple[bytes, int]:
    """Long strings in method arguments stay bytes, as pika returns them."""
    if off + 4 > end:
        raise _truncated("long string")
    stop = off + 4 + _u32.unpack_from(buf, off)[0]
    if stop > end:
        raise _truncated("long string")
    return buf[off + 4:stop], stop


def r_table(buf: bytes, off: int, end: int, depth: int = 0) -> Tuple[Dict[Any, Any], int]:
    if off + 4 > end:
        raise _truncated("field table")
    limit = off + 4 + _u32.unpack_from(buf, off)[0]
    if limit > end:
        raise _truncated("field table")
    if depth > MAX_NESTING_DEPTH:
        raise exceptions.InvalidFrameError(
            f"Malformed frame: field table nested deeper than {MAX_NESTING_DEPTH} levels")
    off += 4
    result: Dict[Any, Any] = {}
    while off < limit:
        key, off = r_shortstr(buf, off, limit)
        result[key], off = _r_value(buf, off, limit, depth)
    return result, off


def _r_array(buf: bytes, off: int, end: int, depth: int) -> Tuple[List[Any], int]:
    if off + 4 > end:
        raise _truncated("field array")
    limit = off + 4 + _u32.unpack_from(buf, off)[0]
    if limit > end:
        raise _truncated("field array")
    if depth > MAX_NESTING_DEPTH:
        raise exceptions.InvalidFrameError(
            f"Malformed frame: field array nested deeper than {MAX_NESTING_DEPTH} levels")
    off += 4
    result: List[Any] = []
    append = result.append
    while off < limit:
        value, off = _r_value(buf, off, limit, depth)
        append(value)
    return result, off


def _fixed(buf: bytes, off: int, end: int, codec: Struct, what: str) -> Tuple[Any, int]:
    stop = off + codec.size
    if stop > end:
        raise _truncated(what)
    return codec.unpack_from(buf, off)[0], stop


def _r_value(buf: bytes, off: int, end: int, depth: int) -> Tuple[Any, int]:
    if off >= end:
        raise _truncated("field value")
    kind = buf[off]
    off += 1
    if kind == 83:  # S
        if off + 4 > end:
            raise _truncated("long string value")
        stop = off + 4 + _u32.unpack_from(buf, off)[0]
        if stop > end:
            raise _truncated("long string value")
        raw = buf[off + 4:stop]
        try:
            return raw.decode("utf-8"), stop
        except UnicodeDecodeError:
            return raw, stop
    if kind == 73:  # I
        return _fixed(buf, off, end, _i32, "int32 value")
    if kind == 108 or kind == 76:  # l, and pika's legacy L: both signed 64-bit
        return _fixed(buf, off, end, _i64, "int64 value")
    if kind == 116:  # t
        if off >= end:
            raise _truncated("boolean value")
        return buf[off] != 0, off + 1
    if kind == 70:  # F
        return r_table(buf, off, end, depth + 1)
    if kind == 86:  # V
        return None, off
    if kind == 120:  # x
        if off + 4 > end:
            raise _truncated("byte array value")
        stop = off + 4 + _u32.unpack_from(buf, off)[0]
        if stop > end:
            raise _truncated("byte array value")
        return buf[off + 4:stop], stop
    if kind == 65:  # A
        return _r_array(buf, off, end, depth + 1)
    if kind == 84:  # T
        seconds, stop = _fixed(buf, off, end, _u64, "timestamp value")
        try:
            return datetime.fromtimestamp(seconds, timezone.utc), stop
        except (OverflowError, OSError, ValueError):
            raise exceptions.InvalidFrameError(
                f"Malformed frame: timestamp {seconds} is out of range") from None
    if kind == 100:  # d
        return _fixed(buf, off, end, _f64, "double value")
    if kind == 102:  # f
        return _fixed(buf, off, end, _f32, "float value")
    if kind == 98:  # b
        return _fixed(buf, off, end, _i8, "int8 value")
    if kind == 66:  # B
        return _fixed(buf, off, end, _u8, "uint8 value")
    if kind == 115 or kind == 85:  # s, and pika's legacy U: both signed 16-bit
        return _fixed(buf, off, end, _i16, "int16 value")
    if kind == 117:  # u
        return _fixed(buf, off, end, _u16, "uint16 value")
    if kind == 105:  # i
        return _fixed(buf, off, end, _u32, "uint32 value")
    if kind == 68:  # D
        if off + 5 > end:
            raise _truncated("decimal value")
        decimals = buf[off]
        raw = _i32.unpack_from(buf, off + 1)[0]
        return decimal.Decimal(raw) * (decimal.Decimal(10) ** -decimals), off + 5
    raise exceptions.InvalidFieldTypeException(bytes((kind,)))


_METHOD_ENCODERS, _METHOD_DECODERS, _encode_props, _decode_props = _spec_py.build(
    sys.modules[__name__])


def _as_readable(data: BytesLike) -> bytes:
    return data if type(data) is bytes else bytes(data)


def _check_offset(offset: int) -> None:
    if operator.index(offset) < 0:
        raise ValueError("offset must not be negative")


# ------------------------------------------------------------ public field tables


def encode_table(table: Optional[Dict[Any, Any]]) -> bytes:
    """Encode a dict as an AMQP field table, length prefix included.

    Twin of ``_codec_c.encode_table``.
    """
    return w_table(table, "table")


def decode_table(data: BytesLike, offset: int = 0) -> Tuple[Dict[Any, Any], int]:
    """Decode the field table at ``offset``; return it and the offset after it.

    Twin of ``_codec_c.decode_table``.
    """
    _check_offset(offset)
    buf = _as_readable(data)
    return r_table(buf, offset, len(buf))


def encode_value(value: Any) -> bytes:
    """Encode one field value, type octet included. Twin of ``_codec_c.encode_value``."""
    pieces: List[bytes] = []
    _value_into(pieces, value, 0)
    return b"".join(pieces)


def decode_value(data: BytesLike, offset: int = 0) -> Tuple[Any, int]:
    """Decode the field value at ``offset``. Twin of ``_codec_c.decode_value``."""
    _check_offset(offset)
    buf = _as_readable(data)
    return _r_value(buf, offset, len(buf), 0)


# -------------------------------------------------------------- methods, properties


def _encoder(method: Any) -> Any:
    try:
        return _METHOD_ENCODERS[method.INDEX]
    except (KeyError, AttributeError):
        raise TypeError(f"{method!r} is not an AMQP method") from None


def encode_method_args(method: Any) -> bytes:
    """The encoded arguments of ``method`` (no method index). Twin in ``_codec_c``."""
    return _encoder(method)(method)


def decode_method_into(method: Any, data: BytesLike, offset: int = 0) -> Any:
    """Decode arguments at ``offset`` into ``method`` and return it. Twin in ``_codec_c``."""
    _check_offset(offset)
    buf = _as_readable(data)
    _METHOD_DECODERS[method.INDEX](method, buf, offset, len(buf))
    return method


def encode_properties(properties: Any) -> bytes:
    """Property flags and values of a BasicProperties. Twin in ``_codec_c``."""
    return _encode_props(properties)


def decode_properties_into(properties: Any, data: BytesLike, offset: int = 0) -> Any:
    """Decode flags and values at ``offset`` into ``properties``. Twin in ``_codec_c``."""
    _check_offset(offset)
    buf = _as_readable(data)
    _decode_props(properties, buf, offset, len(buf))
    return properties


def marshal_method_frame(channel_number: int, method: Any) -> bytes:
    """A whole method frame. Twin of ``_codec_c.marshal_method_frame``."""
    args = _encoder(method)(method)
    channel_number = check_int(channel_number, "short", "channel_number")
    return b"".join((
        _method_header.pack(spec.FRAME_METHOD, channel_number, len(args) + 4, method.INDEX),
        args, _FRAME_END_BYTE))


def marshal_header_frame(channel_number: int, body_size: int, properties: Any) -> bytes:
    """A whole content header frame. Twin of ``_codec_c.marshal_header_frame``."""
    encoded = _encode_props(properties)
    channel_number = check_int(channel_number, "short", "channel_number")
    class_id = check_int(properties.INDEX, "short", "INDEX")
    body_size = check_int(body_size, "longlong", "body_size")
    return b"".join((
        _content_header.pack(spec.FRAME_HEADER, channel_number, len(encoded) + 12,
                             class_id, 0, body_size),
        encoded, _FRAME_END_BYTE))


def marshal_body_frame(channel_number: int, fragment: BytesLike) -> bytes:
    """A whole body frame. Twin of ``_codec_c.marshal_body_frame``."""
    view = _body_view(fragment)
    channel_number = check_int(channel_number, "short", "channel_number")
    return b"".join((_body_header.pack(spec.FRAME_BODY, channel_number, len(view)),
                     view, _FRAME_END_BYTE))


def _body_view(body: Any) -> Union[bytes, memoryview]:
    if type(body) is bytes:
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    try:
        view = memoryview(body)  # any object with the buffer protocol
    except TypeError:
        raise TypeError(f"message body must be bytes, bytearray, memoryview or str, "
                        f"not {type(body).__name__}") from None
    if not view.c_contiguous:
        return view.tobytes()
    return view if view.format == "B" and view.ndim == 1 else view.cast("B")


def _content_pieces(channel_number: int, method: Any, properties: Any, body: Any,
                    frame_max: int) -> List[Any]:
    if frame_max <= FRAME_OVERHEAD:
        raise ValueError(f"frame_max={frame_max} leaves no room for a frame payload")
    view = _body_view(body)
    if properties is None:
        properties = spec.BasicProperties()
    size = len(view)
    args = _encoder(method)(method)
    encoded_props = _encode_props(properties)
    channel_number = check_int(channel_number, "short", "channel_number")
    class_id = check_int(properties.INDEX, "short", "INDEX")
    pieces: List[Any] = [
        _method_header.pack(spec.FRAME_METHOD, channel_number, len(args) + 4, method.INDEX),
        args,
        _FRAME_END_BYTE,
        _content_header.pack(spec.FRAME_HEADER, channel_number, len(encoded_props) + 12,
                             class_id, 0, size),
        encoded_props,
        _FRAME_END_BYTE,
    ]
    chunk = frame_max - FRAME_OVERHEAD
    if size > chunk and type(view) is bytes:
        view = memoryview(view)  # slices of a memoryview share the body, bytes slices copy
    for start in range(0, size, chunk):
        fragment = view[start:start + chunk]
        pieces.append(_body_header.pack(spec.FRAME_BODY, channel_number, len(fragment)))
        pieces.append(fragment)
        pieces.append(_FRAME_END_BYTE)
    return pieces


def marshal_content(channel_number: int, method: Any, properties: Any, body: Any,
                    frame_max: int) -> bytes:
    """Method, header and body frames of one message as one bytes object.

    The body is copied once, into the result; it is split into body frames that fit
    ``frame_max``. Twin of ``_codec_c.marshal_content``.
    """
    return b"".join(_content_pieces(channel_number, method, properties, body, frame_max))


def marshal_content_into(out: bytearray, channel_number: int, method: Any,
                         properties: Any, body: Any, frame_max: int) -> None:
    """Append the frames of one message to ``out``. Twin in ``_codec_c``."""
    out += b"".join(_content_pieces(channel_number, method, properties, body, frame_max))


def content_frame_buffers(channel_number: int, method: Any, properties: Any, body: Any,
                          frame_max: int) -> List[Union[bytes, memoryview]]:
    """The frames of one message as buffers for ``socket.sendmsg``, body not copied.

    Body fragments are memoryviews into ``body``. Twin in ``_codec_c``.
    """
    pieces = _content_pieces(channel_number, method, properties, body, frame_max)
    buffers: List[Union[bytes, memoryview]] = [b"".join(pieces[:6])]
    for i in range(6, len(pieces), 3):
        buffers.append(pieces[i])
        buffers.append(pieces[i + 1])
        buffers.append(pieces[i + 2])
    return buffers


# ---------------------------------------------------------------------- frame decode


def _new_method(index: int, channel_number: int, buf: bytes, off: int, end: int) -> Any:
    try:
        cls = spec.methods[index]
    except KeyError:
        raise exceptions.InvalidFrameError(
            f"Malformed frame: unknown method id 0x{index:08X} on channel "
            f"{channel_number}") from None
    method: Any = cls.__new__(cls)  # type: ignore[call-overload]
    _METHOD_DECODERS[index](method, buf, off, end)
    return method


def _new_properties(class_id: int, buf: bytes, off: int, end: int) -> Any:
    if class_id != spec.BasicProperties.INDEX:
        raise exceptions.InvalidFrameError(
            f"Malformed frame: content header for unknown class {class_id}")
    props = spec.BasicProperties.__new__(spec.BasicProperties)
    _decode_props(props, buf, off, end)
    return props


def _payload_frame(frame_type: int, channel_number: int, buf: bytes, off: int,
                   end: int) -> Any:
    """Turn one frame payload buf[off:end] into pika's frame object."""
    if frame_type == spec.FRAME_METHOD:
        if end - off < 4:
            raise _truncated("method id")
        index = _u32.unpack_from(buf, off)[0]
        return frame.Method(channel_number, _new_method(index, channel_number, buf,
                                                        off + 4, end))
    if frame_type == spec.FRAME_HEADER:
        if end - off < 12:
            raise _truncated("content header")
        class_id, _weight, body_size = _HEADER_PREFIX.unpack_from(buf, off)
        return frame.Header(channel_number, body_size,
                            _new_properties(class_id, buf, off + 12, end))
    if frame_type == spec.FRAME_BODY:
        return frame.Body(channel_number, buf[off:end])
    if frame_type == spec.FRAME_HEARTBEAT:
        return frame.Heartbeat()
    raise exceptions.InvalidFrameError(f"Unknown frame type: {frame_type}")


_HEADER_PREFIX = Struct(">HHQ")


def decode_frame(data_in: BytesLike, offset: int = 0) -> Tuple[int, Any]:
    """Decode one frame at ``offset``: (bytes consumed, frame), or (0, None) if incomplete.

    Accepts bytes, bytearray and memoryview. Twin of ``_codec_c.decode_frame``.
    """
    _check_offset(offset)
    buf = _as_readable(data_in)
    available = len(buf) - offset
    if available >= 4 and buf[offset:offset + 4] == b"AMQP":
        if available < PROTOCOL_HEADER_SIZE:
            return 0, None
        return PROTOCOL_HEADER_SIZE, frame.ProtocolHeader(
            buf[offset + 5], buf[offset + 6], buf[offset + 7])
    if available < FRAME_HEADER_SIZE:
        return 0, None
    frame_type, channel_number, size = _frame_header.unpack_from(buf, offset)
    total = size + FRAME_OVERHEAD
    if total > available:
        return 0, None
    end = offset + FRAME_HEADER_SIZE + size
    if buf[end] != FRAME_END:
        raise exceptions.InvalidFrameError("Invalid FRAME_END marker")
    return total, _payload_frame(frame_type, channel_number, buf, offset + FRAME_HEADER_SIZE,
                                 end)


# ---------------------------------------------------------------------- frame reader


class FrameReader:
    """Incremental reader: feed received bytes, take whole frames or whole messages.

    The buffer is consumed by advancing an offset; unread bytes are moved only when
    more data arrives, so decoding is linear in the data received. Content frames are
    assembled per channel into ``(channel_number, method, properties, body)``.
    Twin of ``_codec_c.FrameReader``.
    """

    def __init__(self, frame_max: int = spec.FRAME_MAX_SIZE) -> None:
        self._buf = b""
        self._pos = 0
        self.frame_max = frame_max
        self._partial: Dict[int, List[Any]] = {}

    @property
    def frame_max(self) -> int:
        """Largest frame accepted, frame header and end octet included (0: no limit)."""
        return self._frame_max

    @frame_max.setter
    def frame_max(self, value: int) -> None:
        if value < 0:
            raise ValueError("frame_max must not be negative")
        self._frame_max = value

    @property
    def buffered(self) -> int:
        """Bytes received and not yet consumed."""
        return len(self._buf) - self._pos

    def feed(self, data: BytesLike) -> None:
        """Append received bytes."""
        if self._pos:
            self._buf = self._buf[self._pos:] + data
            self._pos = 0
        elif self._buf:
            self._buf += data
        else:
            self._buf = _as_readable(data)

    def _next_raw(self) -> Optional[Tuple[int, int, int, int]]:
        """(type, channel, payload start, payload end) of the next whole frame."""
        buf = self._buf
        pos = self._pos
        available = len(buf) - pos
        if available < FRAME_HEADER_SIZE:
            if available >= 4 and buf[pos:pos + 4] == b"AMQP":
                return None  # a protocol header needs 8 bytes; wait for them
            return None
        if buf[pos:pos + 4] == b"AMQP":
            if available < PROTOCOL_HEADER_SIZE:
                return None
            return (-1, 0, pos + 4, pos + PROTOCOL_HEADER_SIZE)
        frame_type, channel_number, size = _frame_header.unpack_from(buf, pos)
        total = size + FRAME_OVERHEAD
        if self._frame_max and total > self._frame_max:
            raise exceptions.FrameTooLargeError(total, self._frame_max)
        if total > available:
            return None
        end = pos + FRAME_HEADER_SIZE + size
        if buf[end] != FRAME_END:
            raise exceptions.InvalidFrameError("Invalid FRAME_END marker")
        return (frame_type, channel_number, pos + FRAME_HEADER_SIZE, end)

    def next_frame(self) -> Any:
        """The next whole frame as pika's frame object, or None until more data arrives."""
        raw = self._next_raw()
        if raw is None:
            return None
        frame_type, channel_number, start, end = raw
        buf = self._buf
        if frame_type == -1:
            result: Any = frame.ProtocolHeader(buf[start + 1], buf[start + 2], buf[start + 3])
        else:
            result = _payload_frame(frame_type, channel_number, buf, start, end)
        self._pos = end + 1 if frame_type != -1 else end
        return result

    def read_messages(self) -> List[Tuple[int, Any, Any, Any]]:
        """Every whole unit received so far, in order.

        Each is ``(channel_number, method, properties, body)``: properties and body are
        None for methods without content; a heartbeat is ``(0, None, None, None)``; a
        protocol header from the peer is ``(0, ProtocolHeader, None, None)``. When a
        message's content header cannot be decoded but its frames are intact, its
        properties slot holds a :class:`~pika_fast.exceptions.MessageDecodeError` and
        the stream stays usable. Other errors are raised once the units decoded before
        them have been returned.
        """
        units: List[Tuple[int, Any, Any, Any]] = []
        try:
            while True:
                raw = self._next_raw()
                if raw is None:
                    break
                frame_type, channel_number, start, end = raw
                if frame_type == spec.FRAME_BODY:
                    self._on_body(units, channel_number, start, end)
                elif frame_type == spec.FRAME_METHOD:
                    self._on_method(units, channel_number, start, end)
                elif frame_type == spec.FRAME_HEADER:
                    self._on_header(units, channel_number, start, end)
                elif frame_type == spec.FRAME_HEARTBEAT:
                    if channel_number:  # the spec allows heartbeats on channel 0 only
                        raise exceptions.InvalidFrameError(
                            f"Malformed frame: heartbeat on channel {channel_number}")
                    units.append((0, None, None, None))
                elif frame_type == -1:
                    buf = self._buf
                    units.append((0, frame.ProtocolHeader(buf[start + 1], buf[start + 2],
                                                          buf[start + 3]), None, None))
                    self._pos = end
                    continue
                else:
                    raise exceptions.InvalidFrameError(f"Unknown frame type: {frame_type}")
                self._pos = end + 1
        except exceptions.AMQPError:
            if not units:
                raise
            # The bad frame is still unread: the next call raises its error.
        return units

    def _on_method(self, units: List[Any], channel_number: int, start: int, end: int) -> None:
        buf = self._buf
        if end - start < 4:
            raise _truncated("method id")
        index = _u32.unpack_from(buf, start)[0]
        if channel_number in self._partial:
            raise exceptions.UnexpectedFrameError(
                f"method frame on channel {channel_number} while content was expected")
        method = _new_method(index, channel_number, buf, start + 4, end)
        if index in _CONTENT_METHODS:
            self._partial[channel_number] = [method, None, -1, [], 0]
        else:
            units.append((channel_number, method, None, None))

    def _on_header(self, units: List[Any], channel_number: int, start: int, end: int) -> None:
        state = self._partial.get(channel_number)
        if state is None or state[2] != -1:
            raise exceptions.UnexpectedFrameError(
                f"content header on channel {channel_number} without a content method")
        if end - start < 12:
            raise _truncated("content header")
        class_id, _weight, body_size = _HEADER_PREFIX.unpack_from(self._buf, start)
        try:
            props: Any = _new_properties(class_id, self._buf, start + 12, end)
        except (exceptions.AMQPError, ValueError) as exc:
            props = exceptions.MessageDecodeError(channel_number, state[0], None, exc)
        if body_size == 0:
            del self._partial[channel_number]
            self._finish(units, channel_number, state[0], props, b"")
            return
        state[1] = props
        state[2] = body_size

    def _on_body(self, units: List[Any], channel_number: int, start: int, end: int) -> None:
        state = self._partial.get(channel_number)
        if state is None or state[2] < 0:
            raise exceptions.UnexpectedFrameError(
                f"body frame on channel {channel_number} without a content header")
        received = state[4] + end - start
        if received > state[2]:
            # pika's class for it; the message says what arrived and what was announced
            raise exceptions.BodyTooLongError(received, state[2])
        chunks = state[3]
        if received == state[2] and not chunks:
            body = self._buf[start:end]
        else:
            chunks.append(self._buf[start:end])
            state[4] = received
            if received < state[2]:
                return
            body = b"".join(chunks)
        del self._partial[channel_number]
        self._finish(units, channel_number, state[0], state[1], body)

    @staticmethod
    def _finish(units: List[Any], channel_number: int, method: Any, props: Any,
                body: bytes) -> None:
        if isinstance(props, exceptions.MessageDecodeError):
            props.body = body
        units.append((channel_number, method, props, body))
