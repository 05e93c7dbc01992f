"""Streamed summaries: what ``racesim compare`` and ``racesim sweep`` print without keeping rows.

``summarize_trials`` and ``summarize_sweep`` reduce every chunk of trials to a
:class:`~racesim.studies.summary.SummaryTally` as soon as it is simulated. Their summary must be
``summarize(run_trials(...))``'s: counts, rates and means exactly, push-to-live quantiles exactly
while the run is small enough to keep its values and within the documented bound when binned,
whatever the chunks and the workers.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import run_cli as run

from racesim.errors import InputError
from racesim.limits import MAX_SIMULATIONS, MAX_STREAMED_TRIALS, MAX_TRIALS
from racesim.scenarios import load_scenario
from racesim.studies.summary import (
    QUANTILES,
    SKETCH_BITS,
    SUMMARY_COLUMNS,
    ExactSum,
    LeadTimes,
    SummaryTally,
    exact_mean,
    quantile_index,
    summarize,
)
from racesim.studies.sweep import summarize_sweep, sweep
from racesim.studies.trials import run_trials, summarize_trials

#: a built-in scenario of every kind: one push (fast path), bursts, failures, re-runs, two pushes
SCENARIOS = {
    "f8af4c1": 4000,
    "burst-of-5": 150,
    "failed-build": 400,
    "rerun-old-build": 150,
    "two-pushes-out-of-order": 200,
}
BINNED = 2.0 ** -(SKETCH_BITS + 1)


@pytest.fixture(scope="module")
def pool() -> Iterator[Executor]:
    with ProcessPoolExecutor(max_workers=2) as executor:
        yield executor


@pytest.mark.parametrize("name", SCENARIOS)
def test_streamed_summary_equals_summarize_of_the_rows(name: str, pool: Executor) -> None:
    """Exactly equal (counts, rates, Wilson limits, means, quantiles), in process or on 2
    workers, with the default chunks or odd ones."""
    scenario = load_scenario(name)
    trials = SCENARIOS[name]
    expected = summarize(run_trials(scenario, trials=trials, seed=5, progress=False))
    for executor, chunk_size in ((None, None), (None, 7), (pool, None), (pool, 61)):
        got = summarize_trials(
            scenario,
            trials=trials,
            seed=5,
            progress=False,
            executor=executor,
            chunk_size=chunk_size,
        )
        pd.testing.assert_frame_equal(got, expected, check_exact=True)


def test_streamed_sweep_equals_summarize_of_the_sweep(pool: Executor) -> None:
    """Keys, their order and every value; a value given twice is one group of both runs."""
    scenario = load_scenario("f8af4c1")
    values = [0.0, 45.0, 90.0, 45.0]
    expected = summarize(
        sweep(scenario, "sleep", values, trials=2000, seed=2, progress=False),
        ["knob", "value", "strategy"],
    )
    got = summarize_sweep(
        scenario,
        "sleep",
        values,
        trials=2000,
        seed=2,
        progress=False,
        executor=pool,
        chunk_size=333,
    )
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert got["trials"].tolist() == [2000, 4000, 2000]
    several = load_scenario("burst-of-5")
    expected = summarize(
        sweep(several, "build_median", [30, 60], ["parallel", "workflow_run"], trials=60),
        ["knob", "value", "strategy"],
    )
    got = summarize_sweep(
        several, "build_median", [30, 60], ["parallel", "workflow_run"], trials=60, chunk_size=9
    )
    pd.testing.assert_frame_equal(got, expected, check_exact=True)


def _tally(rows: pd.DataFrame, chunk: int, exact: bool) -> SummaryTally:
    """`rows` fed to a tally `chunk` rows at a time, each chunk in a tally of its own."""
    out = SummaryTally(exact_quantiles=exact)
    for start in range(0, len(rows), chunk):
        part = SummaryTally(exact_quantiles=exact)
        for label, group in rows.iloc[start : start + chunk].groupby("strategy", sort=False):
            part.add((label,), {c: group[c].to_numpy() for c in SUMMARY_COLUMNS})
        out.merge(part)
    return out


@pytest.mark.parametrize("name", ["f8af4c1", "failed-build"])
def test_binned_quantiles_are_within_the_bound_and_the_rest_is_exact(name: str) -> None:
    scenario = load_scenario(name)
    rows = run_trials(
        scenario, trials=SCENARIOS[name] * 5, seed=1, progress=False, columns=SUMMARY_COLUMNS
    )
    expected = summarize(rows)
    binned = [_tally(rows, chunk, exact=False).summary() for chunk in (len(rows), 999, 4000)]
    for got in binned[1:]:  # the histogram does not depend on the chunks
        pd.testing.assert_frame_equal(got, binned[0], check_exact=True)
    got = binned[0]
    quantiles = list(QUANTILES)
    pd.testing.assert_frame_equal(
        got.drop(columns=quantiles), expected.drop(columns=quantiles), check_exact=True
    )
    for column in quantiles:
        for a, b in zip(got[column], expected[column], strict=True):
            assert a == b or abs(a - b) <= BINNED * abs(b), (column, a, b)


def test_binned_quantiles_on_awkward_values() -> None:
    """Ties, zeros of both signs, negatives, infinities, tiny and huge values."""
    rng = np.random.default_rng(4)
    values = np.concatenate(
        [
            rng.lognormal(5, 1, 5000),
            np.full(300, 120.0),
            [0.0, -0.0, -3.5, 1e-300, 5e-324, 1e300],
            np.full(400, math.inf),
            -rng.exponential(10, 100),
        ]
    )
    for seed in range(3):
        shuffled = np.random.default_rng(seed).permutation(values)
        lead = LeadTimes(exact=False)
        for part in np.array_split(shuffled, 11):
            lead.add(part)
        for q in (0.0, 0.01, 0.02, 0.3, 0.5, 0.9, 0.95, 0.99, 1.0):
            exact = float(np.quantile(values, q, method="inverted_cdf"))
            got = lead.quantile(q)
            assert got == exact or abs(got - exact) <= BINNED * abs(exact), (q, got, exact)
    assert LeadTimes(exact=False).keys.size == 0
    constant = LeadTimes(exact=False)
    constant.add(np.full(10, 205.0))
    assert constant.quantile(0.5) == 205.0  # one value per bin: exact


def test_exact_sums_give_the_correctly_rounded_mean_whatever_the_order() -> None:
    rng = np.random.default_rng(0)
    for _ in range(30):
        v = rng.standard_normal(500) * 10.0 ** rng.integers(-200, 200, 500)
        expected = float(sum(Fraction(x) for x in v.tolist()) / len(v))
        assert exact_mean(v) == expected
        total = ExactSum()
        for part in np.array_split(rng.permutation(v), 6):
            total.add(part)
        assert total.mean(len(v)) == expected
    for values, mean in (([1.0, math.nan], math.nan), ([1.0, math.inf], math.inf)):
        assert exact_mean(np.array(values)) == pytest.approx(mean, nan_ok=True)
    assert math.isnan(exact_mean(np.array([math.inf, -math.inf])))
    assert exact_mean(np.array([-math.inf, 2.0])) == -math.inf
    assert math.isnan(exact_mean(np.empty(0)))


def test_quantile_rank_is_numpys_inverted_cdf() -> None:
    for n in [*range(1, 120), 999_983]:
        a = np.arange(n, dtype=np.float64)
        for q in (0.0, 0.05, 0.5, 0.95, 0.999, 1.0):
            assert quantile_index(n, q) == int(np.quantile(a, q, method="inverted_cdf"))


def test_bad_inputs_are_refused_before_any_trial() -> None:
    scenario = load_scenario("f8af4c1")
    with pytest.raises(InputError, match="trials"):
        summarize_trials(scenario, trials=MAX_STREAMED_TRIALS + 1, progress=False)
    eleven = {f"parallel-{i}": "parallel" for i in range(11)}
    assert 11 * MAX_STREAMED_TRIALS > MAX_SIMULATIONS
    with pytest.raises(InputError, match="simulations"):
        summarize_trials(scenario, eleven, trials=MAX_STREAMED_TRIALS, progress=False)
    with pytest.raises(InputError, match="simulations"):
        summarize_sweep(
            scenario, "build_median", range(60, 71), trials=MAX_STREAMED_TRIALS, progress=False
        )
    with pytest.raises(InputError, match="confidence"):
        summarize_trials(scenario, trials=10, confidence=1.5, progress=False)
    with pytest.raises(InputError, match="values"):
        summarize_sweep(scenario, "sleep", [], trials=10, progress=False)
    with pytest.raises(InputError, match="cannot sweep 'colour'"):
        summarize_sweep(scenario, "colour", [1.0], trials=10, progress=False)
    tally = SummaryTally()
    with pytest.raises(InputError, match="no column 'final_correct'"):
        tally.add(("parallel",), {"stale": np.zeros(3, dtype=bool)})
    columns = {c: np.zeros(2) for c in SUMMARY_COLUMNS}
    with pytest.raises(InputError, match="strategy"):
        tally.add(("parallel", 1.0), columns)
    with pytest.raises(InputError, match="same keys"):
        tally.merge(SummaryTally(("knob", "value", "strategy")))
    with pytest.raises(InputError, match="same keys"):
        tally.merge(SummaryTally(exact_quantiles=False))


def test_compare_prints_the_same_json_as_summarize_of_the_rows(
    capsys: pytest.CaptureFixture[str],
) -> None:
    base = ["compare", "--trials", "3000", "--seed", "4", "--json", "--no-progress"]
    code, one, _ = run(base, capsys)
    assert code == 0
    code, two, _ = run([*base, "--jobs", "2"], capsys)
    assert code == 0 and one == two
    scenario = load_scenario("f8af4c1")
    expected = summarize(run_trials(scenario, trials=3000, seed=4, progress=False))
    rows = json.loads(one)
    assert [list(r) for r in rows] == [list(expected.columns)] * len(rows)
    for row, want in zip(rows, expected.to_dict(orient="records"), strict=True):
        for key, value in want.items():
            assert row[key] == (None if isinstance(value, float) and math.isinf(value) else value)


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (
            ["compare", "--trials", str(MAX_TRIALS + 1), "--plot", "{tmp}"],
            "--trials: 1,000,001 trials with --plot (which keeps every trial's row)",
        ),
        (
            ["compare", "--trials", str(MAX_STREAMED_TRIALS + 1)],
            "--trials: 100000001 is beyond racesim's limit of 100,000,000",
        ),
        (
            ["sweep", "sleep", "0:999:1", "--trials", str(MAX_STREAMED_TRIALS)],
            "beyond racesim's limit of 1,000,000,000",
        ),
    ],
)
def test_bad_trial_counts(
    argv: list[str], fragment: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Refused in one line before any trial runs (and before --plot's folder is made)."""
    folder = tmp_path / "figures"
    code, _, err = run([a.replace("{tmp}", str(folder)) for a in argv], capsys)
    assert code == 2
    assert err.count("\n") == 1 and fragment in err, err
    assert not folder.exists()
