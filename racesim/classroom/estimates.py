"""How often each strategy ships stale code: the Monte Carlo bars of the kernel-free classroom.

The static page cannot run a simulation when a slider moves, so the bars are measured when the
page is built, for every build time and gap of its grid, with small trial counts and a fixed
seed: the same build gives the same numbers, and every number on the page was measured by
:func:`racesim.studies.trials.run_trials`, none typed in. Each strategy keeps its preset's own
sleep (``sleep:60`` sleeps 60 s), as the strategy picker does.

Two situations, as in :class:`racesim.classroom.RaceDemo`: one push of the built-in ``f8af4c1``
scenario (the vectorised fast path, so thousands of trials are cheap), and two pushes `gap`
seconds apart of ``two-pushes-out-of-order`` (the SimPy engine, so fewer trials).
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from typing import Any

from racesim.classroom.controls import with_build_median
from racesim.core.strategy import PRESETS
from racesim.scenarios import Explicit, load_scenario
from racesim.studies.summary import summarize
from racesim.studies.trials import run_trials

__all__ = ["ONE_PUSH_TRIALS", "SEED", "TWO_PUSH_TRIALS", "one_push_rates", "two_push_rates"]

#: sampled runs of one push per strategy and build time (the fast path: a few ms for all)
ONE_PUSH_TRIALS = 2000
#: sampled runs of two pushes per strategy, build time and gap (SimPy: about 0.3 ms a run)
TWO_PUSH_TRIALS = 40
#: the seed of every estimate on the page
SEED = 0


def _round(p: float) -> float:
    return round(float(p), 4)


def _rates(scenario: Any, trials: int, seed: int) -> dict[str, Any]:
    results = run_trials(scenario, list(PRESETS), trials=trials, seed=seed, progress=False)
    summary = summarize(results)
    out: dict[str, Any] = {"trials": trials, "seed": seed, "stale": {}, "runner_s": {}}
    for row in summary.to_dict("records"):
        name = str(row["strategy"])
        out["stale"][name] = [_round(row[f"p_stale{end}"]) for end in ("", "_low", "_high")]
        out["runner_s"][name] = round(float(row["runner_s_mean"]), 1)
    return out


@cache
def one_push_rates(build: float, trials: int = ONE_PUSH_TRIALS, seed: int = SEED) -> dict[str, Any]:
    """Per strategy, for one push with A's build centred on `build` seconds: the share of stale
    deploys ``[p, low, high]`` (95% interval) and the mean runner seconds the push's workflow
    runs hold (what a sleep costs on every deploy).

    Cached: the page asks once per build time, whatever the gap.
    """
    return _rates(with_build_median(load_scenario("f8af4c1"), build), trials, seed)


@cache
def two_push_rates(
    build: float, gap: float, trials: int = TWO_PUSH_TRIALS, seed: int = SEED
) -> dict[str, Any]:
    """Like :func:`one_push_rates` for two pushes `gap` seconds apart (``two-pushes-out-of-order``
    with the first build centred on `build` seconds, the second keeping its quicker build)."""
    scenario = replace(
        with_build_median(load_scenario("two-pushes-out-of-order"), build),
        pushes=Explicit((0.0, gap)),
    )
    return _rates(scenario, trials, seed)
