"""The multi-push fast path equals the SimPy engine trial by trial, bit for bit, on every column.

The model is ``tests/test_fastpath.py``: random strategies (those the multi-push path accepts)
on random histories of several pushes, with push times and durations drawn from a few values so
that pushes coincide and steps end at the same instant as others (ties); then addressed sampling
end to end (``run_trials`` auto against SimPy on the built-in multi-push scenarios and a Poisson
schedule); then the allow-list. ``python -m benchmarks --suite equivalence`` runs the same
comparison on 10^5 histories per preset.

Environment: ``RACESIM_MULTI_EXAMPLES`` (hypothesis examples, default 300, each of
``RACESIM_MULTI_TRIALS_PER_EXAMPLE`` trials, default 30) and ``RACESIM_MULTI_TRIALS`` (trials per
scenario of the ``run_trials`` comparisons, default 2,000).
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from racesim.core.history import DURATION_FIELDS, Durations, History
from racesim.core.strategy import PRESETS, Concurrency, Strategy, Wait
from racesim.engine import simulate
from racesim.errors import InputError
from racesim.scenarios import Burst, Poisson, Scenario, load_scenario
from racesim.scenarios.timing import Empirical
from racesim.studies.fastmulti import multi_columns, multi_path_reason
from racesim.studies.fastpath import fast_columns, fast_path_reason
from racesim.studies.sampled import SampledBlock
from racesim.studies.trials import COLUMN_DTYPES, metric_columns, run_trials, trial_metrics
from racesim.verify.generators import strategy_values

TRIALS_PER_EXAMPLE = int(os.environ.get("RACESIM_MULTI_TRIALS_PER_EXAMPLE", "30"))
EXAMPLES = int(os.environ.get("RACESIM_MULTI_EXAMPLES", "300"))  # 300 x 30 = 9,000 trials
TRIALS = int(os.environ.get("RACESIM_MULTI_TRIALS", "2000"))  # per scenario, every preset

#: a trial: its push times (in order) and each push's durations
Trial = tuple[list[float], list[Durations]]

# Per block, durations come from one of a few palettes of few distinct values, so that steps often
# end at the same instant as others (ties): the first is that of tests/test_fastpath.py (zero
# durations, chains of events within one instant, and a non-integer value); the others make
# whole pipelines of zero-length steps (a read at the very instant of a write) common.
_PALETTES = (
    (0.0, 1.0, 2.0, 3.0, 5.0, 0.5, 30.0),
    (0.0, 1.0),
    (0.0, 0.0, 0.0, 1.0),
    (0.0, 0.5, 1.5, 2.0),
    (0.0, 10.0, 20.0, 40.0),
    (0.25, 0.5, 0.75, 1.0, 3.0),
)
# push times, likewise: with duplicates (simultaneous pushes), 1 s apart, a non-integer one
_PUSH_PALETTES = (
    (0.0, 0.0, 1.0, 5.0, 10.0, 30.0, 2.5),
    (0.0,),
    (0.0, 1.0),
    (0.0, 0.5, 1.0, 1.5),
    (0.0, 10.0, 20.0, 40.0, 80.0),
)

#: presets and scenarios of the addressed-sampling comparisons
PRESET_NAMES = tuple(PRESETS)  # "sleep:60" included
SCENARIOS = ("two-pushes-out-of-order", "burst-of-5")


def accepted_presets() -> list[str]:
    """The presets the multi-push path decides (the others go to SimPy whole)."""
    return [name for name in PRESET_NAMES if multi_path_reason(PRESETS[name]) is None]


# -- histories as a block --------------------------------------------------------------------------


@st.composite
def _durations(draw: st.DrawFn, seconds: st.SearchStrategy[float], fails: int) -> Durations:
    fields = {name: draw(seconds) for name in DURATION_FIELDS}
    return Durations(**fields, build_fails=fails > 0 and draw(st.integers(1, 10)) <= fails)


@st.composite
def _trials(draw: st.DrawFn, size: int) -> list[Trial]:
    """`size` trials of one block: up to `width` pushes each (2 to 6), most with all of them.

    Every trial has durations for all `width` pushes, as a sampled block does; a trial with fewer
    pushes (a Poisson schedule's) ignores the ones past its last push. Builds fail 0, 2 or 5
    times in 10.
    """
    width = draw(st.integers(2, 6))
    seconds = st.sampled_from(draw(st.sampled_from(_PALETTES)))
    push_times = st.sampled_from(draw(st.sampled_from(_PUSH_PALETTES)))
    fails = draw(st.sampled_from([2, 0, 5]))
    durations = _durations(seconds, fails)
    out = []
    for _ in range(size):
        count = width if draw(st.booleans()) else draw(st.integers(1, width))
        times = sorted(draw(st.lists(push_times, min_size=count, max_size=count)))
        out.append((times, draw(st.lists(durations, min_size=width, max_size=width))))
    return out


def block_of(trials: list[Trial]) -> SampledBlock:
    """The block of `trials`: times ``(n, width)``, NaN past a trial's last push."""
    n, width = len(trials), max(len(d) for _, d in trials)
    times = np.full((n, width), np.nan)
    for i, (t, _) in enumerate(trials):
        times[i, : len(t)] = t
    counts = np.array([len(t) for t, _ in trials], dtype=np.int64)
    pushes = tuple(
        {
            name: np.array([getattr(d[k], name) for _, d in trials])
            for name in Durations.__dataclass_fields__
        }
        for k in range(width)
    )
    return SampledBlock(0, 0, n, times, counts, pushes, (), ())


def history_of(trial: Trial) -> History:
    times, durations = trial
    return History.at(times, durations[: len(times)])


def engine_rows(strategy: Strategy, trials: list[Trial]) -> dict[str, np.ndarray]:
    rows = []
    for trial in trials:
        history = history_of(trial)
        trace = simulate(strategy, history)
        rows.append(trial_metrics(trace.outcome, history, trace.build_registry))
    return metric_columns(rows)


def mismatches(
    fast: dict[str, Any], undecided: np.ndarray, engine: dict[str, np.ndarray]
) -> list[tuple[int, str, Any, Any]]:
    """``(trial, column, fast value, engine value)`` of every decided trial that differs.

    Bit for bit: floats must be equal (NaN where the engine has NaN) with the same sign of zero.
    """
    decided = ~np.asarray(undecided, dtype=np.bool_)
    out = []
    for name, expected in engine.items():
        assert name in fast, f"the fast path has no column {name!r}"
        got: np.ndarray = np.asarray(fast[name], dtype=COLUMN_DTYPES[name])
        assert got.shape == expected.shape, (name, got.shape, expected.shape)
        if got.dtype.kind == "f":
            same = (got == expected) & (np.signbit(got) == np.signbit(expected))
            same |= np.isnan(got) & np.isnan(expected)
        else:
            same = got == expected
        for i in np.flatnonzero(decided & ~same).tolist():
            out.append((i, name, got[i].item(), expected[i].item()))
    return out


def check_equal(strategy: Strategy, trials: list[Trial]) -> np.ndarray:
    """Assert the multi-push path equals the engine on every decided trial; the undecided mask."""
    block = block_of(trials)
    fast, undecided = fast_columns(strategy, block)
    undecided = np.asarray(undecided)
    assert undecided.dtype == np.bool_ and undecided.shape == (len(trials),)
    bad = mismatches(fast, undecided, engine_rows(strategy, trials))
    if bad:
        i, name, got, expected = bad[0]
        times, durations = trials[i]
        raise AssertionError(
            f"{len(bad)} mismatches; first: column {name!r}: fast {got!r} != SimPy {expected!r}\n"
            f"  strategy: {strategy!r}\n  push times: {times}\n"
            f"  durations: {durations[: len(times)]}"
        )
    return undecided


# -- strategies the multi-push path accepts --------------------------------------------------------


def _without_refused_knobs(s: Strategy) -> Strategy:
    """`s` without the knobs the multi-push path is documented to refuse (the rest kept)."""
    deploy = s.deploy_concurrency
    if deploy is not None and deploy.cancel_in_progress:
        deploy = Concurrency(deploy.queue)
    return replace(
        s,
        publish_guard=False,
        publish_guard_at="build_start",
        reconcile_latest=False,
        deploy_concurrency=deploy,
        build_concurrency=None if s.trigger == "needs" else s.build_concurrency,
    )


@st.composite
def accepted_strategies(draw: st.DrawFn) -> Strategy:
    """Any strategy of the design space the multi-push path accepts, as is or with the knobs it
    refuses taken off; short polls (landing on ties) half the time, no or short sleeps mostly."""
    strategy = draw(strategy_values())
    # nothing deploys on its own with trigger "none": keep one in four, spend the rest elsewhere
    assume(strategy.trigger != "none" or draw(st.integers(0, 3)) == 0)
    if multi_path_reason(strategy) is not None:
        strategy = _without_refused_knobs(strategy)
    assume(multi_path_reason(strategy) is None)
    if strategy.wait is not None and draw(st.booleans()):
        strategy = replace(strategy, wait=replace(strategy.wait, interval=1.0, timeout=6.0))
    strategy = replace(strategy, sleep=draw(st.sampled_from([0.0, 0.0, 1.0, 2.5, strategy.sleep])))
    assume(multi_path_reason(strategy) is None)
    return strategy


# -- hypothesis: random strategies on random tie-laden histories -----------------------------------


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(accepted_strategies(), _trials(TRIALS_PER_EXAMPLE))
def test_multi_path_equals_the_engine_trial_by_trial(
    strategy: Strategy, trials: list[Trial]
) -> None:
    """Every column of every decided trial is bit-for-bit the engine's (ties, zeros, failures)."""
    check_equal(strategy, trials)


_ZERO = Durations()

#: minimal histories the random search once found the multi-push path getting wrong (each
#: shrunk by hand: fewer pushes, fewer non-zero durations, fewer knobs)
_FOUND: dict[str, tuple[Strategy, Trial]] = {
    # request order with a deploy group: the queued deploy's request comes when it starts
    "request order, queued deploy": (
        Strategy(
            reference="sha", sleep=5.0, deploy_concurrency=Concurrency(), live_order="request"
        ),
        ([0.0, 1.0], [_ZERO, _ZERO]),
    ),
    # a build group admits a zero-length build at its push instant: the write comes after a
    # read at that instant (the one-push path leaves that tie undecided)
    "build group, zero-length build, read at the push": (
        Strategy(reference="sha", build_concurrency=Concurrency(queue="max")),
        ([0.0, 100.0], [replace(_ZERO, rollout=1.0), replace(_ZERO, rollout=1.0)]),
    ),
    "build group, zero-length build, poll at the push": (
        Strategy(
            trigger="workflow_run",
            wait=Wait(2.0, 6.0),
            build_concurrency=Concurrency(queue="max"),
        ),
        (
            [1.0, 5.0],
            [
                replace(_ZERO, build_pickup=1.0, push=1.0, build_verify=1.0, dispatch=1.0),
                replace(_ZERO, deploy_verify=1.0),
            ],
        ),
    ),
    # nothing deploys, and the guard's check order has no deploy to order
    "trigger none with a newer-than-live guard": (
        Strategy(trigger="none", guard="newer_than_live"),
        ([0.0, 10.0], [_ZERO, _ZERO]),
    ),
}


@pytest.mark.parametrize("label", list(_FOUND))
def test_histories_the_search_found(label: str) -> None:
    strategy, trial = _FOUND[label]
    check_equal(strategy, [trial])


def test_fast_columns_dispatches_multi_push_blocks_to_the_multi_path() -> None:
    """``fast_columns`` on a block of several pushes gives what ``multi_columns`` gives."""
    d = Durations(build_pickup=3.0, build=70.0, build_verify=20.0, deploy_pickup=3.0)
    trials: list[Trial] = [([0.0, 10.0], [d, replace(d, build=40.0)]), ([0.0], [d, d])]
    block = block_of(trials)
    for name in accepted_presets():
        strategy = PRESETS[name]
        via, undecided = fast_columns(strategy, block)
        direct, direct_undecided = multi_columns(strategy, block)
        assert np.array_equal(undecided, direct_undecided), name
        assert not mismatches(via, undecided, {c: np.asarray(a) for c, a in direct.items()})
        check_equal(strategy, trials)


def _tie_free_trials(seed: int, n: int, width: int) -> list[Trial]:
    """Continuous push gaps and durations (no two sums of them meet by chance), some failures."""
    rng = np.random.default_rng(seed)
    out: list[Trial] = []
    for _ in range(n):
        count = int(rng.integers(1, width + 1)) if rng.random() < 0.3 else width
        times = np.cumsum(np.concatenate([[0.0], rng.uniform(0.1, 40.0, count - 1)])).tolist()
        durations = [
            Durations(
                **{name: float(rng.uniform(0.1, 60.0)) for name in DURATION_FIELDS},
                build_fails=bool(rng.random() < 0.1),
            )
            for _ in range(width)
        ]
        out.append((times, durations))
    return out


@settings(
    max_examples=max(10, EXAMPLES // 5),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(accepted_strategies(), st.integers(0, 2**32 - 1), st.integers(2, 6))
def test_tie_free_histories_are_mostly_decided(strategy: Strategy, seed: int, width: int) -> None:
    """Without ties the multi-push path decides most trials itself (and decides them right)."""
    undecided = check_equal(strategy, _tie_free_trials(seed, 60, width))
    assert undecided.mean() < 0.5, (strategy, f"{undecided.mean():.0%} undecided")


def test_presets_on_tie_free_histories_are_mostly_decided() -> None:
    trials = _tie_free_trials(1, 200, 5)
    for name in accepted_presets():
        undecided = check_equal(PRESETS[name], trials)
        assert undecided.mean() < 0.5, (name, f"{undecided.mean():.0%} undecided")


# -- addressed sampling: run_trials auto against SimPy ---------------------------------------------


def assert_same_frames(auto: pd.DataFrame, simpy: pd.DataFrame) -> None:
    """Identical frames but for the ``engine`` column; on a difference, say which rows."""
    a, b = auto.drop(columns="engine"), simpy.drop(columns="engine")
    assert list(a.columns) == list(b.columns)
    for column in a.columns:
        x, y = a[column].to_numpy(), b[column].to_numpy()
        same = (x == y) | (pd.isna(x) & pd.isna(y)) if x.dtype.kind == "f" else x == y
        if not np.all(same):
            rows = np.flatnonzero(~same)
            row = a.iloc[rows[0]]
            raise AssertionError(
                f"{len(rows)} rows differ in {column!r}; first: trial {row['trial']} of "
                f"{row['strategy']} (seed {row['seed']}, engine {auto['engine'].iloc[rows[0]]}): "
                f"{x[rows[0]]!r} != SimPy {y[rows[0]]!r}"
            )
    pd.testing.assert_frame_equal(a, b)


def _compare(scenario: Scenario, strategies: list[Any], trials: int, seed: int) -> pd.DataFrame:
    auto = run_trials(scenario, strategies, trials=trials, seed=seed, progress=False)
    simpy = run_trials(
        scenario, strategies, trials=trials, seed=seed, progress=False, engine="simpy"
    )
    assert set(simpy["engine"]) == {"simpy"}
    assert set(auto["engine"]) <= {"fast", "simpy"}
    assert_same_frames(auto, simpy)
    return auto


def _fast_share(frame: pd.DataFrame) -> pd.Series:
    return (frame["engine"] == "fast").groupby(frame["strategy"], sort=False).mean()


def test_every_preset_is_accepted_or_refused_by_name() -> None:
    """The allow-list is explicit: the presets with a refused knob are refused, the rest kept."""
    refused = {name for name in PRESET_NAMES if multi_path_reason(PRESETS[name]) is not None}
    assert "reconcile_latest" in refused
    assert {"parallel", "workflow_run", "pinned", "queued_guarded", "sleep:60"}.isdisjoint(refused)
    for name in refused:
        reason = multi_path_reason(PRESETS[name])
        assert isinstance(reason, str) and reason


@pytest.mark.parametrize("name", SCENARIOS)
def test_run_trials_auto_equals_simpy_on_the_multi_push_scenarios(name: str) -> None:
    scenario = load_scenario(name)
    assert fast_path_reason(scenario) is None
    presets = accepted_presets()
    auto = _compare(scenario, presets, TRIALS, seed=11)
    share = _fast_share(auto)
    # continuous distributions: ties are rare, so the fast path decides most rows
    assert (share > 0.5).all(), share.to_dict()
    # engine="fast" takes the same path (and hands back the same undecided trials)
    fast = run_trials(scenario, presets, trials=min(TRIALS, 500), seed=11, progress=False,
                      engine="fast")  # fmt: skip
    pd.testing.assert_frame_equal(fast, auto.iloc[: len(fast)].reset_index(drop=True))


def test_a_poisson_schedule_equals_simpy() -> None:
    """Variable push counts (NaN push times past a trial's last push) and failed builds."""
    base = load_scenario("f8af4c1")
    scenario = replace(base, name="poisson", pushes=Poisson(30, 600), build_failure=0.1)
    assert fast_path_reason(scenario) is None
    auto = _compare(scenario, accepted_presets(), TRIALS, seed=5)
    pushes = auto["pushes"]
    assert pushes.min() == 1 and pushes.max() >= 5  # one-push trials and long ones in one block
    assert (_fast_share(auto) > 0.5).all(), _fast_share(auto).to_dict()


def test_a_burst_with_failed_builds_and_simultaneous_pushes_equals_simpy() -> None:
    """Gaps of 0 s (simultaneous pushes) half the time and a build failing one time in four."""
    scenario = replace(
        load_scenario("burst-of-5"),
        name="burst-ties",
        pushes=Burst(4, Empirical((0.0, 0.0, 3.0, 12.5))),
        build_failure=0.25,
    )
    _compare(scenario, accepted_presets(), max(100, TRIALS // 4), seed=3)


# -- the allow-list --------------------------------------------------------------------------------

_REFUSED = {
    "publish_guard": replace(PRESETS["parallel"], publish_guard=True),
    "reconcile_latest": PRESETS["reconcile_latest"],
    "deploy cancel-in-progress": replace(
        PRESETS["pinned"], deploy_concurrency=Concurrency(cancel_in_progress=True)
    ),
    "needs with a build group": replace(PRESETS["merged_job"], build_concurrency=Concurrency()),
}


@pytest.mark.parametrize("label", list(_REFUSED))
def test_the_multi_path_refuses_what_it_cannot_decide(label: str) -> None:
    """A refused strategy runs on SimPy with auto, and engine="fast" says why it cannot."""
    strategy = _REFUSED[label]
    reason = multi_path_reason(strategy)
    assert reason, label
    scenario = load_scenario("burst-of-5")
    auto = run_trials(scenario, [strategy], trials=20, seed=2, progress=False)
    assert set(auto["engine"]) == {"simpy"}
    with pytest.raises(InputError) as raised:
        run_trials(scenario, [strategy], trials=20, seed=2, progress=False, engine="fast")
    assert reason in str(raised.value), (reason, str(raised.value))


def test_a_refused_strategy_beside_accepted_ones_goes_to_simpy_alone() -> None:
    scenario = load_scenario("burst-of-5")
    refused = _REFUSED["publish_guard"]
    auto = _compare(scenario, ["parallel", refused], 300, seed=4)
    engines = auto.groupby("strategy", sort=False)["engine"].agg(set)
    assert engines[refused.describe()] == {"simpy"}
    assert "fast" in engines["parallel"]
