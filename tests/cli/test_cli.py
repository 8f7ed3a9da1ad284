"""The ``pika-fast`` command, run as a subprocess (``python -m pika_fast``) against the
real broker: round trips, queue declaration, ``perf`` with its JSON and CSV, and every
error path (exit code, exactly one line on stderr, no traceback unless ``--debug``).

The subprocesses inherit the codec switches, so this file runs on both codecs, and
run against whichever pika_fast the interpreter imports (the checkout, or an installed
wheel under ``make test-wheel``).
"""
from __future__ import annotations

import csv
import io
import json
import os
import socket
import subprocess
import sys
import uuid

import pytest

import pika_fast

pytestmark = pytest.mark.broker

EXPECTED_BACKEND = "python" if os.environ.get("PIKA_FAST_NO_EXTENSIONS", "") not in ("", "0") \
    else "cython"


def run_cli(*args, url=None, stdin=None, timeout=180, env=None):
    """``python -m pika_fast ARGS`` (with ``--url`` appended when given)."""
    command = [sys.executable, "-m", "pika_fast", *args]
    if url is not None:
        command += ["--url", url]
    return subprocess.run(command, input=stdin, capture_output=True, timeout=timeout,
                          env=env, check=False)


def err_lines(result):
    return result.stderr.decode().strip().splitlines()


def assert_one_line_error(result, code, *fragments):
    """Exit ``code``, one stderr line holding every fragment, no traceback."""
    lines = err_lines(result)
    assert result.returncode == code, (result.returncode, lines)
    assert len(lines) == 1, lines
    assert "Traceback" not in result.stderr.decode()
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def queue(amqp_url):
    """A fresh queue name; the queue is deleted afterwards whatever the test did."""
    name = f"pika-fast-cli-{uuid.uuid4().hex[:10]}"
    yield name
    run_cli("delete-queue", name, url=amqp_url)


def declared(amqp_url, name):
    """The queue's message count, through the CLI itself (--passive --json)."""
    result = run_cli("declare-queue", name, "--passive", "--json", url=amqp_url)
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["queue"] == name
    return info["messages"]


# ----------------------------------------------------------------------- the basics


def test_help_lists_every_subcommand_and_the_exit_codes():
    result = run_cli("--help")
    assert result.returncode == 0
    out = result.stdout.decode()
    for command in ("perf", "publish", "consume", "get", "declare-queue", "delete-queue"):
        assert command in out
    assert "exit codes" in out
    perf_help = run_cli("perf", "--help").stdout.decode()
    for option in ("--producers", "--consumers", "--size", "--rate", "--confirm",
                   "--prefetch", "--auto-ack", "--queue", "--quorum", "--time",
                   "--pmessages", "--adapter", "--url", "--persistent", "--compare",
                   "--json", "--csv"):
        assert option in perf_help, option


def test_version_names_the_package_version_and_codec():
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.decode().split() == [
        "pika-fast", pika_fast.__version__, "(codec:", f"{EXPECTED_BACKEND})"]


def test_no_subcommand_prints_usage_and_fails():
    result = run_cli()
    assert result.returncode == 2
    assert "usage: pika-fast" in result.stderr.decode()


# ------------------------------------------------------------------------ round trips


def test_publish_then_get_keeps_the_message_until_ack(amqp_url, queue):
    assert run_cli("declare-queue", queue, url=amqp_url).returncode == 0
    published = run_cli("publish", "--routing-key", queue, "--body", "hello, broker",
                        url=amqp_url)
    assert published.returncode == 0, published.stderr
    assert "published 1 message(s)" in published.stderr.decode()

    peek = run_cli("get", "--queue", queue, url=amqp_url)
    assert (peek.returncode, peek.stdout) == (0, b"hello, broker\n")
    assert declared(amqp_url, queue) == 1  # not acked: back in the queue

    taken = run_cli("get", "--queue", queue, "--ack", url=amqp_url)
    assert (taken.returncode, taken.stdout) == (0, b"hello, broker\n")
    assert declared(amqp_url, queue) == 0

    empty = run_cli("get", "--queue", queue, url=amqp_url)
    assert_one_line_error(empty, 7, f"queue {queue!r} is empty")


def test_publish_lines_from_stdin_then_consume_count_acks_in_order(amqp_url, queue):
    assert run_cli("declare-queue", queue, url=amqp_url).returncode == 0
    lines = [f"line {n}".encode() for n in range(5)]
    published = run_cli("publish", "-k", queue, "--lines", stdin=b"\n".join(lines) + b"\n",
                        url=amqp_url)
    assert published.returncode == 0, published.stderr
    assert "published 5 message(s)" in published.stderr.decode()

    consumed = run_cli("consume", "--queue", queue, "--count", "3", "--ack", url=amqp_url)
    assert consumed.returncode == 0, consumed.stderr
    assert consumed.stdout.splitlines() == lines[:3]
    assert "received 3 message(s)" in consumed.stderr.decode()
    assert declared(amqp_url, queue) == 2

    rest = run_cli("consume", "-Q", queue, "--idle-timeout", "1", "--ack", url=amqp_url)
    assert rest.returncode == 0, rest.stderr
    assert rest.stdout.splitlines() == lines[3:]
    assert declared(amqp_url, queue) == 0


def test_stdin_body_is_one_message_byte_for_byte(amqp_url, queue):
    assert run_cli("declare-queue", queue, url=amqp_url).returncode == 0
    body = bytes(range(256)) * 4
    assert run_cli("publish", "-k", queue, stdin=body, url=amqp_url).returncode == 0
    got = run_cli("get", "-Q", queue, "--ack", "--json", url=amqp_url)
    assert got.returncode == 0, got.stderr
    record = json.loads(got.stdout)
    import base64
    assert base64.b64decode(record["body_base64"]) == body


def test_consume_json_shows_properties_and_headers(amqp_url, queue):
    assert run_cli("declare-queue", queue, url=amqp_url).returncode == 0
    published = run_cli("publish", "-k", queue, "-b", '{"n": 1}', "--content-type",
                        "application/json", "-H", "tenant=acme", "-H", "attempt=2",
                        "--persistent", url=amqp_url)
    assert published.returncode == 0, published.stderr
    consumed = run_cli("consume", "-Q", queue, "-n", "1", "--ack", "--json", url=amqp_url)
    assert consumed.returncode == 0, consumed.stderr
    record = json.loads(consumed.stdout)
    assert record["body"] == '{"n": 1}'
    assert record["routing_key"] == queue
    assert record["exchange"] == ""
    assert record["properties"]["content_type"] == "application/json"
    assert record["properties"]["delivery_mode"] == 2
    assert record["properties"]["headers"] == {"tenant": "acme", "attempt": 2}


def test_declare_queue_durable_quorum_and_conflicts(amqp_url, queue):
    result = run_cli("declare-queue", queue, "--quorum", "--json", url=amqp_url)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"queue": queue, "messages": 0, "consumers": 0}
    # The same name as a classic, non-durable queue: the broker refuses (406).
    conflict = run_cli("declare-queue", queue, url=amqp_url)
    assert_one_line_error(conflict, 6, "PRECONDITION_FAILED")
    plain = run_cli("declare-queue", queue, "--durable", "--arg", "x-queue-type=quorum",
                    url=amqp_url)
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout.decode().strip() == f"queue {queue!r}: 0 message(s), 0 consumer(s)"
    deleted = run_cli("delete-queue", queue, url=amqp_url)
    assert deleted.returncode == 0
    assert_one_line_error(run_cli("declare-queue", queue, "--passive", url=amqp_url), 5,
                          "NOT_FOUND", queue)


def test_mandatory_publish_with_no_queue_bound_fails(amqp_url):
    result = run_cli("publish", "-k", f"nobody-{uuid.uuid4().hex}", "-b", "x",
                     "--mandatory", url=amqp_url)
    assert_one_line_error(result, 1, "returned")


# --------------------------------------------------------------------------- errors


def test_unreachable_broker(amqp_url):
    url = f"amqp://guest:guest@127.0.0.1:{free_port()}/%2F"
    for args in (("get", "-Q", "q"), ("publish", "-b", "x"), ("consume", "-Q", "q"),
                 ("declare-queue", "q"), ("perf", "--time", "1")):
        result = run_cli(*args, url=url)
        line = assert_one_line_error(result, 3, "cannot reach the broker", "refused")
        assert line.startswith(f"pika-fast {args[0]}: ")


def test_wrong_password(amqp_url):
    url = amqp_url.replace("guest:guest@", "guest:not-the-password@", 1)
    assert url != amqp_url
    result = run_cli("get", "-Q", "q", url=url)
    line = assert_one_line_error(result, 4, "authentication failed")
    assert "not-the-password" not in line


def test_unknown_virtual_host(amqp_url):
    url = amqp_url.rsplit("/", 1)[0] + f"/no-such-vhost-{uuid.uuid4().hex[:6]}"
    assert_one_line_error(run_cli("get", "-Q", "q", url=url), 4, "access refused",
                          "no-such-vhost")


@pytest.mark.parametrize("url, fragment", [
    ("http://127.0.0.1/", "scheme must be amqp"),
    ("amqp://guest:secret@127.0.0.1:99999/", "Port out of range"),
    ("amqp://guest:secret@[::1/", "bad broker URL"),
    ("amqp://guest:guest@host.invalid:5672/%2F", "cannot resolve the host name"),
], ids=["scheme", "port", "ipv6", "unknown-host"])
def test_bad_url(url, fragment):
    result = run_cli("declare-queue", "q", url=url)
    code = 3 if "resolve" in fragment else 2
    line = assert_one_line_error(result, code, fragment)
    assert "secret" not in line


def test_bad_url_from_the_environment():
    env = dict(os.environ, AMQP_URL="redis://127.0.0.1/")
    assert_one_line_error(run_cli("get", "-Q", "q", env=env), 2, "scheme must be amqp")


def test_missing_queue_and_exchange(amqp_url):
    missing = f"missing-{uuid.uuid4().hex}"
    assert_one_line_error(run_cli("get", "-Q", missing, url=amqp_url), 5, "NOT_FOUND",
                          missing)
    assert_one_line_error(run_cli("consume", "-Q", missing, url=amqp_url), 5, "NOT_FOUND")
    assert_one_line_error(run_cli("publish", "-e", missing, "-b", "x", url=amqp_url), 5,
                          "NOT_FOUND", "exchange")


def test_debug_shows_the_traceback(amqp_url):
    result = run_cli("get", "-Q", f"missing-{uuid.uuid4().hex}", "--debug", url=amqp_url)
    assert result.returncode == 5
    err = result.stderr.decode()
    assert "Traceback (most recent call last)" in err
    assert err.strip().splitlines()[-1].startswith("pika-fast get: the broker refused")


@pytest.mark.parametrize("args, fragment", [
    (("--size", "4"), "--size must be at least 8"),
    (("--rate", "-1"), "--rate cannot be negative"),
    (("-x", "0", "-y", "0"), "nothing to do"),
    (("--adapter", "threadsafe", "--compare", "pika"), "no thread-safe connection"),
], ids=["size", "rate", "nothing", "threadsafe-compare"])
def test_perf_refuses_bad_settings(amqp_url, args, fragment):
    assert_one_line_error(run_cli("perf", *args, url=amqp_url), 2, fragment)


def test_perf_twisted_refuses_amqps():
    # Refused before any connection: nothing listens for TLS here.
    result = run_cli("perf", "--adapter", "twisted", url="amqps://guest:guest@127.0.0.1/%2F")
    assert_one_line_error(result, 2, "--adapter twisted", "use an amqp:// URL")


@pytest.mark.parametrize("library", ["pika_fast", "pika"])
@pytest.mark.parametrize("adapter", ["gevent", "twisted"])
def test_perf_worker_reports_an_unreachable_broker_in_one_line(library, adapter):
    # perf's own connection fails first when the broker is away, so run one worker
    # directly, as perf does: its error must still be the one line perf prints.
    import multiprocessing

    from pika_fast.cli import _perf_worker
    ctx = multiprocessing.get_context("spawn")
    reports, go, stop = ctx.Queue(), ctx.Event(), ctx.Event()
    config = {"library": library, "adapter": adapter, "wid": 0, "role": "consumer",
              "url": f"amqp://guest:guest@127.0.0.1:{free_port()}/%2F", "queue": "q",
              "size": 12, "rate": 0, "confirm": 0, "prefetch": 10, "auto_ack": False,
              "persistent": False, "pmessages": 0}
    worker = ctx.Process(target=_perf_worker.run, args=(config, reports, go, stop))
    worker.start()
    try:
        kind, wid, line, code, _trace = reports.get(timeout=60)
    finally:
        worker.join(timeout=30)
    assert (kind, wid, code) == ("error", 0, 3), line
    assert line.startswith("cannot reach the broker at 127.0.0.1:"), line
    assert "\n" not in line


# ----------------------------------------------------------------------------- perf


def _check_run(run, *, library, adapter, producers=1):
    assert run["library"] == library
    assert run["adapter"] == adapter
    assert run["sent"] > 0
    assert run["received"] == run["sent"], run  # the consumers got everything
    assert run["drained"] is True
    assert run["send_rate"] > 0 and run["receive_rate"] > 0
    latency = run["latency_us"]
    assert latency["count"] == run["received"]
    assert 0 <= latency["min"] <= latency["median"] <= latency["p95"] <= latency["p99"] \
        <= latency["max"]
    # A latency is a difference of two clock readings microseconds apart on one host:
    # under a minute even on a loaded machine.
    assert latency["max"] < 60_000_000
    assert run["client_cpu_s"] > 0


@pytest.mark.parametrize("adapter", ["select", "tornado", "twisted"])
def test_perf_unlimited_callback_producer_stops_on_time(amqp_url, adapter):
    """No rate, no confirms: a callback producer holds back while its socket cannot keep
    up, so the run's producing time is the --time asked for, not that plus however
    long a buffer grown for the whole run takes to drain (it was 10x as long)."""
    result = run_cli("perf", "--time", "2", "--consumers", "0", "--adapter", adapter,
                     "--json", url=amqp_url)
    assert result.returncode == 0, result.stderr.decode()
    (run,) = json.loads(result.stdout)["runs"]
    assert run["sent"] > 0
    assert 2.0 <= run["duration_s"] < 2.0 + 3.0, run


@pytest.mark.parametrize("adapter", ["blocking", "select", "asyncio", "threadsafe", "gevent",
                                     "twisted"])
def test_perf_json_for_about_three_seconds(amqp_url, adapter):
    result = run_cli("perf", "--time", "3", "--rate", "300", "--confirm", "20",
                     "--adapter", adapter, "--json", url=amqp_url)
    assert result.returncode == 0, result.stderr.decode()
    document = json.loads(result.stdout)
    assert document["tool"] == "pika-fast perf"
    assert document["version"] == pika_fast.__version__
    assert document["settings"]["adapter"] == adapter
    assert document["ratios"] is None
    (run,) = document["runs"]
    _check_run(run, library="pika_fast", adapter=adapter)
    assert run["codec"] == EXPECTED_BACKEND
    assert run["confirmed"] == run["sent"]  # every publish confirmed
    # The live lines went to stderr, plain (not a terminal), one per second or so.
    live = [line for line in err_lines(result) if line.startswith("[pika_fast]")]
    assert len(live) >= 2
    assert all("sent" in line and "latency us" in line for line in live)
    assert "\r" not in result.stderr.decode()


def test_perf_pmessages_several_producers_and_consumers_csv(amqp_url):
    result = run_cli("perf", "-x", "2", "-y", "2", "-C", "500", "-s", "64", "-a",
                     "--adapter", "select", "--csv", url=amqp_url)
    assert result.returncode == 0, result.stderr.decode()
    (row,) = list(csv.DictReader(io.StringIO(result.stdout.decode())))
    assert int(row["sent"]) == 1000
    assert int(row["received"]) == 1000
    assert int(row["latency_us_count"]) == 1000
    assert row["drained"] == "True"
    # The human table went to stderr.
    assert "messages sent" in result.stderr.decode()


def test_perf_named_queue_is_kept(amqp_url, queue):
    result = run_cli("perf", "-C", "100", "--queue", queue, "--persistent", "--json",
                     url=amqp_url)
    assert result.returncode == 0, result.stderr.decode()
    (run,) = json.loads(result.stdout)["runs"]
    assert run["sent"] == run["received"] == 100
    assert declared(amqp_url, queue) == 0  # it exists, and is empty


@pytest.mark.parametrize("adapter", ["blocking", "gevent", "twisted"])
def test_perf_compare_pika_runs_both_and_prints_ratios(amqp_url, adapter):
    pytest.importorskip("pika", reason="pika 1.4.4 is a test dependency")
    result = run_cli("perf", "-C", "300", "--confirm", "10", "--compare", "pika", "--json",
                     "--adapter", adapter, url=amqp_url)
    assert result.returncode == 0, result.stderr.decode()
    document = json.loads(result.stdout)
    fast, pika = document["runs"]
    _check_run(fast, library="pika_fast", adapter=adapter)
    _check_run(pika, library="pika", adapter=adapter)  # pika's adapter of that name
    assert fast["confirmed"] == fast["sent"] == 300 and pika["confirmed"] == pika["sent"] == 300
    assert pika["library_version"] == "1.4.4"
    assert pika["codec"] is None
    assert set(document["ratios"]) == {
        "send_rate", "confirm_rate", "receive_rate", "latency_us.median",
        "latency_us.p95", "latency_us.p99", "client_cpu_us_per_msg"}
    assert document["ratios"]["send_rate"] == round(fast["send_rate"] / pika["send_rate"], 2)
    table = result.stderr.decode()
    assert "pika_fast vs pika" in table and "pika 1.4.4" in table


def test_perf_without_pika_installed_says_so(amqp_url, tmp_path):
    # A stub on the path that makes `pika` unfindable: find_spec() sees a None spec.
    (tmp_path / "sitecustomize.py").write_text(
        "import sys\n"
        "class _Hide:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'pika' or name.startswith('pika.'):\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, _Hide())\n")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tmp_path), env.get("PYTHONPATH")]))
    result = run_cli("perf", "--compare", "pika", url=amqp_url, env=env)
    assert_one_line_error(result, 2, "pika is not installed")


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal (POSIX)")
def test_perf_on_a_terminal_rewrites_one_live_line(amqp_url):
    # stderr on a pseudo-terminal: the live line is redrawn in place (\r, clear line)
    # and ends with one newline before the summary.
    leader, follower = os.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pika_fast", "perf", "--time", "2.5", "--rate", "200",
             "--url", amqp_url],
            stdout=subprocess.PIPE, stderr=follower, timeout=180, check=False)
        os.close(follower)
        follower = -1
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the terminal has no writer left
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        if follower != -1:
            os.close(follower)
        os.close(leader)
    terminal = b"".join(chunks).decode()
    assert done.returncode == 0, terminal
    assert terminal.count("\r\x1b[2K[pika_fast]") >= 2
    assert "messages sent" in done.stdout.decode()
