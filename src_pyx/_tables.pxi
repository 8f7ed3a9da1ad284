# Field tables, arrays and values, both directions. Included by _codec_c.pyx.
# Twin: _table_into / _value_into / _other_value_into / _encode_decimal / _array_into
# and r_table / _r_array / _r_value in pika_fast/_codec_py.py.


# ----------------------------------------------------------------------- encoding

cdef int _w_table(Writer *w, object table, int depth) except -1:
    """Length-prefixed table body. ``table`` is a dict (or subclass)."""
    cdef Py_ssize_t at
    cdef Py_ssize_t pos = 0
    cdef Py_ssize_t size
    cdef PyObject *k
    cdef PyObject *v
    cdef object key
    cdef object value
    cdef uint64_t length
    if depth > NESTING_LIMIT:
        raise ValueError(f"field table nested deeper than {MAX_NESTING_DEPTH} levels")
    at = w.length
    writer_reserve(w, 4)
    if PyDict_CheckExact(table):
        size = PyDict_GET_SIZE(table)
        while PyDict_Next(table, &pos, &k, &v):
            key = <object>k  # owned from here: encoding may run Python code
            value = <object>v
            _w_shortstr(w, key, "table key")
            _w_value(w, value, depth)
            if PyDict_GET_SIZE(table) != size:
                raise RuntimeError("dictionary changed size during iteration")
    else:
        for key, value in table.items():
            _w_shortstr(w, key, "table key")
            _w_value(w, value, depth)
    length = <uint64_t>(w.length - at - 4)
    if length > 0xFFFFFFFF:
        raise _struct_error("'I' format requires 0 <= number <= 4294967295")
    pf_store32(w.data + at, <uint32_t>length)
    return 0


cdef int _w_array(Writer *w, object values, int depth) except -1:
    cdef Py_ssize_t at
    cdef Py_ssize_t i
    cdef uint64_t length
    if depth > NESTING_LIMIT:
        raise ValueError(f"field array nested deeper than {MAX_NESTING_DEPTH} levels")
    at = w.length
    p = writer_reserve(w, 5)
    p[0] = b'A'
    if PyList_CheckExact(values):
        i = 0
        while i < PyList_GET_SIZE(values):  # re-read: encoding may run Python code
            _w_value(w, <object>PyList_GET_ITEM(values, i), depth)
            i += 1
    else:
        for item in values:
            _w_value(w, item, depth)
    length = <uint64_t>(w.length - at - 5)
    if length > 0xFFFFFFFF:
        raise _struct_error("'I' format requires 0 <= number <= 4294967295")
    pf_store32(w.data + at + 1, <uint32_t>length)
    return 0


cdef inline int _w_bytes_value(Writer *w, char kind, const char *raw, Py_ssize_t n) except -1:
    cdef unsigned char *p
    if <uint64_t>n > 0xFFFFFFFF:
        raise _struct_error("'I' format requires 0 <= number <= 4294967295")
    p = writer_reserve(w, 5 + n)
    p[0] = <unsigned char>kind
    pf_store32(p + 1, <uint32_t>n)
    pf_copy(p + 5, <const unsigned char *>raw, n)
    return 0


cdef int _w_value(Writer *w, object value, int depth) except -1:
    """One field value, type octet first; exact types here, the rest in _w_other."""
    cdef Py_ssize_t n
    cdef const char *raw
    cdef long long x
    cdef int overflow = 0
    cdef unsigned char *p
    cdef object kind = type(value)
    if kind is str:
        if PyUnicode_IS_COMPACT_ASCII(value):
            return _w_bytes_value(w, b'S', <const char *>PyUnicode_DATA(value),
                                  PyUnicode_GET_LENGTH(value))
        raw = PyUnicode_AsUTF8AndSize(value, &n)
        return _w_bytes_value(w, b'S', raw, n)
    if kind is int:
        x = PyLong_AsLongLongAndOverflow(value, &overflow)
        if overflow:
            raise _UnsupportedAMQPFieldException([], value)
        if -0x80000000 <= x <= 0x7FFFFFFF:
            p = writer_reserve(w, 5)
            p[0] = b'I'
            pf_store32(p + 1, <uint32_t><int32_t>x)
        else:
            p = writer_reserve(w, 9)
            p[0] = b'l'
            pf_store64(p + 1, <uint64_t>x)
        return 0
    if kind is bool:
        p = writer_reserve(w, 2)
        p[0] = b't'
        p[1] = 1 if value is True else 0
        return 0
    if kind is bytes:
        return _w_bytes_value(w, b'x', PyBytes_AS_STRING(value), PyBytes_GET_SIZE(value))
    if kind is dict:
        writer_u8(w, b'F')
        return _w_table(w, value, depth + 1)
    if kind is list:
        return _w_array(w, value, depth + 1)
    if value is None:
        return writer_u8(w, b'V')
    if kind is float:
        p = writer_reserve(w, 9)
        p[0] = b'd'
        pf_store_double(p + 1, PyFloat_AS_DOUBLE(value))
        return 0
    return _w_other(w, value, depth)


cdef int _w_other(Writer *w, object value, int depth) except -1:
    """Subclasses and the rarer types, in the twin's (and pika's) order of preference."""
    cdef unsigned char *p
    cdef object seconds
    cdef const char *raw
    cdef Py_ssize_t n
    if isinstance(value, str):  # its own text, as pika: str() of a str Enum is its name
        raw = PyUnicode_AsUTF8AndSize(value, &n)
        return _w_bytes_value(w, b'S', raw, n)
    if isinstance(value, (bytes, bool, int)):
        if isinstance(value, bytes):
            value = bytes(value)
        elif isinstance(value, bool):
            value = bool(value)
        else:
            value = int(value)
        # A conversion may hand back another subclass instance: recurse like the twin,
        # with Python's recursion limit rather than the C stack as the backstop.
        if Py_EnterRecursiveCall(" while encoding a field value") != 0:
            return -1
        try:
            _w_value(w, value, depth)
        finally:
            Py_LeaveRecursiveCall()
        return 0
    if isinstance(value, _Decimal):
        return _w_decimal(w, value)
    if isinstance(value, _datetime_type):
        seconds = _utc_seconds(value)
        if seconds < 0:  # the wire type is unsigned
            raise _UnsupportedAMQPFieldException([], value)
        p = writer_reserve(w, 9)
        p[0] = b'T'
        pf_store64(p + 1, <uint64_t>seconds)
        return 0
    if isinstance(value, dict):
        writer_u8(w, b'F')
        return _w_table(w, value, depth + 1)
    if isinstance(value, list):
        return _w_array(w, value, depth + 1)
    if isinstance(value, float):
        p = writer_reserve(w, 9)
        p[0] = b'd'
        pf_store_double(p + 1, PyFloat_AsDouble(value))
        return 0
    if isinstance(value, bytearray):
        value = bytes(value)
        return _w_bytes_value(w, b'x', PyBytes_AS_STRING(value), PyBytes_GET_SIZE(value))
    raise _UnsupportedAMQPFieldException([], value)


cdef object _utc_seconds(object value):
    """calendar.timegm(value.utctimetuple()), by timedelta arithmetic (5x cheaper)."""
    if value.tzinfo is None:
        delta = value - _EPOCH_NAIVE
    else:
        offset = value.utcoffset()
        if offset is None:  # utctimetuple() takes such a value as UTC too
            delta = value.replace(tzinfo=None) - _EPOCH_NAIVE
        else:
            delta = value - _EPOCH_UTC
    return delta.days * 86400 + delta.seconds


cdef int _w_decimal(Writer *w, object value) except -1:
    cdef unsigned char *p
    cdef object parts = value.as_tuple()
    cdef object exponent_obj = parts[2]
    cdef tuple digits = parts[1]
    cdef Py_ssize_t count = len(digits), i
    cdef long long raw64 = 0
    cdef long exp10
    # Fast path for what fits (up to 18 digits, finite): the same numbers as
    # normalize() + scaling below, which stays for everything else.
    if type(exponent_obj) is int and count <= 18:
        for i in range(count):
            raw64 = raw64 * 10 + <long long>PyLong_AsLong(<object>PyTuple_GET_ITEM(digits, i))
        exp10 = exponent_obj
        if raw64 == 0:
            exp10 = 0
        while exp10 < 0 and raw64 % 10 == 0:
            raw64 //= 10
            exp10 += 1
        while exp10 > 0 and raw64 <= 0x7FFFFFFF:
            raw64 *= 10
            exp10 -= 1
        if parts[0]:
            raw64 = -raw64
        if exp10 <= 0 and -exp10 <= 255 and -0x80000000 <= raw64 <= 0x7FFFFFFF:
            p = writer_reserve(w, 6)
            p[0] = b'D'
            p[1] = <uint8_t>(-exp10)
            pf_store32(p + 2, <uint32_t><int32_t>raw64)
            return 0
    value = value.normalize()
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int):
        raise _UnsupportedAMQPFieldException([], value)
    if exponent < 0:
        decimals = -exponent
        raw = int(value * _POW10[decimals]) if decimals < 256 else 1 << 40
    else:
        decimals = 0  # the spec's decimals octet is unsigned
        raw = int(value)
    if decimals > 255 or not -0x80000000 <= raw <= 0x7FFFFFFF:
        raise _UnsupportedAMQPFieldException([], value)
    p = writer_reserve(w, 6)
    p[0] = b'D'
    p[1] = <uint8_t>decimals
    pf_store32(p + 2, <uint32_t><int32_t>raw)
    return 0


# ----------------------------------------------------------------------- decoding

# Headers and arguments tables often repeat byte for byte from one message to the
# next. A table seen twice whose values are all immutable (no containers, and no
# Decimal, which depends on the decimal context) is kept, and later decoded as a
# shallow copy of it: equal keys and values, the same order, a dict of its own.
cdef enum:
    TABLE_CACHE_SLOTS = 64
    TABLE_CACHE_MAX_LEN = 512

cdef struct TableSlot:
    uint64_t seen       # hash of the last table that missed here
    uint64_t hash       # hash of the cached table
    PyObject *raw       # its wire bytes (owned)
    PyObject *table     # its decoded dict (owned, never handed out)

cdef TableSlot _table_cache[TABLE_CACHE_SLOTS]
cdef bint _decoded_decimal = False


cdef dict _r_table(const unsigned char *buf, Py_ssize_t *off, Py_ssize_t end, int depth):
    global _decoded_decimal
    cdef Py_ssize_t o = off[0]
    cdef Py_ssize_t limit
    cdef uint32_t n
    cdef uint64_t h = 0
    cdef TableSlot *slot = NULL
    cdef dict result
    cdef object key
    cdef object raw
    cdef object copy
    if end - o < 4:
        _truncated("field table")
    n = pf_load32(buf + o)
    if <uint64_t>n > <uint64_t>(end - o - 4):
        _truncated("field table")
    if depth > NESTING_LIMIT:
        raise _InvalidFrameError(
            f"Malformed frame: field table nested deeper than {MAX_NESTING_DEPTH} levels")
    limit = o + 4 + <Py_ssize_t>n
    o += 4
    if depth == 0 and 0 < n <= TABLE_CACHE_MAX_LEN:
        h = pf_bytes_hash(buf + o, n)
        slot = &_table_cache[h & (TABLE_CACHE_SLOTS - 1)]
        if (slot.hash == h and PyBytes_GET_SIZE(<object>slot.raw) == n and pf_same_bytes(
                <const unsigned char *>PyBytes_AS_STRING(<object>slot.raw), buf + o, n)):
            off[0] = limit
            return PyDict_Copy(<object>slot.table)
        _decoded_decimal = False
    result = {}
    while o < limit:
        key = _r_shortstr(buf, &o, limit)
        result[key] = _r_value(buf, &o, limit, depth)
    off[0] = o
    if slot != NULL:
        if slot.seen != h:
            slot.seen = h
        elif not PyObject_GC_IsTracked(result) and not _decoded_decimal:
            raw = PyBytes_FromStringAndSize(<const char *>buf + limit - n, n)
            copy = PyDict_Copy(result)
            Py_XDECREF(slot.raw)
            Py_XDECREF(slot.table)
            Py_INCREF(raw)
            Py_INCREF(copy)
            slot.raw = <PyObject *>raw
            slot.table = <PyObject *>copy
            slot.hash = h
    return result


cdef list _r_array(const unsigned char *buf, Py_ssize_t *off, Py_ssize_t end, int depth):
    cdef Py_ssize_t o = off[0]
    cdef Py_ssize_t limit
    cdef uint32_t n
    cdef list result
    if end - o < 4:
        _truncated("field array")
    n = pf_load32(buf + o)
    if <uint64_t>n > <uint64_t>(end - o - 4):
        _truncated("field array")
    if depth > NESTING_LIMIT:
        raise _InvalidFrameError(
            f"Malformed frame: field array nested deeper than {MAX_NESTING_DEPTH} levels")
    limit = o + 4 + <Py_ssize_t>n
    o += 4
    result = []
    while o < limit:
        result.append(_r_value(buf, &o, limit, depth))
    off[0] = o
    return result


cdef inline int _need(Py_ssize_t o, Py_ssize_t end, Py_ssize_t n, str what) except -1:
    if end - o < n:
        _truncated(what)
    return 0


cdef object _r_value(const unsigned char *buf, Py_ssize_t *off, Py_ssize_t end, int depth):
    cdef Py_ssize_t o = off[0]
    cdef unsigned char kind
    cdef uint32_t n
    cdef uint64_t seconds
    cdef object result
    if o >= end:
        _truncated("field value")
    kind = buf[o]
    o += 1
    if kind == b'S':
        _need(o, end, 4, "long string value")
        n = pf_load32(buf + o)
        if <uint64_t>n > <uint64_t>(end - o - 4):
            _truncated("long string value")
        off[0] = o + 4 + <Py_ssize_t>n
        return _decode_text(buf + o + 4, <Py_ssize_t>n)
    if kind == b'I':
        _need(o, end, 4, "int32 value")
        off[0] = o + 4
        return PyLong_FromLong(<int32_t>pf_load32(buf + o))
    if kind == b'l' or kind == b'L':  # pika's legacy L: also signed 64-bit
        _need(o, end, 8, "int64 value")
        off[0] = o + 8
        return PyLong_FromLongLong(<int64_t>pf_load64(buf + o))
    if kind == b't':
        if o >= end:
            _truncated("boolean value")
        off[0] = o + 1
        return True if buf[o] else False
    if kind == b'F':
        off[0] = o
        return _r_table(buf, off, end, depth + 1)
    if kind == b'V':
        off[0] = o
        return None
    if kind == b'x':
        _need(o, end, 4, "byte array value")
        n = pf_load32(buf + o)
        if <uint64_t>n > <uint64_t>(end - o - 4):
            _truncated("byte array value")
        off[0] = o + 4 + <Py_ssize_t>n
        return PyBytes_FromStringAndSize(<const char *>buf + o + 4, <Py_ssize_t>n)
    if kind == b'A':
        off[0] = o
        return _r_array(buf, off, end, depth + 1)
    if kind == b'T':
        _need(o, end, 8, "timestamp value")
        seconds = pf_load64(buf + o)
        try:
            result = _fromtimestamp(seconds, _utc)
        except (OverflowError, OSError, ValueError):
            raise _InvalidFrameError(
                f"Malformed frame: timestamp {seconds} is out of range") from None
        off[0] = o + 8
        return result
    if kind == b'd':
        _need(o, end, 8, "double value")
        off[0] = o + 8
        return PyFloat_FromDouble(pf_load_double(buf + o))
    if kind == b'f':
        _need(o, end, 4, "float value")
        off[0] = o + 4
        return PyFloat_FromDouble(pf_load_float(buf + o))
    if kind == b'b':
        _need(o, end, 1, "int8 value")
        off[0] = o + 1
        return PyLong_FromLong(<int8_t>buf[o])
    if kind == b'B':
        _need(o, end, 1, "uint8 value")
        off[0] = o + 1
        return PyLong_FromLong(buf[o])
    if kind == b's' or kind == b'U':  # pika's legacy U: also signed 16-bit
        _need(o, end, 2, "int16 value")
        off[0] = o + 2
        return PyLong_FromLong(<int16_t>pf_load16(buf + o))
    if kind == b'u':
        _need(o, end, 2, "uint16 value")
        off[0] = o + 2
        return PyLong_FromLong(pf_load16(buf + o))
    if kind == b'i':
        _need(o, end, 4, "uint32 value")
        off[0] = o + 4
        return PyLong_FromUnsignedLong(pf_load32(buf + o))
    if kind == b'D':
        _need(o, end, 5, "decimal value")
        global _decoded_decimal
        _decoded_decimal = True
        result = _Decimal(<int32_t>pf_load32(buf + o + 1)) * <object>PyList_GET_ITEM(
            _NEG_POW10, buf[o])
        off[0] = o + 5
        return result
    raise _InvalidFieldTypeException(PyBytes_FromStringAndSize(<const char *>&kind, 1))
