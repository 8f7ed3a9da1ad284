"""pika_fast's type hints, as users' type checkers see them.

* The typed sample of user code passes ``mypy --strict``, including its ``assert_type``
  checks of the precise return types; deliberately wrong code is rejected with exactly
  the errors its ``# E:`` comments name.
* The sample is real code: its scenarios run against the broker.
* The stub of the generated spec (``spec.pyi``) is what the generator makes of the
  current ``spec.py`` and covers every public name of it.
* ``inspect.signature`` shows pika's modern ``basic_consume`` while both orders still run.
"""
from __future__ import annotations

import inspect
import os
import pathlib
import re
import subprocess
import sys
import threading
import uuid
import warnings

import pika
import pytest

import pika_fast
from pika_fast import spec
from pika_fast.adapters.blocking_connection import BlockingChannel
from pika_fast.channel import Channel

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SPEC_JSON = ROOT.parent / "shared" / "amqp" / "amqp-rabbitmq-0.9.1.json"
_ERROR_LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): error: .*\[(?P<code>[a-z-]+)\]$")


def _mypy(*files: pathlib.Path, cache: pathlib.Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent",
         "--no-error-summary", "--cache-dir", str(cache), *map(str, files)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "PYTHONPATH": str(ROOT)})


@pytest.fixture(scope="module")
def mypy_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("mypy_cache")


def test_sample_user_code_passes_mypy_strict(mypy_cache):
    result = _mypy(HERE / "sample_user_code.py", cache=mypy_cache)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def test_mypy_rejects_the_mistakes_in_bad_user_code(mypy_cache):
    path = HERE / "bad_user_code.py"
    expected = set()
    for number, line in enumerate(path.read_text().splitlines(), 1):
        marker = re.search(r"# E: ([a-z-]+)$", line)
        if marker:
            expected.add((number, marker.group(1)))
    assert len(expected) >= 10
    result = _mypy(path, cache=mypy_cache)
    assert result.returncode == 1, result.stdout + result.stderr
    reported = set()
    for line in result.stdout.splitlines():
        match = _ERROR_LINE.match(line)
        if match:
            assert match.group("file").endswith("bad_user_code.py"), line
            reported.add((int(match.group("line")), match.group("code")))
    assert reported == expected, result.stdout


def test_a_wrong_assert_type_is_reported(tmp_path, mypy_cache):
    """The sample's assert_type lines would catch an imprecise hint."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from typing import Any\n"
        "from typing_extensions import assert_type\n"
        "from pika_fast.adapters.blocking_connection import BlockingChannel\n"
        "def f(ch: BlockingChannel) -> None:\n"
        "    assert_type(ch.queue_declare('q'), Any)\n"
        "    assert_type(ch.queue_declare('q').method.message_count, int)\n")
    result = _mypy(probe, cache=mypy_cache)
    assert result.returncode == 1
    assert re.search(r"probe\.py:5: error: .*\[assert-type\]", result.stdout), result.stdout
    assert "probe.py:6" not in result.stdout


# ------------------------------------------------------------------------- the stub


def test_spec_stub_is_fresh(tmp_path):
    if not SPEC_JSON.is_file():
        pytest.fail(f"{SPEC_JSON} is absent: cannot check pika_fast/spec.pyi")
    subprocess.run([sys.executable, str(ROOT / "tools" / "gen_spec_stub.py"), str(SPEC_JSON),
                    "--out", str(tmp_path)], check=True, capture_output=True,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    fresh = (tmp_path / "pika_fast" / "spec.pyi").read_text()
    assert (ROOT / "pika_fast" / "spec.pyi").read_text() == fresh, \
        "pika_fast/spec.pyi is stale: run `make spec-stub`"


def test_spec_stub_covers_every_public_name_and_field():
    stub = (ROOT / "pika_fast" / "spec.pyi").read_text()
    for name in vars(spec):
        if not name.startswith("_"):
            assert re.search(rf"^(class |def )?{name}\b|\bas {name}$", stub, re.M), name
    for method_class in spec.methods.values():
        params = list(inspect.signature(method_class.__init__).parameters)[1:]
        for param in params:
            assert f"{param}: " in stub, (method_class.NAME, param)


# ------------------------------------------------------------- basic_consume signature


@pytest.mark.parametrize("ours, theirs", [
    (BlockingChannel.basic_consume,
     pika.adapters.blocking_connection.BlockingChannel.basic_consume),
    (Channel.basic_consume, pika.channel.Channel.basic_consume),
])
def test_basic_consume_signature_is_pikas_modern_one(ours, theirs):
    def shape(func):
        return [(p.name, p.kind, p.default) for p in inspect.signature(func).parameters.values()]
    assert shape(ours) == shape(theirs)
    assert inspect.signature(ours).return_annotation == "str"


# ---------------------------------------------------------- the sample, run for real


@pytest.fixture
def sample():
    sys.path.insert(0, str(HERE))
    try:
        import sample_user_code
    finally:
        sys.path.remove(str(HERE))
    return sample_user_code


@pytest.fixture
def queue_name(amqp_url):
    name = f"pika_fast.typing.{uuid.uuid4().hex}"
    yield name
    conn = pika_fast.BlockingConnection(pika_fast.URLParameters(amqp_url))
    conn.channel().queue_delete(name)
    conn.close()


def test_sample_publish_consume_get_and_drain(sample, amqp_url, queue_name):
    bodies = [f"m{n}".encode() for n in range(8)]
    sent = sample.publish_persistent(amqp_url, queue_name, bodies)
    assert sent == 8
    assert sample.consume_some(amqp_url, queue_name, 3) == [(n, b"m%d" % n) for n in range(3)]
    assert sample.get_one(amqp_url, queue_name) == b"m3"
    assert sample.drain_with_generator(amqp_url, queue_name) == [b"m%d" % n for n in range(4, 8)]
    assert sample.get_one(amqp_url, queue_name) is None


def test_sample_explicit_parameters_connect(sample, amqp_url):
    import pika_fast

    url = pika_fast.URLParameters(amqp_url)
    params = sample.explicit_parameters(url.host, url.port)
    assert (params.heartbeat, params.connection_attempts, params.tcp_options) == (
        30, 3, {"TCP_KEEPIDLE": 60})
    with pika_fast.BlockingConnection(params) as conn:
        assert conn.is_open and conn.channel().is_open


def test_sample_rpc_with_the_old_consume_order(sample, amqp_url, queue_name):
    ready = threading.Event()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        server = threading.Thread(target=sample.serve_one_rpc,
                                  args=(amqp_url, queue_name, ready))
        server.start()
        assert ready.wait(30)
        assert sample.rpc_call(amqp_url, queue_name, b"ping", timeout=30) == b"PING"
        server.join(30)
    assert not server.is_alive()


def test_sample_async_publisher_and_timers(sample, amqp_url, queue_name):
    assert sample.AsyncPublisher(amqp_url, queue_name, 5).run() == 5
    assert sample.timers_and_threads(amqp_url) == ["timer", "thread"]
    assert sample.purge_and_delete(amqp_url, queue_name) >= 0
