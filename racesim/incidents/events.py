"""Where an incident's observable events (``build.pushed``, ``deploy.live``, ...) are in a trace.

The runs of a push are its first build (or merged) run and its first deploy (or merged) run
started by the push or by ``workflow_run``. ``X.queued`` is when job ``X`` was created and began
to wait (for a concurrency group, then for a runner): the run's creation, or for the deploy job
of a merged run, the end of its build job. :func:`queue_waits` says how long each job of a push
waited in a concurrency group: the part of the time before ``X.started`` that is not pickup.
"""

from __future__ import annotations

from racesim.core.trace import Event, Trace

__all__ = ["event_time", "queue_waits"]

#: the concurrency group that holds each job back before it starts
_GROUP = {"build": "build", "deploy": "deploy"}


def _runs(trace: Trace, commit: int) -> dict[str, tuple[int, str]]:
    """``job -> (run id, workflow)`` of the runs of push `commit`."""
    first: dict[str, tuple[int, str]] = {}
    for e in trace.events:
        if (
            e.kind != "run_created"
            or e.commit != commit
            or e.detail not in ("push", "workflow_run")
        ):
            continue
        if e.workflow in ("build", "merged"):
            first.setdefault("build", (e.run, e.workflow))
        if e.workflow in ("deploy", "merged"):
            first.setdefault("deploy", (e.run, e.workflow))
    return first


def event_time(trace: Trace, event: str, commit: int) -> float | None:
    """Time of an incident-format `event` of the runs of push `commit` in `trace`."""
    job, _, what = event.partition(".")
    found = _runs(trace, commit).get(job)
    if found is None:
        return None
    run, workflow = found
    queued_after_build = what == "queued" and job == "deploy" and workflow == "merged"

    def matches(e: Event) -> bool:
        if e.run != run:
            return False
        if queued_after_build:
            return e.kind == "job_completed" and e.job == "build"
        if what == "queued":
            return e.kind == "run_created"
        if what == "created":
            return e.kind == "run_created" and e.workflow == "deploy"
        if what == "started":
            return e.kind == "job_started" and e.job == job
        if what == "finished":
            return e.kind == "job_completed" and e.job == job
        if what == "pulled":
            return e.kind in ("read", "read_failed") and e.detail == "pull"
        step = {"built": "build", "pushed": "push", "mirrored": "mirror", "live": "rollout"}[what]
        return e.kind == "step_end" and e.step == step

    return next((e.time for e in trace.events if matches(e)), None)


def queue_waits(trace: Trace, commit: int) -> dict[str, float]:
    """Seconds each job of push `commit` waited in a concurrency group before it was admitted.

    A job that was never admitted (cancelled while pending, or no group) waited 0 s as far as
    its pickup is concerned: its start was never observed after a queue.
    """
    runs = _runs(trace, commit)
    out: dict[str, float] = {}
    for job, (run, _) in runs.items():
        queued = event_time(trace, f"{job}.queued", commit)
        admitted = next(
            (
                e.time
                for e in trace.events
                if e.kind == "admitted"
                and e.run == run
                and e.detail == _GROUP[job]
                and queued is not None
                and e.time >= queued
            ),
            None,
        )
        out[job] = 0.0 if admitted is None or queued is None else admitted - queued
    return out
