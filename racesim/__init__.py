"""racesim: simulate, replay and property-test the CI race between an image build and its deploy.

The public API is what this module exports, plus the documented subpackages: ``racesim.scenarios``,
``racesim.incidents``, ``racesim.montecarlo``, ``racesim.summary``, ``racesim.matrix``,
``racesim.plot``, ``racesim.testing`` (the property-testing kit), ``racesim.proof`` (proofs with
an SMT solver), ``racesim.classroom`` and ``racesim.audit`` (read GitHub Actions workflows;
``racesim.audit.emit`` writes them).
Everything else (the engine's internals, ``racesim.cli``) may change without notice.

The names are imported on first use (PEP 562), so ``import racesim`` and the ``racesim`` command's
``--help`` do not pay for SimPy, pandas and matplotlib until something needs them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from racesim.engine import simulate
    from racesim.errors import InputError, RacesimError
    from racesim.exact_single import exact, exact_sweep
    from racesim.incidents import Incident, Replay, builtin_incidents, load_incident, replay
    from racesim.matrix import safety_matrix
    from racesim.model import Dispatch, Durations, History, Push, Rerun
    from racesim.montecarlo import run_trials, sweep, trial_history
    from racesim.outcome import DeployOutcome, Outcome
    from racesim.plot import animate_timeline, plot_timeline
    from racesim.proof import ProveResult
    from racesim.scenarios import Scenario, builtin_scenarios, load_scenario
    from racesim.strategies import (
        PRESETS,
        Concurrency,
        Strategy,
        Wait,
        parse_strategy,
        preset_names,
    )
    from racesim.summary import summarize, wilson_interval
    from racesim.trace import Event, Trace

__version__ = "0.1.0"

#: public name -> the module it lives in
_EXPORTS: dict[str, str] = {
    "simulate": "racesim.engine",
    "InputError": "racesim.errors",
    "RacesimError": "racesim.errors",
    "exact": "racesim.exact_single",
    "exact_sweep": "racesim.exact_single",
    "Incident": "racesim.incidents",
    "Replay": "racesim.incidents",
    "builtin_incidents": "racesim.incidents",
    "load_incident": "racesim.incidents",
    "replay": "racesim.incidents",
    "safety_matrix": "racesim.matrix",
    "Dispatch": "racesim.model",
    "Durations": "racesim.model",
    "History": "racesim.model",
    "Push": "racesim.model",
    "Rerun": "racesim.model",
    "run_trials": "racesim.montecarlo",
    "sweep": "racesim.montecarlo",
    "trial_history": "racesim.montecarlo",
    "DeployOutcome": "racesim.outcome",
    "Outcome": "racesim.outcome",
    "animate_timeline": "racesim.plot",
    "plot_timeline": "racesim.plot",
    "Scenario": "racesim.scenarios",
    "builtin_scenarios": "racesim.scenarios",
    "load_scenario": "racesim.scenarios",
    "PRESETS": "racesim.strategies",
    "Concurrency": "racesim.strategies",
    "Strategy": "racesim.strategies",
    "Wait": "racesim.strategies",
    "parse_strategy": "racesim.strategies",
    "preset_names": "racesim.strategies",
    "summarize": "racesim.summary",
    "wilson_interval": "racesim.summary",
    "Event": "racesim.trace",
    "Trace": "racesim.trace",
}


def prove(strategy: str | Strategy, prop: str = "never_stale", **kwargs: Any) -> ProveResult:
    """Prove `prop` for every history within bounds, or return the counterexample.

    See :func:`racesim.proof.prove` for the arguments; the solver (z3) is imported on first use.
    """
    from racesim.proof import prove as decide

    return decide(strategy, prop, **kwargs)


def __getattr__(name: str) -> Any:
    """Import a public name from its module the first time it is asked for."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'racesim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


__all__ = [
    "PRESETS",
    "Concurrency",
    "DeployOutcome",
    "Dispatch",
    "Durations",
    "Event",
    "History",
    "Incident",
    "InputError",
    "Outcome",
    "Push",
    "RacesimError",
    "Replay",
    "Rerun",
    "Scenario",
    "Strategy",
    "Trace",
    "Wait",
    "__version__",
    "animate_timeline",
    "builtin_incidents",
    "builtin_scenarios",
    "exact",
    "exact_sweep",
    "load_incident",
    "load_scenario",
    "parse_strategy",
    "plot_timeline",
    "preset_names",
    "prove",
    "replay",
    "run_trials",
    "safety_matrix",
    "simulate",
    "summarize",
    "sweep",
    "trial_history",
    "wilson_interval",
]
