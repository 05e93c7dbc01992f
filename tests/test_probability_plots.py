"""The four Monte Carlo pictures: Axes in and out, the data they are meant to show."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection

from racesim.plot import (
    plot_cost_vs_safety,
    plot_push_to_live_ecdf,
    plot_sleep_sweep,
    plot_stale_probability,
)
from racesim.scenarios import load_scenario
from racesim.studies.summary import summarize
from racesim.studies.sweep import sweep
from racesim.studies.trials import run_trials


@pytest.fixture(scope="module")
def results() -> pd.DataFrame:
    return run_trials(load_scenario("f8af4c1"), trials=200, seed=4, progress=False)


def test_stale_probability_bars_with_intervals(results: pd.DataFrame) -> None:
    summary = summarize(results)
    fig, ax = plt.subplots()
    assert plot_stale_probability(summary, ax) is ax
    heights = [p.get_height() for p in ax.patches]
    assert heights == pytest.approx(summary["p_stale"].tolist())
    assert [t.get_text() for t in ax.get_xticklabels()] == summary["strategy"].tolist()
    assert len(ax.containers) == 2  # the bars and the error bars
    plt.close(fig)


def test_sleep_sweep_with_band_and_reference_levels(results: pd.DataFrame) -> None:
    s = load_scenario("f8af4c1")
    sw = summarize(
        sweep(s, "sleep", [0, 60, 120], trials=100, seed=4, progress=False),
        ["knob", "value", "strategy"],
    )
    ax = plot_sleep_sweep(sw, references=summarize(results))
    line = ax.lines[0]
    assert list(line.get_xdata()) == [0, 60, 120]
    assert list(line.get_ydata()) == pytest.approx(sw["p_stale"].tolist())
    assert any(isinstance(c, PolyCollection) for c in ax.collections)  # the band
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(label.startswith("workflow_run") for label in labels)
    assert any(label.startswith("merged_job") for label in labels)
    plt.close(ax.figure)


def test_push_to_live_ecdf_stops_short_of_one_for_never_live(results: pd.DataFrame) -> None:
    ax = plot_push_to_live_ecdf(results)
    tops = {
        line.get_label().split(" ")[0]: float(np.max(line.get_ydata()))
        for line in ax.lines
        if len(line.get_ydata())
    }
    never = results.groupby("strategy")["push_to_live_s"].apply(lambda s: s.isna().mean())
    for name, top in tops.items():
        assert top == pytest.approx(1 - never[name])
    plt.close(ax.figure)


def test_cost_vs_safety_one_point_per_strategy(results: pd.DataFrame) -> None:
    summary = summarize(results)
    ax = plot_cost_vs_safety(summary)
    labels = ", ".join(t.get_text() for t in ax.texts if "never live" not in t.get_text())
    assert sorted(labels.split(", ")) == sorted(summary["strategy"])  # each named once
    assert len(ax.lines) >= len(summary)
    never = [not math.isfinite(m) for m in summary["push_to_live_median_s"]]
    assert any("never live" in t.get_text() for t in ax.texts) == any(never)
    plt.close(ax.figure)


def test_cost_vs_safety_never_live_is_a_band_and_labels_stay_inside(
    results: pd.DataFrame,
) -> None:
    """'never live' is a shaded band right of the seconds axis, and no label leaves the frame."""
    summary = summarize(results)
    assert not math.isfinite(summary.set_index("strategy").loc["parallel", "push_to_live_median_s"])
    fig, ax = plt.subplots(figsize=(9, 5), layout="constrained")
    plot_cost_vs_safety(summary, ax)
    fig.canvas.draw()
    band = [
        p
        for p in ax.patches
        if p.get_facecolor()[:3] == pytest.approx((0.933, 0.933, 0.933), abs=0.01)
    ]
    assert len(band) == 1
    finite = summary["push_to_live_median_s"][np.isfinite(summary["push_to_live_median_s"])]
    band_left = band[0].get_x()
    assert band_left > finite.max()
    assert all(t <= band_left for t in ax.get_xticks())  # the seconds axis stops at the band
    frame = ax.get_window_extent()
    for text in ax.texts:
        box = text.get_window_extent()
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1, text.get_text()
        assert frame.y0 <= box.y0 and box.y1 <= frame.y1, text.get_text()
    plt.close(fig)


def test_cost_vs_safety_labels_never_cover_another_strategys_dot(results: pd.DataFrame) -> None:
    """Two close dots (merged_job and workflow_run on f8af4c1): each label is drawn in its dot's
    colour and its box covers no other dot, so a reader cannot pin it on the wrong one."""
    from matplotlib.colors import to_hex

    summary = summarize(results)
    fig, ax = plt.subplots(figsize=(9, 5), layout="constrained")
    plot_cost_vs_safety(summary, ax)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    dots = {}
    for line in ax.lines:
        if line.get_marker() == "o" and len(line.get_xdata()) == 1:
            xy = ax.transData.transform((line.get_xdata()[0], line.get_ydata()[0]))
            dots[to_hex(line.get_color())] = xy
    labels = [t for t in ax.texts if "never live" not in t.get_text()]
    assert labels
    for text in labels:
        color = to_hex(text.get_color())
        assert color in dots, text.get_text()
        box = text.get_window_extent(renderer).expanded(1.0, 1.0)
        for other, (x, y) in dots.items():
            if other != color:
                assert not box.contains(x, y), (text.get_text(), other)
    plt.close(fig)
