"""Exact one-push probabilities: closed forms derived by hand, and calibrated Monte Carlo."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from scipy import stats

from racesim.core.strategy import Strategy, Wait
from racesim.errors import InputError
from racesim.scenarios import Burst, Scenario, load_scenario
from racesim.scenarios.timing import Empirical, Fixed, Uniform
from racesim.studies.exact import exact, exact_sweep
from racesim.studies.summary import wilson_interval
from racesim.studies.trials import run_trials


def test_uniform_build_against_uniform_prepare() -> None:
    """``parallel`` with build ~ U(40, 90) and prepare ~ U(10, 50), nothing else.

    Stale iff prepare < build. P(prepare >= build) = integral over b of P(prepare >= b) / 50:
    for b in [40, 50], P(prepare >= b) = (50 - b) / 40, so the integral is (1/50)(1/40)(10^2 / 2)
    = 100 / 4000 = 0.025; P(stale) = 0.975.
    """
    scenario = Scenario(timings={"build": Uniform(40, 90), "prepare": Uniform(10, 50)})
    r = exact(scenario, "parallel")
    assert r.error_bound < 1e-5
    assert abs(r.p_stale - 0.975) <= r.error_bound + 1e-12
    assert abs(r.p_final_wrong - 0.975) <= r.error_bound + 1e-12


def test_fixed_build_against_uniform_prepare_with_sleep() -> None:
    """Build fixed at 72 s, prepare ~ U(20, 40), sleep 40: fresh iff prepare + 40 >= 72.

    P(prepare >= 32) = 8 / 20 = 0.4, so P(stale) = 0.6; push to live = prepare + 40 + rollout
    (5 s) on prepare >= 32, so its median... P(live by 80 s) = P(32 <= prepare <= 35) = 3/20.
    """
    scenario = Scenario(
        timings={"build": 72, "prepare": Uniform(20, 40), "rollout": 5}, build_failure=0.25
    )
    r = exact(scenario, "sleep:40")
    assert r.error_bound < 1e-5
    # a failed build (1/4) is stale too: the deploy pulls the old latest
    assert r.p_stale == pytest.approx(0.25 + 0.75 * 0.6, abs=r.error_bound + 1e-9)
    assert r.p_final_wrong == pytest.approx(0.75 * 0.6, abs=r.error_bound + 1e-9)
    seconds, cdf = r.push_to_live
    assert np.interp(80.0, seconds, cdf) == pytest.approx(0.75 * 3 / 20, abs=2e-3)


def test_fixed_ties_count_as_fresh() -> None:
    """A pull at the very instant the image becomes visible sees it (ties resolve to fresh)."""
    scenario = Scenario(timings={"build": 30, "prepare": 30})
    assert exact(scenario, "parallel").p_stale == pytest.approx(0.0, abs=1e-12)
    late = exact(Scenario(timings={"build": 30, "prepare": 29}), "parallel")
    assert late.p_stale == pytest.approx(1.0, abs=1e-12)


def test_chained_triggers_never_stale_without_lag_and_pinned_never_stale() -> None:
    s = load_scenario("f8af4c1")
    for name in ("workflow_run", "merged_job", "pinned", "guarded", "direct_registry"):
        r = exact(s, name)
        assert r.p_stale == 0 and r.p_final_wrong == pytest.approx(0, abs=1e-9), name
    lagged = Scenario(timings={"registry_lag": 2, "build": 10}, build_failure=0.5)
    # a mirror resolves in the deploy registry before the lag has passed: latest is stale
    assert exact(lagged, "workflow_run_ungated").p_stale == pytest.approx(1.0)
    assert exact(lagged, "pinned").p_stale == 0.0  # a pinned reference fails instead


def test_refuses_what_it_cannot_compute() -> None:
    with pytest.raises(InputError, match="one push"):
        exact(Scenario(pushes=Burst(2, Fixed(1))), "parallel")


def test_waiting_pulls_at_the_first_poll_that_sees_the_image() -> None:
    """Build ~ U(0, 100), everything else 0, poll every 10 s for 50 s from the push.

    The deploy finds the image iff build <= 50 (P = 0.5) and then pulls at
    10 * ceil(build / 10): push to live is 10, 20, ..., 50 s with 0.1 each. Otherwise it times
    out and fails: never stale, and the service ends wrong with P = 0.5.
    """
    scenario = Scenario(timings={"build": Uniform(0, 100)})
    r = exact(scenario, Strategy(wait=Wait(interval=10, timeout=50)))
    assert r.error_bound < 1e-5
    assert r.p_stale == 0.0
    assert r.p_shipped == pytest.approx(0.5, abs=1e-5)
    assert r.p_final_wrong == pytest.approx(0.5, abs=1e-5)
    seconds, cdf = r.push_to_live
    for t, expected in ((5, 0.0), (15, 0.1), (25, 0.2), (35, 0.3), (45, 0.4), (80, 0.5)):
        # the grid puts mass within half a cell of a poll on both sides of it: O(step) error
        assert np.interp(t, seconds, cdf) == pytest.approx(expected, abs=1e-3), t


def test_waiting_with_fixed_times_pulls_at_one_poll() -> None:
    """Image visible at 100 s, first poll at 32 s, every 10 s: the poll at 102 s finds it."""
    scenario = Scenario(timings={"build": 100, "prepare": 32})
    r = exact(scenario, Strategy(wait=Wait(interval=10, timeout=100)))
    seconds, cdf = r.push_to_live
    assert r.p_shipped == pytest.approx(1.0)
    assert np.interp(101.5, seconds, cdf) == pytest.approx(0.0, abs=1e-9)
    assert np.interp(102.5, seconds, cdf) == pytest.approx(1.0, abs=1e-9)
    short = exact(scenario, Strategy(wait=Wait(interval=10, timeout=60)))  # last poll at 92 s
    # (FFT round-off is the only mass left, far below the error bound)
    assert short.p_shipped == pytest.approx(0.0, abs=short.error_bound)
    assert short.p_final_wrong == pytest.approx(1.0, abs=short.error_bound)
    assert short.p_stale == pytest.approx(0.0, abs=short.error_bound)


def test_waiting_then_mirroring_ships_what_it_found_whatever_the_lag() -> None:
    """Lag 0, 0 or 2 s (equally likely), build ~ U(0, 100), polls every 10 s for 50 s.

    The poll sees the build registry, which shows the image at build + lag; the mirror then
    resolves ``latest`` in the deploy registry, where it sees its own push at once. Shipped:
    (2/3) P(build <= 50) + (1/3) P(build <= 48) = 0.49333...; never stale (a deploy that does not
    find the image times out). Pinned to the sha, the same deploys ship the same commits.
    """
    scenario = Scenario(
        timings={"build": Uniform(0, 100), "registry_lag": Empirical((0.0, 0.0, 2.0))}
    )
    wait = Strategy(wait=Wait(interval=10, timeout=50))
    r = exact(scenario, wait)
    shipped = 2 / 3 * 0.5 + 1 / 3 * 0.48
    assert r.error_bound < 1e-5
    assert r.p_shipped == pytest.approx(shipped, abs=1e-5)
    assert r.p_stale == 0.0
    assert r.p_final_wrong == pytest.approx(1 - shipped, abs=1e-5)
    pinned = exact(scenario, replace(wait, reference="sha"))
    assert pinned.p_stale == 0.0
    assert pinned.p_shipped == pytest.approx(shipped, abs=1e-5)


@pytest.mark.parametrize(
    "strategy",
    [
        Strategy(wait=Wait(interval=10, timeout=60)),
        Strategy(mirror=False, direct=True, wait=Wait(interval=7, timeout=49)),
        Strategy(trigger="workflow_run", gate=True, reference="sha", wait=Wait(2, 10)),
    ],
)
def test_waiting_exact_values_sit_inside_tight_monte_carlo_intervals(strategy: Strategy) -> None:
    """200,000 fast-path trials of f8af4c1 with a lagging registry: 99.9% intervals (seeded)."""
    base = load_scenario("f8af4c1")
    scenario = replace(base, timings={**base.timings, "registry_lag": Empirical((0.0, 0.0, 2.0))})
    r = exact(scenario, strategy)
    results = run_trials(scenario, [strategy], trials=200_000, seed=11, progress=False)
    assert set(results["engine"]) == {"fast"}
    stale = int(results["stale"].sum())
    wrong = int((~results["final_correct"]).sum())
    for value, count in ((r.p_stale, stale), (r.p_final_wrong, wrong)):
        low, high = wilson_interval(count, len(results), confidence=0.999)
        assert low - r.error_bound <= value <= high + r.error_bound


def test_sleep_sweep_is_monotone() -> None:
    df = exact_sweep(load_scenario("f8af4c1"), "sleep", [0, 30, 60, 90])
    p = df["p_stale_exact"].tolist()
    assert p == sorted(p, reverse=True) and p[0] > 0.9 > 0.05 > p[-1]
    assert (df["exact_error_bound"] < 1e-5).all()


def test_monte_carlo_intervals_cover_the_exact_value_about_95_percent_of_the_time() -> None:
    """Calibration: 200 independent runs of 400 trials; 95% Wilson intervals should cover the
    exact P(stale) of sleep:45 in 190 of 200 runs on average. Coverage below the 0.1% binomial
    quantile (about 181) would mean the exact value, or the sampler, is off."""
    scenario = load_scenario("f8af4c1")
    truth = exact(scenario, "sleep:45").p_stale
    assert 0.2 < truth < 0.8
    results = run_trials(scenario, ["sleep:45"], trials=200 * 400, seed=7, progress=False)
    stale = results["stale"].to_numpy().reshape(200, 400).sum(axis=1)
    covered = sum(lo <= truth <= hi for lo, hi in (wilson_interval(int(k), 400) for k in stale))
    low = stats.binom.ppf(0.001, 200, 0.95)
    assert low <= covered <= 200 and not math.isnan(truth)


def test_compare_exact_json_puts_exact_values_inside_the_intervals(capsys: object) -> None:
    import json

    from racesim.cli import main

    code = main(["compare", "--exact", "--json", "--trials", "4000", "--no-progress"])
    assert code == 0
    rows = json.loads(capsys.readouterr().out)  # type: ignore[attr-defined]
    for row in rows:
        assert row["exact_error_bound"] < 1e-5
        for rate in ("stale", "final_wrong"):
            low, high = row[f"p_{rate}_low"], row[f"p_{rate}_high"]
            assert low - 1e-9 <= row[f"p_{rate}_exact"] <= high + 1e-9, (row["strategy"], rate)
