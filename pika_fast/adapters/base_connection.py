"""BaseConnection: a Connection over pika's I/O-services seam (``nbio``).

An adapter is an :class:`~pika_fast.adapters.utils.nbio_interface.AbstractIOServices`
implementation plus a thin subclass: timers, thread-safe callbacks, connecting and the
stream transport all come from ``nbio``; the protocol is the core's. Output stays in the
core's buffer until the transport finds the socket writable, so many publishes made in
one loop iteration leave in one send.
"""
from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence

from pika_fast import exceptions
from pika_fast.adapters.utils import nbio_interface
from pika_fast.adapters.utils.connection_workflow import (
    AMQPConnectionWorkflow,
    AMQPConnector,
)
from pika_fast.connection import CONNECTION_CLOSED, CONNECTION_CLOSING, Connection, Parameters

if TYPE_CHECKING:
    from typing_extensions import Self

LOGGER = logging.getLogger(__name__)

_FLUSH_NOW_BYTES = 262144  # output this large is written at once, not at loop end


class BaseConnection(Connection):
    """A Connection whose stream and timers come from ``nbio`` (pika's signature)."""

    def __init__(self, parameters: Optional[Parameters],
                 on_open_callback: Optional[Callable[[Self], Any]],
                 on_open_error_callback: Optional[Callable[[Self, Exception], Any]],
                 on_close_callback: Optional[Callable[[Self, Exception], Any]],
                 nbio: nbio_interface.AbstractIOServices,
                 internal_connection_workflow: bool = True) -> None:
        self._nbio = nbio
        self._transport: Any = None
        self._connection_workflow: Optional[AMQPConnectionWorkflow] = None
        # While a connector owns this connection's handshake, its failure goes to the
        # connector (which may try elsewhere), not to the user's open-error callbacks.
        self._attempt_listener: Optional[Callable[[Any, BaseException], None]] = None
        self._protocol_shim = _StreamingProtocolShim(self)
        super().__init__(parameters, on_open_callback, on_open_error_callback,
                         on_close_callback, internal_connection_workflow)

    @property
    def ioloop(self) -> Any:
        """The event loop this connection runs on (the native one: IOLoop, asyncio, ...)."""
        return self._nbio.get_native_ioloop()

    @property
    def _ioloop(self) -> Any:
        return self._nbio.get_native_ioloop()

    # --------------------------------------------------------------- connecting

    @classmethod
    def _make_nbio(cls, custom_ioloop: Any) -> nbio_interface.AbstractIOServices:
        """The adapter's I/O services over ``custom_ioloop`` (or its default loop)."""
        raise NotImplementedError

    @classmethod
    def create_connection(cls, connection_configs: Sequence[Parameters],
                          on_done: Callable[[Any], None], custom_ioloop: Any = None,
                          workflow: Optional[AMQPConnectionWorkflow] = None) -> Any:
        """Connect to the first config that works; ``on_done(connection or error)``.

        Returns the workflow, whose ``abort()`` stops it. When every attempt fails,
        ``on_done`` receives AMQPConnectionWorkflowFailed listing each attempt's error.
        """
        configs = list(connection_configs)
        if not configs:
            raise ValueError("connection_configs must not be empty")
        nbio = cls._make_nbio(custom_ioloop)

        def connection_factory(params: Parameters) -> Any:
            return cls(params, custom_ioloop=nbio,  # type: ignore[call-arg]
                       internal_connection_workflow=False)

        return cls._start_connection_workflow(configs, connection_factory, nbio, workflow,
                                              on_done)

    @staticmethod
    def _start_connection_workflow(connection_configs: Sequence[Parameters],
                                   connection_factory: Callable[[Parameters], Any],
                                   nbio: nbio_interface.AbstractIOServices,
                                   workflow: Optional[AMQPConnectionWorkflow],
                                   on_done: Callable[[Any], None]) -> AMQPConnectionWorkflow:
        if workflow is None:
            workflow = AMQPConnectionWorkflow()
        workflow.set_io_services(nbio)
        workflow.start(connection_configs, lambda: AMQPConnector(connection_factory, nbio),
                       nbio.get_native_ioloop(), on_done)
        return workflow

    def _adapter_connect_stream(self) -> None:
        """The connection's own workflow: this one parameter set, its attempts."""
        workflow = AMQPConnectionWorkflow(_until_first_amqp_attempt=True)
        self._connection_workflow = workflow

        def this_connection(params: Parameters) -> "BaseConnection":
            self.params = params
            self._core = self._new_core()
            return self

        self._start_connection_workflow([self.params], this_connection, self._nbio, workflow,
                                        self._on_internal_workflow_done)

    def _on_internal_workflow_done(self, result: Any) -> None:
        self._connection_workflow = None
        if not isinstance(result, BaseException):
            return  # opened: the open callbacks have run or are running
        error = _user_facing_error(result)
        if self._core.state == CONNECTION_CLOSED:
            super()._on_open_failed(error)
        else:
            self._core.abort(error)

    def _on_open_failed(self, error: BaseException) -> None:
        listener = self._attempt_listener
        if listener is not None:
            self._attempt_listener = None
            listener(self, error)
            return
        super()._on_open_failed(error)

    def close(self, reply_code: int = 200, reply_text: str = "Normal shutdown") -> None:
        """Close the connection; while it is still connecting, stop connecting."""
        workflow = self._connection_workflow
        if workflow is not None and not self._opened:
            self._connection_workflow = None
            self._attempt_listener = None
            workflow._abandon()
            self._core.state = CONNECTION_CLOSING
            error = exceptions.ConnectionOpenAborted(
                f"Connection.close() called before the connection finished opening: "
                f"({reply_code}) {reply_text!r}")
            # Reported from the loop, after close() returned, as pika does.
            self._nbio.add_callback_threadsafe(lambda: self._core.abort(error))
            return
        super().close(reply_code, reply_text)

    # ---------------------------------------------------------------- the stream

    def _proto_connection_made(self, transport: Any) -> None:
        self._transport = transport
        transport.set_output_source(self._take_output)
        self._on_stream_connected()

    def _take_output(self) -> Any:
        core = self._core
        core.last_sent = time.monotonic()  # taken to be sent: heartbeats need not go out
        return core.take_output()

    def _get_write_buffer_size(self) -> int:
        """Bytes produced and not yet written to the socket (pika's private name, which
        publishers use to hold back while the socket cannot keep up)."""
        transport = self._transport
        pending = 0 if transport is None else transport.get_write_buffer_size()
        return self._core.output_size() + pending

    def _proto_connection_lost(self, error: Optional[BaseException]) -> None:
        self._transport = None
        self._on_stream_terminated(error)

    def _proto_data_received(self, data: bytes) -> None:
        self._on_data_available(data)

    def _flush_soon(self) -> None:
        # Output stays in the core's buffer until the socket is writable, so a burst of
        # publishes leaves in one send; a large backlog goes at once.
        transport = self._transport
        if transport is None:
            return
        core = self._core
        if core.output_size() >= _FLUSH_NOW_BYTES:
            transport.send_now()
        elif core.has_output():
            transport.want_write()

    # ------------------------------------------------------------- pika's hooks

    def _adapter_call_later(self, delay: float, callback: Callable[[], None]) -> Any:
        return self._nbio.call_later(delay, callback)

    def _adapter_remove_timeout(self, timeout_id: Any) -> None:
        timeout_id.cancel()

    def _adapter_add_callback_threadsafe(self, callback: Callable[[], None]) -> None:
        self._nbio.add_callback_threadsafe(callback)

    def _adapter_emit_data(self, data: bytes) -> None:
        if self._transport is None:
            raise exceptions.ConnectionWrongStateError("no stream to write to")
        self._transport.write(data)

    def _adapter_disconnect_stream(self) -> None:
        transport, self._transport = self._transport, None
        if transport is None:
            return
        try:
            transport.send_now()  # a final Close/CloseOk leaves before the stream goes
        except Exception:  # noqa: BLE001 - the stream may be broken already
            pass
        transport.abort()


class _StreamingProtocolShim(nbio_interface.AbstractStreamProtocol):
    """The stream-protocol face of a BaseConnection (pika keeps it off the public class)."""

    def __init__(self, connection: BaseConnection) -> None:
        self._connection = connection

    def connection_made(self, transport: Any) -> None:
        self._connection._proto_connection_made(transport)

    def connection_lost(self, error: Optional[BaseException]) -> None:
        self._connection._proto_connection_lost(error)

    def eof_received(self) -> bool:
        return False  # the transport then reports StreamLostError, as pika

    def data_received(self, data: bytes) -> None:
        self._connection._proto_data_received(data)


def _user_facing_error(error: BaseException) -> BaseException:
    """What pika hands a connection's open-error callback for a failed workflow."""
    if isinstance(error, exceptions.AMQPConnectionWorkflowFailed) and error.exceptions:
        last = error.exceptions[-1]
        if isinstance(last, exceptions.AMQPConnectorAMQPHandshakeError):
            return last.exception
        if isinstance(last, exceptions.AMQPConnectorSocketConnectError):
            return exceptions.AMQPConnectionError(error)
        if isinstance(last, exceptions.AMQPConnectorStackTimeout):
            # The AMQP handshake outlived stack_timeout: pika reports the open aborted.
            return exceptions.ConnectionOpenAborted(repr(last))
    return error
