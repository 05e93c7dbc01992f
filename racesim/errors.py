"""Errors racesim raises for bad input.

Every error about input names where the input came from (a file, a CLI argument, a Python
argument), the field that is wrong, and what was expected, so that the CLI can print it as one
line and a notebook user can fix the right line of their TOML file.
"""

from __future__ import annotations

__all__ = ["InputError", "RacesimError"]


class RacesimError(Exception):
    """Base class of every error racesim raises on purpose."""


class InputError(RacesimError, ValueError):
    """A value given to racesim is malformed or out of range.

    Attributes:
        field: where the bad value is: the dotted path of a field in a file
            (``"pushes[1].time"``), or, for a value passed to a function, the name of its
            parameter (``"trials"``). The command line shows the flag that sets a parameter
            instead (``--trials``); only :mod:`racesim.cli` knows flag names.
        problem: what is wrong and what was expected.
        source: where the value came from: a file path, ``"command line"``, or ``None``.
    """

    def __init__(self, field: str, problem: str, source: str | None = None) -> None:
        self.field = field
        self.problem = problem
        self.source = source
        where = f"{source}: " if source else ""
        super().__init__(f"{where}{field}: {problem}")

    def in_source(self, source: str, prefix: str = "") -> InputError:
        """The same error, located in `source` and with `prefix` put before the field."""
        field = f"{prefix}.{self.field}" if prefix and self.field else prefix or self.field
        return InputError(field, self.problem, source)
