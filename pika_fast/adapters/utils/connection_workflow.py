"""The connection workflow and its errors, under ``pika.adapters.utils.connection_workflow``.

The errors live in :mod:`pika_fast.exceptions` (one class each, so ``except`` clauses
match whichever module they were imported from).
"""
from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

from pika_fast.exceptions import (  # noqa: F401  (re-exported under pika's names)
    AMQPConnectionWorkflowAborted,
    AMQPConnectionWorkflowFailed,
    AMQPConnectionWorkflowWrongState,
    AMQPConnectorAborted,
    AMQPConnectorAMQPHandshakeError,
    AMQPConnectorException,
    AMQPConnectorPhaseErrorBase,
    AMQPConnectorSocketConnectError,
    AMQPConnectorStackTimeout,
    AMQPConnectorTransportSetupError,
    AMQPConnectorWrongState,
)


class AMQPConnectionWorkflow:
    """Connects to the first of several parameter sets that works.

    Pass one to ``SelectConnection.create_connection(configs, on_done, workflow=...)``
    (or let it make its own); :meth:`abort` stops it, and ``on_done`` then receives
    AMQPConnectionWorkflowAborted.
    """

    def __init__(self, _until_first_amqp_attempt: bool = False) -> None:
        self._impl: Any = None
        self._until_first_amqp_attempt = _until_first_amqp_attempt

    def _bind(self, connection: Any, configs: Sequence[Any],
              on_done: Callable[[Optional[BaseException]], None]) -> None:
        from pika_fast.adapters.base_connection import _ConnectWorkflow

        if self._impl is not None:
            raise AMQPConnectionWorkflowWrongState("workflow already started")
        self._impl = _ConnectWorkflow(connection, configs, on_done)

    def start(self) -> None:
        """Begin connecting (create_connection calls this)."""
        if self._impl is None:
            raise AMQPConnectionWorkflowWrongState(
                "the workflow is started by SelectConnection.create_connection")
        self._impl.start()

    def abort(self) -> None:
        """Stop connecting; on_done receives AMQPConnectionWorkflowAborted."""
        if self._impl is None:
            raise AMQPConnectionWorkflowWrongState("workflow not started")
        self._impl.abort()
