"""A minimal hand-written SimPy model of the f8af4c1 pipeline: the engine benchmark's baseline.

It models exactly the steps racesim's ``parallel`` strategy runs for one push (pickups, build,
push, prepare, pull, mirror, rollout, verifies) with a plain last-writer register, and returns
whether the deploy was stale. No trace, no concurrency groups, no tie rule: the least work one
could do with SimPy to answer the same question.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy

from racesim.model import Durations


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
