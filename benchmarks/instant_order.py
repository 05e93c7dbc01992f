"""Count outcomes that change when the runs of one instant are created in another order.

``python -m benchmarks.instant_order [--cases N] [--pushes P]`` simulates N random histories
(durations of 0 or 1 s and pushes at 0 or 1 s, so that most instants hold several events; see
:mod:`benchmarks.random_cases`) under random strategies, once in commit order and once with the
creation order of simultaneous runs shuffled (``simulate(..., creation_order=seed)``), and prints
how many outcomes differ. Run ids are creation order, so the comparison leaves them out.
"""

from __future__ import annotations

import argparse
import random
import sys
from typing import Any

from benchmarks.random_cases import random_history, random_strategy
from racesim import simulate
from racesim.core.outcome import Outcome


def outcome_key(o: Outcome) -> tuple[Any, ...]:
    """Everything an outcome says, without run ids (which follow creation order)."""
    deploys = sorted(
        (d.cause, d.meant, d.status, d.shipped, d.pull_time, d.pulled, d.pull_margin, d.live_at)
        for d in o.deploys
    )
    return (
        deploys,
        o.skipped_deploys,
        o.live,
        o.final_live,
        o.newest_built,
        o.regressions,
        o.push_to_live,
        o.never_deployed,
        o.behind_s,
        o.latest_at_end,
        o.runner_s,
        o.cancelled_runs,
        o.end_time,
    )


def count_differences(cases: int, pushes: int, seed: int = 7) -> int:
    """How many of `cases` random histories change outcome under a shuffled creation order."""
    rng = random.Random(seed)
    differ = 0
    for i in range(cases):
        strategy = random_strategy(rng)
        history = random_history(rng, ties=True, pushes=pushes)
        plain = outcome_key(simulate(strategy, history).outcome)
        shuffled = outcome_key(simulate(strategy, history, creation_order=i).outcome)
        differ += plain != shuffled
    return differ


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.instant_order")
    parser.add_argument("--cases", type=int, default=9000)
    parser.add_argument("--pushes", type=int, default=4)
    args = parser.parse_args(argv)
    differ = count_differences(args.cases, args.pushes)
    print(
        f"{differ} of {args.cases} outcomes depend on the creation order (<= {args.pushes} pushes)"
    )
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
