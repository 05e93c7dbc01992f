"""What made ``racesim audit`` fast changes no number it reports.

The audit's Monte Carlo odds skip ``run_trials`` + ``summarize`` (pandas, scipy.stats) for a
one-push scenario, the Wilson interval and the power-law fit are computed without scipy, and the
grid check decides several properties in one pass. Each is checked here against what it replaces,
to the last bit; and the audit's start-up imports none of the heavy modules its text report does
not need.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy import optimize, stats

from racesim.audit.judge import (
    FAST_TRIALS,
    SIMPY_TRIALS,
    _odds_for,
    judge,
    odds_trials,
    wilson95,
)
from racesim.core.strategy import Concurrency, Strategy
from racesim.scenarios import builtin_scenarios, load_scenario
from racesim.scenarios.timing import _LOMAX_ALPHAS, _LOMAX_RATIOS, _Z95, _lomax_ratio
from racesim.studies.fastpath import one_push_reason
from racesim.studies.summary import summarize, wilson_interval
from racesim.studies.trials import run_trials
from racesim.verify.properties import PROPERTIES
from racesim.verify.search import exhaustive_check, exhaustive_checks

_SMALL_GRID = {"build": (1, 20), "deploy_pickup": (1, 10), "prepare": (1, 10)}


def test_wilson95_is_scipys_wilson_interval_to_the_last_bit() -> None:
    for n in (*range(1, 60), 199, 200, 201, 1000, 20_000):
        for k in sorted({0, 1, 2, n // 3, n // 2, n - 1, n} & set(range(n + 1))):
            assert wilson95(k, n) == wilson_interval(k, n), (k, n)


def test_the_brentq_port_and_the_z_constant_are_scipys() -> None:
    from racesim._util.roots import brentq

    assert float(stats.norm.ppf(0.95)) == _Z95
    rng = np.random.default_rng(7)
    for ratio in np.exp(rng.uniform(np.log(_LOMAX_RATIOS[0]), np.log(_LOMAX_RATIOS[1]), 300)):

        def f(a: float, r: float = float(ratio)) -> float:
            return _lomax_ratio(a) - r

        try:
            want = optimize.brentq(f, *_LOMAX_ALPHAS)
        except ValueError:  # a ratio at the very edge of the range
            continue
        assert brentq(f, *_LOMAX_ALPHAS) == want


@pytest.mark.parametrize(
    "strategy",
    [
        Strategy(),
        Strategy(trigger="workflow_run", gate=True),
        Strategy(trigger="needs", reference="digest", mirror=False),
        Strategy(trigger="none", mirror=False),
        Strategy(reference="sha", wait=None, sleep=60),
    ],
    ids=lambda s: s.describe(),
)
def test_one_push_odds_are_what_run_trials_and_summarize_give(strategy: Strategy) -> None:
    scenario = load_scenario("f8af4c1")
    row = summarize(run_trials(scenario, [strategy], trials=200, seed=3, progress=False)).iloc[0]
    wrong = "latest_wrong" if strategy.trigger == "none" else "final_wrong"
    want = tuple(
        tuple(float(row[f"p_{name}{end}"]) for end in ("", "_low", "_high"))
        for name in ("stale", wrong)
    )
    assert _odds_for(strategy, scenario, 200, 3) == want


@pytest.mark.parametrize(
    "strategy",
    [
        Strategy(trigger="workflow_run", gate=True),  # the multi-push fast path decides it
        Strategy(trigger="workflow_run", gate=True, reconcile_latest=True),  # only SimPy does
        Strategy(trigger="none", mirror=False),
    ],
    ids=lambda s: s.describe(),
)
def test_multi_push_odds_are_what_run_trials_and_summarize_give(strategy: Strategy) -> None:
    scenario = load_scenario("two-pushes-out-of-order")
    row = summarize(run_trials(scenario, [strategy], trials=150, seed=3, progress=False)).iloc[0]
    wrong = "latest_wrong" if strategy.trigger == "none" else "final_wrong"
    want = tuple(
        tuple(float(row[f"p_{name}{end}"]) for end in ("", "_low", "_high"))
        for name in ("stale", wrong)
    )
    assert _odds_for(strategy, scenario, 150, 3) == want


def test_default_odds_trials_follow_the_engine() -> None:
    """FAST_TRIALS where the fast path decides the odds (a 95% interval of at most +-0.5
    points), SIMPY_TRIALS where it does not; the judgement says which it used."""
    fast = Strategy(trigger="workflow_run", gate=True)
    refused = Strategy(trigger="workflow_run", gate=True, reconcile_latest=True)
    assert FAST_TRIALS >= 38_416
    for scenario in builtin_scenarios():
        loaded = load_scenario(scenario)
        assert odds_trials(fast, loaded) == FAST_TRIALS, scenario
        multi = one_push_reason(loaded) is not None
        assert odds_trials(refused, loaded) == (SIMPY_TRIALS if multi else FAST_TRIALS), scenario
    assert judge(fast, max_examples=5).trials == FAST_TRIALS
    assert judge(refused, "burst-of-5", max_examples=5).trials == SIMPY_TRIALS
    assert judge(fast, "burst-of-5", trials=30, max_examples=5).trials == 30


@pytest.mark.parametrize(
    "strategy",
    [
        Strategy(mirror=False),
        Strategy(
            trigger="needs",
            build_concurrency=Concurrency(cancel_in_progress=False),
            deploy_concurrency=Concurrency(cancel_in_progress=True),
            mirror=False,
        ),
    ],
    ids=lambda s: s.describe(),
)
def test_one_grid_pass_answers_each_property_as_exhaustive_check_does(strategy: Strategy) -> None:
    together = exhaustive_checks(strategy, PROPERTIES, grid=_SMALL_GRID)
    for name in PROPERTIES:
        alone = exhaustive_check(strategy, name, grid=_SMALL_GRID)
        got = together[name]
        assert (got.checked, got.total, got.holds) == (alone.checked, alone.total, alone.holds)
        if alone.counterexample is not None:
            assert got.counterexample is not None
            assert got.counterexample.history == alone.counterexample.history
            assert got.counterexample.explanation == alone.counterexample.explanation


def test_the_audit_command_imports_no_module_its_text_report_does_not_need() -> None:
    code = (
        "import sys, racesim.cli.audit, racesim.audit, racesim.audit.report, racesim.audit.fix; "
        "print(' '.join(m for m in ('pandas', 'scipy.stats', 'scipy.optimize', 'hypothesis', "
        "'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("cancel", [None, True, False])
@pytest.mark.parametrize("publish_guard", [False, True])
@pytest.mark.parametrize("direct", [False, True])
def test_prove_decides_latest_ends_on_newest_as_the_grid_does(
    cancel: bool | None, publish_guard: bool, direct: bool
) -> None:
    """A pipeline that only builds is judged on its registry's ``latest``: prove's verdict
    (every history of up to 3 pushes) agrees with the grid of every two-push history."""
    from racesim.proof import prove
    from racesim.verify.properties import latest_ends_on_newest

    group = None if cancel is None else Concurrency(cancel_in_progress=cancel)
    s = Strategy(
        trigger="none",
        build_concurrency=group,
        publish_guard=publish_guard,
        direct=direct,
        mirror=not direct,
    )
    proof = prove(s, "latest_ends_on_newest", pushes=3)
    grid = exhaustive_check(s, latest_ends_on_newest, pushes=2, grid=_SMALL_GRID)
    if not grid.holds:
        assert proof.verdict == "counterexample"
    assert (proof.verdict == "proved") == (cancel is not None)
