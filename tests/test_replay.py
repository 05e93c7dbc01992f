"""The f8af4c1 replay: every observed time to the second, the verdict, the counterfactuals."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from racesim.incidents import Incident, ObservedOutcome, builtin_incidents, load_incident, replay
from racesim.incidents.replay import derive, event_time


def at(hms: str) -> datetime:
    return datetime.fromisoformat(f"2025-12-03T{hms}+00:00")


@pytest.fixture(scope="module")
def f8() -> object:
    return replay(load_incident("f8af4c1"))


OBSERVED = [
    ("push", "23:44:32"),
    ("build.started", "23:44:34"),
    ("deploy.started", "23:44:34"),
    ("deploy.pulled", "23:45:06"),
    ("deploy.mirrored", "23:45:11"),
    ("deploy.live", "23:45:24"),
    ("deploy.finished", "23:45:46"),
    ("build.pushed", "23:45:46"),
    ("build.finished", "23:46:06"),
]


def test_builtin_incidents_listed() -> None:
    assert "f8af4c1" in builtin_incidents()


def test_all_nine_observed_times_reproduced_exactly(f8) -> None:  # type: ignore[no-untyped-def]
    rows = [(o.event, o.time, o.reproduced) for o in f8.observed]
    assert rows == [(event, at(t), at(t)) for event, t in OBSERVED]
    assert f8.reproduced


def test_verdict_previous_image_stale_margin_minus_40(f8) -> None:  # type: ignore[no-untyped-def]
    (deploy,) = f8.trace.outcome.deploys
    label = f8.history.label
    assert label(deploy.meant) == "f8af4c1"
    assert label(deploy.shipped) == "previous"
    assert deploy.stale and deploy.wrong_identity
    assert deploy.pull_margin == -40.0
    assert f8.trace.outcome.final_live == 0
    assert ("live at the end", "previous", "previous") in f8.outcome_checks


def test_durations_observed_and_assumed(f8) -> None:  # type: ignore[no-untyped-def]
    by_name = {d.duration: d for d in f8.durations}
    assert by_name["prepare"].seconds == 32 and by_name["prepare"].source == "observed"
    assert by_name["build"].seconds == 72 and by_name["build"].source == "derived"
    assert by_name["build_verify"].seconds == 20
    assert (
        by_name["mirror"].seconds,
        by_name["rollout"].seconds,
        by_name["deploy_verify"].seconds,
    ) == (5, 13, 22)
    assumed = {d.duration: d.seconds for d in f8.assumptions}
    assert assumed == {"push": 0, "dispatch": 3, "registry_lag": 0, "deploy_registry_lag": 0}


def counterfactual(f8: object, name: str) -> object:
    return next(c for c in f8.counterfactuals if c.strategy == name)  # type: ignore[attr-defined]


def test_sleep_60_pulls_at_234606_with_20s_margin(f8) -> None:  # type: ignore[no-untyped-def]
    c = counterfactual(f8, "sleep:60")
    (deploy,) = c.trace.outcome.deploys
    assert f8.at(deploy.pull_time) == at("23:46:06")
    assert deploy.pull_margin == 20.0
    assert not deploy.stale
    assert c.trace.history.label(deploy.shipped) == "f8af4c1"


@pytest.mark.parametrize("name", ["workflow_run", "merged_job"])
def test_workflow_run_and_merged_job_ship_f8af4c1(f8, name: str) -> None:  # type: ignore[no-untyped-def]
    c = counterfactual(f8, name)
    (deploy,) = c.trace.outcome.deploys
    assert c.trace.history.label(deploy.shipped) == "f8af4c1"
    assert not deploy.stale
    assert c.trace.outcome.final_correct


def test_workflow_run_counterfactual_timing(f8) -> None:  # type: ignore[no-untyped-def]
    """Build done 23:46:06, +3 s assumed dispatch, +2 s pickup, +32 s prepare: pull 23:46:43."""
    c = counterfactual(f8, "workflow_run")
    (deploy,) = c.trace.outcome.deploys
    assert f8.at(deploy.pull_time) == at("23:46:43")
    assert c.new_code_live_at == at("23:47:01")
    assert c.push_to_live_s == 149.0


def test_every_preset_is_a_counterfactual(f8) -> None:  # type: ignore[no-untyped-def]
    names = [c.strategy for c in f8.counterfactuals]
    for required in ("parallel", "workflow_run", "workflow_run_ungated", "merged_job", "sleep:60"):
        assert required in names


def test_chosen_counterfactuals_only() -> None:
    r = replay(load_incident("f8af4c1"), ["sleep:75", "merged_job"])
    assert [c.strategy for c in r.counterfactuals] == ["sleep:75", "merged_job"]


def test_incident_round_trips_through_toml() -> None:
    incident = load_incident("f8af4c1")
    again = Incident.from_toml(incident.to_toml())
    assert again == incident
    assert again.to_toml() == incident.to_toml()


def test_json_carries_the_contract_keys(f8) -> None:  # type: ignore[no-untyped-def]
    data = f8.to_json()
    assert data["incident"] == "f8af4c1"
    assert {"event", "time", "reproduced_time"} <= set(data["observed"][0])
    assert data["observed"][3] == {
        "event": "deploy.pulled",
        "commit": "f8af4c1",
        "time": "2025-12-03T23:45:06Z",
        "reproduced_time": "2025-12-03T23:45:06Z",
        "matches": True,
        "source": "observed",
    }
    expected = {"meant": "f8af4c1", "shipped": "previous", "stale": True, "pull_margin_s": -40.0}
    assert expected.items() <= data["deploys"][0].items()
    cf = {c["strategy"]: c for c in data["counterfactuals"]}
    assert {"strategy", "deploys", "final_live", "push_to_live_s"} <= set(cf["sleep:60"])
    assert cf["sleep:60"]["deploys"][0]["pull_margin_s"] == 20.0
    assert cf["parallel"]["push_to_live_s"] is None


def test_replay_of_an_edited_incident_reproduces_the_new_times() -> None:
    """Durations come from the file, not from code: a deploy that pulls 44 s later is followed."""
    incident = load_incident("f8af4c1")
    later = {
        "deploy.pulled": "23:45:50",
        "deploy.mirrored": "23:45:55",
        "deploy.live": "23:46:08",
        "deploy.finished": "23:46:30",
    }
    observed = tuple(
        replace(o, time=at(later[o.event])) if o.event in later else o for o in incident.observed
    )
    outcome = ObservedOutcome(live="f8af4c1", deploys=(("f8af4c1", "f8af4c1"),))
    edited = Incident.from_toml(replace(incident, observed=observed, outcome=outcome).to_toml())
    r = replay(edited, [])
    assert r.reproduced, [o for o in r.observed if not o.matches]
    (deploy,) = r.trace.outcome.deploys
    assert deploy.pull_margin == 4.0 and not deploy.stale
    assert {d.duration: d.seconds for d in r.durations}["prepare"] == 76.0


def test_event_time_of_missing_run_is_none() -> None:
    history, _ = derive(load_incident("f8af4c1"))
    from racesim.engine import simulate

    trace = simulate("parallel", history)
    assert event_time(trace, "deploy.created", 5) is None
    assert event_time(trace, "build.finished", 1) == 94.0


def test_epoch_is_utc() -> None:
    assert load_incident("f8af4c1").epoch.tzinfo == UTC
