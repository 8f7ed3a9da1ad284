"""pika_fast's module-level import graph: no cycles in the model, codec and core layers,
the model never reaches the codec, and every module imports on its own.

The graph is read statically with ``ast`` from every module under ``pika_fast/`` (and,
for the compiled twin, the Python-level imports of ``src_pyx/_codec_c.pyx`` and the
``.pxi`` parts it includes). An edge is an ``import``/``from ... import`` executed at
import time: at module top level, inside top-level ``if``/``try``/``with`` blocks and
class bodies, but not in function bodies and not under ``if TYPE_CHECKING``.
``from pika_fast import x`` is an edge to the submodule ``pika_fast.x`` when there is
one, else to the package ``pika_fast`` itself (its ``__init__``). The implicit import of
a parent package that every submodule import performs is not an edge: it is the same
for every module, and the package's ``__init__`` is only the facade.
"""
from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Set

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIR = REPO_ROOT / "pika_fast"
PYX = REPO_ROOT / "src_pyx" / "_codec_c.pyx"

NO_EXTENSIONS = os.environ.get("PIKA_FAST_NO_EXTENSIONS", "") not in ("", "0")

MODEL = ("pika_fast.spec", "pika_fast.frame", "pika_fast.amqp_object")
CODEC = ("pika_fast._codec", "pika_fast._codec_py", "pika_fast._codec_c")
#: The model, codec and core layers: none of them may sit on an import cycle.
LAYERS = MODEL + CODEC + (
    "pika_fast._spec_py",
    "pika_fast.data",
    "pika_fast.exceptions",
    "pika_fast._protocol",
    "pika_fast.compat",
    "pika_fast.credentials",
    "pika_fast.validators",
    "pika_fast._parameters",
    "pika_fast.connection",
    "pika_fast.channel",
    "pika_fast._legacy",
    "pika_fast._version",
    "pika_fast.delivery_mode",
    "pika_fast.exchange_type",
    "pika_fast.callback",
    "pika_fast.heartbeat",
)


def _module_files() -> Dict[str, Path]:
    modules = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


MODULE_FILES = _module_files()
ALL_MODULES = set(MODULE_FILES) | {"pika_fast._codec_c"}


def _is_type_checking(test: ast.expr) -> bool:
    return ((isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
            or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"))


def _import_time_imports(body: Iterable[ast.stmt]) -> List[ast.stmt]:
    """The import statements of ``body`` that run when the module is imported."""
    found: List[ast.stmt] = []
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                found += _import_time_imports(node.body)
            found += _import_time_imports(node.orelse)
        elif isinstance(node, ast.Try):
            found += _import_time_imports(node.body)
            for handler in node.handlers:
                found += _import_time_imports(handler.body)
            found += _import_time_imports(node.orelse)
            found += _import_time_imports(node.finalbody)
        elif isinstance(node, (ast.With, ast.ClassDef)):
            found += _import_time_imports(node.body)
    return found


def _targets(module: str, is_package: bool, node: ast.stmt) -> Set[str]:
    """The pika_fast modules one import statement of ``module`` imports."""
    targets: Set[str] = set()
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name == "pika_fast" or alias.name.startswith("pika_fast."):
                targets.add(alias.name)
        return targets
    assert isinstance(node, ast.ImportFrom)
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[:len(base) - (node.level - 1)]
        source = ".".join(base + ([node.module] if node.module else []))
    else:
        source = node.module or ""
    if source != "pika_fast" and not source.startswith("pika_fast."):
        return targets
    for alias in node.names:
        submodule = f"{source}.{alias.name}"
        targets.add(submodule if submodule in ALL_MODULES else source)
    return targets


def _pyx_import_statements() -> List[ast.stmt]:
    """Python-level imports at column 0 of the compiled twin's sources (not ``cimport``)."""
    sources = [PYX] + sorted(PYX.parent.glob("*.pxi"))
    statements: List[ast.stmt] = []
    for path in sources:
        lines = path.read_text(encoding="utf-8").splitlines()
        i = 0
        while i < len(lines):
            line = lines[i]
            if re.match(r"(from\s+\S+\s+import\s|import\s)", line) and "cimport" not in line:
                text = line
                while text.count("(") > text.count(")"):
                    i += 1
                    text += "\n" + lines[i]
                statements += ast.parse(text).body
            i += 1
    return statements


def build_graph() -> Dict[str, Set[str]]:
    """Module -> the pika_fast modules it imports at import time."""
    graph: Dict[str, Set[str]] = {}
    for module, path in MODULE_FILES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        is_package = path.name == "__init__.py"
        graph[module] = set()
        for node in _import_time_imports(tree.body):
            graph[module] |= _targets(module, is_package, node)
    graph["pika_fast._codec_c"] = set()
    for node in _pyx_import_statements():
        graph["pika_fast._codec_c"] |= _targets("pika_fast._codec_c", False, node)
    return graph


def strongly_connected(graph: Dict[str, Set[str]]) -> List[List[str]]:
    """The import cycles: strongly connected components with more than one module, or
    a module importing itself (Tarjan's algorithm, iterative)."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    cycles: List[List[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            advanced = False
            for succ in successors:
                if succ not in index:
                    index[succ] = low[succ] = counter
                    counter += 1
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(sorted(graph.get(succ, ())))))
                    advanced = True
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph.get(node, ()):
                    cycles.append(sorted(component))
    return cycles


def reachable(graph: Dict[str, Set[str]], start: str) -> Set[str]:
    """Every module ``start`` imports, directly or through others."""
    seen: Set[str] = set()
    todo = [start]
    while todo:
        for succ in graph.get(todo.pop(), ()):
            if succ not in seen:
                seen.add(succ)
                todo.append(succ)
    return seen


def find_path(graph: Dict[str, Set[str]], start: str, goal: str) -> Optional[List[str]]:
    """One import chain from ``start`` to ``goal`` (for readable failures)."""
    previous: Dict[str, Optional[str]] = {start: None}
    todo = [start]
    while todo:
        node = todo.pop(0)
        for succ in sorted(graph.get(node, ())):
            if succ in previous:
                continue
            previous[succ] = node
            if succ == goal:
                path = [goal]
                while previous[path[-1]] is not None:
                    path.append(previous[path[-1]])  # type: ignore[arg-type]
                return path[::-1]
            todo.append(succ)
    return None


GRAPH = build_graph()


# ------------------------------------------------------------------ the graph itself


def test_graph_reader_sees_the_imports_it_must():
    # Known edges of each kind the reader handles; without them an empty graph would
    # pass every check below.
    assert "pika_fast._codec_py" in GRAPH["pika_fast._codec"]  # inside if/else
    assert "pika_fast._codec_c" in GRAPH["pika_fast._codec"]  # inside try
    assert {"pika_fast.frame", "pika_fast.spec"} <= GRAPH["pika_fast._codec_c"]  # the .pyx
    assert {"pika_fast.frame", "pika_fast.spec"} <= GRAPH["pika_fast._codec_py"]
    assert "pika_fast.amqp_object" in GRAPH["pika_fast.spec"]
    assert "pika_fast._codec" in GRAPH["pika_fast._protocol"]
    assert "pika_fast._codec" in GRAPH["pika_fast"]
    assert set(LAYERS) <= set(GRAPH)


def test_reader_rules_on_a_sample():
    source = (
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "import pika_fast.spec\n"
        "from pika_fast import frame, __version__\n"
        "from . import data\n"
        "if TYPE_CHECKING:\n"
        "    from pika_fast import channel\n"
        "else:\n"
        "    from pika_fast import compat\n"
        "try:\n"
        "    from pika_fast import _codec_c\n"
        "except ImportError:\n"
        "    from pika_fast import _codec_py\n"
        "class C:\n"
        "    from pika_fast import exceptions\n"
        "def f():\n"
        "    from pika_fast import connection\n"
    )
    found: Set[str] = set()
    for node in _import_time_imports(ast.parse(source).body):
        found |= _targets("pika_fast._protocol", False, node)
    assert found == {"pika_fast.spec", "pika_fast.frame", "pika_fast", "pika_fast.data",
                     "pika_fast.compat", "pika_fast._codec_c", "pika_fast._codec_py",
                     "pika_fast.exceptions"}
    assert strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"d"}, "e": {"a"}}) \
        == [["a", "b", "c"], ["d"]]


# ------------------------------------------------------------------ what must hold


def test_model_codec_and_core_layers_are_on_no_import_cycle():
    on_cycles = [cycle for cycle in strongly_connected(GRAPH) if set(cycle) & set(LAYERS)]
    details = []
    for cycle in on_cycles:
        first = sorted(set(cycle) & set(LAYERS))[0]
        back = next(m for m in sorted(GRAPH[first]) if m in cycle)
        details.append(f"{cycle}: e.g. {first} -> " + " -> ".join(find_path(GRAPH, back, first)
                                                                   or [back]))
    assert not on_cycles, "import cycles through the layers:\n  " + "\n  ".join(details)


@pytest.mark.parametrize("model", MODEL)
def test_model_does_not_reach_the_codec(model):
    reached = reachable(GRAPH, model) & set(CODEC)
    chains = [find_path(GRAPH, model, codec) for codec in sorted(reached)]
    assert not reached, f"{model} imports the codec: {chains}"


# -------------------------------------------------------- each module on its own


def _importable_modules() -> List[str]:
    modules = sorted(MODULE_FILES)
    if not NO_EXTENSIONS:
        modules.append("pika_fast._codec_c")
    return modules


@pytest.mark.parametrize("module", _importable_modules())
def test_module_imports_alone_in_a_fresh_interpreter(module):
    # Run with this session's switches, so the suite's two passes cover both twins. The
    # model must have the chosen twin bound whichever module is imported first.
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    code = (f"import {module}\n"
            "from pika_fast import _codec, amqp_object\n"
            "assert amqp_object.codec is _codec._impl, amqp_object.codec\n"
            "print(_codec.BACKEND)\n")
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["python" if NO_EXTENSIONS else "cython"]


# ------------------------------------------------------- imports inside functions

#: Function-level imports in the layers that are neither needed nor commented, left for
#: the owner of the file; remove an entry once its import has moved to module level.
LAZY_PENDING: dict = {}


def _function_level_imports(module: str):
    path = MODULE_FILES[module]
    lines = path.read_text(encoding="utf-8").splitlines()
    tree = ast.parse("\n".join(lines), str(path))
    module_level = {id(node) for node in _import_time_imports(tree.body)}
    type_checking = {id(inner) for node in ast.walk(tree)
                     if isinstance(node, ast.If) and _is_type_checking(node.test)
                     for inner in ast.walk(node)}
    for node in ast.walk(tree):
        if (isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in module_level
                and id(node) not in type_checking):
            for target in _targets(module, path.name == "__init__.py", node):
                nearby = lines[max(0, node.lineno - 3):node.end_lineno]
                yield target, node.lineno, any("#" in line for line in nearby)


@pytest.mark.parametrize("module", [m for m in LAYERS if m in MODULE_FILES])
def test_imports_inside_functions_are_needed_and_commented(module):
    # Allowed only where a module-level import would close a cycle, with a comment.
    bad = []
    for target, lineno, commented in _function_level_imports(module):
        if (module, target) in LAZY_PENDING:
            continue
        needed = module in reachable(GRAPH, target) or target == module
        if not (needed and commented):
            bad.append(f"{MODULE_FILES[module].name}:{lineno} imports {target} inside a "
                       f"function ({'a cycle' if needed else 'no cycle'} at module level, "
                       f"{'commented' if commented else 'no comment'})")
    assert not bad, "\n".join(bad)


def test_lazy_pending_entries_are_still_real():
    found = {(module, target) for module in {module for module, _ in LAZY_PENDING}
             for target, _, _ in _function_level_imports(module)}
    stale = set(LAZY_PENDING) - found
    assert not stale, f"LAZY_PENDING entries no longer needed: {sorted(stale)}"
