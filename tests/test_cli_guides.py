"""The command line guides its user: fast help, --version, "did you mean", exit statuses,
a recommendation after compare and matrix, next steps after the demo."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from helpers import run_cli as run

import racesim
from racesim.cli import COMMANDS, build_parser
from racesim.cli._names import (
    AUDIT_TRIALS,
    ENGINE_NAMES,
    MATRIX_CELL_TRIALS,
    PROPERTY_NAMES,
    SITUATION_NAMES,
    STEP_ROLES,
    SWEEP_KNOBS,
    incident_names,
    scenario_names,
    with_flags,
)
from racesim.cli.demo import next_steps
from racesim.errors import InputError
from racesim.studies.recommend import recommend

HEAVY = ("numpy", "pandas", "matplotlib", "simpy", "hypothesis", "scipy")


def test_the_names_in_the_help_are_the_librarys() -> None:
    """The help lists names without importing the library; they must be the library's own."""
    from racesim.audit.judge import FAST_TRIALS as AUDIT_FAST
    from racesim.audit.judge import SIMPY_TRIALS as AUDIT_SIMPY
    from racesim.incidents import builtin_incidents
    from racesim.ingest.steps import ROLES
    from racesim.scenarios import builtin_scenarios
    from racesim.studies.matrix import FAST_CELL_TRIALS, SIMPY_CELL_TRIALS, SITUATIONS
    from racesim.studies.sweep import SWEEP_ALIASES
    from racesim.studies.trials import ENGINES
    from racesim.testing import PROPERTIES

    assert tuple(PROPERTIES) == PROPERTY_NAMES
    assert tuple(SITUATIONS) == SITUATION_NAMES
    assert (FAST_CELL_TRIALS, SIMPY_CELL_TRIALS) == MATRIX_CELL_TRIALS
    assert (AUDIT_FAST, AUDIT_SIMPY) == AUDIT_TRIALS
    assert tuple(SWEEP_ALIASES) == SWEEP_KNOBS
    assert scenario_names() == builtin_scenarios()
    assert incident_names() == builtin_incidents()
    assert ROLES == STEP_ROLES
    assert ENGINE_NAMES == ENGINES


@pytest.mark.parametrize("argv", [["--help"], *[[name, "--help"] for name in COMMANDS]])
def test_help_imports_no_heavy_module(argv: list[str]) -> None:
    """``--help`` must answer at once: it may not import NumPy, pandas, matplotlib, SimPy..."""
    code = (
        "import sys\nfrom racesim.cli import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules], file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "usage: racesim" in done.stdout
    assert done.stderr.strip().splitlines()[-1] == "[]"


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--version"], capsys)
    assert code == 0 and out.strip() == f"racesim {racesim.__version__}"


@pytest.mark.parametrize(
    ("argv", "hint"),
    [
        (["compre"], "did you mean 'compare'?"),
        (["replay", "f8af4c1", "--strategy", "workflow_rn"], "did you mean 'workflow_run'?"),
        (["compare", "--strategy", "pined", "--trials", "5"], "did you mean 'pinned'?"),
        (["check", "paralel"], "did you mean 'parallel'?"),
        (["check", "pinned", "--property", "ends_on_newst"], "did you mean 'ends_on_newest'?"),
    ],
)
def test_did_you_mean(argv: list[str], hint: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(argv, capsys)
    assert code == 2 and err.count("\n") == 1 and hint in err, err


def test_no_suggestion_for_a_word_far_from_every_name(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["frobnicate"], capsys)
    assert code == 2 and "did you mean" not in err and "expected one of replay" in err


@pytest.mark.parametrize("name", COMMANDS)
def test_every_help_states_its_exit_statuses(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run([name, "--help"], capsys)
    assert code == 0
    assert "exit status: 0" in " ".join(out.split()) and "2 bad input" in " ".join(out.split())


def test_check_help_says_one_means_a_counterexample(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(["check", "--help"], capsys)
    assert "1 a counterexample was found" in " ".join(out.split())


def test_the_demos_next_steps_are_valid_commands(tmp_path: Path) -> None:
    """Every ``racesim ...`` line the demo suggests parses (no stale advice)."""
    text = next_steps(tmp_path)
    assert str(tmp_path / "f8af4c1-timeline.png") in text
    commands = [line.split("  ")[1] for line in text.splitlines() if line.startswith("  racesim ")]
    assert len(commands) >= 3
    parser = build_parser()
    for line in commands:
        parser.parse_args(shlex.split(line)[1:])


def _summary(rows: list[tuple[str, float, float, float, float]]) -> pd.DataFrame:
    """A summary with (strategy, p_stale_high, p_final_wrong_high, p_regression_high, cost)."""
    return pd.DataFrame(
        [
            {
                "strategy": s,
                "trials": 1000,
                "p_stale_high": a,
                "p_final_wrong_high": b,
                "p_regression_high": c,
                # the measured shares: none seen when the upper limit is that of 0 in 1000
                "p_stale": 0.0 if a <= 0.004 else a / 2,
                "p_final_wrong": 0.0 if b <= 0.004 else b / 2,
                "p_regression": 0.0 if c <= 0.004 else c / 2,
                "push_to_live_median_s": cost,
            }
            for s, a, b, c, cost in rows
        ]
    )


def test_recommend_picks_the_quickest_safe_strategy() -> None:
    summary = _summary(
        [
            ("parallel", 0.9, 0.1, 0.0, 100.0),  # quickest, unsafe
            ("slow_safe", 0.001, 0.002, 0.0, 300.0),
            ("quick_safe", 0.004, 0.003, 0.0, 200.0),
            ("almost", 0.004, 0.02, 0.0, 150.0),  # wrong end too often
        ]
    )
    rec = recommend(summary, 0.01)
    assert rec.strategy == "quick_safe" and rec.cost_s == 200.0
    assert rec.risk == 0.004 and rec.worst_rate == "stale"
    assert rec.runner_up == ("slow_safe", 300.0)
    assert "quick_safe" in rec.text() and "0.40%" in rec.text() and "200 s" in rec.text()
    # a looser bound lets the quicker one in
    assert recommend(summary, 0.05).strategy == "almost"


def test_recommend_says_when_nothing_qualifies() -> None:
    summary = _summary([("a", 0.2, 0.0, 0.0, 10.0), ("b", 0.05, 0.03, 0.0, 20.0)])
    rec = recommend(summary, 0.01)
    assert rec.strategy is None and rec.safest == "b" and rec.risk == 0.05
    assert "no strategy is shown below 1.00%" in rec.text() and "raise `max_risk`" in rec.text()
    # the command line shows the flag
    assert "raise --max-risk to see" in with_flags(rec.text())


def test_recommend_asks_for_more_trials_when_nothing_was_seen_to_fail() -> None:
    """0 events in 1000 trials: the upper limit 0.38% is above a 0.1% bound; ~3,838 trials do."""
    summary = _summary([("a", 0.0038, 0.0038, 0.0038, 10.0)])
    rec = recommend(summary, 0.001)
    assert rec.strategy is None and rec.observed == 0
    assert "run about 3,838 `trials`" in rec.text() and "run about 3,838 `trials`" in rec.line()
    assert "run about 3,838 --trials" in with_flags(rec.line())


def test_recommend_over_a_matrix_takes_the_worst_situation() -> None:
    one = _summary([("x", 0.0, 0.0, 0.0, 50.0), ("y", 0.0, 0.0, 0.0, 90.0)])
    burst = _summary([("x", 0.3, 0.0, 0.0, 70.0), ("y", 0.0, 0.0, 0.0, 95.0)])
    matrix = pd.concat([one.assign(situation="one push"), burst.assign(situation="burst")])
    rec = recommend(matrix, 0.01)
    assert rec.strategy == "y" and rec.cost_s == 90.0  # the cost is the first situation's


def test_recommend_rejects_a_bad_bound() -> None:
    with pytest.raises(InputError, match="max_risk"):
        recommend(_summary([("a", 0, 0, 0, 1)]), 1.5)


def test_compare_ends_with_a_recommendation(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["compare", "--trials", "200", "--no-progress", "--strategy", "parallel"]
    code, out, _ = run([*argv, "--strategy", "cancel_superseded", "--max-risk", "5%"], capsys)
    assert code == 0
    assert "Recommendation: cancel_superseded" in out and "below 5.00%" in out
    assert "over sampled timings" in out and "racesim replay" in out  # why replay may differ
    code, out, _ = run([*argv, "--json"], capsys)
    assert code == 0 and json.loads(out)[0]["strategy"] == "parallel"


@pytest.mark.parametrize("bad", ["2", "-0.1", "lots"])
def test_max_risk_must_be_a_probability(bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["compare", "--max-risk", bad], capsys)
    assert code == 2 and "--max-risk" in err and err.count("\n") == 1


def test_matrix_ends_with_a_recommendation_per_situation(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["matrix", "--trials", "30", "--no-progress", "--strategy", "parallel"]
    code, out, _ = run([*argv, "--strategy", "cancel_superseded", "--max-risk", "0.5"], capsys)
    assert code == 0
    assert "in every situation" in out and "Per situation" in out
    from racesim.studies.matrix import SITUATIONS

    for situation in SITUATIONS:
        assert f"\n  {situation}: " in out, situation
    assert "  one push: cancel_superseded (" in out  # parallel always ships stale on one push
