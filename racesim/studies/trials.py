"""Monte Carlo trials: sample histories from a scenario, simulate every strategy on each.

Every random number of trial ``i`` has an address, ``(seed, i, push, field)``, and comes from a
counter-based generator keyed by the seed (:mod:`~racesim.studies.sampling`), so a result never
depends on how trials are split into chunks, how many workers run them, or which executor does; and
a sweep of any knob leaves every other duration of every trial unchanged. Within a trial every
strategy is simulated on the same history (common random numbers), so differences between strategies
are paired. Results are a tidy DataFrame with one row per trial and strategy; every row carries
``seed`` and ``trial``, which is all :func:`trial_history` needs to rebuild the history behind it,
and ``engine``, which says whether the vectorised fast path (:mod:`~racesim.studies.fastpath`) or
the SimPy engine decided it.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Collection, Iterable, Mapping, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from functools import partial
from operator import attrgetter
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd

from racesim.core.history import DURATION_FIELDS, History
from racesim.core.outcome import Outcome
from racesim.core.strategy import Strategy, parse_strategy
from racesim.engine.simulation import simulate
from racesim.errors import InputError
from racesim.limits import (
    MAX_RESULT_ROWS,
    MAX_SIMULATIONS,
    MAX_STREAMED_TRIALS,
    MAX_TRIALS,
    check_count,
)
from racesim.scenarios.format import Scenario
from racesim.studies.fastpath import fast_columns, fast_path_reason
from racesim.studies.sampled import SampledBlock, sample_block, trial_history
from racesim.studies.summary import SUMMARY_COLUMNS, SummaryTally, check_confidence

__all__ = [
    "ENGINES",
    "METRICS",
    "run_trials",
    "summarize_trials",
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


class TrialMetrics(NamedTuple):
    """The computed columns of one trial under one strategy (:data:`METRICS`, same order).

    `sampled` holds the first push's sampled durations in :data:`DURATION_FIELDS` order (the
    ``sampled_<step>`` columns).
    """

    pushes: int
    deploys: int
    stale: bool
    stale_deploys: int
    identity_errors: int
    failed_deploys: int
    skipped_deploys: int
    final_live: int
    newest_built: int
    final_correct: bool
    regressions: int
    regressed: bool
    never_deployed: int
    behind_s: float
    push_to_live_s: float
    min_pull_margin_s: float
    latest_correct: bool
    runner_s: float
    cancelled_runs: int
    end_s: float
    sampled: tuple[float, ...]


_BOOL = frozenset({"stale", "final_correct", "regressed", "latest_correct"})
_FLOAT = frozenset(
    {"behind_s", "push_to_live_s", "min_pull_margin_s", "runner_s", "end_s", *_SAMPLED}
)
#: every computed column with its dtype: the same whichever engine decided a row
COLUMN_DTYPES: dict[str, type] = {
    c: (np.bool_ if c in _BOOL else np.float64 if c in _FLOAT else np.int64)
    for c in (*METRICS, *_SAMPLED)
}


#: the sampled durations of a record, in DURATION_FIELDS order
_SAMPLED_VALUES = attrgetter(*DURATION_FIELDS)


def metric_columns(
    rows: Sequence[TrialMetrics], keep: Collection[str] | None = None
) -> dict[str, np.ndarray]:
    """The result columns of `rows` as arrays of their :data:`COLUMN_DTYPES` (`keep`'s only)."""
    if not rows:
        return {
            c: np.empty(0, dtype=t) for c, t in COLUMN_DTYPES.items() if keep is None or c in keep
        }
    # one conversion per column rather than one numpy assignment per value
    *metrics, sampled = zip(*rows, strict=True)
    values = [*metrics, *zip(*sampled, strict=True)]
    return {
        name: np.array(column, dtype=dtype)
        for (name, dtype), column in zip(COLUMN_DTYPES.items(), values, strict=True)
        if keep is None or name in keep
    }


def trial_metrics(out: Outcome, history: History, build_registry: str) -> TrialMetrics:
    """The result columns of one simulated trial, from its outcome."""
    deploys = out.deploys
    margins = [d.pull_margin for d in deploys if d.pull_margin is not None]
    stale = out.stale_deploys
    lead = out.push_to_live[-1] if out.push_to_live else None
    # positional (the keyword call costs about 2 us a trial); tests/test_montecarlo.py checks
    # every field by name
    return TrialMetrics(
        history.commits,  # pushes
        len(deploys),  # deploys
        stale > 0,  # stale
        stale,  # stale_deploys
        out.identity_errors,  # identity_errors
        sum(d.status == "failed" for d in deploys),  # failed_deploys
        out.skipped_deploys,  # skipped_deploys
        out.final_live,  # final_live
        out.newest_built,  # newest_built
        out.final_correct,  # final_correct
        out.regressions,  # regressions
        out.regressions > 0,  # regressed
        len(out.never_deployed),  # never_deployed
        out.behind_s,  # behind_s
        math.nan if lead is None else lead,  # push_to_live_s
        min(margins) if margins else math.nan,  # min_pull_margin_s
        out.latest_at_end[build_registry] == out.newest_built,  # latest_correct
        out.runner_s,  # runner_s
        out.cancelled_runs,  # cancelled_runs
        out.end_time,  # end_s
        _SAMPLED_VALUES(history.pushes[0].durations),  # sampled
    )


def _simulated(strategy: Strategy, history: History) -> TrialMetrics:
    trace = simulate(strategy, history)
    return trial_metrics(trace.outcome, history, trace.build_registry)


@dataclass(frozen=True)
class TrialChunk:
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
    with_engines: bool = True,
) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
    """The computed columns of one strategy over a block, and the engine of each row.

    Simulated values are filled in only for the columns in `keep` (the others are not read).
    The engines are ``None`` unless `with_engines`.
    """
    n = block.size
    engines: np.ndarray | None = None
    if fast:
        decided, undecided = fast_columns(strategy, block)
        todo = np.flatnonzero(undecided).tolist()
        if with_engines:
            engines = np.full(n, "fast", dtype=object)
            engines[todo] = "simpy"
        columns: dict[str, np.ndarray] = {
            c: np.asarray(decided[c], dtype=t) for c, t in COLUMN_DTYPES.items() if c in keep
        }
        if todo:
            columns = {c: a.copy() for c, a in columns.items()}
    else:
        columns = {c: np.empty(n, dtype=t) for c, t in COLUMN_DTYPES.items() if c in keep}
        if with_engines:
            engines = np.full(n, "simpy", dtype=object)
        todo = list(range(n))
    rows: list[TrialMetrics] = []
    for i in todo:
        history = histories.get(i)
        if history is None:
            history = histories[i] = block.history(block.start + i)
        rows.append(_simulated(strategy, history))
    if rows:
        for name, column in metric_columns(rows, keep).items():
            columns[name][todo] = column
    return columns, engines


def _run_job(job: TrialChunk) -> dict[str, np.ndarray]:
    """The rows of one job as columns (numpy arrays), trial-major, strategies inner."""
    block = sample_block(job.scenario, job.seed, job.start, job.stop)
    n, k = block.size, len(job.strategies)
    fast = job.engine != "simpy"
    histories: dict[int, History] = {}
    keep = (
        list(COLUMN_DTYPES)
        if job.columns is None
        else [c for c in COLUMN_DTYPES if c in job.columns]
    )
    keep_set = frozenset(keep)
    out: dict[str, np.ndarray] = {c: np.empty(n * k, dtype=COLUMN_DTYPES[c]) for c in keep}
    names = np.empty(n * k, dtype=object)
    engines = np.empty(n * k, dtype=object)
    for j, (name, strategy) in enumerate(job.strategies):
        columns, engine = _strategy_columns(
            strategy, block, fast and _fast_for(job.scenario, strategy), histories, keep_set
        )
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


def execute(
    jobs: list[TrialChunk], executor: Executor | None, progress: bool, total: int
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


def chosen_strategies(
    specs: Strategies | None, scenario: Scenario
) -> tuple[tuple[str, Strategy], ...]:
    return label_strategies(scenario.strategies if specs is None else specs)


def check_run(
    trials: int,
    seed: int,
    chunk_size: int | None,
    engine: str = "auto",
    most: int = MAX_TRIALS,
) -> None:
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise InputError("trials", f"expected a whole number >= 1, got {trials!r}")
    check_count("trials", trials, most, "trials")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError("seed", f"expected a whole number >= 0, got {seed!r}")
    if chunk_size is not None and (
        isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1
    ):
        raise InputError("chunk_size", f"expected a whole number >= 1, got {chunk_size!r}")
    if engine not in ENGINES:
        raise InputError("engine", f"expected one of {', '.join(ENGINES)}, got {engine!r}")


def check_rows(rows: int) -> None:
    if rows > MAX_RESULT_ROWS:
        raise InputError(
            "trials",
            f"{rows:,} result rows (trials x strategies x values) is beyond racesim's limit of "
            f"{MAX_RESULT_ROWS:,}; run fewer trials, strategies or values at a time",
        )


def check_simulations(simulations: int) -> None:
    """Refuse a run that keeps only its summary but would simulate beyond the limit."""
    if simulations > MAX_SIMULATIONS:
        raise InputError(
            "trials",
            f"{simulations:,} simulations (trials x strategies x values) is beyond racesim's "
            f"limit of {MAX_SIMULATIONS:,}; run fewer trials, strategies or values at a time",
        )


def _fast_for(scenario: Scenario, strategy: Strategy) -> bool:
    """The fast path decides `scenario`'s trials under `strategy` (else SimPy does)."""
    return fast_path_reason(scenario, strategy) is None


def engine_for(
    scenario: Scenario, engine: str, strategies: Iterable[tuple[str, Strategy]] = ()
) -> str:
    """``fast`` or ``simpy`` for `scenario`; ``engine="fast"`` fails where the fast path cannot
    decide the scenario or one of `strategies` (with ``auto``, those run on SimPy)."""
    if engine == "simpy":
        return "simpy"
    reason = fast_path_reason(scenario)
    if reason is None and engine == "fast":
        for label, strategy in strategies:
            why = fast_path_reason(scenario, strategy)
            if why is not None:
                reason = f"strategy {label!r} has {why}"
                break
    if reason is None:
        return "fast"
    if engine == "fast":
        raise InputError(
            "engine",
            f"the fast path cannot decide scenario {scenario.name!r}: {reason}; "
            "use engine='auto' or 'simpy'",
        )
    return "simpy"


#: most trials per default chunk of a run that keeps only its summary on the fast path (its
#: working memory, about 0.5 KiB a trial, is then a few tens of MiB)
STREAMED_FAST_CHUNK = 50_000


def chunk_bounds(
    trials: int, chunk_size: int | None, engine: str = "simpy", fast_most: int = 200_000
) -> list[tuple[int, int]]:
    if chunk_size is None:
        most = fast_most if engine == "fast" else 1000
        chunk_size = max(25, min(most, math.ceil(trials / 16)))
    return [(a, min(a + chunk_size, trials)) for a in range(0, trials, chunk_size)]


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
            :mod:`racesim.studies.sampling`).
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
    check_run(trials, seed, chunk_size, engine)
    chosen = chosen_strategies(strategies, scenario)
    check_rows(trials * len(chosen))
    kind = engine_for(scenario, engine, chosen)
    keep = None if columns is None else tuple(columns)
    jobs = [
        TrialChunk(scenario, chosen, seed, a, b, kind, (), keep)
        for a, b in chunk_bounds(trials, chunk_size, kind)
    ]
    return execute(jobs, executor, progress, trials * len(chosen))


def _tally_job(job: TrialChunk, exact_quantiles: bool) -> SummaryTally:
    """The summary tally of one job: per strategy, keyed by ``(*job.extra, label)``."""
    block = sample_block(job.scenario, job.seed, job.start, job.stop)
    keys = ("knob", "value", "strategy")[-len(job.extra) - 1 :]
    tally = SummaryTally(keys, exact_quantiles=exact_quantiles)
    histories: dict[int, History] = {}
    keep = frozenset(SUMMARY_COLUMNS)
    for label, strategy in job.strategies:
        fast = job.engine != "simpy" and _fast_for(job.scenario, strategy)
        columns, _ = _strategy_columns(strategy, block, fast, histories, keep, with_engines=False)
        tally.add((*job.extra, label), columns)
    return tally


#: most jobs of :func:`tally` submitted and not yet merged (bounds the tallies held at once)
_IN_FLIGHT = 64


def tally(
    jobs: list[TrialChunk],
    keys: Sequence[str],
    executor: Executor | None,
    progress: bool,
    total: int,
) -> SummaryTally:
    """Run `jobs` (in-process, or on `executor`) into one summary tally, keeping no rows.

    Each job's tally is merged as soon as it is its turn (job order, so groups keep the order
    of the rows :func:`execute` would give) and then dropped. A run of at most
    :data:`~racesim.limits.MAX_RESULT_ROWS` simulations (one that could keep its rows) keeps
    every push-to-live value, 8 bytes each, for exact quantiles; a larger one bins them
    (:class:`~racesim.studies.summary.LeadTimes`).
    """
    from tqdm.auto import tqdm

    exact = total <= MAX_RESULT_ROWS
    out = SummaryTally(keys, exact_quantiles=exact)
    sizes = [(job.stop - job.start) * len(job.strategies) for job in jobs]
    with tqdm(total=total, disable=not progress, unit="sim", desc="racesim", leave=False) as bar:
        if executor is None:
            for job, size in zip(jobs, sizes, strict=True):
                out.merge(_tally_job(job, exact))
                bar.update(size)
        else:
            pending: deque[Future[SummaryTally]] = deque()
            for job, size in zip(jobs, sizes, strict=True):
                if len(pending) >= _IN_FLIGHT:  # finished tallies wait for their turn
                    out.merge(pending.popleft().result())
                future = executor.submit(_tally_job, job, exact)
                future.add_done_callback(partial(_advance, bar, size))
                pending.append(future)
            while pending:
                out.merge(pending.popleft().result())
            bar.refresh()
    return out


def summarize_trials(
    scenario: Scenario,
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
    """``summarize(run_trials(...))`` without keeping the rows: memory does not grow with trials.

    The arguments are those of :func:`run_trials` (same trials, same seeds) and `confidence` that
    of :func:`~racesim.studies.summary.summarize`; up to
    :data:`~racesim.limits.MAX_STREAMED_TRIALS` trials and
    :data:`~racesim.limits.MAX_SIMULATIONS` trials x strategies. Each chunk of trials is reduced
    to a :class:`~racesim.studies.summary.SummaryTally` (counts, exact sums, push-to-live values)
    as soon as it is simulated. Counts, rates and means equal ``summarize(run_trials(...))``
    exactly; so do the push-to-live quantiles for runs of at most
    :data:`~racesim.limits.MAX_RESULT_ROWS` trials x strategies (the runs
    :func:`run_trials` accepts), while larger runs give them within ``2**-15`` relative
    (:data:`~racesim.studies.summary.SKETCH_BITS`). None of it depends on `chunk_size` or the
    executor.
    """
    check_run(trials, seed, chunk_size, engine, MAX_STREAMED_TRIALS)
    check_confidence(confidence)
    chosen = chosen_strategies(strategies, scenario)
    check_simulations(trials * len(chosen))
    kind = engine_for(scenario, engine, chosen)
    jobs = [
        TrialChunk(scenario, chosen, seed, a, b, kind, (), SUMMARY_COLUMNS)
        for a, b in chunk_bounds(trials, chunk_size, kind, STREAMED_FAST_CHUNK)
    ]
    return tally(jobs, ("strategy",), executor, progress, trials * len(chosen)).summary(
        confidence=confidence
    )
