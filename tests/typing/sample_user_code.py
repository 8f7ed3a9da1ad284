"""Typed pika user code, written the way applications use pika, against pika_fast.

``make typecheck`` runs ``mypy --strict`` on this file (so CI does): it must stay clean,
and the ``assert_type`` lines pin the precise types pika_fast's API gives. It is real
code too: tests/typing/test_typecheck.py runs its scenarios against the broker.
"""
from __future__ import annotations

import sys
import threading
import uuid
from typing import Any, Dict, List, Optional, Tuple, TypeVar

import pika_fast as pika
from pika_fast import frame, spec
from pika_fast.adapters.blocking_connection import BlockingChannel, BlockingConnection
from pika_fast.channel import Channel

_T = TypeVar("_T")

if sys.version_info >= (3, 11):
    from typing import assert_type
else:  # the checks are for mypy (which runs on 3.11+ in CI); at runtime a no-op
    def assert_type(value: _T, _type: Any) -> _T:
        return value


def _parameters(url: str) -> pika.URLParameters:
    params = pika.URLParameters(url)
    params.heartbeat = 30
    return params


def explicit_parameters(host: str, port: int) -> pika.ConnectionParameters:
    """Keyword parameters as pika's docs spell them; a checker sees each one's type."""
    return pika.ConnectionParameters(
        host=host, port=port, virtual_host="/",
        credentials=pika.PlainCredentials("guest", "guest"), heartbeat=30,
        blocked_connection_timeout=60.0, connection_attempts=3, retry_delay=0.5,
        client_properties={"connection_name": "typed-sample"},
        tcp_options={"TCP_KEEPIDLE": 60})


def publish_persistent(url: str, queue: str, bodies: List[bytes]) -> int:
    """A publisher with confirms: every message durable, routed or reported."""
    with pika.BlockingConnection(_parameters(url)) as connection:
        assert_type(connection, BlockingConnection)
        channel = connection.channel()
        assert_type(channel, BlockingChannel)
        declared = channel.queue_declare(queue, durable=True)
        assert_type(declared, frame.Method[spec.Queue.DeclareOk])
        assert_type(declared.method.queue, str)
        channel.confirm_delivery()
        sent = 0
        for body in bodies:
            properties = pika.BasicProperties(content_type="application/octet-stream",
                                              delivery_mode=pika.DeliveryMode.Persistent,
                                              headers={"n": sent})
            try:
                channel.basic_publish("", queue, body, properties, mandatory=True)
            except pika.exceptions.UnroutableError as error:
                for returned in error.messages:
                    print("returned:", returned.method.reply_text)
            except pika.exceptions.NackError:
                continue
            else:
                sent += 1
        return sent


def consume_some(url: str, queue: str, wanted: int) -> List[Tuple[int, bytes]]:
    """A callback consumer that acks manually and stops after ``wanted`` messages."""
    received: List[Tuple[int, bytes]] = []
    connection = pika.BlockingConnection(_parameters(url))
    channel = connection.channel()
    channel.basic_qos(prefetch_count=10)

    def on_message(ch: BlockingChannel, method: spec.Basic.Deliver,
                   properties: spec.BasicProperties, body: bytes) -> None:
        headers: Dict[str, Any] = properties.headers or {}
        received.append((int(headers.get("n", -1)), body))
        ch.basic_ack(delivery_tag=method.delivery_tag)
        if len(received) >= wanted:
            ch.stop_consuming()

    tag = channel.basic_consume(queue=queue, on_message_callback=on_message)
    assert_type(tag, str)
    channel.start_consuming()
    connection.close()
    return received


def drain_with_generator(url: str, queue: str) -> List[bytes]:
    """consume() with an inactivity timeout, then cancel()."""
    bodies: List[bytes] = []
    connection = pika.BlockingConnection(_parameters(url))
    channel = connection.channel()
    for method, properties, body in channel.consume(queue, inactivity_timeout=0.5):
        assert_type(method, Optional[spec.Basic.Deliver])
        if method is None or body is None:
            break
        bodies.append(body)
        channel.basic_ack(method.delivery_tag)
    requeued = channel.cancel()
    assert_type(requeued, int)
    connection.close()
    return bodies


def get_one(url: str, queue: str) -> Optional[bytes]:
    """basic_get: (None, None, None) when the queue is empty."""
    connection = pika.BlockingConnection(_parameters(url))
    channel = connection.channel()
    method, properties, body = channel.basic_get(queue, auto_ack=True)
    assert_type(method, Optional[spec.Basic.GetOk])
    assert_type(properties, Optional[spec.BasicProperties])
    assert_type(body, Optional[bytes])
    if method is not None:
        print("left in queue:", method.message_count)
    connection.close()
    return body


def rpc_call(url: str, server_queue: str, request: bytes, timeout: float = 5.0) -> bytes:
    """The RPC tutorial's client: exclusive reply queue, correlation id, polling loop."""
    connection = pika.BlockingConnection(_parameters(url))
    channel = connection.channel()
    reply_queue = channel.queue_declare("", exclusive=True).method.queue
    correlation_id = str(uuid.uuid4())
    response: List[bytes] = []

    def on_response(ch: BlockingChannel, method: spec.Basic.Deliver,
                    props: spec.BasicProperties, body: bytes) -> None:
        if props.correlation_id == correlation_id:
            response.append(body)

    channel.basic_consume(reply_queue, on_response, auto_ack=True)
    channel.basic_publish("", server_queue, request,
                          pika.BasicProperties(reply_to=reply_queue,
                                               correlation_id=correlation_id))
    waited = 0.0
    while not response and waited < timeout:
        connection.process_data_events(time_limit=0.1)
        waited += 0.1
    connection.close()
    if not response:
        raise TimeoutError("no RPC reply")
    return response[0]


def serve_one_rpc(url: str, server_queue: str, ready: threading.Event) -> None:
    """The RPC tutorial's server, answering one request in the pika 0.x order."""
    connection = pika.BlockingConnection(_parameters(url))
    channel = connection.channel()
    channel.queue_declare(server_queue, auto_delete=True)

    def on_request(ch: BlockingChannel, method: spec.Basic.Deliver,
                   props: spec.BasicProperties, body: bytes) -> None:
        ch.basic_publish("", props.reply_to or "", body.upper(),
                         pika.BasicProperties(correlation_id=props.correlation_id))
        ch.basic_ack(method.delivery_tag)
        ch.stop_consuming()

    # pika 0.x's order (consumer_callback first): accepted, with a DeprecationWarning.
    channel.basic_consume(on_request, queue=server_queue)
    ready.set()
    channel.start_consuming()
    connection.close()


def purge_and_delete(url: str, queue: str) -> int:
    """Topology calls return their reply frames, typed."""
    connection = pika.BlockingConnection(_parameters(url))
    channel = connection.channel()
    try:
        purged = channel.queue_purge(queue)
        assert_type(purged, frame.Method[spec.Queue.PurgeOk])
        deleted = channel.queue_delete(queue)
        return deleted.method.message_count + purged.method.message_count
    except pika.exceptions.ChannelClosedByBroker as error:
        assert_type(error.reply_code, int)
        print("broker closed the channel:", error.reply_code, error.reply_text)
        return -1
    finally:
        if connection.is_open:
            connection.close()


class AsyncPublisher:
    """SelectConnection with callbacks, as in pika's asynchronous publisher example."""

    def __init__(self, url: str, queue: str, count: int) -> None:
        self.queue = queue
        self.count = count
        self.confirmed = 0
        self.connection = pika.SelectConnection(
            _parameters(url), on_open_callback=self.on_open,
            on_open_error_callback=self.on_open_error, on_close_callback=self.on_closed)
        self.channel: Optional[Channel] = None

    def run(self) -> int:
        self.connection.ioloop.start()
        return self.confirmed

    def on_open(self, connection: pika.SelectConnection) -> None:
        connection.channel(on_open_callback=self.on_channel_open)

    def on_open_error(self, connection: pika.SelectConnection, error: Exception) -> None:
        connection.ioloop.stop()

    def on_closed(self, connection: pika.SelectConnection, reason: Exception) -> None:
        connection.ioloop.stop()

    def on_channel_open(self, channel: Channel) -> None:
        self.channel = channel
        channel.queue_declare(self.queue, auto_delete=True, callback=self.on_declared)

    def on_declared(self, method_frame: frame.Method[spec.Queue.DeclareOk]) -> None:
        assert self.channel is not None
        self.channel.confirm_delivery(self.on_confirm, callback=self.on_confirm_mode)

    def on_confirm_mode(self, method_frame: frame.Method[spec.Confirm.SelectOk]) -> None:
        assert self.channel is not None
        for n in range(self.count):
            self.channel.basic_publish("", self.queue, f"message {n}".encode())

    def on_confirm(self, method_frame: frame.Method[spec.Basic.Ack | spec.Basic.Nack]
                   ) -> None:
        method = method_frame.method
        if isinstance(method, spec.Basic.Ack):  # tags count 1, 2, ...; acks may be multiple
            self.confirmed = max(self.confirmed, method.delivery_tag)
        if self.confirmed >= self.count:
            self.connection.close()


def timers_and_threads(url: str) -> List[str]:
    """call_later and add_callback_threadsafe, serviced by process_data_events."""
    events: List[str] = []
    connection = pika.BlockingConnection(_parameters(url))
    timer = connection.call_later(0.05, lambda: events.append("timer"))
    connection.remove_timeout(timer)
    connection.call_later(0.05, lambda: events.append("timer"))
    done = threading.Event()
    worker = threading.Thread(target=lambda: connection.add_callback_threadsafe(done.set))
    worker.start()
    while not done.is_set() or not events:
        connection.sleep(0.05)
    worker.join()
    events.append("thread")
    connection.close()
    return events
