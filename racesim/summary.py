"""Summaries of Monte Carlo results: rates with Wilson intervals, lead-time quantiles, cost.

Every rate is the share of trials in which something happened, reported with a Wilson score
interval (it behaves well near 0 and 1, where the rates that matter here live). Push-to-live
quantiles treat a trial whose newest commit never went live as an infinitely long wait, so a p95
of ``inf`` means more than 5 % of pushes never reached production.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from racesim.errors import InputError

__all__ = ["RATES", "summarize", "wilson_interval"]

#: rates reported by :func:`summarize`: name -> (result column, what it counts)
RATES: dict[str, tuple[str, str]] = {
    "stale": ("stale", "trials with at least one stale deploy"),
    "final_wrong": ("final_correct", "trials ending on anything but the newest built commit"),
    "regression": ("regressed", "trials in which production moved to an older commit"),
    "identity_error": ("identity_errors", "trials with a deploy that shipped another commit"),
    "never_live": ("push_to_live_s", "trials whose newest commit never went live"),
    "latest_wrong": (
        "latest_correct",
        "trials ending with the registry's latest on the wrong commit",
    ),
}


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (scipy's ``binomtest``)."""
    if trials <= 0:
        return math.nan, math.nan
    ci = stats.binomtest(int(successes), int(trials)).proportion_ci(confidence, method="wilson")
    return float(ci.low), float(ci.high)


def _events(df: pd.DataFrame, name: str) -> pd.Series:
    column = RATES[name][0]
    if name == "final_wrong":
        return ~df["final_correct"].astype(bool)
    if name == "latest_wrong":
        return ~df["latest_correct"].astype(bool)
    if name == "never_live":
        return df["push_to_live_s"].isna()
    if name == "identity_error":
        return df[column] > 0
    return df[column].astype(bool)


def summarize(
    results: pd.DataFrame,
    by: str | Sequence[str] = "strategy",
    *,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """One row per group of `results` (from :func:`~racesim.montecarlo.run_trials` or ``sweep``).

    Columns: the group keys, ``trials``, for every rate in :data:`RATES` ``p_<rate>`` with
    ``p_<rate>_low`` and ``p_<rate>_high``, ``push_to_live_median_s``, ``push_to_live_p95_s``,
    ``runner_s_mean``, ``behind_s_mean`` and ``stale_deploys_mean``. Groups keep the order in which
    they first appear.
    """
    keys = [by] if isinstance(by, str) else list(by)
    missing = [k for k in keys if k not in results.columns]
    if missing:
        raise InputError("by", f"no column {missing[0]!r} in the results")
    if not 0 < confidence < 1:
        raise InputError("confidence", f"expected a level between 0 and 1, got {confidence!r}")
    rows = []
    for key, group in results.groupby(keys, sort=False):
        row: dict[str, object] = dict(
            zip(keys, key if isinstance(key, tuple) else (key,), strict=True)
        )
        n = len(group)
        row["trials"] = n
        for name in RATES:
            k = int(_events(group, name).sum())
            low, high = wilson_interval(k, n, confidence)
            row[f"p_{name}"] = k / n
            row[f"p_{name}_low"] = low
            row[f"p_{name}_high"] = high
        lead = group["push_to_live_s"].fillna(math.inf).to_numpy()
        row["push_to_live_median_s"] = float(np.quantile(lead, 0.5, method="inverted_cdf"))
        row["push_to_live_p95_s"] = float(np.quantile(lead, 0.95, method="inverted_cdf"))
        row["runner_s_mean"] = float(group["runner_s"].mean())
        row["behind_s_mean"] = float(group["behind_s"].mean())
        row["stale_deploys_mean"] = float(group["stale_deploys"].mean())
        rows.append(row)
    return pd.DataFrame(rows)
