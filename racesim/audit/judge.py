"""Run what racesim knows on a mapped strategy: property verdicts and Monte Carlo odds.

Verdicts come from :func:`racesim.verify.search.search` (the shortest history that breaks each of
the four properties, explained), odds from :func:`racesim.run_trials` under a scenario (default:
the built-in ``f8af4c1`` timings), each rate with its Wilson interval. A pipeline with no deploy
(trigger ``none``) is judged on the registry instead: does its mutable ``latest`` end on the
newest build?
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from racesim.core.strategy import Strategy
from racesim.core.trace import Trace
from racesim.scenarios import Scenario, load_scenario
from racesim.studies.summary import summarize
from racesim.studies.trials import run_trials
from racesim.verify.properties import PROPERTIES, Check
from racesim.verify.search import search

__all__ = ["Judgement", "Verdict", "judge"]


@dataclass(frozen=True)
class Verdict:
    """One property: holds (within the search budget) or breaks, with the shortest story."""

    prop: str
    holds: bool
    pushes: int
    explanation: str

    def to_json(self) -> dict[str, Any]:
        return {
            "holds": self.holds,
            "pushes": self.pushes,
            "explanation": self.explanation,
        }


@dataclass(frozen=True)
class Judgement:
    """Verdicts and rates for one strategy under one scenario."""

    verdicts: dict[str, Verdict]
    p_stale: tuple[float, float, float]
    p_final_wrong: tuple[float, float, float]
    trials: int
    scenario: str
    seed: int


def latest_ends_on_newest(trace: Trace) -> Check:
    """The build registry's mutable ``latest`` ends on the newest commit whose build succeeded."""
    out = trace.outcome
    got = out.latest_at_end.get(trace.build_registry)
    if got == out.newest_built:
        return Check(True)
    return Check(
        False,
        f"latest ends on {trace.label(got) if got is not None else 'nothing'}, "
        f"not on the newest build {trace.label(out.newest_built)}",
    )


def _properties(strategy: Strategy) -> dict[str, Any]:
    if strategy.trigger == "none":
        return {"latest_ends_on_newest": latest_ends_on_newest}
    return dict(PROPERTIES)


@lru_cache(maxsize=256)
def verdicts(strategy: Strategy, max_examples: int, seed: int) -> dict[str, Verdict]:
    """Search every property on `strategy` (cached: many pipelines share a strategy)."""
    out: dict[str, Verdict] = {}
    for name, prop in _properties(strategy).items():
        result = search(strategy, prop, pushes=2, max_examples=max_examples, seed=seed)
        cx = result.counterexample
        out[name] = Verdict(
            name,
            cx is None,
            0 if cx is None else cx.history.commits,
            "" if cx is None else cx.explanation,
        )
    return out


@lru_cache(maxsize=64)
def _odds(
    strategy: Strategy, scenario_name: str, trials: int, seed: int
) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    scenario = load_scenario(scenario_name)
    return _odds_for(strategy, scenario, trials, seed)


def _odds_for(
    strategy: Strategy, scenario: Scenario, trials: int, seed: int
) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    results = run_trials(scenario, [strategy], trials=trials, seed=seed, progress=False)
    row = summarize(results).iloc[0]
    wrong = "latest_wrong" if strategy.trigger == "none" else "final_wrong"

    def triple(name: str) -> tuple[float, float, float]:
        return (float(row[f"p_{name}"]), float(row[f"p_{name}_low"]), float(row[f"p_{name}_high"]))

    return triple("stale"), triple(wrong)


def judge(
    strategy: Strategy,
    scenario: str = "f8af4c1",
    *,
    trials: int = 200,
    max_examples: int = 60,
    seed: int = 0,
) -> Judgement:
    """Verdicts of the four properties and P(stale), P(final wrong) with 95 % intervals."""
    stale, wrong = _odds(strategy, str(scenario), trials, seed)
    return Judgement(
        verdicts(strategy, max_examples, seed), stale, wrong, trials, str(scenario), seed
    )
