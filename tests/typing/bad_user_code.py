"""Deliberately wrong pika user code: mypy must reject each line marked ``# E: <code>``.

tests/typing/test_typecheck.py checks that mypy --strict reports exactly these errors
(line and error code), proving the hints are precise enough to catch real mistakes.
Never imported or run.
"""
from __future__ import annotations

import pika_fast as pika
from pika_fast import frame, spec
from pika_fast.adapters.blocking_connection import BlockingChannel
from pika_fast.channel import Channel


def wrong_on_message(ch: BlockingChannel, method: spec.Basic.GetOk,
                     properties: spec.BasicProperties, body: bytes) -> None:
    pass


def on_select_message(ch: Channel, method: spec.Basic.Deliver,
                      properties: spec.BasicProperties, body: bytes) -> None:
    pass


def on_purged(method_frame: frame.Method[spec.Queue.PurgeOk]) -> None:
    pass


def blocking_mistakes(channel: BlockingChannel) -> None:
    channel.queue_declare(queue=123)  # E: arg-type
    name: int = channel.queue_declare("q").method.queue  # E: assignment
    channel.basic_publish("", "q", 42)  # E: arg-type
    channel.basic_consume("q", wrong_on_message)  # E: arg-type
    channel.basic_consume("q", on_select_message)  # E: arg-type
    method, properties, body = channel.basic_get("q")
    print(method.delivery_tag)  # E: union-attr
    print(channel.queue_delete("q").method.consumer_count)  # E: attr-defined
    pika.BasicProperties(delivery_mode="persistent")  # E: arg-type
    pika.BlockingConnection(parameters="amqp://localhost")  # E: arg-type
    pika.ConnectionParameters(port="5672")  # E: arg-type
    pika.ConnectionParameters(credentials=("guest", "guest"))  # E: arg-type


def callback_mistakes(channel: Channel) -> None:
    channel.queue_declare("q", callback=on_purged)  # E: arg-type
    channel.basic_consume("q", on_select_message, auto_ack="yes")  # E: call-overload
    tag: bytes = channel.basic_consume("q", on_select_message)  # E: assignment
