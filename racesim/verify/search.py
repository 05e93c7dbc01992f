"""Find the shortest history that breaks a strategy, or show there is none within bounds.

:func:`search` asks hypothesis for a history on which a property fails and lets it shrink that
history to a minimal one (fewer pushes, durations at their lower bounds). :func:`exhaustive_check`
enumerates every history on a small integer grid, which either backs "no counterexample found"
with "none exists within these bounds" or finds one the random search missed.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from hypothesis import HealthCheck, Phase, find, settings, target
from hypothesis.control import currently_in_test_context
from hypothesis.errors import NoSuchExample

from racesim.core.history import DURATION_FIELDS, Dispatch, Durations, History, Push, Rerun
from racesim.core.strategy import Strategy, parse_strategy
from racesim.engine.simulation import simulate
from racesim.errors import InputError
from racesim.limits import MAX_CHECK_EXAMPLES, MAX_CHECK_PUSHES, check_count
from racesim.verify.counterexample import Counterexample
from racesim.verify.generators import duration_bounds, histories
from racesim.verify.properties import Property, as_check, parse_property

if TYPE_CHECKING:
    from racesim.core.trace import Trace

__all__ = [
    "DEFAULT_GRID",
    "ExhaustiveResult",
    "SearchResult",
    "corner_histories",
    "exhaustive_check",
    "exhaustive_checks",
    "find_counterexample",
    "search",
]


@dataclass(frozen=True)
class SearchResult:
    """What a search tried and what it found.

    Attributes:
        strategy / prop: what was searched (``prop`` is the property's name).
        counterexample: the shrunk failing history, or ``None``.
        examples: how many histories were simulated (generation and shrinking).
        seed: the seed that reproduces the search.
        max_examples: the generation budget.
    """

    strategy: str
    prop: str
    counterexample: Counterexample | None
    examples: int
    seed: int
    max_examples: int

    @property
    def holds(self) -> bool:
        return self.counterexample is None

    def to_json(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy,
            "property": self.prop,
            "counterexample": None
            if self.counterexample is None
            else self.counterexample.to_json(),
            "examples": self.examples,
            "seed": self.seed,
        }


def _order_margin(trace: Trace) -> float:
    """How close production came to going backwards: the latest moment an older commit went
    live after a newer one did (positive: it did; negative: how many seconds it missed by)."""
    lives = [e for e in trace.events if e.kind == "live"]
    best = -1e9
    for i, newer in enumerate(lives):
        for older in lives[i + 1 :]:
            if older.image < newer.image:
                return 1.0 + older.time - newer.time
        for older in lives[:i]:
            if older.image < newer.image:
                best = max(best, older.time - newer.time)
    return best


def _stale_margin(trace: Trace) -> float:
    """How close a deploy came to pulling before its image was there (positive: it did)."""
    margins = [-d.pull_margin for d in trace.outcome.deploys if d.pull_margin is not None]
    return max(margins, default=-1e9)


#: for the built-in properties, a score that rises toward a violation: hypothesis's targeted
#: phase climbs it, which finds breaks that need several durations at once near an edge
_MARGINS: dict[str, Callable[[Trace], float]] = {
    "never_stale": _stale_margin,
    "ships_what_it_claims": _stale_margin,
    "ends_on_newest": _order_margin,
    "never_regresses": _order_margin,
}


def _label(spec: str | Strategy) -> str:
    return spec if isinstance(spec, str) else spec.name


def search(
    strategy: str | Strategy,
    prop: str | Property,
    *,
    pushes: int = 2,
    min_pushes: int = 1,
    max_gap: int = 60,
    bounds: Mapping[str, tuple[float, float] | float] | None = None,
    failures: bool = False,
    max_examples: int = 300,
    seed: int = 0,
    history_strategy: Any = None,
    reruns: int = 0,
    dispatches: int = 0,
) -> SearchResult:
    """Search for a history on which `strategy` breaks `prop`, shrunk to a minimal one.

    Args:
        strategy: a preset name or a Strategy.
        prop: a property name (``never_stale``, ...) or a function of a trace.
        pushes: at most this many pushes (``min_pushes`` at least).
        max_gap: largest gap between pushes, in seconds.
        bounds: duration ranges (see :data:`racesim.testing.DEFAULT_BOUNDS`).
        failures: let builds fail.
        max_examples: how many histories hypothesis generates before giving up.
        seed: makes the search reproducible; report it when a search surprises you.
        history_strategy: any hypothesis strategy of histories, replacing the one above.
        reruns: at most this many re-runs of earlier builds per history (default none).
        dispatches: at most this many manual deploy dispatches per history (default none).
    """
    chosen = parse_strategy(strategy)
    name, check = parse_property(prop)
    if isinstance(max_examples, bool) or not isinstance(max_examples, int) or max_examples < 1:
        raise InputError("max_examples", f"expected a whole number >= 1, got {max_examples!r}")
    check_count("max_examples", max_examples, MAX_CHECK_EXAMPLES, "examples")
    if isinstance(pushes, int):
        check_count("pushes", pushes, MAX_CHECK_PUSHES, "pushes")
    if not 1 <= min_pushes <= pushes:
        raise InputError(
            "pushes", f"expected 1 <= min_pushes <= pushes, got {min_pushes}, {pushes}"
        )
    tried = 0

    aim = _MARGINS.get(name) if not callable(prop) else None
    sampling = False  # True only inside this search's own hypothesis run

    def breaks(history: History) -> bool:
        nonlocal tried
        tried += 1
        trace = simulate(chosen, history)
        if aim is not None and sampling and currently_in_test_context():  # toward the edge
            target(aim(trace), label=name)
        return not as_check(check(trace), name)

    config = settings(
        max_examples=max_examples,
        database=None,
        deadline=None,
        derandomize=False,
        phases=(Phase.generate, Phase.target, Phase.shrink),
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    # fewest pushes first: a history with n pushes is only searched for once none with fewer
    # pushes was found, so the result is as short as the search can make it
    levels = (
        [history_strategy]
        if history_strategy is not None
        else [
            histories(
                n,
                min_pushes=n,
                max_gap=max_gap,
                bounds=bounds,
                failures=failures,
                reruns=reruns,
                dispatches=dispatches,
            )
            for n in range(min_pushes, pushes + 1)
        ]
    )
    found: History | None = None
    for n, space in zip(range(min_pushes, pushes + 1), levels, strict=False):
        # first the corners (every duration at its lower bound but one at its upper), where
        # ordering races live and a random draw rarely lands; then the random search
        if history_strategy is None and not failures and not reruns and not dispatches:
            found = next(
                (h for h in corner_histories(n, bounds=bounds, max_gap=max_gap) if breaks(h)),
                None,
            )
        if found is None:
            sampling = True
            try:
                with _seed_alone():
                    found = find(space, breaks, settings=config, random=random.Random(seed))
            except NoSuchExample:
                continue
            finally:
                sampling = False
        found = _drop_pushes(found, breaks)
        break
    counterexample = None
    if found is not None:
        # the solver (z3) is only needed once a counterexample is found: not at import time
        from racesim.verify.proof.solve import ties_in

        trace = simulate(chosen, found)
        ties = ties_in(chosen, name, found) or ()
        counterexample = Counterexample(
            _label(strategy), name, found, trace, as_check(check(trace), name), ties
        )
    return SearchResult(_label(strategy), name, counterexample, tried, seed, max_examples)


@contextmanager
def _seed_alone() -> Iterator[None]:
    """Run a search with hypothesis's pool of local constants empty, so its seed alone decides it.

    Hypothesis (6.131 and later) mixes into generation the literals it finds in the source of
    every non-library module the process has imported, so a seeded search gave different
    histories in a process that had imported different modules (a notebook, the CLI, a test
    run). This empties that pool for the search's own run, through hypothesis internals; if
    they move, the search runs as before and tests/test_search_reach.py's cross-process check
    says so.
    """
    try:
        from hypothesis.internal.conjecture import providers
        from hypothesis.internal.constants_ast import Constants
    except ImportError:  # pragma: no cover - a hypothesis without the pool
        yield
        return
    original = getattr(providers, "_get_local_constants", None)
    cache = getattr(getattr(providers, "CONSTANTS_CACHE", None), "cache", None)
    if original is None or cache is None:  # pragma: no cover
        yield
        return
    empty = Constants()
    setattr(providers, "_get_local_constants", lambda: empty)  # noqa: B010
    cache.clear()  # allowed constants per choice type, computed from the pool
    try:
        yield
    finally:
        setattr(providers, "_get_local_constants", original)  # noqa: B010
        cache.clear()


def corner_histories(
    pushes: int,
    *,
    bounds: Mapping[str, tuple[float, float] | float] | None = None,
    max_gap: int = 60,
) -> list[History]:
    """Histories of `pushes` pushes with every duration at its lower bound except one duration
    of one push at its upper bound, pushes a few chosen gaps apart (1 s, 10 s, 30 s and
    `max_gap`, within range), and the all-low history first.

    A race between two pipelines usually needs one step of one push to be slow while
    everything else is quick; this list holds each such corner once (12 fields x `pushes` x 4
    gaps), so a search tries them all before sampling.
    """
    ranges = duration_bounds(bounds)
    low = Durations(**{f: float(ranges[f][0]) for f in DURATION_FIELDS})  # type: ignore[arg-type]
    slow = [
        (i, replace(low, **{f: float(ranges[f][1])}))  # type: ignore[arg-type]
        for f in DURATION_FIELDS
        if ranges[f][0] < ranges[f][1]
        for i in range(pushes)
    ]
    out: list[History] = []
    for gap in sorted({g for g in (1, 10, 30, max_gap) if 1 <= g <= max_gap}):
        for which, durations in [(None, low), *slow]:
            out.append(
                History(
                    tuple(
                        Push(float(gap * i), durations if i == which else low, chr(65 + i))
                        for i in range(pushes)
                    ),
                    baseline="old",
                )
            )
    return out


def _drop_pushes(history: History, breaks: Callable[[History], bool]) -> History:
    """Remove pushes one at a time while the history still breaks the property."""
    shrunk = True
    while shrunk and history.commits > 1:
        shrunk = False
        for i in range(history.commits):
            kept = [p for j, p in enumerate(history.pushes) if j != i]
            start = kept[0].time
            pushes = tuple(
                Push(p.time - start, p.durations, chr(65 + k)) for k, p in enumerate(kept)
            )
            commit = i + 1  # re-runs of the dropped commit go; later commits move down by one
            reruns = tuple(
                Rerun(r.time - start, r.commit - (r.commit > commit), r.durations)
                for r in history.reruns
                if r.commit != commit and r.time >= start
            )
            dispatches = tuple(
                Dispatch(d.time - start, d.durations) for d in history.dispatches if d.time >= start
            )
            candidate = History(
                pushes, reruns=reruns, dispatches=dispatches, baseline=history.baseline
            )
            if breaks(candidate):
                history, shrunk = candidate, True
                break
    return history


def find_counterexample(
    strategy: str | Strategy, prop: str | Property, **kwargs: Any
) -> Counterexample | None:
    """The shrunk history on which `strategy` breaks `prop`, or ``None`` (see :func:`search`)."""
    return search(strategy, prop, **kwargs).counterexample


# -- exhaustive checks -----------------------------------------------------------------------

#: a small grid over the durations that decide orderings; others stay at 1 s
DEFAULT_GRID: dict[str, tuple[float, ...]] = {
    "build_pickup": (1, 10),
    "build": (1, 10, 20),
    "dispatch": (1, 5),
    "deploy_pickup": (1, 10),
    "prepare": (1, 10),
    "rollout": (1, 10),
}

_BASE = Durations.from_mapping(
    {name: 0.0 if name.endswith("registry_lag") else 1.0 for name in DURATION_FIELDS}
)


@dataclass(frozen=True)
class ExhaustiveResult:
    """How many histories an exhaustive check simulated and the first that broke the property."""

    strategy: str
    prop: str
    checked: int
    total: int
    counterexample: Counterexample | None
    grid: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    gaps: tuple[float, ...] = ()

    @property
    def holds(self) -> bool:
        return self.counterexample is None


def exhaustive_check(
    strategy: str | Strategy,
    prop: str | Property,
    *,
    pushes: int = 2,
    grid: Mapping[str, Sequence[float]] | None = None,
    gaps: Sequence[float] = (1, 5, 15),
    base: Durations | None = None,
    stop_at_first: bool = True,
) -> ExhaustiveResult:
    """Simulate every history on a grid: each push takes every combination of the grid's values.

    With ``pushes=2`` and the default grid that is ``(2*3*2*2*2*2)**2 * len(gaps)`` histories;
    other durations come from `base` (1 s steps, no registry lag). Histories are checked from the
    smallest values up, so the first counterexample found is a small one.
    """
    chosen = parse_strategy(strategy)
    name, check = parse_property(prop)
    axes, gap_options, total, grid_histories = _grid(grid, gaps, pushes, base or _BASE)
    checked = 0
    found: Counterexample | None = None
    for history in grid_histories:
        trace = simulate(chosen, history)
        result = as_check(check(trace), name)
        checked += 1
        if not result and found is None:
            found = Counterexample(_label(strategy), name, history, trace, result)
            if stop_at_first:
                break
    return ExhaustiveResult(_label(strategy), name, checked, total, found, axes, gap_options)


def _grid(
    grid: Mapping[str, Sequence[float]] | None,
    gaps: Sequence[float],
    pushes: int,
    base: Durations,
) -> tuple[dict[str, tuple[float, ...]], tuple[float, ...], int, Iterator[History]]:
    """The checked grid axes, the gaps, the number of histories, and the histories in order
    (every gap sequence, then every combination of grid values per push, smallest first)."""
    axes: dict[str, tuple[float, ...]] = {
        k: tuple(float(v) for v in vs) for k, vs in (grid or DEFAULT_GRID).items()
    }
    for key in axes:
        if key not in DURATION_FIELDS:
            raise InputError(
                f"grid.{key}", f"unknown duration; expected one of {', '.join(DURATION_FIELDS)}"
            )
    if not 1 <= pushes <= 4:
        raise InputError("pushes", f"an exhaustive check takes 1 to 4 pushes, got {pushes}")
    keys = list(axes)
    records = [
        Durations.from_mapping({**base.as_dict(), **dict(zip(keys, values, strict=True))})
        for values in itertools.product(*axes.values())
    ]
    gap_options = tuple(float(g) for g in gaps) if pushes > 1 else (0.0,)
    total = len(records) ** pushes * len(gap_options) ** (pushes - 1)

    def histories() -> Iterator[History]:
        for steps in itertools.product(gap_options, repeat=pushes - 1):
            times = list(itertools.accumulate((0.0, *steps)))
            for combo in itertools.product(records, repeat=pushes):
                yield History(
                    tuple(
                        Push(t, d, chr(65 + i))
                        for i, (t, d) in enumerate(zip(times, combo, strict=True))
                    ),
                    baseline="old",
                )

    return axes, gap_options, total, histories()


def exhaustive_checks(
    strategy: str | Strategy,
    props: Mapping[str, Property],
    *,
    pushes: int = 2,
    grid: Mapping[str, Sequence[float]] | None = None,
    gaps: Sequence[float] = (1, 5, 15),
) -> dict[str, ExhaustiveResult]:
    """:func:`exhaustive_check` of several properties in one pass over the grid.

    Each history is simulated once and checked against every property not yet broken, so the
    answer for each property is exactly what ``exhaustive_check(strategy, prop, ...)`` (with
    ``stop_at_first``) returns: the same first counterexample and the same count of histories
    checked, at the cost of the slowest property rather than of all of them.
    """
    chosen = parse_strategy(strategy)
    checks = {name: parse_property(prop)[1] for name, prop in props.items()}
    axes, gap_options, total, grid_histories = _grid(grid, gaps, pushes, _BASE)
    label = _label(strategy)
    done: dict[str, ExhaustiveResult] = {}
    checked = 0
    for history in grid_histories:
        trace = simulate(chosen, history)
        checked += 1
        for name, check in checks.items():
            if name in done:
                continue
            result = as_check(check(trace), name)
            if not result:
                cx = Counterexample(label, name, history, trace, result)
                done[name] = ExhaustiveResult(label, name, checked, total, cx, axes, gap_options)
        if len(done) == len(checks):
            return {name: done[name] for name in checks}
    return {
        name: done.get(name)
        or ExhaustiveResult(label, name, checked, total, None, axes, gap_options)
        for name in checks
    }
