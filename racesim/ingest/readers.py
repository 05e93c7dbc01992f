"""Readers for what users download from GitHub Actions: REST responses, ``gh`` output, webhooks.

racesim never calls the network. Users save JSON with ``gh api`` (REST, snake_case, possibly
several ``--paginate`` pages in one file) or ``gh run list/view --json`` (camelCase, unset times as
``0001-01-01T00:00:00Z``), or keep webhook payloads (``workflow_run``, ``workflow_job``,
``registry_package``). :func:`read_history` recognises each document's shape, reads it into the
records of :mod:`racesim.ingest.records`, and merges everything: a run seen in a list and again
on its own is one run; jobs are attached to their run's attempt. Anything unexpected raises an
:class:`~racesim.errors.InputError` naming the file and the JSON path.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

from racesim._util.files import read_regular_file
from racesim.errors import InputError
from racesim.ingest.jsonpath import Node, split_documents
from racesim.ingest.records import (
    ONE_DAY,
    STEP_TOLERANCE,
    WAITING,
    PackagePublished,
    RecordedJob,
    RecordedRun,
    RecordedStep,
    RunHistory,
)

__all__ = ["MAX_HISTORY_BYTES", "SHAPES", "read_documents", "read_history", "read_text"]

#: the largest run-history file read (``gh api --paginate`` of thousands of runs is tens of MB)
MAX_HISTORY_BYTES = 1 << 28

#: the inputs racesim reads, as they are recognised
SHAPES: dict[str, str] = {
    "runs list": "REST GET /repos/{owner}/{repo}/actions/runs (or .../workflows/{id}/runs)",
    "run": "REST GET .../actions/runs/{id} or .../runs/{id}/attempts/{n}",
    "jobs list": "REST GET .../actions/runs/{id}/jobs (or .../attempts/{n}/jobs)",
    "job": "REST GET .../actions/jobs/{id}",
    "gh run list": "gh run list --json databaseId,workflowName,headSha,createdAt,...",
    "gh run view": "gh run view ID --json databaseId,workflowName,...,jobs",
    "workflow_run webhook": "a workflow_run event payload (requested, in_progress, completed)",
    "workflow_job webhook": "a workflow_job event payload (queued, waiting, in_progress, ...)",
    "registry_package webhook": "a registry_package published event payload",
}

_JOB_URL = re.compile(r"/actions/runs/(\d+)/job")


@dataclass
class _Parsed:
    runs: list[RecordedRun] = field(default_factory=list)
    jobs: list[RecordedJob] = field(default_factory=list)
    packages: list[PackagePublished] = field(default_factory=list)


# -- steps and jobs -------------------------------------------------------------------------------


def _steps(node: Node, camel: bool) -> tuple[RecordedStep, ...]:
    started, completed = ("startedAt", "completedAt") if camel else ("started_at", "completed_at")
    steps = []
    for i, s in enumerate(node.items()):
        steps.append(
            RecordedStep(
                name=s.text("name"),
                number=s.integer("number", i + 1),
                status=s.text("status", "completed"),
                conclusion=s.text("conclusion", None) or None,
                started=s.time(started),
                completed=s.time(completed),
            )
        )
    # numbers have gaps (1..6, 11, 12, 13) but give the order the steps ran in
    return tuple(sorted(steps, key=lambda s: s.number))


def _job(node: Node, *, camel: bool = False, run: RecordedRun | None = None) -> RecordedJob:
    if camel:
        job_id = node.integer("databaseId")
        url = node.text("url", "")
        found = _JOB_URL.search(url)
        run_id = run.id if run else (int(found.group(1)) if found else None)
        attempt = run.attempt if run else None
        created, started, completed = None, node.time("startedAt"), node.time("completedAt")
        workflow, head_sha = (run.workflow, run.head_sha) if run else (None, None)
    else:
        job_id = node.integer("id")
        run_id = node.integer("run_id", None)
        attempt = node.integer("run_attempt", None, minimum=1)
        created, started = node.time("created_at"), node.time("started_at")
        completed = node.time("completed_at")
        workflow, head_sha = node.text("workflow_name", None), node.text("head_sha", None)
    status = node.text("status", "completed")
    if status in WAITING:
        # GitHub fills started_at with created_at before any runner has picked the job up
        started = None
    steps_key = "steps"
    steps = _steps(node.member(steps_key), camel) if node.has(steps_key) else ()
    return RecordedJob(
        id=job_id,
        run_id=run_id,
        attempt=attempt,
        name=node.text("name"),
        status=status,
        conclusion=node.text("conclusion", None) or None,
        created=created,
        started=started,
        completed=completed,
        steps=steps,
        workflow=workflow,
        head_sha=head_sha,
    )


# -- runs -----------------------------------------------------------------------------------------


def _rest_run(node: Node, workflow_name: str | None = None) -> RecordedRun:
    run_id, head_sha = node.integer("id"), node.text("head_sha")
    created = _required_time(node, "created_at")
    workflow_id = node.integer("workflow_id", None)
    path = node.text("path", None)
    name = node.text("name", None) or workflow_name
    if not name:
        # 2020 responses have no name; the webhook examples have an empty one
        name = path or (f"workflow {workflow_id}" if workflow_id is not None else "")
    if not name:
        raise node.error("missing; a run needs a name, path or workflow_id", "name")
    attempt = node.integer("run_attempt", None, minimum=1)
    return RecordedRun(
        id=run_id,
        attempt=attempt or 1,
        attempt_known=attempt is not None,
        workflow=name,
        workflow_id=workflow_id,
        workflow_path=path,
        event=node.text("event", "unknown"),
        status=node.text("status", "completed"),
        conclusion=node.text("conclusion", None) or None,
        head_sha=head_sha,
        head_branch=node.text("head_branch", None),
        created=created,
        run_started=node.time("run_started_at"),
        updated=node.time("updated_at"),
        source=node.source,
    )


def _gh_run(node: Node) -> tuple[RecordedRun, list[RecordedJob]]:
    run_id = node.integer("databaseId")
    attempt = node.integer("attempt", None, minimum=1)
    name = node.text("workflowName", None) or node.text("name", None)
    if not name:
        raise node.error("missing; give --json workflowName (or name)", "workflowName")
    run = RecordedRun(
        id=run_id,
        attempt=attempt or 1,
        attempt_known=attempt is not None,
        workflow=name,
        workflow_id=node.integer("workflowDatabaseId", None),
        event=node.text("event", "unknown"),
        status=node.text("status", "completed"),
        conclusion=node.text("conclusion", None) or None,
        head_sha=node.text("headSha"),
        head_branch=node.text("headBranch", None),
        created=_required_time(node, "createdAt"),
        run_started=node.time("startedAt"),
        updated=node.time("updatedAt"),
        source=node.source,
    )
    jobs = [_job(j, camel=True, run=run) for j in node.items("jobs")] if node.has("jobs") else []
    return run, jobs


def _required_time(node: Node, key: str) -> Any:
    return node.time(key, required=True)


# -- documents ------------------------------------------------------------------------------------


def _is_camel(node: Node) -> bool:
    return node.is_object() and ("databaseId" in node.value or "headSha" in node.value)


def _is_rest_run(node: Node) -> bool:
    return node.is_object() and "head_sha" in node.value and "run_id" not in node.value


def _package(node: Node) -> PackagePublished:
    pkg = node.member("registry_package")
    version = pkg.member("package_version")
    meta = version.member("container_metadata", required=False)
    tags: tuple[str, ...] = ()
    revision = None
    if meta.is_object():
        tag = meta.member("tag", required=False)
        if tag.is_object() and tag.text("name", ""):
            tags = (tag.text("name"),)
        labels = meta.member("labels", required=False)
        if labels.is_object():
            revision = labels.text("revision", "") or None
    return PackagePublished(
        package=pkg.text("name"),
        version=version.text("version", None) or version.text("name"),
        tags=tags,
        revision=revision,
        time=version.time("created_at"),
        source=node.source,
    )


def _read(node: Node, out: _Parsed) -> None:
    """Recognise one document (or element of a slurped array) and read it into `out`."""
    value = node.value
    if isinstance(value, list):
        for item in node.items():
            if item.is_object() and ("workflow_runs" in item.value or "jobs" in item.value):
                _read(item, out)  # gh api --paginate --slurp: an array of pages
            elif _is_camel(item):
                run, jobs = _gh_run(item)
                out.runs.append(run)
                out.jobs += jobs
            elif _is_rest_run(item):
                out.runs.append(_rest_run(item))
            else:
                raise item.error("expected a run (gh run list --json ... or a REST run)")
        return
    if not isinstance(value, dict):
        raise node.error(_expected(node))
    if "workflow_runs" in value:
        out.runs += [_rest_run(r) for r in node.items("workflow_runs")]
    elif "action" in value and "workflow_run" in value:
        workflow = node.member("workflow", required=False)
        name = workflow.text("name", None) if workflow.is_object() else None
        out.runs.append(_rest_run(node.member("workflow_run"), name))
    elif "action" in value and "workflow_job" in value:
        out.jobs.append(_job(node.member("workflow_job")))
    elif "action" in value and "registry_package" in value:
        if node.text("action") == "published":
            out.packages.append(_package(node))
    elif _is_camel(node):
        run, jobs = _gh_run(node)
        out.runs.append(run)
        out.jobs += jobs
    elif "jobs" in value:
        for j in node.items("jobs"):
            out.jobs.append(_job(j, camel=_is_camel(j)))
    elif "run_id" in value and "id" in value:
        out.jobs.append(_job(node))
    elif _is_rest_run(node):
        out.runs.append(_rest_run(node))
    elif "billable" in value:
        raise node.error(
            "a /timing (usage) response holds billable minutes but no times; save the run "
            "(gh api .../actions/runs/ID) and its jobs (gh api .../actions/runs/ID/jobs) instead"
        )
    else:
        raise node.error(_expected(node))


def _expected(node: Node) -> str:
    got = (
        "an object with keys " + ", ".join(sorted(node.value)[:6])
        if node.is_object()
        else f"a {type(node.value).__name__}"
    )
    return (
        "expected GitHub Actions runs or jobs (a REST response saved with gh api, gh run "
        f"list/view --json output, or a webhook payload); got {got}"
    )


def read_documents(documents: Sequence[Any], source: str) -> RunHistory:
    """Runs, jobs and packages from already-parsed JSON `documents` (one file's pages)."""
    out = _Parsed()
    for i, doc in enumerate(documents):
        where = source if len(documents) == 1 else f"{source} (document {i + 1})"
        _read(Node(doc, "$", where), out)
    return _merge([out])


def read_text(text: str, source: str) -> RunHistory:
    """Runs, jobs and packages from the JSON text of one file (``--paginate`` pages allowed)."""
    return read_documents(split_documents(text, source), source)


def read_history(paths: Iterable[str | Path], stdin: TextIO | None = None) -> RunHistory:
    """Read and merge every file in `paths` (``-`` reads standard input)."""
    parts = []
    for path in paths:
        if str(path) == "-":
            text, source = (stdin or sys.stdin).read(MAX_HISTORY_BYTES + 1), "<stdin>"
            if len(text) > MAX_HISTORY_BYTES:
                raise InputError("(file)", f"larger than {MAX_HISTORY_BYTES:,} bytes", source)
        else:
            source = str(path)
            text = _read_file(Path(path), source)
        out = _Parsed()
        docs = split_documents(text, source)
        for i, doc in enumerate(docs):
            _read(Node(doc, "$", source if len(docs) == 1 else f"{source} (document {i + 1})"), out)
        parts.append(out)
    return _merge(parts)


def _read_file(path: Path, source: str) -> str:
    """The text of a regular file of at most MAX_HISTORY_BYTES (a FIFO or device could block)."""
    raw = read_regular_file(path, source, MAX_HISTORY_BYTES)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("(file)", "not UTF-8 text; expected JSON", source) from None


# -- merging --------------------------------------------------------------------------------------


def _better_run(a: RecordedRun, b: RecordedRun) -> RecordedRun:
    """Of two copies of one attempt, the more finished one (a list can predate a webhook)."""

    def rank(r: RecordedRun) -> tuple[bool, Any]:
        return (r.status == "completed", r.updated or r.created)

    best = max(a, b, key=rank)
    # the attempt endpoint and the run endpoint disagree on created_at for a re-run; keep the
    # earliest (the run's), and the attempt's own run_started_at
    return replace(best, created=min(a.created, b.created))


def _better_job(a: RecordedJob, b: RecordedJob) -> RecordedJob:
    def rank(j: RecordedJob) -> tuple[bool, int, bool]:
        return (j.status == "completed", len(j.steps), j.created is not None)

    best = max(a, b, key=rank)
    return replace(
        best,
        created=best.created or a.created or b.created,
        run_id=best.run_id or a.run_id or b.run_id,
        attempt=best.attempt or a.attempt or b.attempt,
    )


def _merge(parts: Iterable[_Parsed]) -> RunHistory:
    runs: dict[tuple[int, int], RecordedRun] = {}
    jobs: dict[int, RecordedJob] = {}
    packages: list[PackagePublished] = []
    for part in parts:
        for run in part.runs:
            key = (run.id, run.attempt)
            runs[key] = _better_run(runs[key], run) if key in runs else run
        for job in part.jobs:
            jobs[job.id] = _better_job(jobs[job.id], job) if job.id in jobs else job
        packages += part.packages
    by_run: dict[tuple[int, int], list[RecordedJob]] = {}
    orphans: list[RecordedJob] = []
    for job in jobs.values():
        attempts = sorted(a for (rid, a) in runs if rid == job.run_id)
        if not attempts:
            orphans.append(job)
            continue
        # a job without run_attempt belongs to the latest attempt (what /jobs lists by default)
        attempt = job.attempt if job.attempt in attempts else attempts[-1]
        by_run.setdefault((job.run_id, attempt), []).append(replace(job, attempt=attempt))  # type: ignore[arg-type]
    merged = []
    for key, run in runs.items():
        attached = sorted(
            by_run.get(key, []), key=lambda j: (j.started or j.created or run.created, j.id)
        )
        merged.append(replace(run, jobs=tuple(attached)) if attached else run)
    merged.sort(key=lambda r: (r.queued, r.id, r.attempt))
    history = RunHistory(tuple(merged), tuple(orphans), tuple(packages))
    return replace(history, notes=tuple(_notes(history)))


def _notes(history: RunHistory) -> list[str]:
    """What a reader of the data should know: each quirk met and how it was handled."""
    notes = []
    unknown = [r for r in history.runs if not r.attempt_known]
    if unknown:
        notes.append(
            f"{len(unknown)} run(s) in an old shape without run_attempt: taken as attempt 1"
        )
    late = [
        r
        for r in history.runs
        if r.ended_from == "jobs"
        and r.updated is not None
        and r.ended is not None
        and r.updated - r.ended > ONE_DAY
    ]
    if late:
        notes.append(
            f"{len(late)} run(s) updated over a day after their last job: ends taken from jobs"
        )
    for job in history.all_jobs():
        if not job.steps_agree:
            notes.append(
                f"job {job.id} ({job.name}): its steps' times disagree with the job's by over "
                f"{STEP_TOLERANCE:g} s; its step times are not used"
            )
    return notes
