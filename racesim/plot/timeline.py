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

import math
from collections.abc import Sequence
from datetime import datetime
from itertools import pairwise
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

import matplotlib.dates as mdates
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from racesim.core.trace import CONTINUED, FINISHED_BY_TARGET, Event, Trace
from racesim.errors import InputError
from racesim.limits import MAX_LANES
from racesim.plot.labels import ABOVE, LabelPlacer, Offset

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "MAX_LANES",
    "STEP_COLORS",
    "check_window",
    "default_window",
    "plot_timeline",
    "shown_runs",
]

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
#: a light backing that keeps a label readable where it crosses a bar or a band
_HALO = {"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.7}


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


def _mark_label(
    placer: LabelPlacer,
    ax: Axes,
    text: str,
    at: tuple[float, float],
    color: str,
    offsets: Sequence[Offset],
    priority: int,
    *,
    bold: bool = False,
) -> None:
    """A label beside the mark at `at` (data coordinates), on a light halo, placed by `placer`
    at the first of `offsets` that collides with nothing."""
    placer.add(
        ax.annotate(
            text,
            at,
            xytext=offsets[0][:2],
            textcoords="offset points",
            fontsize="small",
            bbox=_HALO,
            color=color,
            fontweight="bold" if bold else "normal",
        ),
        offsets,
        priority=priority,
    )


def _lane_label(
    placer: LabelPlacer, ax: Axes, text: str, left: float, right: float, y: float
) -> None:
    """The commit a state lane holds from `left` to `right`, centred, shown only if it fits."""
    placer.add(
        ax.annotate(
            text,
            ((left + right) / 2, y),
            xytext=(0, 0),
            textcoords="offset points",
            ha="center",
            va="center",
            fontsize="small",
        ),
        ((0, 0, "center", "center"),),
        priority=6,
        span=(left, right),
        on_bars=True,
    )


#: the x-range each timeline panel needs (data units), for panels that share their x axis
_SPANS: WeakKeyDictionary[Axes, tuple[float, float]] = WeakKeyDictionary()


def check_window(window: tuple[float, float]) -> tuple[float, float]:
    """`window` as two floats, start before end, or an :class:`InputError` naming it."""
    try:
        start, end = (float(v) for v in window)
    except (TypeError, ValueError):
        raise InputError("window", f"expected (start, end) in seconds, got {window!r}") from None
    if not (math.isfinite(start) and math.isfinite(end) and start < end):
        raise InputError("window", f"expected finite start < end in seconds, got {window!r}")
    return start, end


def _run_spans(trace: Trace) -> dict[int, tuple[float, float]]:
    """``run -> (first event, last event)``, in one pass over the trace."""
    spans: dict[int, tuple[float, float]] = {}
    for e in trace.events:
        if e.run:
            first, last = spans.get(e.run, (e.time, e.time))
            spans[e.run] = (min(first, e.time), max(last, e.time))
    return spans


def _active(span: tuple[float, float], view: tuple[float, float]) -> bool:
    """Whether a run spanning `span` has anything in `view`."""
    return span[0] <= view[1] and span[1] >= view[0]


def default_window(trace: Trace, max_lanes: int = MAX_LANES) -> tuple[float, float] | None:
    """The stretch of time a long history is shown in by default, ``None`` if all fits.

    A history with more than `max_lanes` runs would draw a figure taller than a screen. The
    window then centres on the first deploy that shipped an older image than it meant (the
    race the reader came for), or else on the last pushes, and widens one push at a time while
    the runs active in it stay within `max_lanes`.
    """
    lanes = _lanes(trace)
    if len(lanes) <= max_lanes:
        return None
    pushes = sorted(e.time for e in trace.events if e.kind == "push")
    stale = [d for d in trace.outcome.deploys if d.stale and d.pull_time is not None]
    focus = stale[0].pull_time if stale else pushes[-1]
    assert focus is not None
    every = _run_spans(trace)
    spans = {run: every[run] for run, _ in lanes}
    start = end = focus

    def fits(a: float, b: float) -> bool:
        return sum(_active(span, (a, b)) for span in spans.values()) <= max_lanes

    # grow to the neighbouring push times (and the last event) while the lanes still fit
    marks = sorted({*pushes, *(la for _, la in spans.values())})
    before = [t for t in marks if t < focus][::-1]
    after = [t for t in marks if t > focus]
    while before or after:
        grown = False
        if after and fits(start, after[0]):
            end = after.pop(0)
            grown = True
        if before and fits(before[0], end):
            start = before.pop(0)
            grown = True
        if not grown:
            break
    pad = max(end - start, 10.0) * 0.04
    return (start - pad, end + pad) if fits(start - pad, end + pad) else (start, end)


def shown_runs(trace: Trace, window: tuple[float, float] | None) -> tuple[int, int]:
    """``(runs shown, runs in all)`` of a timeline of `trace` over `window`."""
    lanes = _lanes(trace)
    if window is None:
        return len(lanes), len(lanes)
    view, spans = check_window(window), _run_spans(trace)
    return sum(_active(spans[run], view) for run, _ in lanes), len(lanes)


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
    window: tuple[float, float] | None = None,
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
        window: ``(start, end)`` in seconds on the trace's clock: show only that stretch of time
            and the runs active in it (a long history's readable part; see
            :func:`default_window`). ``None`` shows everything.
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

    end = trace.outcome.end_time
    # the axis covers every event (and every observed time), with a little room on each side;
    # the lanes that show a state (latest, service) run on to the right edge, so a change at the
    # very last event is still visible
    times = [e.time for e in trace.events] + [end] + [t for t, _, _ in observed]
    lo, hi = min(times), max(times)
    pad = max(hi - lo, 1.0) * 0.05
    edge = hi + pad
    view = (lo - pad, edge) if window is None else check_window(window)

    def shown(t: float) -> bool:
        return view[0] <= t <= view[1]

    def bar(y: float, start: float, stop: float, **style: object) -> None:
        """A bar from `start` to `stop` (seconds), cut to the part in view."""
        a, b = max(start, view[0]), min(stop, view[1])
        if b > a or (b == a and stop == start and shown(a)):
            ax.barh(y, (b - a) * scale, left=x(a), **style)  # type: ignore[arg-type]

    placer = LabelPlacer(ax)  # places every label below when the figure is drawn
    spans = _run_spans(trace)
    lanes = [lane for lane in _lanes(trace) if window is None or _active(spans[lane[0]], view)]
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
                bar(
                    y,
                    since,
                    let_go,
                    height=0.5,
                    color=_QUEUE_COLOR,
                    hatch="xx",
                    edgecolor="#8E6A94",
                    linewidth=0.5,
                )
                since = let_go
            if e.time > since:
                drawn.add("waiting")
            bar(
                y,
                since,
                e.time,
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
            bar(
                y,
                start,
                e.time,
                height=0.5,
                color=STEP_COLORS.get(e.step, "#999999"),
                edgecolor=_STALE if failed or carried else "white",
                linewidth=1.5 if failed or carried else 0.5,
                hatch=".." if carried else None,
                alpha=0.6 if carried else 1.0,
            )
            if carried:
                _mark_label(
                    placer,
                    ax,
                    "cancelled client, rollout continued",
                    (x(e.time), y + 0.28),
                    _STALE,
                    ((0, 1, "right", "bottom"), (0, -12, "right", "top"), *ABOVE),
                    4,
                )
        elif (
            e.kind == "write"
            and y is not None
            and shown(e.time)
            and e.registry == trace.build_registry
            and e.ref == "latest"
        ):
            drawn.add("write")
            ax.plot(x(e.time), y + 0.38, marker="^", color=_WRITE, markersize=9, zorder=5)
            label = f":latest → {trace.label(e.image)}"
            _mark_label(placer, ax, label, (x(e.time), y + 0.38), _WRITE, ABOVE, 3)
        elif e.kind in ("read", "read_failed") and e.detail == "pull" and y is not None:
            if not shown(e.time):
                continue
            d = deploys.get(e.run)
            bad = e.kind == "read_failed" or (d is not None and e.image < d.meant)
            color = _STALE if bad else _OK
            drawn.add("pull_bad" if bad else "pull_ok")
            ax.plot(x(e.time), y + 0.38, marker="v", color=color, markersize=10, zorder=5)
            what = (
                "manifest unknown" if e.kind == "read_failed" else f"pulled {trace.label(e.image)}"
            )
            _mark_label(
                placer,
                ax,
                what + (" (stale)" if bad and e.kind == "read" else ""),
                (x(e.time), y + 0.38),
                color,
                ABOVE,
                1 if bad else 3,
                bold=bad,
            )
        elif e.kind == "cancelled" and y is not None and shown(e.time):
            drawn.add("cancelled")
            ax.plot(x(e.time), y, marker="X", color=_STALE, markersize=9, zorder=5)
        elif e.kind == "guard" and y is not None and shown(e.time):
            drawn.add("guard_block" if e.detail == "block" else "guard_pass")
            ax.plot(
                x(e.time),
                y,
                marker="D",
                color=_STALE if e.detail == "block" else _OK,
                markersize=6,
                zorder=5,
            )

    # race windows: from each early pull to the moment its meant image became visible; the
    # labels hang from the top edge, one under the other where windows overlap
    windows = [
        (d.pull_time, d.pull_time - d.pull_margin)
        for d in outcome.deploys
        if d.pull_time is not None and d.pull_margin is not None and d.pull_margin < 0
    ]
    hanging: list[Offset] = [(0, -4 - 11 * k, "center", "top") for k in range(6)]
    for opened, closed in windows:
        start, stop = max(opened, view[0]), min(closed, view[1])
        if stop <= start:
            continue
        drawn.add("window")
        ax.axvspan(x(start), x(stop), color=_STALE, alpha=0.12, zorder=0)
        placer.add(
            ax.annotate(
                f"race window {closed - opened:g} s",
                (x(start + (stop - start) / 2), 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(0, -4),
                textcoords="offset points",
                fontsize="medium",
                bbox=_HALO,
                color=_STALE,
                fontweight="bold",
            ),
            hanging,
            priority=0,
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
            bar(
                0,
                c0,
                c1,
                height=0.5,
                color=_BEHIND if commit < newest else _NEWEST,
                linewidth=0,
            )
        bar(0, a, b, height=0.5, fill=False, edgecolor="#888888", linewidth=0.5)
        _lane_label(placer, ax, trace.label(commit), x(max(a, view[0])), x(min(b, view[1])), 0)
    # pushes close together get their labels stacked (or moved left) instead of overprinted
    rising: list[Offset] = [(2, 2 + 10 * k, "left", "bottom") for k in range(4)]
    rising += [(-2, 2 + 10 * k, "right", "bottom") for k in range(4)]
    for e in (e for e in trace.events if e.kind == "push" and shown(e.time)):
        ax.axvline(x(e.time), color="#555555", linestyle=":", linewidth=1)
        placer.add(
            ax.annotate(
                f"push {trace.label(e.commit)}",
                (x(e.time), 0.0),
                xycoords=("data", "axes fraction"),
                xytext=(2, 2),
                textcoords="offset points",
                fontsize="small",
                color="#555555",
            ),
            rising,
            priority=2,
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
                bar(
                    lane,
                    c0,
                    c1,
                    height=0.5,
                    color=_BEHIND if image < newest else _NEWEST,
                    linewidth=0,
                )
            bar(
                lane,
                t0,
                t1,
                height=0.5,
                fill=False,
                edgecolor="#888888",
                linewidth=0.5,
            )
            left, right = max(t0, view[0]), min(t1, view[1])
            if right > left:
                _lane_label(placer, ax, trace.label(image), x(left), x(right), lane)

    if observed:
        top += 1
        for t, what, ok in (o for o in observed if shown(o[0])):
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
                _mark_label(
                    placer,
                    ax,
                    f"{what}: not reproduced",
                    (x(t), top),
                    _STALE,
                    ((4, 6, "left", "bottom"), (-4, 6, "right", "bottom"), *ABOVE),
                    1,
                    bold=True,
                )

    for e in (e for e in highlight if shown(e.time)):
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
    ax.set_ylim(-1.1, top + 1.4)  # room for the push labels below, the top lane's above
    # panels sharing their x axis (plt.subplots(sharex=True)) show the union of their ranges,
    # whatever order they are drawn in: the last panel must not cut the others' events off
    left, right = x(view[0]), x(view[1])
    _SPANS[ax] = (left, right)
    for sibling in ax.get_shared_x_axes().get_siblings(ax):
        if sibling in _SPANS:
            left, right = min(left, _SPANS[sibling][0]), max(right, _SPANS[sibling][1])
    ax.set_xlim(left, right)
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
            fontsize="small",
            frameon=False,
        )
    return ax
