"""The benchmarks' machine-independent guards, run by the suite and not only by the benchmarks."""

from __future__ import annotations

from dataclasses import replace

import pytest

from benchmarks.guards import EXPECTED_EVENTS_PARALLEL, check_engine, events_per_parallel_push
from racesim.model import History
from racesim.montecarlo import trial_history
from racesim.scenarios import load_scenario


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
