"""The seam: picks the compiled codec or its pure-Python twin, once, at import.

This is the only module that knows two codecs exist. Everything else imports the
codec functions from here. ``PIKA_FAST_NO_EXTENSIONS=1`` forces the twin;
``PIKA_FAST_REQUIRE_EXTENSIONS=1`` makes a missing or broken compiled codec an error.
"""
from __future__ import annotations

import os
import platform
from typing import TYPE_CHECKING

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

globals().update({name: getattr(_impl, name) for name in API})
__all__ = list(API)

if TYPE_CHECKING:  # type checkers read the twin's signatures
    from pika_fast._codec_py import *  # noqa: F401,F403
