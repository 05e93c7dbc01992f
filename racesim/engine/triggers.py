"""What starts runs: pushes, re-runs, manual dispatches, and ``workflow_run`` after a build.

``push`` starts a build run (and, under the ``push`` trigger, a deploy run) per pushed commit;
``needs`` starts one merged run. A re-run starts another build of an old commit. A dispatch
starts a deploy of what ``main`` holds. Under ``workflow_run`` every completed build run starts a
deploy run after the dispatch delay, skipped by the success gate if the build did not succeed.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from functools import partial

import simpy

from racesim.core.history import History
from racesim.core.strategy import Strategy
from racesim.engine.jobs import BUILD_JOB, DEPLOY_JOB, NEEDS_DEPLOY_JOB, gated_deploy_job
from racesim.engine.runs import Proc, Recorder, Runs, RunState

__all__ = ["Triggers"]


def _fire(handler: Callable[[int], None], index: int, _event: simpy.Event) -> None:
    handler(index)


class Triggers:
    """Turns a history's pushes, re-runs and dispatches into runs, at their times.

    `creation_order` (a seed) shuffles the order in which the runs of one instant are created:
    the pushes, re-runs and dispatches at the same time, and the build and deploy runs of one
    push. No outcome may depend on it; tests use it to check that promise.
    """

    def __init__(
        self,
        env: simpy.Environment,
        strategy: Strategy,
        history: History,
        recorder: Recorder,
        runs: Runs,
        creation_order: int | None = None,
    ) -> None:
        self.env = env
        self.strategy = strategy
        self.history = history
        self.recorder = recorder
        self.runs = runs
        self.shuffle = None if creation_order is None else random.Random(creation_order)
        if strategy.trigger == "workflow_run":
            runs.completed = self._completed

    def schedule(self) -> None:
        """Start the runs of every push, re-run and dispatch at its time (in that order)."""
        h = self.history
        triggers: list[tuple[float, int, int]] = [(p.time, 0, k) for k, p in enumerate(h.pushes, 1)]
        triggers += [(r.time, 1, i) for i, r in enumerate(h.reruns)]
        triggers += [(d.time, 2, i) for i, d in enumerate(h.dispatches)]
        if self.shuffle is None:
            triggers.sort()
        else:
            keys = {t: self.shuffle.random() for t in triggers}
            triggers.sort(key=lambda t: (t[0], keys[t]))
        handlers = (self._on_push, self._on_rerun, self._on_dispatch)
        env = self.env
        for time, kind, index in triggers:
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
        workflows = ["build", "deploy"] if trigger == "push" else ["build"]
        if self.shuffle is not None:
            self.shuffle.shuffle(workflows)
        for workflow in workflows:
            run = runs.new(workflow, commit, durations, "push")
            if workflow == "build":
                runs.start(run, runs.build_group, [BUILD_JOB])
            else:
                runs.start(run, None, [DEPLOY_JOB])

    def _on_rerun(self, index: int) -> None:
        reruns = self.history.reruns
        rerun = reruns[index]
        runs = self.runs
        workflow = "merged" if self.strategy.trigger == "needs" else "build"
        run = runs.new(workflow, rerun.commit, rerun.durations, "rerun")
        # attempt 1 is the push's build; re-runs of one commit count up in time order (decided
        # by the history, not by which run happened to be created first)
        earlier = [
            i
            for i, r in enumerate(reruns)
            if r.commit == rerun.commit and (r.time, i) < (rerun.time, index)
        ]
        run.attempt = len(earlier) + 2
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

    def _start_merged(self, run: RunState) -> None:
        run.build_run = run.id
        self.runs.start(run, self.runs.build_group, [BUILD_JOB, NEEDS_DEPLOY_JOB])

    def _completed(self, run: RunState, conclusion: str) -> None:
        if run.workflow == "build":
            self.env.process(self._after_build(run, conclusion))

    def _after_build(self, build: RunState, conclusion: str) -> Proc:
        """``workflow_run``: one deploy run per completed build run, after the dispatch delay."""
        yield self.env.timeout(build.durations.dispatch)
        run = self.runs.new("deploy", build.commit, build.durations, "workflow_run")
        run.build_run = build.id
        job = DEPLOY_JOB
        if self.strategy.gate and conclusion != "success":
            job = gated_deploy_job(f"gate: build run {build.id} concluded {conclusion}")
        self.runs.start(run, None, [job])
