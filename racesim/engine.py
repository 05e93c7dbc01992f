"""The reference engine: a SimPy discrete-event simulation of one history under one strategy.

Each run (build, deploy, or a merged build-and-deploy run) is a SimPy process: it may wait in a
concurrency group, waits for a runner, then executes its steps in order. Registry writes are
recorded when the writing step ends (visible after the run's registry lag); reads, guard checks
and group admissions happen in the settle phase of their instant (see
:mod:`racesim.model.concurrency`), which makes every tie explicit instead of an accident of the
event queue. The result is a :class:`~racesim.trace.Trace`.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Generator
from dataclasses import dataclass, replace
from functools import partial
from operator import attrgetter, itemgetter
from typing import Any

import simpy

from racesim.model.concurrency import ConcurrencyGroup, Settle
from racesim.model.history import Durations, History
from racesim.model.registry import BASELINE_IMAGE, Image, Register, Registry, Tie, digest_key
from racesim.strategies import Concurrency, Strategy, parse_strategy
from racesim.trace import Trace

__all__ = ["simulate"]

Proc = Generator[simpy.events.Event, Any, Any]


class _Run:
    """Book-keeping for one workflow run."""

    __slots__ = (
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
        self.groups: list[ConcurrencyGroup[_Run]] = []
        self.admitted: simpy.Event | None = None

    def order(self) -> tuple[int, ...]:
        return self.commit, self.attempt, self.id


def _never_skip(_conclusion: str) -> str | None:
    return None


def _needs_build(conclusion: str) -> str | None:
    return None if conclusion == "success" else "needs: build did not succeed"


@dataclass(frozen=True)
class _Job:
    """One job of a workflow, as data shared by every simulation.

    `pickup` picks the job's runner pickup delay out of the run's durations; `steps` is the
    job's steps (a generator method of :class:`_Simulation`, called with the simulation and the
    run); `skip` says why the job does not run, given the conclusion of the jobs before it in
    the same run (``None``: it runs). The deploy job waits in the deploy concurrency group, if
    the strategy has one, after it passes `skip`.
    """

    name: str  # build | deploy
    pickup: Callable[[Durations], float]
    steps: Callable[[_Simulation, _Run], Proc]
    skip: Callable[[str], str | None] = _never_skip


#: the order in which simultaneous writes to one register take effect (the last one holds)
_TIE_ORDER = attrgetter("visible_at", "tie")


def _fire(handler: Callable[[int], None], index: int, _event: simpy.Event) -> None:
    handler(index)


class _Simulation:
    def __init__(
        self, strategy: Strategy, history: History, build_registry: str, deploy_registry: str
    ) -> None:
        self.strategy = strategy
        self.history = history
        # the clock starts at 0, or at the first push or dispatch if that is earlier (pushes are
        # in time order, so the first one is the earliest)
        first_push = [history.pushes[0].time] if history.pushes else []
        start = min([0.0, *first_push, *[d.time for d in history.dispatches]])
        self.env = simpy.Environment(initial_time=start)
        self.events: list[tuple[Any, ...]] = []  # Event fields; made into Events at the end
        self.build_registry = Registry(build_registry)
        self.deploy_registry = Registry(deploy_registry)
        self.service = Register(initial=BASELINE_IMAGE)
        self.runs: list[_Run] = []
        self.build_group = self._group("build", strategy.build_concurrency)
        self.deploy_group = self._group("deploy", strategy.deploy_concurrency)

    # -- set-up -----------------------------------------------------------------------------

    def _group(self, name: str, spec: Concurrency | None) -> ConcurrencyGroup[_Run] | None:
        if spec is None:
            return None
        return ConcurrencyGroup(
            self.env,
            name,
            spec,
            order=_Run.order,
            admit=self._admit,
            pend=lambda run: self._emit("pending", run, detail=name),
            cancel=self._cancel,
        )

    def run(self) -> Trace:
        self._schedule_triggers()
        self.env.run()
        # the groups call back into this simulation; without them it is freed as soon as the
        # trace is made (no reference cycle left for the garbage collector)
        self.build_group = self.deploy_group = None
        # state changes first, so that within an instant they precede what may observe them
        rows = self._state_events()
        rows += self.events
        rows.sort(key=itemgetter(0))
        return Trace(
            self.strategy,
            self.history,
            tuple(rows),
            self.build_registry.name,
            self.deploy_registry.name,
        )

    def _schedule_triggers(self) -> None:
        """Start the runs of every push, re-run and dispatch at its time (in that order)."""
        h = self.history
        triggers: list[tuple[float, int, int]] = [(p.time, 0, k) for k, p in enumerate(h.pushes, 1)]
        triggers += [(r.time, 1, i) for i, r in enumerate(h.reruns)]
        triggers += [(d.time, 2, i) for i, d in enumerate(h.dispatches)]
        handlers = (self._on_push, self._on_rerun, self._on_dispatch)
        for time, kind, index in sorted(triggers):
            if time <= self.env.now:
                handlers[kind](index)
            else:
                self.env.timeout(time - self.env.now).callbacks.append(
                    partial(_fire, handlers[kind], index)
                )

    def _new_run(self, workflow: str, commit: int, durations: Durations, cause: str) -> _Run:
        run = _Run(len(self.runs) + 1, workflow, commit, durations, cause)
        self.runs.append(run)
        return run

    def _on_push(self, commit: int) -> None:
        durations = self.history.pushes[commit - 1].durations
        self.events.append((self.env.now, "push", 0, "", "", commit, "", "", "", -1, ""))
        trigger = self.strategy.trigger
        if trigger == "needs":
            self._start_merged(self._new_run("merged", commit, durations, "push"))
            return
        self._start_build(self._new_run("build", commit, durations, "push"))
        if trigger == "push":
            self._start_deploy(self._new_run("deploy", commit, durations, "push"))

    def _on_rerun(self, index: int) -> None:
        rerun = self.history.reruns[index]
        previous = [r for r in self.runs if r.commit == rerun.commit and r.workflow != "deploy"]
        workflow = "merged" if self.strategy.trigger == "needs" else "build"
        run = self._new_run(workflow, rerun.commit, rerun.durations, "rerun")
        run.attempt = len(previous) + 1
        self.events.append((self.env.now, "rerun", 0, "", "", rerun.commit, "", "", "", -1, ""))
        if workflow == "merged":
            self._start_merged(run)
        else:
            self._start_build(run)

    def _on_dispatch(self, index: int) -> None:
        durations = self.history.dispatches[index].durations
        tip = self.history.tip(self.env.now)
        self.events.append((self.env.now, "dispatch", 0, "", "", tip, "", "", "", -1, ""))
        if self.strategy.trigger == "needs":
            self._start_merged(self._new_run("merged", tip, durations, "dispatch"))
        else:
            self._start_deploy(self._new_run("deploy", tip, durations, "dispatch"))

    def _start(
        self, run: _Run, workflow_group: ConcurrencyGroup[_Run] | None, jobs: list[_Job]
    ) -> None:
        run.process = self.env.process(self._run(run, workflow_group, jobs))

    def _start_build(self, run: _Run) -> None:
        self._start(run, self.build_group, [_BUILD_JOB])

    def _start_merged(self, run: _Run) -> None:
        run.build_run = run.id
        self._start(run, self.build_group, [_BUILD_JOB, _NEEDS_DEPLOY_JOB])

    def _start_deploy(self, run: _Run) -> None:
        self._start(run, None, [_DEPLOY_JOB])

    def _after_build(self, build: _Run, conclusion: str) -> Proc:
        """``workflow_run``: one deploy run per completed build run, after the dispatch delay."""
        yield self.env.timeout(build.durations.dispatch)
        run = self._new_run("deploy", build.commit, build.durations, "workflow_run")
        run.build_run = build.id
        job = _DEPLOY_JOB
        if self.strategy.gate and conclusion != "success":
            reason = f"gate: build run {build.id} concluded {conclusion}"
            job = replace(_DEPLOY_JOB, skip=lambda _c: reason)
        self._start(run, None, [job])

    # -- runs, jobs and groups ----------------------------------------------------------------

    def _emit(
        self,
        kind: str,
        run: _Run,
        step: str = "",
        registry: str = "",
        ref: str = "",
        image: int = -1,
        detail: str = "",
        job: str | None = None,
    ) -> None:
        """Record one event of `run` at the current time (a plain tuple; Events are made later)."""
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

    def _settle(self) -> Proc:
        """Wait for the settle phase of this instant, unless nothing else happens in it."""
        if self.env.peek() <= self.env.now:
            yield Settle(self.env)

    def _admit(self, run: _Run) -> None:
        assert run.admitted is not None
        run.admitted.succeed()

    def _cancel(self, run: _Run, reason: str) -> None:
        if run.cancelling or run.process is None or not run.process.is_alive:
            return
        run.cancelling = True
        run.process.interrupt(reason)

    def _enter(self, run: _Run, group: ConcurrencyGroup[_Run]) -> Proc:
        run.admitted = self.env.event()
        run.groups.append(group)
        group.arrive(run)
        yield run.admitted

    def _leave(self, run: _Run, group: ConcurrencyGroup[_Run]) -> None:
        run.groups.remove(group)
        group.leave(run)

    def _run(
        self, run: _Run, workflow_group: ConcurrencyGroup[_Run] | None, jobs: list[_Job]
    ) -> Proc:
        self._emit("run_created", run, detail=run.cause)
        conclusion = "success"
        try:
            if workflow_group is not None:
                yield from self._enter(run, workflow_group)
            for job in jobs:
                reason = job.skip(conclusion)
                if reason is not None:
                    self._emit("job_skipped", run, job=job.name, detail=reason)
                    conclusion = "skipped" if conclusion == "success" else conclusion
                    continue
                group = self.deploy_group if job.name == "deploy" else None
                if group is not None:
                    yield from self._enter(run, group)
                yield self.env.timeout(job.pickup(run.durations))
                run.job = job.name
                self._emit("job_started", run)
                ok = yield from job.steps(self, run)
                conclusion = "success" if ok else "failure"
                self._emit("job_completed", run, detail=conclusion)
                run.job = ""
                if group is not None:
                    self._leave(run, group)
        except simpy.Interrupt as interrupt:
            conclusion = "cancelled"
            if run.step:
                self._emit("step_aborted", run, step=run.step)
            self._emit("cancelled", run, detail=str(interrupt.cause))
            if run.job:
                self._emit("job_completed", run, detail=conclusion)
        for group in list(run.groups):
            self._leave(run, group)
        run.job = run.step = ""
        self._emit("run_completed", run, detail=conclusion)
        if self.strategy.trigger == "workflow_run" and run.workflow == "build":
            self.env.process(self._after_build(run, conclusion))

    def _begin(self, run: _Run, name: str, duration: float, image: int = -1) -> simpy.Timeout:
        """Start step `name`; the caller yields the returned timeout, then calls :meth:`_end`."""
        run.step = name
        self._emit("step_start", run, name, image=image)
        return self.env.timeout(duration)

    def _end(self, run: _Run, *, failed: bool = False, image: int = -1) -> None:
        self._emit("step_end", run, run.step, image=image, detail="failure" if failed else "")
        run.step = ""

    # -- registry and service -------------------------------------------------------------------

    def _write(
        self, run: _Run, registry: Registry, keys: tuple[str, ...], image: Image, start: float
    ) -> None:
        visible = self.env.now + run.durations.registry_lag
        registry.write_many(keys, visible, image, Tie(start, image.commit, run.id))

    def _read(self, run: _Run, registry: Registry, key: str, purpose: str) -> Proc:
        if self.env.peek() <= self.env.now:  # inlined _settle(): reads are the hot path
            yield Settle(self.env)
        image = registry.read(key, self.env.now)
        if image is None:
            self._emit(
                "read_failed", run, registry=registry.name, ref=key, detail="manifest unknown"
            )
        else:
            self._emit(
                "read", run, registry=registry.name, ref=key, image=image.commit, detail=purpose
            )
        return image

    def _state_events(self) -> list[tuple[Any, ...]]:
        """Registry writes and service changes, each registry key in tie-rule order."""
        out: list[tuple[Any, ...]] = []
        runs = self.runs  # run ids are 1-based positions in this list
        for registry in (self.build_registry, self.deploy_registry):
            name = registry.name
            for key, register in registry.tags.items():
                writes = register.writes
                if len(writes) > 1:
                    writes = sorted(writes, key=_TIE_ORDER)
                for visible_at, tie, image in writes:
                    run = runs[tie.run - 1]
                    out.append(
                        (
                            visible_at,
                            "write",
                            run.id,
                            run.workflow,
                            "",
                            run.commit,
                            "",
                            name,
                            key,
                            image.commit,
                            f"build run {image.build_run}",
                        )
                    )
        for time, image, writer in self.service.timeline()[1:]:
            run = runs[writer - 1]
            out.append(
                (
                    time,
                    "live",
                    run.id,
                    run.workflow,
                    "deploy",
                    run.commit,
                    "",
                    "",
                    "",
                    image.commit,
                    "",
                )
            )
        return out

    # -- the build job ----------------------------------------------------------------------------

    def _build_steps(self, run: _Run) -> Proc:
        d, s = run.durations, self.strategy
        move_latest = True
        if s.publish_guard:
            yield from self._settle()
            current = self.build_registry.read("latest", self.env.now)
            newer = current is not None and current.commit > run.commit
            move_latest = not newer
            self._emit(
                "guard",
                run,
                step="publish_guard",
                registry=self.build_registry.name,
                ref="latest",
                image=-1 if current is None else current.commit,
                detail="block" if newer else "pass",
            )
        yield self._begin(run, "build", d.build)
        self._end(run, failed=d.build_fails)
        if d.build_fails:
            return False
        image = Image(run.commit, run.id)
        pinned = (f"sha-{run.commit}", image.digest)
        keys = ("latest", *pinned) if move_latest else pinned
        start = self.env.now
        yield self._begin(run, "push", d.push)
        self._end(run)
        self._write(run, self.build_registry, keys, image, start)
        if s.direct:
            start = self.env.now
            yield self._begin(run, "push_direct", d.mirror)
            self._end(run)
            self._write(run, self.deploy_registry, keys, image, start)
        yield self._begin(run, "verify", d.build_verify)
        self._end(run)
        return True

    # -- the deploy job ---------------------------------------------------------------------------

    def _reference(self, run: _Run) -> str:
        ref = self.strategy.reference
        if ref == "latest":
            return "latest"
        if ref == "digest" and run.build_run is not None:
            return digest_key(run.build_run)
        return f"sha-{run.commit}"  # a manual dispatch has no build output: it pins the tip's sha

    def _deploy_steps(self, run: _Run) -> Proc:
        d, s = run.durations, self.strategy
        yield self._begin(run, "prepare", d.prepare)
        self._end(run)
        if s.sleep > 0:
            yield self._begin(run, "sleep", s.sleep)
            self._end(run)
        source = self.deploy_registry if s.direct else self.build_registry
        key = self._reference(run)
        if s.wait is not None:
            found = yield from self._wait(run, source, key)
            if not found:
                return False
        target = source
        if s.mirror:
            pulled = yield from self._read(run, source, key, "pull")
            if pulled is None:
                return False
            start = self.env.now
            yield self._begin(run, "mirror", d.mirror)
            self._end(run)
            target = self.deploy_registry
            self._write(run, target, ("latest", f"sha-{run.commit}", pulled.digest), pulled, start)
        if s.guard != "none":
            passed = yield from self._guard(run)
            if not passed:
                return True
        image = yield from self._read(run, target, key, "resolve" if s.mirror else "pull")
        if image is None:
            return False
        start = self.env.now
        yield self._begin(run, "rollout", d.rollout, image.commit)
        self._end(run, image=image.commit)
        self.service.write(self.env.now, image, Tie(start, image.commit, run.id))
        yield self._begin(run, "verify", d.deploy_verify)
        self._end(run)
        return True

    def _wait(self, run: _Run, registry: Registry, key: str) -> Proc:
        assert self.strategy.wait is not None
        interval, deadline = self.strategy.wait.interval, self.env.now + self.strategy.wait.timeout
        run.step = "wait"
        self._emit("step_start", run, step="wait")
        while True:
            yield from self._settle()
            image = registry.read(key, self.env.now)
            found = image is not None and image.commit == run.commit
            self._emit(
                "read" if image is not None else "read_failed",
                run,
                registry=registry.name,
                ref=key,
                image=-1 if image is None else image.commit,
                detail="poll",
            )
            if found or self.env.now + interval > deadline:
                break
            yield self.env.timeout(interval)
        run.step = ""
        self._emit("step_end", run, step="wait", detail="" if found else "failure")
        return found

    def _guard(self, run: _Run) -> Proc:
        yield from self._settle()
        if self.strategy.guard == "newer_than_live":
            live = self.service.read(self.env.now)
            against = BASELINE_IMAGE.commit if live is None else live.commit
            passed = run.commit > against
        else:
            against = self.history.tip(self.env.now)
            passed = run.commit == against
        self._emit(
            "guard",
            run,
            step=self.strategy.guard,
            image=against,
            detail="pass" if passed else "block",
        )
        return passed


_BUILD_JOB = _Job("build", attrgetter("build_pickup"), _Simulation._build_steps)
_DEPLOY_JOB = _Job("deploy", attrgetter("deploy_pickup"), _Simulation._deploy_steps)
#: the deploy job of a merged workflow (``needs: build``)
_NEEDS_DEPLOY_JOB = replace(_DEPLOY_JOB, skip=_needs_build)


def simulate(
    strategy: Strategy | str,
    history: History,
    *,
    build_registry: str = "ghcr",
    deploy_registry: str = "artifact-registry",
) -> Trace:
    """Simulate `history` under `strategy` and return the trace.

    Args:
        strategy: a :class:`Strategy` or a preset name (``"parallel"``, ``"sleep:60"``, ...).
        history: pushes, re-runs and manual dispatches, each with its durations.
        build_registry: name the trace gives the registry the build pushes to.
        deploy_registry: name the trace gives the registry the deploy mirrors to.

    The simulation is deterministic: the same arguments give the same trace.
    """
    simulation = _Simulation(parse_strategy(strategy), history, build_registry, deploy_registry)
    # A long history allocates many objects that live until the trace is made; the cyclic
    # garbage collector would rescan them all again and again (time growing with the square of
    # the push count). Nothing cyclic is freed during a run, so pause it; it resumes after.
    paused = gc.isenabled()
    gc.disable()
    try:
        return simulation.run()
    finally:
        if paused:
            gc.enable()
