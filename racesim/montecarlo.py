"""Monte Carlo trials: sample histories from a scenario, simulate every strategy on each.

Every random number of trial ``i`` has an address, ``(seed, i, push, field)``, and comes from a
counter-based generator keyed by the seed (:mod:`racesim.sampling`), so a result never depends on
how trials are split into chunks, how many workers run them, or which executor does; and a sweep of
any knob leaves every other duration of every trial unchanged. Within a trial every strategy is
simulated on the same history (common random numbers), so differences between strategies are
paired. Results are a tidy DataFrame with one row per trial and strategy; every row carries ``seed``
and ``trial``, which is all :func:`trial_history` needs to rebuild the history behind it, and
``engine``, which says whether the vectorised fast path (:mod:`racesim.fastpath`) or the SimPy
engine decided it.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Collection, Iterable, Mapping, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass, replace
from functools import partial
from operator import attrgetter
from typing import Any, Literal

import numpy as np
import pandas as pd

from racesim.engine import simulate
from racesim.errors import InputError
from racesim.fastpath import fast_columns, fast_path_reason
from racesim.limits import (
    MAX_RESULT_ROWS,
    MAX_SWEEP_VALUES,
    MAX_TRIALS,
    check_count,
)
from racesim.model.history import DURATION_FIELDS, History
from racesim.outcome import Outcome
from racesim.scenarios.format import Scenario
from racesim.scenarios.sampled import SampledBlock, sample_block, trial_history
from racesim.strategies import Strategy, parse_strategy

__all__ = [
    "ENGINES",
    "METRICS",
    "SWEEP_ALIASES",
    "run_trials",
    "sweep",
    "trial_history",
]

Engine = Literal["auto", "fast", "simpy"]

#: what ``engine=`` accepts: ``auto`` takes the fast path where it applies, else SimPy
ENGINES: tuple[str, ...] = ("auto", "fast", "simpy")

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
_BOOL = frozenset({"stale", "final_correct", "regressed", "latest_correct"})
_FLOAT = frozenset(
    {"behind_s", "push_to_live_s", "min_pull_margin_s", "runner_s", "end_s", *_SAMPLED}
)
#: every computed column with its dtype: the same whichever engine decided a row
_DTYPES: dict[str, type] = {
    c: (np.bool_ if c in _BOOL else np.float64 if c in _FLOAT else np.int64)
    for c in (*METRICS, *_SAMPLED)
}


#: the sampled durations of a record, in DURATION_FIELDS order
_SAMPLED_VALUES = attrgetter(*DURATION_FIELDS)


def _metrics(out: Outcome, history: History, build_registry: str) -> tuple[Any, ...]:
    deploys = out.deploys
    margins = [d.pull_margin for d in deploys if d.pull_margin is not None]
    stale = out.stale_deploys
    lead = out.push_to_live[-1] if out.push_to_live else None
    return (
        history.commits,
        len(deploys),
        stale > 0,
        stale,
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
        *_SAMPLED_VALUES(history.pushes[0].durations),
    )


def _simulated(strategy: Strategy, history: History) -> tuple[Any, ...]:
    trace = simulate(strategy, history)
    return _metrics(trace.outcome, history, trace.build_registry)


@dataclass(frozen=True)
class _Job:
    """A chunk of trials of one scenario under some strategies, with fixed extra columns."""

    scenario: Scenario
    strategies: tuple[tuple[str, Strategy], ...]
    seed: int
    start: int
    stop: int
    engine: str = "simpy"
    extra: tuple[Any, ...] = ()
    columns: tuple[str, ...] | None = None


def _strategy_columns(
    strategy: Strategy,
    block: SampledBlock,
    fast: bool,
    histories: dict[int, History],
    keep: Collection[str],
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The computed columns of one strategy over a block, and the engine of each row.

    Simulated values are filled in only for the columns in `keep` (the others are not read).
    """
    n = block.size
    if fast:
        decided, undecided = fast_columns(strategy, block)
        engines = np.full(n, "fast", dtype=object)
        todo = np.flatnonzero(undecided).tolist()
        engines[todo] = "simpy"
        columns: dict[str, np.ndarray] = {
            c: np.asarray(decided[c], dtype=t) for c, t in _DTYPES.items()
        }
        if todo:
            columns = {c: a.copy() for c, a in columns.items()}
    else:
        columns = {c: np.empty(n, dtype=t) for c, t in _DTYPES.items()}
        engines = np.full(n, "simpy", dtype=object)
        todo = list(range(n))
    rows = []
    for i in todo:
        history = histories.get(i)
        if history is None:
            history = histories[i] = block.history(block.start + i)
        rows.append(_simulated(strategy, history))
    if rows:
        # one conversion per column rather than one numpy assignment per value
        for (name, dtype), values in zip(_DTYPES.items(), zip(*rows, strict=True), strict=True):
            if name in keep:
                columns[name][todo] = np.array(values, dtype=dtype)
    return columns, engines


def _run_job(job: _Job) -> dict[str, np.ndarray]:
    """The rows of one job as columns (numpy arrays), trial-major, strategies inner."""
    block = sample_block(job.scenario, job.seed, job.start, job.stop)
    n, k = block.size, len(job.strategies)
    fast = job.engine != "simpy"
    histories: dict[int, History] = {}
    keep = list(_DTYPES) if job.columns is None else [c for c in _DTYPES if c in job.columns]
    keep_set = frozenset(keep)
    out: dict[str, np.ndarray] = {c: np.empty(n * k, dtype=_DTYPES[c]) for c in keep}
    names = np.empty(n * k, dtype=object)
    engines = np.empty(n * k, dtype=object)
    for j, (name, strategy) in enumerate(job.strategies):
        columns, engine = _strategy_columns(strategy, block, fast, histories, keep_set)
        for c in keep:
            out[c][j::k] = columns[c]
        names[j::k] = name
        engines[j::k] = engine
    frame: dict[str, np.ndarray] = {}
    for label, value in zip(("knob", "value"), job.extra, strict=False):
        frame[label] = np.full(n * k, value, dtype=object if label == "knob" else np.float64)
    frame["seed"] = np.full(n * k, job.seed, dtype=np.int64)
    frame["trial"] = np.repeat(np.arange(job.start, job.stop, dtype=np.int64), k)
    frame["strategy"] = names
    frame["engine"] = engines
    frame.update(out)
    return frame


def _advance(bar: Any, n: int, _future: object) -> None:
    bar.update(n)


def _execute(
    jobs: list[_Job], executor: Executor | None, progress: bool, total: int
) -> pd.DataFrame:
    """Run `jobs` (in-process, or on `executor`) and place their rows in job order.

    Each job's rows are copied into the result's columns as soon as the job is done and then
    dropped, so the peak memory is the results plus one job's rows (not twice the results, as a
    concatenation at the end would need).
    """
    from tqdm.auto import tqdm

    sizes = [(job.stop - job.start) * len(job.strategies) for job in jobs]
    offsets = np.cumsum([0, *sizes])
    columns: dict[str, np.ndarray] = {}

    def place(i: int, frame: dict[str, np.ndarray]) -> None:
        if not columns:
            columns.update({c: np.empty(offsets[-1], dtype=a.dtype) for c, a in frame.items()})
        for c, a in frame.items():
            columns[c][offsets[i] : offsets[i + 1]] = a

    with tqdm(total=total, disable=not progress, unit="sim", desc="racesim", leave=False) as bar:
        if executor is None:
            for i, job in enumerate(jobs):
                place(i, _run_job(job))
                bar.update(sizes[i])
        else:
            pending: deque[Future[dict[str, np.ndarray]]] = deque()
            for job, size in zip(jobs, sizes, strict=True):
                future = executor.submit(_run_job, job)
                future.add_done_callback(partial(_advance, bar, size))
                pending.append(future)
            for i in range(len(jobs)):
                place(i, pending.popleft().result())
            bar.refresh()
    return pd.DataFrame(columns, copy=False)


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


def _check_run(trials: int, seed: int, chunk_size: int | None, engine: str = "auto") -> None:
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise InputError("trials", f"expected a whole number >= 1, got {trials!r}")
    check_count("trials", trials, MAX_TRIALS, "trials")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError("seed", f"expected a whole number >= 0, got {seed!r}")
    if chunk_size is not None and (
        isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1
    ):
        raise InputError("chunk_size", f"expected a whole number >= 1, got {chunk_size!r}")
    if engine not in ENGINES:
        raise InputError("engine", f"expected one of {', '.join(ENGINES)}, got {engine!r}")


def _check_rows(rows: int) -> None:
    if rows > MAX_RESULT_ROWS:
        raise InputError(
            "trials",
            f"{rows:,} result rows (trials x strategies x values) is beyond racesim's limit of "
            f"{MAX_RESULT_ROWS:,}; run fewer trials, strategies or values at a time",
        )


def _engine_for(scenario: Scenario, engine: str) -> str:
    """``fast`` or ``simpy`` for `scenario`; ``engine="fast"`` fails where the fast path cannot."""
    if engine == "simpy":
        return "simpy"
    reason = fast_path_reason(scenario)
    if reason is None:
        return "fast"
    if engine == "fast":
        raise InputError(
            "engine",
            f"the fast path cannot decide scenario {scenario.name!r}: {reason}; "
            "use engine='auto' or 'simpy'",
        )
    return "simpy"


def _chunks(trials: int, chunk_size: int | None, engine: str = "simpy") -> list[tuple[int, int]]:
    if chunk_size is None:
        most = 200_000 if engine == "fast" else 1000
        chunk_size = max(25, min(most, math.ceil(trials / 16)))
    return [(a, min(a + chunk_size, trials)) for a in range(0, trials, chunk_size)]


def _frame(frame: pd.DataFrame, extra: Sequence[str]) -> pd.DataFrame:
    if not extra:
        return frame
    return frame.sort_values([*extra[:1], "trial"], kind="stable", ignore_index=True)


def run_trials(
    scenario: Scenario,
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
    """Simulate `trials` sampled histories of `scenario` under each strategy.

    Args:
        scenario: what to sample.
        strategies: preset names or Strategy values, or a mapping label -> name or value
            (default: the scenario's list). A Strategy value's label (the ``strategy``
            column) is its :meth:`~racesim.Strategy.describe`; labels must be unique.
        trials: number of sampled histories.
        seed: the run's seed; every random number of trial ``i`` has an address under it (see
            :mod:`racesim.sampling`).
        executor: any ``concurrent.futures.Executor`` (a process pool, a Dask client's
            ``get_executor()``); ``None`` runs in this process.
        chunk_size: trials per task given to the executor (results do not depend on it).
        progress: show a progress bar (``tqdm.auto``).
        engine: ``"auto"`` (the vectorised fast path where it applies, else SimPy), ``"fast"``
            (fail if it does not apply) or ``"simpy"`` (the reference engine for every trial).
            Both give the same values trial by trial; the ``engine`` column says which ran.
        columns: keep only these computed columns (saves memory on very large runs); ``None``
            keeps them all. ``seed``, ``trial``, ``strategy`` and ``engine`` are always kept.

    Returns:
        One row per trial and strategy, in trial order: ``seed``, ``trial``, ``strategy``,
        ``engine``, the columns of :data:`METRICS`, and the first push's sampled durations
        (``sampled_<step>``).
    """
    _check_run(trials, seed, chunk_size, engine)
    chosen = _strategies(strategies, scenario)
    _check_rows(trials * len(chosen))
    kind = _engine_for(scenario, engine)
    keep = None if columns is None else tuple(columns)
    jobs = [
        _Job(scenario, chosen, seed, a, b, kind, (), keep)
        for a, b in _chunks(trials, chunk_size, kind)
    ]
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
    _check_run(trials, seed, chunk_size, engine)
    values = list(values)
    if not values:
        raise InputError("values", "expected at least one value to sweep")
    check_count("values", len(values), MAX_SWEEP_VALUES, "sweep values")
    chosen = _swept_strategies(knob, strategies, scenario)
    _check_rows(trials * len(chosen) * len(values))
    keep = None if columns is None else tuple(columns)
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
        kind = _engine_for(scen, engine)
        jobs += [
            _Job(scen, strats, seed, a, b, kind, (knob, float(value)), keep)
            for a, b in _chunks(trials, chunk_size, kind)
        ]
    frame = _execute(jobs, executor, progress, trials * len(chosen) * len(values))
    return _frame(frame, ["knob", "value"])


def _swept_strategies(
    knob: str, strategies: Strategies | None, scenario: Scenario
) -> tuple[tuple[str, Strategy], ...]:
    """The labelled strategies a sweep of `knob` runs: `strategies`, or by default the
    scenario's, except ``parallel`` alone for a sleep sweep (the incident plan's Option 4)."""
    if strategies is None and SWEEP_ALIASES.get(knob, (knob,))[0] == "strategy.sleep":
        strategies = ["parallel"]
    return _strategies(strategies, scenario)


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
