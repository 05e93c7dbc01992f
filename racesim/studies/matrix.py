"""The safety matrix: every preset against the standard situations, measured.

Each situation is a built-in scenario (one push; two pushes whose builds finish out of order; a
burst of five; a failed build; a re-run of an old build). Each cell is a Monte Carlo estimate, with
Wilson intervals, of how often a strategy deploys stale code, ends on the wrong commit, and moves
production backwards in that situation. Nothing in the matrix is written by hand. The heatmap
of a matrix is :func:`racesim.plot.plot_safety_matrix`.

By default a cell the vectorised fast path decides
(:func:`~racesim.studies.fastpath.fast_path_reason`: every cell but those of ``reconcile_latest``
with several pushes) gets :data:`FAST_CELL_TRIALS` trials, a 95% interval of at most about +-0.49
points; a cell only the SimPy engine decides gets :data:`SIMPY_CELL_TRIALS`. Each cell is
summarised as it runs (:func:`~racesim.studies.trials.summarize_trials`), keeping no rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Executor

import pandas as pd

from racesim.core.strategy import PRESETS, Strategy
from racesim.scenarios.format import Scenario, load_scenario
from racesim.studies.fastpath import fast_path_reason
from racesim.studies.trials import Strategies, label_strategies, summarize_trials

__all__ = [
    "FAST_CELL_TRIALS",
    "MATRIX_RATES",
    "SIMPY_CELL_TRIALS",
    "SITUATIONS",
    "cell_trials",
    "matrix_table",
    "safety_matrix",
    "trials_text",
]

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

#: default trials of a cell the fast path decides: a 95% Wilson interval of at most +-0.49
#: points (+-0.5 needs 38,416); the 56 such cells of the default matrix take about 2 s of CPU
FAST_CELL_TRIALS = 40_000
#: default trials of a cell only the SimPy engine decides (``reconcile_latest`` with several
#: pushes, 0.2 to 0.6 ms a trial): its 4 cells of the default matrix take about 0.5 s of CPU
SIMPY_CELL_TRIALS = 500


def cell_trials(scenario: Scenario, strategy: Strategy) -> int:
    """The default trials of the cell of `strategy` in `scenario`: :data:`FAST_CELL_TRIALS` if the
    vectorised fast path decides it, else :data:`SIMPY_CELL_TRIALS`."""
    fast = fast_path_reason(scenario, strategy) is None
    return FAST_CELL_TRIALS if fast else SIMPY_CELL_TRIALS


def safety_matrix(
    strategies: Strategies | None = None,
    situations: Mapping[str, str] | None = None,
    *,
    trials: int | None = None,
    seed: int = 0,
    executor: Executor | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Estimate every cell; one row per (situation, strategy), tidy.

    Args:
        strategies: preset names or Strategy values, or a mapping label -> name or value
            (default: every preset); labelled as in :func:`racesim.studies.trials.run_trials`.
        situations: label -> scenario name or path (default: :data:`SITUATIONS`).
        trials: trials per cell; ``None`` gives each cell its default (:func:`cell_trials`:
            :data:`FAST_CELL_TRIALS` where the fast path decides it, :data:`SIMPY_CELL_TRIALS`
            where only the SimPy engine does).
        seed: the seed every situation uses.
        executor: any ``concurrent.futures.Executor``; results do not depend on it.
        progress: show a progress bar.

    Returns:
        The columns of :func:`racesim.studies.summary.summarize` with ``situation`` in front
        (its ``trials`` column says how many trials each cell had): the numbers
        ``summarize(run_trials(...))`` gives for the same trials and seed.
    """
    chosen = label_strategies(list(PRESETS) if strategies is None else strategies)
    order = [label for label, _ in chosen]
    frames = []
    for label, name in (situations or SITUATIONS).items():
        scenario = load_scenario(name)
        # strategies with the same trial count run together (on the same sampled trials: every
        # random number of a trial is addressed by seed and trial, whatever runs beside it)
        groups: dict[int, dict[str, Strategy]] = {}
        for key, strategy in chosen:
            n = cell_trials(scenario, strategy) if trials is None else trials
            groups.setdefault(n, {})[key] = strategy
        parts = [
            summarize_trials(
                scenario, group, trials=n, seed=seed, executor=executor, progress=progress
            )
            for n, group in groups.items()
        ]
        summary = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        summary = summary.set_index("strategy").loc[order].reset_index()
        summary.insert(0, "situation", label)
        frames.append(summary)
    return pd.concat(frames, ignore_index=True)


def trials_text(matrix: pd.DataFrame, *, short: bool = False) -> str:
    """How many trials the cells of `matrix` had, for a heading: ``40,000 trials per cell``, and
    when some cells had fewer (by default those only the SimPy engine decides), how many and
    whose (``short``: only how many)."""
    if not len(matrix):
        return "0 trials per cell"
    counts = matrix["trials"].astype(int)
    most = int(counts.value_counts().index[0])
    text = f"{most:,} trials per cell"
    for n in sorted(set(counts) - {most}, reverse=True):
        cells = matrix[counts == n]
        names = ", ".join(dict.fromkeys(cells["strategy"].astype(str)))
        k = len(cells)
        if short:
            text += f", {n:,} in {k} cell{'s' if k > 1 else ''}"
        else:
            where = "the cell" if k == 1 else f"the {k} cells"
            text += f" ({n:,} in {where} only the SimPy engine decides: {names})"
    return text


def matrix_table(matrix: pd.DataFrame, rate: str) -> pd.DataFrame:
    """One rate as a strategy x situation table of ``p`` values (for heatmaps and docs)."""
    table = matrix.pivot(index="strategy", columns="situation", values=f"p_{rate}")
    order_rows = list(dict.fromkeys(matrix["strategy"]))
    order_cols = list(dict.fromkeys(matrix["situation"]))
    return table.loc[order_rows, order_cols]
