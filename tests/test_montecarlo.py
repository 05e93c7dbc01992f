"""Monte Carlo: agreement with the engine, a closed-form check, reproducibility, paired trials."""

from __future__ import annotations

import math
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace

import pandas as pd
import pytest
from helpers import F8
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy import integrate

from racesim.core.history import DURATION_FIELDS, Durations, History, Push
from racesim.core.strategy import Strategy
from racesim.engine import simulate
from racesim.errors import InputError
from racesim.scenarios import Burst, Scenario, load_scenario
from racesim.scenarios.timing import HeavyTailed, LogNormal, Uniform
from racesim.studies.summary import summarize, wilson_interval
from racesim.studies.sweep import SWEEP_ALIASES, parse_range, sweep
from racesim.studies.trials import run_trials, trial_history, trial_metrics
from racesim.testing import histories, strategy_values

SEED_FOUR = ["parallel", "workflow_run", "merged_job", "sleep:60"]


def test_fixed_durations_every_trial_equals_the_engine() -> None:
    """A scenario of fixed f8af4c1 durations: each trial is the replay's deterministic outcome."""
    scenario = Scenario(
        "fixed", timings={k: v for k, v in F8.as_dict().items() if k != "build_fails"}
    )
    results = run_trials(
        scenario, [*SEED_FOUR, "workflow_run_ungated", "pinned"], trials=25, progress=False
    )
    for name, rows in results.groupby("strategy"):
        out = simulate(str(name), History.single(F8)).outcome
        lead = out.push_to_live[0]
        expected = {
            "stale": out.stale_deploys > 0,
            "final_correct": out.final_correct,
            "final_live": out.final_live,
            "regressions": out.regressions,
            "runner_s": out.runner_s,
            "behind_s": out.behind_s,
            "push_to_live_s": math.nan if lead is None else lead,
            "min_pull_margin_s": out.deploys[0].pull_margin,
        }
        for column, value in expected.items():
            got = rows[column].tolist()
            assert len(got) == 25
            if isinstance(value, float) and math.isnan(value):
                assert all(math.isnan(g) for g in got), (name, column)
            else:
                assert all(g == value for g in got), (name, column, got[0], value)
    parallel = results[results.strategy == "parallel"].iloc[0]
    assert parallel.stale and parallel.min_pull_margin_s == -40.0


def exact_stale_probability(build: tuple[float, float], prepare: tuple[float, float]) -> float:
    """P(prepare < build) for independent uniforms: the deploy pulls before the image exists."""
    (a, b), (c, d) = build, prepare

    def cdf_prepare(y: float) -> float:
        return min(1.0, max(0.0, (y - c) / (d - c)))

    value, _ = integrate.quad(cdf_prepare, a, b, points=[p for p in (c, d) if a < p < b], limit=200)
    return value / (b - a)


@settings(max_examples=6, deadline=None)
@given(
    st.integers(20, 100),
    st.integers(1, 80),
    st.integers(0, 120),
    st.integers(1, 80),
    st.integers(0, 2**16),
)
def test_parallel_with_uniform_times_matches_the_closed_form(
    a: int, wa: int, c: int, wc: int, seed: int
) -> None:
    """With no pickups and a 0 s push, ``parallel`` is stale exactly when prepare < build."""
    build, prepare = (float(a), float(a + wa)), (float(c), float(c + wc))
    scenario = Scenario(
        timings={"build": Uniform(*build), "prepare": Uniform(*prepare), "rollout": 5}
    )
    results = run_trials(scenario, ["parallel"], trials=2000, seed=seed, progress=False)
    k = int(results["stale"].sum())
    low, high = wilson_interval(k, 2000, 0.999)
    exact = exact_stale_probability(build, prepare)
    assert low <= exact <= high, (k / 2000, exact, (low, high))


SCENARIO = Scenario(
    "two pushes",
    timings={
        "build": Uniform(40, 90),
        "prepare": Uniform(10, 50),
        "build_pickup": Uniform(1, 30),
        "deploy_pickup": Uniform(1, 5),
        "rollout": Uniform(5, 20),
        "dispatch": Uniform(1, 5),
    },
    pushes=Burst(2, Uniform(0, 40)),
    build_failure=0.05,
)


def reference_frame() -> pd.DataFrame:
    return run_trials(SCENARIO, SEED_FOUR, trials=60, seed=11, progress=False)


def test_same_seed_same_frame_for_any_chunking() -> None:
    a = reference_frame()
    b = run_trials(SCENARIO, SEED_FOUR, trials=60, seed=11, chunk_size=7, progress=False)
    c = run_trials(SCENARIO, SEED_FOUR, trials=60, seed=11, chunk_size=1, progress=False)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(a, c)


def test_same_seed_same_frame_with_two_worker_processes() -> None:
    with ProcessPoolExecutor(max_workers=2) as pool:
        b = run_trials(
            SCENARIO, SEED_FOUR, trials=60, seed=11, executor=pool, chunk_size=9, progress=False
        )
    pd.testing.assert_frame_equal(reference_frame(), b)


@pytest.fixture(scope="module")
def dask_client() -> Iterator[object]:
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.mark.slow
def test_same_seed_same_frame_through_a_dask_cluster(dask_client: object) -> None:
    executor = dask_client.get_executor()  # type: ignore[attr-defined]
    b = run_trials(
        SCENARIO, SEED_FOUR, trials=60, seed=11, executor=executor, chunk_size=13, progress=False
    )
    pd.testing.assert_frame_equal(reference_frame(), b)


def test_different_seeds_differ() -> None:
    a = reference_frame()
    b = run_trials(SCENARIO, SEED_FOUR, trials=60, seed=12, progress=False)
    assert not a.drop(columns="seed").equals(b.drop(columns="seed"))


def test_trials_are_paired_across_strategies() -> None:
    """Strategies that differ only in sleep see the same sampled durations in each trial."""
    results = run_trials(
        SCENARIO, ["sleep:0", "sleep:30", "sleep:90"], trials=40, seed=5, progress=False
    )
    wide = results.pivot(index="trial", columns="strategy", values="sampled_build")
    assert (wide["sleep:0"] == wide["sleep:30"]).all() and (
        wide["sleep:0"] == wide["sleep:90"]
    ).all()
    assert wide["sleep:0"].nunique() == 40


def test_a_row_can_be_replayed_from_seed_and_trial() -> None:
    results = reference_frame()
    row = results[(results.strategy == "workflow_run")].iloc[17]
    history = trial_history(SCENARIO, int(row.seed), int(row.trial))
    out = simulate("workflow_run", history).outcome
    assert (out.final_live, out.regressions, out.runner_s) == (
        row.final_live,
        row.regressions,
        row.runner_s,
    )


def test_rows_and_columns() -> None:
    results = reference_frame()
    assert len(results) == 60 * 4
    assert list(results.columns[:3]) == ["seed", "trial", "strategy"]
    for column in (
        "stale",
        "final_correct",
        "regressions",
        "behind_s",
        "push_to_live_s",
        "runner_s",
        "latest_correct",
        "never_deployed",
        "identity_errors",
        "sampled_build",
    ):
        assert column in results.columns
    assert results["trial"].tolist() == [t for t in range(60) for _ in range(4)]


def test_sleep_sweep_is_tidy_and_paired() -> None:
    s = load_scenario("f8af4c1")
    df = sweep(s, "sleep", [0, 60, 120], trials=50, seed=2, progress=False)
    assert set(df["knob"]) == {"sleep"} and sorted(set(df["value"])) == [0, 60, 120]
    assert set(df["strategy"]) == {"parallel"}
    wide = df.pivot(index="trial", columns="value", values="sampled_build")
    assert (wide[0.0] == wide[120.0]).all()
    p = summarize(df, ["value"]).set_index("value")["p_stale"]
    assert p[0.0] >= p[60.0] >= p[120.0]


@pytest.mark.parametrize(
    "knob", ["build_median", "pickup_tail", "timings.rollout.median", "build_failure"]
)
def test_sweeps_over_scenario_parameters(knob: str) -> None:
    values = {"build_failure": [0.0, 0.5], "timings.rollout.median": [10.0, 20.0]}.get(
        knob, [20.0, 40.0]
    )
    df = sweep(
        load_scenario("f8af4c1"),
        knob,
        values,
        ["parallel", "workflow_run"],
        trials=20,
        progress=False,
    )
    assert len(df) == 2 * 2 * 20
    base = load_scenario("f8af4c1")
    for value in values:
        # the scenario each value must have run, built here by hand rather than by with_param
        t = dict(base.timings)
        if knob == "build_median":
            t["build"] = LogNormal(value, p95=95)
        elif knob == "pickup_tail":
            t["build_pickup"] = t["deploy_pickup"] = HeavyTailed(3, p95=value, shift=1)
        elif knob == "timings.rollout.median":
            t["rollout"] = replace(t["rollout"], median=value)  # type: ignore[type-var]
        expected = (
            replace(base, timings=t, build_failure=value)
            if knob == "build_failure"
            else (replace(base, timings=t))
        )
        rows = df[(df.value == value) & (df.strategy == "parallel")].sort_values("trial")
        assert rows.trial.tolist() == list(range(20))
        for row in rows.itertuples():
            durations = trial_history(expected, 0, int(row.trial)).pushes[0].durations
            for step in DURATION_FIELDS:
                assert getattr(row, f"sampled_{step}") == getattr(durations, step), (value, step)
            # a failed build leaves nothing new to deploy: the outcome follows the draw
            assert row.newest_built == (0 if durations.build_fails else 1)
    if knob == "build_failure":
        failed = df[df.value == 0.5].newest_built.eq(0).sum()
        assert df[df.value == 0.0].newest_built.eq(1).all() and 0 < failed < 40


def test_bad_run_arguments() -> None:
    s = load_scenario("f8af4c1")
    with pytest.raises(InputError, match="trials"):
        run_trials(s, trials=0)
    with pytest.raises(InputError, match="seed"):
        run_trials(s, trials=1, seed=-1)
    with pytest.raises(InputError, match="unknown strategy"):
        run_trials(s, ["nope"], trials=1)
    with pytest.raises(InputError, match=r"cannot sweep 'wait\.timeout'"):
        sweep(s, "wait.timeout", [1.0], trials=1, progress=False)
    assert parse_range("0:180:60") == [0.0, 60.0, 120.0, 180.0]
    assert parse_range("1,5") == [1.0, 5.0]
    with pytest.raises(InputError):
        parse_range("10:0:5")
    assert "sleep" in SWEEP_ALIASES


def test_summary_rates_and_quantiles() -> None:
    df = pd.DataFrame(
        {
            "strategy": ["a"] * 4,
            "stale": [True, False, False, False],
            "final_correct": [True, True, False, True],
            "regressed": [False] * 4,
            "identity_errors": [1, 0, 0, 0],
            "push_to_live_s": [10.0, 20.0, 30.0, math.nan],
            "latest_correct": [True] * 4,
            "runner_s": [1.0, 2.0, 3.0, 4.0],
            "behind_s": [0.0] * 4,
            "stale_deploys": [1, 0, 0, 0],
        }
    )
    row = summarize(df).iloc[0]
    assert (
        row.trials == 4
        and row.p_stale == 0.25
        and row.p_final_wrong == 0.25
        and row.p_never_live == 0.25
    )
    assert (row.p_stale_low, row.p_stale_high) == pytest.approx(wilson_interval(1, 4))
    assert row.push_to_live_median_s == 20.0  # the never-live trial counts as an infinite wait
    assert row.push_to_live_p95_s == math.inf
    assert row.runner_s_mean == 2.5


def test_wilson_interval_known_values() -> None:
    # Wilson 95% for 0/10 is [0, 0.2775]; for 5/10 it is [0.2366, 0.7634]
    assert wilson_interval(0, 10) == pytest.approx((0.0, 0.27753), abs=1e-4)
    assert wilson_interval(5, 10) == pytest.approx((0.23659, 0.76341), abs=1e-4)


#: a deploy that ships a newer commit (an identity error that is not stale) and one that ships an
#: older one: the counts that differ between neighbouring fields
_CROSSED = History(
    (
        Push(0, Durations(build=60, push=10, prepare=30)),
        Push(1, Durations(build=10, push=10, prepare=300)),
    )
)


@settings(max_examples=60, deadline=None)
@given(strategy=strategy_values(), history=histories(max_pushes=3, reruns=1, dispatches=1))
@example(strategy=Strategy(), history=_CROSSED)
def test_every_trial_metric_is_what_its_name_says(strategy: Strategy, history: History) -> None:
    """The trial record is built positionally (for speed): each field is checked by its name."""
    trace = simulate(strategy, history)
    out = trace.outcome
    m = trial_metrics(out, history, trace.build_registry)
    margins = [d.pull_margin for d in out.deploys if d.pull_margin is not None]
    lead = out.push_to_live[-1]
    expected = {
        "pushes": history.commits,
        "deploys": len(out.deploys),
        "stale": any(d.stale for d in out.deploys),
        "stale_deploys": sum(d.stale for d in out.deploys),
        "identity_errors": sum(d.wrong_identity for d in out.deploys),
        "failed_deploys": sum(d.status == "failed" for d in out.deploys),
        "skipped_deploys": out.skipped_deploys,
        "final_live": out.final_live,
        "newest_built": out.newest_built,
        "final_correct": out.final_correct,
        "regressions": out.regressions,
        "regressed": out.regressions > 0,
        "never_deployed": len(out.never_deployed),
        "behind_s": out.behind_s,
        "push_to_live_s": math.nan if lead is None else lead,
        "min_pull_margin_s": min(margins) if margins else math.nan,
        "latest_correct": out.latest_at_end[trace.build_registry] == out.newest_built,
        "runner_s": out.runner_s,
        "cancelled_runs": out.cancelled_runs,
        "end_s": out.end_time,
        "sampled": tuple(getattr(history.pushes[0].durations, f) for f in DURATION_FIELDS),
    }
    assert list(expected) == list(m._fields)
    for name, value in expected.items():
        got = getattr(m, name)
        same = got == value or (isinstance(value, float) and math.isnan(value) and math.isnan(got))
        assert same, (name, got, value)
