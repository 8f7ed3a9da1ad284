"""Import an adapter's optional library, or say which extra installs it."""
from __future__ import annotations

import importlib
from types import ModuleType


def require(module: str, extra: str, adapter: str) -> ModuleType:
    """``importlib.import_module(module)``, with an ImportError naming the extra."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"{adapter} needs the {extra!r} library, which is not installed: "
            f"pip install 'pika_fast[{extra}]'") from exc
