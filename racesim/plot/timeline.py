"""The signature picture: one lane per run, step bars, registry writes and pulls, the race window.

Read it left to right. Each run is a lane; its bars are the steps it ran (a grey hatched bar is
the wait for a runner, a mauve cross-hatched one the time queued in a concurrency group).
Triangles pointing up are registry writes, down are pulls; a red pull fetched an image older
than the one the deploy meant to ship. The shaded band is the race window: from a pull to the
moment the image it should have fetched appeared. Below the runs, one lane per registry shows
what its ``latest`` tag pointed at (so a publish-only incident, with no deploy, still shows its
outcome), and the bottom lane which commit the service ran. The x axis covers every event. The
legend lists every colour and mark the panel shows, and nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from itertools import pairwise
from typing import TYPE_CHECKING

import matplotlib.dates as mdates
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from racesim.core.trace import CONTINUED, FINISHED_BY_TARGET, Event, Trace

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
_WRITE = "#1F3F77"
_NEWEST = "#D3ECD9"
_BEHIND = "#F2D0D1"


def _legend_handles(drawn: set[str], steps: Sequence[str]) -> list[Patch | Line2D]:
    """One legend entry per kind of colour or mark in `drawn`, in a fixed reading order."""

    def mark(marker: str, color: str, label: str, **kw: object) -> Line2D:
        return Line2D([], [], linestyle="none", marker=marker, color=color, label=label, **kw)  # type: ignore[arg-type]

    handles: list[Patch | Line2D] = [Patch(color=STEP_COLORS[s], label=s) for s in steps]
    optional: list[tuple[str, Patch | Line2D]] = [
        (
            "waiting",
            Patch(
                facecolor=_WAIT_COLOR,
                hatch="///",
                edgecolor="#AAAAAA",
                label="waiting for a runner",
            ),
        ),
        (
            "queued",
            Patch(facecolor=_QUEUE_COLOR, hatch="xx", edgecolor="#8E6A94", label=QUEUE_LABEL),
        ),
        (
            "failed",
            Patch(facecolor="white", edgecolor=_STALE, linewidth=1.5, label="failed or cut short"),
        ),
        ("write", mark("^", _WRITE, ":latest moved (registry write)", markersize=8)),
        ("pull_ok", mark("v", _OK, "pull of the meant image", markersize=8)),
        ("pull_bad", mark("v", _STALE, "stale pull or manifest unknown", markersize=8)),
        ("cancelled", mark("X", _STALE, "run cancelled", markersize=8)),
        (
            "continued",
            Patch(
                facecolor=STEP_COLORS["rollout"],
                alpha=0.6,
                hatch="..",
                edgecolor=_STALE,
                label="rollout the target finished after its job was cancelled",
            ),
        ),
        ("guard_pass", mark("D", _OK, "guard passed", markersize=6)),
        ("guard_block", mark("D", _STALE, "guard blocked", markersize=6)),
        ("window", Patch(color=_STALE, alpha=0.25, label="race window")),
        ("newest", Patch(facecolor=_NEWEST, edgecolor="#888888", label="runs the newest image")),
        ("behind", Patch(facecolor=_BEHIND, edgecolor="#888888", label="behind the newest image")),
        ("observed", mark("|", "black", "observed time, reproduced", markersize=12)),
        (
            "mismatch",
            mark("|", _STALE, "observed time, NOT reproduced", markersize=12, markeredgewidth=2.5),
        ),
        (
            "highlight",
            mark(
                "o",
                _STALE,
                "counterexample event",
                markersize=12,
                markerfacecolor="none",
                markeredgewidth=2,
            ),
        ),
    ]
    handles += [h for key, h in optional if key in drawn]
    return handles


def _lanes(trace: Trace) -> list[tuple[int, str]]:
    """``(run id, lane name)`` per run; runs are numbered within their workflow (the first
    deploy is ``deploy #1`` whatever its run id)."""
    lanes = []
    counts: dict[str, int] = {}
    for e in trace.events:
        if e.kind == "run_created":
            counts[e.workflow] = counts.get(e.workflow, 0) + 1
            lanes.append((e.run, f"{e.workflow} #{counts[e.workflow]} · {trace.label(e.commit)}"))
    return lanes


def plot_timeline(
    trace: Trace,
    ax: Axes | None = None,
    *,
    epoch: datetime | None = None,
    title: str | None = None,
    highlight: tuple[Event, ...] = (),
    legend: bool = True,
    observed: Sequence[tuple[float, str, bool]] = (),
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
        observed: ``(seconds, label, reproduced)`` of observed times (an incident's), drawn as
            ticks on a lane of their own, red where the engine did not reproduce them.
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
    written = {e.registry for e in trace.events if e.kind == "write" and e.ref == "latest"}
    # the build registry's lane first, then the deploy registry's: the same order in every panel
    registries = [r for r in (trace.build_registry, trace.deploy_registry) if r in written]
    registries += sorted(written.difference(registries))
    base = len(registries)  # the registries' latest lanes sit between the runs and the service
    y_of = {run: base + len(lanes) - i for i, (run, _) in enumerate(lanes)}
    top = base + len(lanes)
    drawn: set[str] = set()
    steps_shown: set[str] = set()
    outcome = trace.outcome
    deploys = {d.run: d for d in outcome.deploys}
    open_steps: dict[tuple[int, str], float] = {}
    created: dict[int, float] = {}
    admitted: dict[int, float] = {}  # run -> when its group admitted it (until its next job)
    end = outcome.end_time
    # the axis covers every event (and every observed time), with a little room on each side;
    # the lanes that show a state (latest, service) run on to the right edge, so a change at the
    # very last event is still visible
    times = [e.time for e in trace.events] + [end] + [t for t, _, _ in observed]
    lo, hi = min(times), max(times)
    pad = max(hi - lo, 1.0) * 0.05
    edge = hi + pad

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
                drawn.add("queued")
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
                since = let_go
            if e.time > since:
                drawn.add("waiting")
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
            if e.time > start:
                steps_shown.add("push" if e.step == "push_direct" else e.step)
            failed = e.detail == "failure" or e.kind == "step_aborted"
            carried = e.detail == FINISHED_BY_TARGET  # the target finished what the job sent
            if e.kind == "step_aborted" and e.detail == CONTINUED:
                open_steps[(e.run, e.step)] = e.time  # the rest is drawn at its real end
            if failed:
                drawn.add("failed")
            if carried:
                drawn.add("continued")
            ax.barh(
                y,
                width(e.time - start),
                left=x(start),
                height=0.5,
                color=STEP_COLORS.get(e.step, "#999999"),
                edgecolor=_STALE if failed or carried else "white",
                linewidth=1.5 if failed or carried else 0.5,
                hatch=".." if carried else None,
                alpha=0.6 if carried else 1.0,
            )
            if carried:
                ax.annotate(
                    "cancelled client, rollout continued",
                    (x(e.time), y + 0.28),
                    xytext=(0, 1),
                    textcoords="offset points",
                    ha="right",
                    va="bottom",
                    fontsize=8,
                    color=_STALE,
                )
        elif (
            e.kind == "write"
            and y is not None
            and e.registry == trace.build_registry
            and e.ref == "latest"
        ):
            drawn.add("write")
            ax.plot(x(e.time), y + 0.38, marker="^", color=_WRITE, markersize=9, zorder=5)
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
            drawn.add("pull_bad" if bad else "pull_ok")
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
            drawn.add("cancelled")
            ax.plot(x(e.time), y, marker="X", color=_STALE, markersize=9, zorder=5)
        elif e.kind == "guard" and y is not None:
            drawn.add("guard_block" if e.detail == "block" else "guard_pass")
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
        drawn.add("window")
        ax.axvspan(x(start), x(stop), color=_STALE, alpha=0.12, zorder=0)
        ax.annotate(
            f"race window {stop - start:g} s",
            (x(start + (stop - start) / 2), 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(0, -4 - 14 * i),  # a 9 pt line and a gap: stacked labels never touch
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
    for (t0, commit), nxt in zip(live, [*live[1:], (edge, -1)], strict=False):
        a, b = max(t0, first), max(nxt[0], first)
        if b <= a:
            continue
        cuts = sorted({a, b, *(t for t in available if a < t < b)})
        for c0, c1 in pairwise(cuts):
            newest = max((k for t, k in available.items() if t <= c0), default=0)
            drawn.add("behind" if commit < newest else "newest")
            ax.barh(
                0,
                width(c1 - c0),
                left=x(c0),
                height=0.5,
                color=_BEHIND if commit < newest else _NEWEST,
                linewidth=0,
            )
        ax.barh(
            0, width(b - a), left=x(a), height=0.5, fill=False, edgecolor="#888888", linewidth=0.5
        )
        ax.text(x(a + (b - a) / 2), 0, trace.label(commit), ha="center", va="center", fontsize=8)
    last_label, level = -float("inf"), 0
    for e in (e for e in trace.events if e.kind == "push"):
        ax.axvline(x(e.time), color="#555555", linestyle=":", linewidth=1)
        # pushes close together get their labels stacked instead of printed over each other
        level = level + 1 if e.time - last_label < 0.08 * (hi - lo + 2 * pad) else 0
        last_label = e.time
        ax.annotate(
            f"push {trace.label(e.commit)}",
            (x(e.time), 0.0),
            xycoords=("data", "axes fraction"),
            xytext=(2, 3 + 10 * level),
            textcoords="offset points",
            fontsize=8,
            color="#555555",
        )

    # what each registry's latest points at: a publish-only incident shows its outcome here
    every_write = sorted({e.time for e in trace.events if e.kind == "write"})
    for lane, registry in enumerate(registries, start=1):
        # before its first write, latest holds the pre-existing image (commit 0)
        writes = sorted(
            (e.time, e.image)
            for e in trace.events
            if e.kind == "write" and e.registry == registry and e.ref == "latest"
        )
        points = [(first, 0), *writes]
        for (t0, image), (t1, _) in zip(points, [*points[1:], (edge, -1)], strict=False):
            if t1 <= t0:
                continue
            cuts = sorted({t0, t1, *(t for t in every_write if t0 < t < t1)})
            for c0, c1 in pairwise(cuts):
                newest = max((k for t, k in available.items() if t <= c0), default=0)
                drawn.add("behind" if image < newest else "newest")
                ax.barh(
                    lane,
                    width(c1 - c0),
                    left=x(c0),
                    height=0.5,
                    color=_BEHIND if image < newest else _NEWEST,
                    linewidth=0,
                )
            ax.barh(
                lane,
                width(t1 - t0),
                left=x(t0),
                height=0.5,
                fill=False,
                edgecolor="#888888",
                linewidth=0.5,
            )
            ax.text(
                x(t0 + (t1 - t0) / 2),
                lane,
                trace.label(image),
                ha="center",
                va="center",
                fontsize=8,
            )

    if observed:
        top += 1
        for t, what, ok in observed:
            drawn.add("observed" if ok else "mismatch")
            ax.plot(
                x(t),
                top,
                marker="|",
                markersize=14,
                color="black" if ok else _STALE,
                markeredgewidth=1.5 if ok else 2.5,
                zorder=5,
            )
            if not ok:
                ax.annotate(
                    f"{what}: not reproduced",
                    (x(t), top),
                    xytext=(4, 6),
                    textcoords="offset points",
                    fontsize=8,
                    color=_STALE,
                    fontweight="bold",
                )

    for e in highlight:
        drawn.add("highlight")
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

    ticks = [0, *range(1, base + 1), *y_of.values()]
    names = ["service", *(f"latest @ {r}" for r in registries), *(name for _, name in lanes)]
    if observed:
        ticks.append(top)
        names.append("observed")
    ax.set_yticks(ticks, names)
    # headroom for the race-window labels stacked above the first lane
    ax.set_ylim(-0.6, top + 0.9 + 0.5 * max(len(windows) - 1, 0))
    ax.set_xlim(x(lo - pad), x(edge))
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
        steps = [s for s in STEP_COLORS if s in steps_shown]
        ax.legend(
            handles=_legend_handles(drawn, steps),
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            fontsize=8,
            frameon=False,
        )
    return ax
