"""pika_fast: pika's API with a compiled AMQP 0-9-1 codec.

``import pika_fast as pika`` and keep your code as it is.
"""
from __future__ import annotations

import logging

from pika_fast._version import __version__ as __version__  # re-exported

logging.getLogger(__name__).addHandler(logging.NullHandler())

from pika_fast import _codec  # noqa: E402
from pika_fast.connection import ConnectionParameters, SSLOptions, URLParameters  # noqa: E402
from pika_fast.credentials import PlainCredentials  # noqa: E402
from pika_fast.delivery_mode import DeliveryMode  # noqa: E402
from pika_fast.spec import BasicProperties  # noqa: E402

from pika_fast import adapters  # noqa: E402
# pika's package has these submodules as attributes once imported (pika.compat, ...).
from pika_fast import (  # noqa: E402,F401
    callback, channel, compat, data, diagnostic_utils, heartbeat, tcp_socket_opts)
from pika_fast.adapters import BaseConnection, BlockingConnection, SelectConnection  # noqa: E402
from pika_fast.adapters.utils.connection_workflow import AMQPConnectionWorkflow  # noqa: E402
from pika_fast.adapters.thread_safe_connection import Connection  # noqa: E402
from pika_fast._install import install_as_pika  # noqa: E402
from pika_fast.recovery import RecoveryPolicy  # noqa: E402


def codec_backend() -> str:
    """Which codec is active: ``"cython"`` (compiled) or ``"python"`` (the twin)."""
    return _codec.BACKEND


__all__ = [
    "AMQPConnectionWorkflow",
    "BaseConnection",
    "BasicProperties",
    "BlockingConnection",
    "Connection",
    "SelectConnection",
    "ConnectionParameters",
    "DeliveryMode",
    "PlainCredentials",
    "RecoveryPolicy",
    "SSLOptions",
    "URLParameters",
    "adapters",
    "codec_backend",
    "install_as_pika",
]
