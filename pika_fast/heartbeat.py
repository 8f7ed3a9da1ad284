"""pika's ``heartbeat`` module: ``HeartbeatChecker``.

pika_fast's connections keep heartbeats in the protocol core (``_protocol.ConnectionCore``
says when one is due and when the peer is overdue), so they do not use this class. It is
here for code written against pika that drives a checker itself: given a connection
object with pika's hooks (``_adapter_call_later``, ``_adapter_remove_timeout``,
``_send_frame``, ``_terminate_stream``, ``bytes_received``, ``bytes_sent``), it sends a
heartbeat frame every ``timeout / 2`` seconds and, every ``timeout + 5`` seconds, aborts
the stream with ``AMQPHeartbeatTimeout`` if nothing at all was received in that window.
"""
from __future__ import annotations

import logging
from typing import Any, Optional

from pika_fast import exceptions, frame

__all__ = ["HeartbeatChecker", "LOGGER"]

LOGGER = logging.getLogger(__name__)


class HeartbeatChecker:
    """Sends heartbeats on a connection and closes it when the peer goes silent."""

    _STALE_CONNECTION = "No activity or too many missed heartbeats in the last %i seconds"

    def __init__(self, connection: Any, timeout: int) -> None:
        """Start both timers on ``connection`` at once.

        :param connection: a ``pika_fast.connection.Connection`` (or any object with
            pika's adapter hooks and byte counters).
        :param timeout: the negotiated heartbeat timeout in seconds (at least 1). A
            heartbeat goes out every ``timeout / 2`` seconds; the peer is checked every
            ``timeout + 5`` seconds (pika's margin for a heartbeat arriving at the edge).
        :raises ValueError: when ``timeout`` is below 1.
        """
        if timeout < 1:
            raise ValueError(f'timeout must >= 0, but got {timeout!r}')
        self._connection = connection
        self._timeout = timeout
        self._send_interval = float(timeout) / 2
        self._check_interval = timeout + 5
        LOGGER.debug('timeout: %f send_interval: %f check_interval: %f',
                     self._timeout, self._send_interval, self._check_interval)
        self._bytes_received = 0
        self._bytes_sent = 0
        self._heartbeat_frames_received = 0
        self._heartbeat_frames_sent = 0
        self._idle_byte_intervals = 0
        self._send_timer: Optional[Any] = None
        self._check_timer: Optional[Any] = None
        self._start_send_timer()
        self._start_check_timer()

    @property
    def bytes_received_on_connection(self) -> int:
        """The connection's count of bytes received so far."""
        return int(self._connection.bytes_received)

    @property
    def connection_is_idle(self) -> bool:
        """Whether a whole check window passed with nothing received."""
        return self._idle_byte_intervals > 0

    def received(self) -> None:
        """Count a heartbeat frame received from the peer."""
        LOGGER.debug('Received heartbeat frame')
        self._heartbeat_frames_received += 1

    def stop(self) -> None:
        """Cancel both timers; the checker sends and checks nothing more."""
        if self._send_timer:
            self._connection._adapter_remove_timeout(self._send_timer)
            self._send_timer = None
        if self._check_timer:
            self._connection._adapter_remove_timeout(self._check_timer)
            self._check_timer = None

    def _send_heartbeat(self) -> None:
        """Send timer fired: send one heartbeat and re-arm."""
        self._send_heartbeat_frame()
        self._start_send_timer()

    def _check_heartbeat(self) -> None:
        """Check timer fired: close the stream if the window saw no incoming bytes."""
        if self._has_received_data:
            self._idle_byte_intervals = 0
        else:
            self._idle_byte_intervals += 1
        LOGGER.debug('Received %i heartbeat frames, sent %i, idle intervals %i',
                     self._heartbeat_frames_received, self._heartbeat_frames_sent,
                     self._idle_byte_intervals)
        if self.connection_is_idle:
            self._close_connection()
            return
        self._start_check_timer()

    def _close_connection(self) -> None:
        """Abort the stream: a peer that sent nothing is not worth a graceful close."""
        LOGGER.info('Connection is idle, %i stale byte intervals', self._idle_byte_intervals)
        text = HeartbeatChecker._STALE_CONNECTION % self._timeout
        self._connection._terminate_stream(exceptions.AMQPHeartbeatTimeout(text))

    @property
    def _has_received_data(self) -> bool:
        return self._bytes_received != self.bytes_received_on_connection

    @staticmethod
    def _new_heartbeat_frame() -> frame.Heartbeat:
        return frame.Heartbeat()

    def _send_heartbeat_frame(self) -> None:
        LOGGER.debug('Sending heartbeat frame')
        self._connection._send_frame(self._new_heartbeat_frame())
        self._heartbeat_frames_sent += 1

    def _start_send_timer(self) -> None:
        self._send_timer = self._connection._adapter_call_later(self._send_interval,
                                                                self._send_heartbeat)

    def _start_check_timer(self) -> None:
        # The window is measured from now: snapshot the counters first.
        self._update_counters()
        self._check_timer = self._connection._adapter_call_later(self._check_interval,
                                                                 self._check_heartbeat)

    def _update_counters(self) -> None:
        self._bytes_sent = self._connection.bytes_sent
        self._bytes_received = self._connection.bytes_received
