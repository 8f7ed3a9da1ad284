"""pika 1.4.4's whole public surface, checked against pika_fast's.

For every module of the installed pika package (walked with pkgutil), every public name,
class member and callable: pika_fast has it under the same path, with the same parameter
names, kinds, order and defaults, the same constant values and the same pika ancestry.
Live objects (connections and channels opened on the broker) are compared too, for the
attributes pika sets per instance.

Anything pika_fast does not match is either
* in DELIBERATE_DIFFERENCES below, with the reason, or
* in PENDING, work another helper is landing now (with the issue that adds it).
Everything else fails, so the test goes red the moment pika_fast misses something new.
An accepted entry that no longer matches any problem fails as well (DELIBERATE_DIFFERENCES)
or warns (PENDING), so the lists only ever shrink.

Keys are "<pika module>:<qualified name>"; a key naming a module ("pika.x:") or a class
covers everything under it.
"""
from __future__ import annotations

import types
import warnings

import pika
import pytest

import pika_fast
from tests.support import surface

# ---------------------------------------------------------------------------------------
# Deliberate differences: each one is intended, and says why.
# ---------------------------------------------------------------------------------------
_LEGACY_KEYWORD = ("accepts a pika 0.x keyword as well (README: pika 0.x spellings still "
                   "accepted, with a DeprecationWarning)")
_NO_COUNTERS = ("no per-connection byte/frame counters: they cost on every read and write; "
                "heartbeats are tracked by the protocol core")
DELIBERATE_DIFFERENCES = {
    # pika 0.x spellings kept working, on top of pika 1.4's parameters.
    "pika.adapters.blocking_connection:BlockingChannel.basic_get":
        "no_ack= " + _LEGACY_KEYWORD,
    "pika.channel:Channel.basic_publish": "immediate= " + _LEGACY_KEYWORD,
    "pika.channel:Channel.basic_qos": "all_channels= " + _LEGACY_KEYWORD,
    "pika.channel:Channel.exchange_declare": "type= " + _LEGACY_KEYWORD,
    "pika.channel:Channel.basic_get": "no_ack= (and the (callback, queue) order) "
                                      + _LEGACY_KEYWORD,
    "pika.adapters.blocking_connection:BlockingChannel.basic_publish":
        "immediate= " + _LEGACY_KEYWORD,
    "pika.adapters.blocking_connection:BlockingChannel.basic_qos":
        "all_channels= " + _LEGACY_KEYWORD,
    "pika.adapters.blocking_connection:BlockingChannel.exchange_declare":
        "type= " + _LEGACY_KEYWORD,
    # Our own name on the wire.
    "pika.connection:PRODUCT": "pika_fast announces itself as 'pika_fast Python Client "
                               "Library' in client_properties, so broker operators can tell",
    # An addition, not a change: the default keeps pika's call working.
    "pika.frame:decode_frame": "an optional offset= lets the codec decode in place, without "
                               "slicing the receive buffer",
    # A Python 2 leftover that cannot be copied safely.
    "pika.spec:str": "pika.spec sets str = bytes (Python 2 leftover); in our generated module "
                     "it would shadow the builtin every encoder uses",
    # Opt-in automatic recovery (README), an addition: without it, pika's behaviour.
    **{f"{module}:BlockingConnection.__init__":
       "recovery=RecoveryPolicy(...) opts in to automatic recovery (pika has none)"
       for module in ("pika", "pika.adapters", "pika.adapters.blocking_connection")},
    # pika's internal event registry and counters, which pika_fast does not keep.
    "live:SelectConnection.callbacks": "pika's internal CallbackManager; pika_fast dispatches "
                                       "events straight to their handlers (pika_fast.callback."
                                       "CallbackManager exists for code that builds its own)",
    "live:Channel.callbacks": "as for the connection: no internal CallbackManager",
    "live:SelectConnection.bytes_received": _NO_COUNTERS,
    "live:SelectConnection.bytes_sent": _NO_COUNTERS,
    "live:SelectConnection.frames_received": _NO_COUNTERS,
    "live:SelectConnection.frames_sent": _NO_COUNTERS,
}

# ---------------------------------------------------------------------------------------
# PENDING: being added right now by other helpers. Shrink as their work lands.
# ---------------------------------------------------------------------------------------
PENDING = {
}

ACCEPTED = {**DELIBERATE_DIFFERENCES, **PENDING}

MODULES = surface.pika_modules()


def _unaccepted(problems):
    return [str(p) for p in problems if surface.is_covered(p.key, ACCEPTED) is None]


def test_pika_package_walk_finds_the_modules_we_know():
    """The walk itself works: pika's well-known modules are among those compared."""
    for name in ("pika", "pika.spec", "pika.connection", "pika.channel", "pika.callback",
                 "pika.adapters.blocking_connection", "pika.adapters.utils.connection_workflow",
                 "pika.compat", "pika.heartbeat", "pika.tcp_socket_opts"):
        assert name in MODULES
    assert pika.__version__ == "1.4.4"  # the surface this test pins


@pytest.mark.parametrize("module_name", MODULES)
def test_module_surface_matches_pika(module_name):
    problems = _unaccepted(surface.compare_module(module_name))
    assert not problems, ("pika_fast differs from pika 1.4.4 (add the missing piece, or an "
                          "entry with its reason to DELIBERATE_DIFFERENCES):\n  "
                          + "\n  ".join(problems))


# ------------------------------------------------------------------- live objects


def _public_attributes(obj):
    names = {n for n in vars(obj) if not n.startswith("_")}
    names |= {n for n in dir(type(obj)) if not n.startswith("_")}
    return names


def _live_objects(lib, url):
    """A BlockingConnection, its channel, a SelectConnection and its channel, all open."""
    blocking = lib.BlockingConnection(lib.URLParameters(url))
    blocking_channel = blocking.channel()
    opened = {}

    def on_channel(channel):
        opened["channel"] = channel
        opened["attributes"] = (_public_attributes(connection), _public_attributes(channel))
        connection.close()

    def on_open(conn):
        conn.channel(on_open_callback=on_channel)

    connection = lib.SelectConnection(lib.URLParameters(url), on_open_callback=on_open,
                                      on_close_callback=lambda *a: connection.ioloop.stop(),
                                      on_open_error_callback=lambda *a: connection.ioloop.stop())
    connection.ioloop.call_later(20, connection.ioloop.stop)
    connection.ioloop.start()
    try:
        assert "attributes" in opened, f"{lib.__name__}: the SelectConnection never opened"
        return {"BlockingConnection": _public_attributes(blocking),
                "BlockingChannel": _public_attributes(blocking_channel),
                "SelectConnection": opened["attributes"][0],
                "Channel": opened["attributes"][1]}
    finally:
        blocking.close()


def _live_problems(amqp_url):
    theirs = _live_objects(pika, amqp_url)
    ours = _live_objects(pika_fast, amqp_url)
    return [surface.Problem(f"live:{label}.{name}", "attribute missing on a live object")
            for label in theirs for name in sorted(theirs[label] - ours[label])]


@pytest.fixture(scope="module")
def live_problems(amqp_url):
    return _live_problems(amqp_url)


def test_live_objects_have_pikas_attributes(live_problems):
    problems = _unaccepted(live_problems)
    assert not problems, "\n  ".join(["live objects lack pika's attributes:"] + problems)


# ------------------------------------------------------------------- the lists themselves


def test_every_deliberate_difference_is_still_real(live_problems):
    """An entry that matches no problem any more is stale: delete it."""
    keys = [p.key for name in MODULES for p in surface.compare_module(name)]
    keys += [p.key for p in live_problems]
    used = {surface.is_covered(key, DELIBERATE_DIFFERENCES) for key in keys}
    stale = sorted(set(DELIBERATE_DIFFERENCES) - used)
    assert not stale, f"stale DELIBERATE_DIFFERENCES entries (now matched): {stale}"
    for key, reason in DELIBERATE_DIFFERENCES.items():
        assert len(reason) > 20, f"{key}: say why"


def test_pending_entries_still_pending(live_problems):
    """A PENDING entry whose work landed is reported so the list can shrink."""
    keys = [p.key for name in MODULES for p in surface.compare_module(name)]
    keys += [p.key for p in live_problems]
    used = {surface.is_covered(key, PENDING) for key in keys}
    landed = sorted(set(PENDING) - used)
    if landed:
        warnings.warn(f"PENDING entries that have landed (remove them): {landed}")
    assert set(PENDING).isdisjoint(DELIBERATE_DIFFERENCES)


# ------------------------------------------------------------------- the walker, on fakes


def _fake_module(name, **members):
    module = types.ModuleType(name)
    for key, value in members.items():
        if isinstance(value, type) or callable(value):
            value.__module__ = name
        setattr(module, key, value)
    return module


def test_walker_reports_missing_names_members_and_signature_changes():
    class Thing:
        LIMIT = 3

        def go(self, a, b=1, *, c=None):
            """pika's."""

        @property
        def state(self):
            return 1

    class OurThing:
        LIMIT = 4

        def go(self, a, b=2):
            """ours."""

    def helper(x, y=None):
        """pika's."""

    theirs = _fake_module("pika.fake", Thing=Thing, helper=helper, VALUE="a", gone=lambda: 1)
    ours = _fake_module("pika_fast.fake", Thing=OurThing, helper=lambda x: x, VALUE="b")
    found = {p.key: p.detail for p in surface.compare_module_objects("pika.fake", theirs, ours)}
    assert set(found) == {"pika.fake:Thing.LIMIT", "pika.fake:Thing.go", "pika.fake:Thing.state",
                          "pika.fake:helper", "pika.fake:VALUE", "pika.fake:gone"}
    assert "missing" in found["pika.fake:gone"] and "missing" in found["pika.fake:Thing.state"]
    assert "parameters differ" in found["pika.fake:Thing.go"]


def test_walker_ignores_typing_and_stdlib_imports_and_accepts_prefixes():
    from collections import deque
    from typing import Optional
    theirs = types.ModuleType("pika.fake")
    theirs.deque, theirs.Optional, theirs.TYPE_CHECKING = deque, Optional, False
    assert surface.public_names(theirs) == {}
    accepted = {"pika.x:Klass": "why", "pika.y:": "why"}
    assert surface.is_covered("pika.x:Klass.method", accepted) == "pika.x:Klass"
    assert surface.is_covered("pika.y:anything", accepted) == "pika.y:"
    assert surface.is_covered("pika.x:Other", accepted) is None
