"""Argument checks shared by the public API, as in ``pika.validators``.

Each helper raises the same exception type as its pika 1.4.4 namesake
(``TypeError`` for a wrong type, ``ValueError`` for a bad value), so code that
catches pika's errors keeps working.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

__all__ = [
    'require_string',
    'require_callback',
    'rpc_completion_callback',
    'zero_or_greater',
]


def require_string(value: Any, value_name: str) -> None:
    """Raise ``TypeError`` unless ``value`` is a ``str``.

    :param value: the value to check.
    :param value_name: the argument's name, used in the error message.
    """
    if not isinstance(value, str):
        raise TypeError(
            f'{value_name} must be a str or unicode str, but got {value!r}')


def require_callback(callback: Any, callback_name: str = 'callback') -> None:
    """Raise ``TypeError`` unless ``callback`` is callable (``None`` is
    rejected too).

    :param callback: the value to check.
    :param callback_name: the argument's name, used in the error message.
    """
    if not callable(callback):
        raise TypeError(
            f'callback {callback_name} must be callable, but got {callback!r}')


def rpc_completion_callback(callback: Optional[Callable[..., Any]]) -> bool:
    """Check an optional completion callback and tell whether the RPC is
    ``nowait``.

    :param callback: ``None`` or a callable.
    :returns: ``True`` when ``callback`` is ``None`` (no reply is awaited),
        ``False`` when it is callable.
    :raises TypeError: ``callback`` is neither ``None`` nor callable.
    """
    if callback is None:
        return True
    if not callable(callback):
        raise TypeError('completion callback must be callable if not None')
    return False


def zero_or_greater(name: str, value: Any) -> None:
    """Raise ``ValueError`` if ``int(value)`` is negative.

    ``int(value)`` itself may raise (``TypeError`` or ``ValueError``) for
    values that are not numbers.

    :param name: the argument's name, used in the error message.
    :param value: the value to check.
    """
    if int(value) < 0:
        raise ValueError(f'{name} must be >= 0, but got {value}')
