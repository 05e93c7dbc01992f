"""A minimal hand-written SimPy model of the f8af4c1 pipeline: the engine benchmarks' baselines.

:func:`minimal_parallel` models exactly the steps racesim's ``parallel`` strategy runs for one
push (pickups, build, push, prepare, pull, mirror, rollout, verifies) with a plain last-writer
register, and returns whether the deploy was stale. No trace, no concurrency groups, no tie rule:
the least work one could do with SimPy to answer the same question.

:func:`minimal_study` is the end-to-end baseline: it also samples the scenario's durations (one
numpy draw per field for all trials, through each distribution's quantile function), runs
:func:`minimal_parallel` per trial and summarises the trials.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np
import simpy

from racesim.core.history import DURATION_FIELDS, Durations
from racesim.scenarios.format import Scenario
from racesim.studies.sampling import quantiles


def minimal_parallel(d: Durations) -> bool:
    """True if the deploy pulls before the build's image is visible."""
    env = simpy.Environment()
    state: dict[str, Any] = {"visible": None, "stale": None, "live": 0}

    def build() -> Generator[simpy.Event, Any, None]:
        yield env.timeout(d.build_pickup)
        yield env.timeout(d.build)
        if d.build_fails:
            return
        yield env.timeout(d.push)
        state["visible"] = env.now + d.registry_lag
        yield env.timeout(d.build_verify)

    def deploy() -> Generator[simpy.Event, Any, None]:
        yield env.timeout(d.deploy_pickup)
        yield env.timeout(d.prepare)
        visible = state["visible"]
        state["stale"] = visible is None or visible > env.now
        yield env.timeout(d.mirror)
        yield env.timeout(d.rollout)
        state["live"] = 0 if state["stale"] else 1
        yield env.timeout(d.deploy_verify)

    env.process(build())
    env.process(deploy())
    env.run()
    return bool(state["stale"])


def minimal_study(scenario: Scenario, trials: int, seed: int = 0) -> tuple[float, float]:
    """Sample `trials` one-push histories of `scenario`, simulate each, summarise them.

    Returns the stale fraction and the mean push-to-live time of the trials that went live on
    the pushed commit (NaN if none did). Only single-push scenarios without overrides, such as
    f8af4c1, are what this models.
    """
    rng = np.random.default_rng(seed)
    columns = [quantiles(scenario.timings[name], rng.random(trials)) for name in DURATION_FIELDS]
    fails = rng.random(trials) < scenario.build_failure
    stale = np.fromiter(
        (
            minimal_parallel(Durations(*values, build_fails=failed))
            for *values, failed in zip(*(c.tolist() for c in columns), fails.tolist(), strict=True)
        ),
        dtype=np.bool_,
        count=trials,
    )
    fields = dict(zip(DURATION_FIELDS, columns, strict=True))
    live_at = fields["deploy_pickup"] + fields["prepare"] + fields["mirror"] + fields["rollout"]
    fresh = live_at[~stale]
    return float(stale.mean()), float(fresh.mean()) if fresh.size else float("nan")
