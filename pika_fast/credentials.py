"""Credentials used for SASL authentication when a connection opens.

Pass an instance as the ``credentials`` argument of ``ConnectionParameters``.
``PlainCredentials`` carries a username and password (the ``PLAIN``
mechanism); ``ExternalCredentials`` uses ``EXTERNAL``, where the broker takes
the identity from elsewhere, typically the client's TLS certificate.
``URLParameters`` builds ``PlainCredentials`` from the URL by itself.

Behaviour matches pika 1.4.4's ``pika.credentials`` with one deliberate
difference: ``repr(PlainCredentials(...))`` shows the username but never the
password.

To support another mechanism, write a class with the same interface (``TYPE``,
``erase_on_connect``, ``response_for()``, ``erase_credentials()``) and append
it to ``VALID_TYPES``.
"""

from __future__ import annotations

import logging
from typing import Any, List, Optional, Tuple, Type, Union

__all__ = ['PlainCredentials', 'ExternalCredentials', 'VALID_TYPES']

LOGGER = logging.getLogger(__name__)

_MASK = '********'


def _to_bytes(value: Union[str, bytes]) -> bytes:
    return value if isinstance(value, bytes) else value.encode('utf-8')


def _offers(start: Any, mechanism: str) -> bool:
    """Whether ``mechanism`` is listed in the broker's ``Connection.Start``.

    ``start.mechanisms`` is a space separated list, as str or bytes.
    """
    return _to_bytes(mechanism) in _to_bytes(start.mechanisms).split()


class PlainCredentials:
    """Username and password for the ``PLAIN`` mechanism (RabbitMQ's
    default).

    With ``erase_on_connect=True`` the connection calls
    :meth:`erase_credentials` once it no longer needs them, which drops the
    username and password from memory.
    """

    TYPE = 'PLAIN'

    def __init__(self,
                 username: str,
                 password: str,
                 erase_on_connect: bool = False) -> None:
        """
        :param username: user to log in as.
        :param password: that user's password.
        :param erase_on_connect: forget both values once the connection no
            longer needs them.
        """
        self.username: Optional[str] = username
        self.password: Optional[str] = password
        self.erase_on_connect: bool = erase_on_connect

    def __repr__(self) -> str:
        shown = None if self.password is None else _MASK
        return (f'{type(self).__name__}(username={self.username!r}, '
                f'password={shown!r}, '
                f'erase_on_connect={self.erase_on_connect!r})')

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PlainCredentials):
            return NotImplemented
        return (self.username == other.username and
                self.password == other.password and
                self.erase_on_connect == other.erase_on_connect)

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    # Defining __eq__ makes instances unhashable, as in pika: keep it that way.
    __hash__ = None  # type: ignore[assignment]

    def response_for(self,
                     start: Any) -> Tuple[Optional[str], Optional[bytes]]:
        """Answer the broker's ``Connection.Start``.

        :param start: the ``Connection.Start`` method (anything with a
            ``mechanisms`` attribute).
        :returns: ``('PLAIN', b'\\0' + username + b'\\0' + password)`` with
            str values UTF-8 encoded, or ``(None, None)`` if the broker does
            not offer ``PLAIN``.
        """
        # The class constant, not self.TYPE: pika checks for PLAIN even in a
        # subclass that overrides TYPE.
        if not _offers(start, PlainCredentials.TYPE):
            return None, None
        response = b''.join((b'\0', _to_bytes(self.username or ''), b'\0',
                             _to_bytes(self.password or '')))
        return PlainCredentials.TYPE, response

    def erase_credentials(self) -> None:
        """Drop username and password if ``erase_on_connect`` is set; called
        by the connection when it no longer needs them."""
        if self.erase_on_connect:
            LOGGER.info('Erasing stored credential values')
            self.username = None
            self.password = None


class ExternalCredentials:
    """Authenticate with ``EXTERNAL``: the broker establishes the identity
    itself, usually from the client's TLS certificate."""

    TYPE = 'EXTERNAL'

    def __init__(self) -> None:
        self.erase_on_connect: bool = False

    def __repr__(self) -> str:
        return f'{type(self).__name__}()'

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ExternalCredentials):
            return NotImplemented
        return self.erase_on_connect == other.erase_on_connect

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = None  # type: ignore[assignment]

    def response_for(self,
                     start: Any) -> Tuple[Optional[str], Optional[bytes]]:
        """Answer the broker's ``Connection.Start``.

        :param start: the ``Connection.Start`` method (anything with a
            ``mechanisms`` attribute).
        :returns: ``('EXTERNAL', b'')``, or ``(None, None)`` if the broker
            does not offer ``EXTERNAL``.
        """
        if not _offers(start, ExternalCredentials.TYPE):
            return None, None
        return ExternalCredentials.TYPE, b''

    def erase_credentials(self) -> None:
        """Nothing is stored, so there is nothing to erase."""
        LOGGER.debug('Not supported by this Credentials type')


_CredentialType = Union[Type[PlainCredentials], Type[ExternalCredentials]]

#: Credential classes accepted by ``ConnectionParameters``; append custom
#: credential classes here so they pass validation.
VALID_TYPES: List[_CredentialType] = [PlainCredentials, ExternalCredentials]


# Names pika's module of the same path also exports; code written against pika imports
# them from here.
from pika_fast.compat import as_bytes  # noqa: E402,F401
