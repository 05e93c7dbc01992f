"""Studies over many histories: Monte Carlo trials and sweeps, exact one-push answers, summaries,
the safety matrix and the recommendation.

Trials sample histories from a scenario with addressed random numbers
(:mod:`~racesim.studies.sampling`, :mod:`~racesim.studies.sampled`), decide each with the
vectorised fast path (:mod:`~racesim.studies.fastpath`) where it applies and the SimPy engine
otherwise (:mod:`~racesim.studies.trials`, :mod:`~racesim.studies.sweep`); one-push questions
also have exact answers (:mod:`~racesim.studies.exact`). :mod:`~racesim.studies.summary` turns
rows into rates with intervals, :mod:`~racesim.studies.matrix` runs every preset against the
standard situations and :mod:`~racesim.studies.recommend` picks the quickest strategy under a
risk limit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from racesim._util.lazy import lazy_exports

if TYPE_CHECKING:
    from racesim.studies.exact import ExactResult, exact, exact_sweep
    from racesim.studies.matrix import MATRIX_RATES, SITUATIONS, matrix_table, safety_matrix
    from racesim.studies.recommend import DEFAULT_MAX_RISK, RISK_RATES, Recommendation, recommend
    from racesim.studies.sampled import trial_history
    from racesim.studies.summary import RATES, SUMMARY_COLUMNS, summarize, wilson_interval
    from racesim.studies.sweep import (
        SWEEP_ALIASES,
        apply_knob,
        parse_range,
        summarize_sweep,
        sweep,
        swept_strategies,
    )
    from racesim.studies.trials import (
        ENGINES,
        METRICS,
        label_strategies,
        run_trials,
        summarize_trials,
    )

#: public name -> the module that defines it; each is imported on first use, so importing one
#: module of this package (sampling, say) does not import the engine and every study with it
_EXPORTS: dict[str, str] = {
    "ExactResult": "racesim.studies.exact",
    "exact": "racesim.studies.exact",
    "exact_sweep": "racesim.studies.exact",
    "MATRIX_RATES": "racesim.studies.matrix",
    "SITUATIONS": "racesim.studies.matrix",
    "matrix_table": "racesim.studies.matrix",
    "safety_matrix": "racesim.studies.matrix",
    "DEFAULT_MAX_RISK": "racesim.studies.recommend",
    "RISK_RATES": "racesim.studies.recommend",
    "Recommendation": "racesim.studies.recommend",
    "recommend": "racesim.studies.recommend",
    "trial_history": "racesim.studies.sampled",
    "RATES": "racesim.studies.summary",
    "SUMMARY_COLUMNS": "racesim.studies.summary",
    "summarize": "racesim.studies.summary",
    "wilson_interval": "racesim.studies.summary",
    "SWEEP_ALIASES": "racesim.studies.sweep",
    "apply_knob": "racesim.studies.sweep",
    "parse_range": "racesim.studies.sweep",
    "summarize_sweep": "racesim.studies.sweep",
    "sweep": "racesim.studies.sweep",
    "swept_strategies": "racesim.studies.sweep",
    "ENGINES": "racesim.studies.trials",
    "METRICS": "racesim.studies.trials",
    "label_strategies": "racesim.studies.trials",
    "run_trials": "racesim.studies.trials",
    "summarize_trials": "racesim.studies.trials",
}

__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)

__all__ = [
    "DEFAULT_MAX_RISK",
    "ENGINES",
    "MATRIX_RATES",
    "METRICS",
    "RATES",
    "RISK_RATES",
    "SITUATIONS",
    "SUMMARY_COLUMNS",
    "SWEEP_ALIASES",
    "ExactResult",
    "Recommendation",
    "apply_knob",
    "exact",
    "exact_sweep",
    "label_strategies",
    "matrix_table",
    "parse_range",
    "recommend",
    "run_trials",
    "safety_matrix",
    "summarize",
    "summarize_sweep",
    "summarize_trials",
    "sweep",
    "swept_strategies",
    "trial_history",
    "wilson_interval",
]
