"""Timings fitted to run history: measured exactly, fitted by KS, written as a scenario."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from racesim.ingest import StepMap, read_history
from racesim.ingest.synthetic import example_history, write_example_history
from racesim.ingest.timings import Samples, fit, fit_all, measure, scenario_toml
from racesim.plot.ingest import save_fit_plots
from racesim.scenarios.format import Scenario
from racesim.scenarios.timing import HeavyTailed, LogNormal
from tests.helpers import run_cli
from tests.ingest_data import saved

STEPS = ("build_pickup", "build", "push", "build_verify", "dispatch", "deploy_pickup",
         "prepare", "mirror", "rollout", "deploy_verify")  # fmt: skip


def test_measure_gives_back_every_synthetic_duration(tmp_path: Path) -> None:
    _, _, truth = example_history(seed=7, pushes=12)
    history = read_history(write_example_history(tmp_path, seed=7, pushes=12))
    measured = measure(history, build="Build", deploy="Deploy")
    for step in STEPS:
        assert sorted(measured[step].values) == sorted(t[step] for t in truth), step


def test_merged_workflow_measures_the_needs_pickup(tmp_path: Path) -> None:
    _, _, truth = example_history(seed=8, pushes=6, merged=True)
    history = read_history(write_example_history(tmp_path, seed=8, pushes=6, merged=True))
    measured = measure(history, build="Pipeline", deploy="Pipeline")
    assert measured["dispatch"].values == []
    for step in STEPS:
        if step != "dispatch":
            assert sorted(measured[step].values) == sorted(t[step] for t in truth), step


def _samples(values: np.ndarray) -> Samples:
    when = datetime(2026, 1, 1, tzinfo=UTC)
    return Samples("build_pickup", "test", [float(v) for v in values], [when] * len(values))


def test_the_fit_with_the_smaller_ks_statistic_wins() -> None:
    rng = np.random.default_rng(11)
    heavy = HeavyTailed(median=5, p95=60, shift=1).sample(rng, 25)
    chosen = fit(_samples(heavy))
    assert chosen is not None and set(chosen.ks) == {"lognormal", "heavy_tailed"}
    assert chosen.method == min(chosen.ks, key=lambda k: chosen.ks[k])
    light = LogNormal(median=70, p95=90).sample(rng, 25)
    chosen = fit(_samples(light))
    assert chosen is not None and chosen.method == min(chosen.ks, key=lambda k: chosen.ks[k])


def test_lognormal_fit_recovers_its_parameters() -> None:
    values = LogNormal(median=70, p95=95).sample(np.random.default_rng(3), 29)
    chosen = fit(_samples(values))
    assert chosen is not None and chosen.method == "lognormal"
    assert chosen.distribution.quantile(0.5) == pytest.approx(70, rel=0.1)
    assert chosen.distribution.quantile(0.95) == pytest.approx(95, rel=0.15)


def test_enough_samples_are_resampled_and_few_are_fitted() -> None:
    values = np.arange(1.0, 41.0)
    assert fit(_samples(values)).method == "empirical"  # type: ignore[union-attr]
    assert fit(_samples(values), empirical_min=41).method != "empirical"  # type: ignore[union-attr]
    assert fit(_samples(np.full(5, 3.0))).method == "fixed"  # type: ignore[union-attr]
    assert fit(_samples(np.array([]))) is None


def test_scenario_records_counts_dates_and_statistics(tmp_path: Path) -> None:
    history = read_history(write_example_history(tmp_path, seed=4, pushes=20))
    fits = fit_all(measure(history, build="Build", deploy="Deploy"), empirical_min=15)
    text = scenario_toml(fits, sources=["runs.json"])
    scenario = Scenario.from_toml(text, "fitted")
    for step, f in fits.items():
        assert f"# {step}: 20 samples from " in text
        assert scenario.timings[step] == f.distribution
    assert "# input: runs.json" in text and 'base = "f8af4c1"' in text


def test_recorded_jobs_give_pickup_samples(shared_data: Path, tmp_path: Path) -> None:
    paths = saved(
        shared_data, tmp_path, "WorkflowJob.setUp__1", "WorkflowJob.setUp__2",
        "WorkflowRun.setUp__1", "WorkflowRun.test_jobs__1",
    )  # fmt: skip
    measured = measure(read_history(paths), build="CI", steps=StepMap({"push": "Run tests"}))
    # first job started minus run created: 16:03:45 - 16:03:37 and 08:24:28 - 08:24:19
    assert sorted(measured["build_pickup"].values) == [8.0, 9.0]
    assert sorted(measured["push"].values) == [47.0, 52.0]  # the 'Run tests' steps that ran first
    text = scenario_toml(fit_all(measured))
    assert "Not measured (kept from the 'f8af4c1' scenario): dispatch" in text
    Scenario.from_toml(text, "fitted")


def test_cli_timings_then_compare(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = [str(p) for p in write_example_history(tmp_path, seed=9, pushes=30)]
    out = tmp_path / "fitted.toml"
    code, stdout, err = run_cli(
        ["ingest", "timings", *paths, "--build", "Build", "--deploy", "Deploy",
         "--out", str(out), "--plot", str(tmp_path / "plots")],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    assert "build_pickup" in stdout and (tmp_path / "plots" / "fitted-timings.png").is_file()
    code, stdout, err = run_cli(
        ["compare", "--scenario", str(out), "--trials", "40", "--no-progress", "--json"], capsys
    )
    assert code == 0, err
    assert '"strategy": "parallel"' in stdout


def test_cli_timings_without_any_measurable_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runs, _, _ = example_history(seed=1, pushes=2)
    path = tmp_path / "runs.json"
    import json

    path.write_text(json.dumps(runs), "utf-8")  # runs without their jobs
    code, _, err = run_cli(["ingest", "timings", str(path), "--build", "Build"], capsys)
    assert code == 2 and "no step could be measured" in err and err.count("\n") == 1


def test_fit_plot_is_written(tmp_path: Path) -> None:
    history = read_history(write_example_history(tmp_path, seed=2, pushes=10))
    fits = fit_all(measure(history, build="Build", deploy="Deploy"))
    path = save_fit_plots(fits, tmp_path / "plots")
    assert path.stat().st_size > 20_000
