"""The benchmarks' regression guards: checks that hold on any machine, so the suite runs them too.

Timings depend on the machine; these do not. Before the engine benchmark compares speeds, the
engine must agree with the minimal model trial by trial, and one ``parallel`` push must cost the
engine exactly :data:`EXPECTED_EVENTS_PARALLEL` trace events (more events per trial is more work
per trial: a change that adds some must update the number, on purpose). ``tests/
test_benchmark_guards.py`` runs :func:`check_engine` on every test run, not only when someone runs
``python -m benchmarks``.
"""

from __future__ import annotations

from collections.abc import Sequence

from benchmarks.minimal import minimal_parallel
from racesim import History, simulate

__all__ = ["EXPECTED_EVENTS_PARALLEL", "check_engine", "events_per_parallel_push"]

#: events in the trace of one ``parallel`` push: a regression guard on the engine's work per trial
EXPECTED_EVENTS_PARALLEL = 32


def events_per_parallel_push(histories: Sequence[History]) -> set[int]:
    """The distinct event counts of ``parallel`` simulated on each history's first push alone."""
    return {
        len(simulate("parallel", History.single(h.pushes[0].durations)).events) for h in histories
    }


def check_engine(histories: Sequence[History]) -> None:
    """Raise AssertionError unless the engine agrees with the minimal model and costs as before."""
    for h in histories:
        engine = simulate("parallel", h).outcome.deploys[0].stale
        assert engine == minimal_parallel(h.pushes[0].durations), f"disagree on {h}"
    events = events_per_parallel_push(histories)
    assert events == {EXPECTED_EVENTS_PARALLEL}, f"events per trial changed: {sorted(events)}"
