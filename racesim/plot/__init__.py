"""Pictures: timelines of one history, probabilities over many (``ax=`` in, Axes out)."""

from racesim.plot.timeline import STEP_COLORS, plot_timeline

__all__ = ["STEP_COLORS", "plot_timeline"]
