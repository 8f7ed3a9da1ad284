"""pika's ``compat`` module: small portability helpers that pika users import.

Same names and behaviour as ``pika.compat`` in pika 1.4: platform flags, ``SOL_TCP``,
``as_bytes``, ``byte``, the ``long`` marker for 64-bit table integers and a non-blocking
socket pair; plus the :mod:`urllib.parse` helpers older pikas exported from here.
"""
from __future__ import annotations

import abc
import os
import re
import socket
import sys
import time
from typing import Optional, Tuple, Union
# pika 1.0-1.3 exported these URL helpers from compat (1.4 dropped them); code written
# against those versions still imports them from here.
from urllib.parse import quote as url_quote  # noqa: F401
from urllib.parse import unquote as url_unquote  # noqa: F401
from urllib.parse import urlencode  # noqa: F401
from urllib.parse import urlparse  # noqa: F401

__all__ = [
    "AbstractBase", "HAVE_SIGNAL", "LINUX_VERSION", "ON_LINUX", "ON_OSX", "ON_WINDOWS",
    "RE_NUM", "SOCKET_ERROR", "SOL_TCP", "as_bytes", "byte", "get_linux_version", "long",
    "nonblocking_socketpair", "str_or_bytes", "time_now", "to_digit", "url_quote",
    "url_unquote", "urlencode", "urlparse",
]

# Leading digits of a version component such as "15-generic" -> 15.
RE_NUM = re.compile(r'(\d+).+')

ON_LINUX = sys.platform.startswith("linux")
ON_OSX = sys.platform == "darwin"
ON_WINDOWS = sys.platform == "win32"

# pika keeps this name for code that subclassed it under Python 2; it is a plain ABCMeta base.
class AbstractBase(metaclass=abc.ABCMeta):
    """Base of pika's abstract classes (an ABCMeta class with nothing of its own)."""

SOCKET_ERROR = OSError

# Some platforms (Windows) only spell the TCP protocol level as IPPROTO_TCP.
SOL_TCP: int = getattr(socket, 'SOL_TCP', socket.IPPROTO_TCP)

HAVE_SIGNAL = os.name == 'posix'

_LOCALHOST = '127.0.0.1'
_LOCALHOST_V6 = '::1'

# For isinstance checks that accept text either encoded or not.
str_or_bytes = (str, bytes)


def time_now() -> float:
    """Monotonic time in seconds, the clock pika's timers use."""
    return time.monotonic()


def byte(*args: int) -> bytes:
    """A ``bytes`` made of the given integers: ``byte(65)`` is ``b'A'``."""
    return bytes(args)


class long(int):
    """An int that field tables encode as a signed 64-bit ``l`` instead of a 32-bit one."""

    def __str__(self) -> str:
        return str(int(self))

    def __repr__(self) -> str:
        return f'{int(self)}L'


def as_bytes(value: Union[str, bytes]) -> bytes:
    """``value`` as bytes: text is encoded as UTF-8, bytes are returned unchanged."""
    if isinstance(value, bytes):
        return value
    return value.encode('UTF-8')


def to_digit(value: str) -> int:
    """The integer a version component starts with (``"37-rc1"`` -> 37; no digits -> 0)."""
    if value.isdigit():
        return int(value)
    match = RE_NUM.match(value)
    if match is None:
        return 0
    return int(match.group(1))


def get_linux_version(release_str: str) -> Tuple[int, ...]:
    """The first three numeric parts of a Linux release string (``"6.1.0-13-amd64"`` -> (6, 1, 0))."""
    version_part = release_str.split('-')[0]
    return tuple(to_digit(part) for part in version_part.split('.', 3)[:3])


LINUX_VERSION: Optional[Tuple[int, ...]] = None
if ON_LINUX:
    import platform
    LINUX_VERSION = get_linux_version(platform.release())


def nonblocking_socketpair(family: int = socket.AF_INET,
                           socket_type: int = socket.SOCK_STREAM,
                           proto: int = 0) -> Tuple[socket.socket, socket.socket]:
    """Two connected non-blocking TCP sockets over loopback (server side first).

    Only ``AF_INET``/``AF_INET6``, ``SOCK_STREAM`` and protocol 0 are supported, as in pika;
    anything else raises ``ValueError``.
    """
    if family == socket.AF_INET:
        host = _LOCALHOST
    elif family == socket.AF_INET6:
        host = _LOCALHOST_V6
    else:
        raise ValueError('Only AF_INET and AF_INET6 socket address families '
                         'are supported')
    if socket_type != socket.SOCK_STREAM:
        raise ValueError('Only SOCK_STREAM socket socket_type is supported')
    if proto != 0:
        raise ValueError('Only protocol zero is supported')

    listener = socket.socket(family, socket_type, proto)
    try:
        listener.bind((host, 0))
        listener.listen(1)
        address, port = listener.getsockname()[:2]
        client = socket.socket(family, socket_type, proto)
        try:
            client.connect((address, port))
            server, _ = listener.accept()
        except BaseException:
            client.close()
            raise
    finally:
        listener.close()
    # Non-blocking so that a wakeup write can never block the writer (pika issue 917).
    client.setblocking(False)
    server.setblocking(False)
    return server, client
