"""Scenario files: the built-in f8af4c1 scenario, round trips, schedules, and bad files."""

from __future__ import annotations

import itertools
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from racesim.cli import main
from racesim.errors import InputError
from racesim.scenarios import Burst, Explicit, Poisson, Scenario, Single, load_scenario
from racesim.scenarios.format import RerunSpec
from racesim.scenarios.timing import Fixed, LogNormal, Uniform

F8 = (resources.files("racesim.scenarios") / "f8af4c1.toml").read_text()


def test_builtin_scenario_centres_on_the_incident() -> None:
    s = load_scenario("f8af4c1")
    assert s.timings["build"].quantile(0.5) == pytest.approx(72)
    assert s.timings["prepare"].quantile(0.5) == pytest.approx(32)
    assert s.timings["mirror"].quantile(0.5) == pytest.approx(5)
    assert s.timings["rollout"].quantile(0.5) == pytest.approx(13)
    assert s.timings["build_verify"].quantile(0.5) == pytest.approx(20)
    assert s.timings["deploy_verify"].quantile(0.5) == pytest.approx(22)
    assert s.strategies == ("parallel", "workflow_run", "merged_job", "sleep:60")
    assert isinstance(s.pushes, Single)


@pytest.mark.parametrize(
    "scenario",
    [
        load_scenario("f8af4c1"),
        Scenario(
            "burst",
            "two quick pushes",
            {"build": LogNormal(60, p95=90)},
            Burst(2, Uniform(5, 30)),
            build_failure=0.1,
            strategies=("pinned", "cancel_superseded"),
        ),
        Scenario("poisson", "", {"prepare": 7}, Poisson(12, 1800)),
        Scenario(
            "list",
            "",
            {},
            Explicit((0, 10, 10)),
            reruns=(RerunSpec(1, Fixed(600)),),
            dispatches=(Uniform(100, 200),),
        ),
    ],
    ids=["builtin", "burst", "poisson", "list"],
)
def test_round_trip(scenario: Scenario, tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(scenario.to_toml())
    assert load_scenario(path) == scenario


def test_schedules() -> None:
    rng = np.random.default_rng(0)
    assert Single().times(rng) == [0.0]
    burst = Burst(3, Fixed(10)).times(rng)
    assert burst == [0.0, 10.0, 20.0]
    poisson = Poisson(rate_per_hour=60, window=3600).times(np.random.default_rng(3))
    assert poisson[0] == 0 and all(b >= a for a, b in itertools.pairwise(poisson))
    assert 30 < len(poisson) < 100 and poisson[-1] <= 3600
    assert Explicit((0, 10)).times(rng) == [0.0, 10.0]


def test_sampled_histories_follow_the_scenario() -> None:
    s = Scenario(
        timings={"build": Fixed(40), "prepare": Uniform(1, 2)},
        pushes=Burst(2, Fixed(7)),
        build_failure=1.0,
        reruns=(RerunSpec(2, Fixed(300)),),
    )
    h = s.sample(np.random.default_rng(0))
    assert [p.time for p in h.pushes] == [0.0, 7.0]
    assert all(p.durations.build == 40 and p.durations.build_fails for p in h.pushes)
    assert all(1 <= p.durations.prepare <= 2 for p in h.pushes)
    assert [(r.time, r.commit) for r in h.reruns] == [(300.0, 2)]


def test_with_param() -> None:
    s = load_scenario("f8af4c1")
    assert s.with_param("timings.build.median", 90).timings["build"] == LogNormal(90, p95=95)
    assert s.with_param("timings.registry_lag", 4).timings["registry_lag"] == Fixed(4)
    assert s.with_param("build_failure", 0.5).build_failure == 0.5
    burst = Scenario(pushes=Burst(2, LogNormal(10, p95=30)))
    assert burst.with_param("pushes.count", 5).pushes == Burst(5, LogNormal(10, p95=30))
    assert burst.with_param("pushes.gap.median", 20).pushes == Burst(2, LogNormal(20, p95=30))
    with pytest.raises(InputError, match="unknown step 'compile'"):
        s.with_param("timings.compile.median", 3)


def edit(old: str, new: str) -> str:
    assert old in F8, old
    return F8.replace(old, new, 1)


BAD = [
    pytest.param(edit('name = "f8af4c1"\n', ""), "name", "missing", id="missing-name"),
    pytest.param(
        edit("[timings.build]", "[timings.compile]"),
        "timings.compile",
        "unknown step",
        id="unknown-step",
    ),
    pytest.param(
        edit("median = 72\np95 = 95", "median = 72\np95 = 60"),
        "timings.build.p95",
        "above the median",
        id="p95-below-median",
    ),
    pytest.param(
        edit("median = 32\np95 = 45", "median = -32\np95 = 45"),
        "timings.prepare.median",
        ">",
        id="negative",
    ),
    pytest.param(
        edit('"sleep:60"]', '"sleep:sixty"]'), "strategies[3]", "sleep:SECONDS", id="bad-strategy"
    ),
    pytest.param(
        edit('"merged_job"', '"merge_job"'),
        "strategies[2]",
        "unknown strategy",
        id="unknown-strategy",
    ),
    pytest.param(
        edit("build_failure = 0.0", "build_failure = 1.5"),
        "build_failure",
        "between 0 and 1",
        id="probability",
    ),
    pytest.param(
        edit('schedule = "single"', 'schedule = "burst"\ncount = 2'),
        "pushes.gap",
        "missing",
        id="burst-without-gap",
    ),
    pytest.param(
        edit('schedule = "single"', 'schedule = "hourly"'),
        "pushes.schedule",
        "expected one of",
        id="unknown-schedule",
    ),
    pytest.param(
        edit('dist = "uniform"', 'dist = "uniformish"'),
        "timings.dispatch.dist",
        "expected one of",
        id="unknown-dist",
    ),
    pytest.param(
        edit("build_failure = 0.0", "build_failure = 0.0\nbuild_failures = 1"),
        "build_failures",
        "unknown field",
        id="typo",
    ),
]


@pytest.mark.parametrize(("text", "field", "fragment"), BAD)
def test_bad_scenario_names_file_and_field(
    tmp_path: Path, text: str, field: str, fragment: str
) -> None:
    path = tmp_path / "s.toml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert (info.value.source, info.value.field) == (str(path), field)
    assert fragment in info.value.problem


@pytest.mark.parametrize(("text", "field", "fragment"), BAD)
def test_cli_bad_scenario_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, field: str, fragment: str
) -> None:
    path = tmp_path / "s.toml"
    path.write_text(text)
    assert main(["compare", "--scenario", str(path), "--trials", "5", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(path) in err and field in err and fragment in err


def test_unknown_base_names_the_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text('format = "racesim-scenario/1"\nbase = "no-such-scenario"\nname = "x"\n')
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert (info.value.source, info.value.field) == (str(path), "base")
    assert "neither a built-in scenario" in info.value.problem


def test_unknown_override_field_is_named(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text('format = "racesim-scenario/1"\nname = "x"\n[overrides.2]\ncolour = "red"\n')
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert info.value.field == "overrides.2.colour" and "unknown field" in info.value.problem
