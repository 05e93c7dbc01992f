"""Replay an incident: derive durations from observed times, reproduce them, try other strategies.

Each push's runs form two chains of steps (build, then deploy). Observed events pin chain
boundaries; the time between two observed boundaries is the sum of the durations in between.
When that sum has one unknown duration, it is *observed*; when it has several, all but the main
one must be *assumed* (from the incident file, or a documented default) and the main one is
*derived* as the remainder. Durations outside every observed segment are assumed too. The replay
then runs the engine with the incident's strategy, checks every observed time and the observed
outcome, and reruns the same durations under other strategies (counterfactuals).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from racesim.engine import simulate
from racesim.errors import InputError
from racesim.incidents.format import Incident
from racesim.model.history import DURATION_FIELDS, Dispatch, Durations, History, Push, Rerun
from racesim.strategies import PRESETS, Strategy, parse_strategy
from racesim.tomlio import utc_iso
from racesim.trace import Event, Trace

__all__ = [
    "DEFAULT_ASSUMPTIONS",
    "Counterfactual",
    "DurationSource",
    "ObservedTime",
    "Replay",
    "replay",
]

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


@dataclass(frozen=True)
class ObservedTime:
    """An observed event next to the time the engine reproduced for it."""

    event: str
    commit: str
    time: datetime
    reproduced: datetime | None
    note: str = ""
    source: str = "observed"

    @property
    def matches(self) -> bool:
        """The engine reproduced this event at exactly the observed time."""
        return self.reproduced == self.time


@dataclass(frozen=True)
class Counterfactual:
    """The incident's durations under another strategy."""

    strategy: str
    trace: Trace
    epoch: datetime
    verdicts: tuple[tuple[str, str, str], ...] = ()

    @property
    def prevents(self) -> bool:
        """Every outcome the incident got wrong comes out right under this strategy."""
        return all(right == got for _, right, got in self.verdicts)

    @property
    def push_to_live_s(self) -> float | None:
        """Seconds from the last push until the service first ran it (``None``: never)."""
        return self.trace.outcome.push_to_live[-1]

    @property
    def new_code_live_at(self) -> datetime | None:
        """When the last push's code went live, or ``None``."""
        lag = self.push_to_live_s
        if lag is None:
            return None
        return self.epoch + timedelta(seconds=self.trace.history.pushes[-1].time + lag)


@dataclass(frozen=True)
class Replay:
    """The result of :func:`replay`.

    Attributes:
        incident: the incident replayed.
        strategy: the strategy in place during the incident.
        history: the pushes with the derived durations.
        durations: every duration of every push, with its source.
        trace: the engine's trace under `strategy`.
        observed: each observed event with its reproduced time.
        outcome_checks: ``(what, observed, reproduced)`` for each observed outcome.
        counterfactuals: the same durations under other strategies.
    """

    incident: Incident
    strategy: Strategy
    history: History
    durations: tuple[DurationSource, ...]
    trace: Trace
    observed: tuple[ObservedTime, ...]
    outcome_checks: tuple[tuple[str, str, str], ...]
    counterfactuals: tuple[Counterfactual, ...]

    @property
    def reproduced(self) -> bool:
        """Every observed time and every observed outcome was reproduced exactly."""
        return all(o.matches for o in self.observed) and all(
            seen == got for _, seen, got in self.outcome_checks
        )

    @property
    def assumptions(self) -> list[DurationSource]:
        """The durations that were assumed (by the file or by default) rather than observed."""
        return [d for d in self.durations if d.source in ("assumed", "default")]

    @property
    def assumed_times(self) -> list[tuple[str, datetime, str]]:
        """``(what, time, why)`` for every push, re-run or dispatch whose time was assumed."""
        inc = self.incident
        moments = [(f"push of {m.commit}", m) for m in inc.pushes]
        moments += [(f"re-run of {m.commit}", m) for m in inc.reruns]
        moments += [("dispatch", m) for m in inc.dispatches]
        return [(what, m.time, m.assumed) for what, m in moments if m.assumed]

    def at(self, seconds: float) -> datetime:
        """The wall-clock time of `seconds` on the replay's clock (0 = first push)."""
        return self.incident.epoch + timedelta(seconds=seconds)

    def to_json(self) -> dict[str, Any]:
        """The replay as JSON-ready data (the ``racesim replay --json`` output)."""
        label = self.history.label
        return {
            "incident": self.incident.name,
            "title": self.incident.title,
            "strategy": self.strategy.name,
            "reproduced": self.reproduced,
            "observed": [
                {
                    "event": o.event,
                    "commit": o.commit,
                    "time": utc_iso(o.time),
                    "reproduced_time": None if o.reproduced is None else utc_iso(o.reproduced),
                    "matches": o.matches,
                    "source": o.source,
                }
                for o in self.observed
            ],
            "outcome_checks": [
                {"what": what, "observed": seen, "reproduced": got}
                for what, seen, got in self.outcome_checks
            ],
            "deploys": _deploys_json(self.trace),
            "final_live": label(self.trace.outcome.final_live),
            "durations": [
                {
                    "commit": d.commit,
                    "duration": d.duration,
                    "seconds": d.seconds,
                    "source": d.source,
                    "why": d.why,
                }
                for d in self.durations
            ],
            "assumptions": [
                {"commit": d.commit, "duration": d.duration, "seconds": d.seconds, "why": d.why}
                for d in self.assumptions
            ],
            "assumed_times": [
                {"what": what, "time": utc_iso(when), "why": why}
                for what, when, why in self.assumed_times
            ],
            "counterfactuals": [
                {
                    "strategy": c.strategy,
                    "deploys": _deploys_json(c.trace),
                    "final_live": label(c.trace.outcome.final_live),
                    "push_to_live_s": c.push_to_live_s,
                    "new_code_live_at": None
                    if c.new_code_live_at is None
                    else utc_iso(c.new_code_live_at),
                    "latest_at_end": {
                        reg: label(commit) for reg, commit in c.trace.outcome.latest_at_end.items()
                    },
                    "prevents": c.prevents,
                }
                for c in self.counterfactuals
            ],
        }


def _deploys_json(trace: Trace) -> list[dict[str, Any]]:
    label = trace.history.label
    return [
        {
            "meant": label(d.meant),
            "shipped": None if d.shipped is None else label(d.shipped),
            "stale": d.stale,
            "pull_margin_s": d.pull_margin,
            "status": d.status,
        }
        for d in trace.outcome.deploys
    ]


# -- deriving durations ---------------------------------------------------------------------------

Link = tuple[str | float, str | None]  # (duration name or fixed seconds, event that ends it)


def _build_chain(strategy: Strategy) -> list[Link]:
    chain: list[Link] = [
        ("build_pickup", "build.started"),
        ("build", "build.built"),
        ("push", "build.pushed"),
    ]
    if strategy.direct:
        chain.append(("mirror", None))
    chain.append(("build_verify", "build.finished"))
    return chain


def _deploy_chain(strategy: Strategy) -> list[Link]:
    chain: list[Link] = (
        [("dispatch", "deploy.created")] if strategy.trigger == "workflow_run" else []
    )
    chain += [("deploy_pickup", "deploy.started"), ("prepare", None)]
    if strategy.sleep:
        chain.append((strategy.sleep, None))
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
                fixed += part
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


def derive(
    incident: Incident, source: str | None = None
) -> tuple[History, tuple[DurationSource, ...]]:
    """The pushes of `incident` with durations derived from its observed times."""
    src = source or incident.where
    strategy = incident.strategy
    if strategy.wait is not None:
        raise InputError(
            "strategy", "cannot derive durations for a strategy that polls the registry", src
        )
    pushes: list[Push] = []
    table: list[DurationSource] = []
    records: dict[str, Durations] = {}
    for moment in incident.pushes:
        label = moment.commit
        deriver = _Deriver(incident, label, src)
        push_time = (moment.time - incident.epoch).total_seconds()
        built = deriver.solve(_build_chain(strategy), push_time, "push")
        if strategy.trigger != "none":
            anchor, name = (
                (push_time, "push") if strategy.trigger == "push" else (built, "build.finished")
            )
            deriver.solve(_deploy_chain(strategy), anchor, name)
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


# -- reproducing ----------------------------------------------------------------------------------


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


def _reproduced(incident: Incident, trace: Trace) -> list[tuple[str, str]]:
    """``(what, got)`` for each outcome the incident observed, in the incident file's order."""
    label = trace.history.label
    outcome = trace.outcome
    out: list[tuple[str, str]] = []
    if incident.outcome.live is not None:
        out.append(("live at the end", label(outcome.final_live)))
    for registry in incident.outcome.latest:
        at_end = outcome.latest_at_end.get(registry)
        out.append((f"{registry} latest at the end", "-" if at_end is None else label(at_end)))
    for meant, _ in incident.outcome.deploys:
        k = incident.commit_number(meant)
        mine = [d for d in outcome.deploys if d.meant == k and d.cause != "dispatch"]
        out.append((f"deploy of {meant} shipped", label(mine[0].shipped) if mine else "no deploy"))
    return out


def _observed_values(incident: Incident) -> list[str]:
    """What the incident observed, in the order of :func:`_reproduced`."""
    seen = [] if incident.outcome.live is None else [incident.outcome.live]
    seen += list(incident.outcome.latest.values())
    return seen + [shipped for _, shipped in incident.outcome.deploys]


def _outcome_checks(incident: Incident, trace: Trace) -> list[tuple[str, str, str]]:
    """``(what, observed, reproduced)`` for each observed outcome."""
    return [
        (what, seen, got)
        for (what, got), seen in zip(
            _reproduced(incident, trace), _observed_values(incident), strict=True
        )
    ]


def _verdicts(incident: Incident, trace: Trace) -> list[tuple[str, str, str]]:
    """``(what, right, got)`` for each outcome the incident observed, judged against what is right.

    Right means: production and every observed registry end on the newest successfully built
    commit, and each deploy ships the commit it meant to (or does not roll out at all).
    """
    newest = trace.history.label(trace.outcome.newest_built)
    right = [newest] * (len(_observed_values(incident)) - len(incident.outcome.deploys))
    right += [meant for meant, _ in incident.outcome.deploys]
    out = []
    for (what, got), should in zip(_reproduced(incident, trace), right, strict=True):
        skipped = what.startswith("deploy of") and got in ("no deploy", "-")
        out.append((what, should, should if skipped else got))
    return out


def default_counterfactuals(incident: Incident) -> list[str]:
    """Every preset (with ``sleep:60``, the incident plan's Option 4), then the incident's own."""
    return [*PRESETS, *(a.name for a in incident.alternatives)]


def _resolve(incident: Incident, spec: str | Strategy) -> tuple[str, Strategy]:
    if isinstance(spec, str):
        for alt in incident.alternatives:
            if alt.name == spec:
                return alt.name, alt.strategy
    strategy = parse_strategy(spec, "--strategy")
    return (spec if isinstance(spec, str) else strategy.name), strategy


def replay(
    incident: Incident,
    strategies: Iterable[str | Strategy] | None = None,
    *,
    source: str | None = None,
) -> Replay:
    """Replay `incident` and rerun its durations under other strategies.

    `strategies` are preset names, names of the incident's own alternatives, or Strategy values;
    the default is every preset followed by the incident's alternatives.
    """
    history, table = derive(incident, source)
    strategy = incident.strategy
    names = {"build_registry": incident.build_registry, "deploy_registry": incident.deploy_registry}
    trace = simulate(strategy, history, **names)
    observed = []
    for o in incident.observed:
        t = event_time(trace, o.event, incident.commit_number(o.commit))
        reproduced = None if t is None else incident.epoch + timedelta(seconds=t)
        observed.append(ObservedTime(o.event, o.commit, o.time, reproduced, o.note))
    push_rows = [
        ObservedTime(
            "push",
            m.commit,
            m.time,
            incident.epoch + timedelta(seconds=p.time),
            m.note,
            "assumed" if m.assumed else "observed",
        )
        for m, p in zip(incident.pushes, history.pushes, strict=True)
    ]
    rows = sorted([*push_rows, *observed], key=lambda o: o.time)
    counterfactuals = []
    specs = default_counterfactuals(incident) if strategies is None else list(strategies)
    for spec in specs:
        name, other = _resolve(incident, spec)
        other_trace = simulate(other, history, **names)
        counterfactuals.append(
            Counterfactual(
                name, other_trace, incident.epoch, tuple(_verdicts(incident, other_trace))
            )
        )
    return Replay(
        incident,
        strategy,
        history,
        table,
        trace,
        tuple(rows),
        tuple(_outcome_checks(incident, trace)),
        tuple(counterfactuals),
    )
