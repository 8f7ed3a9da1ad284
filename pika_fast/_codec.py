"""The seam: picks the compiled codec or its pure-Python twin, once, at import.

This is the only module that knows two codecs exist. Everything else imports the
codec functions from here, except the model (spec, frame, amqp_object), which the codec
itself imports: the seam binds the chosen twin into it (``amqp_object.bind_codec``).
``PIKA_FAST_NO_EXTENSIONS=1`` forces the twin; ``PIKA_FAST_REQUIRE_EXTENSIONS=1`` makes a
missing or broken compiled codec an error.
"""
from __future__ import annotations

import os
import platform

from pika_fast import amqp_object

_NO_EXTENSIONS = os.environ.get("PIKA_FAST_NO_EXTENSIONS", "") not in ("", "0")
_REQUIRE_EXTENSIONS = os.environ.get("PIKA_FAST_REQUIRE_EXTENSIONS", "") not in ("", "0")

if _NO_EXTENSIONS and _REQUIRE_EXTENSIONS:
    raise ImportError(
        "PIKA_FAST_NO_EXTENSIONS and PIKA_FAST_REQUIRE_EXTENSIONS are both set")

BACKEND: str
if _NO_EXTENSIONS or (platform.python_implementation() != "CPython" and not _REQUIRE_EXTENSIONS):
    from pika_fast import _codec_py as _impl

    BACKEND = "python"
else:
    try:
        from pika_fast import _codec_c as _impl  # type: ignore

        BACKEND = "cython"
    except ImportError as exc:
        if _REQUIRE_EXTENSIONS:
            raise ImportError(
                "PIKA_FAST_REQUIRE_EXTENSIONS=1 but the compiled codec "
                f"pika_fast._codec_c could not be imported: {exc}") from exc
        from pika_fast import _codec_py as _impl

        BACKEND = "python"

#: The names both twins export; test_backend checks the compiled one against it.
API = (
    "MAX_NESTING_DEPTH",
    "HEARTBEAT_FRAME",
    "FrameReader",
    "decode_frame",
    "encode_table",
    "decode_table",
    "encode_value",
    "decode_value",
    "encode_method_args",
    "decode_method_into",
    "encode_properties",
    "decode_properties_into",
    "marshal_method_frame",
    "marshal_header_frame",
    "marshal_body_frame",
    "marshal_content",
    "marshal_content_into",
    "content_frame_buffers",
)

# Each name of API, bound explicitly so readers and tools can follow calls through the
# seam; test_backend checks that these are the chosen twin's objects.
MAX_NESTING_DEPTH = _impl.MAX_NESTING_DEPTH
HEARTBEAT_FRAME = _impl.HEARTBEAT_FRAME
FrameReader = _impl.FrameReader
decode_frame = _impl.decode_frame
encode_table = _impl.encode_table
decode_table = _impl.decode_table
encode_value = _impl.encode_value
decode_value = _impl.decode_value
encode_method_args = _impl.encode_method_args
decode_method_into = _impl.decode_method_into
encode_properties = _impl.encode_properties
decode_properties_into = _impl.decode_properties_into
marshal_method_frame = _impl.marshal_method_frame
marshal_header_frame = _impl.marshal_header_frame
marshal_body_frame = _impl.marshal_body_frame
marshal_content = _impl.marshal_content
marshal_content_into = _impl.marshal_content_into
content_frame_buffers = _impl.content_frame_buffers

__all__ = list(API)

# The model (spec, frame, amqp_object) does not import the codec: pika's encode, decode
# and marshal on its base classes call the twin bound here.
amqp_object.bind_codec(_impl)
