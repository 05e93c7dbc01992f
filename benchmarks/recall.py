"""Does the default search find what the proofs find?

For every preset (and the how-to's own pipeline, ``workflow_run`` gated, pinned by sha, with a
tip-of-main guard), every property and 1 to 3 pushes, ``racesim.prove`` decides whether a
counterexample exists within the default bounds; for each one that does, ``racesim.testing.search``
runs with its defaults (seed 0, 300 examples per push count, the corners first). The share of
proved counterexamples the search also finds is the recall. Goal: 100%.
"""

from __future__ import annotations

import time

from benchmarks.common import verdict
from racesim.core.strategy import PRESETS, Strategy
from racesim.proof import NotEncodedError, prove
from racesim.testing import PROPERTIES, search

#: the pipeline of docs/how-to/property-test.md
HOWTO = Strategy(trigger="workflow_run", gate=True, reference="sha", guard="tip_of_main")


def bench_recall(pushes: tuple[int, ...] = (1, 2, 3)) -> tuple[float, bool]:
    """Print what the search misses; return the recall and whether it is 100%."""
    cases: list[tuple[str, Strategy | str]] = [*((n, n) for n in PRESETS), ("how-to", HOWTO)]
    broken = found = 0
    missed: list[str] = []
    start = time.perf_counter()
    for name, strategy in cases:
        for prop in PROPERTIES:
            for k in pushes:
                try:
                    proof = prove(strategy, prop, pushes=k)
                except NotEncodedError:
                    continue
                if proof.counterexample is None:
                    continue
                broken += 1
                if search(strategy, prop, pushes=k).counterexample is not None:
                    found += 1
                else:
                    missed.append(f"{name} {prop} K={k}")
    recall = found / broken if broken else 1.0
    ok = found == broken
    print("[recall] counterexamples prove finds that the default search also finds")
    for line in missed:
        print(f"  missed: {line}")
    print(
        f"  {found}/{broken} = {recall:.0%} in {time.perf_counter() - start:.0f} s "
        f"(goal 100%: {verdict(ok)})"
    )
    return recall, ok
