"""The safety matrix: verdicts that match the mechanisms, the CLI, the heatmap."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from racesim.cli import main
from racesim.plot import plot_safety_matrix
from racesim.scenarios import load_scenario
from racesim.studies.matrix import SITUATIONS, matrix_table, safety_matrix, trials_text

STRATEGIES = [
    "parallel",
    "workflow_run",
    "pinned",
    "pinned_serialized",
    "cancel_superseded",
    "guarded",
]


@pytest.fixture(scope="module")
def matrix() -> pd.DataFrame:
    return safety_matrix(STRATEGIES, trials=150, seed=3, progress=False)


def cell(matrix: pd.DataFrame, situation: str, strategy: str, rate: str) -> float:
    return float(matrix_table(matrix, rate).loc[strategy, situation])


def test_every_situation_is_a_builtin_scenario() -> None:
    for scenario in SITUATIONS.values():
        load_scenario(scenario)


def test_shape(matrix: pd.DataFrame) -> None:
    assert len(matrix) == len(STRATEGIES) * len(SITUATIONS)
    assert list(dict.fromkeys(matrix["situation"])) == list(SITUATIONS)
    assert set(matrix["trials"]) == {150}
    assert trials_text(matrix) == "150 trials per cell"


def test_verdicts_match_the_mechanisms(matrix: pd.DataFrame) -> None:
    """What the hand-built histories show, seen again over sampled timings."""
    # parallel deploys stale code on one push; the seed's fix does not
    assert cell(matrix, "one push", "parallel", "stale") > 0.9
    assert cell(matrix, "one push", "workflow_run", "stale") == 0
    # out-of-order builds: workflow_run ships stale code and ends wrong
    assert cell(matrix, "two pushes, out of order", "workflow_run", "stale") > 0.5
    assert cell(matrix, "two pushes, out of order", "workflow_run", "final_wrong") > 0.5
    # pinning fixes identity but not freshness, serialized or not
    for pinned in ("pinned", "pinned_serialized"):
        assert cell(matrix, "two pushes, out of order", pinned, "stale") == 0
        assert cell(matrix, "two pushes, out of order", pinned, "final_wrong") > 0.5
    # cancelling superseded builds holds in every push-only situation
    for situation in ("one push", "two pushes, out of order", "burst of 5", "failed build"):
        for rate in ("stale", "final_wrong", "regression"):
            assert cell(matrix, situation, "cancel_superseded", rate) == 0, (situation, rate)
    # ... but a re-run of an old build rolls production back through it
    assert cell(matrix, "re-run of an old build", "cancel_superseded", "regression") > 0.9
    # the guard blocks most old deploys; its check-then-act window lets some through
    assert 0 < cell(matrix, "two pushes, out of order", "guarded", "final_wrong") < 0.5
    assert cell(matrix, "re-run of an old build", "guarded", "final_wrong") < 0.5


def test_same_seed_same_matrix(matrix: pd.DataFrame) -> None:
    again = safety_matrix(STRATEGIES, trials=150, seed=3, progress=False)
    pd.testing.assert_frame_equal(matrix, again)


def test_default_trials_follow_the_engine() -> None:
    """By default a cell the fast path decides gets FAST_CELL_TRIALS, one only SimPy decides
    (reconcile_latest with several pushes) SIMPY_CELL_TRIALS; each cell is what run_trials gives
    for its own trial count, whatever ran beside it, and the heading says which had fewer."""
    from racesim.studies.matrix import FAST_CELL_TRIALS, SIMPY_CELL_TRIALS
    from racesim.studies.summary import summarize
    from racesim.studies.trials import run_trials

    assert FAST_CELL_TRIALS >= 38_416  # a 95% interval of at most +-0.5 points
    situations = {"one push": "f8af4c1", "two pushes": "two-pushes-out-of-order"}
    chosen = ["reconcile_latest", "workflow_run"]
    matrix = safety_matrix(chosen, situations, seed=2, progress=False)
    assert list(matrix["strategy"]) == chosen * 2  # the order asked for, whatever ran first
    counts = {(r["situation"], r["strategy"]): r["trials"] for _, r in matrix.iterrows()}
    assert counts == {
        ("one push", "reconcile_latest"): FAST_CELL_TRIALS,
        ("one push", "workflow_run"): FAST_CELL_TRIALS,
        ("two pushes", "reconcile_latest"): SIMPY_CELL_TRIALS,
        ("two pushes", "workflow_run"): FAST_CELL_TRIALS,
    }
    expected = summarize(
        run_trials(
            load_scenario("two-pushes-out-of-order"),
            ["reconcile_latest"],
            trials=SIMPY_CELL_TRIALS,
            seed=2,
            progress=False,
        )
    )
    got = matrix[matrix["situation"] == "two pushes"].iloc[[0]].drop(columns="situation")
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected)
    assert trials_text(matrix) == (
        f"{FAST_CELL_TRIALS:,} trials per cell ({SIMPY_CELL_TRIALS:,} in the cell only the "
        "SimPy engine decides: reconcile_latest)"
    )
    assert trials_text(matrix, short=True) == (
        f"{FAST_CELL_TRIALS:,} trials per cell, {SIMPY_CELL_TRIALS:,} in 1 cell"
    )


def test_heatmaps(matrix: pd.DataFrame) -> None:
    axes = plot_safety_matrix(matrix)
    assert [ax.get_title() for ax in axes] == ["P(stale)", "P(final wrong)", "P(regression)"]
    assert [t.get_text() for t in axes[0].get_yticklabels()] == STRATEGIES
    assert len(axes[0].texts) == len(STRATEGIES) * len(SITUATIONS)
    plt.close(axes[0].figure)


def test_cli_matrix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "matrix.png"
    args = [
        "matrix",
        "--trials",
        "40",
        "--no-progress",
        "--strategy",
        "workflow_run",
        "--strategy",
        "cancel_superseded",
    ]
    assert main([*args, "--plot", str(path)]) == 0
    out = capsys.readouterr().out
    assert "P(final wrong)" in out and "cancel_superseded" in out and "burst of 5" in out
    assert path.stat().st_size > 10_000
    assert main([*args, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 2 * len(SITUATIONS)
    assert {"situation", "strategy", "p_stale", "p_final_wrong_low", "p_regression_high"} <= set(
        rows[0]
    )
    assert main([*args, "--markdown"]) == 0
    assert "| strategy | one push |" in capsys.readouterr().out
