"""What happens to the repository: pushes, re-runs, manual dispatches, and each run's durations.

A :class:`History` is the complete input the engine needs besides the strategy. Commits are numbered
by push order: commit 0 is what production runs before the first push, commit ``k`` is the ``k``-th
push and is newer than every commit ``j < k``.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import Any

from racesim.errors import InputError

__all__ = ["DURATION_FIELDS", "Dispatch", "Durations", "History", "Push", "Rerun"]


def check_seconds(name: str, value: object, *, allow_negative: bool = False) -> float:
    """`value` as a float number of seconds, or an :class:`InputError` naming `name`."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(name, f"expected a number of seconds, got {value!r}")
    seconds = float(value)
    if not math.isfinite(seconds):
        raise InputError(name, f"expected a finite number of seconds, got {value!r}")
    if seconds < 0 and not allow_negative:
        raise InputError(name, f"expected a duration >= 0 s, got {value!r}")
    return seconds


@dataclass(frozen=True, slots=True)
class Durations:
    """How long each part of one build-and-deploy pipeline run takes, in seconds.

    One record describes the runs that one push (or re-run, or manual dispatch) starts. Every
    strategy reads the same record, which is what makes comparisons between strategies paired
    (common random numbers): a strategy that does not use a field ignores it.

    Attributes:
        build_pickup: trigger until the build job starts on a runner (queueing and pickup).
        build: the build step, from job start until the image is ready to push.
        push: pushing the image to the build registry; it is written at the end of this step.
        build_verify: steps after the push (verify, smoke tests) until the build run completes.
        dispatch: ``workflow_run`` dispatch delay, build run completed until deploy run created.
        deploy_pickup: deploy run created (or the ``needs`` job unblocked) until its job starts.
        prepare: deploy steps before the pull (checkout, cloud auth, registry login).
        mirror: pulling the image and pushing it to the deploy registry (also the build's second
            push when it pushes straight to the deploy registry).
        rollout: creating the service revision; the service serves the image at its end.
        deploy_verify: steps after the rollout until the deploy run completes.
        registry_lag: read-after-write lag of this run's writes to the build registry: other
            jobs see a tag the run pushed this long after the registry accepted it.
        deploy_registry_lag: the same for the deploy registry (the mirror's push, or the
            build's push straight to the deploy registry). Registries are separate services
            with their own lag (GHCR, Artifact Registry). A job always sees its own writes.
        build_fails: the build step fails, so nothing is pushed.
    """

    build_pickup: float = 0.0
    build: float = 0.0
    push: float = 0.0
    build_verify: float = 0.0
    dispatch: float = 0.0
    deploy_pickup: float = 0.0
    prepare: float = 0.0
    mirror: float = 0.0
    rollout: float = 0.0
    deploy_verify: float = 0.0
    registry_lag: float = 0.0
    deploy_registry_lag: float = 0.0
    build_fails: bool = False

    def __post_init__(self) -> None:
        for name in DURATION_FIELDS:
            value = getattr(self, name)
            # a finite float >= 0 is already what check_seconds would make of it (a Monte Carlo
            # run makes one record per trial: most never need the full check)
            if type(value) is not float or not 0.0 <= value < math.inf:
                object.__setattr__(self, name, check_seconds(name, value))
        if not isinstance(self.build_fails, bool):
            raise InputError("build_fails", f"expected true or false, got {self.build_fails!r}")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Durations:
        """Build from a mapping, rejecting unknown keys with the list of known ones."""
        known = {f.name for f in fields(cls)}
        for key in values:
            if key not in known:
                raise InputError(
                    key, f"unknown duration; expected one of {', '.join(sorted(known))}"
                )
        return cls(**values)

    def as_dict(self) -> dict[str, float | bool]:
        """The fields as a plain dict (what TOML files and result tables hold)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


#: names of the duration fields of :class:`Durations` (every field but ``build_fails``)
DURATION_FIELDS: tuple[str, ...] = tuple(
    f.name for f in fields(Durations) if f.name != "build_fails"
)


_TIME = attrgetter("time")


@dataclass(frozen=True, slots=True)
class Push:
    """A commit pushed to ``main`` at `time`; the runs it starts take `durations`."""

    time: float
    durations: Durations = field(default_factory=Durations)
    label: str | None = None


@dataclass(frozen=True, slots=True)
class Rerun:
    """A re-run, at `time`, of the build of commit `commit` (1-based push number)."""

    time: float
    commit: int
    durations: Durations = field(default_factory=Durations)


@dataclass(frozen=True, slots=True)
class Dispatch:
    """A manual ``workflow_dispatch`` of the deploy at `time`: it deploys what ``main`` holds."""

    time: float
    durations: Durations = field(default_factory=Durations)


@dataclass(frozen=True)
class History:
    """Pushes (in commit order), re-runs and manual dispatches: everything that starts runs.

    Attributes:
        pushes: commit ``k`` is ``pushes[k - 1]``; push times must not decrease.
        reruns: re-runs of earlier builds; each names a commit that was pushed before it.
        dispatches: manual deploys.
        baseline: label of commit 0, what production runs before the first push.
    """

    pushes: tuple[Push, ...]
    reruns: tuple[Rerun, ...] = ()
    dispatches: tuple[Dispatch, ...] = ()
    baseline: str = "previous"

    def __post_init__(self) -> None:
        object.__setattr__(self, "pushes", tuple(self.pushes))
        object.__setattr__(self, "reruns", tuple(self.reruns))
        object.__setattr__(self, "dispatches", tuple(self.dispatches))
        previous = -math.inf
        for i, push in enumerate(self.pushes):
            t = push.time
            # a finite float is what check_seconds would make of it (and its field name is only
            # worth building for an error): a Monte Carlo run makes one history per trial
            if type(t) is not float or not -math.inf < t < math.inf:
                t = check_seconds(f"pushes[{i}].time", t, allow_negative=True)
            if t < previous:
                raise InputError(
                    f"pushes[{i}].time",
                    f"pushes must be in commit order: {t:g} s is before the previous push "
                    f"at {previous:g} s",
                )
            previous = t
        for i, rerun in enumerate(self.reruns):
            t = check_seconds(f"reruns[{i}].time", rerun.time, allow_negative=True)
            if not 1 <= rerun.commit <= len(self.pushes):
                raise InputError(
                    f"reruns[{i}].commit",
                    f"expected a pushed commit between 1 and {len(self.pushes)}, "
                    f"got {rerun.commit!r}",
                )
            if t < self.pushes[rerun.commit - 1].time:
                raise InputError(
                    f"reruns[{i}].time", "a re-run cannot happen before its commit is pushed"
                )
        for i, dispatch in enumerate(self.dispatches):
            check_seconds(f"dispatches[{i}].time", dispatch.time, allow_negative=True)

    @classmethod
    def single(
        cls, durations: Durations, *, time: float = 0.0, label: str | None = None
    ) -> History:
        """One push at `time` (the shape of the f8af4c1 incident)."""
        return cls((Push(time, durations, label),))

    @classmethod
    def at(cls, times: Sequence[float], durations: Sequence[Durations] | Durations) -> History:
        """Pushes at `times`, each with its own durations (or all with the same)."""
        if isinstance(durations, Durations):
            durations = [durations] * len(times)
        if len(durations) != len(times):
            raise InputError("durations", f"expected {len(times)} records, got {len(durations)}")
        return cls(tuple(Push(t, d) for t, d in zip(times, durations, strict=True)))

    @property
    def commits(self) -> int:
        """Number of pushed commits (commit numbers run from 1 to this)."""
        return len(self.pushes)

    def label(self, commit: int | None) -> str:
        """Human label of `commit`: its push label, ``"#k"``, or the baseline label for 0."""
        if commit is None:
            return "-"
        if commit == 0:
            return self.baseline
        push = self.pushes[commit - 1]
        return push.label if push.label is not None else f"#{commit}"

    def tip(self, time: float) -> int:
        """The commit ``main`` points at, at `time` (a push at exactly `time` counts)."""
        return bisect_right(self.pushes, time, key=_TIME)  # push times never decrease
