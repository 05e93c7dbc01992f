"""Pictures of many trials: stale-deploy probability, the sleep sweep, lead times, cost vs safety.

Each function takes a summary or results DataFrame and an optional Axes, draws, and returns the
Axes. Intervals are the summary's Wilson intervals; text is sized to be read on a slide.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter, PercentFormatter

from racesim.errors import InputError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "plot_cost_vs_safety",
    "plot_push_to_live_ecdf",
    "plot_sleep_sweep",
    "plot_stale_probability",
    "plot_sweep",
    "strategy_color",
]

_PALETTE = [
    "#C44E52",
    "#4C72B0",
    "#55A868",
    "#8172B3",
    "#DD8452",
    "#937860",
    "#DA8BC3",
    "#8C8C8C",
    "#CCB974",
    "#64B5CD",
]
_FIXED = {
    "parallel": "#C44E52",
    "workflow_run": "#4C72B0",
    "merged_job": "#55A868",
    "sleep:60": "#DD8452",
    "workflow_run_ungated": "#8172B3",
    "pinned": "#64B5CD",
    "pinned_serialized": "#937860",
    "cancel_superseded": "#2E7D4F",
    "guarded": "#CCB974",
    "direct_registry": "#8C8C8C",
    "queued_guarded": "#222222",
}


def strategy_color(name: str, index: int = 0) -> str:
    """A stable colour per strategy name, so every figure agrees."""
    return _FIXED.get(name, _PALETTE[index % len(_PALETTE)])


def _axes(ax: Axes | None, size: tuple[float, float] = (8, 4.5)) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=size, layout="constrained")
    return new


def _percent(ax: Axes) -> None:
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))


def plot_stale_probability(
    summary: pd.DataFrame, ax: Axes | None = None, *, rate: str = "stale"
) -> Axes:
    """Bars of ``p_<rate>`` per strategy with Wilson interval bars (default: stale deploys)."""
    ax = _axes(ax)
    p = summary[f"p_{rate}"].to_numpy(float)
    low, high = summary[f"p_{rate}_low"].to_numpy(float), summary[f"p_{rate}_high"].to_numpy(float)
    names = [str(s) for s in summary["strategy"]]
    xs = np.arange(len(names))
    colors = [strategy_color(n, i) for i, n in enumerate(names)]
    ax.bar(xs, p, color=colors, alpha=0.85)
    ax.errorbar(
        xs, p, yerr=[p - low, high - p], fmt="none", ecolor="black", capsize=6, linewidth=1.5
    )
    for x, value, top in zip(xs, p, high, strict=True):
        ax.annotate(
            f"{value:.1%}",
            (x, top),
            xytext=(0, 4),
            textcoords="offset points",
            ha="center",
            fontsize=11,
            fontweight="bold",
        )
    # many strategies: slanted names, so neighbours do not run into each other
    slant = {"rotation": 20, "ha": "right", "rotation_mode": "anchor"} if len(names) > 5 else {}
    ax.set_xticks(xs, names, fontsize=11, **slant)  # type: ignore[arg-type]
    ax.set_ylim(0, min(1.0, max(float(high.max()), 0.05)) * 1.18)
    _percent(ax)
    trials = int(summary["trials"].iloc[0]) if len(summary) else 0
    what = {"stale": "stale-deploy probability"}.get(rate, f"P({rate.replace('_', ' ')})")
    ax.set_ylabel(what, fontsize=12)
    ax.set_title(
        f"{what[0].upper()}{what[1:]} by strategy ({trials:,} trials each, 95% Wilson intervals)",
        fontsize=12,
    )
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    return ax


def plot_sweep(
    sweep_summary: pd.DataFrame,
    ax: Axes | None = None,
    *,
    xlabel: str | None = None,
    references: pd.DataFrame | None = None,
    reference_names: Sequence[str] = ("workflow_run", "merged_job"),
    rate: str = "stale",
) -> Axes:
    """``p_<rate>`` against the swept value, one line and band per strategy.

    Args:
        sweep_summary: ``summarize(sweep(...), ["value", "strategy"])``.
        ax: Axes to draw on.
        xlabel: label of the x axis (default: the swept knob's name).
        references: a comparison summary; its `reference_names` rows are drawn as horizontal
            levels with their intervals.
        reference_names: which strategies of `references` to draw.
        rate: which rate to draw (default ``stale``).
    """
    ax = _axes(ax)
    knob = (
        str(sweep_summary["knob"].iloc[0])
        if "knob" in sweep_summary and len(sweep_summary)
        else "value"
    )
    for i, (name, group) in enumerate(sweep_summary.groupby("strategy", sort=False)):
        color = strategy_color(
            "sleep:60" if name == "parallel" and knob == "sleep" else str(name), i
        )
        x = group["value"].to_numpy(float)
        ax.fill_between(
            x, group[f"p_{rate}_low"], group[f"p_{rate}_high"], color=color, alpha=0.2, linewidth=0
        )
        label = f"{name} + sleep N s" if knob == "sleep" else str(name)
        ax.plot(x, group[f"p_{rate}"], marker="o", color=color, linewidth=2, label=label)
    if references is not None:
        for i, name in enumerate(reference_names):
            row = references[references["strategy"] == name]
            if row.empty:
                continue
            r = row.iloc[0]
            color = strategy_color(name, i + 1)
            ax.axhspan(
                r[f"p_{rate}_low"], r[f"p_{rate}_high"], color=color, alpha=0.15, linewidth=0
            )
            # each level its own dash and width, wider first: equal levels stay both visible
            ax.axhline(
                r[f"p_{rate}"],
                color=color,
                linestyle=("--", ":", "-.")[i % 3],
                linewidth=(4.0, 2.0, 1.5)[i % 3],
                label=f"{name}: {r[f'p_{rate}']:.1%}",
                zorder=2 + i,
            )
    ax.set_xlabel(xlabel or knob, fontsize=12)
    ax.set_ylabel(
        "stale-deploy probability" if rate == "stale" else f"P({rate.replace('_', ' ')})",
        fontsize=12,
    )
    ax.set_ylim(-0.02, 1.02)
    _percent(ax)
    trials = int(sweep_summary["trials"].iloc[0]) if len(sweep_summary) else 0
    ax.set_title(
        f"{ax.get_ylabel()} against {xlabel or knob} ({trials:,} trials per point, 95% bands)",
        fontsize=12,
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize=10)
    return ax


def plot_sleep_sweep(
    sweep_summary: pd.DataFrame,
    ax: Axes | None = None,
    *,
    references: pd.DataFrame | None = None,
    reference_names: Sequence[str] = ("workflow_run", "merged_job"),
    exact: pd.DataFrame | None = None,
    log: bool = False,
    risk: float | None = None,
) -> Axes:
    """Stale probability against sleep seconds, with ``workflow_run`` and ``merged_job`` across.

    `sweep_summary` is ``summarize(sweep(scenario, "sleep", ...), ["value", "strategy"])``;
    `references` a comparison summary holding the reference strategies; `exact`, if given, is
    ``exact_sweep(scenario, "sleep", ...)``, drawn as a thin black curve over the estimates
    (evaluated at its own, possibly finer, values).

    `log` puts the probability on a log axis, where the tail that decides a long sleep shows
    (a zero estimate has no place there: its 95% upper limit is still drawn as the band). `risk`
    marks the shortest sleep that reaches it: from the exact curve when given, else the shortest
    swept sleep whose 95% upper limit is at or below `risk`.
    """
    ax = plot_sweep(
        sweep_summary,
        ax,
        xlabel="sleep before the pull (s)",
        references=references,
        reference_names=reference_names,
    )
    if exact is not None and len(exact):
        bound = float(exact["exact_error_bound"].max())
        ax.plot(
            exact["value"].to_numpy(float),
            exact["p_stale_exact"].to_numpy(float),
            color="black",
            linewidth=1.2,
            label=f"exact (convolution, error < {bound:.0e})",
        )
    if risk is not None:
        _mark_risk(ax, sweep_summary, exact, risk)
    if log:
        _log_probability(ax, sweep_summary, exact)
    ax.legend(fontsize=10, loc="upper right")
    ax.set_title("How long is long enough? Stale deploys against sleep seconds", fontsize=12)
    return ax


def _mark_risk(ax: Axes, summary: pd.DataFrame, exact: pd.DataFrame | None, risk: float) -> None:
    """A vertical line at the shortest sleep whose stale probability is at most `risk`."""
    if not 0 < risk < 1:
        raise InputError("risk", f"expected a probability between 0 and 1, got {risk!r}")
    if exact is not None and len(exact):
        curve = exact.sort_values("value")
        ok = curve[curve["p_stale_exact"] + curve["exact_error_bound"] <= risk]
        how = "exact"
    else:
        curve = summary.sort_values("value")
        ok = curve[curve["p_stale_high"] <= risk]
        how = "95% upper limit"
    ax.axhline(risk, color="#555555", linestyle=(0, (1, 3)), linewidth=1)
    if ok.empty:
        label = f"no swept sleep reaches {risk:.2%} ({how})"
        ax.plot([], [], color="#555555", linestyle=(0, (1, 3)), label=label)
        return
    first = float(ok["value"].iloc[0])
    ax.axvline(first, color="#222222", linestyle=(0, (6, 2, 1, 2)), linewidth=1.4, zorder=6,
               label=f"sleep {first:g} s reaches {risk:.2%} ({how})")  # fmt: skip


def _log_percent(value: float, _: object) -> str:
    """0.1% rather than 0% on a log axis: as many decimals as the tick needs."""
    if value <= 0:
        return ""
    decimals = max(0, -math.floor(math.log10(value * 100) + 1e-9))
    return f"{value:.{decimals}%}"


def _log_probability(ax: Axes, summary: pd.DataFrame, exact: pd.DataFrame | None) -> None:
    """A log probability axis from a little under the smallest positive value shown to 1."""
    values = [summary["p_stale"], summary["p_stale_high"], summary["p_stale_low"]]
    if exact is not None and len(exact):
        values.append(exact["p_stale_exact"])
    positive = [float(v) for col in values for v in col if float(v) > 0]
    floor = min(positive) / 2 if positive else 1e-4
    ax.set_yscale("log")
    ax.set_ylim(floor, 1.5)
    for band in ax.patches:  # a reference level's band from 0 starts at the floor instead
        if isinstance(band, Rectangle) and band.get_y() < floor:
            top = band.get_y() + band.get_height()
            band.set_y(floor)
            band.set_height(max(top - floor, 0.0))
    ax.yaxis.set_major_formatter(FuncFormatter(_log_percent))
    for line in ax.get_lines():  # a level at exactly 0 has no place on a log axis: the floor
        ys = np.asarray(line.get_ydata(), dtype=float)
        if len(ys) == 2 and not ys.any() and str(line.get_label())[:1] != "_":
            line.set_ydata([floor, floor])
            line.set_label(f"{line.get_label()} (drawn at the axis floor)")
    ax.set_ylabel("stale-deploy probability (log scale)", fontsize=12)


def plot_push_to_live_ecdf(results: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Share of trials whose newest push was live within t seconds, per strategy.

    Trials where it never went live keep the curve below 100 %; the legend gives that share.
    """
    ax = _axes(ax)
    finite_max = 0.0
    everything = results["push_to_live_s"].to_numpy(float)
    everything = everything[np.isfinite(everything)]
    # a heavy pickup tail can put a few trials far out: show up to the 99.5th percentile
    right = float(np.quantile(everything, 0.995)) * 1.1 if len(everything) else 0.0
    for i, (name, group) in enumerate(results.groupby("strategy", sort=False)):
        lead = np.sort(group["push_to_live_s"].to_numpy(float))
        n = len(lead)
        ok = lead[np.isfinite(lead)]
        never = 1 - len(ok) / n if n else math.nan
        if len(ok):
            finite_max = max(finite_max, float(ok.max()))
            ys = np.arange(1, len(ok) + 1) / n
            ax.step(
                np.r_[0.0, ok],
                np.r_[0.0, ys],
                where="post",
                linewidth=2,
                color=strategy_color(str(name), i),
                label=f"{name} (never live: {never:.1%})",
            )
        else:
            ax.plot([], [], color=strategy_color(str(name), i), label=f"{name} (never live: 100%)")
    ax.set_xlim(0, min(right, finite_max * 1.05) if finite_max else 1)
    ax.set_ylim(0, 1.02)
    _percent(ax)
    ax.set_xlabel("seconds from push to new code live", fontsize=12)
    ax.set_ylabel("share of trials", fontsize=12)
    ax.set_title("Push to live: how soon the newest commit serves traffic", fontsize=12)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=10, loc="upper left")
    return ax


def plot_cost_vs_safety(summary: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """One point per strategy: median push-to-live (cost) against stale probability (risk).

    A strategy whose median is infinite (most pushes never go live) has no cost to plot: it is
    drawn in a "never live" band of its own at the right, separate from the seconds axis. Labels
    are placed on the side of their point that keeps them inside the frame, and points close to
    each other get their labels stacked.
    """
    ax = _axes(ax)
    rows = summary.to_dict(orient="records")
    medians = summary["push_to_live_median_s"].to_numpy(float)
    finite = medians[np.isfinite(medians)]
    low_x = float(finite.min()) if len(finite) else 0.0
    high_x = float(finite.max()) if len(finite) else 100.0
    span = max(high_x - low_x, 20.0)
    left, right = low_x - 0.12 * span, high_x + 0.12 * span
    never = [i for i, x in enumerate(medians) if not math.isfinite(x)]
    band = (right + 0.04 * span, right + 0.34 * span) if never else None
    positions: list[tuple[float, float]] = []
    for i, r in enumerate(rows):
        x = float(r["push_to_live_median_s"])
        if math.isfinite(x) or band is None:
            shown = x
        else:  # spread the never-live points across their band
            k = never.index(i)
            shown = band[0] + (band[1] - band[0]) * (k + 1) / (len(never) + 1)
        positions.append((shown, float(r["p_stale"])))
    end = band[1] if band is not None else right
    for i, r in enumerate(rows):
        name = str(r["strategy"])
        shown, p = positions[i]
        low, high = float(r["p_stale_low"]), float(r["p_stale_high"])
        ax.errorbar(
            shown,
            p,
            yerr=[[p - low], [high - p]],
            fmt="o",
            markersize=11,
            capsize=5,
            color=strategy_color(name, i),
            markerfacecolor="white" if i in never else None,
        )
    # one label per place (strategies on the same point share it), stacked when places are close
    groups: dict[tuple[float, float], list[str]] = {}
    colors: dict[tuple[float, float], str] = {}
    for i, ((shown, p), r) in enumerate(zip(positions, rows, strict=True)):
        key = (round(shown, 1), round(p, 3))
        groups.setdefault(key, []).append(str(r["strategy"]))
        colors.setdefault(key, strategy_color(str(r["strategy"]), i))

    def close(a: tuple[float, float], b: tuple[float, float]) -> bool:
        return a != b and abs(a[1] - b[1]) < 0.08 and abs(a[0] - b[0]) < 0.2 * span

    for n, ((shown, p), names) in enumerate(groups.items()):
        here = (shown, p)
        left_of = [k for k in groups if close(k, here) and k[0] < shown]
        right_of = [k for k in groups if close(k, here) and k[0] >= shown]
        # a label goes away from a close neighbour's dot (never over it); between two it is
        # lifted instead; the label's colour is its dot's
        on_right = (shown - left) / (end - left) > 0.6  # label to the left of its dot
        if left_of and not right_of:
            on_right = False
        elif right_of and not left_of:
            on_right = True
        lift = 16 * n if left_of and right_of else 0
        above = p < 0.85
        ax.annotate(
            ", ".join(names),
            here,
            xytext=(-9 if on_right else 9, (8 + lift) if above else -(16 + lift)),
            textcoords="offset points",
            ha="right" if on_right else "left",
            fontsize=11,
            color=colors[here],
        )
    if band is not None:
        ax.axvspan(*band, color="#EEEEEE", zorder=0)
        ax.text(
            (band[0] + band[1]) / 2,
            0.5,
            "never live\n(median push to\nlive is infinite)",
            transform=ax.get_xaxis_transform(),
            ha="center",
            va="center",
            fontsize=9,
            color="#666666",
        )
    ax.set_xlim(left, end)
    ticks = [t for t in ax.get_xticks() if left <= t <= right]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.set_xlabel("median seconds from push to new code live (cost)", fontsize=12)
    ax.set_ylabel("stale-deploy probability (risk)", fontsize=12)
    ax.set_ylim(-0.05, 1.05)
    _percent(ax)
    trials = int(summary["trials"].iloc[0]) if len(summary) else 0
    ax.set_title(
        f"Cost against safety ({trials:,} trials each): down and left is better", fontsize=12
    )
    ax.grid(alpha=0.3)
    return ax
