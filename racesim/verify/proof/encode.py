"""The model's semantics as linear real arithmetic, generated from a Strategy value.

For a fixed number of pushes ``K``, every push time and every duration of every push is a real
variable within its bounds (and each build's failure a boolean, when bounds allow failures). Every
event time is then a term: a sum of durations along a run's chain of steps, starting where a
trigger or a concurrency group (:mod:`~racesim.verify.proof.groups`) lets the run start. Registry
reads and the live service are registers (:mod:`~racesim.verify.proof.registers`); a step's writes
happen when
the run was not cancelled before the step ended (a cancellation at the very instant the step ends
does not undo it, as in the engine's settle phase).

The encoding follows the engine (:mod:`racesim.engine`) run by run:

- a build run (``build_pickup``, ``build``, ``push``, optionally ``push_direct``, ``build_verify``)
  per push; with ``publish_guard`` it reads ``latest`` when the build step starts and skips moving
  it if it already holds a newer commit; a failed build ends after its build step and pushes
  nothing;
- a deploy job per push: on the push (``push``), after the build run completes plus the dispatch
  delay, gated on success or not (``workflow_run``), or after the build job in the same run
  (``needs``); it may wait in the deploy group, then ``deploy_pickup``, ``prepare``, the sleep,
  the polling loop (``wait``, unrolled poll by poll), the pull and mirror (``mirror``), the
  guard, the resolve, the rollout (the service serves the image from its end) and
  ``deploy_verify``.

Nothing here is written per preset: every knob maps to a piece of the construction, and
:mod:`racesim.verify.proof.coverage` refuses the knobs that do not.
"""

from __future__ import annotations

from dataclasses import dataclass

import z3

from racesim.core.history import DURATION_FIELDS
from racesim.core.strategy import Strategy
from racesim.verify.proof.bounds import Bounds
from racesim.verify.proof.coverage import MAX_PUSHES, check_coverage, polls
from racesim.verify.proof.groups import Member, encode_group, group_compared
from racesim.verify.proof.registers import NONE, Compared, SymbolicRegister, Write

__all__ = ["Deploy", "Encoding", "PushVars"]


@dataclass(frozen=True)
class PushVars:
    """The free variables of one push: its time, its durations, whether its build fails."""

    time: z3.ArithRef
    durations: dict[str, z3.ArithRef]
    fails: z3.BoolRef


@dataclass(frozen=True)
class Build:
    """One build run (or the build job of a merged run): what the properties need."""

    commit: int
    succeeded: z3.BoolRef  # the build job concluded success


@dataclass(frozen=True)
class Deploy:
    """One deploy job: whether it rolled out, what, and when its rollout ended."""

    commit: int
    rolled: z3.BoolRef
    image: z3.ArithRef
    live_at: z3.ArithRef


class _Registry:
    """A registry: one register per key, made on first use (``latest`` etc. hold commit 0)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.keys: dict[str, SymbolicRegister] = {}

    def __getitem__(self, key: str) -> SymbolicRegister:
        if key not in self.keys:
            initial = 0 if key in ("latest", "sha-0", "digest-0") else NONE
            self.keys[key] = SymbolicRegister(f"{self.name}_{key}", initial)
        return self.keys[key]


class Encoding:
    """Variables and constraints of every history of exactly `pushes` pushes within `bounds`.

    Attributes:
        pushes: the free variables per push (commit ``k`` is ``pushes[k - 1]``).
        builds / deploys: per push, what the properties need.
        service: the live revision; its deferred reads (see :meth:`live_at`) are constrained too.
        constraints: the world: bounds, and the semantics that fix every other term.
    """

    def __init__(self, strategy: Strategy, bounds: Bounds, pushes: int) -> None:
        check_coverage(strategy)
        if not 1 <= pushes <= MAX_PUSHES:
            raise ValueError(f"pushes must be 1..{MAX_PUSHES}, got {pushes}")
        self.strategy = strategy
        self.bounds = bounds
        self.count = pushes
        self.constraints: list[z3.BoolRef] = []
        #: the bounds, apart from the semantics, named as ``build>=1`` (one entry per push)
        self.bound_constraints: list[tuple[str, z3.BoolRef]] = []
        self._compared: list[Compared] = []
        self.build_registry = _Registry("build")
        self.deploy_registry = _Registry("deploy")
        self.service = SymbolicRegister("service", 0)
        self.pushes = [self._push(k) for k in range(1, pushes + 1)]
        self.builds: list[Build] = []
        self.deploys: list[Deploy] = []
        build_members: list[Member] = []
        deploy_members: list[Member] = []
        for k in range(1, pushes + 1):
            member, deploy_member = self._pipeline(k)
            build_members.append(member)
            if deploy_member is not None:
                deploy_members.append(deploy_member)
        s = strategy
        self.constraints += encode_group(s.build_concurrency, build_members, ordered=True)
        self.constraints += encode_group(
            s.deploy_concurrency, deploy_members, ordered=s.trigger == "push"
        )
        self._members = [*build_members, *deploy_members]
        self._compared += group_compared(s.build_concurrency, build_members)
        self._compared += group_compared(s.deploy_concurrency, deploy_members)

    # -- free variables ---------------------------------------------------------------------

    def _push(self, k: int) -> PushVars:
        b = self.bounds
        time = z3.Real(f"t{k}")
        durations = {name: z3.Real(f"{name}{k}") for name in DURATION_FIELDS}
        fails = z3.Bool(f"fails{k}")
        c = self.constraints
        bound = self.bound_constraints
        if k == 1:
            c.append(time == 0)
        else:
            gap = time - z3.Real(f"t{k - 1}")
            bound += [
                (f"gap>={b.gap[0]:g}", gap >= b.gap[0]),
                (f"gap<={b.gap[1]:g}", gap <= b.gap[1]),
            ]
        for name, var in durations.items():
            low, high = b.durations[name]
            bound += [(f"{name}>={low:g}", var >= low), (f"{name}<={high:g}", var <= high)]
        if not b.failures:
            c.append(z3.Not(fails))
        return PushVars(time, durations, fails)

    # -- one push's runs ---------------------------------------------------------------------

    def _pipeline(self, k: int) -> tuple[Member, Member | None]:
        """The build run and the deploy job of push `k`; returns their group members."""
        s, p = self.strategy, self.pushes[k - 1]
        d, fails = p.durations, p.fails
        run = Member(f"build{k}", k, z3.BoolVal(True), p.time)
        job_start = run.start + d["build_pickup"]
        build_end = job_start + d["build"]
        pushed = build_end + d["push"]
        moves_latest: z3.BoolRef = z3.BoolVal(True)
        if s.publish_guard:
            moves_latest = self.build_registry["latest"].read(job_start, f"build{k}") <= k
        keys = (f"sha-{k}", f"digest-{k}")
        for key in ("latest", *keys):
            when = z3.And(run.runs_until(pushed), z3.Not(fails))
            if key == "latest":
                when = z3.And(when, moves_latest)
            visible = pushed + d["registry_lag"]
            write = Write(when, pushed, build_end, z3.IntVal(k), f"build{k}", visible)
            self.build_registry[key].write(write)
        last = pushed
        if s.direct:
            last = pushed + d["mirror"]
            for key in ("latest", *keys):
                when = z3.And(run.runs_until(last), z3.Not(fails))
                if key == "latest":
                    when = z3.And(when, moves_latest)
                visible = last + d["deploy_registry_lag"]
                write = Write(when, last, pushed, z3.IntVal(k), f"build{k}", visible)
                self.deploy_registry[key].write(write)
        job_end = z3.If(fails, build_end, last + d["build_verify"])
        succeeded = z3.And(run.runs_until(job_end), z3.Not(fails))
        self.builds.append(Build(k, succeeded))
        run.end = job_end
        if s.trigger == "none":
            return run, None
        if s.trigger == "push":
            job = Member(f"deploy{k}", k, z3.BoolVal(True), p.time)
            owners = [job]
        elif s.trigger == "workflow_run":
            completed = z3.If(run.cancelled, run.cancel_at, job_end)
            arrives = z3.Or(
                z3.Not(z3.BoolVal(s.gate)), z3.And(z3.Not(run.cancelled), z3.Not(fails))
            )
            job = Member(f"deploy{k}", k, arrives, completed + d["dispatch"])
            owners = [job]
        else:  # needs: the deploy job of the same run, after its build job succeeded
            job = Member(f"deploy{k}", k, succeeded, job_end)
            owners = [job, run]  # a cancelled merged run cancels its deploy job too
        job.end = self._deploy_steps(k, job.start, owners)
        if s.trigger == "needs":
            run.end = z3.If(fails, job_end, job.end)
        return run, job

    def _deploy_steps(self, k: int, start: z3.ArithRef, owners: list[Member]) -> z3.ArithRef:
        """The deploy job's steps from its admission at `start`; returns its natural end.

        A step's effects count when no member of `owners` (the job, and the merged run it
        belongs to) was cancelled before the step ended.
        """
        s, p = self.strategy, self.pushes[k - 1]

        def alive(t: z3.ArithRef) -> z3.BoolRef:
            return z3.And([owner.runs_until(t) for owner in owners])

        d = p.durations
        source = self.deploy_registry if s.direct else self.build_registry
        key = {"latest": "latest", "sha": f"sha-{k}", "digest": f"digest-{k}"}[s.reference]
        ready = start + d["deploy_pickup"] + d["prepare"] + s.sleep
        me = f"deploy{k}"
        pull, found = self._wait(k, source[key], ready)
        target, check = source, pull
        pulled_ok: z3.BoolRef = found
        if s.mirror:
            pulled = source[key].read(pull, me)
            pulled_ok = z3.And(found, pulled != NONE)
            mirrored = pull + d["mirror"]
            when = z3.And(alive(mirrored), pulled_ok)
            visible = mirrored + d["deploy_registry_lag"]
            for tag in ("latest", f"sha-{k}"):
                self.deploy_registry[tag].write(Write(when, mirrored, pull, pulled, me, visible))
            for j in range(self.count + 1):
                self.deploy_registry[f"digest-{j}"].write(
                    Write(z3.And(when, pulled == j), mirrored, pull, pulled, me, visible)
                )
            target, check = self.deploy_registry, mirrored
        passed = self._guard(k, check)
        image = target[key].read(check, me)
        resolved = image != NONE
        rollout_end = check + d["rollout"]
        # a target that carries a sent request on needs the job alive only until it sends it
        sent = check if s.rollout_survives_cancel else rollout_end
        rolled = z3.And(alive(sent), pulled_ok, passed, resolved)
        # `request` order: placed by when the target accepted the rollout, seen at its end
        accepted = check if s.live_order == "request" else rollout_end
        self.service.write(Write(rolled, accepted, check, image, me, rollout_end))
        self.deploys.append(Deploy(k, rolled, image, rollout_end))
        return z3.If(
            z3.Not(pulled_ok),
            pull,
            z3.If(z3.Or(z3.Not(passed), z3.Not(resolved)), check, rollout_end + d["deploy_verify"]),
        )

    def _wait(
        self, k: int, register: SymbolicRegister, begin: z3.ArithRef
    ) -> tuple[z3.ArithRef, z3.BoolRef]:
        """The polling loop, unrolled: when it ends, and whether it saw commit `k`.

        Polls happen at ``begin + i * interval`` for ``i = 0 .. polls - 1``
        (:func:`~racesim.verify.proof.coverage.polls`); the loop ends at the first poll that reads
        `k`, or fails at the last one. Without ``wait`` it ends at once, successfully.
        """
        wait = self.strategy.wait
        if wait is None:
            return begin, z3.BoolVal(True)
        times = [begin + i * wait.interval for i in range(polls(wait))]
        seen = [register.read(t, f"deploy{k}") == k for t in times]
        end = times[-1]
        for t, ok in zip(reversed(times[:-1]), reversed(seen[:-1]), strict=True):
            end = z3.If(ok, t, end)
        return end, z3.Or(seen)

    def _guard(self, k: int, time: z3.ArithRef) -> z3.BoolRef:
        guard = self.strategy.guard
        if guard == "newer_than_live":
            return self.service.read(time) < k
        if guard == "tip_of_main":
            if k == self.count:
                return z3.BoolVal(True)
            nxt = self.pushes[k].time
            what = f"deploy{k} checks the tip of main as commit {k + 1} is pushed"
            self._compared.append(Compared(z3.BoolVal(True), nxt, time, what))
            return nxt > time  # the next push is not in main yet
        return z3.BoolVal(True)

    # -- for properties -------------------------------------------------------------------------

    def live_at(self, time: z3.ArithRef | None) -> z3.ArithRef:
        """The commit the service runs at `time` (``None``: when everything has finished)."""
        return self.service.read(time)

    def compared(self) -> list[Compared]:
        """Every pair of instants the semantics compares, to ask for a history without ties
        (call after the properties' reads, like :meth:`world`)."""
        registers = [
            register
            for registry in (self.build_registry, self.deploy_registry)
            for register in registry.keys.values()
        ]
        return [
            *self._compared,
            *(c for m in self._members for c in m.compared),
            *(c for r in [*registers, self.service] for c in r.compared()),
        ]

    def world(self) -> list[z3.BoolRef]:
        """Every constraint, the deferred reads included (call after the properties' reads)."""
        return [*self.semantics(), *(f for _, f in self.bound_constraints)]

    def semantics(self) -> list[z3.BoolRef]:
        """:meth:`world` without the duration and gap bounds (which :func:`binding_bounds`
        tracks one by one)."""
        reads = [
            c
            for registry in (self.build_registry, self.deploy_registry)
            for register in registry.keys.values()
            for c in register.constraints()
        ]
        return [*self.constraints, *reads, *self.service.constraints()]
