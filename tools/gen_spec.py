#!/usr/bin/env python3
"""Generate pika_fast's AMQP 0-9-1 spec from RabbitMQ's machine-readable JSON.

One model, three outputs:

* ``pika_fast/spec.py`` -- the public classes and constants, named as ``pika.spec``;
* ``pika_fast/_spec_py.py`` -- per-method marshalling for the pure-Python codec;
* ``src_pyx/_spec_gen.pxi`` -- the same for the compiled codec (see ``gen_pyx.py``).

Usage::

    python tools/gen_spec.py [SPEC_JSON] [--out DIR]

``SPEC_JSON`` defaults to ``../shared/amqp/amqp-rabbitmq-0.9.1.json`` relative to the
repository root; ``--out`` writes into another tree (``make spec-check`` uses that to
compare against the committed files).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from dataclasses import dataclass, field
from typing import Any, List, Optional

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_JSON = os.path.join(REPO_ROOT, "..", "shared", "amqp", "amqp-rabbitmq-0.9.1.json")

# pika keeps a few constants that the JSON does not carry; keep them for drop-in use.
EXTRA_CONSTANTS = {
    "FRAME_END_SIZE": 1,
    "FRAME_HEADER_SIZE": 7,
    "FRAME_MAX_SIZE": 131072,
    "PERSISTENT_DELIVERY_MODE": 2,
    "TRANSIENT_DELIVERY_MODE": 1,
}

# Argument names that clash with Python keywords, as pika spells them.
RENAMED_ARGUMENTS = {"global": "global_qos"}

# pika makes these arguments required (no default); keep its signatures.
REQUIRED_ARGUMENTS = {("connection", "update-secret"): {"new_secret", "reason"}}

# Default values pika gives that differ from the JSON's.
DEFAULT_OVERRIDES = {("exchange", "declare", "type"): "ExchangeType.direct"}


@dataclass
class Field:
    name: str  # Python attribute name
    wire: str  # octet short long longlong shortstr longstr bit table timestamp
    default: str = "None"  # Python source of the default value
    required: bool = False


@dataclass
class MethodModel:
    class_name: str
    class_id: int
    name: str  # CamelCase, e.g. "DeclareOk"
    method_id: int
    synchronous: bool
    content: bool
    fields: List[Field] = field(default_factory=list)

    @property
    def index(self) -> int:
        return (self.class_id << 16) | self.method_id

    @property
    def full_name(self) -> str:
        return f"{self.class_name}.{self.name}"

    @property
    def func_suffix(self) -> str:
        return f"{self.class_name.lower()}_{snake(self.name)}"


@dataclass
class ClassModel:
    name: str
    class_id: int
    methods: List[MethodModel] = field(default_factory=list)
    properties: List[Field] = field(default_factory=list)


@dataclass
class SpecModel:
    source_name: str
    source_sha256: str
    version: tuple
    port: int
    constants: dict
    classes: List[ClassModel]

    @property
    def methods(self) -> List[MethodModel]:
        return [m for c in self.classes for m in c.methods]

    @property
    def basic_properties(self) -> List[Field]:
        return next(c.properties for c in self.classes if c.properties)


def camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))


def snake(camel_name: str) -> str:
    out = []
    for i, ch in enumerate(camel_name):
        if ch.isupper() and i:
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def py_default(value: Any) -> str:
    if isinstance(value, dict):
        return "None"  # pika never uses a mutable default; an absent table encodes as {}
    return repr(value)


def load_model(path: str) -> SpecModel:
    with open(path, "rb") as handle:
        raw = handle.read()
    spec = json.loads(raw)
    domains = dict((d[0], d[1]) for d in spec["domains"])
    constants = {c["name"].replace("-", "_"): c["value"] for c in spec["constants"]}
    constants.update(EXTRA_CONSTANTS)
    classes = []
    for cls in spec["classes"]:
        class_model = ClassModel(camel(cls["name"]), cls["id"])
        for method in cls["methods"]:
            required = REQUIRED_ARGUMENTS.get((cls["name"], method["name"]), set())
            fields = []
            for arg in method["arguments"]:
                wire = arg.get("type") or domains[arg["domain"]]
                py_name = RENAMED_ARGUMENTS.get(arg["name"], arg["name"].replace("-", "_"))
                override = DEFAULT_OVERRIDES.get((cls["name"], method["name"], arg["name"]))
                if override is not None:
                    default = override
                elif "default-value" in arg:
                    default = py_default(arg["default-value"])
                else:
                    default = "None"
                fields.append(Field(py_name, wire, default, py_name in required))
            class_model.methods.append(
                MethodModel(
                    class_model.name,
                    cls["id"],
                    camel(method["name"]),
                    method["id"],
                    bool(method.get("synchronous")),
                    bool(method.get("content")),
                    fields,
                )
            )
        for prop in cls.get("properties", []):
            class_model.properties.append(Field(prop["name"].replace("-", "_"), prop["type"]))
        classes.append(class_model)
    return SpecModel(
        os.path.basename(path),
        hashlib.sha256(raw).hexdigest(),
        (spec["major-version"], spec["minor-version"], spec["revision"]),
        spec["port"],
        constants,
        classes,
    )


def header(model: SpecModel, comment: str) -> str:
    return (
        f"{comment} GENERATED FILE -- DO NOT EDIT.\n"
        f"{comment} Source: {model.source_name} (sha256 {model.source_sha256[:16]}...)\n"
        f"{comment} Regenerate with `make spec` (python tools/gen_spec.py).\n"
    )


# --------------------------------------------------------------------------- spec.py


def render_spec(model: SpecModel) -> str:
    out: List[str] = []
    w = out.append
    w(header(model, "#"))
    w('"""AMQP 0-9-1 classes, methods, content properties and constants, as in ``pika.spec``.\n\n'
      "Data only: ``encode``/``decode`` are inherited from :mod:`pika_fast.amqp_object`,\n"
      "whose base classes call the codec the seam (:mod:`pika_fast._codec`) binds.\n"
      'This module does not import the codec; the codec imports it.\n"""\n')
    w("# ruff: noqa\n# mypy: ignore-errors\n")
    w("from pika_fast import amqp_object")
    w("from pika_fast.compat import as_bytes, str_or_bytes  # pika.spec re-exports these")
    w("from pika_fast.delivery_mode import DeliveryMode")
    w("from pika_fast.exchange_type import ExchangeType\n")
    w(f"PROTOCOL_VERSION = {model.version!r}")
    w(f"PORT = {model.port}\n")
    for name in sorted(model.constants):
        w(f"{name} = {model.constants[name]}")
    w("\n")
    for cls in model.classes:
        w(f"class {cls.name}(amqp_object.Class):\n")
        w(f"    INDEX = 0x{cls.class_id:04X}  # {cls.class_id}")
        w(f"    NAME = {cls.name!r}\n")
        for m in cls.methods:
            w(f"    class {m.name}(amqp_object.Method):\n")
            w(f"        INDEX = 0x{m.index:08X}  # {m.class_id}, {m.method_id}; {m.index}")
            w(f"        NAME = {m.full_name!r}\n")
            args = ", ".join(
                f.name if f.required else f"{f.name}={f.default}" for f in m.fields
            )
            w(f"        def __init__(self{', ' if args else ''}{args}):")
            if not m.fields:
                w("            pass")
            for f in m.fields:
                w(f"            self.{f.name} = {f.name}")
            w("")
            w("        @property")
            w("        def synchronous(self):")
            w(f"            return {m.synchronous}\n")
        w("")
    props = model.basic_properties
    w("class BasicProperties(amqp_object.Properties):\n")
    w("    CLASS = Basic")
    w("    INDEX = 0x003C  # 60")
    w("    NAME = 'BasicProperties'\n")
    for bit, prop in enumerate(props):
        w(f"    FLAG_{prop.name.upper()} = (1 << {15 - bit})")
    w("")
    args = ", ".join(f"{p.name}=None" for p in props)
    w(f"    def __init__(self, {args}):")
    for p in props:
        if p.name == "delivery_mode":
            w("        if isinstance(delivery_mode, DeliveryMode):")
            w("            delivery_mode = delivery_mode.value")
        w(f"        self.{p.name} = {p.name}")
    w("\n")
    w("methods = {")
    for m in model.methods:
        w(f"    0x{m.index:08X}: {m.full_name},")
    w("}\n")
    w("props = {\n    0x003C: BasicProperties\n}\n\n")
    w("def has_content(methodNumber):")
    content = ", ".join(f"{m.full_name}.INDEX" for m in model.methods if m.content)
    w(f"    return methodNumber in ({content})")
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------- _spec_py.py

# How the pure codec writes each wire type: (struct code, converter) or a helper.
_PY_NUMERIC = {"octet": "B", "short": "H", "long": "I", "longlong": "Q", "timestamp": "Q"}


def _py_encoder(m: MethodModel) -> List[str]:
    """Pure-Python encoder: numeric runs packed by one Struct, strings as helpers."""
    lines = [f"    def enc_{m.func_suffix}(m):"]
    parts: List[str] = []  # expressions whose bytes are concatenated
    fmt = ""
    fmt_args: List[str] = []
    struct_ids: List[str] = []
    bits: List[Field] = []

    def flush_struct() -> None:
        nonlocal fmt, fmt_args
        if fmt:
            struct_ids.append(fmt)
            parts.append(f"_struct_{len(struct_ids)}({', '.join(fmt_args)})")
            fmt, fmt_args = "", []

    def flush_bits() -> None:
        nonlocal fmt
        if bits:
            expr = " | ".join(
                f"({1 << i} if m.{b.name} else 0)" for i, b in enumerate(bits)
            )
            fmt += "B"
            fmt_args.append(expr)
            bits.clear()

    for f in m.fields:
        if f.wire == "bit":
            bits.append(f)
            assert len(bits) <= 8, "more than 8 adjacent bits: pack into further octets"
            continue
        flush_bits()
        if f.wire in _PY_NUMERIC:
            fmt += _PY_NUMERIC[f.wire]
            fmt_args.append(f"P.check_int(m.{f.name}, {f.wire!r}, {f.name!r})")
        else:
            flush_struct()
            helper = {"shortstr": "w_shortstr", "longstr": "w_longstr", "table": "w_table"}[f.wire]
            parts.append(f"P.{helper}(m.{f.name}, {f.name!r})")
    flush_bits()
    flush_struct()
    for i, f in enumerate(struct_ids, 1):
        lines.insert(0, f"    _struct_{i} = Struct('>{f}').pack")
    if not parts:
        lines.append("        return b''")
    elif len(parts) == 1:
        lines.append(f"        return {parts[0]}")
    else:
        lines.append(f"        return b''.join(({', '.join(parts)},))")
    # Make struct names unique per method.
    return [line.replace("_struct_", f"_s_{m.func_suffix}_") for line in lines]


def _py_decoder(m: MethodModel) -> List[str]:
    lines = [f"    def dec_{m.func_suffix}(m, buf, off, end):"]
    bit_index = 0
    for f in m.fields:
        if f.wire == "bit":
            if bit_index == 0:
                lines.append("        bits = P.r_bits(buf, off, end)")
                lines.append("        off += 1")
            lines.append(f"        m.{f.name} = (bits & {1 << bit_index}) != 0")
            bit_index = (bit_index + 1) % 8
            continue
        bit_index = 0
        lines.append(f"        m.{f.name}, off = P.r_{f.wire}(buf, off, end)")
    lines.append("        return off")
    return lines


def _py_properties(model: SpecModel) -> List[str]:
    props = model.basic_properties
    enc = ["    _flags_pack = Struct('>H').pack", "", "    def enc_properties(p):",
           "        flags = 0", "        parts = [None]"]
    dec = ["    def dec_properties(p, buf, off, end):",
           "        flags, off = P.r_short(buf, off, end)",
           "        more = flags",
           "        while more & 1:  # continuation words carry no properties we know",
           "            more, off = P.r_short(buf, off, end)"]
    for bit, f in enumerate(props):
        flag = 1 << (15 - bit)
        if f.wire == "octet":
            writer = f"P.w_octet(v, {f.name!r})"
        else:
            writer = f"P.w_{f.wire}(v, {f.name!r})"
        enc += [f"        v = p.{f.name}", "        if v is not None:",
                f"            flags |= {flag}", f"            parts.append({writer})"]
        dec += [f"        if flags & {flag}:",
                f"            p.{f.name}, off = P.r_{f.wire}(buf, off, end)",
                "        else:", f"            p.{f.name} = None"]
    enc += ["        parts[0] = _flags_pack(flags)", "        return b''.join(parts)"]
    dec += ["        return off"]
    return enc + [""] + dec


def render_spec_py(model: SpecModel) -> str:
    out: List[str] = []
    w = out.append
    w(header(model, "#"))
    w('"""Per-method marshalling for the pure-Python codec (``_codec_py``).\n\n'
      "Twin of ``src_pyx/_spec_gen.pxi``.\n\"\"\"\n")
    w("# ruff: noqa\n# mypy: ignore-errors\n")
    w("from struct import Struct\n\n")
    w("def build(P):")
    w('    """Return method encoders and decoders by INDEX, then the BasicProperties pair,\n'
      '    all bound to the primitives in P."""\n')
    for m in model.methods:
        out.extend(_py_encoder(m))
        w("")
        out.extend(_py_decoder(m))
        w("")
    out.extend(_py_properties(model))
    w("")
    w("    encoders = {")
    for m in model.methods:
        w(f"        {m.index}: enc_{m.func_suffix},")
    w("    }")
    w("    decoders = {")
    for m in model.methods:
        w(f"        {m.index}: dec_{m.func_suffix},")
    w("    }")
    w("    return encoders, decoders, enc_properties, dec_properties")
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------------------ main


def outputs(model: SpecModel) -> dict:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import gen_pyx  # noqa: E402  (sibling module; the compiled twin's half)

    return {
        os.path.join("pika_fast", "spec.py"): render_spec(model),
        os.path.join("pika_fast", "_spec_py.py"): render_spec_py(model),
        os.path.join("src_pyx", "_spec_gen.pxi"): gen_pyx.render_pxi(model, header(model, "#")),
    }


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec_json", nargs="?", default=DEFAULT_JSON)
    parser.add_argument("--out", default=REPO_ROOT, help="tree to write into")
    args = parser.parse_args(argv)
    if not os.path.exists(args.spec_json):
        print(
            f"gen_spec: {args.spec_json} not found. The AMQP JSON lives in ../shared/amqp/ "
            "beside the repository; without it the committed spec cannot be regenerated.",
            file=sys.stderr,
        )
        return 2
    model = load_model(args.spec_json)
    for rel, text in outputs(model).items():
        path = os.path.join(args.out, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
