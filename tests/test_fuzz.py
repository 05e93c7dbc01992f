"""Fuzz every input format in the suite: only a result or racesim's own error, never a crash.

The generators and the guard live in ``tests/fuzz.py``; ``python dev.py fuzz`` runs 10^5 inputs
or more. Here each format gets a fixed, derandomized share of the CI budget, and a failure
shrinks to a small input that shows the crash (its signature names the exception and the racesim
function it came from).
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from fuzz import TARGETS, Overrun, Report, guard, outcome, scratch_folder, signature
from fuzz_readers import RepoSpec
from hypothesis import HealthCheck, given, settings

from racesim.github.files import RepoFiles

#: inputs per format in the suite (the long run is ``python dev.py fuzz``); the last four take
#: about 40 s together, ~20 s on two cores (a workflow folder takes ~70 ms to write and read, a
#: script ~50 ms, an expression or a history file ~2-4 ms)
EXAMPLES = {
    "incident": 500,
    "scenario": 500,
    "strategy": 600,
    "argv": 400,
    "workflow": 300,
    "expression": 2000,
    "script": 150,
    "ingest": 1500,
}

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


class _Swallows:
    def __del__(self) -> None:
        # an exception raised here (by the guard's signal) is printed and dropped by Python
        _spin_for(0.5)


def _spin_for(seconds: float) -> None:
    deadline = time.process_time() + seconds
    while time.process_time() < deadline:
        pass


def _swallow_then_spin() -> None:
    _Swallows()  # dropped at once: its __del__ runs past the CPU limit and eats the signal
    _spin_for(5)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_the_guard_fires_again_when_its_signal_is_swallowed() -> None:
    """The first signal lands in a __del__ (dropped, as in a gc callback); the next one stops."""
    with pytest.raises(Overrun), guard(cpu=0.2, wall=30):
        _swallow_then_spin()


def test_the_workflow_target_reports_a_file_read_outside_the_folder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A link out of the folder is refused; a reader that followed it would be a crash."""
    calls = b"on: push\njobs:\n  x:\n    uses: ./.github/workflows/l.yml\n"
    spec = RepoSpec(
        ((".github/workflows/ci.yml", calls),), ((".github/workflows/l.yml", "{outside}/ci.yml"),)
    )
    assert outcome("workflow", spec) is None
    monkeypatch.setattr(RepoFiles, "inside", lambda self, path, root=None: True)
    found = outcome("workflow", spec)
    assert found is not None and found.startswith("workflow: AssertionError at ")
