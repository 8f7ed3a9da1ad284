"""Connection adapters for pika_fast (mirrors ``pika.adapters``)."""
from pika_fast.adapters.asyncio_connection import AsyncioConnection  # noqa: F401
from pika_fast.adapters.base_connection import BaseConnection  # noqa: F401
from pika_fast.adapters.blocking_connection import BlockingConnection  # noqa: F401
from pika_fast.adapters.select_connection import IOLoop, SelectConnection  # noqa: F401

__all__ = ["AsyncioConnection", "BaseConnection", "BlockingConnection", "IOLoop", "SelectConnection"]
