"""pika's ``callback`` module: ``CallbackManager``, a registry of callbacks by (prefix, key).

pika_fast's own connection and channel dispatch events without it (a dict lookup per
event is slower than calling the handler directly), but code written against pika builds
and drives CallbackManagers itself, so this one behaves as pika 1.4's does: prefixes and
keys given as AMQP classes, methods or frames are reduced to their names, one-shot
callbacks count their registrations, ``only_caller`` and ``arguments`` filter which
callbacks an event fires, and a callback's exception is logged and re-raised.
"""
from __future__ import annotations

import functools
import logging
from typing import Any, Callable, Dict, List, Optional, Tuple, Type, TypeVar, Union, cast

from pika_fast import amqp_object, frame

__all__ = ["AMQPValue", "CallbackManager", "LOGGER", "check_for_prefix_and_key",
           "name_or_value", "sanitize_prefix"]

_Prefix = Union[str, int]
_Caller = object
_Callback = Callable[..., Any]
_F = TypeVar("_F", bound=Callable[..., Any])
# What a prefix or key may be given as before it is reduced to an identifier.
AMQPValue = Union[Type[amqp_object.AMQPObject], amqp_object.AMQPObject, int, str]

LOGGER = logging.getLogger(__name__)


def name_or_value(value: AMQPValue) -> str:
    """The identifier a prefix or key stands for.

    An AMQP class (``spec.Basic.Deliver``) or instance gives its ``NAME``, a method frame
    gives its method's ``NAME``; anything else is converted with ``str()``.
    """
    if isinstance(value, type) and issubclass(value, amqp_object.AMQPObject):
        return cast(str, value.NAME)
    if isinstance(value, frame.Method):
        return cast(str, value.method.NAME)
    if isinstance(value, amqp_object.AMQPObject):
        return cast(str, value.NAME)
    return str(value)


def sanitize_prefix(function: _F) -> _F:
    """Decorator: pass ``prefix`` and ``key`` (keyword or the first two positional
    arguments after ``self``) through :func:`name_or_value` before the call."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        arguments = list(args)
        position = 1
        if 'prefix' in kwargs:
            kwargs['prefix'] = name_or_value(kwargs['prefix'])
        elif len(arguments) > position:
            arguments[position] = name_or_value(arguments[position])
            position += 1
        if 'key' in kwargs:
            kwargs['key'] = name_or_value(kwargs['key'])
        elif len(arguments) > position:
            arguments[position] = name_or_value(arguments[position])
        return function(*arguments, **kwargs)

    return cast(_F, wrapper)


def check_for_prefix_and_key(function: _F) -> _F:
    """Decorator for CallbackManager methods: return ``False`` without calling the
    method when nothing is registered under the given prefix and key."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        position = 1
        if 'prefix' in kwargs:
            prefix = name_or_value(kwargs['prefix'])
        else:
            prefix = name_or_value(args[position])
            position += 1
        if 'key' in kwargs:
            key = name_or_value(kwargs['key'])
        else:
            key = name_or_value(args[position])
        stack = args[0]._stack  # pylint: disable=protected-access
        if prefix not in stack or key not in stack[prefix]:
            return False
        return function(*args, **kwargs)

    return cast(_F, wrapper)


class CallbackManager:
    """Callbacks registered by prefix (usually a channel number) and key (usually a
    method name), fired with :meth:`process`.

    Each registration is a dict with the keys named by the class constants below
    (``callback``, ``one_shot``, ``only``, ``arguments`` and, for one-shot ones, ``calls``).
    """
    CALLS: str = 'calls'
    ARGUMENTS: str = 'arguments'
    DUPLICATE_WARNING: str = 'Duplicate callback found for "%s:%s"'
    CALLBACK: str = 'callback'
    ONE_SHOT: str = 'one_shot'
    ONLY_CALLER: str = 'only'

    def __init__(self) -> None:
        """An empty registry."""
        self._stack: Dict[_Prefix, Dict[AMQPValue, List[Dict[str, Any]]]] = {}

    @sanitize_prefix
    def add(self,
            prefix: _Prefix,
            key: AMQPValue,
            callback: Callable[..., Any],
            one_shot: bool = True,
            only_caller: Optional[_Caller] = None,
            arguments: Optional[Dict[str, Any]] = None) -> Tuple[_Prefix, Any]:
        """Register ``callback`` under ``prefix`` and ``key``; returns ``(prefix, key)``
        as identifiers.

        A one-shot callback is removed after it fired as many times as it was added. The
        same callback added again with the same ``only_caller`` and ``arguments`` is not
        stored twice: a one-shot one counts one more call, a persistent one logs a
        duplicate warning. ``only_caller`` restricts :meth:`process` to that caller;
        ``arguments`` to events whose first argument (a dict, a frame's method, or an
        object) has those attribute values.
        """
        entries = self._stack.setdefault(prefix, {}).setdefault(key, [])
        for entry in entries:
            if (entry[self.CALLBACK] == callback and entry[self.ARGUMENTS] == arguments
                    and entry[self.ONLY_CALLER] == only_caller):
                if entry[self.ONE_SHOT] is True:
                    entry[self.CALLS] += 1
                    LOGGER.debug('Incremented callback reference counter: %r', entry)
                else:
                    LOGGER.warning(self.DUPLICATE_WARNING, prefix, key)
                return prefix, key
        entry = self._callback_dict(callback, one_shot, only_caller, arguments)
        entries.append(entry)
        LOGGER.debug('Added: %r', entry)
        return prefix, key

    def clear(self) -> None:
        """Forget every callback."""
        self._stack = {}
        LOGGER.debug('Callbacks cleared')

    @sanitize_prefix
    def cleanup(self, prefix: _Prefix) -> bool:
        """Remove every callback under ``prefix``; ``False`` when there was none."""
        LOGGER.debug('Clearing out %r from the stack', prefix)
        if not self._stack.get(prefix):
            return False
        del self._stack[prefix]
        return True

    @sanitize_prefix
    def pending(self, prefix: _Prefix, key: AMQPValue) -> Optional[int]:
        """How many callbacks are registered under ``prefix`` and ``key`` (``None`` if
        that pair was never registered or has been emptied)."""
        entries = self._stack.get(prefix, {}).get(key)
        if entries is None:
            return None
        return len(entries)

    @sanitize_prefix
    @check_for_prefix_and_key
    def process(self, prefix: _Prefix, key: AMQPValue, caller: _Caller, *args: Any,
                **keywords: Any) -> bool:
        """Call the callbacks registered under ``prefix`` and ``key`` that accept this
        ``caller`` and these arguments, with ``*args`` and ``**keywords``.

        One-shot callbacks are used up before any is called. Returns ``False`` when
        nothing is registered there, ``True`` otherwise (even if no callback matched).
        A callback's exception is logged and propagates, skipping the ones after it.
        """
        LOGGER.debug('Processing %s:%s', prefix, key)
        chosen = []
        for entry in list(self._stack[prefix][key]):
            if self._should_process_callback(entry, caller, list(args)):
                chosen.append(entry[self.CALLBACK])
                if entry[self.ONE_SHOT]:
                    self._use_one_shot_callback(prefix, key, entry)
        for callback in chosen:
            LOGGER.debug('Calling %s for "%s:%s"', callback, prefix, key)
            try:
                callback(*args, **keywords)
            except Exception:
                LOGGER.exception('Calling %s for "%s:%s" failed', callback, prefix, key)
                raise
        return True

    @sanitize_prefix
    @check_for_prefix_and_key
    def remove(self,
               prefix: _Prefix,
               key: AMQPValue,
               callback_value: Optional[Callable[..., Any]] = None,
               arguments: Optional[Dict[str, Any]] = None) -> bool:
        """Remove ``callback_value`` (registered with matching ``arguments``) from under
        ``prefix`` and ``key``; without ``callback_value`` nothing is removed, but an
        emptied pair is tidied away. ``False`` when the pair is not registered."""
        if callback_value:
            entries = self._stack[prefix][key]
            entries[:] = [entry for entry in entries
                          if not (entry[self.CALLBACK] == callback_value
                                  and self._arguments_match(entry, [arguments]))]
        self._cleanup_callback_dict(prefix, key)
        return True

    @sanitize_prefix
    @check_for_prefix_and_key
    def remove_all(self, prefix: _Prefix, key: AMQPValue) -> None:
        """Remove every callback under ``prefix`` and ``key``."""
        del self._stack[prefix][key]
        self._cleanup_callback_dict(prefix, key)

    def _arguments_match(self, callback_dict: Dict[str, Any], args: List[Any]) -> bool:
        """Whether the event's first argument has the values the registration asked for."""
        expected = callback_dict[self.ARGUMENTS]
        if expected is None:
            return True
        if not args:
            return False
        first = args[0]
        if isinstance(first, dict):
            return self._dict_arguments_match(first, expected)
        return self._obj_arguments_match(getattr(first, 'method', first), expected)

    def _callback_dict(self, callback: Callable[..., Any], one_shot: bool,
                       only_caller: _Caller,
                       arguments: Optional[Dict[str, Any]]) -> Dict[str, Any]:
        """A new registration record."""
        entry = {self.CALLBACK: callback, self.ONE_SHOT: one_shot,
                 self.ONLY_CALLER: only_caller, self.ARGUMENTS: arguments}
        if one_shot:
            entry[self.CALLS] = 1
        return entry

    def _cleanup_callback_dict(self, prefix: _Prefix,
                               key: Optional[AMQPValue] = None) -> None:
        """Drop an emptied key, then an emptied prefix."""
        keys = self._stack.get(prefix)
        if keys is None:
            return
        if key and key in keys and not keys[key]:
            del keys[key]
        if not keys:
            del self._stack[prefix]

    @staticmethod
    def _dict_arguments_match(value: Dict[str, Any], expectation: Dict[str, Any]) -> bool:
        """Whether ``value`` holds every item of ``expectation``."""
        return all(value.get(name) == expected for name, expected in expectation.items())

    @staticmethod
    def _obj_arguments_match(value: object, expectation: Dict[str, Any]) -> bool:
        """Whether ``value`` has every attribute of ``expectation`` with that value."""
        for name, expected in expectation.items():
            if not hasattr(value, name) or getattr(value, name) != expected:
                return False
        return True

    def _should_process_callback(self, callback_dict: Dict[str, Any], caller: _Caller,
                                 args: List[Any]) -> bool:
        """Whether this registration fires for this caller and these arguments."""
        if not self._arguments_match(callback_dict, args):
            return False
        only = callback_dict[self.ONLY_CALLER]
        return only is None or bool(only and only == caller)

    def _use_one_shot_callback(self, prefix: _Prefix, key: AMQPValue,
                               callback_dict: Dict[str, Any]) -> None:
        """Count one use of a one-shot registration; remove it once used up."""
        callback_dict[self.CALLS] -= 1
        if callback_dict[self.CALLS] <= 0:
            self.remove(prefix, key, callback_dict[self.CALLBACK],
                        callback_dict[self.ARGUMENTS])
