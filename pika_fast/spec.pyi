# GENERATED FILE -- DO NOT EDIT.
# Stub of pika_fast/spec.py, typed from amqp-rabbitmq-0.9.1.json (sha256 48dd1bb5374de5db...).
# Regenerate with `make spec-stub` (python tools/gen_spec_stub.py).
# ruff: noqa
from typing import Any, Dict, List, Optional, Tuple, Type, Union

from typing_extensions import Self

from pika_fast import amqp_object as amqp_object
from pika_fast.compat import as_bytes as as_bytes
str_or_bytes: Tuple[type, ...]
from pika_fast.delivery_mode import DeliveryMode as DeliveryMode
from pika_fast.exchange_type import ExchangeType as ExchangeType
PROTOCOL_VERSION: Tuple[int, ...]
PORT: int
ACCESS_REFUSED: int
CHANNEL_ERROR: int
COMMAND_INVALID: int
CONNECTION_FORCED: int
CONTENT_TOO_LARGE: int
FRAME_BODY: int
FRAME_END: int
FRAME_END_SIZE: int
FRAME_ERROR: int
FRAME_HEADER: int
FRAME_HEADER_SIZE: int
FRAME_HEARTBEAT: int
FRAME_MAX_SIZE: int
FRAME_METHOD: int
FRAME_MIN_SIZE: int
INTERNAL_ERROR: int
INVALID_PATH: int
NOT_ALLOWED: int
NOT_FOUND: int
NOT_IMPLEMENTED: int
NO_CONSUMERS: int
NO_ROUTE: int
PERSISTENT_DELIVERY_MODE: int
PRECONDITION_FAILED: int
REPLY_SUCCESS: int
RESOURCE_ERROR: int
RESOURCE_LOCKED: int
SYNTAX_ERROR: int
TRANSIENT_DELIVERY_MODE: int
UNEXPECTED_FRAME: int



class Connection(amqp_object.Class):
    INDEX: int
    NAME: str

    class Start(amqp_object.Method):
        INDEX: int
        NAME: str
        version_major: int
        version_minor: int
        server_properties: Dict[str, Any]
        mechanisms: Union[str, bytes]
        locales: Union[str, bytes]
        def __init__(self, version_major: int = 0, version_minor: int = 9, server_properties: Optional[Dict[str, Any]] = None, mechanisms: Union[str, bytes] = 'PLAIN', locales: Union[str, bytes] = 'en_US') -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class StartOk(amqp_object.Method):
        INDEX: int
        NAME: str
        client_properties: Dict[str, Any]
        mechanism: str
        response: Union[str, bytes]
        locale: str
        def __init__(self, client_properties: Optional[Dict[str, Any]] = None, mechanism: str = 'PLAIN', response: Optional[Union[str, bytes]] = None, locale: str = 'en_US') -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class Secure(amqp_object.Method):
        INDEX: int
        NAME: str
        challenge: Union[str, bytes]
        def __init__(self, challenge: Optional[Union[str, bytes]] = None) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class SecureOk(amqp_object.Method):
        INDEX: int
        NAME: str
        response: Union[str, bytes]
        def __init__(self, response: Optional[Union[str, bytes]] = None) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class Tune(amqp_object.Method):
        INDEX: int
        NAME: str
        channel_max: int
        frame_max: int
        heartbeat: int
        def __init__(self, channel_max: int = 0, frame_max: int = 0, heartbeat: int = 0) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class TuneOk(amqp_object.Method):
        INDEX: int
        NAME: str
        channel_max: int
        frame_max: int
        heartbeat: int
        def __init__(self, channel_max: int = 0, frame_max: int = 0, heartbeat: int = 0) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class Open(amqp_object.Method):
        INDEX: int
        NAME: str
        virtual_host: str
        capabilities: str
        insist: bool
        def __init__(self, virtual_host: str = '/', capabilities: str = '', insist: bool = False) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class OpenOk(amqp_object.Method):
        INDEX: int
        NAME: str
        known_hosts: str
        def __init__(self, known_hosts: str = '') -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class Close(amqp_object.Method):
        INDEX: int
        NAME: str
        reply_code: int
        reply_text: str
        class_id: int
        method_id: int
        def __init__(self, reply_code: Optional[int] = None, reply_text: str = '', class_id: Optional[int] = None, method_id: Optional[int] = None) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class CloseOk(amqp_object.Method):
        INDEX: int
        NAME: str
        def __init__(self) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class Blocked(amqp_object.Method):
        INDEX: int
        NAME: str
        reason: str
        def __init__(self, reason: str = '') -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class Unblocked(amqp_object.Method):
        INDEX: int
        NAME: str
        def __init__(self) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class UpdateSecret(amqp_object.Method):
        INDEX: int
        NAME: str
        new_secret: Union[str, bytes]
        reason: str
        def __init__(self, new_secret: Union[str, bytes], reason: str) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class UpdateSecretOk(amqp_object.Method):
        INDEX: int
        NAME: str
        def __init__(self) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...


class Channel(amqp_object.Class):
    INDEX: int
    NAME: str

    class Open(amqp_object.Method):
        INDEX: int
        NAME: str
        out_of_band: str
        def __init__(self, out_of_band: str = '') -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class OpenOk(amqp_object.Method):
        INDEX: int
        NAME: str
        channel_id: Union[str, bytes]
        def __init__(self, channel_id: Union[str, bytes] = '') -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class Flow(amqp_object.Method):
        INDEX: int
        NAME: str
        active: bool
        def __init__(self, active: Optional[bool] = None) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class FlowOk(amqp_object.Method):
        INDEX: int
        NAME: str
        active: bool
        def __init__(self, active: Optional[bool] = None) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class Close(amqp_object.Method):
        INDEX: int
        NAME: str
        reply_code: int
        reply_text: str
        class_id: int
        method_id: int
        def __init__(self, reply_code: Optional[int] = None, reply_text: str = '', class_id: Optional[int] = None, method_id: Optional[int] = None) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class CloseOk(amqp_object.Method):
        INDEX: int
        NAME: str
        def __init__(self) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...


class Access(amqp_object.Class):
    INDEX: int
    NAME: str

    class Request(amqp_object.Method):
        INDEX: int
        NAME: str
        realm: str
        exclusive: bool
        passive: bool
        active: bool
        write: bool
        read: bool
        def __init__(self, realm: str = '/data', exclusive: bool = False, passive: bool = True, active: bool = True, write: bool = True, read: bool = True) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class RequestOk(amqp_object.Method):
        INDEX: int
        NAME: str
        ticket: int
        def __init__(self, ticket: int = 1) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...


class Exchange(amqp_object.Class):
    INDEX: int
    NAME: str

    class Declare(amqp_object.Method):
        INDEX: int
        NAME: str
        ticket: int
        exchange: str
        type: str
        passive: bool
        durable: bool
        auto_delete: bool
        internal: bool
        nowait: bool
        arguments: Dict[str, Any]
        def __init__(self, ticket: int = 0, exchange: Optional[str] = None, type: str = ..., passive: bool = False, durable: bool = False, auto_delete: bool = False, internal: bool = False, nowait: bool = False, arguments: Optional[Dict[str, Any]] = None) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class DeclareOk(amqp_object.Method):
        INDEX: int
        NAME: str
        def __init__(self) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class Delete(amqp_object.Method):
        INDEX: int
        NAME: str
        ticket: int
        exchange: str
        if_unused: bool
        nowait: bool
        def __init__(self, ticket: int = 0, exchange: Optional[str] = None, if_unused: bool = False, nowait: bool = False) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class DeleteOk(amqp_object.Method):
        INDEX: int
        NAME: str
        def __init__(self) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class Bind(amqp_object.Method):
        INDEX: int
        NAME: str
        ticket: int
        destination: str
        source: str
        routing_key: str
        nowait: bool
        arguments: Dict[str, Any]
        def __init__(self, ticket: int = 0, destination: Optional[str] = None, source: Optional[str] = None, routing_key: str = '', nowait: bool = False, arguments: Optional[Dict[str, Any]] = None) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class BindOk(amqp_object.Method):
        INDEX: int
        NAME: str
        def __init__(self) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class Unbind(amqp_object.Method):
        INDEX: int
        NAME: str
        ticket: int
        destination: str
        source: str
        routing_key: str
        nowait: bool
        arguments: Dict[str, Any]
        def __init__(self, ticket: int = 0, destination: Optional[str] = None, source: Optional[str] = None, routing_key: str = '', nowait: bool = False, arguments: Optional[Dict[str, Any]] = None) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class UnbindOk(amqp_object.Method):
        INDEX: int
        NAME: str
        def __init__(self) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...


class Queue(amqp_object.Class):
    INDEX: int
    NAME: str

    class Declare(amqp_object.Method):
        INDEX: int
        NAME: str
        ticket: int
        queue: str
        passive: bool
        durable: bool
        exclusive: bool
        auto_delete: bool
        nowait: bool
        arguments: Dict[str, Any]
        def __init__(self, ticket: int = 0, queue: str = '', passive: bool = False, durable: bool = False, exclusive: bool = False, auto_delete: bool = False, nowait: bool = False, arguments: Optional[Dict[str, Any]] = None) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class DeclareOk(amqp_object.Method):
        INDEX: int
        NAME: str
        queue: str
        message_count: int
        consumer_count: int
        def __init__(self, queue: Optional[str] = None, message_count: Optional[int] = None, consumer_count: Optional[int] = None) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class Bind(amqp_object.Method):
        INDEX: int
        NAME: str
        ticket: int
        queue: str
        exchange: str
        routing_key: str
        nowait: bool
        arguments: Dict[str, Any]
        def __init__(self, ticket: int = 0, queue: str = '', exchange: Optional[str] = None, routing_key: str = '', nowait: bool = False, arguments: Optional[Dict[str, Any]] = None) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class BindOk(amqp_object.Method):
        INDEX: int
        NAME: str
        def __init__(self) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class Purge(amqp_object.Method):
        INDEX: int
        NAME: str
        ticket: int
        queue: str
        nowait: bool
        def __init__(self, ticket: int = 0, queue: str = '', nowait: bool = False) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class PurgeOk(amqp_object.Method):
        INDEX: int
        NAME: str
        message_count: int
        def __init__(self, message_count: Optional[int] = None) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class Delete(amqp_object.Method):
        INDEX: int
        NAME: str
        ticket: int
        queue: str
        if_unused: bool
        if_empty: bool
        nowait: bool
        def __init__(self, ticket: int = 0, queue: str = '', if_unused: bool = False, if_empty: bool = False, nowait: bool = False) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class DeleteOk(amqp_object.Method):
        INDEX: int
        NAME: str
        message_count: int
        def __init__(self, message_count: Optional[int] = None) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class Unbind(amqp_object.Method):
        INDEX: int
        NAME: str
        ticket: int
        queue: str
        exchange: str
        routing_key: str
        arguments: Dict[str, Any]
        def __init__(self, ticket: int = 0, queue: str = '', exchange: Optional[str] = None, routing_key: str = '', arguments: Optional[Dict[str, Any]] = None) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class UnbindOk(amqp_object.Method):
        INDEX: int
        NAME: str
        def __init__(self) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...


class Basic(amqp_object.Class):
    INDEX: int
    NAME: str

    class Qos(amqp_object.Method):
        INDEX: int
        NAME: str
        prefetch_size: int
        prefetch_count: int
        global_qos: bool
        def __init__(self, prefetch_size: int = 0, prefetch_count: int = 0, global_qos: bool = False) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class QosOk(amqp_object.Method):
        INDEX: int
        NAME: str
        def __init__(self) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class Consume(amqp_object.Method):
        INDEX: int
        NAME: str
        ticket: int
        queue: str
        consumer_tag: str
        no_local: bool
        no_ack: bool
        exclusive: bool
        nowait: bool
        arguments: Dict[str, Any]
        def __init__(self, ticket: int = 0, queue: str = '', consumer_tag: str = '', no_local: bool = False, no_ack: bool = False, exclusive: bool = False, nowait: bool = False, arguments: Optional[Dict[str, Any]] = None) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class ConsumeOk(amqp_object.Method):
        INDEX: int
        NAME: str
        consumer_tag: str
        def __init__(self, consumer_tag: Optional[str] = None) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class Cancel(amqp_object.Method):
        INDEX: int
        NAME: str
        consumer_tag: str
        nowait: bool
        def __init__(self, consumer_tag: Optional[str] = None, nowait: bool = False) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class CancelOk(amqp_object.Method):
        INDEX: int
        NAME: str
        consumer_tag: str
        def __init__(self, consumer_tag: Optional[str] = None) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class Publish(amqp_object.Method):
        INDEX: int
        NAME: str
        ticket: int
        exchange: str
        routing_key: str
        mandatory: bool
        immediate: bool
        def __init__(self, ticket: int = 0, exchange: str = '', routing_key: str = '', mandatory: bool = False, immediate: bool = False) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class Return(amqp_object.Method):
        INDEX: int
        NAME: str
        reply_code: int
        reply_text: str
        exchange: str
        routing_key: str
        def __init__(self, reply_code: Optional[int] = None, reply_text: str = '', exchange: Optional[str] = None, routing_key: Optional[str] = None) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class Deliver(amqp_object.Method):
        INDEX: int
        NAME: str
        consumer_tag: str
        delivery_tag: int
        redelivered: bool
        exchange: str
        routing_key: str
        def __init__(self, consumer_tag: Optional[str] = None, delivery_tag: Optional[int] = None, redelivered: bool = False, exchange: Optional[str] = None, routing_key: Optional[str] = None) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class Get(amqp_object.Method):
        INDEX: int
        NAME: str
        ticket: int
        queue: str
        no_ack: bool
        def __init__(self, ticket: int = 0, queue: str = '', no_ack: bool = False) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class GetOk(amqp_object.Method):
        INDEX: int
        NAME: str
        delivery_tag: int
        redelivered: bool
        exchange: str
        routing_key: str
        message_count: int
        def __init__(self, delivery_tag: Optional[int] = None, redelivered: bool = False, exchange: Optional[str] = None, routing_key: Optional[str] = None, message_count: Optional[int] = None) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class GetEmpty(amqp_object.Method):
        INDEX: int
        NAME: str
        cluster_id: str
        def __init__(self, cluster_id: str = '') -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class Ack(amqp_object.Method):
        INDEX: int
        NAME: str
        delivery_tag: int
        multiple: bool
        def __init__(self, delivery_tag: int = 0, multiple: bool = False) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class Reject(amqp_object.Method):
        INDEX: int
        NAME: str
        delivery_tag: int
        requeue: bool
        def __init__(self, delivery_tag: Optional[int] = None, requeue: bool = True) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class RecoverAsync(amqp_object.Method):
        INDEX: int
        NAME: str
        requeue: bool
        def __init__(self, requeue: bool = False) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class Recover(amqp_object.Method):
        INDEX: int
        NAME: str
        requeue: bool
        def __init__(self, requeue: bool = False) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class RecoverOk(amqp_object.Method):
        INDEX: int
        NAME: str
        def __init__(self) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class Nack(amqp_object.Method):
        INDEX: int
        NAME: str
        delivery_tag: int
        multiple: bool
        requeue: bool
        def __init__(self, delivery_tag: int = 0, multiple: bool = False, requeue: bool = True) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...


class Tx(amqp_object.Class):
    INDEX: int
    NAME: str

    class Select(amqp_object.Method):
        INDEX: int
        NAME: str
        def __init__(self) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class SelectOk(amqp_object.Method):
        INDEX: int
        NAME: str
        def __init__(self) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class Commit(amqp_object.Method):
        INDEX: int
        NAME: str
        def __init__(self) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class CommitOk(amqp_object.Method):
        INDEX: int
        NAME: str
        def __init__(self) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class Rollback(amqp_object.Method):
        INDEX: int
        NAME: str
        def __init__(self) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class RollbackOk(amqp_object.Method):
        INDEX: int
        NAME: str
        def __init__(self) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...


class Confirm(amqp_object.Class):
    INDEX: int
    NAME: str

    class Select(amqp_object.Method):
        INDEX: int
        NAME: str
        nowait: bool
        def __init__(self, nowait: bool = False) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...

    class SelectOk(amqp_object.Method):
        INDEX: int
        NAME: str
        def __init__(self) -> None: ...
        synchronous: bool
        def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
        def encode(self) -> List[bytes]: ...


class BasicProperties(amqp_object.Properties):
    CLASS: Type[Basic]
    INDEX: int
    NAME: str
    FLAG_CONTENT_TYPE: int
    FLAG_CONTENT_ENCODING: int
    FLAG_HEADERS: int
    FLAG_DELIVERY_MODE: int
    FLAG_PRIORITY: int
    FLAG_CORRELATION_ID: int
    FLAG_REPLY_TO: int
    FLAG_EXPIRATION: int
    FLAG_MESSAGE_ID: int
    FLAG_TIMESTAMP: int
    FLAG_TYPE: int
    FLAG_USER_ID: int
    FLAG_APP_ID: int
    FLAG_CLUSTER_ID: int
    content_type: Optional[str]
    content_encoding: Optional[str]
    headers: Optional[Dict[str, Any]]
    delivery_mode: Optional[int]
    priority: Optional[int]
    correlation_id: Optional[str]
    reply_to: Optional[str]
    expiration: Optional[str]
    message_id: Optional[str]
    timestamp: Optional[int]
    type: Optional[str]
    user_id: Optional[str]
    app_id: Optional[str]
    cluster_id: Optional[str]
    def __init__(self, content_type: Optional[str] = None, content_encoding: Optional[str] = None, headers: Optional[Dict[str, Any]] = None, delivery_mode: Optional[Union[int, DeliveryMode]] = None, priority: Optional[int] = None, correlation_id: Optional[str] = None, reply_to: Optional[str] = None, expiration: Optional[str] = None, message_id: Optional[str] = None, timestamp: Optional[int] = None, type: Optional[str] = None, user_id: Optional[str] = None, app_id: Optional[str] = None, cluster_id: Optional[str] = None) -> None: ...
    def decode(self, encoded: bytes, offset: int = 0) -> Self: ...
    def encode(self) -> List[bytes]: ...

methods: Dict[int, Type[amqp_object.Method]]
props: Dict[int, Type[amqp_object.Properties]]
def has_content(methodNumber: int) -> bool: ...
