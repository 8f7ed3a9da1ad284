"""Base classes of AMQP frames, classes, methods and properties, as in ``pika.amqp_object``."""
from __future__ import annotations

from typing import List, Optional


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
        """The encoded arguments, as a list of byte strings."""
        raise NotImplementedError("Subclasses must implement this method")

    def decode(self, encoded: bytes, offset: int = 0) -> "Method":
        """Decode the arguments from ``encoded`` at ``offset`` into this object."""
        raise NotImplementedError("Subclasses must implement this method")


class Properties(AMQPObject):
    """Base of content properties (``BasicProperties``)."""

    NAME: str = "Unextended Properties"


