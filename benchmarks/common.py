"""Timing helpers shared by the benchmarks: best-of-N wall times and goal verdicts."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_of(repeat: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def best_of_each(repeat: int, *fns: Callable[[], object]) -> list[float]:
    """The best time of each of `fns` over `repeat` rounds, each round running them in turn.

    Interleaved, so that a change in the machine's load (it may be shared) falls on every side
    of a ratio rather than on whichever ran last.
    """
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, kept in zip(fns, times, strict=True):
            start = time.perf_counter()
            fn()
            kept.append(time.perf_counter() - start)
    return [min(kept) for kept in times]


def verdict(ok: bool) -> str:
    """How a benchmark line reports a goal."""
    return "met" if ok else "NOT met"
