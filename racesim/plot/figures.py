"""Whole figures written to files (what the CLI and the demo save), made without pyplot."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from racesim._util.paths import FIGURE_SUFFIXES, check_output_file, make_output_dir
from racesim.core.trace import Trace
from racesim.incidents.replay import Replay
from racesim.plot.matrix import plot_safety_matrix
from racesim.plot.probability import (
    plot_cost_vs_safety,
    plot_push_to_live_ecdf,
    plot_sleep_sweep,
    plot_stale_probability,
    plot_sweep,
)
from racesim.plot.timeline import default_window, plot_timeline, shown_runs
from racesim.studies.matrix import MATRIX_RATES, trials_text

__all__ = [
    "counterfactual_timelines",
    "replay_timeline",
    "save_counterfactual_timelines",
    "save_figure",
    "save_replay_timeline",
    "timeline_figure",
]


def save_figure(fig: Figure, path: str | Path, field: str = "path") -> Path:
    """Write `fig` to `path` (format from the suffix), creating the folder if needed."""
    path = check_output_file(path, field, FIGURE_SUFFIXES)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=130)
    return path


def save_replay_timeline(
    replay: Replay, path: str | Path, window: tuple[float, float] | None = None
) -> Path:
    """The incident's reproduced timeline, as the CLI's ``--plot`` writes it.

    `window` (seconds since the incident's epoch) shows one stretch of time; a history too long
    for one screen gets :func:`racesim.plot.timeline.default_window` unless one is given.
    """
    return save_figure(replay_timeline(replay, window), path)


def replay_timeline(replay: Replay, window: tuple[float, float] | None = None) -> Figure:
    """The figure :func:`save_replay_timeline` writes."""
    inc = replay.incident
    return timeline_figure(
        replay.trace,
        title=f"{inc.name}: {inc.title} (strategy {replay.strategy.name})",
        epoch=inc.epoch,
        observed=observed_marks(replay),
        window=window,
    )


def timeline_figure(
    trace: Trace,
    *,
    title: str,
    epoch: datetime | None = None,
    observed: Sequence[tuple[float, str, bool]] = (),
    window: tuple[float, float] | None = None,
) -> Figure:
    """One timeline in a figure sized to its lanes, at most about one screen tall: a history
    with more than :data:`MAX_LANES` runs is shown over its :func:`default_window` (said in
    the title) unless `window` is given."""
    window = window if window is not None else default_window(trace)
    shown, total = shown_runs(trace, window)
    registries = len({e.registry for e in trace.events if e.kind == "write" and e.ref == "latest"})
    rows = shown + registries + 2 + (1 if observed else 0)  # runs, latest, service, margin
    # at most 8.2 in: 1066 px at the 130 dpi files are written with, one screen tall
    fig = Figure(figsize=(12, min(1.4 + 0.38 * rows, 8.2)), layout="constrained")
    if shown < total and window is not None:
        span = f"{_clock(window[0], epoch)} to {_clock(window[1], epoch)}"
        title += f"\nshowing the {shown} of {total} runs active from {span}"
    plot_timeline(
        trace, fig.add_subplot(), epoch=epoch, title=title, observed=observed, window=window
    )
    return fig


def _clock(t: float, epoch: datetime | None) -> str:
    if epoch is None:
        return f"{t:g} s"
    return f"{epoch + timedelta(seconds=t):%H:%M:%S}"


def observed_marks(replay: Replay) -> list[tuple[float, str, bool]]:
    """Each observed time of `replay` in seconds on the trace's clock, its label, and whether
    the engine reproduced it exactly (what :func:`plot_timeline`'s ``observed`` takes)."""
    epoch = replay.incident.epoch
    return [
        ((o.time - epoch).total_seconds(), f"{o.event} {o.commit}", o.matches)
        for o in replay.observed
    ]


def save_counterfactual_timelines(
    replay: Replay, strategies: Sequence[str], path: str | Path
) -> Path:
    """One timeline per counterfactual strategy in `strategies`, stacked, sharing the time axis."""
    return save_figure(counterfactual_timelines(replay, strategies), path, "path")


def counterfactual_timelines(replay: Replay, strategies: Sequence[str]) -> Figure:
    """The figure :func:`save_counterfactual_timelines` writes: the shared time axis covers
    every panel's events (:func:`plot_timeline` joins the ranges of panels sharing an axis)."""
    chosen = [c for c in replay.counterfactuals if c.strategy in strategies]
    fig = Figure(figsize=(12, 2.6 * len(chosen)), layout="constrained")
    axes = fig.subplots(len(chosen), 1, sharex=True, squeeze=False)[:, 0]
    for ax, c in zip(axes, chosen, strict=True):
        plot_timeline(c.trace, ax, epoch=replay.incident.epoch, title=c.strategy)
        if ax is not axes[-1]:
            ax.set_xlabel("")
    return fig


def _figure(size: tuple[float, float] = (9, 5)) -> Figure:
    return Figure(figsize=size, layout="constrained")


def save_comparison_figures(
    results: pd.DataFrame,
    summary: pd.DataFrame,
    folder: str | Path,
    scenario: str | None = None,
) -> list[Path]:
    """Stale probability, push-to-live ECDF and cost against safety, as PNG files in `folder`.

    Each figure names its `scenario` (when given) and the trials per strategy, so a picture
    pasted into a slide or a postmortem still says what it measured.
    """
    folder = make_output_dir(folder, "folder")
    figures = {
        name: _figure() for name in ("stale-probability", "push-to-live-ecdf", "cost-vs-safety")
    }
    plot_stale_probability(summary, figures["stale-probability"].add_subplot())
    plot_push_to_live_ecdf(results, figures["push-to-live-ecdf"].add_subplot())
    plot_cost_vs_safety(summary, figures["cost-vs-safety"].add_subplot())
    trials = int(summary["trials"].iloc[0]) if len(summary) else 0
    seeds = sorted({int(s) for s in results["seed"]}) if "seed" in results else []
    where = f"scenario {scenario}, " if scenario else ""
    seed = f", seed {seeds[0]}" if len(seeds) == 1 else ""
    for fig in figures.values():
        fig.suptitle(f"{where}{trials:,} trials per strategy{seed}", fontsize=10, color="#555555")
    return [save_figure(fig, folder / f"{name}.png") for name, fig in figures.items()]


def save_sweep_figure(
    sweep_summary: pd.DataFrame,
    path: str | Path,
    references: pd.DataFrame | None = None,
    exact: pd.DataFrame | None = None,
    *,
    log: bool = False,
    risk: float | None = None,
) -> Path:
    """The sweep's probability curve (the sleep picture when the knob is ``sleep``).

    `exact` (from :func:`racesim.exact_sweep`) adds the exact curve to the sleep picture;
    `log` and `risk` are :func:`~racesim.plot.plot_sleep_sweep`'s (sleep picture only).
    """
    fig = _figure()
    ax = fig.add_subplot()
    if str(sweep_summary["knob"].iloc[0]) == "sleep":
        plot_sleep_sweep(sweep_summary, ax, references=references, exact=exact, log=log, risk=risk)
    else:
        plot_sweep(sweep_summary, ax, references=references)
    return save_figure(fig, path)


def save_matrix_figure(matrix: pd.DataFrame, path: str | Path) -> Path:
    """The safety matrix as three heatmaps stacked (one per rate), sharing the situations axis.

    Stacked rather than side by side, so the figure keeps a readable text size at the docs'
    page width (about 800 pixels) and on a slide.
    """

    strategies = matrix["strategy"].nunique() if len(matrix) else 1
    fig = Figure(
        figsize=(8, len(MATRIX_RATES) * (0.9 + 0.32 * strategies) + 1.6), layout="constrained"
    )
    axes = fig.subplots(len(MATRIX_RATES), 1, sharex=True, squeeze=False)[:, 0]
    plot_safety_matrix(matrix, list(axes))
    for ax in axes[:-1]:
        ax.tick_params(axis="x", labelbottom=False)
    fig.suptitle(f"Safety matrix: share of {trials_text(matrix, short=True)}", fontsize=13)
    return save_figure(fig, path)
