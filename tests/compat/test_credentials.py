"""pika_fast.credentials, delivery_mode and exchange_type against pika 1.4.4."""

import inspect
import logging
from types import SimpleNamespace

import pika.credentials
import pika.delivery_mode
import pika.exchange_type
import pika.spec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pika_fast.credentials as fast
import pika_fast.delivery_mode as fast_delivery_mode
import pika_fast.exchange_type as fast_exchange_type

MECHANISMS = [
    'PLAIN',
    'EXTERNAL',
    'PLAIN AMQPLAIN',
    'AMQPLAIN PLAIN',
    'AMQPLAIN EXTERNAL PLAIN',
    b'PLAIN AMQPLAIN',
    b'EXTERNAL',
    b'PLAIN',
    'AMQPLAIN',
    'RABBIT-CR-DEMO',
    '',
    b'',
    'plain',
    'PLAINX',
    ' PLAIN ',
    'PLAIN\tEXTERNAL',
]


def _start(mechanisms):
    return pika.spec.Connection.Start(mechanisms=mechanisms)


def _both(cls_name, *args, **kwargs):
    return (getattr(pika.credentials, cls_name)(*args, **kwargs),
            getattr(fast, cls_name)(*args, **kwargs))


# --- class surface ------------------------------------------------------------


@pytest.mark.parametrize('name', ['PlainCredentials', 'ExternalCredentials'])
def test_class_surface(name):
    pika_cls = getattr(pika.credentials, name)
    fast_cls = getattr(fast, name)
    assert fast_cls.TYPE == pika_cls.TYPE

    def shape(cls):
        sig = inspect.signature(cls.__init__)
        return [(p.name, p.kind, p.default) for p in sig.parameters.values()]

    assert shape(fast_cls) == shape(pika_cls)
    public = {n for n in vars(pika_cls) if not n.startswith('_')}
    assert public <= set(vars(fast_cls))


def test_instance_attributes():
    pika_plain, fast_plain = _both('PlainCredentials', 'u', 'p', True)
    assert vars(fast_plain) == vars(pika_plain)
    pika_ext, fast_ext = _both('ExternalCredentials')
    assert vars(fast_ext) == vars(pika_ext)


def test_valid_types():
    assert ([c.__name__ for c in fast.VALID_TYPES] ==
            [c.__name__ for c in pika.credentials.VALID_TYPES])
    assert fast.VALID_TYPES == [fast.PlainCredentials, fast.ExternalCredentials]


# --- equality -----------------------------------------------------------------

PLAIN_ARGS = [
    ('guest', 'guest'),
    ('guest', 'guest', False),
    ('guest', 'guest', True),
    ('guest', 'other'),
    ('other', 'guest'),
]


@pytest.mark.parametrize('left', PLAIN_ARGS, ids=repr)
@pytest.mark.parametrize('right', PLAIN_ARGS, ids=repr)
def test_plain_equality_matches_pika(left, right):
    pika_l, fast_l = _both('PlainCredentials', *left)
    pika_r, fast_r = _both('PlainCredentials', *right)
    assert (fast_l == fast_r) == (pika_l == pika_r)
    assert (fast_l != fast_r) == (pika_l != pika_r)


@pytest.mark.parametrize('other', [
    'guest', None, 1, SimpleNamespace(username='guest', password='guest',
                                      erase_on_connect=False)
], ids=repr)
def test_equality_with_foreign_objects(other):
    for cls_name, args in (('PlainCredentials', ('guest', 'guest')),
                           ('ExternalCredentials', ())):
        pika_cred, fast_cred = _both(cls_name, *args)
        assert (fast_cred == other) == (pika_cred == other) is False
        assert (fast_cred != other) == (pika_cred != other) is True
        assert fast_cred.__eq__(other) is NotImplemented
        assert fast_cred.__ne__(other) is NotImplemented


def test_plain_vs_external_and_external_equality():
    plain = fast.PlainCredentials('guest', 'guest')
    external = fast.ExternalCredentials()
    assert plain != external and not plain == external
    assert external == fast.ExternalCredentials()
    other = fast.ExternalCredentials()
    other.erase_on_connect = True
    assert external != other
    pika_a, pika_b = (pika.credentials.ExternalCredentials(),
                      pika.credentials.ExternalCredentials())
    pika_b.erase_on_connect = True
    assert (external == other) == (pika_a == pika_b)


def test_unhashable_like_pika():
    for cls_name, args in (('PlainCredentials', ('u', 'p')),
                           ('ExternalCredentials', ())):
        pika_cred, fast_cred = _both(cls_name, *args)
        with pytest.raises(TypeError):
            hash(pika_cred)
        with pytest.raises(TypeError):
            hash(fast_cred)


# --- response_for -------------------------------------------------------------


@pytest.mark.parametrize('mechanisms', MECHANISMS, ids=repr)
@pytest.mark.parametrize('creds', [
    ('guest', 'guest'),
    ('user', 'pässwörd'),
    ('ユーザー', 'секрет'),
    ('', ''),
    (b'bytes-user', b'bytes-pass'),
], ids=repr)
def test_plain_response_matches_pika(mechanisms, creds):
    pika_cred, fast_cred = _both('PlainCredentials', *creds)
    start = _start(mechanisms)
    assert fast_cred.response_for(start) == pika_cred.response_for(start)


@pytest.mark.parametrize('mechanisms', MECHANISMS, ids=repr)
def test_external_response_matches_pika(mechanisms):
    pika_cred, fast_cred = _both('ExternalCredentials')
    start = _start(mechanisms)
    assert fast_cred.response_for(start) == pika_cred.response_for(start)


def test_plain_response_values():
    cred = fast.PlainCredentials('user', 'pässwörd')
    mechanism, response = cred.response_for(_start('PLAIN AMQPLAIN'))
    assert mechanism == 'PLAIN' and type(mechanism) is str
    assert response == b'\0user\0p\xc3\xa4ssw\xc3\xb6rd'
    assert type(response) is bytes
    assert cred.response_for(_start(b'PLAIN')) == (mechanism, response)
    assert cred.response_for(_start('AMQPLAIN')) == (None, None)


def test_external_response_values():
    cred = fast.ExternalCredentials()
    assert cred.response_for(_start('PLAIN EXTERNAL')) == ('EXTERNAL', b'')
    assert cred.response_for(_start(b'EXTERNAL')) == ('EXTERNAL', b'')
    assert cred.response_for(_start('PLAIN')) == (None, None)


def test_response_for_accepts_duck_typed_start():
    start = SimpleNamespace(mechanisms='PLAIN')
    assert fast.PlainCredentials('a', 'b').response_for(start) == (
        'PLAIN', b'\0a\0b')


def test_subclass_overriding_type_behaves_like_pika():

    def make(base):
        return type('Custom', (base,), {'TYPE': 'CUSTOM'})('u', 'p')

    for mechanisms in ('PLAIN', 'CUSTOM'):
        start = _start(mechanisms)
        assert (make(fast.PlainCredentials).response_for(start) ==
                make(pika.credentials.PlainCredentials).response_for(start))


@settings(max_examples=200, deadline=None)
@given(username=st.text(), password=st.text(), erase=st.booleans(),
       mechanisms=st.lists(
           st.sampled_from(['PLAIN', 'EXTERNAL', 'AMQPLAIN', 'X']),
           max_size=4).map(' '.join),
       as_bytes=st.booleans())
def test_response_for_property(username, password, erase, mechanisms,
                               as_bytes):
    start = _start(mechanisms.encode() if as_bytes else mechanisms)
    pika_cred, fast_cred = _both('PlainCredentials', username, password, erase)
    assert fast_cred.response_for(start) == pika_cred.response_for(start)
    pika_ext, fast_ext = _both('ExternalCredentials')
    assert fast_ext.response_for(start) == pika_ext.response_for(start)


# --- erase_credentials ----------------------------------------------------------


@pytest.mark.parametrize('erase_on_connect', [True, False])
def test_erase_credentials_matches_pika(erase_on_connect):
    pika_cred, fast_cred = _both('PlainCredentials', 'user', 'secret',
                                 erase_on_connect)
    pika_cred.erase_credentials()
    fast_cred.erase_credentials()
    assert vars(fast_cred) == vars(pika_cred)
    if erase_on_connect:
        assert fast_cred.username is None and fast_cred.password is None
    else:
        assert (fast_cred.username, fast_cred.password) == ('user', 'secret')


def test_erased_credentials_still_respond_like_pika():
    pika_cred, fast_cred = _both('PlainCredentials', 'user', 'secret', True)
    pika_cred.erase_credentials()
    fast_cred.erase_credentials()
    start = _start('PLAIN')
    assert fast_cred.response_for(start) == pika_cred.response_for(start)
    assert fast_cred.response_for(start) == ('PLAIN', b'\0\0')


def test_erase_credentials_logs(caplog):
    caplog.set_level(logging.DEBUG, logger='pika_fast.credentials')
    fast.PlainCredentials('u', 'p', erase_on_connect=True).erase_credentials()
    fast.ExternalCredentials().erase_credentials()
    levels = [r.levelno for r in caplog.records
              if r.name == 'pika_fast.credentials']
    assert levels == [logging.INFO, logging.DEBUG]


def test_external_erase_is_noop():
    cred = fast.ExternalCredentials()
    cred.erase_credentials()
    assert vars(cred) == {'erase_on_connect': False}


# --- repr never leaks the password -----------------------------------------------


@pytest.mark.parametrize('password', ['S3cr3t!pw', 'hunter2-ÄÖÜ', 'guest-pw'])
def test_repr_hides_password(password):
    cred = fast.PlainCredentials('alice', password)
    text = repr(cred)
    assert password not in text
    assert 'alice' in text
    assert 'PlainCredentials' in text
    assert password not in str(cred)
    assert password not in f'{cred!r} {cred}'


def test_repr_after_erase():
    cred = fast.PlainCredentials('alice', 'S3cr3t!pw', erase_on_connect=True)
    cred.erase_credentials()
    assert 'S3cr3t!pw' not in repr(cred)
    assert 'None' in repr(cred)


def test_external_repr():
    assert repr(fast.ExternalCredentials()) == 'ExternalCredentials()'


# --- enums ------------------------------------------------------------------------


@pytest.mark.parametrize('pika_enum, fast_enum', [
    (pika.delivery_mode.DeliveryMode, fast_delivery_mode.DeliveryMode),
    (pika.exchange_type.ExchangeType, fast_exchange_type.ExchangeType),
], ids=['DeliveryMode', 'ExchangeType'])
def test_enum_matches_pika(pika_enum, fast_enum):
    assert fast_enum.__name__ == pika_enum.__name__
    assert ([c.__name__ for c in fast_enum.__mro__] ==
            [c.__name__ for c in pika_enum.__mro__])
    assert ([(m.name, m.value) for m in fast_enum] ==
            [(m.name, m.value) for m in pika_enum])
    for pika_member in pika_enum:
        fast_member = fast_enum[pika_member.name]
        assert fast_enum(pika_member.value) is fast_member
        assert repr(fast_member) == repr(pika_member)
        assert str(fast_member) == str(pika_member)
        assert format(fast_member) == format(pika_member)
        assert (fast_member == pika_member.value) == (
            pika_member == pika_member.value)


def test_exchange_type_is_str():
    et = fast_exchange_type.ExchangeType
    assert et.topic == 'topic'
    assert isinstance(et.fanout, str)
    assert fast_delivery_mode.DeliveryMode.Persistent.value == 2
