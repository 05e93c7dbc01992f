"""Synthetic GitHub Actions run history in the REST shape, for examples and tests.

Real run history belongs to its repository, so racesim ships none. :func:`example_history`
samples durations from a scenario (seeded) and writes what ``gh api`` would have saved for a
``Build`` workflow that pushes an image and a ``Deploy`` workflow triggered by ``workflow_run``:
a runs list and the jobs of every run, the jobs as ``--paginate`` pages one after the other.
Because every time is built from known durations, tests can check that reading and measuring give
the durations back, and the notebook can show the whole path without anyone's private data.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from racesim.core.history import Durations
from racesim.scenarios import load_scenario

__all__ = ["example_history", "write_example_history"]

_START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _whole(d: Durations) -> dict[str, float]:
    """Each duration rounded to whole seconds, as the API's timestamps are."""
    return {k: float(round(v)) for k, v in d.as_dict().items() if not isinstance(v, bool)}


def _job(job_id: int, run_id: int, name: str, start: datetime, steps: list[tuple[str, float]]):  # type: ignore[no-untyped-def]
    out_steps, t = [], start
    for number, (step, seconds) in enumerate([("Set up job", 0.0), *steps], start=1):
        end = t + timedelta(seconds=seconds)
        out_steps.append(
            {
                "name": step,
                "status": "completed",
                "conclusion": "success",
                "number": number,
                "started_at": _iso(t).replace("Z", ".000Z"),
                "completed_at": _iso(end).replace("Z", ".000Z"),
            }
        )
        t = end
    return {
        "id": job_id,
        "run_id": run_id,
        "run_attempt": 1,
        "name": name,
        "status": "completed",
        "conclusion": "success",
        "created_at": _iso(start),
        "started_at": _iso(start),
        "completed_at": _iso(t),
        "steps": out_steps,
    }, t


def _run(run_id: int, name: str, event: str, sha: str, created: datetime, ended: datetime) -> Any:
    return {
        "id": run_id,
        "name": name,
        "path": f".github/workflows/{name.lower()}.yml",
        "event": event,
        "status": "completed",
        "conclusion": "success",
        "head_sha": sha,
        "head_branch": "main",
        "run_attempt": 1,
        "created_at": _iso(created),
        "run_started_at": _iso(created),
        "updated_at": _iso(ended),
    }


def example_history(
    seed: int = 0, pushes: int = 40, scenario: str = "f8af4c1", *, merged: bool = False
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, float]]]:
    """``(runs list, jobs pages, durations)``: `pushes` build and deploy runs, seeded.

    Each push's durations are drawn from `scenario` and rounded to whole seconds; the third item
    gives them back so that tests can compare. Job queue time is folded into pickup: each job is
    created when it starts. With `merged`, one ``Pipeline`` workflow runs a ``deploy`` job that
    needs the ``build`` job (no dispatch).
    """
    rng = np.random.default_rng(seed)
    model = load_scenario(scenario)
    runs: list[dict[str, Any]] = []
    pages: list[dict[str, Any]] = []
    truth: list[dict[str, float]] = []
    t = _START
    for k in range(pushes):
        t += timedelta(seconds=float(rng.exponential(3600.0)))
        push = t.replace(microsecond=0)
        d = _whole(model.sample(rng).pushes[0].durations)
        truth.append(d)
        sha = f"{rng.integers(16**10):010x}{k:030x}"
        build_id, deploy_id = 1000 + 2 * k, 1001 + 2 * k
        start = push + timedelta(seconds=d["build_pickup"])
        job, build_end = _job(
            5000 + 2 * k,
            build_id,
            "build",
            start,
            [
                ("Build image", d["build"]),
                ("Push image to GHCR", d["push"]),
                ("Verify image", d["build_verify"]),
            ],
        )
        build_job = job
        if not merged:
            pages.append({"total_count": 1, "jobs": [job]})
            runs.append(_run(build_id, "Build", "push", sha, push, build_end))
        created = build_end + timedelta(seconds=0 if merged else d["dispatch"])
        start = created + timedelta(seconds=d["deploy_pickup"])
        job, deploy_end = _job(
            5001 + 2 * k,
            build_id if merged else deploy_id,
            "deploy",
            start,
            [
                ("Authenticate to Google Cloud", d["prepare"]),
                ("Mirror image to Artifact Registry", d["mirror"]),
                ("Deploy to Cloud Run", d["rollout"]),
                ("Smoke test", d["deploy_verify"]),
            ],
        )
        if merged:
            pages.append({"total_count": 2, "jobs": [build_job, job]})
            runs.append(_run(build_id, "Pipeline", "push", sha, push, deploy_end))
        else:
            pages.append({"total_count": 1, "jobs": [job]})
            runs.append(_run(deploy_id, "Deploy", "workflow_run", sha, created, deploy_end))
    runs.sort(key=lambda r: str(r["created_at"]), reverse=True)  # the API lists newest first
    return {"total_count": len(runs), "workflow_runs": runs}, pages, truth


def write_example_history(
    directory: str | Path,
    seed: int = 0,
    pushes: int = 40,
    scenario: str = "f8af4c1",
    *,
    merged: bool = False,
) -> list[Path]:
    """Write ``runs.json`` and ``jobs.json`` (``--paginate`` pages) into `directory`."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    runs, pages, _ = example_history(seed, pushes, scenario, merged=merged)
    (folder / "runs.json").write_text(json.dumps(runs, indent=1), encoding="utf-8")
    (folder / "jobs.json").write_text("\n".join(json.dumps(p) for p in pages), encoding="utf-8")
    return [folder / "runs.json", folder / "jobs.json"]
