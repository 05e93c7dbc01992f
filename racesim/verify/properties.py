"""Properties of a trace: what a deploy pipeline should guarantee, as plain functions.

A property takes a :class:`~racesim.Trace` and returns a :class:`Check`, which is true when the
property holds and, when it does not, says why and points at the events that break it (the
counterexample picture rings them). Write your own in the same form; returning a plain ``bool``
works too::

    def deploys_within_five_minutes(trace: Trace) -> bool:
        return all(t is not None and t <= 300 for t in trace.outcome.push_to_live)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from racesim.core.trace import Event, Trace
from racesim.errors import InputError

__all__ = [
    "PROPERTIES",
    "Check",
    "Property",
    "as_check",
    "ends_on_newest",
    "never_regresses",
    "never_stale",
    "parse_property",
    "ships_what_it_claims",
]


@dataclass(frozen=True)
class Check:
    """The verdict of one property on one trace; true when the property holds.

    Attributes:
        holds: the property holds.
        message: why it does not (empty when it holds).
        events: the events that break it, for pictures and explanations.
    """

    holds: bool
    message: str = ""
    events: tuple[Event, ...] = ()

    def __bool__(self) -> bool:
        return self.holds


#: what a property is: a function of a trace, returning a Check or a bool
Property = Callable[[Trace], "Check | bool"]


def as_check(result: Check | bool, name: str = "the property") -> Check:
    """`result` as a Check (a property may return a plain bool; `name` goes in the message)."""
    if isinstance(result, Check):
        return result
    return Check(bool(result), "" if result else f"{name} does not hold")


def _deploy_rollouts(trace: Trace) -> dict[int, Event]:
    return {e.run: e for e in trace.events if e.kind == "step_end" and e.step == "rollout"}


def never_stale(trace: Trace) -> Check:
    """No deploy rolls out an image built from an older commit than the one it was meant to ship.

    The commit a deploy is meant to ship is its triggering commit (``head_sha``), or the tip of
    ``main`` for a manual dispatch. Deploys that roll out nothing (failed, blocked, skipped,
    cancelled) cannot be stale.
    """
    rollouts = _deploy_rollouts(trace)
    label = trace.label
    for d in trace.outcome.deploys:
        if d.stale:
            pull = next(
                (
                    e
                    for e in trace.events
                    if e.run == d.run and e.kind == "read" and e.detail == "pull"
                ),
                None,
            )
            events = tuple(e for e in (pull, rollouts.get(d.run)) if e is not None)
            return Check(
                False,
                f"{label(d.meant)}'s deploy shipped {label(d.shipped)}, "
                f"an older commit than {label(d.meant)}",
                events,
            )
    return Check(True)


def ships_what_it_claims(trace: Trace) -> Check:
    """Every deploy that rolls out ships exactly the commit it was meant to ship (identity).

    A deploy that ships a *newer* commit than it claims breaks this too: its logs, tags and
    release notes name the wrong code.
    """
    rollouts = _deploy_rollouts(trace)
    label = trace.label
    for d in trace.outcome.deploys:
        if d.wrong_identity:
            events = tuple(e for e in (rollouts.get(d.run),) if e is not None)
            return Check(
                False, f"{label(d.meant)}'s deploy shipped {label(d.shipped)} instead", events
            )
    return Check(True)


def ends_on_newest(trace: Trace) -> Check:
    """When everything has finished, production runs the newest commit whose build succeeded.

    If no build succeeded, production must still run what it ran before the first push.
    """
    out = trace.outcome
    if out.final_correct:
        return Check(True)
    label = trace.label
    last_live = [e for e in trace.events if e.kind == "live"][-1:]
    return Check(
        False,
        f"production ends on {label(out.final_live)} although {label(out.newest_built)} "
        "is the newest commit that built",
        tuple(last_live),
    )


def never_regresses(trace: Trace) -> Check:
    """Production never switches from a commit to an older one."""
    previous = 0
    label = trace.label
    for e in trace.events:
        if e.kind == "live":
            if e.image < previous:
                return Check(
                    False, f"production moved back from {label(previous)} to {label(e.image)}", (e,)
                )
            previous = e.image
    return Check(True)


#: the built-in properties by name (what ``racesim check --property`` accepts)
PROPERTIES: dict[str, Callable[[Trace], Check]] = {
    "never_stale": never_stale,
    "ships_what_it_claims": ships_what_it_claims,
    "ends_on_newest": ends_on_newest,
    "never_regresses": never_regresses,
}


def latest_ends_on_newest(trace: Trace) -> Check:
    """The build registry's mutable ``latest`` ends on the newest commit whose build succeeded
    (the property of a pipeline that only builds: its consumers pull ``latest``)."""
    out = trace.outcome
    got = out.latest_at_end.get(trace.build_registry)
    if got == out.newest_built:
        return Check(True)
    return Check(
        False,
        f"latest ends on {trace.label(got) if got is not None else 'nothing'}, "
        f"not on the newest build {trace.label(out.newest_built)}",
    )


#: properties of the registry rather than of the service, which ``prove`` decides too (the
#: audit judges a pipeline with no deploy by them); not among the four :data:`PROPERTIES`
REGISTRY_PROPERTIES: dict[str, Callable[[Trace], Check]] = {
    "latest_ends_on_newest": latest_ends_on_newest,
}


def parse_property(spec: str | Property, field: str = "property") -> tuple[str, Property]:
    """A built-in property by name, or any callable (named after its ``__name__``)."""
    if callable(spec):
        return getattr(spec, "__name__", "property"), spec
    if spec in PROPERTIES:
        return spec, PROPERTIES[spec]
    raise InputError(field, f"unknown property {spec!r}; expected one of {', '.join(PROPERTIES)}")
