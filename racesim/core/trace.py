"""The trace: every event of one simulated history, as a flat table.

The trace is the truth every other part of racesim derives from (outcomes, pictures, checks). It
is a Jepsen-style history: one row per event, ordered by time. At one instant, state changes
(registry writes, the service going live on an image) come before the events that may observe
them, and simultaneous writes to one tag appear in the order the tie rule resolves them, so the
last one listed is the one that holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, NamedTuple

from racesim.core.history import History
from racesim.core.outcome import LAGGED, Outcome, assess
from racesim.core.strategy import Strategy

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["CONTINUED", "EVENT_KINDS", "FINISHED_BY_TARGET", "LAGGED", "Event", "Trace"]

#: detail of the ``step_aborted`` row of a rollout the deploy target carries on after its job
#: was cancelled, and of the ``step_end`` row when the target finishes it
CONTINUED = "client cancelled, rollout continued"
FINISHED_BY_TARGET = "rollout continued"

#: every value of :attr:`Event.kind`, with what it means
EVENT_KINDS: dict[str, str] = {
    "push": "a commit is pushed to main (commit = the pushed commit)",
    "rerun": "someone re-runs the build of a commit",
    "dispatch": "someone dispatches the deploy by hand (commit = tip of main)",
    "run_created": "a workflow run is created (detail = what triggered it)",
    "pending": "the run waits in a concurrency group (detail = group)",
    "admitted": "a concurrency group lets the run (or its deploy job) go on (detail = group)",
    "cancelled": "the run is cancelled (detail = why)",
    "job_started": "a runner picked the job up",
    "job_skipped": "the job does not run (detail = why)",
    "job_completed": "the job ended (detail = conclusion)",
    "run_completed": "the run ended (detail = conclusion)",
    "step_start": "a step starts",
    "step_end": "a step ends (detail = 'failure' if it failed, 'rollout continued' for the rollout "
    "of a cancelled deploy job that the target finished)",
    "step_aborted": "a step is cut short by a cancellation (detail = 'client cancelled, rollout "
    "continued' when the deploy target carries the rollout on)",
    "write": "the registry accepts a write: the key points at the image from now on, and the "
    "last write of a key is its value (time = acceptance); every job sees it at once, unless step "
    "= 'lagged': then only the writing job until its 'visible' row",
    "visible": "jobs other than the writer see a lagged write from now on (time = acceptance "
    "plus the registry's read-after-write lag)",
    "read": "a registry key is resolved (detail = pull, resolve or poll)",
    "read_failed": "a registry key is not there (manifest unknown)",
    "guard": "a guard is checked (detail = pass or block; image = what it compared with); "
    "step = newer_than_live, tip_of_main, publish_guard, or reconcile_latest (detail = move "
    "or keep, image = what latest held)",
    "live": "the service serves a new image from this time on",
}


class Event(NamedTuple):
    """One row of the trace.

    Attributes:
        time: seconds on the history's clock.
        kind: one of :data:`EVENT_KINDS`.
        run: run id (``0`` for events that belong to no run, such as a push).
        workflow: ``build``, ``deploy``, ``merged`` (one workflow with both jobs) or ``""``.
        job: ``build``, ``deploy`` or ``""``.
        commit: the commit the run is about (the built commit, or the commit a deploy is meant
            to ship); for a push, the pushed commit.
        step: step name for step events (and the guard's name for guard events).
        registry: registry name for reads and writes.
        ref: registry key (``latest``, ``sha-<commit>``, ``digest:<build run>``).
        image: commit of the image read, written or served; ``-1`` when there is none.
        detail: free text described in :data:`EVENT_KINDS`.
    """

    time: float
    kind: str
    run: int
    workflow: str
    job: str
    commit: int
    step: str = ""
    registry: str = ""
    ref: str = ""
    image: int = -1
    detail: str = ""


@dataclass(frozen=True, eq=False)
class Trace:
    """The events of one simulation, with the strategy and history that produced them.

    Attributes:
        strategy: the strategy simulated.
        history: pushes, re-runs and dispatches with their durations.
        rows: the events as plain tuples in :class:`Event` field order, ordered by time (stable:
            see the module docstring). :attr:`events` gives them as Event objects.
        build_registry: name of the registry the build pushes to.
        deploy_registry: name of the registry the deploy mirrors to and deploys from.
    """

    strategy: Strategy
    history: History
    rows: tuple[tuple[Any, ...], ...]
    build_registry: str = "ghcr"
    deploy_registry: str = "artifact-registry"

    @cached_property
    def events(self) -> tuple[Event, ...]:
        """The events, in trace order."""
        return tuple(map(Event._make, self.rows))

    @property
    def outcome(self) -> Outcome:
        """Per-deploy verdicts and per-history metrics (see :class:`racesim.Outcome`).

        Computed once and kept. Not a ``cached_property``: on Python 3.11 that takes a lock on
        every first access, a measurable share of a Monte Carlo trial.
        """
        cached: Outcome | None = self.__dict__.get("_outcome")
        if cached is None:
            cached = assess(self.rows, self.history, self.build_registry)
            object.__setattr__(self, "_outcome", cached)
        return cached

    def frame(self) -> pd.DataFrame:
        """The events as a tidy DataFrame, one row per event, with commit labels added."""
        import pandas as pd  # here, not at the top: simulating needs no DataFrame

        df = pd.DataFrame(list(self.rows), columns=list(Event._fields))
        label = self.history.label
        df["commit_label"] = [label(c) if c >= 0 else "" for c in df["commit"]]
        df["image_label"] = [label(c) if c >= 0 else "" for c in df["image"]]
        return df

    def label(self, commit: int | None) -> str:
        """Human label of `commit` (see :meth:`History.label`)."""
        return self.history.label(commit)
