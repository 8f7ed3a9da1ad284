"""The compiled codec: frames, field tables, methods, properties and content.

Twin of the pure-Python ``pika_fast._codec_py``: both export the same names with the
same signatures, return equal results and raise the same exceptions. Only
``pika_fast._codec`` imports either of them.

Composed with ``include`` from parts: ``_buffers.pxi`` (primitives), ``_tables.pxi``
(field values), the generated ``_spec_gen.pxi`` (per-method marshalling) and
``_frames.pxi`` (frames, content, the reader). Every read is bounds-checked against
the limit of the structure that encloses it.
"""
cimport cython
from libc.stdint cimport (uint8_t, uint16_t, uint32_t, uint64_t, int8_t, int16_t, int32_t,
                          int64_t)
from libc.string cimport memcpy, memmove
from cpython.buffer cimport (PyObject_CheckBuffer, PyObject_GetBuffer, PyBuffer_Release,
                             PyBUF_SIMPLE)
from cpython.bytearray cimport (PyByteArray_CheckExact, PyByteArray_GET_SIZE,
                                PyByteArray_AS_STRING, PyByteArray_Resize)
from cpython.bytes cimport (PyBytes_CheckExact, PyBytes_Check, PyBytes_AS_STRING,
                            PyBytes_GET_SIZE, PyBytes_FromStringAndSize, _PyBytes_Resize)
from cpython.bool cimport PyBool_Check
from cpython.dict cimport (PyDict_Next, PyDict_Copy, PyDict_CheckExact, PyDict_Check,
                           PyDict_GetItemWithError)
from cpython.float cimport PyFloat_FromDouble, PyFloat_AS_DOUBLE, PyFloat_AsDouble
from cpython.list cimport PyList_CheckExact, PyList_GET_SIZE, PyList_GET_ITEM
from cpython.long cimport (PyLong_Check, PyLong_CheckExact, PyLong_FromLong,
                           PyLong_FromUnsignedLong, PyLong_FromLongLong,
                           PyLong_FromUnsignedLongLong, PyLong_AsLongLongAndOverflow,
                           PyLong_AsLong,
                           PyLong_AsUnsignedLongLong, PyLong_AsUnsignedLong)
from cpython.mem cimport PyMem_Realloc, PyMem_Free
from cpython.object cimport (PyObject, PyTypeObject, newfunc, Py_TYPE, PyObject_IsTrue,
                             PyObject_GenericGetDict, PyObject_GenericSetDict, PyObject_SetAttr)
from cpython.ref cimport Py_INCREF, Py_XDECREF, Py_CLEAR
from cpython.tuple cimport PyTuple_GET_ITEM, PyTuple_GET_SIZE
from cpython.unicode cimport (PyUnicode_Check, PyUnicode_GET_LENGTH, PyUnicode_DATA,
                              PyUnicode_New, PyUnicode_AsUTF8AndSize)

from _wire cimport (Writer, writer_init, writer_free, writer_reserve, writer_u8, writer_u16,
                    writer_u32, writer_u64, pf_load16, pf_load32, pf_load64, pf_store16,
                    pf_store32, pf_store64, pf_load_double, pf_load_float, pf_store_double,
                    pf_ascii_hash, pf_same_bytes, pf_copy, pf_bytes_hash)

cdef extern from *:
    """
    static PyObject *pf_type_alloc(PyTypeObject *tp) { return tp->tp_alloc(tp, 0); }

    /* Setting an instance's __dict__ from C. Up to 3.12 PyObject_GenericSetDict does it.
       On 3.13.0 it swaps the dict pointer but leaves the object's inline attribute
       values in charge, so attribute lookups no longer see the new dict; the __dict__
       descriptor goes through the managed-dict path there. */
    #if PY_VERSION_HEX >= 0x030D0000
    #define PF_GENERIC_SETDICT_OK 0
    #else
    #define PF_GENERIC_SETDICT_OK 1
    #endif
    """
    object pf_type_alloc(PyTypeObject *tp)
    const bint PF_GENERIC_SETDICT_OK

cdef extern from "Python.h":
    const Py_ssize_t PY_SSIZE_T_MAX
    Py_ssize_t PyDict_GET_SIZE(object d)
    # NULL as ``exc`` saturates instead of raising OverflowError.
    Py_ssize_t PyNumber_AsSsize_t(object o, PyObject *exc) except? -1
    object PyUnicode_DecodeUTF8(const char *s, Py_ssize_t size, const char *errors)
    object PyUnicode_FromOrdinal(int ordinal)
    bint PyUnicode_IS_COMPACT_ASCII(object o)
    # No exception handling declared: callers check for (uint64_t)-1 and PyErr_Occurred.
    uint64_t pf_as_uint64 "PyLong_AsUnsignedLongLong"(object o)
    PyObject *PyErr_Occurred()
    void PyErr_Clear()
    int Py_EnterRecursiveCall(const char *where)
    void Py_LeaveRecursiveCall()
    PyTypeObject PyBaseObject_Type
    bint PyObject_IS_GC(object o)
    bint PyObject_GC_IsTracked(object o)
    void PyObject_GC_Track(object o)
    void PyObject_GC_UnTrack(object o)

import calendar as _calendar
import decimal as _decimal_module
import math as _math
import struct as _struct
from datetime import datetime as _datetime, timezone as _timezone
from typing import Any, Dict, List, Optional, Tuple, Union

from pika_fast import exceptions as _exceptions, frame as _frame, spec as _spec

BytesLike = Union[bytes, bytearray, memoryview]

#: Tables and arrays nested deeper than this are refused rather than recursed into.
MAX_NESTING_DEPTH = 64
cdef enum:
    NESTING_LIMIT = 64  # MAX_NESTING_DEPTH for C code

HEARTBEAT_FRAME = bytes((_spec.FRAME_HEARTBEAT, 0, 0, 0, 0, 0, 0, 206))

# Everything the hot paths touch is bound once, at import.
cdef object _AMQPError = _exceptions.AMQPError
cdef object _InvalidFrameError = _exceptions.InvalidFrameError
cdef object _FrameTooLargeError = _exceptions.FrameTooLargeError
cdef object _UnexpectedFrameError = _exceptions.UnexpectedFrameError
cdef object _BodyTooLongError = _exceptions.BodyTooLongError
cdef object _MessageDecodeError = _exceptions.MessageDecodeError
cdef object _InvalidFieldTypeException = _exceptions.InvalidFieldTypeException
cdef object _UnsupportedAMQPFieldException = _exceptions.UnsupportedAMQPFieldException
cdef object _ShortStringTooLong = _exceptions.ShortStringTooLong
cdef object _struct_error = _struct.error
cdef object _Decimal = _decimal_module.Decimal
cdef object _datetime_type = _datetime
cdef object _fromtimestamp = _datetime.fromtimestamp
cdef object _utc = _timezone.utc
cdef object _timegm = _calendar.timegm
cdef object _EPOCH_NAIVE = _datetime(1970, 1, 1)
cdef object _EPOCH_UTC = _datetime(1970, 1, 1, tzinfo=_timezone.utc)
# 10**n and 10**-n for every decimals octet: exact at any context precision, so
# caching them changes no result, only the cost of computing them per value.
cdef list _POW10 = [_decimal_module.Decimal(10) ** n for n in range(256)]
cdef list _NEG_POW10 = [_decimal_module.Decimal(10) ** -n for n in range(256)]
cdef object _floor = _math.floor
cdef object _MethodFrame = _frame.Method
cdef object _HeaderFrame = _frame.Header
cdef object _BodyFrame = _frame.Body
cdef object _HeartbeatFrame = _frame.Heartbeat
cdef object _ProtocolHeader = _frame.ProtocolHeader
cdef object _FRAME_MAX_SIZE = _spec.FRAME_MAX_SIZE
cdef tuple _EMPTY_TUPLE = ()
cdef str _DICT_ATTRIBUTE = "__dict__"
cdef newfunc _object_tp_new = PyBaseObject_Type.tp_new
cdef tuple _HEARTBEAT_UNIT = (0, None, None, None)
cdef bytes _FRAME_END_BYTE = b"\xce"

# Filled after the generated tables are defined (see below the includes).
cdef tuple _METHOD_CLASSES
cdef tuple _METHOD_TEMPLATES
cdef dict _INDEX_TO_CODE
cdef object _PROPERTIES_CLASS = _spec.BasicProperties
cdef dict _CLASS_TO_CODE
cdef int _last_encoder_code = 0  # the class encoded last is usually the next one too
cdef dict _PROPERTIES_TEMPLATE

include "_buffers.pxi"
include "_tables.pxi"
include "_spec_gen.pxi"
include "_frames.pxi"

# The attribute dict each decoded object starts from: every name, None, in order. A
# plain dict: copying one is cheaper than copying one that shares the class's attribute
# keys (measured on 3.11), and each copy owns its keys.
_METHOD_CLASSES = tuple([_spec.methods[index] for index in _METHOD_INDEXES])
_METHOD_TEMPLATES = tuple([dict.fromkeys(names) for names in _METHOD_FIELDS])
_INDEX_TO_CODE = {index: code for code, index in enumerate(_METHOD_INDEXES)}
_CLASS_TO_CODE = {cls: code for code, cls in enumerate(_METHOD_CLASSES)}
_PROPERTIES_TEMPLATE = dict.fromkeys(_PROPERTY_FIELDS)
_init_known()


def _frame_templates():
    """Attribute dicts of real frame instances, if the classes still set exactly what
    the builders in _frames.pxi assume (else None, and the classes are called)."""
    global _FAST_FRAMES, _METHOD_FRAME_TEMPLATE, _HEADER_FRAME_TEMPLATE, _BODY_FRAME_TEMPLATE
    global _HEARTBEAT_FRAME_TEMPLATE
    expected = (
        (_MethodFrame, (7, None), ["frame_type", "channel_number", "method"]),
        (_HeaderFrame, (7, 0, None), ["frame_type", "channel_number", "body_size", "properties"]),
        (_BodyFrame, (7, b""), ["frame_type", "channel_number", "fragment"]),
        (_HeartbeatFrame, (), ["frame_type", "channel_number"]),
    )
    templates = []
    for cls, args, names in expected:
        attributes = cls(*args).__dict__
        if (list(attributes) != names or (<PyTypeObject *>cls).tp_new != _object_tp_new
                or (args and attributes["channel_number"] != 7)):
            return
        templates.append(dict(attributes))
    (_METHOD_FRAME_TEMPLATE, _HEADER_FRAME_TEMPLATE, _BODY_FRAME_TEMPLATE,
     _HEARTBEAT_FRAME_TEMPLATE) = templates
    _FAST_FRAMES = True


_frame_templates()
del _frame_templates


# ------------------------------------------------------------ public field tables


def encode_table(table: Optional[Dict[Any, Any]]) -> bytes:
    """Encode a dict as an AMQP field table, length prefix included.

    Twin of ``_codec_py.encode_table``.
    """
    cdef Writer w
    writer_init(&w)
    try:
        _w_table_arg(&w, table, "table")
        return _writer_bytes(&w)
    finally:
        writer_free(&w)


def decode_table(data: BytesLike, offset: int = 0) -> Tuple[Dict[Any, Any], int]:
    """Decode the field table at ``offset``; return it and the offset after it.

    Twin of ``_codec_py.decode_table``.
    """
    cdef Input inp
    cdef Py_ssize_t off
    _offset_arg(offset, 0)
    keep = _input_open(&inp, data)
    try:
        off = _offset_arg(offset, inp.size)
        table = _r_table(inp.data, &off, inp.size, 0)
        return table, off
    finally:
        _input_close(&inp)


def encode_value(value: Any) -> bytes:
    """Encode one field value, type octet included. Twin of ``_codec_py.encode_value``."""
    cdef Writer w
    writer_init(&w)
    try:
        _w_value(&w, value, 0)
        return _writer_bytes(&w)
    finally:
        writer_free(&w)


def decode_value(data: BytesLike, offset: int = 0) -> Tuple[Any, int]:
    """Decode the field value at ``offset``. Twin of ``_codec_py.decode_value``."""
    cdef Input inp
    cdef Py_ssize_t off
    _offset_arg(offset, 0)
    keep = _input_open(&inp, data)
    try:
        off = _offset_arg(offset, inp.size)
        value = _r_value(inp.data, &off, inp.size, 0)
        return value, off
    finally:
        _input_close(&inp)
