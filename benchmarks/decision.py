"""The multi-push fast path's decision against the SimPy engine, per trial, on the same histories.

Suite ``decision``: for every preset the multi-push path decides, on ``two-pushes-out-of-order``
and ``burst-of-5``, the time per trial of :func:`racesim.studies.fastpath.fast_columns` on a
sampled block (the decision: every result column of every trial) against the SimPy engine on
histories of the same block (:func:`~racesim.engine.simulate`, the outcome and the row: what
``run_trials(engine="simpy")`` does per trial). Sampling is left out of both sides, as in the
one-push benchmark of :mod:`benchmarks.speed`; ``--suite multi`` measures ``run_trials`` end to
end. Before timing, the two must agree on every column of the timed SimPy trials. Goal: >= 200x.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from benchmarks.common import best_of, verdict
from benchmarks.record import RECORD
from racesim.core.history import History
from racesim.core.strategy import PRESETS, Strategy, parse_strategy
from racesim.scenarios import load_scenario
from racesim.studies.fastmulti import multi_path_reason
from racesim.studies.fastpath import fast_columns
from racesim.studies.sampled import sample_block
from racesim.studies.trials import COLUMN_DTYPES, _simulated, metric_columns

SCENARIOS = ("two-pushes-out-of-order", "burst-of-5")
GOAL = 200.0


def presets() -> list[str]:
    """The presets (and ``sleep:60``) the multi-push path decides."""
    return [name for name in PRESETS if multi_path_reason(PRESETS[name]) is None]


def _simulate_all(strategy: Strategy, histories: list[History]) -> None:
    for history in histories:
        _simulated(strategy, history)


def bench_decision(fast_trials: int, simpy_trials: int, repeat: int) -> tuple[list[str], bool]:
    print(
        f"[decision] fast_columns on {fast_trials:,} sampled trials (best of {repeat}) vs the "
        f"SimPy engine on {simpy_trials:,} of the same, per trial, seed 0"
    )
    print(f"  {'scenario':24s} {'preset':18s} {'fast us':>8s} {'SimPy us':>9s} {'ratio':>7s}")
    ok, worst = True, float("inf")
    for scenario_name in SCENARIOS:
        block = sample_block(load_scenario(scenario_name), 0, 0, fast_trials)
        histories = [block.history(i) for i in range(simpy_trials)]
        for name in presets():
            strategy = parse_strategy(name)
            columns, undecided = fast_columns(strategy, block)
            rows = metric_columns([_simulated(strategy, h) for h in histories])
            for column, expected in rows.items():  # the same answers, or the ratio means nothing
                got = np.asarray(columns[column][:simpy_trials], dtype=COLUMN_DTYPES[column])
                same = np.array_equal(got, expected, equal_nan=got.dtype.kind == "f")
                assert same or undecided[:simpy_trials].any(), (scenario_name, name, column)
            t_fast = best_of(repeat, partial(fast_columns, strategy, block)) / fast_trials
            t_simpy = best_of(1, partial(_simulate_all, strategy, histories)) / simpy_trials
            ratio = t_simpy / t_fast
            met = ratio >= GOAL
            ok &= met
            worst = min(worst, ratio)
            print(
                f"  {scenario_name:24s} {name:18s} {t_fast * 1e6:8.3f} {t_simpy * 1e6:9.1f} "
                f"{ratio:6.0f}x  {verdict(met)}"
            )
            RECORD.add(
                f"multi/decision/{scenario_name}/{name}",
                f"multi-push fast path against SimPy, {scenario_name}, {name}",
                ratio,
                "x",
                ">=",
                GOAL,
                f"{t_fast * 1e6:.2f} vs {t_simpy * 1e6:.0f} µs a trial",
                "python -m benchmarks --suite decision",
            )
    print(f"  smallest ratio: {worst:.0f}x   (goal >= {GOAL:.0f}x: {verdict(ok)})")
    return [f"multi decision/SimPy >= {worst:.0f}x"], ok
