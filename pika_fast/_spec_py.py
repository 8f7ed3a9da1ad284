# GENERATED FILE -- DO NOT EDIT.
# Source: amqp-rabbitmq-0.9.1.json (sha256 48dd1bb5374de5db...)
# Regenerate with `make spec` (python tools/gen_spec.py).

"""Per-method marshalling for the pure-Python codec (``_codec_py``).

Twin of ``src_pyx/_spec_gen.pxi``.
"""

# ruff: noqa
# mypy: ignore-errors

from struct import Struct


def build(P):
    """Return method encoders and decoders by INDEX, then the BasicProperties pair,
    all bound to the primitives in P."""

    _s_connection_start_1 = Struct('>BB').pack
    def enc_connection_start(m):
        return b''.join((_s_connection_start_1(P.check_int(m.version_major, 'octet', 'version_major'), P.check_int(m.version_minor, 'octet', 'version_minor')), P.w_table(m.server_properties, 'server_properties'), P.w_longstr(m.mechanisms, 'mechanisms'), P.w_longstr(m.locales, 'locales'),))

    def dec_connection_start(m, buf, off, end):
        m.version_major, off = P.r_octet(buf, off, end)
        m.version_minor, off = P.r_octet(buf, off, end)
        m.server_properties, off = P.r_table(buf, off, end)
        m.mechanisms, off = P.r_longstr(buf, off, end)
        m.locales, off = P.r_longstr(buf, off, end)
        return off

    def enc_connection_start_ok(m):
        return b''.join((P.w_table(m.client_properties, 'client_properties'), P.w_shortstr(m.mechanism, 'mechanism'), P.w_longstr(m.response, 'response'), P.w_shortstr(m.locale, 'locale'),))

    def dec_connection_start_ok(m, buf, off, end):
        m.client_properties, off = P.r_table(buf, off, end)
        m.mechanism, off = P.r_shortstr(buf, off, end)
        m.response, off = P.r_longstr(buf, off, end)
        m.locale, off = P.r_shortstr(buf, off, end)
        return off

    def enc_connection_secure(m):
        return P.w_longstr(m.challenge, 'challenge')

    def dec_connection_secure(m, buf, off, end):
        m.challenge, off = P.r_longstr(buf, off, end)
        return off

    def enc_connection_secure_ok(m):
        return P.w_longstr(m.response, 'response')

    def dec_connection_secure_ok(m, buf, off, end):
        m.response, off = P.r_longstr(buf, off, end)
        return off

    _s_connection_tune_1 = Struct('>HIH').pack
    def enc_connection_tune(m):
        return _s_connection_tune_1(P.check_int(m.channel_max, 'short', 'channel_max'), P.check_int(m.frame_max, 'long', 'frame_max'), P.check_int(m.heartbeat, 'short', 'heartbeat'))

    def dec_connection_tune(m, buf, off, end):
        m.channel_max, off = P.r_short(buf, off, end)
        m.frame_max, off = P.r_long(buf, off, end)
        m.heartbeat, off = P.r_short(buf, off, end)
        return off

    _s_connection_tune_ok_1 = Struct('>HIH').pack
    def enc_connection_tune_ok(m):
        return _s_connection_tune_ok_1(P.check_int(m.channel_max, 'short', 'channel_max'), P.check_int(m.frame_max, 'long', 'frame_max'), P.check_int(m.heartbeat, 'short', 'heartbeat'))

    def dec_connection_tune_ok(m, buf, off, end):
        m.channel_max, off = P.r_short(buf, off, end)
        m.frame_max, off = P.r_long(buf, off, end)
        m.heartbeat, off = P.r_short(buf, off, end)
        return off

    _s_connection_open_1 = Struct('>B').pack
    def enc_connection_open(m):
        return b''.join((P.w_shortstr(m.virtual_host, 'virtual_host'), P.w_shortstr(m.capabilities, 'capabilities'), _s_connection_open_1((1 if m.insist else 0)),))

    def dec_connection_open(m, buf, off, end):
        m.virtual_host, off = P.r_shortstr(buf, off, end)
        m.capabilities, off = P.r_shortstr(buf, off, end)
        bits = P.r_bits(buf, off, end)
        off += 1
        m.insist = (bits & 1) != 0
        return off

    def enc_connection_open_ok(m):
        return P.w_shortstr(m.known_hosts, 'known_hosts')

    def dec_connection_open_ok(m, buf, off, end):
        m.known_hosts, off = P.r_shortstr(buf, off, end)
        return off

    _s_connection_close_2 = Struct('>HH').pack
    _s_connection_close_1 = Struct('>H').pack
    def enc_connection_close(m):
        return b''.join((_s_connection_close_1(P.check_int(m.reply_code, 'short', 'reply_code')), P.w_shortstr(m.reply_text, 'reply_text'), _s_connection_close_2(P.check_int(m.class_id, 'short', 'class_id'), P.check_int(m.method_id, 'short', 'method_id')),))

    def dec_connection_close(m, buf, off, end):
        m.reply_code, off = P.r_short(buf, off, end)
        m.reply_text, off = P.r_shortstr(buf, off, end)
        m.class_id, off = P.r_short(buf, off, end)
        m.method_id, off = P.r_short(buf, off, end)
        return off

    def enc_connection_close_ok(m):
        return b''

    def dec_connection_close_ok(m, buf, off, end):
        return off

    def enc_connection_blocked(m):
        return P.w_shortstr(m.reason, 'reason')

    def dec_connection_blocked(m, buf, off, end):
        m.reason, off = P.r_shortstr(buf, off, end)
        return off

    def enc_connection_unblocked(m):
        return b''

    def dec_connection_unblocked(m, buf, off, end):
        return off

    def enc_connection_update_secret(m):
        return b''.join((P.w_longstr(m.new_secret, 'new_secret'), P.w_shortstr(m.reason, 'reason'),))

    def dec_connection_update_secret(m, buf, off, end):
        m.new_secret, off = P.r_longstr(buf, off, end)
        m.reason, off = P.r_shortstr(buf, off, end)
        return off

    def enc_connection_update_secret_ok(m):
        return b''

    def dec_connection_update_secret_ok(m, buf, off, end):
        return off

    def enc_channel_open(m):
        return P.w_shortstr(m.out_of_band, 'out_of_band')

    def dec_channel_open(m, buf, off, end):
        m.out_of_band, off = P.r_shortstr(buf, off, end)
        return off

    def enc_channel_open_ok(m):
        return P.w_longstr(m.channel_id, 'channel_id')

    def dec_channel_open_ok(m, buf, off, end):
        m.channel_id, off = P.r_longstr(buf, off, end)
        return off

    _s_channel_flow_1 = Struct('>B').pack
    def enc_channel_flow(m):
        return _s_channel_flow_1((1 if m.active else 0))

    def dec_channel_flow(m, buf, off, end):
        bits = P.r_bits(buf, off, end)
        off += 1
        m.active = (bits & 1) != 0
        return off

    _s_channel_flow_ok_1 = Struct('>B').pack
    def enc_channel_flow_ok(m):
        return _s_channel_flow_ok_1((1 if m.active else 0))

    def dec_channel_flow_ok(m, buf, off, end):
        bits = P.r_bits(buf, off, end)
        off += 1
        m.active = (bits & 1) != 0
        return off

    _s_channel_close_2 = Struct('>HH').pack
    _s_channel_close_1 = Struct('>H').pack
    def enc_channel_close(m):
        return b''.join((_s_channel_close_1(P.check_int(m.reply_code, 'short', 'reply_code')), P.w_shortstr(m.reply_text, 'reply_text'), _s_channel_close_2(P.check_int(m.class_id, 'short', 'class_id'), P.check_int(m.method_id, 'short', 'method_id')),))

    def dec_channel_close(m, buf, off, end):
        m.reply_code, off = P.r_short(buf, off, end)
        m.reply_text, off = P.r_shortstr(buf, off, end)
        m.class_id, off = P.r_short(buf, off, end)
        m.method_id, off = P.r_short(buf, off, end)
        return off

    def enc_channel_close_ok(m):
        return b''

    def dec_channel_close_ok(m, buf, off, end):
        return off

    _s_access_request_1 = Struct('>B').pack
    def enc_access_request(m):
        return b''.join((P.w_shortstr(m.realm, 'realm'), _s_access_request_1((1 if m.exclusive else 0) | (2 if m.passive else 0) | (4 if m.active else 0) | (8 if m.write else 0) | (16 if m.read else 0)),))

    def dec_access_request(m, buf, off, end):
        m.realm, off = P.r_shortstr(buf, off, end)
        bits = P.r_bits(buf, off, end)
        off += 1
        m.exclusive = (bits & 1) != 0
        m.passive = (bits & 2) != 0
        m.active = (bits & 4) != 0
        m.write = (bits & 8) != 0
        m.read = (bits & 16) != 0
        return off

    _s_access_request_ok_1 = Struct('>H').pack
    def enc_access_request_ok(m):
        return _s_access_request_ok_1(P.check_int(m.ticket, 'short', 'ticket'))

    def dec_access_request_ok(m, buf, off, end):
        m.ticket, off = P.r_short(buf, off, end)
        return off

    _s_exchange_declare_2 = Struct('>B').pack
    _s_exchange_declare_1 = Struct('>H').pack
    def enc_exchange_declare(m):
        return b''.join((_s_exchange_declare_1(P.check_int(m.ticket, 'short', 'ticket')), P.w_shortstr(m.exchange, 'exchange'), P.w_shortstr(m.type, 'type'), _s_exchange_declare_2((1 if m.passive else 0) | (2 if m.durable else 0) | (4 if m.auto_delete else 0) | (8 if m.internal else 0) | (16 if m.nowait else 0)), P.w_table(m.arguments, 'arguments'),))

    def dec_exchange_declare(m, buf, off, end):
        m.ticket, off = P.r_short(buf, off, end)
        m.exchange, off = P.r_shortstr(buf, off, end)
        m.type, off = P.r_shortstr(buf, off, end)
        bits = P.r_bits(buf, off, end)
        off += 1
        m.passive = (bits & 1) != 0
        m.durable = (bits & 2) != 0
        m.auto_delete = (bits & 4) != 0
        m.internal = (bits & 8) != 0
        m.nowait = (bits & 16) != 0
        m.arguments, off = P.r_table(buf, off, end)
        return off

    def enc_exchange_declare_ok(m):
        return b''

    def dec_exchange_declare_ok(m, buf, off, end):
        return off

    _s_exchange_delete_2 = Struct('>B').pack
    _s_exchange_delete_1 = Struct('>H').pack
    def enc_exchange_delete(m):
        return b''.join((_s_exchange_delete_1(P.check_int(m.ticket, 'short', 'ticket')), P.w_shortstr(m.exchange, 'exchange'), _s_exchange_delete_2((1 if m.if_unused else 0) | (2 if m.nowait else 0)),))

    def dec_exchange_delete(m, buf, off, end):
        m.ticket, off = P.r_short(buf, off, end)
        m.exchange, off = P.r_shortstr(buf, off, end)
        bits = P.r_bits(buf, off, end)
        off += 1
        m.if_unused = (bits & 1) != 0
        m.nowait = (bits & 2) != 0
        return off

    def enc_exchange_delete_ok(m):
        return b''

    def dec_exchange_delete_ok(m, buf, off, end):
        return off

    _s_exchange_bind_2 = Struct('>B').pack
    _s_exchange_bind_1 = Struct('>H').pack
    def enc_exchange_bind(m):
        return b''.join((_s_exchange_bind_1(P.check_int(m.ticket, 'short', 'ticket')), P.w_shortstr(m.destination, 'destination'), P.w_shortstr(m.source, 'source'), P.w_shortstr(m.routing_key, 'routing_key'), _s_exchange_bind_2((1 if m.nowait else 0)), P.w_table(m.arguments, 'arguments'),))

    def dec_exchange_bind(m, buf, off, end):
        m.ticket, off = P.r_short(buf, off, end)
        m.destination, off = P.r_shortstr(buf, off, end)
        m.source, off = P.r_shortstr(buf, off, end)
        m.routing_key, off = P.r_shortstr(buf, off, end)
        bits = P.r_bits(buf, off, end)
        off += 1
        m.nowait = (bits & 1) != 0
        m.arguments, off = P.r_table(buf, off, end)
        return off

    def enc_exchange_bind_ok(m):
        return b''

    def dec_exchange_bind_ok(m, buf, off, end):
        return off

    _s_exchange_unbind_2 = Struct('>B').pack
    _s_exchange_unbind_1 = Struct('>H').pack
    def enc_exchange_unbind(m):
        return b''.join((_s_exchange_unbind_1(P.check_int(m.ticket, 'short', 'ticket')), P.w_shortstr(m.destination, 'destination'), P.w_shortstr(m.source, 'source'), P.w_shortstr(m.routing_key, 'routing_key'), _s_exchange_unbind_2((1 if m.nowait else 0)), P.w_table(m.arguments, 'arguments'),))

    def dec_exchange_unbind(m, buf, off, end):
        m.ticket, off = P.r_short(buf, off, end)
        m.destination, off = P.r_shortstr(buf, off, end)
        m.source, off = P.r_shortstr(buf, off, end)
        m.routing_key, off = P.r_shortstr(buf, off, end)
        bits = P.r_bits(buf, off, end)
        off += 1
        m.nowait = (bits & 1) != 0
        m.arguments, off = P.r_table(buf, off, end)
        return off

    def enc_exchange_unbind_ok(m):
        return b''

    def dec_exchange_unbind_ok(m, buf, off, end):
        return off

    _s_queue_declare_2 = Struct('>B').pack
    _s_queue_declare_1 = Struct('>H').pack
    def enc_queue_declare(m):
        return b''.join((_s_queue_declare_1(P.check_int(m.ticket, 'short', 'ticket')), P.w_shortstr(m.queue, 'queue'), _s_queue_declare_2((1 if m.passive else 0) | (2 if m.durable else 0) | (4 if m.exclusive else 0) | (8 if m.auto_delete else 0) | (16 if m.nowait else 0)), P.w_table(m.arguments, 'arguments'),))

    def dec_queue_declare(m, buf, off, end):
        m.ticket, off = P.r_short(buf, off, end)
        m.queue, off = P.r_shortstr(buf, off, end)
        bits = P.r_bits(buf, off, end)
        off += 1
        m.passive = (bits & 1) != 0
        m.durable = (bits & 2) != 0
        m.exclusive = (bits & 4) != 0
        m.auto_delete = (bits & 8) != 0
        m.nowait = (bits & 16) != 0
        m.arguments, off = P.r_table(buf, off, end)
        return off

    _s_queue_declare_ok_1 = Struct('>II').pack
    def enc_queue_declare_ok(m):
        return b''.join((P.w_shortstr(m.queue, 'queue'), _s_queue_declare_ok_1(P.check_int(m.message_count, 'long', 'message_count'), P.check_int(m.consumer_count, 'long', 'consumer_count')),))

    def dec_queue_declare_ok(m, buf, off, end):
        m.queue, off = P.r_shortstr(buf, off, end)
        m.message_count, off = P.r_long(buf, off, end)
        m.consumer_count, off = P.r_long(buf, off, end)
        return off

    _s_queue_bind_2 = Struct('>B').pack
    _s_queue_bind_1 = Struct('>H').pack
    def enc_queue_bind(m):
        return b''.join((_s_queue_bind_1(P.check_int(m.ticket, 'short', 'ticket')), P.w_shortstr(m.queue, 'queue'), P.w_shortstr(m.exchange, 'exchange'), P.w_shortstr(m.routing_key, 'routing_key'), _s_queue_bind_2((1 if m.nowait else 0)), P.w_table(m.arguments, 'arguments'),))

    def dec_queue_bind(m, buf, off, end):
        m.ticket, off = P.r_short(buf, off, end)
        m.queue, off = P.r_shortstr(buf, off, end)
        m.exchange, off = P.r_shortstr(buf, off, end)
        m.routing_key, off = P.r_shortstr(buf, off, end)
        bits = P.r_bits(buf, off, end)
        off += 1
        m.nowait = (bits & 1) != 0
        m.arguments, off = P.r_table(buf, off, end)
        return off

    def enc_queue_bind_ok(m):
        return b''

    def dec_queue_bind_ok(m, buf, off, end):
        return off

    _s_queue_purge_2 = Struct('>B').pack
    _s_queue_purge_1 = Struct('>H').pack
    def enc_queue_purge(m):
        return b''.join((_s_queue_purge_1(P.check_int(m.ticket, 'short', 'ticket')), P.w_shortstr(m.queue, 'queue'), _s_queue_purge_2((1 if m.nowait else 0)),))

    def dec_queue_purge(m, buf, off, end):
        m.ticket, off = P.r_short(buf, off, end)
        m.queue, off = P.r_shortstr(buf, off, end)
        bits = P.r_bits(buf, off, end)
        off += 1
        m.nowait = (bits & 1) != 0
        return off

    _s_queue_purge_ok_1 = Struct('>I').pack
    def enc_queue_purge_ok(m):
        return _s_queue_purge_ok_1(P.check_int(m.message_count, 'long', 'message_count'))

    def dec_queue_purge_ok(m, buf, off, end):
        m.message_count, off = P.r_long(buf, off, end)
        return off

    _s_queue_delete_2 = Struct('>B').pack
    _s_queue_delete_1 = Struct('>H').pack
    def enc_queue_delete(m):
        return b''.join((_s_queue_delete_1(P.check_int(m.ticket, 'short', 'ticket')), P.w_shortstr(m.queue, 'queue'), _s_queue_delete_2((1 if m.if_unused else 0) | (2 if m.if_empty else 0) | (4 if m.nowait else 0)),))

    def dec_queue_delete(m, buf, off, end):
        m.ticket, off = P.r_short(buf, off, end)
        m.queue, off = P.r_shortstr(buf, off, end)
        bits = P.r_bits(buf, off, end)
        off += 1
        m.if_unused = (bits & 1) != 0
        m.if_empty = (bits & 2) != 0
        m.nowait = (bits & 4) != 0
        return off

    _s_queue_delete_ok_1 = Struct('>I').pack
    def enc_queue_delete_ok(m):
        return _s_queue_delete_ok_1(P.check_int(m.message_count, 'long', 'message_count'))

    def dec_queue_delete_ok(m, buf, off, end):
        m.message_count, off = P.r_long(buf, off, end)
        return off

    _s_queue_unbind_1 = Struct('>H').pack
    def enc_queue_unbind(m):
        return b''.join((_s_queue_unbind_1(P.check_int(m.ticket, 'short', 'ticket')), P.w_shortstr(m.queue, 'queue'), P.w_shortstr(m.exchange, 'exchange'), P.w_shortstr(m.routing_key, 'routing_key'), P.w_table(m.arguments, 'arguments'),))

    def dec_queue_unbind(m, buf, off, end):
        m.ticket, off = P.r_short(buf, off, end)
        m.queue, off = P.r_shortstr(buf, off, end)
        m.exchange, off = P.r_shortstr(buf, off, end)
        m.routing_key, off = P.r_shortstr(buf, off, end)
        m.arguments, off = P.r_table(buf, off, end)
        return off

    def enc_queue_unbind_ok(m):
        return b''

    def dec_queue_unbind_ok(m, buf, off, end):
        return off

    _s_basic_qos_1 = Struct('>IHB').pack
    def enc_basic_qos(m):
        return _s_basic_qos_1(P.check_int(m.prefetch_size, 'long', 'prefetch_size'), P.check_int(m.prefetch_count, 'short', 'prefetch_count'), (1 if m.global_qos else 0))

    def dec_basic_qos(m, buf, off, end):
        m.prefetch_size, off = P.r_long(buf, off, end)
        m.prefetch_count, off = P.r_short(buf, off, end)
        bits = P.r_bits(buf, off, end)
        off += 1
        m.global_qos = (bits & 1) != 0
        return off

    def enc_basic_qos_ok(m):
        return b''

    def dec_basic_qos_ok(m, buf, off, end):
        return off

    _s_basic_consume_2 = Struct('>B').pack
    _s_basic_consume_1 = Struct('>H').pack
    def enc_basic_consume(m):
        return b''.join((_s_basic_consume_1(P.check_int(m.ticket, 'short', 'ticket')), P.w_shortstr(m.queue, 'queue'), P.w_shortstr(m.consumer_tag, 'consumer_tag'), _s_basic_consume_2((1 if m.no_local else 0) | (2 if m.no_ack else 0) | (4 if m.exclusive else 0) | (8 if m.nowait else 0)), P.w_table(m.arguments, 'arguments'),))

    def dec_basic_consume(m, buf, off, end):
        m.ticket, off = P.r_short(buf, off, end)
        m.queue, off = P.r_shortstr(buf, off, end)
        m.consumer_tag, off = P.r_shortstr(buf, off, end)
        bits = P.r_bits(buf, off, end)
        off += 1
        m.no_local = (bits & 1) != 0
        m.no_ack = (bits & 2) != 0
        m.exclusive = (bits & 4) != 0
        m.nowait = (bits & 8) != 0
        m.arguments, off = P.r_table(buf, off, end)
        return off

    def enc_basic_consume_ok(m):
        return P.w_shortstr(m.consumer_tag, 'consumer_tag')

    def dec_basic_consume_ok(m, buf, off, end):
        m.consumer_tag, off = P.r_shortstr(buf, off, end)
        return off

    _s_basic_cancel_1 = Struct('>B').pack
    def enc_basic_cancel(m):
        return b''.join((P.w_shortstr(m.consumer_tag, 'consumer_tag'), _s_basic_cancel_1((1 if m.nowait else 0)),))

    def dec_basic_cancel(m, buf, off, end):
        m.consumer_tag, off = P.r_shortstr(buf, off, end)
        bits = P.r_bits(buf, off, end)
        off += 1
        m.nowait = (bits & 1) != 0
        return off

    def enc_basic_cancel_ok(m):
        return P.w_shortstr(m.consumer_tag, 'consumer_tag')

    def dec_basic_cancel_ok(m, buf, off, end):
        m.consumer_tag, off = P.r_shortstr(buf, off, end)
        return off

    _s_basic_publish_2 = Struct('>B').pack
    _s_basic_publish_1 = Struct('>H').pack
    def enc_basic_publish(m):
        return b''.join((_s_basic_publish_1(P.check_int(m.ticket, 'short', 'ticket')), P.w_shortstr(m.exchange, 'exchange'), P.w_shortstr(m.routing_key, 'routing_key'), _s_basic_publish_2((1 if m.mandatory else 0) | (2 if m.immediate else 0)),))

    def dec_basic_publish(m, buf, off, end):
        m.ticket, off = P.r_short(buf, off, end)
        m.exchange, off = P.r_shortstr(buf, off, end)
        m.routing_key, off = P.r_shortstr(buf, off, end)
        bits = P.r_bits(buf, off, end)
        off += 1
        m.mandatory = (bits & 1) != 0
        m.immediate = (bits & 2) != 0
        return off

    _s_basic_return_1 = Struct('>H').pack
    def enc_basic_return(m):
        return b''.join((_s_basic_return_1(P.check_int(m.reply_code, 'short', 'reply_code')), P.w_shortstr(m.reply_text, 'reply_text'), P.w_shortstr(m.exchange, 'exchange'), P.w_shortstr(m.routing_key, 'routing_key'),))

    def dec_basic_return(m, buf, off, end):
        m.reply_code, off = P.r_short(buf, off, end)
        m.reply_text, off = P.r_shortstr(buf, off, end)
        m.exchange, off = P.r_shortstr(buf, off, end)
        m.routing_key, off = P.r_shortstr(buf, off, end)
        return off

    _s_basic_deliver_1 = Struct('>QB').pack
    def enc_basic_deliver(m):
        return b''.join((P.w_shortstr(m.consumer_tag, 'consumer_tag'), _s_basic_deliver_1(P.check_int(m.delivery_tag, 'longlong', 'delivery_tag'), (1 if m.redelivered else 0)), P.w_shortstr(m.exchange, 'exchange'), P.w_shortstr(m.routing_key, 'routing_key'),))

    def dec_basic_deliver(m, buf, off, end):
        m.consumer_tag, off = P.r_shortstr(buf, off, end)
        m.delivery_tag, off = P.r_longlong(buf, off, end)
        bits = P.r_bits(buf, off, end)
        off += 1
        m.redelivered = (bits & 1) != 0
        m.exchange, off = P.r_shortstr(buf, off, end)
        m.routing_key, off = P.r_shortstr(buf, off, end)
        return off

    _s_basic_get_2 = Struct('>B').pack
    _s_basic_get_1 = Struct('>H').pack
    def enc_basic_get(m):
        return b''.join((_s_basic_get_1(P.check_int(m.ticket, 'short', 'ticket')), P.w_shortstr(m.queue, 'queue'), _s_basic_get_2((1 if m.no_ack else 0)),))

    def dec_basic_get(m, buf, off, end):
        m.ticket, off = P.r_short(buf, off, end)
        m.queue, off = P.r_shortstr(buf, off, end)
        bits = P.r_bits(buf, off, end)
        off += 1
        m.no_ack = (bits & 1) != 0
        return off

    _s_basic_get_ok_2 = Struct('>I').pack
    _s_basic_get_ok_1 = Struct('>QB').pack
    def enc_basic_get_ok(m):
        return b''.join((_s_basic_get_ok_1(P.check_int(m.delivery_tag, 'longlong', 'delivery_tag'), (1 if m.redelivered else 0)), P.w_shortstr(m.exchange, 'exchange'), P.w_shortstr(m.routing_key, 'routing_key'), _s_basic_get_ok_2(P.check_int(m.message_count, 'long', 'message_count')),))

    def dec_basic_get_ok(m, buf, off, end):
        m.delivery_tag, off = P.r_longlong(buf, off, end)
        bits = P.r_bits(buf, off, end)
        off += 1
        m.redelivered = (bits & 1) != 0
        m.exchange, off = P.r_shortstr(buf, off, end)
        m.routing_key, off = P.r_shortstr(buf, off, end)
        m.message_count, off = P.r_long(buf, off, end)
        return off

    def enc_basic_get_empty(m):
        return P.w_shortstr(m.cluster_id, 'cluster_id')

    def dec_basic_get_empty(m, buf, off, end):
        m.cluster_id, off = P.r_shortstr(buf, off, end)
        return off

    _s_basic_ack_1 = Struct('>QB').pack
    def enc_basic_ack(m):
        return _s_basic_ack_1(P.check_int(m.delivery_tag, 'longlong', 'delivery_tag'), (1 if m.multiple else 0))

    def dec_basic_ack(m, buf, off, end):
        m.delivery_tag, off = P.r_longlong(buf, off, end)
        bits = P.r_bits(buf, off, end)
        off += 1
        m.multiple = (bits & 1) != 0
        return off

    _s_basic_reject_1 = Struct('>QB').pack
    def enc_basic_reject(m):
        return _s_basic_reject_1(P.check_int(m.delivery_tag, 'longlong', 'delivery_tag'), (1 if m.requeue else 0))

    def dec_basic_reject(m, buf, off, end):
        m.delivery_tag, off = P.r_longlong(buf, off, end)
        bits = P.r_bits(buf, off, end)
        off += 1
        m.requeue = (bits & 1) != 0
        return off

    _s_basic_recover_async_1 = Struct('>B').pack
    def enc_basic_recover_async(m):
        return _s_basic_recover_async_1((1 if m.requeue else 0))

    def dec_basic_recover_async(m, buf, off, end):
        bits = P.r_bits(buf, off, end)
        off += 1
        m.requeue = (bits & 1) != 0
        return off

    _s_basic_recover_1 = Struct('>B').pack
    def enc_basic_recover(m):
        return _s_basic_recover_1((1 if m.requeue else 0))

    def dec_basic_recover(m, buf, off, end):
        bits = P.r_bits(buf, off, end)
        off += 1
        m.requeue = (bits & 1) != 0
        return off

    def enc_basic_recover_ok(m):
        return b''

    def dec_basic_recover_ok(m, buf, off, end):
        return off

    _s_basic_nack_1 = Struct('>QB').pack
    def enc_basic_nack(m):
        return _s_basic_nack_1(P.check_int(m.delivery_tag, 'longlong', 'delivery_tag'), (1 if m.multiple else 0) | (2 if m.requeue else 0))

    def dec_basic_nack(m, buf, off, end):
        m.delivery_tag, off = P.r_longlong(buf, off, end)
        bits = P.r_bits(buf, off, end)
        off += 1
        m.multiple = (bits & 1) != 0
        m.requeue = (bits & 2) != 0
        return off

    def enc_tx_select(m):
        return b''

    def dec_tx_select(m, buf, off, end):
        return off

    def enc_tx_select_ok(m):
        return b''

    def dec_tx_select_ok(m, buf, off, end):
        return off

    def enc_tx_commit(m):
        return b''

    def dec_tx_commit(m, buf, off, end):
        return off

    def enc_tx_commit_ok(m):
        return b''

    def dec_tx_commit_ok(m, buf, off, end):
        return off

    def enc_tx_rollback(m):
        return b''

    def dec_tx_rollback(m, buf, off, end):
        return off

    def enc_tx_rollback_ok(m):
        return b''

    def dec_tx_rollback_ok(m, buf, off, end):
        return off

    _s_confirm_select_1 = Struct('>B').pack
    def enc_confirm_select(m):
        return _s_confirm_select_1((1 if m.nowait else 0))

    def dec_confirm_select(m, buf, off, end):
        bits = P.r_bits(buf, off, end)
        off += 1
        m.nowait = (bits & 1) != 0
        return off

    def enc_confirm_select_ok(m):
        return b''

    def dec_confirm_select_ok(m, buf, off, end):
        return off

    _flags_pack = Struct('>H').pack

    def enc_properties(p):
        flags = 0
        parts = [None]
        v = p.content_type
        if v is not None:
            flags |= 32768
            parts.append(P.w_shortstr(v, 'content_type'))
        v = p.content_encoding
        if v is not None:
            flags |= 16384
            parts.append(P.w_shortstr(v, 'content_encoding'))
        v = p.headers
        if v is not None:
            flags |= 8192
            parts.append(P.w_table(v, 'headers'))
        v = p.delivery_mode
        if v is not None:
            flags |= 4096
            parts.append(P.w_octet(v, 'delivery_mode'))
        v = p.priority
        if v is not None:
            flags |= 2048
            parts.append(P.w_octet(v, 'priority'))
        v = p.correlation_id
        if v is not None:
            flags |= 1024
            parts.append(P.w_shortstr(v, 'correlation_id'))
        v = p.reply_to
        if v is not None:
            flags |= 512
            parts.append(P.w_shortstr(v, 'reply_to'))
        v = p.expiration
        if v is not None:
            flags |= 256
            parts.append(P.w_shortstr(v, 'expiration'))
        v = p.message_id
        if v is not None:
            flags |= 128
            parts.append(P.w_shortstr(v, 'message_id'))
        v = p.timestamp
        if v is not None:
            flags |= 64
            parts.append(P.w_timestamp(v, 'timestamp'))
        v = p.type
        if v is not None:
            flags |= 32
            parts.append(P.w_shortstr(v, 'type'))
        v = p.user_id
        if v is not None:
            flags |= 16
            parts.append(P.w_shortstr(v, 'user_id'))
        v = p.app_id
        if v is not None:
            flags |= 8
            parts.append(P.w_shortstr(v, 'app_id'))
        v = p.cluster_id
        if v is not None:
            flags |= 4
            parts.append(P.w_shortstr(v, 'cluster_id'))
        parts[0] = _flags_pack(flags)
        return b''.join(parts)

    def dec_properties(p, buf, off, end):
        flags, off = P.r_short(buf, off, end)
        more = flags
        while more & 1:  # continuation words carry no properties we know
            more, off = P.r_short(buf, off, end)
        if flags & 32768:
            p.content_type, off = P.r_shortstr(buf, off, end)
        else:
            p.content_type = None
        if flags & 16384:
            p.content_encoding, off = P.r_shortstr(buf, off, end)
        else:
            p.content_encoding = None
        if flags & 8192:
            p.headers, off = P.r_table(buf, off, end)
        else:
            p.headers = None
        if flags & 4096:
            p.delivery_mode, off = P.r_octet(buf, off, end)
        else:
            p.delivery_mode = None
        if flags & 2048:
            p.priority, off = P.r_octet(buf, off, end)
        else:
            p.priority = None
        if flags & 1024:
            p.correlation_id, off = P.r_shortstr(buf, off, end)
        else:
            p.correlation_id = None
        if flags & 512:
            p.reply_to, off = P.r_shortstr(buf, off, end)
        else:
            p.reply_to = None
        if flags & 256:
            p.expiration, off = P.r_shortstr(buf, off, end)
        else:
            p.expiration = None
        if flags & 128:
            p.message_id, off = P.r_shortstr(buf, off, end)
        else:
            p.message_id = None
        if flags & 64:
            p.timestamp, off = P.r_timestamp(buf, off, end)
        else:
            p.timestamp = None
        if flags & 32:
            p.type, off = P.r_shortstr(buf, off, end)
        else:
            p.type = None
        if flags & 16:
            p.user_id, off = P.r_shortstr(buf, off, end)
        else:
            p.user_id = None
        if flags & 8:
            p.app_id, off = P.r_shortstr(buf, off, end)
        else:
            p.app_id = None
        if flags & 4:
            p.cluster_id, off = P.r_shortstr(buf, off, end)
        else:
            p.cluster_id = None
        return off

    encoders = {
        655370: enc_connection_start,
        655371: enc_connection_start_ok,
        655380: enc_connection_secure,
        655381: enc_connection_secure_ok,
        655390: enc_connection_tune,
        655391: enc_connection_tune_ok,
        655400: enc_connection_open,
        655401: enc_connection_open_ok,
        655410: enc_connection_close,
        655411: enc_connection_close_ok,
        655420: enc_connection_blocked,
        655421: enc_connection_unblocked,
        655430: enc_connection_update_secret,
        655431: enc_connection_update_secret_ok,
        1310730: enc_channel_open,
        1310731: enc_channel_open_ok,
        1310740: enc_channel_flow,
        1310741: enc_channel_flow_ok,
        1310760: enc_channel_close,
        1310761: enc_channel_close_ok,
        1966090: enc_access_request,
        1966091: enc_access_request_ok,
        2621450: enc_exchange_declare,
        2621451: enc_exchange_declare_ok,
        2621460: enc_exchange_delete,
        2621461: enc_exchange_delete_ok,
        2621470: enc_exchange_bind,
        2621471: enc_exchange_bind_ok,
        2621480: enc_exchange_unbind,
        2621491: enc_exchange_unbind_ok,
        3276810: enc_queue_declare,
        3276811: enc_queue_declare_ok,
        3276820: enc_queue_bind,
        3276821: enc_queue_bind_ok,
        3276830: enc_queue_purge,
        3276831: enc_queue_purge_ok,
        3276840: enc_queue_delete,
        3276841: enc_queue_delete_ok,
        3276850: enc_queue_unbind,
        3276851: enc_queue_unbind_ok,
        3932170: enc_basic_qos,
        3932171: enc_basic_qos_ok,
        3932180: enc_basic_consume,
        3932181: enc_basic_consume_ok,
        3932190: enc_basic_cancel,
        3932191: enc_basic_cancel_ok,
        3932200: enc_basic_publish,
        3932210: enc_basic_return,
        3932220: enc_basic_deliver,
        3932230: enc_basic_get,
        3932231: enc_basic_get_ok,
        3932232: enc_basic_get_empty,
        3932240: enc_basic_ack,
        3932250: enc_basic_reject,
        3932260: enc_basic_recover_async,
        3932270: enc_basic_recover,
        3932271: enc_basic_recover_ok,
        3932280: enc_basic_nack,
        5898250: enc_tx_select,
        5898251: enc_tx_select_ok,
        5898260: enc_tx_commit,
        5898261: enc_tx_commit_ok,
        5898270: enc_tx_rollback,
        5898271: enc_tx_rollback_ok,
        5570570: enc_confirm_select,
        5570571: enc_confirm_select_ok,
    }
    decoders = {
        655370: dec_connection_start,
        655371: dec_connection_start_ok,
        655380: dec_connection_secure,
        655381: dec_connection_secure_ok,
        655390: dec_connection_tune,
        655391: dec_connection_tune_ok,
        655400: dec_connection_open,
        655401: dec_connection_open_ok,
        655410: dec_connection_close,
        655411: dec_connection_close_ok,
        655420: dec_connection_blocked,
        655421: dec_connection_unblocked,
        655430: dec_connection_update_secret,
        655431: dec_connection_update_secret_ok,
        1310730: dec_channel_open,
        1310731: dec_channel_open_ok,
        1310740: dec_channel_flow,
        1310741: dec_channel_flow_ok,
        1310760: dec_channel_close,
        1310761: dec_channel_close_ok,
        1966090: dec_access_request,
        1966091: dec_access_request_ok,
        2621450: dec_exchange_declare,
        2621451: dec_exchange_declare_ok,
        2621460: dec_exchange_delete,
        2621461: dec_exchange_delete_ok,
        2621470: dec_exchange_bind,
        2621471: dec_exchange_bind_ok,
        2621480: dec_exchange_unbind,
        2621491: dec_exchange_unbind_ok,
        3276810: dec_queue_declare,
        3276811: dec_queue_declare_ok,
        3276820: dec_queue_bind,
        3276821: dec_queue_bind_ok,
        3276830: dec_queue_purge,
        3276831: dec_queue_purge_ok,
        3276840: dec_queue_delete,
        3276841: dec_queue_delete_ok,
        3276850: dec_queue_unbind,
        3276851: dec_queue_unbind_ok,
        3932170: dec_basic_qos,
        3932171: dec_basic_qos_ok,
        3932180: dec_basic_consume,
        3932181: dec_basic_consume_ok,
        3932190: dec_basic_cancel,
        3932191: dec_basic_cancel_ok,
        3932200: dec_basic_publish,
        3932210: dec_basic_return,
        3932220: dec_basic_deliver,
        3932230: dec_basic_get,
        3932231: dec_basic_get_ok,
        3932232: dec_basic_get_empty,
        3932240: dec_basic_ack,
        3932250: dec_basic_reject,
        3932260: dec_basic_recover_async,
        3932270: dec_basic_recover,
        3932271: dec_basic_recover_ok,
        3932280: dec_basic_nack,
        5898250: dec_tx_select,
        5898251: dec_tx_select_ok,
        5898260: dec_tx_commit,
        5898261: dec_tx_commit_ok,
        5898270: dec_tx_rollback,
        5898271: dec_tx_rollback_ok,
        5570570: dec_confirm_select,
        5570571: dec_confirm_select_ok,
    }
    return encoders, decoders, enc_properties, dec_properties
