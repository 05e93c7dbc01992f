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

__all__ = ["RATES", "SUMMARY_COLUMNS", "summarize", "wilson_interval"]

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


#: the result columns :func:`summarize` reads (a run that only needs the summary keeps only these,
#: which saves memory on large runs)
SUMMARY_COLUMNS: tuple[str, ...] = (
    *(column for column, _ in RATES.values()),
    "push_to_live_s",
    "runner_s",
    "behind_s",
    "stale_deploys",
)


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
    """One row per group of `results` (from :func:`~racesim.run_trials` or :func:`~racesim.sweep`).

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
    # one pass per column over all rows, then per group by group number (no per-group frames:
    # a million-row result is summarised in well under a second)
    number = results.groupby(keys, sort=False).ngroup().to_numpy()
    groups = int(number.max()) + 1 if len(number) else 0
    sizes = np.bincount(number, minlength=groups)
    firsts = np.unique(number, return_index=True)[1]
    order = np.argsort(number, kind="stable")
    bounds = np.concatenate(([0], np.cumsum(sizes)))
    hits = {
        name: np.bincount(number, weights=_events(results, name).to_numpy(bool), minlength=groups)
        for name in RATES
    }
    lead_all = results["push_to_live_s"].fillna(math.inf).to_numpy()
    means = {c: results[c].to_numpy() for c in ("runner_s", "behind_s", "stale_deploys")}
    key_rows = results[keys].iloc[firsts].to_dict(orient="records")
    rows = []
    for g in range(groups):
        row: dict[str, object] = {str(k): v for k, v in key_rows[g].items()}
        n = int(sizes[g])
        members = order[bounds[g] : bounds[g + 1]]
        row["trials"] = n
        for name in RATES:
            k = int(hits[name][g])
            low, high = wilson_interval(k, n, confidence)
            row[f"p_{name}"] = k / n
            row[f"p_{name}_low"] = low
            row[f"p_{name}_high"] = high
        lead = lead_all[members]
        row["push_to_live_median_s"] = float(np.quantile(lead, 0.5, method="inverted_cdf"))
        row["push_to_live_p95_s"] = float(np.quantile(lead, 0.95, method="inverted_cdf"))
        for column, values in means.items():
            row[f"{column}_mean"] = float(values[members].astype(np.float64).mean())
        rows.append(row)
    return pd.DataFrame(rows)
