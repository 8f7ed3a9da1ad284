"""TornadoConnection: pika's callback API on tornado's IOLoop (``pika_fast[tornado]``).

Tornado's IOLoop already offers the surface BaseConnection drives (``add_handler``,
``update_handler``, ``remove_handler``, ``call_later``, ``remove_timeout`` and the
READ/WRITE/ERROR masks), so it is used as it is; ``connection.ioloop`` is that loop,
as in pika.
"""
from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

from pika_fast.adapters._optional import require
from pika_fast.adapters.base_connection import BaseConnection
from pika_fast.connection import Parameters

_tornado_ioloop = require("tornado.ioloop", "tornado", "TornadoConnection")

__all__ = ["TornadoConnection"]


class TornadoConnection(BaseConnection):
    """A connection on tornado's IOLoop (``custom_ioloop``, or the current one)."""

    def __init__(self, parameters: Optional[Parameters] = None,
                 on_open_callback: Optional[Callable[..., None]] = None,
                 on_open_error_callback: Optional[Callable[..., None]] = None,
                 on_close_callback: Optional[Callable[..., None]] = None,
                 custom_ioloop: Any = None,
                 internal_connection_workflow: bool = True) -> None:
        loop = custom_ioloop if custom_ioloop is not None else \
            _tornado_ioloop.IOLoop.current()
        super().__init__(parameters, on_open_callback, on_open_error_callback,
                         on_close_callback, loop, internal_connection_workflow)

    @classmethod
    def create_connection(cls, connection_configs: Sequence[Parameters],
                          on_done: Callable[[Any], None], custom_ioloop: Any = None,
                          workflow: Any = None) -> Any:
        """As BaseConnection.create_connection, on tornado's current IOLoop by default."""
        loop = custom_ioloop if custom_ioloop is not None else \
            _tornado_ioloop.IOLoop.current()
        return super().create_connection(connection_configs, on_done, loop, workflow)
