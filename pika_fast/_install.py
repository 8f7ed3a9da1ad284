"""``install_as_pika()``: make ``import pika`` (and every ``pika.<module>``) give pika_fast.

For libraries that import pika themselves (task queues, instrumentations, test fixtures):
call it once, early, and they run on pika_fast unchanged. It follows
``pymysql.install_as_MySQLdb()``: ``sys.modules`` entries for what is already imported,
plus a meta-path finder, first in line, for submodules imported later, so the real pika
(if installed) is never loaded and every name resolves to the very same module objects.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import logging
import sys
import types
from typing import Optional, Sequence

ALIAS = "pika"
TARGET = "pika_fast"

__all__ = ["install_as_pika"]


def _target_name(fullname: str) -> Optional[str]:
    """``pika.x.y`` -> ``pika_fast.x.y``; None for names outside the ``pika`` package."""
    if fullname == ALIAS:
        return TARGET
    if fullname.startswith(ALIAS + "."):
        return TARGET + fullname[len(ALIAS):]
    return None


class _AliasLoader(importlib.abc.Loader):
    """Hands back the already-imported pika_fast module instead of creating one."""

    def __init__(self, module: types.ModuleType) -> None:
        self._module = module

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return self._module

    def exec_module(self, module: types.ModuleType) -> None:
        """Nothing to run: the pika_fast module was executed when it was imported."""


class _PikaAliasFinder(importlib.abc.MetaPathFinder):
    """Resolves ``pika`` and ``pika.*`` to the pika_fast module of the same path."""

    def find_spec(self, fullname: str, path: Optional[Sequence[str]] = None,
                  target: Optional[types.ModuleType] = None
                  ) -> Optional[importlib.machinery.ModuleSpec]:
        real_name = _target_name(fullname)
        if real_name is None:
            return None
        try:
            module = importlib.import_module(real_name)
        except ModuleNotFoundError as exc:
            if exc.name != real_name:
                raise  # a module that exists failed to import something else: say so
            # No such pika_fast module: "No module named 'pika.x'", as without the alias.
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname) from None
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(module),
                                              origin=getattr(module, "__file__", None),
                                              is_package=hasattr(module, "__path__"))


def _foreign_pika_modules() -> list:
    """The ``pika``/``pika.*`` modules already imported that are not pika_fast's."""
    foreign = []
    for name, module in list(sys.modules.items()):
        real_name = _target_name(name)
        if real_name is None or module is None:
            continue
        if getattr(module, "__name__", None) != real_name:
            foreign.append(name)
    return sorted(foreign)


def install_as_pika() -> None:
    """Make ``import pika`` and ``import pika.<anything>`` resolve to pika_fast's modules.

    Call it before anything imports pika. Afterwards ``sys.modules['pika'] is pika_fast``,
    ``pika.adapters.blocking_connection is pika_fast.adapters.blocking_connection`` and so
    on, for submodules imported later too; the ``pika`` logger becomes the parent of the
    ``pika_fast`` loggers, so ``logging.getLogger('pika').setLevel(...)`` keeps working.
    Calling it again does nothing.

    :raises RuntimeError: if the real pika (or any ``pika.*`` module that is not
        pika_fast's) is already imported: two clients' classes would then coexist, and
        objects from one would fail the other's isinstance checks.
    """
    foreign = _foreign_pika_modules()
    if foreign:
        raise RuntimeError(
            "pika_fast.install_as_pika() must run before pika is imported, but "
            f"{', '.join(foreign[:5])}{' ...' if len(foreign) > 5 else ''} "
            "is already imported from another package. Call it first thing at start-up "
            "(before importing the libraries that use pika).")
    if not any(isinstance(finder, _PikaAliasFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _PikaAliasFinder())
    for name, module in list(sys.modules.items()):
        if module is not None and (name == TARGET or name.startswith(TARGET + ".")):
            sys.modules.setdefault(ALIAS + name[len(TARGET):], module)
    # Loggers are named after modules: let settings on 'pika' reach pika_fast's records.
    logging.getLogger(TARGET).parent = logging.getLogger(ALIAS)
