"""``racesim compare``, ``racesim sweep`` and the full ``racesim demo``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import run_cli as run


def test_compare_jobs_1_and_2_print_the_same(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["compare", "--trials", "300", "--seed", "9", "--no-progress"]
    code1, one, _ = run(base, capsys)
    code2, two, _ = run([*base, "--jobs", "2"], capsys)
    assert code1 == code2 == 0
    assert one == two
    for name in ("parallel", "workflow_run", "merged_job", "sleep:60"):
        assert f"\n{name} " in one


def test_compare_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        [
            "compare",
            "--trials",
            "50",
            "--json",
            "--no-progress",
            "--strategy",
            "parallel",
            "--strategy",
            "sleep:90",
        ],
        capsys,
    )
    assert code == 0
    rows = json.loads(out)
    assert [r["strategy"] for r in rows] == ["parallel", "sleep:90"]
    for r in rows:
        assert {
            "strategy",
            "trials",
            "p_stale",
            "p_stale_low",
            "p_stale_high",
            "push_to_live_median_s",
        } <= set(r)
        assert r["trials"] == 50 and r["p_stale_low"] <= r["p_stale"] <= r["p_stale_high"]
    assert rows[0]["push_to_live_median_s"] is None  # parallel: most pushes never go live


def test_compare_writes_plots(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run(
        ["compare", "--trials", "40", "--no-progress", "--plot", str(tmp_path)], capsys
    )
    assert code == 0
    for name in ("stale-probability.png", "push-to-live-ecdf.png", "cost-vs-safety.png"):
        assert (tmp_path / name).stat().st_size > 10_000


def test_sweep_json_and_plot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        [
            "sweep",
            "sleep",
            "0:120:60",
            "--trials",
            "40",
            "--json",
            "--no-progress",
            "--plot",
            str(tmp_path),
        ],
        capsys,
    )
    assert code == 0
    rows = json.loads(out)
    assert [(r["value"], r["strategy"]) for r in rows] == [
        (0.0, "parallel"),
        (60.0, "parallel"),
        (120.0, "parallel"),
    ]
    assert (tmp_path / "sweep-sleep.png").exists()


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["compare", "--trials", "0"], "--trials: expected a whole number >= 1"),
        (["compare", "--jobs", "two"], "--jobs: expected a whole number"),
        (["compare", "--strategy", "fast"], "--strategy: unknown strategy 'fast'"),
        (["compare", "--scenario", "nowhere.toml"], "neither a built-in scenario"),
        (["sweep", "sleep", "0:60"], "START:STOP:STEP"),
        (["sweep", "colour", "1:2:1", "--trials", "2"], "cannot sweep 'colour'"),
    ],
)
def test_bad_arguments(argv: list[str], fragment: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(argv, capsys)
    assert code == 2
    assert err.count("\n") == 1 and fragment in err


def test_full_demo_writes_everything(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        [
            "demo",
            "--out",
            str(tmp_path),
            "--trials",
            "100",
            "--sweep-trials",
            "30",
            "--no-progress",
        ],
        capsys,
    )
    assert code == 0
    expected = {
        "f8af4c1-timeline.png",
        "f8af4c1-counterfactuals.png",
        "stale-probability.png",
        "sleep-sweep.png",
        "sleep-sweep-log.png",
        "push-to-live-ecdf.png",
        "cost-vs-safety.png",
        "summary.csv",
        "summary.json",
        "summary.txt",
        "replay.json",
        "sleep-sweep.csv",
    }
    assert expected <= {p.name for p in tmp_path.iterdir()}
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert [r["strategy"] for r in summary] == [
        "parallel",
        "workflow_run",
        "merged_job",
        "sleep:60",
    ]
    assert "Sleep sweep" in out


def test_sweep_exact_adds_the_exact_values_and_curve(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import racesim

    argv = ["sweep", "sleep", "0,60", "--trials", "400", "--exact", "--no-progress"]
    code, out, _ = run([*argv, "--json", "--plot", str(tmp_path)], capsys)
    assert code == 0
    rows = json.loads(out)
    expected = racesim.exact_sweep(racesim.load_scenario("f8af4c1"), "sleep", [0, 60])
    assert [r["p_stale_exact"] for r in rows] == expected["p_stale_exact"].tolist()
    assert all(r["exact_error_bound"] < 1e-5 for r in rows)
    assert (tmp_path / "sweep-sleep.png").stat().st_size > 10_000
    code, table, _ = run(argv, capsys)
    assert code == 0 and "exact (one push, by convolution)" in table


def test_sweep_exact_refuses_several_pushes(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["sweep", "sleep", "0,9", "--scenario", "burst-of-5", "--exact", "--trials", "2"]
    code, _, err = run([*argv, "--no-progress"], capsys)
    assert code == 2 and "exact answers need one push" in err and len(err.splitlines()) == 1


@pytest.mark.parametrize(
    ("argv", "points", "expected"),
    [
        (["compare"], 4, 100_000),  # one push: the fast path decides every trial
        (["compare", "--engine", "simpy"], 4, 2000),
        (["compare", "--scenario", "burst-of-5"], 4, 100_000),  # the multi-push fast path
        (["compare", "--scenario", "rerun-old-build"], 4, 100_000),  # re-runs too
        # the multi-push fast path refuses reconcile_latest: SimPy decides it
        (["compare", "--scenario", "burst-of-5", "--strategy", "reconcile_latest"], 4, 2000),
        (["compare", "--scenario", "f8af4c1", "--strategy", "reconcile_latest"], 4, 100_000),
        (["compare", "--trials", "7"], 4, 7),
        (["sweep", "sleep", "0:10:1"], 11, 100_000),
        (["sweep", "sleep", "0:10:1"], 200, 25_000),  # capped by the row limit
        (["sweep", "sleep", "0:10:1", "--scenario", "burst-of-5"], 11, 100_000),
        (
            [
                "sweep",
                "sleep",
                "0,9",
                "--scenario",
                "failed-build",
                "--strategy",
                "reconcile_latest",
            ],
            2,
            500,
        ),
    ],
)
def test_trials_default_to_many_where_the_fast_path_decides(
    argv: list[str], points: int, expected: int
) -> None:
    """The fast default wherever the fast path decides every trial under every chosen strategy;
    a strategy it refuses (reconcile_latest runs on SimPy) keeps the SimPy-sized default."""
    from racesim.cli import build_parser
    from racesim.cli._common import trials_for
    from racesim.scenarios import load_scenario
    from racesim.studies.trials import chosen_strategies

    args = build_parser().parse_args(argv)
    scenario = load_scenario(args.scenario)
    chosen = [s for _, s in chosen_strategies(args.strategy, scenario)]
    assert trials_for(args, [scenario], points, chosen) == expected
