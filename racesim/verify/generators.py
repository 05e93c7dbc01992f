"""Hypothesis strategies for racesim values, to compose in your own property tests.

They shrink toward simple histories: fewer pushes, equal round durations (every step shrinks to
its lower bound, 1 s by default), pushes 1 s apart, no build failures. Bounds are per duration
field, so a test can say "dispatch delays shorter than a build" by giving disjoint ranges.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

from racesim.core.history import DURATION_FIELDS, Dispatch, Durations, History, Push, Rerun
from racesim.core.strategy import Concurrency, Strategy, Trigger, Wait
from racesim.errors import InputError
from racesim.scenarios.format import Scenario
from racesim.scenarios.schedules import Burst, Explicit, PushSchedule, Single
from racesim.scenarios.timing import Distribution, Fixed, LogNormal, Triangular, Uniform
from racesim.verify.ranges import DEFAULT_BOUNDS

__all__ = [
    "DEFAULT_BOUNDS",
    "build_outcomes",
    "duration_bounds",
    "durations",
    "histories",
    "push_gaps",
    "scenarios",
    "strategy_values",
]


def duration_bounds(
    overrides: Mapping[str, tuple[float, float] | float] | None,
) -> dict[str, tuple[float, float]]:
    """Every duration field's ``(low, high)``: :data:`DEFAULT_BOUNDS` with `overrides`."""
    bounds = dict(DEFAULT_BOUNDS)
    for name, value in (overrides or {}).items():
        if name not in DURATION_FIELDS:
            raise InputError(
                name, f"unknown duration; expected one of {', '.join(DURATION_FIELDS)}"
            )
        low, high = (value, value) if isinstance(value, int | float) else value
        if not 0 <= low <= high:
            raise InputError(name, f"expected 0 <= low <= high, got ({low!r}, {high!r})")
        bounds[name] = (low, high)
    return bounds


def build_outcomes(failure: bool = True) -> st.SearchStrategy[bool]:
    """Whether a build fails; shrinks to "it succeeds". ``failure=False`` never fails."""
    return st.booleans() if failure else st.just(False)


def durations(
    bounds: Mapping[str, tuple[float, float] | float] | None = None,
    *,
    integers: bool = True,
    failures: bool = False,
) -> st.SearchStrategy[Durations]:
    """One push's :class:`~racesim.Durations`.

    Args:
        bounds: ``{field: (low, high)}`` or ``{field: seconds}`` overriding :data:`DEFAULT_BOUNDS`.
        integers: whole seconds (the default, easiest to read); else floats.
        failures: let the build fail.
    """
    return _durations(duration_bounds(bounds), integers=integers, failures=failures)


#: how a history's durations of one field are drawn (:func:`histories` picks one per field):
#: anywhere in the range (each at a bound about half the time; three times in five), or every
#: push's at the low or the high bound (one time in five each)
_MODES = ("any", "any", "any", "low", "high")


def _seconds(low: float, high: float, integers: bool) -> st.SearchStrategy[float]:
    """A duration in ``[low, high]``, at one of the bounds about half the time.

    Races live in corners (the quickest build, the slowest dispatch), and a uniform draw from a
    wide range almost never lands on one; the search still shrinks toward `low`.
    """
    if low == high:
        return st.just(float(low))
    inner = (
        st.integers(int(low), int(high)).map(float)
        if integers
        else st.floats(low, high, allow_nan=False, allow_infinity=False)
    )
    return st.one_of(st.sampled_from((float(low), float(high))), inner)


def _durations(
    ranges: Mapping[str, tuple[float, float]],
    *,
    integers: bool,
    failures: bool,
    modes: Mapping[str, str] | None = None,
) -> st.SearchStrategy[Durations]:
    fields: dict[str, Any] = {}
    for name in DURATION_FIELDS:
        low, high = ranges[name]
        mode = (modes or {}).get(name, "any")
        fields[name] = (
            st.just(float(low))
            if mode == "low"
            else st.just(float(high))
            if mode == "high"
            else _seconds(low, high, integers)
        )
    fields["build_fails"] = build_outcomes(failures)
    return st.builds(Durations, **fields)


def push_gaps(
    max_pushes: int = 3, *, min_pushes: int = 1, max_gap: int = 60, min_gap: int = 1
) -> st.SearchStrategy[list[float]]:
    """Push times starting at 0, each ``min_gap``..``max_gap`` s after the previous one."""
    if not 1 <= min_pushes <= max_pushes:
        raise InputError(
            "max_pushes", f"expected 1 <= min_pushes <= max_pushes, got {min_pushes}, {max_pushes}"
        )
    gaps = st.lists(st.integers(min_gap, max_gap), min_size=min_pushes - 1, max_size=max_pushes - 1)

    def times(steps: list[int]) -> list[float]:
        out = [0.0]
        for gap in steps:
            out.append(out[-1] + gap)
        return out

    return gaps.map(times)


@st.composite
def histories(
    draw: st.DrawFn,
    max_pushes: int = 3,
    *,
    min_pushes: int = 1,
    max_gap: int = 60,
    min_gap: int = 1,
    bounds: Mapping[str, tuple[float, float] | float] | None = None,
    failures: bool = False,
    integers: bool = True,
    reruns: int = 0,
    dispatches: int = 0,
    max_delay: int = 300,
) -> History:
    """A :class:`~racesim.History`: pushes labelled A, B, C... each with its own durations.

    Each push is drawn as one unit (its gap after the previous push, then its durations), so
    shrinking a history by dropping a push drops that push's durations with it. With `reruns`
    or `dispatches`, up to that many re-runs of an earlier build (1..`max_delay` s after its
    push) and manual deploy dispatches (0..`max_delay` s after the last push) are added, each
    with its own durations; shrinking drops them first.
    """
    if not 1 <= min_pushes <= max_pushes:
        raise InputError(
            "max_pushes", f"expected 1 <= min_pushes <= max_pushes, got {min_pushes}, {max_pushes}"
        )
    ranges = duration_bounds(bounds)
    # swarm testing: each history holds some fields at a bound for every push and lets the
    # others vary, so that combinations such as "every build at its quickest while dispatches
    # vary" come up often instead of almost never
    modes = {
        name: draw(st.sampled_from(_MODES))
        for name in DURATION_FIELDS
        if ranges[name][0] < ranges[name][1]
    }
    per_push = _durations(ranges, integers=integers, failures=failures, modes=modes)
    first = draw(per_push)
    rest = draw(
        st.lists(
            st.tuples(st.integers(min_gap, max_gap), per_push),
            min_size=min_pushes - 1,
            max_size=max_pushes - 1,
        )
    )
    pushes = [Push(0.0, first, "A")]
    for i, (gap, record) in enumerate(rest, start=1):
        pushes.append(Push(pushes[-1].time + gap, record, string.ascii_uppercase[i % 26]))
    extra_reruns: list[Rerun] = []
    for commit, delay, record in draw(
        st.lists(
            st.tuples(st.integers(1, len(pushes)), st.integers(1, max_delay), per_push),
            max_size=reruns,
        )
    ):
        extra_reruns.append(Rerun(pushes[commit - 1].time + delay, commit, record))
    extra_dispatches = [
        Dispatch(pushes[-1].time + delay, record)
        for delay, record in draw(
            st.lists(st.tuples(st.integers(0, max_delay), per_push), max_size=dispatches)
        )
    ]
    return History(
        tuple(pushes),
        reruns=tuple(sorted(extra_reruns, key=lambda r: r.time)),
        dispatches=tuple(sorted(extra_dispatches, key=lambda d: d.time)),
        baseline="old",
    )


@st.composite
def _concurrency(draw: st.DrawFn) -> Concurrency | None:
    if not draw(st.booleans()):
        return None
    if draw(st.booleans()):
        return Concurrency("max")
    return Concurrency("single", cancel_in_progress=draw(st.booleans()))


@st.composite
def strategy_values(draw: st.DrawFn) -> Strategy:
    """Any valid :class:`~racesim.Strategy`, every knob of the design space included."""
    triggers: list[Trigger] = ["push", "workflow_run", "needs", "none"]
    trigger = draw(st.sampled_from(triggers))
    references = ["latest", "sha"] + (["digest"] if trigger in ("workflow_run", "needs") else [])
    direct = draw(st.booleans())
    publish_guard = draw(st.booleans())
    wait = None
    if draw(st.booleans()):
        wait = Wait(draw(st.integers(1, 30)), draw(st.integers(0, 300)))
    return Strategy(
        trigger=trigger,
        gate=trigger == "workflow_run" and draw(st.booleans()),
        reference=draw(st.sampled_from(references)),
        sleep=float(draw(st.integers(0, 120))),
        wait=wait,
        build_concurrency=draw(_concurrency()),
        deploy_concurrency=draw(_concurrency()),
        guard=draw(st.sampled_from(["none", "newer_than_live", "tip_of_main"])),
        publish_guard=publish_guard,
        publish_guard_at=draw(st.sampled_from(["build_start", "before_push"]))
        if publish_guard
        else "build_start",
        reconcile_latest=draw(st.booleans()),
        mirror=not direct and draw(st.booleans()),
        direct=direct,
        rollout_survives_cancel=draw(st.booleans()),
        live_order=draw(st.sampled_from(["finish", "request"])),
    )


@st.composite
def _distributions(draw: st.DrawFn, low: float, high: float) -> Distribution:
    kind = draw(st.sampled_from(["fixed", "uniform", "triangular", "lognormal"]))
    a = float(draw(st.integers(int(low), int(high))))
    b = float(draw(st.integers(int(a), int(high))))
    if kind == "fixed" or a == b:
        return Fixed(a)
    if kind == "uniform":
        return Uniform(a, b)
    if kind == "triangular":
        return Triangular(a, float(draw(st.integers(int(a), int(b)))), b)
    return LogNormal(max(a, 1.0), p95=max(b, a + 1.0, 2.0))


@st.composite
def _schedules(draw: st.DrawFn, max_pushes: int) -> PushSchedule:
    count = draw(st.integers(1, max_pushes))
    if count == 1:
        return Single()
    if draw(st.booleans()):
        return Burst(count, draw(_distributions(1, 60)))
    return Explicit(tuple(draw(push_gaps(count, min_pushes=count))))


@st.composite
def scenarios(draw: st.DrawFn, max_pushes: int = 3, *, failures: bool = True) -> Scenario:
    """A whole :class:`~racesim.scenarios.Scenario`: distributions, schedule, failure rate."""
    timings = {name: draw(_distributions(lo, hi)) for name, (lo, hi) in DEFAULT_BOUNDS.items()}
    failure = draw(st.sampled_from([0.0, 0.05, 0.5])) if failures else 0.0
    return Scenario(
        "drawn",
        "drawn by racesim.testing.scenarios",
        timings,
        draw(_schedules(max_pushes)),
        failure,
    )
