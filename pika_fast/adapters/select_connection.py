"""SelectConnection and its IOLoop, with pika 1.4's API."""
from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

from pika_fast.adapters._ioloop import (  # noqa: F401  (pika's names live here)
    IOLoop,
    PollEvents,
)
from pika_fast.adapters.base_connection import BaseConnection
from pika_fast.adapters.utils.connection_workflow import AMQPConnectionWorkflow
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

    @classmethod
    def create_connection(cls, connection_configs: Sequence[Parameters],
                          on_done: Callable[[Any], None], custom_ioloop: Any = None,
                          workflow: Any = None) -> Any:
        """Connect to the first config that works; ``on_done(connection or error)``.

        Returns the workflow, whose ``abort()`` stops it. When every attempt fails,
        ``on_done`` receives AMQPConnectionWorkflowFailed listing each attempt's error.
        """
        configs = list(connection_configs)
        if not configs:
            raise ValueError("connection_configs must not be empty")
        if workflow is None:
            workflow = AMQPConnectionWorkflow()
        conn = cls(configs[0], custom_ioloop=custom_ioloop, internal_connection_workflow=False)

        def done(error: Optional[BaseException]) -> None:
            conn._workflow = None
            if error is not None:
                on_done(error)

        workflow._bind(conn, configs, done)
        conn._workflow = workflow._impl
        conn.add_on_open_callback(lambda _conn: on_done(conn))
        conn.add_on_open_error_callback(lambda _c, _e: None)
        workflow.start()
        return workflow
