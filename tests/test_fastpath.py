"""The fast path equals the SimPy engine trial by trial: random strategies, durations and ties."""

from __future__ import annotations

import os
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from racesim.core.history import DURATION_FIELDS, Durations, History
from racesim.core.strategy import PRESETS, Concurrency, Strategy
from racesim.engine import simulate
from racesim.errors import InputError
from racesim.scenarios import Burst, Explicit, Poisson, Scenario, load_scenario
from racesim.scenarios.format import RerunSpec
from racesim.scenarios.timing import Fixed, Uniform
from racesim.studies.fastpath import fast_columns, fast_path_reason, one_push_reason
from racesim.studies.sampled import SampledBlock
from racesim.studies.trials import COLUMN_DTYPES, metric_columns, run_trials, trial_metrics
from racesim.verify.generators import strategy_values

TRIALS_PER_EXAMPLE = 50
EXAMPLES = int(os.environ.get("RACESIM_FAST_EXAMPLES", "200"))  # 200 x 50 = 10,000 trials

# few distinct values, so that steps often end at the same instant as others (ties), plus
# zero durations (chains of events within one instant) and a non-integer value
_SECONDS = st.sampled_from([0.0, 1.0, 2.0, 3.0, 5.0, 0.5, 30.0])


@st.composite
def _durations(draw: st.DrawFn) -> Durations:
    fields = {name: draw(_SECONDS) for name in DURATION_FIELDS}
    return Durations(**fields, build_fails=draw(st.integers(0, 4)) == 0)


def _block(durations: list[Durations], at: float = 0.0) -> SampledBlock:
    n = len(durations)
    columns = {
        name: np.array([getattr(d, name) for d in durations])
        for name in Durations.__dataclass_fields__
    }
    times = np.full((n, 1), at)
    return SampledBlock(0, 0, n, times, np.ones(n, dtype=np.int64), (columns,), (), ())


def _engine_rows(
    strategy: Strategy, durations: list[Durations], at: float = 0.0
) -> dict[str, np.ndarray]:
    rows = []
    for d in durations:
        history = History.single(d, time=at)
        trace = simulate(strategy, history)
        rows.append(trial_metrics(trace.outcome, history, trace.build_registry))
    return metric_columns(rows)


@st.composite
def _strategies(draw: st.DrawFn) -> Strategy:
    strategy = draw(strategy_values())
    if strategy.wait is not None and draw(st.booleans()):  # short polls that land on ties
        strategy = replace(strategy, wait=replace(strategy.wait, interval=1.0, timeout=6.0))
    return replace(strategy, sleep=draw(st.sampled_from([0.0, 1.0, 2.5, strategy.sleep])))


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    _strategies(),
    st.lists(_durations(), min_size=TRIALS_PER_EXAMPLE, max_size=TRIALS_PER_EXAMPLE),
    st.sampled_from([0.0, 0.0, 7.0, 0.1]),  # the push's offset (an explicit one-push schedule)
)
def test_fast_path_equals_the_engine_trial_by_trial(
    strategy: Strategy, durations: list[Durations], at: float
) -> None:
    """Every column of every trial is bit-for-bit the engine's, unless left undecided."""
    fast, undecided = fast_columns(strategy, _block(durations, at))
    engine = _engine_rows(strategy, durations, at)
    decided = ~undecided
    for name, expected in engine.items():
        got = np.asarray(fast[name], dtype=COLUMN_DTYPES[name])
        same = (got == expected) | (
            np.isnan(got) & np.isnan(expected) if got.dtype.kind == "f" else False
        )
        bad = np.flatnonzero(decided & ~same)
        assert not bad.size, (name, strategy, durations[bad[0]], got[bad[0]], expected[bad[0]])


def test_undecided_trials_are_rare_and_only_at_zero_duration_instants() -> None:
    """The fast path hands back only the publish-guard tie at one instant, and SimPy decides it."""
    zero = Durations()
    strategy = replace(PRESETS["parallel"], publish_guard=True)
    _, undecided = fast_columns(strategy, _block([zero, replace(zero, build=1.0)]))
    assert undecided.tolist() == [True, False]
    scenario = Scenario("zeros", timings={})
    results = run_trials(scenario, [strategy], trials=3, progress=False)
    assert set(results["engine"]) == {"simpy"}
    expected = simulate(strategy, History.single(zero)).outcome
    assert bool(results["stale"].iloc[0]) == (expected.stale_deploys > 0)


def test_auto_takes_the_fast_path_and_says_so() -> None:
    scenario = load_scenario("f8af4c1")
    fast = run_trials(scenario, trials=300, seed=9, progress=False)
    simpy = run_trials(scenario, trials=300, seed=9, progress=False, engine="simpy")
    assert set(fast["engine"]) == {"fast"} and set(simpy["engine"]) == {"simpy"}
    pd.testing.assert_frame_equal(fast.drop(columns="engine"), simpy.drop(columns="engine"))


@pytest.mark.parametrize(
    ("scenario", "reason"),
    [
        (Scenario(pushes=Burst(2, Fixed(5))), "may push more than once"),
        (Scenario(pushes=Poisson(10, 600)), "may push more than once"),
        (Scenario(reruns=(RerunSpec(1, Uniform(0, 9)),)), "re-runs"),
        (Scenario(dispatches=(Fixed(3),)), "dispatches"),
    ],
)
def test_the_closed_form_takes_one_push_and_the_multi_push_path_the_rest(
    scenario: Scenario, reason: str
) -> None:
    """What the one-push closed form (and the exact answers) cannot take, the multi-push path
    decides; `engine="fast"` is accepted and every row says "fast"."""
    assert reason in (one_push_reason(scenario) or "")
    assert fast_path_reason(scenario) is None
    # the f8af4c1 timings: with every duration 0 s, every trial is a tie SimPy decides
    timed = replace(
        load_scenario("f8af4c1"),
        pushes=scenario.pushes,
        reruns=scenario.reruns,
        dispatches=tuple(Uniform(0, 300) for _ in scenario.dispatches),
    )
    results = run_trials(timed, ["parallel"], trials=20, engine="fast", progress=False)
    assert set(results["engine"]) == {"fast"}


@pytest.mark.parametrize(
    ("strategy", "reason"),
    [
        (replace(PRESETS["parallel"], publish_guard=True), "publish guard"),
        (PRESETS["reconcile_latest"], "reconcile"),
        (replace(PRESETS["pinned"], deploy_concurrency=Concurrency(cancel_in_progress=True)),
         "cancel-in-progress"),
        (replace(PRESETS["merged_job"], build_concurrency=Concurrency()), "merged"),
    ],
)  # fmt: skip
def test_the_allow_list_refuses_what_it_cannot_decide(strategy: Strategy, reason: str) -> None:
    scenario = replace(load_scenario("f8af4c1"), pushes=Burst(2, Uniform(5, 30)))
    assert reason in (fast_path_reason(scenario, strategy) or "")
    assert fast_path_reason(Scenario(), strategy) is None  # one push: the closed form takes it
    with pytest.raises(InputError, match="fast path cannot decide"):
        run_trials(scenario, [strategy], trials=2, engine="fast", progress=False)
    results = run_trials(scenario, [strategy, "pinned"], trials=2, progress=False)
    assert results.groupby("strategy")["engine"].agg(set).to_dict() == {
        strategy.describe(): {"simpy"},
        "pinned": {"fast"},
    }


def test_one_push_schedules_of_every_form_take_the_fast_path() -> None:
    for schedule in (Explicit((0.0,)), Burst(1, Fixed(5))):
        assert fast_path_reason(Scenario(pushes=schedule)) is None


def test_a_read_at_the_instant_a_guarded_push_shows_is_left_to_simpy() -> None:
    """With the publish guard checked before the push, a zero-length push becomes visible one
    step boundary after the instant starts; a wait that polls at that very instant reads the
    old `latest` in the engine. The fast path cannot order that tie, so it hands it back."""
    from racesim.core.strategy import Concurrency, Wait

    strategy = Strategy(
        trigger="push", wait=Wait(1, 6), deploy_concurrency=Concurrency(queue="max"),
        publish_guard=True, publish_guard_at="before_push", mirror=False,
    )  # fmt: skip
    tie = Durations(build_pickup=5.0, build=3.0, build_verify=30.0, deploy_pickup=3.0,
                    prepare=1.0, rollout=3.0)  # fmt: skip
    clear = replace(tie, prepare=1.5)  # polls at 4.5, 5.5, ...: never at the push's 8 s
    fast, undecided = fast_columns(strategy, _block([tie, clear]))
    assert undecided.tolist() == [True, False]
    engine = _engine_rows(strategy, [tie, clear])
    assert engine["behind_s"][0] == 4.0  # the poll at 8 s missed it; the one at 9 s found it
    assert fast["behind_s"][1] == engine["behind_s"][1]
