"""The pika 0.x spellings that pika 1.x refuses and pika_fast still accepts.

Each one is mapped to the modern spelling with a DeprecationWarning naming it, so old
code keeps running while it says what to change.
"""
from __future__ import annotations

import inspect
import warnings
from typing import Any, Dict, Optional, Sequence, Tuple

from pika_fast import exceptions

_MODERN_CONSUME = ("queue", "on_message_callback", "auto_ack", "exclusive", "consumer_tag",
                   "arguments", "callback")
_LEGACY_CONSUME = ("on_message_callback", "queue", "auto_ack", "exclusive", "consumer_tag",
                   "arguments")


def warn(old: str, new: str) -> None:
    """Say that ``old`` is the pika 0.x spelling of ``new``."""
    warnings.warn(f"{old} is the pika 0.x spelling; use {new}", DeprecationWarning,
                  stacklevel=4)


def consume_arguments(args: Sequence[Any], kwargs: Dict[str, Any],
                      with_callback: bool) -> Dict[str, Any]:
    """Bind basic_consume's arguments, in the modern or the 0.x order.

    pika 0.x: ``basic_consume(consumer_callback, queue='', no_ack=False, exclusive=False,
    consumer_tag=None, arguments=None)``; pika 1.x: ``basic_consume(queue,
    on_message_callback, auto_ack=False, exclusive=False, consumer_tag=None,
    arguments=None)``. The two are told apart by the first argument's type.
    """
    kwargs = dict(kwargs)
    if "no_ack" in kwargs:
        if "auto_ack" in kwargs:
            raise TypeError("basic_consume() got both auto_ack and its old name no_ack")
        warn("basic_consume(no_ack=...)", "basic_consume(auto_ack=...)")
        kwargs["auto_ack"] = kwargs.pop("no_ack")
    legacy_order = "consumer_callback" in kwargs or (
        bool(args) and callable(args[0]) and not isinstance(args[0], str))
    if legacy_order:
        warn("basic_consume(consumer_callback, queue, ...)",
             "basic_consume(queue, on_message_callback, ...)")
        if "consumer_callback" in kwargs:
            if "on_message_callback" in kwargs:
                raise TypeError("basic_consume() got both on_message_callback and "
                                "consumer_callback")
            kwargs["on_message_callback"] = kwargs.pop("consumer_callback")
        names: Tuple[str, ...] = _LEGACY_CONSUME
    else:
        names = _MODERN_CONSUME if with_callback else _MODERN_CONSUME[:-1]
    if len(args) > len(names):
        raise TypeError(f"basic_consume() takes at most {len(names)} positional arguments "
                        f"({len(args)} given)")
    bound = dict(zip(names, args))
    allowed = set(_MODERN_CONSUME if with_callback else _MODERN_CONSUME[:-1])
    for key, value in kwargs.items():
        if key not in allowed:
            raise TypeError(f"basic_consume() got an unexpected keyword argument {key!r}")
        if key in bound:
            raise TypeError(f"basic_consume() got multiple values for argument {key!r}")
        bound[key] = value
    if legacy_order:
        bound.setdefault("queue", "")
    for required in ("queue", "on_message_callback"):
        if required not in bound:
            raise TypeError(f"basic_consume() missing required argument: {required!r}")
    return bound


def consume_signature(channel_class: str, with_callback: bool) -> inspect.Signature:
    """pika 1.4.4's ``basic_consume`` signature, for ``inspect.signature``, ``help()`` and
    IDEs that introspect: the method itself takes ``*args, **kwargs`` so that it can
    bind either order (type checkers see both orders as ``typing.overload``s)."""
    param = inspect.Parameter
    positional = param.POSITIONAL_OR_KEYWORD
    params = [
        param("self", positional),
        param("queue", positional, annotation="str"),
        param("on_message_callback", positional,
              annotation=f"Callable[[{channel_class}, spec.Basic.Deliver, "
                         "spec.BasicProperties, bytes], Any]"),
        param("auto_ack", positional, default=False, annotation="bool"),
        param("exclusive", positional, default=False, annotation="bool"),
        param("consumer_tag", positional, default=None, annotation="Optional[str]"),
        param("arguments", positional, default=None,
              annotation="Optional[Dict[str, Any]]"),
    ]
    if with_callback:
        params.append(param("callback", positional, default=None,
                            annotation="Optional[Callable[[frame.Method[spec.Basic."
                                       "ConsumeOk]], Any]]"))
    return inspect.Signature(params, return_annotation="str")


def check_immediate(immediate: bool) -> None:
    """``immediate`` was dropped by RabbitMQ: refuse it before anything is sent."""
    if immediate:
        raise exceptions.MethodNotImplemented(
            "basic_publish(immediate=True) is not supported: RabbitMQ does not implement "
            "the immediate flag and would close the connection. Use mandatory=True with "
            "a return callback, or a per-message TTL of 0.")
    warn("basic_publish(immediate=False)", "basic_publish() without immediate")


def qos_global(global_qos: bool, all_channels: Optional[bool]) -> bool:
    """``all_channels`` is the 0.x name of ``global_qos``."""
    if all_channels is None:
        return global_qos
    warn("basic_qos(all_channels=...)", "basic_qos(global_qos=...)")
    return bool(all_channels)


def exchange_type(exchange_type: Any, kwargs: Dict[str, Any]) -> Any:
    """``type`` is the 0.x name of exchange_declare's ``exchange_type``."""
    if "type" in kwargs:
        legacy = kwargs.pop("type")
        warn("exchange_declare(type=...)", "exchange_declare(exchange_type=...)")
        exchange_type = legacy
    if kwargs:
        raise TypeError("exchange_declare() got an unexpected keyword argument "
                        f"{next(iter(kwargs))!r}")
    return exchange_type


def get_auto_ack(auto_ack: bool, kwargs: Dict[str, Any]) -> bool:
    """``no_ack`` is the 0.x name of basic_get's ``auto_ack``."""
    kwargs = dict(kwargs)
    if "no_ack" in kwargs:
        if auto_ack:
            raise TypeError("basic_get() got both auto_ack and its old name no_ack")
        warn("basic_get(no_ack=...)", "basic_get(auto_ack=...)")
        auto_ack = bool(kwargs.pop("no_ack"))
    if kwargs:
        raise TypeError(f"basic_get() got an unexpected keyword argument {next(iter(kwargs))!r}")
    return auto_ack
