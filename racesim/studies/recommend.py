"""A recommendation from measured results: the cheapest strategy whose risk stays under a bound.

``racesim compare`` and ``racesim matrix`` end with one; a notebook can call :func:`recommend` on
any summary. *Risk* is the upper end of the 95 % Wilson interval of each rate in
:data:`RISK_RATES` (the worst over all situations, for the safety matrix): a strategy qualifies
only when the trials show, with 95 % confidence, that it stays under the bound. *Cost* is the
median seconds from push to new code live (one push, for the safety matrix), the price that
waiting, polling and serializing add. Nothing is hard-coded: the answer comes from the table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from racesim.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DEFAULT_MAX_RISK", "RISK_RATES", "Recommendation", "recommend"]

#: the rates whose upper bound must stay under the limit, with the words a reader sees
RISK_RATES = {
    "stale": "a stale deploy",
    "final_wrong": "ending on the wrong commit",
    "regression": "a regression",
}

#: the default bound on each rate's upper 95 % limit (1 %)
DEFAULT_MAX_RISK = 0.01

#: the square of the 95 % normal quantile (the Wilson interval's z^2)
_Z2 = 1.959963984540054**2


@dataclass(frozen=True)
class Recommendation:
    """The strategy to use, or ``None`` when none is shown to be safe enough.

    Attributes:
        strategy: the cheapest qualifying strategy, else ``None``.
        max_risk: the bound on every rate's upper 95 % limit.
        risk: the strategy's (or, with none, the safest strategy's) worst upper limit.
        worst_rate: which rate that limit belongs to.
        cost_s: the strategy's median push-to-live seconds.
        runner_up: the next cheapest qualifying strategy, if any, and its cost.
        safest: with no qualifying strategy, the one with the lowest worst upper limit.
        trials: trials behind the named strategy's estimates (`strategy`'s, else `safest`'s;
            the smallest, if they differ, as in a safety matrix whose cells only the SimPy
            engine decides have fewer).
        observed: the measured share behind `risk` (0 when no trial showed it).
        scope: where the risk is measured (``"in every situation"`` for the matrix), for the text.

    The text names the parameters it refers to in backquotes (`` `max_risk` ``, `` `trials` ``);
    the command line shows them as its flags.
    """

    strategy: str | None
    max_risk: float
    risk: float
    worst_rate: str
    cost_s: float
    runner_up: tuple[str, float] | None
    safest: str | None
    trials: int
    observed: float = 0.0
    scope: str = ""

    def text(self) -> str:
        """Two or three lines that say what to use and which numbers justify it."""
        bound = f"{self.max_risk:.2%}"
        scope = f" {self.scope}" if self.scope else ""
        if self.strategy is None:
            return (
                f"Recommendation: no strategy is shown below {bound} risk{scope} at 95% "
                f"confidence with {self.trials} trials. Safest measured: {self.safest} (upper "
                f"limit of P({RISK_RATES[self.worst_rate]}) {self.risk:.2%}): {self.advice()}."
            )
        lines = [
            f"Recommendation: {self.strategy}, the quickest strategy whose risk{scope} is below "
            f"{bound} at 95% confidence:",
            f"  worst upper limit {self.risk:.2%} (P({RISK_RATES[self.worst_rate]})), "
            f"median push to live {_seconds(self.cost_s)}, {self.trials} trials.",
        ]
        if self.runner_up is not None:
            lines.append(
                f"  Next: {self.runner_up[0]} ({_seconds(self.runner_up[1])}). "
                "Change the bound with `max_risk`."
            )
        else:
            lines.append("  No other strategy qualifies. Change the bound with `max_risk`.")
        return "\n".join(lines)

    def advice(self) -> str:
        """What to do when nothing qualifies: more trials (if none failed) or a looser bound."""
        if self.observed == 0 and self.max_risk > 0:
            # the Wilson upper limit of 0 events in n trials is z^2 / (n + z^2)
            needed = math.ceil(_Z2 / self.max_risk - _Z2)
            return (
                f"never seen to fail, but {self.trials} trials cannot show a rate below "
                f"{self.max_risk:.2%}: run about {needed:,} `trials`"
            )
        return "raise `max_risk` to see the quickest strategy under a looser bound"

    def line(self) -> str:
        """The answer in one line (the matrix prints one per situation)."""
        worst = f"P({RISK_RATES[self.worst_rate]}) <= {self.risk:.2%}"
        if self.strategy is None:
            more = f"; {self.advice()}" if self.observed == 0 else ""
            return f"none shown below {self.max_risk:.2%}; safest {self.safest} ({worst}){more}"
        return f"{self.strategy} ({worst}, median push to live {_seconds(self.cost_s)})"


def _seconds(value: float) -> str:
    return "never" if not math.isfinite(value) else f"{value:.0f} s"


def recommend(
    summary: pd.DataFrame,
    max_risk: float = DEFAULT_MAX_RISK,
    *,
    cost_situation: str | None = None,
    scope: str = "",
) -> Recommendation:
    """The cheapest strategy of `summary` whose every risk rate's upper limit is <= `max_risk`.

    Args:
        summary: :func:`racesim.studies.summary.summarize` by strategy, or the safety matrix (a
            ``situation`` column; a strategy's risk is then its worst over the situations).
        max_risk: the bound, a probability in ``[0, 1]``.
        cost_situation: with a matrix, the situation whose median push-to-live is the cost
            (default: the first).
        scope: words saying where the risk was measured, for the text.
    """
    if not 0 <= max_risk <= 1:
        raise InputError("max_risk", f"expected a probability between 0 and 1, got {max_risk!r}")
    if summary.empty:
        raise InputError("summary", "expected at least one strategy, got an empty table")
    frame = summary
    if "situation" in summary.columns:
        first = cost_situation or str(summary["situation"].iloc[0])
        frame = summary[summary["situation"] == first]
    cost = {str(r["strategy"]): float(r["push_to_live_median_s"]) for _, r in frame.iterrows()}
    worst: dict[str, tuple[float, str, float]] = {}
    for _, row in summary.iterrows():
        name = str(row["strategy"])
        for rate in RISK_RATES:
            value = float(row[f"p_{rate}_high"])
            if name not in worst or value > worst[name][0]:
                worst[name] = (value, rate, float(row.get(f"p_{rate}", math.nan)))

    def trials(name: str) -> int:
        return int(summary.loc[summary["strategy"].astype(str) == name, "trials"].min())

    ok = sorted(
        (name for name, (risk, _, _) in worst.items() if risk <= max_risk),
        key=lambda n: (cost[n], worst[n][0], n),
    )
    if not ok:
        safest = min(worst, key=lambda n: (worst[n][0], cost[n], n))
        risk, rate, seen = worst[safest]
        return Recommendation(
            None, max_risk, risk, rate, cost[safest], None, safest, trials(safest), seen, scope
        )
    best = ok[0]
    runner_up = (ok[1], cost[ok[1]]) if len(ok) > 1 else None
    risk, rate, seen = worst[best]
    return Recommendation(
        best, max_risk, risk, rate, cost[best], runner_up, None, trials(best), seen, scope
    )
