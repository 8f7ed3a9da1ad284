"""Fail unless pyproject.toml declares its licence in the current SPDX form (PEP 639):
``license = "<SPDX expression>"`` (not the deprecated table) and ``license-files``
naming files that exist.

    python tools/check_license.py pyproject.toml
"""
from __future__ import annotations

import glob
import os
import sys

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib  # type: ignore[no-redef]

from packaging.licenses import InvalidLicenseExpression, canonicalize_license_expression


def main(path: str) -> int:
    with open(path, "rb") as f:
        project = tomllib.load(f)["project"]
    licence = project.get("license")
    if not isinstance(licence, str):
        print(f"check_license: project.license is {licence!r}; use an SPDX expression string",
              file=sys.stderr)
        return 1
    try:
        canonical = canonicalize_license_expression(licence)
    except InvalidLicenseExpression as exc:
        print(f"check_license: {exc}", file=sys.stderr)
        return 1
    if canonical != licence:
        print(f"check_license: write {canonical!r}, not {licence!r}", file=sys.stderr)
        return 1
    root = os.path.dirname(os.path.abspath(path))
    files = project.get("license-files") or []
    missing = [p for p in files if not glob.glob(os.path.join(root, p))]
    if not files or missing:
        print(f"check_license: license-files {files!r} missing or unmatched: {missing}",
              file=sys.stderr)
        return 1
    if any("License :: " in c for c in project.get("classifiers", [])):
        print("check_license: drop 'License ::' classifiers next to an SPDX expression",
              file=sys.stderr)
        return 1
    print(f"check_license: license = {licence!r}, license-files = {files!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "pyproject.toml"))
