"""Labels that never overlap: each annotation is placed when the figure is drawn.

A timeline labels writes, pulls, pushes, lanes and race windows, and where events crowd (two
pushes in the same second, a write and a pull a few seconds apart) fixed offsets print labels on
top of each other. :class:`LabelPlacer` is an invisible artist drawn first in its axes: by then the
layout engine has sized the axes, so it knows every label's box in pixels. It tries each label's
candidate offsets in priority order, keeps the first that lies inside the axes, overlaps no label
placed before it and covers no marker (nor a bar, where some offset allows), and hides a label
that fits nowhere (the marker and the legend still tell what it would have said). The labels
stay ordinary annotations in ``ax.texts``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from matplotlib.artist import Artist
from matplotlib.patches import Rectangle
from matplotlib.transforms import Bbox

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.text import Annotation

__all__ = ["ABOVE", "LabelPlacer", "Offset"]

#: ``(dx, dy, ha, va)``: an offset in points from the anchor, and the text's alignment
Offset = tuple[float, float, str, str]

#: beside and above a marker, then further up, then to its left, then below it
ABOVE: tuple[Offset, ...] = (
    (6, 3, "left", "bottom"),
    (-6, 3, "right", "bottom"),
    (6, 13, "left", "bottom"),
    (-6, 13, "right", "bottom"),
    (6, -3, "left", "top"),
    (-6, -3, "right", "top"),
    (6, 23, "left", "bottom"),
    (-6, 23, "right", "bottom"),
)

_GAP = 1.0  # pixels kept between two labels


@dataclass
class _Managed:
    priority: int
    order: int
    annotation: Annotation
    offsets: Sequence[Offset]
    span: tuple[float, float] | None  # x-range in data units the label must stay inside
    on_bars: bool  # may sit on a bar without looking elsewhere first (a lane's own label)


def _overlaps(a: Bbox, b: Bbox) -> bool:
    return bool(min(a.x1, b.x1) - max(a.x0, b.x0) > 0 and min(a.y1, b.y1) - max(a.y0, b.y0) > 0)


def _grown(box: Bbox, by: float) -> Bbox:
    return Bbox.from_extents(box.x0 - by, box.y0 - by, box.x1 + by, box.y1 + by)


class LabelPlacer(Artist):
    """Places the annotations given to :meth:`add` each time its axes is drawn."""

    def __init__(self, ax: Axes) -> None:
        super().__init__()
        self.set_zorder(-1e6)  # drawn before anything else in the axes
        self.set_in_layout(False)
        self._labels: list[_Managed] = []
        ax.add_artist(self)

    def add(
        self,
        annotation: Annotation,
        offsets: Sequence[Offset],
        *,
        priority: int = 5,
        span: tuple[float, float] | None = None,
        on_bars: bool = False,
    ) -> None:
        """Manage `annotation`: lower `priority` places first; `span` confines it in x;
        `on_bars` lets it lie on a bar (it labels that bar) without looking for a clear place."""
        annotation.set_in_layout(False)  # never grows the layout: it is kept inside the axes
        self._labels.append(
            _Managed(priority, len(self._labels), annotation, offsets, span, on_bars)
        )

    def _markers(self, renderer: Any) -> list[Bbox]:
        """The pixel box of every visible marker in the axes: labels must not hide them."""
        assert self.axes is not None
        boxes = []
        for line in self.axes.get_lines():
            if not line.get_visible() or line.get_marker() in (None, "None", "none", "", " "):
                continue
            half = renderer.points_to_pixels(float(line.get_markersize())) / 2 * 0.7
            for px, py in line.get_transform().transform(line.get_xydata()):
                boxes.append(Bbox.from_extents(px - half, py - half, px + half, py + half))
        return boxes

    def _bars(self, renderer: Any, frame: Bbox) -> list[Bbox]:
        """The pixel box of every bar (a rectangle lower than half the axes: not a band)."""
        assert self.axes is not None
        boxes = []
        for patch in self.axes.patches:
            if isinstance(patch, Rectangle) and patch.get_visible():
                box = patch.get_window_extent(renderer)
                if 0 < box.height < frame.height / 2 and box.width > 0:
                    boxes.append(box)
        return boxes

    def draw(self, renderer: Any) -> None:
        ax = self.axes
        if ax is None or not self.get_visible():
            return
        frame = ax.get_window_extent(renderer)
        placed = self._markers(renderer)
        bars = self._bars(renderer, frame)
        for label in sorted(self._labels, key=lambda m: (m.priority, m.order)):
            ann = label.annotation
            ann.set_visible(True)
            lo, hi = frame.x0, frame.x1
            if label.span is not None:
                a, b = (ax.transData.transform((v, 0.0))[0] for v in label.span)
                lo, hi = max(lo, min(a, b)), min(hi, max(a, b))
            # first a place beside the anchor clear of bars too, then any place clear of labels
            # and markers (a label far from its mark misleads more than one over a bar)
            spot = None
            tries = [(placed, label.offsets)]
            if not label.on_bars:
                tries.insert(0, (placed + bars, label.offsets[:2]))
            for avoid, offsets in tries:
                for offset in offsets:
                    box = _move(ann, offset, renderer)
                    inside = (
                        box.x0 >= lo and box.x1 <= hi and frame.y0 <= box.y0 <= box.y1 <= frame.y1
                    )
                    if inside and not any(_overlaps(_grown(box, _GAP), p) for p in avoid):
                        spot = (offset, box)
                        break
                if spot is not None:
                    break
            if spot is None:
                ann.set_visible(False)
                continue
            _move(ann, spot[0], renderer)
            placed.append(spot[1])
        self.stale = False


def _move(ann: Annotation, offset: Offset, renderer: Any) -> Bbox:
    """Put `ann` at `offset` from its anchor and return its box there."""
    dx, dy, ha, va = offset
    ann.xyann = (dx, dy)
    ann.set_horizontalalignment(ha)  # type: ignore[arg-type]
    ann.set_verticalalignment(va)  # type: ignore[arg-type]
    return ann.get_window_extent(renderer)
