"""Connection adapters for pika_fast (mirrors ``pika.adapters``)."""
from pika_fast.adapters.asyncio_connection import AsyncioConnection  # noqa: F401
from pika_fast.adapters.base_connection import BaseConnection  # noqa: F401
from pika_fast.adapters.blocking_connection import BlockingConnection  # noqa: F401
from pika_fast.adapters.select_connection import IOLoop, SelectConnection  # noqa: F401

#: Adapters whose library is optional: imported on first use, as their own modules.
_OPTIONAL = {
    "TornadoConnection": "pika_fast.adapters.tornado_connection",
    "TwistedProtocolConnection": "pika_fast.adapters.twisted_connection",
    "GeventConnection": "pika_fast.adapters.gevent_connection",
}


def __getattr__(name: str) -> object:
    module = _OPTIONAL.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = ["AsyncioConnection", "BaseConnection", "BlockingConnection", "IOLoop", "SelectConnection"]
