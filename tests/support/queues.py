"""Reading a queue back in tests (blocking channels of either library)."""
from __future__ import annotations

from typing import Any, List


def drain(channel: Any, queue: str) -> List[bytes]:
    """Every body waiting in ``queue``, in order, taken with ``basic_get`` (auto-acked)."""
    bodies = []
    while True:
        method, _properties, body = channel.basic_get(queue, auto_ack=True)
        if method is None:
            return bodies
        bodies.append(body)
