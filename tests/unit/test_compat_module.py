"""pika_fast.compat against pika.compat: same values, same results, same errors."""
from __future__ import annotations

import socket

import pika.compat as theirs
import pytest

from pika_fast import compat as ours


@pytest.mark.parametrize("name", [
    "ON_LINUX", "ON_OSX", "ON_WINDOWS", "SOCKET_ERROR", "SOL_TCP", "HAVE_SIGNAL",
    "LINUX_VERSION", "str_or_bytes",
])
def test_constants_and_reexports_equal_pikas(name):
    assert getattr(ours, name) == getattr(theirs, name)


def test_url_helpers_of_older_pikas_are_urllibs():
    # pika 1.0-1.3 exported these from compat; 1.4 dropped them. Kept for older code.
    import urllib.parse
    assert ours.url_quote is urllib.parse.quote and ours.url_unquote is urllib.parse.unquote
    assert ours.urlencode is urllib.parse.urlencode and ours.urlparse is urllib.parse.urlparse


@pytest.mark.parametrize("value", ["abc", "é€", b"raw", ""])
def test_as_bytes(value):
    assert ours.as_bytes(value) == theirs.as_bytes(value)
    assert type(ours.as_bytes(value)) is bytes


def test_byte():
    assert ours.byte(65, 0, 255) == theirs.byte(65, 0, 255) == b"A\x00\xff"
    with pytest.raises(ValueError):
        ours.byte(256)


def test_long_marker():
    value = ours.long(7)
    assert isinstance(value, int) and value == 7
    assert (str(value), repr(value)) == (str(theirs.long(7)), repr(theirs.long(7))) == ("7", "7L")


@pytest.mark.parametrize("text", ["37", "15-generic", "rc", "4x", ""])
def test_to_digit(text):
    assert ours.to_digit(text) == theirs.to_digit(text)


@pytest.mark.parametrize("release", ["6.1.0-13-amd64", "5.15.0", "4.19", "3.10.0-1160.el7.x86_64"])
def test_get_linux_version(release):
    assert ours.get_linux_version(release) == theirs.get_linux_version(release)


def test_time_now_is_monotonic():
    first = ours.time_now()
    assert ours.time_now() >= first


def test_abstract_base_is_an_abc_base():
    assert type(ours.AbstractBase) is type(theirs.AbstractBase)


def test_nonblocking_socketpair_talks_both_ways():
    server, client = ours.nonblocking_socketpair()
    try:
        assert server.gettimeout() == 0.0 and client.gettimeout() == 0.0
        client.send(b"ping")
        server.setblocking(True)
        assert server.recv(4) == b"ping"
    finally:
        server.close()
        client.close()


@pytest.mark.parametrize("args", [
    (socket.AF_UNIX,), (socket.AF_INET, socket.SOCK_DGRAM), (socket.AF_INET, socket.SOCK_STREAM, 6),
])
def test_nonblocking_socketpair_refuses_what_pika_refuses(args):
    with pytest.raises(ValueError) as their_error:
        theirs.nonblocking_socketpair(*args)
    with pytest.raises(ValueError) as our_error:
        ours.nonblocking_socketpair(*args)
    assert str(our_error.value) == str(their_error.value)
