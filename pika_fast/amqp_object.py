"""Base classes of AMQP frames, classes, methods and properties, as in ``pika.amqp_object``.

The model does not import the codec. pika's ``encode``/``decode`` live once here, on
:class:`Method` and :class:`Properties`, and call :data:`codec`, which the seam
(:mod:`pika_fast._codec`) binds with :func:`bind_codec` when it has chosen a twin. The
package imports the seam first, so the binding is in place before any user code runs.
"""
from __future__ import annotations

from typing import Any, List, Optional, Protocol, Tuple


class ModelCodec(Protocol):
    """The codec functions the model calls; both twins (``_codec_c``, ``_codec_py``) have them."""

    HEARTBEAT_FRAME: bytes

    def decode_frame(self, data_in: Any, offset: int = 0) -> Tuple[int, Any]: ...

    def encode_method_args(self, method: Any) -> bytes: ...

    def decode_method_into(self, method: Any, data: Any, offset: int = 0) -> Any: ...

    def encode_properties(self, properties: Any) -> bytes: ...

    def decode_properties_into(self, properties: Any, data: Any, offset: int = 0) -> Any: ...

    def marshal_method_frame(self, channel_number: int, method: Any) -> bytes: ...

    def marshal_header_frame(self, channel_number: int, body_size: int,
                             properties: Any) -> bytes: ...

    def marshal_body_frame(self, channel_number: int, fragment: Any) -> bytes: ...


class _UnboundCodec:
    """Stands in for the codec until the seam binds one; any use says what is missing."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(
            f"pika_fast's codec is not bound yet (wanted {name!r}): import pika_fast "
            "(its first import, pika_fast._codec, binds it)")


#: The codec the model calls, bound by :func:`bind_codec`. Read it as ``amqp_object.codec``
#: at call time (not ``from ... import codec``) so the binding is seen.
codec: ModelCodec = _UnboundCodec()


def bind_codec(chosen: ModelCodec) -> None:
    """Make ``chosen`` the codec behind ``encode``/``decode``/``marshal``; the seam calls it once."""
    global codec
    codec = chosen


class AMQPObject:
    """Base of every AMQP object: a readable repr and attribute-wise equality."""

    NAME: str = "AMQPObject"
    INDEX: Optional[int] = None

    def __repr__(self) -> str:
        shown = [
            f"{key}={value}"
            for key, value in self.__dict__.items()
            if getattr(self.__class__, key, None) != value
        ]
        if not shown:
            return f"<{self.NAME}>"
        return f"<{self.NAME}({sorted(shown)})>"

    def __eq__(self, other: object) -> bool:
        if other is None:
            return False
        return self.__dict__ == getattr(other, "__dict__", None)

    __hash__ = None  # type: ignore[assignment]  # equal objects are mutable


class Class(AMQPObject):
    """Base of the AMQP classes (Connection, Channel, Basic, ...)."""

    NAME: str = "Unextended Class"


class Method(AMQPObject):
    """Base of the AMQP methods; content-carrying ones also hold properties and body."""

    NAME: str = "Unextended Method"
    synchronous: bool = False

    def _set_content(self, properties: "Properties", body: bytes) -> None:
        """Attach the properties and body that followed this method."""
        self._properties = properties
        self._body = body

    def get_properties(self) -> "Properties":
        """The content properties attached with ``_set_content``."""
        return self._properties

    def get_body(self) -> bytes:
        """The content body attached with ``_set_content``."""
        return self._body

    def encode(self) -> List[bytes]:
        """The encoded arguments (no method index), as a list of byte strings."""
        if self.INDEX is None:  # pika's answer for a method the spec does not define
            raise NotImplementedError("Subclasses must implement this method")
        return [codec.encode_method_args(self)]

    def decode(self, encoded: bytes, offset: int = 0) -> "Method":
        """Decode the arguments from ``encoded`` at ``offset`` into this object; return it."""
        if self.INDEX is None:
            raise NotImplementedError("Subclasses must implement this method")
        return codec.decode_method_into(self, encoded, offset)


class Properties(AMQPObject):
    """Base of content properties (``BasicProperties``)."""

    NAME: str = "Unextended Properties"

    def encode(self) -> List[bytes]:
        """The encoded property flags and values, as a list of byte strings."""
        if self.INDEX is None:
            raise NotImplementedError("Subclasses must implement this method")
        return [codec.encode_properties(self)]

    def decode(self, encoded: bytes, offset: int = 0) -> "Properties":
        """Decode flags and values from ``encoded`` at ``offset`` into this object; return it."""
        if self.INDEX is None:
            raise NotImplementedError("Subclasses must implement this method")
        return codec.decode_properties_into(self, encoded, offset)
