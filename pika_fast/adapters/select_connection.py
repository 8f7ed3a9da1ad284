"""SelectConnection and its IOLoop, with pika 1.4's API."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional

from pika_fast.adapters._ioloop import (  # noqa: F401  (pika's names live here)
    EPollPoller,
    IOLoop,
    KQueuePoller,
    PollEvents,
    PollPoller,
    SelectPoller,
)
from pika_fast.adapters.base_connection import BaseConnection
from pika_fast.adapters.utils import nbio_interface
from pika_fast.adapters.utils.selector_ioloop_adapter import (  # noqa: F401
    AbstractSelectorIOLoop,
    SelectorIOServicesAdapter,
)
from pika_fast.connection import Parameters

if TYPE_CHECKING:
    from typing_extensions import Self

#: Set to 'select', 'poll', 'epoll' or 'kqueue' to choose the IOLoop's poller, as in pika.
SELECT_TYPE = None


class SelectConnection(BaseConnection):
    """An asynchronous connection on pika_fast's IOLoop (select/poll/epoll/kqueue).

    ``custom_ioloop`` is an IOLoop (or I/O services already made over one); by default
    the connection makes its own IOLoop.
    """

    def __init__(self, parameters: Optional[Parameters] = None,
                 on_open_callback: Optional[Callable[[Self], Any]] = None,
                 on_open_error_callback: Optional[Callable[[Self, Exception], Any]] = None,
                 on_close_callback: Optional[Callable[[Self, Exception], Any]] = None,
                 custom_ioloop: Any = None, internal_connection_workflow: bool = True) -> None:
        super().__init__(parameters, on_open_callback, on_open_error_callback,
                         on_close_callback, self._make_nbio(custom_ioloop),
                         internal_connection_workflow)

    @classmethod
    def _make_nbio(cls, custom_ioloop: Any) -> nbio_interface.AbstractIOServices:
        if isinstance(custom_ioloop, nbio_interface.AbstractIOServices):
            return custom_ioloop
        return SelectorIOServicesAdapter(custom_ioloop if custom_ioloop is not None
                                         else IOLoop())


# Names pika's module of the same path also exports; code written against pika imports
# them from here.
import logging  # noqa: E402

LOGGER = logging.getLogger(__name__)
