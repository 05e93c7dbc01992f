"""Run what racesim knows on a mapped strategy: property verdicts and Monte Carlo odds.

Each of the four properties is decided by :func:`racesim.proof.prove` over the audit's bounds
(every history of up to :data:`PROVE_PUSHES` pushes): *proved*, or a *counterexample* the SimPy
engine confirmed. Only where the proof's encoding does not cover the strategy, or for a property
it has no encoding of, is the verdict searched instead: a sample of histories
(:func:`racesim.verify.search.search`), then, if none broke it, every two-push history of the grid
of :func:`racesim.testing.exhaustive_check`. The verdict says which (``sampled``,
``exhaustive``) and why no proof was possible; a grid "holds" is not a proof between grid
points. Odds come from :func:`racesim.run_trials` under a scenario (default: the built-in
``f8af4c1`` timings), each rate with its Wilson interval: by default over :data:`FAST_TRIALS`
trials where the vectorised fast path decides the scenario under the strategy (the numbers
``racesim compare --trials 40000`` gives), else :data:`SIMPY_TRIALS`. A pipeline with
no deploy (trigger ``none``) is judged on the registry instead: does its mutable ``latest`` end
on the newest build?
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from racesim.core.strategy import Strategy
from racesim.engine.simulation import simulate
from racesim.scenarios import Scenario, load_scenario
from racesim.studies.fastpath import fast_columns, fast_path_reason, one_push_reason
from racesim.studies.sampled import SampledBlock, sample_block
from racesim.verify.proof.bounds import Bounds
from racesim.verify.proof.coverage import NotEncodedError
from racesim.verify.proof.decide import prove
from racesim.verify.properties import PROPERTIES, REGISTRY_PROPERTIES, latest_ends_on_newest

__all__ = [
    "FAST_TRIALS",
    "PROVE_PUSHES",
    "SIMPY_TRIALS",
    "Judgement",
    "Verdict",
    "judge",
    "odds_trials",
    "verdicts",
]

#: push counts every proof covers (1 up to this); a solver call takes tens of milliseconds
PROVE_PUSHES = 3

#: default Monte Carlo trials of odds the vectorised fast path decides: a 95% interval of at
#: most +-0.49 points (+-0.5 needs 38,416), as the safety matrix's cells; under ``f8af4c1``
#: sampling them takes about 9 ms (once per audit), deciding them about 1 ms a strategy
FAST_TRIALS = 40_000
#: default trials of odds only the SimPy engine decides (a multi-push scenario under a strategy
#: the multi-push fast path refuses: 0.2 ms a trial for two-pushes-out-of-order, 0.7 for burst-of-5)
SIMPY_TRIALS = 200


@dataclass(frozen=True)
class Verdict:
    """One property: holds or breaks, how that was decided, and the shortest breaking story.

    Attributes:
        prop: the property's name.
        holds: no history breaks it (proved), or none of the sampled ones did (sampled).
        pushes: pushes of the counterexample when it breaks; pushes covered when it holds.
        explanation: the counterexample in sentences ("" when it holds).
        method: ``proved``, ``counterexample`` (both from ``prove``), ``sampled`` (a
            counterexample the sampled search found) or ``exhaustive`` (every history of the
            grid of :func:`~racesim.testing.exhaustive_check` simulated).
        examples: histories drawn (sampled) or simulated (exhaustive); 0 for a proof.
        why_sampled: why no proof was possible ("" for a proof).
    """

    prop: str
    holds: bool
    pushes: int
    explanation: str
    method: str = "sampled"
    examples: int = 0
    why_sampled: str = ""

    @property
    def how(self) -> str:
        """The method in words: ``proved up to 3 pushes``, ``counterexample``, ``sampled 60``."""
        if self.method == "proved":
            return f"proved for up to {self.pushes} pushes"
        if self.method == "counterexample":
            return "counterexample from prove, replayed by the engine"
        if self.method == "exhaustive":
            if self.holds:
                return (
                    f"no proof; all {self.examples} two-push histories of the grid checked, "
                    "none breaks it"
                )
            return f"counterexample from the grid check of {self.examples} histories"
        return f"counterexample found by sampling (within {self.examples} histories)"

    def to_json(self) -> dict[str, Any]:
        return {
            "holds": self.holds,
            "pushes": self.pushes,
            "explanation": self.explanation,
            "method": self.method,
            "examples": self.examples,
            "why_sampled": self.why_sampled,
        }


@dataclass(frozen=True)
class Judgement:
    """Verdicts and rates for one strategy under one scenario."""

    verdicts: dict[str, Verdict]
    p_stale: tuple[float, float, float]
    p_final_wrong: tuple[float, float, float]
    trials: int  # behind the odds
    scenario: str
    seed: int
    bounds: Bounds = field(default_factory=Bounds)


def _properties(strategy: Strategy) -> dict[str, Any]:
    if strategy.trigger == "none":
        return {"latest_ends_on_newest": latest_ends_on_newest}
    return dict(PROPERTIES)


_Key = tuple[tuple[tuple[str, tuple[float, float]], ...], tuple[float, float], bool]


def verdicts(
    strategy: Strategy, max_examples: int, seed: int, bounds: Bounds | None = None
) -> dict[str, Verdict]:
    """Decide every property on `strategy`: by proof where encoded, else by sampling."""
    b = bounds or Bounds()
    return _verdicts(strategy, max_examples, seed, (tuple(b.durations.items()), b.gap, b.failures))


@lru_cache(maxsize=256)
def _verdicts(strategy: Strategy, max_examples: int, seed: int, key: _Key) -> dict[str, Verdict]:
    # cached on a hashable form of the bounds: many pipelines share a strategy
    bounds = Bounds(dict(key[0]), key[1], key[2])
    props = _properties(strategy)
    out: dict[str, Verdict] = {}
    unproved: dict[str, str] = {}  # property -> why no proof, for those no search broke
    for name, prop in props.items():
        why = "prove has no encoding of this property"
        if name in PROPERTIES or name in REGISTRY_PROPERTIES:
            try:
                proof = prove(strategy, name, pushes=PROVE_PUSHES, bounds=bounds)
            except NotEncodedError as exc:
                why = str(exc)
            else:
                found = proof.counterexample
                out[name] = Verdict(
                    name,
                    found is None,
                    PROVE_PUSHES if found is None else found.history.commits,
                    "" if found is None else found.explanation,
                    proof.verdict,
                )
                continue
        # hypothesis is imported only when a verdict needs a search (most are proved)
        from racesim.verify.search import search

        result = search(
            strategy,
            prop,
            pushes=2,
            bounds=dict(bounds.durations),
            failures=bounds.failures,
            max_examples=max_examples,
            seed=seed,
        )
        cx = result.counterexample
        if cx is not None:
            out[name] = Verdict(
                name, False, cx.history.commits, cx.explanation, "sampled", max_examples, why
            )
            continue
        unproved[name] = why
    if unproved:
        # no sampled history broke them: check every history on the grid before saying "holds",
        # one simulation per history for all of them (the answers exhaustive_check gives each)
        from racesim.verify.search import exhaustive_checks

        grids = exhaustive_checks(strategy, {name: props[name] for name in unproved}, pushes=2)
        for name, why in unproved.items():
            grid = grids[name]
            gx = grid.counterexample
            out[name] = Verdict(
                name,
                gx is None,
                2 if gx is None else gx.history.commits,
                "" if gx is None else gx.explanation,
                "exhaustive",
                grid.checked,
                why,
            )
    return {name: out[name] for name in props}


def odds_trials(strategy: Strategy, scenario: Scenario) -> int:
    """The default trials of the odds of `strategy` under `scenario`: :data:`FAST_TRIALS` if
    the vectorised fast path decides them, else :data:`SIMPY_TRIALS`."""
    return FAST_TRIALS if fast_path_reason(scenario, strategy) is None else SIMPY_TRIALS


_Triple = tuple[float, float, float]


@lru_cache(maxsize=64)
def _odds(
    strategy: Strategy, scenario_name: str, trials: int | None, seed: int
) -> tuple[int, _Triple, _Triple]:
    """The trials (`trials`, or :func:`odds_trials` when ``None``), P(stale), P(wrong)."""
    scenario = load_scenario(scenario_name)
    n = odds_trials(strategy, scenario) if trials is None else trials
    block = _one_push_block(scenario_name, seed, n) if one_push_reason(scenario) is None else None
    return (n, *_odds_for(strategy, scenario, n, seed, block))


@lru_cache(maxsize=2)
def _one_push_block(scenario_name: str, seed: int, trials: int) -> SampledBlock:
    """The sampled trials of a one-push scenario, shared by every strategy an audit judges under
    it: sampling 40,000 trials takes about 9 ms, deciding them under a strategy about 1 ms."""
    return sample_block(load_scenario(scenario_name), seed, 0, trials)


def _odds_for(
    strategy: Strategy,
    scenario: Scenario,
    trials: int,
    seed: int,
    block: SampledBlock | None = None,
) -> tuple[_Triple, _Triple]:
    """P(stale) and P(wrong) of `strategy` over `trials` trials of `scenario`; `block`, when
    given, is ``sample_block(scenario, seed, 0, trials)`` of a one-push scenario."""
    wrong = "latest_wrong" if strategy.trigger == "none" else "final_wrong"
    if one_push_reason(scenario) is None:
        if block is None:
            block = sample_block(scenario, seed, 0, trials)
        stale, bad = _one_push_counts(strategy, block, wrong)
        return _rate(stale, trials), _rate(bad, trials)
    # several pushes a trial: summarised as compare does (summarize_trials, engine "auto": the
    # multi-push fast path where it decides the strategy, the SimPy engine where it does not)
    from racesim.studies.trials import summarize_trials

    row = summarize_trials(scenario, [strategy], trials=trials, seed=seed, progress=False).iloc[0]

    def triple(name: str) -> tuple[float, float, float]:
        return (float(row[f"p_{name}"]), float(row[f"p_{name}_low"]), float(row[f"p_{name}_high"]))

    return triple("stale"), triple(wrong)


def _one_push_counts(strategy: Strategy, block: SampledBlock, wrong: str) -> tuple[int, int]:
    """Stale trials and wrong-ending trials of `block`, sampled trials of a one-push scenario, as
    :func:`run_trials` counts them: the same sampled trials (every random number is addressed by
    seed and trial, so one block of all the trials is what any chunking draws), decided by the
    vectorised fast path, and the few trials it leaves undecided simulated with SimPy
    (``engine="auto"``)."""
    columns, undecided = fast_columns(strategy, block)
    stale = np.asarray(columns["stale"], dtype=bool).copy()
    key = "latest_correct" if wrong == "latest_wrong" else "final_correct"
    right = np.asarray(columns[key], dtype=bool).copy()
    for i in np.flatnonzero(undecided).tolist():
        trace = simulate(strategy, block.history(i))
        out = trace.outcome
        stale[i] = out.stale_deploys > 0
        right[i] = (
            out.latest_at_end[trace.build_registry] == out.newest_built
            if key == "latest_correct"
            else out.final_correct
        )
    return int(stale.sum()), int((~right).sum())


#: the standard normal's 0.975 quantile, ``scipy.special.ndtri(0.975)`` to the last bit
_Z975 = 1.959963984540054


def wilson95(k: int, n: int) -> tuple[float, float]:
    """The 95 % Wilson score interval of `k` successes in `n` trials, exactly as
    :func:`racesim.studies.summary.wilson_interval` (scipy's ``binomtest``) computes it: the same
    formula in the same floating-point order, without importing scipy.stats."""
    p = k / n
    z = _Z975
    denom = 2 * (n + z**2)
    center = (2 * n * p + z**2) / denom
    q = 1 - p
    delta = z / denom * math.sqrt(4 * n * p * q + z**2)
    low = 0.0 if k == 0 else center - delta
    high = 1.0 if k == n else center + delta
    return float(low), float(high)


def _rate(k: int, n: int) -> tuple[float, float, float]:
    low, high = wilson95(k, n)
    return k / n, low, high


def judge(
    strategy: Strategy,
    scenario: str = "f8af4c1",
    *,
    trials: int | None = None,
    max_examples: int = 60,
    seed: int = 0,
    bounds: Bounds | None = None,
) -> Judgement:
    """Verdicts of the four properties over `bounds` and P(stale), P(final wrong) with 95 %
    intervals under `scenario`, over `trials` trials (``None``: :func:`odds_trials`)."""
    n, stale, wrong = _odds(strategy, str(scenario), trials, seed)
    return Judgement(
        verdicts(strategy, max_examples, seed, bounds),
        stale,
        wrong,
        n,
        str(scenario),
        seed,
        bounds or Bounds(),
    )
