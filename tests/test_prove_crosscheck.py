"""Cross-checks that keep the SMT encoding honest against the SimPy engine.

On small integer bounds, every preset and property at 1 and 2 pushes:

- the proof restricted to whole seconds (``grid=1``) decides exactly the finite set of histories
  that ``exhaustive_check`` simulates one by one, so the two verdicts must be equal;
- the real-valued proof covers a superset: "proved" there implies the grid holds too;
- hypothesis search on the same bounds finds nothing where the proof says "proved";
- every counterexample the solver returns breaks the property in the engine (``prove`` refuses
  to return one that does not; here we replay it again to be sure).

A hypothesis property then draws random small bounds, and strategies beyond the presets (every
knob the encoding covers), and compares ``prove(grid=1)`` with the dense grid over those bounds.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from racesim import Concurrency, Durations, History, Strategy, Wait, simulate
from racesim.core.history import DURATION_FIELDS
from racesim.core.strategy import PRESETS, parse_strategy
from racesim.proof import Bounds, NotEncodedError, prove
from racesim.testing import PROPERTIES, exhaustive_check, search, strategy_values
from racesim.verify.proof.coverage import check_coverage

#: the durations that vary; every other one is fixed at 1 s (registry lag 0)
GRID: dict[str, tuple[float, ...]] = {"build": (1, 2, 3), "dispatch": (1, 2, 3), "prepare": (1, 2)}
GAPS = (1.0, 2.0, 3.0)


def grid_bounds(grid: dict[str, tuple[float, ...]], gaps: tuple[float, ...]) -> Bounds:
    """The closed intervals whose whole-second points are exactly `grid` and `gaps`."""
    over: dict[str, object] = dict.fromkeys(DURATION_FIELDS, (1, 1))
    over["registry_lag"] = over["deploy_registry_lag"] = (0, 0)
    for name, values in grid.items():
        over[name] = (min(values), max(values))
    over["gap"] = (min(gaps), max(gaps))
    return Bounds.of(over)


BOUNDS = grid_bounds(GRID, GAPS)


def _encoded_name(name: str) -> bool:
    try:
        check_coverage(parse_strategy(name))
    except NotEncodedError:
        return False
    return True


#: the presets the encoding covers; the others are refused (tests/test_prove.py checks that)
ENCODED_PRESETS = sorted(name for name in PRESETS if _encoded_name(name))
CASES = [(s, p, k) for s in ENCODED_PRESETS for p in PROPERTIES for k in (1, 2)]


@pytest.mark.parametrize(("strategy", "prop", "pushes"), CASES)
def test_proof_agrees_with_exhaustive_check_and_search(
    strategy: str, prop: str, pushes: int
) -> None:
    on_grid = prove(strategy, prop, pushes=pushes, bounds=BOUNDS, grid=1)
    exhaustive = exhaustive_check(strategy, prop, pushes=pushes, grid=GRID, gaps=GAPS)
    assert on_grid.proved == exhaustive.holds, (on_grid.text(), exhaustive.counterexample)

    real = prove(strategy, prop, pushes=pushes, bounds=BOUNDS)
    if real.proved:
        assert exhaustive.holds
    for result in (on_grid, real):
        if result.counterexample is not None:
            cx = result.counterexample
            assert not PROPERTIES[prop](simulate(strategy, cx.history))
            assert cx.history.commits <= pushes

    bounds = dict(BOUNDS.durations.items())
    found = search(
        strategy,
        prop,
        pushes=pushes,
        bounds=bounds,
        max_gap=int(BOUNDS.gap[1]),
        max_examples=30,
        seed=1,
    )
    if on_grid.proved:
        assert found.holds, found.counterexample
    if not found.holds:
        assert not on_grid.proved


def _encoded(strategy: Strategy) -> bool:
    try:
        check_coverage(strategy)
    except NotEncodedError:
        return False
    return True


#: presets, and any strategy value the encoding covers (publish guard, digests, queue max,
#: polling with short timeouts, ...)
ANY_STRATEGY = st.one_of(
    st.sampled_from(ENCODED_PRESETS),
    strategy_values()
    .map(lambda s: s if s.wait is None else replace(s, wait=Wait(s.wait.interval, 10)))
    .filter(_encoded),
)


@settings(max_examples=16, deadline=None, derandomize=True)
@given(
    strategy=ANY_STRATEGY,
    prop=st.sampled_from(sorted(PROPERTIES)),
    build=st.integers(1, 3),
    dispatch=st.integers(1, 3),
    rollout=st.integers(1, 2),
    gap=st.integers(1, 2),
)
def test_random_small_bounds_give_the_grid_verdict(
    strategy: str | Strategy, prop: str, build: int, dispatch: int, rollout: int, gap: int
) -> None:
    grid = {
        "build": tuple(float(v) for v in range(1, build + 1)),
        "dispatch": tuple(float(v) for v in range(1, dispatch + 1)),
        "rollout": tuple(float(v) for v in range(1, rollout + 1)),
    }
    gaps = tuple(float(v) for v in range(1, gap + 1))
    result = prove(strategy, prop, pushes=2, bounds=grid_bounds(grid, gaps), grid=1)
    exhaustive = exhaustive_check(strategy, prop, pushes=2, grid=grid, gaps=gaps)
    assert result.proved == exhaustive.holds


#: a grid where each build may fail on its own (exhaustive_check fails every build or none)
FAILING_GRID: dict[str, tuple[float, ...]] = {"build": (1, 2, 3), "dispatch": (1, 2)}


def _every_history_with_failures(pushes: int) -> list[History]:
    base = dict.fromkeys(DURATION_FIELDS, 1.0) | {"registry_lag": 0.0, "deploy_registry_lag": 0.0}
    records = [
        Durations.from_mapping({**base, "build": b, "dispatch": d, "build_fails": fails})
        for b in FAILING_GRID["build"]
        for d in FAILING_GRID["dispatch"]
        for fails in (False, True)
    ]
    out = []
    for gaps in itertools.product((1.0, 2.0), repeat=pushes - 1):
        times = list(itertools.accumulate((0.0, *gaps)))
        for combo in itertools.product(records, repeat=pushes):
            out.append(History.at(times, list(combo)))
    return out


@pytest.mark.parametrize("strategy", ENCODED_PRESETS)
def test_failing_builds_agree_with_every_history_on_the_grid(strategy: str) -> None:
    """Builds that may fail, each on its own: the proof on whole seconds against enumeration."""
    bounds = Bounds.of({**grid_bounds(FAILING_GRID, (1.0, 2.0)).to_json(), "failures": True})
    histories = _every_history_with_failures(2)
    traces = [simulate(strategy, h) for h in histories]
    for prop, check in PROPERTIES.items():
        broken = any(not check(t) for t in traces)
        result = prove(strategy, prop, pushes=2, bounds=bounds, grid=1)
        assert result.proved == (not broken), (prop, result.text())


#: strategies where a registry lag, a cancelled rollout or the target's order decides: deploys
#: that cancel each other in progress (the target carries the rollout on, or not; the last to
#: finish wins, or the last request), merged runs that cancel, and the chained presets whose
#: deploy reads a registry another job wrote
LAG_AND_CANCEL = [
    replace(PRESETS["pinned"], deploy_concurrency=Concurrency(cancel_in_progress=True)),
    replace(
        PRESETS["pinned"],
        deploy_concurrency=Concurrency(cancel_in_progress=True),
        rollout_survives_cancel=False,
    ),
    Strategy(trigger="needs", build_concurrency=Concurrency(cancel_in_progress=True)),
    Strategy(
        trigger="needs",
        build_concurrency=Concurrency(cancel_in_progress=True),
        rollout_survives_cancel=False,
    ),
    replace(
        PRESETS["pinned"],
        deploy_concurrency=Concurrency(cancel_in_progress=True),
        live_order="request",
    ),
    replace(PRESETS["pinned"], live_order="request"),
    PRESETS["workflow_run"],
    PRESETS["direct_registry"],
    PRESETS["parallel"],
]

#: each registry's lag varies on its own, the rollout long enough to be cancelled midway
LAG_GRID: dict[str, tuple[float, ...]] = {
    "build": (1, 3),
    "registry_lag": (0, 2),
    "deploy_registry_lag": (0, 2),
    "rollout": (1, 4),
}


@pytest.mark.parametrize("strategy", LAG_AND_CANCEL, ids=lambda s: s.describe()[:60])
@pytest.mark.parametrize("prop", sorted(PROPERTIES))
def test_lags_per_registry_and_the_cancel_knob_agree_with_every_history_on_the_grid(
    strategy: Strategy, prop: str
) -> None:
    """prove on whole seconds against the engine on every two-push history of the grid."""
    grid = {name: tuple(float(v) for v in range(int(lo), int(hi) + 1)) for name, (lo, hi) in (
        (n, (min(vs), max(vs))) for n, vs in LAG_GRID.items()
    )}  # fmt: skip
    gaps = (1.0, 2.0, 3.0)
    on_grid = prove(strategy, prop, pushes=2, bounds=grid_bounds(grid, gaps), grid=1)
    exhaustive = exhaustive_check(strategy, prop, pushes=2, grid=grid, gaps=gaps)
    assert on_grid.proved == exhaustive.holds, (on_grid.text(), exhaustive.counterexample)
