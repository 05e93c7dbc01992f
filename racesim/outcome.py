"""Verdicts derived from a trace: what each deploy shipped, and how the history ended.

Everything here is computed from the trace's events alone, so a trace read back from a table gives
the same verdicts as the simulation that produced it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from racesim.trace import Trace

__all__ = ["DeployOutcome", "Outcome", "assess"]


@dataclass(frozen=True)
class DeployOutcome:
    """What one deploy job meant to ship and what it shipped.

    Attributes:
        run: the deploy's run id.
        cause: what started it (``push``, ``workflow_run``, ``dispatch``; ``push`` or ``rerun``
            for the deploy job of a merged run).
        meant: the commit it was meant to ship (its ``head_sha``, or the tip of ``main`` for a
            manual dispatch).
        status: ``live`` (rolled out), ``blocked`` (a guard stopped it), ``failed`` (the image
            was not there or never showed up) or ``cancelled``.
        shipped: commit of the image it rolled out, or ``None`` if it rolled out nothing.
        pull_time: when it resolved its image reference in the registry it pulls from.
        pulled: commit of the image that reference resolved to (``None`` if it was not there).
        pull_margin: pull time minus the time the meant commit's image became visible under that
            reference; negative means it pulled too early. ``None`` if it never became visible.
        live_at: when its rollout ended (the service served `shipped` from then, unless a
            rollout that ended at the same instant won the tie).
    """

    run: int
    cause: str
    meant: int
    status: str
    shipped: int | None
    pull_time: float | None
    pulled: int | None
    pull_margin: float | None
    live_at: float | None

    @property
    def stale(self) -> bool:
        """It shipped an image older than the commit it was meant to ship."""
        return self.shipped is not None and self.shipped < self.meant

    @property
    def wrong_identity(self) -> bool:
        """It shipped any image other than the one it was meant to ship (older or newer)."""
        return self.shipped is not None and self.shipped != self.meant


@dataclass(frozen=True)
class Outcome:
    """Per-deploy verdicts and per-history metrics of one trace.

    Attributes:
        deploys: one entry per deploy job that started, in run order.
        skipped_deploys: deploy jobs that never started (gate, ``needs``, or cancelled while
            pending).
        live: ``(time, commit)`` each time the service changed image; the first entry is the
            baseline at ``-inf``.
        final_live: the commit the service runs at the end.
        newest_built: the newest commit whose build job succeeded (0 if none did).
        final_correct: the service ends on `newest_built`.
        regressions: how many times the service moved to an older commit.
        push_to_live: per pushed commit (index 0 is commit 1), seconds from its push until the
            service first ran it or a newer commit; ``None`` if that never happened.
        never_deployed: commits whose build succeeded but that the service never ran.
        behind_s: seconds, between the first push and the last event, during which the service
            ran an older commit than the newest image in the build registry.
        latest_at_end: per registry, the commit ``latest`` points at when the history ends.
        runner_s: runner seconds used by all jobs (from pickup to the end of the job).
        cancelled_runs: runs cancelled by a concurrency group.
        end_time: time of the last event.
    """

    deploys: tuple[DeployOutcome, ...]
    skipped_deploys: int
    live: tuple[tuple[float, int], ...]
    final_live: int
    newest_built: int
    final_correct: bool
    regressions: int
    push_to_live: tuple[float | None, ...]
    never_deployed: tuple[int, ...]
    behind_s: float
    latest_at_end: dict[str, int]
    runner_s: float
    cancelled_runs: int
    end_time: float

    @property
    def stale_deploys(self) -> int:
        """Deploys that shipped an older commit than they meant to."""
        return sum(d.stale for d in self.deploys)

    @property
    def identity_errors(self) -> int:
        """Deploys that shipped a different commit than they meant to."""
        return sum(d.wrong_identity for d in self.deploys)

    def deploys_frame(self) -> pd.DataFrame:
        """The deploys as a DataFrame with ``stale`` and ``wrong_identity`` columns."""
        rows = [
            {**asdict(d), "stale": d.stale, "wrong_identity": d.wrong_identity}
            for d in self.deploys
        ]
        columns = [*DeployOutcome.__dataclass_fields__, "stale", "wrong_identity"]
        return pd.DataFrame(rows, columns=columns)


class _DeployDraft:
    __slots__ = (
        "cause",
        "live_at",
        "meant",
        "pull_key",
        "pull_time",
        "pulled",
        "run",
        "shipped",
        "status",
    )

    def __init__(self, run: int, cause: str, meant: int) -> None:
        self.run, self.cause, self.meant = run, cause, meant
        self.status = "failed"
        self.shipped: int | None = None
        self.pull_time: float | None = None
        self.pulled: int | None = None
        self.pull_key: tuple[str, str] | None = None
        self.live_at: float | None = None


def assess(trace: Trace) -> Outcome:
    """Compute the :class:`Outcome` of `trace` from its events."""
    causes: dict[int, str] = {}
    deploying: set[int] = set()
    drafts: dict[int, _DeployDraft] = {}
    job_start: dict[tuple[int, str], float] = {}
    runner_s = 0.0
    cancelled = 0
    built: set[int] = set()
    first_visible: dict[tuple[str, str, int], float] = {}
    image_available: dict[int, float] = {}
    latest: dict[str, int] = {trace.build_registry: 0, trace.deploy_registry: 0}
    live: list[tuple[float, int]] = [(-math.inf, 0)]

    for e in trace.events:
        kind = e.kind
        if kind == "write":
            first_visible.setdefault((e.registry, e.ref, e.image), e.time)
            if e.ref == "latest":
                latest[e.registry] = e.image
            if e.registry == trace.build_registry:
                image_available.setdefault(e.image, e.time)
        elif kind == "live":
            live.append((e.time, e.image))
        elif kind == "run_created":
            causes[e.run] = e.detail
            if e.workflow in ("deploy", "merged"):
                deploying.add(e.run)
        elif kind == "job_started":
            job_start[(e.run, e.job)] = e.time
            if e.job == "deploy":
                drafts[e.run] = _DeployDraft(e.run, causes[e.run], e.commit)
        elif kind == "job_completed":
            runner_s += e.time - job_start[(e.run, e.job)]
            if e.job == "build" and e.detail == "success":
                built.add(e.commit)
        elif kind == "cancelled":
            cancelled += 1
            if e.run in drafts:
                drafts[e.run].status = "cancelled"
        elif e.run in drafts:
            draft = drafts[e.run]
            if kind in ("read", "read_failed") and e.detail == "pull" and draft.pull_time is None:
                draft.pull_time = e.time
                draft.pulled = None if kind == "read_failed" else e.image
                draft.pull_key = (e.registry, e.ref)
            elif kind == "guard" and e.detail == "block":
                draft.status = "blocked"
            elif kind == "step_end" and e.step == "rollout":
                draft.status, draft.shipped, draft.live_at = "live", e.image, e.time

    deploys = []
    for d in drafts.values():
        margin = None
        if d.pull_time is not None and d.pull_key is not None:
            visible = first_visible.get((*d.pull_key, d.meant))
            margin = None if visible is None else d.pull_time - visible
        deploys.append(
            DeployOutcome(
                d.run,
                d.cause,
                d.meant,
                d.status,
                d.shipped,
                d.pull_time,
                d.pulled,
                margin,
                d.live_at,
            )
        )

    pushes = trace.history.pushes
    start = pushes[0].time if pushes else 0.0
    end = trace.events[-1].time if trace.events else start
    newest_built = max(built, default=0)
    regressions = sum(b[1] < a[1] for a, b in pairwise(live))
    push_to_live: list[float | None] = []
    for k, push in enumerate(pushes, start=1):
        first = next((t for t, c in live if c >= k), None)
        push_to_live.append(None if first is None else first - push.time)
    ever_live = {c for _, c in live}
    return Outcome(
        deploys=tuple(deploys),
        skipped_deploys=len(deploying - drafts.keys()),
        live=tuple(live),
        final_live=live[-1][1],
        newest_built=newest_built,
        final_correct=live[-1][1] == newest_built,
        regressions=regressions,
        push_to_live=tuple(push_to_live),
        never_deployed=tuple(sorted(built - ever_live)),
        behind_s=_behind(live, image_available, start, end),
        latest_at_end=latest,
        runner_s=runner_s,
        cancelled_runs=cancelled,
        end_time=end,
    )


def _behind(
    live: list[tuple[float, int]], available: dict[int, float], start: float, end: float
) -> float:
    """Seconds in [start, end] during which the live commit is older than the newest image."""
    changes = sorted(
        {
            start,
            end,
            *(t for t, _ in live if start < t < end),
            *(t for t in available.values() if start < t < end),
        }
    )
    total = 0.0
    for a, b in pairwise(changes):
        current = next(c for t, c in reversed(live) if t <= a)
        newest = max((c for c, t in available.items() if t <= a), default=0)
        if current < newest:
            total += b - a
    return total
