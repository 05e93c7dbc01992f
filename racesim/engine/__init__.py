"""The SimPy reference engine: :func:`simulate` runs one history under one strategy.

:mod:`~racesim.engine.simulation` wires the model together; the model's parts are processes and
state, one module each: :mod:`~racesim.engine.triggers` (pushes, re-runs and dispatches start
runs), :mod:`~racesim.engine.runs` (a run's jobs, runner pickup and cancellation),
:mod:`~racesim.engine.jobs` (what the build and deploy steps do),
:mod:`~racesim.engine.concurrency` (concurrency groups), :mod:`~racesim.engine.registry` (tags and
their visibility) and :mod:`~racesim.engine.service` (the deployed service).
"""

from racesim.engine.simulation import simulate

__all__ = ["simulate"]
