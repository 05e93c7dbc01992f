"""Where a proof stops holding: bisection on one bound (or on the sleep) to a given resolution.

Widening a bound only adds histories, so if a property is proved for ``dispatch=1..D`` it is
proved for every smaller ``D``: the proved values form an interval, and bisection finds its end.
The same holds for ``sleep:N`` the other way round (a longer sleep only delays the pull). The
answer is computed, not guessed: the last value proved and the first value broken, ``resolution``
apart, each with its proof or its engine-confirmed counterexample.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from racesim.core.history import DURATION_FIELDS
from racesim.core.strategy import Strategy, parse_strategy
from racesim.errors import InputError
from racesim.verify.proof.bounds import Bounds, as_bounds
from racesim.verify.proof.decide import prove
from racesim.verify.proof.encode import Encoding
from racesim.verify.proof.result import ProveResult
from racesim.verify.proof.solve import binding_bounds

__all__ = ["Boundary", "boundary"]


@dataclass(frozen=True)
class Boundary:
    """The end of the proved region of one parameter.

    Attributes:
        parameter: what was varied: a duration field or ``gap`` (its upper bound), or ``sleep``.
        lower: the lower bound kept while the upper bound was varied (``None`` for sleep).
        proved_at: the value closest to the boundary for which the property is proved (``None``
            if it is broken on the whole range).
        broken_at: the value closest to the boundary for which it is broken (``None`` if it is
            proved on the whole range).
        resolution: the step of the bisection grid.
        proof / counterexample: the answers at `proved_at` and `broken_at`.
        proofs: how many proofs the bisection ran.
        binding: the bounds the proof at `proved_at` rests on, as the solver reports them (its
            unsat core, every push count together): the constraints that make the boundary
            where it is. Every bound not listed could be widened without breaking that proof.
    """

    parameter: str
    lower: float | None
    proved_at: float | None
    broken_at: float | None
    resolution: float
    proof: ProveResult | None
    counterexample: ProveResult | None
    proofs: int
    binding: tuple[str, ...] = ()

    def show(self, value: float) -> str:
        """``dispatch=1..5`` (a range whose upper bound is `value`) or ``sleep=238``."""
        if self.lower is None:
            return f"{self.parameter}={value:g}"
        return f"{self.parameter}={self.lower:g}..{value:g}"

    def __str__(self) -> str:
        if self.broken_at is None:
            assert self.proved_at is not None
            return f"proved on the whole range (up to {self.show(self.proved_at)})"
        if self.proved_at is None:
            return f"a counterexample on the whole range (from {self.show(self.broken_at)})"
        return (
            f"proved with {self.show(self.proved_at)}, counterexample with "
            f"{self.show(self.broken_at)} (resolution {self.resolution:g})"
        )


def boundary(
    strategy: str | Strategy,
    prop: str,
    parameter: str,
    low: float,
    high: float,
    *,
    pushes: int = 2,
    bounds: Bounds | Mapping[str, object] | None = None,
    resolution: float = 0.01,
) -> Boundary:
    """Bisect `parameter` over ``[low, high]`` for the boundary between proved and broken.

    `parameter` is a duration field (its *upper* bound is varied, its lower bound kept from
    `bounds`), ``gap`` (the upper bound of push gaps) or ``sleep`` (the strategy's sleep).
    """
    chosen = parse_strategy(strategy)
    base = as_bounds(bounds)
    if not resolution > 0 or not low < high:
        raise InputError("resolution", f"expected low < high and resolution > 0, got {low}, {high}")
    if parameter == "sleep":

        def at(x: float) -> ProveResult:
            return prove(replace(chosen, sleep=x), prop, pushes=pushes, bounds=base)

        found = _bisect(parameter, None, at, low, high, resolution, safer_when_larger=True)
        if found.proved_at is None:
            return found
        fixed = replace(chosen, sleep=found.proved_at)
        return replace(found, binding=_binding(fixed, prop, pushes, found.proof))
    if parameter not in (*DURATION_FIELDS, "gap"):
        raise InputError("parameter", f"expected a duration field, gap or sleep, got {parameter!r}")
    lower = base.gap[0] if parameter == "gap" else base.durations[parameter][0]

    def within(x: float) -> ProveResult:
        return prove(chosen, prop, pushes=pushes, bounds=base.with_range(parameter, lower, x))

    found = _bisect(parameter, lower, within, low, high, resolution, safer_when_larger=False)
    if found.proved_at is None:
        return found
    return replace(found, binding=_binding(chosen, prop, pushes, found.proof))


def _binding(
    strategy: Strategy, prop: str, pushes: int, proof: ProveResult | None
) -> tuple[str, ...]:
    """The union of the unsat cores of `proof` for every push count it covers."""
    if proof is None:
        return ()
    names: set[str] = set()
    for n in range(1, pushes + 1):
        core = binding_bounds(Encoding(strategy, proof.bounds, n), prop)
        names.update(core or ())
    return tuple(sorted(names))


def _bisect(
    parameter: str,
    lower: float | None,
    at: Callable[[float], ProveResult],
    low: float,
    high: float,
    resolution: float,
    *,
    safer_when_larger: bool,
) -> Boundary:
    steps = round((high - low) / resolution)

    def value(i: int) -> float:
        return round(low + i * resolution, 9)

    results = {0: at(value(0)), steps: at(value(steps))}
    lo, hi = 0, steps
    if results[lo].proved == results[hi].proved:  # no boundary inside the range
        # report the end of the range furthest into the risky direction that is still proved,
        # or the safest end that is already broken
        risky, safe = (lo, hi) if safer_when_larger else (hi, lo)
        if results[lo].proved:
            r = results[risky]
            return Boundary(parameter, lower, value(risky), None, resolution, r, None, 2)
        r = results[safe]
        return Boundary(parameter, lower, None, value(safe), resolution, None, r, 2)
    proved_low = results[lo].proved
    while hi - lo > 1:
        mid = (lo + hi) // 2
        results[mid] = at(value(mid))
        if results[mid].proved == proved_low:
            lo = mid
        else:
            hi = mid
    p, b = (lo, hi) if proved_low else (hi, lo)
    return Boundary(
        parameter, lower, value(p), value(b), resolution, results[p], results[b], len(results)
    )
