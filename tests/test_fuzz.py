"""Fuzz every input format in the suite: only a result or racesim's own error, never a crash.

The generators and the guard live in ``tests/fuzz.py``; ``python dev.py fuzz`` runs 10^5 inputs
or more. Here each format gets a fixed, derandomized share of the CI budget, and a failure
shrinks to a small input that shows the crash (its signature names the exception and the racesim
function it came from).
"""

from __future__ import annotations

from typing import Any

import pytest
from fuzz import TARGETS, Overrun, Report, guard, outcome, scratch_folder, signature
from hypothesis import HealthCheck, given, settings

#: inputs per format in the suite (the long run is ``python dev.py fuzz``)
EXAMPLES = {"incident": 500, "scenario": 500, "strategy": 600, "argv": 400}

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def _fuzz_test(target: str) -> Any:
    @settings(FUZZ, max_examples=EXAMPLES[target])
    @given(TARGETS[target][1])
    def check(value: Any) -> None:
        assert outcome(target, value) is None, value

    return check


@pytest.mark.parametrize("target", list(EXAMPLES))
def test_fuzz(target: str) -> None:
    with scratch_folder():
        _fuzz_test(target)()


def test_the_fuzzer_reports_crashes_with_their_signature() -> None:
    """A target that crashes is reported by type and racesim function, once per signature."""
    report = Report()
    TARGETS["strategy-broken"] = (lambda text: {}[text], TARGETS["strategy"][1])
    try:
        report.add("strategy-broken", "parallel")
        report.add("strategy-broken", "merged_job")
    finally:
        del TARGETS["strategy-broken"]
    assert report.counts["strategy-broken"] == 2
    [(sig, (count, example))] = report.crashes.items()
    assert sig.startswith("strategy-broken: KeyError at ") and count == 2
    assert example == "'parallel'"
    assert "crash signatures: 1" in report.text()


def _spin() -> None:
    while True:
        pass


def test_the_guard_stops_a_runaway_input() -> None:
    """An input that spins is cut off by the CPU guard and reported, not left running."""
    with pytest.raises(Overrun) as info, guard(cpu=0.2, wall=30):
        _spin()
    assert signature(info.value) == "Overrun of the CPU limit"
