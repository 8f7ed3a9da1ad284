"""The callback-style Connection, connection parameters and the connection states,
under ``pika.connection``'s names.

:class:`Connection` is a thin front over :class:`pika_fast._protocol.ConnectionCore`,
which keeps the connection's state and rules (handshake, heartbeats, the blocked
deadline, the close cascade); the front maps them to pika's callbacks and runs the
core's deadlines on the adapter's timers.
"""
from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional

from pika_fast import _protocol, exceptions, frame, validators
from pika_fast.channel import Channel
from pika_fast._parameters import (  # noqa: F401  (re-exported for pika's import paths)
    ConnectionParameters,
    Parameters,
    SSLOptions,
    URLParameters,
)
from pika_fast._protocol import (  # noqa: F401  ("as": re-exported, as in pika)
    CONNECTION_CLOSED as CONNECTION_CLOSED,
    CONNECTION_CLOSING as CONNECTION_CLOSING,
    CONNECTION_INIT as CONNECTION_INIT,
    CONNECTION_OPEN as CONNECTION_OPEN,
    CONNECTION_PROTOCOL as CONNECTION_PROTOCOL,
    CONNECTION_START as CONNECTION_START,
    CONNECTION_TUNE as CONNECTION_TUNE,
)

if TYPE_CHECKING:
    from typing_extensions import Self

    from pika_fast import spec

__all__ = ["Connection", "ConnectionParameters", "Parameters", "SSLOptions", "URLParameters"]

LOGGER = logging.getLogger(__name__)
_monotonic = time.monotonic


class Connection(_protocol.ConnectionHandler):
    """The callback-style connection, I/O-free: adapters subclass it (pika's contract).

    An adapter calls :meth:`_on_stream_connected`, :meth:`_on_data_available` and
    :meth:`_on_stream_terminated`, and implements pika's ``_adapter_*`` hooks (below).
    """

    ON_CONNECTION_CLOSED = "_on_connection_closed"
    ON_CONNECTION_ERROR = "_on_connection_error"
    ON_CONNECTION_OPEN_OK = "_on_connection_open_ok"

    CONNECTION_CLOSED = CONNECTION_CLOSED
    CONNECTION_INIT = CONNECTION_INIT
    CONNECTION_PROTOCOL = CONNECTION_PROTOCOL
    CONNECTION_START = CONNECTION_START
    CONNECTION_TUNE = CONNECTION_TUNE
    CONNECTION_OPEN = CONNECTION_OPEN
    CONNECTION_CLOSING = CONNECTION_CLOSING

    def __init__(self, parameters: Optional[Parameters] = None,
                 on_open_callback: Optional[Callable[[Self], Any]] = None,
                 on_open_error_callback: Optional[Callable[[Self, Exception], Any]] = None,
                 on_close_callback: Optional[Callable[[Self, Exception], Any]] = None,
                 internal_connection_workflow: bool = True) -> None:
        if parameters is not None and not isinstance(parameters, Parameters):
            raise TypeError(f"Expected instance of Parameters, not {parameters!r}")
        self.params = parameters if parameters is not None else ConnectionParameters()
        self._internal_connection_workflow = internal_connection_workflow
        self._on_open_callbacks: List[Callable[..., None]] = []
        self._on_open_error_callbacks: List[Callable[..., None]] = [self._default_on_open_error]
        self._on_close_callbacks: List[Callable[..., None]] = []
        self._blocked_callbacks: List[Callable[..., None]] = []
        self._unblocked_callbacks: List[Callable[..., None]] = []
        if on_open_callback is not None:
            self.add_on_open_callback(on_open_callback)
        if on_open_error_callback is not None:
            self.add_on_open_error_callback(on_open_error_callback)
        if on_close_callback is not None:
            self.add_on_close_callback(on_close_callback)
        self._core = self._new_core()
        self._deadline_timer: Any = None
        self._update_secret_callbacks: List[Callable[..., None]] = []
        if internal_connection_workflow:
            self._adapter_connect_stream()

    def _new_core(self) -> _protocol.ConnectionCore:
        params = self.params
        return _protocol.ConnectionCore(
            self, credentials=params.credentials, virtual_host=params.virtual_host,
            channel_max=params.channel_max, frame_max=params.frame_max,
            heartbeat=params.heartbeat, client_properties=params.client_properties,
            locale=params.locale, heartbeat_owner=self,
            blocked_connection_timeout=params.blocked_connection_timeout)

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__} {self._state_name()} " \
               f"params={self.params!r}>"

    def _state_name(self) -> str:
        return self._core.state_name

    @property
    def _opened(self) -> bool:
        """Whether the connection ever opened (pika's flag), read from the core."""
        return self._core.opened

    @property
    def _channels(self) -> Dict[int, Any]:
        """The channels by number (pika's ``Connection._channels``), from the core."""
        return {number: core.handler for number, core in self._core.channels.items()}

    # ---------------------------------------------------------- callbacks

    def add_on_close_callback(self, callback: Callable[[Self, Exception], Any]) -> None:
        """``callback(connection, exception)`` when the connection closes."""
        validators.require_callback(callback)
        self._on_close_callbacks.append(callback)

    def add_on_open_callback(self, callback: Callable[[Self], Any]) -> None:
        """``callback(connection)`` once the connection is open."""
        validators.require_callback(callback)
        self._on_open_callbacks.append(callback)

    def add_on_open_error_callback(self, callback: Callable[[Self, Exception], Any],
                                   remove_default: bool = True) -> None:
        """``callback(connection, exception)`` when the connection fails to open."""
        validators.require_callback(callback)
        if remove_default and self._default_on_open_error in self._on_open_error_callbacks:
            self._on_open_error_callbacks.remove(self._default_on_open_error)
        self._on_open_error_callbacks.append(callback)

    def add_on_connection_blocked_callback(
            self, callback: Callable[[Self, frame.Method[spec.Connection.Blocked]], Any]
    ) -> None:
        """``callback(connection, method_frame)`` on Connection.Blocked."""
        validators.require_callback(callback)
        self._blocked_callbacks.append(callback)

    def add_on_connection_unblocked_callback(
            self, callback: Callable[[Self, frame.Method[spec.Connection.Unblocked]], Any]
    ) -> None:
        """``callback(connection, method_frame)`` on Connection.Unblocked."""
        validators.require_callback(callback)
        self._unblocked_callbacks.append(callback)

    @staticmethod
    def _default_on_open_error(connection: "Connection", error: BaseException) -> None:
        # As pika: with no open-error callback of the user's, the failure is raised
        # (out of the event loop) rather than left to hang.
        LOGGER.error("Connection to %s:%s failed: %r", connection.params.host,
                     connection.params.port, error)
        raise error

    # ---------------------------------------------------------- public API

    def channel(self, channel_number: Optional[int] = None,
                on_open_callback: Optional[Callable[[Channel], Any]] = None) -> Channel:
        """Open a channel; ``on_open_callback(channel)`` once the broker confirms it."""
        if not self.is_open:
            raise exceptions.ConnectionWrongStateError(
                f"Channel allocation requires an open connection: {self!r}")
        validators.rpc_completion_callback(on_open_callback)
        if channel_number is None:
            channel_number = self._core.next_channel_number()
        elif channel_number in self._core.channels:
            raise exceptions.InvalidChannelNumber(channel_number)
        channel = Channel(self, channel_number, on_open_callback)
        channel.open()
        return channel

    def close(self, reply_code: int = 200, reply_text: str = "Normal shutdown") -> None:
        """Close the channels, then the connection; the close callbacks run at the end."""
        if self.is_closing or self.is_closed:
            raise exceptions.ConnectionWrongStateError(
                f"Illegal close({reply_code}, {reply_text!r}) request on {self!r} because "
                "it was called while connection state="
                f"{self._state_name()}.")
        # The core closes the channels first and the connection when they are gone.
        self._core.close(reply_code, reply_text)
        self._flush_soon()

    def update_secret(
            self, new_secret: str, reason: str,
            callback: Optional[Callable[[frame.Method[spec.Connection.UpdateSecretOk]],
                                        Any]] = None) -> None:

        """Send Connection.UpdateSecret; ``callback(method_frame)`` on UpdateSecretOk."""
        if not self.is_open:
            raise exceptions.ConnectionWrongStateError(
                "Connection is not open for update_secret")
        validators.rpc_completion_callback(callback)
        if callback is not None:
            self._update_secret_callbacks.append(callback)
        self._core.update_secret(new_secret, reason)
        self._flush_soon()

    @property
    def is_closed(self) -> bool:
        return self._core.state == CONNECTION_CLOSED

    @property
    def is_closing(self) -> bool:
        return self._core.state == CONNECTION_CLOSING

    @property
    def is_open(self) -> bool:
        return self._core.state == CONNECTION_OPEN

    @property
    def server_properties(self) -> Optional[Dict[str, Any]]:
        return self._core.server_properties

    @property
    def server_capabilities(self) -> Optional[Dict[str, Any]]:
        """The broker's ``capabilities`` table (``None`` before Connection.Start)."""
        properties = self._core.server_properties
        return None if properties is None else properties.get("capabilities", {})

    @property
    def known_hosts(self) -> Optional[str]:
        """Connection.OpenOk's ``known_hosts`` (``None`` before the connection opened)."""
        return getattr(self._core, "known_hosts", None)

    @property
    def connection_state(self) -> int:
        """The state as pika numbers it: one of the ``CONNECTION_*`` constants."""
        return int(self._core.state)

    def _capability(self, name: str) -> bool:
        caps = (self._core.server_properties or {}).get("capabilities") or {}
        return bool(caps.get(name, False))

    @property
    def basic_nack(self) -> bool:
        return self._capability("basic.nack")

    @property
    def consumer_cancel_notify(self) -> bool:
        return self._capability("consumer_cancel_notify")

    @property
    def exchange_exchange_bindings(self) -> bool:
        return self._capability("exchange_exchange_bindings")

    @property
    def publisher_confirms(self) -> bool:
        return self._capability("publisher_confirms")

    # ----------------------------------------------------- core handler

    def on_connection_open(self) -> None:
        self._arm_deadline_timer()
        for callback in list(self._on_open_callbacks):
            callback(self)

    def on_connection_closed(self, error: BaseException) -> None:
        self._disarm_deadline_timer()
        self._adapter_disconnect_stream()
        if not self._opened:
            self._on_open_failed(error)
            return
        for callback in list(self._on_close_callbacks):
            callback(self, error)

    def _on_open_failed(self, error: BaseException) -> None:
        for callback in list(self._on_open_error_callbacks):
            callback(self, error)

    def on_blocked(self, method: Any) -> None:
        self._arm_deadline_timer()  # the core may have set the blocked deadline
        for callback in list(self._blocked_callbacks):
            callback(self, frame.Method(0, method))

    def on_unblocked(self, method: Any) -> None:
        for callback in list(self._unblocked_callbacks):
            callback(self, frame.Method(0, method))

    def on_output(self) -> None:
        self._flush_soon()

    def on_update_secret_ok(self, method: Any) -> None:
        if self._update_secret_callbacks:
            self._update_secret_callbacks.pop(0)(frame.Method(0, method))

    def _arm_deadline_timer(self) -> None:
        """One adapter timer for the core's next deadline (heartbeats, blocked)."""
        self._disarm_deadline_timer()
        deadline = self._core.next_deadline()
        if deadline is not None:
            self._deadline_timer = self._adapter_call_later(
                max(deadline - _monotonic(), 0.0), self._on_deadline_timer)

    def _disarm_deadline_timer(self) -> None:
        if self._deadline_timer is not None:
            self._adapter_remove_timeout(self._deadline_timer)
            self._deadline_timer = None

    def _on_deadline_timer(self) -> None:
        self._deadline_timer = None
        self._core.run_deadlines(_monotonic())
        if self._core.state != CONNECTION_CLOSED:
            self._flush_soon()
            self._arm_deadline_timer()

    # --------------------------------------------------- adapter side

    def _on_stream_connected(self) -> None:
        self._core.initiate(_monotonic())
        self._flush_soon()

    def _on_data_available(self, data: bytes) -> None:
        # A malformed stream is handled by the core; what escapes here came from a user
        # callback, and the adapter treats every such exception alike (as pika).
        self._core.data_received(data, _monotonic())
        if self._core.has_output():
            self._flush_soon()

    def _on_stream_terminated(self, error: Optional[BaseException]) -> None:
        self._core.connection_lost(error)

    def _terminate_stream(self, error: BaseException) -> None:
        self._core.connection_lost(error)

    def _flush_soon(self) -> None:
        """Arrange for the core's output to be written. By default it is handed to
        ``_adapter_emit_data`` at once; adapters with a transport of their own pull it
        when the socket is writable instead (see BaseConnection)."""
        for buffer in self._core.take_output():
            self._adapter_emit_data(bytes(buffer))

    # pika's adapter contract: a subclass implements these.

    def _adapter_connect_stream(self) -> None:
        """Start connecting (called by __init__ when the connection runs its own
        workflow); report with ``_on_stream_connected`` / ``_on_stream_terminated``."""
        raise NotImplementedError

    def _adapter_disconnect_stream(self) -> None:
        """Close the stream (the connection is closed or failed)."""
        raise NotImplementedError

    def _adapter_call_later(self, delay: float, callback: Callable[[], None]) -> Any:
        """Run ``callback()`` once after ``delay`` seconds; return a timer reference."""
        raise NotImplementedError

    def _adapter_remove_timeout(self, timeout_id: Any) -> None:
        """Cancel a timer made by ``_adapter_call_later``."""
        raise NotImplementedError

    def _adapter_add_callback_threadsafe(self, callback: Callable[[], None]) -> None:
        """Run ``callback()`` on the connection's loop; callable from any thread."""
        raise NotImplementedError

    def _adapter_emit_data(self, data: bytes) -> None:
        """Write ``data`` to the stream."""
        raise NotImplementedError


# Names pika's module of the same path also exports; code written against pika imports
# them from here.
from urllib.parse import parse_qs as url_parse_qs  # noqa: E402,F401
from urllib.parse import unquote as url_unquote  # noqa: E402,F401
from urllib.parse import urlparse  # noqa: E402,F401

#: The product name this client reports to the broker (client_properties['product']).
PRODUCT: str = _protocol.default_client_properties()["product"]
