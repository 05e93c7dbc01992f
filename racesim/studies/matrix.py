"""The safety matrix: every preset against the standard situations, measured.

Each situation is a built-in scenario (one push; two pushes whose builds finish out of order; a
burst of five; a failed build; a re-run of an old build). Each cell is a Monte Carlo estimate, with
Wilson intervals, of how often a strategy deploys stale code, ends on the wrong commit, and moves
production backwards in that situation. Nothing in the matrix is written by hand. The heatmap
of a matrix is :func:`racesim.plot.plot_safety_matrix`.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Executor

import pandas as pd

from racesim.core.strategy import PRESETS
from racesim.scenarios.format import load_scenario
from racesim.studies.summary import summarize
from racesim.studies.trials import Strategies, label_strategies, run_trials

__all__ = ["MATRIX_RATES", "SITUATIONS", "matrix_table", "safety_matrix"]

#: situation label -> built-in scenario
SITUATIONS: dict[str, str] = {
    "one push": "f8af4c1",
    "two pushes, out of order": "two-pushes-out-of-order",
    "burst of 5": "burst-of-5",
    "failed build": "failed-build",
    "re-run of an old build": "rerun-old-build",
}

#: the rates a cell reports, with their meaning
MATRIX_RATES: dict[str, str] = {
    "stale": "at least one deploy shipped older code than it claimed",
    "final_wrong": "production did not end on the newest commit that built",
    "regression": "production moved to an older commit at some point",
}


def safety_matrix(
    strategies: Strategies | None = None,
    situations: Mapping[str, str] | None = None,
    *,
    trials: int = 500,
    seed: int = 0,
    executor: Executor | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Estimate every cell; one row per (situation, strategy), tidy.

    Args:
        strategies: preset names or Strategy values, or a mapping label -> name or value
            (default: every preset); labelled as in :func:`racesim.studies.trials.run_trials`.
        situations: label -> scenario name or path (default: :data:`SITUATIONS`).
        trials: trials per cell.
        seed: the seed every situation uses.
        executor: any ``concurrent.futures.Executor``; results do not depend on it.
        progress: show a progress bar.

    Returns:
        The columns of :func:`racesim.studies.summary.summarize` with ``situation`` in front.
    """
    chosen = label_strategies(list(PRESETS) if strategies is None else strategies)
    labelled = dict(chosen)
    frames = []
    for label, scenario in (situations or SITUATIONS).items():
        results = run_trials(
            load_scenario(scenario),
            labelled,
            trials=trials,
            seed=seed,
            executor=executor,
            progress=progress,
        )
        summary = summarize(results)
        summary.insert(0, "situation", label)
        frames.append(summary)
    return pd.concat(frames, ignore_index=True)


def matrix_table(matrix: pd.DataFrame, rate: str) -> pd.DataFrame:
    """One rate as a strategy x situation table of ``p`` values (for heatmaps and docs)."""
    table = matrix.pivot(index="strategy", columns="situation", values=f"p_{rate}")
    order_rows = list(dict.fromkeys(matrix["strategy"]))
    order_cols = list(dict.fromkeys(matrix["situation"]))
    return table.loc[order_rows, order_cols]
