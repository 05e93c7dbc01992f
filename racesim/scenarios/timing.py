"""Distributions of step durations, described the way engineers describe CI steps.

"Usually 72 s, sometimes 95 s" is a :class:`LogNormal` with median 72 and p95 95. Runner pickup,
which is a few seconds most of the time and minutes now and then, is :class:`HeavyTailed` (a
power-law tail). Every distribution validates its parameters on construction, samples from a
``numpy.random.Generator`` it is given (never from global state), and round-trips through the
table form used in scenario files (:func:`distribution_from_table`,
:meth:`Distribution.to_table`).
"""

from __future__ import annotations

import functools
import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import MISSING, dataclass, fields, replace
from typing import Any, ClassVar

import numpy as np

from racesim._util.roots import brentq
from racesim.errors import InputError
from racesim.limits import check_seconds, finite_float

__all__ = [
    "Distribution",
    "Empirical",
    "Fixed",
    "HeavyTailed",
    "LogNormal",
    "Triangular",
    "Uniform",
    "distribution_from_table",
]

#: the standard normal's 0.95 quantile, ``scipy.stats.norm.ppf(0.95)`` to the last bit (a test
#: checks it): scipy is imported only where a quantile needs it, not by every scenario read
_Z95 = 1.6448536269514722


def _seconds(name: str, value: object, *, positive: bool = False) -> float:
    seconds = finite_float(value)
    if seconds is None:
        raise InputError(name, f"expected a number of seconds, got {_show(value)}")
    if seconds < 0 or (positive and seconds == 0):
        raise InputError(name, f"expected {'> 0' if positive else '>= 0'} s, got {value!r}")
    return check_seconds(name, seconds)


def _show(value: object) -> str:
    """`value` for an error message, cut short (a huge integer's repr is thousands of digits)."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


class Distribution(ABC):
    """A distribution of non-negative durations in seconds."""

    kind: ClassVar[str]

    @abstractmethod
    def sample(self, rng: np.random.Generator, size: int | None = None) -> Any:
        """One value (``size=None``) or an array of `size` values drawn with `rng`."""

    @abstractmethod
    def quantile(self, q: float) -> float:
        """The `q`-quantile, for descriptions and plots."""

    def to_table(self) -> float | dict[str, Any]:
        """The scenario-file form: a number for :class:`Fixed`, else a table with ``dist``."""
        return {"dist": self.kind, **{f.name: getattr(self, f.name) for f in fields(self)}}  # type: ignore[arg-type]

    def with_param(self, name: str, value: float) -> Distribution:
        """A copy with parameter `name` set to `value` (what sweeps use)."""
        known = [f.name for f in fields(self)]  # type: ignore[arg-type]
        if name not in known or name == "values":
            raise InputError(
                name, f"{self.kind} has no numeric parameter {name!r}; it has {', '.join(known)}"
            )
        return replace(self, **{name: value})  # type: ignore[type-var]

    def __str__(self) -> str:
        table = self.to_table()
        if not isinstance(table, dict):
            return f"{table:g} s"
        args = ", ".join(f"{k}={v:g}" for k, v in table.items() if isinstance(v, float))
        return f"{self.kind}({args})"


@dataclass(frozen=True)
class Fixed(Distribution):
    """Always `value` seconds."""

    kind: ClassVar[str] = "fixed"
    value: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", _seconds("value", self.value))

    def sample(self, rng: np.random.Generator, size: int | None = None) -> Any:
        return self.value if size is None else np.full(size, self.value)

    def quantile(self, q: float) -> float:
        return self.value

    def to_table(self) -> float | dict[str, Any]:
        return self.value


@dataclass(frozen=True)
class Uniform(Distribution):
    """Any value between `low` and `high`, equally likely."""

    kind: ClassVar[str] = "uniform"
    low: float
    high: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "low", _seconds("low", self.low))
        object.__setattr__(self, "high", _seconds("high", self.high))
        if self.high < self.low:
            raise InputError("high", f"expected high >= low ({self.low:g}), got {self.high:g}")

    def sample(self, rng: np.random.Generator, size: int | None = None) -> Any:
        return rng.uniform(self.low, self.high, size)

    def quantile(self, q: float) -> float:
        return self.low + q * (self.high - self.low)


@dataclass(frozen=True)
class Triangular(Distribution):
    """Between `low` and `high`, most often near `mode`."""

    kind: ClassVar[str] = "triangular"
    low: float
    mode: float
    high: float

    def __post_init__(self) -> None:
        for name in ("low", "mode", "high"):
            object.__setattr__(self, name, _seconds(name, getattr(self, name)))
        if not self.low <= self.mode <= self.high:
            raise InputError(
                "mode",
                f"expected low <= mode <= high, got {self.low:g}, {self.mode:g}, {self.high:g}",
            )
        if self.low == self.high:
            raise InputError(
                "high", f"expected high > low, got both {self.low:g}; use a fixed value"
            )

    def sample(self, rng: np.random.Generator, size: int | None = None) -> Any:
        return rng.triangular(self.low, self.mode, self.high, size)

    def quantile(self, q: float) -> float:
        from scipy import stats

        c = (self.mode - self.low) / (self.high - self.low)
        return float(stats.triang.ppf(q, c, loc=self.low, scale=self.high - self.low))


@dataclass(frozen=True)
class LogNormal(Distribution):
    """Right-skewed around `median`: give either `p95` (the usual way) or `sigma`.

    ``shift`` adds a floor: the value is ``shift + X`` with ``X`` log-normal, so the median of the
    whole is ``median`` only when ``shift`` is 0.
    """

    kind: ClassVar[str] = "lognormal"
    median: float
    p95: float | None = None
    sigma: float | None = None
    shift: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "median", _seconds("median", self.median, positive=True))
        object.__setattr__(self, "shift", _seconds("shift", self.shift))
        if (self.p95 is None) == (self.sigma is None):
            raise InputError("p95", "give exactly one of p95 and sigma")
        if self.p95 is not None:
            p95 = _seconds("p95", self.p95)
            if p95 <= self.median:
                raise InputError(
                    "p95", f"expected p95 above the median ({self.median:g} s), got {p95:g}"
                )
            object.__setattr__(self, "p95", p95)
        else:
            sigma = self.sigma
            if isinstance(sigma, bool) or not isinstance(sigma, int | float) or not 0 < sigma < 10:
                raise InputError("sigma", f"expected a number between 0 and 10, got {sigma!r}")
            object.__setattr__(self, "sigma", float(sigma))

    @property
    def log_sigma(self) -> float:
        """Standard deviation of the logarithm."""
        if self.sigma is not None:
            return self.sigma
        assert self.p95 is not None
        return math.log(self.p95 / self.median) / _Z95

    def sample(self, rng: np.random.Generator, size: int | None = None) -> Any:
        return self.shift + rng.lognormal(math.log(self.median), self.log_sigma, size)

    def quantile(self, q: float) -> float:
        from scipy import stats

        return self.shift + self.median * math.exp(self.log_sigma * float(stats.norm.ppf(q)))

    def with_param(self, name: str, value: float) -> Distribution:
        """As :meth:`Distribution.with_param`; setting ``p95`` or ``sigma`` drops the other."""
        if name == "p95":
            return replace(self, p95=value, sigma=None)
        if name == "sigma":
            return replace(self, sigma=value, p95=None)
        return super().with_param(name, value)

    def to_table(self) -> float | dict[str, Any]:
        table: dict[str, Any] = {"dist": self.kind, "median": self.median}
        table.update({"p95": self.p95} if self.p95 is not None else {"sigma": self.sigma})
        if self.shift:
            table["shift"] = self.shift
        return table


@dataclass(frozen=True)
class Empirical(Distribution):
    """Resample observed durations (each equally likely): what your CI history says."""

    kind: ClassVar[str] = "empirical"
    values: tuple[float, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.values, Sequence) or isinstance(self.values, str) or not self.values:
            raise InputError("values", "expected a non-empty list of observed durations")
        object.__setattr__(
            self, "values", tuple(_seconds(f"values[{i}]", v) for i, v in enumerate(self.values))
        )

    def sample(self, rng: np.random.Generator, size: int | None = None) -> Any:
        return rng.choice(np.asarray(self.values), size)

    def quantile(self, q: float) -> float:
        return float(np.quantile(self.values, q))

    def to_table(self) -> float | dict[str, Any]:
        return {"dist": self.kind, "values": list(self.values)}


@dataclass(frozen=True)
class HeavyTailed(Distribution):
    """A few seconds most of the time, minutes now and then: runner pickup.

    ``shift + X`` where ``X`` has a Lomax (Pareto II) distribution, whose tail falls off as a power
    law rather than exponentially. It is fitted so that ``median`` and ``p95`` are the whole
    value's median and 95th percentile, which is how pickup latency is usually reported.
    """

    kind: ClassVar[str] = "heavy_tailed"
    median: float
    p95: float
    shift: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "shift", _seconds("shift", self.shift))
        object.__setattr__(self, "median", _seconds("median", self.median))
        object.__setattr__(self, "p95", _seconds("p95", self.p95))
        if self.median <= self.shift:
            raise InputError(
                "median",
                f"expected a median above the shift ({self.shift:g} s), got {self.median:g}",
            )
        if self.p95 <= self.median:
            raise InputError(
                "p95", f"expected p95 above the median ({self.median:g} s), got {self.p95:g}"
            )
        ratio = (self.p95 - self.shift) / (self.median - self.shift)
        if ratio <= math.log(20) / math.log(2) + 1e-9:
            raise InputError(
                "p95",
                f"too close to the median for a power-law tail (p95 - shift must exceed "
                f"{math.log(20) / math.log(2):.2f} x (median - shift)); use a lognormal instead",
            )
        try:
            _lomax_fit(self.median - self.shift, self.p95 - self.shift)
        except ValueError:
            raise InputError(
                "p95",
                f"no power-law tail has p95 - shift = {ratio:.4g} x (median - shift); racesim fits "
                f"ratios between {_LOMAX_RATIOS[0]:.4g} and {_LOMAX_RATIOS[1]:.4g}",
            ) from None

    @property
    def shape(self) -> tuple[float, float]:
        """``(alpha, scale)`` of the Lomax part."""
        return _lomax_fit(self.median - self.shift, self.p95 - self.shift)

    def sample(self, rng: np.random.Generator, size: int | None = None) -> Any:
        alpha, scale = self.shape
        return self.shift + scale * rng.pareto(alpha, size)

    def quantile(self, q: float) -> float:
        alpha, scale = self.shape
        return self.shift + scale * (float((1.0 - q) ** (-1.0 / alpha)) - 1.0)


@functools.cache
def _lomax_fit(median: float, p95: float) -> tuple[float, float]:
    """Lomax ``(alpha, scale)`` with the given median and 95th percentile (a pure function)."""
    # quantile: scale * ((1-q)^(-1/alpha) - 1); the ratio p95/median fixes alpha
    ratio = p95 / median
    alpha = float(brentq(lambda a: _lomax_ratio(a) - ratio, *_LOMAX_ALPHAS))  # scipy's, ported
    return alpha, median / (2.0 ** (1 / alpha) - 1)


def _lomax_ratio(alpha: float) -> float:
    """p95 / median of a Lomax distribution of shape `alpha` (falls as `alpha` grows)."""
    return float((20.0 ** (1 / alpha) - 1) / (2.0 ** (1 / alpha) - 1))


#: shapes the fit searches (a smaller alpha draws values too large for a float now and then)
_LOMAX_ALPHAS = (0.05, 1e3)
#: the p95 / median ratios those shapes reach, smallest first
_LOMAX_RATIOS = (_lomax_ratio(_LOMAX_ALPHAS[1]), _lomax_ratio(_LOMAX_ALPHAS[0]))


_KINDS: dict[str, type[Distribution]] = {
    c.kind: c for c in (Fixed, Uniform, Triangular, LogNormal, Empirical, HeavyTailed)
}


def distribution_from_table(value: object, field: str) -> Distribution:
    """A distribution from its scenario-file form: a number, or a table with ``dist = "..."``.

    Errors name `field` (for example ``timings.build.p95``).
    """
    prefix = f"{field}." if field else ""
    if isinstance(value, bool):
        raise InputError(field, f"expected seconds or a distribution table, got {value!r}")
    if isinstance(value, int | float):
        try:
            return Fixed(value)
        except InputError as exc:
            raise InputError(field, exc.problem) from None
    if not isinstance(value, Mapping):
        raise InputError(field, f"expected seconds or a distribution table, got {value!r}")
    kind = value.get("dist")
    if not isinstance(kind, str) or kind not in _KINDS:
        raise InputError(f"{prefix}dist", f"expected one of {', '.join(_KINDS)}, got {kind!r}")
    cls = _KINDS[kind]
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    args = {k: v for k, v in value.items() if k != "dist"}
    for key in args:
        if key not in known:
            raise InputError(
                f"{prefix}{key}",
                f"unknown parameter of {kind}; expected {', '.join(sorted(known))}",
            )
    try:
        return cls(**args)
    except InputError as exc:
        raise InputError(f"{prefix}{exc.field}", exc.problem) from None
    except TypeError:
        required = [f.name for f in fields(cls) if f.default is MISSING]  # type: ignore[arg-type]
        missing = [r for r in required if r not in args]
        raise InputError(
            f"{prefix}{missing[0] if missing else 'dist'}",
            f"missing; {kind} needs {', '.join(required)}",
        ) from None


def as_distribution(value: Distribution | float, field: str = "") -> Distribution:
    """`value` if it is a distribution, else a :class:`Fixed` of it."""
    return value if isinstance(value, Distribution) else distribution_from_table(value, field)
