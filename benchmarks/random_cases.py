"""Random (strategy, history) pairs from a seeded generator, for checks over many histories.

Durations are small whole numbers (0-3 s by default, or 0/1 s with ``ties=True``) so that steps
of different runs often end at the same instant: the histories that stress the tie rules. Two
scripts use them: ``benchmarks.trace_digest`` (prove a refactor changed no trace) and
``benchmarks.instant_order`` (count outcomes that depend on the creation order of same-time
pushes).
"""

from __future__ import annotations

import random

from racesim.core.history import DURATION_FIELDS, Dispatch, Durations, History, Push, Rerun
from racesim.core.strategy import Concurrency, Strategy, Wait

__all__ = ["random_history", "random_strategy"]


def _concurrency(rng: random.Random) -> Concurrency | None:
    choice = rng.randrange(4)
    if choice == 0:
        return None
    if choice == 1:
        return Concurrency()
    if choice == 2:
        return Concurrency(cancel_in_progress=True)
    return Concurrency(queue="max")


def random_strategy(rng: random.Random) -> Strategy:
    """Any valid combination of knobs."""
    trigger = rng.choice(["push", "workflow_run", "needs", "none"])
    references = ["latest", "sha"] + (["digest"] if trigger in ("workflow_run", "needs") else [])
    direct = rng.random() < 0.2
    publish_guard = rng.random() < 0.3
    return Strategy(
        trigger=trigger,  # type: ignore[arg-type]
        gate=trigger == "workflow_run" and rng.random() < 0.5,
        reference=rng.choice(references),  # type: ignore[arg-type]
        sleep=float(rng.choice([0, 0, 1, 2])),
        wait=Wait(1.0, float(rng.randrange(0, 6))) if rng.random() < 0.2 else None,
        build_concurrency=_concurrency(rng),
        deploy_concurrency=_concurrency(rng),
        guard=rng.choice(["none", "newer_than_live", "tip_of_main"]),  # type: ignore[arg-type]
        publish_guard=publish_guard,
        publish_guard_at="before_push" if publish_guard and rng.random() < 0.5 else "build_start",
        reconcile_latest=rng.random() < 0.2,
        mirror=not direct and rng.random() < 0.7,
        direct=direct,
    )


def _durations(rng: random.Random, top: int) -> Durations:
    values = {name: float(rng.randint(0, top)) for name in DURATION_FIELDS}
    values["registry_lag"] = float(rng.choice([0, 0, 0, 1]))
    return Durations(**values, build_fails=rng.random() < 0.1)


def random_history(rng: random.Random, *, ties: bool = False, pushes: int = 4) -> History:
    """1 to `pushes` pushes at whole seconds (0 or 1 with `ties`), maybe a re-run or a dispatch."""
    top = 1 if ties else 3
    n = rng.randint(1, pushes)
    spread = 1 if ties else 2 * n
    times = sorted(float(rng.randint(0, spread)) for _ in range(n))
    history_pushes = tuple(Push(t, _durations(rng, top)) for t in times)
    reruns: tuple[Rerun, ...] = ()
    dispatches: tuple[Dispatch, ...] = ()
    if not ties and rng.random() < 0.2:
        k = rng.randint(1, n)
        reruns = (Rerun(times[k - 1] + rng.randint(0, 6), k, _durations(rng, top)),)
    if not ties and rng.random() < 0.2:
        dispatches = (Dispatch(float(rng.randint(0, 8)), _durations(rng, top)),)
    return History(history_pushes, reruns=reruns, dispatches=dispatches)
