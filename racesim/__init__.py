"""racesim: simulate, replay and property-test the CI race between an image build and its deploy.

The public API is what this module exports, plus the documented subpackages: ``racesim.scenarios``,
``racesim.incidents``, ``racesim.montecarlo``, ``racesim.summary``, ``racesim.matrix``,
``racesim.plot``, ``racesim.testing`` (the property-testing kit), ``racesim.proof`` (proofs with
an SMT solver), ``racesim.classroom`` and ``racesim.audit`` (read GitHub Actions workflows;
``racesim.audit.emit`` writes them).
Everything else (the engine's internals, ``racesim.cli``) may change without notice.
"""

from typing import TYPE_CHECKING, Any

from racesim.engine import simulate
from racesim.errors import InputError, RacesimError
from racesim.exact_single import exact, exact_sweep
from racesim.incidents import Incident, Replay, builtin_incidents, load_incident, replay
from racesim.matrix import safety_matrix
from racesim.model import Dispatch, Durations, History, Push, Rerun
from racesim.montecarlo import run_trials, sweep, trial_history
from racesim.outcome import DeployOutcome, Outcome
from racesim.plot import animate_timeline, plot_timeline
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

if TYPE_CHECKING:
    from racesim.proof import ProveResult

__version__ = "0.1.0"


def prove(strategy: str | Strategy, prop: str = "never_stale", **kwargs: Any) -> "ProveResult":
    """Prove `prop` for every history within bounds, or return the counterexample.

    See :func:`racesim.proof.prove` for the arguments; the solver (z3) is imported on first use.
    """
    from racesim.proof import prove as decide

    return decide(strategy, prop, **kwargs)


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
