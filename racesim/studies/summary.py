"""Summaries of Monte Carlo results: rates with Wilson intervals, lead-time quantiles, cost.

Every rate is the share of trials in which something happened, reported with a Wilson score
interval (it behaves well near 0 and 1, where the rates that matter here live). Push-to-live
quantiles treat a trial whose newest commit never went live as an infinitely long wait, so a p95
of ``inf`` means more than 5 % of pushes never reached production.

The same summary can be accumulated chunk by chunk without keeping rows (:class:`SummaryTally`,
what :func:`~racesim.studies.trials.summarize_trials` and ``racesim compare`` use): per group the
trial count, the count of every rate's events, exact sums for the means, and the push-to-live
values, all of them (exact quantiles) or binned (:class:`LeadTimes`). Merging two tallies gives
the tally of their union whatever the order, so the result does not depend on chunks or workers.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from racesim.errors import InputError

__all__ = [
    "MEAN_COLUMNS",
    "QUANTILES",
    "RATES",
    "SKETCH_BITS",
    "SUMMARY_COLUMNS",
    "ExactSum",
    "LeadTimes",
    "SummaryTally",
    "summarize",
    "wilson_interval",
]

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

#: the result columns whose means :func:`summarize` reports (``<column>_mean``)
MEAN_COLUMNS: tuple[str, ...] = ("runner_s", "behind_s", "stale_deploys")

#: push-to-live quantiles :func:`summarize` reports: summary column -> probability
QUANTILES: dict[str, float] = {"push_to_live_median_s": 0.5, "push_to_live_p95_s": 0.95}

#: the result columns :func:`summarize` reads (a run that only needs the summary keeps only these,
#: which saves memory on large runs)
SUMMARY_COLUMNS: tuple[str, ...] = (
    *(column for column, _ in RATES.values()),
    "push_to_live_s",
    "runner_s",
    "behind_s",
    "stale_deploys",
)

#: mantissa bits that tell :class:`LeadTimes` bins apart: a bin spans a relative width of at most
#: ``2**-SKETCH_BITS``, so a binned quantile is within ``2**-(SKETCH_BITS + 1)`` (about 0.003 %)
#: of the exact one
SKETCH_BITS = 14


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (scipy's ``binomtest``)."""
    if trials <= 0:
        return math.nan, math.nan
    ci = stats.binomtest(int(successes), int(trials)).proportion_ci(confidence, method="wilson")
    return float(ci.low), float(ci.high)


def event_mask(name: str, values: NDArray[Any]) -> NDArray[np.bool_]:
    """Which trials count towards rate `name` of :data:`RATES`, from that rate's column."""
    if name in ("final_wrong", "latest_wrong"):
        return ~values.astype(bool)
    if name == "never_live":
        return np.asarray(pd.isna(values), dtype=np.bool_)
    if name == "identity_error":
        return np.asarray(values > 0, dtype=np.bool_)
    return values.astype(bool)


# -- exact means -------------------------------------------------------------------------------

#: every float64 is an integer multiple of 2**-1126 once written as (53-bit mantissa) * 2**(e - 53)
_SCALE = 1126
#: values per pass of :meth:`ExactSum.add`: keeps every per-exponent float sum exact (< 2**53)
_SUM_BATCH = 1 << 24


class ExactSum:
    """The exact sum of float64 values, mergeable: the mean does not depend on the order of adds.

    The sum is kept as a Python integer in units of ``2**-1126`` (each value's mantissa, split in
    two 26-bit halves, is summed per binary exponent with ``np.bincount``, exactly), so
    :meth:`mean` is the correctly rounded mean, whatever the chunks. NaN and infinities are
    counted apart and give what ``numpy.mean`` gives.
    """

    __slots__ = ("nan", "neg_inf", "pos_inf", "scaled")

    def __init__(self) -> None:
        self.scaled = 0
        self.nan = self.pos_inf = self.neg_inf = 0

    def add(self, values: NDArray[Any]) -> None:
        v = np.asarray(values, dtype=np.float64).ravel()
        finite = np.isfinite(v)
        if not finite.all():
            bad = v[~finite]
            self.nan += int(np.isnan(bad).sum())
            self.pos_inf += int((bad == math.inf).sum())
            self.neg_inf += int((bad == -math.inf).sum())
            v = v[finite]
        for a in range(0, len(v), _SUM_BATCH):
            self.scaled += _exact_sum(v[a : a + _SUM_BATCH])

    def merge(self, other: ExactSum) -> None:
        self.scaled += other.scaled
        self.nan += other.nan
        self.pos_inf += other.pos_inf
        self.neg_inf += other.neg_inf

    def mean(self, n: int) -> float:
        """The mean of `n` values (the finite ones summed here, plus any NaN or infinities)."""
        if n <= 0 or self.nan or (self.pos_inf and self.neg_inf):
            return math.nan
        if self.pos_inf or self.neg_inf:
            return math.inf if self.pos_inf else -math.inf
        return self.scaled / (n << _SCALE)  # int / int: correctly rounded


def _exact_sum(v: NDArray[np.float64]) -> int:
    """The sum of finite `v` in units of ``2**-_SCALE``, exactly."""
    if not len(v):
        return 0
    mantissa, exponent = np.frexp(v)
    whole = (mantissa * 2.0**53).astype(np.int64)  # exact: |whole| < 2**53
    high = whole >> 26
    low = whole - (high << 26)  # in [0, 2**26)
    base = int(exponent.min())
    slot = exponent - base
    highs = np.bincount(slot, weights=high)  # sums of < 2**24 values under 2**27: exact
    lows = np.bincount(slot, weights=low)
    total = 0
    for k in np.flatnonzero((highs != 0) | (lows != 0)).tolist():
        total += ((int(highs[k]) << 26) + int(lows[k])) << (base + k - 53 + _SCALE)
    return total


def exact_mean(values: NDArray[Any]) -> float:
    """The correctly rounded mean of `values` (NaN for none)."""
    total = ExactSum()
    total.add(values)
    return total.mean(len(values))


# -- quantiles ---------------------------------------------------------------------------------

_LOW_63 = np.int64(0x7FFF_FFFF_FFFF_FFFF)


def _ordered(values: NDArray[np.float64]) -> NDArray[np.int64]:
    """float64 bits as int64 in the floats' order (the map is its own inverse)."""
    bits = np.ascontiguousarray(values, dtype=np.float64).view(np.int64)
    return bits ^ ((bits >> 63) & _LOW_63)


def _from_ordered(ordered: NDArray[np.int64]) -> NDArray[np.float64]:
    return (ordered ^ ((ordered >> 63) & _LOW_63)).view(np.float64)


def quantile_index(n: int, q: float) -> int:
    """The 0-based rank ``numpy.quantile(..., method="inverted_cdf")`` takes among `n` values."""
    index = n * q - 1
    previous = math.floor(index)
    return max(0, previous if index - previous == 0 else previous + 1)


class LeadTimes:
    """Push-to-live values (``inf`` for never), mergeable, for :data:`QUANTILES`.

    ``exact=True`` keeps every value (8 bytes each): quantiles equal ``numpy.quantile(...,
    method="inverted_cdf")``. ``exact=False`` keeps a histogram: values are binned by their
    sign, binary exponent and first :data:`SKETCH_BITS` mantissa bits, and each bin holds its
    count, smallest and largest value. Memory is then at most one bin per ``2**-SKETCH_BITS``
    relative step of the values seen (never more bins than values), whatever their number. A
    quantile is the bin's smallest or largest value when its rank is the bin's first or last (so
    exact when a bin holds one value, and ``inf`` exactly), else the middle of the two: within half
    a bin, ``2**-(SKETCH_BITS + 1)`` of the exact value relative to it.
    """

    __slots__ = ("counts", "exact", "highs", "keys", "lows", "parts")

    def __init__(self, exact: bool) -> None:
        self.exact = exact
        self.parts: list[NDArray[np.float64]] = []
        self.keys = np.empty(0, dtype=np.int64)
        self.counts = np.empty(0, dtype=np.int64)
        self.lows = np.empty(0, dtype=np.float64)
        self.highs = np.empty(0, dtype=np.float64)

    def add(self, values: NDArray[np.float64]) -> None:
        """Add values (NaN already replaced by ``inf``)."""
        if not len(values):
            return
        if self.exact:
            self.parts.append(np.array(values, dtype=np.float64))
            return
        ordered = np.sort(_ordered(values))
        keys = ordered >> (52 - SKETCH_BITS)
        starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
        ends = np.concatenate((starts[1:], [len(ordered)]))
        self._combine(
            keys[starts],
            ends - starts,
            _from_ordered(ordered[starts]),
            _from_ordered(ordered[ends - 1]),
        )

    def _combine(
        self,
        keys: NDArray[np.int64],
        counts: NDArray[np.int64],
        lows: NDArray[np.float64],
        highs: NDArray[np.float64],
    ) -> None:
        if not len(self.keys):
            self.keys, self.counts, self.lows, self.highs = keys, counts, lows, highs
            return
        all_keys = np.concatenate((self.keys, keys))
        order = np.argsort(all_keys, kind="stable")
        all_keys = all_keys[order]
        starts = np.flatnonzero(np.concatenate(([True], all_keys[1:] != all_keys[:-1])))
        self.keys = all_keys[starts]
        self.counts = np.add.reduceat(np.concatenate((self.counts, counts))[order], starts)
        self.lows = np.minimum.reduceat(np.concatenate((self.lows, lows))[order], starts)
        self.highs = np.maximum.reduceat(np.concatenate((self.highs, highs))[order], starts)

    def merge(self, other: LeadTimes) -> None:
        if self.exact:
            self.parts += other.parts
        elif len(other.keys):
            self._combine(other.keys, other.counts, other.lows, other.highs)

    def quantile(self, q: float) -> float:
        """The ``inverted_cdf`` quantile `q` of the values (exact or binned, see the class)."""
        if self.exact:
            if len(self.parts) != 1:  # one array from now on (the parts are let go)
                self.parts = [np.concatenate(self.parts)]
            # partitioned in place: the values stay the same multiset, without a copy
            values = self.parts[0]
            return float(np.quantile(values, q, method="inverted_cdf", overwrite_input=True))
        ends = np.cumsum(self.counts)
        rank = quantile_index(int(ends[-1]), q)
        b = int(np.searchsorted(ends, rank, side="right"))
        low, high = float(self.lows[b]), float(self.highs[b])
        if rank == ends[b] - self.counts[b]:
            return low
        if rank == ends[b] - 1:
            return high
        return low / 2 + high / 2


# -- summaries ---------------------------------------------------------------------------------


def _summary_row(
    keys: Mapping[str, object],
    n: int,
    hits: Mapping[str, int],
    quantiles: Mapping[str, float],
    means: Mapping[str, float],
    confidence: float,
) -> dict[str, object]:
    row: dict[str, object] = dict(keys)
    row["trials"] = n
    for name in RATES:
        k = int(hits[name])
        low, high = wilson_interval(k, n, confidence)
        row[f"p_{name}"] = k / n
        row[f"p_{name}_low"] = low
        row[f"p_{name}_high"] = high
    row.update(quantiles)
    for column in MEAN_COLUMNS:
        row[f"{column}_mean"] = means[column]
    return row


def check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise InputError("confidence", f"expected a level between 0 and 1, got {confidence!r}")


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
    they first appear. Means are correctly rounded (summed exactly), so they do not depend on the
    order of the rows.
    """
    keys = [by] if isinstance(by, str) else list(by)
    missing = [k for k in keys if k not in results.columns]
    if missing:
        raise InputError("by", f"no column {missing[0]!r} in the results")
    check_confidence(confidence)
    # one pass per column over all rows, then per group by group number (no per-group frames:
    # a million-row result is summarised in well under a second)
    number = results.groupby(keys, sort=False).ngroup().to_numpy()
    groups = int(number.max()) + 1 if len(number) else 0
    sizes = np.bincount(number, minlength=groups)
    firsts = np.unique(number, return_index=True)[1]
    order = np.argsort(number, kind="stable")
    bounds = np.concatenate(([0], np.cumsum(sizes)))
    hits = {
        name: np.bincount(
            number,
            weights=event_mask(name, results[column].to_numpy()),
            minlength=groups,
        )
        for name, (column, _) in RATES.items()
    }
    lead_all = results["push_to_live_s"].fillna(math.inf).to_numpy()
    means = {c: results[c].to_numpy() for c in MEAN_COLUMNS}
    key_rows = results[keys].iloc[firsts].to_dict(orient="records")
    rows = []
    for g in range(groups):
        members = order[bounds[g] : bounds[g + 1]]
        lead = lead_all[members]
        rows.append(
            _summary_row(
                {str(k): v for k, v in key_rows[g].items()},
                int(sizes[g]),
                {name: int(hits[name][g]) for name in RATES},
                {
                    column: float(np.quantile(lead, q, method="inverted_cdf"))
                    for column, q in QUANTILES.items()
                },
                {c: exact_mean(values[members].astype(np.float64)) for c, values in means.items()},
                confidence,
            )
        )
    return pd.DataFrame(rows)


class _Group:
    """What one group's summary row needs, accumulated (see :class:`SummaryTally`)."""

    __slots__ = ("hits", "lead", "n", "sums")

    def __init__(self, exact: bool) -> None:
        self.n = 0
        self.hits = dict.fromkeys(RATES, 0)
        self.sums = {c: ExactSum() for c in MEAN_COLUMNS}
        self.lead = LeadTimes(exact)

    def add(self, columns: Mapping[str, NDArray[Any]]) -> None:
        lead = np.asarray(columns["push_to_live_s"], dtype=np.float64)
        self.n += len(lead)
        for name, (column, _) in RATES.items():
            self.hits[name] += int(np.count_nonzero(event_mask(name, columns[column])))
        for column, total in self.sums.items():
            total.add(columns[column])
        self.lead.add(np.where(np.isnan(lead), math.inf, lead))

    def merge(self, other: _Group) -> None:
        self.n += other.n
        for name in RATES:
            self.hits[name] += other.hits[name]
        for column, total in self.sums.items():
            total.merge(other.sums[column])
        self.lead.merge(other.lead)


class SummaryTally:
    """A mergeable accumulator of :func:`summarize`'s rows, fed chunk by chunk, keeping no rows.

    Per group (a tuple of the values of `keys`): the trial count, the count of every rate's
    events, exact sums for the means (:class:`ExactSum`) and the push-to-live values
    (:class:`LeadTimes`: every value with ``exact_quantiles=True``, else a histogram whose size
    does not grow with the number of trials). Counts, rates and means equal :func:`summarize`'s
    on the same rows exactly; so do the quantiles when exact, else within ``2**-(SKETCH_BITS +
    1)`` relative. Groups keep the order in which they were first added or merged.
    """

    def __init__(self, keys: Sequence[str] = ("strategy",), *, exact_quantiles: bool = True):
        self.keys = tuple(keys)
        self.exact_quantiles = exact_quantiles
        self.groups: dict[tuple[Hashable, ...], _Group] = {}

    def _group(self, key: tuple[Hashable, ...]) -> _Group:
        if len(key) != len(self.keys):
            raise InputError("key", f"expected values for {', '.join(self.keys)}, got {key!r}")
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = _Group(self.exact_quantiles)
        return group

    def add(self, key: tuple[Hashable, ...], columns: Mapping[str, NDArray[Any]]) -> None:
        """Add rows of group `key`, given as columns (at least :data:`SUMMARY_COLUMNS`)."""
        missing = [c for c in SUMMARY_COLUMNS if c not in columns]
        if missing:
            raise InputError("columns", f"no column {missing[0]!r} among the rows to add")
        self._group(key).add(columns)

    def merge(self, other: SummaryTally) -> None:
        """Add every group of `other` (same keys) to this tally."""
        if other.keys != self.keys or other.exact_quantiles != self.exact_quantiles:
            raise InputError("other", "expected a tally with the same keys and quantile mode")
        for key, group in other.groups.items():
            self._group(key).merge(group)

    def summary(self, *, confidence: float = 0.95) -> pd.DataFrame:
        """The summary: the columns of :func:`summarize`, one row per group."""
        check_confidence(confidence)
        rows = [
            _summary_row(
                dict(zip(self.keys, key, strict=True)),
                group.n,
                group.hits,
                {column: group.lead.quantile(q) for column, q in QUANTILES.items()},
                {c: total.mean(group.n) for c, total in group.sums.items()},
                confidence,
            )
            for key, group in self.groups.items()
        ]
        return pd.DataFrame(rows)
