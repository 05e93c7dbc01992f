"""Verdicts derived from a trace: what each deploy shipped, and how the history ended.

Everything here is computed from the trace's events alone, so a trace read back from a table gives
the same verdicts as the simulation that produced it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import pandas as pd

    from racesim.core.history import History


__all__ = ["LAGGED", "DeployOutcome", "Outcome", "assess"]

#: step of a ``write`` row that other jobs see only later, at its ``visible`` row
LAGGED = "lagged"


@dataclass(frozen=True)
class DeployOutcome:
    """What one deploy job meant to ship and what it shipped.

    Attributes:
        run: the deploy's run id.
        cause: what started it (``push``, ``workflow_run``, ``dispatch``; ``push`` or ``rerun``
            for the deploy job of a merged run).
        meant: the commit it was meant to ship (its ``head_sha``, or the tip of ``main`` for a
            manual dispatch).
        status: ``live`` (rolled out; also when the job was cancelled during a rollout the
            target carried on), ``blocked`` (a guard stopped it), ``failed`` (the image
            was not there or never showed up) or ``cancelled``.
        shipped: commit of the image it rolled out, or ``None`` if it rolled out nothing.
        pull_time: when it resolved its image reference in the registry it pulls from, whether
            or not a manifest was there (``None`` if it never got to its pull).
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
        latest_at_end: per registry, the commit ``latest`` points at when the history ends (the
            last write the registry accepted, whenever it became visible): the build registry,
            and the deploy registry if a run wrote to it or read from it.
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
    def backwards(self) -> tuple[tuple[float, int, int], ...]:
        """``(time, from commit, to commit)`` each time the service moved to an older commit.

        There are :attr:`regressions` of them.
        """
        return tuple(
            (t, before, after)
            for (_, before), (t, after) in zip(self.live, self.live[1:], strict=False)
            if after < before
        )

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
        import pandas as pd  # here, not at the top: judging a strategy needs no DataFrame

        rows = [
            {**asdict(d), "stale": d.stale, "wrong_identity": d.wrong_identity}
            for d in self.deploys
        ]
        columns = [*DeployOutcome.__dataclass_fields__, "stale", "wrong_identity"]
        return pd.DataFrame(rows, columns=columns)


#: kinds of events no verdict depends on (most rows of a trace are step starts)
_UNUSED_KINDS = frozenset(
    {
        "step_start",
        "step_aborted",
        "run_completed",
        "push",
        "rerun",
        "dispatch",
        "pending",
        "admitted",
        "job_skipped",
    }
)


def assess(rows: Sequence[tuple[Any, ...]], history: History, build_registry: str) -> Outcome:
    """Compute the :class:`Outcome` of a trace from its events.

    `rows` are a trace's events as plain tuples in :class:`~racesim.Event` field order (what
    :attr:`Trace.rows <racesim.Trace.rows>` holds), `history` the history simulated and
    `build_registry` the registry the build pushes to. One pass over the rows; this runs once per
    simulated history in a Monte Carlo study, so it works on the raw event tuples rather than on
    Event objects. :attr:`Trace.outcome <racesim.Trace.outcome>` calls it.
    """
    causes: dict[int, str] = {}
    deploying: set[int] = set()
    # per deploy run:
    # [cause, meant, status, shipped, pull_time, pulled, pull_registry, pull_ref, live_at]
    drafts: dict[int, list[Any]] = {}
    job_start: dict[int, float] = {}  # per run, when its current job started (never two at once)
    runner_s = 0.0
    cancelled = 0
    built: set[int] = set()
    first_visible: dict[tuple[str, str, int], float] = {}
    # change points for _behind: (time, 0, live commit) and (time, 1, commit of a build registry
    # write)
    changes: list[tuple[float, int, int]] = [(-math.inf, 0, 0)]
    # the build registry, and the deploy registry only if some run wrote to it or read from it
    latest: dict[str, int] = {build_registry: 0}
    live: list[tuple[float, int]] = [(-math.inf, 0)]

    for row in rows:
        kind = row[1]
        if kind in _UNUSED_KINDS:
            continue
        if kind == "step_end":  # a third of the rows: only a rollout's end matters
            if row[6] == "rollout" and row[2] in drafts:
                draft = drafts[row[2]]
                draft[2], draft[3], draft[8] = "live", row[9], row[0]
            continue
        t, kind, run, workflow, job, commit, _, registry, ref, image, detail = row
        if kind == "write" or kind == "visible":
            if kind == "write":  # in write order: the last write of `latest` is its value
                if ref == "latest":
                    latest[registry] = image
                if row[6] == LAGGED:  # others see it at its `visible` row
                    continue
            first_visible.setdefault((registry, ref, image), t)
            if registry == build_registry:
                change = (t, 1, image)
                if changes[-1] != change:  # one push writes several keys: repeats change nothing
                    changes.append(change)
        elif kind == "read" or kind == "read_failed":
            if registry not in latest:
                latest[registry] = 0
            if detail == "pull" and run in drafts:
                draft = drafts[run]
                if draft[4] is None:
                    draft[4:8] = t, (None if kind == "read_failed" else image), registry, ref
        elif kind == "run_created":
            causes[run] = detail
            if workflow == "deploy" or workflow == "merged":
                deploying.add(run)
        elif kind == "job_started":
            job_start[run] = t
            if job == "deploy":
                drafts[run] = [causes[run], commit, "failed", None, None, None, "", "", None]
        elif kind == "job_completed":
            runner_s += t - job_start[run]
            if job == "build" and detail == "success":
                built.add(commit)
        elif kind == "live":
            live.append((t, image))
            changes.append((t, 0, image))
        elif kind == "guard":
            if detail == "block" and run in drafts:
                drafts[run][2] = "blocked"
        elif kind == "cancelled":
            cancelled += 1
            if run in drafts:
                drafts[run][2] = "cancelled"

    deploys = []
    for run, (
        cause,
        meant,
        status,
        shipped,
        pull_time,
        pulled,
        reg,
        ref,
        live_at,
    ) in drafts.items():
        margin = None
        if pull_time is not None:
            visible = first_visible.get((reg, ref, meant))
            margin = None if visible is None else pull_time - visible
        deploys.append(
            _frozen(
                DeployOutcome,
                {
                    "run": run,
                    "cause": cause,
                    "meant": meant,
                    "status": status,
                    "shipped": shipped,
                    "pull_time": pull_time,
                    "pulled": pulled,
                    "pull_margin": margin,
                    "live_at": live_at,
                },
            )
        )

    pushes = history.pushes
    start = pushes[0].time if pushes else 0.0
    end = rows[-1][0] if rows else start
    newest_built = max(built) if built else 0
    regressions = 0
    previous = 0
    shown: set[int] = set()  # every commit the service ran
    reached: list[float] = []  # reached[k - 1]: when the service first ran commit k or newer
    for t, c in live:
        regressions += c < previous
        previous = c
        shown.add(c)
        while len(reached) < c:
            reached.append(t)
    push_to_live: list[float | None] = []
    for k, push in enumerate(pushes):
        push_to_live.append(reached[k] - push.time if k < len(reached) else None)
    return _frozen(
        Outcome,
        {
            "deploys": tuple(deploys),
            "skipped_deploys": len(deploying.difference(drafts)),
            "live": tuple(live),
            "final_live": live[-1][1],
            "newest_built": newest_built,
            "final_correct": live[-1][1] == newest_built,
            "regressions": regressions,
            "push_to_live": tuple(push_to_live),
            "never_deployed": tuple(sorted(built.difference(shown))),
            "behind_s": _behind(changes, start, end),
            "latest_at_end": latest,
            "runner_s": runner_s,
            "cancelled_runs": cancelled,
            "end_time": end,
        },
    )


_T = TypeVar("_T")


def _frozen(cls: type[_T], fields: dict[str, Any]) -> _T:
    """A frozen dataclass instance with `fields` (which must be all of them), made directly.

    A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``, which
    costs more than the rest of building an outcome; :func:`assess` runs once per trial (and a
    dict literal is cheaper to pass than keywords). The result equals ``cls(**fields)``: these
    classes have no ``__post_init__``, and their fields live in the instance ``__dict__``.
    """
    obj = object.__new__(cls)
    obj.__dict__.update(fields)
    return obj


def _behind(changes: list[tuple[float, int, int]], start: float, end: float) -> float:
    """Seconds in [start, end] during which the live commit is older than the newest image.

    `changes` holds ``(time, 0, commit)`` when the service goes live on `commit` and
    ``(time, 1, commit)`` when the build registry receives an image of `commit`; one sweep over
    them in time order (at the same instant, live changes first).
    """
    changes.sort()
    total = 0.0
    current = newest = 0
    since = start
    for t, which, value in changes:
        if t > since and t > start:
            if current < newest:
                total += min(t, end) - since
            since = min(t, end)
        if which == 0:
            current = value
        else:
            newest = max(newest, value)
    if current < newest and end > since:
        total += end - since
    return total
