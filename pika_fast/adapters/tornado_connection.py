"""TornadoConnection: pika's callback API on tornado's IOLoop (``pika_fast[tornado]``).

Tornado's IOLoop has the selector-loop surface (``add_handler``, ``update_handler``,
``remove_handler``, ``call_later``, ``remove_timeout``, ``add_callback`` and the
READ/WRITE/ERROR masks), so the shared SelectorIOServicesAdapter serves it;
``connection.ioloop`` is that loop, as in pika.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

from pika_fast.adapters._optional import require
from pika_fast.adapters.base_connection import BaseConnection
from pika_fast.adapters.utils import nbio_interface
from pika_fast.adapters.utils.selector_ioloop_adapter import SelectorIOServicesAdapter
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
        super().__init__(parameters, on_open_callback, on_open_error_callback,
                         on_close_callback, self._make_nbio(custom_ioloop),
                         internal_connection_workflow)

    @classmethod
    def _make_nbio(cls, custom_ioloop: Any) -> nbio_interface.AbstractIOServices:
        if isinstance(custom_ioloop, nbio_interface.AbstractIOServices):
            return custom_ioloop
        return SelectorIOServicesAdapter(custom_ioloop if custom_ioloop is not None
                                         else _tornado_ioloop.IOLoop.current())


# Names pika's module of the same path also exports; code written against pika imports
# them from here.
import logging  # noqa: E402

LOGGER = logging.getLogger(__name__)
