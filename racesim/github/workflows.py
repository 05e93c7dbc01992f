"""The workflows of a repository as typed records: triggers, jobs, steps, needs, concurrency.

:func:`load_workflows` finds the workflow files under a path (a repository, a workflows folder,
or files), reads each with :mod:`racesim.github.yaml`, and builds :class:`Workflow` records.
Local composite actions (``uses: ./.github/actions/x``) are expanded into the steps of the job
that uses them. Every record keeps its :class:`Loc` (file, line, text) for evidence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from racesim.errors import InputError
from racesim.github.files import RepoFiles
from racesim.github.yaml import Doc, item_line, key_line, node_line, parse_yaml

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
    #: input layers of the reusable workflow it sits in (its ``with:``), outermost first
    inputs: tuple[Mapping[str, Any], ...] = ()
    #: the raw ``queue:`` value (``single``, GitHub's default, or ``max``)
    queue: object = "single"


@dataclass(frozen=True)
class WorkflowStep:
    """One step, possibly expanded from a local composite action or reusable workflow.

    `inputs` are the input layers of what it was expanded from, outermost first (a reusable
    workflow's inputs, then a composite action's), each interpolated in the one before it;
    `conditions` are the ``if:`` of the inner jobs and action calls it sits in, `job_env` the
    inner job's ``env``, and `via` the lines that called it (the ``uses:`` of each level).
    """

    index: int
    loc: Loc
    name: str = ""
    id: str = ""
    uses: str = ""
    run: str = ""
    with_: Mapping[str, Any] = field(default_factory=dict)
    env: Mapping[str, Any] = field(default_factory=dict)
    if_: object = None
    inputs: tuple[Mapping[str, Any], ...] = ()
    run_line: int = 0
    conditions: tuple[object, ...] = ()
    job_env: Mapping[str, Any] = field(default_factory=dict)
    via: tuple[Loc, ...] = ()
    #: the ``concurrency:`` of the inner job of a reusable workflow this step was inlined from
    group: ConcurrencyDef | None = None

    @property
    def label(self) -> str:
        return (
            self.name or self.uses or self.run.strip().splitlines()[0][:60]
            if (self.name or self.uses or self.run.strip())
            else f"step {self.index + 1}"
        )


@dataclass(frozen=True)
class WorkflowJob:
    """A job: its needs, condition, concurrency, steps and declared outputs.

    A job that calls a local reusable workflow holds that workflow's steps (``calls`` names the
    file); one that calls a remote reusable workflow keeps ``uses`` and has no steps.
    """

    id: str
    loc: Loc
    needs: tuple[str, ...] = ()
    if_: object = None
    if_loc: Loc | None = None
    concurrency: ConcurrencyDef | None = None
    steps: tuple[WorkflowStep, ...] = ()
    env: Mapping[str, Any] = field(default_factory=dict)
    uses: str = ""
    outputs: Mapping[str, Any] = field(default_factory=dict)
    calls: str = ""
    with_: Mapping[str, Any] = field(default_factory=dict)


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
    """Everything an audit reads: the workflows, where local files are looked up, and notes.

    `notes` say what was refused or skipped (a path leaving the folder, a file that is not a
    workflow, a remote workflow that could not be read); `searched` the folders looked in.
    """

    workflows: tuple[Workflow, ...]
    roots: tuple[Path, ...]
    files: tuple[RepoFiles, ...] = ()
    notes: tuple[str, ...] = ()
    searched: tuple[str, ...] = ()


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
        queue=raw.get("queue", "single"),
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
    doc: Doc, raw: object, fld: str, inputs: tuple[Mapping[str, Any], ...] = ()
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
        with_ = s.get("with") or {}
        env = s.get("env") or {}
        _need(isinstance(with_, Mapping), doc, f"{fld}[{i}].with", "expected a mapping")
        _need(isinstance(env, Mapping), doc, f"{fld}[{i}].env", "expected a mapping")
        steps.append(
            WorkflowStep(
                index=i,
                loc=_loc(doc, line),
                name=str(s.get("name", "") or ""),
                id=str(s.get("id", "") or ""),
                uses=str(s.get("uses", "") or ""),
                run=str(run or ""),
                with_=dict(with_),
                env=dict(env),
                if_=s.get("if"),
                inputs=inputs,
                run_line=key_line(s, "run", line),
            )
        )
    return tuple(steps)


#: how deep local actions and reusable workflows are followed (GitHub allows 10 levels)
MAX_DEPTH = 10
#: how many steps following actions and reusable workflows may copy, per folder read: an action
#: that uses itself three times would otherwise be inlined 3^10 times
MAX_INLINED = 20_000


@dataclass
class _Loader:
    """What reading one folder needs: its files, the extra roots and the notes so far."""

    files: RepoFiles
    notes: list[str]
    cache: dict[Path, Doc | None] = field(default_factory=dict)
    inlined: int = 0

    def may_inline(self, where: str) -> bool:
        """False (with a note, once) when :data:`MAX_INLINED` steps were inlined already."""
        if self.inlined <= MAX_INLINED:
            return True
        note = f"{where}: more than {MAX_INLINED:,} steps inlined from actions and reusable "
        note += "workflows in this folder; not followed"
        if not any(n.endswith("in this folder; not followed") for n in self.notes):
            self.notes.append(note)
        return False

    def doc(self, path: Path, where: str) -> Doc | None:
        if path not in self.cache:
            text = self.files.read(path, where=where)
            shown = self._shown(path)
            try:
                self.cache[path] = parse_yaml(text, shown) if text is not None else None
            except InputError as exc:
                self.notes.append(f"{where}: {exc}; not followed")
                self.cache[path] = None
        return self.cache[path]

    def _shown(self, path: Path) -> str:
        try:
            return str(path.resolve().relative_to(self.files.root))
        except ValueError:
            return str(path)

    def locate(self, uses: str, where: str) -> Path | None:
        """The local file or folder `uses` names, or a ``--resolve`` checkout of a remote one."""
        if uses.startswith("./"):
            return self.files.find(uses, where=where)
        name = uses.split("@")[0]
        parts = name.split("/")
        if len(parts) < 2 or "docker://" in uses:
            return None
        for extra in self.files.extra:
            for rel in ("/".join(parts), "/".join(parts[1:])):
                found = self.files.find(rel, where=where, root=extra)
                if found is not None:
                    return found
        return None


def _action(path: Path, loader: _Loader, where: str) -> Doc | None:
    for name in ("action.yml", "action.yaml"):
        f = path / name
        if f.is_file():
            doc = loader.doc(f, where)
            if doc is None:
                return None
            runs = doc.data.get("runs")
            if not isinstance(runs, Mapping) or runs.get("using") != "composite":
                return None
            return doc
    return None


def _defaults(spec: object) -> dict[str, Any]:
    if not isinstance(spec, Mapping):
        return {}
    return {
        str(k): (v or {}).get("default") if isinstance(v, Mapping) else None
        for k, v in spec.items()
    }


def _expand(steps: tuple[WorkflowStep, ...], loader: _Loader, depth: int) -> list[WorkflowStep]:
    out: list[WorkflowStep] = []
    for step in steps:
        if (
            step.uses
            and depth < MAX_DEPTH
            and not step.uses.startswith("docker://")
            and loader.may_inline(str(step.loc))
        ):
            path = loader.locate(step.uses, str(step.loc))
            doc = _action(path, loader, str(step.loc)) if path is not None else None
            if doc is not None:
                inputs = _defaults(doc.data.get("inputs"))
                inputs.update(step.with_)
                runs = doc.data["runs"]
                inner = _steps(doc, runs.get("steps"), "runs.steps", (*step.inputs, inputs))
                cond = (*step.conditions, step.if_) if step.if_ is not None else step.conditions
                for s in _expand(inner, loader, depth + 1):
                    loader.inlined += 1
                    out.append(
                        replace(
                            s,
                            conditions=(*cond, *s.conditions),
                            env={**step.env, **s.env},
                            job_env=step.job_env,
                            via=(*step.via, step.loc, *s.via),
                        )
                    )
                continue
        out.append(step)
    return out


def _order(jobs: Mapping[str, WorkflowJob]) -> list[WorkflowJob]:
    done: dict[str, WorkflowJob] = {}

    def visit(job: WorkflowJob, path: tuple[str, ...]) -> None:
        if job.id in done or job.id in path:
            return
        for n in job.needs:
            if n in jobs:
                visit(jobs[n], (*path, job.id))
        done[job.id] = job

    for job in jobs.values():
        visit(job, ())
    return list(done.values())


_JOBS_OUTPUT = re.compile(r"jobs\.([\w-]+)\.outputs\.([\w-]+)")


def _call(
    doc: Doc, jid: str, spec: Mapping[str, Any], loader: _Loader, depth: int
) -> tuple[tuple[WorkflowStep, ...], dict[str, Any], ConcurrencyDef | None, str]:
    """Inline the reusable workflow job `jid` calls: its steps, outputs, group and file."""
    uses = str(spec.get("uses") or "")
    where = f"{doc.path}:{key_line(spec, 'uses')}"
    path = loader.locate(uses, where) if depth < MAX_DEPTH and loader.may_inline(where) else None
    called = loader.doc(path, where) if path is not None and path.is_file() else None
    if called is None or not isinstance(called.data.get("jobs"), Mapping):
        return (), {}, None, ""
    on = called.data.get("on")
    call = on.get("workflow_call") if isinstance(on, Mapping) else None
    inputs = _defaults(call.get("inputs") if isinstance(call, Mapping) else None)
    with_ = spec.get("with") or {}
    if isinstance(with_, Mapping):
        inputs.update({str(k): v for k, v in with_.items()})
    try:
        inner = _jobs(called, loader, depth + 1, (inputs,))
    except InputError as exc:
        loader.notes.append(f"{where}: {exc}; not followed")
        return (), {}, None, ""
    steps: list[WorkflowStep] = []
    caller = _loc(doc, key_line(spec, "uses", key_line(doc.data.get("jobs"), jid)))
    for job in _order(inner):
        cond = (job.if_,) if job.if_ is not None else ()
        for s in job.steps:
            loader.inlined += 1
            steps.append(
                replace(
                    s,
                    conditions=(*cond, *s.conditions),
                    job_env={**job.env, **s.job_env},
                    via=(caller, *s.via),
                    group=s.group or job.concurrency,
                )
            )
    outputs: dict[str, Any] = {}
    declared = call.get("outputs") if isinstance(call, Mapping) else None
    for name, out in (declared or {}).items() if isinstance(declared, Mapping) else ():
        value = str(out.get("value", "")) if isinstance(out, Mapping) else ""

        def sub(m: re.Match[str]) -> str:
            job = inner.get(m.group(1))
            raw = str(job.outputs.get(m.group(2), "")) if job else ""
            inner_expr = re.fullmatch(r"\s*\$\{\{(.*)\}\}\s*", raw, re.S)
            return f"({inner_expr.group(1).strip()})" if inner_expr else f"'{raw}'"

        outputs[str(name)] = _JOBS_OUTPUT.sub(sub, value)
    group = _concurrency(called, called.data, "concurrency")
    if group is not None:
        group = replace(group, inputs=(inputs,))
    if group is None:
        group = next((j.concurrency for j in inner.values() if j.concurrency), None)
    return tuple(steps), outputs, group, called.path


def _jobs(
    doc: Doc, loader: _Loader, depth: int = 0, inputs: tuple[Mapping[str, Any], ...] = ()
) -> dict[str, WorkflowJob]:
    raw = doc.data.get("jobs")
    _need(isinstance(raw, Mapping) and bool(raw), doc, "jobs", "expected a mapping of jobs")
    assert isinstance(raw, Mapping)
    jobs: dict[str, WorkflowJob] = {}
    for jid, spec in raw.items():
        jid = str(jid)
        _need(isinstance(spec, Mapping), doc, f"jobs.{jid}", "expected a mapping")
        line = key_line(raw, jid)
        needs = _strings(spec.get("needs")) or ()
        outputs = spec.get("outputs") or {}
        env = spec.get("env") or {}
        _need(isinstance(outputs, Mapping), doc, f"jobs.{jid}.outputs", "expected a mapping")
        _need(isinstance(env, Mapping), doc, f"jobs.{jid}.env", "expected a mapping")
        steps = _steps(doc, spec.get("steps"), f"jobs.{jid}.steps", inputs)
        concurrency = _concurrency(doc, spec, f"jobs.{jid}.concurrency")
        if concurrency is not None and inputs:
            concurrency = replace(concurrency, inputs=inputs)
        calls = ""
        outs = {str(k): v for k, v in outputs.items()}
        if spec.get("uses"):
            steps, called_outs, group, calls = _call(doc, jid, spec, loader, depth)
            if inputs:  # a call inside a reusable workflow: its groups see our inputs first
                steps = tuple(
                    replace(st, group=replace(st.group, inputs=(*inputs, *st.group.inputs)))
                    if st.group is not None
                    else st
                    for st in steps
                )
                if group is not None:
                    group = replace(group, inputs=(*inputs, *group.inputs))
            outs.update(called_outs)
            concurrency = concurrency or group
        jobs[jid] = WorkflowJob(
            id=jid,
            loc=_loc(doc, line),
            needs=needs,
            if_=spec.get("if"),
            if_loc=_loc(doc, key_line(spec, "if", line)) if "if" in spec else None,
            concurrency=concurrency,
            steps=tuple(_expand(steps, loader, depth)),
            env=dict(env),
            uses=str(spec.get("uses", "") or ""),
            outputs=outs,
            calls=calls,
            with_=dict(spec.get("with") or {}) if isinstance(spec.get("with"), Mapping) else {},
        )
    for job in jobs.values():
        for need in job.needs:
            _need(need in jobs, doc, f"jobs.{job.id}.needs", f"no job named {need!r}")
    return jobs


def read_workflow(
    doc: Doc, roots: tuple[Path, ...] = (), loader: _Loader | None = None
) -> Workflow:
    """The :class:`Workflow` of a parsed file; errors name the file and the field."""
    if loader is None:
        root = roots[0] if roots else Path(doc.path).parent
        loader = _Loader(RepoFiles(root), [])
    triggers, on_loc = _triggers(doc)
    name = doc.data.get("name")
    env = doc.data.get("env") or {}
    _need(isinstance(env, Mapping), doc, "env", "expected a mapping")
    return Workflow(
        doc=doc,
        name=str(name) if name is not None else doc.path,
        triggers=triggers,
        on_loc=on_loc,
        concurrency=_concurrency(doc, doc.data, "concurrency"),
        jobs=_jobs(doc, loader),
        env=dict(env),
    )


def _root_of(folder: Path) -> Path:
    """The repository a workflows folder belongs to (the folder holding ``.github``)."""
    if folder.name == "workflows" and folder.parent.name == ".github":
        return folder.parent.parent
    return folder


def _files(path: Path) -> tuple[list[Path], Path, bool, str]:
    """The workflow files under `path`, the root paths resolve against, flat or not, and where."""
    if path.is_file():
        folder = path.parent
        return [path], _root_of(folder), _root_of(folder) == folder, str(path)
    if not path.is_dir():
        raise InputError("paths", f"no such file or folder: {path}")
    nested = path / ".github" / "workflows"
    folder = nested if nested.is_dir() else path
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        raise InputError("paths", f"cannot list {folder}: {exc.strerror or exc}") from None
    files = [p for p in entries if p.suffix in (".yml", ".yaml") and p.is_file()]
    if not files:
        where = str(folder) if folder == nested else f"{path} (and no {nested} either)"
        raise InputError("paths", f"no workflow files (*.yml, *.yaml) found in {where}")
    root = _root_of(folder)
    return files, root, root == folder and folder != nested, str(folder)


def _alternates(base: Path) -> tuple[Path, ...]:
    """Folders beside `base` that hold their own ``.github/actions`` (a shared-actions layout)."""
    found = [p.parent.parent for p in sorted(base.glob("*/.github/actions"))]
    found.extend(p.parent.parent for p in sorted(base.glob("*/*/.github/actions")))
    return tuple(dict.fromkeys(found))


def load_workflows(paths: Iterable[str | Path], resolve: Iterable[str | Path] = ()) -> Repo:
    """Read every workflow file under `paths` (files, workflow folders or repositories).

    `resolve` names folders holding local checkouts of remote reusable workflows and actions
    (``owner/repo/...`` or ``repo/...`` inside them). A file that is not a workflow (a compose
    file, an action) is skipped with a note; a path that leaves the folder is refused.
    """
    extra = tuple(Path(r) for r in resolve)
    for r in extra:
        if not r.is_dir():
            raise InputError("resolve", f"no such folder: {r}")
    workflows: list[Workflow] = []
    roots: list[Path] = []
    seen: list[RepoFiles] = []
    notes: list[str] = []
    searched: list[str] = []
    for raw in paths:
        files, base, flat, where = _files(Path(raw))
        searched.append(where)
        alternates = _alternates(base)
        roots.extend((base, *alternates))
        repo_files = RepoFiles(base, flat=flat, extra=extra, alternates=alternates)
        seen.append(repo_files)
        loader = _Loader(repo_files, notes)
        for f in files:
            if not repo_files.inside(f):
                notes.append(f"{f}: a symbolic link leaving {base}; not read")
                continue
            text = repo_files.read(f, where=str(f))
            if text is None:
                continue
            doc = parse_yaml(text, str(f))
            if "jobs" not in doc.data and "on" not in doc.data:
                notes.append(f"{f}: not a workflow (no `on:` and no `jobs:`); skipped")
                continue
            workflows.append(read_workflow(doc, (base,), loader))
        notes.extend(repo_files.notes)
    return Repo(
        tuple(workflows),
        tuple(dict.fromkeys(roots)),
        tuple(seen),
        tuple(dict.fromkeys(notes)),
        tuple(searched),
    )
