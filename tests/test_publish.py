"""Where the publish guard runs, and reconciling ``latest`` after each publish.

Two tag builds start together at 0 s (``trigger = "none"``: publishing only). Commit 1 (older)
builds for 20 s, commit 2 (newer) for 10 s; each push takes 1 s. So commit 2 pushes 10..11 s and
commit 1 pushes 20..21 s: the older one lands last.
"""

from __future__ import annotations

import pytest

from racesim import load_incident, replay, simulate
from racesim.core.history import Durations, History, Push
from racesim.core.strategy import Strategy, parse_strategy
from racesim.errors import InputError

TWO_TAGS = History((Push(0, Durations(build=20, push=1)), Push(0, Durations(build=10, push=1))))
PUBLISH = Strategy(trigger="none")


def latest_at_end(strategy: Strategy, history: History = TWO_TAGS) -> int:
    return simulate(strategy, history).outcome.latest_at_end["ghcr"]


def guards(strategy: Strategy, history: History = TWO_TAGS) -> list[tuple[float, int, str, int]]:
    trace = simulate(strategy, history)
    return [(e.time, e.commit, e.detail, e.image) for e in trace.events if e.kind == "guard"]


def test_without_a_guard_the_older_build_ends_on_latest() -> None:
    assert latest_at_end(PUBLISH) == 1


def test_guard_at_build_start_checks_too_early() -> None:
    """Both check at 0 s, before anything is pushed: both pass, the older one lands last."""
    strategy = Strategy(trigger="none", publish_guard=True)
    assert guards(strategy) == [(0.0, 1, "pass", 0), (0.0, 2, "pass", 0)]
    assert latest_at_end(strategy) == 1


def test_guard_before_the_push_keeps_the_newer_commit() -> None:
    """Commit 2 checks at 10 s (passes, pushes until 11 s); commit 1 checks at 20 s, sees 2."""
    strategy = Strategy(trigger="none", publish_guard=True, publish_guard_at="before_push")
    assert guards(strategy) == [(10.0, 2, "pass", 0), (20.0, 1, "block", 2)]
    assert latest_at_end(strategy) == 2


def test_guard_before_the_push_still_has_a_check_then_write_window() -> None:
    """Pushes of 5 s that start 3 s apart: commit 1 checks at 13 s, before commit 2's push lands
    at 15 s, so both pass and commit 1's push (13..18 s) moves ``latest`` back."""
    h = History((Push(0, Durations(build=13, push=5)), Push(0, Durations(build=10, push=5))))
    strategy = Strategy(trigger="none", publish_guard=True, publish_guard_at="before_push")
    assert guards(strategy, h) == [(10.0, 2, "pass", 0), (13.0, 1, "pass", 0)]
    assert latest_at_end(strategy, h) == 1


def test_reconcile_moves_latest_forward_after_the_older_publish() -> None:
    """Commit 1 writes ``latest`` at 21 s, then its reconcile step sees sha-2 and re-points
    ``latest`` to 2 (written at 22 s, the step taking the push duration)."""
    strategy = Strategy(trigger="none", reconcile_latest=True)
    trace = simulate(strategy, TWO_TAGS)
    checks = [(e.time, e.commit, e.detail, e.image) for e in trace.events if e.kind == "guard"]
    assert checks == [(11.0, 2, "keep", 2), (21.0, 1, "move", 1)]
    writes = [(e.time, e.image) for e in trace.events if e.kind == "write" and e.ref == "latest"]
    assert writes == [(11.0, 2), (21.0, 1), (22.0, 2)]
    assert trace.outcome.latest_at_end["ghcr"] == 2


def test_reconcile_never_moves_latest_backwards_but_has_its_window() -> None:
    """Both pushes land at 11 s (the later-started push, commit 1's, wins the tie), so both
    reconciles check at 11 s and see latest = 1 and sha-2: both move ``latest`` to 2."""
    h = History((Push(0, Durations(build=10, push=1)), Push(0, Durations(build=10, push=1))))
    strategy = Strategy(trigger="none", reconcile_latest=True)
    assert latest_at_end(strategy, h) == 2


def test_publish_guard_at_needs_the_guard() -> None:
    with pytest.raises(InputError, match="publish_guard_at"):
        Strategy(publish_guard_at="before_push")
    with pytest.raises(InputError, match="publish_guard_at"):
        Strategy(publish_guard=True, publish_guard_at="later")  # type: ignore[arg-type]


def test_reconcile_latest_preset() -> None:
    preset = parse_strategy("reconcile_latest")
    assert preset.reconcile_latest and preset.trigger == "workflow_run"
    assert preset.name == "reconcile_latest"


def test_idrac_325_still_replays_and_reconciling_fixes_it() -> None:
    """The guard at the build's start reproduces the incident. Checked right before the push,
    it keeps Docker Hub on v1.75 but not GHCR: v1.74's second push (to GHCR, 40 s) lands after
    v1.75's, and nothing checks again. Reconciling after each publish (the project's fix) ends
    both registries on v1.75."""
    incident = load_incident("idrac-325")
    assert incident.strategy.publish_guard_at == "build_start"
    before_push = Strategy(
        trigger="none",
        mirror=False,
        direct=True,
        publish_guard=True,
        publish_guard_at="before_push",
    )
    result = replay(incident, ["reconcile_pr334", before_push])
    assert result.reproduced
    reconciled, guarded = result.counterfactuals
    assert reconciled.trace.outcome.latest_at_end == {"dockerhub": 3, "ghcr": 3}
    assert reconciled.prevents
    assert guarded.trace.outcome.latest_at_end == {"dockerhub": 3, "ghcr": 2}
    assert not guarded.prevents
