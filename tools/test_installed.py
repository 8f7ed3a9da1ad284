"""Run tests against an INSTALLED pika_fast (a wheel or an sdist install), not a checkout.

    python tools/test_installed.py --backend cython tests/codec tests/test_backend.py

Run it with the interpreter of the environment that has pika_fast installed. It copies
``tests/`` (as the package ``tests``, so ``tests.support`` imports keep working), the
test-support package ``fuzz/`` and the pytest settings into a temporary directory
(tests that inspect the source tree itself are left to ``make test``), unsets PYTHONPATH, proves that
``import pika_fast`` there resolves inside this interpreter's prefix with the expected
codec backend, then runs pytest from that directory. Used by ``make test-wheel``,
``make test-sdist-pure`` and the cibuildwheel test-command.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: Test-support packages outside tests/ that tests import (copied when present).
SUPPORT = ("fuzz",)
#: Tests of the source tree itself (they read pika_fast/*.py and src_pyx/ from the
#: checkout, not the installed package); ``make test`` runs them.
SOURCE_TREE_TESTS = ("tests/test_imports.py",
                     # the spec stub's freshness and coverage read pika_fast/spec.pyi and
                     # the AMQP JSON from the checkout
                     "tests/typing/test_typecheck.py::test_spec_stub_is_fresh",
                     "tests/typing/test_typecheck.py::"
                     "test_spec_stub_covers_every_public_name_and_field")
SWITCHES = {"cython": ("PIKA_FAST_REQUIRE_EXTENSIONS", "PIKA_FAST_NO_EXTENSIONS"),
            "python": ("PIKA_FAST_NO_EXTENSIONS", "PIKA_FAST_REQUIRE_EXTENSIONS")}


def _inside(path: str, folder: str) -> bool:
    path, folder = os.path.realpath(path), os.path.realpath(folder)
    return os.path.commonpath([path, folder]) == folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=sorted(SWITCHES), required=True,
                        help="the codec backend the installed package must use")
    parser.add_argument("--from", dest="root", default=HERE,
                        help="the checkout holding tests/ and pyproject.toml")
    parser.add_argument("paths", nargs="*", default=["tests"],
                        help="test paths relative to the checkout (default: tests)")
    args, pytest_args = parser.parse_known_args(argv)

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    wanted, unwanted = SWITCHES[args.backend]
    env[wanted] = "1"
    env.pop(unwanted, None)

    work = tempfile.mkdtemp(prefix="pika_fast_installed_")
    try:
        shutil.copytree(os.path.join(args.root, "tests"), os.path.join(work, "tests"),
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        shutil.copy(os.path.join(args.root, "pyproject.toml"), work)  # pytest settings
        for name in SUPPORT:
            if os.path.isdir(os.path.join(args.root, name)):
                shutil.copytree(os.path.join(args.root, name), os.path.join(work, name),
                                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        ignored = [f"--deselect={path}" if "::" in path else f"--ignore={path}"
                   for path in SOURCE_TREE_TESTS
                   if os.path.exists(os.path.join(work, path.split("::")[0]))]
        probe = subprocess.run(
            [sys.executable, "-c",
             "import json, pika_fast; print(json.dumps([pika_fast.__file__, "
             "pika_fast.codec_backend(), pika_fast.__version__]))"],
            cwd=work, env=env, capture_output=True, text=True, check=False)
        if probe.returncode != 0:
            print(f"test_installed: pika_fast does not import:\n{probe.stderr}", file=sys.stderr)
            return 1
        location, backend, version = json.loads(probe.stdout.strip().splitlines()[-1])
        print(f"test_installed: pika_fast {version} from {location}, codec {backend}")
        # The venv may live inside the checkout (.venv): what matters is that the
        # package is the installed one, not the checkout's own pika_fast/.
        if not _inside(location, sys.prefix) or \
                _inside(location, os.path.join(args.root, "pika_fast")):
            print(f"test_installed: pika_fast came from {location}, not from the installed "
                  f"package under {sys.prefix}", file=sys.stderr)
            return 1
        if backend != args.backend:
            print(f"test_installed: codec backend is {backend!r}, expected {args.backend!r}",
                  file=sys.stderr)
            return 1
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                   *ignored, *args.paths, *pytest_args]
        return subprocess.run(command, cwd=work, env=env, check=False).returncode
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
