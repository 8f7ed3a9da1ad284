"""pika_fast.exceptions must be interchangeable with pika 1.4.4's exceptions.

Every exception class of ``pika.exceptions`` (and of
``pika.adapters.utils.connection_workflow``, whose classes pika_fast keeps in
the same module) is compared with its pika_fast namesake: base classes,
constructor signature, ``args``, attributes, ``str()`` and ``repr()``.
"""

import inspect
import pickle

import pika.exceptions
import pika.spec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pika.adapters.blocking_connection import ReturnedMessage
from pika.adapters.utils import connection_workflow

import pika_fast.exceptions as fast


def _exception_classes(module):
    return [
        value for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, BaseException) and
        value.__module__ == module.__name__
    ]


PIKA_CLASSES = _exception_classes(pika.exceptions)
WORKFLOW_CLASSES = _exception_classes(connection_workflow)
ALL_CLASSES = PIKA_CLASSES + WORKFLOW_CLASSES

# Attributes that carry data, compared whenever pika's instance has them.
DATA_ATTRIBUTES = ('args', 'reply_code', 'reply_text', 'messages',
                   'exception', 'exceptions')


def _ids(classes):
    return [cls.__name__ for cls in classes]


def _twin(pika_cls):
    return getattr(fast, pika_cls.__name__)


def _outcome(func):
    """('ok', value) or ('raised', exception type name)."""
    try:
        return 'ok', func()
    except Exception as exc:  # noqa: BLE001 - any failure is compared
        return 'raised', type(exc).__name__


def _returned(n):
    method = pika.spec.Basic.Return(reply_code=312, reply_text='NO_ROUTE',
                                    exchange='ex', routing_key=f'rk{n}')
    return ReturnedMessage(method, pika.spec.BasicProperties(), b'body')


MESSAGES = [_returned(0), _returned(1)]
INNER_ERRORS = [ConnectionRefusedError(111, 'refused'), TimeoutError('late')]

# Arguments tried against every class. Combinations a given pika class does
# not accept (TypeError/ValueError in its constructor) must fail the same way
# in pika_fast.
COMMON_ARGS = [
    (),
    ('boom',),
    (320, 'CONNECTION_FORCED - broker forced connection closure'),
    ('406', 'PRECONDITION_FAILED'),
    ('not-a-number', 'text'),
    (b'\x01\x02binary',),
    (5, 3),
    (5.7, 2.2),
    (None,),
    ('x' * 400,),
    ((0, 9, 1), (0, 8, 0)),
    ('A', object),
    (1, 2, 3),
    (MESSAGES,),
    ([],),
    (ValueError('inner'),),
    (ValueError('inner'), 'extra', 7),
    (INNER_ERRORS,),
    (INNER_ERRORS[:1],),
    (INNER_ERRORS, 'more'),
]


def _compare_instances(pika_cls, args, kwargs=None):
    kwargs = kwargs or {}
    fast_cls = _twin(pika_cls)
    pika_made = _outcome(lambda: pika_cls(*args, **kwargs))
    fast_made = _outcome(lambda: fast_cls(*args, **kwargs))
    if pika_made[0] == 'raised':
        assert fast_made == pika_made, (pika_cls, args)
        return
    assert fast_made[0] == 'ok', (pika_cls, args, fast_made)
    pika_exc, fast_exc = pika_made[1], fast_made[1]

    for attr in DATA_ATTRIBUTES:
        if hasattr(pika_exc, attr):
            assert getattr(fast_exc, attr) == getattr(pika_exc, attr), attr

    assert _outcome(lambda: str(fast_exc)) == _outcome(lambda: str(pika_exc))

    pika_repr = _outcome(lambda: repr(pika_exc))
    fast_repr = _outcome(lambda: repr(fast_exc))
    if pika_repr[0] == 'ok':
        assert fast_repr == pika_repr, (pika_cls, args)
    else:
        # pika's repr() blows up for these arguments; ours must not.
        assert fast_repr[0] == 'ok'
        assert fast_repr[1].startswith(pika_cls.__name__)


def test_classes_were_found():
    assert len(PIKA_CLASSES) >= 36
    assert 'ConnectionClosed' in _ids(PIKA_CLASSES)
    assert 'AMQPConnectionWorkflowFailed' in _ids(WORKFLOW_CLASSES)


@pytest.mark.parametrize('pika_cls', ALL_CLASSES, ids=_ids(ALL_CLASSES))
def test_same_name_and_mro(pika_cls):
    fast_cls = _twin(pika_cls)
    assert fast_cls.__name__ == pika_cls.__name__
    assert fast_cls.__module__ == 'pika_fast.exceptions'
    assert ([c.__name__ for c in fast_cls.__mro__] ==
            [c.__name__ for c in pika_cls.__mro__])


@pytest.mark.parametrize('pika_cls', ALL_CLASSES, ids=_ids(ALL_CLASSES))
def test_same_constructor_signature(pika_cls):
    fast_cls = _twin(pika_cls)

    def shape(cls):
        sig = inspect.signature(cls.__init__)
        return [(p.name, p.kind, p.default) for p in sig.parameters.values()]

    assert ('__init__' in vars(fast_cls)) == ('__init__' in vars(pika_cls))
    assert shape(fast_cls) == shape(pika_cls)


@pytest.mark.parametrize('pika_cls', ALL_CLASSES, ids=_ids(ALL_CLASSES))
def test_same_public_members(pika_cls):
    fast_cls = _twin(pika_cls)
    for name, member in vars(pika_cls).items():
        if name.startswith('_'):
            continue
        assert type(inspect.getattr_static(fast_cls, name)) is type(member)


@pytest.mark.parametrize('args', COMMON_ARGS, ids=repr)
@pytest.mark.parametrize('pika_cls', ALL_CLASSES, ids=_ids(ALL_CLASSES))
def test_instances_match(pika_cls, args):
    _compare_instances(pika_cls, args)


@pytest.mark.parametrize('cls_name', ['ConnectionClosed', 'ChannelClosed',
                                      'ConnectionClosedByBroker',
                                      'ChannelClosedByClient'])
def test_closed_keyword_arguments(cls_name):
    pika_cls = getattr(pika.exceptions, cls_name)
    _compare_instances(pika_cls, (),
                       {'reply_code': 404, 'reply_text': 'NOT_FOUND'})


_ATOMS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
    st.text(max_size=12), st.binary(max_size=12),
    st.lists(st.integers(), max_size=3),
    st.sampled_from(INNER_ERRORS + [MESSAGES, object, ReturnedMessage]))


@pytest.mark.parametrize('pika_cls', ALL_CLASSES, ids=_ids(ALL_CLASSES))
@settings(max_examples=40, deadline=None)
@given(args=st.lists(_ATOMS, max_size=4))
def test_instances_match_for_arbitrary_args(pika_cls, args):
    _compare_instances(pika_cls, tuple(args))


def test_specific_attribute_values():
    closed = fast.ConnectionClosedByBroker('320', 404)
    assert (closed.reply_code, closed.reply_text) == (320, '404')
    assert repr(closed) == "ConnectionClosedByBroker: (320) '404'"

    chan = fast.ChannelClosedByBroker(406, 'PRECONDITION_FAILED')
    assert str(chan) == "(406, 'PRECONDITION_FAILED')"

    unroutable = fast.UnroutableError(MESSAGES)
    assert unroutable.messages is MESSAGES
    assert str(unroutable) == '2 unroutable message(s) returned'

    failed = fast.AMQPConnectionWorkflowFailed(iter(INNER_ERRORS))
    assert failed.exceptions == tuple(INNER_ERRORS)


@pytest.mark.parametrize('exc', [
    fast.ConnectionClosedByBroker(320, 'bye'),
    fast.ChannelClosedByBroker(404, 'NOT_FOUND'),
    fast.UnroutableError(MESSAGES),
    fast.NackError(MESSAGES[:1]),
    fast.AMQPConnectorSocketConnectError(ConnectionRefusedError(111, 'no')),
    fast.AMQPConnectionWorkflowFailed(INNER_ERRORS, 'all failed'),
    fast.FrameTooLargeError(140000, 131072),
    fast.MessageDecodeError(3, pika.spec.Basic.Deliver(), b'body',
                            ValueError('bad header')),
], ids=lambda exc: type(exc).__name__)
def test_pickle_round_trip(exc):
    copy = pickle.loads(pickle.dumps(exc))
    assert type(copy) is type(exc)
    assert str(copy) == str(exc)
    assert repr(copy) == repr(exc)


# --- pika_fast-only classes -------------------------------------------------


@pytest.mark.parametrize('name', ['MessageDecodeError', 'FrameTooLargeError'])
def test_new_classes_subclass_invalid_frame_error(name):
    cls = getattr(fast, name)
    assert issubclass(cls, fast.InvalidFrameError)
    assert issubclass(cls, fast.ProtocolSyntaxError)
    assert issubclass(cls, fast.AMQPError)
    assert not hasattr(pika.exceptions, name)
    assert 'pika_fast only' in cls.__doc__


def test_message_decode_error():
    method = pika.spec.Basic.Deliver(consumer_tag='ctag', delivery_tag=7)
    cause = ValueError('truncated property list')
    exc = fast.MessageDecodeError(5, method, b'payload', cause)

    assert exc.channel_number == 5
    assert exc.method is method
    assert exc.body == b'payload'
    assert exc.cause is cause
    assert exc.__cause__ is cause
    assert 'Basic.Deliver' in str(exc)
    assert 'truncated property list' in str(exc)
    assert repr(exc).startswith('MessageDecodeError: ')
    assert 'Basic.Deliver' in repr(exc)

    with pytest.raises(fast.InvalidFrameError):
        raise exc


def test_message_decode_error_method_without_name():

    class Unnamed:
        pass

    exc = fast.MessageDecodeError(1, Unnamed(), b'', KeyError('k'))
    assert 'Unnamed' in str(exc)


def test_frame_too_large_error():
    exc = fast.FrameTooLargeError(200000, 131072)
    assert (exc.frame_size, exc.frame_max) == (200000, 131072)
    assert '200000' in str(exc) and '131072' in str(exc)
    assert 'frame_max' in str(exc)
    assert repr(exc) == f'FrameTooLargeError: {exc}'
    kw = fast.FrameTooLargeError(frame_size=10, frame_max=5)
    assert (kw.frame_size, kw.frame_max) == (10, 5)


def test_module_has_docstring_and_all():
    assert fast.__doc__
    for name in fast.__all__:
        assert isinstance(getattr(fast, name), type)
    for cls in ALL_CLASSES:
        assert cls.__name__ in fast.__all__
