"""The steps of the build job and the deploy job, with their registry reads, writes and guards.

Registry writes are accepted when the writing step ends and become visible to other jobs after
that registry's lag (the writing job sees them at once); reads and guard checks wait for the
settle phase of their instant (see :mod:`racesim.engine.concurrency`), so they see every write
visible at that instant. A rollout request that the target has accepted goes on when the job is
cancelled, unless the strategy says the target stops with its client.
"""

from __future__ import annotations

from dataclasses import replace
from operator import attrgetter

import simpy

from racesim.core.history import History
from racesim.core.strategy import Strategy
from racesim.core.trace import CONTINUED, FINISHED_BY_TARGET
from racesim.engine.concurrency import SettlePhase
from racesim.engine.registry import Image, Registry, Tie, digest_key
from racesim.engine.runs import JobSpec, Proc, Recorder, RunState
from racesim.engine.service import Service

__all__ = ["BUILD_JOB", "DEPLOY_JOB", "NEEDS_DEPLOY_JOB", "Jobs", "gated_deploy_job"]


class Jobs:
    """What the jobs of one simulation do: the world they act on, and their steps."""

    def __init__(
        self,
        env: simpy.Environment,
        phase: SettlePhase,
        strategy: Strategy,
        history: History,
        recorder: Recorder,
        build_registry: Registry,
        deploy_registry: Registry,
        service: Service,
    ) -> None:
        self.env = env
        self.phase = phase
        self.strategy = strategy
        self.history = history
        self.recorder = recorder
        self.build_registry = build_registry
        self.deploy_registry = deploy_registry
        self.service = service

    # -- registry access ----------------------------------------------------------------------

    def _lag(self, run: RunState, registry: Registry) -> float:
        d = run.durations
        return d.registry_lag if registry is self.build_registry else d.deploy_registry_lag

    def _write(
        self, run: RunState, registry: Registry, keys: tuple[str, ...], image: Image, start: float
    ) -> None:
        now = self.env.now
        visible = now + self._lag(run, registry)
        registry.write_many(keys, now, visible, image, Tie(start, image.commit, run.id), run.job)

    def _read(self, run: RunState, registry: Registry, key: str, purpose: str) -> Image | None:
        """Resolve `key` now and record it; the caller has waited for the settle phase.

        A failed read is recorded with its purpose too: a pull that finds no manifest still has
        a pull time (and a negative pull margin once the image shows up). A plain call rather
        than a generator: a trial resolves twice, and the wait is rarely needed (see
        :meth:`~racesim.engine.concurrency.SettlePhase.must_wait`).
        """
        image = registry.read(key, self.env.now, (run.id, run.job))
        # positional: emit(kind, run, step, registry, ref, image, detail)
        if image is None:
            self.recorder.emit("read_failed", run, "", registry.name, key, -1, purpose)
        else:
            self.recorder.emit("read", run, "", registry.name, key, image.commit, purpose)
        return image

    # -- the build job ------------------------------------------------------------------------

    def build_steps(self, run: RunState) -> Proc:
        """Build, push (``latest``, ``sha-<commit>`` and the digest), reconcile, verify."""
        d, s, rec = run.durations, self.strategy, self.recorder
        move_latest = True
        if s.publish_guard and s.publish_guard_at == "build_start":
            move_latest = yield from self._publish_guard(run)
        yield rec.begin(run, "build", d.build)
        rec.end(run, failed=d.build_fails)
        if d.build_fails:
            return False
        if s.publish_guard and s.publish_guard_at == "before_push":
            move_latest = yield from self._publish_guard(run)
        image = Image(run.commit, run.id)
        pinned = (f"sha-{run.commit}", image.digest)
        keys = ("latest", *pinned) if move_latest else pinned
        start = self.env.now
        yield rec.begin(run, "push", d.push)
        rec.end(run)
        self._write(run, self.build_registry, keys, image, start)
        if s.direct:
            start = self.env.now
            yield rec.begin(run, "push_direct", d.mirror)
            rec.end(run)
            self._write(run, self.deploy_registry, keys, image, start)
        if s.reconcile_latest:
            yield from self._reconcile(run)
        yield rec.begin(run, "verify", d.build_verify)
        rec.end(run)
        return True

    def _publish_guard(self, run: RunState) -> Proc:
        """Check the registry's ``latest``: move it only if it holds nothing newer."""
        yield from self.phase.wait()
        current = self.build_registry.read("latest", self.env.now, (run.id, run.job))
        newer = current is not None and current.commit > run.commit
        self.recorder.emit(
            "guard",
            run,
            step="publish_guard",
            registry=self.build_registry.name,
            ref="latest",
            image=-1 if current is None else current.commit,
            detail="block" if newer else "pass",
        )
        return not newer

    def _reconcile(self, run: RunState) -> Proc:
        """Re-point ``latest`` to the newest built commit, never backwards (check, then write).

        Every registry the build pushed to is checked at the step's start; the moves are
        written when the step ends (it takes the ``push`` duration).
        """
        yield from self.phase.wait()
        registries = [self.build_registry]
        if self.strategy.direct:
            registries.append(self.deploy_registry)
        moves: list[tuple[Registry, Image]] = []
        reader = (run.id, run.job)
        for registry in registries:
            newest = registry.newest_pinned(self.env.now, reader)
            current = registry.read("latest", self.env.now, reader)
            move = newest is not None and (current is None or newest.commit > current.commit)
            self.recorder.emit(
                "guard",
                run,
                step="reconcile_latest",
                registry=registry.name,
                ref="latest",
                image=-1 if current is None else current.commit,
                detail="move" if move else "keep",
            )
            if move:
                assert newest is not None
                moves.append((registry, newest))
        if not moves:
            return
        start = self.env.now
        yield self.recorder.begin(run, "reconcile", run.durations.push)
        self.recorder.end(run)
        for registry, image in moves:
            self._write(run, registry, ("latest",), image, start)

    # -- the deploy job -----------------------------------------------------------------------

    def _reference(self, run: RunState) -> str:
        ref = self.strategy.reference
        if ref == "latest":
            return "latest"
        if ref == "digest" and run.build_run is not None:
            return digest_key(run.build_run)
        return f"sha-{run.commit}"  # a manual dispatch has no build output: it pins the tip's sha

    def deploy_steps(self, run: RunState) -> Proc:
        """Prepare, sleep, wait, mirror, guard, pull, roll out, verify (as the strategy says)."""
        d, s, rec = run.durations, self.strategy, self.recorder
        yield rec.begin(run, "prepare", d.prepare)
        rec.end(run)
        if s.sleep > 0:
            yield rec.begin(run, "sleep", s.sleep)
            rec.end(run)
        source = self.deploy_registry if s.direct else self.build_registry
        key = self._reference(run)
        if s.wait is not None:
            found = yield from self._wait(run, source, key)
            if not found:
                return False
        target = source
        if s.mirror:
            if self.phase.must_wait():
                yield self.phase.round()
            pulled = self._read(run, source, key, "pull")
            if pulled is None:
                return False
            start = self.env.now
            yield rec.begin(run, "mirror", d.mirror)
            rec.end(run)
            target = self.deploy_registry
            self._write(run, target, ("latest", f"sha-{run.commit}", pulled.digest), pulled, start)
        if s.guard != "none":
            passed = yield from self._guard(run)
            if not passed:
                return True
        if self.phase.must_wait():
            yield self.phase.round()
        image = self._read(run, target, key, "resolve" if s.mirror else "pull")
        if image is None:
            return False
        start = self.env.now
        tie = Tie(start, image.commit, run.id)
        survives = s.rollout_survives_cancel
        requested = start if s.live_order == "request" else None
        if survives:  # the target has the request: it goes live at the end whatever the job does
            self.service.go_live(start + d.rollout, image, tie, requested)
        try:
            yield rec.begin(run, "rollout", d.rollout, image.commit)
        except simpy.Interrupt:
            if survives:
                run.aborted = CONTINUED
                self.env.process(self._rollout_continues(run, start + d.rollout, image))
            raise
        rec.end(run, image=image.commit)
        if not survives:
            self.service.go_live(self.env.now, image, tie, requested)
        yield rec.begin(run, "verify", d.deploy_verify)
        rec.end(run)
        return True

    def _rollout_continues(self, run: RunState, end: float, image: Image) -> Proc:
        """The rollout of a cancelled deploy job, carried on by the target until `end`."""
        yield self.env.timeout(end - self.env.now)
        self.recorder.emit(
            "step_end",
            run,
            step="rollout",
            image=image.commit,
            detail=FINISHED_BY_TARGET,
            job="deploy",
        )

    def _wait(self, run: RunState, registry: Registry, key: str) -> Proc:
        assert self.strategy.wait is not None
        interval, deadline = self.strategy.wait.interval, self.env.now + self.strategy.wait.timeout
        run.step = "wait"
        self.recorder.emit("step_start", run, step="wait")
        while True:
            yield from self.phase.wait()
            image = registry.read(key, self.env.now, (run.id, run.job))
            found = image is not None and image.commit == run.commit
            self.recorder.emit(
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
        self.recorder.emit("step_end", run, step="wait", detail="" if found else "failure")
        return found

    def _guard(self, run: RunState) -> Proc:
        yield from self.phase.wait()
        if self.strategy.guard == "newer_than_live":
            against = self.service.live_commit(self.env.now)
            passed = run.commit > against
        else:
            against = self.history.tip(self.env.now)
            passed = run.commit == against
        self.recorder.emit(
            "guard",
            run,
            step=self.strategy.guard,
            image=against,
            detail="pass" if passed else "block",
        )
        return passed


def _needs_build(conclusion: str) -> str | None:
    return None if conclusion == "success" else "needs: build did not succeed"


BUILD_JOB = JobSpec("build", attrgetter("build_pickup"), Jobs.build_steps)
DEPLOY_JOB = JobSpec("deploy", attrgetter("deploy_pickup"), Jobs.deploy_steps)
#: the deploy job of a merged workflow (``needs: build``)
NEEDS_DEPLOY_JOB = replace(DEPLOY_JOB, skip=_needs_build)


def gated_deploy_job(reason: str) -> JobSpec:
    """The deploy job of a ``workflow_run`` run that the success gate skips, with why."""
    return replace(DEPLOY_JOB, skip=lambda _conclusion: reason)
