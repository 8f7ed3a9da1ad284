"""SelectConnection and its IOLoop, with pika 1.4's API."""
from __future__ import annotations

from typing import Any, Callable, Optional

from pika_fast.adapters._ioloop import (  # noqa: F401  (pika's names live here)
    IOLoop,
    PollEvents,
)
from pika_fast.adapters.base_connection import BaseConnection
from pika_fast.connection import Parameters

#: Set to 'select', 'poll', 'epoll' or 'kqueue' to choose the IOLoop's poller, as in pika.
SELECT_TYPE = None


class SelectConnection(BaseConnection):
    """An asynchronous connection on pika_fast's IOLoop (select/poll/epoll/kqueue)."""

    def __init__(self, parameters: Optional[Parameters] = None,
                 on_open_callback: Optional[Callable[..., None]] = None,
                 on_open_error_callback: Optional[Callable[..., None]] = None,
                 on_close_callback: Optional[Callable[..., None]] = None,
                 custom_ioloop: Any = None, internal_connection_workflow: bool = True) -> None:
        ioloop = custom_ioloop if custom_ioloop is not None else IOLoop()
        super().__init__(parameters, on_open_callback, on_open_error_callback,
                         on_close_callback, ioloop, internal_connection_workflow)


# Names pika's module of the same path also exports; code written against pika imports
# them from here.
import logging  # noqa: E402

LOGGER = logging.getLogger(__name__)
