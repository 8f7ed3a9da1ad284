# GENERATED FILE -- DO NOT EDIT.
# Source: amqp-rabbitmq-0.9.1.json (sha256 48dd1bb5374de5db...)
# Regenerate with `make spec` (python tools/gen_spec.py).
# Per-method marshalling for the compiled codec, included by src_pyx/_codec_c.pyx.
# Twin of pika_fast/_spec_py.py; see tools/gen_pyx.py for the names it relies on.

cdef enum:
    N_METHODS = 66
    N_PROPERTIES = 14
    MAX_METHOD_FIELDS = 9
    N_METHOD_FIELDS = 148

# The value each decoder's template holds for a field, by method and position:
# borrowed from the template, which is private and only changed by _learn.
cdef PyObject *_known[N_METHOD_FIELDS]
cdef PyObject *_known_properties[N_PROPERTIES]

# By method code: wire INDEX, and argument names in wire order.
cdef tuple _METHOD_INDEXES = (
    0x000A000A,  # Connection.Start
    0x000A000B,  # Connection.StartOk
    0x000A0014,  # Connection.Secure
    0x000A0015,  # Connection.SecureOk
    0x000A001E,  # Connection.Tune
    0x000A001F,  # Connection.TuneOk
    0x000A0028,  # Connection.Open
    0x000A0029,  # Connection.OpenOk
    0x000A0032,  # Connection.Close
    0x000A0033,  # Connection.CloseOk
    0x000A003C,  # Connection.Blocked
    0x000A003D,  # Connection.Unblocked
    0x000A0046,  # Connection.UpdateSecret
    0x000A0047,  # Connection.UpdateSecretOk
    0x0014000A,  # Channel.Open
    0x0014000B,  # Channel.OpenOk
    0x00140014,  # Channel.Flow
    0x00140015,  # Channel.FlowOk
    0x00140028,  # Channel.Close
    0x00140029,  # Channel.CloseOk
    0x001E000A,  # Access.Request
    0x001E000B,  # Access.RequestOk
    0x0028000A,  # Exchange.Declare
    0x0028000B,  # Exchange.DeclareOk
    0x00280014,  # Exchange.Delete
    0x00280015,  # Exchange.DeleteOk
    0x0028001E,  # Exchange.Bind
    0x0028001F,  # Exchange.BindOk
    0x00280028,  # Exchange.Unbind
    0x00280033,  # Exchange.UnbindOk
    0x0032000A,  # Queue.Declare
    0x0032000B,  # Queue.DeclareOk
    0x00320014,  # Queue.Bind
    0x00320015,  # Queue.BindOk
    0x0032001E,  # Queue.Purge
    0x0032001F,  # Queue.PurgeOk
    0x00320028,  # Queue.Delete
    0x00320029,  # Queue.DeleteOk
    0x00320032,  # Queue.Unbind
    0x00320033,  # Queue.UnbindOk
    0x003C000A,  # Basic.Qos
    0x003C000B,  # Basic.QosOk
    0x003C0014,  # Basic.Consume
    0x003C0015,  # Basic.ConsumeOk
    0x003C001E,  # Basic.Cancel
    0x003C001F,  # Basic.CancelOk
    0x003C0028,  # Basic.Publish
    0x003C0032,  # Basic.Return
    0x003C003C,  # Basic.Deliver
    0x003C0046,  # Basic.Get
    0x003C0047,  # Basic.GetOk
    0x003C0048,  # Basic.GetEmpty
    0x003C0050,  # Basic.Ack
    0x003C005A,  # Basic.Reject
    0x003C0064,  # Basic.RecoverAsync
    0x003C006E,  # Basic.Recover
    0x003C006F,  # Basic.RecoverOk
    0x003C0078,  # Basic.Nack
    0x005A000A,  # Tx.Select
    0x005A000B,  # Tx.SelectOk
    0x005A0014,  # Tx.Commit
    0x005A0015,  # Tx.CommitOk
    0x005A001E,  # Tx.Rollback
    0x005A001F,  # Tx.RollbackOk
    0x0055000A,  # Confirm.Select
    0x0055000B,  # Confirm.SelectOk
)
cdef tuple _METHOD_FIELDS = (
    ('version_major', 'version_minor', 'server_properties', 'mechanisms', 'locales', ),
    ('client_properties', 'mechanism', 'response', 'locale', ),
    ('challenge', ),
    ('response', ),
    ('channel_max', 'frame_max', 'heartbeat', ),
    ('channel_max', 'frame_max', 'heartbeat', ),
    ('virtual_host', 'capabilities', 'insist', ),
    ('known_hosts', ),
    ('reply_code', 'reply_text', 'class_id', 'method_id', ),
    (),
    ('reason', ),
    (),
    ('new_secret', 'reason', ),
    (),
    ('out_of_band', ),
    ('channel_id', ),
    ('active', ),
    ('active', ),
    ('reply_code', 'reply_text', 'class_id', 'method_id', ),
    (),
    ('realm', 'exclusive', 'passive', 'active', 'write', 'read', ),
    ('ticket', ),
    ('ticket', 'exchange', 'type', 'passive', 'durable', 'auto_delete', 'internal', 'nowait', 'arguments', ),
    (),
    ('ticket', 'exchange', 'if_unused', 'nowait', ),
    (),
    ('ticket', 'destination', 'source', 'routing_key', 'nowait', 'arguments', ),
    (),
    ('ticket', 'destination', 'source', 'routing_key', 'nowait', 'arguments', ),
    (),
    ('ticket', 'queue', 'passive', 'durable', 'exclusive', 'auto_delete', 'nowait', 'arguments', ),
    ('queue', 'message_count', 'consumer_count', ),
    ('ticket', 'queue', 'exchange', 'routing_key', 'nowait', 'arguments', ),
    (),
    ('ticket', 'queue', 'nowait', ),
    ('message_count', ),
    ('ticket', 'queue', 'if_unused', 'if_empty', 'nowait', ),
    ('message_count', ),
    ('ticket', 'queue', 'exchange', 'routing_key', 'arguments', ),
    (),
    ('prefetch_size', 'prefetch_count', 'global_qos', ),
    (),
    ('ticket', 'queue', 'consumer_tag', 'no_local', 'no_ack', 'exclusive', 'nowait', 'arguments', ),
    ('consumer_tag', ),
    ('consumer_tag', 'nowait', ),
    ('consumer_tag', ),
    ('ticket', 'exchange', 'routing_key', 'mandatory', 'immediate', ),
    ('reply_code', 'reply_text', 'exchange', 'routing_key', ),
    ('consumer_tag', 'delivery_tag', 'redelivered', 'exchange', 'routing_key', ),
    ('ticket', 'queue', 'no_ack', ),
    ('delivery_tag', 'redelivered', 'exchange', 'routing_key', 'message_count', ),
    ('cluster_id', ),
    ('delivery_tag', 'multiple', ),
    ('delivery_tag', 'requeue', ),
    ('requeue', ),
    ('requeue', ),
    (),
    ('delivery_tag', 'multiple', 'requeue', ),
    (),
    (),
    (),
    (),
    (),
    (),
    ('nowait', ),
    (),
)
cdef tuple _PROPERTY_FIELDS = ('content_type', 'content_encoding', 'headers', 'delivery_mode', 'priority', 'correlation_id', 'reply_to', 'expiration', 'message_id', 'timestamp', 'type', 'user_id', 'app_id', 'cluster_id', )


cdef int _method_code(uint32_t index) noexcept nogil:
    """The dense code of a method INDEX, or -1 when the spec has no such method."""
    if index == 0x000A000A:
        return 0
    elif index == 0x000A000B:
        return 1
    elif index == 0x000A0014:
        return 2
    elif index == 0x000A0015:
        return 3
    elif index == 0x000A001E:
        return 4
    elif index == 0x000A001F:
        return 5
    elif index == 0x000A0028:
        return 6
    elif index == 0x000A0029:
        return 7
    elif index == 0x000A0032:
        return 8
    elif index == 0x000A0033:
        return 9
    elif index == 0x000A003C:
        return 10
    elif index == 0x000A003D:
        return 11
    elif index == 0x000A0046:
        return 12
    elif index == 0x000A0047:
        return 13
    elif index == 0x0014000A:
        return 14
    elif index == 0x0014000B:
        return 15
    elif index == 0x00140014:
        return 16
    elif index == 0x00140015:
        return 17
    elif index == 0x00140028:
        return 18
    elif index == 0x00140029:
        return 19
    elif index == 0x001E000A:
        return 20
    elif index == 0x001E000B:
        return 21
    elif index == 0x0028000A:
        return 22
    elif index == 0x0028000B:
        return 23
    elif index == 0x00280014:
        return 24
    elif index == 0x00280015:
        return 25
    elif index == 0x0028001E:
        return 26
    elif index == 0x0028001F:
        return 27
    elif index == 0x00280028:
        return 28
    elif index == 0x00280033:
        return 29
    elif index == 0x0032000A:
        return 30
    elif index == 0x0032000B:
        return 31
    elif index == 0x00320014:
        return 32
    elif index == 0x00320015:
        return 33
    elif index == 0x0032001E:
        return 34
    elif index == 0x0032001F:
        return 35
    elif index == 0x00320028:
        return 36
    elif index == 0x00320029:
        return 37
    elif index == 0x00320032:
        return 38
    elif index == 0x00320033:
        return 39
    elif index == 0x003C000A:
        return 40
    elif index == 0x003C000B:
        return 41
    elif index == 0x003C0014:
        return 42
    elif index == 0x003C0015:
        return 43
    elif index == 0x003C001E:
        return 44
    elif index == 0x003C001F:
        return 45
    elif index == 0x003C0028:
        return 46
    elif index == 0x003C0032:
        return 47
    elif index == 0x003C003C:
        return 48
    elif index == 0x003C0046:
        return 49
    elif index == 0x003C0047:
        return 50
    elif index == 0x003C0048:
        return 51
    elif index == 0x003C0050:
        return 52
    elif index == 0x003C005A:
        return 53
    elif index == 0x003C0064:
        return 54
    elif index == 0x003C006E:
        return 55
    elif index == 0x003C006F:
        return 56
    elif index == 0x003C0078:
        return 57
    elif index == 0x005A000A:
        return 58
    elif index == 0x005A000B:
        return 59
    elif index == 0x005A0014:
        return 60
    elif index == 0x005A0015:
        return 61
    elif index == 0x005A001E:
        return 62
    elif index == 0x005A001F:
        return 63
    elif index == 0x0055000A:
        return 64
    elif index == 0x0055000B:
        return 65
    return -1


cdef bint _method_has_content(int code) noexcept nogil:
    return code == 46 or code == 47 or code == 48 or code == 50


# Connection.Start
cdef int _enc_connection_start(Writer *w, object m, PyObject **f) except -1:
    _w_octet(w, _field(m, f, 0, 'version_major'), 'version_major')
    _w_octet(w, _field(m, f, 1, 'version_minor'), 'version_minor')
    _w_table_arg(w, _field(m, f, 2, 'server_properties'), 'server_properties')
    _w_longstr(w, _field(m, f, 3, 'mechanisms'), 'mechanisms')
    _w_longstr(w, _field(m, f, 4, 'locales'), 'locales')
    return 0

cdef dict _dec_connection_start(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 0)
    cdef dict d = PyDict_Copy(template)
    cdef PyObject **known = _known + 0
    cdef object v
    v = _r_octet(buf, &off, end)
    if <PyObject *>v != known[0]:
        _learn(d, template, known + 0, 'version_major', v)
    v = _r_octet(buf, &off, end)
    if <PyObject *>v != known[1]:
        _learn(d, template, known + 1, 'version_minor', v)
    d['server_properties'] = _r_table_arg(buf, &off, end)
    d['mechanisms'] = _r_longstr(buf, &off, end)
    d['locales'] = _r_longstr(buf, &off, end)
    return d


# Connection.StartOk
cdef int _enc_connection_start_ok(Writer *w, object m, PyObject **f) except -1:
    _w_table_arg(w, _field(m, f, 0, 'client_properties'), 'client_properties')
    _w_shortstr(w, _field(m, f, 1, 'mechanism'), 'mechanism')
    _w_longstr(w, _field(m, f, 2, 'response'), 'response')
    _w_shortstr(w, _field(m, f, 3, 'locale'), 'locale')
    return 0

cdef dict _dec_connection_start_ok(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 1)
    cdef dict d = PyDict_Copy(template)
    cdef PyObject **known = _known + 5
    cdef object v
    d['client_properties'] = _r_table_arg(buf, &off, end)
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[1]:
        _learn(d, template, known + 1, 'mechanism', v)
    d['response'] = _r_longstr(buf, &off, end)
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[3]:
        _learn(d, template, known + 3, 'locale', v)
    return d


# Connection.Secure
cdef int _enc_connection_secure(Writer *w, object m, PyObject **f) except -1:
    _w_longstr(w, _field(m, f, 0, 'challenge'), 'challenge')
    return 0

cdef dict _dec_connection_secure(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 2)
    cdef dict d = PyDict_Copy(template)
    d['challenge'] = _r_longstr(buf, &off, end)
    return d


# Connection.SecureOk
cdef int _enc_connection_secure_ok(Writer *w, object m, PyObject **f) except -1:
    _w_longstr(w, _field(m, f, 0, 'response'), 'response')
    return 0

cdef dict _dec_connection_secure_ok(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 3)
    cdef dict d = PyDict_Copy(template)
    d['response'] = _r_longstr(buf, &off, end)
    return d


# Connection.Tune
cdef int _enc_connection_tune(Writer *w, object m, PyObject **f) except -1:
    _w_short(w, _field(m, f, 0, 'channel_max'), 'channel_max')
    _w_long(w, _field(m, f, 1, 'frame_max'), 'frame_max')
    _w_short(w, _field(m, f, 2, 'heartbeat'), 'heartbeat')
    return 0

cdef dict _dec_connection_tune(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 4)
    cdef dict d = PyDict_Copy(template)
    d['channel_max'] = _r_short(buf, &off, end)
    d['frame_max'] = _r_long(buf, &off, end)
    d['heartbeat'] = _r_short(buf, &off, end)
    return d


# Connection.TuneOk
cdef int _enc_connection_tune_ok(Writer *w, object m, PyObject **f) except -1:
    _w_short(w, _field(m, f, 0, 'channel_max'), 'channel_max')
    _w_long(w, _field(m, f, 1, 'frame_max'), 'frame_max')
    _w_short(w, _field(m, f, 2, 'heartbeat'), 'heartbeat')
    return 0

cdef dict _dec_connection_tune_ok(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 5)
    cdef dict d = PyDict_Copy(template)
    d['channel_max'] = _r_short(buf, &off, end)
    d['frame_max'] = _r_long(buf, &off, end)
    d['heartbeat'] = _r_short(buf, &off, end)
    return d


# Connection.Open
cdef int _enc_connection_open(Writer *w, object m, PyObject **f) except -1:
    cdef uint8_t bits = 0
    _w_shortstr(w, _field(m, f, 0, 'virtual_host'), 'virtual_host')
    _w_shortstr(w, _field(m, f, 1, 'capabilities'), 'capabilities')
    if _truth(_field(m, f, 2, 'insist')):
        bits |= 1
    writer_u8(w, bits)
    bits = 0
    return 0

cdef dict _dec_connection_open(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 6)
    cdef dict d = PyDict_Copy(template)
    cdef PyObject **known = _known + 17
    cdef object v
    cdef uint8_t bits = 0
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[0]:
        _learn(d, template, known + 0, 'virtual_host', v)
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[1]:
        _learn(d, template, known + 1, 'capabilities', v)
    bits = _r_bits(buf, &off, end)
    v = True if bits & 1 else False
    if <PyObject *>v != known[2]:
        _learn(d, template, known + 2, 'insist', v)
    return d


# Connection.OpenOk
cdef int _enc_connection_open_ok(Writer *w, object m, PyObject **f) except -1:
    _w_shortstr(w, _field(m, f, 0, 'known_hosts'), 'known_hosts')
    return 0

cdef dict _dec_connection_open_ok(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 7)
    cdef dict d = PyDict_Copy(template)
    cdef PyObject **known = _known + 20
    cdef object v
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[0]:
        _learn(d, template, known + 0, 'known_hosts', v)
    return d


# Connection.Close
cdef int _enc_connection_close(Writer *w, object m, PyObject **f) except -1:
    _w_short(w, _field(m, f, 0, 'reply_code'), 'reply_code')
    _w_shortstr(w, _field(m, f, 1, 'reply_text'), 'reply_text')
    _w_short(w, _field(m, f, 2, 'class_id'), 'class_id')
    _w_short(w, _field(m, f, 3, 'method_id'), 'method_id')
    return 0

cdef dict _dec_connection_close(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 8)
    cdef dict d = PyDict_Copy(template)
    cdef PyObject **known = _known + 21
    cdef object v
    d['reply_code'] = _r_short(buf, &off, end)
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[1]:
        _learn(d, template, known + 1, 'reply_text', v)
    d['class_id'] = _r_short(buf, &off, end)
    d['method_id'] = _r_short(buf, &off, end)
    return d


# Connection.CloseOk
cdef int _enc_connection_close_ok(Writer *w, object m, PyObject **f) except -1:
    return 0

cdef dict _dec_connection_close_ok(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    return {}


# Connection.Blocked
cdef int _enc_connection_blocked(Writer *w, object m, PyObject **f) except -1:
    _w_shortstr(w, _field(m, f, 0, 'reason'), 'reason')
    return 0

cdef dict _dec_connection_blocked(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 10)
    cdef dict d = PyDict_Copy(template)
    cdef PyObject **known = _known + 25
    cdef object v
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[0]:
        _learn(d, template, known + 0, 'reason', v)
    return d


# Connection.Unblocked
cdef int _enc_connection_unblocked(Writer *w, object m, PyObject **f) except -1:
    return 0

cdef dict _dec_connection_unblocked(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    return {}


# Connection.UpdateSecret
cdef int _enc_connection_update_secret(Writer *w, object m, PyObject **f) except -1:
    _w_longstr(w, _field(m, f, 0, 'new_secret'), 'new_secret')
    _w_shortstr(w, _field(m, f, 1, 'reason'), 'reason')
    return 0

cdef dict _dec_connection_update_secret(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 12)
    cdef dict d = PyDict_Copy(template)
    cdef PyObject **known = _known + 26
    cdef object v
    d['new_secret'] = _r_longstr(buf, &off, end)
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[1]:
        _learn(d, template, known + 1, 'reason', v)
    return d


# Connection.UpdateSecretOk
cdef int _enc_connection_update_secret_ok(Writer *w, object m, PyObject **f) except -1:
    return 0

cdef dict _dec_connection_update_secret_ok(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    return {}


# Channel.Open
cdef int _enc_channel_open(Writer *w, object m, PyObject **f) except -1:
    _w_shortstr(w, _field(m, f, 0, 'out_of_band'), 'out_of_band')
    return 0

cdef dict _dec_channel_open(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 14)
    cdef dict d = PyDict_Copy(template)
    cdef PyObject **known = _known + 28
    cdef object v
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[0]:
        _learn(d, template, known + 0, 'out_of_band', v)
    return d


# Channel.OpenOk
cdef int _enc_channel_open_ok(Writer *w, object m, PyObject **f) except -1:
    _w_longstr(w, _field(m, f, 0, 'channel_id'), 'channel_id')
    return 0

cdef dict _dec_channel_open_ok(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 15)
    cdef dict d = PyDict_Copy(template)
    d['channel_id'] = _r_longstr(buf, &off, end)
    return d


# Channel.Flow
cdef int _enc_channel_flow(Writer *w, object m, PyObject **f) except -1:
    cdef uint8_t bits = 0
    if _truth(_field(m, f, 0, 'active')):
        bits |= 1
    writer_u8(w, bits)
    bits = 0
    return 0

cdef dict _dec_channel_flow(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 16)
    cdef dict d = PyDict_Copy(template)
    cdef PyObject **known = _known + 30
    cdef object v
    cdef uint8_t bits = 0
    bits = _r_bits(buf, &off, end)
    v = True if bits & 1 else False
    if <PyObject *>v != known[0]:
        _learn(d, template, known + 0, 'active', v)
    return d


# Channel.FlowOk
cdef int _enc_channel_flow_ok(Writer *w, object m, PyObject **f) except -1:
    cdef uint8_t bits = 0
    if _truth(_field(m, f, 0, 'active')):
        bits |= 1
    writer_u8(w, bits)
    bits = 0
    return 0

cdef dict _dec_channel_flow_ok(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 17)
    cdef dict d = PyDict_Copy(template)
    cdef PyObject **known = _known + 31
    cdef object v
    cdef uint8_t bits = 0
    bits = _r_bits(buf, &off, end)
    v = True if bits & 1 else False
    if <PyObject *>v != known[0]:
        _learn(d, template, known + 0, 'active', v)
    return d


# Channel.Close
cdef int _enc_channel_close(Writer *w, object m, PyObject **f) except -1:
    _w_short(w, _field(m, f, 0, 'reply_code'), 'reply_code')
    _w_shortstr(w, _field(m, f, 1, 'reply_text'), 'reply_text')
    _w_short(w, _field(m, f, 2, 'class_id'), 'class_id')
    _w_short(w, _field(m, f, 3, 'method_id'), 'method_id')
    return 0

cdef dict _dec_channel_close(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 18)
    cdef dict d = PyDict_Copy(template)
    cdef PyObject **known = _known + 32
    cdef object v
    d['reply_code'] = _r_short(buf, &off, end)
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[1]:
        _learn(d, template, known + 1, 'reply_text', v)
    d['class_id'] = _r_short(buf, &off, end)
    d['method_id'] = _r_short(buf, &off, end)
    return d


# Channel.CloseOk
cdef int _enc_channel_close_ok(Writer *w, object m, PyObject **f) except -1:
    return 0

cdef dict _dec_channel_close_ok(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    return {}


# Access.Request
cdef int _enc_access_request(Writer *w, object m, PyObject **f) except -1:
    cdef uint8_t bits = 0
    _w_shortstr(w, _field(m, f, 0, 'realm'), 'realm')
    if _truth(_field(m, f, 1, 'exclusive')):
        bits |= 1
    if _truth(_field(m, f, 2, 'passive')):
        bits |= 2
    if _truth(_field(m, f, 3, 'active')):
        bits |= 4
    if _truth(_field(m, f, 4, 'write')):
        bits |= 8
    if _truth(_field(m, f, 5, 'read')):
        bits |= 16
    writer_u8(w, bits)
    bits = 0
    return 0

cdef dict _dec_access_request(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 20)
    cdef dict d = PyDict_Copy(template)
    cdef PyObject **known = _known + 36
    cdef object v
    cdef uint8_t bits = 0
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[0]:
        _learn(d, template, known + 0, 'realm', v)
    bits = _r_bits(buf, &off, end)
    v = True if bits & 1 else False
    if <PyObject *>v != known[1]:
        _learn(d, template, known + 1, 'exclusive', v)
    v = True if bits & 2 else False
    if <PyObject *>v != known[2]:
        _learn(d, template, known + 2, 'passive', v)
    v = True if bits & 4 else False
    if <PyObject *>v != known[3]:
        _learn(d, template, known + 3, 'active', v)
    v = True if bits & 8 else False
    if <PyObject *>v != known[4]:
        _learn(d, template, known + 4, 'write', v)
    v = True if bits & 16 else False
    if <PyObject *>v != known[5]:
        _learn(d, template, known + 5, 'read', v)
    return d


# Access.RequestOk
cdef int _enc_access_request_ok(Writer *w, object m, PyObject **f) except -1:
    _w_short(w, _field(m, f, 0, 'ticket'), 'ticket')
    return 0

cdef dict _dec_access_request_ok(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 21)
    cdef dict d = PyDict_Copy(template)
    d['ticket'] = _r_short(buf, &off, end)
    return d


# Exchange.Declare
cdef int _enc_exchange_declare(Writer *w, object m, PyObject **f) except -1:
    cdef uint8_t bits = 0
    _w_short(w, _field(m, f, 0, 'ticket'), 'ticket')
    _w_shortstr(w, _field(m, f, 1, 'exchange'), 'exchange')
    _w_shortstr(w, _field(m, f, 2, 'type'), 'type')
    if _truth(_field(m, f, 3, 'passive')):
        bits |= 1
    if _truth(_field(m, f, 4, 'durable')):
        bits |= 2
    if _truth(_field(m, f, 5, 'auto_delete')):
        bits |= 4
    if _truth(_field(m, f, 6, 'internal')):
        bits |= 8
    if _truth(_field(m, f, 7, 'nowait')):
        bits |= 16
    writer_u8(w, bits)
    bits = 0
    _w_table_arg(w, _field(m, f, 8, 'arguments'), 'arguments')
    return 0

cdef dict _dec_exchange_declare(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 22)
    cdef dict d = PyDict_Copy(template)
    cdef PyObject **known = _known + 43
    cdef object v
    cdef uint8_t bits = 0
    d['ticket'] = _r_short(buf, &off, end)
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[1]:
        _learn(d, template, known + 1, 'exchange', v)
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[2]:
        _learn(d, template, known + 2, 'type', v)
    bits = _r_bits(buf, &off, end)
    v = True if bits & 1 else False
    if <PyObject *>v != known[3]:
        _learn(d, template, known + 3, 'passive', v)
    v = True if bits & 2 else False
    if <PyObject *>v != known[4]:
        _learn(d, template, known + 4, 'durable', v)
    v = True if bits & 4 else False
    if <PyObject *>v != known[5]:
        _learn(d, template, known + 5, 'auto_delete', v)
    v = True if bits & 8 else False
    if <PyObject *>v != known[6]:
        _learn(d, template, known + 6, 'internal', v)
    v = True if bits & 16 else False
    if <PyObject *>v != known[7]:
        _learn(d, template, known + 7, 'nowait', v)
    d['arguments'] = _r_table_arg(buf, &off, end)
    return d


# Exchange.DeclareOk
cdef int _enc_exchange_declare_ok(Writer *w, object m, PyObject **f) except -1:
    return 0

cdef dict _dec_exchange_declare_ok(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    return {}


# Exchange.Delete
cdef int _enc_exchange_delete(Writer *w, object m, PyObject **f) except -1:
    cdef uint8_t bits = 0
    _w_short(w, _field(m, f, 0, 'ticket'), 'ticket')
    _w_shortstr(w, _field(m, f, 1, 'exchange'), 'exchange')
    if _truth(_field(m, f, 2, 'if_unused')):
        bits |= 1
    if _truth(_field(m, f, 3, 'nowait')):
        bits |= 2
    writer_u8(w, bits)
    bits = 0
    return 0

cdef dict _dec_exchange_delete(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 24)
    cdef dict d = PyDict_Copy(template)
    cdef PyObject **known = _known + 52
    cdef object v
    cdef uint8_t bits = 0
    d['ticket'] = _r_short(buf, &off, end)
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[1]:
        _learn(d, template, known + 1, 'exchange', v)
    bits = _r_bits(buf, &off, end)
    v = True if bits & 1 else False
    if <PyObject *>v != known[2]:
        _learn(d, template, known + 2, 'if_unused', v)
    v = True if bits & 2 else False
    if <PyObject *>v != known[3]:
        _learn(d, template, known + 3, 'nowait', v)
    return d


# Exchange.DeleteOk
cdef int _enc_exchange_delete_ok(Writer *w, object m, PyObject **f) except -1:
    return 0

cdef dict _dec_exchange_delete_ok(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    return {}


# Exchange.Bind
cdef int _enc_exchange_bind(Writer *w, object m, PyObject **f) except -1:
    cdef uint8_t bits = 0
    _w_short(w, _field(m, f, 0, 'ticket'), 'ticket')
    _w_shortstr(w, _field(m, f, 1, 'destination'), 'destination')
    _w_shortstr(w, _field(m, f, 2, 'source'), 'source')
    _w_shortstr(w, _field(m, f, 3, 'routing_key'), 'routing_key')
    if _truth(_field(m, f, 4, 'nowait')):
        bits |= 1
    writer_u8(w, bits)
    bits = 0
    _w_table_arg(w, _field(m, f, 5, 'arguments'), 'arguments')
    return 0

cdef dict _dec_exchange_bind(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 26)
    cdef dict d = PyDict_Copy(template)
    cdef PyObject **known = _known + 56
    cdef object v
    cdef uint8_t bits = 0
    d['ticket'] = _r_short(buf, &off, end)
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[1]:
        _learn(d, template, known + 1, 'destination', v)
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[2]:
        _learn(d, template, known + 2, 'source', v)
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[3]:
        _learn(d, template, known + 3, 'routing_key', v)
    bits = _r_bits(buf, &off, end)
    v = True if bits & 1 else False
    if <PyObject *>v != known[4]:
        _learn(d, template, known + 4, 'nowait', v)
    d['arguments'] = _r_table_arg(buf, &off, end)
    return d


# Exchange.BindOk
cdef int _enc_exchange_bind_ok(Writer *w, object m, PyObject **f) except -1:
    return 0

cdef dict _dec_exchange_bind_ok(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    return {}


# Exchange.Unbind
cdef int _enc_exchange_unbind(Writer *w, object m, PyObject **f) except -1:
    cdef uint8_t bits = 0
    _w_short(w, _field(m, f, 0, 'ticket'), 'ticket')
    _w_shortstr(w, _field(m, f, 1, 'destination'), 'destination')
    _w_shortstr(w, _field(m, f, 2, 'source'), 'source')
    _w_shortstr(w, _field(m, f, 3, 'routing_key'), 'routing_key')
    if _truth(_field(m, f, 4, 'nowait')):
        bits |= 1
    writer_u8(w, bits)
    bits = 0
    _w_table_arg(w, _field(m, f, 5, 'arguments'), 'arguments')
    return 0

cdef dict _dec_exchange_unbind(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 28)
    cdef dict d = PyDict_Copy(template)
    cdef PyObject **known = _known + 62
    cdef object v
    cdef uint8_t bits = 0
    d['ticket'] = _r_short(buf, &off, end)
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[1]:
        _learn(d, template, known + 1, 'destination', v)
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[2]:
        _learn(d, template, known + 2, 'source', v)
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[3]:
        _learn(d, template, known + 3, 'routing_key', v)
    bits = _r_bits(buf, &off, end)
    v = True if bits & 1 else False
    if <PyObject *>v != known[4]:
        _learn(d, template, known + 4, 'nowait', v)
    d['arguments'] = _r_table_arg(buf, &off, end)
    return d


# Exchange.UnbindOk
cdef int _enc_exchange_unbind_ok(Writer *w, object m, PyObject **f) except -1:
    return 0

cdef dict _dec_exchange_unbind_ok(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    return {}


# Queue.Declare
cdef int _enc_queue_declare(Writer *w, object m, PyObject **f) except -1:
    cdef uint8_t bits = 0
    _w_short(w, _field(m, f, 0, 'ticket'), 'ticket')
    _w_shortstr(w, _field(m, f, 1, 'queue'), 'queue')
    if _truth(_field(m, f, 2, 'passive')):
        bits |= 1
    if _truth(_field(m, f, 3, 'durable')):
        bits |= 2
    if _truth(_field(m, f, 4, 'exclusive')):
        bits |= 4
    if _truth(_field(m, f, 5, 'auto_delete')):
        bits |= 8
    if _truth(_field(m, f, 6, 'nowait')):
        bits |= 16
    writer_u8(w, bits)
    bits = 0
    _w_table_arg(w, _field(m, f, 7, 'arguments'), 'arguments')
    return 0

cdef dict _dec_queue_declare(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 30)
    cdef dict d = PyDict_Copy(template)
    cdef PyObject **known = _known + 68
    cdef object v
    cdef uint8_t bits = 0
    d['ticket'] = _r_short(buf, &off, end)
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[1]:
        _learn(d, template, known + 1, 'queue', v)
    bits = _r_bits(buf, &off, end)
    v = True if bits & 1 else False
    if <PyObject *>v != known[2]:
        _learn(d, template, known + 2, 'passive', v)
    v = True if bits & 2 else False
    if <PyObject *>v != known[3]:
        _learn(d, template, known + 3, 'durable', v)
    v = True if bits & 4 else False
    if <PyObject *>v != known[4]:
        _learn(d, template, known + 4, 'exclusive', v)
    v = True if bits & 8 else False
    if <PyObject *>v != known[5]:
        _learn(d, template, known + 5, 'auto_delete', v)
    v = True if bits & 16 else False
    if <PyObject *>v != known[6]:
        _learn(d, template, known + 6, 'nowait', v)
    d['arguments'] = _r_table_arg(buf, &off, end)
    return d


# Queue.DeclareOk
cdef int _enc_queue_declare_ok(Writer *w, object m, PyObject **f) except -1:
    _w_shortstr(w, _field(m, f, 0, 'queue'), 'queue')
    _w_long(w, _field(m, f, 1, 'message_count'), 'message_count')
    _w_long(w, _field(m, f, 2, 'consumer_count'), 'consumer_count')
    return 0

cdef dict _dec_queue_declare_ok(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 31)
    cdef dict d = PyDict_Copy(template)
    cdef PyObject **known = _known + 76
    cdef object v
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[0]:
        _learn(d, template, known + 0, 'queue', v)
    d['message_count'] = _r_long(buf, &off, end)
    d['consumer_count'] = _r_long(buf, &off, end)
    return d


# Queue.Bind
cdef int _enc_queue_bind(Writer *w, object m, PyObject **f) except -1:
    cdef uint8_t bits = 0
    _w_short(w, _field(m, f, 0, 'ticket'), 'ticket')
    _w_shortstr(w, _field(m, f, 1, 'queue'), 'queue')
    _w_shortstr(w, _field(m, f, 2, 'exchange'), 'exchange')
    _w_shortstr(w, _field(m, f, 3, 'routing_key'), 'routing_key')
    if _truth(_field(m, f, 4, 'nowait')):
        bits |= 1
    writer_u8(w, bits)
    bits = 0
    _w_table_arg(w, _field(m, f, 5, 'arguments'), 'arguments')
    return 0

cdef dict _dec_queue_bind(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 32)
    cdef dict d = PyDict_Copy(template)
    cdef PyObject **known = _known + 79
    cdef object v
    cdef uint8_t bits = 0
    d['ticket'] = _r_short(buf, &off, end)
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[1]:
        _learn(d, template, known + 1, 'queue', v)
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[2]:
        _learn(d, template, known + 2, 'exchange', v)
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[3]:
        _learn(d, template, known + 3, 'routing_key', v)
    bits = _r_bits(buf, &off, end)
    v = True if bits & 1 else False
    if <PyObject *>v != known[4]:
        _learn(d, template, known + 4, 'nowait', v)
    d['arguments'] = _r_table_arg(buf, &off, end)
    return d


# Queue.BindOk
cdef int _enc_queue_bind_ok(Writer *w, object m, PyObject **f) except -1:
    return 0

cdef dict _dec_queue_bind_ok(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    return {}


# Queue.Purge
cdef int _enc_queue_purge(Writer *w, object m, PyObject **f) except -1:
    cdef uint8_t bits = 0
    _w_short(w, _field(m, f, 0, 'ticket'), 'ticket')
    _w_shortstr(w, _field(m, f, 1, 'queue'), 'queue')
    if _truth(_field(m, f, 2, 'nowait')):
        bits |= 1
    writer_u8(w, bits)
    bits = 0
    return 0

cdef dict _dec_queue_purge(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 34)
    cdef dict d = PyDict_Copy(template)
    cdef PyObject **known = _known + 85
    cdef object v
    cdef uint8_t bits = 0
    d['ticket'] = _r_short(buf, &off, end)
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[1]:
        _learn(d, template, known + 1, 'queue', v)
    bits = _r_bits(buf, &off, end)
    v = True if bits & 1 else False
    if <PyObject *>v != known[2]:
        _learn(d, template, known + 2, 'nowait', v)
    return d


# Queue.PurgeOk
cdef int _enc_queue_purge_ok(Writer *w, object m, PyObject **f) except -1:
    _w_long(w, _field(m, f, 0, 'message_count'), 'message_count')
    return 0

cdef dict _dec_queue_purge_ok(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 35)
    cdef dict d = PyDict_Copy(template)
    d['message_count'] = _r_long(buf, &off, end)
    return d


# Queue.Delete
cdef int _enc_queue_delete(Writer *w, object m, PyObject **f) except -1:
    cdef uint8_t bits = 0
    _w_short(w, _field(m, f, 0, 'ticket'), 'ticket')
    _w_shortstr(w, _field(m, f, 1, 'queue'), 'queue')
    if _truth(_field(m, f, 2, 'if_unused')):
        bits |= 1
    if _truth(_field(m, f, 3, 'if_empty')):
        bits |= 2
    if _truth(_field(m, f, 4, 'nowait')):
        bits |= 4
    writer_u8(w, bits)
    bits = 0
    return 0

cdef dict _dec_queue_delete(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 36)
    cdef dict d = PyDict_Copy(template)
    cdef PyObject **known = _known + 89
    cdef object v
    cdef uint8_t bits = 0
    d['ticket'] = _r_short(buf, &off, end)
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[1]:
        _learn(d, template, known + 1, 'queue', v)
    bits = _r_bits(buf, &off, end)
    v = True if bits & 1 else False
    if <PyObject *>v != known[2]:
        _learn(d, template, known + 2, 'if_unused', v)
    v = True if bits & 2 else False
    if <PyObject *>v != known[3]:
        _learn(d, template, known + 3, 'if_empty', v)
    v = True if bits & 4 else False
    if <PyObject *>v != known[4]:
        _learn(d, template, known + 4, 'nowait', v)
    return d


# Queue.DeleteOk
cdef int _enc_queue_delete_ok(Writer *w, object m, PyObject **f) except -1:
    _w_long(w, _field(m, f, 0, 'message_count'), 'message_count')
    return 0

cdef dict _dec_queue_delete_ok(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 37)
    cdef dict d = PyDict_Copy(template)
    d['message_count'] = _r_long(buf, &off, end)
    return d


# Queue.Unbind
cdef int _enc_queue_unbind(Writer *w, object m, PyObject **f) except -1:
    _w_short(w, _field(m, f, 0, 'ticket'), 'ticket')
    _w_shortstr(w, _field(m, f, 1, 'queue'), 'queue')
    _w_shortstr(w, _field(m, f, 2, 'exchange'), 'exchange')
    _w_shortstr(w, _field(m, f, 3, 'routing_key'), 'routing_key')
    _w_table_arg(w, _field(m, f, 4, 'arguments'), 'arguments')
    return 0

cdef dict _dec_queue_unbind(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 38)
    cdef dict d = PyDict_Copy(template)
    cdef PyObject **known = _known + 95
    cdef object v
    d['ticket'] = _r_short(buf, &off, end)
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[1]:
        _learn(d, template, known + 1, 'queue', v)
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[2]:
        _learn(d, template, known + 2, 'exchange', v)
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[3]:
        _learn(d, template, known + 3, 'routing_key', v)
    d['arguments'] = _r_table_arg(buf, &off, end)
    return d


# Queue.UnbindOk
cdef int _enc_queue_unbind_ok(Writer *w, object m, PyObject **f) except -1:
    return 0

cdef dict _dec_queue_unbind_ok(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    return {}


# Basic.Qos
cdef int _enc_basic_qos(Writer *w, object m, PyObject **f) except -1:
    cdef uint8_t bits = 0
    _w_long(w, _field(m, f, 0, 'prefetch_size'), 'prefetch_size')
    _w_short(w, _field(m, f, 1, 'prefetch_count'), 'prefetch_count')
    if _truth(_field(m, f, 2, 'global_qos')):
        bits |= 1
    writer_u8(w, bits)
    bits = 0
    return 0

cdef dict _dec_basic_qos(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 40)
    cdef dict d = PyDict_Copy(template)
    cdef PyObject **known = _known + 100
    cdef object v
    cdef uint8_t bits = 0
    d['prefetch_size'] = _r_long(buf, &off, end)
    d['prefetch_count'] = _r_short(buf, &off, end)
    bits = _r_bits(buf, &off, end)
    v = True if bits & 1 else False
    if <PyObject *>v != known[2]:
        _learn(d, template, known + 2, 'global_qos', v)
    return d


# Basic.QosOk
cdef int _enc_basic_qos_ok(Writer *w, object m, PyObject **f) except -1:
    return 0

cdef dict _dec_basic_qos_ok(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    return {}


# Basic.Consume
cdef int _enc_basic_consume(Writer *w, object m, PyObject **f) except -1:
    cdef uint8_t bits = 0
    _w_short(w, _field(m, f, 0, 'ticket'), 'ticket')
    _w_shortstr(w, _field(m, f, 1, 'queue'), 'queue')
    _w_shortstr(w, _field(m, f, 2, 'consumer_tag'), 'consumer_tag')
    if _truth(_field(m, f, 3, 'no_local')):
        bits |= 1
    if _truth(_field(m, f, 4, 'no_ack')):
        bits |= 2
    if _truth(_field(m, f, 5, 'exclusive')):
        bits |= 4
    if _truth(_field(m, f, 6, 'nowait')):
        bits |= 8
    writer_u8(w, bits)
    bits = 0
    _w_table_arg(w, _field(m, f, 7, 'arguments'), 'arguments')
    return 0

cdef dict _dec_basic_consume(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 42)
    cdef dict d = PyDict_Copy(template)
    cdef PyObject **known = _known + 103
    cdef object v
    cdef uint8_t bits = 0
    d['ticket'] = _r_short(buf, &off, end)
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[1]:
        _learn(d, template, known + 1, 'queue', v)
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[2]:
        _learn(d, template, known + 2, 'consumer_tag', v)
    bits = _r_bits(buf, &off, end)
    v = True if bits & 1 else False
    if <PyObject *>v != known[3]:
        _learn(d, template, known + 3, 'no_local', v)
    v = True if bits & 2 else False
    if <PyObject *>v != known[4]:
        _learn(d, template, known + 4, 'no_ack', v)
    v = True if bits & 4 else False
    if <PyObject *>v != known[5]:
        _learn(d, template, known + 5, 'exclusive', v)
    v = True if bits & 8 else False
    if <PyObject *>v != known[6]:
        _learn(d, template, known + 6, 'nowait', v)
    d['arguments'] = _r_table_arg(buf, &off, end)
    return d


# Basic.ConsumeOk
cdef int _enc_basic_consume_ok(Writer *w, object m, PyObject **f) except -1:
    _w_shortstr(w, _field(m, f, 0, 'consumer_tag'), 'consumer_tag')
    return 0

cdef dict _dec_basic_consume_ok(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 43)
    cdef dict d = PyDict_Copy(template)
    cdef PyObject **known = _known + 111
    cdef object v
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[0]:
        _learn(d, template, known + 0, 'consumer_tag', v)
    return d


# Basic.Cancel
cdef int _enc_basic_cancel(Writer *w, object m, PyObject **f) except -1:
    cdef uint8_t bits = 0
    _w_shortstr(w, _field(m, f, 0, 'consumer_tag'), 'consumer_tag')
    if _truth(_field(m, f, 1, 'nowait')):
        bits |= 1
    writer_u8(w, bits)
    bits = 0
    return 0

cdef dict _dec_basic_cancel(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 44)
    cdef dict d = PyDict_Copy(template)
    cdef PyObject **known = _known + 112
    cdef object v
    cdef uint8_t bits = 0
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[0]:
        _learn(d, template, known + 0, 'consumer_tag', v)
    bits = _r_bits(buf, &off, end)
    v = True if bits & 1 else False
    if <PyObject *>v != known[1]:
        _learn(d, template, known + 1, 'nowait', v)
    return d


# Basic.CancelOk
cdef int _enc_basic_cancel_ok(Writer *w, object m, PyObject **f) except -1:
    _w_shortstr(w, _field(m, f, 0, 'consumer_tag'), 'consumer_tag')
    return 0

cdef dict _dec_basic_cancel_ok(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 45)
    cdef dict d = PyDict_Copy(template)
    cdef PyObject **known = _known + 114
    cdef object v
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[0]:
        _learn(d, template, known + 0, 'consumer_tag', v)
    return d


# Basic.Publish
cdef int _enc_basic_publish(Writer *w, object m, PyObject **f) except -1:
    cdef uint8_t bits = 0
    _w_short(w, _field(m, f, 0, 'ticket'), 'ticket')
    _w_shortstr(w, _field(m, f, 1, 'exchange'), 'exchange')
    _w_shortstr(w, _field(m, f, 2, 'routing_key'), 'routing_key')
    if _truth(_field(m, f, 3, 'mandatory')):
        bits |= 1
    if _truth(_field(m, f, 4, 'immediate')):
        bits |= 2
    writer_u8(w, bits)
    bits = 0
    return 0

cdef dict _dec_basic_publish(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 46)
    cdef dict d = PyDict_Copy(template)
    cdef PyObject **known = _known + 115
    cdef object v
    cdef uint8_t bits = 0
    d['ticket'] = _r_short(buf, &off, end)
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[1]:
        _learn(d, template, known + 1, 'exchange', v)
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[2]:
        _learn(d, template, known + 2, 'routing_key', v)
    bits = _r_bits(buf, &off, end)
    v = True if bits & 1 else False
    if <PyObject *>v != known[3]:
        _learn(d, template, known + 3, 'mandatory', v)
    v = True if bits & 2 else False
    if <PyObject *>v != known[4]:
        _learn(d, template, known + 4, 'immediate', v)
    return d


# Basic.Return
cdef int _enc_basic_return(Writer *w, object m, PyObject **f) except -1:
    _w_short(w, _field(m, f, 0, 'reply_code'), 'reply_code')
    _w_shortstr(w, _field(m, f, 1, 'reply_text'), 'reply_text')
    _w_shortstr(w, _field(m, f, 2, 'exchange'), 'exchange')
    _w_shortstr(w, _field(m, f, 3, 'routing_key'), 'routing_key')
    return 0

cdef dict _dec_basic_return(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 47)
    cdef dict d = PyDict_Copy(template)
    cdef PyObject **known = _known + 120
    cdef object v
    d['reply_code'] = _r_short(buf, &off, end)
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[1]:
        _learn(d, template, known + 1, 'reply_text', v)
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[2]:
        _learn(d, template, known + 2, 'exchange', v)
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[3]:
        _learn(d, template, known + 3, 'routing_key', v)
    return d


# Basic.Deliver
cdef int _enc_basic_deliver(Writer *w, object m, PyObject **f) except -1:
    cdef uint8_t bits = 0
    _w_shortstr(w, _field(m, f, 0, 'consumer_tag'), 'consumer_tag')
    _w_longlong(w, _field(m, f, 1, 'delivery_tag'), 'delivery_tag')
    if _truth(_field(m, f, 2, 'redelivered')):
        bits |= 1
    writer_u8(w, bits)
    bits = 0
    _w_shortstr(w, _field(m, f, 3, 'exchange'), 'exchange')
    _w_shortstr(w, _field(m, f, 4, 'routing_key'), 'routing_key')
    return 0

cdef dict _dec_basic_deliver(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 48)
    cdef dict d = PyDict_Copy(template)
    cdef PyObject **known = _known + 124
    cdef object v
    cdef uint8_t bits = 0
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[0]:
        _learn(d, template, known + 0, 'consumer_tag', v)
    d['delivery_tag'] = _r_longlong(buf, &off, end)
    bits = _r_bits(buf, &off, end)
    v = True if bits & 1 else False
    if <PyObject *>v != known[2]:
        _learn(d, template, known + 2, 'redelivered', v)
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[3]:
        _learn(d, template, known + 3, 'exchange', v)
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[4]:
        _learn(d, template, known + 4, 'routing_key', v)
    return d


# Basic.Get
cdef int _enc_basic_get(Writer *w, object m, PyObject **f) except -1:
    cdef uint8_t bits = 0
    _w_short(w, _field(m, f, 0, 'ticket'), 'ticket')
    _w_shortstr(w, _field(m, f, 1, 'queue'), 'queue')
    if _truth(_field(m, f, 2, 'no_ack')):
        bits |= 1
    writer_u8(w, bits)
    bits = 0
    return 0

cdef dict _dec_basic_get(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 49)
    cdef dict d = PyDict_Copy(template)
    cdef PyObject **known = _known + 129
    cdef object v
    cdef uint8_t bits = 0
    d['ticket'] = _r_short(buf, &off, end)
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[1]:
        _learn(d, template, known + 1, 'queue', v)
    bits = _r_bits(buf, &off, end)
    v = True if bits & 1 else False
    if <PyObject *>v != known[2]:
        _learn(d, template, known + 2, 'no_ack', v)
    return d


# Basic.GetOk
cdef int _enc_basic_get_ok(Writer *w, object m, PyObject **f) except -1:
    cdef uint8_t bits = 0
    _w_longlong(w, _field(m, f, 0, 'delivery_tag'), 'delivery_tag')
    if _truth(_field(m, f, 1, 'redelivered')):
        bits |= 1
    writer_u8(w, bits)
    bits = 0
    _w_shortstr(w, _field(m, f, 2, 'exchange'), 'exchange')
    _w_shortstr(w, _field(m, f, 3, 'routing_key'), 'routing_key')
    _w_long(w, _field(m, f, 4, 'message_count'), 'message_count')
    return 0

cdef dict _dec_basic_get_ok(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 50)
    cdef dict d = PyDict_Copy(template)
    cdef PyObject **known = _known + 132
    cdef object v
    cdef uint8_t bits = 0
    d['delivery_tag'] = _r_longlong(buf, &off, end)
    bits = _r_bits(buf, &off, end)
    v = True if bits & 1 else False
    if <PyObject *>v != known[1]:
        _learn(d, template, known + 1, 'redelivered', v)
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[2]:
        _learn(d, template, known + 2, 'exchange', v)
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[3]:
        _learn(d, template, known + 3, 'routing_key', v)
    d['message_count'] = _r_long(buf, &off, end)
    return d


# Basic.GetEmpty
cdef int _enc_basic_get_empty(Writer *w, object m, PyObject **f) except -1:
    _w_shortstr(w, _field(m, f, 0, 'cluster_id'), 'cluster_id')
    return 0

cdef dict _dec_basic_get_empty(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 51)
    cdef dict d = PyDict_Copy(template)
    cdef PyObject **known = _known + 137
    cdef object v
    v = _r_shortstr(buf, &off, end)
    if <PyObject *>v != known[0]:
        _learn(d, template, known + 0, 'cluster_id', v)
    return d


# Basic.Ack
cdef int _enc_basic_ack(Writer *w, object m, PyObject **f) except -1:
    cdef uint8_t bits = 0
    _w_longlong(w, _field(m, f, 0, 'delivery_tag'), 'delivery_tag')
    if _truth(_field(m, f, 1, 'multiple')):
        bits |= 1
    writer_u8(w, bits)
    bits = 0
    return 0

cdef dict _dec_basic_ack(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 52)
    cdef dict d = PyDict_Copy(template)
    cdef PyObject **known = _known + 138
    cdef object v
    cdef uint8_t bits = 0
    d['delivery_tag'] = _r_longlong(buf, &off, end)
    bits = _r_bits(buf, &off, end)
    v = True if bits & 1 else False
    if <PyObject *>v != known[1]:
        _learn(d, template, known + 1, 'multiple', v)
    return d


# Basic.Reject
cdef int _enc_basic_reject(Writer *w, object m, PyObject **f) except -1:
    cdef uint8_t bits = 0
    _w_longlong(w, _field(m, f, 0, 'delivery_tag'), 'delivery_tag')
    if _truth(_field(m, f, 1, 'requeue')):
        bits |= 1
    writer_u8(w, bits)
    bits = 0
    return 0

cdef dict _dec_basic_reject(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 53)
    cdef dict d = PyDict_Copy(template)
    cdef PyObject **known = _known + 140
    cdef object v
    cdef uint8_t bits = 0
    d['delivery_tag'] = _r_longlong(buf, &off, end)
    bits = _r_bits(buf, &off, end)
    v = True if bits & 1 else False
    if <PyObject *>v != known[1]:
        _learn(d, template, known + 1, 'requeue', v)
    return d


# Basic.RecoverAsync
cdef int _enc_basic_recover_async(Writer *w, object m, PyObject **f) except -1:
    cdef uint8_t bits = 0
    if _truth(_field(m, f, 0, 'requeue')):
        bits |= 1
    writer_u8(w, bits)
    bits = 0
    return 0

cdef dict _dec_basic_recover_async(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 54)
    cdef dict d = PyDict_Copy(template)
    cdef PyObject **known = _known + 142
    cdef object v
    cdef uint8_t bits = 0
    bits = _r_bits(buf, &off, end)
    v = True if bits & 1 else False
    if <PyObject *>v != known[0]:
        _learn(d, template, known + 0, 'requeue', v)
    return d


# Basic.Recover
cdef int _enc_basic_recover(Writer *w, object m, PyObject **f) except -1:
    cdef uint8_t bits = 0
    if _truth(_field(m, f, 0, 'requeue')):
        bits |= 1
    writer_u8(w, bits)
    bits = 0
    return 0

cdef dict _dec_basic_recover(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 55)
    cdef dict d = PyDict_Copy(template)
    cdef PyObject **known = _known + 143
    cdef object v
    cdef uint8_t bits = 0
    bits = _r_bits(buf, &off, end)
    v = True if bits & 1 else False
    if <PyObject *>v != known[0]:
        _learn(d, template, known + 0, 'requeue', v)
    return d


# Basic.RecoverOk
cdef int _enc_basic_recover_ok(Writer *w, object m, PyObject **f) except -1:
    return 0

cdef dict _dec_basic_recover_ok(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    return {}


# Basic.Nack
cdef int _enc_basic_nack(Writer *w, object m, PyObject **f) except -1:
    cdef uint8_t bits = 0
    _w_longlong(w, _field(m, f, 0, 'delivery_tag'), 'delivery_tag')
    if _truth(_field(m, f, 1, 'multiple')):
        bits |= 1
    if _truth(_field(m, f, 2, 'requeue')):
        bits |= 2
    writer_u8(w, bits)
    bits = 0
    return 0

cdef dict _dec_basic_nack(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 57)
    cdef dict d = PyDict_Copy(template)
    cdef PyObject **known = _known + 144
    cdef object v
    cdef uint8_t bits = 0
    d['delivery_tag'] = _r_longlong(buf, &off, end)
    bits = _r_bits(buf, &off, end)
    v = True if bits & 1 else False
    if <PyObject *>v != known[1]:
        _learn(d, template, known + 1, 'multiple', v)
    v = True if bits & 2 else False
    if <PyObject *>v != known[2]:
        _learn(d, template, known + 2, 'requeue', v)
    return d


# Tx.Select
cdef int _enc_tx_select(Writer *w, object m, PyObject **f) except -1:
    return 0

cdef dict _dec_tx_select(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    return {}


# Tx.SelectOk
cdef int _enc_tx_select_ok(Writer *w, object m, PyObject **f) except -1:
    return 0

cdef dict _dec_tx_select_ok(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    return {}


# Tx.Commit
cdef int _enc_tx_commit(Writer *w, object m, PyObject **f) except -1:
    return 0

cdef dict _dec_tx_commit(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    return {}


# Tx.CommitOk
cdef int _enc_tx_commit_ok(Writer *w, object m, PyObject **f) except -1:
    return 0

cdef dict _dec_tx_commit_ok(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    return {}


# Tx.Rollback
cdef int _enc_tx_rollback(Writer *w, object m, PyObject **f) except -1:
    return 0

cdef dict _dec_tx_rollback(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    return {}


# Tx.RollbackOk
cdef int _enc_tx_rollback_ok(Writer *w, object m, PyObject **f) except -1:
    return 0

cdef dict _dec_tx_rollback_ok(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    return {}


# Confirm.Select
cdef int _enc_confirm_select(Writer *w, object m, PyObject **f) except -1:
    cdef uint8_t bits = 0
    if _truth(_field(m, f, 0, 'nowait')):
        bits |= 1
    writer_u8(w, bits)
    bits = 0
    return 0

cdef dict _dec_confirm_select(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, 64)
    cdef dict d = PyDict_Copy(template)
    cdef PyObject **known = _known + 147
    cdef object v
    cdef uint8_t bits = 0
    bits = _r_bits(buf, &off, end)
    v = True if bits & 1 else False
    if <PyObject *>v != known[0]:
        _learn(d, template, known + 0, 'nowait', v)
    return d


# Confirm.SelectOk
cdef int _enc_confirm_select_ok(Writer *w, object m, PyObject **f) except -1:
    return 0

cdef dict _dec_confirm_select_ok(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    return {}


cdef int _enc_method_args(Writer *w, int code, object m, PyObject **f) except -1:
    """Encode the arguments of ``m``; ``_encoder_code`` fetched them into f."""
    if code == 0:
        return _enc_connection_start(w, m, f)
    elif code == 1:
        return _enc_connection_start_ok(w, m, f)
    elif code == 2:
        return _enc_connection_secure(w, m, f)
    elif code == 3:
        return _enc_connection_secure_ok(w, m, f)
    elif code == 4:
        return _enc_connection_tune(w, m, f)
    elif code == 5:
        return _enc_connection_tune_ok(w, m, f)
    elif code == 6:
        return _enc_connection_open(w, m, f)
    elif code == 7:
        return _enc_connection_open_ok(w, m, f)
    elif code == 8:
        return _enc_connection_close(w, m, f)
    elif code == 9:
        return _enc_connection_close_ok(w, m, f)
    elif code == 10:
        return _enc_connection_blocked(w, m, f)
    elif code == 11:
        return _enc_connection_unblocked(w, m, f)
    elif code == 12:
        return _enc_connection_update_secret(w, m, f)
    elif code == 13:
        return _enc_connection_update_secret_ok(w, m, f)
    elif code == 14:
        return _enc_channel_open(w, m, f)
    elif code == 15:
        return _enc_channel_open_ok(w, m, f)
    elif code == 16:
        return _enc_channel_flow(w, m, f)
    elif code == 17:
        return _enc_channel_flow_ok(w, m, f)
    elif code == 18:
        return _enc_channel_close(w, m, f)
    elif code == 19:
        return _enc_channel_close_ok(w, m, f)
    elif code == 20:
        return _enc_access_request(w, m, f)
    elif code == 21:
        return _enc_access_request_ok(w, m, f)
    elif code == 22:
        return _enc_exchange_declare(w, m, f)
    elif code == 23:
        return _enc_exchange_declare_ok(w, m, f)
    elif code == 24:
        return _enc_exchange_delete(w, m, f)
    elif code == 25:
        return _enc_exchange_delete_ok(w, m, f)
    elif code == 26:
        return _enc_exchange_bind(w, m, f)
    elif code == 27:
        return _enc_exchange_bind_ok(w, m, f)
    elif code == 28:
        return _enc_exchange_unbind(w, m, f)
    elif code == 29:
        return _enc_exchange_unbind_ok(w, m, f)
    elif code == 30:
        return _enc_queue_declare(w, m, f)
    elif code == 31:
        return _enc_queue_declare_ok(w, m, f)
    elif code == 32:
        return _enc_queue_bind(w, m, f)
    elif code == 33:
        return _enc_queue_bind_ok(w, m, f)
    elif code == 34:
        return _enc_queue_purge(w, m, f)
    elif code == 35:
        return _enc_queue_purge_ok(w, m, f)
    elif code == 36:
        return _enc_queue_delete(w, m, f)
    elif code == 37:
        return _enc_queue_delete_ok(w, m, f)
    elif code == 38:
        return _enc_queue_unbind(w, m, f)
    elif code == 39:
        return _enc_queue_unbind_ok(w, m, f)
    elif code == 40:
        return _enc_basic_qos(w, m, f)
    elif code == 41:
        return _enc_basic_qos_ok(w, m, f)
    elif code == 42:
        return _enc_basic_consume(w, m, f)
    elif code == 43:
        return _enc_basic_consume_ok(w, m, f)
    elif code == 44:
        return _enc_basic_cancel(w, m, f)
    elif code == 45:
        return _enc_basic_cancel_ok(w, m, f)
    elif code == 46:
        return _enc_basic_publish(w, m, f)
    elif code == 47:
        return _enc_basic_return(w, m, f)
    elif code == 48:
        return _enc_basic_deliver(w, m, f)
    elif code == 49:
        return _enc_basic_get(w, m, f)
    elif code == 50:
        return _enc_basic_get_ok(w, m, f)
    elif code == 51:
        return _enc_basic_get_empty(w, m, f)
    elif code == 52:
        return _enc_basic_ack(w, m, f)
    elif code == 53:
        return _enc_basic_reject(w, m, f)
    elif code == 54:
        return _enc_basic_recover_async(w, m, f)
    elif code == 55:
        return _enc_basic_recover(w, m, f)
    elif code == 56:
        return _enc_basic_recover_ok(w, m, f)
    elif code == 57:
        return _enc_basic_nack(w, m, f)
    elif code == 58:
        return _enc_tx_select(w, m, f)
    elif code == 59:
        return _enc_tx_select_ok(w, m, f)
    elif code == 60:
        return _enc_tx_commit(w, m, f)
    elif code == 61:
        return _enc_tx_commit_ok(w, m, f)
    elif code == 62:
        return _enc_tx_rollback(w, m, f)
    elif code == 63:
        return _enc_tx_rollback_ok(w, m, f)
    elif code == 64:
        return _enc_confirm_select(w, m, f)
    elif code == 65:
        return _enc_confirm_select_ok(w, m, f)
    raise AssertionError(code)


cdef dict _dec_method_args(int code, const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    if code == 0:
        return _dec_connection_start(buf, off, end)
    elif code == 1:
        return _dec_connection_start_ok(buf, off, end)
    elif code == 2:
        return _dec_connection_secure(buf, off, end)
    elif code == 3:
        return _dec_connection_secure_ok(buf, off, end)
    elif code == 4:
        return _dec_connection_tune(buf, off, end)
    elif code == 5:
        return _dec_connection_tune_ok(buf, off, end)
    elif code == 6:
        return _dec_connection_open(buf, off, end)
    elif code == 7:
        return _dec_connection_open_ok(buf, off, end)
    elif code == 8:
        return _dec_connection_close(buf, off, end)
    elif code == 9:
        return _dec_connection_close_ok(buf, off, end)
    elif code == 10:
        return _dec_connection_blocked(buf, off, end)
    elif code == 11:
        return _dec_connection_unblocked(buf, off, end)
    elif code == 12:
        return _dec_connection_update_secret(buf, off, end)
    elif code == 13:
        return _dec_connection_update_secret_ok(buf, off, end)
    elif code == 14:
        return _dec_channel_open(buf, off, end)
    elif code == 15:
        return _dec_channel_open_ok(buf, off, end)
    elif code == 16:
        return _dec_channel_flow(buf, off, end)
    elif code == 17:
        return _dec_channel_flow_ok(buf, off, end)
    elif code == 18:
        return _dec_channel_close(buf, off, end)
    elif code == 19:
        return _dec_channel_close_ok(buf, off, end)
    elif code == 20:
        return _dec_access_request(buf, off, end)
    elif code == 21:
        return _dec_access_request_ok(buf, off, end)
    elif code == 22:
        return _dec_exchange_declare(buf, off, end)
    elif code == 23:
        return _dec_exchange_declare_ok(buf, off, end)
    elif code == 24:
        return _dec_exchange_delete(buf, off, end)
    elif code == 25:
        return _dec_exchange_delete_ok(buf, off, end)
    elif code == 26:
        return _dec_exchange_bind(buf, off, end)
    elif code == 27:
        return _dec_exchange_bind_ok(buf, off, end)
    elif code == 28:
        return _dec_exchange_unbind(buf, off, end)
    elif code == 29:
        return _dec_exchange_unbind_ok(buf, off, end)
    elif code == 30:
        return _dec_queue_declare(buf, off, end)
    elif code == 31:
        return _dec_queue_declare_ok(buf, off, end)
    elif code == 32:
        return _dec_queue_bind(buf, off, end)
    elif code == 33:
        return _dec_queue_bind_ok(buf, off, end)
    elif code == 34:
        return _dec_queue_purge(buf, off, end)
    elif code == 35:
        return _dec_queue_purge_ok(buf, off, end)
    elif code == 36:
        return _dec_queue_delete(buf, off, end)
    elif code == 37:
        return _dec_queue_delete_ok(buf, off, end)
    elif code == 38:
        return _dec_queue_unbind(buf, off, end)
    elif code == 39:
        return _dec_queue_unbind_ok(buf, off, end)
    elif code == 40:
        return _dec_basic_qos(buf, off, end)
    elif code == 41:
        return _dec_basic_qos_ok(buf, off, end)
    elif code == 42:
        return _dec_basic_consume(buf, off, end)
    elif code == 43:
        return _dec_basic_consume_ok(buf, off, end)
    elif code == 44:
        return _dec_basic_cancel(buf, off, end)
    elif code == 45:
        return _dec_basic_cancel_ok(buf, off, end)
    elif code == 46:
        return _dec_basic_publish(buf, off, end)
    elif code == 47:
        return _dec_basic_return(buf, off, end)
    elif code == 48:
        return _dec_basic_deliver(buf, off, end)
    elif code == 49:
        return _dec_basic_get(buf, off, end)
    elif code == 50:
        return _dec_basic_get_ok(buf, off, end)
    elif code == 51:
        return _dec_basic_get_empty(buf, off, end)
    elif code == 52:
        return _dec_basic_ack(buf, off, end)
    elif code == 53:
        return _dec_basic_reject(buf, off, end)
    elif code == 54:
        return _dec_basic_recover_async(buf, off, end)
    elif code == 55:
        return _dec_basic_recover(buf, off, end)
    elif code == 56:
        return _dec_basic_recover_ok(buf, off, end)
    elif code == 57:
        return _dec_basic_nack(buf, off, end)
    elif code == 58:
        return _dec_tx_select(buf, off, end)
    elif code == 59:
        return _dec_tx_select_ok(buf, off, end)
    elif code == 60:
        return _dec_tx_commit(buf, off, end)
    elif code == 61:
        return _dec_tx_commit_ok(buf, off, end)
    elif code == 62:
        return _dec_tx_rollback(buf, off, end)
    elif code == 63:
        return _dec_tx_rollback_ok(buf, off, end)
    elif code == 64:
        return _dec_confirm_select(buf, off, end)
    elif code == 65:
        return _dec_confirm_select_ok(buf, off, end)
    raise AssertionError(code)


cdef int _enc_property(Writer *w, Py_ssize_t i, object v) except -1:
    """Write property number ``i`` (declaration order), known not to be None."""
    if i == 0:
        return _w_shortstr(w, v, 'content_type')
    elif i == 1:
        return _w_shortstr(w, v, 'content_encoding')
    elif i == 2:
        return _w_table_arg(w, v, 'headers')
    elif i == 3:
        return _w_octet(w, v, 'delivery_mode')
    elif i == 4:
        return _w_octet(w, v, 'priority')
    elif i == 5:
        return _w_shortstr(w, v, 'correlation_id')
    elif i == 6:
        return _w_shortstr(w, v, 'reply_to')
    elif i == 7:
        return _w_shortstr(w, v, 'expiration')
    elif i == 8:
        return _w_shortstr(w, v, 'message_id')
    elif i == 9:
        return _w_timestamp(w, v, 'timestamp')
    elif i == 10:
        return _w_shortstr(w, v, 'type')
    elif i == 11:
        return _w_shortstr(w, v, 'user_id')
    elif i == 12:
        return _w_shortstr(w, v, 'app_id')
    elif i == 13:
        return _w_shortstr(w, v, 'cluster_id')
    return 0


cdef int _enc_properties(Writer *w, object p, bint *clean) except -1:
    """Twin of the pure codec's enc_properties: flags, then the set values, read
    in declaration order.

    An exact BasicProperties is read by walking its instance dict once, encoding as
    it goes; ``clean`` then tells the caller the dict holds just the fourteen
    properties, so INDEX is the class's. Anything else is read with getattr."""
    cdef object d = None
    cdef PyObject *key
    cdef PyObject *value
    cdef Py_ssize_t pos = 0
    cdef Py_ssize_t i = 0
    cdef unsigned int flags = 0
    cdef Py_ssize_t at = w.length
    writer_reserve(w, 2)
    clean[0] = False
    if <PyObject *>Py_TYPE(p) == <PyObject *>_PROPERTIES_CLASS:
        d = PyObject_GenericGetDict(p, NULL)
        while i < 14 and PyDict_Next(d, &pos, &key, &value):
            if key != PyTuple_GET_ITEM(_PROPERTY_FIELDS, i):
                break
            if value != <PyObject *>None:
                flags |= 0x8000u >> i
                _enc_property(w, i, <object>value)  # a new reference while in use
            i += 1
        clean[0] = i == 14 and PyDict_GET_SIZE(d) == 14
    while i < 14:
        v = _attribute(p, d, <object>PyTuple_GET_ITEM(_PROPERTY_FIELDS, i))
        if v is not None:
            flags |= 0x8000u >> i
            _enc_property(w, i, v)
        i += 1
    pf_store16(w.data + at, <uint16_t>flags)
    return 0


cdef dict _dec_properties(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):
    """All fourteen properties as a dict in declaration order, unset ones None."""
    cdef unsigned int flags = _r_u16(buf, &off, end, 'short')
    cdef unsigned int more = flags
    cdef PyObject **known = _known_properties
    cdef object v
    while more & 1:  # continuation words carry no properties we know
        more = _r_u16(buf, &off, end, 'short')
    cdef dict d = PyDict_Copy(_PROPERTIES_TEMPLATE)
    v = _r_shortstr(buf, &off, end) if flags & 32768 else None
    if <PyObject *>v != known[0]:
        _learn(d, _PROPERTIES_TEMPLATE, known + 0, 'content_type', v)
    v = _r_shortstr(buf, &off, end) if flags & 16384 else None
    if <PyObject *>v != known[1]:
        _learn(d, _PROPERTIES_TEMPLATE, known + 1, 'content_encoding', v)
    if flags & 8192:
        d['headers'] = _r_table_arg(buf, &off, end)
    v = _r_octet(buf, &off, end) if flags & 4096 else None
    if <PyObject *>v != known[3]:
        _learn(d, _PROPERTIES_TEMPLATE, known + 3, 'delivery_mode', v)
    v = _r_octet(buf, &off, end) if flags & 2048 else None
    if <PyObject *>v != known[4]:
        _learn(d, _PROPERTIES_TEMPLATE, known + 4, 'priority', v)
    if flags & 1024:
        d['correlation_id'] = _r_shortstr(buf, &off, end)
    v = _r_shortstr(buf, &off, end) if flags & 512 else None
    if <PyObject *>v != known[6]:
        _learn(d, _PROPERTIES_TEMPLATE, known + 6, 'reply_to', v)
    v = _r_shortstr(buf, &off, end) if flags & 256 else None
    if <PyObject *>v != known[7]:
        _learn(d, _PROPERTIES_TEMPLATE, known + 7, 'expiration', v)
    if flags & 128:
        d['message_id'] = _r_shortstr(buf, &off, end)
    if flags & 64:
        d['timestamp'] = _r_longlong(buf, &off, end)
    v = _r_shortstr(buf, &off, end) if flags & 32 else None
    if <PyObject *>v != known[10]:
        _learn(d, _PROPERTIES_TEMPLATE, known + 10, 'type', v)
    v = _r_shortstr(buf, &off, end) if flags & 16 else None
    if <PyObject *>v != known[11]:
        _learn(d, _PROPERTIES_TEMPLATE, known + 11, 'user_id', v)
    v = _r_shortstr(buf, &off, end) if flags & 8 else None
    if <PyObject *>v != known[12]:
        _learn(d, _PROPERTIES_TEMPLATE, known + 12, 'app_id', v)
    v = _r_shortstr(buf, &off, end) if flags & 4 else None
    if <PyObject *>v != known[13]:
        _learn(d, _PROPERTIES_TEMPLATE, known + 13, 'cluster_id', v)
    return d

