"""Frame objects and frame decoding, as in ``pika.frame``.

Marshalling and decoding are done by the codec the seam (:mod:`pika_fast._codec`) binds
into :mod:`pika_fast.amqp_object`; this module does not import the codec.
"""
from __future__ import annotations

from typing import Any, Generic, List, Optional, Tuple, TypeVar, Union

from pika_fast import amqp_object, exceptions, spec

_MethodT = TypeVar("_MethodT", bound=amqp_object.Method)


class Frame(amqp_object.AMQPObject):
    """Base of the frame objects: a frame type and a channel number."""

    NAME = "Frame"

    def __init__(self, frame_type: int, channel_number: int) -> None:
        self.frame_type = frame_type
        self.channel_number = channel_number

    def _marshal(self, pieces: List[bytes]) -> bytes:
        payload = b"".join(pieces)
        return (
            bytes((self.frame_type,))
            + self.channel_number.to_bytes(2, "big")
            + len(payload).to_bytes(4, "big")
            + payload
            + b"\xce"
        )

    def marshal(self) -> bytes:
        """The frame's wire bytes."""
        raise NotImplementedError


class Method(Frame, Generic[_MethodT]):
    """A method frame: ``method`` is a ``spec`` method object."""

    NAME = "METHOD"

    def __init__(self, channel_number: int, method: _MethodT) -> None:
        Frame.__init__(self, spec.FRAME_METHOD, channel_number)
        self.method = method

    def marshal(self) -> bytes:
        """The frame's wire bytes."""
        return amqp_object.codec.marshal_method_frame(self.channel_number, self.method)


class Header(Frame):
    """A content header frame: body size and ``BasicProperties``."""

    NAME = "Header"

    def __init__(self, channel_number: int, body_size: int,
                 props: spec.BasicProperties) -> None:
        Frame.__init__(self, spec.FRAME_HEADER, channel_number)
        self.body_size = body_size
        self.properties = props

    def marshal(self) -> bytes:
        """The frame's wire bytes."""
        return amqp_object.codec.marshal_header_frame(self.channel_number, self.body_size,
                                                      self.properties)


class Body(Frame):
    """A content body frame carrying one fragment of a message body."""

    NAME = "Body"

    def __init__(self, channel_number: int, fragment: bytes) -> None:
        Frame.__init__(self, spec.FRAME_BODY, channel_number)
        self.fragment = fragment

    def marshal(self) -> bytes:
        """The frame's wire bytes."""
        return amqp_object.codec.marshal_body_frame(self.channel_number, self.fragment)


class Heartbeat(Frame):
    """A heartbeat frame (always on channel 0)."""

    NAME = "Heartbeat"

    def __init__(self) -> None:
        Frame.__init__(self, spec.FRAME_HEARTBEAT, 0)

    def marshal(self) -> bytes:
        """The frame's wire bytes."""
        return amqp_object.codec.HEARTBEAT_FRAME


class ProtocolHeader(amqp_object.AMQPObject):
    """The ``AMQP\\x00`` + version header that opens a connection."""

    NAME = "ProtocolHeader"

    def __init__(self, major: Optional[int] = None, minor: Optional[int] = None,
                 revision: Optional[int] = None) -> None:
        self.frame_type = -1
        self.major = major or spec.PROTOCOL_VERSION[0]
        self.minor = minor or spec.PROTOCOL_VERSION[1]
        self.revision = revision or spec.PROTOCOL_VERSION[2]

    def marshal(self) -> bytes:
        """The header's eight wire bytes."""
        return b"AMQP" + bytes((0, self.major, self.minor, self.revision))


def decode_frame(data_in: Union[bytes, bytearray, memoryview],
                 offset: int = 0) -> Tuple[int, Optional[Union[Frame, ProtocolHeader]]]:
    """Decode the frame at ``offset`` of ``data_in``.

    Returns ``(bytes consumed, frame)``, or ``(0, None)`` while the frame is incomplete.
    Raises :class:`~pika_fast.exceptions.InvalidFrameError` for a malformed frame.
    """
    return amqp_object.codec.decode_frame(data_in, offset)


class ContentFrameAssembler:
    """Collects a content method, its header and body frames into one message.

    Feed frames with :meth:`process`; it returns ``(method_frame, header_frame, body)``
    once the body is complete and ``None`` before. The connection itself uses the
    codec's ``FrameReader``, which does the same without per-frame objects.
    """

    def __init__(self) -> None:
        self._method_frame: Optional[Method[Any]] = None
        self._header_frame: Optional[Header] = None
        self._seen_so_far = 0
        self._body_fragments: List[bytes] = []

    def process(self, frame_value: Frame) -> Optional[Tuple[Method[Any], Header, bytes]]:
        """Take one frame; return the whole message when it is complete."""
        if isinstance(frame_value, Method) and spec.has_content(frame_value.method.INDEX):
            if self._method_frame is not None:
                raise exceptions.UnexpectedFrameError(frame_value)
            self._method_frame = frame_value
            return None
        if isinstance(frame_value, Header):
            if self._method_frame is None or self._header_frame is not None:
                raise exceptions.UnexpectedFrameError(frame_value)
            self._header_frame = frame_value
            if frame_value.body_size == 0:
                return self._finish()
            return None
        if isinstance(frame_value, Body):
            if self._header_frame is None:
                raise exceptions.UnexpectedFrameError(frame_value)
            self._seen_so_far += len(frame_value.fragment)
            self._body_fragments.append(frame_value.fragment)
            if self._seen_so_far == self._header_frame.body_size:
                return self._finish()
            if self._seen_so_far > self._header_frame.body_size:
                raise exceptions.BodyTooLongError(self._seen_so_far,
                                                  self._header_frame.body_size)
            return None
        raise exceptions.UnexpectedFrameError(frame_value)

    def _finish(self) -> Tuple[Method[Any], Header, bytes]:
        assert self._method_frame is not None and self._header_frame is not None
        message = (self._method_frame, self._header_frame, b"".join(self._body_fragments))
        self._reset()
        return message

    def _reset(self) -> None:
        self._method_frame = None
        self._header_frame = None
        self._seen_so_far = 0
        self._body_fragments = []


# Names pika's module of the same path also exports; code written against pika imports
# them from here.
import logging  # noqa: E402

from pika_fast.compat import byte  # noqa: E402,F401

LOGGER = logging.getLogger(__name__)
