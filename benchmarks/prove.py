"""Proof time against the number of pushes, for every preset and property.

Each proof is timed with a fresh encoding (construction and solving), on the default bounds,
in this process (one core). The goal of issue 14: a 2-push proof in under 10 s.
"""

from __future__ import annotations

import time

from benchmarks.common import verdict
from racesim.core.strategy import PRESETS
from racesim.proof import NotEncodedError, prove
from racesim.testing import PROPERTIES

#: the goal for the slowest 2-push answer, in seconds
GOAL_2_PUSHES = 10.0


def bench_prove(pushes: tuple[int, ...] = (1, 2, 3)) -> tuple[float, bool]:
    """Print a table of the slowest and total answer time per preset and K; returns the slowest
    2-push time and whether it meets the goal."""
    print(f"[prove] answer time per preset (slowest of {len(PROPERTIES)} properties / total)")
    print(f"  {'preset':22}" + "".join(f"{'K=' + str(k):>20}" for k in pushes))
    slowest_two = 0.0
    for name in PRESETS:
        cells = []
        for k in pushes:
            times = []
            for prop in PROPERTIES:
                start = time.perf_counter()
                try:
                    prove(name, prop, pushes=k)
                except NotEncodedError:
                    break  # a preset the encoding does not model is listed as refused
                times.append(time.perf_counter() - start)
            if not times:
                cells.append("refused")
                continue
            if k == 2:
                slowest_two = max(slowest_two, max(times))
            cells.append(f"{max(times):8.2f} / {sum(times):6.2f} s")
        print(f"  {name:22}" + "".join(f"{c:>20}" for c in cells))
    ok = slowest_two < GOAL_2_PUSHES
    print(
        f"  slowest 2-push answer: {slowest_two:.2f} s   "
        f"(goal < {GOAL_2_PUSHES:g} s: {verdict(ok)})"
    )
    return slowest_two, ok
