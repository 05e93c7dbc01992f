"""The multi-push fast path: histories of several pushes decided with numpy, a block at once.

Every trial of a block is decided together: numpy works over the trial axis, and Python loops only
over pushes (builds, deploys, queue positions, polls). The rules are the engine's
(:mod:`racesim.engine`), written as array arithmetic, and every time is accumulated in the
engine's order of additions, so the result columns are bit-for-bit those of
:func:`~racesim.engine.simulate` followed by :func:`~racesim.core.outcome.assess`:

- a build run per push; with a build concurrency group the runs queue in push order (one
  running, one pending that a newer arrival replaces, or first in, first out with
  ``queue="max"``), and ``cancel_in_progress`` cancels the running build: a write accepted
  before the cancellation stays, nothing after it happens;
- a deploy run per push (``push``), per completed build run after the dispatch delay
  (``workflow_run``, skipped by the gate unless the build succeeded), or a deploy job after a
  successful build job (``needs``); with a deploy concurrency group the deploy jobs queue the
  same way, a pending one replaced by a newer arrival never starts;
- each registry key resolves to the latest-accepted write visible at the read (a read at a
  write's visibility instant sees it), the mirror's resolve sees its own write, a deploy that
  waits polls on the engine's clock;
- guards (``newer_than_live`` against the service at the check, ``tip_of_main`` against the
  history), rollouts that go live at their end (``finish``) or in request order
  (``request``), and every verdict of :func:`~racesim.core.outcome.assess`.

What it decides (the allow-list, :func:`multi_path_reason` and :func:`multi_scenario_reason`):
histories without re-runs and dispatches, up to :data:`MOST_PUSHES` pushes, under any strategy
without a publish guard, without ``reconcile_latest``, without ``cancel_in_progress`` on the
deploy group (a cancelled deploy's rollout may outlive its job), and without a build group on
``needs`` (one group around both jobs). Trials it cannot order are returned undecided, for the
SimPy engine: two events at one instant whose order matters (two writes of one key accepted
together, two rollouts ending together, a guard at the instant another rollout ends, a queue
arrival at the instant the running job ends, a cancellation at the instant a step of the
cancelled build ends, two jobs ending together, so that the runner-seconds sum could be added
in another order), and trials with more than :data:`MOST_PUSHES` pushes.
``tests/test_fastpath_multi.py`` checks it against the engine trial by trial.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from racesim.core.history import DURATION_FIELDS
from racesim.core.strategy import Strategy
from racesim.scenarios.format import Scenario
from racesim.studies.sampled import SampledBlock

__all__ = ["MOST_PUSHES", "multi_columns", "multi_path_reason", "multi_scenario_reason"]

Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]
Ints = NDArray[np.int64]

#: trials with more pushes than this go to the SimPy engine (the work grows with its square)
MOST_PUSHES = 12

_NONE = -1  # no commit (a manifest that is not there), no run


def multi_scenario_reason(scenario: Scenario) -> str | None:
    """Why the multi-push path cannot decide `scenario`'s trials, or ``None`` if it can."""
    if scenario.reruns:
        return "the scenario re-runs builds"
    if scenario.dispatches:
        return "the scenario dispatches deploys by hand"
    return None


def multi_path_reason(strategy: Strategy) -> str | None:
    """Why the multi-push path cannot decide `strategy`, or ``None`` if it can."""
    if strategy.publish_guard:
        return "the build's publish guard"
    if strategy.reconcile_latest:
        return "the build's reconcile step"
    if strategy.deploy_concurrency is not None and strategy.deploy_concurrency.cancel_in_progress:
        return "cancel-in-progress on the deploy group"
    if strategy.trigger == "needs" and strategy.build_concurrency is not None:
        return "a concurrency group around a merged build-and-deploy run"
    return None


def _pairwise_equal(times: Floats, valid: Bools) -> Bools:
    """Trials in which two valid entries of a row of `times` are equal."""
    if times.shape[1] < 2:
        return np.zeros(times.shape[0], dtype=np.bool_)
    ordered = np.sort(np.where(valid, times, np.nan), axis=1)  # NaN sorts last, never equal
    return (ordered[:, 1:] == ordered[:, :-1]).any(axis=1)


def _equal_to_any(values: Floats, valid: Bools, times: Floats, others: Bools) -> Bools:
    """Trials where a valid `values` entry equals a valid entry of `times` (rows, 2-D)."""
    return valid & (others & (times == values[:, None])).any(axis=1)


class _Trials:
    """The state of one block of trials: durations per push, and what happened so far."""

    def __init__(self, strategy: Strategy, block: SampledBlock) -> None:
        self.s = strategy
        pushes = block.times.shape[1]
        self.p = p = min(pushes, MOST_PUSHES)
        self.n = n = block.size
        self.rows = np.arange(n)
        self.counts = block.counts
        self.exists: Bools = np.arange(p)[None, :] < np.minimum(block.counts, p)[:, None]
        raw = np.where(self.exists, block.times[:, :p], 0.0)
        self.raw = raw
        # the engine's clock starts at min(0, first push); a push at t fires at start + (t - start)
        base = np.minimum(0.0, raw[:, :1])
        self.t: Floats = np.where(raw > base, base + (raw - base), raw)
        self.d: dict[str, Floats] = {
            name: np.stack([np.asarray(block.pushes[k][name], np.float64) for k in range(p)], 1)
            for name in DURATION_FIELDS
        }
        fails = np.stack(
            [np.asarray(block.pushes[k]["build_fails"], np.bool_) for k in range(p)], axis=1
        )
        self.fails: Bools = fails & self.exists
        self.undecided: Bools = block.counts > p
        # -- builds (per push) --
        nan = np.full((n, p), np.nan)
        self.b_status = np.zeros((n, p), dtype=np.int8)  # 0 none 1 success 2 failure 3 cancelled
        self.b_job_start = nan.copy()  # NaN: the job never started
        self.b_job_end = nan.copy()
        self.b_run_end = nan.copy()
        self.w_acc = nan.copy()  # build registry write (latest, sha-k, digest): accepted
        self.w_vis = nan.copy()
        self.dw_acc = nan.copy()  # the direct push to the deploy registry
        self.dw_vis = nan.copy()
        self.cancelled = np.zeros(n, dtype=np.int64)
        self.end = np.where(self.exists, self.t, -np.inf).max(axis=1)
        # -- deploys --
        self.arrival = nan.copy()  # per push: its deploy job asks to run (NaN: no deploy job)
        self.created = np.zeros((n, p), dtype=np.bool_)  # per push: a deploy (or merged) run
        # per deploy job, in *slots*: one column per call of :meth:`deploy`, which decides at
        # most one job of each trial (its commit in `meant`); columns are written with basic
        # indexing, far cheaper than scattering by commit
        self.used = 0
        self.slots: dict[str, NDArray[Any]] = {}
        self._grow(2 * p)

    _SLOTS: tuple[tuple[str, Any, Any], ...] = (
        ("meant", np.int64, 0),
        ("j_start", np.float64, np.nan),  # the job started (NaN: never)
        ("j_end", np.float64, np.nan),
        ("pull", np.float64, np.nan),  # the pull read (NaN: none)
        ("margin", np.float64, np.nan),
        ("status", np.int8, 0),  # 0 none 1 live 2 blocked 3 failed
        ("shipped", np.int64, _NONE),
        ("r_acc", np.float64, np.nan),  # the service write of its rollout (finish: its end)
        ("r_live", np.float64, np.nan),
        ("r_commit", np.int64, _NONE),
        ("m_acc", np.float64, np.nan),  # the mirror's write to the deploy registry
    )

    def _grow(self, more: int) -> None:
        for name, dtype, fill in self._SLOTS:
            block = np.full((self.n, more), fill, dtype=dtype)
            old = self.slots.get(name)
            self.slots[name] = block if old is None else np.concatenate([old, block], axis=1)

    def _slot(self) -> int:
        """A fresh slot column for one call of :meth:`deploy`."""
        if self.used == next(iter(self.slots.values())).shape[1]:
            self._grow(self.used)
        self.used += 1
        return self.used - 1

    def slot(self, name: str) -> NDArray[Any]:
        """The slot columns used so far of `name`."""
        return self.slots[name][:, : self.used]

    def col(self, name: str, k: Ints | int) -> Floats:
        values = self.d[name]
        if isinstance(k, int):
            return values[:, k]
        return values[self.rows, k]

    # -- builds -------------------------------------------------------------------------------

    def build(self, k: int, admitted: Floats, mask: Bools) -> None:
        """Run build `k` (0-based push index) from its admission, for the trials in `mask`."""
        s, d = self.s, self.d
        start = admitted + d["build_pickup"][:, k]
        built = start + d["build"][:, k]
        ok = mask & ~self.fails[:, k]
        pushed = built + d["push"][:, k]
        vis = pushed + d["registry_lag"][:, k]
        if s.direct:
            direct = pushed + d["mirror"][:, k]
            verify_from = direct
        else:
            direct = verify_from = pushed
        end = np.where(ok, verify_from + d["build_verify"][:, k], built)
        self.b_job_start[:, k] = np.where(mask, start, self.b_job_start[:, k])
        self.b_job_end[:, k] = np.where(mask, end, self.b_job_end[:, k])
        self.b_run_end[:, k] = np.where(mask, end, self.b_run_end[:, k])
        self.b_status[:, k] = np.where(mask, np.where(ok, 1, 2), self.b_status[:, k])
        self.w_acc[:, k] = np.where(ok, pushed, self.w_acc[:, k])
        self.w_vis[:, k] = np.where(ok, vis, self.w_vis[:, k])
        if s.direct:
            self.dw_acc[:, k] = np.where(ok, direct, self.dw_acc[:, k])
            self.dw_vis[:, k] = np.where(
                ok, direct + d["deploy_registry_lag"][:, k], self.dw_vis[:, k]
            )

    def cancel_build(self, k: int, at: Floats, mask: Bools) -> None:
        """Cancel build `k` at `at` (a newer run of its group arrived), for trials in `mask`.

        What ended before `at` stays (a write accepted before it is in the registry); what
        would end after it never happens. An event of the build at the very instant is a tie
        the engine orders by its settle phase: those trials are left undecided.
        """
        started = self.b_job_start[:, k]
        tie = (
            (started == at)
            | (self.w_acc[:, k] == at)
            | (self.dw_acc[:, k] == at)
            | (self.b_job_end[:, k] == at)
        )
        built = started + self.d["build"][:, k]
        self.undecided |= mask & (tie | (built == at))
        in_job = mask & (started < at)
        self.b_job_end[:, k] = np.where(mask, np.where(in_job, at, np.nan), self.b_job_end[:, k])
        self.b_job_start[:, k] = np.where(mask & ~in_job, np.nan, started)
        self.b_run_end[:, k] = np.where(mask, at, self.b_run_end[:, k])
        self.b_status[:, k] = np.where(mask, 3, self.b_status[:, k])
        late = mask & ~(self.w_acc[:, k] < at)
        self.w_acc[:, k] = np.where(late, np.nan, self.w_acc[:, k])
        self.w_vis[:, k] = np.where(late, np.nan, self.w_vis[:, k])
        late = mask & ~(self.dw_acc[:, k] < at)
        self.dw_acc[:, k] = np.where(late, np.nan, self.dw_acc[:, k])
        self.dw_vis[:, k] = np.where(late, np.nan, self.dw_vis[:, k])
        self.cancelled += mask

    def builds(self) -> None:
        """Every build run: at its push, or queued in the build group in push order."""
        group = self.s.build_concurrency
        if group is None:
            for k in range(self.p):
                self.build(k, self.t[:, k], self.exists[:, k])
            return
        n, p = self.n, self.p
        # two runs arriving at one instant: the engine sorts them by commit (push order, as here)
        self.undecided |= _pairwise_equal(self.t, self.exists)
        running = np.full(n, _NONE, dtype=np.int64)
        queue = np.full((n, p), _NONE, dtype=np.int64)  # pending runs, oldest first
        size = np.zeros(n, dtype=np.int64)
        for k in range(p):
            at = self.t[:, k]
            live = self.exists[:, k]
            self._advance_builds(running, queue, size, at, live)
            free = live & (running == _NONE)
            if group.cancel_in_progress:
                busy = live & ~free
                for q in range(p):
                    cancel = busy & (q < size)
                    for j in range(p):
                        self._cancel_pending(j, at, cancel & (queue[:, q] == j))
                size = np.where(busy, 0, size)
                for j in range(p):
                    self.cancel_build(j, at, busy & (running == j))
                free = live
            self.build(k, at, free)
            running = np.where(free, k, running)
            pend = live & ~free
            if group.queue == "single":
                for j in range(p):
                    self._cancel_pending(j, at, pend & (size > 0) & (queue[:, 0] == j))
                size = np.where(pend, 0, size)
            queue[self.rows, np.minimum(size, p - 1)] = np.where(
                pend, k, queue[self.rows, np.minimum(size, p - 1)]
            )
            size = size + pend
        self._advance_builds(running, queue, size, np.full(n, np.inf), np.ones(n, np.bool_))

    def _cancel_pending(self, k: int, at: Floats, mask: Bools) -> None:
        """Build `k`, pending in the group, is cancelled at `at`: it never started."""
        self.b_run_end[:, k] = np.where(mask, at, self.b_run_end[:, k])
        self.b_status[:, k] = np.where(mask, 3, self.b_status[:, k])
        self.cancelled += mask

    def _advance_builds(
        self, running: Ints, queue: Ints, size: Ints, at: Floats, live: Bools
    ) -> None:
        """Let the group's running build end and admit pending ones, until time `at`."""
        while True:
            has = live & (running != _NONE)
            ends = np.where(has, self.b_run_end[self.rows, np.maximum(running, 0)], np.inf)
            self.undecided |= has & (ends == at)
            done = has & (ends < at)
            if not done.any():
                return
            nxt = done & (size > 0)
            head = queue[:, 0].copy()
            for j in range(self.p):
                self.build(j, ends, nxt & (head == j))
            running[:] = np.where(nxt, head, np.where(done, _NONE, running))
            queue[:, :-1] = np.where(nxt[:, None], queue[:, 1:], queue[:, :-1])
            size[:] = size - nxt

    # -- deploy runs --------------------------------------------------------------------------

    def deploy_runs(self) -> None:
        """Which deploy jobs ask to run, and when (their arrival in the deploy group)."""
        s, d = self.s, self.d
        success = self.b_status == 1
        if s.trigger == "push":
            self.created = self.exists.copy()
            self.arrival = np.where(self.exists, self.t, np.nan)
        elif s.trigger == "workflow_run":
            self.created = self.b_status > 0
            made = self.b_run_end + d["dispatch"]
            self.end = np.maximum(self.end, np.where(self.created, made, -np.inf).max(axis=1))
            runs = self.created & success if s.gate else self.created
            self.arrival = np.where(runs, made, np.nan)
        elif s.trigger == "needs":
            self.created = self.exists.copy()
            self.arrival = np.where(success, self.b_job_end, np.nan)
        else:
            self.created = np.zeros_like(self.exists)

    # -- registries and the service -----------------------------------------------------------

    def _source(self) -> tuple[Floats, Floats]:
        """The writes of the registry the deploy pulls from (accepted, visible), per commit."""
        if self.s.direct:
            return self.dw_acc, self.dw_vis
        return self.w_acc, self.w_vis

    def seen(self, k: Ints | int, at: Floats) -> Ints:
        """The commit deploy `k`'s reference resolves to at `at` (``_NONE``: no manifest)."""
        acc, vis = self._source()
        shown = vis <= at[:, None]
        if self.s.reference == "latest":
            best = np.where(shown, acc, -np.inf)
            which = best.argmax(axis=1)
            return np.where(np.isfinite(best[self.rows, which]), which + 1, 0)
        mine = shown[:, k] if isinstance(k, int) else shown[self.rows, k]
        return np.where(mine, k + 1, _NONE)

    def live_commit(self, at: Floats) -> Ints:
        """The commit the service runs at `at`, from the rollouts recorded so far."""
        if self.used == 0:
            return np.zeros(self.n, dtype=np.int64)
        shown = self.slot("r_live") <= at[:, None]
        best = np.where(shown, self.slot("r_acc"), -np.inf)
        which = best.argmax(axis=1)
        commits = self.slot("r_commit")[self.rows, which]
        return np.where(np.isfinite(best[self.rows, which]), commits, 0)

    # -- deploy jobs --------------------------------------------------------------------------

    def deploy(self, k: Ints | int, admitted: Floats, mask: Bools) -> Floats:
        """Run deploy job `k` (per trial) from its admission; returns when the job ends."""
        s = self.s
        c = self._slot()
        put = self._putter(c)
        start = admitted + self.col("deploy_pickup", k)
        pull = start + self.col("prepare", k)
        if s.sleep > 0:
            pull = pull + s.sleep
        meant = k + 1
        reached = mask
        if s.wait is not None:
            pull, found = self._wait(k, pull, mask)
            reached = mask & found
        got = self.seen(k, pull)
        vis = self._source()[1]
        meant_vis = vis[:, k] if isinstance(k, int) else vis[self.rows, k]
        end = pull  # a failed wait or pull ends the job there
        status = 3
        if s.mirror:
            pulled = reached & (got != _NONE)
            put("pull", pull, reached)
            put("margin", pull - meant_vis, reached)  # NaN: never visible
            resolve = pull + self.col("mirror", k)
            put("m_acc", resolve, pulled)
            self.end = np.maximum(
                self.end, np.where(pulled, resolve + self.col("deploy_registry_lag", k), -np.inf)
            )
            end = np.where(pulled, resolve, end)
            checked = pulled
            at = resolve
        else:
            checked = reached
            at = pull
        passed = checked
        blocked = None
        if s.guard != "none":
            if s.guard == "newer_than_live":
                # a rollout ending at the very check may or may not be seen: the engine's order
                r_live = self.slot("r_live")
                self.undecided |= _equal_to_any(at, checked, r_live, np.isfinite(r_live))
                passed = checked & (meant > self.live_commit(at))
            else:
                tip = (self.raw <= at[:, None]) & self.exists
                passed = checked & (meant == tip.sum(axis=1))
            blocked = checked & ~passed
            end = np.where(blocked, at, end)
        if not s.mirror:  # the one read, after the guard
            got = self.seen(k, at)
            put("pull", at, passed)
            put("margin", at - meant_vis, passed)
            passed = passed & (got != _NONE)
            if blocked is None:
                end = np.where(checked & ~passed, at, end)
            else:
                end = np.where(checked & ~passed & ~blocked, at, end)
        live_at = at + self.col("rollout", k)
        done = live_at + self.col("deploy_verify", k)
        end = np.where(passed, done, end)
        put("meant", meant, mask)
        put("status", status, mask)
        if blocked is not None:
            put("status", 2, blocked)
        put("status", 1, passed)
        put("shipped", got, passed)
        put("r_acc", at if s.live_order == "request" else live_at, passed)
        put("r_live", live_at, passed)
        put("r_commit", got, passed)
        put("j_start", start, mask)
        put("j_end", end, mask)
        return end

    def _putter(self, c: int) -> Any:
        slots = self.slots

        def put(name: str, value: Any, where: Bools) -> None:
            np.copyto(slots[name][:, c], value, where=where, casting="unsafe")

        return put

    def _wait(self, k: Ints | int, start: Floats, mask: Bools) -> tuple[Floats, Bools]:
        """Poll from `start` every interval until the reference shows commit k+1 (the engine's
        loop on the engine's clock); returns the last poll's time and whether it found it."""
        assert self.s.wait is not None
        interval, timeout = self.s.wait.interval, self.s.wait.timeout
        deadline = start + timeout
        now = start.copy()
        found = np.zeros(self.n, dtype=np.bool_)
        active = mask.copy()
        while active.any():
            found |= active & (self.seen(k, now) == k + 1)
            active &= ~found & ~(now + interval > deadline)
            now = np.where(active, now + interval, now)
        return now, found

    def deploys(self) -> None:
        """Every deploy job: at its arrival, or queued in the deploy group."""
        group = self.s.deploy_concurrency
        n, p = self.n, self.p
        has = np.isfinite(self.arrival)
        if group is None:
            if self.s.guard == "newer_than_live":
                self._deploys_by_check(has)
            else:
                for k in range(p):
                    self.deploy(k, self.arrival[:, k], has[:, k])
            return
        self.undecided |= _pairwise_equal(self.arrival, has)
        order = np.argsort(np.where(has, self.arrival, np.inf), axis=1, kind="stable")
        running = np.full(n, _NONE, dtype=np.int64)
        run_end = np.full(n, np.inf)
        queue = np.full((n, p), _NONE, dtype=np.int64)
        size = np.zeros(n, dtype=np.int64)
        for r in range(p):
            k = order[:, r]
            at = self.arrival[self.rows, k]
            live = has[self.rows, k]
            self._advance_deploys(running, run_end, queue, size, at, live)
            free = live & (running == _NONE)
            end = self.deploy(k, at, free)
            running = np.where(free, k, running)
            run_end = np.where(free, end, run_end)
            pend = live & ~free
            if group.queue == "single":
                drop = pend & (size > 0)
                self.end = np.maximum(self.end, np.where(drop, at, -np.inf))
                self.cancelled += drop
                size = np.where(pend, 0, size)
            slot = np.minimum(size, p - 1)
            queue[self.rows, slot] = np.where(pend, k, queue[self.rows, slot])
            size = size + pend
        self._advance_deploys(
            running, run_end, queue, size, np.full(n, np.inf), np.ones(n, dtype=np.bool_)
        )

    def _advance_deploys(
        self, running: Ints, run_end: Floats, queue: Ints, size: Ints, at: Floats, live: Bools
    ) -> None:
        """Let the running deploy job end and admit pending ones, until time `at`."""
        while True:
            has = live & (running != _NONE)
            self.undecided |= has & (run_end == at)
            done = has & (run_end < at)
            if not done.any():
                return
            nxt = done & (size > 0)
            head = np.maximum(queue[:, 0], 0)
            end = self.deploy(head, run_end, nxt)
            running[:] = np.where(nxt, head, np.where(done, _NONE, running))
            run_end[:] = np.where(nxt, end, np.where(done, np.inf, run_end))
            queue[:, :-1] = np.where(nxt[:, None], queue[:, 1:], queue[:, :-1])
            size[:] = size - nxt

    def _deploys_by_check(self, has: Bools) -> None:
        """Parallel deploys with a ``newer_than_live`` guard, decided in the order of their
        checks: a check sees only rollouts that ended by then, whose checks came earlier."""
        n, p = self.n, self.p
        checks = np.full((n, p), np.inf)
        for k in range(p):
            at = self._check_time(k, self.arrival[:, k], has[:, k])
            checks[:, k] = np.where(has[:, k], at, np.inf)
        self.undecided |= _pairwise_equal(checks, np.isfinite(checks))
        order = np.argsort(checks, axis=1, kind="stable")
        for r in range(p):
            k = order[:, r]
            self.deploy(k, self.arrival[self.rows, k], has[self.rows, k])

    def _check_time(self, k: int, admitted: Floats, mask: Bools) -> Floats:
        """When deploy `k` would run its guard (inf: it fails before)."""
        s = self.s
        pull = admitted + self.col("deploy_pickup", k)
        pull = pull + self.col("prepare", k)
        if s.sleep > 0:
            pull = pull + s.sleep
        reached = mask
        if s.wait is not None:
            pull, found = self._wait(k, pull, mask)
            reached = mask & found
        if s.mirror:
            got = self.seen(k, pull)
            ok = reached & (got != _NONE)
            return np.where(ok, pull + self.col("mirror", k), np.inf)
        return np.where(reached, pull, np.inf)

    # -- verdicts -----------------------------------------------------------------------------

    def columns(self) -> dict[str, NDArray[Any]]:
        """The result columns of every trial (see :func:`multi_columns`)."""
        n, p, rows = self.n, self.p, self.rows
        succeeded = self.b_status == 1
        newest_built = np.where(succeeded, np.arange(1, p + 1), 0).max(axis=1)
        # -- the service's timeline: rollouts in order of when they are seen --
        r_live, r_acc = self.slot("r_live"), self.slot("r_acc")
        rolled = np.isfinite(r_live)
        self.undecided |= _pairwise_equal(r_acc, rolled)
        m_acc = self.slot("m_acc")
        self.undecided |= _pairwise_equal(m_acc, np.isfinite(m_acc))
        self.undecided |= _pairwise_equal(self.w_acc, np.isfinite(self.w_acc))
        self.undecided |= _pairwise_equal(self.dw_acc, np.isfinite(self.dw_acc))
        most = int(rolled.sum(axis=1).max(initial=0))
        order = np.argsort(np.where(rolled, r_live, np.inf), axis=1, kind="stable")[:, :most]
        current = np.zeros(n, dtype=np.int64)
        final = np.zeros(n, dtype=np.int64)
        regressions = np.zeros(n, dtype=np.int64)
        shown = np.zeros((n, p + 1), dtype=np.bool_)
        shown[:, 0] = True
        last = self.counts.clip(max=p) - 1
        t_last = self.raw[rows, last]
        reached_at = np.full(n, np.nan)  # the service first ran the last push or newer
        live_times = np.full((n, most), np.inf)  # change points of the live commit
        live_values = np.zeros((n, most), dtype=np.int64)
        # the service register lists every rollout as a change, unless some rollout is seen
        # after it was accepted (request order with a rollout that takes time): then only the
        # rollouts that change the image (Register.timeline against Register.seen_timeline)
        request = self.s.live_order == "request"
        lagged = (rolled & (r_live > r_acc)).any(axis=1)
        r_commit = self.slot("r_commit")
        for r in range(most):
            k = order[:, r]
            t = r_live[rows, k]
            valid = rolled[rows, k]
            if request:  # a rollout superseded by a newer request never takes over
                value = self.live_commit(t)
                change = valid & ((value != current) | ~lagged)
            else:  # each rollout takes over when it ends (ties are left undecided)
                value = r_commit[rows, k]
                change = valid
            regressions += change & (value < final)
            final = np.where(change, value, final)
            current = final
            shown[rows, np.where(change, value, 0)] = True
            first = change & np.isnan(reached_at) & (value >= last + 1)
            reached_at = np.where(first, t, reached_at)
            live_times[:, r] = np.where(change, t, np.inf)
            live_values[:, r] = value
        # -- the build registry's latest at the end: the last accepted write --
        accepted = np.isfinite(self.w_acc)
        best = np.where(accepted, self.w_acc, -np.inf).argmax(axis=1)
        latest_end = np.where(accepted.any(axis=1), best + 1, 0)
        # -- deploys --
        started = np.isfinite(self.slot("j_start"))
        status = self.slot("status")
        shipped = np.where(status == 1, self.slot("shipped"), _NONE)
        meant = self.slot("meant")
        stale_count = ((shipped != _NONE) & (shipped < meant)).sum(axis=1)
        wrong = ((shipped != _NONE) & (shipped != meant)).sum(axis=1)
        deploys = started.sum(axis=1)
        failed = (status == 3).sum(axis=1)
        margin = self.slot("margin")
        margins = np.where(np.isfinite(margin), margin, np.inf).min(axis=1, initial=np.inf)
        margins = np.where(np.isfinite(margins), margins, np.nan)
        never = (succeeded & ~shown[:, 1:]).sum(axis=1)
        # -- the end of the history: the last event --
        end = self.end
        for times in (self.b_run_end, self.w_vis, self.dw_vis, self.slot("j_end")):
            end = np.maximum(end, np.where(np.isfinite(times), times, -np.inf).max(axis=1))
        # -- runner seconds, summed in order of the jobs' ends (the trace's row order) --
        job_start = np.concatenate([self.b_job_start, self.slot("j_start")], axis=1)
        job_end = np.concatenate([self.b_job_end, self.slot("j_end")], axis=1)
        ran = np.isfinite(job_end)
        self.undecided |= _pairwise_equal(job_end, ran)
        jobs = int(ran.sum(axis=1).max(initial=0))
        by_end = np.argsort(np.where(ran, job_end, np.inf), axis=1, kind="stable")
        runner = np.zeros(n)
        for r in range(jobs):
            j = by_end[:, r]
            valid = ran[rows, j]
            runner = np.where(valid, runner + (job_end[rows, j] - job_start[rows, j]), runner)
        behind = _behind(
            self.raw[:, 0],
            end,
            np.where(accepted, self.w_vis, np.inf),
            live_times,
            live_values,
        )
        push_to_live = np.where(np.isnan(reached_at), np.nan, reached_at - t_last)
        out: dict[str, NDArray[Any]] = {
            "pushes": self.counts.astype(np.int64),
            "deploys": deploys.astype(np.int64),
            "stale": stale_count > 0,
            "stale_deploys": stale_count.astype(np.int64),
            "identity_errors": wrong.astype(np.int64),
            "failed_deploys": failed.astype(np.int64),
            "skipped_deploys": (self.created.sum(axis=1) - deploys).astype(np.int64),
            "final_live": final,
            "newest_built": newest_built.astype(np.int64),
            "final_correct": final == newest_built,
            "regressions": regressions,
            "regressed": regressions > 0,
            "never_deployed": never.astype(np.int64),
            "behind_s": behind,
            "push_to_live_s": push_to_live,
            "min_pull_margin_s": margins,
            "latest_correct": latest_end == newest_built,
            "runner_s": runner,
            "cancelled_runs": self.cancelled,
            "end_s": end,
        }
        for name in DURATION_FIELDS:
            out[f"sampled_{name}"] = self.d[name][:, 0]
        return out


def _behind(
    start: Floats, end: Floats, built: Floats, live_times: Floats, live_values: Ints
) -> Floats:
    """Seconds in [start, end] the service ran an older commit than the newest visible image.

    The sweep of :func:`racesim.core.outcome._behind`, over all trials at once: change points
    sorted by (time, live before build, commit), an interval added at each change point.
    """
    n, p = built.shape
    m = live_times.shape[1]
    times = np.concatenate([built, live_times], axis=1)
    which = np.concatenate([np.ones((n, p), np.int64), np.zeros((n, m), np.int64)], axis=1)
    values = np.concatenate([np.broadcast_to(np.arange(1, p + 1), (n, p)), live_values], axis=1)
    order = np.lexsort((values, which, times), axis=1)
    rows = np.arange(n)[:, None]
    times, which, values = times[rows, order], which[rows, order], values[rows, order]
    total = np.zeros(n)
    current = np.zeros(n, dtype=np.int64)
    newest = np.zeros(n, dtype=np.int64)
    since = start.copy()
    for e in range(p + m):
        t = times[:, e]
        valid = np.isfinite(t)
        move = valid & (t > since) & (t > start)
        upto = np.minimum(t, end)
        total = np.where(move & (current < newest), total + (upto - since), total)
        since = np.where(move, upto, since)
        current = np.where(valid & (which[:, e] == 0), values[:, e], current)
        newest = np.where(valid & (which[:, e] == 1), np.maximum(newest, values[:, e]), newest)
    return np.where((current < newest) & (end > since), total + (end - since), total)


def multi_columns(strategy: Strategy, block: SampledBlock) -> tuple[dict[str, NDArray[Any]], Bools]:
    """The result columns (``METRICS`` and ``sampled_<field>``) of every trial of `block`.

    Returns the columns and a mask of the trials left undecided (see the module doc); their
    values in the columns are meaningless. `strategy` must pass :func:`multi_path_reason` and
    the block's scenario :func:`multi_scenario_reason`.
    """
    trials = _Trials(strategy, block)
    trials.builds()
    trials.deploy_runs()
    trials.deploys()
    return trials.columns(), trials.undecided
