"""The ``pika-fast`` command (also ``python -m pika_fast``).

Subcommands: ``perf`` (a PerfTest-style load generator, optionally compared with pika
1.4.4 in the same run), ``publish``, ``consume``, ``get``, ``declare-queue`` and
``delete-queue``. An error is one line on stderr and a non-zero exit code (listed in
``--help``); ``--debug`` adds the traceback.
"""
from __future__ import annotations

import argparse
import sys
import traceback
from typing import List, Optional

from pika_fast._version import __version__
from pika_fast.cli._common import EXIT_CODES_HELP, describe


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the whole command, subcommands included."""
    from pika_fast.cli import commands, perf

    parser = argparse.ArgumentParser(
        prog="pika-fast",
        description="RabbitMQ from the command line with pika_fast: a load generator "
                    "(perf) and everyday publish/consume/get/declare-queue.",
        epilog=EXIT_CODES_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=_version_text())
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    perf.add_parser(subparsers)
    commands.add_parsers(subparsers)
    return parser


def _version_text() -> str:
    from pika_fast import codec_backend
    return f"pika-fast {__version__} (codec: {codec_backend()})"


def main(argv: Optional[List[str]] = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("pika-fast: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - every error becomes one line
        if args.debug:
            traceback.print_exc()
        line, code = describe(exc, getattr(args, "url", None))
        print(f"pika-fast {args.command}: {line}", file=sys.stderr)
        return code
