# Primitives of the compiled codec: reading caller buffers, raising pika's errors,
# checked scalar and string writers, bounds-checked readers, attribute loading.
# Included by _codec_c.pyx. Twin: the "primitives" sections of pika_fast/_codec_py.py.


# ------------------------------------------------------------------- caller buffers

cdef struct Input:
    const unsigned char *data
    Py_ssize_t size
    bint has_view
    Py_buffer view


cdef object _input_open(Input *inp, object data):
    """Point ``inp`` at the bytes of ``data``; return the object that owns them.

    Exact bytes are read in place; other buffers through the buffer protocol (the
    caller must ``_input_close``); anything else goes through ``bytes(data)``, as the
    pure twin's ``_as_readable`` does.
    """
    inp.has_view = False
    if PyBytes_CheckExact(data):
        inp.data = <const unsigned char *>PyBytes_AS_STRING(data)
        inp.size = PyBytes_GET_SIZE(data)
        return data
    if PyObject_CheckBuffer(data):
        try:
            PyObject_GetBuffer(data, &inp.view, PyBUF_SIMPLE)
        except (BufferError, ValueError):  # not contiguous: bytes() copies it in C order
            pass
        else:
            inp.has_view = True
            inp.data = <const unsigned char *>inp.view.buf
            inp.size = inp.view.len
            return data
    data = bytes(data)
    inp.data = <const unsigned char *>PyBytes_AS_STRING(data)
    inp.size = PyBytes_GET_SIZE(data)
    return data


cdef inline void _input_close(Input *inp) noexcept:
    if inp.has_view:
        inp.has_view = False
        PyBuffer_Release(&inp.view)


cdef Py_ssize_t _offset_arg(object offset, Py_ssize_t size) except -1:
    """A caller's offset as an index into ``size`` bytes. Offsets past the end are
    clamped to it: every read there is a truncation, as in the twin."""
    cdef Py_ssize_t off = PyNumber_AsSsize_t(offset, NULL)  # saturates huge ints
    if off < 0:
        raise ValueError("offset must not be negative")
    return off if off < size else size


# ------------------------------------------------------------------------- errors

cdef int _truncated(str what) except -1:
    raise _InvalidFrameError(f"Malformed frame: {what} runs past the end of its data")


cdef str _type_name(object value):
    return type(value).__name__


cdef inline uint32_t _payload_size(Py_ssize_t n) except? 0xFFFFFFFF:
    """A frame or table length, which the wire carries in 32 bits."""
    if <uint64_t>n > 0xFFFFFFFF:
        raise _struct_error("'I' format requires 0 <= number <= 4294967295")
    return <uint32_t>n


# -------------------------------------------------------------------- text values

# Repeated short ASCII strings (consumer tags, exchange and queue names, content types,
# header keys) are decoded once and shared: str objects are immutable, and a hit saves
# an allocation and a free per field. Direct-mapped, so a miss just replaces the slot.
cdef enum:
    TEXT_CACHE_SLOTS = 512
    TEXT_CACHE_MAX_LEN = 40

cdef PyObject *_text_cache[TEXT_CACHE_SLOTS]


cdef object _decode_text(const unsigned char *p, Py_ssize_t n):
    """UTF-8 as str; bytes that are not valid UTF-8 as bytes (the twin's rule)."""
    cdef uint64_t h
    cdef Py_ssize_t slot
    cdef PyObject *hit
    cdef object text
    if n <= 1:
        if n == 0:
            return ""
        if p[0] < 0x80:
            return PyUnicode_FromOrdinal(p[0])  # the interpreter's shared 1-char strings
    elif n <= TEXT_CACHE_MAX_LEN:
        h = pf_ascii_hash(p, n)
        if h:
            slot = <Py_ssize_t>(h & (TEXT_CACHE_SLOTS - 1))
            hit = _text_cache[slot]
            if (hit != NULL and PyUnicode_GET_LENGTH(<object>hit) == n
                    and pf_same_bytes(<const unsigned char *>PyUnicode_DATA(<object>hit), p, n)):
                return <object>hit
            text = PyUnicode_New(n, 127)
            memcpy(PyUnicode_DATA(text), p, <size_t>n)
            Py_XDECREF(hit)
            Py_INCREF(text)
            _text_cache[slot] = <PyObject *>text
            return text
    try:
        return PyUnicode_DecodeUTF8(<const char *>p, n, NULL)
    except UnicodeDecodeError:
        return PyBytes_FromStringAndSize(<const char *>p, n)


# ----------------------------------------------------------------- checked writers

cdef uint64_t _check_uint(object value, uint64_t high, str wire,
                          object name) except? 0xFFFFFFFFFFFFFFFF:
    """The twin's ``check_int``: an int (bools allowed) that fits the AMQP ``wire`` type."""
    cdef long long x
    cdef uint64_t fast
    cdef int overflow = 0
    if PyLong_CheckExact(value):
        fast = pf_as_uint64(value)
        if fast != <uint64_t>-1:
            if fast <= high:
                return fast
        elif PyErr_Occurred():  # negative or wider than 64 bits: reported below
            PyErr_Clear()
    else:
        if PyBool_Check(value):
            return 1 if value is True else 0
        if not PyLong_Check(value):
            raise TypeError(f"{name} must be an int, not {_type_name(value)}")
        value = int(value)
    x = PyLong_AsLongLongAndOverflow(value, &overflow)
    if overflow == 0:
        if x >= 0 and <uint64_t>x <= high:
            return <uint64_t>x
    elif overflow > 0 and high == 0xFFFFFFFFFFFFFFFF and value <= 0xFFFFFFFFFFFFFFFF:
        return PyLong_AsUnsignedLongLong(value)
    raise ValueError(f"{name}={value} does not fit an AMQP {wire}")


cdef inline int _w_octet(Writer *w, object value, object name) except -1:
    return writer_u8(w, <uint8_t>_check_uint(value, 0xFF, "octet", name))


cdef inline int _w_short(Writer *w, object value, object name) except -1:
    return writer_u16(w, <uint16_t>_check_uint(value, 0xFFFF, "short", name))


cdef inline int _w_long(Writer *w, object value, object name) except -1:
    return writer_u32(w, <uint32_t>_check_uint(value, 0xFFFFFFFF, "long", name))


cdef inline int _w_longlong(Writer *w, object value, object name) except -1:
    return writer_u64(w, _check_uint(value, 0xFFFFFFFFFFFFFFFF, "longlong", name))


cdef inline int _w_timestamp(Writer *w, object value, object name) except -1:
    return writer_u64(w, _check_uint(value, 0xFFFFFFFFFFFFFFFF, "timestamp", name))


cdef inline const char *_text_bytes(object value, Py_ssize_t *size, object name) except NULL:
    """UTF-8 of a str (cached in the str itself) or the bytes of a bytes object."""
    if PyUnicode_Check(value):
        if PyUnicode_IS_COMPACT_ASCII(value):  # ASCII is its own UTF-8
            size[0] = PyUnicode_GET_LENGTH(value)
            return <const char *>PyUnicode_DATA(value)
        return PyUnicode_AsUTF8AndSize(value, size)
    if PyBytes_Check(value):
        size[0] = PyBytes_GET_SIZE(value)
        return PyBytes_AS_STRING(value)
    raise TypeError(f"{name} must be str or bytes, not {_type_name(value)}")


cdef int _w_shortstr(Writer *w, object value, object name) except -1:
    cdef Py_ssize_t n
    cdef const char *raw = _text_bytes(value, &n, name)
    cdef unsigned char *p
    if n > 255:
        raise _ShortStringTooLong(value if PyBytes_Check(value)
                                  else PyBytes_FromStringAndSize(raw, n))
    p = writer_reserve(w, 1 + n)
    p[0] = <unsigned char>n
    pf_copy(p + 1, <const unsigned char *>raw, n)
    return 0


cdef int _w_longstr(Writer *w, object value, object name) except -1:
    cdef Py_ssize_t n
    cdef const char *raw = _text_bytes(value, &n, name)
    cdef unsigned char *p
    if <uint64_t>n > 0xFFFFFFFF:
        raise _struct_error("'I' format requires 0 <= number <= 4294967295")
    p = writer_reserve(w, 4 + n)
    pf_store32(p, <uint32_t>n)
    memcpy(p + 4, raw, <size_t>n)
    return 0


cdef int _w_table_arg(Writer *w, object value, object name) except -1:
    """A field-table argument or property: None encodes as an empty table."""
    if value is None:
        return writer_u32(w, 0)
    if not PyDict_Check(value):
        raise TypeError(f"{name} must be a dict, not {_type_name(value)}")
    return _w_table(w, value, 0)


cdef inline bint _truth(object value) except -1:
    return PyObject_IsTrue(value)


# ------------------------------------------------------------------------ readers
# Every reader takes the offset by pointer and the limit it must not pass, raises the
# twin's truncation error naming the field kind, and advances the offset on success.

cdef inline uint8_t _r_bits(const unsigned char *buf, Py_ssize_t *off, Py_ssize_t end) except? 0xFF:
    cdef Py_ssize_t o = off[0]
    if o >= end:
        _truncated("bit field")
    off[0] = o + 1
    return buf[o]


cdef inline unsigned int _r_u16(const unsigned char *buf, Py_ssize_t *off, Py_ssize_t end,
                                str what) except? 0xFFFFFFFF:
    cdef Py_ssize_t o = off[0]
    if end - o < 2:
        _truncated(what)
    off[0] = o + 2
    return pf_load16(buf + o)


cdef inline object _r_octet(const unsigned char *buf, Py_ssize_t *off, Py_ssize_t end):
    cdef Py_ssize_t o = off[0]
    if o >= end:
        _truncated("octet")
    off[0] = o + 1
    return PyLong_FromLong(buf[o])


cdef inline object _r_short(const unsigned char *buf, Py_ssize_t *off, Py_ssize_t end):
    cdef Py_ssize_t o = off[0]
    if end - o < 2:
        _truncated("short")
    off[0] = o + 2
    return PyLong_FromLong(pf_load16(buf + o))


cdef inline object _r_long(const unsigned char *buf, Py_ssize_t *off, Py_ssize_t end):
    cdef Py_ssize_t o = off[0]
    if end - o < 4:
        _truncated("long")
    off[0] = o + 4
    return PyLong_FromUnsignedLong(pf_load32(buf + o))


cdef inline object _r_longlong(const unsigned char *buf, Py_ssize_t *off, Py_ssize_t end):
    cdef Py_ssize_t o = off[0]
    if end - o < 8:
        _truncated("longlong")
    off[0] = o + 8
    return PyLong_FromUnsignedLongLong(pf_load64(buf + o))


cdef inline object _r_shortstr(const unsigned char *buf, Py_ssize_t *off, Py_ssize_t end):
    cdef Py_ssize_t o = off[0]
    cdef Py_ssize_t n
    if o >= end:
        _truncated("short string")
    n = buf[o]
    if n > end - o - 1:
        _truncated("short string")
    off[0] = o + 1 + n
    return _decode_text(buf + o + 1, n)


cdef inline object _r_longstr(const unsigned char *buf, Py_ssize_t *off, Py_ssize_t end):
    """Long strings in method arguments stay bytes, as pika returns them."""
    cdef Py_ssize_t o = off[0]
    cdef uint32_t n
    if end - o < 4:
        _truncated("long string")
    n = pf_load32(buf + o)
    if <uint64_t>n > <uint64_t>(end - o - 4):
        _truncated("long string")
    off[0] = o + 4 + <Py_ssize_t>n
    return PyBytes_FromStringAndSize(<const char *>buf + o + 4, <Py_ssize_t>n)


cdef inline object _r_table_arg(const unsigned char *buf, Py_ssize_t *off, Py_ssize_t end):
    return _r_table(buf, off, end, 0)


# ------------------------------------------------------------ attributes of objects
# Encoders read a method's arguments or the fourteen properties. For the exact spec
# classes (no descriptors or __getattr__ of their own) the values come straight from
# the instance dict, walked in declaration order; a key out of place, a missing key
# or any other class falls back to getattr() at the point the twin would read it.

cdef inline void _fields_clear(PyObject **out, Py_ssize_t n) noexcept:
    cdef Py_ssize_t i
    for i in range(n):
        out[i] = NULL


cdef bint _fields_fetch(object obj, object cls, tuple names, PyObject **out,
                        Py_ssize_t n) except -1:
    """Fill ``out`` (owned references, NULL where absent); True when ``obj`` is an exact
    ``cls`` whose dict holds exactly ``names``, in order (so nothing shadows a class
    attribute such as INDEX)."""
    cdef object d
    cdef PyObject *key
    cdef PyObject *value
    cdef Py_ssize_t pos = 0
    cdef Py_ssize_t i = 0
    if <PyObject *>Py_TYPE(obj) != <PyObject *>cls:
        return False
    d = PyObject_GenericGetDict(obj, NULL)
    while i < n and PyDict_Next(d, &pos, &key, &value):
        if key != PyTuple_GET_ITEM(names, i):
            break
        Py_INCREF(<object>value)
        out[i] = value
        i += 1
    if i == n:
        return PyDict_GET_SIZE(d) == n
    while i < n:
        value = PyDict_GetItemWithError(d, <object>PyTuple_GET_ITEM(names, i))
        if value != NULL:
            Py_INCREF(<object>value)
            out[i] = value
        i += 1
    return False


cdef object _attribute(object obj, object instance_dict, object name):
    """``getattr(obj, name)``, from ``instance_dict`` when it is the dict of an exact
    spec class (no descriptors of its own) that holds ``name``."""
    cdef PyObject *value
    if instance_dict is not None:
        value = PyDict_GetItemWithError(instance_dict, name)
        if value != NULL:
            return <object>value
    return getattr(obj, name)


cdef inline object _field(object obj, PyObject **fields, Py_ssize_t i, object name):
    cdef PyObject *value = fields[i]
    if value != NULL:
        return <object>value
    return getattr(obj, name)


cdef inline void _fields_release(PyObject **fields, Py_ssize_t n) noexcept:
    cdef Py_ssize_t i
    for i in range(n):
        Py_XDECREF(fields[i])
        fields[i] = NULL


# ----------------------------------------------------------------- spec objects

cdef inline int _learn(dict attributes, dict template, PyObject **known, object name,
                       object value) except -1:
    """Store a decoded value, and make it the template's: the next message that brings
    the identical (immutable) object needs no store at all."""
    attributes[name] = value
    template[name] = value
    known[0] = <PyObject *>value  # borrowed: the template holds it
    return 0


cdef void _init_known() noexcept:
    """The templates start with every value None."""
    cdef Py_ssize_t i
    for i in range(N_METHOD_FIELDS):
        _known[i] = <PyObject *>None
    for i in range(N_PROPERTIES):
        _known_properties[i] = <PyObject *>None


cdef inline object _new_with_dict(object cls, dict attributes):
    """``cls.__new__(cls)`` with ``attributes`` as its ``__dict__`` (the twin creates
    the object the same way, then sets the attributes one by one in this order).

    When ``__new__`` is object's, the object comes straight from ``tp_alloc``:
    object.__new__ would only add an empty attribute store (3.11, 3.12) that setting
    ``__dict__`` then throws away, which costs as much again as the object itself.
    """
    cdef PyTypeObject *tp = <PyTypeObject *>cls
    cdef object obj
    if tp.tp_new == _object_tp_new:
        obj = pf_type_alloc(tp)
    else:
        obj = tp.tp_new(cls, <PyObject *>_EMPTY_TUPLE, NULL)
    if PF_GENERIC_SETDICT_OK:
        PyObject_GenericSetDict(obj, attributes, NULL)
    else:
        PyObject_SetAttr(obj, _DICT_ATTRIBUTE, attributes)
    return obj
