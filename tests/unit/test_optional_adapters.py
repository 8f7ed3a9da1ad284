"""The Tornado, Twisted and gevent adapters import their library only when used."""
from __future__ import annotations

import subprocess
import sys

import pytest

ADAPTERS = [
    ("pika_fast.adapters.tornado_connection", "TornadoConnection", "tornado", "tornado"),
    ("pika_fast.adapters.twisted_connection", "TwistedProtocolConnection", "twisted",
     "twisted"),
    ("pika_fast.adapters.gevent_connection", "GeventConnection", "gevent", "gevent"),
]


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)


def test_importing_pika_fast_loads_none_of_the_optional_libraries():
    result = _run("import sys, pika_fast, pika_fast.adapters\n"
                  "print(sorted(m for m in ('tornado', 'twisted', 'gevent') "
                  "if m in sys.modules))")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("module, name, library, extra", ADAPTERS,
                         ids=[a[2] for a in ADAPTERS])
def test_missing_library_raises_import_error_naming_the_extra(module, name, library, extra):
    # A None entry in sys.modules makes any import of the library fail.
    result = _run(f"import sys\nsys.modules[{library!r}] = None\n"
                  f"import pika_fast.adapters as adapters\n"
                  f"try:\n    getattr(adapters, {name!r})\n"
                  f"except ImportError as exc:\n    print('ImportError:', exc)\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ImportError:"), result.stdout
    assert f"pika_fast[{extra}]" in result.stdout and name in result.stdout


@pytest.mark.parametrize("module, name, library, extra", ADAPTERS,
                         ids=[a[2] for a in ADAPTERS])
def test_adapter_importable_from_its_module_and_from_adapters(module, name, library, extra):
    import importlib

    import pika_fast.adapters

    assert getattr(importlib.import_module(module), name) is getattr(pika_fast.adapters, name)
