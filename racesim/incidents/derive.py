"""Derive an incident's step durations from its observed times.

Each push's runs form two chains of steps (build, then deploy). Observed events pin chain
boundaries; the time between two observed boundaries is the sum of the durations in between.
When that sum has one unknown duration, it is *observed*; when it has several, all but the main
one must be *assumed* (from the incident file, or a documented default) and the main one is
*derived* as the remainder. Durations outside every observed segment are assumed too.

Time a job spends queued in a concurrency group is not a duration of the history: the
simulation decides it. So with concurrency groups :func:`derive` runs derive -> simulate in
rounds, and measures each job's runner pickup from when its group admitted it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal, NamedTuple

from racesim.core.history import DURATION_FIELDS, Dispatch, Durations, History, Push, Rerun
from racesim.core.strategy import Strategy
from racesim.engine.simulation import simulate
from racesim.errors import InputError
from racesim.incidents.events import queue_waits
from racesim.incidents.format import Incident

__all__ = ["DEFAULT_ASSUMPTIONS", "MAX_ROUNDS", "DurationSource", "derive"]

#: values used for durations that are neither observed nor assumed by the incident file
DEFAULT_ASSUMPTIONS: dict[str, tuple[float, str]] = {
    "build_pickup": (2.0, "typical GitHub-hosted runner pickup (2 s in the f8af4c1 incident)"),
    "deploy_pickup": (2.0, "typical GitHub-hosted runner pickup (2 s in the f8af4c1 incident)"),
    "dispatch": (3.0, "workflow_run dispatch has no published latency; a few seconds"),
}
_ZERO_REASON = "not observed; a step of 0 s changes no other time"

#: which unknown duration absorbs the remainder of an observed gap, most preferred first
_MAIN_STEP = (
    "build",
    "prepare",
    "rollout",
    "mirror",
    "build_verify",
    "deploy_verify",
    "push",
    "deploy_pickup",
    "build_pickup",
    "dispatch",
)

Source = Literal["observed", "derived", "assumed", "default"]


@dataclass(frozen=True)
class DurationSource:
    """Where the value of one duration of one push's runs comes from."""

    commit: str
    duration: str
    seconds: float
    source: Source
    why: str


# -- deriving durations ---------------------------------------------------------------------------


class KnownPart(NamedTuple):
    """A part of a chain whose seconds are known before solving (``name`` is for the docs)."""

    seconds: float
    name: str


#: the boundary at which a job is created and starts to wait: no time passes
_CREATED = KnownPart(0.0, "")
#: the name of the time a job waits in its concurrency group (the simulation decides it)
QUEUED = "queued (concurrency)"

Link = tuple[str | KnownPart, str | None]  # (duration name or fixed part, event that ends it)


def _build_chain(strategy: Strategy, queued: float = 0.0) -> list[Link]:
    """The build job's chain; `queued`: seconds the run waits in its concurrency group."""
    chain: list[Link] = [
        (_CREATED, "build.queued"),
        (KnownPart(queued, QUEUED), None),
        ("build_pickup", "build.started"),
        ("build", "build.built"),
        ("push", "build.pushed"),
    ]
    if strategy.direct:
        chain.append(("mirror", None))
    chain.append(("build_verify", "build.finished"))
    return chain


def _deploy_chain(strategy: Strategy, queued: float = 0.0) -> list[Link]:
    """The deploy job's chain; `queued`: seconds it waits in the deploy concurrency group."""
    chain: list[Link] = (
        [("dispatch", "deploy.created")] if strategy.trigger == "workflow_run" else []
    )
    chain += [(_CREATED, "deploy.queued"), (KnownPart(queued, QUEUED), None)]
    chain += [("deploy_pickup", "deploy.started"), ("prepare", None)]
    if strategy.sleep:
        chain.append((KnownPart(strategy.sleep, "sleep"), None))
    chain[-1] = (chain[-1][0], "deploy.pulled")
    if strategy.mirror:
        chain.append(("mirror", "deploy.mirrored"))
    chain += [("rollout", "deploy.live"), ("deploy_verify", "deploy.finished")]
    return chain


class _Deriver:
    """Solves the chains of one push."""

    def __init__(self, incident: Incident, commit: str, source: str) -> None:
        self.commit = commit
        self.source = source
        self.epoch = incident.epoch
        self.observed: dict[str, tuple[float, int]] = {}
        for i, o in enumerate(incident.observed):
            if o.commit == commit:
                self.observed[o.event] = ((o.time - self.epoch).total_seconds(), i)
        self.assumed: dict[str, tuple[float, str]] = {}
        for a in incident.assumed:
            if a.commit is None and a.duration not in self.assumed:
                self.assumed[a.duration] = (a.seconds, a.why)
        for a in incident.assumed:
            if a.commit == commit:
                self.assumed[a.duration] = (a.seconds, a.why)
        self.values: dict[str, DurationSource] = {}

    def _fix(self, name: str, seconds: float, source: Source, why: str) -> None:
        self.values[name] = DurationSource(self.commit, name, seconds, source, why)

    def _assume(self, name: str) -> float:
        if name in self.assumed:
            seconds, why = self.assumed[name]
            self._fix(name, seconds, "assumed", why)
        else:
            seconds, why = DEFAULT_ASSUMPTIONS.get(name, (0.0, _ZERO_REASON))
            self._fix(name, seconds, "default", why)
        return seconds

    def solve(self, chain: Sequence[Link], anchor: float, anchor_name: str) -> float:
        """Fix every duration of `chain`; returns the time the chain ends."""
        t, since = anchor, anchor_name
        segment: list[str] = []
        fixed = 0.0
        for part, event in chain:
            if isinstance(part, str):
                segment.append(part)
            else:
                fixed += part.seconds
            if event is not None and event in self.observed:
                at, index = self.observed[event]
                self._segment(segment, at - t - fixed, event, since, index)
                t, since, segment, fixed = at, event, [], 0.0
        for name in segment:
            t += self._assume(name)
        return t + fixed

    def _segment(self, names: list[str], gap: float, event: str, since: str, index: int) -> None:
        free = [n for n in names if n not in self.assumed]
        main = min(free, key=_MAIN_STEP.index) if free else None
        others = sum(self._assume(n) for n in names if n != main)
        remainder = gap - others
        where = f"observed[{index}].time"
        if not names:
            if abs(gap) > 1e-9:
                raise InputError(
                    where,
                    f"{event} of {self.commit} is {gap:g} s after {since}; expected the same "
                    "time (a job is queued when its run is created)",
                    self.source,
                )
            return
        if main is None:
            if abs(remainder) > 1e-9:
                raise InputError(
                    where,
                    f"{event} of {self.commit} is {gap:g} s after {since}, but the assumed "
                    f"{' + '.join(names)} add up to {others:g} s",
                    self.source,
                )
            return
        if remainder < 0:
            raise InputError(
                where,
                f"times out of order: {event} of {self.commit} comes {-gap:g} s before {since}"
                if gap < 0
                else f"{event} of {self.commit} is {gap:g} s after {since}, less than the "
                f"assumed {' + '.join(n for n in names if n != main)} ({others:g} s)",
                self.source,
            )
        if len(names) == 1:
            self._fix(main, remainder, "observed", f"{since} to {event}")
        else:
            self._fix(main, remainder, "derived", f"{since} to {event}, minus the assumed rest")


#: most derive -> simulate rounds spent finding the queue waits of an incident
MAX_ROUNDS = 10

Waits = Mapping[str, Mapping[str, float]]  # push label -> job -> seconds queued in a group


def derive(
    incident: Incident, source: str | None = None
) -> tuple[History, tuple[DurationSource, ...]]:
    """The pushes of `incident` with durations derived from its observed times.

    A job's runner pickup is measured from when it may start: its creation, or when its
    concurrency group admits it. How long a job waits in a group is decided by the simulation,
    so with concurrency groups the derivation runs in rounds: derive (first with no queue
    waits), simulate, measure each job's queue wait, derive again with those waits, until the
    waits no longer change (at most :data:`MAX_ROUNDS` rounds).
    """
    src = source or incident.where
    strategy = incident.strategy
    waits: dict[str, dict[str, float]] = {}
    history, table = _derive(incident, src, waits)
    if strategy.build_concurrency is None and strategy.deploy_concurrency is None:
        return history, table
    for _ in range(MAX_ROUNDS - 1):
        trace = simulate(
            strategy,
            history,
            build_registry=incident.build_registry,
            deploy_registry=incident.deploy_registry,
        )
        measured: dict[str, dict[str, float]] = {}
        for m in incident.pushes:
            queued = queue_waits(trace, incident.commit_number(m.commit))
            if any(queued.values()):
                measured[m.commit] = {job: s for job, s in queued.items() if s}
        if measured == waits:
            break
        waits = measured
        history, table = _derive(incident, src, waits)
    return history, table


def _derive(
    incident: Incident, src: str, waits: Waits
) -> tuple[History, tuple[DurationSource, ...]]:
    """One round: the durations, given how long each job waits in a concurrency group."""
    strategy = incident.strategy
    if strategy.wait is not None:
        raise InputError(
            "strategy", "cannot derive durations for a strategy that polls the registry", src
        )
    if strategy.reconcile_latest:
        raise InputError(
            "strategy",
            "cannot derive durations for a strategy that reconciles latest (the reconcile step "
            "runs only when it moves latest); use it as an alternative instead",
            src,
        )
    pushes: list[Push] = []
    table: list[DurationSource] = []
    records: dict[str, Durations] = {}
    for moment in incident.pushes:
        label = moment.commit
        deriver = _Deriver(incident, label, src)
        push_time = (moment.time - incident.epoch).total_seconds()
        queued = waits.get(label, {})
        built = deriver.solve(_build_chain(strategy, queued.get("build", 0.0)), push_time, "push")
        if strategy.trigger != "none":
            anchor, name = (
                (push_time, "push") if strategy.trigger == "push" else (built, "build.finished")
            )
            deriver.solve(_deploy_chain(strategy, queued.get("deploy", 0.0)), anchor, name)
        for job, seconds in queued.items():
            pickup = deriver.values.get(f"{job}_pickup")
            if seconds > 0 and pickup is not None and pickup.source in ("observed", "derived"):
                deriver.values[pickup.duration] = replace(
                    pickup,
                    why=f"{pickup.why}, minus {seconds:g} s queued in the {job} concurrency "
                    "group (from the simulation)",
                )
        for name in DURATION_FIELDS:
            if name not in deriver.values:
                deriver._assume(name)
        values = {n: deriver.values[n].seconds for n in DURATION_FIELDS}
        records[label] = Durations.from_mapping(values)
        pushes.append(Push(push_time, records[label], label))
        table += [deriver.values[n] for n in DURATION_FIELDS]
    history = History(
        tuple(pushes),
        reruns=tuple(
            Rerun(
                (r.time - incident.epoch).total_seconds(),
                incident.commit_number(r.commit),
                records[r.commit],
            )
            for r in incident.reruns
        ),
        dispatches=tuple(_dispatch(incident, d.time, records) for d in incident.dispatches),
        baseline=incident.baseline,
    )
    return history, tuple(table)


def _dispatch(incident: Incident, when: datetime, records: dict[str, Durations]) -> Dispatch:
    pushed = [p.commit for p in incident.pushes if p.time <= when]
    durations = records[pushed[-1]] if pushed else next(iter(records.values()))
    return Dispatch((when - incident.epoch).total_seconds(), durations)
