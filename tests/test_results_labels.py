"""Results you cannot misread: strategy labels, unknown prevention, deploys that shipped nothing."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from racesim import load_incident, replay, run_trials, simulate
from racesim.core.history import Durations, History
from racesim.core.strategy import Strategy
from racesim.errors import InputError
from racesim.incidents import ObservedOutcome
from racesim.incidents.report import replay_report
from racesim.scenarios import load_scenario

QUEUED = Path(__file__).parent / "data" / "queued-deploy.toml"
RUN_GUARDED = Strategy(trigger="workflow_run", guard="tip_of_main")
PUSH_GUARDED = Strategy(trigger="push", guard="tip_of_main")


def test_two_custom_strategies_get_two_rows_labelled_by_their_knobs() -> None:
    results = run_trials(
        load_scenario("f8af4c1"), [RUN_GUARDED, PUSH_GUARDED], trials=3, progress=False
    )
    counts = results["strategy"].value_counts().to_dict()
    assert counts == {RUN_GUARDED.describe(): 3, PUSH_GUARDED.describe(): 3}
    assert RUN_GUARDED.describe() != PUSH_GUARDED.describe()


def test_a_mapping_names_the_strategies() -> None:
    results = run_trials(
        load_scenario("f8af4c1"),
        {"run+tip": RUN_GUARDED, "push+tip": PUSH_GUARDED, "seed": "parallel"},
        trials=2,
        progress=False,
    )
    assert list(dict.fromkeys(results["strategy"])) == ["run+tip", "push+tip", "seed"]


def test_duplicate_labels_are_refused() -> None:
    with pytest.raises(InputError, match=r"'custom: .*' is used twice"):
        run_trials(load_scenario("f8af4c1"), [RUN_GUARDED, RUN_GUARDED], trials=1, progress=False)
    with pytest.raises(InputError, match="'parallel' is used twice"):
        run_trials(load_scenario("f8af4c1"), ["parallel", Strategy()], trials=1, progress=False)


def test_prevents_is_unknown_when_nothing_was_observed() -> None:
    incident = replace(load_incident("f8af4c1"), outcome=ObservedOutcome())
    result = replay(incident, ["parallel", "pinned"])
    assert [c.prevents for c in result.counterfactuals] == [None, None]
    assert result.to_json()["counterfactuals"][0]["prevents"] is None
    rows = [line for line in replay_report(result).splitlines() if line.startswith("parallel")]
    assert "unknown" in rows[0].split()


def test_blocked_deploys_show_their_status_in_the_counterfactual_table() -> None:
    """queued-deploy under ``guarded`` (no queue): a's deploy checks at 10:06:02, after b went
    live at 10:06:00, and is blocked; the table says so instead of a commit."""
    result = replay(load_incident(QUEUED), ["guarded"])
    guarded = result.counterfactuals[0]
    checks = {what: (right, got) for what, right, got in guarded.verdicts}
    # shipping nothing is not shipping the wrong commit: judged right, shown as its status
    assert checks["deploy of a shipped"] == ("blocked", "blocked")
    report = replay_report(result).splitlines()
    header = next(line for line in report if line.startswith("strategy  prevents"))
    row = next(line for line in report if line.startswith("guarded"))
    column = header.index("deploy of a shipped")
    assert row[column:].split()[0] == "blocked"


def test_latest_at_end_lists_only_registries_in_use() -> None:
    h = History.single(Durations(build=10))
    assert simulate(Strategy(trigger="none"), h).outcome.latest_at_end == {"ghcr": 1}
    unmirrored = Strategy(trigger="workflow_run", mirror=False)
    assert simulate(unmirrored, h).outcome.latest_at_end == {"ghcr": 1}
    assert simulate("parallel", h).outcome.latest_at_end == {"ghcr": 1, "artifact-registry": 0}
