"""``racesim check``: one search with its explanation and picture, the verdict table, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import run_cli as run
from hypothesis import given, settings

from racesim.core.history import History
from racesim.core.strategy import PRESETS
from racesim.testing import PROPERTIES
from racesim.verify.generators import histories


def test_check_prints_a_two_push_counterexample_and_writes_its_timeline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cx.png"
    code, out, _ = run(
        ["check", "workflow_run", "--property", "ends_on_newest", "--plot", str(path)], capsys
    )
    assert code == 1  # the property is broken
    assert "workflow_run / ends_on_newest: BREAKS" in out
    assert "Counterexample: 2 pushes" in out
    assert (
        "B's deploy pulls latest" in out
        and "So production ends on A although B is the newest" in out
    )
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_check_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        ["check", "parallel", "--property", "never_stale", "--pushes", "1", "--json"], capsys
    )
    assert code == 1
    data = json.loads(out)
    assert {"strategy", "property", "counterexample", "examples"} <= set(data)
    assert set(data["counterexample"]) == {"pushes", "durations", "explanation", "ties"}
    assert data["counterexample"]["pushes"] == [{"commit": "A", "time": 0.0}]
    code, out, _ = run(
        ["check", "pinned", "--property", "ships_what_it_claims", "--max-examples", "30", "--json"],
        capsys,
    )
    data = json.loads(out)
    assert code == 0 and data["counterexample"] is None and data["examples"] >= 30


def test_check_exhaustive_reports_the_count(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        [
            "check",
            "workflow_run",
            "--property",
            "never_stale",
            "--pushes",
            "1",
            "--max-examples",
            "20",
            "--exhaustive",
            "--json",
        ],
        capsys,
    )
    data = json.loads(out)
    # with two pushes on the grid, the mutable tag breaks never_stale: the exhaustive check finds it
    assert data["counterexample"] is None
    assert data["exhaustive"]["counterexample"] is not None and data["exhaustive"]["checked"] > 0
    assert code == 1


def test_check_all_prints_the_verdict_table(capsys: pytest.CaptureFixture[str]) -> None:
    """Proofs first: each cell says how it was decided, and the legend gives the bounds."""
    code, out, err = run(["check", "--all", "--max-examples", "15", "--progress"], capsys)
    assert code == 0
    assert "check --all" in err  # the progress bar, asked for: stderr is not a terminal here
    for name in PRESETS:
        assert f"\n{name} " in out
    assert "decided by racesim prove" in out and "build=1..180" in out
    assert "counterexample (1 push)" in out and "proved" in out
    # a preset the encoding does not cover is searched instead, and the legend says so
    rows = {line.split()[0]: line for line in out.splitlines() if line.split()[:1] != []}
    assert "holds (0 in" in rows["reconcile_latest"] or "breaks (" in rows["reconcile_latest"]
    assert "sampled: found by search" in out
    for name in PRESETS:
        if name != "reconcile_latest":
            assert "holds (0 in" not in rows[name] and "breaks (" not in rows[name]


def test_check_all_sampled_keeps_the_search(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["check", "--all", "--sampled", "--max-examples", "15"], capsys)
    assert code == 0
    assert "ends_on_newest" in out and "breaks (1 push)" in out and "holds (0 in" in out
    assert "racesim prove" not in out


def test_check_without_property_checks_all_four(capsys: pytest.CaptureFixture[str]) -> None:
    """Every property is searched; the exit status is 1 because one of them breaks."""
    code, out, _ = run(["check", "pinned", "--max-examples", "15", "--json"], capsys)
    data = json.loads(out)
    assert [d["property"] for d in data] == list(PROPERTIES)
    broken = [d["property"] for d in data if d["counterexample"] is not None]
    assert "ships_what_it_claims" not in broken  # a pinned deploy ships the commit it names
    assert code == (1 if broken else 0)
    code, out, _ = run(["check", "pinned", "--max-examples", "15"], capsys)
    for name in PROPERTIES:
        assert f"pinned / {name}: " in out
    assert "pushes to main only" in out  # the history space is said


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["check", "workflow_run", "--property", "fast"], "unknown property 'fast'"),
        (["check", "workflow_run", "--property", "never_stal"], "did you mean 'never_stale'?"),
        (["check"], "give a strategy to check (or --all for every preset)"),
        (["check", "yolo", "--property", "never_stale"], "STRATEGY: unknown strategy 'yolo'"),
        (["check", "pinned", "--property", "never_stale", "--max-examples", "0"], "--max-examples"),
    ],
)
def test_bad_arguments(argv: list[str], fragment: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(argv, capsys)
    assert code == 2 and err.count("\n") == 1 and fragment in err


def test_reruns_widen_the_history_space(capsys: pytest.CaptureFixture[str]) -> None:
    """A verdict on pushes alone says so and names --reruns; with it the search covers re-runs.

    (cancel_superseded is not the example: it goes backwards on pushes alone, an older deploy
    dispatched after a newer one queuing last, as prove shows and the search now finds.)
    """
    argv = ["check", "pinned", "--property", "never_stale", "--max-examples", "60"]
    code, out, _ = run(argv, capsys)
    assert code == 0 and "pushes to main only" in out and "--reruns N" in out
    code, out, _ = run([*argv, "--reruns", "1"], capsys)
    assert code == 0 and "up to 1 re-runs of earlier builds" in out
    broken = ["check", "cancel_superseded", "--property", "never_regresses", "--max-examples", "60"]
    code, out, _ = run(broken, capsys)
    assert code == 1 and "moved back" in out


@settings(max_examples=40, deadline=None)
@given(histories(2, reruns=2, dispatches=1))
def test_generated_reruns_and_dispatches_are_well_formed(history: History) -> None:
    assert len(history.reruns) <= 2 and len(history.dispatches) <= 1
    for rerun in history.reruns:
        assert 1 <= rerun.commit <= history.commits
        assert rerun.time > history.pushes[rerun.commit - 1].time
    for dispatch in history.dispatches:
        assert dispatch.time >= history.pushes[-1].time
