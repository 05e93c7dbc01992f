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
    """Trials in which two valid entries of a column of `times` (entries, trials) are equal."""
    m, n = times.shape
    out = np.zeros(n, dtype=np.bool_)
    if m < 2:
        return out
    if m <= 6:
        for a in range(m):
            for b in range(a + 1, m):
                out |= valid[a] & valid[b] & (times[a] == times[b])
        return out
    ordered = np.sort(np.where(valid, times, np.nan), axis=0)  # NaN sorts last, never equal
    return (ordered[1:] == ordered[:-1]).any(axis=0)


def _equal_to_any(values: Floats, valid: Bools, times: Floats) -> Bools:
    """Trials where a valid `values` entry equals an entry of `times` (entries, trials)."""
    out = np.zeros(len(values), dtype=np.bool_)
    for row in times:
        out |= row == values  # NaN entries never equal
    return out & valid


def _order(keys: Floats) -> Ints:
    """Per trial, the entries of `keys` (entries, trials) in increasing order.

    Equal keys may come in any order: every caller either leaves such trials undecided or
    gives the same result whatever their order. For a few entries, ranks are counted by
    comparisons and scattered, which is cheaper than sorting short columns.
    """
    m, n = keys.shape
    if m > 5:
        return np.argsort(keys, axis=0)
    order = np.empty((m, n), dtype=np.int64)
    if m == 1:
        order[0] = 0
        return order
    if m == 2:
        swap = keys[1] < keys[0]
        order[0] = swap
        order[1] = ~swap
        return order
    flat = order.ravel()
    cols = np.arange(n)
    for i in range(m):
        rank = np.zeros(n, dtype=np.int64)
        for j in range(m):
            if j < i:
                rank += keys[j] <= keys[i]
            elif j > i:
                rank += keys[j] < keys[i]
        flat[rank * n + cols] = i
    return order


def _last(values: Floats | list[Floats]) -> tuple[Ints, Bools]:
    """Per trial, the entry holding the greatest value of `values` (NaN: no entry), and whether
    any entry is valid. Equal greatest values go to the first entry (ties are undecided)."""
    best = values[0]
    which = np.zeros(len(best), dtype=np.int64)
    for e in range(1, len(values)):
        better = values[e] > best  # NaN never wins
        better |= np.isnan(best) & ~np.isnan(values[e])
        best = np.where(better, values[e], best)
        which[better] = e
    return which, ~np.isnan(best)


class _Pick:
    """One push per trial: the same push for every trial (an int), or one each (an array).

    Reads through :meth:`of` use a flat index computed once (``take`` on a flat index costs a
    fifth of a two-dimensional fancy index).
    """

    __slots__ = ("flat", "k")

    def __init__(self, k: Ints | int, n: int) -> None:
        self.k = k
        self.flat = None if isinstance(k, int) else k * n + np.arange(n)

    def of(self, values: NDArray[Any]) -> NDArray[Any]:
        """Row `k` of `values` (pushes, trials), per trial."""
        if self.flat is None:
            return values[self.k]
        return values.ravel().take(self.flat)


def _take(values: NDArray[Any], rows: Ints) -> NDArray[Any]:
    """``values[rows[i], i]`` for every trial ``i`` of `values` (entries, trials)."""
    n = values.shape[1]
    return values.ravel().take(rows * n + np.arange(n))


class _Trials:
    """The state of one block of trials: durations per push, and what happened so far.

    Arrays are laid out (pushes, trials) or (slots, trials): a push's or a slot's values are one
    contiguous row, and reductions over pushes run along the fast axis.
    """

    _SLOTS: tuple[tuple[str, Any, Any], ...] = (
        ("meant", np.int8, 0),
        ("j_start", np.float64, np.nan),  # the job started (NaN: never)
        ("j_end", np.float64, np.nan),
        ("margin", np.float64, np.nan),  # pull margin (NaN: no pull, or never visible)
        ("status", np.int8, 0),  # 0 none 1 live 2 blocked 3 failed
        ("shipped", np.int8, _NONE),  # the commit it rolled out
        ("r_acc", np.float64, np.nan),  # the service write of its rollout (finish: its end)
        ("r_live", np.float64, np.nan),  # when the rollout ends (NaN: no rollout)
        ("m_acc", np.float64, np.nan),  # the mirror's write to the deploy registry
    )

    def __init__(self, strategy: Strategy, block: SampledBlock) -> None:
        self.s = strategy
        self.p = p = min(block.times.shape[1], MOST_PUSHES)
        self.n = n = block.size
        self.rows = np.arange(n)
        self.counts = block.counts
        most = np.minimum(block.counts, p)
        self.exists: Bools = np.arange(p)[:, None] < most[None, :]
        self.all_exist = bool(self.exists.all())
        raw = block.times[:, :p].T
        raw = np.ascontiguousarray(raw if self.all_exist else np.where(self.exists, raw, 0.0))
        self.raw = raw
        # the engine's clock starts at min(0, first push); a push at t fires at start + (t - start)
        base = np.minimum(0.0, raw[0])
        if (base == 0.0).all():
            self.t: Floats = raw
        else:
            self.t = np.where(raw > base, base + (raw - base), raw)
        # per duration, one array per push (stacked on demand, for per-trial picks)
        self.d: dict[str, list[Floats]] = {
            name: [np.asarray(block.pushes[k][name], np.float64) for k in range(p)]
            for name in DURATION_FIELDS
        }
        self._stacked: dict[str, Floats] = {}
        fails = np.stack([np.asarray(block.pushes[k]["build_fails"], np.bool_) for k in range(p)])
        self.fails: Bools = fails & self.exists
        self.undecided: Bools = block.counts > p
        # -- builds (per push) --
        self.b_status = np.zeros((p, n), dtype=np.int8)  # 0 none 1 success 2 failure 3 cancelled
        self.b_job_start = np.full((p, n), np.nan)  # NaN: the job never started
        self.b_job_end = np.full((p, n), np.nan)
        self.b_run_end = np.full((p, n), np.nan)
        self.w_acc = np.full((p, n), np.nan)  # build registry write (latest, sha, digest)
        self.w_vis = np.full((p, n), np.nan)
        self.dw_acc = np.full((p, n), np.nan)  # the direct push to the deploy registry
        self.dw_vis = np.full((p, n), np.nan)
        self.cancelled = np.zeros(n, dtype=np.int64)
        last = most - 1
        self.end = raw[last, self.rows]  # pushes never go backwards: the last one is the latest
        # -- deploys --
        self.arrival = np.full((p, n), np.nan)  # per push: its deploy job asks to run
        self.created = np.zeros((p, n), dtype=np.bool_)  # per push: a deploy (or merged) run
        # per deploy job, in *slots*: one row per call of :meth:`deploy`, which decides at most
        # one job of each trial (its commit in `meant`); rows are written with basic indexing,
        # far cheaper than scattering by commit
        #: with a deploy group, the commit of the last rollout (what the service runs)
        self.serial: Ints | None = None
        if strategy.deploy_concurrency is not None:
            self.serial = np.zeros(n, dtype=np.int64)
        self.used = 0
        self.slots: dict[str, NDArray[Any]] = {
            name: np.full((p, n), fill, dtype=dtype) for name, dtype, fill in self._SLOTS
        }

    def _slot(self) -> dict[str, NDArray[Any]]:
        """The slot rows of the next call of :meth:`deploy` (there are as many calls as
        pushes: one per push, or one per place in the order of arrival)."""
        c = self.used
        self.used += 1
        return {name: values[c] for name, values in self.slots.items()}

    def slot(self, name: str) -> NDArray[Any]:
        """The slot rows of `name` used so far (slots, trials)."""
        return self.slots[name][: self.used]

    def col(self, name: str, k: _Pick) -> Floats:
        """Duration `name` of push `k` (one push for all trials, or one per trial)."""
        if k.flat is None:
            return self.d[name][k.k]  # type: ignore[index]
        return k.of(self.stacked(name))

    def stacked(self, name: str) -> Floats:
        """Duration `name` of every push as one array (pushes, trials)."""
        out = self._stacked.get(name)
        if out is None:
            out = self._stacked[name] = np.stack(self.d[name])
        return out

    # -- builds -------------------------------------------------------------------------------

    def build(self, k: int, admitted: Floats, mask: Bools | None) -> None:
        """Run build `k` (0-based push index) from its admission, for the trials in `mask`
        (``None``: all of them)."""
        s, d = self.s, self.d
        start = admitted + d["build_pickup"][k]
        built = start + d["build"][k]
        fails = self.fails[k]
        ok = ~fails if mask is None else mask & ~fails
        pushed = built + d["push"][k]
        vis = pushed + d["registry_lag"][k]
        if s.direct:
            direct = pushed + d["mirror"][k]
            verify_from = direct
        else:
            direct = verify_from = pushed
        end = np.where(ok, verify_from + d["build_verify"][k], built)
        if mask is None:
            self.b_job_start[k] = start
            self.b_job_end[k] = end
            self.b_run_end[k] = end
            self.b_status[k] = np.where(ok, 1, 2)
        else:
            np.copyto(self.b_job_start[k], start, where=mask)
            np.copyto(self.b_job_end[k], end, where=mask)
            np.copyto(self.b_run_end[k], end, where=mask)
            np.copyto(self.b_status[k], np.where(ok, 1, 2), where=mask, casting="unsafe")
        np.copyto(self.w_acc[k], pushed, where=ok)
        np.copyto(self.w_vis[k], vis, where=ok)
        if s.direct:
            np.copyto(self.dw_acc[k], direct, where=ok)
            np.copyto(self.dw_vis[k], direct + d["deploy_registry_lag"][k], where=ok)

    def cancel_build(self, k: int, at: Floats, mask: Bools) -> None:
        """Cancel build `k` at `at` (a newer run of its group arrived), for trials in `mask`.

        What ended before `at` stays (a write accepted before it is in the registry); what
        would end after it never happens. An event of the build at the very instant is a tie
        the engine orders by its settle phase: those trials are left undecided.
        """
        started = self.b_job_start[k]
        built = started + self.d["build"][k]
        tie = (
            (started == at)
            | (built == at)
            | (self.w_acc[k] == at)
            | (self.dw_acc[k] == at)
            | (self.b_job_end[k] == at)
        )
        self.undecided |= mask & tie
        in_job = mask & (started < at)
        np.copyto(self.b_job_end[k], np.where(in_job, at, np.nan), where=mask)
        np.copyto(self.b_job_start[k], np.nan, where=mask & ~in_job)
        np.copyto(self.b_run_end[k], at, where=mask)
        np.copyto(self.b_status[k], 3, where=mask, casting="unsafe")
        for acc, vis in ((self.w_acc, self.w_vis), (self.dw_acc, self.dw_vis)):
            late = mask & ~(acc[k] < at)
            np.copyto(acc[k], np.nan, where=late)
            np.copyto(vis[k], np.nan, where=late)
        self.cancelled += mask

    def builds(self) -> None:
        """Every build run: at its push, or through the build group.

        Runs arrive in push order. With ``cancel_in_progress`` each is admitted at once and
        cancels the one still running; otherwise a run waits until the running one ends, and
        with ``queue="single"`` a waiting run is cancelled when a newer one arrives first.
        """
        group = self.s.build_concurrency
        if group is None:
            for k in range(self.p):
                self.build(k, self.t[k], None if self.all_exist else self.exists[k])
            return
        n, p = self.n, self.p
        # two runs arriving at one instant: the engine sorts them by commit (push order, as here)
        self.undecided |= _pairwise_equal(self.t, self.exists)
        free = np.full(n, -np.inf)  # when the running build ends
        for k in range(p):
            at, live = self.t[k], self.exists[k]
            following = np.where(self.exists[k + 1], self.t[k + 1], np.inf) if k + 1 < p else None
            if group.cancel_in_progress:
                self.build(k, at, live)
                if following is not None:  # the next push cancels this build if it still runs
                    ends = self.b_run_end[k]
                    self.undecided |= live & (ends == following)
                    self.cancel_build(k, following, live & (ends > following))
                continue
            self.undecided |= live & (at == free)
            busy = live & (at < free)
            run = live
            if group.queue == "single" and following is not None:
                self.undecided |= busy & (following == free)
                dropped = busy & (following < free)
                self._cancel_pending(k, following, dropped)
                run = live & ~dropped
            self.build(k, np.where(busy, free, at), run)
            free = np.where(run, self.b_run_end[k], free)

    def _cancel_pending(self, k: int, at: Floats, mask: Bools) -> None:
        """Build `k`, pending in the group, is cancelled at `at`: it never started."""
        np.copyto(self.b_run_end[k], at, where=mask)
        np.copyto(self.b_status[k], 3, where=mask, casting="unsafe")
        self.cancelled += mask

    # -- deploy runs --------------------------------------------------------------------------

    def deploy_runs(self) -> None:
        """Which deploy jobs ask to run, and when (their arrival in the deploy group)."""
        s = self.s
        success = self.b_status == 1
        if s.trigger == "push":
            self.created = self.exists
            self.arrival = self.t if self.all_exist else np.where(self.exists, self.t, np.nan)
        elif s.trigger == "workflow_run":
            self.created = self.b_status > 0
            made = self.b_run_end + self.stacked("dispatch")
            self.end = np.maximum(self.end, np.fmax.reduce(made, axis=0))  # NaN: no run
            runs = success if s.gate else self.created
            self.arrival = np.where(runs, made, np.nan)
        elif s.trigger == "needs":
            self.created = self.exists
            self.arrival = np.where(success, self.b_job_end, np.nan)
        else:
            self.created = np.zeros_like(self.exists)

    # -- registries and the service -----------------------------------------------------------

    def _source(self) -> tuple[Floats, Floats]:
        """The writes of the registry the deploy pulls from (accepted, visible), per commit."""
        if self.s.direct:
            return self.dw_acc, self.dw_vis
        return self.w_acc, self.w_vis

    def seen(self, k: _Pick, at: Floats) -> Ints:
        """The commit deploy `k`'s reference resolves to at `at` (``_NONE``: no manifest)."""
        acc, vis = self._source()
        if self.s.reference == "latest":  # the latest-accepted write visible at `at`
            which, any_ = _last(np.where(vis <= at, acc, np.nan))
            return np.where(any_, which + 1, 0)
        return np.where(k.of(vis) <= at, k.k + 1, _NONE)

    def live_commit(self, at: Floats) -> Ints:
        """The commit the service runs at `at`, from the rollouts recorded so far."""
        if self.serial is not None:
            # deploy jobs one at a time: every rollout so far ended before this job started,
            # and the last one is both the last to end and the last requested
            return self.serial
        if self.used == 0:
            return np.zeros(self.n, dtype=np.int64)
        which, any_ = _last(np.where(self.slot("r_live") <= at, self.slot("r_acc"), np.nan))
        return np.where(any_, _take(self.slot("shipped"), which), 0)

    # -- deploy jobs --------------------------------------------------------------------------

    def deploy(self, which: Ints | int, admitted: Floats, mask: Bools) -> Floats:
        """Run deploy job `which` (per trial) from its admission; returns when the job ends."""
        s = self.s
        k = _Pick(which, self.n)
        row = self._slot()

        def put(name: str, value: Any, where: Bools) -> None:
            np.copyto(row[name], value, where=where, casting="unsafe")

        start = admitted + self.col("deploy_pickup", k)
        pull = start + self.col("prepare", k)
        if s.sleep > 0:
            pull = pull + s.sleep
        meant = which + 1
        reached = mask
        if s.wait is not None:
            pull, found = self._wait(k, pull, mask)
            reached = mask & found
        meant_vis = k.of(self._source()[1])
        end = pull  # a failed wait or pull ends the job there
        blocked: Bools | None = None
        if s.mirror:
            got = self.seen(k, pull)
            pulled = reached & (got != _NONE)
            put("margin", pull - meant_vis, reached)  # NaN: never visible
            resolve = pull + self.col("mirror", k)
            put("m_acc", resolve, pulled)
            shown = resolve + self.col("deploy_registry_lag", k)
            self.end = np.fmax(self.end, np.where(pulled, shown, np.nan))
            end = np.where(pulled, resolve, end)
            checked = pulled
            at = resolve
        else:
            checked = reached
            at = pull
        passed = checked
        if s.guard != "none":
            if s.guard == "newer_than_live":
                # a rollout ending at the very check may or may not be seen: the engine's order
                self.undecided |= _equal_to_any(at, checked, self.slot("r_live")[:-1])
                passed = checked & (meant > self.live_commit(at))
            else:
                tip = ((self.raw <= at) & self.exists).sum(axis=0)
                passed = checked & (meant == tip)
            blocked = checked & ~passed
            end = np.where(blocked, at, end)
        if not s.mirror:  # the one read, after the guard
            got = self.seen(k, at)
            put("margin", at - meant_vis, passed)
            passed = passed & (got != _NONE)
            failed = checked & ~passed if blocked is None else checked & ~passed & ~blocked
            end = np.where(failed, at, end)
        live_at = at + self.col("rollout", k)
        end = np.where(passed, live_at + self.col("deploy_verify", k), end)
        put("meant", meant, mask)
        put("status", 3, mask)
        if blocked is not None:
            put("status", 2, blocked)
        put("status", 1, passed)
        put("shipped", got, passed)
        put("r_acc", at if s.live_order == "request" else live_at, passed)
        put("r_live", live_at, passed)
        if self.serial is not None:
            np.copyto(self.serial, got, where=passed)
        put("j_start", start, mask)
        put("j_end", end, mask)
        return end

    def _wait(self, k: _Pick, start: Floats, mask: Bools) -> tuple[Floats, Bools]:
        """Poll from `start` every interval until the reference shows commit k+1 (the engine's
        loop on the engine's clock); returns the last poll's time and whether it found it."""
        assert self.s.wait is not None
        interval, timeout = self.s.wait.interval, self.s.wait.timeout
        deadline = start + timeout
        now = start.copy()
        found = np.zeros(self.n, dtype=np.bool_)
        active = mask.copy()
        while active.any():
            found |= active & (self.seen(k, now) == k.k + 1)
            active &= ~found & ~(now + interval > deadline)
            now = np.where(active, now + interval, now)
        return now, found

    def deploys(self) -> None:
        """Every deploy job: at its arrival, or through the deploy group.

        In the group, jobs start in order of arrival, each when it arrives or when the one
        before it ends; with ``queue="single"`` a waiting job is dropped when a newer one
        arrives before it starts. So the group needs one pass over the arrivals.
        """
        group = self.s.deploy_concurrency
        n, p = self.n, self.p
        has = ~np.isnan(self.arrival)
        if group is None:
            if self.s.guard == "newer_than_live":
                self._deploys_by_check(has)
            else:
                for k in range(p):
                    self.deploy(k, self.arrival[k], has[k])
            return
        # two arrivals at one instant: the engine admits them in commit order, as here, but
        # only if they arrive in the same settle round
        self.undecided |= _pairwise_equal(self.arrival, has)
        arrival = np.where(has, self.arrival, np.inf)
        order = _order(arrival)
        free = np.full(n, -np.inf)  # when the running job ends
        for r in range(p):
            k = order[r]
            at = _take(arrival, k)
            live = ~np.isinf(at)
            self.undecided |= live & (at == free)
            busy = live & (at < free)
            run = live
            if group.queue == "single" and r + 1 < p:
                following = _take(arrival, order[r + 1])
                self.undecided |= busy & (following == free)
                dropped = busy & (following < free)
                self.end = np.fmax(self.end, np.where(dropped, following, np.nan))
                self.cancelled += dropped
                run = live & ~dropped
            end = self.deploy(k, np.where(busy, free, at), run)
            free = np.where(run, end, free)

    def _deploys_by_check(self, has: Bools) -> None:
        """Parallel deploys with a ``newer_than_live`` guard, decided in the order of their
        checks: a check sees only rollouts that ended by then, whose checks came earlier."""
        p = self.p
        checks = np.stack([self._check_time(k, self.arrival[k], has[k]) for k in range(p)])
        self.undecided |= _pairwise_equal(checks, ~np.isinf(checks))
        order = _order(checks)
        for r in range(p):
            k = order[r]
            self.deploy(k, _take(self.arrival, k), _take(has, k))

    def _check_time(self, which: int, admitted: Floats, mask: Bools) -> Floats:
        """When deploy `which` would run its guard (inf: it does not get there)."""
        s = self.s
        k = _Pick(which, self.n)
        pull = admitted + self.col("deploy_pickup", k)
        pull = pull + self.col("prepare", k)
        if s.sleep > 0:
            pull = pull + s.sleep
        reached = mask
        if s.wait is not None:
            pull, found = self._wait(k, pull, mask)
            reached = mask & found
        if s.mirror:
            ok = reached & (self.seen(k, pull) != _NONE)
            return np.where(ok, pull + self.col("mirror", k), np.inf)
        return np.where(reached, pull, np.inf)

    # -- verdicts -----------------------------------------------------------------------------

    def columns(self) -> dict[str, NDArray[Any]]:
        """The result columns of every trial (see :func:`multi_columns`)."""
        n, p, rows = self.n, self.p, self.rows
        succeeded = self.b_status == 1
        newest_built = np.zeros(n, dtype=np.int64)
        for k in range(p):
            newest_built[succeeded[k]] = k + 1
        # -- the service's timeline: rollouts in order of when they are seen --
        r_live, r_acc = self.slot("r_live"), self.slot("r_acc")
        rolled = ~np.isnan(r_live)
        self.undecided |= _pairwise_equal(r_acc, rolled)
        m_acc = self.slot("m_acc")
        self.undecided |= _pairwise_equal(m_acc, ~np.isnan(m_acc))
        self.undecided |= _pairwise_equal(self.w_acc, ~np.isnan(self.w_acc))
        if self.s.direct:
            self.undecided |= _pairwise_equal(self.dw_acc, ~np.isnan(self.dw_acc))
        counts = rolled.sum(axis=0)
        most = int(counts.max(initial=0))
        order = _order(np.where(rolled, r_live, np.inf))[:most]
        final = np.zeros(n, dtype=np.int64)
        regressions = np.zeros(n, dtype=np.int64)
        last = self.counts.clip(max=p) - 1
        t_last = self.raw[last, rows]
        reached_at = np.full(n, np.nan)  # the service first ran the last push or newer
        live_times = np.full((most, n), np.inf)  # change points of the live commit
        live_values = np.zeros((most, n), dtype=np.int64)
        # the service register lists every rollout as a change, unless some rollout is seen
        # after it was accepted (request order with a rollout that takes time): then only the
        # rollouts that change the image (Register.timeline against Register.seen_timeline)
        request = self.s.live_order == "request"
        lagged = (rolled & (r_live > r_acc)).any(axis=0) if request else None
        shipped = self.slot("shipped")
        shown = np.ones(n, dtype=np.int64)  # bit c: the service ran commit c (0: baseline)
        for r in range(most):
            flat = order[r] * n + rows
            t = r_live.ravel().take(flat)
            valid = ~np.isnan(t)
            if lagged is not None:  # a rollout superseded by a newer request never takes over
                value = self.live_commit(t)
                change = valid & ((value != final) | ~lagged)
            else:  # each rollout takes over when it ends (ties are left undecided)
                value = shipped.ravel().take(flat).astype(np.int64)
                change = valid
            regressions += change & (value < final)
            final = np.where(change, value, final)
            shown |= change << value
            first = change & np.isnan(reached_at) & (value > last)
            reached_at = np.where(first, t, reached_at)
            live_times[r] = np.where(change, t, np.inf)
            live_values[r] = value
        # -- the build registry's latest at the end: the last accepted write --
        which, any_ = _last(self.w_acc)
        latest_end = np.where(any_, which + 1, 0)
        # -- deploys --
        status = self.slot("status")
        started = ~np.isnan(self.slot("j_start"))
        stale_count = np.zeros(n, dtype=np.int64)
        wrong = np.zeros(n, dtype=np.int64)
        meant = self.slot("meant")
        for c in range(self.used):
            live = status[c] == 1
            stale_count += live & (shipped[c] < meant[c])
            wrong += live & (shipped[c] != meant[c])
        deploys = started.sum(axis=0)
        failed = (status == 3).sum(axis=0)
        margins = np.fmin.reduce(self.slot("margin"), axis=0) if self.used else np.full(n, np.nan)
        never = np.zeros(n, dtype=np.int64)
        for k in range(p):
            never += succeeded[k] & ((shown >> (k + 1)) & 1 == 0)
        # -- the end of the history: the last event --
        end = self.end
        for times in (self.b_run_end, self.w_vis, self.dw_vis, self.slot("j_end")):
            if len(times):
                end = np.fmax(end, np.fmax.reduce(times, axis=0))
        # -- runner seconds, summed in order of the jobs' ends (the trace's row order) --
        job_start = np.concatenate([self.b_job_start, self.slot("j_start")])
        job_end = np.concatenate([self.b_job_end, self.slot("j_end")])
        ran = ~np.isnan(job_end)
        jobs = int(ran.sum(axis=0).max(initial=0))
        job_end = np.where(ran, job_end, np.inf)
        by_end = _order(job_end)[:jobs]
        runner = np.zeros(n)
        before = np.full(n, np.nan)
        for r in range(jobs):
            j = by_end[r]
            ends = _take(job_end, j)
            # two jobs ending together: the trace may add them in either order
            self.undecided |= ends == before
            before = np.where(np.isinf(ends), np.nan, ends)
            runner = np.where(np.isinf(ends), runner, runner + (ends - _take(job_start, j)))
        if request:
            self.undecided |= _pairwise_equal(live_times, ~np.isinf(live_times))
        behind = _behind(self.raw[0], end, self.w_vis, live_times, live_values)
        out: dict[str, NDArray[Any]] = {
            "pushes": self.counts.astype(np.int64),
            "deploys": deploys.astype(np.int64),
            "stale": stale_count > 0,
            "stale_deploys": stale_count,
            "identity_errors": wrong,
            "failed_deploys": failed.astype(np.int64),
            "skipped_deploys": (self.created.sum(axis=0) - deploys).astype(np.int64),
            "final_live": final,
            "newest_built": newest_built,
            "final_correct": final == newest_built,
            "regressions": regressions,
            "regressed": regressions > 0,
            "never_deployed": never.astype(np.int64),
            "behind_s": behind,
            "push_to_live_s": reached_at - t_last,
            "min_pull_margin_s": margins,
            "latest_correct": latest_end == newest_built,
            "runner_s": runner,
            "cancelled_runs": self.cancelled,
            "end_s": end,
        }
        for name in DURATION_FIELDS:
            out[f"sampled_{name}"] = self.d[name][0]
        return out


def _behind(
    start: Floats, end: Floats, built: Floats, live_times: Floats, live_values: Ints
) -> Floats:
    """Seconds in [start, end] the service ran an older commit than the newest visible image.

    The sweep of :func:`racesim.core.outcome._behind`, over all trials at once: change points
    sorted by (time, live before build, commit), an interval added at each change point.
    `built` holds when each commit's image shows in the build registry (NaN: never).
    """
    p, n = built.shape
    m = len(live_times)
    times = np.concatenate([np.where(np.isnan(built), np.inf, built), live_times])
    # within one instant the engine sorts live changes before builds, and by commit; the state
    # after the instant is the same in any order, except for two live changes (left undecided
    # by the caller), so sorting by time alone gives the same additions in the same order
    order = _order(times)
    flat = (order * n + np.arange(n)).ravel()
    values = np.concatenate([np.broadcast_to(np.arange(1, p + 1)[:, None], (p, n)), live_values])
    times = times.ravel().take(flat).reshape(order.shape)
    values = values.ravel().take(flat).reshape(order.shape)
    which = order >= p  # a live change
    # The engine adds, at each change point after `start`, the time since the previous one if
    # the service was behind in between, clipping times to `end`; over sorted times, "since"
    # is always the previous point clipped to [start, end] (an inf pads to `end`), so the
    # terms are the differences of the clipped points, added one at a time in time order.
    clipped = np.minimum(np.maximum(times, start), end)
    steps = np.diff(clipped, axis=0, prepend=start[None, :], append=end[None, :])
    valid = ~np.isinf(times)
    live = valid & which
    built_values = np.where(valid & ~which, values, 0)
    total = np.zeros(n)
    current = np.zeros(n, dtype=np.int64)
    newest = np.zeros(n, dtype=np.int64)
    behind = np.zeros(n, dtype=np.bool_)
    for e in range(p + m):
        total = np.where(behind, total + steps[e], total)
        current = np.where(live[e], values[e], current)
        newest = np.maximum(newest, built_values[e])
        behind = current < newest
    return np.where(behind, total + steps[-1], total)


def multi_columns(strategy: Strategy, block: SampledBlock) -> tuple[dict[str, NDArray[Any]], Bools]:
    """The result columns (``METRICS`` and ``sampled_<field>``) of every trial of `block`.

    Returns the columns and a mask of the trials left undecided (see the module doc); their
    values in the columns are meaningless. `strategy` must pass :func:`multi_path_reason` and
    the block's scenario :func:`multi_scenario_reason`.
    """
    n = block.size
    if n <= _PIECE:
        return _decide(strategy, block)
    parts = [_decide(strategy, _piece(block, a, min(a + _PIECE, n))) for a in range(0, n, _PIECE)]
    columns = {name: np.concatenate([c[name] for c, _ in parts]) for name in parts[0][0]}
    return columns, np.concatenate([u for _, u in parts])


#: trials decided at once: a piece's working arrays stay in the processor's caches. Measured
#: on this project's 2-core machine: 0.95-1.16 us a trial on burst-of-5 in pieces of 16,384,
#: against 1.25-1.78 us in one piece of 100,000 (pieces of 4,096 pay more per numpy call)
_PIECE = 16384


def _piece(block: SampledBlock, a: int, b: int) -> SampledBlock:
    """Trials ``a .. b - 1`` of `block` (offsets in the block), as views of its arrays."""
    return SampledBlock(
        block.seed,
        block.start + a,
        block.start + b,
        block.times[a:b],
        block.counts[a:b],
        tuple({name: values[a:b] for name, values in push.items()} for push in block.pushes),
        (),
        (),
    )


def _decide(strategy: Strategy, block: SampledBlock) -> tuple[dict[str, NDArray[Any]], Bools]:
    trials = _Trials(strategy, block)
    trials.builds()
    trials.deploy_runs()
    trials.deploys()
    return trials.columns(), trials.undecided
