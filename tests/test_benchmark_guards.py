"""The benchmarks' machine-independent guards, run by the suite and not only by the benchmarks."""

from __future__ import annotations

import sys
from dataclasses import replace

import pytest

from benchmarks.guards import EXPECTED_EVENTS_PARALLEL, check_engine, events_per_parallel_push
from benchmarks.memory import peak_bytes
from benchmarks.minimal import minimal_study
from racesim.core.history import History
from racesim.scenarios import load_scenario
from racesim.studies.trials import run_trials, trial_history


@pytest.fixture(scope="module")
def histories() -> list[History]:
    scenario = load_scenario("f8af4c1")
    return [trial_history(scenario, 0, i) for i in range(200)]


def test_engine_agrees_with_the_minimal_model_at_the_usual_cost(histories: list[History]) -> None:
    check_engine(histories)
    assert events_per_parallel_push(histories) == {EXPECTED_EVENTS_PARALLEL}


def test_the_guard_notices_a_change_in_work_per_trial(histories: list[History]) -> None:
    """A trial whose trace has another number of events (a failed build) trips the guard."""
    stale = next(h for h in histories if not h.pushes[0].durations.build_fails)
    failing = replace(
        stale,
        pushes=(
            replace(
                stale.pushes[0], durations=replace(stale.pushes[0].durations, build_fails=True)
            ),
        ),
    )
    events = events_per_parallel_push([failing])
    assert events != {EXPECTED_EVENTS_PARALLEL}
    with pytest.raises(AssertionError, match="events per trial changed"):
        check_engine([failing])


def test_the_end_to_end_baseline_estimates_what_racesim_estimates() -> None:
    """minimal_study samples with other random numbers, from the same distributions.

    (Only the stale fraction is compared: the pickups' tails are heavy, so a mean push-to-live
    over the few fresh trials moves by tens of seconds from one sample to another.)
    """
    scenario = load_scenario("f8af4c1")
    stale, _ = minimal_study(scenario, 2000)
    results = run_trials(scenario, ["parallel"], trials=2000, progress=False)
    assert abs(stale - results["stale"].mean()) < 0.02


def test_the_memory_benchmark_measures_a_subprocess_peak() -> None:
    """benchmarks/memory.py's probe sees a child that holds 64 MiB (and not far more)."""
    peak, _ = peak_bytes([sys.executable, "-c", "block = bytearray(64 * 2**20)"])
    assert 64 * 2**20 <= peak < 1024 * 2**20
