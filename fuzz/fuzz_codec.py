"""One atheris fuzz target: both codec twins on every input, outcomes compared.

    python fuzz/fuzz_codec.py {reader,table,properties} [libFuzzer options] [corpus dirs]

The pure-Python twin (and its generated method decoders) is imported under atheris'
instrumentation, so coverage of its branches guides the search; the compiled twin is
run as a black box on the same input. An input on which they disagree, or on which
either raises anything but a pika_fast.exceptions error, is a crash (libFuzzer saves
it under -artifact_prefix).
"""
from __future__ import annotations

import os
import sys

import atheris

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

with atheris.instrument_imports(include=["pika_fast._codec_py", "pika_fast._spec_py"]):
    from pika_fast import _codec_py

from pika_fast import _codec_c  # noqa: E402  (the black box)

from fuzz import common  # noqa: E402


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in common.TARGETS:
        sys.exit(f"usage: {sys.argv[0]} {{{','.join(common.TARGETS)}}} [libFuzzer args]")
    target = sys.argv.pop(1)

    def one_input(data: bytes) -> None:
        common.compare(target, _codec_c, _codec_py, data)

    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
