"""The everyday subcommands: publish, consume, get, declare-queue, delete-queue.

Each opens one BlockingConnection, does its job and closes it; failures become a
:class:`~pika_fast.cli._common.CLIError` or a pika_fast exception that ``main``
reports as one line.
"""
from __future__ import annotations

import argparse
import base64
import json
import sys
from typing import Any, BinaryIO, Iterator, List, Optional

import pika_fast
from pika_fast.cli._common import (
    EXIT_EMPTY, EXIT_USAGE, CLIError, add_connection_options, parameters, parse_pairs,
    resolve_url)
from pika_fast.spec import BasicProperties


def _connect(args: argparse.Namespace) -> Any:
    url = resolve_url(args.url)
    args.url = url
    return pika_fast.BlockingConnection(parameters(pika_fast, url))


def _close(connection: Any) -> None:
    if connection.is_open:
        connection.close()


# ---------------------------------------------------------------------------- publish

def _bodies(args: argparse.Namespace, stdin: BinaryIO) -> Iterator[bytes]:
    data = args.body.encode() if args.body is not None else stdin.read()
    if not args.lines:
        yield data
        return
    for line in data.splitlines():
        if line:
            yield line


def cmd_publish(args: argparse.Namespace) -> int:
    """Publish one message (the body, or all of stdin) or one per line (``--lines``)."""
    headers = parse_pairs(args.header, "--header") or None
    properties = BasicProperties(
        content_type=args.content_type, headers=headers,
        delivery_mode=2 if args.persistent else None)
    stdin = sys.stdin.buffer
    connection = _connect(args)
    count = 0
    try:
        channel = connection.channel()
        # Confirms make a missing exchange, or a message the broker refuses, an error
        # here rather than a silent loss.
        channel.confirm_delivery()
        for body in _bodies(args, stdin):
            channel.basic_publish(args.exchange, args.routing_key, body, properties,
                                  mandatory=args.mandatory)
            count += 1
    finally:
        _close(connection)
    if not args.quiet:
        print(f"published {count} message(s) to exchange {args.exchange!r} with routing "
              f"key {args.routing_key!r}", file=sys.stderr)
    return 0


# ------------------------------------------------------------------- consume and get

def _properties_dict(properties: Any) -> dict:
    out = {}
    for name in ("content_type", "content_encoding", "headers", "delivery_mode", "priority",
                 "correlation_id", "reply_to", "expiration", "message_id", "timestamp",
                 "type", "user_id", "app_id", "cluster_id"):
        value = getattr(properties, name, None)
        if value is not None:
            out[name] = value
    return out


def _emit(args: argparse.Namespace, method: Any, properties: Any, body: bytes) -> None:
    out = sys.stdout
    if args.json:
        try:
            text: Optional[str] = body.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        record = {"exchange": method.exchange, "routing_key": method.routing_key,
                  "redelivered": method.redelivered, "properties": _properties_dict(properties)}
        if text is None:
            record["body_base64"] = base64.b64encode(body).decode("ascii")
        else:
            record["body"] = text
        out.write(json.dumps(record, default=_json_default) + "\n")
    else:
        out.flush()
        sys.stdout.buffer.write(body + b"\n")
        sys.stdout.buffer.flush()
    out.flush()


def _json_default(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", "replace")
    return str(value)


def cmd_get(args: argparse.Namespace) -> int:
    """Fetch one message with Basic.Get (kept in the queue unless ``--ack``)."""
    connection = _connect(args)
    try:
        channel = connection.channel()
        method, properties, body = channel.basic_get(args.queue, auto_ack=False)
        if method is None:
            raise CLIError(f"queue {args.queue!r} is empty", EXIT_EMPTY)
        _emit(args, method, properties, body)
        if args.ack:
            channel.basic_ack(method.delivery_tag)
        else:
            channel.basic_nack(method.delivery_tag, requeue=True)
    finally:
        _close(connection)
    return 0


def cmd_consume(args: argparse.Namespace) -> int:
    """Print messages as they arrive until ``--count`` or ``--idle-timeout``."""
    if args.count is not None and args.count < 1:
        raise CLIError("--count must be at least 1", EXIT_USAGE)
    connection = _connect(args)
    received = 0
    try:
        channel = connection.channel()
        channel.basic_qos(prefetch_count=args.prefetch)
        for method, properties, body in channel.consume(
                args.queue, auto_ack=False, inactivity_timeout=args.idle_timeout):
            if method is None:  # idle for --idle-timeout seconds
                break
            _emit(args, method, properties, body)
            received += 1
            if args.ack:
                channel.basic_ack(method.delivery_tag)
            if args.count is not None and received >= args.count:
                break
        # Without --ack the unacknowledged messages go back to the queue on close.
        channel.cancel()
    except KeyboardInterrupt:
        pass
    finally:
        _close(connection)
    if not args.quiet:
        action = "acknowledged" if args.ack else "left in the queue"
        print(f"received {received} message(s) from {args.queue!r} ({action})",
              file=sys.stderr)
    return 0


# ------------------------------------------------------------------ queue management

def cmd_declare_queue(args: argparse.Namespace) -> int:
    """Declare a queue (or check it exists with ``--passive``) and print its counts."""
    arguments = parse_pairs(args.arg, "--arg")
    if args.quorum and args.stream:
        raise CLIError("--quorum and --stream exclude each other", EXIT_USAGE)
    durable = args.durable
    if args.quorum or args.stream:
        arguments["x-queue-type"] = "quorum" if args.quorum else "stream"
        durable = True  # the broker requires it for both
    if args.max_length is not None:
        arguments["x-max-length"] = args.max_length
    if args.message_ttl is not None:
        arguments["x-message-ttl"] = args.message_ttl
    connection = _connect(args)
    try:
        channel = connection.channel()
        ok = channel.queue_declare(args.queue, passive=args.passive, durable=durable,
                                   auto_delete=args.auto_delete,
                                   arguments=arguments or None).method
    finally:
        _close(connection)
    if args.json:
        print(json.dumps({"queue": ok.queue, "messages": ok.message_count,
                          "consumers": ok.consumer_count}))
    else:
        print(f"queue {ok.queue!r}: {ok.message_count} message(s), "
              f"{ok.consumer_count} consumer(s)")
    return 0


def cmd_delete_queue(args: argparse.Namespace) -> int:
    """Delete a queue; print how many messages it held."""
    connection = _connect(args)
    try:
        channel = connection.channel()
        ok = channel.queue_delete(args.queue, if_unused=args.if_unused,
                                  if_empty=args.if_empty).method
    finally:
        _close(connection)
    print(f"deleted queue {args.queue!r} ({ok.message_count} message(s))")
    return 0


# --------------------------------------------------------------------------- parsers

def add_parsers(subparsers: Any) -> None:
    """Register the everyday subcommands on ``subparsers``."""
    formatter = argparse.RawDescriptionHelpFormatter

    def sub(name: str, func: Any, help_text: str) -> argparse.ArgumentParser:
        parser = subparsers.add_parser(name, help=help_text, description=help_text,
                                       formatter_class=formatter)
        add_connection_options(parser)
        parser.set_defaults(func=func)
        return parser

    p = sub("publish", cmd_publish,
            "publish a message: --body, or stdin (one message, or one per line with --lines)")
    p.add_argument("-e", "--exchange", default="", help="exchange (default: the default one)")
    p.add_argument("-k", "--routing-key", default="", help="routing key (a queue name for "
                   "the default exchange)")
    p.add_argument("-b", "--body", default=None, help="message body (default: read stdin)")
    p.add_argument("--lines", action="store_true", help="one message per non-empty line")
    p.add_argument("--content-type", default=None)
    p.add_argument("-H", "--header", action="append", default=[], metavar="KEY=VALUE",
                   help="a message header (repeatable)")
    p.add_argument("--persistent", action="store_true", help="delivery mode 2")
    p.add_argument("--mandatory", action="store_true",
                   help="fail if no queue is bound for the routing key")
    p.add_argument("-q", "--quiet", action="store_true", help="no summary on stderr")

    def receive_options(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("-Q", "--queue", required=True)
        parser.add_argument("--ack", action="store_true",
                            help="acknowledge, removing the messages (default: they stay "
                                 "in the queue)")
        parser.add_argument("--json", action="store_true",
                            help="one JSON object per message (routing key, properties, body)")

    p = sub("consume", cmd_consume, "print messages from a queue as they arrive")
    receive_options(p)
    p.add_argument("-n", "--count", type=int, default=None, help="stop after N messages")
    p.add_argument("--idle-timeout", type=float, default=None, metavar="SECONDS",
                   help="stop when no message came for this long")
    p.add_argument("--prefetch", type=int, default=100, help="prefetch count (default 100)")
    p.add_argument("-q", "--quiet", action="store_true", help="no summary on stderr")

    p = sub("get", cmd_get, "fetch one message from a queue (Basic.Get); exit 7 if empty")
    receive_options(p)

    p = sub("declare-queue", cmd_declare_queue, "declare a queue and print its counts")
    p.add_argument("queue", help="queue name")
    p.add_argument("--durable", action="store_true")
    p.add_argument("--auto-delete", action="store_true")
    p.add_argument("--quorum", action="store_true", help="a quorum queue (durable)")
    p.add_argument("--stream", action="store_true", help="a stream (durable)")
    p.add_argument("--passive", action="store_true",
                   help="only check that it exists (exit 5 if not)")
    p.add_argument("--max-length", type=int, default=None, help="x-max-length")
    p.add_argument("--message-ttl", type=int, default=None, metavar="MS", help="x-message-ttl")
    p.add_argument("--arg", action="append", default=[], metavar="KEY=VALUE",
                   help="a queue argument, e.g. x-max-priority=10 (repeatable)")
    p.add_argument("--json", action="store_true", help="print the counts as JSON")

    p = sub("delete-queue", cmd_delete_queue, "delete a queue")
    p.add_argument("queue", help="queue name")
    p.add_argument("--if-unused", action="store_true")
    p.add_argument("--if-empty", action="store_true")


__all__: List[str] = ["add_parsers"]
