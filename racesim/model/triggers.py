"""What starts runs: pushes, re-runs, manual dispatches, and ``workflow_run`` after a build.

``push`` starts a build run (and, under the ``push`` trigger, a deploy run) per pushed commit;
``needs`` starts one merged run. A re-run starts another build of an old commit. A dispatch
starts a deploy of what ``main`` holds. Under ``workflow_run`` every completed build run starts a
deploy run after the dispatch delay, skipped by the success gate if the build did not succeed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import simpy

from racesim.model.history import History
from racesim.model.jobs import BUILD_JOB, DEPLOY_JOB, NEEDS_DEPLOY_JOB, gated_deploy_job
from racesim.model.runs import Proc, Recorder, Run, Runs
from racesim.strategies import Strategy

__all__ = ["Triggers"]


def _fire(handler: Callable[[int], None], index: int, _event: simpy.Event) -> None:
    handler(index)


class Triggers:
    """Turns a history's pushes, re-runs and dispatches into runs, at their times."""

    def __init__(
        self,
        env: simpy.Environment,
        strategy: Strategy,
        history: History,
        recorder: Recorder,
        runs: Runs,
    ) -> None:
        self.env = env
        self.strategy = strategy
        self.history = history
        self.recorder = recorder
        self.runs = runs
        if strategy.trigger == "workflow_run":
            runs.completed = self._completed

    def schedule(self) -> None:
        """Start the runs of every push, re-run and dispatch at its time (in that order)."""
        h = self.history
        triggers: list[tuple[float, int, int]] = [(p.time, 0, k) for k, p in enumerate(h.pushes, 1)]
        triggers += [(r.time, 1, i) for i, r in enumerate(h.reruns)]
        triggers += [(d.time, 2, i) for i, d in enumerate(h.dispatches)]
        handlers = (self._on_push, self._on_rerun, self._on_dispatch)
        env = self.env
        for time, kind, index in sorted(triggers):
            if time <= env.now:
                handlers[kind](index)
            else:
                env.timeout(time - env.now).callbacks.append(partial(_fire, handlers[kind], index))

    def _on_push(self, commit: int) -> None:
        durations = self.history.pushes[commit - 1].durations
        self.recorder.mark("push", commit)
        runs, trigger = self.runs, self.strategy.trigger
        if trigger == "needs":
            self._start_merged(runs.new("merged", commit, durations, "push"))
            return
        runs.start(runs.new("build", commit, durations, "push"), runs.build_group, [BUILD_JOB])
        if trigger == "push":
            runs.start(runs.new("deploy", commit, durations, "push"), None, [DEPLOY_JOB])

    def _on_rerun(self, index: int) -> None:
        rerun = self.history.reruns[index]
        runs = self.runs
        previous = [r for r in runs.runs if r.commit == rerun.commit and r.workflow != "deploy"]
        workflow = "merged" if self.strategy.trigger == "needs" else "build"
        run = runs.new(workflow, rerun.commit, rerun.durations, "rerun")
        run.attempt = len(previous) + 1
        self.recorder.mark("rerun", rerun.commit)
        if workflow == "merged":
            self._start_merged(run)
        else:
            runs.start(run, runs.build_group, [BUILD_JOB])

    def _on_dispatch(self, index: int) -> None:
        durations = self.history.dispatches[index].durations
        tip = self.history.tip(self.env.now)
        self.recorder.mark("dispatch", tip)
        runs = self.runs
        if self.strategy.trigger == "needs":
            self._start_merged(runs.new("merged", tip, durations, "dispatch"))
        else:
            runs.start(runs.new("deploy", tip, durations, "dispatch"), None, [DEPLOY_JOB])

    def _start_merged(self, run: Run) -> None:
        run.build_run = run.id
        self.runs.start(run, self.runs.build_group, [BUILD_JOB, NEEDS_DEPLOY_JOB])

    def _completed(self, run: Run, conclusion: str) -> None:
        if run.workflow == "build":
            self.env.process(self._after_build(run, conclusion))

    def _after_build(self, build: Run, conclusion: str) -> Proc:
        """``workflow_run``: one deploy run per completed build run, after the dispatch delay."""
        yield self.env.timeout(build.durations.dispatch)
        run = self.runs.new("deploy", build.commit, build.durations, "workflow_run")
        run.build_run = build.id
        job = DEPLOY_JOB
        if self.strategy.gate and conclusion != "success":
            job = gated_deploy_job(f"gate: build run {build.id} concluded {conclusion}")
        self.runs.start(run, None, [job])
