"""Canonical forms of decoded values, shared by the codec tests and the fuzzers.

``canon`` turns whatever a decoder returned (pika's objects or either twin's) into plain,
strictly typed data, so results compare by value and by type: 1 and True and 1.0 stay
apart, NaN equals NaN, pika's ``long`` compares as an int.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pika_fast import exceptions


def canon(value: Any, strict: bool = False) -> Any:
    """Plain data for ``value``; an unexpected type is kept by its repr, or, with
    ``strict``, is an AssertionError."""
    if isinstance(value, exceptions.MessageDecodeError):
        return ("MessageDecodeError", value.channel_number, canon(value.method, strict),
                canon(value.body, strict), type(value.cause).__name__)
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):  # pika returns its own int subclass for 'l'
        return ("int", int(value))
    if isinstance(value, float):
        return ("float", "nan" if value != value else value.hex())
    if isinstance(value, Decimal):
        return ("Decimal", value.as_tuple())
    if isinstance(value, datetime):
        return ("datetime", value.isoformat())
    if value is None or isinstance(value, (str, bytes)):
        return (type(value).__name__, value)
    if isinstance(value, dict):
        return ("dict", [(canon(k, strict), canon(v, strict)) for k, v in value.items()])
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [canon(v, strict) for v in value])
    if hasattr(value, "__dict__"):
        return (type(value).__name__, canon(vars(value), strict))
    if strict:
        raise AssertionError(f"unexpected {type(value).__name__} in a decoded result")
    return ("other", type(value).__name__, repr(value))
