"""Names a package exports but imports only when they are first asked for (PEP 562).

A package that re-exports its modules' names eagerly makes importing any one of its modules
import all of them (the package's ``__init__`` runs first). With :func:`lazy_exports` the
package's namespace lists the names, and each is imported from its module on first access.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, namespace: dict[str, Any], exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A module ``__getattr__`` and ``__dir__`` for `package`.

    `exports` maps each public name to the module that defines it; the first access imports the
    module and keeps the value in `namespace` (the package's ``globals()``), so later accesses
    are plain lookups.
    """

    def getattr_(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def dir_() -> list[str]:
        return sorted([*namespace, *exports])

    return getattr_, dir_
