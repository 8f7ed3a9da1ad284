"""What every ``pika-fast`` subcommand shares: the broker URL, exit codes, and turning
an exception into the one line a person or a script reads.

The error text is built from class names and ``reply_code``/``reply_text`` attributes
rather than ``isinstance`` checks, so it describes pika_fast's exceptions and, in
``perf --compare pika`` workers, pika's own classes of the same names alike.
"""
from __future__ import annotations

import argparse
import os
import re
import socket
from typing import Any, Iterable, Optional, Tuple
from urllib.parse import urlsplit

DEFAULT_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"

EXIT_OK = 0
EXIT_ERROR = 1  # anything not listed below
EXIT_USAGE = 2  # bad arguments or a malformed URL (argparse uses 2 too)
EXIT_UNREACHABLE = 3  # no broker answered, or the connection broke
EXIT_REFUSED = 4  # wrong credentials, or no access to the virtual host or resource
EXIT_NOT_FOUND = 5  # queue or exchange does not exist
EXIT_CONFLICT = 6  # the broker refused the request (PRECONDITION_FAILED, ...)
EXIT_EMPTY = 7  # `get` found no message

EXIT_CODES_HELP = """exit codes:
  0 success, 1 other error, 2 bad arguments or URL, 3 broker unreachable or
  connection lost, 4 authentication or access refused, 5 queue or exchange not found,
  6 request refused by the broker (e.g. a declare that conflicts), 7 `get` found the
  queue empty"""


class CLIError(Exception):
    """An error to report as one line (``message``) and exit with ``code``."""

    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def default_url() -> str:
    """``AMQP_URL`` from the environment, else the local broker."""
    return os.environ.get("AMQP_URL") or DEFAULT_URL


def add_connection_options(parser: argparse.ArgumentParser) -> None:
    """``--url`` and ``--debug``, accepted after every subcommand."""
    parser.add_argument("--url", default=None,
                        help="broker URL, amqp:// or amqps:// (default: $AMQP_URL or "
                             f"{DEFAULT_URL.replace('%', '%%')})")
    parser.add_argument("--debug", action="store_true",
                        help="show the full traceback of an error")


def check_url(url: str) -> str:
    """Reject what cannot be a broker URL before any connection is tried."""
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError when out of range or not a number
    except ValueError as exc:
        raise CLIError(f"bad broker URL {redact(url)!r}: {exc}", EXIT_USAGE) from None
    if parts.scheme not in ("amqp", "amqps"):
        raise CLIError(f"bad broker URL {redact(url)!r}: the scheme must be amqp:// or "
                       "amqps://", EXIT_USAGE)
    if not parts.hostname and parts.netloc:
        raise CLIError(f"bad broker URL {redact(url)!r}: no host name", EXIT_USAGE)
    if port == 0:
        raise CLIError(f"bad broker URL {redact(url)!r}: port 0", EXIT_USAGE)
    return url


def resolve_url(url: Optional[str]) -> str:
    """The URL to use: the option, else ``AMQP_URL``, else the local broker; checked."""
    return check_url(url or default_url())


def parameters(library: Any, url: str) -> Any:
    """``library.URLParameters(url)``, with its complaints turned into a usage error."""
    try:
        return library.URLParameters(url)
    except (ValueError, TypeError, KeyError) as exc:
        raise CLIError(f"bad broker URL {redact(url)!r}: {exc}", EXIT_USAGE) from None


def redact(url: str) -> str:
    """``url`` with its password replaced, for messages."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return re.sub(r":[^:@/]*@", ":***@", url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def _names(exc: BaseException) -> Tuple[str, ...]:
    return tuple(cls.__name__ for cls in type(exc).__mro__)


def _first_cause(exc: BaseException) -> BaseException:
    """The innermost error a connection error wraps (pika nests them in ``args``)."""
    seen = 0
    while seen < 8:
        seen += 1
        inner = next((a for a in getattr(exc, "args", ()) if isinstance(a, BaseException)),
                     None)
        if inner is None:
            inner = getattr(exc, "exception", None)
        if not isinstance(inner, BaseException):
            return exc
        exc = inner
    return exc


def _reply(exc: BaseException) -> Optional[Tuple[int, str]]:
    code, text = getattr(exc, "reply_code", None), getattr(exc, "reply_text", None)
    if isinstance(code, int) and isinstance(text, str):
        return code, text
    for arg in getattr(exc, "args", ()):
        if isinstance(arg, BaseException):
            found = _reply(arg)
            if found:
                return found
    return None


def _code_for_reply(reply_code: int) -> int:
    return {403: EXIT_REFUSED, 404: EXIT_NOT_FOUND, 405: EXIT_CONFLICT,
            406: EXIT_CONFLICT, 530: EXIT_REFUSED}.get(reply_code, EXIT_ERROR)


def describe(exc: BaseException, url: Optional[str] = None) -> Tuple[str, int]:
    """One line saying what went wrong, and the exit code for it."""
    if isinstance(exc, CLIError):
        return exc.message, exc.code
    where = ""
    if url:
        parts = urlsplit(url)
        where = f" at {parts.hostname or 'localhost'}:{parts.port or 5672}"
    names = _names(exc)
    reply = _reply(exc)
    if "ProbableAuthenticationError" in names:
        return f"authentication failed{where}: wrong user name or password", EXIT_REFUSED
    if "ProbableAccessDeniedError" in names:
        # pika keeps the broker's words only in the message text.
        found = re.search(r"\((\d{3})\) '([^']*)'", str(exc))
        detail = reply[1] if reply else found.group(2) if found else \
            "no access to the virtual host"
        return f"access refused{where}: {detail}", EXIT_REFUSED
    if "ChannelClosed" in names and reply:
        return f"the broker refused: ({reply[0]}) {reply[1]}", _code_for_reply(reply[0])
    if ("ConnectionClosed" in names or "ConnectionClosedByBroker" in names) and reply:
        if reply[0] in (320, 0, 200):
            return (f"the connection{where} was closed: ({reply[0]}) {reply[1]}",
                    EXIT_UNREACHABLE)
        return f"the broker closed the connection: ({reply[0]}) {reply[1]}", \
            _code_for_reply(reply[0])
    if "UnroutableError" in names:
        return "the message was returned: no queue is bound for that routing key", EXIT_ERROR
    if "NackError" in names:
        return "the broker refused the message (Basic.Nack)", EXIT_CONFLICT
    # ConnectError: Twisted's family for a failed TCP connect (perf --adapter twisted).
    if "AMQPConnectionError" in names or "ConnectError" in names \
            or isinstance(exc, (OSError, socket.gaierror)):
        cause = _first_cause(exc)
        if isinstance(cause, socket.gaierror):
            detail = f"cannot resolve the host name ({cause.strerror or cause})"
        elif "ConnectionRefusedError" in _names(cause):
            detail = "connection refused (is RabbitMQ running?)"
        elif isinstance(cause, OSError) and cause.strerror:
            detail = cause.strerror
        else:
            detail = str(cause) or type(cause).__name__
        return f"cannot reach the broker{where}: {detail}", EXIT_UNREACHABLE
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted", 130
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}", EXIT_ERROR


def parse_pairs(pairs: Iterable[str], what: str) -> dict:
    """``["k=v", ...]`` into a dict; whole numbers become ints, true/false booleans."""
    out: dict = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise CLIError(f"{what} must look like KEY=VALUE, not {pair!r}", EXIT_USAGE)
        parsed: Any = value
        if value.lstrip("-").isdigit():
            parsed = int(value)
        elif value in ("true", "false"):
            parsed = value == "true"
        out[key] = parsed
    return out
