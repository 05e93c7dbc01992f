"""Is a figure readable? Clipped text, overlapping labels and events drawn off their axes.

Every figure racesim draws is checked with :func:`figure_problems` in the test suite (the demo's,
the docs', the notebooks' and generated histories'), and the same check is open to anyone adding a
figure of their own. It lays the figure out with matplotlib's own renderer (Agg), records the box of
every piece of text actually drawn (titles, axis and tick labels, annotations, legend entries) and
of every legend, and reports:

- a text or legend box that sticks out of the figure (it would be cut off in the saved file);
- two texts whose boxes overlap, or a text under a legend it is not part of;
- a marker or bar drawn outside its axes (an event the reader cannot see);
- with ``spans``: an axes whose x-range misses some of the x values it is meant to show.

No pixel comparison is involved, so the check holds for any size, DPI or font.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.legend import Legend
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from matplotlib.transforms import Bbox, BboxBase

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["FigureLayoutError", "check_figure", "figure_problems"]

#: pixels two boxes may share, or a box may stick out, before it counts (anti-aliasing slack)
TOLERANCE = 1.0


class FigureLayoutError(AssertionError):
    """A figure has clipped or overlapping text, or events drawn off their axes."""


@contextmanager
def _recording_text(drawn: list[tuple[Text, Bbox]]) -> Iterator[None]:
    """Record every non-empty visible text as it is drawn, with its box on the canvas."""
    original = Text.draw

    def draw(self: Text, renderer: Any) -> None:
        original(self, renderer)
        if self.get_visible() and self.get_text().strip():
            drawn.append((self, self.get_window_extent(renderer)))

    Text.draw = draw  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        Text.draw = original  # type: ignore[method-assign]


def _name(text: Text) -> str:
    words = " ".join(text.get_text().split())
    return repr(words if len(words) <= 40 else words[:37] + "...")


def _overlap(a: BboxBase, b: BboxBase, tol: float) -> bool:
    return min(a.x1, b.x1) - max(a.x0, b.x0) > tol and min(a.y1, b.y1) - max(a.y0, b.y0) > tol


def _inside(box: BboxBase, frame: BboxBase, tol: float) -> bool:
    return (
        box.x0 >= frame.x0 - tol
        and box.y0 >= frame.y0 - tol
        and box.x1 <= frame.x1 + tol
        and box.y1 <= frame.y1 + tol
    )


def _axes_name(fig: Figure, ax: Axes) -> str:
    title = ax.get_title() or ax.get_title(loc="left")
    index = fig.axes.index(ax)
    return f"axes {index}" + (f" ({title[:40]!r})" if title else "")


def _off_axes_events(fig: Figure, ax: Axes, renderer: Any, tol: float) -> list[str]:
    """Markers and bars of `ax` drawn (even partly) outside its frame."""
    frame = ax.get_window_extent(renderer)
    where = _axes_name(fig, ax)
    problems = []
    for line in ax.get_lines():
        if not line.get_visible() or line.get_marker() in (None, "None", "none", "", " "):
            continue
        xy = np.asarray(line.get_xydata(), dtype=float)
        if not len(xy):
            continue
        points = line.get_transform().transform(xy)
        half = tol  # the marker's centre (the event's instant) must be inside
        off = [
            i
            for i, (px, py) in enumerate(points)
            if np.isfinite(px)
            and np.isfinite(py)
            and not (
                frame.x0 - half <= px <= frame.x1 + half
                and frame.y0 - half <= py <= frame.y1 + half
            )
        ]
        if off:
            x, y = xy[off[0]]
            problems.append(
                f"{where}: marker {line.get_marker()!r} at data ({x:g}, {y:g}) is outside the axes"
            )
    for patch in ax.patches:
        if not isinstance(patch, Rectangle) or not patch.get_visible():
            continue
        if patch.get_width() == 0 or patch.get_height() == 0:
            continue
        box = patch.get_window_extent(renderer)
        if not _inside(box, frame, tol + 1.0):
            problems.append(
                f"{where}: a bar from x={patch.get_x():g} to {patch.get_x() + patch.get_width():g}"
                " runs outside the axes"
            )
    return problems


def figure_problems(
    fig: Figure,
    *,
    spans: Mapping[Axes, Sequence[float]] | None = None,
    tolerance: float = TOLERANCE,
) -> list[str]:
    """Every readability problem of `fig`, one sentence each (empty: the figure is clean).

    Args:
        fig: the figure, fully drawn by the caller (its layout engine runs here).
        spans: for some axes, the x values (data units) each must show, such as every event
            time of the history it draws; an axes whose x-range misses one is reported.
        tolerance: pixels of overlap or overhang ignored.
    """
    previous = fig.canvas  # the figure keeps its own canvas (a notebook's, a GUI's)
    canvas = FigureCanvasAgg(fig)
    drawn: list[tuple[Text, Bbox]] = []
    try:
        with _recording_text(drawn):
            canvas.draw()  # type: ignore[no-untyped-call]
        renderer = canvas.get_renderer()  # type: ignore[no-untyped-call]
        return _problems(fig, renderer, drawn, spans, tolerance)
    finally:
        fig.set_canvas(previous)


def _problems(
    fig: Figure,
    renderer: Any,
    drawn: list[tuple[Text, Bbox]],
    spans: Mapping[Axes, Sequence[float]] | None,
    tolerance: float,
) -> list[str]:
    frame = fig.bbox
    problems: list[str] = []

    legends = [leg for leg in fig.findobj(Legend) if leg.get_visible()]
    legend_of: dict[int, Legend] = {}
    for leg in legends:
        for t in [*leg.get_texts(), leg.get_title()]:
            legend_of[id(t)] = leg
    # a text drawn twice (a GIF frame redrawn) is one text
    seen: dict[int, tuple[Text, Bbox]] = {}
    for text, box in drawn:
        seen[id(text)] = (text, box)
    texts = list(seen.values())

    for text, box in texts:
        if not _inside(box, frame, tolerance):
            problems.append(f"text {_name(text)} is cut off at the figure's edge")
    for leg in legends:
        box = leg.get_window_extent(renderer)
        if not _inside(box, frame, tolerance):
            labels = ", ".join(_name(t) for t in leg.get_texts()[:2])
            problems.append(f"the legend ({labels}, ...) is cut off at the figure's edge")

    free = [(t, b) for t, b in texts if id(t) not in legend_of]
    for i, (a, box_a) in enumerate(free):
        for b, box_b in free[i + 1 :]:
            if _overlap(box_a, box_b, tolerance):
                problems.append(f"texts {_name(a)} and {_name(b)} overlap")
    for leg in legends:
        box = leg.get_window_extent(renderer)
        for t, text_box in free:
            if _overlap(box, text_box, tolerance):
                problems.append(f"text {_name(t)} lies under the legend")
        for other in legends:
            if id(other) > id(leg) and _overlap(box, other.get_window_extent(renderer), tolerance):
                problems.append("two legends overlap")

    for ax in fig.axes:
        if ax.get_visible():
            problems += _off_axes_events(fig, ax, renderer, tolerance)
    for ax, xs in (spans or {}).items():
        values = [float(v) for v in xs if np.isfinite(v)]
        if not values:
            continue
        lo, hi = sorted(ax.get_xlim())
        if min(values) < lo or max(values) > hi:
            problems.append(
                f"{_axes_name(fig, ax)}: x-range {lo:g}..{hi:g} misses events at "
                f"{min(values):g}..{max(values):g}"
            )
    return problems


def check_figure(
    fig: Figure,
    *,
    spans: Mapping[Axes, Sequence[float]] | None = None,
    tolerance: float = TOLERANCE,
) -> None:
    """Raise :class:`FigureLayoutError` listing every problem :func:`figure_problems` finds."""
    problems = figure_problems(fig, spans=spans, tolerance=tolerance)
    if problems:
        title = fig.get_suptitle() or next((a.get_title() for a in fig.axes if a.get_title()), "")
        head = f"figure {title[:60]!r}" if title else "the figure"
        raise FigureLayoutError(f"{head} is not readable:\n- " + "\n- ".join(problems))
