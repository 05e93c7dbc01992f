"""The bounds a proof covers: a closed real interval per duration field, for push gaps, and
whether builds may fail.

A proof is only as good as its bounds, so they are a value of their own that every answer
carries and prints. They come from Python (``Bounds.of({"build": (60, 180)})``), from the
command line (``build=60..180``, ``dispatch=5``, ``failures=yes``) or from a TOML file of the
same keys (``build = [60, 180]``, ``gap = [1, 60]``, ``failures = true``).

Every step duration must have a lower bound above zero: a zero-length step would let two causally
dependent events of different runs fall on the same instant in an order the encoding does not
model. The registry lags may be zero, and push gaps may be zero (simultaneous pushes are ordered by
commit, as in the engine).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from racesim._util.toml import Table, read_toml_file
from racesim.core.history import DURATION_FIELDS
from racesim.errors import InputError
from racesim.verify.ranges import DEFAULT_BOUNDS

__all__ = ["DEFAULT_GAP", "Bounds", "as_bounds", "bounds_from", "parse_bound", "read_bounds_file"]

#: default range of the gap between consecutive pushes (the property-testing kit's default)
DEFAULT_GAP: tuple[float, float] = (1.0, 60.0)

#: fields whose lower bound may be zero
_MAY_BE_ZERO = frozenset({"registry_lag", "deploy_registry_lag"})

Range = tuple[float, float]


def _range(name: str, value: object) -> Range:
    """`value` (a number, or a (low, high) pair) as a checked closed interval."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        low = high = value
    elif isinstance(value, tuple | list) and len(value) == 2:
        low, high = value
    else:
        raise InputError(name, f"expected seconds or a (low, high) pair, got {value!r}")
    for v in (low, high):
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise InputError(name, f"expected finite numbers of seconds, got {value!r}")
    if not 0 <= low <= high:
        raise InputError(name, f"expected 0 <= low <= high, got {low!r}..{high!r}")
    if low == 0 and name not in _MAY_BE_ZERO and name != "gap":
        raise InputError(
            name,
            "a proof needs a lower bound > 0 s for every step (a zero-length step puts "
            "dependent events on one instant); use a small positive value such as 0.001",
        )
    return float(low), float(high)


@dataclass(frozen=True)
class Bounds:
    """Closed intervals for every duration field and for push gaps, and whether builds may fail.

    Attributes:
        durations: ``{field: (low, high)}`` for every field of :class:`~racesim.Durations`.
        gap: range of the time between one push and the next.
        failures: a build may fail (then it pushes nothing), independently for each push.
    """

    durations: Mapping[str, Range] = field(default_factory=lambda: dict(DEFAULT_BOUNDS))
    gap: Range = DEFAULT_GAP
    failures: bool = False

    def __post_init__(self) -> None:
        merged: dict[str, Range] = {}
        for name in DURATION_FIELDS:
            merged[name] = _range(name, self.durations.get(name, DEFAULT_BOUNDS[name]))
        for name in self.durations:
            if name not in DURATION_FIELDS:
                raise InputError(name, f"unknown bound; expected one of {', '.join(_KEYS)}")
        object.__setattr__(self, "durations", merged)
        object.__setattr__(self, "gap", _range("gap", self.gap))
        if not isinstance(self.failures, bool):
            raise InputError("failures", f"expected true or false, got {self.failures!r}")

    @classmethod
    def of(cls, overrides: Mapping[str, object] | None = None) -> Bounds:
        """Default bounds with `overrides`: ``{"build": (60, 180), "gap": 5, "failures": True}``."""
        durations: dict[str, Range] = dict(DEFAULT_BOUNDS)
        gap, failures = DEFAULT_GAP, False
        for name, value in (overrides or {}).items():
            if name == "gap":
                gap = _range("gap", value)
            elif name == "failures":
                if not isinstance(value, bool):
                    raise InputError("failures", f"expected true or false, got {value!r}")
                failures = value
            elif name in DURATION_FIELDS:
                durations[name] = _range(name, value)
            else:
                raise InputError(name, f"unknown bound; expected one of {', '.join(_KEYS)}")
        return cls(durations, gap, failures)

    def with_range(self, name: str, low: float, high: float) -> Bounds:
        """These bounds with `name` (a duration field or ``gap``) set to ``low..high``."""
        if name == "gap":
            return Bounds(self.durations, (low, high), self.failures)
        return Bounds({**self.durations, name: (low, high)}, self.gap, self.failures)

    def describe(self) -> str:
        """One line: every range, the gap and whether builds may fail."""
        parts = [f"{name}={_show(r)}" for name, r in self.durations.items()]
        parts.append(f"gap={_show(self.gap)}")
        parts.append(f"failures={'yes' if self.failures else 'no'}")
        return ", ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            **{name: list(r) for name, r in self.durations.items()},
            "gap": list(self.gap),
            "failures": self.failures,
        }


def _show(r: Range) -> str:
    return f"{r[0]:g}" if r[0] == r[1] else f"{r[0]:g}..{r[1]:g}"


_KEYS = (*DURATION_FIELDS, "gap", "failures")


def parse_bound(text: str, field: str = "bounds") -> tuple[str, object]:
    """``FIELD=LO..HI``, ``FIELD=SECONDS`` or ``failures=yes|no`` as a (name, value) pair."""
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise InputError(field, f"expected FIELD=LO..HI, got {text!r}")
    if name not in _KEYS:
        raise InputError(field, f"unknown bound {name!r}; expected one of {', '.join(_KEYS)}")
    value = value.strip()
    if name == "failures":
        flags = {"yes": True, "true": True, "no": False, "false": False}
        if value.lower() not in flags:
            raise InputError(field, f"failures: expected yes or no, got {value!r}")
        return name, flags[value.lower()]
    low_text, dots, high_text = value.partition("..")
    try:
        low = float(low_text)
        high = float(high_text) if dots else low
    except ValueError:
        raise InputError(field, f"{name}: expected LO..HI in seconds, got {value!r}") from None
    try:
        return name, _range(name, (low, high))
    except InputError as exc:
        raise InputError(field, f"{name}: {exc.problem}") from None


def as_bounds(bounds: Bounds | Mapping[str, object] | None) -> Bounds:
    """`bounds` as Bounds: ``None`` gives the defaults, a mapping overrides them."""
    if bounds is None:
        return Bounds()
    if isinstance(bounds, Bounds):
        return bounds
    return Bounds.of(bounds)


def read_bounds_file(path: str | Path) -> dict[str, object]:
    """The bounds in a TOML file: top-level keys, or a ``[bounds]`` table, of the CLI's names."""
    data, source = read_toml_file(path)
    top = Table(data, "", source)
    table = top.table("bounds") if top.has("bounds") else top
    out: dict[str, object] = {}
    for key in list(table.data):
        value = table.raw(key)
        if key not in _KEYS:
            raise table.error(key, f"unknown bound; expected one of {', '.join(_KEYS)}")
        try:
            if key == "failures":
                if not isinstance(value, bool):
                    raise InputError(key, f"expected true or false, got {value!r}")
                out[key] = value
            else:
                out[key] = _range(key, tuple(value) if isinstance(value, list) else value)
        except InputError as exc:
            raise table.error(key, exc.problem) from None
    top.done()
    return out


def bounds_from(specs: Iterable[str], field: str = "bounds") -> Bounds:
    """Bounds from words: each a ``FIELD=LO..HI`` or the path of a TOML bounds file."""
    overrides: dict[str, object] = {}
    for spec in specs:
        if "=" in spec:
            name, value = parse_bound(spec, field)
            overrides[name] = value
        elif Path(spec).is_file():
            overrides.update(read_bounds_file(spec))
        else:
            raise InputError(field, f"{spec!r} is neither FIELD=LO..HI nor a bounds file")
    return Bounds.of(overrides)
