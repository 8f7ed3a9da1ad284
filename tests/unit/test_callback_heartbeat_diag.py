"""pika_fast.callback, .heartbeat and .diagnostic_utils driven exactly as pika's, side by side.

Each scenario runs on pika's module and on ours; what the scenario observes (return values,
calls made, the registry's contents, timers, frames, errors) must be the same.
"""
from __future__ import annotations

import logging

import pika.callback
import pika.diagnostic_utils
import pika.exceptions
import pika.frame
import pika.heartbeat
import pika.spec
import pytest

import pika_fast.callback
import pika_fast.diagnostic_utils
import pika_fast.exceptions
import pika_fast.frame
import pika_fast.heartbeat
import pika_fast.spec

LIBS = {
    "pika": (pika.callback, pika.heartbeat, pika.diagnostic_utils, pika.spec, pika.frame,
             pika.exceptions),
    "pika_fast": (pika_fast.callback, pika_fast.heartbeat, pika_fast.diagnostic_utils,
                  pika_fast.spec, pika_fast.frame, pika_fast.exceptions),
}


def both(scenario):
    """Run ``scenario(lib modules...)`` on pika and on pika_fast; return both results."""
    return {name: scenario(*modules) for name, modules in LIBS.items()}


def assert_same(scenario):
    results = both(scenario)
    assert results["pika_fast"] == results["pika"]
    return results["pika"]


# ------------------------------------------------------------------ callback


@pytest.mark.parametrize("value", ["Basic.Ack", 5, "spec-class", "spec-instance", "frame"])
def test_name_or_value(value):
    def scenario(callback, heartbeat, diag, spec, frame, exceptions):
        given = {"spec-class": spec.Basic.Ack, "spec-instance": spec.Basic.Ack(),
                 "frame": frame.Method(1, spec.Basic.Ack())}.get(value, value)
        return callback.name_or_value(given)
    assert assert_same(scenario) in ("Basic.Ack", "5")


def test_add_process_one_shot_and_persistent():
    def scenario(callback, heartbeat, diag, spec, frame, exceptions):
        calls = []
        manager = callback.CallbackManager()
        first = lambda *a, **k: calls.append(("first", a, k))  # noqa: E731
        second = lambda *a, **k: calls.append(("second", a, k))  # noqa: E731
        out = [manager.add(1, spec.Basic.ConsumeOk, first),
               manager.add(1, spec.Basic.ConsumeOk, second, one_shot=False),
               manager.pending(1, spec.Basic.ConsumeOk),
               manager.process(1, spec.Basic.ConsumeOk, "caller", "x", y=2),
               manager.pending(1, "Basic.ConsumeOk"),
               manager.process(1, "Basic.ConsumeOk", "caller", "z"),
               manager.process(2, "Basic.ConsumeOk", "caller"),
               manager.process(1, "Other", "caller")]
        return out, calls
    out, calls = assert_same(scenario)
    assert out[0] == ("1", "Basic.ConsumeOk") and out[3] is True and out[6] is False


def test_duplicate_one_shot_counts_calls_and_duplicate_persistent_warns(caplog):
    def scenario(callback, heartbeat, diag, spec, frame, exceptions):
        calls = []
        manager = callback.CallbackManager()
        cb = lambda: calls.append("once")  # noqa: E731
        manager.add("p", "k", cb)
        manager.add("p", "k", cb)
        persistent = lambda: calls.append("always")  # noqa: E731
        manager.add("q", "k", persistent, one_shot=False)
        with caplog.at_level(logging.WARNING):
            caplog.clear()
            manager.add("q", "k", persistent, one_shot=False)
            warned = [r.getMessage() for r in caplog.records]
        counts = [manager.pending("p", "k")]
        manager.process("p", "k", None)
        counts.append(manager.pending("p", "k"))
        manager.process("p", "k", None)
        counts.append(manager.pending("p", "k"))
        manager.process("q", "k", None)
        manager.process("q", "k", None)
        return calls, counts, warned
    calls, counts, warned = assert_same(scenario)
    assert counts == [1, 1, None] and warned == ['Duplicate callback found for "q:k"']


def test_only_caller_and_arguments_filter():
    def scenario(callback, heartbeat, diag, spec, frame, exceptions):
        calls = []
        manager = callback.CallbackManager()
        manager.add(1, "Channel.CloseOk", lambda *a: calls.append("mine"), one_shot=False,
                    only_caller="me")
        manager.add(1, "Basic.Deliver", lambda *a: calls.append("tag-a"), one_shot=False,
                    arguments={"consumer_tag": "a"})
        manager.add(1, "d", lambda *a: calls.append("dict"), one_shot=False,
                    arguments={"x": 1})
        manager.process(1, "Channel.CloseOk", "someone else")
        manager.process(1, "Channel.CloseOk", "me")
        deliver_a = frame.Method(1, spec.Basic.Deliver(consumer_tag="a"))
        deliver_b = frame.Method(1, spec.Basic.Deliver(consumer_tag="b"))
        manager.process(1, "Basic.Deliver", None, deliver_b)
        manager.process(1, "Basic.Deliver", None, deliver_a)
        manager.process(1, "Basic.Deliver", None)
        manager.process(1, "d", None, {"x": 2})
        manager.process(1, "d", None, {"x": 1, "y": 0})
        return calls
    assert assert_same(scenario) == ["mine", "tag-a", "dict"]


def test_remove_remove_all_cleanup_clear():
    def scenario(callback, heartbeat, diag, spec, frame, exceptions):
        manager = callback.CallbackManager()
        a = lambda: None  # noqa: E731
        b = lambda: None  # noqa: E731
        manager.add(1, "k", a, one_shot=False)
        manager.add(1, "k", b, one_shot=False, arguments={"n": 1})
        manager.add(1, "j", a)
        manager.add(2, "k", a)
        out = [manager.remove(1, "k", b),            # arguments do not match: kept
               manager.pending(1, "k"),
               manager.remove(1, "k", b, {"n": 1}),
               manager.pending(1, "k"),
               manager.remove(1, "nothing", a),
               manager.remove(1, "k"),                 # no callback: nothing removed
               manager.pending(1, "k"),
               manager.remove_all(1, "k"),
               manager.pending(1, "k"),
               manager.remove_all(1, "k"),
               manager.cleanup(1),
               manager.cleanup(1),
               manager.pending(2, "k")]
        manager.clear()
        out.append(manager.pending(2, "k"))
        out.append(manager.cleanup(2))
        return out
    assert assert_same(scenario) == [True, 2, True, 1, False, True, 1, None, None, False,
                                     True, False, 1, None, False]


def test_callback_exception_is_logged_and_raised(caplog):
    def scenario(callback, heartbeat, diag, spec, frame, exceptions):
        calls = []
        manager = callback.CallbackManager()

        def boom():
            calls.append("boom")
            raise KeyError("x")
        manager.add(0, "k", boom)
        manager.add(0, "k", lambda: calls.append("after"))
        caplog.clear()
        with caplog.at_level(logging.ERROR):
            with pytest.raises(KeyError):
                manager.process(0, "k", None)
        return calls, manager.pending(0, "k"), len(caplog.records)
    assert assert_same(scenario) == (["boom"], None, 1)


def test_callback_manager_constants():
    def scenario(callback, *rest):
        manager = callback.CallbackManager
        return (manager.CALLS, manager.ARGUMENTS, manager.DUPLICATE_WARNING, manager.CALLBACK,
                manager.ONE_SHOT, manager.ONLY_CALLER)
    assert_same(scenario)


# ------------------------------------------------------------------ heartbeat


class FakeConnection:
    """The hooks HeartbeatChecker uses, with a manual clock."""

    def __init__(self):
        self.bytes_received = 0
        self.bytes_sent = 0
        self.timers = {}
        self.next_id = 0
        self.sent = []
        self.terminated = []
        self.log = []

    def _adapter_call_later(self, delay, callback):
        self.next_id += 1
        self.timers[self.next_id] = (delay, callback)
        self.log.append(("call_later", delay))
        return self.next_id

    def _adapter_remove_timeout(self, timer_id):
        self.log.append(("remove", timer_id))
        self.timers.pop(timer_id, None)

    def _send_frame(self, frame_value):
        self.sent.append(type(frame_value).__name__)

    def _terminate_stream(self, error):
        self.terminated.append((type(error).__name__, str(error)))

    def fire(self, delay):
        """Fire the pending timer of this delay."""
        for timer_id, (timer_delay, callback) in list(self.timers.items()):
            if timer_delay == delay:
                self.timers.pop(timer_id, None)
                callback()
                return
        raise AssertionError(f"no timer of {delay}s pending")


def test_heartbeat_checker_sends_checks_and_times_out():
    def scenario(callback, heartbeat, diag, spec, frame, exceptions):
        conn = FakeConnection()
        checker = heartbeat.HeartbeatChecker(conn, 10)
        out = [sorted(d for d, _ in conn.timers.values()), checker.connection_is_idle]
        conn.fire(5.0)
        conn.fire(5.0)
        checker.received()
        conn.bytes_received += 8
        out.append(checker.bytes_received_on_connection)
        conn.fire(15)  # data arrived in the window: still alive
        out += [checker.connection_is_idle, conn.terminated[:]]
        conn.fire(15)  # nothing arrived: abort
        out += [checker.connection_is_idle, conn.terminated[:], conn.sent[:]]
        checker.stop()
        out += [conn.timers != {}, conn.log]
        return out
    result = assert_same(scenario)
    assert result[-3] == ["Heartbeat", "Heartbeat"]
    assert result[-4] == [("AMQPHeartbeatTimeout",
                           "No activity or too many missed heartbeats in the last 10 seconds")]


def test_heartbeat_checker_stop_cancels_both_timers():
    def scenario(callback, heartbeat, diag, spec, frame, exceptions):
        conn = FakeConnection()
        checker = heartbeat.HeartbeatChecker(conn, 3)
        checker.stop()
        checker.stop()
        return conn.timers, conn.log
    assert assert_same(scenario) == ({}, [("call_later", 1.5), ("call_later", 8),
                                          ("remove", 1), ("remove", 2)])


@pytest.mark.parametrize("timeout", [0, -1, 0.5])
def test_heartbeat_checker_refuses_a_timeout_below_one(timeout):
    def scenario(callback, heartbeat, *rest):
        with pytest.raises(ValueError) as caught:
            heartbeat.HeartbeatChecker(FakeConnection(), timeout)
        return str(caught.value)
    assert_same(scenario)


# ------------------------------------------------------------------ diagnostic_utils


def test_log_exception_decorator(caplog):
    def scenario(callback, heartbeat, diag, *rest):
        logger = logging.getLogger("h4.diag")
        decorate = diag.create_log_exception_decorator(logger)

        @decorate
        def ok(a, b=2):
            """doc"""
            return a + b

        @decorate
        def bad():
            raise RuntimeError("oops")
        caplog.clear()
        with caplog.at_level(logging.ERROR, logger="h4.diag"):
            with pytest.raises(RuntimeError):
                bad()
        messages = [r.getMessage().splitlines()[0] for r in caplog.records]
        return ok(1), ok.__name__, ok.__doc__, messages, "RuntimeError: oops" in caplog.text
    assert assert_same(scenario) == (3, "ok", "doc",
                                     ["Wrapped func exited with exception. Caller's stack:"],
                                     True)
