# Frames: method, header and body marshalling, content split by frame_max, single-frame
# decoding and the incremental FrameReader. Included by _codec_c.pyx.
# Twin: the "methods, properties", "frame decode" and "frame reader" sections of
# pika_fast/_codec_py.py.

cdef enum:
    FRAME_HEADER_SIZE = 7
    FRAME_OVERHEAD = 8  # frame header plus the frame-end octet
    FRAME_END = 206
    PROTOCOL_HEADER_SIZE = 8
    METHOD_PREFIX = 11  # frame header + method index
    HEADER_PREFIX = 19  # frame header + class id, weight, body size
    FRAME_METHOD = 1
    FRAME_HEADER = 2
    FRAME_BODY = 3
    FRAME_HEARTBEAT = 8
    PROPERTIES_CLASS_ID = 60


# ------------------------------------------------------------ methods, properties

cdef int _encoder_code(object method, PyObject **fields) except -1:
    """The method code for ``method.INDEX`` (TypeError when it is not an AMQP method),
    with the method's arguments fetched into ``fields`` for its encoder.

    An exact spec class whose instance dict holds just its arguments cannot shadow
    INDEX, so the common case needs neither the INDEX lookup nor a second fetch.
    """
    global _last_encoder_code
    cdef long long index
    cdef int overflow = 0
    cdef int code = _last_encoder_code
    cdef object cls = <object>Py_TYPE(method)
    if <PyObject *>cls != PyTuple_GET_ITEM(_METHOD_CLASSES, code):
        code = _CLASS_TO_CODE.get(cls, -1)
    if code >= 0:
        if _fields_fetch(method, cls, <tuple>PyTuple_GET_ITEM(_METHOD_FIELDS, code), fields,
                         PyTuple_GET_SIZE(<tuple>PyTuple_GET_ITEM(_METHOD_FIELDS, code))):
            _last_encoder_code = code
            return code
        _fields_release(fields, MAX_METHOD_FIELDS)
    # Anything else: exactly the twin's lookup of method.INDEX.
    try:
        index_obj = method.INDEX
    except AttributeError:
        raise TypeError(f"{method!r} is not an AMQP method") from None
    code = -1
    if PyLong_CheckExact(index_obj):
        index = PyLong_AsLongLongAndOverflow(index_obj, &overflow)
        if overflow == 0 and 0 <= index <= 0xFFFFFFFF:
            code = _method_code(<uint32_t>index)
    else:
        try:
            code = _INDEX_TO_CODE[index_obj]
        except KeyError:
            code = -1
    if code < 0:
        raise TypeError(f"{method!r} is not an AMQP method")
    _fields_fetch(method, <object>PyTuple_GET_ITEM(_METHOD_CLASSES, code),
                  <tuple>PyTuple_GET_ITEM(_METHOD_FIELDS, code), fields,
                  PyTuple_GET_SIZE(<tuple>PyTuple_GET_ITEM(_METHOD_FIELDS, code)))
    return code


cdef int _decoder_code(object method) except -1:
    """The twin indexes its decoder table with ``method.INDEX``: a bad one is a KeyError."""
    return _INDEX_TO_CODE[method.INDEX]


cdef inline object _method_index(int code):
    return <object>PyTuple_GET_ITEM(_METHOD_INDEXES, code)


cdef int _w_method_frame(Writer *w, object channel_number, int code, object method,
                         PyObject **fields) except -1:
    """A whole method frame; the channel is checked after the arguments, as in the twin."""
    cdef Py_ssize_t at = w.length
    cdef unsigned char *p
    cdef uint64_t channel
    writer_reserve(w, METHOD_PREFIX)
    _enc_method_args(w, code, method, fields)
    channel = _check_uint(channel_number, 0xFFFF, "short", "channel_number")
    p = w.data + at
    p[0] = FRAME_METHOD
    pf_store16(p + 1, <uint16_t>channel)
    pf_store32(p + 3, _payload_size(w.length - at - FRAME_HEADER_SIZE))
    pf_store32(p + 7, <uint32_t>PyLong_AsUnsignedLong(_method_index(code)))
    return writer_u8(w, FRAME_END)


cdef int _w_header_frame(Writer *w, object channel_number, object properties,
                         object body_size) except -1:
    """A whole content header frame."""
    cdef Py_ssize_t at = w.length
    cdef unsigned char *p
    cdef uint64_t channel
    cdef uint64_t class_id = PROPERTIES_CLASS_ID
    cdef uint64_t size
    cdef bint clean = False
    writer_reserve(w, HEADER_PREFIX)
    _enc_properties(w, properties, &clean)
    channel = _check_uint(channel_number, 0xFFFF, "short", "channel_number")
    if not clean:
        class_id = _check_uint(properties.INDEX, 0xFFFF, "short", "INDEX")
    size = _check_uint(body_size, 0xFFFFFFFFFFFFFFFF, "longlong", "body_size")
    p = w.data + at
    p[0] = FRAME_HEADER
    pf_store16(p + 1, <uint16_t>channel)
    pf_store32(p + 3, _payload_size(w.length - at - FRAME_HEADER_SIZE))
    pf_store16(p + 7, <uint16_t>class_id)
    pf_store16(p + 9, 0)
    pf_store64(p + 11, size)
    return writer_u8(w, FRAME_END)


cdef object _writer_bytes(Writer *w):
    return PyBytes_FromStringAndSize(<const char *>w.data, w.length)


def encode_method_args(method: Any) -> bytes:
    """The encoded arguments of ``method`` (no method index). Twin in ``_codec_py``."""
    cdef Writer w
    cdef PyObject *fields[MAX_METHOD_FIELDS]
    cdef int code
    _fields_clear(fields, MAX_METHOD_FIELDS)
    writer_init(&w)
    try:
        code = _encoder_code(method, fields)
        _enc_method_args(&w, code, method, fields)
        return _writer_bytes(&w)
    finally:
        _fields_release(fields, MAX_METHOD_FIELDS)
        writer_free(&w)


def decode_method_into(method: Any, data: BytesLike, offset: int = 0) -> Any:
    """Decode arguments at ``offset`` into ``method`` and return it. Twin in ``_codec_py``."""
    cdef Input inp
    cdef int code
    cdef Py_ssize_t off
    cdef dict values
    _offset_arg(offset, 0)  # the twin refuses a negative offset before reading data
    keep = _input_open(&inp, data)
    try:
        code = _decoder_code(method)
        off = _offset_arg(offset, inp.size)
        values = _dec_method_args(code, inp.data, off, inp.size)
    finally:
        _input_close(&inp)
    for name, value in values.items():
        setattr(method, name, value)
    return method


def encode_properties(properties: Any) -> bytes:
    """Property flags and values of a BasicProperties. Twin in ``_codec_py``."""
    cdef Writer w
    cdef bint clean
    writer_init(&w)
    try:
        _enc_properties(&w, properties, &clean)
        return _writer_bytes(&w)
    finally:
        writer_free(&w)


def decode_properties_into(properties: Any, data: BytesLike, offset: int = 0) -> Any:
    """Decode flags and values at ``offset`` into ``properties``. Twin in ``_codec_py``."""
    cdef Input inp
    cdef Py_ssize_t off
    cdef dict values
    _offset_arg(offset, 0)
    keep = _input_open(&inp, data)
    try:
        off = _offset_arg(offset, inp.size)
        values = _dec_properties(inp.data, off, inp.size)
    finally:
        _input_close(&inp)
    for name, value in values.items():
        setattr(properties, name, value)
    return properties


def marshal_method_frame(channel_number: int, method: Any) -> bytes:
    """A whole method frame. Twin of ``_codec_py.marshal_method_frame``."""
    cdef Writer w
    cdef PyObject *fields[MAX_METHOD_FIELDS]
    cdef int code
    _fields_clear(fields, MAX_METHOD_FIELDS)
    writer_init(&w)
    try:
        code = _encoder_code(method, fields)
        _w_method_frame(&w, channel_number, code, method, fields)
        return _writer_bytes(&w)
    finally:
        _fields_release(fields, MAX_METHOD_FIELDS)
        writer_free(&w)


def marshal_header_frame(channel_number: int, body_size: int, properties: Any) -> bytes:
    """A whole content header frame. Twin of ``_codec_py.marshal_header_frame``."""
    cdef Writer w
    writer_init(&w)
    try:
        _w_header_frame(&w, channel_number, properties, body_size)
        return _writer_bytes(&w)
    finally:
        writer_free(&w)


# --------------------------------------------------------------------- message body

cdef struct Body:
    const char *data
    Py_ssize_t size
    bint has_view
    Py_buffer view


cdef object _body_open(Body *body, object value):
    """Point ``body`` at the bytes of a message body; return the object owning them.

    bytes in place; str as its UTF-8; any other object with the buffer protocol
    through it, a non-contiguous one copied in C order (the twin's ``_body_view``).
    """
    cdef Py_ssize_t n
    body.has_view = False
    if PyBytes_CheckExact(value):
        body.data = PyBytes_AS_STRING(value)
        body.size = PyBytes_GET_SIZE(value)
        return value
    if PyUnicode_Check(value):
        body.data = PyUnicode_AsUTF8AndSize(value, &n)
        body.size = n
        return value
    if not PyObject_CheckBuffer(value):
        raise TypeError(f"message body must be bytes, bytearray, memoryview or str, "
                        f"not {_type_name(value)}")
    try:
        PyObject_GetBuffer(value, &body.view, PyBUF_SIMPLE)
    except (BufferError, ValueError):  # not contiguous (or released: memoryview says)
        view = memoryview(value)
        if view.c_contiguous:
            raise
        value = view.tobytes()
        body.data = PyBytes_AS_STRING(value)
        body.size = PyBytes_GET_SIZE(value)
        return value
    body.has_view = True
    body.data = <const char *>body.view.buf
    body.size = body.view.len
    return value


cdef inline void _body_close(Body *body) noexcept:
    if body.has_view:
        body.has_view = False
        PyBuffer_Release(&body.view)


def marshal_body_frame(channel_number: int, fragment: BytesLike) -> bytes:
    """A whole body frame. Twin of ``_codec_py.marshal_body_frame``."""
    cdef Body body
    cdef uint64_t channel
    cdef char *p
    keep = _body_open(&body, fragment)
    try:
        channel = _check_uint(channel_number, 0xFFFF, "short", "channel_number")
        if <uint64_t>body.size > 0xFFFFFFFF:
            raise _struct_error("'I' format requires 0 <= number <= 4294967295")
        result = PyBytes_FromStringAndSize(NULL, body.size + FRAME_OVERHEAD)
        p = PyBytes_AS_STRING(result)
        p[0] = FRAME_BODY
        pf_store16(<unsigned char *>p + 1, <uint16_t>channel)
        pf_store32(<unsigned char *>p + 3, <uint32_t>body.size)
        memcpy(p + FRAME_HEADER_SIZE, body.data, <size_t>body.size)
        p[FRAME_HEADER_SIZE + body.size] = <char>FRAME_END
        return result
    finally:
        _body_close(&body)


# ------------------------------------------------------------------------ content

cdef Py_ssize_t _frame_max_arg(object frame_max) except -1:
    """Largest frame, header and end octet included; saturated for huge ints."""
    cdef Py_ssize_t value = PyNumber_AsSsize_t(frame_max, NULL)
    if value <= FRAME_OVERHEAD:
        raise ValueError(f"frame_max={frame_max} leaves no room for a frame payload")
    return value


cdef int _w_content_prefix(Writer *w, object channel_number, object method,
                           object properties, Py_ssize_t body_size) except -1:
    """Method frame then header frame, with the twin's order of checks."""
    cdef PyObject *fields[MAX_METHOD_FIELDS]
    cdef int code
    cdef Py_ssize_t method_at = w.length
    cdef Py_ssize_t header_at
    cdef uint64_t channel
    cdef uint64_t class_id = PROPERTIES_CLASS_ID
    cdef unsigned char *p
    cdef bint clean = True
    _fields_clear(fields, MAX_METHOD_FIELDS)
    try:
        code = _encoder_code(method, fields)
        writer_reserve(w, METHOD_PREFIX)
        _enc_method_args(w, code, method, fields)
    finally:
        _fields_release(fields, MAX_METHOD_FIELDS)
    writer_u8(w, FRAME_END)
    header_at = w.length
    writer_reserve(w, HEADER_PREFIX)
    if properties is None:
        writer_u16(w, 0)
    else:
        _enc_properties(w, properties, &clean)
    writer_u8(w, FRAME_END)
    channel = _check_uint(channel_number, 0xFFFF, "short", "channel_number")
    if not clean:
        class_id = _check_uint(properties.INDEX, 0xFFFF, "short", "INDEX")
    p = w.data + method_at
    p[0] = FRAME_METHOD
    pf_store16(p + 1, <uint16_t>channel)
    pf_store32(p + 3, _payload_size(header_at - method_at - FRAME_OVERHEAD))
    pf_store32(p + 7, <uint32_t>PyLong_AsUnsignedLong(_method_index(code)))
    p = w.data + header_at
    p[0] = FRAME_HEADER
    pf_store16(p + 1, <uint16_t>channel)
    pf_store32(p + 3, _payload_size(w.length - header_at - FRAME_OVERHEAD))
    pf_store16(p + 7, <uint16_t>class_id)
    pf_store16(p + 9, 0)
    pf_store64(p + 11, <uint64_t>body_size)
    return 0


cdef Py_ssize_t _content_size(Writer *w, Py_ssize_t body_size, Py_ssize_t frame_max) except -1:
    """Bytes of the whole message: prefix, body, and the overhead of its body frames."""
    cdef Py_ssize_t chunk = frame_max - FRAME_OVERHEAD
    cdef Py_ssize_t frames = body_size // chunk + (1 if body_size % chunk else 0)
    if frames > (PY_SSIZE_T_MAX - w.length - body_size) // FRAME_OVERHEAD:
        raise MemoryError()
    return w.length + body_size + frames * FRAME_OVERHEAD


cdef void _fill_content(unsigned char *out, Writer *w, uint16_t channel, const char *body,
                        Py_ssize_t body_size, Py_ssize_t frame_max) noexcept:
    """Write prefix and body frames into ``out``, sized by _content_size."""
    cdef Py_ssize_t chunk = frame_max - FRAME_OVERHEAD
    cdef Py_ssize_t start = 0
    cdef Py_ssize_t n
    memcpy(out, w.data, <size_t>w.length)
    out += w.length
    while start < body_size:
        n = body_size - start
        if n > chunk:
            n = chunk
        out[0] = FRAME_BODY
        pf_store16(out + 1, channel)
        pf_store32(out + 3, <uint32_t>n)
        memcpy(out + FRAME_HEADER_SIZE, body + start, <size_t>n)
        out[FRAME_HEADER_SIZE + n] = FRAME_END
        out += n + FRAME_OVERHEAD
        start += n


cdef inline uint16_t _prefix_channel(Writer *w) noexcept:
    return pf_load16(w.data + 1)


cdef bint _shares_buffer(Body *body, object out) noexcept:
    """Whether the body is read from ``out`` itself (a bytearray appended to)."""
    cdef const char *start = PyByteArray_AS_STRING(out)
    if body.has_view and body.view.obj is out:
        return True
    return body.size != 0 and start <= body.data < start + PyByteArray_GET_SIZE(out)


def marshal_content(channel_number: int, method: Any, properties: Any, body: Any,
                    frame_max: int) -> bytes:
    """Method, header and body frames of one message as one bytes object.

    The body is copied once, into the result; it is split into body frames that fit
    ``frame_max``. Twin of ``_codec_py.marshal_content``.
    """
    cdef Writer w
    cdef Body b
    cdef Py_ssize_t fmax = _frame_max_arg(frame_max)
    cdef Py_ssize_t total
    keep = _body_open(&b, body)
    writer_init(&w)
    try:
        _w_content_prefix(&w, channel_number, method, properties, b.size)
        total = _content_size(&w, b.size, fmax)
        result = PyBytes_FromStringAndSize(NULL, total)
        _fill_content(<unsigned char *>PyBytes_AS_STRING(result), &w, _prefix_channel(&w),
                      b.data, b.size, fmax)
        return result
    finally:
        writer_free(&w)
        _body_close(&b)


def marshal_content_into(out: bytearray, channel_number: int, method: Any,
                         properties: Any, body: Any, frame_max: int) -> None:
    """Append the frames of one message to ``out``. Twin in ``_codec_py``."""
    cdef Writer w
    cdef Body b
    cdef Py_ssize_t fmax = _frame_max_arg(frame_max)
    cdef Py_ssize_t total
    cdef Py_ssize_t old
    keep = _body_open(&b, body)
    writer_init(&w)
    try:
        _w_content_prefix(&w, channel_number, method, properties, b.size)
        total = _content_size(&w, b.size, fmax)
        if PyByteArray_CheckExact(out) and not _shares_buffer(&b, out):
            old = PyByteArray_GET_SIZE(out)
            PyByteArray_Resize(out, old + total)  # BufferError while out is exported
            _fill_content(<unsigned char *>PyByteArray_AS_STRING(out) + old, &w,
                          _prefix_channel(&w), b.data, b.size, fmax)
        else:  # whatever ``out += frames`` means for this object, as in the twin
            frames = PyBytes_FromStringAndSize(NULL, total)
            _fill_content(<unsigned char *>PyBytes_AS_STRING(frames), &w,
                          _prefix_channel(&w), b.data, b.size, fmax)
            _body_close(&b)  # the twin has let go of the body by now too
            out += frames
    finally:
        writer_free(&w)
        _body_close(&b)


def content_frame_buffers(channel_number: int, method: Any, properties: Any, body: Any,
                          frame_max: int) -> List[Union[bytes, memoryview]]:
    """The frames of one message as buffers for ``socket.sendmsg``, body not copied.

    Body fragments are memoryviews into ``body`` (an exact bytes body that fits one
    frame is returned as itself). Twin of ``_codec_py.content_frame_buffers``.
    """
    cdef Writer w
    cdef Body b
    cdef Py_ssize_t fmax = _frame_max_arg(frame_max)
    cdef Py_ssize_t chunk = fmax - FRAME_OVERHEAD
    cdef Py_ssize_t start = 0
    cdef Py_ssize_t n
    cdef unsigned char header[FRAME_HEADER_SIZE]
    cdef uint16_t channel
    cdef list buffers
    owner = _body_open(&b, body)
    writer_init(&w)
    try:
        _w_content_prefix(&w, channel_number, method, properties, b.size)
        channel = _prefix_channel(&w)
        buffers = [_writer_bytes(&w)]
        if b.size == 0:
            return buffers
        if PyUnicode_Check(owner):
            owner = PyBytes_FromStringAndSize(b.data, b.size)
        if PyBytes_CheckExact(owner) and b.size <= chunk:
            view = owner
        else:
            view = memoryview(owner)
            if not view.c_contiguous:
                view = memoryview(view.tobytes())
            elif view.ndim != 1 or view.format != "B":
                view = view.cast("B")
        header[0] = FRAME_BODY
        pf_store16(header + 1, channel)
        while start < b.size:
            n = b.size - start
            if n > chunk:
                n = chunk
            pf_store32(header + 3, <uint32_t>n)
            buffers.append(PyBytes_FromStringAndSize(<const char *>header, FRAME_HEADER_SIZE))
            buffers.append(view if n == b.size else view[start:start + n])
            buffers.append(_FRAME_END_BYTE)
            start += n
        return buffers
    finally:
        writer_free(&w)
        _body_close(&b)


# ------------------------------------------------------------------------ decoding

cdef int _known_method(uint32_t index, object channel_number) except -1:
    cdef int code = _method_code(index)
    if code < 0:
        raise _InvalidFrameError(
            f"Malformed frame: unknown method id 0x{index:08X} on channel {channel_number}")
    return code


cdef object _new_method(uint32_t index, object channel_number, const unsigned char *buf,
                        Py_ssize_t off, Py_ssize_t end):
    cdef int code = _known_method(index, channel_number)
    return _new_with_dict(<object>PyTuple_GET_ITEM(_METHOD_CLASSES, code),
                          _dec_method_args(code, buf, off, end))


cdef object _new_properties(unsigned int class_id, const unsigned char *buf, Py_ssize_t off,
                            Py_ssize_t end):
    if class_id != PROPERTIES_CLASS_ID:
        raise _InvalidFrameError(f"Malformed frame: content header for unknown class {class_id}")
    return _new_with_dict(_PROPERTIES_CLASS, _dec_properties(buf, off, end))


# Frame objects are built like spec objects: a copy of the attributes a real instance
# gets from __init__, then the values that differ. _codec_c.pyx checks at import that
# each class still sets exactly these; if not, the class itself is called.
cdef bint _FAST_FRAMES = False
cdef dict _METHOD_FRAME_TEMPLATE
cdef dict _HEADER_FRAME_TEMPLATE
cdef dict _BODY_FRAME_TEMPLATE
cdef dict _HEARTBEAT_FRAME_TEMPLATE


cdef object _method_frame(object channel_number, object method):
    cdef dict attributes
    if not _FAST_FRAMES:
        return _MethodFrame(channel_number, method)
    attributes = PyDict_Copy(_METHOD_FRAME_TEMPLATE)
    attributes["channel_number"] = channel_number
    attributes["method"] = method
    return _new_with_dict(_MethodFrame, attributes)


cdef object _header_frame(object channel_number, object body_size, object properties):
    cdef dict attributes
    if not _FAST_FRAMES:
        return _HeaderFrame(channel_number, body_size, properties)
    attributes = PyDict_Copy(_HEADER_FRAME_TEMPLATE)
    attributes["channel_number"] = channel_number
    attributes["body_size"] = body_size
    attributes["properties"] = properties
    return _new_with_dict(_HeaderFrame, attributes)


cdef object _body_frame(object channel_number, object fragment):
    cdef dict attributes
    if not _FAST_FRAMES:
        return _BodyFrame(channel_number, fragment)
    attributes = PyDict_Copy(_BODY_FRAME_TEMPLATE)
    attributes["channel_number"] = channel_number
    attributes["fragment"] = fragment
    return _new_with_dict(_BodyFrame, attributes)


cdef object _payload_frame(int frame_type, object channel_number, const unsigned char *buf,
                           Py_ssize_t off, Py_ssize_t end):
    """One frame payload buf[off:end] as pika's frame object."""
    if frame_type == FRAME_METHOD:
        if end - off < 4:
            _truncated("method id")
        return _method_frame(channel_number, _new_method(pf_load32(buf + off), channel_number,
                                                         buf, off + 4, end))
    if frame_type == FRAME_HEADER:
        if end - off < 12:
            _truncated("content header")
        body_size = PyLong_FromUnsignedLongLong(pf_load64(buf + off + 4))
        return _header_frame(channel_number, body_size,
                             _new_properties(pf_load16(buf + off), buf, off + 12, end))
    if frame_type == FRAME_BODY:
        return _body_frame(channel_number,
                           PyBytes_FromStringAndSize(<const char *>buf + off, end - off))
    if frame_type == FRAME_HEARTBEAT:
        if _FAST_FRAMES:
            return _new_with_dict(_HeartbeatFrame, PyDict_Copy(_HEARTBEAT_FRAME_TEMPLATE))
        return _HeartbeatFrame()
    raise _InvalidFrameError(f"Unknown frame type: {frame_type}")


cdef inline bint _is_protocol_header(const unsigned char *p) noexcept:
    return p[0] == b'A' and p[1] == b'M' and p[2] == b'Q' and p[3] == b'P'


def decode_frame(data_in: BytesLike, offset: int = 0) -> Tuple[int, Any]:
    """Decode one frame at ``offset``: (bytes consumed, frame), or (0, None) if incomplete.

    Accepts bytes, bytearray and memoryview. Twin of ``_codec_py.decode_frame``.
    """
    cdef Input inp
    cdef Py_ssize_t off
    cdef Py_ssize_t available
    cdef const unsigned char *p
    cdef uint32_t size
    cdef uint64_t total
    _offset_arg(offset, 0)
    keep = _input_open(&inp, data_in)
    try:
        off = _offset_arg(offset, inp.size)
        available = inp.size - off
        p = inp.data + off
        if available >= 4 and _is_protocol_header(p):
            if available < PROTOCOL_HEADER_SIZE:
                return 0, None
            return PROTOCOL_HEADER_SIZE, _ProtocolHeader(p[5], p[6], p[7])
        if available < FRAME_HEADER_SIZE:
            return 0, None
        size = pf_load32(p + 3)
        total = <uint64_t>size + FRAME_OVERHEAD
        if total > <uint64_t>available:
            return 0, None
        if p[FRAME_HEADER_SIZE + size] != FRAME_END:
            raise _InvalidFrameError("Invalid FRAME_END marker")
        return total, _payload_frame(p[0], pf_load16(p + 1), inp.data,
                                     off + FRAME_HEADER_SIZE, off + FRAME_HEADER_SIZE + size)
    finally:
        _input_close(&inp)


# --------------------------------------------------------------------- frame reader

cdef enum:
    BODY_FIRST_ALLOCATION = 64 * 1024 * 1024
    READER_SHRINK_ABOVE = 4 * 1024 * 1024
    READER_MIN_CAPACITY = 256 * 1024
    SCAN_INCOMPLETE = -2
    SCAN_PROTOCOL_HEADER = -1


@cython.final
@cython.no_gc  # holds only spec objects and bytes: never part of a cycle
cdef class _Content:
    """A content message being assembled on one channel (the twin's per-channel list)."""
    cdef object method
    cdef object properties
    cdef bint have_header
    cdef uint64_t body_size
    cdef Py_ssize_t received
    cdef PyObject *body   # a bytes object still private to us, filled in place
    cdef Py_ssize_t capacity

    def __dealloc__(self):
        Py_CLEAR(self.body)

    cdef int append(self, const unsigned char *data, Py_ssize_t n) except -1:
        """Copy a fragment into the body, growing it towards the declared size."""
        cdef Py_ssize_t need = self.received + n
        cdef Py_ssize_t cap
        if need > self.capacity or self.body == NULL:
            # The declared size is the peer's word: believe it up to a bound, then grow.
            cap = self.capacity * 2 if self.capacity else BODY_FIRST_ALLOCATION
            if cap < need:
                cap = need
            if <uint64_t>cap > self.body_size:
                cap = <Py_ssize_t>self.body_size
            if self.body == NULL:
                fresh = PyBytes_FromStringAndSize(NULL, cap)
                Py_INCREF(fresh)
                self.body = <PyObject *>fresh
            else:
                _PyBytes_Resize(&self.body, cap)  # refcount 1: legal, maybe in place
            self.capacity = cap
        memcpy(PyBytes_AS_STRING(<object>self.body) + self.received, data, <size_t>n)
        self.received = need
        return 0

    cdef object take_body(self):
        cdef object body
        if self.body == NULL:
            return b""
        if self.capacity != self.received:
            _PyBytes_Resize(&self.body, self.received)
        body = <object>self.body
        Py_CLEAR(self.body)
        return body


# The cycle collector and read_messages.
#
# read_messages builds thousands of instances, their dicts and tuples that nothing else
# can reach until it returns. Left tracked, they are traversed by every collection the
# allocations trigger, survive it, get promoted, and end up triggering full
# collections of the whole heap (most of the decoding cost, measured). So they are
# created untracked and all tracked again, in the finally clause, before the batch is
# handed out: units and their method and properties objects by walking the units;
# the instance dicts CPython had chosen to track (those holding a table) from a list of
# exactly those. An untracked object that holds a tracked one only makes the latter
# look reachable, which it is, so the collector stays correct meanwhile.

cdef inline object _untracked(object obj):
    if PyObject_IS_GC(obj):
        PyObject_GC_UnTrack(obj)
    return obj


cdef inline void _track(PyObject *obj) noexcept:
    # PyObject_GC_IsTracked is false for objects the collector does not handle.
    if obj != <PyObject *>None and not PyObject_GC_IsTracked(<object>obj):
        PyObject_GC_Track(<object>obj)


cdef void _track_units(list units) noexcept:
    cdef Py_ssize_t i
    cdef PyObject *unit
    for i in range(PyList_GET_SIZE(units)):
        unit = PyList_GET_ITEM(units, i)
        _track(unit)
        _track(PyTuple_GET_ITEM(<object>unit, 1))
        _track(PyTuple_GET_ITEM(<object>unit, 2))


cdef inline object _unit(object channel_number, object method, object properties, object body):
    cdef tuple unit = (channel_number, method, properties, body)
    PyObject_GC_UnTrack(unit)  # tuples are always collector objects
    return unit


cdef object _reader_object(list retrack, object cls, dict attributes):
    """_new_with_dict for read_messages: the object and its dict untracked."""
    if PyObject_GC_IsTracked(attributes):
        PyObject_GC_UnTrack(attributes)
        retrack.append(attributes)
    return _untracked(_new_with_dict(cls, attributes))


cdef object _decoded_properties(list retrack, object channel_number, object method,
                                const unsigned char *buf, Py_ssize_t start, Py_ssize_t end):
    """The properties of a content header frame buf[start:end] (at least 12 bytes), or
    the twin's MessageDecodeError when they cannot be decoded (the frames are intact)."""
    try:
        if pf_load16(buf + start) != PROPERTIES_CLASS_ID:
            raise _InvalidFrameError(
                f"Malformed frame: content header for unknown class {pf_load16(buf + start)}")
        return _reader_object(retrack, _PROPERTIES_CLASS, _dec_properties(buf, start + 12, end))
    except (_AMQPError, ValueError) as exc:
        return _MessageDecodeError(channel_number, method, None, exc)


cdef inline int _finish(list units, object channel_number, object method, object properties,
                        object body) except -1:
    if <PyObject *>Py_TYPE(properties) == <PyObject *>_MessageDecodeError:  # made above
        properties.body = body
    units.append(_unit(channel_number, method, properties, body))
    return 0


cdef class FrameReader:
    """Incremental reader: feed received bytes, take whole frames or whole messages.

    Bytes are read in place from an internal buffer with a read offset; unread bytes
    are moved to its front only when more data arrives. A bytes object fed while
    nothing is pending is read where it is, without a copy. Content frames are
    assembled per channel into ``(channel_number, method, properties, body)``; a body
    spread over several frames is copied once, into the final bytes object.
    Twin of ``_codec_py.FrameReader``.
    """
    cdef unsigned char *_mem
    cdef Py_ssize_t _mem_capacity
    cdef object _source         # the bytes object read in place, or None
    cdef const unsigned char *_data
    cdef Py_ssize_t _pos
    cdef Py_ssize_t _len
    cdef dict _partial
    cdef list _retrack          # dicts untracked while decoding (see _reader_object)
    cdef object _frame_max
    cdef bint _limited
    cdef uint64_t _limit
    cdef bint _busy
    # Filled by _scan for the frame it found.
    cdef int _channel
    cdef Py_ssize_t _start
    cdef Py_ssize_t _end

    def __cinit__(self):
        self._partial = {}
        self._retrack = []
        self._frame_max = 0

    def __init__(self, frame_max: int = _FRAME_MAX_SIZE) -> None:
        self.frame_max = frame_max

    def __dealloc__(self):
        PyMem_Free(self._mem)
        self._mem = NULL

    @property
    def frame_max(self) -> int:
        """Largest frame accepted, frame header and end octet included (0: no limit)."""
        return self._frame_max

    @frame_max.setter
    def frame_max(self, value: int) -> None:
        if value < 0:
            raise ValueError("frame_max must not be negative")
        limited = bool(value)
        limit = 0
        if limited:
            try:
                limit = _floor(value)  # frames are whole bytes
            except (OverflowError, ValueError):  # inf, nan: nothing is larger
                limited = False
        self._frame_max = value
        self._limited = limited
        self._limit = <uint64_t>limit if limit <= 0xFFFFFFFFFFFFFFFF else 0xFFFFFFFFFFFFFFFF

    @property
    def buffered(self) -> int:
        """Bytes received and not yet consumed."""
        return self._len - self._pos

    def feed(self, data: BytesLike) -> None:
        """Append received bytes."""
        cdef Input inp
        cdef Py_ssize_t unread = self._len - self._pos
        if self._busy:
            raise RuntimeError("FrameReader.feed() called while the reader is decoding")
        if unread == 0 and PyBytes_CheckExact(data):
            self._source = data
            self._data = <const unsigned char *>PyBytes_AS_STRING(data)
            self._pos = 0
            self._len = PyBytes_GET_SIZE(data)
            return
        if not PyObject_CheckBuffer(data):
            raise TypeError(f"can't concat {_type_name(data)} to bytes")
        keep = _input_open(&inp, data)
        try:
            self._append(inp.data, inp.size, unread)
        finally:
            _input_close(&inp)

    cdef int _append(self, const unsigned char *data, Py_ssize_t n, Py_ssize_t unread) except -1:
        cdef Py_ssize_t need
        cdef Py_ssize_t cap = self._mem_capacity
        cdef unsigned char *block
        if n > PY_SSIZE_T_MAX // 2 - unread:
            raise MemoryError()
        need = unread + n
        if self._source is None and unread and self._pos:
            memmove(self._mem, self._mem + self._pos, <size_t>unread)  # compact
        if need > cap or (cap > READER_SHRINK_ABOVE and need < cap // 8):
            # Grow to twice what is needed; give memory back after a burst.
            cap = need * 2
            if cap < READER_MIN_CAPACITY:
                cap = READER_MIN_CAPACITY
            block = <unsigned char *>PyMem_Realloc(self._mem, <size_t>cap)
            if block == NULL:
                raise MemoryError()
            self._mem = block
            self._mem_capacity = cap
        if self._source is not None:
            if unread:
                memcpy(self._mem, self._data + self._pos, <size_t>unread)
            self._source = None
        memcpy(self._mem + unread, data, <size_t>n)
        self._data = self._mem
        self._pos = 0
        self._len = need
        return 0

    cdef int _scan(self) except -3:
        """The type of the next whole frame (its bounds in _channel/_start/_end),
        SCAN_PROTOCOL_HEADER, or SCAN_INCOMPLETE until more data arrives."""
        cdef const unsigned char *p = self._data + self._pos
        cdef Py_ssize_t available = self._len - self._pos
        cdef uint32_t size
        cdef uint64_t total
        if available < FRAME_HEADER_SIZE:
            return SCAN_INCOMPLETE
        if _is_protocol_header(p):
            if available < PROTOCOL_HEADER_SIZE:
                return SCAN_INCOMPLETE
            self._start = self._pos + 4
            self._end = self._pos + PROTOCOL_HEADER_SIZE
            return SCAN_PROTOCOL_HEADER
        size = pf_load32(p + 3)
        total = <uint64_t>size + FRAME_OVERHEAD
        if self._limited and total > self._limit:
            raise _FrameTooLargeError(total, self._frame_max)
        if total > <uint64_t>available:
            return SCAN_INCOMPLETE
        if p[FRAME_HEADER_SIZE + size] != FRAME_END:
            raise _InvalidFrameError("Invalid FRAME_END marker")
        self._channel = pf_load16(p + 1)
        self._start = self._pos + FRAME_HEADER_SIZE
        self._end = self._start + size
        return p[0]

    cdef Py_ssize_t _peek(self, Py_ssize_t pos, int frame_type, int channel) noexcept:
        """End (payload end) of a whole, well-formed ``frame_type`` frame on ``channel``
        at ``pos``; -1 for anything else, which the frame-by-frame path then handles."""
        cdef const unsigned char *p = self._data + pos
        cdef uint32_t size
        if self._len - pos < FRAME_OVERHEAD or p[0] != frame_type or pf_load16(p + 1) != channel:
            return -1
        size = pf_load32(p + 3)
        if <uint64_t>size + FRAME_OVERHEAD > <uint64_t>(self._len - pos):
            return -1
        if self._limited and <uint64_t>size + FRAME_OVERHEAD > self._limit:
            return -1
        if p[FRAME_HEADER_SIZE + size] != FRAME_END:
            return -1
        return pos + FRAME_HEADER_SIZE + size

    def next_frame(self) -> Any:
        """The next whole frame as pika's frame object, or None until more data arrives."""
        cdef int frame_type
        cdef const unsigned char *p
        if self._busy:
            raise RuntimeError("FrameReader re-entered while it is decoding")
        self._busy = True
        try:
            frame_type = self._scan()
            if frame_type == SCAN_INCOMPLETE:
                return None
            p = self._data
            if frame_type == SCAN_PROTOCOL_HEADER:
                result = _ProtocolHeader(p[self._start + 1], p[self._start + 2],
                                         p[self._start + 3])
                self._pos = self._end
            else:
                result = _payload_frame(frame_type, self._channel, p, self._start, self._end)
                self._pos = self._end + 1
            return result
        finally:
            self._busy = False

    def read_messages(self) -> List[Tuple[int, Any, Any, Any]]:
        """Every whole unit received so far, in order.

        Each is ``(channel_number, method, properties, body)``: properties and body are
        None for methods without content; a heartbeat is ``(0, None, None, None)``; a
        protocol header from the peer is ``(0, ProtocolHeader, None, None)``. When a
        message's content header cannot be decoded but its frames are intact, its
        properties slot holds a :class:`~pika_fast.exceptions.MessageDecodeError` and
        the stream stays usable. Other errors are raised once the units decoded before
        them have been returned. Twin of ``_codec_py.FrameReader.read_messages``.
        """
        cdef list units = []
        cdef int frame_type
        cdef const unsigned char *p
        if self._busy:
            raise RuntimeError("FrameReader re-entered while it is decoding")
        self._busy = True
        try:
            while True:
                frame_type = self._scan()
                if frame_type == FRAME_METHOD:
                    self._on_method(units)
                elif frame_type == FRAME_BODY:
                    self._on_body(units)
                elif frame_type == FRAME_HEADER:
                    self._on_header(units)
                elif frame_type == FRAME_HEARTBEAT:
                    if self._channel:  # the spec allows heartbeats on channel 0 only
                        raise _InvalidFrameError(
                            f"Malformed frame: heartbeat on channel {self._channel}")
                    units.append(_HEARTBEAT_UNIT)
                elif frame_type == SCAN_INCOMPLETE:
                    break
                elif frame_type == SCAN_PROTOCOL_HEADER:
                    p = self._data
                    units.append((0, _ProtocolHeader(p[self._start + 1], p[self._start + 2],
                                                     p[self._start + 3]), None, None))
                    self._pos = self._end
                    continue
                else:
                    raise _InvalidFrameError(f"Unknown frame type: {frame_type}")
                self._pos = self._end + 1
        except _AMQPError:
            if not units:
                raise
            # The bad frame is still unread: the next call raises its error.
        finally:
            self._busy = False
            _track_units(units)
            if self._retrack:
                for attributes in self._retrack:
                    _track(<PyObject *>attributes)
                del self._retrack[:]
        return units

    cdef int _on_method(self, list units) except -1:
        cdef Py_ssize_t start = self._start
        cdef Py_ssize_t end = self._end
        cdef uint32_t index
        cdef int code
        cdef _Content content
        if end - start < 4:
            _truncated("method id")
        index = pf_load32(self._data + start)
        channel_number = self._channel
        if self._partial and channel_number in self._partial:
            raise _UnexpectedFrameError(
                f"method frame on channel {channel_number} while content was expected")
        code = _known_method(index, channel_number)
        method = _reader_object(self._retrack, <object>PyTuple_GET_ITEM(_METHOD_CLASSES, code),
                                _dec_method_args(code, self._data, start + 4, end))
        if not _method_has_content(code):
            units.append(_unit(channel_number, method, None, None))
        elif not self._whole_message(units, channel_number, method):
            content = _Content.__new__(_Content)
            content.method = method
            self._partial[channel_number] = content
        return 0

    cdef bint _whole_message(self, list units, object channel_number, object method) except -1:
        """Header and body frames of the content method just read, when all of them are
        already here and well formed: decoded in one go, the position moved past them.
        Anything unusual is left to the frame-by-frame path, which raises what the
        twin raises at the frame where the twin raises it."""
        cdef int channel = self._channel
        cdef Py_ssize_t header_start = self._end + 1 + FRAME_HEADER_SIZE
        cdef Py_ssize_t header_end = self._peek(self._end + 1, FRAME_HEADER, channel)
        cdef Py_ssize_t pos
        cdef Py_ssize_t end
        cdef Py_ssize_t last
        cdef Py_ssize_t filled
        cdef Py_ssize_t n
        cdef uint64_t body_size
        cdef uint64_t received = 0
        cdef Py_ssize_t frames = 0
        cdef const unsigned char *p = self._data
        cdef char *out
        if header_end < 0 or header_end - header_start < 12:
            return False
        body_size = pf_load64(p + header_start + 4)
        pos = header_end + 1
        last = header_end
        while received < body_size:
            end = self._peek(pos, FRAME_BODY, channel)
            if end < 0 or <uint64_t>(end - pos - FRAME_HEADER_SIZE) > body_size - received:
                return False
            received += <uint64_t>(end - pos - FRAME_HEADER_SIZE)
            frames += 1
            last = end
            pos = end + 1
        properties = _decoded_properties(self._retrack, channel_number, method, p,
                                         header_start, header_end)
        if body_size == 0:
            body = b""
        elif frames == 1:
            body = PyBytes_FromStringAndSize(<const char *>p + header_end + 1 + FRAME_HEADER_SIZE,
                                             <Py_ssize_t>body_size)
        else:  # several frames: copied once, straight into the body
            body = PyBytes_FromStringAndSize(NULL, <Py_ssize_t>body_size)
            out = PyBytes_AS_STRING(body)
            pos = header_end + 1
            filled = 0
            while pos < last:
                n = <Py_ssize_t>pf_load32(p + pos + 3)
                memcpy(out + filled, p + pos + FRAME_HEADER_SIZE, <size_t>n)
                filled += n
                pos += n + FRAME_OVERHEAD
        _finish(units, channel_number, method, properties, body)
        self._end = last
        return True

    cdef int _on_header(self, list units) except -1:
        cdef Py_ssize_t start = self._start
        cdef Py_ssize_t end = self._end
        cdef _Content content
        cdef uint64_t body_size
        channel_number = self._channel
        content = self._partial.get(channel_number) if self._partial else None
        if content is None or content.have_header:
            raise _UnexpectedFrameError(
                f"content header on channel {channel_number} without a content method")
        if end - start < 12:
            _truncated("content header")
        body_size = pf_load64(self._data + start + 4)
        properties = _decoded_properties(self._retrack, channel_number, content.method,
                                         self._data, start, end)
        if body_size == 0:
            del self._partial[channel_number]
            _finish(units, channel_number, content.method, properties, b"")
            return 0
        content.properties = properties
        content.body_size = body_size
        content.have_header = True
        return 0

    cdef int _on_body(self, list units) except -1:
        cdef Py_ssize_t start = self._start
        cdef Py_ssize_t n = self._end - start
        cdef _Content content
        channel_number = self._channel
        content = self._partial.get(channel_number) if self._partial else None
        if content is None or not content.have_header:
            raise _UnexpectedFrameError(
                f"body frame on channel {channel_number} without a content header")
        if <uint64_t>(content.received + n) > content.body_size:
            raise _BodyTooLongError(content.received + n, content.body_size)
        if content.received == 0 and content.body == NULL and <uint64_t>n == content.body_size:
            body = PyBytes_FromStringAndSize(<const char *>self._data + start, n)
        else:
            content.append(self._data + start, n)
            if <uint64_t>content.received < content.body_size:
                return 0
            body = content.take_body()
        del self._partial[channel_number]
        _finish(units, channel_number, content.method, content.properties, body)
        return 0
