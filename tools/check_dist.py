"""Check what ``make dist`` produced: the sdist holds what a build needs and nothing
else, each wheel holds the package and no sources or tests, and the licence metadata
is in the SPDX form (``License-Expression`` plus the licence file).

    python tools/check_dist.py dist
"""
from __future__ import annotations

import fnmatch
import glob
import os
import sys
import tarfile
import zipfile

SDIST_NEEDS = ("setup.py", "pyproject.toml", "LICENSE", "README.md", "PKG-INFO",
               "src_pyx/_codec_c.pyx", "src_pyx/_wire.pxd", "src_pyx/_spec_gen.pxi",
               "pika_fast/__init__.py", "pika_fast/spec.py", "pika_fast/_spec_py.py",
               "pika_fast/py.typed", "pika_fast/_version.py", "pika_fast/cli/__init__.py")
SDIST_REFUSES = ("tests/*", "benchmarks/*", "tools/*", "*.c", "*.so", "*.pyd", "*.pyc",
                 ".github/*", ".ci/*")
WHEEL_NEEDS = ("pika_fast/__init__.py", "pika_fast/spec.py", "pika_fast/py.typed",
               "pika_fast/cli/__init__.py", "pika_fast/__main__.py")
WHEEL_REFUSES = ("*.pyx", "*.pxd", "*.pxi", "*.c", "tests/*", "*/tests/*", "benchmarks/*")


def _problems(names: list[str], needs, refuses, metadata: str, what: str) -> list[str]:
    found = []
    for need in needs:
        if need not in names:
            found.append(f"{what}: {need} is missing")
    for name in names:
        if any(fnmatch.fnmatch(name, pattern) for pattern in refuses):
            found.append(f"{what}: {name} should not be in it")
    if "License-Expression: BSD-3-Clause" not in metadata.splitlines():
        found.append(f"{what}: no SPDX 'License-Expression: BSD-3-Clause' in the metadata")
    if "License-File: LICENSE" not in metadata.splitlines():
        found.append(f"{what}: no 'License-File: LICENSE' in the metadata")
    if any(line.startswith("License: ") for line in metadata.splitlines()):
        found.append(f"{what}: legacy 'License:' field next to the SPDX expression")
    return found


def check_sdist(path: str) -> list[str]:
    with tarfile.open(path) as tar:
        members = [m.name.split("/", 1)[1] for m in tar.getmembers()
                   if m.isfile() and "/" in m.name]
        top = tar.getnames()[0].split("/", 1)[0]
        metadata = tar.extractfile(f"{top}/PKG-INFO").read().decode()
    return _problems(members, SDIST_NEEDS, SDIST_REFUSES, metadata, os.path.basename(path))


def check_wheel(path: str) -> list[str]:
    with zipfile.ZipFile(path) as whl:
        names = whl.namelist()
        info = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = whl.read(info).decode()
    dist_info = info.rsplit("/", 1)[0]
    found = _problems(names, WHEEL_NEEDS, WHEEL_REFUSES, metadata, os.path.basename(path))
    if f"{dist_info}/licenses/LICENSE" not in names:
        found.append(f"{os.path.basename(path)}: the LICENSE file is not in {dist_info}")
    compiled = [n for n in names if n.startswith("pika_fast/_codec_c.")]
    if path.endswith("-py3-none-any.whl"):
        if compiled:
            found.append(f"{os.path.basename(path)}: the pure wheel holds {compiled}")
    elif not compiled:
        found.append(f"{os.path.basename(path)}: the binary wheel has no compiled codec")
    return found


def main(folder: str) -> int:
    sdists = glob.glob(os.path.join(folder, "*.tar.gz"))
    wheels = glob.glob(os.path.join(folder, "*.whl"))
    problems = [] if sdists and wheels else [f"{folder}: expected an sdist and wheels"]
    for path in sdists:
        problems += check_sdist(path)
    for path in wheels:
        problems += check_wheel(path)
    for problem in problems:
        print(f"check_dist: {problem}", file=sys.stderr)
    if not problems:
        print(f"check_dist: {len(sdists)} sdist and {len(wheels)} wheel(s) are complete and clean")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "dist"))
