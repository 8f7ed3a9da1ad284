"""``ExchangeType``: the exchange types built into RabbitMQ.

Same members, values and base classes as pika 1.4.4's
``pika.exchange_type.ExchangeType``. Being a ``str`` subclass, a member can be
passed anywhere an exchange type string is expected.
"""

from enum import Enum

__all__ = ['ExchangeType']


class ExchangeType(str, Enum):
    """Exchange types accepted by ``exchange_declare``."""

    direct = 'direct'
    fanout = 'fanout'
    headers = 'headers'
    topic = 'topic'
