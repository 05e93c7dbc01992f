"""Pictures: timelines of one history, probabilities over many (``ax=`` in, Axes out)."""

from racesim.plot.animate import animate_timeline
from racesim.plot.check import FigureLayoutError, check_figure, figure_problems
from racesim.plot.counterexample import plot_counterexample
from racesim.plot.matrix import plot_safety_matrix
from racesim.plot.probability import (
    plot_cost_vs_safety,
    plot_push_to_live_ecdf,
    plot_sleep_sweep,
    plot_stale_probability,
    plot_sweep,
    strategy_color,
)
from racesim.plot.timeline import STEP_COLORS, plot_timeline

__all__ = [
    "STEP_COLORS",
    "FigureLayoutError",
    "animate_timeline",
    "check_figure",
    "figure_problems",
    "plot_cost_vs_safety",
    "plot_counterexample",
    "plot_push_to_live_ecdf",
    "plot_safety_matrix",
    "plot_sleep_sweep",
    "plot_stale_probability",
    "plot_sweep",
    "plot_timeline",
    "strategy_color",
]
