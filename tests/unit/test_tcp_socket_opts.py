"""tcp_socket_opts on real sockets, read back with getsockopt, side by side with pika."""
from __future__ import annotations

import logging
import socket

import pika.tcp_socket_opts as pika_tcp_socket_opts
import pytest

from pika_fast import tcp_socket_opts

KEEPALIVE_OPTIONS = {'TCP_KEEPIDLE': 61, 'TCP_KEEPINTVL': 7, 'TCP_KEEPCNT': 4}


def _read_options(sock: socket.socket) -> dict:
    read = {'SO_KEEPALIVE': sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE)}
    for name in ('TCP_KEEPIDLE', 'TCP_KEEPINTVL', 'TCP_KEEPCNT', 'TCP_USER_TIMEOUT'):
        if hasattr(socket, name):
            read[name] = sock.getsockopt(socket.IPPROTO_TCP, getattr(socket, name))
    return read


@pytest.fixture
def fresh_socket():
    sockets = []

    def make() -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sockets.append(sock)
        return sock

    yield make
    for sock in sockets:
        sock.close()


@pytest.mark.parametrize('options', [
    KEEPALIVE_OPTIONS,
    {'TCP_USER_TIMEOUT': 12345},
    dict(KEEPALIVE_OPTIONS, TCP_USER_TIMEOUT=9000),
    {'TCP_KEEPIDLE': 30},
    {},
    None,
], ids=['keepalive', 'user-timeout', 'all', 'idle-only', 'empty', 'none'])
def test_options_read_back_as_pika_sets_them(fresh_socket, options):
    ours, theirs = fresh_socket(), fresh_socket()
    untouched = _read_options(fresh_socket())
    tcp_socket_opts.set_sock_opts(options, ours)
    pika_tcp_socket_opts.set_sock_opts(options, theirs)
    assert _read_options(ours) == _read_options(theirs)
    expected = dict(untouched)
    for name, value in (options or {}).items():
        expected[name] = value
    if options and tcp_socket_opts.socket_requires_keepalive(options):
        expected['SO_KEEPALIVE'] = 1
    assert _read_options(ours) == expected


def test_user_timeout_alone_does_not_turn_keepalive_on(fresh_socket):
    sock = fresh_socket()
    tcp_socket_opts.set_sock_opts({'TCP_USER_TIMEOUT': 5000}, sock)
    assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 0


def test_unknown_option_is_logged_and_skipped(fresh_socket, caplog):
    sock = fresh_socket()
    with caplog.at_level(logging.WARNING, logger='pika_fast.tcp_socket_opts'):
        tcp_socket_opts.set_sock_opts({'TCP_NO_SUCH_THING': 1, 'TCP_KEEPCNT': 3}, sock)
    assert 'Unsupported TCP option TCP_NO_SUCH_THING:1' in caplog.text
    assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT) == 3


@pytest.mark.parametrize('options', [
    {}, {'TCP_KEEPIDLE': 1}, {'TCP_KEEPCNT': 1}, {'TCP_KEEPINTVL': 1},
    {'TCP_USER_TIMEOUT': 1}, {'OTHER': 1},
])
def test_socket_requires_keepalive_matches_pika(options):
    assert (tcp_socket_opts.socket_requires_keepalive(options)
            == pika_tcp_socket_opts.socket_requires_keepalive(options))


def test_supported_option_table_matches_pika():
    assert tcp_socket_opts._SUPPORTED_TCP_OPTIONS == pika_tcp_socket_opts._SUPPORTED_TCP_OPTIONS


def test_options_apply_on_a_connected_socket(fresh_socket):
    listener = fresh_socket()
    listener.bind(('127.0.0.1', 0))
    listener.listen(1)
    client = fresh_socket()
    client.connect(listener.getsockname())
    tcp_socket_opts.set_sock_opts(dict(KEEPALIVE_OPTIONS, TCP_USER_TIMEOUT=4321), client)
    read = _read_options(client)
    assert read['SO_KEEPALIVE'] == 1
    assert read['TCP_KEEPIDLE'] == 61 and read['TCP_USER_TIMEOUT'] == 4321
