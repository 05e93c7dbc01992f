"""Map each build-to-deploy path of a repository's workflows to a racesim Strategy, knob by knob.

A *pipeline* is one path from something that writes an image (or builds an artifact) to
something that ships it, under one event (a push to ``main``, a release, a pull request). For
each pipeline every Strategy knob is read from the files with its evidence (``file:line`` and the
text); what cannot be read is listed in ``unknowns`` and the knob keeps its safe-side default
(no serialisation, no gate), never a guess that would hide a race. A workflow that pushes
mutable tags and has no deploy in these files is a pipeline with trigger ``none``: its consumers
pull the tags.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from racesim.core.strategy import Concurrency, Strategy, Wait
from racesim.github.catalogue import Catalogue
from racesim.github.context import TriggerEvent, event_context, with_env, with_inputs
from racesim.github.expressions import Open, Sym, condition, interpolate, truth
from racesim.github.files import RepoFiles
from racesim.github.recognise import Fact, Ref, Unknown, job_facts
from racesim.github.workflows import ConcurrencyDef, Loc, Repo, Trigger, Workflow, WorkflowJob

__all__ = [
    "Evidence",
    "GroupReading",
    "Pipeline",
    "RepoReading",
    "WorkflowSurvey",
    "find_pipelines",
    "read_repo",
]


@dataclass(frozen=True)
class Evidence:
    """Why a knob has its value: the knob, the value, where it was read and a short reason."""

    knob: str
    value: str
    loc: Loc | None
    why: str


@dataclass(frozen=True)
class GroupReading:
    """A concurrency group evaluated for one event: does it serialise runs of that event?"""

    role: str
    loc: Loc
    raw: str
    value: str
    dims: frozenset[str]
    cancel: bool | None
    serialises: bool | None
    reason: str
    #: ``workflow`` (the run's top-level ``concurrency:``, which holds every job) or ``job``
    scope: str = "job"
    #: ``single`` (one pending run, GitHub's default) or ``max`` (a first-in-first-out queue)
    queue: str = "single"


@dataclass(frozen=True)
class Pipeline:
    """One build-to-deploy path under one event, mapped to a Strategy."""

    name: str
    event: TriggerEvent
    strategy: Strategy
    build_file: str | None
    build_job: str | None
    deploy_file: str | None
    deploy_job: str | None
    target: str
    evidence: tuple[Evidence, ...]
    unknowns: tuple[str, ...]
    build_facts: tuple[Fact, ...] = ()
    deploy_facts: tuple[Fact, ...] = ()
    groups: tuple[GroupReading, ...] = ()
    dispatch: Loc | None = None
    trigger_loc: Loc | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def mutable_tags(self) -> tuple[Ref, ...]:
        """The mutable tags the build pushes."""
        seen: dict[str, Ref] = {}
        for f in self.build_facts:
            for t in f.tags:
                if t.kind == "mutable":
                    seen.setdefault(t.text, t)
        return tuple(seen.values())


def _default_branch(wf: Workflow) -> str:
    push = wf.triggers.get("push")
    branches = push.branches if push and push.branches else ()
    return "master" if "master" in branches and "main" not in branches else "main"


def events_of(wf: Workflow) -> list[tuple[TriggerEvent, list[str]]]:
    """The events that can start `wf` (workflow_dispatch aside), each with its assumptions."""
    out: list[tuple[TriggerEvent, list[str]]] = []
    for name, trig in wf.triggers.items():
        if name == "push":
            if trig.branches:
                for b in trig.branches:
                    if re.search(r"[*?\[!]", b):
                        out.append((TriggerEvent("push", None, "branch"), []))
                    else:
                        out.append((TriggerEvent("push", f"refs/heads/{b}"), []))
            if trig.tags:
                out.append((TriggerEvent("push", None, "tag"), []))
            if not trig.branches and not trig.tags:
                literal = sorted(
                    {
                        m
                        for job in wf.jobs.values()
                        for m in re.findall(r"refs/heads/([\w./-]+)", str(job.if_ or ""))
                    }
                )
                if literal:
                    out.extend((TriggerEvent("push", f"refs/heads/{b}"), []) for b in literal)
                else:
                    out.append(
                        (
                            TriggerEvent("push", "refs/heads/main"),
                            [f"{trig.loc}: push has no branch filter; read as a push to main"],
                        )
                    )
        elif name in ("pull_request", "pull_request_target"):
            out.append((TriggerEvent(name, None, "pr"), []))
        elif name == "release":
            out.append((TriggerEvent("release", None, "tag"), []))
        elif name == "workflow_run":
            out.append((TriggerEvent("workflow_run", None), []))
        elif name == "merge_group":
            out.append((TriggerEvent("merge_group", f"refs/heads/{_default_branch(wf)}"), []))
    if not out:
        for name in ("workflow_dispatch", "repository_dispatch", "schedule"):
            if name in wf.triggers:
                ref = f"refs/heads/{_default_branch(wf)}" if name != "workflow_dispatch" else None
                out.append((TriggerEvent(name, ref), []))
                break
    return out


def _runs(wf: Workflow, ctx: Mapping[str, Any], notes: list[str]) -> dict[str, bool]:
    decided: dict[str, bool] = {}

    def runs(job: WorkflowJob) -> bool:
        if job.id in decided:
            return decided[job.id]
        decided[job.id] = False
        ok = all(runs(wf.jobs[n]) for n in job.needs)
        if ok and job.if_ is not None:
            verdict = condition(job.if_, with_env(ctx, wf.env))
            if verdict is None:
                notes.append(f"{job.if_loc}: cannot decide `if: {job.if_}`; read as true")
            ok = verdict is not False
        decided[job.id] = ok
        return ok

    for job in wf.jobs.values():
        runs(job)
    return decided


def read_group(
    role: str, group: ConcurrencyDef, ctx: Mapping[str, Any], event: TriggerEvent
) -> GroupReading:
    """Evaluate `group` under `event`: the value, what it varies with, and whether it serialises."""
    for layer in group.inputs:  # a group inside a reusable workflow sees the call's inputs
        ctx = with_inputs(ctx, layer)
    value = interpolate(group.group, ctx)
    dims = value.dims if isinstance(value, Sym) else frozenset()
    cancel = truth(interpolate(group.cancel, ctx))
    text = str(value)
    if dims & {"run", "commit"}:
        which = "run" if "run" in dims else "commit"
        serialises: bool | None = False
        reason = f"evaluates to a value unique to every {which} on {event.name} ({text})"
    elif "ref" in dims and event.ref is None and event.ref_kind == "tag":
        serialises = False
        reason = f"differs for every tag ({text}): two releases never share it"
    elif "pr" in dims:
        serialises = False
        reason = f"is one group per pull request ({text}): different pull requests never share it"
    elif "unknown" in dims or "actor" in dims:
        serialises = None
        reason = f"cannot be evaluated statically ({text})"
    else:
        serialises = True
        reason = f"evaluates to {text!r} on every {event.describe()}"
    queue = (
        "max" if str(interpolate(group.queue, ctx)).strip() == "max" and not cancel else "single"
    )
    return GroupReading(
        role, group.loc, group.group, text, dims, cancel, serialises, reason, queue=queue
    )


def _concurrency(reading: GroupReading | None) -> Concurrency | None:
    if reading is None or not reading.serialises:
        return None
    if reading.queue == "max":
        return Concurrency(queue="max")
    return Concurrency(cancel_in_progress=bool(reading.cancel))


def _same_repo(a: str, b: str) -> bool:
    if a == b:
        return True
    if "<" in a or "<" in b:
        return a.split("/")[-1] == b.split("/")[-1] or a.split("/")[0] == b.split("/")[0]
    return False


@dataclass
class _Run:
    wf: Workflow
    event: TriggerEvent
    ctx: dict[str, Any]
    jobs: dict[str, bool]
    facts: dict[str, list[Fact]]
    notes: list[str]
    unknowns: list[Unknown] = field(default_factory=list)


def _order(wf: Workflow) -> list[WorkflowJob]:
    done: dict[str, WorkflowJob] = {}

    def visit(job: WorkflowJob, path: tuple[str, ...]) -> None:
        if job.id in done or job.id in path:
            return
        for n in job.needs:
            if n in wf.jobs:
                visit(wf.jobs[n], (*path, job.id))
        done[job.id] = job

    for job in wf.jobs.values():
        visit(job, ())
    return list(done.values())


def _analyse(
    wf: Workflow,
    event: TriggerEvent,
    notes: list[str],
    catalogue: Catalogue | None = None,
    files: RepoFiles | None = None,
) -> _Run:
    default = _default_branch(wf)
    ctx = with_env(event_context(event, wf.name, default), wf.env)
    jobs = _runs(wf, ctx, notes)
    outputs: dict[str, dict[str, Any]] = {}
    facts: dict[str, list[Fact]] = {}
    unknowns: list[Unknown] = []
    for job in _order(wf):
        if not jobs.get(job.id):
            continue
        jctx = dict(ctx)
        jctx["needs"] = {
            n: {"outputs": Open(outputs.get(n, {})), "result": "success"} for n in job.needs
        }
        reading = job_facts(wf, job, event, jctx, default, catalogue, files)
        facts[job.id] = reading.facts
        outputs[job.id] = reading.outputs
        unknowns.extend(reading.unknowns)
        notes.extend(reading.notes)
    return _Run(wf, event, ctx, jobs, facts, notes, unknowns)


def _closure(wf: Workflow, jid: str) -> list[str]:
    out: list[str] = []
    todo = list(wf.jobs[jid].needs)
    while todo:
        j = todo.pop()
        if j not in out:
            out.append(j)
            todo.extend(wf.jobs[j].needs)
    return out


def _builds(facts: list[Fact]) -> list[Fact]:
    return [f for f in facts if f.kind == "build"]


def _group_for(run: _Run, job: str | None, role: str) -> GroupReading | None:
    wf = run.wf
    if wf.concurrency is not None:
        return replace(read_group(role, wf.concurrency, run.ctx, run.event), scope="workflow")
    if job is not None and wf.jobs[job].concurrency is not None:
        conc = wf.jobs[job].concurrency
        assert conc is not None
        return read_group(role, conc, run.ctx, run.event)
    return None


@dataclass(frozen=True)
class WorkflowSurvey:
    """One workflow that can run: its events and what was recognised in it, or not."""

    file: str
    name: str
    events: tuple[str, ...]
    recognised: tuple[str, ...]
    unknowns: tuple[Unknown, ...]


@dataclass(frozen=True)
class RepoReading:
    """Everything read from a repository: the pipelines, each workflow's survey, the unknowns."""

    pipelines: tuple[Pipeline, ...]
    workflows: tuple[WorkflowSurvey, ...]
    unknowns: tuple[Unknown, ...]
    notes: tuple[str, ...]


def _files_for(repo: Repo, wf: Workflow) -> RepoFiles | None:
    for files in repo.files:
        try:
            from pathlib import Path

            Path(wf.file).resolve().relative_to(files.root)
        except ValueError:
            continue
        return files
    return repo.files[0] if repo.files else None


def _push_matches(trig: Trigger, event: TriggerEvent) -> bool:
    """Whether a ``push`` trigger (with its filters) fires on `event`'s push."""
    if trig.branches is None and trig.tags is None:
        return True  # `on: push` with no filter: every branch and every tag
    if event.ref_kind == "tag" or (event.ref or "").startswith("refs/tags/"):
        return trig.tags is not None
    branch = (event.ref or "").removeprefix("refs/heads/")
    return any(fnmatch.fnmatchcase(branch, b) for b in trig.branches or ())


def _skips_upstream(repo: Repo, p: Pipeline) -> tuple[str, Loc] | None:
    """A push path of a workflow that otherwise waits for `X` (``workflow_run``), where `X` runs on
    that same push: this path publishes without waiting for it. (upstream name, its trigger)."""
    if p.event.name != "push":
        return None
    file = p.deploy_file or p.build_file
    wf = next((w for w in repo.workflows if w.file == file), None)
    if wf is None or "workflow_run" not in wf.triggers:
        return None
    for name in wf.triggers["workflow_run"].workflows:
        for up in repo.workflows:
            trig = up.triggers.get("push")
            if up.name == name and trig is not None and _push_matches(trig, p.event):
                return name, wf.triggers["workflow_run"].loc
    return None


def read_repo(repo: Repo, catalogue: Catalogue | None = None) -> RepoReading:
    """Read every workflow of `repo`: pipelines, what each workflow does, what was not read."""
    base = catalogue or Catalogue.builtin()
    runs: list[_Run] = []
    for wf in repo.workflows:
        files = _files_for(repo, wf)
        cat = base.with_config(files.root) if files is not None and catalogue is None else base
        for event, assumed in events_of(wf):
            runs.append(_analyse(wf, event, list(assumed), cat, files))
    pipelines: list[Pipeline] = []
    consumed: set[tuple[str, str]] = set()
    for run in runs:
        for jid, facts in run.facts.items():
            for deploy in [f for f in facts if f.kind == "deploy"]:
                pipelines.append(_deploy_pipeline(run, jid, facts, deploy, runs, consumed))
    pipelines = _dedupe(pipelines)
    for run in runs:
        if run.event.name == "workflow_run":
            continue
        for jid, facts in run.facts.items():
            builds = [f for f in _builds(facts) if any(t.kind == "mutable" for t in f.tags)]
            if builds and (run.wf.file, jid) not in consumed:
                if any(f.kind == "deploy" for f in facts):
                    continue
                pipelines.append(_build_only(run, jid, builds))
    pipelines = _dedupe(pipelines)
    for i, pl in enumerate(pipelines):
        skipped = _skips_upstream(repo, pl)
        if skipped is not None:
            pipelines[i] = replace(pl, extra={**pl.extra, "skips_upstream": skipped})
    surveys: list[WorkflowSurvey] = []
    unknowns: dict[tuple[str, int, str], Unknown] = {}
    notes: list[str] = list(repo.notes)
    for wf in repo.workflows:
        mine = [r for r in runs if r.wf is wf]
        if not mine:
            continue
        seen: dict[str, None] = {}
        wf_unknowns: dict[tuple[str, int, str], Unknown] = {}
        for r in mine:
            for facts in r.facts.values():
                for f in facts:
                    if f.kind == "checkout":
                        continue
                    what = f.entry or f.detail or f.kind
                    seen[f"{f.kind} ({what}) at {f.loc.file}:{f.loc.line}"] = None
            for u in r.unknowns:
                wf_unknowns.setdefault((u.loc.file, u.loc.line, u.what), u)
            notes.extend(r.notes)
        unknowns.update(wf_unknowns)
        surveys.append(
            WorkflowSurvey(
                wf.file,
                wf.name,
                tuple(dict.fromkeys(r.event.describe() for r in mine)),
                tuple(seen),
                tuple(wf_unknowns.values()),
            )
        )
    # paths refused while the scripts and Makefiles were read (after load_workflows copied its own)
    for files in repo.files:
        notes.extend(files.notes)
    notes = list(dict.fromkeys(notes))
    return RepoReading(tuple(pipelines), tuple(surveys), tuple(unknowns.values()), tuple(notes))


def find_pipelines(repo: Repo, catalogue: Catalogue | None = None) -> list[Pipeline]:
    """Every pipeline in `repo`, in file order."""
    return list(read_repo(repo, catalogue).pipelines)


def _dedupe(pipelines: list[Pipeline]) -> list[Pipeline]:
    """One pipeline per path and strategy (a push to ``main`` or ``master`` reads the same).

    Deploy steps of one job that map to the same strategy are one pipeline whose
    ``extra["locations"]`` lists every step.
    """
    seen: dict[tuple[object, ...], int] = {}
    out: list[Pipeline] = []
    for p in pipelines:
        key = (p.build_file, p.build_job, p.deploy_file, p.deploy_job, p.strategy, p.event.name)
        read = p.extra.get("read")
        loc = getattr(read, "loc", None)
        if key not in seen:
            seen[key] = len(out)
            locs = [loc] if loc is not None else []
            out.append(replace(p, extra={**p.extra, "locations": locs}))
        elif loc is not None:
            locs = out[seen[key]].extra["locations"]
            if loc not in locs:
                locs.append(loc)
    return out


def _ev(knob: str, value: object, loc: Loc | None, why: str) -> Evidence:
    shown = str(value).lower() if isinstance(value, bool) else str(value)
    return Evidence(knob, shown, loc, why)


def _build_only(run: _Run, jid: str, builds: list[Fact]) -> Pipeline:
    reading = _group_for(run, jid, "build")
    conc = _concurrency(reading)
    strategy = Strategy(trigger="none", build_concurrency=conc, mirror=False)
    tags = ", ".join(t.text for f in builds for t in f.tags if t.kind == "mutable")
    trig = run.wf.triggers.get(run.event.name)
    evidence = [
        _ev(
            "trigger",
            "none",
            trig.loc if trig else run.wf.on_loc,
            f"no deploy in these files: consumers pull the mutable tags ({tags})",
        ),
        _ev(
            "build_concurrency",
            _conc_text(conc),
            reading.loc if reading else None,
            reading.reason if reading else "no concurrency group: every run builds in parallel",
        ),
    ]
    unknowns = list(run.notes)
    if reading is not None and reading.serialises is None:
        unknowns.append(f"{reading.loc}: concurrency group {reading.reason}")
    return Pipeline(
        name=f"{run.wf.name} [{run.event.describe()}] -> registry",
        event=run.event,
        strategy=strategy,
        build_file=run.wf.file,
        build_job=jid,
        deploy_file=None,
        deploy_job=None,
        target="registry tags",
        evidence=tuple(evidence),
        unknowns=tuple(unknowns),
        build_facts=tuple(builds),
        groups=tuple(r for r in (reading,) if r is not None),
        trigger_loc=trig.loc if trig else None,
        extra={"reads": _reads(run)},
    )


def _reads(run: _Run) -> list[Fact]:
    """Steps of the run that read an image by a tag (a scan, a test, a signature)."""
    return [f for facts in run.facts.values() for f in facts if f.kind == "read"]


def _conc_text(conc: Concurrency | None) -> str:
    if conc is None:
        return "none"
    return f"{{queue={conc.queue}, cancel_in_progress={str(conc.cancel_in_progress).lower()}}}"


def _deploy_pipeline(
    run: _Run,
    jid: str,
    facts: list[Fact],
    deploy: Fact,
    runs: list[_Run],
    consumed: set[tuple[str, str]],
) -> Pipeline:
    wf, event = run.wf, run.event
    evidence: list[Evidence] = []
    unknowns = list(run.notes)
    before = facts[: facts.index(deploy) + 1]
    pulls = [f for f in before if f.kind == "pull"]
    read = pulls[0] if pulls else deploy
    ref = read.ref
    trig = wf.triggers.get(event.name)
    trigger_loc = trig.loc if trig else wf.on_loc
    own = [f for j in [jid, *_closure(wf, jid)] for f in _builds(run.facts.get(j, []))]
    build_run: _Run | None = None
    build_job: str | None = None
    build_facts: list[Fact] = []
    gate = False
    groups: list[GroupReading] = []
    if event.name == "workflow_run":
        trigger = "workflow_run"
        names = trig.workflows if trig else ()
        evidence.append(
            _ev("trigger", trigger, trigger_loc, f"runs when {', '.join(names)} completes")
        )
        ups = [r for r in runs if r.wf.name in names and r.event.name == "push"]
        if ups:
            build_run = ups[0]
        else:
            unknowns.append(
                f"{trigger_loc}: upstream workflow {', '.join(names)} not in these files"
            )
        job = wf.jobs[jid]
        failed = dict(run.ctx)
        failed_ctx = event_context(
            TriggerEvent("workflow_run", None, conclusion="failure"), wf.name, _default_branch(wf)
        )
        failed = with_env(failed_ctx, wf.env)
        verdict = condition(job.if_, failed) if job.if_ is not None else True
        gate = verdict is False
        evidence.append(
            _ev(
                "gate",
                gate,
                job.if_loc or job.loc,
                "the job's `if:` is false when the build failed"
                if gate
                else "nothing stops the deploy when the build failed"
                if verdict is True
                else "cannot decide the job's `if:` for a failed build",
            )
        )
        if verdict is None:
            unknowns.append(
                f"{job.if_loc}: cannot decide whether `if:` gates on the build's success"
            )
    elif ref is None or ref.kind == "own" or own:
        trigger = "needs"
        build_run, build_job = run, (own[0].job if own else jid)
        build_facts = own
        why = "builds and ships in the same run" + (" (its own checkout)" if ref is None else "")
        evidence.append(_ev("trigger", trigger, wf.jobs[jid].loc, why))
    elif ref.source == "opaque" and wf.jobs[jid].needs:
        # a deploy racesim cannot read, after the jobs it needs: it starts after them
        trigger = "needs"
        build_run, build_job = run, wf.jobs[jid].needs[0]
        evidence.append(
            _ev("trigger", trigger, wf.jobs[jid].loc, "ships after the jobs it needs, in this run")
        )
    else:
        trigger = "push" if event.name != "workflow_dispatch" else "none"
        candidates = [
            r
            for r in runs
            if r.wf is not wf
            and r.event.name == event.name
            and any(
                any(
                    _same_repo(t.repo, ref.repo)
                    # a redeploy that names no image (a task definition's or service's tag)
                    # reads whatever mutable tag the repository's builds push
                    or (not ref.repo and ref.kind == "mutable" and t.kind == "mutable")
                    for t in f.tags
                )
                for fs in r.facts.values()
                for f in _builds(fs)
            )
        ]
        if candidates:
            build_run = candidates[0]
        else:
            unknowns.append(f"{read.loc}: no workflow in these files builds {ref.repo}")
        evidence.append(
            _ev(
                "trigger",
                trigger,
                trigger_loc,
                f"starts on {event.name} on its own, in parallel with the build",
            )
        )
    if build_run is not None and build_run is not run:
        for j, fs in build_run.facts.items():
            bs = _builds(fs)
            if bs:
                build_job, build_facts = j, bs
                consumed.add((build_run.wf.file, j))
                break
    if build_run is run:
        consumed.add((wf.file, build_job or jid))
    # the image reference
    reference = "latest"
    if ref is None:
        reference = "digest"
        evidence.append(
            _ev("reference", "digest", deploy.loc, f"{deploy.detail} ships the run's own build")
        )
    elif ref.kind == "own" or (ref.kind == "digest" and trigger in ("needs", "workflow_run")):
        reference = "digest"
        evidence.append(
            _ev("reference", "digest", read.loc, f"uses the digest of its build: {ref.text}")
        )
    elif ref.kind == "commit" and (ref.source == "head_sha" or trigger in ("needs", "push")):
        reference = "sha"
        evidence.append(_ev("reference", "sha", read.loc, f"pinned to the commit: {ref.text}"))
    else:
        why = f"mutable tag: {ref.text}"
        if ref.kind == "commit":
            why = (
                f"{ref.text}: under workflow_run github.sha is the branch tip when the deploy "
                "starts, not the built commit"
            )
        elif ref.kind == "unknown":
            why = f"cannot tell which image {ref.text} names; read as a mutable tag"
            unknowns.append(f"{read.loc}: image reference {ref.text} not recognised")
        evidence.append(_ev("reference", "latest", read.loc, why))
    # waits
    sleep = sum(f.seconds for f in before if f.kind == "sleep")
    for f in before:
        if f.kind == "sleep":
            evidence.append(
                _ev("sleep", f"{f.seconds:g}", f.loc, "sleeps before it reads the image")
            )
    waits = [f for f in before if f.kind == "wait"]
    wait = None
    if waits:
        w = waits[0]
        wait = Wait(interval=w.seconds, timeout=w.timeout or 300.0)
        evidence.append(
            _ev("wait", f"every {w.seconds:g} s", w.loc, "polls the registry before it deploys")
        )
        if not w.timeout:
            unknowns.append(f"{w.loc}: polling loop without a visible bound; timeout read as 300 s")
    guards = [f for f in facts if f.kind == "guard"]
    guard = guards[0].detail if guards else "none"
    if guards:
        evidence.append(_ev("guard", guard, guards[0].loc, "checks freshness before the rollout"))
    mirror = any(f.kind == "mirror" for f in before)
    if mirror:
        m = next(f for f in before if f.kind == "mirror")
        evidence.append(
            _ev("mirror", True, m.loc, f"pushes the pulled image to {m.ref.repo if m.ref else '?'}")
        )
    # a build that pushes to several registries, one of them the deploy's: the deploy reads the
    # build's later push, not a copy of its own (the model's `direct`)
    direct = False
    if not mirror and ref is not None and ref.repo and build_facts:
        repos = list(dict.fromkeys(t.repo for f in build_facts for t in f.tags if t.repo))
        hosts = list(dict.fromkeys(r.split("/")[0] for r in repos))
        if len(hosts) > 1 and ref.repo.split("/")[0] in hosts[1:]:
            direct = True
            evidence.append(
                _ev(
                    "direct",
                    True,
                    build_facts[0].loc,
                    f"the build pushes to {hosts[0]} and to {ref.repo.split('/')[0]}, where the "
                    "deploy reads",
                )
            )
    live_order = "request" if deploy.live_order == "request" else "finish"
    if live_order == "request":
        evidence.append(
            _ev(
                "live_order",
                "request",
                deploy.loc,
                f"{deploy.detail} converges to the last request it accepted: a newer rollout "
                "supersedes one still in progress",
            )
        )
    if deploy.stops_on_cancel:
        evidence.append(
            _ev(
                "rollout_survives_cancel",
                False,
                deploy.loc,
                f"{deploy.detail} stops its rollout when the job is cancelled",
            )
        )
    # concurrency
    build_job_only: GroupReading | None = None
    if trigger == "needs":
        # a workflow-level group holds the whole run; a group on the build job holds the build
        # alone (the deploy job runs outside it), so it orders builds but not deploys; a group
        # on the deploy job (or on the inner job of a reusable workflow that deploys): deploys
        build_def = wf.concurrency
        if build_def is None and build_job and build_job != jid:
            job_def = wf.jobs[build_job].concurrency
            if job_def is not None:
                build_job_only = read_group("build", job_def, run.ctx, event)
        build_reading = (
            replace(read_group("build", build_def, run.ctx, event), scope="workflow")
            if build_def
            else None
        )
        deploy_def = deploy.group or wf.jobs[jid].concurrency
        deploy_reading = read_group("deploy", deploy_def, run.ctx, event) if deploy_def else None
    else:
        build_reading = _group_for(build_run, build_job, "build") if build_run else None
        if deploy.group is not None and wf.concurrency is None:
            # the group of the job the deploy step runs in, inside a reusable workflow
            deploy_reading = read_group("deploy", deploy.group, run.ctx, event)
        else:
            deploy_reading = _group_for(run, jid, "deploy")
    for reading, knob in (
        (build_reading, "build_concurrency"),
        (deploy_reading, "deploy_concurrency"),
    ):
        conc = _concurrency(reading)
        if reading is None and knob == "build_concurrency" and build_job_only is not None:
            groups.append(build_job_only)
            evidence.append(
                _ev(
                    knob,
                    "none",
                    build_job_only.loc,
                    f"the group on the build job alone {build_job_only.reason}: it orders the "
                    "builds, but each deploy job runs outside it",
                )
            )
        elif reading is None:
            evidence.append(_ev(knob, "none", None, "no concurrency group"))
        else:
            groups.append(reading)
            level = (
                "workflow-level group (holds every job of the run)"
                if reading.scope == "workflow"
                else "group"
            )
            evidence.append(_ev(knob, _conc_text(conc), reading.loc, f"{level} {reading.reason}"))
            if reading.serialises is None:
                unknowns.append(f"{reading.loc}: concurrency group {reading.reason}")
    if build_facts:
        pushed = ", ".join(dict.fromkeys(t.text for f in build_facts for t in f.tags))
        evidence.insert(
            1, _ev("build", build_job or "?", build_facts[0].loc, f"the build pushes {pushed}")
        )
    build_conc = _concurrency(build_reading)
    deploy_conc = _concurrency(deploy_reading)
    if reference == "digest" and trigger not in ("needs", "workflow_run"):
        reference = "latest"
        unknowns.append(f"{read.loc}: a digest without a build to report it; read as latest")
    strategy = Strategy(
        trigger=trigger,  # type: ignore[arg-type]
        gate=gate and trigger == "workflow_run",
        reference=reference,  # type: ignore[arg-type]
        sleep=sleep,
        wait=wait,
        build_concurrency=build_conc,
        deploy_concurrency=deploy_conc,
        guard=guard,  # type: ignore[arg-type]
        mirror=mirror,
        direct=direct,
        rollout_survives_cancel=not deploy.stops_on_cancel,
        live_order=live_order,  # type: ignore[arg-type]
    )
    extra: dict[str, Any] = {"read": read, "deploy_job_loc": wf.jobs[jid].loc}
    if build_job_only is not None and build_job_only.serialises:
        extra["builds_ordered"] = True
    extra["reads"] = _reads(run)
    # an image racesim cannot name: judged on what holds whatever it is
    extra["opaque"] = ref is not None and ref.kind == "unknown"
    extra["checkouts"] = [
        f
        for j in dict.fromkeys([jid, *_closure(wf, jid)])
        for f in run.facts.get(j, [])
        if f.kind == "checkout"
    ]
    if trigger == "needs" and wf.concurrency is not None and build_reading and build_reading.cancel:
        shared = []
        for other, _ in events_of(wf):
            if other == event:
                continue
            octx = with_env(event_context(other, wf.name, _default_branch(wf)), wf.env)
            value = interpolate(wf.concurrency.group, octx)
            same = isinstance(value, str) and value == build_reading.value
            if same and not _runs(wf, octx, []).get(jid, False):
                shared.append(other.describe())
        extra["cancel_shared"] = shared
    dispatch = wf.triggers["workflow_dispatch"].loc if "workflow_dispatch" in wf.triggers else None
    build_name = build_run.wf.name if build_run else "?"
    return Pipeline(
        name=f"{build_name} -> {wf.name} [{event.describe()}]"
        if build_run is not run
        else f"{wf.name} [{event.describe()}]",
        event=event,
        strategy=strategy,
        build_file=build_run.wf.file if build_run else None,
        build_job=build_job,
        deploy_file=wf.file,
        deploy_job=jid,
        target=deploy.detail or "deploy",
        evidence=tuple(evidence),
        unknowns=tuple(dict.fromkeys(unknowns)),
        build_facts=tuple(build_facts),
        deploy_facts=tuple(facts),
        groups=tuple(groups),
        dispatch=dispatch,
        trigger_loc=trigger_loc,
        extra=extra,
    )
