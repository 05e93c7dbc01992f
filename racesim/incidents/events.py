"""Where an incident's observable events (``build.pushed``, ``deploy.live``, ...) are in a trace."""

from __future__ import annotations

from racesim.trace import Event, Trace

__all__ = ["event_time"]


def event_time(trace: Trace, event: str, commit: int) -> float | None:
    """Time of an incident-format `event` of the runs of push `commit` in `trace`."""
    job, _, what = event.partition(".")
    first: dict[str, int] = {}
    for e in trace.events:
        if (
            e.kind != "run_created"
            or e.commit != commit
            or e.detail not in ("push", "workflow_run")
        ):
            continue
        if e.workflow in ("build", "merged"):
            first.setdefault("build", e.run)
        if e.workflow in ("deploy", "merged"):
            first.setdefault("deploy", e.run)
    run = first.get(job)
    if run is None:
        return None

    def matches(e: Event) -> bool:
        if e.run != run:
            return False
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
