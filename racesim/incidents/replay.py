"""Replay an incident: derive durations, reproduce every observed time, try other strategies.

The durations come from :mod:`racesim.incidents.derive`; the replay runs the engine with the
incident's strategy, finds each observed event in the trace (:mod:`racesim.incidents.events`),
checks the observed outcome, and reruns the same durations under other strategies
(counterfactuals), judged by :mod:`racesim.incidents.verdicts`. This module holds the result types
and :func:`replay`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from racesim._util.toml import utc_iso
from racesim.core.history import History
from racesim.core.strategy import PRESETS, Strategy, parse_strategy
from racesim.core.trace import Trace
from racesim.engine.simulation import simulate
from racesim.incidents.derive import DEFAULT_ASSUMPTIONS, DurationSource, derive
from racesim.incidents.events import event_time
from racesim.incidents.format import Incident
from racesim.incidents.verdicts import outcome_checks, verdicts

__all__ = [
    "DEFAULT_ASSUMPTIONS",
    "Counterfactual",
    "DurationSource",
    "ObservedTime",
    "Replay",
    "derive",
    "event_time",
    "replay",
]  # derive and event_time are re-exported from the modules they moved to


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
    def prevents(self) -> bool | None:
        """Every outcome the incident got wrong comes out right under this strategy.

        ``None`` (shown as ``unknown``) when the incident states no outcome: then there is
        nothing observed to prevent, and even the incident's own strategy would "prevent" it.
        """
        if not self.verdicts:
            return None
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
    def compared(self) -> int:
        """How many observations the replay was compared with: observed times (the pushes,
        which the replay starts from, do not count) and observed outcomes."""
        return sum(o.event != "push" for o in self.observed) + len(self.outcome_checks)

    @property
    def reproduced(self) -> bool:
        """Every observed time and every observed outcome was reproduced exactly.

        True when nothing was observed (see :attr:`compared`): there is nothing to contradict.
        """
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
            "compared": self.compared,
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
            **_history_json(self.trace, self.incident.epoch),
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
                    **_history_json(c.trace, self.incident.epoch),
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


def _history_json(trace: Trace, epoch: datetime) -> dict[str, Any]:
    """Regressions (when, from, to) and the seconds production ran an older commit."""
    label = trace.history.label
    outcome = trace.outcome
    return {
        "identity_errors": outcome.identity_errors,
        "regressions": [
            {
                "time": utc_iso(epoch + timedelta(seconds=t)),
                "from": label(before),
                "to": label(after),
            }
            for t, before, after in outcome.backwards
        ],
        "behind_s": outcome.behind_s,
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


# -- reproducing ----------------------------------------------------------------------------------


def default_counterfactuals(incident: Incident) -> list[str]:
    """Every preset (with ``sleep:60``, the incident plan's Option 4), then the incident's own."""
    return [*PRESETS, *(a.name for a in incident.alternatives)]


def _resolve(incident: Incident, spec: str | Strategy) -> tuple[str, Strategy]:
    if isinstance(spec, str):
        for alt in incident.alternatives:
            if alt.name == spec:
                return alt.name, alt.strategy
    strategy = parse_strategy(spec, "strategies")
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
    run = partial(
        simulate,
        build_registry=incident.build_registry,
        deploy_registry=incident.deploy_registry,
    )
    trace = run(strategy, history)
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
        other_trace = run(other, history)
        counterfactuals.append(
            Counterfactual(
                name, other_trace, incident.epoch, tuple(verdicts(incident, other_trace))
            )
        )
    return Replay(
        incident,
        strategy,
        history,
        table,
        trace,
        tuple(rows),
        tuple(outcome_checks(incident, trace)),
        tuple(counterfactuals),
    )
