"""Connection parameters: ``Parameters``, ``ConnectionParameters``,
``URLParameters`` and ``SSLOptions``, as in pika 1.4.4's ``pika.connection``.

Every property, default (the ``DEFAULT_*`` class constants), validation
(the same ``TypeError``/``ValueError`` for the same bad values), ``__eq__``
(host and port only) and URL query key of pika 1.4.4 behaves the same here.
``pika_fast.connection`` re-exports these classes; this module imports
nothing from it, so it can be used on its own.

Differences from pika 1.4.4, all deliberate:

* Passwords never show up in a repr, str or exception message: the URL's
  password, a ``password`` in ``ssl_options`` (a bad ``ssl_options`` value is
  reported by type, a malformed URL one without its text), stray keyword
  arguments (only their names are reported) and wrong ``credentials`` values
  (only their type is reported). pika puts the URL's port text in an error, which is a piece of
  the password when a ``/`` in it was not percent-encoded; here the port text
  is left out.
* ``copy.deepcopy`` of parameters that carry ``SSLOptions`` works. The copy
  gets its own ``SSLOptions`` that shares the ``ssl.SSLContext``, because a
  context cannot be copied. pika raises ``TypeError`` here.
* A dict of SSL options (the URL's ``ssl_options=`` query or the legacy
  ``ssl=True`` keyword) that names no CA (``ca_certs``/``cafile``,
  ``ca_path``/``capath``, ``ca_data``/``cadata``) loads the system's default
  CAs. pika raises ``TypeError('cafile, capath and cadata cannot be all
  omitted')`` instead.
* The SSL context is built at once, when the parameters are created, as pika
  does. A certificate, key or CA file that cannot be read raises
  :class:`SSLOptionsFileError`. It is a ``ValueError`` that names the option
  and the file, and it is also the ``OSError`` subclass that pika lets through
  (``FileNotFoundError``, ``PermissionError``, ...), so existing
  ``except OSError`` handlers still catch it.
* The pika 0.x spellings still work and each emits a ``DeprecationWarning``
  that names the modern spelling:

  - ``heartbeat_interval`` (keyword argument and URL query key) means
    ``heartbeat``. Giving both is an error.
  - ``backpressure_detection`` (keyword argument and URL query key) is
    accepted and does nothing.
  - ``ConnectionParameters(ssl=True, ssl_options={...})`` turns the dict into
    an ``SSLOptions`` whose ``SSLContext`` is configured from it. See
    :func:`ssl_options_from_dict` for the keys. ``ssl=True`` alone uses
    ``ssl.create_default_context()``, as an ``amqps://`` URL does.
    ``ssl=False`` with a dict means plaintext and ignores the dict, as in
    0.x.
  - In an ``ssl_options`` dict, ``ssl_version`` means ``protocol``, and
    ``cert_reqs`` (``ssl.CERT_NONE``/``CERT_OPTIONAL``/``CERT_REQUIRED`` or
    0/1/2) sets the context's ``verify_mode``. pika 1.4.4 ignores both keys.
"""

from __future__ import annotations

import ast
import copy
import numbers
import os
import ssl
import warnings
from typing import (Any, Callable, Dict, Mapping, Optional, Type, TypeVar,
                    Union, cast)
from urllib.parse import parse_qs, unquote, urlparse

from pika_fast import credentials as _credentials
from pika_fast import spec as _spec
from pika_fast import validators

__all__ = [
    'Parameters',
    'ConnectionParameters',
    'URLParameters',
    'SSLOptions',
    'SSLOptionsFileError',
    'ssl_options_from_dict',
]

#: Highest channel number, per AMQP 0-9-1 (``pika.channel.MAX_CHANNELS``).
MAX_CHANNELS = 65535

_Credentials = Union[_credentials.PlainCredentials,
                     _credentials.ExternalCredentials]
_Heartbeat = Optional[Union[int, Callable[[Any, int], int]]]

_LEGACY = 'the pika 0.x API'


def _deprecated(what: str, instead: str, stacklevel: int) -> None:
    warnings.warn(f'{what} is deprecated ({_LEGACY}); use {instead} instead',
                  DeprecationWarning,
                  stacklevel=stacklevel + 1)


# --- SSL ----------------------------------------------------------------------


class SSLOptions:
    """TLS settings for a connection: an ``ssl.SSLContext`` and, optionally,
    the server name to send for SNI and to check the certificate against
    (when ``None``, the connection uses the parameters' ``host``).
    """

    __slots__ = ('context', 'server_hostname')

    def __init__(self,
                 context: ssl.SSLContext,
                 server_hostname: Optional[str] = None) -> None:
        """
        :param context: the configured ``ssl.SSLContext`` to wrap the socket
            with.
        :param server_hostname: server name for SNI and hostname checking.
        :raises TypeError: ``context`` is not an ``ssl.SSLContext``.
        """
        if not isinstance(context, ssl.SSLContext):
            raise TypeError('context must be of ssl.SSLContext type, but got '
                            f'{context!r}')
        self.context = context
        self.server_hostname = server_hostname

    def __repr__(self) -> str:
        return (f'<{type(self).__name__} context={self.context!r} '
                f'server_hostname={self.server_hostname!r}>')

    def __deepcopy__(self, memo: Dict[int, Any]) -> 'SSLOptions':
        # An SSLContext cannot be copied (nor pickled): share it.
        cls = type(self)
        clone = cls.__new__(cls)
        memo[id(self)] = clone
        clone.context = self.context
        clone.server_hostname = copy.deepcopy(self.server_hostname, memo)
        return clone


class SSLOptionsFileError(OSError, ValueError):
    """A certificate, key or CA file named in SSL options could not be read.

    It is a ``ValueError`` (a bad option value) and an ``OSError``. The class
    actually raised also derives from the specific ``OSError`` subclass that
    was raised (``FileNotFoundError``, ``PermissionError``,
    ``IsADirectoryError``). ``filename`` is the file, ``option`` the option
    that named it.
    """

    option: Optional[str] = None


class _SSLFileNotFoundError(SSLOptionsFileError, FileNotFoundError):
    pass


class _SSLPermissionError(SSLOptionsFileError, PermissionError):
    pass


class _SSLIsADirectoryError(SSLOptionsFileError, IsADirectoryError):
    pass


_FILE_ERRORS: Dict[type, Type[SSLOptionsFileError]] = {
    FileNotFoundError: _SSLFileNotFoundError,
    PermissionError: _SSLPermissionError,
    IsADirectoryError: _SSLIsADirectoryError,
}


def _file_error(exc: OSError, files: Mapping[str,
                                             Any]) -> SSLOptionsFileError:
    """Turn ``exc`` (raised while loading ``files``, option -> path) into an
    ``SSLOptionsFileError`` naming the file, which ``ssl`` does not do."""
    named = [(opt, path) for opt, path in files.items() if path]
    missing = [(opt, path) for opt, path in named
               if not os.path.exists(path)]
    option, path = (missing or named or [('?', None)])[0]
    cls = SSLOptionsFileError
    for klass in type(exc).__mro__:
        if klass in _FILE_ERRORS:
            cls = _FILE_ERRORS[klass]
            break
    reason = exc.strerror or str(exc) or type(exc).__name__
    strerror = f'cannot load ssl_options {option}: {reason}'
    if exc.errno is None:
        err = cls(f'{strerror}: {path!r}')
        err.filename = path
    else:
        err = cls(exc.errno, strerror, os.fsdecode(path)
                  if isinstance(path, (str, bytes, os.PathLike)) else path)
    err.option = option
    return err


def _load(method: Callable[..., None], files: Mapping[str, Any],
          *args: Any) -> None:
    """Call a context loader; report an unreadable file by name."""
    try:
        method(*args)
    except ssl.SSLError:
        raise
    except OSError as exc:
        failure: Optional[OSError] = exc
    else:
        failure = None
    if failure is not None:
        # Raised outside the except block so the original (nameless) error
        # does not ride along as __context__.
        raise _file_error(failure, files)


def ssl_options_from_dict(opts: Mapping[str, Any],
                          stacklevel: int = 1) -> SSLOptions:
    """Build an ``SSLOptions`` from a dict of SSL settings.

    These are the keys pika 1.4.4 reads from the URL's ``ssl_options`` query,
    plus the pika 0.x ``ssl.wrap_socket`` keys:

    ``protocol`` (or, deprecated, ``ssl_version``)
        ``ssl.SSLContext`` protocol; default ``ssl.PROTOCOL_TLS_CLIENT``
        (certificate and hostname verification on).
    ``cert_reqs`` (deprecated)
        ``verify_mode``. ``CERT_NONE`` also turns ``check_hostname`` off.
    ``ca_certs``/``cafile``, ``ca_path``/``capath``, ``ca_data``/``cadata``
        passed to ``load_verify_locations``. When none is given and the
        context verifies certificates, the system's default CAs are loaded.
    ``certfile``, ``keyfile``, ``password``
        passed to ``load_cert_chain`` (``keyfile`` without ``certfile`` is
        ignored, as in pika).
    ``ciphers``
        passed to ``set_ciphers``.
    ``server_hostname``
        ``SSLOptions.server_hostname``.

    Other keys are ignored, as pika does. The context is built now.

    :raises TypeError: ``opts`` is not a dict.
    :raises SSLOptionsFileError: a file cannot be read.
    :raises ssl.SSLError: a file's content is not usable.
    """
    if not isinstance(opts, Mapping):
        raise TypeError(
            f'ssl_options must be a dict or None, but got {type(opts).__name__}')
    if 'protocol' in opts:
        protocol = opts['protocol']
    elif 'ssl_version' in opts:
        _deprecated("ssl_options key 'ssl_version'", "'protocol'",
                    stacklevel + 1)
        protocol = opts['ssl_version']
    else:
        protocol = ssl.PROTOCOL_TLS_CLIENT
    context = ssl.SSLContext(protocol)

    if 'cert_reqs' in opts:
        _deprecated(
            "ssl_options key 'cert_reqs'",
            'SSLOptions(context) with the ssl.SSLContext verify_mode you want',
            stacklevel + 1)
        mode = ssl.VerifyMode(opts['cert_reqs'])
        if mode == ssl.CERT_NONE:
            context.check_hostname = False
        context.verify_mode = mode

    cafile = opts.get('ca_certs') or opts.get('cafile')
    capath = opts.get('ca_path') or opts.get('capath')
    cadata = opts.get('ca_data') or opts.get('cadata')
    if cafile or capath or cadata:
        _load(context.load_verify_locations, {
            'ca_certs': cafile,
            'ca_path': capath
        }, cafile, capath, cadata)
    elif context.verify_mode != ssl.CERT_NONE:
        context.load_default_certs(ssl.Purpose.SERVER_AUTH)

    if 'certfile' in opts:
        certfile = opts['certfile']
        keyfile = opts.get('keyfile')
        _load(context.load_cert_chain, {
            'certfile': certfile,
            'keyfile': keyfile
        }, certfile, keyfile, opts.get('password'))

    if 'ciphers' in opts:
        context.set_ciphers(opts['ciphers'])

    return SSLOptions(context=context,
                      server_hostname=opts.get('server_hostname'))


# --- Parameters ---------------------------------------------------------------


class Parameters:  # pylint: disable=too-many-instance-attributes
    """Settings for a connection, each a validated property, with the
    ``DEFAULT_*`` class constants as defaults. Subclasses may override the
    constants.

    Two parameters objects are equal when their ``host`` and ``port`` are.
    """

    __slots__ = ('_blocked_connection_timeout', '_channel_max',
                 '_client_properties', '_connection_attempts', '_credentials',
                 '_frame_max', '_heartbeat', '_host', '_locale', '_port',
                 '_retry_delay', '_socket_timeout', '_stack_timeout',
                 '_ssl_options', '_virtual_host', '_tcp_options')

    # Declared for type checkers (the slots hold the values).
    _channel_max: int
    _connection_attempts: int
    _frame_max: int
    _retry_delay: float

    DEFAULT_USERNAME = 'guest'
    DEFAULT_PASSWORD = 'guest'

    DEFAULT_BLOCKED_CONNECTION_TIMEOUT = None
    DEFAULT_CHANNEL_MAX = MAX_CHANNELS
    DEFAULT_CLIENT_PROPERTIES = None
    DEFAULT_CREDENTIALS = _credentials.PlainCredentials(DEFAULT_USERNAME,
                                                        DEFAULT_PASSWORD)
    DEFAULT_CONNECTION_ATTEMPTS = 1
    DEFAULT_FRAME_MAX = _spec.FRAME_MAX_SIZE
    DEFAULT_HEARTBEAT_TIMEOUT = None  # None: take the broker's proposal
    DEFAULT_HOST = 'localhost'
    DEFAULT_LOCALE = 'en_US'
    DEFAULT_PORT = 5672
    DEFAULT_RETRY_DELAY = 2.0
    DEFAULT_SOCKET_TIMEOUT = 10.0  # socket connect() timeout
    DEFAULT_STACK_TIMEOUT = 15.0  # whole TCP/[TLS]/AMQP bring-up timeout
    DEFAULT_SSL = False
    DEFAULT_SSL_OPTIONS = None
    DEFAULT_SSL_PORT = 5671
    DEFAULT_VIRTUAL_HOST = '/'
    DEFAULT_TCP_OPTIONS = None

    def __init__(self) -> None:
        # Every default goes through its setter, so a subclass overriding a
        # DEFAULT_* constant gets it validated (and copied) too.
        self.blocked_connection_timeout = (
            self.DEFAULT_BLOCKED_CONNECTION_TIMEOUT)
        self.channel_max = self.DEFAULT_CHANNEL_MAX
        self.client_properties = self.DEFAULT_CLIENT_PROPERTIES
        self.connection_attempts = self.DEFAULT_CONNECTION_ATTEMPTS
        self.credentials = self.DEFAULT_CREDENTIALS
        self.frame_max = self.DEFAULT_FRAME_MAX
        self.heartbeat = self.DEFAULT_HEARTBEAT_TIMEOUT
        self.host = self.DEFAULT_HOST
        self.locale = self.DEFAULT_LOCALE
        self.port = self.DEFAULT_PORT
        self.retry_delay = self.DEFAULT_RETRY_DELAY
        self.socket_timeout = self.DEFAULT_SOCKET_TIMEOUT
        self.stack_timeout = self.DEFAULT_STACK_TIMEOUT
        self.ssl_options = self.DEFAULT_SSL_OPTIONS
        self.virtual_host = self.DEFAULT_VIRTUAL_HOST
        self.tcp_options = self.DEFAULT_TCP_OPTIONS

    def __repr__(self) -> str:
        # Never the credentials.
        return (f'<{type(self).__name__} host={self._host} port={self._port} '
                f'virtual_host={self._virtual_host} '
                f'ssl={self._ssl_options is not None}>')

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Parameters):
            return NotImplemented
        return self._host == other._host and self._port == other._port

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    # Equal by value but mutable: unhashable, as in pika.
    __hash__ = None  # type: ignore[assignment]

    # --- properties (alphabetical, as in pika) ---

    @property
    def blocked_connection_timeout(self) -> Optional[float]:
        """Seconds the connection may stay blocked by the broker
        (``Connection.Blocked``) before it is torn down; ``None`` (default)
        waits forever. Must be a real number >= 0 or ``None``."""
        return self._blocked_connection_timeout

    @blocked_connection_timeout.setter
    def blocked_connection_timeout(self, value: Optional[float]) -> None:
        if value is not None:
            if not isinstance(value, numbers.Real):
                raise TypeError('blocked_connection_timeout must be a Real '
                                f'number, but got {value!r}')
            if value < 0:
                raise ValueError(
                    f'blocked_connection_timeout must be >= 0, but got {value!r}'
                )
        self._blocked_connection_timeout = value

    @property
    def channel_max(self) -> int:
        """Highest channel number to propose, an int in 1..65535."""
        return self._channel_max

    @channel_max.setter
    def channel_max(self, value: int) -> None:
        if not isinstance(value, numbers.Integral):
            raise TypeError(f'channel_max must be an int, but got {value!r}')
        if not 1 <= value <= MAX_CHANNELS:
            raise ValueError(
                f'channel_max must be <= {MAX_CHANNELS} and > 0, but got '
                f'{value!r}')
        self._channel_max = value

    @property
    def client_properties(self) -> Optional[Dict[str, Any]]:
        """``None`` or a dict overriding fields of the client properties sent
        in ``Connection.StartOk``. The setter stores a deep copy."""
        return self._client_properties

    @client_properties.setter
    def client_properties(self, value: Optional[Dict[str, Any]]) -> None:
        if value is not None and not isinstance(value, dict):
            raise TypeError(
                f'client_properties must be dict or None, but got {value!r}')
        self._client_properties = copy.deepcopy(value)

    @property
    def connection_attempts(self) -> int:
        """How many times to try connecting, an int >= 1; see
        ``retry_delay``."""
        return self._connection_attempts

    @connection_attempts.setter
    def connection_attempts(self, value: int) -> None:
        if not isinstance(value, numbers.Integral):
            raise TypeError('connection_attempts must be an int')
        if value < 1:
            raise ValueError(
                f'connection_attempts must be > 0, but got {value!r}')
        self._connection_attempts = value

    @property
    def credentials(self) -> _Credentials:
        """Authentication credentials, an instance of one of
        ``pika_fast.credentials.VALID_TYPES``. The setter stores a deep
        copy."""
        return self._credentials

    @credentials.setter
    def credentials(self, value: _Credentials) -> None:
        valid = tuple(_credentials.VALID_TYPES)
        if not isinstance(value, valid):
            # Only the type: the value may well hold a password.
            names = ', '.join(cls.__name__ for cls in valid)
            raise TypeError(f'credentials must be an object of type: '
                            f'{names}, but got an instance of '
                            f'{type(value).__name__}')
        self._credentials = copy.deepcopy(value)

    @property
    def frame_max(self) -> int:
        """Largest AMQP frame size to propose, an int between
        ``spec.FRAME_MIN_SIZE`` and ``spec.FRAME_MAX_SIZE``."""
        return self._frame_max

    @frame_max.setter
    def frame_max(self, value: int) -> None:
        if not isinstance(value, numbers.Integral):
            raise TypeError(f'frame_max must be an int, but got {value!r}')
        if value < _spec.FRAME_MIN_SIZE:
            raise ValueError(f'Min AMQP 0.9.1 Frame Size is '
                             f'{_spec.FRAME_MIN_SIZE}, but got {value!r}')
        if value > _spec.FRAME_MAX_SIZE:
            raise ValueError(f'Max AMQP 0.9.1 Frame Size is '
                             f'{_spec.FRAME_MAX_SIZE}, but got {value!r}')
        self._frame_max = value

    @property
    def heartbeat(self) -> _Heartbeat:
        """Heartbeat timeout negotiation: an int >= 0 overrides the broker's
        proposal (0 turns heartbeats off), ``None`` accepts it, and a callable
        ``f(connection, broker_proposal)`` returns the value to use."""
        return self._heartbeat

    @heartbeat.setter
    def heartbeat(self, value: _Heartbeat) -> None:
        if value is not None:
            if callable(value):
                pass
            elif not isinstance(value, numbers.Integral):
                raise TypeError('heartbeat must be an int or a callable '
                                f'function, but got {value!r}')
            elif value < 0:
                raise ValueError(f'heartbeat must >= 0, but got {value!r}')
        self._heartbeat = value

    @property
    def host(self) -> str:
        """Broker host name or IP address."""
        return self._host

    @host.setter
    def host(self, value: str) -> None:
        validators.require_string(value, 'host')
        self._host = value

    @property
    def locale(self) -> str:
        """Locale sent to the broker, e.g. ``'en_US'``."""
        return self._locale

    @locale.setter
    def locale(self, value: str) -> None:
        validators.require_string(value, 'locale')
        self._locale = value

    @property
    def port(self) -> int:
        """Broker TCP port. The setter accepts anything ``int()`` converts."""
        return self._port

    @port.setter
    def port(self, value: int) -> None:
        try:
            port = int(value)
        except (TypeError, ValueError):
            port = None
        if port is None:
            raise TypeError(f'port must be an int, but got {value!r}')
        self._port = port

    @property
    def retry_delay(self) -> float:
        """Seconds to wait between connection attempts (a real number)."""
        return self._retry_delay

    @retry_delay.setter
    def retry_delay(self, value: float) -> None:
        if not isinstance(value, numbers.Real):
            raise TypeError(
                f'retry_delay must be a float or int, but got {value!r}')
        self._retry_delay = value

    @property
    def socket_timeout(self) -> Optional[float]:
        """Socket connect timeout in seconds (stored as float), ``None`` for
        no timeout. Must be > 0."""
        return self._socket_timeout

    @socket_timeout.setter
    def socket_timeout(self, value: Optional[float]) -> None:
        self._socket_timeout = self._positive_timeout('socket_timeout', value)

    @property
    def stack_timeout(self) -> Optional[float]:
        """Timeout in seconds for bringing up the whole TCP/[TLS]/AMQP stack
        (stored as float), ``None`` for no timeout. Must be > 0."""
        return self._stack_timeout

    @stack_timeout.setter
    def stack_timeout(self, value: Optional[float]) -> None:
        self._stack_timeout = self._positive_timeout('stack_timeout', value)

    @staticmethod
    def _positive_timeout(name: str, value: Any) -> Optional[float]:
        if value is None:
            return None
        if not isinstance(value, numbers.Real):
            raise TypeError(f'{name} must be a float or int, but got {value!r}')
        if value <= 0:
            raise ValueError(f'{name} must be > 0, but got {value!r}')
        return float(value)

    @property
    def ssl_options(self) -> Optional[SSLOptions]:
        """``None`` for plaintext, an ``SSLOptions`` for TLS."""
        return self._ssl_options

    @ssl_options.setter
    def ssl_options(self, value: Optional[SSLOptions]) -> None:
        if value is not None and not isinstance(value, SSLOptions):
            # Only the type: a dict of options may hold a key password.
            hint = (' (a dict of options needs the deprecated ssl=True '
                    'argument; prefer SSLOptions(ssl.SSLContext(...)))'
                    if isinstance(value, Mapping) else '')
            raise TypeError('ssl_options must be None or SSLOptions but got '
                            f'an instance of {type(value).__name__}{hint}')
        self._ssl_options = value

    @property
    def virtual_host(self) -> str:
        """RabbitMQ virtual host."""
        return self._virtual_host

    @virtual_host.setter
    def virtual_host(self, value: str) -> None:
        validators.require_string(value, 'virtual_host')
        self._virtual_host = value

    @property
    def tcp_options(self) -> Optional[Dict[str, int]]:
        """``None`` or a dict of socket options (``TCP_KEEPIDLE``,
        ``TCP_KEEPINTVL``, ``TCP_KEEPCNT``, ``TCP_USER_TIMEOUT``)."""
        return self._tcp_options

    @tcp_options.setter
    def tcp_options(self, value: Optional[Dict[str, int]]) -> None:
        if value is not None and not isinstance(value, dict):
            raise TypeError(
                f'tcp_options must be a dict or None, but got {value!r}')
        self._tcp_options = value


class ConnectionParameters(Parameters):
    """Parameters given as arguments. Arguments left out keep the class
    defaults; ``port`` defaults to ``DEFAULT_SSL_PORT`` when ``ssl_options``
    is set, else to ``DEFAULT_PORT``.

    Unknown keyword arguments raise ``TypeError``, after the known ones have
    been validated. The pika 0.x keywords ``heartbeat_interval``,
    ``backpressure_detection`` and ``ssl`` still work, with a
    ``DeprecationWarning`` (see the module documentation).
    """

    __slots__ = ()

    class _DEFAULT:
        """Marks an argument that was not given."""

    T = TypeVar('T')
    DefaultT = Union[T, Type[_DEFAULT]]

    def __init__(self,
                 host: DefaultT[str] = _DEFAULT,
                 port: DefaultT[int] = _DEFAULT,
                 virtual_host: DefaultT[str] = _DEFAULT,
                 credentials: DefaultT[Union[_credentials.PlainCredentials,
                                             _credentials.ExternalCredentials]] = _DEFAULT,
                 channel_max: DefaultT[int] = _DEFAULT,
                 frame_max: DefaultT[int] = _DEFAULT,
                 heartbeat: DefaultT[Optional[Union[int, Callable[[Any, float], int]]]] = _DEFAULT,
                 ssl_options: DefaultT[Optional[SSLOptions]] = _DEFAULT,
                 connection_attempts: DefaultT[int] = _DEFAULT,
                 retry_delay: DefaultT[float] = _DEFAULT,
                 socket_timeout: DefaultT[Optional[float]] = _DEFAULT,
                 stack_timeout: DefaultT[Optional[float]] = _DEFAULT,
                 locale: DefaultT[str] = _DEFAULT,
                 blocked_connection_timeout: DefaultT[Optional[float]] = _DEFAULT,
                 client_properties: DefaultT[Optional[Dict[str, Any]]] = _DEFAULT,
                 tcp_options: DefaultT[Optional[Dict[str, Any]]] = _DEFAULT,
                 **kwargs: Any) -> None:
        """
        :param str host: broker host name or IP address.
        :param int port: broker TCP port.
        :param str virtual_host: RabbitMQ virtual host.
        :param credentials: a ``PlainCredentials`` or
            ``ExternalCredentials``.
        :param int channel_max: highest channel number, 1..65535.
        :param int frame_max: largest frame size, 4096..131072.
        :param heartbeat: int >= 0 to override the broker's heartbeat
            timeout (0: off), ``None`` to accept it, or a callable
            ``f(connection, broker_value) -> int``.
        :param ssl_options: ``None`` for plaintext or an ``SSLOptions``.
        :param int connection_attempts: connection attempts, >= 1.
        :param retry_delay: seconds between connection attempts.
        :param socket_timeout: socket connect timeout, > 0, or ``None``.
        :param stack_timeout: whole TCP/[TLS]/AMQP bring-up timeout, > 0, or
            ``None``.
        :param str locale: locale sent to the broker.
        :param blocked_connection_timeout: seconds the broker may keep the
            connection blocked before it is torn down, or ``None``.
        :param client_properties: ``None`` or a dict overriding client
            properties.
        :param tcp_options: ``None`` or a dict of TCP socket options.
        """
        super().__init__()
        unset = ConnectionParameters._DEFAULT

        legacy_heartbeat = kwargs.pop('heartbeat_interval', unset)
        legacy_ssl = kwargs.pop('ssl', unset)
        if 'backpressure_detection' in kwargs:
            del kwargs['backpressure_detection']
            warnings.warn(
                "ConnectionParameters(backpressure_detection=...) is "
                f"deprecated ({_LEGACY}) and has no effect; remove it",
                DeprecationWarning,
                stacklevel=2)
        if legacy_heartbeat is not unset:
            _deprecated('ConnectionParameters(heartbeat_interval=...)',
                        'heartbeat=...', 2)
            if heartbeat is not unset:
                raise TypeError('heartbeat and heartbeat_interval (its '
                                'deprecated name) were both given')
            heartbeat = legacy_heartbeat
        if legacy_ssl is not unset:
            _deprecated(
                'ConnectionParameters(ssl=..., ssl_options=<dict>)',
                'ssl_options=pika_fast.SSLOptions(<ssl.SSLContext>) (or '
                'ssl_options=None for plaintext)', 2)

        # Same order as pika, so the first bad value reported is the same. The
        # property setters validate; setattr because the arguments' static types
        # still include the "not given" marker.
        for name, value in (
                ('blocked_connection_timeout', blocked_connection_timeout),
                ('channel_max', channel_max), ('client_properties', client_properties),
                ('connection_attempts', connection_attempts),
                ('credentials', credentials), ('frame_max', frame_max),
                ('heartbeat', heartbeat), ('host', host), ('locale', locale),
                ('retry_delay', retry_delay), ('socket_timeout', socket_timeout),
                ('stack_timeout', stack_timeout)):
            if value is not unset:
                setattr(self, name, value)
        if legacy_ssl is not unset:
            ssl_options = self._legacy_ssl_options(bool(legacy_ssl),
                                                   ssl_options, unset)
        if ssl_options is not unset:
            self.ssl_options = cast(Optional[SSLOptions], ssl_options)
        # The default port depends on whether TLS is on.
        if port is not unset:
            self.port = cast(int, port)
        else:
            self.port = self.DEFAULT_SSL_PORT if self.ssl_options else self.DEFAULT_PORT
        for name, value in (('virtual_host', virtual_host), ('tcp_options', tcp_options)):
            if value is not unset:
                setattr(self, name, value)

        if kwargs:
            # Names only: a stray password=... must not end up in a log.
            raise TypeError(
                f'unexpected kwargs: {", ".join(map(repr, sorted(kwargs)))}')

    @staticmethod
    def _legacy_ssl_options(enabled: bool, ssl_options: Any,
                            unset: Any) -> Any:
        """Map 0.x ``ssl=...`` (+ ``ssl_options`` dict) to 1.x
        ``ssl_options``."""
        if isinstance(ssl_options, Mapping):
            if not enabled:
                return None  # 0.x ignored ssl_options when ssl was off
            return ssl_options_from_dict(ssl_options, stacklevel=3)
        if ssl_options is unset or ssl_options is None:
            if enabled:
                return SSLOptions(context=ssl.create_default_context())
            return ssl_options
        if isinstance(ssl_options, SSLOptions) and not enabled:
            raise ValueError('ssl=False contradicts ssl_options=SSLOptions(...);'
                             ' drop the deprecated ssl argument')
        return ssl_options  # validated (or rejected) by the setter


class URLParameters(Parameters):
    """Parameters from an AMQP URL::

        amqp://username:password@host:port/<virtual_host>[?query-string]

    ``amqps://`` turns TLS on (``ssl.create_default_context()``) and makes
    5671 the default port (5672 for ``amqp://``). The virtual host is
    percent-decoded, so the default ``/`` is written ``%2F``; an empty path
    keeps the default and ``amqp://host//`` gives the empty virtual host.

    Query keys (each at most once): ``blocked_connection_timeout``,
    ``channel_max``, ``client_properties`` (a Python dict literal),
    ``connection_attempts``, ``frame_max``, ``heartbeat``, ``locale``,
    ``retry_delay``, ``socket_timeout``, ``stack_timeout``, ``ssl_options``
    (``None`` or a Python dict literal, see :func:`ssl_options_from_dict`),
    ``tcp_options`` (a Python dict literal). Literals are read with
    ``ast.literal_eval``, never ``eval``. Deprecated 0.x keys:
    ``heartbeat_interval``, ``backpressure_detection``.

    A subclass can support another key ``foo`` by defining
    ``_set_url_foo(self, value)``.
    """

    __slots__ = ('_all_url_query_values',)

    _SETTER_PREFIX = '_set_url_'

    def __init__(self, url: str) -> None:
        """
        :param str url: the AMQP URL.
        :raises ValueError: bad scheme, port, query key or value.
        :raises TypeError: a value of the wrong type, or a user name without
            a password.
        """
        super().__init__()
        self._all_url_query_values: Optional[Dict[str, Any]] = None

        if not isinstance(url, str):
            if isinstance(url, (bytes, bytearray)):
                raise ValueError('URL must be a str, not bytes')
            raise TypeError(f'URL must be a str, but got {type(url).__name__}')

        # Parse amqp[s] as http[s] (pika does the same), so that netloc,
        # ;params and the rest are split exactly as pika splits them.
        renamed = url[:4].lower() == 'amqp'
        if renamed:
            url = 'http' + url[4:]
        parts = urlparse(url)

        scheme = parts.scheme
        if scheme == 'https':
            self.ssl_options = SSLOptions(context=ssl.create_default_context())
        elif scheme == 'http':
            self.ssl_options = None
        elif scheme:
            shown = 'amqp' + scheme[4:] if renamed else scheme
            raise ValueError(f'Unexpected URL scheme {shown!r}; supported '
                             'scheme values: amqp, amqps')

        if parts.hostname is not None:
            self.host = parts.hostname

        port_problem = None
        try:
            port = parts.port
        except ValueError as exc:
            port = None
            # Python's message quotes the port text, which is a piece of the
            # password when a '/', '?' or '#' in it was not percent-encoded.
            port_problem = ('Port out of range 0-65535' if 'range' in str(exc)
                            else 'URL port is not an integer (percent-encode '
                            "any '/', '?', '#' or '@' in the user name and "
                            'password)')
        if port_problem is not None:
            raise ValueError(port_problem)
        if port is not None:
            self.port = port
        else:
            self.port = (self.DEFAULT_SSL_PORT
                         if self.ssl_options else self.DEFAULT_PORT)

        if parts.username is not None:
            if parts.password is None:
                raise TypeError('URL has a user name but no password; use '
                                'amqp://username:password@host/')
            self.credentials = _credentials.PlainCredentials(
                unquote(parts.username), unquote(parts.password))

        if len(parts.path) > 1:
            self.virtual_host = unquote(parts.path.split('/')[1])

        query = parse_qs(parts.query)
        self._all_url_query_values = query
        if 'heartbeat' in query and 'heartbeat_interval' in query:
            raise ValueError('URL parameters heartbeat and heartbeat_interval '
                             '(its deprecated name) were both given')
        for name, values in query.items():
            setter = getattr(self, self._SETTER_PREFIX + name, None)
            if setter is None:
                raise ValueError(f'Unknown URL parameter: {name!r}')
            if len(values) != 1:
                # ssl_options values may hold a key password: not shown.
                shown = '' if name == 'ssl_options' else f': {values}'
                raise ValueError(
                    f'Expected exactly one value for URL parameter {name}, '
                    f'but got {len(values)} values{shown}')
            setter(values[0])

    # --- query setters: each gets the (percent-decoded) string value ---

    @staticmethod
    def _convert(name: str, value: str, kind: Callable[[str], Any]) -> Any:
        try:
            return kind(value)
        except ValueError as exc:
            problem = f'Invalid {name} value {value!r}: {exc!r}'
        raise ValueError(problem)

    def _set_url_blocked_connection_timeout(self, value: str) -> None:
        self.blocked_connection_timeout = self._convert(
            'blocked_connection_timeout', value, float)

    def _set_url_channel_max(self, value: str) -> None:
        self.channel_max = self._convert('channel_max', value, int)

    def _set_url_client_properties(self, value: str) -> None:
        self.client_properties = ast.literal_eval(value)

    def _set_url_connection_attempts(self, value: str) -> None:
        self.connection_attempts = self._convert('connection_attempts', value,
                                                 int)

    def _set_url_frame_max(self, value: str) -> None:
        self.frame_max = self._convert('frame_max', value, int)

    def _set_url_heartbeat(self, value: str) -> None:
        self.heartbeat = self._convert('heartbeat', value, int)

    def _set_url_heartbeat_interval(self, value: str) -> None:
        _deprecated("URL parameter 'heartbeat_interval'", "'heartbeat'", 3)
        self.heartbeat = self._convert('heartbeat_interval', value, int)

    def _set_url_backpressure_detection(self, value: str) -> None:
        del value
        warnings.warn(
            f"URL parameter 'backpressure_detection' is deprecated "
            f"({_LEGACY}) and has no effect; remove it",
            DeprecationWarning,
            stacklevel=3)

    def _set_url_locale(self, value: str) -> None:
        self.locale = value

    def _set_url_retry_delay(self, value: str) -> None:
        self.retry_delay = self._convert('retry_delay', value, float)

    def _set_url_socket_timeout(self, value: str) -> None:
        self.socket_timeout = self._convert('socket_timeout', value, float)

    def _set_url_stack_timeout(self, value: str) -> None:
        self.stack_timeout = self._convert('stack_timeout', value, float)

    def _set_url_ssl_options(self, value: str) -> None:
        try:
            opts = ast.literal_eval(value)
        except SyntaxError as exc:
            # The SyntaxError would carry the source text, which may include
            # a key password: report only what is wrong.
            problem: Optional[str] = (
                f'ssl_options URL value is not a Python literal: {exc.msg}')
        else:
            problem = None
        if problem is not None:
            raise SyntaxError(problem)
        if opts is None:
            if self.ssl_options is not None:
                raise ValueError('Specified ssl_options=None URI arg is '
                                 'inconsistent with the specified amqps URI '
                                 'scheme.')
            return
        self.ssl_options = ssl_options_from_dict(opts, stacklevel=3)

    def _set_url_tcp_options(self, value: str) -> None:
        self.tcp_options = ast.literal_eval(value)
