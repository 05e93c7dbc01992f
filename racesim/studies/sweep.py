"""Sweeps: the same sampled trials at every value of one knob.

A sweep changes one thing, a strategy knob (``sleep``, a wait's timeout) or a scenario parameter
(a step's median, the registry lag, the push gap), and runs :func:`~racesim.run_trials`'s trials
at every value with the same seed, so every other duration of every trial stays the same
and the values are compared pair by pair.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import replace

import pandas as pd

from racesim.core.strategy import Strategy
from racesim.errors import InputError
from racesim.limits import MAX_STREAMED_TRIALS, MAX_SWEEP_VALUES, check_count
from racesim.scenarios.format import Scenario
from racesim.studies.summary import SUMMARY_COLUMNS, check_confidence
from racesim.studies.trials import (
    STREAMED_FAST_CHUNK,
    Engine,
    Strategies,
    TrialChunk,
    check_rows,
    check_run,
    check_simulations,
    chosen_strategies,
    chunk_bounds,
    engine_for,
    execute,
    tally,
)

__all__ = [
    "SWEEP_ALIASES",
    "apply_knob",
    "parse_range",
    "summarize_sweep",
    "sweep",
    "swept_strategies",
]

#: short knob names accepted by :func:`sweep` (and ``racesim sweep``) and what they change
SWEEP_ALIASES: dict[str, tuple[str, ...]] = {
    "sleep": ("strategy.sleep",),
    "build_median": ("timings.build.median",),
    "build_p95": ("timings.build.p95",),
    "pickup_tail": ("timings.build_pickup.p95", "timings.deploy_pickup.p95"),
    "registry_lag": ("timings.registry_lag",),
    "deploy_registry_lag": ("timings.deploy_registry_lag",),
    "build_failure": ("build_failure",),
    "push_count": ("pushes.count",),
    "push_gap": ("pushes.gap.median",),
}

_STRATEGY_KNOBS = ("sleep", "wait.interval", "wait.timeout")


def apply_knob(
    knob: str, value: float, scenario: Scenario, strategies: tuple[tuple[str, Strategy], ...]
) -> tuple[Scenario, tuple[tuple[str, Strategy], ...]]:
    """`scenario` and `strategies` with `knob` set to `value`: what one point of a sweep runs.

    Raises InputError (field: the knob) for a knob no strategy or scenario parameter has.
    """
    for path in SWEEP_ALIASES.get(knob, (knob,)):
        if path.startswith("strategy."):
            name = path.removeprefix("strategy.")
            if name not in _STRATEGY_KNOBS:
                raise InputError(
                    knob,
                    f"cannot sweep strategy knob {name!r}; numeric knobs: "
                    + ", ".join(_STRATEGY_KNOBS),
                )
            changed = []
            for label, s in strategies:
                if name == "sleep":
                    new = replace(s, sleep=value)
                else:
                    if s.wait is None:
                        raise InputError(knob, f"strategy {label!r} does not wait for the image")
                    new = replace(s, wait=replace(s.wait, **{name.removeprefix("wait."): value}))
                changed.append((label, new))
            strategies = tuple(changed)
        else:
            scenario = scenario.with_param(path, value)
    return scenario, strategies


def sweep(
    scenario: Scenario,
    knob: str,
    values: Sequence[float],
    strategies: Strategies | None = None,
    *,
    trials: int = 1000,
    seed: int = 0,
    executor: Executor | None = None,
    chunk_size: int | None = None,
    progress: bool = True,
    engine: Engine = "auto",
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Run the same trials at every value of one knob: one tidy DataFrame.

    `knob` is an alias from :data:`SWEEP_ALIASES` (``sleep``, ``build_median``, ``pickup_tail``,
    ...), a strategy knob ``strategy.sleep`` / ``strategy.wait.timeout``, or a scenario parameter
    path (see :meth:`Scenario.with_param`). Every value uses the same seed and every random
    number has a fixed address, so trial ``i`` keeps every duration the knob does not change
    (paired comparisons, whichever knob is swept). `engine` and `columns` are as in
    :func:`run_trials`. For ``sleep`` the strategies default to
    ``parallel`` (sleeping before the pull is the incident plan's Option 4).

    Returns the rows of :func:`run_trials` with ``knob`` and ``value`` columns in front; the
    ``strategy`` column keeps the base strategy's name.
    """
    check_run(trials, seed, chunk_size, engine)
    values = _checked_values(values)
    chosen = swept_strategies(knob, strategies, scenario)
    check_rows(trials * len(chosen) * len(values))
    keep = None if columns is None else tuple(columns)
    jobs = _jobs(scenario, knob, values, chosen, trials, seed, chunk_size, engine, keep, 200_000)
    frame = execute(jobs, executor, progress, trials * len(chosen) * len(values))
    return frame.sort_values(["knob", "trial"], kind="stable", ignore_index=True)


def summarize_sweep(
    scenario: Scenario,
    knob: str,
    values: Sequence[float],
    strategies: Strategies | None = None,
    *,
    trials: int = 1000,
    seed: int = 0,
    executor: Executor | None = None,
    chunk_size: int | None = None,
    progress: bool = True,
    engine: Engine = "auto",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """``summarize(sweep(...), ["knob", "value", "strategy"])`` without keeping the rows.

    The arguments are those of :func:`sweep`, the limits and the accuracy those of
    :func:`~racesim.studies.trials.summarize_trials` (trials x strategies x values count as
    the run's simulations): memory does not grow with the number of trials.
    """
    check_run(trials, seed, chunk_size, engine, MAX_STREAMED_TRIALS)
    check_confidence(confidence)
    values = _checked_values(values)
    chosen = swept_strategies(knob, strategies, scenario)
    total = trials * len(chosen) * len(values)
    check_simulations(total)
    jobs = _jobs(
        scenario,
        knob,
        values,
        chosen,
        trials,
        seed,
        chunk_size,
        engine,
        SUMMARY_COLUMNS,
        STREAMED_FAST_CHUNK,
    )
    keys = ("knob", "value", "strategy")
    return tally(jobs, keys, executor, progress, total).summary(confidence=confidence)


def _checked_values(values: Sequence[float]) -> list[float]:
    values = list(values)
    if not values:
        raise InputError("values", "expected at least one value to sweep")
    check_count("values", len(values), MAX_SWEEP_VALUES, "sweep values")
    return values


def _jobs(
    scenario: Scenario,
    knob: str,
    values: list[float],
    chosen: tuple[tuple[str, Strategy], ...],
    trials: int,
    seed: int,
    chunk_size: int | None,
    engine: str,
    keep: tuple[str, ...] | None,
    fast_most: int,
) -> list[TrialChunk]:
    """The chunks of trials of a sweep, value by value."""
    jobs = []
    for value in values:
        try:
            scen, strats = apply_knob(knob, float(value), scenario, chosen)
        except InputError as exc:
            raise InputError(
                "knob",
                f"cannot sweep {knob!r}: {exc.problem} (knobs: {', '.join(SWEEP_ALIASES)}, "
                "strategy.sleep, strategy.wait.timeout, or a scenario path such as "
                "timings.build.p95)",
            ) from None
        kind = engine_for(scen, engine, strats)
        jobs += [
            TrialChunk(scen, strats, seed, a, b, kind, (knob, float(value)), keep)
            for a, b in chunk_bounds(trials, chunk_size, kind, fast_most)
        ]
    return jobs


def swept_strategies(
    knob: str, strategies: Strategies | None, scenario: Scenario
) -> tuple[tuple[str, Strategy], ...]:
    """The labelled strategies a sweep of `knob` runs: `strategies`, or by default the
    scenario's, except ``parallel`` alone for a sleep sweep (the incident plan's Option 4)."""
    if strategies is None and SWEEP_ALIASES.get(knob, (knob,))[0] == "strategy.sleep":
        strategies = ["parallel"]
    return chosen_strategies(strategies, scenario)


def parse_range(text: str, field: str = "values") -> list[float]:
    """``START:STOP:STEP`` (STOP included when reached) or ``a,b,c`` as a list of floats."""
    try:
        if ":" in text:
            start, stop, step = (float(p) for p in text.split(":"))
            if not all(map(math.isfinite, (start, stop, step))) or step <= 0 or stop < start:
                raise ValueError
            span = (stop - start) / step + 1e-9
            if span >= MAX_SWEEP_VALUES:  # also catches an infinite span
                raise InputError(
                    field,
                    f"{text!r} gives more than {MAX_SWEEP_VALUES:,} values, racesim's limit "
                    "for one sweep",
                )
            count = math.floor(span) + 1
            return [round(start + i * step, 9) for i in range(count)]
        check_count(field, text.count(",") + 1, MAX_SWEEP_VALUES, "values")
        values = [float(p) for p in text.split(",")]
        if not all(map(math.isfinite, values)):
            raise ValueError
        return values
    except InputError:
        raise
    except ValueError:
        raise InputError(
            field,
            f"expected START:STOP:STEP with STEP > 0 and STOP >= START, or a,b,c; got {text!r}",
        ) from None
