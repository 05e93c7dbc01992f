"""The vectorised fast path: one-push histories decided in closed form, a block of trials at once.

With one push there is one build run and at most one deploy run, so no concurrency group can be
contended, no guard can block (nothing newer exists), and every time is a sum of durations. This
module computes, with numpy and no per-trial Python, the same result columns as the SimPy engine
followed by :func:`~racesim.outcome.assess`, down to the last bit: every time is accumulated in
the engine's order of additions, and every tie follows the registry's rule (a read at a write's
visibility instant sees it).

What it decides (the allow-list, checked by :func:`fast_path_reason`):

- a scenario with exactly one push per trial (``single``, a one-entry ``list``, a ``burst`` of
  1), no re-runs and no dispatches;
- any strategy: every trigger, gate, reference, sleep, wait (interval and timeout), guard,
  publish guard, mirror, direct push, build and deploy concurrency groups; failed builds.

Anything else is left to the SimPy engine. Inside a block, :func:`fast_columns` also returns the
trials it leaves undecided: those where the build's write becomes visible at the very instant a
settle phase of the build (publish guard or group admission, only possible with zero durations)
races the deploy's read; :func:`racesim.montecarlo.run_trials` simulates those with SimPy.
``tests/test_fastpath.py`` proves trial-by-trial equality with the engine.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from racesim.model.history import DURATION_FIELDS
from racesim.scenarios.format import Scenario
from racesim.scenarios.sampled import Columns, SampledBlock
from racesim.scenarios.schedules import Burst, Explicit, Single
from racesim.strategies import Strategy

__all__ = ["fast_columns", "fast_path_reason"]

Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]


def fast_path_reason(scenario: Scenario) -> str | None:
    """Why the fast path cannot decide `scenario`'s trials, or ``None`` if it can."""
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
    :func:`fast_path_reason`.
    """
    d = block.pushes[0]
    t0 = block.times[:, 0]
    return _decide(strategy, d, t0)


def _decide(s: Strategy, columns: Columns, t0: Floats) -> tuple[dict[str, NDArray[Any]], Bools]:
    n = len(t0)
    ok = ~np.asarray(columns["build_fails"], dtype=np.bool_)
    d: dict[str, Floats] = {name: np.asarray(columns[name], np.float64) for name in DURATION_FIELDS}
    lag = d["registry_lag"]

    # -- the build job: pickup, build, push (+ direct push), verify ----------------------------
    started = t0 + d["build_pickup"]
    built = started + d["build"]
    pushed = built + d["push"]
    visible = pushed + lag  # build registry
    if s.direct:
        pushed_direct = pushed + d["mirror"]
        source_visible = pushed_direct + lag  # deploy registry, where the deploy reads
        verify_from = pushed_direct
    else:
        source_visible = visible
        verify_from = pushed
    build_end = np.where(ok, verify_from + d["build_verify"], built)
    runner = build_end - started
    end = np.where(ok, np.maximum(build_end, source_visible), build_end)

    # -- does a deploy job run, and when does it start ----------------------------------------
    if s.trigger == "push":
        runs = np.ones(n, dtype=np.bool_)
        start = t0 + d["deploy_pickup"]
    elif s.trigger == "workflow_run":
        created = build_end + d["dispatch"]
        end = np.maximum(end, created)
        runs = ok | (not s.gate)
        start = created + d["deploy_pickup"]
    elif s.trigger == "needs":
        runs = ok.copy()
        start = build_end + d["deploy_pickup"]
    else:
        runs = np.zeros(n, dtype=np.bool_)
        start = np.zeros(n)
    skipped = (~runs).astype(np.int64) if s.trigger in ("workflow_run", "needs") else 0

    # -- the deploy job --------------------------------------------------------------------------
    pull = start + d["prepare"]
    if s.sleep > 0:
        pull = pull + s.sleep
    reached = runs.copy()  # the deploy gets as far as its pull
    if s.wait is not None:
        pull, found = _wait(pull, ok, source_visible, s.wait.interval, s.wait.timeout)
        reached &= found
    seen = ok & (source_visible <= pull)  # the source shows the meant commit at the pull
    latest = s.reference == "latest"
    # what the pull resolves to: 1 (meant), 0 (baseline, only `latest`), -1 (manifest unknown)
    pulled = np.where(seen, 1, 0 if latest else -1)
    got = reached & (pulled >= 0)
    # a pull that finds no manifest records no pull time in the trace, hence no margin
    margin = np.where(got & ok, pull - source_visible, np.nan)
    failed_at = pull  # a failed poll or pull ends the job there
    if s.mirror:
        resolve = pull + d["mirror"]
        mirrored = resolve + lag
        end = np.where(got, np.maximum(end, mirrored), end)
        on_time = mirrored <= resolve  # the deploy registry shows the mirror's write
        shipped = np.where(on_time, pulled, 0 if latest else -1)
        failed_at = np.where(got, resolve, failed_at)
    else:
        resolve = pull
        shipped = pulled
    rolled = got & (shipped >= 0)
    live_at = resolve + d["rollout"]
    deploy_end = np.where(rolled, live_at + d["deploy_verify"], failed_at)
    runner = np.where(runs, runner + (deploy_end - start), runner)
    end = np.where(runs, np.maximum(end, deploy_end), end)

    # -- verdicts ------------------------------------------------------------------------------
    shipped = np.where(rolled, shipped, -1)
    stale = rolled & (shipped == 0)
    final_live = np.where(rolled, shipped, 0)
    newest = ok.astype(np.int64)
    on_new = rolled & (shipped == 1)
    behind = np.where(
        ok,
        np.where(
            on_new,
            live_at - visible,
            np.where(
                rolled & (live_at > visible),
                (live_at - visible) + np.where(end > live_at, end - live_at, 0.0),
                np.where(end > visible, end - visible, 0.0),
            ),
        ),
        0.0,
    )
    undecided = np.zeros(n, dtype=np.bool_)
    if s.trigger == "push":
        if s.publish_guard:
            undecided |= ok & (source_visible == started)
        if s.build_concurrency is not None:
            undecided |= ok & (source_visible == t0)

    out: dict[str, NDArray[Any]] = {
        "pushes": np.ones(n, dtype=np.int64),
        "deploys": runs.astype(np.int64),
        "stale": stale,
        "stale_deploys": stale.astype(np.int64),
        "identity_errors": stale.astype(np.int64),
        "failed_deploys": (runs & ~rolled).astype(np.int64),
        "skipped_deploys": np.broadcast_to(np.asarray(skipped, dtype=np.int64), (n,)),
        "final_live": final_live.astype(np.int64),
        "newest_built": newest,
        "final_correct": final_live == newest,
        "regressions": np.zeros(n, dtype=np.int64),
        "regressed": np.zeros(n, dtype=np.bool_),
        "never_deployed": (ok & ~on_new).astype(np.int64),
        "behind_s": behind,
        "push_to_live_s": np.where(on_new, live_at - t0, np.nan),
        "min_pull_margin_s": margin,
        "latest_correct": np.ones(n, dtype=np.bool_),
        "runner_s": runner,
        "cancelled_runs": np.zeros(n, dtype=np.int64),
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
