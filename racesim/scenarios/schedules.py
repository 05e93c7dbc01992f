"""Push schedules: when commits reach ``main`` in a sampled history.

Every schedule puts the first push at 0 s, so times in results are "seconds since the first push".
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from racesim.errors import InputError
from racesim.limits import (
    MAX_POISSON_MEAN,
    MAX_PUSHES,
    check_count,
    check_seconds,
    finite_float,
)
from racesim.scenarios.timing import Distribution, as_distribution, distribution_from_table

__all__ = ["Burst", "Explicit", "Poisson", "PushSchedule", "Single", "schedule_from_table"]


class PushSchedule(ABC):
    """When the pushes of one trial happen."""

    kind: ClassVar[str]

    @abstractmethod
    def times(self, rng: np.random.Generator) -> list[float]:
        """Push times of one trial (non-decreasing, the first at 0)."""

    @abstractmethod
    def to_table(self) -> dict[str, Any]:
        """The scenario-file form (``[pushes]`` table)."""

    @property
    def most_pushes(self) -> int:
        """The most pushes a trial can have (what per-push overrides and re-runs may name)."""
        return MAX_PUSHES

    def with_param(self, name: str, value: float) -> PushSchedule:
        """A copy with parameter `name` set (``count``, ``gap.median``, ``rate_per_hour``, ...)."""
        table = self.to_table()
        head, _, rest = name.partition(".")
        if head not in table or head == "schedule":
            raise InputError(f"pushes.{name}", f"a {self.kind} schedule has no parameter {head!r}")
        if rest:
            table[head] = as_distribution(table[head]).with_param(rest, value).to_table()
        elif head == "count":
            if not float(value).is_integer():
                raise InputError(
                    f"pushes.{name}", f"expected a whole number of pushes, got {value!r}"
                )
            table[head] = int(value)
        else:
            table[head] = value
        return schedule_from_table(table, "pushes")


@dataclass(frozen=True)
class Single(PushSchedule):
    """One push (the shape of the f8af4c1 incident)."""

    kind: ClassVar[str] = "single"

    def times(self, rng: np.random.Generator) -> list[float]:
        return [0.0]

    @property
    def most_pushes(self) -> int:
        return 1

    def to_table(self) -> dict[str, Any]:
        return {"schedule": self.kind}


@dataclass(frozen=True)
class Burst(PushSchedule):
    """`count` pushes, each `gap` seconds after the previous one (quick merges)."""

    kind: ClassVar[str] = "burst"
    count: int
    gap: Distribution

    def __post_init__(self) -> None:
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 1:
            raise InputError("count", f"expected a whole number of pushes >= 1, got {self.count!r}")
        check_count("count", self.count, MAX_PUSHES, "pushes")
        object.__setattr__(self, "gap", as_distribution(self.gap, "gap"))

    @property
    def most_pushes(self) -> int:
        return self.count

    def times(self, rng: np.random.Generator) -> list[float]:
        out = [0.0]
        for _ in range(self.count - 1):
            out.append(out[-1] + float(self.gap.sample(rng)))
        return out

    def to_table(self) -> dict[str, Any]:
        return {"schedule": self.kind, "count": self.count, "gap": self.gap.to_table()}


@dataclass(frozen=True)
class Poisson(PushSchedule):
    """A push at 0 s, then pushes at random at `rate_per_hour` until `window` seconds."""

    kind: ClassVar[str] = "poisson"
    rate_per_hour: float
    window: float

    def __post_init__(self) -> None:
        for name in ("rate_per_hour", "window"):
            raw = getattr(self, name)
            value = finite_float(raw)
            if value is None or value <= 0:
                raise InputError(name, f"expected a number > 0, got {str(raw)[:40]}")
            object.__setattr__(self, name, value)
        check_seconds("window", self.window)
        mean = self.rate_per_hour * self.window / 3600.0
        if mean > MAX_POISSON_MEAN:
            raise InputError(
                "rate_per_hour",
                f"{mean:.4g} pushes expected in the window; racesim's limit is a mean of "
                f"{MAX_POISSON_MEAN:g} (see docs/reference/limits.md)",
            )

    def times(self, rng: np.random.Generator) -> list[float]:
        out = [0.0]
        scale = 3600.0 / self.rate_per_hour
        while True:
            t = out[-1] + float(rng.exponential(scale))
            if t > self.window:
                return out
            out.append(t)

    def to_table(self) -> dict[str, Any]:
        return {"schedule": self.kind, "rate_per_hour": self.rate_per_hour, "window": self.window}


@dataclass(frozen=True)
class Explicit(PushSchedule):
    """Pushes at the given offsets in seconds (the first must be 0)."""

    kind: ClassVar[str] = "list"
    offsets: tuple[float, ...]

    def __post_init__(self) -> None:
        if isinstance(self.offsets, str) or not self.offsets:
            raise InputError("times", "expected a non-empty list of push times in seconds")
        check_count("times", len(self.offsets), MAX_PUSHES, "pushes")
        values: list[float] = []
        for i, v in enumerate(self.offsets):
            seconds = finite_float(v)
            if seconds is None:
                raise InputError(f"times[{i}]", f"expected seconds, got {str(v)[:40]}")
            if values and seconds < values[-1]:
                raise InputError(f"times[{i}]", "push times must not decrease")
            values.append(check_seconds(f"times[{i}]", seconds))
        if values[0] != 0:
            raise InputError(
                "times[0]", f"the first push is at 0 s by convention, got {values[0]:g}"
            )
        object.__setattr__(self, "offsets", tuple(values))

    def times(self, rng: np.random.Generator) -> list[float]:
        return list(self.offsets)

    @property
    def most_pushes(self) -> int:
        return len(self.offsets)

    def to_table(self) -> dict[str, Any]:
        return {"schedule": self.kind, "times": list(self.offsets)}


def schedule_from_table(table: Mapping[str, Any], field: str = "pushes") -> PushSchedule:
    """A schedule from its ``[pushes]`` table; errors name ``pushes.<key>``."""
    kind = table.get("schedule", "single")
    args = {k: v for k, v in table.items() if k != "schedule"}
    expected = {
        "single": set(),
        "burst": {"count", "gap"},
        "poisson": {"rate_per_hour", "window"},
        "list": {"times"},
    }
    if not isinstance(kind, str) or kind not in expected:
        raise InputError(
            f"{field}.schedule", f"expected one of {', '.join(expected)}, got {kind!r}"
        )
    for key in args:
        if key not in expected[kind]:
            known = ", ".join(sorted(expected[kind])) or "no other fields"
            raise InputError(
                f"{field}.{key}", f"unknown field for a {kind} schedule; expected {known}"
            )
    for key in expected[kind]:
        if key not in args:
            raise InputError(
                f"{field}.{key}",
                f"missing; a {kind} schedule needs {', '.join(sorted(expected[kind]))}",
            )
    try:
        if kind == "single":
            return Single()
        if kind == "burst":
            return Burst(args["count"], distribution_from_table(args["gap"], f"{field}.gap"))
        if kind == "poisson":
            return Poisson(args["rate_per_hour"], args["window"])
        times = args["times"]
        if not isinstance(times, list):
            raise InputError("times", f"expected a list of seconds, got {times!r}")
        return Explicit(tuple(times))
    except InputError as exc:
        if exc.field.startswith(field):
            raise
        raise InputError(f"{field}.{exc.field}", exc.problem) from None
