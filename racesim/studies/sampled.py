"""A block of trials of a scenario, sampled as arrays from addressed random numbers.

:func:`sample_block` draws trials ``start .. stop - 1`` of a scenario under a seed: push times,
every push's durations field by field, re-runs and dispatches, each field one numpy array over the
block (see :mod:`racesim.studies.sampling` for the addresses). The fast path reads the arrays
directly; the SimPy engine gets one :class:`~racesim.History` per trial from
:meth:`SampledBlock.history`. Trial ``i``'s history is the same whichever block it is drawn in.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray

from racesim.core.history import DURATION_FIELDS, Dispatch, Durations, History, Push, Rerun
from racesim.errors import InputError
from racesim.scenarios.format import Scenario
from racesim.scenarios.schedules import Burst, Explicit, Poisson, PushSchedule, Single
from racesim.scenarios.timing import Distribution
from racesim.studies.sampling import DISPATCH, PUSH, RERUN, Draws, exponential, quantiles

__all__ = ["SampledBlock", "sample_block", "trial_history"]

Floats = NDArray[np.float64]
#: one record of durations as arrays over a block: every duration field and ``build_fails``
Columns = dict[str, NDArray[Any]]


@dataclass(frozen=True)
class SampledBlock:
    """Trials ``start .. stop - 1`` of one scenario under one seed, as arrays.

    Attributes:
        times: push times, shape ``(trials, most pushes)``; NaN past a trial's last push.
        counts: pushes per trial.
        pushes: per push (0-based), its durations as arrays over the block.
        reruns: per re-run of the scenario, ``(commit, time, durations)``.
        dispatches: per dispatch of the scenario, ``(time, durations)``.
    """

    seed: int
    start: int
    stop: int
    times: Floats
    counts: NDArray[np.int64]
    pushes: tuple[Columns, ...]
    reruns: tuple[tuple[int, Floats, Columns], ...]
    dispatches: tuple[tuple[Floats, Columns], ...]

    @property
    def size(self) -> int:
        """Number of trials in the block."""
        return self.stop - self.start

    def history(self, trial: int) -> History:
        """The history of trial `trial` (an absolute trial number inside the block)."""
        i = trial - self.start
        if not 0 <= i < self.size:
            raise InputError("trial", f"expected a trial in {self.start}..{self.stop - 1}")
        times, counts, pushes, reruns, dispatches = self._lists
        count = counts[i]
        row = times[i]
        made = tuple([Push(row[k], _record(pushes[k], i)) for k in range(count)])
        # most scenarios have neither re-runs nor dispatches: skip building empty tuples
        rerun_made = (
            tuple(
                [
                    Rerun(max(t[i], made[commit - 1].time), commit, _record(d, i))
                    for commit, t, d in reruns
                    if commit <= count
                ]
            )
            if reruns
            else ()
        )
        dispatch_made = (
            tuple([Dispatch(t[i], _record(d, i)) for t, d in dispatches]) if dispatches else ()
        )
        return History(made, rerun_made, dispatch_made)

    @cached_property
    def _lists(self) -> _Lists:
        """Every array as Python lists: one conversion per block rather than one per value.

        ``tolist`` gives the same Python floats and bools as ``float()`` and ``.item()``.
        """
        return (
            self.times.tolist(),
            self.counts.tolist(),
            tuple(_record_lists(c) for c in self.pushes),
            tuple((commit, t.tolist(), _record_lists(d)) for commit, t, d in self.reruns),
            tuple((t.tolist(), _record_lists(d)) for t, d in self.dispatches),
        )


#: the fields of :class:`Durations` in its positional order
_RECORD_FIELDS = (*DURATION_FIELDS, "build_fails")
#: a record's columns as lists, in :data:`_RECORD_FIELDS` order
_RecordLists = tuple[list[Any], ...]
#: :attr:`SampledBlock._lists`: times, counts, pushes, re-runs and dispatches as lists
_Lists = tuple[
    list[list[float]],
    list[int],
    tuple[_RecordLists, ...],
    tuple[tuple[int, list[float], _RecordLists], ...],
    tuple[tuple[list[float], _RecordLists], ...],
]


def _record_lists(columns: Columns) -> _RecordLists:
    return tuple(columns[name].tolist() for name in _RECORD_FIELDS)


def _record(lists: _RecordLists, i: int) -> Durations:
    return Durations(*[values[i] for values in lists])


def _columns(scenario: Scenario, draws: Draws, index: int, kind: int, push: int = 0) -> Columns:
    """One durations record per trial: every field from its own address, then the failure coin."""
    override = scenario.overrides.get(push, {})
    out: Columns = {}
    for name in DURATION_FIELDS:
        dist = override.get(name, scenario.timings[name])
        assert isinstance(dist, Distribution)
        out[name] = quantiles(dist, draws.uniform(name, index, kind))
    p = float(override.get("build_failure", scenario.build_failure))  # type: ignore[arg-type]
    if p > 0:
        out["build_fails"] = draws.uniform("build_fails", index, kind) < p
    else:
        out["build_fails"] = np.zeros(draws.size, dtype=np.bool_)
    return out


def _push_times(schedule: PushSchedule, draws: Draws) -> tuple[Floats, NDArray[np.int64]]:
    n = draws.size
    if isinstance(schedule, Single):
        return np.zeros((n, 1)), np.ones(n, dtype=np.int64)
    if isinstance(schedule, Explicit):
        offsets = np.asarray(schedule.offsets, dtype=np.float64)
        return np.tile(offsets, (n, 1)), np.full(n, len(offsets), dtype=np.int64)
    if isinstance(schedule, Burst):
        gaps = [np.zeros(n)]
        gaps += [
            quantiles(schedule.gap, draws.uniform("time", k)) for k in range(1, schedule.count)
        ]
        return np.cumsum(np.stack(gaps, axis=1), axis=1), np.full(n, schedule.count, dtype=np.int64)
    if isinstance(schedule, Poisson):
        scale = 3600.0 / schedule.rate_per_hour
        columns = [np.zeros(n)]
        counts = np.ones(n, dtype=np.int64)
        alive = np.ones(n, dtype=np.bool_)
        k = 1
        while alive.any():
            t = columns[-1] + exponential(scale, draws.uniform("time", k))
            alive &= t <= schedule.window
            counts += alive
            columns.append(np.where(alive, t, np.nan))
            k += 1
        return np.stack(columns[:-1], axis=1), counts
    raise InputError("pushes", f"cannot sample a {type(schedule).__name__} schedule")


def sample_block(scenario: Scenario, seed: int, start: int, stop: int) -> SampledBlock:
    """Sample trials ``start .. stop - 1`` of `scenario` under `seed` (see the module doc)."""
    draws = Draws(seed, start, stop)
    times, counts = _push_times(scenario.pushes, draws)
    pushes = tuple(_columns(scenario, draws, k, PUSH, push=k + 1) for k in range(times.shape[1]))
    reruns = tuple(
        (
            spec.commit,
            quantiles(spec.time, draws.uniform("time", j, RERUN)),
            _columns(scenario, draws, j, RERUN),
        )
        for j, spec in enumerate(scenario.reruns)
    )
    dispatches = tuple(
        (quantiles(d, draws.uniform("time", j, DISPATCH)), _columns(scenario, draws, j, DISPATCH))
        for j, d in enumerate(scenario.dispatches)
    )
    return SampledBlock(seed, start, stop, times, counts, pushes, reruns, dispatches)


def trial_history(scenario: Scenario, seed: int, trial: int) -> History:
    """The history of trial `trial` of a run with `seed`: replay any row of the results."""
    return sample_block(scenario, seed, trial, trial + 1).history(trial)
