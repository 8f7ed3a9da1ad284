"""The pieces of ``pika-fast`` that need no broker: URL checks, error lines, the
``perf`` arithmetic (percentiles, ratios, the backlog rule) and its output formats."""
from __future__ import annotations

import csv
import io
import socket
from array import array

import pytest

from pika_fast import exceptions
from pika_fast.cli import _common, build_parser, perf


# ------------------------------------------------------------------------------ URLs

@pytest.mark.parametrize("url", [
    "amqp://guest:guest@127.0.0.1:5672/%2F", "amqps://u:p@broker.example:5671/vh",
    "amqp://", "amqp://localhost"])
def test_good_urls_pass(url):
    assert _common.check_url(url) == url


@pytest.mark.parametrize("url, fragment", [
    ("http://127.0.0.1/", "scheme"), ("amqp://h:99999/", "Port out of range"),
    ("amqp://h:port/", "bad broker URL"), ("amqp://h:0/", "port 0"),
    ("amqp://[::1/", "bad broker URL")])
def test_bad_urls_are_usage_errors(url, fragment):
    with pytest.raises(_common.CLIError) as caught:
        _common.check_url(url)
    assert caught.value.code == _common.EXIT_USAGE
    assert fragment in caught.value.message


def test_redact_hides_the_password_only():
    assert _common.redact("amqp://bob:s3cret@h:5672/v") == "amqp://bob:***@h:5672/v"
    assert _common.redact("amqp://h/v") == "amqp://h/v"
    assert "s3cret" not in _common.redact("amqp://bob:s3cret@[bad")


def test_resolve_url_prefers_the_option_then_the_environment(monkeypatch):
    monkeypatch.setenv("AMQP_URL", "amqp://env-host/")
    assert _common.resolve_url("amqp://option-host/") == "amqp://option-host/"
    assert _common.resolve_url(None) == "amqp://env-host/"
    monkeypatch.delenv("AMQP_URL")
    assert _common.resolve_url(None) == _common.DEFAULT_URL


def test_parse_pairs():
    assert _common.parse_pairs(["a=1", "b=x", "c=true", "d=-3", "e="], "--arg") == {
        "a": 1, "b": "x", "c": True, "d": -3, "e": ""}
    with pytest.raises(_common.CLIError, match="KEY=VALUE"):
        _common.parse_pairs(["novalue"], "--arg")


# ----------------------------------------------------------------------- error lines

def test_describe_maps_pika_exceptions_to_lines_and_codes():
    url = "amqp://u:p@example.test:5673/"
    refused = exceptions.AMQPConnectionError(
        exceptions.AMQPConnectorSocketConnectError(ConnectionRefusedError(111, "refused")))
    line, code = _common.describe(refused, url)
    assert code == _common.EXIT_UNREACHABLE
    assert line == ("cannot reach the broker at example.test:5673: connection refused "
                    "(is RabbitMQ running?)")
    unresolved = exceptions.AMQPConnectionError(socket.gaierror(-2, "Name or service not known"))
    assert _common.describe(unresolved, url)[0].endswith(
        "cannot resolve the host name (Name or service not known)")
    assert _common.describe(exceptions.ProbableAuthenticationError("x"), url)[1] == \
        _common.EXIT_REFUSED
    not_found = exceptions.ChannelClosedByBroker(404, "NOT_FOUND - no queue 'q'")
    assert _common.describe(not_found) == (
        "the broker refused: (404) NOT_FOUND - no queue 'q'", _common.EXIT_NOT_FOUND)
    conflict = exceptions.ChannelClosedByBroker(406, "PRECONDITION_FAILED - x")
    assert _common.describe(conflict)[1] == _common.EXIT_CONFLICT
    assert _common.describe(ValueError("odd")) == ("ValueError: odd", _common.EXIT_ERROR)


def test_describe_maps_twisted_connect_errors():
    # perf --adapter twisted: Twisted's own classes, which are not OSErrors.
    from twisted.internet import error as twisted_error
    url = "amqp://u:p@example.test:5673/"
    assert _common.describe(twisted_error.ConnectionRefusedError(), url) == (
        "cannot reach the broker at example.test:5673: connection refused "
        "(is RabbitMQ running?)", _common.EXIT_UNREACHABLE)
    line, code = _common.describe(twisted_error.TCPTimedOutError(), url)
    assert code == _common.EXIT_UNREACHABLE
    assert line.startswith("cannot reach the broker at example.test:5673: TCP connection timed out")


def test_every_subcommand_takes_url_and_debug():
    parser = build_parser()
    for command in (["perf"], ["publish"], ["consume", "-Q", "q"], ["get", "-Q", "q"],
                    ["declare-queue", "q"], ["delete-queue", "q"]):
        args = parser.parse_args([*command, "--url", "amqp://x/", "--debug"])
        assert (args.url, args.debug) == ("amqp://x/", True)


# ------------------------------------------------------------------------------ perf

def test_latency_summary_percentiles():
    assert perf._latency_summary(array("q"))["count"] == 0
    summary = perf._latency_summary(array("q", range(1, 101)))
    assert summary == {"count": 100, "min": 1, "median": 51, "p95": 95, "p99": 99,
                       "max": 100}
    assert perf._latency_summary(array("q", [7]))["p99"] == 7


def _run(library, **overrides):
    run = {"library": library, "library_version": "1", "codec": None, "adapter": "blocking",
           "duration_s": 10.0, "sent": 1000, "confirmed": 0, "nacked": 0, "returned": 0,
           "received": 1000, "send_rate": 100.0, "confirm_rate": 0.0, "receive_rate": 100.0,
           "drained": True, "drain_s": 0.1,
           "latency_us": {"count": 1000, "min": 1, "median": 10, "p95": 20, "p99": 30,
                          "max": 40},
           "client_cpu_s": 1.0, "client_cpu_us_per_msg": 50.0}
    run.update(overrides)
    return run


def test_ratios_say_how_many_times_better_pika_fast_is():
    fast = _run("pika_fast", send_rate=300.0, receive_rate=200.0, client_cpu_us_per_msg=10.0,
                latency_us={"count": 1, "min": 1, "median": 5, "p95": 10, "p99": 15, "max": 20})
    slow = _run("pika")
    ratio = perf.ratios(fast, slow)
    assert ratio["send_rate"] == 3.0
    assert ratio["receive_rate"] == 2.0
    assert ratio["client_cpu_us_per_msg"] == 5.0
    assert ratio["latency_us.median"] == 2.0
    assert ratio["confirm_rate"] is None  # no confirms in either run


def test_no_latency_ratio_when_a_run_built_a_backlog():
    for backlog in ({"drained": False}, {"drain_s": 4.0}):
        ratio = perf.ratios(_run("pika_fast", **backlog), _run("pika"))
        assert ratio["latency_us.median"] is None
        assert ratio["send_rate"] == 1.0
        table = perf.summary_table({}, [_run("pika_fast", **backlog), _run("pika")], ratio)
        assert "no latency ratios" in table
    assert not perf.backlogged(_run("x", drained=None))  # no consumers: nothing to judge


def test_summary_table_and_csv():
    runs = [_run("pika_fast", codec="cython"), _run("pika")]
    table = perf.summary_table({}, runs, perf.ratios(*runs))
    lines = table.splitlines()
    assert "pika_fast 1 (cython)" in lines[0] and "pika_fast vs pika" in lines[0]
    assert any(line.startswith("sent msg/s") and line.rstrip().endswith("1.00x")
               for line in lines)
    rows = list(csv.DictReader(io.StringIO(perf.to_csv(runs))))
    assert [r["library"] for r in rows] == ["pika_fast", "pika"]
    assert rows[0]["latency_us_p99"] == "30"
    assert "latency_us" not in rows[0]


def test_live_line_plain_when_not_a_terminal():
    stream = io.StringIO()
    live = perf.Live(stream, "[x]")
    live.show(1.0, 10, 9, 8, array("q", [5, 6, 7]))
    live.show(2.0, 0, 0, 0, array("q"))
    live.end()
    first, second = stream.getvalue().splitlines()
    assert first.startswith("[x]   1.0s  sent        10/s  received         9/s")
    assert "median 6" in first
    assert second.endswith("latency us -")
    assert "\r" not in stream.getvalue()
