"""How often each strategy ships stale code: the Monte Carlo bars of the kernel-free classroom.

The static page cannot run a simulation when a slider moves, so the bars are measured when the
page is built, for every build time and gap of its grid, with a fixed seed: the same build gives
the same numbers, and every number on the page was measured (those of
:func:`racesim.studies.trials.run_trials` and :func:`~racesim.studies.summary.summarize`,
computed by :func:`~racesim.studies.trials.summarize_trials`), none typed in. Each strategy
keeps its preset's own sleep (``sleep:60`` sleeps 60 s), as the strategy picker does.

Two situations, as in :class:`racesim.classroom.RaceDemo`: one push of the built-in ``f8af4c1``
scenario, and two pushes `gap` seconds apart of ``two-pushes-out-of-order``. The vectorised fast
path decides both, under every preset but ``reconcile_latest`` with two pushes, so both get the
same trials; the SimPy engine decides that one strategy's two-push bars, over fewer trials
(:data:`TWO_PUSH_SIMPY_TRIALS`; the page says so).
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from typing import Any

from racesim.classroom.controls import with_build_median
from racesim.core.strategy import PRESETS
from racesim.scenarios import Explicit, Scenario, load_scenario
from racesim.studies.fastpath import fast_path_reason
from racesim.studies.trials import summarize_trials

__all__ = [
    "ONE_PUSH_TRIALS",
    "SEED",
    "TWO_PUSH_SIMPY_TRIALS",
    "TWO_PUSH_TRIALS",
    "one_push_rates",
    "two_push_rates",
]

#: sampled runs of one push per strategy and build time (the fast path)
ONE_PUSH_TRIALS = 2000
#: sampled runs of two pushes per strategy, build time and gap, where the fast path decides them
#: (every preset but reconcile_latest): as many as of one push
TWO_PUSH_TRIALS = ONE_PUSH_TRIALS
#: sampled runs of two pushes where only the SimPy engine decides them (reconcile_latest, about
#: 0.2 ms a run)
TWO_PUSH_SIMPY_TRIALS = 40
#: the seed of every estimate on the page
SEED = 0


def _round(p: float) -> float:
    return round(float(p), 4)


def _rates(scenario: Scenario, trials: int, seed: int, simpy_trials: int) -> dict[str, Any]:
    """Every preset's rates: over `trials` trials where the fast path decides `scenario` under
    it, else over `simpy_trials` (listed under ``simpy_trials``, by strategy)."""
    slow = {name for name in PRESETS if fast_path_reason(scenario, PRESETS[name]) is not None}
    out: dict[str, Any] = {
        "trials": trials,
        "seed": seed,
        "simpy_trials": {name: simpy_trials for name in PRESETS if name in slow},
        "stale": {},
        "runner_s": {},
    }
    rows: dict[str, dict[Any, Any]] = {}
    for names, n in (([p for p in PRESETS if p not in slow], trials), (sorted(slow), simpy_trials)):
        if names:
            # one chunk: the same numbers as any chunking, without a block's overhead per chunk
            summary = summarize_trials(
                scenario, names, trials=n, seed=seed, chunk_size=n, progress=False
            )
            rows.update((str(r["strategy"]), r) for r in summary.to_dict("records"))
    for name in PRESETS:  # in the presets' order, whichever run measured them
        row = rows[name]
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
    return _rates(with_build_median(load_scenario("f8af4c1"), build), trials, seed, trials)


@cache
def two_push_rates(
    build: float,
    gap: float,
    trials: int = TWO_PUSH_TRIALS,
    seed: int = SEED,
    simpy_trials: int = TWO_PUSH_SIMPY_TRIALS,
) -> dict[str, Any]:
    """Like :func:`one_push_rates` for two pushes `gap` seconds apart (``two-pushes-out-of-order``
    with the first build centred on `build` seconds, the second keeping its quicker build):
    `trials` trials where the fast path decides them, `simpy_trials` where only the SimPy engine
    does (``simpy_trials`` of the result says for which strategies)."""
    scenario = replace(
        with_build_median(load_scenario("two-pushes-out-of-order"), build),
        pushes=Explicit((0.0, gap)),
    )
    return _rates(scenario, trials, seed, simpy_trials)
