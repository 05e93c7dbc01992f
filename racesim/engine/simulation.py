"""The reference engine: a SimPy discrete-event simulation of one history under one strategy.

The engine only assembles the model's rooms and runs them: the triggers
(:mod:`racesim.engine.triggers`) start runs, the runs (:mod:`racesim.engine.runs`) wait in their
concurrency groups (:mod:`racesim.engine.concurrency`) and for runners, and execute the jobs'
steps (:mod:`racesim.engine.jobs`), which read and write the registries
(:mod:`racesim.engine.registry`) and roll the service out (:mod:`racesim.engine.service`). Reads,
guard checks and group admissions happen in the settle phase of their instant, which makes
every tie explicit instead of an accident of the event queue. The result is a
:class:`~racesim.core.trace.Trace`.
"""

from __future__ import annotations

import gc
from operator import itemgetter
from typing import Any

import simpy

from racesim.core.history import History
from racesim.core.strategy import Strategy, parse_strategy
from racesim.core.trace import LAGGED, Trace
from racesim.engine.concurrency import SettlePhase
from racesim.engine.jobs import Jobs
from racesim.engine.registry import Registry
from racesim.engine.runs import Recorder, Runs, RunState
from racesim.engine.service import Service
from racesim.engine.triggers import Triggers

__all__ = ["simulate"]


class _Simulation:
    """One strategy, one history: the rooms of the model wired together."""

    def __init__(
        self,
        strategy: Strategy,
        history: History,
        build_registry: str,
        deploy_registry: str,
        creation_order: int | None = None,
    ) -> None:
        self.strategy = strategy
        self.history = history
        # the clock starts at 0, or at the first push or dispatch if that is earlier (pushes are
        # in time order, so the first one is the earliest)
        start = 0.0
        if history.pushes:
            start = min(start, history.pushes[0].time)
        for dispatch in history.dispatches:
            start = min(start, dispatch.time)
        self.env = simpy.Environment(initial_time=start)
        self.recorder = Recorder(self.env)
        phase = SettlePhase(self.env)
        self.build_registry = Registry(build_registry)
        self.deploy_registry = Registry(deploy_registry)
        self.service = Service()
        self.runs = Runs(
            self.env, phase, self.recorder, strategy.build_concurrency, strategy.deploy_concurrency
        )
        self.runs.jobs = Jobs(
            self.env,
            phase,
            strategy,
            history,
            self.recorder,
            self.build_registry,
            self.deploy_registry,
            self.service,
        )
        self.triggers = Triggers(
            self.env, strategy, history, self.recorder, self.runs, creation_order
        )

    def run(self) -> Trace:
        self.triggers.schedule()
        self.env.run()
        self.runs.release()
        # state changes first, so that within an instant they precede what may observe them
        rows = _state_events(self.runs.runs, (self.build_registry, self.deploy_registry))
        rows += _service_events(self.runs.runs, self.service)
        rows += self.recorder.events
        rows.sort(key=itemgetter(0))
        return Trace(
            self.strategy,
            self.history,
            tuple(rows),
            self.build_registry.name,
            self.deploy_registry.name,
        )


def _state_events(runs: list[RunState], registries: tuple[Registry, ...]) -> list[tuple[Any, ...]]:
    """Registry writes as trace rows: ``write`` when accepted, ``visible`` when others see it.

    Each registry key's ``write`` rows come in write order (a register keeps its writes in that
    order, see :class:`~racesim.engine.registry.Register`), so the last one is the key's value.
    A write others see at once is one ``write`` row; a lagged one is a ``write`` row with step
    ``lagged`` and a ``visible`` row when the lag is over (most writes have no lag, and a trial
    pays for every row).
    """
    out: list[tuple[Any, ...]] = []
    append = out.append
    for registry in registries:
        name = registry.name
        for key, register in registry.tags.items():
            for accepted_at, tie, image, visible_at, _job in register.writes:
                run = runs[tie.run - 1]  # run ids are 1-based positions in the list
                lagged = visible_at > accepted_at
                row = (
                    run.id,
                    run.workflow,
                    "",
                    run.commit,
                    LAGGED if lagged else "",
                    name,
                    key,
                    image.commit,
                    f"build run {image.build_run}",
                )
                append((accepted_at, "write", *row))
                if lagged:
                    append((visible_at, "visible", *row))
    return out


def _service_events(runs: list[RunState], service: Service) -> list[tuple[Any, ...]]:
    """Each change of the served image as a ``live`` trace row."""
    out: list[tuple[Any, ...]] = []
    for time, image, writer in service.changes():
        run = runs[writer - 1]
        out.append(
            (time, "live", run.id, run.workflow, "deploy", run.commit, "", "", "", image.commit, "")
        )
    return out


def simulate(
    strategy: Strategy | str,
    history: History,
    *,
    build_registry: str = "ghcr",
    deploy_registry: str = "artifact-registry",
    creation_order: int | None = None,
) -> Trace:
    """Simulate `history` under `strategy` and return the trace.

    Args:
        strategy: a :class:`Strategy` or a preset name (``"parallel"``, ``"sleep:60"``, ...).
        history: pushes, re-runs and manual dispatches, each with its durations.
        build_registry: name the trace gives the registry the build pushes to.
        deploy_registry: name the trace gives the registry the deploy mirrors to.
        creation_order: a seed that shuffles the order in which runs starting at the same
            instant are created (and so their run ids and SimPy's queue order). No outcome
            depends on it; it is there to test that promise (see "Simultaneous events" in the
            docs). ``None`` creates them in commit order.

    The simulation is deterministic: the same arguments give the same trace.
    """
    simulation = _Simulation(
        parse_strategy(strategy), history, build_registry, deploy_registry, creation_order
    )
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
