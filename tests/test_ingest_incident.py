"""Incident drafts from run history: they load, replay and reproduce every observed time."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from racesim.errors import InputError
from racesim.incidents import load_incident, replay
from racesim.ingest import StepMap, draft_incident, read_history, strategy_from_workflows
from racesim.ingest.synthetic import example_history, write_example_history
from tests.helpers import run_cli
from tests.ingest_data import saved


def _replays(text: str, tmp_path: Path) -> Any:
    path = tmp_path / "draft.toml"
    path.write_text(text, "utf-8")
    result = replay(load_incident(path), [])
    assert result.reproduced, [o for o in result.observed if not o.matches]
    return result


def test_draft_from_recorded_run_and_jobs(shared_data: Path, tmp_path: Path) -> None:
    """Run 4205440316 (CI, push) and its 5 jobs, with 'Run tests' standing in for the push."""
    history = read_history(
        saved(shared_data, tmp_path, "WorkflowJob.setUp__1", "WorkflowJob.setUp__2")
    )
    draft = draft_incident(history, build="CI", steps=StepMap({"push": "Run tests"}))
    events = {o.event: o.time.strftime("%H:%M:%S") for o in draft.incident.observed}
    # the first job started 16:03:45; the first 'Run tests' step ran 16:03:55-16:04:47 (3.9 job
    # is not first to start; the earliest-started job with the step is the 3.11-dev one)
    assert events["build.started"] == "16:03:45"
    assert events["build.finished"] == "16:06:09"  # last job's completed_at; updated_at is 16:06:11
    assert draft.incident.pushes[0].time.strftime("%H:%M:%S") == "16:03:37"
    result = _replays(draft.to_toml(), tmp_path)
    assert {o.event for o in result.observed} >= {"build.built", "build.pushed"}
    durations = {d.duration: d for d in result.durations}
    assert durations["build_pickup"].seconds == 8 and durations["build_pickup"].source == "observed"
    # nothing about the deploy was in the runs: each of its durations is an explicit assumption
    assumed = {a.duration: a.why for a in draft.incident.assumed}
    assert {"deploy_pickup", "prepare", "rollout", "registry_lag"} <= set(assumed)
    assert all(why for why in assumed.values())
    assert "strategy (assumed)" in draft.to_toml()


def test_draft_from_a_recorded_runs_list_of_two_workflows(
    shared_data: Path, tmp_path: Path
) -> None:
    history = read_history(
        saved(shared_data, tmp_path, "PullRequest2408.test_get_workflow_runs__2")
    )
    draft = draft_incident(history, build="Unit Test", deploy="Build Documentation")
    assert [p.commit for p in draft.incident.pushes] == ["340f5ad", "8c9c964", "5e64635", "046bb53"]
    # 5e64635 ran Unit Test twice (10:13:53 and 10:42:51): the second run is a re-run
    assert [(r.commit, r.time.strftime("%H:%M:%S")) for r in draft.incident.reruns] == [
        ("5e64635", "10:42:51")
    ]
    assert draft.incident.strategy.name == "parallel"  # both on push
    result = _replays(draft.to_toml(), tmp_path)
    assert sum(o.event == "build.finished" for o in result.observed) == 4


def test_pull_request_runs_are_left_out(shared_data: Path, tmp_path: Path) -> None:
    history = read_history(
        saved(shared_data, tmp_path, "PullRequest2408.test_get_workflow_runs__2")
    )
    with pytest.raises(InputError, match="pull request runs excluded"):
        draft_incident(history, build="Lint")


def test_a_rerun_days_later_is_a_rerun_not_a_push(shared_data: Path, tmp_path: Path) -> None:
    paths = saved(
        shared_data, tmp_path, "WorkflowRun.testGetAttempt__1", "WorkflowRun.testGetAttempt__2"
    )
    draft = draft_incident(read_history(paths), build="CodeQL Advanced")
    (push,) = draft.incident.pushes
    (rerun,) = draft.incident.reruns
    assert push.time.isoformat() == "2026-05-24T15:20:04+00:00"  # the first attempt's created_at
    assert rerun.time.isoformat() == "2026-05-29T15:42:05+00:00"  # attempt 2's run_started_at
    _replays(draft.to_toml(), tmp_path)
    # with only the attempt saved, its own created_at is 2 s after its run_started_at
    alone = draft_incident(
        read_history(saved(shared_data, tmp_path, "WorkflowRun.testGetAttempt__2")),
        build="CodeQL Advanced",
    )
    assert alone.incident.pushes[0].time == alone.incident.reruns[0].time
    _replays(alone.to_toml(), tmp_path)


def test_a_step_before_its_job_is_clamped(shared_data: Path, tmp_path: Path) -> None:
    """Job 10545728039's 'Set up job' starts 08:24:30, a second before the job (08:24:31)."""

    def only_that_job(name: str, body: Any) -> Any:
        if name == "WorkflowRun.setUp__1":
            return {**body, "event": "push"}  # recorded on a pull request, which never deploys
        return {**body, "jobs": [j for j in body["jobs"] if j["id"] == 10545728039]}

    paths = saved(
        shared_data,
        tmp_path,
        "WorkflowRun.setUp__1",
        "WorkflowRun.test_jobs__1",
        edit=only_that_job,
    )
    draft = draft_incident(read_history(paths), build="CI", steps=StepMap({"push": "Set up job"}))
    built = next(o for o in draft.incident.observed if o.event == "build.built")
    assert built.time.strftime("%H:%M:%S") == "08:24:31" and "clamped" in built.note
    assert any("clamped" in n for n in draft.notes)
    _replays(draft.to_toml(), tmp_path)


def test_updated_at_a_year_late_is_not_taken_as_the_end(shared_data: Path, tmp_path: Path) -> None:
    def on_push(name: str, body: Any) -> Any:
        return {"workflow_runs": [{**body["workflow_runs"][0], "event": "push"}]}

    paths = saved(shared_data, tmp_path, "Repository.testGetWorkflowRunsCreated__1", edit=on_push)
    draft = draft_incident(read_history(paths), build="CI")
    assert not any(o.event == "build.finished" for o in draft.incident.observed)
    assert any("over a day" in n for n in draft.notes)


def test_synthetic_workflow_run_pipeline_reproduces_its_durations(tmp_path: Path) -> None:
    runs, _pages, truth = example_history(seed=5, pushes=3)
    paths = write_example_history(tmp_path, seed=5, pushes=3)
    history = read_history(paths)
    draft = draft_incident(history, build="build.yml", deploy="Deploy")
    assert draft.incident.strategy.name == "workflow_run"
    assert len(draft.incident.observed) == 3 * 10  # every event of every push
    result = _replays(draft.to_toml(), tmp_path)
    first_push = sorted(runs["workflow_runs"], key=lambda r: r["created_at"])[0]["head_sha"][:7]
    got = {d.duration: d.seconds for d in result.durations if d.commit == first_push}
    expected = truth[0]
    for name in ("build_pickup", "build", "push", "build_verify", "dispatch", "deploy_pickup",
                 "prepare", "mirror", "rollout", "deploy_verify"):  # fmt: skip
        assert got[name] == expected[name], name
    assert [a.duration for a in draft.incident.assumed] == ["registry_lag", "deploy_registry_lag"]


def test_merged_workflow_drafts_a_merged_job(tmp_path: Path) -> None:
    _, _, truth = example_history(seed=6, pushes=2, merged=True)
    history = read_history(write_example_history(tmp_path, seed=6, pushes=2, merged=True))
    draft = draft_incident(history, build="Pipeline", deploy="Pipeline")
    assert draft.incident.strategy.name == "merged_job"
    result = _replays(draft.to_toml(), tmp_path)
    first = draft.incident.pushes[0].commit
    got = {d.duration: d.seconds for d in result.durations if d.commit == first}
    for name in ("build_pickup", "build", "push", "build_verify", "deploy_pickup", "prepare",
                 "mirror", "rollout", "deploy_verify"):  # fmt: skip
        assert got[name] == truth[0][name], name


def test_a_published_package_marks_the_push(shared_data: Path, tmp_path: Path) -> None:
    """The recorded payload leaves the time unset; a dated copy with the commit's label counts."""
    runs, pages, _ = example_history(seed=3, pushes=1)
    sha = runs["workflow_runs"][0]["head_sha"]
    for job in pages[0]["jobs"]:  # drop the push step, so only the package can show the push
        job["steps"] = [s for s in job["steps"] if "Push" not in s["name"]]
    payload = json.loads(
        (
            shared_data / "octokit-webhooks/registry_package/published.docker.payload.json"
        ).read_text()
    )
    undated = tmp_path / "undated.json"
    undated.write_text(json.dumps(payload))
    version = payload["registry_package"]["package_version"]
    version["container_metadata"]["labels"]["revision"] = sha
    version["created_at"] = runs["workflow_runs"][-1]["updated_at"]  # a time inside the build
    files = {"runs.json": runs, "jobs.json": pages[0], "package.json": payload}
    for name, body in files.items():
        (tmp_path / name).write_text(json.dumps(body))
    dated = read_history([tmp_path / n for n in files])
    draft = draft_incident(dated, build="Build", deploy="Deploy")
    pushed = [o for o in draft.incident.observed if o.event == "build.pushed"]
    assert [o.note for o in pushed] == ["registry_package published webhook"]
    _replays(draft.to_toml(), tmp_path)
    plain = read_history([tmp_path / "runs.json", tmp_path / "jobs.json", undated])
    assert not any(
        o.event == "build.pushed" for o in draft_incident(plain, build="Build").incident.observed
    )


def test_strategy_given_and_unknown(tmp_path: Path) -> None:
    history = read_history(write_example_history(tmp_path, seed=1, pushes=1))
    draft = draft_incident(history, build="Build", deploy="Deploy", strategy="pinned")
    assert draft.incident.strategy.name == "pinned"
    assert "as given on the command line" in draft.strategy_reason
    # the library names its parameters; the command line names its flags (tested below)
    with pytest.raises(InputError, match=r"^strategy: unknown strategy 'nope'"):
        draft_incident(history, build="Build", strategy="nope")
    with pytest.raises(InputError, match="no run of workflow 'Nope'"):
        draft_incident(history, build="Nope")
    with pytest.raises(InputError, match=r"^commits: no 'Build' run has head commit 'ffffff'"):
        draft_incident(history, build="Build", commits=["ffffff"])


@pytest.mark.parametrize("preset", ["parallel", "workflow_run", "pinned_serialized"])
def test_strategy_is_read_from_workflow_files(preset: str, tmp_path: Path) -> None:
    """--workflows reads the strategy with racesim audit: emitted workflows read back as theirs."""
    from racesim.core.strategy import parse_strategy
    from racesim.github.emit import emit

    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    for name, text in emit(preset).items():
        (folder / name).write_text(text, encoding="utf-8")
    strategy, why = strategy_from_workflows(tmp_path)
    assert strategy.describe() == parse_strategy(preset).describe()
    assert "racesim audit" in why and ".yml" in why


def test_workflows_without_a_deploy_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    (folder / "ci.yml").write_text(
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: make test\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"^directory: no workflow under .* deploys"):
        strategy_from_workflows(tmp_path)


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--commits", "ffffff"], "--commits: no 'Build' run has head commit 'ffffff'"),
        (["--strategy", "nope"], "--strategy: unknown strategy 'nope'"),
        (["--step", "nope=x"], "--step nope: unknown role"),
        (["--step", "push=("], "--step push: not a regular expression"),
        (["--step", "push"], "--step: expected ROLE=REGEX"),
        (["--workflows", "{tmp}"], "--workflows: no workflow files (*.yml, *.yaml) found in"),
    ],
)
def test_cli_errors_name_the_flags(
    extra: list[str], expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The library's parameter names reach the user as the flags that set them."""
    paths = [str(p) for p in write_example_history(tmp_path, seed=1, pushes=1)]
    argv = ["ingest", "incident", *paths, "--build", "Build", "--deploy", "Deploy"]
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run_cli([*argv, *(e.format(tmp=empty) for e in extra)], capsys)
    assert code == 2
    assert err.startswith(f"racesim ingest: error: {expected}"), err


def test_cli_writes_a_draft_that_replay_reproduces(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = [str(p) for p in write_example_history(tmp_path, seed=2, pushes=2)]
    out = tmp_path / "draft.toml"
    png = tmp_path / "draft.png"
    code, stdout, err = run_cli(
        ["ingest", "incident", *paths, "--build", "Build", "--deploy", "Deploy",
         "--out", str(out), "--plot", str(png)],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    assert "replay reproduces 22/22 observed times" in stdout
    assert png.stat().st_size > 10_000
    code, stdout, _ = run_cli(["replay", str(out), "--strategy", "workflow_run"], capsys)
    assert code == 0 and "ok" in stdout


@pytest.mark.parametrize(("case", "expected"), [("before", "parallel"), ("after", "workflow_run")])
def test_strategy_of_the_f8af4c1_repository(case: str, expected: str) -> None:
    """The repository of the f8af4c1 incident, before and after its fix (shared case data)."""
    from conftest import SHARED

    folder = SHARED / "data" / "workflows" / "denhamparry-talks-54" / case
    if not folder.is_dir():
        pytest.skip(f"shared workflow cases not found at {folder}")
    strategy, why = strategy_from_workflows(folder)
    assert strategy.describe() == expected
    assert "cloudrun-deploy.yml" in why
