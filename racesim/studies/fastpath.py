"""The vectorised fast path: one-push histories decided in closed form, a block of trials at once.

With one push there is one build run and at most one deploy run, so no concurrency group can be
contended, no guard can block (nothing newer exists), and every time is a sum of durations. This
module computes, with numpy and no per-trial Python, the same result columns as the SimPy engine
followed by :func:`~racesim.core.outcome.assess`, down to the last bit: every time is accumulated in
the engine's order of additions, and every tie follows the registry's rule (a read at a write's
visibility instant sees it).

What it decides (the allow-list, checked by :func:`fast_path_reason`):

- a scenario with exactly one push per trial (``single``, a one-entry ``list``, a ``burst`` of
  1), no re-runs and no dispatches;
- any strategy: every trigger, gate, reference, sleep, wait (interval and timeout), guard,
  publish guard, mirror, direct push, build and deploy concurrency groups; failed builds.

Histories of several pushes are decided by :mod:`racesim.studies.fastmulti`, which
:func:`fast_columns` calls for blocks of more than one push column; :func:`fast_path_reason`
checks both allow-lists, :func:`one_push_reason` only this module's (what the exact one-push
answers of :mod:`racesim.studies.exact` need).

Anything else is left to the SimPy engine. Inside a block, :func:`fast_columns` also returns the
trials it leaves undecided: those where the build's write becomes visible at the very instant a
settle phase of the build (publish guard or group admission, only possible with zero durations)
races the deploy's read; :func:`racesim.studies.trials.run_trials` simulates those with SimPy.
``tests/test_fastpath.py`` proves trial-by-trial equality with the engine.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from racesim.core.history import DURATION_FIELDS
from racesim.core.strategy import Strategy
from racesim.errors import InputError
from racesim.scenarios.format import Scenario
from racesim.scenarios.schedules import Burst, Explicit, Single
from racesim.studies.fastmulti import multi_columns, multi_path_reason
from racesim.studies.sampled import Columns, SampledBlock

__all__ = ["fast_columns", "fast_path_reason", "one_push_reason"]

Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]


def fast_path_reason(scenario: Scenario, strategy: Strategy | None = None) -> str | None:
    """Why the fast path cannot decide `scenario`'s trials (under `strategy`, if given), or
    ``None`` if it can: one push under any strategy, or several under the multi-push path's
    allow-list (:func:`~racesim.studies.fastmulti.multi_path_reason`)."""
    if one_push_reason(scenario) is None or strategy is None:
        return None  # the multi-push path takes any scenario, so only a strategy can refuse
    return multi_path_reason(strategy)


def one_push_reason(scenario: Scenario) -> str | None:
    """Why `scenario` is not a one-push scenario without re-runs and dispatches, or ``None``."""
    schedule = scenario.pushes
    single = (
        isinstance(schedule, Single)
        or (isinstance(schedule, Explicit) and len(schedule.offsets) == 1)
        or (isinstance(schedule, Burst) and schedule.count == 1)
    )
    if not single:
        return f"the {schedule.kind} push schedule may push more than once"
    if scenario.reruns:
        return "the scenario re-runs builds"
    if scenario.dispatches:
        return "the scenario dispatches deploys by hand"
    return None


def fast_columns(strategy: Strategy, block: SampledBlock) -> tuple[dict[str, NDArray[Any]], Bools]:
    """The result columns (``METRICS`` and ``sampled_<field>``) of every trial of `block`.

    Returns the columns and a mask of the trials the fast path leaves undecided (their values
    in the columns are meaningless). `block` must come from a scenario that passes
    :func:`fast_path_reason` under `strategy`. Columns may share memory with each other and
    with `block`: treat them as read-only.
    """
    if block.times.shape[1] > 1 or block.reruns or block.dispatches:
        return multi_columns(strategy, block)
    times = block.times[:, 0]
    t0 = float(times[0]) if len(times) else 0.0
    if not (times == t0).all():  # a one-push schedule pushes at the same offset in every trial
        raise InputError("pushes", "the fast path needs the same push time in every trial")
    return _decide(strategy, block.pushes[0], t0)


def _and(a: Bools | None, b: Bools | None) -> Bools | None:
    """Conjunction of two masks, where ``None`` stands for "every trial"."""
    if a is None:
        return b
    return a if b is None else a & b


def _where(mask: Bools | None, a: Floats, b: Floats) -> Floats:
    """``np.where`` with ``None`` for an all-true mask (no pass over the data)."""
    return a if mask is None else np.where(mask, a, b)


def _decide(s: Strategy, columns: Columns, t0: float) -> tuple[dict[str, NDArray[Any]], Bools]:
    """The columns of one push at `t0` with durations `columns` (see :func:`fast_columns`).

    Commits are the baseline (0) and the pushed one (1). Masks set to ``None`` hold for every
    trial: the strategy alone decides them, and skipping them is most of the speed.
    """
    fails = np.asarray(columns["build_fails"], dtype=np.bool_)
    n = len(fails)
    ok = ~fails
    d: dict[str, Floats] = {name: np.asarray(columns[name], np.float64) for name in DURATION_FIELDS}
    lag, deploy_lag = d["registry_lag"], d["deploy_registry_lag"]
    latest = s.reference == "latest"

    # -- the build job: pickup, build, push (+ direct push), verify ----------------------------
    # every time is accumulated in the engine's order of additions, so ties are the engine's
    started = d["build_pickup"] + t0 if t0 else d["build_pickup"]
    built = started + d["build"]
    pushed = built + d["push"]
    visible = pushed + lag  # build registry
    if s.direct:
        verify_from = pushed + d["mirror"]
        source_visible = verify_from + deploy_lag  # deploy registry, where the deploy reads
        shown = np.maximum(visible, source_visible)
    else:
        verify_from = shown = pushed
        source_visible = visible
    build_end = np.where(ok, verify_from + d["build_verify"], built)
    runner = build_end - started
    end = np.where(ok, np.maximum(build_end, np.maximum(shown, visible)), build_end)

    # -- does a deploy job run (runs), and when does it start ---------------------------------
    runs: Bools | None = None
    skipped: NDArray[np.int64] | int = 0
    if s.trigger == "push":
        start = d["deploy_pickup"] + t0 if t0 else d["deploy_pickup"]
    elif s.trigger == "workflow_run":
        created = build_end + d["dispatch"]
        end = np.maximum(end, created)
        runs = ok if s.gate else None
        start = created + d["deploy_pickup"]
    elif s.trigger == "needs":
        runs = ok
        start = build_end + d["deploy_pickup"]
    else:
        runs = np.zeros(n, dtype=np.bool_)
        start = np.zeros(n)
    if s.trigger in ("workflow_run", "needs"):
        skipped = fails.astype(np.int64) if runs is ok else 0

    # -- the deploy job: prepare, sleep or wait, pull, mirror, roll out, verify ----------------
    pull = start + d["prepare"]
    if s.sleep > 0:
        pull = pull + s.sleep
    reached = runs  # the deploy gets as far as its pull
    if s.wait is not None:
        pull, found = _wait(pull, ok, source_visible, s.wait.interval, s.wait.timeout)
        reached = _and(reached, found)
    seen = ok & (source_visible <= pull)  # the source shows the pushed commit at the pull
    # the pull succeeds if a manifest is found: `latest` always has one (maybe the baseline's)
    got = reached if latest else _and(reached, seen)
    # every deploy that gets to its pull has a pull time, found or not; the margin needs the
    # meant image to show up at some time
    margin = np.where(ok if reached is None else reached & ok, pull - source_visible, np.nan)
    if s.mirror:
        resolve = pull + d["mirror"]
        mirrored = resolve + deploy_lag  # when other jobs see the mirror's push
        # the deploy resolves what it mirrored: it sees its own write at once
        new = seen
        end = _where(got, np.maximum(end, mirrored), end)
        failed_at = _where(got, resolve, pull)  # a failed pull or resolve ends the job there
    else:
        resolve = failed_at = pull
        new = seen
    new = new if reached is None else new & reached  # the pushed commit went live
    rolled = got if latest else new  # the deploy rolled something out
    live_at = resolve + d["rollout"]
    deploy_end = _where(rolled, live_at + d["deploy_verify"], failed_at)
    runner = _where(runs, runner + (deploy_end - start), runner)
    end = _where(runs, np.maximum(end, deploy_end), end)

    # -- verdicts ------------------------------------------------------------------------------
    # a pinned reference fails instead of going stale
    stale = (~new if reached is None else reached & ~new) if latest else np.zeros(n, np.bool_)
    late = live_at - visible
    rolled_late = late > 0 if rolled is None else rolled & (late > 0)
    behind = np.where(
        new,
        np.maximum(late, 0.0),  # with separate lags, the deploy registry may show it first
        np.where(
            rolled_late, late + np.maximum(end - live_at, 0.0), np.maximum(end - visible, 0.0)
        ),
    )
    np.copyto(behind, 0.0, where=fails)  # nothing newer than the baseline exists

    undecided = np.zeros(n, dtype=np.bool_)
    if s.trigger == "push":
        if s.publish_guard:
            undecided |= ok & (source_visible == started)
            # the guard's check adds a step boundary before the push: a read at the very
            # instant the push becomes visible may come before or after it within that instant
            undecided |= ok & (pull == source_visible)
        if s.build_concurrency is not None:
            undecided |= ok & (source_visible == t0)

    zeros = np.zeros(n, dtype=np.int64)
    if rolled is None:
        failed = zeros
    else:
        failed = (~rolled if runs is None else runs & ~rolled).astype(np.int64)
    stale_count = stale.astype(np.int64)
    out: dict[str, NDArray[Any]] = {
        "pushes": np.ones(n, dtype=np.int64),
        "deploys": np.ones(n, dtype=np.int64) if runs is None else runs.astype(np.int64),
        "stale": stale,
        "stale_deploys": stale_count,
        "identity_errors": stale_count,
        "failed_deploys": failed,
        "skipped_deploys": np.broadcast_to(np.asarray(skipped, dtype=np.int64), (n,)),
        "final_live": new.astype(np.int64),
        "newest_built": ok.astype(np.int64),
        "final_correct": new | fails,
        "regressions": zeros,
        "regressed": np.zeros(n, dtype=np.bool_),
        "never_deployed": (ok & ~new).astype(np.int64),
        "behind_s": behind,
        "push_to_live_s": np.where(new, live_at - t0 if t0 else live_at, np.nan),
        "min_pull_margin_s": margin,
        "latest_correct": np.ones(n, dtype=np.bool_),
        "runner_s": runner,
        "cancelled_runs": zeros,
        "end_s": end,
    }
    for name in DURATION_FIELDS:
        out[f"sampled_{name}"] = d[name]
    return out, undecided


def _wait(
    start: Floats, ok: Bools, visible: Floats, interval: float, timeout: float
) -> tuple[Floats, Bools]:
    """Poll from `start` every `interval` s until the image is visible or `timeout` runs out.

    The engine's loop, vectorised: returns the time of the last poll and whether it found the
    image. Times accumulate one interval at a time, as the engine's clock does.
    """
    deadline = start + timeout
    now = start.copy()
    found = np.zeros(len(start), dtype=np.bool_)
    active = np.ones(len(start), dtype=np.bool_)
    while active.any():
        found |= active & ok & (visible <= now)
        active &= ~found & ~(now + interval > deadline)
        now = np.where(active, now + interval, now)
    return now, found
