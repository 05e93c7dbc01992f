"""A deploy that waits in a concurrency group: the queue wait is not runner pickup.

``tests/data/queued-deploy.toml`` is hand-built: pushes a (10:00:00) and b (10:00:30) under
``pinned_serialized``. b's build finishes first and its deploy runs 10:03:23-10:07:23; a's deploy
is created at 10:05:23 and queues in the deploy group until 10:07:23 (2 min), then takes 2 s to
get a runner (started 10:07:25) and goes live last, at 10:08:15.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from racesim import load_incident, replay
from racesim.incidents.derive import derive
from racesim.incidents.events import event_time, queue_waits
from racesim.incidents.report import replay_report

#: the module (the package exports the function derive under the same name)
derive_module = importlib.import_module("racesim.incidents.derive")

INCIDENT = Path(__file__).parent / "data" / "queued-deploy.toml"


def test_every_observed_time_is_reproduced_to_the_second() -> None:
    result = replay(load_incident(INCIDENT), [])
    mismatches = [
        (o.event, o.commit, o.time, o.reproduced) for o in result.observed if not o.matches
    ]
    assert mismatches == []
    assert result.reproduced


def test_pickup_is_measured_from_admission() -> None:
    """a's deploy: 10:05:23 queued, admitted 10:07:23 (b's deploy ends), started 10:07:25."""
    _, table = derive(load_incident(INCIDENT))
    pickups = {(d.commit, d.duration): d for d in table if d.duration == "deploy_pickup"}
    a = pickups[("a", "deploy_pickup")]
    assert (a.seconds, a.source) == (2.0, "observed")
    assert "minus 120 s queued in the deploy concurrency group" in a.why
    assert pickups[("b", "deploy_pickup")].seconds == 2.0


def test_the_trace_shows_the_queue() -> None:
    trace = replay(load_incident(INCIDENT), []).trace
    a = 1
    queued = event_time(trace, "deploy.queued", a)
    assert queued is not None
    admitted = [e.time for e in trace.events if e.kind == "admitted" and e.commit == a]
    assert admitted == [queued + 120.0]
    assert queue_waits(trace, a) == {"build": 0.0, "deploy": 120.0}


def test_verdict_identity_holds_while_production_went_backwards() -> None:
    result = replay(load_incident(INCIDENT), [])
    outcome = result.trace.outcome
    assert outcome.identity_errors == 0
    assert outcome.backwards == ((495.0, 2, 1),)  # 10:08:15, b -> a
    text = replay_report(result)
    assert "identity holds: every deploy shipped the commit it meant" in text
    assert "production went backwards 1 time(s): b -> a at 10:08:15" in text
    data = result.to_json()
    assert data["regressions"] == [{"time": "2026-03-02T10:08:15Z", "from": "b", "to": "a"}]
    # b built at 10:03:00, live 10:06:00 (180 s behind); a live 10:08:15 to the end 10:08:37
    assert data["behind_s"] == 202.0
    json.dumps(data)


def test_without_the_simulation_in_the_loop_the_queue_counts_twice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One round (no simulation): a's pickup absorbs the 120 s queue, which the engine then adds
    again, so a's deploy starts 2 min late and the replay is not reproduced (the old failure)."""
    monkeypatch.setattr(derive_module, "MAX_ROUNDS", 1)
    result = replay(load_incident(INCIDENT), [])
    late = {(o.event, o.commit) for o in result.observed if not o.matches}
    assert ("deploy.started", "a") in late
    assert not result.reproduced
