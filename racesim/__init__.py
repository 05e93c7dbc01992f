"""racesim: simulate, replay and property-test the CI race between an image build and its deploy.

The public API is what this module exports, plus the documented subpackages: ``racesim.scenarios``
(scenarios, schedules, timing distributions), ``racesim.incidents`` (incident files and replay),
``racesim.studies`` (Monte Carlo trials, sweeps, exact answers, summaries, the safety matrix),
``racesim.plot``, ``racesim.testing`` (the property-testing kit), ``racesim.proof`` (proofs with an
SMT solver), ``racesim.github`` (read GitHub Actions workflows, and ``emit`` them),
``racesim.audit`` (judge them), ``racesim.ingest`` (run history in) and ``racesim.classroom``.
Everything else (the engine's internals, ``racesim.cli``) may change without notice.

The package is in layers, lowest first: ``errors`` and ``limits``; ``_util``; ``core`` (values);
``engine`` and ``scenarios``; ``studies``, ``incidents`` and ``verify``; ``github``; ``audit`` and
``ingest``; ``plot``; ``classroom``; ``cli``. A module imports only from its own layer or lower
ones (import-linter checks it; see ``pyproject.toml``).

The names are imported on first use (PEP 562), so ``import racesim`` and the ``racesim`` command's
``--help`` do not pay for SimPy, pandas and matplotlib until something needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from racesim._util.lazy import lazy_exports

if TYPE_CHECKING:
    from racesim.core.history import Dispatch, Durations, History, Push, Rerun
    from racesim.core.outcome import DeployOutcome, Outcome
    from racesim.core.strategy import (
        PRESETS,
        Concurrency,
        Strategy,
        Wait,
        parse_strategy,
        preset_names,
    )
    from racesim.core.trace import Event, Trace
    from racesim.engine.simulation import simulate
    from racesim.errors import InputError, RacesimError
    from racesim.incidents.format import Incident, builtin_incidents, load_incident
    from racesim.incidents.replay import Replay, replay
    from racesim.plot.animate import animate_timeline
    from racesim.plot.timeline import plot_timeline
    from racesim.scenarios.format import Scenario, builtin_scenarios, load_scenario
    from racesim.studies.exact import exact, exact_sweep
    from racesim.studies.matrix import safety_matrix
    from racesim.studies.sampled import trial_history
    from racesim.studies.summary import summarize, wilson_interval
    from racesim.studies.sweep import sweep
    from racesim.studies.trials import run_trials
    from racesim.verify.proof.result import ProveResult

__version__ = "0.1.0"

#: public name -> the module that defines it
_EXPORTS: dict[str, str] = {
    "Dispatch": "racesim.core.history",
    "Durations": "racesim.core.history",
    "History": "racesim.core.history",
    "Push": "racesim.core.history",
    "Rerun": "racesim.core.history",
    "DeployOutcome": "racesim.core.outcome",
    "Outcome": "racesim.core.outcome",
    "PRESETS": "racesim.core.strategy",
    "Concurrency": "racesim.core.strategy",
    "Strategy": "racesim.core.strategy",
    "Wait": "racesim.core.strategy",
    "parse_strategy": "racesim.core.strategy",
    "preset_names": "racesim.core.strategy",
    "Event": "racesim.core.trace",
    "Trace": "racesim.core.trace",
    "simulate": "racesim.engine.simulation",
    "InputError": "racesim.errors",
    "RacesimError": "racesim.errors",
    "Incident": "racesim.incidents.format",
    "builtin_incidents": "racesim.incidents.format",
    "load_incident": "racesim.incidents.format",
    "Replay": "racesim.incidents.replay",
    "replay": "racesim.incidents.replay",
    "animate_timeline": "racesim.plot.animate",
    "plot_timeline": "racesim.plot.timeline",
    "Scenario": "racesim.scenarios.format",
    "builtin_scenarios": "racesim.scenarios.format",
    "load_scenario": "racesim.scenarios.format",
    "exact": "racesim.studies.exact",
    "exact_sweep": "racesim.studies.exact",
    "safety_matrix": "racesim.studies.matrix",
    "trial_history": "racesim.studies.sampled",
    "summarize": "racesim.studies.summary",
    "wilson_interval": "racesim.studies.summary",
    "sweep": "racesim.studies.sweep",
    "run_trials": "racesim.studies.trials",
}


def prove(strategy: str | Strategy, prop: str = "never_stale", **kwargs: Any) -> ProveResult:
    """Prove `prop` for every history within bounds, or return the counterexample.

    See :func:`racesim.proof.prove` for the arguments; the solver (z3) is imported on first use.
    """
    from racesim.verify.proof.decide import prove as decide

    return decide(strategy, prop, **kwargs)


# each public name is imported from its module the first time it is asked for
__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)


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
