"""Fixtures shared by the whole suite.

``codec`` runs a test on both codec twins. The compiled one is skipped only when
``PIKA_FAST_NO_EXTENSIONS`` is set: otherwise a missing or broken build is an error,
so a CI job can never go green on the pure twin alone by accident.
"""
import importlib
import os

import pytest

DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"


def env_flag(name):
    """True when the switch ``name`` is set the way pika_fast reads it (non-empty, not 0)."""
    return os.environ.get(name, "") not in ("", "0")


NO_EXTENSIONS = env_flag("PIKA_FAST_NO_EXTENSIONS")

CODEC_MODULES = {"cython": "pika_fast._codec_c", "python": "pika_fast._codec_py"}


# Session scope: the modules hold no state, and hypothesis refuses function-scoped
# fixtures under @given.
@pytest.fixture(scope="session", params=list(CODEC_MODULES))
def codec(request):
    """One codec twin: ``pika_fast._codec_c`` (id "cython") or ``pika_fast._codec_py``."""
    name = CODEC_MODULES[request.param]
    if request.param == "cython" and NO_EXTENSIONS:
        pytest.skip("PIKA_FAST_NO_EXTENSIONS is set: the compiled codec is not tested")
    try:
        module = importlib.import_module(name)
    except ImportError as exc:
        pytest.fail(
            f"{name} cannot be imported ({exc}). Build it with "
            "`PIKA_FAST_REQUIRE_EXTENSIONS=1 python setup.py build_ext --inplace`, or set "
            "PIKA_FAST_NO_EXTENSIONS=1 to test the pure-Python twin only.",
            pytrace=False,
        )
    yield module


@pytest.fixture(scope="session")
def amqp_url():
    """The broker the broker tests talk to (env AMQP_URL)."""
    return os.environ.get("AMQP_URL") or DEFAULT_AMQP_URL
