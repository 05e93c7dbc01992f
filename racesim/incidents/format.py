"""The incident file: observed times of a real incident, in TOML.

An incident file records what happened, not a model of it: the pushes, the times at which runs
and steps were seen to start or end, the strategy that was in place, what ended up live, and any
duration the replay has to assume because nobody observed it (with the reason). See
``docs/reference/incident-format.md`` for the field reference; :func:`load_incident` reads a file
or a built-in incident by name, :meth:`Incident.to_toml` writes one back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import tomli_w

from racesim._util.toml import Table, builtin_names, read_builtin_or_file, read_toml
from racesim.core.history import DURATION_FIELDS
from racesim.core.strategy import Strategy, parse_strategy, strategy_from_table, strategy_to_table
from racesim.errors import InputError
from racesim.limits import MAX_PUSHES, check_count, check_seconds

__all__ = [
    "EVENTS",
    "Alternative",
    "Assumption",
    "Incident",
    "Moment",
    "Observation",
    "ObservedOutcome",
    "builtin_incidents",
    "load_incident",
]

FORMAT = "racesim-incident/1"

#: observable events of a push's runs, with what they mean
EVENTS: dict[str, str] = {
    "build.queued": "the build run was created and began to wait (for its concurrency group, "
    "then a runner): GitHub's job created_at",
    "build.started": "the build job started on a runner",
    "build.built": "the build step ended (image built, not yet pushed)",
    "build.pushed": "the image was pushed to the build registry",
    "build.finished": "the build job (and run) finished",
    "deploy.created": "the deploy run was created (workflow_run only)",
    "deploy.queued": "the deploy job was created and began to wait (for the deploy concurrency "
    "group, then a runner): GitHub's job created_at",
    "deploy.started": "the deploy job started on a runner",
    "deploy.pulled": "the deploy resolved its image reference (the pull)",
    "deploy.mirrored": "the image was pushed to the deploy registry",
    "deploy.live": "the rollout ended: the service serves the image",
    "deploy.finished": "the deploy job finished",
}


@dataclass(frozen=True)
class Observation:
    """One observed event of the runs of one push."""

    event: str
    commit: str
    time: datetime
    note: str = ""


@dataclass(frozen=True)
class Moment:
    """A push, re-run or dispatch: when it happened and, if the time is a guess, why.

    Attributes:
        time: when (UTC).
        commit: the pushed or re-run commit's label (empty for a dispatch).
        assumed: why the time is assumed; empty when it was observed.
        note: free text for reports.
    """

    time: datetime
    commit: str = ""
    assumed: str = ""
    note: str = ""


@dataclass(frozen=True)
class Assumption:
    """A duration nobody observed, with the value the replay uses and why.

    `commit` limits it to the runs of one push; ``None`` applies it to every push.
    """

    duration: str
    seconds: float
    why: str
    commit: str | None = None


@dataclass(frozen=True)
class Alternative:
    """A counterfactual strategy worth trying on this incident (for example the fix applied)."""

    name: str
    strategy: Strategy
    why: str = ""


@dataclass(frozen=True)
class ObservedOutcome:
    """What was seen at the end of the incident.

    Attributes:
        live: the commit production served at the end.
        latest: per registry, the commit its ``latest`` tag pointed at.
        deploys: ``(meant, shipped)`` per deploy that rolled out.
    """

    live: str | None = None
    latest: dict[str, str] = field(default_factory=dict)
    deploys: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Incident:
    """A real incident, as observed.

    Attributes:
        name: short identifier (the built-in incidents use it as their name).
        title: one line saying what went wrong.
        source: where the facts come from (issue or pull request address).
        strategy: the strategy in place during the incident.
        pushes: the pushes, in the order they happened.
        observed: observed events of the pushes' runs.
        assumed: durations not observed, with reasons.
        outcome: what was seen at the end.
        summary: a few sentences for reports.
        baseline: label of what production ran before the first push.
        build_registry: name of the registry the build pushes to, used in the trace.
        deploy_registry: name of the registry the deploy mirrors to, used in the trace.
        reruns: re-runs of builds.
        dispatches: manual (or pull-based) deploys.
        alternatives: counterfactual strategies to try besides the presets.
        origin: the file (or built-in name) it was read from; used in error messages only.
    """

    name: str
    title: str
    source: str
    strategy: Strategy
    pushes: tuple[Moment, ...]
    observed: tuple[Observation, ...] = ()
    assumed: tuple[Assumption, ...] = ()
    outcome: ObservedOutcome = field(default_factory=ObservedOutcome)
    summary: str = ""
    baseline: str = "previous"
    build_registry: str = "ghcr"
    deploy_registry: str = "artifact-registry"
    reruns: tuple[Moment, ...] = ()
    dispatches: tuple[Moment, ...] = ()
    alternatives: tuple[Alternative, ...] = ()
    origin: str = field(default="", compare=False, repr=False)

    @property
    def epoch(self) -> datetime:
        """The first push: time zero of the replay's clock."""
        return self.pushes[0].time

    @property
    def labels(self) -> list[str]:
        """Commit labels in push order."""
        return [p.commit for p in self.pushes]

    def commit_number(self, label: str) -> int:
        """Push number of the commit labelled `label` (0 for the baseline)."""
        if label == self.baseline:
            return 0
        return self.labels.index(label) + 1

    @property
    def where(self) -> str:
        """How errors about this incident name it: its file, or its name."""
        return self.origin or f"incident {self.name}"

    # -- TOML ---------------------------------------------------------------------------------

    @classmethod
    def from_toml(cls, text: str, source: str = "<incident>") -> Incident:
        """Parse and validate an incident file's text; errors name `source` and the field."""
        return _parse(Table(read_toml(text, source), "", source))

    def to_toml(self) -> str:
        """The incident as TOML text that :meth:`from_toml` reads back to an equal value."""

        def moment(m: Moment) -> dict[str, Any]:
            out: dict[str, Any] = {"commit": m.commit} if m.commit else {}
            out["time"] = m.time
            out.update({k: v for k, v in (("assumed", m.assumed), ("note", m.note)) if v})
            return out

        doc: dict[str, Any] = {
            "format": FORMAT,
            "name": self.name,
            "title": self.title,
            "source": self.source,
            "summary": self.summary,
            "strategy": strategy_to_table(self.strategy),
            "baseline": self.baseline,
            "build_registry": self.build_registry,
            "deploy_registry": self.deploy_registry,
            "pushes": [moment(p) for p in self.pushes],
        }
        if self.reruns:
            doc["reruns"] = [moment(r) for r in self.reruns]
        if self.dispatches:
            doc["dispatches"] = [moment(d) for d in self.dispatches]
        doc["observed"] = [
            {
                "event": o.event,
                "commit": o.commit,
                "time": o.time,
                **({"note": o.note} if o.note else {}),
            }
            for o in self.observed
        ]
        doc["assumed"] = [
            {
                "duration": a.duration,
                "seconds": a.seconds,
                "why": a.why,
                **({"commit": a.commit} if a.commit is not None else {}),
            }
            for a in self.assumed
        ]
        if self.alternatives:
            doc["alternatives"] = [
                {
                    "name": a.name,
                    "strategy": strategy_to_table(a.strategy),
                    **({"why": a.why} if a.why else {}),
                }
                for a in self.alternatives
            ]
        outcome: dict[str, Any] = {}
        if self.outcome.live is not None:
            outcome["live"] = self.outcome.live
        if self.outcome.latest:
            outcome["latest"] = dict(self.outcome.latest)
        if self.outcome.deploys:
            outcome["deploys"] = [{"meant": m, "shipped": s} for m, s in self.outcome.deploys]
        doc["outcome"] = outcome
        return tomli_w.dumps(doc)


def _strategy(t: Table, key: str) -> Strategy:
    try:
        return strategy_from_table(t.raw(key), key)
    except InputError as exc:
        name = f"{t.field}.{exc.field}" if t.field else exc.field
        raise InputError(name, exc.problem, t.source) from None


def _parse(top: Table) -> Incident:
    fmt = top.text("format", FORMAT)
    if fmt != FORMAT:
        raise top.error("format", f"expected {FORMAT!r}, got {fmt!r}")
    strategy = _strategy(top, "strategy")
    baseline = top.text("baseline", "previous")
    pushes = []
    for t in top.tables("pushes"):
        pushes.append(
            Moment(t.moment("time"), t.text("commit"), t.text("assumed", ""), t.text("note", ""))
        )
        t.done()
    if not pushes:
        raise top.error("pushes", "expected at least one push")
    check_count(_field(top, "pushes"), len(pushes), MAX_PUSHES, "pushes", top.source)
    labels = [p.commit for p in pushes]
    for i, label in enumerate(labels):
        if label == baseline or labels.index(label) != i:
            raise top.error(f"pushes[{i}].commit", f"commit label {label!r} is used twice")
    for i in range(1, len(pushes)):
        if pushes[i].time < pushes[i - 1].time:
            raise top.error(f"pushes[{i}].time", "pushes must be listed in the order they happened")

    def commit_of(t: Table, key: str, default: object = ...) -> Any:
        value = t.text(key, default)
        if value is not default and value not in labels and value != baseline:
            raise t.error(
                key, f"unknown commit {value!r}; expected one of {', '.join([baseline, *labels])}"
            )
        return value

    reruns = []
    for t in top.tables("reruns", optional=True):
        commit = commit_of(t, "commit")
        if commit == baseline:
            raise t.error(
                "commit",
                f"{commit!r} is the baseline, which no build of this incident made; "
                f"re-run one of {', '.join(labels)}",
            )
        reruns.append(Moment(t.moment("time"), commit, t.text("assumed", ""), t.text("note", "")))
        t.done()
    dispatches = []
    for t in top.tables("dispatches", optional=True):
        dispatches.append(Moment(t.moment("time"), "", t.text("assumed", ""), t.text("note", "")))
        t.done()
    observed = []
    for t in top.tables("observed", optional=True):
        event = t.text("event")
        if event not in EVENTS:
            raise t.error("event", f"unknown event {event!r}; expected one of {', '.join(EVENTS)}")
        if t.has("commit"):
            commit = commit_of(t, "commit")
        elif len(labels) == 1:
            commit = labels[0]
        else:
            raise t.error("commit", "missing; required when the incident has several pushes")
        observed.append(Observation(event, commit, t.moment("time"), t.text("note", "")))
        t.done()
    seen: set[tuple[str, str]] = set()
    for i, o in enumerate(observed):
        if (o.event, o.commit) in seen:
            raise top.error(f"observed[{i}].event", f"{o.event} of {o.commit} is observed twice")
        seen.add((o.event, o.commit))
    assumed = []
    for t in top.tables("assumed", optional=True):
        name = t.text("duration")
        if name not in DURATION_FIELDS:
            raise t.error(
                "duration",
                f"unknown duration {name!r}; expected one of {', '.join(DURATION_FIELDS)}",
            )
        seconds = check_seconds(_field(t, "seconds"), t.number("seconds", minimum=0), t.source)
        assumed.append(Assumption(name, seconds, t.text("why"), commit_of(t, "commit", None)))
        t.done()
    alternatives: list[Alternative] = []
    for t in top.tables("alternatives", optional=True):
        name = t.text("name")
        _check_alternative_name(t, name, [a.name for a in alternatives])
        alternatives.append(Alternative(name, _strategy(t, "strategy"), t.text("why", "")))
        t.done()
    out = top.table("outcome", optional=True)
    latest = out.table("latest", optional=True)
    latest_map = {reg: commit_of(latest, reg) for reg in latest.data}
    latest.done()
    deploys = []
    for t in out.tables("deploys", optional=True):
        deploys.append((commit_of(t, "meant"), commit_of(t, "shipped")))
        t.done()
    outcome = ObservedOutcome(commit_of(out, "live", None), latest_map, tuple(deploys))
    out.done()
    incident = Incident(
        name=top.text("name"),
        title=top.text("title"),
        source=top.text("source"),
        summary=top.text("summary", ""),
        strategy=strategy,
        baseline=baseline,
        build_registry=top.text("build_registry", "ghcr"),
        deploy_registry=top.text("deploy_registry", "artifact-registry"),
        pushes=tuple(pushes),
        reruns=tuple(reruns),
        dispatches=tuple(dispatches),
        observed=tuple(observed),
        assumed=tuple(assumed),
        alternatives=tuple(alternatives),
        outcome=outcome,
        origin=top.source or "",
    )
    top.done()
    _check_span(incident)
    return incident


def _field(t: Table, key: str) -> str:
    return f"{t.field}.{key}" if t.field else key


def _check_alternative_name(t: Table, name: str, taken: list[str]) -> None:
    """An alternative's name must be new and must not read as a preset (``--strategy NAME``)."""
    if not name.strip():
        raise t.error("name", "expected a non-empty name")
    if name in taken:
        raise t.error("name", f"alternative {name!r} is named twice; give each its own name")
    try:
        parse_strategy(name)
    except InputError:
        return
    raise t.error("name", f"{name!r} is the name of a preset; give the alternative its own name")


def _check_span(incident: Incident) -> None:
    """Every time lies within MAX_SECONDS of the first push (the replay's clock is seconds)."""
    moments = [
        *(("pushes", i, m.time) for i, m in enumerate(incident.pushes)),
        *(("reruns", i, m.time) for i, m in enumerate(incident.reruns)),
        *(("dispatches", i, m.time) for i, m in enumerate(incident.dispatches)),
        *(("observed", i, o.time) for i, o in enumerate(incident.observed)),
    ]
    for table, i, moment in moments:
        offset = (moment - incident.epoch).total_seconds()
        check_seconds(f"{table}[{i}].time", offset, incident.origin or None)


def builtin_incidents() -> list[str]:
    """Names of the incidents shipped with racesim."""
    return builtin_names("racesim.incidents")


def load_incident(name_or_path: str | Path) -> Incident:
    """A built-in incident by name (``"f8af4c1"``) or an incident file by path."""
    return _parse(read_builtin_or_file("racesim.incidents", "incident", name_or_path))
