"""An animated GIF of one race, for slides: the timeline revealed second by second.

A still timeline shows everything at once, which is exactly what nobody on the team saw while the
incident happened. The animation replays it: a "now" line sweeps from the first push to the last
event, everything to its right is still hidden, and a caption says what the service runs and what
``:latest`` points at at that moment. The last frame is the full timeline of
:func:`racesim.plot.plot_timeline` with the end verdict, held for a moment before the GIF loops.

The frames are written with :class:`matplotlib.animation.PillowWriter`; pillow is optional (the
``notebooks`` extra) and imported only here.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib.dates as mdates
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from racesim._util.optional import require
from racesim._util.paths import check_output_file
from racesim.core.trace import Trace
from racesim.errors import InputError
from racesim.plot.timeline import check_window, default_window, plot_timeline, shown_runs

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["DEFAULT_FRAMES", "MAX_FRAMES", "animate_timeline"]

#: reveal frames when `seconds_per_frame` is not given (the race takes about 5 s at 10 fps)
DEFAULT_FRAMES = 48
#: the most frames a GIF may have (every frame is kept in memory until the file is written)
MAX_FRAMES = 240
#: GIF frame delays are whole hundredths of a second and viewers slow down anything under 20 ms
_MAX_FPS = 50


def _number(name: str, value: object, *, low: float, inclusive: bool) -> float:
    """`value` as a finite float above `low` (or at least `low`), else an error naming `name`."""
    ok = (
        not isinstance(value, bool)
        and isinstance(value, int | float)
        and math.isfinite(value)
        and (value >= low if inclusive else value > low)
    )
    if not ok:
        raise InputError(
            name, f"expected a number {'>=' if inclusive else '>'} {low:g}, got {value!r}"
        )
    return float(value)  # type: ignore[arg-type]


def _state_at(trace: Trace, t: float) -> tuple[int, int]:
    """``(live commit, commit of the build registry's latest)`` at time `t`."""
    live = 0
    for when, commit in trace.outcome.live:
        if when <= t:
            live = commit
    latest = 0
    for e in trace.events:
        if e.time > t:
            break
        if e.kind == "write" and e.registry == trace.build_registry and e.ref == "latest":
            latest = e.image  # at one instant, the last write listed is the one that holds
    return live, latest


def _caption(trace: Trace, t: float | None, epoch: datetime | None) -> str:
    """What a viewer needs at time `t` (``None``: the end verdict)."""
    label = trace.label
    out = trace.outcome
    if t is None:
        stale = out.stale_deploys
        verdict = (
            "production ends on the newest commit"
            if out.final_correct
            else "production ends BEHIND the newest commit"
        )
        return (
            f"end: service runs {label(out.final_live)}, newest built {label(out.newest_built)}"
            f" · {verdict} · {stale} stale deploy{'s' if stale != 1 else ''}"
        )
    live, latest = _state_at(trace, t)
    clock = f"{t:.0f} s" if epoch is None else f"{epoch + timedelta(seconds=t):%H:%M:%S}"
    return (
        f"now {clock} · service runs {label(live)} · "
        f"{trace.build_registry} :latest → {label(latest)}"
    )


def animate_timeline(
    trace: Trace,
    path: str | Path,
    *,
    epoch: datetime | None = None,
    seconds_per_frame: float | None = None,
    fps: int = 10,
    title: str | None = None,
    hold: float = 2.5,
    dpi: int = 80,
    window: tuple[float, float] | None = None,
) -> Path:
    """Write `trace` as an animated GIF at `path` and return the path.

    The GIF sweeps a "now" line over the timeline of :func:`racesim.plot.plot_timeline`, hiding
    what has not happened yet, with a caption giving the service's commit and the build
    registry's ``:latest`` at that moment; it ends on the full picture and the verdict.

    Args:
        trace: the race to animate (``racesim.simulate(...)``, ``replay.trace``, a
            counterfactual's ``trace``).
        path: where to write; must end in ``.gif``. Missing folders are created.
        epoch: wall-clock time of the trace's time 0 (``incident.epoch``); the axis and caption
            then show UTC clock times.
        seconds_per_frame: simulated seconds each frame advances; by default the race is cut
            into :data:`DEFAULT_FRAMES` frames. At most :data:`MAX_FRAMES` frames are allowed.
        fps: frames per second of the GIF, a whole number from 1 to 50.
        title: a title above the timeline (default: the strategy's description).
        hold: seconds the final picture stays before the GIF loops (>= 0).
        dpi: resolution; the default suits a slide and keeps the file small.
        window: ``(start, end)`` seconds of the race to show, with the runs active then; by
            default all of it, or :func:`racesim.plot.timeline.default_window` when the
            history has too many runs for one screen.

    Raises:
        InputError: an argument is out of range; the error names it.
        racesim._util.optional.MissingDependencyError: pillow is not installed.
    """
    if not isinstance(trace, Trace):
        raise InputError("trace", f"expected a racesim Trace, got {type(trace).__name__}")
    if not isinstance(path, str | Path):
        raise InputError("path", f"expected a file path ending in .gif, got {path!r}")
    path = check_output_file(path, "path", (".gif",))
    if isinstance(fps, bool) or not isinstance(fps, int) or not 1 <= fps <= _MAX_FPS:
        raise InputError(
            "fps",
            f"expected a whole number of frames per second from 1 to {_MAX_FPS} "
            f"(GIF viewers slow down faster frames), got {fps!r}",
        )
    hold = _number("hold", hold, low=0.0, inclusive=True)
    if isinstance(dpi, bool) or not isinstance(dpi, int) or not 20 <= dpi <= 400:
        raise InputError("dpi", f"expected a whole number between 20 and 400, got {dpi!r}")
    if epoch is not None and not isinstance(epoch, datetime):
        raise InputError("epoch", f"expected a datetime or None, got {epoch!r}")
    if not trace.rows:
        raise InputError("trace", "the trace has no events to animate")

    window = check_window(window) if window is not None else default_window(trace)
    start = min(float(row[0]) for row in trace.rows)
    end = trace.outcome.end_time
    if window is not None:
        start, end = max(start, window[0]), min(end, window[1])
    span = max(end - start, 0.0)
    if seconds_per_frame is None:
        step = span / DEFAULT_FRAMES if span > 0 else 1.0
    else:
        step = _number("seconds_per_frame", seconds_per_frame, low=0.0, inclusive=False)
    reveal = math.ceil(span / step - 1e-9) if span > 0 else 0
    hold_frames = round(hold * fps)
    total = reveal + 1 + hold_frames
    if total > MAX_FRAMES:
        raise InputError(
            "seconds_per_frame" if reveal + 1 > MAX_FRAMES else "hold",
            f"the GIF would have {total} frames (at most {MAX_FRAMES}): the race lasts "
            f"{span:g} s at {step:g} s per frame plus {hold_frames} frames of hold; "
            "use more seconds per frame, fewer fps or a shorter hold",
        )

    require("PIL", package="pillow", extra="notebooks", feature="animate_timeline")
    from matplotlib.animation import PillowWriter

    lanes, _ = shown_runs(trace, window)
    fig = Figure(figsize=(12, 2.2 + 0.6 * (lanes + 1)), layout="constrained")
    ax: Axes = fig.add_subplot()
    plot_timeline(trace, ax, epoch=epoch, window=window)
    fig.suptitle(trace.strategy.describe() if title is None else title, fontsize=13)
    ax.set_xlim(ax.get_xlim())  # freeze the axis: the overlays below must not move it
    left, right = ax.get_xlim()
    origin = 0.0 if epoch is None else float(mdates.date2num(epoch))  # type: ignore[no-untyped-call]
    scale = 1.0 if epoch is None else 1.0 / 86400.0

    def x(t: float) -> float:
        return origin + t * scale

    curtain = Rectangle(
        (left, 0.0),
        0.0,
        1.0,
        transform=ax.get_xaxis_transform(),
        facecolor="white",
        edgecolor="none",
        zorder=20,
    )
    ax.add_patch(curtain)
    now_line = ax.axvline(left, color="#222222", linewidth=2, zorder=21)
    caption = ax.set_title(_caption(trace, None, epoch), loc="left", fontsize=10)
    # lay the figure out once, for the end caption, and keep it: frames must not jitter
    fig.draw_without_rendering()
    fig.set_layout_engine(None)  # no engine: savefig then draws each frame once, not twice

    def show(t: float | None) -> None:
        if t is None:
            curtain.set_visible(False)
            now_line.set_visible(False)
        else:
            now = min(max(x(t), left), right)
            curtain.set_x(now)
            curtain.set_width(right - now)
            now_line.set_xdata([now, now])
        caption.set_text(_caption(trace, t, epoch))

    path.parent.mkdir(parents=True, exist_ok=True)
    writer = PillowWriter(fps=fps)
    with writer.saving(fig, str(path), dpi):
        for i in range(reveal):
            show(start + i * step)
            writer.grab_frame()
        for _ in range(1 + hold_frames):  # identical frames: pillow merges them into one
            show(None)
            writer.grab_frame()
    return path
