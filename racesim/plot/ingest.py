"""Pictures of what was ingested: fitted timings against observations, a draft's timeline.

:func:`plot_fit` draws one step's observed durations as an empirical CDF with the fitted
distribution's CDF over it, so a reader sees at once whether the fit follows the data (and its
tail). :func:`plot_draft_timeline` draws the replayed timeline of an incident draft and marks
every observed time on it, so that a reader can check the draft against the run history.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from racesim._util.paths import make_output_dir
from racesim.incidents.replay import Replay
from racesim.ingest.timings import Fit
from racesim.plot.figures import observed_marks, save_figure, timeline_figure
from racesim.plot.timeline import plot_timeline

__all__ = ["plot_draft_timeline", "plot_fit", "save_draft_timeline", "save_fit_plots"]


def plot_fit(fit: Fit, ax: Axes | None = None) -> Axes:
    """The observed durations of one step (ECDF steps) and the fitted CDF (a line)."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(5, 3.5), layout="constrained")
    values = np.sort(np.asarray(fit.values, dtype=float))
    share = np.arange(1, len(values) + 1) / len(values)
    ax.step(values, share, where="post", color="black", label=f"observed (n={fit.n})")
    q = np.linspace(0.001, 0.999, 400)
    x = np.array([fit.distribution.quantile(float(p)) for p in q])
    ks = f", KS {fit.ks[fit.method]:.2f}" if fit.method in fit.ks else ""
    ax.plot(x, q, color="tab:orange", lw=2, alpha=0.8, label=f"{fit.method}{ks}")
    p95 = fit.distribution.quantile(0.95)
    ax.axvline(p95, color="tab:orange", ls=":", lw=1)
    ax.set_xlim(0, max(float(values.max()), p95) * 1.05 + 1)
    ax.set_ylim(0, 1.02)
    ax.set_title(fit.step)
    ax.set_xlabel("seconds")
    ax.set_ylabel("share of runs ≤ x")
    ax.legend(loc="lower right", fontsize=8)
    return ax


def save_fit_plots(fits: Mapping[str, Fit], directory: str | Path) -> Path:
    """Every step's :func:`plot_fit` in one grid, as ``fitted-timings.png`` in `directory`."""
    n = max(len(fits), 1)
    cols = min(n, 3)
    rows = -(-n // cols)
    fig = Figure(figsize=(4.6 * cols, 3.4 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, f in zip(axes, fits.values(), strict=False):
        plot_fit(f, ax)
    for ax in axes[len(fits) :]:
        ax.set_visible(False)
    fig.suptitle("Observed step durations (ECDF) and the fitted distributions")
    return save_figure(fig, make_output_dir(directory, "directory") / "fitted-timings.png")


def plot_draft_timeline(
    result: Replay, ax: Axes | None = None, window: tuple[float, float] | None = None
) -> Axes:
    """The replayed timeline of a draft, with each observed time marked on a lane of its own:
    black where the replay reproduces it, red where it does not."""
    inc = result.incident
    return plot_timeline(
        result.trace,
        ax,
        epoch=inc.epoch,
        title=f"{inc.name}: {inc.title}",
        observed=observed_marks(result),
        window=window,
    )


def save_draft_timeline(
    result: Replay, path: str | Path, window: tuple[float, float] | None = None
) -> Path:
    """:func:`plot_draft_timeline` written to `path` (PNG, SVG or PDF), at most about one screen
    tall: a long history is shown over `window` (seconds since the draft's epoch) or, by
    default, over :func:`racesim.plot.timeline.default_window`, and the title says so."""
    inc = result.incident
    fig = timeline_figure(
        result.trace,
        title=f"{inc.name}: {inc.title}",
        epoch=inc.epoch,
        observed=observed_marks(result),
        window=window,
    )
    return save_figure(fig, path)
