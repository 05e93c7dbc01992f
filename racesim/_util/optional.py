"""Optional dependencies, imported only by the feature that needs them.

The core of racesim (engine, replay, Monte Carlo, static plots) needs none of these. The GIF
writer needs pillow and the classroom widgets need ipywidgets; both come with the ``notebooks``
extra. Importing them lazily keeps ``import racesim`` light and lets a missing package fail with
a message that says how to install it, at the moment the feature is used.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from racesim.errors import RacesimError

__all__ = ["MissingDependencyError", "require"]


class MissingDependencyError(RacesimError, ImportError):
    """A feature was used whose optional dependency is not installed.

    It is an :class:`ImportError` too, so code that already guards optional imports with
    ``except ImportError`` keeps working.
    """


def require(module: str, *, package: str, extra: str, feature: str) -> ModuleType:
    """Import `module`, or raise :class:`MissingDependencyError` saying what to install.

    Args:
        module: the import name (``"PIL"``).
        package: the name to ``pip install`` (``"pillow"``).
        extra: the racesim extra that brings it (``"notebooks"``).
        feature: what needs it, for the message (``"animate_timeline"``).
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f"{feature} needs the optional package {package!r}, which is not installed; "
            f"install it with: pip install 'racesim[{extra}]' (or pip install {package})"
        ) from exc
