"""The picture of a counterexample: its timeline with the offending events ringed in red."""

from __future__ import annotations

from typing import Protocol

from matplotlib.axes import Axes

from racesim.plot.timeline import plot_timeline
from racesim.verify.counterexample import Counterexample

__all__ = ["plot_counterexample"]


class _Answer(Protocol):
    """A search's or a proof's answer: it may carry a counterexample."""

    @property
    def counterexample(self) -> Counterexample | None: ...


def plot_counterexample(cx: Counterexample | _Answer, ax: Axes | None = None) -> Axes:
    """The counterexample's timeline with the offending events ringed in red.

    `cx` is a :class:`~racesim.testing.Counterexample`, or the answer of a search or a proof
    (:class:`~racesim.testing.SearchResult`, :class:`~racesim.proof.ProveResult`) that holds one.
    """
    if not isinstance(cx, Counterexample):
        found = cx.counterexample
        if found is None:
            raise ValueError("the property holds: there is no counterexample to draw")
        cx = found
    return plot_timeline(
        cx.trace,
        ax,
        highlight=cx.check.events,
        title=f"{cx.strategy} breaks {cx.prop}: {cx.check.message}",
    )
