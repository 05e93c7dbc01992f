"""Partial incidents agentstudio-47 and idrac-325: observed outcomes, assumptions, fixes."""

from __future__ import annotations

import pytest

from racesim.cli import main
from racesim.incidents import Incident, builtin_incidents, load_incident, replay


@pytest.mark.parametrize("name", ["agentstudio-47", "idrac-325"])
def test_replays_to_the_observed_outcome(name: str) -> None:
    r = replay(load_incident(name))
    assert r.reproduced, [o for o in r.observed if not o.matches] + list(r.outcome_checks)
    assert r.outcome_checks  # there is an observed outcome to check


@pytest.mark.parametrize("name", builtin_incidents())
def test_builtin_incidents_round_trip(name: str) -> None:
    incident = load_incident(name)
    assert Incident.from_toml(incident.to_toml()) == incident


def test_agentstudio_older_build_pushes_latest_last_and_the_host_runs_it() -> None:
    r = replay(load_incident("agentstudio-47"))
    label = r.history.label
    out = r.trace.outcome
    assert label(out.latest_at_end["registry"]) == "#45"
    assert label(out.final_live) == "#45" and label(out.newest_built) == "#46"
    (host,) = out.deploys
    assert (host.cause, label(host.meant), label(host.shipped), host.stale) == (
        "dispatch",
        "#46",
        "#45",
        True,
    )
    latest = [
        (e.time, label(e.image)) for e in r.trace.events if e.kind == "write" and e.ref == "latest"
    ]
    assert [c for _, c in latest] == ["#44", "#46", "#45"]
    assert latest[2][0] - latest[1][0] == 24.0  # #45 pushed 24 s after #46


def test_agentstudio_states_its_assumptions() -> None:
    r = replay(load_incident("agentstudio-47"))
    assumed_times = {what for what, _, _ in r.assumed_times}
    assert assumed_times == {"push of #44", "push of #45", "push of #46", "dispatch"}
    assumed = {(d.commit, d.duration) for d in r.assumptions}
    assert ("#44", "build") in assumed and ("#46", "rollout") in assumed
    sources = {(d.commit, d.duration): d.source for d in r.durations}
    assert sources[("#45", "build")] == sources[("#46", "build")] == "derived"
    text = r.to_json()
    assert {a["what"] for a in text["assumed_times"]} == assumed_times


def test_agentstudio_which_strategies_prevent_it() -> None:
    r = replay(load_incident("agentstudio-47"))
    prevents = {c.strategy: c.prevents for c in r.counterfactuals}
    assert prevents["cancel_superseded_builds"]  # the fix that was applied
    assert prevents["cancel_superseded"]
    assert not prevents["workflow_run"]  # the seed's fix would not have helped
    assert not prevents["pinned"]  # deploys ship their own commit, :latest still ends on #45


def test_idrac_registries_disagree_after_a_check_then_act_window() -> None:
    r = replay(load_incident("idrac-325"))
    label = r.history.label
    out = r.trace.outcome
    assert {reg: label(c) for reg, c in out.latest_at_end.items()} == {
        "dockerhub": "v1.75",
        "ghcr": "v1.74",
    }
    guards = {
        label(e.commit): (r.at(e.time).strftime("%H:%M:%S"), e.detail)
        for e in r.trace.events
        if e.kind == "guard"
    }
    assert guards["v1.74"] == ("18:07:32", "pass")  # nothing newer than v1.72 is out yet
    assert all(detail == "pass" for _, detail in guards.values())


def test_idrac_which_strategies_prevent_it() -> None:
    r = replay(load_incident("idrac-325"))
    prevents = {c.strategy: c.prevents for c in r.counterfactuals}
    assert prevents["cancel_superseded_publishes"]
    assert not prevents["no_publish_guard"]
    assert not prevents["workflow_run"]


def test_cli_accepts_incident_alternatives(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", "idrac-325", "--strategy", "cancel_superseded_publishes", "--json"]) == 0
    import json

    data = json.loads(capsys.readouterr().out)
    (cf,) = data["counterfactuals"]
    assert cf["strategy"] == "cancel_superseded_publishes" and cf["prevents"] is True
    assert cf["latest_at_end"] == {"dockerhub": "v1.75", "ghcr": "v1.75"}
