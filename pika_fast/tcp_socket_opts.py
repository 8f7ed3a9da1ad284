"""pika's ``tcp_socket_opts``: apply ``ConnectionParameters.tcp_options`` to a socket.

``tcp_options`` is a dict such as ``{'TCP_KEEPIDLE': 60, 'TCP_KEEPINTVL': 10,
'TCP_KEEPCNT': 5, 'TCP_USER_TIMEOUT': 30000}``. Any keep-alive key also turns
``SO_KEEPALIVE`` on. Options the platform lacks are logged and skipped, as pika does.
"""
from __future__ import annotations

import logging
import socket
from typing import Dict, Optional

from pika_fast import compat

__all__ = ["LOGGER", "set_sock_opts", "socket_requires_keepalive"]

LOGGER = logging.getLogger(__name__)

_KEEPALIVE_OPTION_NAMES = ('TCP_KEEPIDLE', 'TCP_KEEPCNT', 'TCP_KEEPINTVL')

# TCP_USER_TIMEOUT's number in Linux's tcp.h, for Pythons built without the constant.
_LINUX_TCP_USER_TIMEOUT = 18


def _supported_tcp_options() -> Dict[str, int]:
    """The option names this platform can set, mapped to their socket constants."""
    supported: Dict[str, int] = {}
    user_timeout = getattr(socket, 'TCP_USER_TIMEOUT', None)
    if user_timeout is not None:
        supported['TCP_USER_TIMEOUT'] = user_timeout
    elif compat.LINUX_VERSION is not None and compat.LINUX_VERSION >= (2, 6, 37):
        supported['TCP_USER_TIMEOUT'] = _LINUX_TCP_USER_TIMEOUT
    # pika offers the keep-alive trio only where all three exist.
    if all(hasattr(socket, name) for name in _KEEPALIVE_OPTION_NAMES):
        for name in _KEEPALIVE_OPTION_NAMES:
            supported[name] = getattr(socket, name)
    return supported


_SUPPORTED_TCP_OPTIONS: Dict[str, int] = _supported_tcp_options()


def socket_requires_keepalive(tcp_options: Dict[str, int]) -> bool:
    """Whether ``tcp_options`` names a keep-alive tuning option (idle, count, interval)."""
    return any(name in tcp_options for name in _KEEPALIVE_OPTION_NAMES)


def set_sock_opts(tcp_options: Optional[Dict[str, int]], sock: socket.socket) -> None:
    """Apply ``tcp_options`` to ``sock`` (nothing to do for ``None`` or ``{}``).

    Keep-alive tuning turns ``SO_KEEPALIVE`` on first; each supported option is set at
    the TCP level; an unknown or unsupported one is logged as a warning and skipped.
    """
    if not tcp_options:
        return
    if socket_requires_keepalive(tcp_options):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    for name, value in tcp_options.items():
        option = _SUPPORTED_TCP_OPTIONS.get(name)
        if option is None:
            LOGGER.warning('Unsupported TCP option %s:%s', name, value)
            continue
        sock.setsockopt(compat.SOL_TCP, option, value)
