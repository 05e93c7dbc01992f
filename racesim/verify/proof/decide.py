"""``prove``: decide a property for every history within bounds, or return the one that breaks it.

Push counts are decided from 1 up to ``pushes``, so the counterexample returned has as few pushes
as possible. A counterexample is never taken on the solver's word: it is replayed through the
SimPy engine (:func:`racesim.simulate`), and the engine must break the property too. If it does
not, the encoding and the engine disagree, which is a bug, and :class:`EncodingMismatch` says so
rather than printing an answer one of them contradicts.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from racesim.core.strategy import Strategy, parse_strategy
from racesim.engine.simulation import simulate
from racesim.errors import InputError, RacesimError
from racesim.verify.counterexample import Counterexample
from racesim.verify.proof.bounds import Bounds, as_bounds
from racesim.verify.proof.coverage import MAX_PUSHES, check_coverage, features
from racesim.verify.proof.encode import Encoding
from racesim.verify.proof.result import ProveResult
from racesim.verify.proof.solve import Candidate, solve
from racesim.verify.properties import PROPERTIES, REGISTRY_PROPERTIES

__all__ = ["EncodingMismatch", "prove"]


class EncodingMismatch(RacesimError):
    """The solver found a violation that the SimPy engine does not confirm (a racesim bug)."""


def prove(
    strategy: str | Strategy,
    prop: str = "never_stale",
    *,
    pushes: int = 2,
    bounds: Bounds | Mapping[str, object] | None = None,
    grid: float | None = None,
) -> ProveResult:
    """Decide whether `strategy` keeps `prop` for every history within `bounds`.

    Args:
        strategy: a preset name or a :class:`~racesim.Strategy`.
        prop: ``never_stale``, ``ships_what_it_claims``, ``ends_on_newest`` or
            ``never_regresses``.
        pushes: every history of 1 up to this many pushes is covered (1 to 4).
        bounds: a :class:`~racesim.proof.Bounds`, or a mapping of overrides of the default
            bounds (``{"build": (60, 180), "gap": (1, 60), "failures": True}``). Real-valued,
            closed intervals.
        grid: restrict every duration and gap to whole multiples of `grid` seconds: a discrete
            model, to compare with :func:`racesim.testing.exhaustive_check` on the same grid
            (``None``, the default, covers every real value).

    Returns:
        A :class:`~racesim.proof.ProveResult`: ``proved``, or a ``counterexample`` replayed
        through the SimPy engine.

    Raises:
        NotEncodedError: the strategy uses a knob the encoding does not model (named).
        InputError: a bad property name, push count or bound.
    """
    chosen = parse_strategy(strategy)
    if not isinstance(prop, str) or (prop not in PROPERTIES and prop not in REGISTRY_PROPERTIES):
        raise InputError(
            "property", f"unknown property {prop!r}; expected one of {', '.join(PROPERTIES)}"
        )
    if isinstance(pushes, bool) or not isinstance(pushes, int) or not 1 <= pushes <= MAX_PUSHES:
        raise InputError(
            "pushes", f"expected a whole number from 1 to {MAX_PUSHES}, got {pushes!r}"
        )
    covered = as_bounds(bounds)
    if grid is not None and (
        isinstance(grid, bool) or not isinstance(grid, int | float) or grid <= 0
    ):
        raise InputError("grid", f"expected a step in seconds > 0, got {grid!r}")
    check_coverage(chosen)
    label = strategy if isinstance(strategy, str) else chosen.describe()
    started = time.perf_counter()
    found: Counterexample | None = None
    for n in range(1, pushes + 1):
        candidates = solve(Encoding(chosen, covered, n), prop, grid)
        if candidates:
            found = _confirm(chosen, label, prop, candidates)
            break
    return ProveResult(
        strategy=label,
        prop=prop,
        pushes=pushes,
        bounds=covered,
        verdict="proved" if found is None else "counterexample",
        counterexample=found,
        features=tuple(features(chosen)),
        seconds=time.perf_counter() - started,
        grid=grid,
    )


def _confirm(
    strategy: Strategy, label: str, prop: str, candidates: list[Candidate]
) -> Counterexample:
    check = PROPERTIES.get(prop) or REGISTRY_PROPERTIES[prop]
    for candidate in candidates:
        trace = simulate(strategy, candidate.history)
        result = check(trace)
        if not result:
            return Counterexample(label, prop, candidate.history, trace, result, candidate.ties)
    raise EncodingMismatch(
        f"the solver found a history on which {label} breaks {prop}, but the SimPy engine "
        f"does not confirm it; this is a racesim bug, please report it with: "
        f"{candidates[-1].history!r}"
    )
