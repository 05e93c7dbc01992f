"""Monte Carlo trials: sample histories from a scenario, simulate every strategy on each.

Trial ``i`` draws its history from ``SeedSequence(seed, spawn_key=(i,))`` alone, so a result never
depends on how trials are split into chunks, how many workers run them, or which executor does.
Within a trial every strategy is simulated on the same history (common random numbers), so
differences between strategies are paired. Results are a tidy DataFrame with one row per trial and
strategy; every row carries ``seed`` and ``trial``, which is all :func:`trial_history` needs to
rebuild the history behind it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from racesim.engine import simulate
from racesim.errors import InputError
from racesim.limits import (
    MAX_RESULT_ROWS,
    MAX_SWEEP_VALUES,
    MAX_TRIALS,
    check_count,
)
from racesim.model.history import DURATION_FIELDS, History
from racesim.outcome import Outcome
from racesim.scenarios.format import Scenario
from racesim.strategies import Strategy, parse_strategy

__all__ = [
    "METRICS",
    "SWEEP_ALIASES",
    "run_trials",
    "sweep",
    "trial_history",
    "trial_rng",
]

#: result columns with what they mean (besides seed, trial, strategy and the sampled durations)
METRICS: dict[str, str] = {
    "pushes": "commits pushed in the trial",
    "deploys": "deploy jobs that started",
    "stale": "at least one deploy shipped an older commit than it meant to",
    "stale_deploys": "deploys that shipped an older commit than they meant to",
    "identity_errors": "deploys that shipped another commit than they meant to",
    "failed_deploys": "deploys that failed (image missing, wait timed out)",
    "skipped_deploys": "deploy jobs that never started (gate, needs, displaced)",
    "final_live": "commit the service runs at the end",
    "newest_built": "newest commit whose build succeeded",
    "final_correct": "the service ends on the newest successfully built commit",
    "regressions": "times the service moved to an older commit",
    "regressed": "the service moved to an older commit at least once",
    "never_deployed": "successfully built commits the service never ran",
    "behind_s": "seconds the service ran an older commit than the newest image available",
    "push_to_live_s": "seconds from the newest push until the service ran it (NaN: never)",
    "min_pull_margin_s": "smallest pull margin of the trial's deploys (NaN: none pulled)",
    "latest_correct": "the build registry's latest ends on the newest successfully built commit",
    "runner_s": "runner seconds used",
    "cancelled_runs": "runs cancelled by concurrency groups",
    "end_s": "time of the trial's last event",
}

_SAMPLED = tuple(f"sampled_{name}" for name in DURATION_FIELDS)


def trial_rng(seed: int, trial: int) -> np.random.Generator:
    """The random generator of trial `trial` under `seed` (independent of every other trial)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(trial,))))


def trial_history(scenario: Scenario, seed: int, trial: int) -> History:
    """The history trial `trial` of a run with `seed` simulated: replay any row of the results."""
    return scenario.sample(trial_rng(seed, trial))


def _metrics(out: Outcome, history: History, build_registry: str) -> tuple[Any, ...]:
    deploys = out.deploys
    margins = [d.pull_margin for d in deploys if d.pull_margin is not None]
    lead = out.push_to_live[-1] if out.push_to_live else None
    first = history.pushes[0].durations
    return (
        history.commits,
        len(deploys),
        out.stale_deploys > 0,
        out.stale_deploys,
        out.identity_errors,
        sum(d.status == "failed" for d in deploys),
        out.skipped_deploys,
        out.final_live,
        out.newest_built,
        out.final_correct,
        out.regressions,
        out.regressions > 0,
        len(out.never_deployed),
        out.behind_s,
        math.nan if lead is None else lead,
        min(margins) if margins else math.nan,
        out.latest_at_end[build_registry] == out.newest_built,
        out.runner_s,
        out.cancelled_runs,
        out.end_time,
        *(getattr(first, name) for name in DURATION_FIELDS),
    )


@dataclass(frozen=True)
class _Job:
    """A chunk of trials of one scenario under some strategies, with fixed extra columns."""

    scenario: Scenario
    strategies: tuple[tuple[str, Strategy], ...]
    seed: int
    start: int
    stop: int
    extra: tuple[Any, ...] = ()


def _run_job(job: _Job) -> list[tuple[Any, ...]]:
    rows = []
    for i in range(job.start, job.stop):
        history = trial_history(job.scenario, job.seed, i)
        for name, strategy in job.strategies:
            trace = simulate(strategy, history)
            rows.append(
                (
                    *job.extra,
                    job.seed,
                    i,
                    name,
                    *_metrics(trace.outcome, history, trace.build_registry),
                )
            )
    return rows


def _advance(bar: Any, n: int, _future: object) -> None:
    bar.update(n)


def _execute(
    jobs: list[_Job], executor: Executor | None, progress: bool, total: int
) -> list[tuple[Any, ...]]:
    """Run `jobs` (in-process, or on `executor`) and concatenate their rows in job order."""
    from tqdm.auto import tqdm

    rows: list[tuple[Any, ...]] = []
    with tqdm(total=total, disable=not progress, unit="sim", desc="racesim", leave=False) as bar:
        if executor is None:
            for job in jobs:
                rows += _run_job(job)
                bar.update((job.stop - job.start) * len(job.strategies))
            return rows
        futures: list[Future[list[tuple[Any, ...]]]] = [
            executor.submit(_run_job, job) for job in jobs
        ]
        for job, future in zip(jobs, futures, strict=True):
            future.add_done_callback(
                partial(_advance, bar, (job.stop - job.start) * len(job.strategies))
            )
        for future in futures:
            rows += future.result()
        bar.refresh()
    return rows


#: what the strategies of a run may be: names and values, or a mapping label -> name or value
Strategies = Iterable[str | Strategy] | Mapping[str, str | Strategy]


def label_strategies(specs: Strategies) -> tuple[tuple[str, Strategy], ...]:
    """``(label, strategy)`` pairs: the label is what the results' ``strategy`` column shows.

    A preset name labels itself; a Strategy value is labelled by :meth:`Strategy.describe`
    (its preset name, or ``custom:`` and its knobs), so two different custom strategies never
    share a row; a mapping gives each strategy the label of its key. Two strategies with the same
    label are refused: their trials would be merged into one row.
    """
    if isinstance(specs, Mapping):
        pairs = [(label, spec, f"strategies[{label!r}]") for label, spec in specs.items()]
    else:
        pairs = []
        for i, spec in enumerate(specs):
            field = f"strategies[{i}]"
            label = spec if isinstance(spec, str) else parse_strategy(spec, field).describe()
            pairs.append((label, spec, field))
    if not pairs:
        raise InputError("strategies", "expected at least one strategy")
    out: list[tuple[str, Strategy]] = []
    seen: dict[str, str] = {}
    for label, spec, field in pairs:
        if not isinstance(label, str) or not label:
            raise InputError(field, f"expected a non-empty label, got {label!r}")
        if label in seen:
            raise InputError(
                field,
                f"label {label!r} is used twice (also by {seen[label]}); give each strategy its "
                "own name, e.g. pass a mapping {name: Strategy}",
            )
        seen[label] = field
        out.append((label, parse_strategy(spec, field)))
    return tuple(out)


def _strategies(specs: Strategies | None, scenario: Scenario) -> tuple[tuple[str, Strategy], ...]:
    return label_strategies(scenario.strategies if specs is None else specs)


def _check_run(trials: int, seed: int, chunk_size: int | None) -> None:
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise InputError("trials", f"expected a whole number >= 1, got {trials!r}")
    check_count("trials", trials, MAX_TRIALS, "trials")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError("seed", f"expected a whole number >= 0, got {seed!r}")
    if chunk_size is not None and (
        isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1
    ):
        raise InputError("chunk_size", f"expected a whole number >= 1, got {chunk_size!r}")


def _check_rows(rows: int) -> None:
    if rows > MAX_RESULT_ROWS:
        raise InputError(
            "trials",
            f"{rows:,} result rows (trials x strategies x values) is beyond racesim's limit of "
            f"{MAX_RESULT_ROWS:,}; run fewer trials, strategies or values at a time",
        )


def _chunks(trials: int, chunk_size: int | None) -> list[tuple[int, int]]:
    size = chunk_size or max(25, min(1000, math.ceil(trials / 16)))
    return [(a, min(a + size, trials)) for a in range(0, trials, size)]


def _frame(rows: list[tuple[Any, ...]], extra: Sequence[str]) -> pd.DataFrame:
    columns = [*extra, "seed", "trial", "strategy", *METRICS, *_SAMPLED]
    df = pd.DataFrame.from_records(rows, columns=columns)
    return df.sort_values([*extra[:1], "trial"], kind="stable", ignore_index=True) if extra else df


def run_trials(
    scenario: Scenario,
    strategies: Strategies | None = None,
    *,
    trials: int = 1000,
    seed: int = 0,
    executor: Executor | None = None,
    chunk_size: int | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Simulate `trials` sampled histories of `scenario` under each strategy.

    Args:
        scenario: what to sample.
        strategies: preset names or Strategy values, or a mapping label -> name or value
            (default: the scenario's list). A Strategy value's label (the ``strategy``
            column) is its :meth:`~racesim.Strategy.describe`; labels must be unique.
        trials: number of sampled histories.
        seed: the run's seed; trial ``i`` uses ``SeedSequence(seed, spawn_key=(i,))``.
        executor: any ``concurrent.futures.Executor`` (a process pool, a Dask client's
            ``get_executor()``); ``None`` runs in this process.
        chunk_size: trials per task given to the executor (results do not depend on it).
        progress: show a progress bar (``tqdm.auto``).

    Returns:
        One row per trial and strategy, in trial order: ``seed``, ``trial``, ``strategy``, the
        columns of :data:`METRICS`, and the first push's sampled durations (``sampled_<step>``).
    """
    _check_run(trials, seed, chunk_size)
    chosen = _strategies(strategies, scenario)
    _check_rows(trials * len(chosen))
    jobs = [_Job(scenario, chosen, seed, a, b) for a, b in _chunks(trials, chunk_size)]
    return _frame(_execute(jobs, executor, progress, trials * len(chosen)), [])


# -- sweeps ---------------------------------------------------------------------------------------

#: short knob names accepted by :func:`sweep` (and ``racesim sweep``) and what they change
SWEEP_ALIASES: dict[str, tuple[str, ...]] = {
    "sleep": ("strategy.sleep",),
    "build_median": ("timings.build.median",),
    "build_p95": ("timings.build.p95",),
    "pickup_tail": ("timings.build_pickup.p95", "timings.deploy_pickup.p95"),
    "registry_lag": ("timings.registry_lag",),
    "build_failure": ("build_failure",),
    "push_count": ("pushes.count",),
    "push_gap": ("pushes.gap.median",),
}

_STRATEGY_KNOBS = ("sleep", "wait.interval", "wait.timeout")


def _apply(
    knob: str, value: float, scenario: Scenario, strategies: tuple[tuple[str, Strategy], ...]
) -> tuple[Scenario, tuple[tuple[str, Strategy], ...]]:
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
) -> pd.DataFrame:
    """Run the same trials at every value of one knob: one tidy DataFrame.

    `knob` is an alias from :data:`SWEEP_ALIASES` (``sleep``, ``build_median``, ``pickup_tail``,
    ...), a strategy knob ``strategy.sleep`` / ``strategy.wait.timeout``, or a scenario parameter
    path (see :meth:`Scenario.with_param`). Every value uses the same seed, so trial ``i`` draws
    from the same random stream at every value. For ``sleep`` the strategies default to
    ``parallel`` (sleeping before the pull is the incident plan's Option 4).

    Returns the rows of :func:`run_trials` with ``knob`` and ``value`` columns in front; the
    ``strategy`` column keeps the base strategy's name.
    """
    _check_run(trials, seed, chunk_size)
    values = list(values)
    if not values:
        raise InputError("values", "expected at least one value to sweep")
    check_count("values", len(values), MAX_SWEEP_VALUES, "sweep values")
    if strategies is None and SWEEP_ALIASES.get(knob, (knob,))[0] == "strategy.sleep":
        strategies = ["parallel"]
    chosen = _strategies(strategies, scenario)
    _check_rows(trials * len(chosen) * len(values))
    jobs = []
    for value in values:
        try:
            scen, strats = _apply(knob, float(value), scenario, chosen)
        except InputError as exc:
            raise InputError(
                "knob",
                f"cannot sweep {knob!r}: {exc.problem} (knobs: {', '.join(SWEEP_ALIASES)}, "
                "strategy.sleep, strategy.wait.timeout, or a scenario path such as "
                "timings.build.p95)",
            ) from None
        jobs += [
            _Job(scen, strats, seed, a, b, (knob, float(value)))
            for a, b in _chunks(trials, chunk_size)
        ]
    rows = _execute(jobs, executor, progress, trials * len(chosen) * len(values))
    return _frame(rows, ["knob", "value"])


def parse_range(text: str, field: str = "RANGE") -> list[float]:
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
