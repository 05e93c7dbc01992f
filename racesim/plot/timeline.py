"""The signature picture: one lane per run, step bars, registry writes and pulls, the race window.

Read it left to right. Each run is a lane; its bars are the steps it ran (a grey hatched bar is
the wait for a runner, a mauve cross-hatched one the time queued in a concurrency group).
Triangles pointing up are registry writes, down are pulls; a red pull fetched an image older
than the one the deploy meant to ship. The shaded band is the race window: from a pull to the
moment the image it should have fetched appeared. The bottom lane shows which commit the
service ran.
"""

from __future__ import annotations

from datetime import datetime
from itertools import pairwise
from typing import TYPE_CHECKING

import matplotlib.dates as mdates
from matplotlib.patches import Patch

from racesim.trace import Event, Trace

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["STEP_COLORS", "plot_timeline"]

#: colour of each step's bar
STEP_COLORS: dict[str, str] = {
    "build": "#4C72B0",
    "push": "#1F3F77",
    "push_direct": "#1F3F77",
    "verify": "#8FA9D6",
    "prepare": "#55A868",
    "sleep": "#B8B8B8",
    "wait": "#D9C26A",
    "mirror": "#2E7D4F",
    "rollout": "#DD8452",
}
_WAIT_COLOR = "#D0D0D0"
_QUEUE_COLOR = "#D8B7DD"
#: legend label of the time a run (or its deploy job) waits in a concurrency group
QUEUE_LABEL = "queued (concurrency)"
_STALE = "#C44E52"
_OK = "#2E7D4F"


def _lanes(trace: Trace) -> list[tuple[int, str]]:
    lanes = []
    for e in trace.events:
        if e.kind == "run_created":
            lanes.append((e.run, f"{e.workflow} #{e.run} · {trace.label(e.commit)}"))
    return lanes


def plot_timeline(
    trace: Trace,
    ax: Axes | None = None,
    *,
    epoch: datetime | None = None,
    title: str | None = None,
    highlight: tuple[Event, ...] = (),
    legend: bool = True,
) -> Axes:
    """Draw `trace` as a per-run timeline and return the Axes.

    Args:
        trace: the trace to draw.
        ax: Axes to draw on; a new figure is made when ``None``.
        epoch: wall-clock time of the trace's time 0; the x axis then shows UTC clock times
            instead of seconds since the first push.
        title: the Axes title.
        highlight: extra events to ring in red (a counterexample's offending events).
        legend: draw the legend of step colours and markers.
    """
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(
            figsize=(11, 1.2 + 0.55 * (len(_lanes(trace)) + 1)), layout="constrained"
        )

    # with an epoch, x values are matplotlib date numbers (days), so the axis can show clock times
    origin = 0.0 if epoch is None else float(mdates.date2num(epoch))  # type: ignore[no-untyped-call]
    scale = 1.0 if epoch is None else 1.0 / 86400.0

    def x(t: float) -> float:
        return origin + t * scale

    def width(d: float) -> float:
        return d * scale

    lanes = _lanes(trace)
    y_of = {run: len(lanes) - i for i, (run, _) in enumerate(lanes)}
    outcome = trace.outcome
    deploys = {d.run: d for d in outcome.deploys}
    open_steps: dict[tuple[int, str], float] = {}
    created: dict[int, float] = {}
    admitted: dict[int, float] = {}  # run -> when its group admitted it (until its next job)
    queued_drawn = False
    end = outcome.end_time

    for e in trace.events:
        y = y_of.get(e.run)
        if e.kind == "run_created":
            created[e.run] = e.time
        elif e.kind == "admitted":
            admitted[e.run] = e.time
        elif e.kind == "job_started" and y is not None:
            since = open_steps.pop((e.run, "_job"), created.get(e.run, e.time))
            let_go = admitted.pop(e.run, None)
            if let_go is not None and let_go > since:
                ax.barh(
                    y,
                    width(let_go - since),
                    left=x(since),
                    height=0.5,
                    color=_QUEUE_COLOR,
                    hatch="xx",
                    edgecolor="#8E6A94",
                    linewidth=0.5,
                )
                since, queued_drawn = let_go, True
            ax.barh(
                y,
                width(e.time - since),
                left=x(since),
                height=0.5,
                color=_WAIT_COLOR,
                hatch="///",
                edgecolor="#888888",
                linewidth=0.5,
            )
        elif e.kind == "job_completed" and e.job == "build":
            open_steps[(e.run, "_job")] = e.time  # the deploy job of a merged run waits from here
        elif e.kind == "step_start":
            open_steps[(e.run, e.step)] = e.time
        elif e.kind in ("step_end", "step_aborted") and y is not None:
            start = open_steps.pop((e.run, e.step), e.time)
            failed = e.detail == "failure" or e.kind == "step_aborted"
            ax.barh(
                y,
                width(e.time - start),
                left=x(start),
                height=0.5,
                color=STEP_COLORS.get(e.step, "#999999"),
                edgecolor=_STALE if failed else "white",
                linewidth=1.5 if failed else 0.5,
            )
        elif (
            e.kind == "write"
            and y is not None
            and e.registry == trace.build_registry
            and e.ref == "latest"
        ):
            ax.plot(x(e.time), y + 0.38, marker="^", color="#1F3F77", markersize=9, zorder=5)
            ax.annotate(
                f":latest → {trace.label(e.image)}",
                (x(e.time), y + 0.38),
                xytext=(4, 4),
                textcoords="offset points",
                fontsize=8,
                color="#1F3F77",
            )
        elif e.kind in ("read", "read_failed") and e.detail == "pull" and y is not None:
            d = deploys.get(e.run)
            bad = e.kind == "read_failed" or (d is not None and e.image < d.meant)
            color = _STALE if bad else _OK
            ax.plot(x(e.time), y + 0.38, marker="v", color=color, markersize=10, zorder=5)
            what = (
                "manifest unknown" if e.kind == "read_failed" else f"pulled {trace.label(e.image)}"
            )
            ax.annotate(
                what + (" (stale)" if bad and e.kind == "read" else ""),
                (x(e.time), y + 0.38),
                xytext=(4, 4),
                textcoords="offset points",
                fontsize=8,
                color=color,
                fontweight="bold" if bad else "normal",
            )
        elif e.kind == "cancelled" and y is not None:
            ax.plot(x(e.time), y, marker="X", color=_STALE, markersize=9, zorder=5)
        elif e.kind == "guard" and y is not None:
            ax.plot(
                x(e.time),
                y,
                marker="D",
                color=_STALE if e.detail == "block" else _OK,
                markersize=6,
                zorder=5,
            )

    # race windows: from each early pull to the moment its meant image became visible; labels
    # are stacked so that overlapping windows stay readable
    windows = [
        (d.pull_time, d.pull_time - d.pull_margin)
        for d in outcome.deploys
        if d.pull_time is not None and d.pull_margin is not None and d.pull_margin < 0
    ]
    for i, (start, stop) in enumerate(windows):
        ax.axvspan(x(start), x(stop), color=_STALE, alpha=0.12, zorder=0)
        ax.annotate(
            f"race window {stop - start:g} s",
            (x(start + (stop - start) / 2), 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(0, -4 - 11 * i),
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize=9,
            color=_STALE,
            fontweight="bold",
        )

    # the service lane: green while it runs the newest image available, red while it lags behind
    first = trace.history.pushes[0].time if trace.history.pushes else 0.0
    available: dict[float, int] = {}
    for e in trace.events:
        if e.kind == "write" and e.registry == trace.build_registry:
            available[e.time] = max(e.image, available.get(e.time, 0))
    live = list(outcome.live)
    for (t0, commit), nxt in zip(live, [*live[1:], (end, -1)], strict=False):
        a, b = max(t0, first), max(nxt[0], first)
        if b <= a:
            continue
        cuts = sorted({a, b, *(t for t in available if a < t < b)})
        for c0, c1 in pairwise(cuts):
            newest = max((k for t, k in available.items() if t <= c0), default=0)
            ax.barh(
                0,
                width(c1 - c0),
                left=x(c0),
                height=0.5,
                color="#F2D0D1" if commit < newest else "#D3ECD9",
                linewidth=0,
            )
        ax.barh(
            0, width(b - a), left=x(a), height=0.5, fill=False, edgecolor="#888888", linewidth=0.5
        )
        ax.text(x(a + (b - a) / 2), 0, trace.label(commit), ha="center", va="center", fontsize=8)
    for e in (e for e in trace.events if e.kind == "push"):
        ax.axvline(x(e.time), color="#555555", linestyle=":", linewidth=1)
        ax.annotate(
            f"push {trace.label(e.commit)}",
            (x(e.time), 0.0),
            xycoords=("data", "axes fraction"),
            xytext=(2, 3),
            textcoords="offset points",
            fontsize=8,
            color="#555555",
        )

    for e in highlight:
        y = y_of.get(e.run, 0)
        ax.plot(
            x(e.time),
            y,
            marker="o",
            markersize=18,
            markerfacecolor="none",
            markeredgecolor=_STALE,
            markeredgewidth=2,
            zorder=6,
        )

    ax.set_yticks([0, *y_of.values()], ["service", *(name for _, name in lanes)])
    ax.set_ylim(-0.6, len(lanes) + 0.9)
    if epoch is None:
        ax.set_xlabel("seconds since the first push")
    else:
        ax.xaxis.set_major_locator(mdates.AutoDateLocator())  # type: ignore[no-untyped-call]
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M:%S"))  # type: ignore[no-untyped-call]
        ax.set_xlabel(f"time (UTC), {epoch:%Y-%m-%d}")
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    if title is not None:
        ax.set_title(title)
    if legend:
        used = {e.step for e in trace.events if e.kind == "step_start"}
        handles = [
            Patch(color=c, label=s)
            for s, c in STEP_COLORS.items()
            if s in used and s != "push_direct"
        ]
        handles.append(
            Patch(
                facecolor=_WAIT_COLOR,
                hatch="///",
                edgecolor="#AAAAAA",
                label="waiting for a runner",
            )
        )
        if queued_drawn:
            handles.append(
                Patch(facecolor=_QUEUE_COLOR, hatch="xx", edgecolor="#8E6A94", label=QUEUE_LABEL)
            )
        handles.append(Patch(color=_STALE, alpha=0.25, label="race window"))
        ax.legend(
            handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False
        )
    return ax
