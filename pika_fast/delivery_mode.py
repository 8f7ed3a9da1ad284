"""``DeliveryMode``: values for the ``delivery_mode`` message property.

Same members, values and base class as pika 1.4.4's ``pika.DeliveryMode``.
"""

from enum import Enum

__all__ = ['DeliveryMode']


class DeliveryMode(Enum):
    """AMQP ``delivery_mode``: 1 keeps a message in memory only, 2 asks the
    broker to write it to disk (when the queue is durable)."""

    Transient = 1
    Persistent = 2
