"""Exception types raised by pika_fast.

The hierarchy mirrors pika 1.4.4 class for class: the names, the base classes
(in MRO order), the constructor signatures, the attributes and the ``repr()`` /
``str()`` texts are the same, so ``except pika.exceptions.X`` clauses and log
parsing written against pika keep working after ``import pika_fast as pika``.

Two groups of classes go beyond ``pika.exceptions``:

* The connection-workflow exceptions (``AMQPConnectorException`` and its
  subclasses, including ``AMQPConnectionWorkflowFailed``). pika defines them in
  ``pika.adapters.utils.connection_workflow``; they live here so there is a
  single class object for each, and that module should re-export them.
* ``MessageDecodeError`` and ``FrameTooLargeError``, which exist only in
  pika_fast.

Deliberate difference from pika: several of pika's ``__repr__`` methods index
into ``args`` or use ``%i`` and therefore raise when the exception was built
with unexpected arguments (for example ``repr(AuthenticationError())``). Here,
whenever pika would produce a text, the same text is produced; when pika's
``repr()`` would raise, a generic ``"ClassName: <args>"`` text is returned
instead.
"""

from __future__ import annotations

import ssl

from typing import Any, Callable, Iterable, Optional, Sequence, Tuple

__all__ = [
    'AMQPError',
    'AMQPConnectionError',
    'ConnectionOpenAborted',
    'StreamLostError',
    'IncompatibleProtocolError',
    'AuthenticationError',
    'ProbableAuthenticationError',
    'ProbableAccessDeniedError',
    'NoFreeChannels',
    'ConnectionWrongStateError',
    'ConnectionClosed',
    'ConnectionClosedByBroker',
    'ConnectionClosedByClient',
    'ConnectionBlockedTimeout',
    'AMQPHeartbeatTimeout',
    'AMQPChannelError',
    'ChannelWrongStateError',
    'ChannelClosed',
    'ChannelClosedByBroker',
    'ChannelClosedByClient',
    'DuplicateConsumerTag',
    'ConsumerCancelled',
    'UnroutableError',
    'NackError',
    'InvalidChannelNumber',
    'ProtocolSyntaxError',
    'UnexpectedFrameError',
    'ProtocolVersionMismatch',
    'BodyTooLongError',
    'InvalidFrameError',
    'InvalidFieldTypeException',
    'UnsupportedAMQPFieldException',
    'MethodNotImplemented',
    'ChannelError',
    'ReentrancyError',
    'ShortStringTooLong',
    'DuplicateGetOkCallback',
    'MessageDecodeError',
    'FrameTooLargeError',
    'AMQPConnectorException',
    'AMQPConnectorStackTimeout',
    'AMQPConnectorAborted',
    'AMQPConnectorWrongState',
    'AMQPConnectorPhaseErrorBase',
    'AMQPConnectorSocketConnectError',
    'AMQPConnectorTransportSetupError',
    'AMQPConnectorAMQPHandshakeError',
    'AMQPConnectionWorkflowAborted',
    'AMQPConnectionWorkflowWrongState',
    'AMQPConnectionWorkflowFailed',
]


def _render(exc: BaseException, detail: Callable[[], str]) -> str:
    """Build ``"ClassName: <detail>"`` without ever raising.

    A ``repr()`` that raises turns a failed connection into a second,
    confusing error inside logging or traceback formatting, so argument
    shapes the detail text does not expect fall back to the raw ``args``.
    """
    try:
        text = detail()
    except (IndexError, TypeError, ValueError, AttributeError, OverflowError):
        text = repr(exc.args)
    return f'{type(exc).__name__}: {text}'


# ---------------------------------------------------------------------------
# Root of the AMQP hierarchy
# ---------------------------------------------------------------------------


class AMQPError(Exception):
    """Base class for the AMQP-level errors raised by pika_fast."""

    def _detail(self) -> str:
        return f'An unspecified AMQP error has occurred; {self.args}'

    def __repr__(self) -> str:
        return _render(self, self._detail)


# ---------------------------------------------------------------------------
# Connection-level errors
# ---------------------------------------------------------------------------


class AMQPConnectionError(AMQPError):
    """Base class for errors affecting the whole connection."""

    def _detail(self) -> str:
        if len(self.args) == 2:
            return f'({self.args[0]}) {self.args[1]}'
        return f'{self.args}'


class ConnectionOpenAborted(AMQPConnectionError):
    """The client closed the connection before it finished opening."""


class StreamLostError(AMQPConnectionError):
    """The underlying stream (TCP or TLS) connection was lost."""


class IncompatibleProtocolError(AMQPConnectionError):
    """The broker answered with an AMQP protocol version we cannot speak."""

    def _detail(self) -> str:
        return ('The protocol returned by the server is not supported: '
                f'{self.args}')


class AuthenticationError(AMQPConnectionError):
    """No authentication mechanism acceptable to both sides; ``args[0]`` is
    the mechanism that was attempted."""

    def _detail(self) -> str:
        return (f'Server and client could not negotiate use of the '
                f'{self.args[0]} authentication mechanism')


class ProbableAuthenticationError(AMQPConnectionError):
    """The broker dropped the connection at the stage where bad credentials
    are the usual reason."""

    def _detail(self) -> str:
        return ('Client was disconnected at a connection stage indicating a '
                f'probable authentication error: {self.args}')


class ProbableAccessDeniedError(AMQPConnectionError):
    """The broker dropped the connection at the stage where a refused
    virtual host is the usual reason."""

    def _detail(self) -> str:
        return ('Client was disconnected at a connection stage indicating a '
                'probable denial of access to the specified virtual host: '
                f'{self.args}')


class NoFreeChannels(AMQPConnectionError):
    """Every channel number allowed by channel_max is already in use."""

    def _detail(self) -> str:
        return 'The connection has run out of free channels'


class ConnectionWrongStateError(AMQPConnectionError):
    """The requested operation is not valid in the connection's current
    state."""

    def _detail(self) -> str:
        if self.args:
            return super()._detail()
        return 'The connection is in wrong state for the requested operation.'


class ConnectionClosed(AMQPConnectionError):
    """The connection was closed; carries the ``Connection.Close`` reply code
    and text (sent by either side)."""

    def __init__(self, reply_code: int, reply_text: str) -> None:
        """
        :param reply_code: reply-code from the ``Connection.Close`` method.
        :param reply_text: human-readable reply-text that accompanies
            ``reply_code``.
        """
        super().__init__(int(reply_code), str(reply_text))

    def _detail(self) -> str:
        return f'({self.reply_code}) {self.reply_text!r}'

    @property
    def reply_code(self) -> int:
        """AMQP reply code of the close."""
        code: int = self.args[0]
        return code

    @property
    def reply_text(self) -> str:
        """Human-readable explanation of the close."""
        text: str = self.args[1]
        return text


class ConnectionClosedByBroker(ConnectionClosed):
    """The broker sent ``Connection.Close``."""


class ConnectionClosedByClient(ConnectionClosed):
    """The connection was closed because the client asked for it."""


class ConnectionBlockedTimeout(AMQPConnectionError):
    """RabbitMQ extension: ``Connection.Unblocked`` did not arrive within the
    configured blocked-connection timeout."""


class AMQPHeartbeatTimeout(AMQPConnectionError):
    """The connection was dropped because heartbeats stopped arriving."""


# ---------------------------------------------------------------------------
# Channel-level errors
# ---------------------------------------------------------------------------


class AMQPChannelError(AMQPError):
    """Base class for errors scoped to a single channel."""

    def _detail(self) -> str:
        return f'{self.args!r}'


class ChannelWrongStateError(AMQPChannelError):
    """The requested operation is not valid in the channel's current state."""


class ChannelClosed(AMQPChannelError):
    """The channel was closed by the client or by the broker; carries the
    ``Channel.Close`` reply code and text."""

    def __init__(self, reply_code: int, reply_text: str) -> None:
        """
        :param reply_code: reply-code from the ``Channel.Close`` method.
        :param reply_text: human-readable reply-text that accompanies
            ``reply_code``.
        """
        super().__init__(int(reply_code), str(reply_text))

    def _detail(self) -> str:
        return f'({self.reply_code}) {self.reply_text!r}'

    @property
    def reply_code(self) -> int:
        """AMQP reply code of the close."""
        code: int = self.args[0]
        return code

    @property
    def reply_text(self) -> str:
        """Human-readable explanation of the close."""
        text: str = self.args[1]
        return text


class ChannelClosedByBroker(ChannelClosed):
    """The broker sent ``Channel.Close``. Passed to the on-close callback of
    asynchronous adapters and raised by ``BlockingConnection``."""


class ChannelClosedByClient(ChannelClosed):
    """The client closed the channel and ``Channel.CloseOk`` arrived. Passed to
    the on-close callback of asynchronous adapters; ``BlockingConnection``
    does not raise it."""


class DuplicateConsumerTag(AMQPChannelError):
    """The consumer tag (``args[0]``) is already in use on this channel."""

    def _detail(self) -> str:
        return ('The consumer tag specified already exists for this channel: '
                f'{self.args[0]}')


class ConsumerCancelled(AMQPChannelError):
    """The broker cancelled the consumer (``Basic.Cancel`` from the server)."""

    def _detail(self) -> str:
        return 'Server cancelled consumer'


def _reduce_with_messages(exc: Any) -> Tuple[Any, ...]:
    # The default Exception pickling calls cls(*args), and args here holds the
    # summary text rather than the messages, so rebuild from the messages.
    return (type(exc), (exc.messages,), exc.__dict__)


class UnroutableError(AMQPChannelError):
    """One or more published messages came back via ``Basic.Return``.

    Raised by ``BlockingChannel`` in publisher-confirm mode when the broker
    acks the publish (a nack raises :class:`NackError` instead). The returned
    messages are in :attr:`messages`.
    """

    def __init__(self, messages: Sequence[Any]) -> None:
        """
        :param messages: the returned messages (``ReturnedMessage`` objects).
        """
        super().__init__(f'{len(messages)} unroutable message(s) returned')
        self.messages = messages

    def _detail(self) -> str:
        return '%i unroutable messages returned by broker' % len(self.messages)

    def __reduce__(self) -> Tuple[Any, ...]:
        return _reduce_with_messages(self)


class NackError(AMQPChannelError):
    """The broker nacked a message published in publisher-confirm mode.

    Raised by ``BlockingChannel``; the affected messages are in
    :attr:`messages`.
    """

    def __init__(self, messages: Sequence[Any]) -> None:
        """
        :param messages: the nacked messages (``ReturnedMessage`` objects).
        """
        super().__init__(f'{len(messages)} message(s) NACKed')
        self.messages = messages

    def _detail(self) -> str:
        # pika reuses the UnroutableError wording here; kept for compatibility.
        return '%i unroutable messages returned by broker' % len(self.messages)

    def __reduce__(self) -> Tuple[Any, ...]:
        return _reduce_with_messages(self)


class InvalidChannelNumber(AMQPError):
    """A channel number outside the permitted range was given."""

    def _detail(self) -> str:
        return f'An invalid channel number has been specified: {self.args[0]}'


# ---------------------------------------------------------------------------
# Wire-protocol errors
# ---------------------------------------------------------------------------


class ProtocolSyntaxError(AMQPError):
    """Base class for malformed or unexpected AMQP wire data."""

    def _detail(self) -> str:
        return 'An unspecified protocol syntax error occurred'


class UnexpectedFrameError(ProtocolSyntaxError):
    """A frame (``args[0]``) arrived that is not valid at this point of the
    conversation."""

    def _detail(self) -> str:
        return f'Received a frame out of sequence: {self.args[0]!r}'


class ProtocolVersionMismatch(ProtocolSyntaxError):
    """The two protocol versions in ``args[0]`` and ``args[1]`` differ."""

    def _detail(self) -> str:
        return (f'Protocol versions did not match: {self.args[0]!r} vs '
                f'{self.args[1]!r}')


class BodyTooLongError(ProtocolSyntaxError):
    """More body bytes (``args[0]``) arrived than the content header announced
    (``args[1]``)."""

    def _detail(self) -> str:
        # %i rather than an f-string: it accepts floats/bools the way pika does.
        return ('Received too many bytes for a message delivery: '
                'Received %i, expected %i' % (self.args[0], self.args[1]))


class InvalidFrameError(ProtocolSyntaxError):
    """A frame could not be parsed; ``args[0]`` describes it."""

    def _detail(self) -> str:
        return f'Invalid frame received: {self.args[0]!r}'


class MessageDecodeError(InvalidFrameError):
    """pika_fast only (pika has no equivalent): every frame of a message
    arrived intact, but its content header could not be decoded.

    Framing is still in sync, so the connection can carry on; only this one
    message is lost.

    :ivar channel_number: channel the message arrived on.
    :ivar method: the method frame that introduced the message (e.g. a
        ``Basic.Deliver``).
    :ivar body: the message body as received.
    :ivar cause: the exception raised by the header decoder. Also set as
        ``__cause__`` so tracebacks show it.
    """

    def __init__(self, channel_number: int, method: Any, body: Optional[bytes],
                 cause: BaseException) -> None:
        # All four go into args so the default Exception pickling can rebuild
        # the instance via cls(*args).
        super().__init__(channel_number, method, body, cause)
        self.channel_number = channel_number
        self.method = method
        self.body = body
        self.cause = cause
        if isinstance(cause, BaseException):
            self.__cause__ = cause

    @property
    def method_name(self) -> str:
        """AMQP name of :attr:`method` such as ``'Basic.Deliver'``."""
        name = getattr(self.method, 'NAME', None)
        if isinstance(name, str):
            return name
        return type(self.method).__name__

    def __str__(self) -> str:
        return (f'Could not decode the content header of a {self.method_name} '
                f'message on channel {self.channel_number}: {self.cause!r}')

    def _detail(self) -> str:
        return str(self)


class FrameTooLargeError(InvalidFrameError):
    """pika_fast only (pika has no equivalent): a frame is larger than the
    ``frame_max`` negotiated for the connection.

    :ivar frame_size: size of the offending frame in bytes.
    :ivar frame_max: negotiated maximum frame size in bytes.
    """

    def __init__(self, frame_size: int, frame_max: int) -> None:
        super().__init__(frame_size, frame_max)
        self.frame_size = frame_size
        self.frame_max = frame_max

    def __str__(self) -> str:
        return (f'Frame of {self.frame_size} bytes exceeds the negotiated '
                f'frame_max of {self.frame_max} bytes')

    def _detail(self) -> str:
        return str(self)


class InvalidFieldTypeException(ProtocolSyntaxError):
    """A field-table value carried a type code (``args[0]``) that AMQP does not
    define."""

    def _detail(self) -> str:
        return f'Unsupported field kind {self.args[0]}'


class UnsupportedAMQPFieldException(ProtocolSyntaxError):
    """A Python value (``args[1]``) of a type that cannot be encoded into an
    AMQP field table was supplied."""

    def _detail(self) -> str:
        return f'Unsupported field kind {type(self.args[1])}'


class MethodNotImplemented(AMQPError):
    """The requested AMQP method is not supported."""


class ChannelError(Exception):
    """Generic channel misuse error (not derived from :class:`AMQPError`)."""

    def __repr__(self) -> str:
        return _render(self,
                       lambda: 'An unspecified error occurred with the Channel')


class ReentrancyError(Exception):
    """The operation would recurse or re-enter in a way that is not supported.

    Raised by ``BlockingConnection`` and ``BlockingChannel``.
    """


class ShortStringTooLong(AMQPError):
    """A value (``args[0]``) exceeds the 255-byte limit of an AMQP short
    string."""

    def _detail(self) -> str:
        # Only the start of the value: it may be arbitrarily large.
        return ('AMQP Short String can contain up to 255 bytes: '
                f'{str(self.args[0])[:300]}')


class DuplicateGetOkCallback(ChannelError):
    """``basic_get`` was called again before the previous call's callback
    ran."""

    def __repr__(self) -> str:
        return _render(
            self, lambda: 'basic_get can only be called again after the '
            'callback for the previous basic_get is executed')


# ---------------------------------------------------------------------------
# Connection-workflow errors (pika: pika.adapters.utils.connection_workflow)
# ---------------------------------------------------------------------------


class AMQPConnectorException(Exception):
    """Base class for connection-workflow errors."""


class AMQPConnectorStackTimeout(AMQPConnectorException):
    """The whole TCP/[TLS]/AMQP connection attempt took too long."""


class AMQPConnectorAborted(AMQPConnectorException):
    """The asynchronous connection attempt was aborted by the caller."""


class AMQPConnectorWrongState(AMQPConnectorException):
    """A connector operation was requested in a state that does not allow it,
    e.g. aborting after completion was already reported."""


class AMQPConnectorPhaseErrorBase(AMQPConnectorException):
    """Wraps the error (:attr:`exception`) that ended one bring-up phase of a
    connection attempt."""

    def __init__(self, exception: BaseException, *args: Any) -> None:
        """
        :param exception: the error that ended the phase.
        :param args: passed on to ``Exception``.
        """
        super().__init__(*args)
        self.exception = exception

    def __repr__(self) -> str:
        return _render(self, lambda: f'{self.exception!r}')

    def __reduce__(self) -> Tuple[Any, ...]:
        return (type(self), (self.exception, *self.args), self.__dict__)


class AMQPConnectorSocketConnectError(AMQPConnectorPhaseErrorBase):
    """The TCP connect to the broker failed."""


class AMQPConnectorTransportSetupError(AMQPConnectorPhaseErrorBase):
    """TCP connected, but setting up the transport (e.g. the TLS handshake)
    failed before the AMQP handshake began."""


class AMQPConnectorAMQPHandshakeError(AMQPConnectorPhaseErrorBase):
    """The AMQP handshake failed."""


class AMQPConnectionWorkflowAborted(AMQPConnectorException):
    """The connection workflow was aborted by the caller."""


class AMQPConnectionWorkflowWrongState(AMQPConnectorException):
    """A workflow operation was requested in a state that does not allow it,
    e.g. aborting after completion was already reported."""


class AMQPConnectionWorkflowFailed(AMQPConnectorException):
    """Every connection attempt of the workflow failed; :attr:`exceptions`
    holds the error of each attempt, oldest first."""

    def __init__(self, exceptions: Iterable[BaseException],
                 *args: Any) -> None:
        """
        :param exceptions: the errors of the individual attempts.
        :param args: passed on to ``Exception``.
        """
        super().__init__(*args)
        self.exceptions = tuple(exceptions)

    def __repr__(self) -> str:
        def detail() -> str:
            count = len(self.exceptions)
            first = self.exceptions[0] if count > 1 else None
            return (f'{count} exceptions in all; last exception - '
                    f'{self.exceptions[-1]!r}; first exception - {first!r}')

        return _render(self, detail)

    def __reduce__(self) -> Tuple[Any, ...]:
        return (type(self), (self.exceptions, *self.args), self.__dict__)


class TLSSetupError(AMQPConnectionError, ssl.SSLError):
    """pika_fast only: the TLS handshake failed (wrong CA, hostname mismatch, a peer
    that does not speak TLS). Both an AMQPConnectionError and the ssl error pika would
    have let through (``wrap`` makes the instance a subclass of the original error's
    class too, e.g. ssl.SSLCertVerificationError with its ``verify_code``), so code
    written against either keeps catching it. :attr:`exception` is the original error.
    """

    exception: BaseException
    _variants: "dict[type, type]" = {}

    @classmethod
    def wrap(cls, error: BaseException) -> "TLSSetupError":
        """Wrap the error the TLS layer raised."""
        kind = type(error)
        variant: Any = cls
        if isinstance(error, OSError) and kind not in (ssl.SSLError, OSError):
            variant = cls._variants.get(kind)
            if variant is None:
                try:
                    variant = type(cls.__name__, (cls, kind), {"__module__": cls.__module__})
                except TypeError:  # an incompatible layout: the plain class will do
                    variant = cls
                cls._variants[kind] = variant
        wrapped: TLSSetupError = variant(f"TLS handshake failed: {error}")
        for name in ("errno", "strerror", "reason", "library", "verify_code",
                     "verify_message"):
            if hasattr(error, name):
                try:
                    setattr(wrapped, name, getattr(error, name))
                except AttributeError:
                    pass
        wrapped.exception = error
        wrapped.__cause__ = error
        return wrapped


class ConnectionStackTimeout(AMQPConnectionError, AMQPConnectorStackTimeout):
    """pika_fast only: a connection attempt outlived ``stack_timeout``. Both pika's
    AMQPConnectorStackTimeout and an AMQPConnectionError."""


class WorkQueueFullError(AMQPConnectionError):
    """A thread-safe connection's callbacks fell ``work_queue_maxsize`` items behind for
    ``work_queue_put_timeout`` seconds; the connection is closed with this reason (an
    AMQPConnectionError, as in pika's main branch)."""
