"""Cython half of the spec generator: writes src_pyx/_spec_gen.pxi.

The generated file is included by ``src_pyx/_codec_c.pyx`` after the hand-written
primitives (``_buffers.pxi``, ``_tables.pxi``) and is the compiled twin of
``pika_fast/_spec_py.py``. Each method gets a dense *code* (its position in the spec);
C switches map a wire INDEX to a code and a code to its encoder and decoder.

Contract with the hand-written parts (names they must define before the include):

* ``Writer`` and the ``_w_<wire>(Writer*, value, name)`` writers, which check values
  exactly like the pure twin's ``check_int`` / ``w_shortstr`` / ``w_longstr`` / ``w_table``;
* ``_truth`` for bits;
* ``_r_<wire>(buf, &off, end)`` readers (bounds-checked), ``_r_bits`` and ``_r_u16``;
* ``_field`` (method arguments, fetched by the caller ``_encoder_code`` before the
  encoder runs) and ``_attribute`` (properties off the fast path): attribute loading
  with the instance-dict fast path for exact spec classes;
* ``_METHOD_CLASSES`` and ``_METHOD_TEMPLATES`` (filled after the include), and
  ``_PROPERTIES_CLASS`` / ``_PROPERTIES_TEMPLATE``; ``_learn`` to change a template
  value (the ``_known`` arrays start as None, like the templates, see ``_init_known``).
"""
from __future__ import annotations

from typing import List

# Wire types written by a checked-int writer, with the writer's name.
_WRITERS = {
    "octet": "_w_octet",
    "short": "_w_short",
    "long": "_w_long",
    "longlong": "_w_longlong",
    "timestamp": "_w_timestamp",
    "shortstr": "_w_shortstr",
    "longstr": "_w_longstr",
    "table": "_w_table_arg",
}

_READERS = {
    "octet": "_r_octet",
    "short": "_r_short",
    "long": "_r_long",
    "longlong": "_r_longlong",
    "timestamp": "_r_longlong",  # the twin's r_timestamp is r_longlong: an int
    "shortstr": "_r_shortstr",
    "longstr": "_r_longstr",
    "table": "_r_table_arg",
}


def _encoder(m, code: int) -> List[str]:
    """Arguments in wire order; ``f`` holds them as fetched by ``_encoder_code``."""
    out = [f"cdef int _enc_{m.func_suffix}(Writer *w, object m, PyObject **f) except -1:"]
    if any(f.wire == "bit" for f in m.fields):
        out.append("    cdef uint8_t bits = 0")
    bit_index = 0
    n = len(m.fields)
    for i, f in enumerate(m.fields):
        value = f"_field(m, f, {i}, {f.name!r})"
        if f.wire == "bit":
            out.append(f"    if _truth({value}):")
            out.append(f"        bits |= {1 << bit_index}")
            bit_index += 1
            if i + 1 == n or m.fields[i + 1].wire != "bit" or bit_index == 8:
                out.append("    writer_u8(w, bits)")
                out.append("    bits = 0")
                bit_index = 0
            continue
        bit_index = 0
        out.append(f"    {_WRITERS[f.wire]}(w, {value}, {f.name!r})")
    out += ["    return 0", ""]
    return out


# Immutable values that tend to repeat from one message to the next are "learned": the
# template a decoder copies keeps the last one, so an identical value (the text cache
# hands back the same str object) needs no dict store. Values that change every time
# gain nothing from this, and tables are mutable: those are always stored fresh.
_LEARNED_WIRES = {"octet", "shortstr", "bit"}  # small ints are shared objects
_NOT_LEARNED = {"message_id", "correlation_id"}


def _learned(f) -> bool:
    return f.wire in _LEARNED_WIRES and f.name not in _NOT_LEARNED


def _decoder(m, code: int, slot: int) -> List[str]:
    out = [f"cdef dict _dec_{m.func_suffix}(const unsigned char *buf, Py_ssize_t off, "
           f"Py_ssize_t end):"]
    if not m.fields:
        out += ["    return {}", ""]
        return out
    out.append(f"    cdef dict template = <dict>PyTuple_GET_ITEM(_METHOD_TEMPLATES, {code})")
    out.append("    cdef dict d = PyDict_Copy(template)")
    if any(_learned(f) for f in m.fields):
        out.append(f"    cdef PyObject **known = _known + {slot}")
        out.append("    cdef object v")
    if any(f.wire == "bit" for f in m.fields):
        out.append("    cdef uint8_t bits = 0")
    bit_index = 0
    for i, f in enumerate(m.fields):
        if f.wire == "bit":
            if bit_index == 0:
                out.append("    bits = _r_bits(buf, &off, end)")
            value = f"True if bits & {1 << bit_index} else False"
            bit_index = (bit_index + 1) % 8
        else:
            bit_index = 0
            value = f"{_READERS[f.wire]}(buf, &off, end)"
        if _learned(f):
            out += [f"    v = {value}",
                    f"    if <PyObject *>v != known[{i}]:",
                    f"        _learn(d, template, known + {i}, {f.name!r}, v)"]
        else:
            out.append(f"    d[{f.name!r}] = {value}")
    out += ["    return d", ""]
    return out


def _properties(props) -> List[str]:
    n = len(props)
    enc = [
        "cdef int _enc_property(Writer *w, Py_ssize_t i, object v) except -1:",
        "    \"\"\"Write property number ``i`` (declaration order), known not to be None.\"\"\"",
    ]
    for bit, f in enumerate(props):
        enc += [f"    {'if' if bit == 0 else 'elif'} i == {bit}:",
                f"        return {_WRITERS[f.wire]}(w, v, {f.name!r})"]
    enc += [
        "    return 0",
        "",
        "",
        "cdef int _enc_properties(Writer *w, object p, bint *clean) except -1:",
        "    \"\"\"Twin of the pure codec's enc_properties: flags, then the set values, read",
        "    in declaration order.",
        "",
        "    An exact BasicProperties is read by walking its instance dict once, encoding as",
        "    it goes; ``clean`` then tells the caller the dict holds just the fourteen",
        "    properties, so INDEX is the class's. Anything else is read with getattr.\"\"\"",
        "    cdef object d = None",
        "    cdef PyObject *key",
        "    cdef PyObject *value",
        "    cdef Py_ssize_t pos = 0",
        "    cdef Py_ssize_t i = 0",
        "    cdef unsigned int flags = 0",
        "    cdef Py_ssize_t at = w.length",
        "    writer_reserve(w, 2)",
        "    clean[0] = False",
        "    if <PyObject *>Py_TYPE(p) == <PyObject *>_PROPERTIES_CLASS:",
        "        d = PyObject_GenericGetDict(p, NULL)",
        f"        while i < {n} and PyDict_Next(d, &pos, &key, &value):",
        "            if key != PyTuple_GET_ITEM(_PROPERTY_FIELDS, i):",
        "                break",
        "            if value != <PyObject *>None:",
        "                flags |= 0x8000u >> i",
        "                _enc_property(w, i, <object>value)  # a new reference while in use",
        "            i += 1",
        f"        clean[0] = i == {n} and PyDict_GET_SIZE(d) == {n}",
        f"    while i < {n}:",
        "        v = _attribute(p, d, <object>PyTuple_GET_ITEM(_PROPERTY_FIELDS, i))",
        "        if v is not None:",
        "            flags |= 0x8000u >> i",
        "            _enc_property(w, i, v)",
        "        i += 1",
        "    pf_store16(w.data + at, <uint16_t>flags)",
        "    return 0",
        "",
    ]
    dec = [
        "cdef dict _dec_properties(const unsigned char *buf, Py_ssize_t off, Py_ssize_t end):",
        "    \"\"\"All fourteen properties as a dict in declaration order, unset ones None.\"\"\"",
        "    cdef unsigned int flags = _r_u16(buf, &off, end, 'short')",
        "    cdef unsigned int more = flags",
        "    cdef PyObject **known = _known_properties",
        "    cdef object v",
        "    while more & 1:  # continuation words carry no properties we know",
        "        more = _r_u16(buf, &off, end, 'short')",
        "    cdef dict d = PyDict_Copy(_PROPERTIES_TEMPLATE)",
    ]
    for bit, f in enumerate(props):
        flag = 1 << (15 - bit)
        if _learned(f):
            dec += [f"    v = {_READERS[f.wire]}(buf, &off, end) if flags & {flag} else None",
                    f"    if <PyObject *>v != known[{bit}]:",
                    f"        _learn(d, _PROPERTIES_TEMPLATE, known + {bit}, {f.name!r}, v)"]
        else:
            dec += [f"    if flags & {flag}:",
                    f"        d[{f.name!r}] = {_READERS[f.wire]}(buf, &off, end)"]
    dec += ["    return d", ""]
    return enc + [""] + dec


def render_pxi(model, header: str) -> str:
    methods = model.methods
    props = model.basic_properties
    out: List[str] = [header.rstrip("\n")]
    w = out.append
    w("# Per-method marshalling for the compiled codec, included by src_pyx/_codec_c.pyx.")
    w("# Twin of pika_fast/_spec_py.py; see tools/gen_pyx.py for the names it relies on.")
    w("")
    most = max(len(m.fields) for m in methods)
    w(f"cdef enum:\n    N_METHODS = {len(methods)}\n    N_PROPERTIES = {len(props)}\n"
      f"    MAX_METHOD_FIELDS = {most}\n"
      f"    N_METHOD_FIELDS = {sum(len(m.fields) for m in methods)}\n")
    w("# The value each decoder's template holds for a field, by method and position:")
    w("# borrowed from the template, which is private and only changed by _learn.")
    w("cdef PyObject *_known[N_METHOD_FIELDS]")
    w("cdef PyObject *_known_properties[N_PROPERTIES]")
    w("")
    w("# By method code: wire INDEX, and argument names in wire order.")
    w("cdef tuple _METHOD_INDEXES = (")
    for m in methods:
        w(f"    0x{m.index:08X},  # {m.full_name}")
    w(")")
    w("cdef tuple _METHOD_FIELDS = (")
    for m in methods:
        names = "".join(f"{f.name!r}, " for f in m.fields)
        w(f"    ({names}),")
    w(")")
    names = "".join(f"{p.name!r}, " for p in props)
    w(f"cdef tuple _PROPERTY_FIELDS = ({names})")
    w("")
    w("")
    w("cdef int _method_code(uint32_t index) noexcept nogil:")
    w("    \"\"\"The dense code of a method INDEX, or -1 when the spec has no such method.\"\"\"")
    for code, m in enumerate(methods):
        w(f"    {'if' if code == 0 else 'elif'} index == 0x{m.index:08X}:")
        w(f"        return {code}")
    w("    return -1")
    w("")
    w("")
    content = " or ".join(f"code == {c}" for c, m in enumerate(methods) if m.content)
    w("cdef bint _method_has_content(int code) noexcept nogil:")
    w(f"    return {content}")
    w("")
    w("")
    slot = 0
    for code, m in enumerate(methods):
        w(f"# {m.full_name}")
        out.extend(_encoder(m, code))
        out.extend(_decoder(m, code, slot))
        slot += len(m.fields)
        w("")
    w("cdef int _enc_method_args(Writer *w, int code, object m, PyObject **f) except -1:")
    w("    \"\"\"Encode the arguments of ``m``; ``_encoder_code`` fetched them into f.\"\"\"")
    for code, m in enumerate(methods):
        w(f"    {'if' if code == 0 else 'elif'} code == {code}:")
        w(f"        return _enc_{m.func_suffix}(w, m, f)")
    w("    raise AssertionError(code)")
    w("")
    w("")
    w("cdef dict _dec_method_args(int code, const unsigned char *buf, Py_ssize_t off, "
      "Py_ssize_t end):")
    for code, m in enumerate(methods):
        w(f"    {'if' if code == 0 else 'elif'} code == {code}:")
        w(f"        return _dec_{m.func_suffix}(buf, off, end)")
    w("    raise AssertionError(code)")
    w("")
    w("")
    out.extend(_properties(props))
    return "\n".join(out) + "\n"
