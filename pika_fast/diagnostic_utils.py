"""pika's ``diagnostic_utils``: a decorator factory that logs exceptions escaping a function."""
from __future__ import annotations

import functools
import logging
import sys
import traceback
from typing import Any, Callable, TypeVar, cast

__all__ = ["F", "create_log_exception_decorator"]

F = TypeVar('F', bound=Callable[..., Any])


def create_log_exception_decorator(logger: logging.Logger) -> Callable[[F], F]:
    """A decorator that logs, on ``logger``, any exception escaping the function it
    wraps (with the traceback) and then re-raises it unchanged::

        _log_exception = create_log_exception_decorator(logging.getLogger(__name__))

        @_log_exception
        def on_message(...): ...
    """

    def log_exception(func: F) -> F:
        """Wrap ``func`` so that its exceptions are logged before they propagate."""

        @functools.wraps(func)
        def log_exception_func_wrap(*args: Any, **kwargs: Any) -> Any:
            try:
                return func(*args, **kwargs)
            except Exception:
                logger.exception("Wrapped func exited with exception. Caller's stack:\n%s",
                                 ''.join(traceback.format_exception(*sys.exc_info())))
                raise

        return cast(F, log_exception_func_wrap)

    return log_exception
