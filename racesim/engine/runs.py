"""Workflow runs: their book-keeping, the events they record, and their life as SimPy processes.

A run (build, deploy, or a merged build-and-deploy run) may wait in its workflow's concurrency
group, then runs its jobs in order: each job may be skipped (``needs``, a ``workflow_run`` gate),
may wait in the deploy job's concurrency group, waits for a runner, then executes its steps.
What a job's steps *do* lives in :mod:`racesim.engine.jobs`; this module only runs them, records
the run's events, and handles cancellation by a concurrency group.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import simpy

from racesim.core.history import Durations
from racesim.core.strategy import Concurrency
from racesim.engine.concurrency import ConcurrencyGroup, SettlePhase

__all__ = ["JobSpec", "Proc", "Recorder", "RunState", "Runs"]

Proc = Generator[simpy.events.Event, Any, Any]


class RunState:
    """Book-keeping for one workflow run."""

    __slots__ = (
        "aborted",
        "admitted",
        "attempt",
        "build_run",
        "cancelling",
        "cause",
        "commit",
        "durations",
        "groups",
        "id",
        "job",
        "process",
        "step",
        "workflow",
    )

    def __init__(
        self, id: int, workflow: str, commit: int, durations: Durations, cause: str
    ) -> None:
        self.id = id
        self.workflow = workflow  # build | deploy | merged
        self.commit = commit  # the built commit, or the commit a deploy means to ship
        self.durations = durations
        self.cause = cause  # push | rerun | workflow_run | dispatch
        self.attempt = 1
        self.build_run: int | None = None  # for deploys: the build run whose image they ship
        self.process: simpy.Process | None = None
        self.job = ""
        self.step = ""
        self.cancelling = False
        self.groups: list[ConcurrencyGroup[RunState]] = []
        self.admitted: simpy.Event | None = None
        self.aborted = ""  # what happens to the step a cancellation cut short, if anything

    def order(self) -> tuple[int, ...]:
        """How runs that arrive in a concurrency group at the same instant are sorted."""
        return self.commit, self.attempt, self.id


def _never_skip(_conclusion: str) -> str | None:
    return None


@dataclass(frozen=True)
class JobSpec:
    """One job of a workflow, as data shared by every simulation.

    `pickup` picks the job's runner pickup delay out of the run's durations; `steps` is the
    job's steps (a generator method of :class:`racesim.engine.jobs.Jobs`, called with the jobs
    and the run); `skip` says why the job does not run, given the conclusion of the jobs before
    it in the same run (``None``: it runs). The deploy job waits in the deploy concurrency
    group, if the strategy has one, after it passes `skip`.
    """

    name: str  # build | deploy
    pickup: Callable[[Durations], float]
    steps: Callable[[Any, RunState], Proc]
    skip: Callable[[str], str | None] = _never_skip


class Recorder:
    """The trace's events as plain tuples in :class:`racesim.core.trace.Event` field order."""

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        self.events: list[tuple[Any, ...]] = []

    def mark(self, kind: str, commit: int) -> None:
        """An event that belongs to no run (a push, re-run or dispatch)."""
        self.events.append((self.env.now, kind, 0, "", "", commit, "", "", "", -1, ""))

    def emit(
        self,
        kind: str,
        run: RunState,
        step: str = "",
        registry: str = "",
        ref: str = "",
        image: int = -1,
        detail: str = "",
        job: str | None = None,
    ) -> None:
        """Record one event of `run` at the current time."""
        self.events.append(
            (
                self.env.now,
                kind,
                run.id,
                run.workflow,
                run.job if job is None else job,
                run.commit,
                step,
                registry,
                ref,
                image,
                detail,
            )
        )

    def note(self, kind: str, run: RunState, detail: str = "") -> None:
        """Record an event of `run` with only a `detail` (:meth:`emit` without its options).

        Runs record several per job; positional and without the options, it is cheaper.
        """
        self.events.append(
            (self.env.now, kind, run.id, run.workflow, run.job, run.commit, "", "", "", -1, detail)
        )

    def begin(self, run: RunState, name: str, duration: float, image: int = -1) -> simpy.Timeout:
        """Start step `name`; the caller yields the returned timeout, then calls :meth:`end`."""
        run.step = name
        env = self.env
        # the row built here rather than through emit: steps are most of a trace's events
        self.events.append(
            (
                env.now,
                "step_start",
                run.id,
                run.workflow,
                run.job,
                run.commit,
                name,
                "",
                "",
                image,
                "",
            )
        )
        return env.timeout(duration)

    def end(self, run: RunState, *, failed: bool = False, image: int = -1) -> None:
        """End the step `run` is in."""
        self.events.append(
            (
                self.env.now,
                "step_end",
                run.id,
                run.workflow,
                run.job,
                run.commit,
                run.step,
                "",
                "",
                image,
                "failure" if failed else "",
            )
        )
        run.step = ""


class Runs:
    """Every run of one simulation, its concurrency groups, and the life of each run.

    `jobs` is what job steps are called with; `completed` is called with each run and its
    conclusion when it ends (the ``workflow_run`` trigger listens to it).
    """

    def __init__(
        self,
        env: simpy.Environment,
        phase: SettlePhase,
        recorder: Recorder,
        build_concurrency: Concurrency | None,
        deploy_concurrency: Concurrency | None,
    ) -> None:
        self.env = env
        self.phase = phase
        self.recorder = recorder
        self.runs: list[RunState] = []
        self.jobs: Any = None
        self.completed: Callable[[RunState, str], None] = lambda _run, _conclusion: None
        self.build_group = self._group("build", build_concurrency)
        self.deploy_group = self._group("deploy", deploy_concurrency)

    def _group(self, name: str, spec: Concurrency | None) -> ConcurrencyGroup[RunState] | None:
        if spec is None:
            return None
        return ConcurrencyGroup(
            self.phase,
            name,
            spec,
            order=RunState.order,
            admit=lambda run: self._admit(run, name),
            pend=lambda run: self.recorder.note("pending", run, name),
            cancel=self._cancel,
        )

    def release(self) -> None:
        """Drop the groups, which call back into this object (no reference cycle left)."""
        self.build_group = self.deploy_group = None

    def new(self, workflow: str, commit: int, durations: Durations, cause: str) -> RunState:
        """A new run; run ids are 1-based positions in :attr:`runs`."""
        run = RunState(len(self.runs) + 1, workflow, commit, durations, cause)
        self.runs.append(run)
        return run

    def start(
        self, run: RunState, workflow_group: ConcurrencyGroup[RunState] | None, jobs: list[JobSpec]
    ) -> None:
        """Start `run`'s process: wait in `workflow_group` (if any), then run `jobs`."""
        run.process = self.env.process(self._run(run, workflow_group, jobs))

    def _admit(self, run: RunState, group: str) -> None:
        assert run.admitted is not None
        self.recorder.note("admitted", run, group)
        run.admitted.succeed()

    def _cancel(self, run: RunState, reason: str) -> None:
        if run.cancelling or run.process is None or not run.process.is_alive:
            return
        run.cancelling = True
        run.process.interrupt(reason)

    def _enter(self, run: RunState, group: ConcurrencyGroup[RunState]) -> Proc:
        run.admitted = self.env.event()
        run.groups.append(group)
        group.arrive(run)
        yield run.admitted

    def _leave(self, run: RunState, group: ConcurrencyGroup[RunState]) -> None:
        run.groups.remove(group)
        group.leave(run)

    def _run(
        self, run: RunState, workflow_group: ConcurrencyGroup[RunState] | None, jobs: list[JobSpec]
    ) -> Proc:
        emit, note = self.recorder.emit, self.recorder.note
        note("run_created", run, run.cause)
        conclusion = "success"
        try:
            if workflow_group is not None:
                yield from self._enter(run, workflow_group)
            for job in jobs:
                reason = job.skip(conclusion)
                if reason is not None:
                    emit("job_skipped", run, job=job.name, detail=reason)
                    conclusion = "skipped" if conclusion == "success" else conclusion
                    continue
                group = self.deploy_group if job.name == "deploy" else None
                if group is not None:
                    yield from self._enter(run, group)
                yield self.env.timeout(job.pickup(run.durations))
                run.job = job.name
                note("job_started", run)
                ok = yield from job.steps(self.jobs, run)
                conclusion = "success" if ok else "failure"
                note("job_completed", run, conclusion)
                run.job = ""
                if group is not None:
                    self._leave(run, group)
        except simpy.Interrupt as interrupt:
            conclusion = "cancelled"
            if run.step:
                emit("step_aborted", run, step=run.step, detail=run.aborted)
            note("cancelled", run, str(interrupt.cause))
            if run.job:
                note("job_completed", run, conclusion)
        if run.groups:
            for group in list(run.groups):
                self._leave(run, group)
        run.job = run.step = ""
        note("run_completed", run, conclusion)
        self.completed(run, conclusion)
