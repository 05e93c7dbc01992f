"""The workflows of a repository as typed records: triggers, jobs, steps, needs, concurrency.

:func:`load_workflows` finds the workflow files under a path (a repository, a workflows folder,
or files), reads each with :mod:`racesim.github.yaml`, and builds :class:`Workflow` records.
Local composite actions (``uses: ./.github/actions/x``) are expanded into the steps of the job
that uses them. Every record keeps its :class:`Loc` (file, line, text) for evidence.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from racesim.errors import InputError
from racesim.github.yaml import Doc, item_line, key_line, load_yaml, node_line

__all__ = [
    "Action",
    "ConcurrencyDef",
    "Loc",
    "Repo",
    "Trigger",
    "Workflow",
    "WorkflowJob",
    "WorkflowStep",
    "load_workflows",
]

_EVENTS_SEEN = (
    "push",
    "pull_request",
    "pull_request_target",
    "workflow_run",
    "workflow_dispatch",
    "release",
    "schedule",
    "repository_dispatch",
    "workflow_call",
)


@dataclass(frozen=True)
class Loc:
    """Where a piece of evidence is: file, 1-based line and that line's text."""

    file: str
    line: int
    text: str = ""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


def _loc(doc: Doc, line: int) -> Loc:
    return Loc(doc.path, line, doc.line_text(line))


def _strings(value: object) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return (str(value),)


@dataclass(frozen=True)
class Trigger:
    """One event under ``on:`` with its filters (``None``: no filter of that kind)."""

    event: str
    loc: Loc
    branches: tuple[str, ...] | None = None
    tags: tuple[str, ...] | None = None
    paths: tuple[str, ...] | None = None
    workflows: tuple[str, ...] = ()
    types: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ConcurrencyDef:
    """A ``concurrency:`` block: the raw group and cancel-in-progress, with their location."""

    group: str
    cancel: object
    loc: Loc


@dataclass(frozen=True)
class WorkflowStep:
    """One step (possibly expanded from a local composite action, whose inputs it carries)."""

    index: int
    loc: Loc
    name: str = ""
    id: str = ""
    uses: str = ""
    run: str = ""
    with_: Mapping[str, Any] = field(default_factory=dict)
    env: Mapping[str, Any] = field(default_factory=dict)
    if_: object = None
    inputs: Mapping[str, Any] | None = None
    run_line: int = 0

    @property
    def label(self) -> str:
        return (
            self.name or self.uses or self.run.strip().splitlines()[0][:60]
            if (self.name or self.uses or self.run.strip())
            else f"step {self.index + 1}"
        )


@dataclass(frozen=True)
class WorkflowJob:
    """A job: its needs, condition, concurrency and steps."""

    id: str
    loc: Loc
    needs: tuple[str, ...] = ()
    if_: object = None
    if_loc: Loc | None = None
    concurrency: ConcurrencyDef | None = None
    steps: tuple[WorkflowStep, ...] = ()
    env: Mapping[str, Any] = field(default_factory=dict)
    uses: str = ""


@dataclass(frozen=True)
class Workflow:
    """A workflow file: name, triggers, workflow-level concurrency and env, jobs."""

    doc: Doc
    name: str
    triggers: Mapping[str, Trigger]
    on_loc: Loc
    concurrency: ConcurrencyDef | None
    jobs: Mapping[str, WorkflowJob]
    env: Mapping[str, Any] = field(default_factory=dict)

    @property
    def file(self) -> str:
        return self.doc.path


@dataclass(frozen=True)
class Action:
    """A local composite action: its inputs (name -> default) and steps."""

    path: str
    inputs: Mapping[str, Any]
    steps: list[Any]
    doc: Doc


@dataclass(frozen=True)
class Repo:
    """Everything an audit reads: the workflows and where local actions are looked up."""

    workflows: tuple[Workflow, ...]
    roots: tuple[Path, ...]


def _need(cond: bool, doc: Doc, fld: str, problem: str) -> None:
    if not cond:
        raise InputError(fld, problem, doc.path)


def _concurrency(doc: Doc, parent: Mapping[str, Any], fld: str) -> ConcurrencyDef | None:
    if "concurrency" not in parent:
        return None
    raw = parent["concurrency"]
    line = key_line(parent, "concurrency")
    if isinstance(raw, str | int | float):
        return ConcurrencyDef(str(raw), False, _loc(doc, line))
    _need(isinstance(raw, Mapping), doc, fld, "expected a group name or a mapping with 'group'")
    _need("group" in raw, doc, f"{fld}.group", "missing; a concurrency block needs a group")
    return ConcurrencyDef(
        str(raw["group"]),
        raw.get("cancel-in-progress", False),
        _loc(doc, key_line(raw, "group", line)),
    )


def _triggers(doc: Doc) -> tuple[dict[str, Trigger], Loc]:
    data = doc.data
    if "on" not in data:
        if any(
            k is True for k in list[object](data)
        ):  # YAML 1.1 read `on` as `true`; GitHub reads "on"
            raise InputError("on", "the key 'on' was read as a boolean", doc.path)
        raise InputError("on", "missing; a workflow needs triggers", doc.path)
    raw = data["on"]
    on_loc = _loc(doc, key_line(data, "on"))
    out: dict[str, Trigger] = {}
    if isinstance(raw, str):
        raw = {raw: None}
    elif isinstance(raw, list):
        raw = {str(e): None for e in raw}
    _need(isinstance(raw, Mapping), doc, "on", "expected an event name, a list or a mapping")
    for event, spec in raw.items():
        event = str(event)
        loc = _loc(doc, key_line(raw, event, on_loc.line))
        if spec is None:
            out[event] = Trigger(event, loc)
            continue
        if not isinstance(spec, Mapping):
            if event == "schedule":
                out[event] = Trigger(event, loc)
                continue
            raise InputError(f"on.{event}", "expected a mapping of filters", doc.path)
        wf = _strings(spec.get("workflows")) or ()
        if event == "workflow_run":
            _need(
                bool(wf), doc, "on.workflow_run.workflows", "missing; name the upstream workflows"
            )
        out[event] = Trigger(
            event,
            loc,
            branches=_strings(spec.get("branches")),
            tags=_strings(spec.get("tags")),
            paths=_strings(spec.get("paths")),
            workflows=wf,
            types=_strings(spec.get("types")),
        )
    return out, on_loc


def _steps(
    doc: Doc, raw: object, fld: str, inputs: Mapping[str, Any] | None = None
) -> tuple[WorkflowStep, ...]:
    if raw is None:
        return ()
    _need(isinstance(raw, list), doc, fld, "expected a list of steps")
    assert isinstance(raw, list)
    steps = []
    for i, s in enumerate(raw):
        _need(isinstance(s, Mapping), doc, f"{fld}[{i}]", "expected a mapping (uses: or run:)")
        line = item_line(raw, i, node_line(s))
        run = s.get("run", "")
        steps.append(
            WorkflowStep(
                index=i,
                loc=_loc(doc, line),
                name=str(s.get("name", "") or ""),
                id=str(s.get("id", "") or ""),
                uses=str(s.get("uses", "") or ""),
                run=str(run or ""),
                with_=dict(s.get("with") or {}),
                env=dict(s.get("env") or {}),
                if_=s.get("if"),
                inputs=inputs,
                run_line=key_line(s, "run", line),
            )
        )
    return tuple(steps)


def _action(path: Path, display: str) -> Action | None:
    for name in ("action.yml", "action.yaml"):
        f = path / name
        if f.is_file():
            doc = load_yaml(f, display=f"{display}/{name}")
            runs = doc.data.get("runs")
            if not isinstance(runs, Mapping) or runs.get("using") != "composite":
                return None
            inputs = {
                str(k): (v or {}).get("default") if isinstance(v, Mapping) else None
                for k, v in (doc.data.get("inputs") or {}).items()
            }
            return Action(str(f), inputs, list(runs.get("steps") or []), doc)
    return None


def _expand(
    steps: tuple[WorkflowStep, ...], roots: tuple[Path, ...], depth: int = 0
) -> tuple[WorkflowStep, ...]:
    out: list[WorkflowStep] = []
    for step in steps:
        if step.uses.startswith("./") and depth < 3:
            rel = step.uses[2:].rstrip("/")
            action = next((a for r in roots if (a := _action(r / rel, rel)) is not None), None)
            if action is not None:
                inputs = dict(action.inputs)
                inputs.update(step.with_)
                inner = _steps(action.doc, action.steps, f"{rel}.runs.steps", inputs)
                out.extend(_expand(inner, roots, depth + 1))
                continue
        out.append(step)
    return tuple(out)


def _jobs(doc: Doc, roots: tuple[Path, ...]) -> dict[str, WorkflowJob]:
    raw = doc.data.get("jobs")
    _need(isinstance(raw, Mapping) and bool(raw), doc, "jobs", "expected a mapping of jobs")
    assert isinstance(raw, Mapping)
    jobs: dict[str, WorkflowJob] = {}
    for jid, spec in raw.items():
        jid = str(jid)
        _need(isinstance(spec, Mapping), doc, f"jobs.{jid}", "expected a mapping")
        line = key_line(raw, jid)
        needs = _strings(spec.get("needs")) or ()
        jobs[jid] = WorkflowJob(
            id=jid,
            loc=_loc(doc, line),
            needs=needs,
            if_=spec.get("if"),
            if_loc=_loc(doc, key_line(spec, "if", line)) if "if" in spec else None,
            concurrency=_concurrency(doc, spec, f"jobs.{jid}.concurrency"),
            steps=_expand(_steps(doc, spec.get("steps"), f"jobs.{jid}.steps"), roots),
            env=dict(spec.get("env") or {}),
            uses=str(spec.get("uses", "") or ""),
        )
    for job in jobs.values():
        for need in job.needs:
            _need(need in jobs, doc, f"jobs.{job.id}.needs", f"no job named {need!r}")
    return jobs


def read_workflow(doc: Doc, roots: tuple[Path, ...] = ()) -> Workflow:
    """The :class:`Workflow` of a parsed file; errors name the file and the field."""
    triggers, on_loc = _triggers(doc)
    name = doc.data.get("name")
    return Workflow(
        doc=doc,
        name=str(name) if name is not None else doc.path,
        triggers=triggers,
        on_loc=on_loc,
        concurrency=_concurrency(doc, doc.data, "concurrency"),
        jobs=_jobs(doc, roots),
        env=dict(doc.data.get("env") or {}),
    )


def _files(path: Path) -> tuple[list[Path], Path]:
    if path.is_file():
        return [path], path.parent
    if not path.is_dir():
        raise InputError("paths", f"no such file or folder: {path}")
    folder = path / ".github" / "workflows" if (path / ".github" / "workflows").is_dir() else path
    files = sorted(p for p in folder.iterdir() if p.suffix in (".yml", ".yaml") and p.is_file())
    if not files:
        raise InputError("paths", f"no workflow files (*.yml, *.yaml) found in {folder}")
    return files, path


def _roots(base: Path) -> tuple[Path, ...]:
    roots: list[Path] = []
    for candidate in (base, *base.parents):
        if (candidate / ".github").is_dir():
            roots.append(candidate)
            break
    roots.append(base)
    roots.extend(p.parent.parent for p in sorted(base.glob("*/.github/actions")))
    roots.extend(p.parent.parent for p in sorted(base.glob("*/*/.github/actions")))
    return tuple(dict.fromkeys(roots))


def load_workflows(paths: Iterable[str | Path]) -> Repo:
    """Read every workflow file under `paths` (files, workflow folders or repositories)."""
    workflows: list[Workflow] = []
    roots: list[Path] = []
    for raw in paths:
        files, base = _files(Path(raw))
        rs = _roots(base)
        roots.extend(rs)
        for f in files:
            doc = load_yaml(f)
            if "jobs" not in doc.data and "runs" in doc.data:
                continue  # an action file passed by hand
            workflows.append(read_workflow(doc, rs))
    return Repo(tuple(workflows), tuple(dict.fromkeys(roots)))
