"""The timeline picture: Axes in, Axes out; the race window is shaded; a stale pull is red."""

from __future__ import annotations

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
from helpers import F8
from matplotlib.axes import Axes
from matplotlib.colors import to_hex
from matplotlib.patches import Polygon, Rectangle

from racesim.core.history import History
from racesim.engine import simulate
from racesim.plot import plot_timeline


def shaded_spans(ax: object) -> list[tuple[float, float]]:
    """x extents of the axvspan patches (race windows)."""
    spans = []
    for patch in ax.patches:  # type: ignore[attr-defined]
        if isinstance(patch, Polygon | Rectangle) and patch.get_alpha() == 0.12:
            xs = (
                [x for x, _ in patch.get_xy()]
                if isinstance(patch, Polygon)
                else [patch.get_x(), patch.get_x() + patch.get_width()]
            )
            spans.append((min(xs), max(xs)))
    return spans


def test_draws_on_the_given_axes_and_returns_it() -> None:
    fig, ax = plt.subplots()
    assert plot_timeline(simulate("parallel", History.single(F8)), ax) is ax
    plt.close(fig)


def test_race_window_from_pull_to_visibility() -> None:
    ax = plot_timeline(simulate("parallel", History.single(F8)))
    assert shaded_spans(ax) == [(34.0, 74.0)]  # pulled at 34 s, image visible at 74 s
    labels = [t.get_text() for t in ax.texts]
    assert "race window 40 s" in labels
    assert "pulled previous (stale)" in labels
    red = [line for line in ax.lines if line.get_marker() == "v"]
    assert [to_hex(line.get_color()) for line in red] == ["#c44e52"]
    plt.close(ax.figure)


def test_no_race_window_when_the_pull_is_late_enough() -> None:
    ax = plot_timeline(simulate("sleep:60", History.single(F8)))
    assert shaded_spans(ax) == []
    assert [to_hex(line.get_color()) for line in ax.lines if line.get_marker() == "v"] == [
        "#2e7d4f"
    ]
    plt.close(ax.figure)


def test_one_lane_per_run_plus_latest_per_registry_plus_service() -> None:
    ax = plot_timeline(simulate("workflow_run", History.single(F8)))
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [
        "service",
        "latest @ ghcr",
        "latest @ artifact-registry",
        "build #1 · #1",
        "deploy #1 · #1",  # numbered within its workflow: the only deploy is #1
    ]
    plt.close(ax.figure)


def test_counterfactual_panels_share_an_axis_that_shows_every_event() -> None:
    """Every panel's last event lies inside the shared x range (the fixes going live included),
    and the registry lanes come in the same order in every panel (build registry first)."""
    from racesim import load_incident, replay
    from racesim.plot.figures import counterfactual_timelines

    result = replay(load_incident("f8af4c1"))
    names = ["parallel", "workflow_run", "merged_job", "sleep:60"]
    fig = counterfactual_timelines(result, names)
    origin = mdates.date2num(result.incident.epoch)
    traces = [c.trace for c in result.counterfactuals if c.strategy in names]
    for ax, trace in zip(fig.axes, traces, strict=False):
        hi = ax.get_xlim()[1]
        assert origin + trace.outcome.end_time / 86400 <= hi
        lanes = [t.get_text() for t in ax.get_yticklabels() if t.get_text().startswith("latest")]
        assert lanes == ["latest @ ghcr", "latest @ artifact-registry"]


def _legend(ax: Axes) -> list[str]:
    legend = ax.get_legend()
    return [t.get_text() for t in legend.get_texts()] if legend is not None else []


def test_the_legend_lists_what_the_panel_shows_and_nothing_else() -> None:
    """The seed race: a stale pull, a race window, the service behind; no guard, no cancel."""
    ax = plot_timeline(simulate("parallel", History.single(F8)))
    names = _legend(ax)
    for shown in (
        "build",
        "prepare",
        "rollout",
        "race window",
        "stale pull or manifest unknown",
        ":latest moved (registry write)",
        "runs the newest image",
        "behind the newest image",
    ):
        assert shown in names, shown
    for absent in (
        "push",
        "guard passed",
        "guard blocked",
        "run cancelled",
        "pull of the meant image",
        "counterexample event",
        "observed time, reproduced",
    ):
        assert absent not in names, absent  # F8's push step takes 0 s: no bar, no entry
    plt.close(ax.figure)
    ring = plot_timeline(
        simulate("parallel", History.single(F8)),
        highlight=(
            next(e for e in simulate("parallel", History.single(F8)).events if e.kind == "read"),
        ),
    )
    assert "counterexample event" in _legend(ring)
    plt.close(ring.figure)


def test_the_axis_covers_every_event_and_observed_time() -> None:
    trace = simulate("workflow_run", History.single(F8))
    last = max(e.time for e in trace.events)
    ax = plot_timeline(trace, observed=[(5.0, "deploy.pulled A", True), (last + 30, "late", False)])
    left, right = ax.get_xlim()
    assert left < 0 and right > last + 30
    names = _legend(ax)
    assert "observed time, reproduced" in names and "observed time, NOT reproduced" in names
    assert "late: not reproduced" in [t.get_text() for t in ax.texts]
    assert [t.get_text() for t in ax.get_yticklabels()][-1] == "observed"
    plt.close(ax.figure)


def test_clock_axis_with_epoch() -> None:
    from datetime import UTC, datetime

    ax = plot_timeline(
        simulate("parallel", History.single(F8)),
        epoch=datetime(2025, 12, 3, 23, 44, 32, tzinfo=UTC),
    )
    assert isinstance(ax.xaxis.get_major_formatter(), mdates.DateFormatter)
    assert "UTC" in ax.get_xlabel()
    plt.close(ax.figure)


def test_time_queued_in_a_concurrency_group_is_its_own_bar() -> None:
    """queued-deploy: a's deploy queues 10:05:23-10:07:23 (120 s), then waits 2 s for a runner."""
    from pathlib import Path

    from racesim import load_incident, replay
    from racesim.plot.timeline import QUEUE_LABEL

    result = replay(load_incident(Path(__file__).parent / "data" / "queued-deploy.toml"), [])
    ax = plot_timeline(result.trace)
    queued = [
        (p.get_x(), p.get_width())
        for p in ax.patches
        if isinstance(p, Rectangle) and p.get_hatch() == "xx"
    ]
    assert queued == [(323.0, 120.0)]  # created 10:05:23 = 323 s after the first push
    legend = ax.get_legend()
    assert legend is not None
    assert QUEUE_LABEL in [t.get_text() for t in legend.get_texts()]
    plt.close(ax.figure)  # type: ignore[arg-type]
