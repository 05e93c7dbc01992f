"""The safety matrix as annotated heatmaps, one per rate (strategies down, situations across)."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from typing import TYPE_CHECKING

import pandas as pd

from racesim.studies.matrix import MATRIX_RATES, matrix_table

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_safety_matrix"]


def plot_safety_matrix(
    matrix: pd.DataFrame,
    axes: Iterable[Axes] | None = None,
    *,
    rates: Iterable[str] = tuple(MATRIX_RATES),
) -> list[Axes]:
    """One annotated heatmap per rate (default: stale, final wrong, regression); returns Axes."""
    rates = list(rates)
    if axes is None:
        import matplotlib.pyplot as plt

        _, grid = plt.subplots(
            1,
            len(rates),
            figsize=(6.5 * len(rates), 5.5),
            layout="constrained",
            sharey=True,
            squeeze=False,
        )
        axes = list(grid[0])
    axes = list(axes)
    for ax, rate in zip(axes, rates, strict=True):
        table = matrix_table(matrix, rate)
        image = ax.imshow(table.to_numpy(float), cmap="Reds", vmin=0, vmax=1, aspect="auto")
        # situations wrapped on words, level: slanted labels of this length overlap
        ax.set_xticks(
            range(table.shape[1]), [textwrap.fill(str(c), 12) for c in table.columns], fontsize=9
        )
        ax.set_yticks(range(table.shape[0]), list(table.index), fontsize=10)
        for i in range(table.shape[0]):
            for j in range(table.shape[1]):
                p = float(table.to_numpy(float)[i, j])
                ax.text(
                    j,
                    i,
                    f"{p:.0%}",
                    ha="center",
                    va="center",
                    fontsize=9,
                    color="white" if p > 0.55 else "black",
                )
        ax.set_title(f"P({rate.replace('_', ' ')})", fontsize=12)
        ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.02, format="{x:.0%}")
    return axes
