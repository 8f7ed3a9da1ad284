"""Write ``pika_fast/spec.pyi``: the type stub of the generated ``pika_fast.spec``.

``spec.py`` is generated untyped (``tools/gen_spec.py``), so a type checker would see
every method and property class as untyped: ``pika.BasicProperties(...)`` is an error
under ``mypy --strict`` and ``frame.method.queue`` is ``Any``. The stub gives them the
AMQP field types. Names, parameters and defaults are read from the imported module (so
the stub follows whatever the spec generator emits); field types come from the AMQP
JSON spec, matched to the parameters in order.

Method fields are typed by their AMQP type (``delivery_tag: int``), as received from the
broker; property fields are optional (``content_type: Optional[str]``), as they are.

Usage: ``python tools/gen_spec_stub.py path/to/amqp-rabbitmq-0.9.1.json [--out DIR]``
(``make spec-stub``).
"""
from __future__ import annotations

import argparse
import enum
import hashlib
import importlib
import inspect
import json
import pathlib
import sys
import types
from typing import Any, Dict, List, Optional

ROOT = pathlib.Path(__file__).resolve().parent.parent

# AMQP types as Python sees them once decoded (and accepts them when encoding).
_AMQP_TYPES = {
    "bit": "bool",
    "octet": "int",
    "short": "int",
    "long": "int",
    "longlong": "int",
    "timestamp": "int",
    "shortstr": "str",
    "longstr": "Union[str, bytes]",
    "table": "Dict[str, Any]",
}

# Methods the runtime classes define themselves, with their types.
_KNOWN_METHODS = {
    "encode": "    def encode(self) -> List[bytes]: ...",
    "decode": "    def decode(self, encoded: bytes, offset: int = 0) -> Self: ...",
}
_KNOWN_FUNCTIONS = {
    "has_content": "def has_content(methodNumber: int) -> bool: ...",
}


def _python_type(argument: Dict[str, Any], domains: Dict[str, str]) -> str:
    amqp_type = argument.get("type") or domains[argument["domain"]]
    return _AMQP_TYPES[amqp_type]


def _default(value: Any) -> str:
    if isinstance(value, enum.Enum):
        return "..."
    if isinstance(value, (bool, int, str, bytes, float)) or value is None:
        return repr(value)
    return "..."


def _params(init: Any, fields: List[Dict[str, Any]], domains: Dict[str, str],
            optional: bool, owner: str) -> List[str]:
    """``name: type = default`` for each parameter of ``init`` after self."""
    params = list(inspect.signature(init).parameters.values())[1:]
    if len(params) != len(fields):
        raise SystemExit(f"{owner}: {len(params)} parameters but {len(fields)} AMQP fields")
    rendered = []
    for param, field in zip(params, fields):
        ptype = _python_type(field, domains)
        if param.name == "delivery_mode":  # DeliveryMode members are accepted as well
            ptype = "Union[int, DeliveryMode]"
        if optional or param.default is None:
            ptype = f"Optional[{ptype}]"
        text = f"{param.name}: {ptype}"
        if param.default is not inspect.Parameter.empty:
            text += f" = {_default(param.default)}"
        rendered.append(text)
    return rendered


def _attributes(init: Any, fields: List[Dict[str, Any]], domains: Dict[str, str],
                optional: bool, indent: str) -> List[str]:
    params = list(inspect.signature(init).parameters.values())[1:]
    lines = []
    for param, field in zip(params, fields):
        ptype = _python_type(field, domains)
        lines.append(f"{indent}{param.name}: {f'Optional[{ptype}]' if optional else ptype}")
    return lines


def _class_constants(cls: type, indent: str) -> List[str]:
    lines = []
    for name, value in vars(cls).items():
        if name.startswith("_") or isinstance(value, (types.FunctionType, property)):
            continue
        if isinstance(value, type):
            if value.__module__ != cls.__module__ or value.__qualname__.startswith(
                    cls.__qualname__ + "."):
                continue  # nested method classes are rendered as classes
            lines.append(f"{indent}{name}: Type[{value.__name__}]")
        elif isinstance(value, bool):
            lines.append(f"{indent}{name}: bool")
        elif isinstance(value, int):
            lines.append(f"{indent}{name}: int")
        elif isinstance(value, str):
            lines.append(f"{indent}{name}: str")
    return lines


def _own_methods(cls: type, indent: str) -> List[str]:
    """``synchronous``, ``decode`` and ``encode``, whether the class defines them or
    inherits them (the stub is the same either way the spec generator places them)."""
    lines = []
    if isinstance(vars(cls).get("synchronous"), property):
        # A read-only property at runtime, declared as the attribute amqp_object.Method
        # has (a stub property could not override it).
        lines.append(f"{indent}synchronous: bool")
    for name in ("decode", "encode"):
        if callable(getattr(cls, name, None)):
            lines.append(indent + _KNOWN_METHODS[name].strip())
    return lines


def _render_method(cls: type, method_json: Dict[str, Any], domains: Dict[str, str]) -> List[str]:
    indent = "        "
    fields = method_json.get("arguments", [])
    lines = [f"    class {cls.__name__}(amqp_object.Method):"]
    lines += _class_constants(cls, indent)
    lines += _attributes(cls.__init__, fields, domains, False, indent)
    params = _params(cls.__init__, fields, domains, False, cls.__qualname__)
    lines.append(f"{indent}def __init__(self{''.join(', ' + p for p in params)}) -> None: ...")
    lines += _own_methods(cls, indent)
    return lines


def _module_level(spec: types.ModuleType, name: str, value: Any) -> Optional[str]:
    if isinstance(value, types.ModuleType):
        package, _, leaf = value.__name__.rpartition(".")
        return f"from {package} import {leaf} as {name}"
    if getattr(value, "__module__", spec.__name__) != spec.__name__ and (
            inspect.isclass(value) or inspect.isfunction(value) or inspect.isbuiltin(value)):
        return f"from {value.__module__} import {value.__name__} as {name}"
    if isinstance(value, bool):
        return f"{name}: bool"
    if isinstance(value, int):
        return f"{name}: int"
    if isinstance(value, str):
        return f"{name}: str"
    if isinstance(value, tuple):
        item = "type" if all(isinstance(v, type) for v in value) else "int"
        return f"{name}: Tuple[{item}, ...]"
    if isinstance(value, dict):
        kind = "Method" if name == "methods" else "Properties"
        return f"{name}: Dict[int, Type[amqp_object.{kind}]]"
    if inspect.isfunction(value):
        known = _KNOWN_FUNCTIONS.get(name)
        if known is None:
            raise SystemExit(f"spec.{name}: a function the stub generator does not know")
        return known
    return None


def render(spec_json: pathlib.Path) -> str:
    sys.path.insert(0, str(ROOT))
    spec = importlib.import_module("pika_fast.spec")
    model = json.loads(spec_json.read_text())
    domains = dict(model["domains"])
    by_name = {c["name"].capitalize(): c for c in model["classes"]}
    digest = hashlib.sha256(spec_json.read_bytes()).hexdigest()[:16]
    out = [
        "# GENERATED FILE -- DO NOT EDIT.",
        f"# Stub of pika_fast/spec.py, typed from {spec_json.name} (sha256 {digest}...).",
        "# Regenerate with `make spec-stub` (python tools/gen_spec_stub.py).",
        "# ruff: noqa",
        "from typing import Any, Dict, List, Optional, Tuple, Type, Union",
        "",
        "from typing_extensions import Self",
        "",
    ]
    header_done = False
    for name, value in vars(spec).items():
        if name.startswith("_") and name != "__all__":
            continue
        if inspect.isclass(value) and value.__module__ == spec.__name__:
            if not header_done:
                out.append("")
                header_done = True
            out += ["", ""] + _render_class(value, by_name, domains)
            continue
        line = _module_level(spec, name, value)
        if line is not None:
            if header_done and not out[-1].startswith(("methods", "props")):
                out.append("")
            out.append(line)
    return "\n".join(out).rstrip("\n") + "\n"


def _render_class(cls: type, by_name: Dict[str, Any], domains: Dict[str, str]) -> List[str]:
    bases = ", ".join(f"amqp_object.{b.__name__}" if b.__module__.endswith("amqp_object")
                      else b.__name__ for b in cls.__bases__)
    lines = [f"class {cls.__name__}({bases}):"]
    indent = "    "
    if cls.__name__.endswith("Properties"):
        class_json = by_name[cls.CLASS.__name__]  # type: ignore[attr-defined]
        fields = class_json.get("properties", [])
        lines += _class_constants(cls, indent)
        lines += _attributes(cls.__init__, fields, domains, True, indent)
        params = _params(cls.__init__, fields, domains, True, cls.__name__)
        lines.append(f"{indent}def __init__(self{''.join(', ' + p for p in params)}) -> None: ...")
        lines += _own_methods(cls, indent)
        return lines
    class_json = by_name[cls.__name__]
    methods = {m["name"]: m for m in class_json.get("methods", [])}
    lines += _class_constants(cls, indent)
    for value in vars(cls).values():
        if inspect.isclass(value):
            method_json = methods[_json_method_name(value, methods)]
            lines += [""] + _render_method(value, method_json, domains)
    return lines


def _json_method_name(cls: type, methods: Dict[str, Any]) -> str:
    """The JSON name of a spec method class: ``DeclareOk`` is ``declare-ok``."""
    wanted = cls.__name__.lower()
    for name in methods:
        if name.replace("-", "") == wanted:
            return name
    raise SystemExit(f"{cls.__qualname__}: no AMQP method of that name in the JSON spec")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec_json", type=pathlib.Path)
    parser.add_argument("--out", type=pathlib.Path, default=ROOT)
    args = parser.parse_args()
    target = args.out / "pika_fast" / "spec.pyi"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render(args.spec_json))
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
