"""Compare pika 1.4.4's public surface with pika_fast's, module by module.

``pika_modules()`` walks the installed pika package with :mod:`pkgutil`;
``compare_module()`` lists every way the pika_fast module of the same path falls short:
a missing module or name, a class member that is absent or of another kind, a callable
whose parameters differ in name, kind, order or default, a constant with another value,
a class that no longer derives from the same pika classes.

Each problem is keyed ``"<pika module>:<qualified name>"`` so that a list of accepted
differences can name a whole class (``"pika.connection:Connection"``) or one member
(``"pika.connection:Connection.bytes_received"``).
"""
from __future__ import annotations

import dataclasses
import enum
import importlib
import inspect
import pkgutil
import sys
import types
import typing
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pika

FAST_PACKAGE = "pika_fast"

# Dunder members compared when a pika class defines them itself.
_COMPARED_DUNDERS = frozenset({
    "__init__", "__call__", "__enter__", "__exit__", "__iter__", "__next__", "__len__",
    "__getitem__", "__contains__", "__bool__", "__eq__", "__ne__", "__repr__", "__str__",
})
_SIGNATURE_DUNDERS = frozenset({"__init__", "__call__", "__enter__", "__exit__"})
_SIMPLE_TYPES = (int, float, str, bytes, bool, type(None))
_STDLIB = frozenset(getattr(sys, "stdlib_module_names", ())) | {"builtins"}


@dataclasses.dataclass(frozen=True)
class Problem:
    key: str      # "<pika module>:<qualified name>"
    detail: str

    def __str__(self) -> str:
        return f"{self.key}: {self.detail}"


def fast_name_of(pika_module_name: str) -> str:
    """``pika.adapters.x`` -> ``pika_fast.adapters.x``."""
    return FAST_PACKAGE + pika_module_name[len("pika"):]


def pika_modules() -> List[str]:
    """Every module of the installed pika package, the package itself first."""
    names = ["pika"]
    for info in pkgutil.walk_packages(pika.__path__, "pika."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return sorted(names)


def _is_pika_defined(obj: Any) -> bool:
    module = getattr(obj, "__module__", None) or ""
    return module == "pika" or module.startswith("pika.")


def _is_incidental_import(name: str, value: Any) -> bool:
    """A name pika imported for its own use, not API: typing constructs, and objects
    from the standard library imported under their own name (``deque``, ``Enum``)."""
    if name == "TYPE_CHECKING":
        return True
    module = getattr(value, "__module__", None)
    if module == "typing" or isinstance(value, (typing.TypeVar,)):
        return True
    if type(value).__module__ == "typing":  # Union[...] aliases and the like
        return True
    if module and module.split(".")[0] in _STDLIB and getattr(value, "__name__", None) == name:
        return True
    return False


def public_names(module: types.ModuleType) -> Dict[str, Any]:
    """The module's public names (no submodules, no incidental imports)."""
    found = {}
    for name, value in vars(module).items():
        if name.startswith("_") or isinstance(value, types.ModuleType):
            continue
        if _is_incidental_import(name, value):
            continue
        found[name] = value
    return found


def submodule_attributes(module: types.ModuleType) -> List[str]:
    """Submodules reachable as attributes of a package once it is imported (``pika.spec``)."""
    return sorted(name for name, value in vars(module).items()
                  if isinstance(value, types.ModuleType) and not name.startswith("_")
                  and getattr(value, "__name__", "").startswith(module.__name__ + "."))


def _default_repr(default: Any) -> Any:
    """A comparable stand-in for a default: simple values as themselves, enum members by
    name, pika's and our sentinel objects by their class name."""
    if default is inspect.Parameter.empty:
        return "<no default>"
    if isinstance(default, enum.Enum):
        return (type(default).__name__, default.name)
    if isinstance(default, _SIMPLE_TYPES):
        return (type(default).__name__, default)
    if isinstance(default, (tuple, frozenset)) and all(isinstance(v, _SIMPLE_TYPES) for v in default):
        return (type(default).__name__, tuple(sorted(default, key=repr)) if isinstance(default, frozenset) else default)
    if isinstance(default, type):
        return ("class", default.__name__)
    return ("object of class", type(default).__name__)


def signature_of(func: Any) -> Optional[List[Tuple[str, str, Any]]]:
    """[(name, kind, default)] for each parameter, or None when Python cannot tell."""
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):
        return None
    return [(p.name, p.kind.name, _default_repr(p.default)) for p in sig.parameters.values()]


def _compare_signatures(key: str, theirs: Any, ours: Any, problems: List[Problem]) -> None:
    their_sig, our_sig = signature_of(theirs), signature_of(ours)
    if their_sig is None or our_sig is None or their_sig == our_sig:
        return
    problems.append(Problem(key, f"parameters differ: pika {_render(their_sig)} "
                                 f"vs pika_fast {_render(our_sig)}"))


def _render(sig: List[Tuple[str, str, Any]]) -> str:
    parts = []
    for name, kind, default in sig:
        prefix = {"VAR_POSITIONAL": "*", "VAR_KEYWORD": "**"}.get(kind, "")
        text = prefix + name
        if kind == "KEYWORD_ONLY":
            text = "kw:" + text
        if kind == "POSITIONAL_ONLY":
            text = "pos:" + text
        if default != "<no default>":
            text += "=" + repr(default[-1] if isinstance(default, tuple) else default)
        parts.append(text)
    return "(" + ", ".join(parts) + ")"


def _member_kind(owner: type, name: str) -> Tuple[str, Any]:
    """('property'|'staticmethod'|'classmethod'|'function'|'class'|'value'|'absent', raw)."""
    for klass in owner.__mro__:
        if name in vars(klass):
            raw = vars(klass)[name]
            break
    else:
        return "absent", None
    if isinstance(raw, property) or inspect.isdatadescriptor(raw) and not isinstance(raw, type):
        return "property", raw
    if isinstance(raw, staticmethod):
        return "staticmethod", raw.__func__
    if isinstance(raw, classmethod):
        return "classmethod", raw.__func__
    if isinstance(raw, type):
        return "class", raw
    if callable(raw):
        return "function", raw
    return "value", raw


def _defining_class(owner: type, name: str) -> Optional[type]:
    for klass in owner.__mro__:
        if name in vars(klass):
            return klass
    return None


def _class_member_names(klass: type) -> List[str]:
    """Public members pika's class (or a pika base of it) defines, plus compared dunders."""
    names = set()
    for base in klass.__mro__:
        if not _is_pika_defined(base):
            continue
        for name in vars(base):
            if not name.startswith("_") or name in _COMPARED_DUNDERS:
                names.add(name)
    return sorted(names)


def _compare_class(key: str, theirs: type, ours: Any, problems: List[Problem],
                   fast_module_name: str, depth: int = 0) -> None:
    if not isinstance(ours, type):
        problems.append(Problem(key, f"pika has a class, pika_fast has {type(ours).__name__}"))
        return
    # The same pika ancestry: code isinstance-checks against these.
    our_ancestors = {(c.__module__.replace(FAST_PACKAGE, "pika", 1), c.__qualname__)
                     for c in ours.__mro__}
    for base in theirs.__mro__[1:]:
        if _is_pika_defined(base) and (base.__module__, base.__qualname__) not in our_ancestors:
            # A base re-homed to another module still counts if the qualname matches.
            if not any(qual == base.__qualname__ for _, qual in our_ancestors):
                problems.append(Problem(key, f"does not derive from {base.__module__}."
                                             f"{base.__qualname__}"))
    for name in _class_member_names(theirs):
        member_key = f"{key}.{name}"
        their_kind, their_raw = _member_kind(theirs, name)
        if name in _COMPARED_DUNDERS and not _is_pika_defined(_defining_class(theirs, name)):
            continue
        our_kind, our_raw = _member_kind(ours, name)
        if our_kind == "absent":
            problems.append(Problem(member_key, f"missing ({their_kind})"))
            continue
        if their_kind == "class":
            if depth < 3 and _is_pika_defined(their_raw):
                _compare_class(member_key, their_raw, our_raw, problems, fast_module_name,
                               depth + 1)
            continue
        callable_kinds = {"function", "staticmethod", "classmethod"}
        if their_kind in callable_kinds:
            if our_kind not in callable_kinds:
                problems.append(Problem(member_key, f"pika has a {their_kind}, pika_fast a {our_kind}"))
                continue
            if their_kind != our_kind and {their_kind, our_kind} != {"function"}:
                problems.append(Problem(member_key, f"pika has a {their_kind}, pika_fast a {our_kind}"))
            if name.startswith("__") and name not in _SIGNATURE_DUNDERS:
                continue
            _compare_signatures(member_key, their_raw, our_raw, problems)
        elif their_kind == "property":
            if our_kind not in ("property", "value"):
                problems.append(Problem(member_key, f"pika has a property, pika_fast a {our_kind}"))
        elif their_kind == "value" and isinstance(their_raw, _SIMPLE_TYPES + (tuple, frozenset)):
            if our_kind != "value" or our_raw != their_raw:
                problems.append(Problem(member_key, f"pika's value {their_raw!r}, "
                                                    f"pika_fast's {our_raw!r}"))


def _compare_value(key: str, theirs: Any, ours: Any, problems: List[Problem],
                   fast_module_name: str) -> None:
    if isinstance(theirs, type):
        if _is_pika_defined(theirs) or issubclass(theirs, BaseException):
            _compare_class(key, theirs, ours, problems, fast_module_name)
        elif not isinstance(ours, type):
            problems.append(Problem(key, "pika has a class here, pika_fast does not"))
        return
    if callable(theirs) and not isinstance(theirs, _SIMPLE_TYPES):
        if not callable(ours):
            problems.append(Problem(key, "pika has a callable, pika_fast does not"))
            return
        _compare_signatures(key, theirs, ours, problems)
        return
    if isinstance(theirs, _SIMPLE_TYPES + (tuple, frozenset)):
        if type(ours) is not type(theirs) or ours != theirs:
            problems.append(Problem(key, f"pika's value {theirs!r}, pika_fast's {ours!r}"))
        return
    if type(theirs).__name__ != type(ours).__name__:
        problems.append(Problem(key, f"pika's is a {type(theirs).__name__}, pika_fast's a "
                                     f"{type(ours).__name__}"))


def compare_module(pika_module_name: str) -> List[Problem]:
    """Everything the pika_fast twin of ``pika_module_name`` lacks or does differently."""
    try:
        theirs = importlib.import_module(pika_module_name)
    except ImportError as exc:
        # pika's Tornado/Twisted/gevent adapters import their framework at the top.
        return [Problem(f"{pika_module_name}:", f"pika's module cannot be imported here ({exc}),"
                                                " so its surface cannot be compared")]
    fast_module_name = fast_name_of(pika_module_name)
    try:
        ours = importlib.import_module(fast_module_name)
    except ImportError as exc:
        return [Problem(f"{pika_module_name}:", f"module {fast_module_name} missing ({exc})")]
    return compare_module_objects(pika_module_name, theirs, ours)


def compare_module_objects(pika_module_name: str, theirs: types.ModuleType,
                           ours: types.ModuleType) -> List[Problem]:
    """The problems of ``ours`` measured against ``theirs`` (both already imported)."""
    problems: List[Problem] = []
    fast_module_name = ours.__name__
    for name in submodule_attributes(theirs):
        if not isinstance(getattr(ours, name, None), types.ModuleType):
            problems.append(Problem(f"{pika_module_name}:{name}",
                                    "submodule not reachable as an attribute after import"))
    for name, value in sorted(public_names(theirs).items()):
        key = f"{pika_module_name}:{name}"
        if not hasattr(ours, name):
            problems.append(Problem(key, "missing"))
            continue
        _compare_value(key, value, getattr(ours, name), problems, fast_module_name)
    return problems


def is_covered(key: str, accepted: Dict[str, str]) -> Optional[str]:
    """The accepted entry covering ``key``: itself, or an enclosing module/class entry."""
    module, _, qualname = key.partition(":")
    if key in accepted:
        return key
    if f"{module}:" in accepted:
        return f"{module}:"
    parts = qualname.split(".")
    for end in range(len(parts) - 1, 0, -1):
        candidate = f"{module}:{'.'.join(parts[:end])}"
        if candidate in accepted:
            return candidate
    return None


def iter_problems(modules: List[str]) -> Iterator[Problem]:
    for name in modules:
        yield from compare_module(name)
