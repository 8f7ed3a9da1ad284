"""pika_fast._parameters and pika_fast.validators against pika 1.4.4.

Where pika_fast deliberately differs (see the _parameters module docstring),
the test says so and checks the pika_fast behaviour on its own.
"""

import ast
import copy
import inspect
import math
import os
import pickle
import shutil
import socket
import ssl
import subprocess
import threading
import traceback
import warnings
from decimal import Decimal
from fractions import Fraction
from urllib.parse import quote

import pika
import pika.connection
import pika.credentials
import pika.validators
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pika_fast._parameters as fast
import pika_fast.credentials as fast_credentials
import pika_fast.validators as fast_validators

SECRET = 'S3cr3tPw'

PLAIN_ATTRS = [
    'blocked_connection_timeout', 'channel_max', 'client_properties',
    'connection_attempts', 'frame_max', 'heartbeat', 'host', 'locale', 'port',
    'retry_delay', 'socket_timeout', 'stack_timeout', 'virtual_host',
    'tcp_options'
]


def _callback(_connection, proposed):
    return proposed


def snapshot(params):
    """Everything observable about a parameters object, comparable across
    pika and pika_fast."""
    state = {name: getattr(params, name) for name in PLAIN_ATTRS}
    for name in ('socket_timeout', 'stack_timeout', 'retry_delay',
                 'blocked_connection_timeout'):
        value = state[name]
        if isinstance(value, float) and math.isnan(value):
            state[name] = 'nan'
        state[name + '/type'] = type(value).__name__
    creds = params.credentials
    state['credentials'] = (type(creds).__name__,
                            getattr(creds, 'username', None),
                            getattr(creds, 'password', None),
                            creds.erase_on_connect)
    opts = params.ssl_options
    state['ssl'] = None if opts is None else (
        opts.server_hostname, opts.context.verify_mode,
        opts.context.check_hostname, opts.context.protocol)
    state['repr'] = repr(params)
    state['str'] = str(params)
    return state


def outcome(make):
    """('ok', snapshot) or ('raise', exception)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', DeprecationWarning)
            return ('ok', snapshot(make()))
    except Exception as exc:  # pylint: disable=broad-except
        return ('raise', exc)


def assert_same(pika_result, fast_result):
    """pika_fast matches pika: same state, or an exception that is an
    instance of the type pika raised."""
    if pika_result[0] == 'raise':
        assert fast_result[0] == 'raise', (pika_result, fast_result)
        assert isinstance(fast_result[1], type(pika_result[1])), (
            pika_result[1], fast_result[1])
    else:
        assert fast_result == pika_result


def exception_texts(exc):
    """All text an exception (and its chain) shows in a traceback."""
    texts = []
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        texts.append(''.join(traceback.format_exception_only(type(exc), exc)))
        texts.append(repr(exc))
        texts.append(repr(exc.args))
        exc = exc.__cause__ or exc.__context__
    return '\n'.join(texts)


# --- fixtures -------------------------------------------------------------------


@pytest.fixture(scope='session')
def certs(tmp_path_factory):
    """Self-signed CN=localhost certificate (also its own CA), its key, and
    the same key encrypted with a passphrase."""
    if shutil.which('openssl') is None:
        pytest.skip('openssl command not available')
    base = tmp_path_factory.mktemp('certs')
    cert, key, enc_key = (base / 'cert.pem', base / 'key.pem',
                          base / 'key_enc.pem')
    subprocess.run([
        'openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt',
        'ec_paramgen_curve:prime256v1', '-nodes', '-keyout',
        str(key), '-out',
        str(cert), '-subj', '/CN=localhost', '-addext',
        'subjectAltName=DNS:localhost', '-days', '2'
    ],
                   check=True,
                   capture_output=True)
    subprocess.run([
        'openssl', 'pkey', '-in',
        str(key), '-aes256', '-passout', 'pass:' + SECRET, '-out',
        str(enc_key)
    ],
                   check=True,
                   capture_output=True)
    return {'cert': str(cert), 'key': str(key), 'enc_key': str(enc_key)}


def ssl_query(opts):
    return quote(repr(opts), safe='')


def handshake(client_ctx, server_hostname, certs, require_client_cert):
    """TLS handshake over a socketpair against a server using ``certs``.

    :returns: (client error or None, client certificate seen by the server)
    """
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(certs['cert'], certs['key'])
    if require_client_cert:
        server_ctx.verify_mode = ssl.CERT_REQUIRED
        server_ctx.load_verify_locations(certs['cert'])
    client_sock, server_sock = socket.socketpair()
    client_sock.settimeout(10)
    server_sock.settimeout(10)
    seen = {}

    def serve():
        try:
            with server_ctx.wrap_socket(server_sock, server_side=True) as conn:
                seen['peer'] = conn.getpeercert()
                conn.sendall(b'ok')
        except (OSError, ssl.SSLError) as exc:
            seen['error'] = exc

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    error = None
    try:
        with client_ctx.wrap_socket(client_sock,
                                    server_hostname=server_hostname) as conn:
            assert conn.recv(2) == b'ok'
    except (OSError, ssl.SSLError, AssertionError) as exc:
        error = exc
    finally:
        client_sock.close()
        thread.join(10)
        server_sock.close()
    return error, seen.get('peer')


# --- module surface -------------------------------------------------------------


def test_standalone_import():
    """_parameters imports neither pika_fast.connection nor pika."""
    tree = ast.parse(inspect.getsource(fast))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module)
            imported.update(f'{node.module}.{alias.name}'
                            for alias in node.names)
    assert not {m for m in imported if m == 'pika' or m.startswith('pika.')}
    assert 'pika_fast.connection' not in imported
    assert {'pika_fast.credentials', 'pika_fast.spec'} <= imported


@pytest.mark.parametrize('name', [
    'Parameters', 'ConnectionParameters', 'URLParameters', 'SSLOptions'
])
def test_slots_match(name):
    assert (getattr(fast, name).__slots__ == getattr(pika.connection,
                                                     name).__slots__)


def test_default_constants_match():
    names = [
        n for n in vars(pika.connection.Parameters) if n.startswith('DEFAULT_')
    ]
    assert len(names) == 20
    for name in names:
        ours = getattr(fast.Parameters, name)
        theirs = getattr(pika.connection.Parameters, name)
        if name == 'DEFAULT_CREDENTIALS':
            assert isinstance(ours, fast_credentials.PlainCredentials)
            assert (ours.username, ours.password) == (theirs.username,
                                                      theirs.password)
        else:
            assert ours == theirs and type(ours) is type(theirs), name


def test_connection_parameters_signature_matches():

    def shape(func):
        return [(p.name, p.kind, p.default is not inspect.Parameter.empty)
                for p in inspect.signature(func).parameters.values()]

    assert shape(fast.ConnectionParameters.__init__) == shape(
        pika.connection.ConnectionParameters.__init__)
    assert shape(fast.SSLOptions.__init__) == shape(
        pika.connection.SSLOptions.__init__)
    assert shape(fast.URLParameters.__init__) == shape(
        pika.connection.URLParameters.__init__)


def test_url_setters_cover_pika():
    prefix = pika.connection.URLParameters._SETTER_PREFIX
    assert fast.URLParameters._SETTER_PREFIX == prefix
    theirs = {n for n in dir(pika.connection.URLParameters) if n.startswith(prefix)}
    ours = {n for n in dir(fast.URLParameters) if n.startswith(prefix)}
    assert theirs <= ours
    assert ours - theirs == {
        prefix + 'heartbeat_interval', prefix + 'backpressure_detection'
    }


@pytest.mark.parametrize('make', [
    lambda m: m.Parameters(),
    lambda m: m.ConnectionParameters(),
    lambda m: m.URLParameters(''),
    lambda m: m.URLParameters('amqp://'),
],
                         ids=['Parameters', 'ConnectionParameters', 'URL-empty',
                              'URL-bare'])
def test_defaults_match(make):
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        assert snapshot(make(fast)) == snapshot(make(pika.connection))


def test_no_attribute_outside_slots():
    for params in (fast.ConnectionParameters(), fast.URLParameters('')):
        with pytest.raises(AttributeError):
            params.hostname = 'x'


def test_subclass_defaults_are_used_and_validated():

    class Mine(fast.ConnectionParameters):
        __slots__ = ()
        DEFAULT_HOST = 'rabbit'
        DEFAULT_HEARTBEAT_TIMEOUT = 30

    class Broken(fast.ConnectionParameters):
        __slots__ = ()
        DEFAULT_CHANNEL_MAX = 0

    assert (Mine().host, Mine().heartbeat) == ('rabbit', 30)
    with pytest.raises(ValueError):
        Broken()


# --- setters ------------------------------------------------------------------

POOL = [
    None, True, False, 0, 1, -1, 2, 5, 30, 1000, 4095, 4096, 131072, 131073,
    65535, 65536, 2**70, 0.0, 0.5, 1.5, -0.5, 2.0,
    float('nan'),
    float('inf'),
    float('-inf'),
    Fraction(1, 2),
    Decimal('1.5'),
    complex(1, 0), '', 'x', '5672', ' 12 ', '1.5', 'en_GB', 'vhost/1', b'7',
    bytearray(b'8'), [], (), {}, {
        'a': 1
    }, {
        'TCP_KEEPIDLE': 60
    },
    object(), _callback, len
]


@pytest.mark.parametrize('attr', PLAIN_ATTRS)
@pytest.mark.parametrize('value', POOL, ids=repr)
def test_setter_matches_pika(attr, value):

    def via_setter(module):

        def make():
            params = module.ConnectionParameters()
            setattr(params, attr, value)
            return params

        return make

    assert_same(outcome(via_setter(pika.connection)),
                outcome(via_setter(fast)))


@pytest.mark.parametrize('attr', PLAIN_ATTRS)
@pytest.mark.parametrize('value', POOL, ids=repr)
def test_constructor_argument_matches_pika(attr, value):
    assert_same(
        outcome(lambda: pika.connection.ConnectionParameters(**{attr: value})),
        outcome(lambda: fast.ConnectionParameters(**{attr: value})))


VALUES = st.one_of(st.none(), st.booleans(), st.integers(),
                   st.floats(allow_nan=False), st.fractions(),
                   st.decimals(allow_nan=False), st.text(max_size=6),
                   st.binary(max_size=3),
                   st.dictionaries(st.text(max_size=3), st.integers(),
                                   max_size=2),
                   st.lists(st.integers(), max_size=2))


@settings(max_examples=300, deadline=None)
@given(attr=st.sampled_from(PLAIN_ATTRS), value=VALUES)
def test_setter_matches_pika_property(attr, value):
    pika_params = pika.connection.ConnectionParameters()
    fast_params = fast.ConnectionParameters()

    def apply(params):
        def make():
            setattr(params, attr, value)
            return params

        return make

    assert_same(outcome(apply(pika_params)), outcome(apply(fast_params)))


@settings(max_examples=150, deadline=None)
@given(kwargs=st.dictionaries(st.sampled_from(PLAIN_ATTRS), VALUES,
                              max_size=4))
def test_several_bad_arguments_report_the_same_one(kwargs):
    """pika validates in a fixed order: the first complaint is the same."""
    theirs = outcome(lambda: pika.connection.ConnectionParameters(**kwargs))
    ours = outcome(lambda: fast.ConnectionParameters(**kwargs))
    assert_same(theirs, ours)
    if theirs[0] == 'raise':
        named = [a for a in PLAIN_ATTRS if a in str(theirs[1])]
        assert all(a in str(ours[1]) for a in named), (theirs, ours)


def test_messages_match_pika():
    for attr, value in [('channel_max', 0), ('channel_max', 'x'),
                        ('frame_max', 1), ('frame_max', 10**9),
                        ('frame_max', 1.0), ('heartbeat', -1),
                        ('heartbeat', 'x'), ('connection_attempts', 0),
                        ('connection_attempts', 'x'), ('socket_timeout', 0),
                        ('stack_timeout', 'x'), ('retry_delay', 'x'),
                        ('blocked_connection_timeout', -1), ('port', 'x'),
                        ('host', 5), ('locale', None), ('virtual_host', 1),
                        ('tcp_options', 1), ('client_properties', [])]:
        messages = []
        for module in (pika.connection, fast):
            params = module.ConnectionParameters()
            with pytest.raises((TypeError, ValueError)) as info:
                setattr(params, attr, value)
            messages.append(str(info.value))
        assert messages[0] == messages[1]


def test_setters_copy_mutable_values_like_pika():
    props = {'product': 'x', 'nested': {'a': 1}}
    tcp = {'TCP_KEEPIDLE': 1}
    creds = fast_credentials.PlainCredentials('u', 'p')
    params = fast.ConnectionParameters(client_properties=props,
                                       tcp_options=tcp,
                                       credentials=creds)
    props['nested']['a'] = 2
    creds.username = 'changed'
    assert params.client_properties == {'product': 'x', 'nested': {'a': 1}}
    assert params.credentials == fast_credentials.PlainCredentials('u', 'p')
    assert params.credentials is not creds
    # pika keeps tcp_options by reference
    assert params.tcp_options is tcp
    assert pika.connection.ConnectionParameters(
        tcp_options=tcp).tcp_options is tcp


def test_credentials_validation():
    params = fast.ConnectionParameters()
    params.credentials = fast_credentials.ExternalCredentials()
    assert isinstance(params.credentials, fast_credentials.ExternalCredentials)
    for bad in (None, ('guest', SECRET), {'password': SECRET}, 'guest'):
        with pytest.raises(TypeError) as info:
            params.credentials = bad
        assert SECRET not in exception_texts(info.value)
        with pytest.raises(TypeError):
            pika.connection.ConnectionParameters().credentials = bad
    # each library accepts only its own credential classes
    with pytest.raises(TypeError):
        params.credentials = pika.credentials.PlainCredentials('u', SECRET)
    with pytest.raises(TypeError):
        pika.connection.ConnectionParameters().credentials = (
            fast_credentials.PlainCredentials('u', SECRET))


def test_credentials_valid_types_extensible(monkeypatch):

    class Token:
        erase_on_connect = False

    monkeypatch.setattr(fast_credentials, 'VALID_TYPES',
                        fast_credentials.VALID_TYPES + [Token])
    assert isinstance(fast.ConnectionParameters(credentials=Token()).credentials,
                      Token)


def test_ssl_options_validation():
    context = ssl.create_default_context()
    opts = fast.SSLOptions(context, 'rabbit')
    params = fast.ConnectionParameters(ssl_options=opts)
    assert params.ssl_options is opts and params.port == 5671
    assert fast.ConnectionParameters(ssl_options=opts, port=1).port == 1
    assert fast.ConnectionParameters(ssl_options=None).port == 5672
    # ssl_options=True is not the old spelling (that is ssl=True): TypeError, as pika.
    for bad in ({'ca_certs': 'x'}, 'x', context, True, False, 1,
                pika.connection.SSLOptions(context)):
        with pytest.raises(TypeError):
            fast.ConnectionParameters(ssl_options=bad)
        if not isinstance(bad, pika.connection.SSLOptions):
            with pytest.raises(TypeError):
                pika.connection.ConnectionParameters(ssl_options=bad)
    with pytest.raises(TypeError):
        fast.SSLOptions('not a context')
    with pytest.raises(TypeError):
        pika.connection.SSLOptions('not a context')


def test_ssl_options_type_error_hides_dict():
    opts = {'certfile': 'c.pem', 'password': SECRET}
    with pytest.raises(TypeError, match='ssl=True') as info:
        fast.ConnectionParameters(ssl_options=opts)
    assert SECRET not in exception_texts(info.value)
    with pytest.raises(TypeError) as info:
        pika.connection.ConnectionParameters(ssl_options=opts)
    assert SECRET in str(info.value)  # what pika would log


def test_heartbeat_callable_kept():
    assert fast.ConnectionParameters(heartbeat=_callback).heartbeat is _callback
    params = fast.ConnectionParameters()
    params.heartbeat = len
    assert params.heartbeat is len


# --- ConnectionParameters constructor ---------------------------------------------


def test_positional_arguments_in_pika_order():
    args = ('rabbit', 1234, 'vh', None, 10, 8192, 7, None, 3, 1.0, 4, 5,
            'fr_FR', 6, {'a': 1}, {'TCP_KEEPCNT': 2})
    creds_index = 3
    theirs = list(args)
    ours = list(args)
    theirs[creds_index] = pika.credentials.PlainCredentials('u', 'p')
    ours[creds_index] = fast_credentials.PlainCredentials('u', 'p')
    assert snapshot(fast.ConnectionParameters(*ours)) == snapshot(
        pika.connection.ConnectionParameters(*theirs))


def test_default_sentinel():
    default = fast.ConnectionParameters._DEFAULT
    assert isinstance(default, type)
    params = fast.ConnectionParameters(host=default,
                                       port=default,
                                       heartbeat=default,
                                       ssl_options=default)
    assert snapshot(params) == snapshot(fast.ConnectionParameters())
    # None is a value, not "default"
    assert fast.ConnectionParameters(socket_timeout=None).socket_timeout is None


def test_unexpected_kwargs():
    for module in (pika.connection, fast):
        with pytest.raises(TypeError, match='unexpected kwargs'):
            module.ConnectionParameters(host='h', bogus=1)
        # validation of known arguments happens first
        with pytest.raises(ValueError):
            module.ConnectionParameters(channel_max=0, bogus=1)
    with pytest.raises(TypeError) as info:
        fast.ConnectionParameters(username='u', password=SECRET)
    assert 'password' in str(info.value)
    assert SECRET not in exception_texts(info.value)


# --- equality, hashing, copying -----------------------------------------------------


def test_equality_like_pika():
    for module in (pika.connection, fast):
        a = module.ConnectionParameters('h', 1, virtual_host='a', heartbeat=1)
        b = module.ConnectionParameters('h', 1, virtual_host='b', heartbeat=2)
        c = module.ConnectionParameters('h', 2)
        u = module.URLParameters('amqp://h:1/other')
        assert a == b and not a != b
        assert a != c and not a == c
        assert a == u
        assert a != 'h' and not a == 'h'
        assert a.__eq__('h') is NotImplemented
        assert a.__ne__('h') is NotImplemented
        with pytest.raises(TypeError):
            hash(a)
        with pytest.raises(TypeError):
            hash(u)


@pytest.mark.parametrize('copier', [copy.copy, copy.deepcopy])
def test_copy_like_pika(copier):
    for module in (pika.connection, fast):
        params = module.URLParameters(
            "amqp://u:p@h:99/vh?heartbeat=5&client_properties=%7B'a'%3A+%5B1%5D%7D"
            "&tcp_options=%7B'TCP_KEEPIDLE'%3A+1%7D")
        clone = copier(params)
        assert clone == params and clone is not params
        assert snapshot(clone) == snapshot(params)
        assert clone._all_url_query_values == params._all_url_query_values
        deep = copier is copy.deepcopy
        assert (clone.credentials is params.credentials) is not deep
        assert (clone.client_properties is params.client_properties) is not deep
        clone.host = 'other'
        assert params.host == 'h'


def test_deepcopy_with_ssl_options():
    """Deviation: pika cannot deepcopy parameters holding an SSLContext
    (TypeError); pika_fast copies SSLOptions and shares the context."""
    with pytest.raises(TypeError):
        copy.deepcopy(pika.connection.URLParameters('amqps://h/'))
    params = fast.URLParameters('amqps://u:p@h/')
    params.ssl_options.server_hostname = 'sni'
    clone = copy.deepcopy(params)
    assert clone.ssl_options is not params.ssl_options
    assert clone.ssl_options.context is params.ssl_options.context
    assert clone.ssl_options.server_hostname == 'sni'
    assert snapshot(clone) == snapshot(params)
    assert copy.copy(params).ssl_options is params.ssl_options


def test_pickle_like_pika():
    for module in (pika.connection, fast):
        params = module.ConnectionParameters('h', 7, heartbeat=3)
        clone = pickle.loads(pickle.dumps(params))
        assert snapshot(clone) == snapshot(params)


# --- URLParameters ---------------------------------------------------------------

URLS = [
    '',
    'amqp://',
    'amqp://h',
    'amqp://h/',
    'amqp://h//',
    'amqp://h/%2F',
    'amqp://h/%2f',
    'amqp://h/vh',
    'amqp://h/a/b',
    'amqp://h/a%2Fb',
    'amqp://h/v%20h',
    'amqp://h/vh;params',
    'amqp://h/vh#frag',
    'amqp://h:1234/vh',
    'amqp://h:0/',
    'amqps://h',
    'amqps://h/',
    'amqps://h:9999/%2F',
    'AMQP://H/',
    'AMQPS://Host.Example/',
    'Amqp://h/',
    'http://h/',
    'https://h/',
    'h/x',
    '//h:99/x',
    'amqp://[::1]:5/',
    'amqp://[fe80::1%25eth0]/',
    'amqp://127.0.0.1/',
    'amqp://u:p@h/',
    'amqp://:@h/',
    'amqp://u:@h/',
    'amqp://:p@h/',
    'amqp://us%40er:p%40ss%2Fw%3Ard@h/',
    'amqp://u:p:q@h/',
    'amqp://user:pass@host:5672/%2F?heartbeat=30',
    'amqp://h/?heartbeat=0',
    'amqp://h/?heartbeat=-1',
    'amqp://h/?heartbeat=1.5',
    'amqp://h/?heartbeat=abc',
    'amqp://h/?heartbeat=',
    'amqp://h/?heartbeat',
    'amqp://h/?heartbeat=3&heartbeat=4',
    'amqp://h/?channel_max=1',
    'amqp://h/?channel_max=0',
    'amqp://h/?channel_max=65536',
    'amqp://h/?channel_max=x',
    'amqp://h/?frame_max=4096',
    'amqp://h/?frame_max=4095',
    'amqp://h/?frame_max=131073',
    'amqp://h/?frame_max=8k',
    'amqp://h/?connection_attempts=3',
    'amqp://h/?connection_attempts=0',
    'amqp://h/?connection_attempts=1.0',
    'amqp://h/?retry_delay=0.5',
    'amqp://h/?retry_delay=-3',
    'amqp://h/?retry_delay=soon',
    'amqp://h/?socket_timeout=2',
    'amqp://h/?socket_timeout=0',
    'amqp://h/?socket_timeout=nan',
    'amqp://h/?socket_timeout=inf',
    'amqp://h/?socket_timeout=x',
    'amqp://h/?stack_timeout=2.5',
    'amqp://h/?stack_timeout=-1',
    'amqp://h/?stack_timeout=x',
    'amqp://h/?blocked_connection_timeout=0',
    'amqp://h/?blocked_connection_timeout=10.5',
    'amqp://h/?blocked_connection_timeout=-1',
    'amqp://h/?blocked_connection_timeout=x',
    'amqp://h/?locale=de_DE',
    'amqp://h/?locale=',
    'amqp://h/?client_properties=%7B%27connection_name%27%3A+%27c%27%7D',
    'amqp://h/?client_properties=None',
    'amqp://h/?client_properties=%5B1%5D',
    'amqp://h/?client_properties=%7B',
    'amqp://h/?client_properties=foo',
    'amqp://h/?tcp_options=%7B%27TCP_KEEPIDLE%27%3A+60%7D',
    'amqp://h/?tcp_options=None',
    'amqp://h/?tcp_options=5',
    'amqp://h/?tcp_options=x',
    'amqp://h/?ssl_options=None',
    'amqps://h/?ssl_options=None',
    'amqp://h/?ssl_options=5',
    'amqp://h/?ssl_options=%7B',
    'amqp://h/?ssl_options=x%28%29',
    'amqp://h/?unknown=1',
    'amqp://h/?heartbeat=1&locale=x&frame_max=5000&channel_max=7'
    '&connection_attempts=2&retry_delay=1&socket_timeout=3&stack_timeout=4'
    '&blocked_connection_timeout=5',
    'amqp://h/?heartbeat=1;locale=x',
    'amqp://h/?a%3Db=1',
    'ftp://h/',
    'amqpx://h/',
    'amqp+ssl://h/',
    'amqp://h:99999/',
    'amqp://h:-1/',
    'amqp://h:abc/',
    'amqp://u:pa/ss@h/',
    'amqp://[::1/',
    'amqp://u@h/',
]


@pytest.mark.parametrize('url', URLS)
def test_url_matches_pika(url):
    theirs = outcome(lambda: pika.connection.URLParameters(url))
    ours = outcome(lambda: fast.URLParameters(url))
    assert_same(theirs, ours)


@pytest.mark.parametrize('url', [u for u in URLS if 'ssl_options' not in u])
def test_url_query_values_kept_like_pika(url):
    try:
        theirs = pika.connection.URLParameters(url)
    except Exception:  # pylint: disable=broad-except
        return  # rejected by both: test_url_matches_pika
    assert (fast.URLParameters(url)._all_url_query_values ==
            theirs._all_url_query_values)


@settings(max_examples=300, deadline=None)
@given(url=st.one_of(
    st.text(max_size=30),
    st.builds(lambda scheme, rest: scheme + rest,
              st.sampled_from(['amqp://', 'amqps://', 'AMQP://', '']),
              st.text(alphabet='ab:@/%2F?=&;#[]0159', max_size=25))))
def test_url_property_matches_pika(url):
    assert_same(outcome(lambda: pika.connection.URLParameters(url)),
                outcome(lambda: fast.URLParameters(url)))


def test_url_non_str():
    with pytest.raises(TypeError):
        fast.URLParameters(None)
    with pytest.raises(TypeError):
        pika.connection.URLParameters(None)
    with pytest.raises(ValueError):
        fast.URLParameters(b'amqp://h/')
    with pytest.raises(ValueError):
        pika.connection.URLParameters(b'amqp://h/')


def test_url_scheme_message_names_the_given_scheme():
    """Deviation (message only): pika says 'httpx' for amqpx://."""
    with pytest.raises(ValueError, match="'amqpx'"):
        fast.URLParameters('amqpx://h/')
    with pytest.raises(ValueError, match="'ftp'"):
        fast.URLParameters('ftp://h/')


def test_url_user_without_password():
    """pika fails with an accidental TypeError; pika_fast says why."""
    with pytest.raises(TypeError):
        pika.connection.URLParameters('amqp://u@h/')
    with pytest.raises(TypeError, match='no password'):
        fast.URLParameters('amqp://u@h/')


def test_url_subclass_can_add_query_keys():

    class Mine(fast.URLParameters):
        __slots__ = ('extra',)

        def _set_url_extra(self, value):
            self.extra = value

    assert Mine('amqp://h/?extra=yes').extra == 'yes'


def test_url_ssl_options_dict_not_a_dict():
    """pika fails with AttributeError or TypeError depending on the literal;
    pika_fast always raises TypeError."""
    for literal in ('5', "'abc'", '[1]', '(1,)'):
        with pytest.raises(TypeError):
            fast.URLParameters('amqp://h/?ssl_options=' + quote(literal))
        with pytest.raises((TypeError, AttributeError)):
            pika.connection.URLParameters('amqp://h/?ssl_options=' +
                                          quote(literal))


# --- URL ssl_options with real files --------------------------------------------


def ssl_urls(certs):
    cert, key, enc = certs['cert'], certs['key'], certs['enc_key']
    with open(cert, encoding='ascii') as pem:
        ca_data = pem.read()
    return [
        {'ca_certs': cert},
        {'cafile': cert},
        {'ca_certs': cert, 'certfile': cert, 'keyfile': key},
        {'ca_certs': cert, 'certfile': cert, 'keyfile': key,
         'server_hostname': 'rabbit'},
        {'ca_certs': cert, 'certfile': cert, 'keyfile': enc,
         'password': SECRET},
        {'ca_certs': cert, 'ciphers': 'ECDHE+AESGCM'},
        {'ca_certs': cert, 'protocol': int(ssl.PROTOCOL_TLS_CLIENT)},
        {'capath': os.path.dirname(cert)},
        {'ca_data': ca_data},
        {'ca_certs': cert, 'keyfile': key},  # keyfile alone: ignored
        {'ca_certs': cert, 'unknown_key': 1},
    ]


@pytest.mark.parametrize('scheme', ['amqp', 'amqps'])
def test_url_ssl_options_match_pika(certs, scheme):
    for opts in ssl_urls(certs):
        url = f'{scheme}://u:p@h/%2F?ssl_options={ssl_query(opts)}'
        theirs = outcome(lambda: pika.connection.URLParameters(url))
        ours = outcome(lambda: fast.URLParameters(url))
        assert theirs[0] == 'ok', (opts, theirs)
        assert_same(theirs, ours)


def test_url_ssl_options_errors_match_pika(certs):
    for opts in [{'ca_certs': certs['cert'], 'certfile': certs['key']},
                 {'ca_certs': certs['key']},
                 {'ca_certs': certs['cert'], 'ciphers': 'NOPE'},
                 {'ca_certs': certs['cert'], 'certfile': certs['cert'],
                  'keyfile': certs['enc_key'], 'password': 'wrong'},
                 {'ca_certs': '/nonexistent/ca.pem'},
                 {'ca_certs': certs['cert'], 'certfile': '/nonexistent/c.pem'}]:
        url = f'amqp://h/?ssl_options={ssl_query(opts)}'
        theirs = outcome(lambda: pika.connection.URLParameters(url))
        ours = outcome(lambda: fast.URLParameters(url))
        assert theirs[0] == 'raise'
        assert_same(theirs, ours)


def test_url_ssl_options_context_works(certs):
    opts = {'ca_certs': certs['cert'], 'certfile': certs['cert'],
            'keyfile': certs['key'], 'server_hostname': 'localhost'}
    params = fast.URLParameters(f'amqps://h/?ssl_options={ssl_query(opts)}')
    error, peer = handshake(params.ssl_options.context,
                            params.ssl_options.server_hostname, certs, True)
    assert error is None
    assert peer and ('commonName', 'localhost') in peer['subject'][0]


def test_url_ssl_options_without_ca_uses_system_cas():
    """Deviation: pika raises TypeError('cafile, capath and cadata cannot be
    all omitted'); pika_fast loads the default CAs."""
    url = "amqp://h/?ssl_options=" + ssl_query({'server_hostname': 'sni'})
    with pytest.raises(TypeError):
        pika.connection.URLParameters(url)
    params = fast.URLParameters(url)
    context = params.ssl_options.context
    assert params.ssl_options.server_hostname == 'sni'
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert (context.cert_store_stats()['x509_ca'] ==
            ssl.create_default_context().cert_store_stats()['x509_ca'])


BRIEF_URL = ('amqp://www-data:rabbit_pwd@rabbit1/web_messages?'
             'heartbeat_interval=30&ssl_options=%7B%27keyfile%27%3A+%27%2Fetc'
             '%2Fssl%2Fmykey.pem%27%2C+%27certfile%27%3A+%27%2Fetc%2Fssl%2F'
             'mycert.pem%27%7D')


def test_missing_certificate_file_is_named():
    """The context is built eagerly, when the parameters are made; an
    unreadable file raises SSLOptionsFileError naming it, which is a
    ValueError and still the FileNotFoundError pika raises."""
    with pytest.warns(DeprecationWarning, match="'heartbeat'"):
        with pytest.raises(fast.SSLOptionsFileError) as info:
            fast.URLParameters(BRIEF_URL)
    err = info.value
    assert isinstance(err, ValueError) and isinstance(err, FileNotFoundError)
    assert err.filename == '/etc/ssl/mycert.pem' and err.option == 'certfile'
    assert '/etc/ssl/mycert.pem' in str(err) and 'certfile' in str(err)
    assert 'rabbit_pwd' not in exception_texts(err)
    assert err.__context__ is None

    with pytest.raises(FileNotFoundError):
        pika.connection.URLParameters(
            'amqp://h/?ssl_options=' +
            ssl_query({'ca_certs': '/nonexistent/ca.pem'}))
    with pytest.raises(fast.SSLOptionsFileError, match='ca_certs') as info:
        fast.URLParameters('amqp://h/?ssl_options=' +
                           ssl_query({'ca_certs': '/nonexistent/ca.pem'}))
    assert info.value.filename == '/nonexistent/ca.pem'


def test_missing_key_file_is_named(certs):
    opts = {'ca_certs': certs['cert'], 'certfile': certs['cert'],
            'keyfile': '/nonexistent/key.pem'}
    with pytest.raises(fast.SSLOptionsFileError) as info:
        fast.URLParameters('amqp://h/?ssl_options=' + ssl_query(opts))
    assert info.value.option == 'keyfile'
    assert info.value.filename == '/nonexistent/key.pem'


def test_directory_as_certificate(tmp_path, certs):
    opts = {'ca_certs': certs['cert'], 'certfile': str(tmp_path)}
    theirs = outcome(lambda: pika.connection.URLParameters(
        'amqp://h/?ssl_options=' + ssl_query(opts)))
    with pytest.raises(fast.SSLOptionsFileError) as info:
        fast.URLParameters('amqp://h/?ssl_options=' + ssl_query(opts))
    assert isinstance(info.value, type(theirs[1]))
    assert isinstance(info.value, ValueError)


def test_brief_url_with_existing_files(certs):
    url = BRIEF_URL.replace('%2Fetc%2Fssl%2Fmykey.pem', quote(
        certs['key'], safe='')).replace('%2Fetc%2Fssl%2Fmycert.pem',
                                        quote(certs['cert'], safe=''))
    with pytest.warns(DeprecationWarning, match="'heartbeat'"):
        params = fast.URLParameters(url)
    assert params.heartbeat == 30
    assert (params.host, params.port, params.virtual_host) == ('rabbit1', 5672,
                                                               'web_messages')
    assert params.credentials == fast_credentials.PlainCredentials(
        'www-data', 'rabbit_pwd')
    assert params.ssl_options.context.verify_mode == ssl.CERT_REQUIRED
    assert 'rabbit_pwd' not in repr(params) + str(params)


# --- passwords never shown -------------------------------------------------------


@pytest.mark.parametrize('url', [
    f'amqp://user:{SECRET}@h/',
    f'amqps://user:{SECRET}@h:1/vh?heartbeat=3',
    f'amqp://user:{SECRET}@h/?unknown=1',
    f'amqp://user:{SECRET}@h/?heartbeat=x',
    f'amqp://user:{SECRET}@h/?heartbeat=1&heartbeat=2',
    f'amqp://user:{SECRET}@h/?socket_timeout=0',
    f'amqp://user:{SECRET}@h:99999/',
    f'amqps://user:{SECRET}@h/?ssl_options=None',
    f'amqp://user:{SECRET[:3]}/{SECRET[3:]}@h/',
    f'amqp://user:{SECRET[:3]}#{SECRET[3:]}@h/',
    f'amqp://user:{SECRET[:3]}?{SECRET[3:]}@h/',
    f'amqpx://user:{SECRET}@h/',
    f'amqp://user:{SECRET}@[::1/',
    'amqp://h/?ssl_options=' + quote("{'password': '%s'" % SECRET),
    'amqp://h/?ssl_options=' + quote("{'password': '%s', 'x': 1 +}" % SECRET),
    'amqp://h/?ssl_options=' + quote(
        "{'certfile': '/nonexistent/c.pem', 'password': '%s'}" % SECRET),
    'amqp://h/?ssl_options=None&ssl_options=' + quote(
        "{'password': '%s'}" % SECRET),
])
def test_url_password_never_shown(url):
    try:
        params = fast.URLParameters(url)
    except Exception as exc:  # pylint: disable=broad-except
        assert SECRET not in exception_texts(exc)
        assert SECRET[3:] not in exception_texts(exc)
    else:
        assert SECRET not in repr(params) + str(params)
        assert SECRET not in repr(params.credentials)
        assert params.credentials.password == SECRET


def test_pika_leaks_what_we_hide():
    """Why the port message differs from pika's: it quotes the password."""
    with pytest.raises(ValueError) as info:
        pika.connection.URLParameters(f'amqp://user:{SECRET[:3]}/x@h/')
    assert SECRET[:3] in str(info.value)
    with pytest.raises(ValueError) as info:
        fast.URLParameters(f'amqp://user:{SECRET[:3]}/x@h/')
    assert SECRET[:3] not in exception_texts(info.value)
    assert 'percent-encode' in str(info.value)


def test_ssl_options_syntax_error_hides_source():
    url = 'amqp://h/?ssl_options=' + quote("{'password': '%s'" % SECRET)
    with pytest.raises(SyntaxError):
        pika.connection.URLParameters(url)
    with pytest.raises(SyntaxError) as info:
        fast.URLParameters(url)
    assert info.value.text is None
    assert SECRET not in exception_texts(info.value)


# --- legacy (pika 0.x) spellings -------------------------------------------------


def test_heartbeat_interval_kwarg():
    with pytest.warns(DeprecationWarning, match='heartbeat=') as record:
        params = fast.ConnectionParameters('h', heartbeat_interval=15)
    assert params.heartbeat == 15
    assert record[0].filename == __file__
    with pytest.warns(DeprecationWarning):
        with pytest.raises(ValueError):
            fast.ConnectionParameters(heartbeat_interval=-1)
    with pytest.warns(DeprecationWarning):
        with pytest.raises(TypeError, match='both'):
            fast.ConnectionParameters(heartbeat=1, heartbeat_interval=2)
    with pytest.raises(TypeError):
        pika.connection.ConnectionParameters(heartbeat_interval=15)


def test_heartbeat_interval_url():
    with pytest.warns(DeprecationWarning, match="'heartbeat'") as record:
        params = fast.URLParameters('amqp://h/?heartbeat_interval=30')
    assert params.heartbeat == 30
    assert record[0].filename == __file__
    with pytest.warns(DeprecationWarning):
        with pytest.raises(ValueError, match='heartbeat_interval'):
            fast.URLParameters('amqp://h/?heartbeat_interval=soon')
    with pytest.raises(ValueError, match='both'):
        fast.URLParameters('amqp://h/?heartbeat=1&heartbeat_interval=2')
    with pytest.raises(ValueError):
        pika.connection.URLParameters('amqp://h/?heartbeat_interval=30')


def test_backpressure_detection():
    with pytest.warns(DeprecationWarning, match='no effect'):
        kw = fast.ConnectionParameters('h', backpressure_detection=True)
    with pytest.warns(DeprecationWarning, match='no effect'):
        url = fast.URLParameters('amqp://h/?backpressure_detection=t')
    plain = snapshot(fast.ConnectionParameters('h'))
    assert snapshot(kw) == plain
    assert snapshot(url) == {**plain, 'repr': plain['repr'].replace(
        'ConnectionParameters', 'URLParameters'), 'str': plain['str'].replace(
            'ConnectionParameters', 'URLParameters')}


def test_modern_spellings_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        fast.ConnectionParameters('h', heartbeat=3, ssl_options=None)
        fast.URLParameters('amqps://u:p@h/?heartbeat=3&' + 'ssl_options=' +
                           ssl_query({'server_hostname': 'x'}))


def test_legacy_ssl_dict(certs):
    opts = {'ca_certs': certs['cert'], 'certfile': certs['cert'],
            'keyfile': certs['key'], 'cert_reqs': ssl.CERT_REQUIRED,
            'server_hostname': 'localhost'}
    with pytest.warns(DeprecationWarning, match='SSLOptions') as record:
        params = fast.ConnectionParameters('localhost', ssl=True,
                                           ssl_options=opts)
    assert all(w.filename == __file__ for w in record)
    assert params.port == 5671
    context = params.ssl_options.context
    assert isinstance(params.ssl_options, fast.SSLOptions)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()['x509_ca'] == 1  # only ca_certs loaded
    # the client certificate is loaded: a server requiring one accepts us
    error, peer = handshake(context, 'localhost', certs, True)
    assert error is None
    assert ('commonName', 'localhost') in peer['subject'][0]


def test_legacy_ssl_verification(certs):
    with pytest.warns(DeprecationWarning):
        system = fast.ConnectionParameters(ssl=True, ssl_options={})
        none = fast.ConnectionParameters(
            ssl=True, ssl_options={'cert_reqs': ssl.CERT_NONE})
        optional = fast.ConnectionParameters(
            ssl=True, ssl_options={'cert_reqs': 1, 'ca_certs': certs['cert']})
    # default: verify against the system CAs -> our self-signed cert fails
    error, _ = handshake(system.ssl_options.context, 'localhost', certs, False)
    assert isinstance(error, ssl.SSLCertVerificationError)
    # cert_reqs=CERT_NONE: no verification at all
    assert none.ssl_options.context.verify_mode == ssl.CERT_NONE
    assert not none.ssl_options.context.check_hostname
    error, _ = handshake(none.ssl_options.context, 'whatever', certs, False)
    assert error is None
    assert optional.ssl_options.context.verify_mode == ssl.CERT_OPTIONAL
    # hostname is checked when verifying
    error, _ = handshake(optional.ssl_options.context, 'elsewhere', certs,
                         False)
    assert isinstance(error, ssl.SSLCertVerificationError)
    error, _ = handshake(optional.ssl_options.context, 'localhost', certs,
                         False)
    assert error is None
    with pytest.warns(DeprecationWarning):
        with pytest.raises(ValueError):
            fast.ConnectionParameters(ssl=True, ssl_options={'cert_reqs': 7})


def test_legacy_ssl_version_and_url_keys(certs):
    with pytest.warns(DeprecationWarning) as record:
        params = fast.ConnectionParameters(
            ssl=True,
            ssl_options={'ssl_version': int(ssl.PROTOCOL_TLS_CLIENT),
                         'ca_certs': certs['cert']})
    assert any("use 'protocol'" in str(w.message) for w in record)
    assert params.ssl_options.context.protocol == ssl.PROTOCOL_TLS_CLIENT
    with pytest.warns(DeprecationWarning, match='cert_reqs'):
        url = fast.URLParameters('amqps://h/?ssl_options=' + ssl_query(
            {'cert_reqs': 0}))
    assert url.ssl_options.context.verify_mode == ssl.CERT_NONE


def test_legacy_ssl_flag_alone():
    with pytest.warns(DeprecationWarning):
        on = fast.ConnectionParameters('h', ssl=True)
    assert on.port == 5671 and on.ssl_options is not None
    assert on.ssl_options.context.verify_mode == ssl.CERT_REQUIRED
    with pytest.warns(DeprecationWarning):
        off = fast.ConnectionParameters('h', ssl=False,
                                        ssl_options={'ca_certs': 'x'})
    assert off.ssl_options is None and off.port == 5672
    context = ssl.create_default_context()
    with pytest.warns(DeprecationWarning):
        given_opts = fast.ConnectionParameters(
            ssl=True, ssl_options=fast.SSLOptions(context))
    assert given_opts.ssl_options.context is context
    with pytest.warns(DeprecationWarning):
        with pytest.raises(ValueError):
            fast.ConnectionParameters(ssl=False,
                                      ssl_options=fast.SSLOptions(context))
    with pytest.raises(TypeError):
        pika.connection.ConnectionParameters(ssl=True)


def test_legacy_ssl_missing_files():
    with pytest.warns(DeprecationWarning):
        with pytest.raises(fast.SSLOptionsFileError) as info:
            fast.ConnectionParameters(
                ssl=True,
                ssl_options={'certfile': '/etc/ssl/mycert.pem',
                             'keyfile': '/etc/ssl/mykey.pem',
                             'password': SECRET})
    assert info.value.filename == '/etc/ssl/mycert.pem'
    assert SECRET not in exception_texts(info.value)


# --- validators ------------------------------------------------------------------

VALIDATOR_VALUES = [None, 0, -1, 1, '', 'x', '-1', '1.5', 1.5, -0.5, b'x', [],
                    len, _callback, object()]


def _run(func, *args):
    try:
        return ('ok', func(*args))
    except Exception as exc:  # pylint: disable=broad-except
        return ('raise', type(exc), str(exc))


@pytest.mark.parametrize('value', VALIDATOR_VALUES, ids=repr)
def test_validators_match_pika(value):
    assert _run(fast_validators.require_string, value, 'name') == _run(
        pika.validators.require_string, value, 'name')
    assert _run(fast_validators.require_callback, value) == _run(
        pika.validators.require_callback, value)
    assert _run(fast_validators.require_callback, value, 'cb') == _run(
        pika.validators.require_callback, value, 'cb')
    assert _run(fast_validators.rpc_completion_callback, value) == _run(
        pika.validators.rpc_completion_callback, value)
    assert _run(fast_validators.zero_or_greater, 'n', value) == _run(
        pika.validators.zero_or_greater, 'n', value)


def test_validators_public_names():
    for name in ('require_string', 'require_callback',
                 'rpc_completion_callback', 'zero_or_greater'):
        assert callable(getattr(fast_validators, name))
        assert (list(inspect.signature(getattr(fast_validators,
                                               name)).parameters) ==
                list(inspect.signature(getattr(pika.validators,
                                               name)).parameters))
