"""Draft an incident file from the runs of a real incident.

The draft has the pushes (the runs' head commits, at the time their first run was created), the
observed events read from run, job and step times, the strategy (given, read from the workflow
files by ``racesim audit`` when it is available, or inferred from the runs' events and stated as
an assumption), and an ``[[assumed]]`` entry, with its reason, for every duration the runs do not
show. It loads with :func:`racesim.load_incident` and replays to the second.

Which events come from where (build run ``B``, deploy run ``D``, of one commit):

=================  ==========================================================================
event              time
=================  ==========================================================================
build.started      ``B``'s first job ``started_at``
build.built        the push step's ``started_at``
build.pushed       the push step's ``completed_at`` (else a ``registry_package`` publication)
build.finished     ``B``'s last job ``completed_at`` (``updated_at`` only without jobs)
deploy.created     ``D``'s ``created_at`` (``workflow_run`` only)
deploy.started     ``D``'s first job ``started_at``
deploy.pulled      the pull step's ``started_at`` (the rollout step's, if no pull step)
deploy.mirrored    the pull step's ``completed_at``
deploy.live        the rollout step's ``completed_at``
deploy.finished    ``D``'s last job ``completed_at``
=================  ==========================================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from racesim.core.strategy import Strategy, parse_strategy
from racesim.errors import InputError
from racesim.incidents.format import Assumption, Incident, Moment, Observation
from racesim.incidents.replay import DEFAULT_ASSUMPTIONS, derive
from racesim.ingest.records import ONE_DAY, RecordedRun, RunHistory
from racesim.ingest.steps import StepMap

__all__ = ["Draft", "draft_incident", "strategy_from_workflows"]

#: events of runs that never deploy anything
_NOT_DEPLOYING = ("pull_request", "pull_request_target", "merge_group")

#: the order events must have within one push's chains
_BUILD_ORDER = ("build.started", "build.built", "build.pushed", "build.finished")
_DEPLOY_ORDER = (
    "deploy.created",
    "deploy.started",
    "deploy.pulled",
    "deploy.mirrored",
    "deploy.live",
    "deploy.finished",
)


@dataclass(frozen=True)
class Draft:
    """An incident drafted from runs, with what the drafting had to decide.

    Attributes:
        incident: the incident (write it with :meth:`to_toml`).
        strategy_reason: where the strategy comes from.
        notes: what the drafting noticed (re-runs, clamped step times, ignored ``updated_at``).
    """

    incident: Incident
    strategy_reason: str
    notes: tuple[str, ...] = ()

    def to_toml(self) -> str:
        """The incident file, with the strategy's reason and the notes as comments."""
        text = self.incident.to_toml()
        head = "# Drafted by `racesim ingest incident` from GitHub Actions run history.\n"
        head += "".join(f"# note: {n}\n" for n in self.notes)
        strategy = f"# strategy (assumed): {self.strategy_reason}\n"
        if "\nstrategy = " in text:
            text = text.replace("\nstrategy = ", f"\n{strategy}strategy = ", 1)
        else:
            text = text.replace("\n[strategy]", f"\n{strategy}[strategy]", 1)
        return head + text


def strategy_from_workflows(directory: str | Path) -> tuple[Strategy, str]:
    """The strategy the workflow files under `directory` implement, as ``racesim audit`` reads it.

    Only pipelines that deploy on a push to a branch count (pull-request and tag pipelines never
    produced the runs of an incident on main). When the files hold several such pipelines that map
    to different strategies, the choice is the user's: the error lists them and asks for the
    strategy. Returns the strategy and a sentence saying where it came from, with the
    workflow files and the assumptions the audit had to make.
    """
    from racesim.github.pipelines import find_pipelines
    from racesim.github.workflows import load_workflows

    pipelines = [
        p
        for p in find_pipelines(load_workflows([directory]))
        if p.deploy_file is not None
        and p.event.ref_kind == "branch"
        and p.event.name != "pull_request"
    ]
    if not pipelines:
        raise InputError(
            "directory",
            f"no workflow under {directory} deploys on a push to a branch; give the `strategy`",
        )
    kinds = {p.strategy.describe(): p for p in pipelines}
    if len(kinds) > 1:
        listed = "; ".join(f"{p.name} -> {k}" for k, p in kinds.items())
        raise InputError(
            "directory",
            f"the workflows under {directory} hold pipelines with different strategies ({listed}); "
            "give the one the incident ran with as `strategy`",
        )
    ((label, pipeline),) = kinds.items()
    files = ", ".join(dict.fromkeys(f for f in (pipeline.build_file, pipeline.deploy_file) if f))
    reason = f"read by racesim audit from {files} (pipeline {pipeline.name}: {label})"
    if pipeline.unknowns:
        reason += "; the audit assumed: " + "; ".join(pipeline.unknowns)
    return pipeline.strategy, reason


def _pick(history: RunHistory, workflow: str | None, role: str) -> list[RecordedRun]:
    runs = [r for r in history.runs if r.event not in _NOT_DEPLOYING]
    if workflow is None:
        return []
    chosen = [r for r in runs if r.matches(workflow)]
    if not chosen:
        known = sorted({r.workflow for r in history.runs})
        raise InputError(
            role,
            f"no run of workflow {workflow!r} (pull request runs excluded); the runs are of "
            f"{', '.join(known) or 'no workflow'}",
        )
    return chosen


def _infer_strategy(
    builds: list[RecordedRun], deploys: list[RecordedRun], same: bool
) -> tuple[Strategy, str]:
    if same:
        return parse_strategy("merged_job"), (
            "build and deploy are one workflow, so the deploy job `needs` the build job "
            "(merged_job); the image reference (latest) is assumed"
        )
    if deploys and all(d.event == "workflow_run" for d in deploys):
        return parse_strategy("workflow_run"), (
            "the deploy runs were triggered by workflow_run; gated on success and pulling "
            "latest are assumed (give the strategy, or the workflow files for racesim audit to "
            "read)"
        )
    return parse_strategy("parallel"), (
        "the build and deploy runs were triggered by the push itself (parallel); pulling "
        "latest is assumed (give the strategy, or the workflow files for racesim audit to read)"
    )


def draft_incident(
    history: RunHistory,
    *,
    build: str,
    deploy: str | None = None,
    commits: Sequence[str] | None = None,
    strategy: str | Strategy | None = None,
    strategy_reason: str = "",
    steps: StepMap | None = None,
    name: str = "drafted",
    source: str = "GitHub Actions run history",
) -> Draft:
    """An incident drafted from the runs of workflows `build` and `deploy` in `history`.

    Args:
        history: runs read with :func:`racesim.ingest.read_history`.
        build: the build workflow (name, file, file name or id).
        deploy: the deploy workflow; ``None`` when only the build's runs were saved (the deploy's
            durations are then all assumed). The same as `build` for a merged workflow.
        commits: head commits to include (full or abbreviated shas), default every one.
        strategy: the strategy in place; by default inferred from the runs' trigger events.
        strategy_reason: why `strategy` is the one (printed in the file).
        steps: how to find the push, pull and rollout steps.
        name: the incident's name.
        source: where the runs came from (the incident's ``source``).
    """
    steps = steps or StepMap()
    builds = _pick(history, build, "build")
    deploys = _pick(history, deploy, "deploy")
    same = deploy is not None and all(r in builds for r in deploys) and bool(deploys)
    if commits:
        wanted = [c.strip() for c in commits if c.strip()]
        for c in wanted:
            if not any(r.head_sha.startswith(c) for r in builds):
                raise InputError("commits", f"no {build!r} run has head commit {c!r}")
        builds = [r for r in builds if any(r.head_sha.startswith(c) for c in wanted)]
        deploys = [r for r in deploys if any(r.head_sha.startswith(c) for c in wanted)]
    if strategy is None:
        chosen, reason = _infer_strategy(builds, deploys, same)
    else:
        chosen = parse_strategy(strategy, "strategy")
        reason = strategy_reason or f"{chosen.describe()}, as given on the command line"
    notes: list[str] = []
    # one push per commit: its first run; later first attempts and later attempts are re-runs
    first: dict[str, RecordedRun] = {}
    reruns: list[Moment] = []
    for run in sorted(builds, key=lambda r: r.queued):
        label = run.head_sha[:7]
        if run.head_sha not in first and run.attempt == 1:
            first[run.head_sha] = run
            continue
        what = f"attempt {run.attempt} of run {run.id}" if run.attempt > 1 else f"run {run.id}"
        reruns.append(
            Moment(
                run.queued, label, note=f"{what} of {run.workflow}, queued {run.queued:%H:%M:%S}"
            )
        )
    for run in builds:
        if run.head_sha not in first:
            # only re-runs were saved: the first attempt's created_at is the push's run
            # (the attempts endpoint gives the attempt's own created_at, which can be 2 s after
            # its run_started_at: the earlier of the two is the first attempt's latest bound)
            created = min(run.created, run.queued)
            first[run.head_sha] = replace(
                run, attempt=1, created=created, run_started=None, jobs=()
            )
            notes.append(f"{run.head_sha[:7]}: only attempt {run.attempt} was saved")
    pushes: list[Moment] = []
    observed: list[Observation] = []
    for sha, build_run in sorted(first.items(), key=lambda kv: kv[1].created):
        label = sha[:7]
        mine = [d for d in deploys if d.head_sha == sha and d.attempt == 1]
        deploy_run = min(mine, key=lambda r: r.queued) if mine else None
        push_runs = [r for r in (build_run, deploy_run) if r is not None and r.event == "push"]
        push_time = min((r.created for r in push_runs), default=build_run.created)
        pushes.append(
            Moment(
                push_time,
                label,
                assumed="the push itself is not in the run history; taken as the first run's "
                "created_at (GitHub creates push runs within seconds of the push)",
            )
        )
        events = _build_events(build_run, steps, notes, same)
        events += _published(history, sha, events)
        if deploy_run is not None:
            events += _deploy_events(deploy_run, chosen, steps, notes, same)
        events = _in_order(events, label, push_time, notes)
        observed += [Observation(e, label, t, note) for e, t, note in events]
    reruns = [r for r in reruns if r.commit in {p.commit for p in pushes}]
    incident = Incident(
        name=name,
        title=f"Drafted from {len(pushes)} push(es) of {build}"
        + (f" and {deploy}" if deploy and not same else ""),
        source=source,
        strategy=chosen,
        pushes=tuple(pushes),
        observed=tuple(observed),
        reruns=tuple(sorted(reruns, key=lambda m: m.time)),
        summary="Drafted from run history. Nothing here says what production ended up serving: "
        "add an [outcome] table once you know.",
    )
    incident = replace(incident, assumed=tuple(_assumptions(incident, deploy is None)))
    return Draft(incident, reason, tuple(notes) + history.notes)


def _build_events(
    run: RecordedRun, steps: StepMap, notes: list[str], same: bool
) -> list[tuple[str, datetime, str]]:
    label = run.head_sha[:7]
    out: list[tuple[str, datetime, str]] = []
    started = run.first_job_started()
    if started is not None:
        out.append(("build.started", started, f"first job of run {run.id} started"))
    found = steps.find("push", run.jobs)
    if found is not None:
        job, step = found
        if step.started is not None:
            out.append(("build.built", step.started, f"step {step.name!r} started"))
        if step.completed is not None:
            out.append(("build.pushed", step.completed, f"step {step.name!r} completed"))
        if same and job.completed is not None:
            out.append(("build.finished", job.completed, f"job {job.name!r} completed"))
            return out
    elif run.jobs:
        notes.append(f"{label}: no step of run {run.id} matches the push pattern")
    if same:
        return out
    ended = run.ended
    if ended is not None and run.ended_from == "updated_at" and ended - run.created > ONE_DAY:
        notes.append(
            f"{label}: run {run.id} has no jobs and its updated_at is over a day after it was "
            "created, so its end is unknown"
        )
    elif ended is not None:
        how = "last job completed" if run.ended_from == "jobs" else "updated_at (no jobs saved)"
        out.append(("build.finished", ended, f"run {run.id}: {how}"))
    return out


def _published(
    history: RunHistory, sha: str, events: list[tuple[str, datetime, str]]
) -> list[tuple[str, datetime, str]]:
    """``build.pushed`` from a ``registry_package`` webhook when no push step showed it.

    A package version whose image ``revision`` label is the commit, with a publication time,
    says when the image reached GitHub Packages.
    """
    if any(e == "build.pushed" for e, _, _ in events):
        return []
    times = [
        p.time
        for p in history.packages
        if p.time is not None and p.revision is not None and sha.startswith(p.revision)
    ]
    if not times:
        return []
    return [("build.pushed", min(times), "registry_package published webhook")]


def _deploy_events(
    run: RecordedRun, strategy: Strategy, steps: StepMap, notes: list[str], same: bool
) -> list[tuple[str, datetime, str]]:
    label = run.head_sha[:7]
    out: list[tuple[str, datetime, str]] = []
    pulled = steps.find("pull", run.jobs)
    rollout = steps.find("rollout", run.jobs)
    jobs = run.jobs
    if same:
        anchor = rollout or pulled
        jobs = (anchor[0],) if anchor else ()
    elif strategy.trigger == "workflow_run":
        out.append(("deploy.created", run.queued, f"run {run.id} created"))
    started = [j.started for j in jobs if j.started is not None]
    if started:
        out.append(("deploy.started", min(started), "deploy job started"))
    if pulled is not None and pulled[1].started is not None:
        out.append(("deploy.pulled", pulled[1].started, f"step {pulled[1].name!r} started"))
        if strategy.mirror and pulled[1].completed is not None:
            out.append(("deploy.mirrored", pulled[1].completed, f"step {pulled[1].name!r} ended"))
    elif rollout is not None and rollout[1].started is not None:
        out.append(
            ("deploy.pulled", rollout[1].started, f"step {rollout[1].name!r} started (it pulls)")
        )
    if rollout is not None and rollout[1].completed is not None:
        out.append(("deploy.live", rollout[1].completed, f"step {rollout[1].name!r} completed"))
    elif run.jobs:
        notes.append(f"{label}: no step of run {run.id} matches the rollout pattern")
    ended = run.ended
    if ended is not None and not (run.ended_from == "updated_at" and ended - run.created > ONE_DAY):
        out.append(("deploy.finished", ended, f"run {run.id} ended"))
    return out


def _in_order(
    events: list[tuple[str, datetime, str]], label: str, push: datetime, notes: list[str]
) -> list[tuple[str, datetime, str]]:
    """Clamp each event to the one before it in its chain (steps start ~1 s before their job)."""
    by_name = {e: (t, n) for e, t, n in events}
    out = []
    for order in (_BUILD_ORDER, _DEPLOY_ORDER):
        last = push
        for event in order:
            if event not in by_name:
                continue
            if event == "deploy.created":
                last = by_name.get("build.finished", (last, ""))[0]
            t, note = by_name[event]
            if t < last:
                gap = (last - t).total_seconds()
                notes.append(f"{label}: {event} is {gap:g} s before the event it follows; clamped")
                note = f"{note}; {gap:g} s earlier in the data, clamped"
                t = last
            out.append((event, t, note))
            last = t
    return out


def _assumptions(incident: Incident, no_deploy: bool) -> list[Assumption]:
    """An explicit assumption for every duration the replay would otherwise default."""
    _, table = derive(incident)
    defaulted = [d for d in table if d.source == "default"]
    out: list[Assumption] = []
    names = dict.fromkeys(d.duration for d in defaulted)
    for name in names:
        rows = [d for d in defaulted if d.duration == name]
        values = {d.seconds for d in rows}
        base = DEFAULT_ASSUMPTIONS.get(name, (0.0, "not in the run history; 0 s moves no time"))[1]
        why = f"no run, job or step time shows it: {base}"
        if no_deploy and name in ("dispatch", "deploy_pickup", "prepare", "rollout"):
            why = f"no deploy runs were given: {base}"
        if name in ("registry_lag", "deploy_registry_lag"):
            why = "the run history has no registry times; 0 s (no read-after-write lag)"
        if len(values) == 1 and len(rows) == len(incident.pushes):
            out.append(Assumption(name, rows[0].seconds, why))
        else:
            out += [Assumption(name, d.seconds, why, d.commit) for d in rows]
    return out
