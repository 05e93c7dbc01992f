"""Reading GitHub Actions run history: every quirk of the recorded data, gh output, errors."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from racesim.errors import InputError
from racesim.ingest import read_documents, read_history, read_text
from racesim.ingest.jsonpath import parse_time, split_documents
from tests.helpers import run_cli
from tests.ingest_data import response, saved


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# -- the quirks listed in the data README ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-01-10T08:24:27Z", utc(2023, 1, 10, 8, 24, 27)),
        ("2023-01-10T08:24:27.000Z", utc(2023, 1, 10, 8, 24, 27)),
        ("2023-02-17T17:03:46.000+01:00", utc(2023, 2, 17, 16, 3, 46)),
        ("2020-01-20T09:42:40.000-08:00", utc(2020, 1, 20, 17, 42, 40)),
        ("0001-01-01T00:00:00Z", None),
    ],
)
def test_time_formats_all_become_utc(text: str, expected: datetime | None) -> None:
    assert parse_time(text) == expected


def test_offset_step_times_agree_with_their_job_in_utc(shared_data: Path) -> None:
    """Steps of WorkflowJob.setUp come in +01:00, their job in Z: the same instant in UTC."""
    history = read_documents([response(shared_data, "WorkflowJob.setUp__2")], "jobs")
    job = next(j for j in history.jobs if j.id == 11421878319)
    assert job.started == utc(2023, 2, 17, 16, 3, 46)
    assert job.steps[0].started == job.started  # 17:03:46.000+01:00
    assert job.steps_agree


def test_a_step_that_starts_a_second_before_its_job_is_kept(shared_data: Path) -> None:
    history = read_documents([response(shared_data, "WorkflowRun.test_jobs__1")], "jobs")
    job = next(j for j in history.jobs if j.id == 10545728039)
    assert job.started is not None and job.steps[0].started is not None
    assert (job.started - job.steps[0].started).total_seconds() == 1
    assert job.steps_agree and history.notes == ()


def test_step_numbers_have_gaps_and_keep_their_order(shared_data: Path) -> None:
    body = response(shared_data, "WorkflowRun.test_jobs__1")
    body["jobs"][0]["steps"].reverse()  # the order in the JSON does not matter, numbers do
    job = next(j for j in read_documents([body], "jobs").jobs if j.id == 10545727758)
    assert [s.number for s in job.steps] == [1, 2, 3, 4, 5, 6, 11, 12, 13]
    assert job.steps[-1].name == "Complete job"


def test_run_end_comes_from_the_last_job_not_updated_at(shared_data: Path, tmp_path: Path) -> None:
    history = read_history(
        saved(shared_data, tmp_path, "WorkflowRun.setUp__1", "WorkflowRun.test_jobs__1")
    )
    (run,) = history.runs
    assert len(run.jobs) == 5
    assert run.updated == utc(2023, 1, 10, 8, 28, 20)
    assert run.ended == utc(2023, 1, 10, 8, 28, 18) and run.ended_from == "jobs"


def test_updated_at_over_a_year_late_is_noted(shared_data: Path, tmp_path: Path) -> None:
    """Run 3770390952 ran on 2022-12-24 and was updated on 2024-01-29."""
    body = response(shared_data, "Repository.testGetWorkflowRunsCreated__1")
    run_body = body["workflow_runs"][0]
    job = {
        "id": 1,
        "run_id": run_body["id"],
        "run_attempt": 1,
        "name": "test",
        "status": "completed",
        "conclusion": "success",
        "created_at": "2022-12-24T07:29:15Z",
        "started_at": "2022-12-24T07:29:20Z",
        "completed_at": "2022-12-24T07:33:00Z",
    }
    history = read_documents([body, {"total_count": 1, "jobs": [job]}], "runs")
    (run,) = history.runs
    assert run.updated is not None and run.updated.year == 2024
    assert run.ended == utc(2022, 12, 24, 7, 33) and run.ended_from == "jobs"
    assert any("over a day after their last job" in n for n in history.notes)
    # without the jobs, updated_at is all there is, and it says so
    alone = read_documents([body], "runs").runs[0]
    assert alone.ended_from == "updated_at"


def test_a_rerun_is_queued_when_it_started_not_at_the_first_created_at(
    shared_data: Path, tmp_path: Path
) -> None:
    paths = saved(
        shared_data, tmp_path, "WorkflowRun.testGetAttempt__1", "WorkflowRun.testGetAttempt__2"
    )
    (run,) = read_history(paths).runs  # /runs/ID and /runs/ID/attempts/2 are one attempt
    assert run.attempt == 2
    assert run.created == utc(2026, 5, 24, 15, 20, 4)  # the first attempt's, days earlier
    assert run.queued == utc(2026, 5, 29, 15, 42, 5)  # this attempt's run_started_at


@pytest.mark.parametrize(
    "name", ["queued.payload", "waiting.payload", "queued.with-deployment.payload"]
)
def test_a_waiting_job_has_not_started(shared_data: Path, name: str) -> None:
    path = shared_data / "octokit-webhooks" / "workflow_job" / f"{name}.json"
    payload = json.loads(path.read_text("utf-8"))
    assert payload["workflow_job"]["started_at"] == payload["workflow_job"]["created_at"]
    (job,) = read_history([path]).jobs
    assert job.created is not None and job.started is None and job.queue_seconds is None


def test_old_run_shapes_without_name_start_or_attempt(shared_data: Path, tmp_path: Path) -> None:
    history = read_history(saved(shared_data, tmp_path, "Repository.testGetWorkflowRuns__1"))
    assert len(history.runs) == 5
    for run in history.runs:
        assert run.workflow == "workflow 1026390" and run.matches("1026390")
        assert run.attempt == 1 and not run.attempt_known and run.run_started is None
        assert run.queued == run.created
    assert history.notes == ("5 run(s) in an old shape without run_attempt: taken as attempt 1",)


def test_hand_edited_webhook_steps_that_disagree_are_flagged(shared_data: Path) -> None:
    path = (
        shared_data
        / "octokit-webhooks/workflow_job/completed.success.with-organization.payload.json"
    )
    history = read_history([path])
    (job,) = history.jobs
    assert job.started == utc(2021, 8, 5, 10, 34, 58)
    assert job.steps[0].started == utc(2021, 8, 5, 10, 26, 8)  # 530 s before its job
    assert not job.steps_agree
    assert any("disagree" in n for n in history.notes)


def test_workflow_run_webhook_takes_the_workflow_name(shared_data: Path) -> None:
    path = shared_data / "octokit-webhooks/workflow_run/completed.payload.json"
    payload = json.loads(path.read_text("utf-8"))
    assert payload["workflow_run"]["name"] == ""  # empty in the (hand-edited) example
    (run,) = read_history([path]).runs
    assert run.workflow == payload["workflow"]["name"] == "test"
    assert run.status == "completed" and run.head_sha.startswith("3484a3f")


def test_registry_package_with_unset_version_time(shared_data: Path) -> None:
    path = shared_data / "octokit-webhooks/registry_package/published.docker.payload.json"
    (package,) = read_history([path]).packages
    assert package.version.startswith("sha256:3da1996a")
    assert package.time is None  # 0001-01-01T00:00:00Z in the payload


def test_every_recorded_run_and_job_file_reads(shared_data: Path) -> None:
    files = sorted(shared_data.glob("pygithub-recorded/*__*.json"))
    runs = jobs = 0
    for path in files:
        body = json.loads(path.read_text("utf-8"))["response"]
        if "billable" in body:
            with pytest.raises(InputError, match="timing"):
                read_documents([body], path.name)
            continue
        history = read_documents([body], path.name)
        runs += len(history.runs)
        jobs += len(history.jobs)
        for run in history.runs:
            assert run.created.tzinfo is UTC
    assert runs == 76 and jobs == 11  # counted by hand from the recordings


# -- gh output -------------------------------------------------------------------------------------

GH_VIEW: dict[str, Any] = {
    "databaseId": 900,
    "workflowName": "Deploy",
    "headSha": "abc1234def",
    "event": "workflow_run",
    "status": "in_progress",
    "conclusion": "",
    "attempt": 1,
    "createdAt": "2026-01-05T10:00:00Z",
    "startedAt": "2026-01-05T10:00:00Z",
    "updatedAt": "2026-01-05T10:00:40Z",
    "jobs": [
        {
            "databaseId": 77,
            "name": "deploy",
            "status": "in_progress",
            "conclusion": "",
            "startedAt": "2026-01-05T10:00:03Z",
            "completedAt": "0001-01-01T00:00:00Z",
            "url": "https://github.com/o/r/actions/runs/900/job/77",
            "steps": [
                {
                    "name": "Deploy to Cloud Run",
                    "number": 3,
                    "status": "in_progress",
                    "conclusion": "",
                    "startedAt": "2026-01-05T10:00:20Z",
                    "completedAt": "0001-01-01T00:00:00Z",
                }
            ],
        }
    ],
}


def test_gh_run_view_camel_case_with_unset_times() -> None:
    (run,) = read_text(json.dumps(GH_VIEW), "view.json").runs
    assert run.workflow == "Deploy" and run.conclusion is None
    (job,) = run.jobs
    assert job.completed is None and job.steps[0].completed is None
    assert job.started == utc(2026, 1, 5, 10, 0, 3)
    assert run.ended is None


def test_gh_run_list_and_jobs_only_view_are_joined_by_url() -> None:
    listing = [{k: v for k, v in GH_VIEW.items() if k != "jobs"}]
    jobs_only = {"jobs": GH_VIEW["jobs"]}
    history = read_text(json.dumps(listing) + "\n" + json.dumps(jobs_only), "gh.json")
    (run,) = history.runs
    assert [j.id for j in run.jobs] == [77] and history.jobs == ()


def test_paginated_pages_back_to_back_are_one_list(shared_data: Path) -> None:
    body = response(shared_data, "PullRequest2408.test_get_workflow_runs__2")
    first, second = dict(body), dict(body)
    first["workflow_runs"] = body["workflow_runs"][:10]
    second["workflow_runs"] = body["workflow_runs"][10:]
    text = json.dumps(first, indent=2) + json.dumps(second)  # as gh api --paginate writes them
    assert len(split_documents(text, "p")) == 2
    assert len(read_text(text, "p").runs) == 30
    slurped = read_text(json.dumps([first, second]), "s")  # gh api --paginate --slurp
    assert len(slurped.runs) == 30


def test_standard_input_is_read_for_dash() -> None:
    history = read_history(["-"], stdin=io.StringIO(json.dumps(GH_VIEW)))
    assert history.runs[0].source == "<stdin>"


# -- errors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ('{"workflow_runs": [{"id": 1, "head_sha": "a", "created_at": 5}]}',
         "runs.json: $.workflow_runs[0].created_at: expected a date-time"),
        ('{"workflow_runs": [{"id": 1, "name": "B", "created_at": "2026-01-01T00:00:00Z"}]}',
         "runs.json: $.workflow_runs[0].head_sha: missing"),
        ('{"workflow_runs": [{"id": 1, "name": "B", "head_sha": "a", '
         '"created_at": "2026-01-01T00:00:00"}]}',
         "created_at: expected an ISO-8601 date-time with Z or +hh:mm"),
        ('{"jobs": [{"id": 1, "run_id": 2, "name": "j", "steps": {}}]}',
         "runs.json: $.jobs[0].steps: expected an array, got an object"),
        ('{"workflow_runs": 3}', "$.workflow_runs: expected an array"),
        ('{"hello": 1}', "$: expected GitHub Actions runs or jobs"),
        ('{"workflow_runs": [] ', "runs.json: $: not valid JSON at line 1"),
        ("", "runs.json: $: empty"),
        ('[{"databaseId": "x"}]', "$[0].databaseId: expected an integer"),
    ],
)  # fmt: skip
def test_bad_json_names_the_file_and_the_json_path(doc: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        read_text(doc, "runs.json")
    assert message in str(caught.value)


def test_cli_reports_bad_json_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "runs.json"
    path.write_text('{"workflow_runs": [{"id": "seven"}]}', "utf-8")
    code, out, err = run_cli(["ingest", "timings", str(path), "--build", "B"], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"{path}: $.workflow_runs[0].id: expected an integer" in err


def test_cli_reports_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(
        ["ingest", "incident", str(tmp_path / "no.json"), "--build", "B"], capsys
    )
    assert code == 2 and "cannot read" in err and err.count("\n") == 1


# -- fuzz ------------------------------------------------------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**6) | st.floats(allow_nan=False)
    | st.text(max_size=8) | st.sampled_from(["2026-01-01T00:00:00Z", "0001-01-01T00:00:00Z"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["id", "name", "head_sha", "created_at", "jobs", "steps", "workflow_runs",
                         "run_id", "started_at", "databaseId", "headSha", "createdAt", "action",
                         "workflow_run", "workflow_job", "number", "status", "x"]),
        inner, max_size=6),
    max_leaves=20,
)  # fmt: skip

_RUN = {
    "id": 1,
    "name": "Build",
    "event": "push",
    "status": "completed",
    "head_sha": "abc",
    "run_attempt": 1,
    "created_at": "2026-01-01T00:00:00Z",
    "updated_at": "2026-01-01T00:05:00Z",
}


@given(_json)
def test_fuzz_any_json_reads_or_raises_input_error(doc: Any) -> None:
    message = ""
    try:
        read_documents([doc], "fuzz.json")
    except InputError as exc:
        message = str(exc)
    assert message == "" or message.startswith("fuzz.json: $")


@given(st.sampled_from(sorted(_RUN)), _json)
def test_fuzz_one_field_of_a_run_replaced(key: str, value: Any) -> None:
    doc = {"workflow_runs": [{**_RUN, key: value}]}
    try:
        history = read_documents([doc], "fuzz.json")
    except InputError as exc:
        message = str(exc)
    else:
        assert len(history.runs) == 1
        return
    assert f"$.workflow_runs[0].{key}" in message
