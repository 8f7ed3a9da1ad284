"""A stand-in for a third-party library that imports pika itself (a task queue, an
instrumentation, a test fixture). It knows nothing of pika_fast."""
import logging

import pika
import pika.spec
from pika.adapters.blocking_connection import BlockingConnection
from pika.exceptions import ChannelClosedByBroker

LOGGER = logging.getLogger(__name__)


def round_trip(url, body):
    """Declare a queue, publish ``body`` with properties, get it back; report what it saw."""
    connection = BlockingConnection(pika.URLParameters(url))
    try:
        channel = connection.channel()
        queue = channel.queue_declare("", exclusive=True).method.queue
        channel.basic_publish("", queue, body,
                              pika.BasicProperties(content_type="text/plain",
                                                   headers={"lib": "thirdparty"}))
        method, properties, received = channel.basic_get(queue, auto_ack=True)
        try:
            channel.queue_declare("thirdparty.surely.missing", passive=True)
            closed_by_broker = None
        except ChannelClosedByBroker as exc:
            closed_by_broker = exc.reply_code
        return {
            "body": received.decode(),
            "headers": properties.headers,
            "method_is_spec": isinstance(method, pika.spec.Basic.GetOk),
            "closed_by_broker": closed_by_broker,
            "connection_class": f"{type(connection).__module__}.{type(connection).__name__}",
        }
    finally:
        connection.close()
