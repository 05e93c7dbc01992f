"""The multi-push fast path: histories of several pushes decided with numpy, a block at once.

Every trial of a block is decided together: numpy works over the trial axis, and Python loops only
over the runs of one trial (builds, deploys, places in a queue, polls). The rules are the engine's
(:mod:`racesim.engine`), written as array arithmetic, and every time is accumulated in the
engine's order of additions, so the result columns are bit-for-bit those of
:func:`~racesim.engine.simulate` followed by :func:`~racesim.core.outcome.assess`:

- a build run per push and per re-run (and, with ``needs``, per manual dispatch: a merged run
  builds the tip again); with a build concurrency group the runs queue in order of arrival (one
  running, one pending that a newer arrival replaces, or first in, first out with
  ``queue="max"``), and ``cancel_in_progress`` cancels the running build: a write accepted
  before the cancellation stays, nothing after it happens;
- a deploy run per push (``push``), per completed build run after the dispatch delay
  (``workflow_run``, skipped by the gate unless the build succeeded), or a deploy job after a
  successful build job (``needs``), and one per manual dispatch (the tip of ``main``, by its
  ``sha-`` tag when the strategy deploys by digest); with a deploy concurrency group the deploy
  jobs queue the same way, a pending one replaced by a newer arrival never starts;
- each registry key resolves to the latest-accepted write visible at the read (a read at a
  write's visibility instant sees it): ``latest`` to any build's, ``sha-<commit>`` to the
  builds of that commit, a digest to one build; the mirror's resolve sees its own write; a
  deploy that waits polls on the engine's clock;
- guards (``newer_than_live`` against the service at the check, ``tip_of_main`` against the
  history), rollouts that go live at their end (``finish``) or in request order
  (``request``), and every verdict of :func:`~racesim.core.outcome.assess`.

What it decides (the allow-list, :func:`multi_path_reason`): any scenario, under any strategy
without a publish guard, without ``reconcile_latest``, without ``cancel_in_progress`` on the
deploy group (a cancelled deploy's rollout may outlive its job), and without a build group on
``needs`` (one group around both jobs). Trials it cannot order are returned undecided, for the
SimPy engine: two events at one instant whose order matters (two writes of one key accepted
together, two rollouts ending together, a guard at the instant another rollout ends, a queue
arrival at the instant the running job ends, a cancellation at the instant a step of the
cancelled build ends, two jobs ending together, so that the runner-seconds sum could be added
in another order), and trials with more than :data:`MOST_PUSHES` pushes.
``tests/test_fastpath_multi.py`` checks it against the engine trial by trial, and
``python -m benchmarks --suite equivalence`` on 100,000 sampled histories per preset.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from racesim.core.history import DURATION_FIELDS
from racesim.core.strategy import Strategy
from racesim.studies.sampled import Columns, SampledBlock

__all__ = ["MOST_PUSHES", "multi_columns", "multi_path_reason"]

Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]
Ints = NDArray[np.int64]

#: trials with more pushes than this go to the SimPy engine (the work grows with its square)
MOST_PUSHES = 12

_NONE = -1  # no commit (a manifest that is not there), no run


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
    tied: Bools = (ordered[1:] == ordered[:-1]).any(axis=0)
    return tied


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
        return np.argsort(keys, axis=0, kind="stable")  # runs of sorted keys: often cheaper
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


def _last(values: Floats) -> tuple[Ints, Bools]:
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
    """One row per trial of arrays laid out (rows, trials): the same row for every trial (an
    int), or one each (an array).

    Reads through :meth:`of` use a flat index computed once (``take`` on a flat index costs a
    fifth of a two-dimensional fancy index).
    """

    __slots__ = ("flat", "k")

    def __init__(self, k: Ints | int, n: int) -> None:
        self.k = k
        self.flat = None if isinstance(k, int) else k * n + np.arange(n)

    def of(self, values: NDArray[Any]) -> NDArray[Any]:
        """Row `k` of `values` (rows, trials), per trial."""
        if self.flat is None:
            return values[self.k]
        return values.ravel().take(self.flat)


def _take(values: NDArray[Any], rows: Ints) -> NDArray[Any]:
    """``values[rows[i], i]`` for every trial ``i`` of `values` (entries, trials)."""
    n = values.shape[1]
    out: NDArray[Any] = values.ravel().take(rows * n + np.arange(n))
    return out


class _Records:
    """Durations records of a block: one per push, re-run and dispatch (in that order), each
    field one array over the trials, stacked (records, trials) on demand for per-trial picks."""

    def __init__(self, columns: list[Columns]) -> None:
        self.rows = {
            name: [np.asarray(c[name], np.float64) for c in columns] for name in DURATION_FIELDS
        }
        self.fails = [np.asarray(c["build_fails"], np.bool_) for c in columns]
        self._stacked: dict[str, NDArray[Any]] = {}

    def stacked(self, name: str) -> NDArray[Any]:
        out = self._stacked.get(name)
        if out is None:
            rows = self.fails if name == "build_fails" else self.rows[name]
            out = self._stacked[name] = np.stack(rows)
        return out

    def get(self, name: str, pick: _Pick) -> NDArray[Any]:
        """Field `name` of record `pick` (per trial)."""
        if pick.flat is None:
            assert isinstance(pick.k, int)
            return (self.fails if name == "build_fails" else self.rows[name])[pick.k]
        return pick.of(self.stacked(name))


class _Trials:
    """The state of one block of trials: what ran, when, and what it saw.

    Arrays are laid out (rows, trials): a run's values are one contiguous row, and reductions
    over runs work along the fast axis. Build runs are the pushes' builds, then the re-runs
    (then, with ``needs``, the merged runs of manual dispatches); they are decided in *build
    slots* (their own order, or their order of arrival in a build group), deploy jobs in
    *deploy slots* (the same, for deploy runs).
    """

    _SLOTS: tuple[tuple[str, Any, Any], ...] = (
        ("meant", np.int64, 0),
        ("j_start", np.float64, np.nan),  # the job started (NaN: never)
        ("j_end", np.float64, np.nan),
        ("margin", np.float64, np.nan),  # pull margin (NaN: no pull, or never visible)
        ("status", np.int8, 0),  # 0 none 1 live 2 blocked 3 failed
        ("shipped", np.int64, _NONE),  # the commit it rolled out
        ("image", np.int64, _NONE),  # the image it rolled out (build slot + 1; 0: baseline)
        ("r_acc", np.float64, np.nan),  # the service write of its rollout (finish: its end)
        ("r_live", np.float64, np.nan),  # when the rollout ends (NaN: no rollout)
        ("m_acc", np.float64, np.nan),  # the mirror's write to the deploy registry
    )

    def __init__(self, strategy: Strategy, block: SampledBlock) -> None:
        self.s = s = strategy
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
        self.undecided: Bools = block.counts > p
        # the engine's clock starts at min(0, first push, dispatches); an event at t fires at
        # start + (t - start), which is t itself when the clock starts at 0
        base = np.minimum(0.0, raw[0])
        for times, _ in block.dispatches:
            base = np.minimum(base, times)
        self.base = None if (base == 0.0).all() else base
        self.t: Floats = self.clock(raw)
        self.records = _Records(
            [*block.pushes[:p], *(c for _, _, c in block.reruns), *(c for _, c in block.dispatches)]
        )
        self.end = raw[most - 1, self.rows]  # pushes never go backwards: the last one
        # -- build runs: (record, commit, arrival, exists) --
        runs: list[tuple[int, Ints | int, Floats, Bools]] = [
            (k, k + 1, self.t[k], self.exists[k]) for k in range(p)
        ]
        for j, (commit, times, _) in enumerate(block.reruns):
            if commit > p:
                continue  # no trial of this block pushes that commit (beyond MOST_PUSHES)
            live = self.exists[commit - 1]
            at = self.clock(np.maximum(times, raw[commit - 1]))
            runs.append((p + j, commit, at, live))
            self.end = np.fmax(self.end, np.where(live, at, np.nan))
        self.dispatch_times: list[Floats] = []
        self.dispatch_tips: list[Ints] = []
        for times, _ in block.dispatches:
            at = self.clock(times)
            self.dispatch_times.append(at)
            self.dispatch_tips.append(((raw <= at) & self.exists).sum(axis=0))
            self.end = np.fmax(self.end, at)
        first_dispatch = p + len(block.reruns)
        if (
            s.trigger == "needs"
        ):  # a dispatch starts a merged run: a build of the tip, then a deploy
            for j, at in enumerate(self.dispatch_times):
                runs.append((first_dispatch + j, self.dispatch_tips[j], at, np.ones(n, np.bool_)))
        self.first_dispatch = first_dispatch
        self.b = b = len(runs)
        #: build slot k holds commit k + 1 in every trial (only pushes' builds, in push order)
        self.simple = b == p
        self.run_commit = np.stack([np.broadcast_to(c, (n,)) for _, c, _, _ in runs])
        self.run_arrival = np.stack([a for _, _, a, _ in runs])
        self.run_exists = np.stack([e for _, _, _, e in runs])
        self.run_record = np.array([r for r, _, _, _ in runs], dtype=np.int64)
        # -- build slots --
        self.b_status = np.zeros((b, n), dtype=np.int8)  # 0 none 1 success 2 failure 3 cancelled
        self.b_job_start = np.full((b, n), np.nan)  # NaN: the job never started
        self.b_job_end = np.full((b, n), np.nan)
        self.b_run_end = np.full((b, n), np.nan)
        self.w_acc = np.full((b, n), np.nan)  # build registry write (latest, sha, digest)
        self.w_vis = np.full((b, n), np.nan)
        self.dw_acc = np.full((b, n), np.nan)  # the direct push to the deploy registry
        self.dw_vis = np.full((b, n), np.nan)
        self.b_commit = np.zeros((b, n), dtype=np.int64)  # the commit each slot built
        self.b_record: list[_Pick] = []  # the durations record of each slot
        self.cancelled = np.zeros(n, dtype=np.int64)
        # -- deploy runs (filled by deploy_runs) and deploy slots --
        #: with a deploy group, the commit of the last rollout (what the service runs)
        self.serial: Ints | None = None
        if strategy.deploy_concurrency is not None:
            self.serial = np.zeros(n, dtype=np.int64)
        self.used = 0
        self.slots: dict[str, NDArray[Any]] = {}

    def clock(self, t: Floats) -> Floats:
        """The engine's time of an event scheduled for `t` (see __init__)."""
        if self.base is None:
            return t
        return np.where(t > self.base, self.base + (t - self.base), t)

    # -- builds -------------------------------------------------------------------------------

    def build(self, slot: int, run: _Pick, admitted: Floats, mask: Bools | None) -> None:
        """Run build `run` in slot `slot` from its admission, for the trials in `mask`
        (``None``: all of them)."""
        s, rec = self.s, self.records
        pick = self._record_of(run)
        self.b_record.append(pick)
        self.b_commit[slot] = run.of(self.run_commit)
        start = admitted + rec.get("build_pickup", pick)
        built = start + rec.get("build", pick)
        fails = rec.get("build_fails", pick)
        ok = ~fails if mask is None else mask & ~fails
        pushed = built + rec.get("push", pick)
        vis = pushed + rec.get("registry_lag", pick)
        if s.direct:
            direct = pushed + rec.get("mirror", pick)
            verify_from = direct
        else:
            direct = verify_from = pushed
        end = np.where(ok, verify_from + rec.get("build_verify", pick), built)
        if mask is None:
            self.b_job_start[slot] = start
            self.b_job_end[slot] = end
            self.b_run_end[slot] = end
            self.b_status[slot] = np.where(ok, 1, 2)
        else:
            np.copyto(self.b_job_start[slot], start, where=mask)
            np.copyto(self.b_job_end[slot], end, where=mask)
            np.copyto(self.b_run_end[slot], end, where=mask)
            np.copyto(self.b_status[slot], np.where(ok, 1, 2), where=mask, casting="unsafe")
        np.copyto(self.w_acc[slot], pushed, where=ok)
        np.copyto(self.w_vis[slot], vis, where=ok)
        if s.direct:
            np.copyto(self.dw_acc[slot], direct, where=ok)
            lag = rec.get("deploy_registry_lag", pick)
            np.copyto(self.dw_vis[slot], direct + lag, where=ok)

    def _record_of(self, run: _Pick) -> _Pick:
        """The durations record of build run `run`."""
        if run.flat is None:
            assert isinstance(run.k, int)
            return _Pick(int(self.run_record[run.k]), self.n)
        return _Pick(self.run_record[run.k], self.n)

    def cancel_build(self, slot: int, at: Floats, mask: Bools) -> None:
        """Cancel the build in `slot` at `at` (a newer run of its group arrived), for the trials
        in `mask`.

        What ended before `at` stays (a write accepted before it is in the registry); what
        would end after it never happens. An event of the build at the very instant is a tie
        the engine orders by its settle phase: those trials are left undecided.
        """
        started = self.b_job_start[slot]
        built = started + self.records.get("build", self.b_record[slot])
        tie = (
            (started == at)
            | (built == at)
            | (self.w_acc[slot] == at)
            | (self.dw_acc[slot] == at)
            | (self.b_job_end[slot] == at)
        )
        self.undecided |= mask & tie
        in_job = mask & (started < at)
        np.copyto(self.b_job_end[slot], np.where(in_job, at, np.nan), where=mask)
        np.copyto(self.b_job_start[slot], np.nan, where=mask & ~in_job)
        np.copyto(self.b_run_end[slot], at, where=mask)
        np.copyto(self.b_status[slot], 3, where=mask, casting="unsafe")
        for acc, vis in ((self.w_acc, self.w_vis), (self.dw_acc, self.dw_vis)):
            late = mask & ~(acc[slot] < at)
            np.copyto(acc[slot], np.nan, where=late)
            np.copyto(vis[slot], np.nan, where=late)
        self.cancelled += mask

    def builds(self) -> None:
        """Every build run: at its trigger, or through the build group.

        Runs arrive in order of their triggers. With ``cancel_in_progress`` each is admitted at
        once and cancels the one still running; otherwise a run waits until the running one
        ends, and with ``queue="single"`` a waiting run is cancelled when a newer one arrives
        first.
        """
        group = self.s.build_concurrency
        n, b = self.n, self.b
        if group is None:
            for k in range(b):
                live = self.run_exists[k]
                self.build(k, _Pick(k, n), self.run_arrival[k], None if live.all() else live)
            return
        arrival = np.where(self.run_exists, self.run_arrival, np.inf)
        # two runs arriving at one instant: the engine sorts them by commit and attempt
        self.undecided |= _pairwise_equal(arrival, self.run_exists)
        order = None if self.simple else _order(arrival)
        free = np.full(n, -np.inf)  # when the running build ends
        for r in range(b):
            run = _Pick(r if order is None else order[r], n)
            at = run.of(arrival)
            live = ~np.isinf(at)
            following = None
            if r + 1 < b:
                following = arrival[r + 1] if order is None else _take(arrival, order[r + 1])
            if group.cancel_in_progress:
                self.build(r, run, at, live)
                self._admitted_in_settle(r, at, live)
                if following is not None:  # the next arrival cancels this build if it runs
                    ends = self.b_run_end[r]
                    self.undecided |= live & (ends == following)
                    self.cancel_build(r, following, live & (ends > following))
                continue
            self.undecided |= live & (at == free)
            busy = live & (at < free)
            runs = live
            if group.queue == "single" and following is not None:
                self.undecided |= busy & (following == free)
                dropped = busy & (following < free)
                self.b_commit[r] = run.of(self.run_commit)
                np.copyto(self.b_run_end[r], following, where=dropped)
                np.copyto(self.b_status[r], 3, where=dropped, casting="unsafe")
                self.cancelled += dropped
                runs = live & ~dropped
            self.build(r, run, np.where(busy, free, at), runs)
            self._admitted_in_settle(r, at, runs & ~busy)
            free = np.where(runs, self.b_run_end[r], free)

    def _admitted_in_settle(self, slot: int, at: Floats, mask: Bools) -> None:
        """A build the group admits on arrival is admitted in the settle phase of `at`: what it
        does in zero time comes after the reads of that round, which the arithmetic here does
        not order (a write visible, or the run over, at the very instant): left to SimPy."""
        same = (self.w_vis[slot] == at) | (self.dw_vis[slot] == at) | (self.b_run_end[slot] == at)
        self.undecided |= mask & same

    # -- deploy runs --------------------------------------------------------------------------

    def deploy_runs(self) -> None:
        """Which deploy jobs ask to run, and when (their arrival in the deploy group).

        Sets per deploy run (rows): `arrival` (NaN: the job never asks), `d_meant`,
        `d_digest` (the build slot whose digest it deploys, or -1) and `d_record` (its
        durations), and `created` (the deploy runs that exist, started or not).
        """
        s, n = self.s, self.n
        arrivals: list[Floats] = []
        meant: list[Ints | int] = []  # an int: the same in every trial
        digest: list[Ints | int] = []
        records: list[_Pick] = []
        created = np.zeros(n, dtype=np.int64)
        if s.trigger == "push":
            for k in range(self.p):
                arrivals.append(np.where(self.exists[k], self.t[k], np.nan))
                meant.append(k + 1)
                digest.append(_NONE)
                records.append(_Pick(k, n))
                created += self.exists[k]
        elif s.trigger in ("workflow_run", "needs"):
            success = self.b_status == 1
            for slot in range(self.b):
                record = self.b_record[slot]
                ran = self.b_status[slot] > 0  # the run exists (it may have been cancelled)
                if s.trigger == "workflow_run":
                    made = self.b_run_end[slot] + self.records.get("dispatch", record)
                    self.end = np.fmax(self.end, np.where(ran, made, np.nan))
                    asks = success[slot] if s.gate else ran
                    arrivals.append(np.where(asks, made, np.nan))
                else:
                    arrivals.append(np.where(success[slot], self.b_job_end[slot], np.nan))
                meant.append(slot + 1 if self.simple else self.b_commit[slot])
                digest.append(slot)
                records.append(record)
                created += ran
        if s.trigger != "needs":  # a manual dispatch starts a deploy run of the tip
            for j, at in enumerate(self.dispatch_times):
                arrivals.append(at)
                meant.append(self.dispatch_tips[j])
                digest.append(_NONE)
                records.append(_Pick(self.first_dispatch + j, n))
                created += 1
        self.arrival = np.stack(arrivals) if arrivals else np.empty((0, n))
        self.d_meant = meant
        self.d_digest = digest
        self.d_record = records
        self._d_stacked: tuple[Ints, Ints, Ints] | None = None
        self.created = created
        rows = max(1, len(arrivals))
        self.slots = {
            name: np.full((rows, n), fill, dtype=dtype) for name, dtype, fill in self._SLOTS
        }

    # -- registries and the service -----------------------------------------------------------

    def _source(self) -> tuple[Floats, Floats]:
        """The writes of the registry the deploy pulls from (accepted, visible), per slot."""
        if self.s.direct:
            return self.dw_acc, self.dw_vis
        return self.w_acc, self.w_vis

    def seen(self, meant: Ints | int, slot: Ints | int, at: Floats) -> Ints:
        """The image the reference of a deploy meant to ship `meant` (built in build slot
        `slot`, or -1) resolves to at `at`: build slot + 1, 0 for the baseline image, -1 (no
        manifest). An int stands for the same value in every trial."""
        acc, vis = self._source()
        reference = self.s.reference
        if reference == "latest":  # the latest-accepted write visible at `at`
            which, any_ = _last(np.where(vis <= at, acc, np.nan))
            return np.where(any_, which + 1, 0)
        if reference == "digest" and isinstance(slot, int) and slot >= 0:
            return np.where(vis[slot] <= at, slot + 1, _NONE)
        if isinstance(meant, int) and self.simple:  # build slot meant - 1 built commit meant
            return np.where(vis[meant - 1] <= at, meant, _NONE)
        # sha-<meant>: the latest-accepted visible write of that commit (sha-0: the baseline);
        # a dispatch deploying by digest has no build output and asks for its sha too
        meant = np.broadcast_to(meant, (self.n,))
        if self.simple:
            shown = _take(vis, np.maximum(meant - 1, 0)) <= at
            found = np.where(shown & (meant >= 1), meant, _NONE)
        else:
            which, any_ = _last(np.where((vis <= at) & (self.b_commit == meant), acc, np.nan))
            found = np.where(any_, which + 1, _NONE)
        found = np.where(meant == 0, 0, found)
        if reference == "digest":
            slot = np.broadcast_to(slot, (self.n,))
            mine = np.where(_take(vis, np.maximum(slot, 0)) <= at, slot + 1, _NONE)
            found = np.where(slot >= 0, mine, found)
        return found

    def commit_of(self, image: Ints) -> Ints:
        """The commit of `image` (build slot + 1, 0 for the baseline, -1 for none)."""
        if self.simple:  # build slot k built commit k + 1
            return image
        return np.where(image > 0, _take(self.b_commit, np.maximum(image - 1, 0)), image)

    def first_visible(self, meant: Ints | int, slot: Ints | int) -> Floats:
        """When the image the deploy means to ship first showed under its reference (the pull
        margin's origin); NaN if it never did."""
        vis = self._source()[1]
        if self.s.reference == "digest" and isinstance(slot, int) and slot >= 0:
            return vis[slot]  # type: ignore[no-any-return]
        if isinstance(meant, int) and self.simple:
            return vis[meant - 1]  # type: ignore[no-any-return]
        meant = np.broadcast_to(meant, (self.n,))
        if self.simple:
            out = np.where(meant >= 1, _take(vis, np.maximum(meant - 1, 0)), np.nan)
        else:
            out = np.fmin.reduce(np.where(self.b_commit == meant, vis, np.nan), axis=0)
        if self.s.reference == "digest":
            slot = np.broadcast_to(slot, (self.n,))
            out = np.where(slot >= 0, _take(vis, np.maximum(slot, 0)), out)
        return out

    def live_commit(self, at: Floats) -> Ints:
        """The commit the service runs at `at`, from the rollouts recorded so far."""
        if self.serial is not None:
            # deploy jobs one at a time: every rollout so far ended before this job started,
            # and the last one is both the last to end and the last requested
            return self.serial
        return self.commit_of(self.live_image(at))

    def live_image(self, at: Floats) -> Ints:
        """The image the service runs at `at` (build slot + 1; 0: the baseline)."""
        if self.used == 0:
            return np.zeros(self.n, dtype=np.int64)
        which, any_ = _last(np.where(self.slot("r_live") <= at, self.slot("r_acc"), np.nan))
        return np.where(any_, _take(self.slot("image"), which), 0)

    def slot(self, name: str) -> NDArray[Any]:
        """The deploy slot rows of `name` used so far (slots, trials)."""
        return self.slots[name][: self.used]

    # -- deploy jobs --------------------------------------------------------------------------

    def deploy(self, which: _Pick, admitted: Floats, mask: Bools) -> Floats:
        """Run deploy run `which` (per trial) from its admission; returns when its job ends."""
        s, rec = self.s, self.records
        c = self.used
        self.used += 1
        row = {name: values[c] for name, values in self.slots.items()}

        def put(name: str, value: Any, where: Bools) -> None:
            np.copyto(row[name], value, where=where, casting="unsafe")

        meant, digest, record = self._deploy_run(which)
        start, pull, reached = self._to_pull(meant, digest, record, admitted, mask)
        meant_vis = self.first_visible(meant, digest)
        end: Floats = pull  # a failed wait or pull ends the job there
        blocked: Bools | None = None
        if s.mirror:
            got = self.seen(meant, digest, pull)
            pulled = reached & (got != _NONE)
            put("margin", pull - meant_vis, reached)  # NaN: never visible
            resolve = pull + rec.get("mirror", record)
            put("m_acc", resolve, pulled)
            shown = resolve + rec.get("deploy_registry_lag", record)
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
            got = self.seen(meant, digest, at)
            put("margin", at - meant_vis, passed)
            passed = passed & (got != _NONE)
            failed = checked & ~passed if blocked is None else checked & ~passed & ~blocked
            end = np.where(failed, at, end)
        live_at = at + rec.get("rollout", record)
        end = np.where(passed, live_at + rec.get("deploy_verify", record), end)
        shipped = self.commit_of(got)
        put("meant", meant, mask)
        put("status", 3, mask)
        if blocked is not None:
            put("status", 2, blocked)
        put("status", 1, passed)
        put("shipped", shipped, passed)
        put("image", got, passed)
        put("r_acc", at if s.live_order == "request" else live_at, passed)
        put("r_live", live_at, passed)
        if self.serial is not None:
            np.copyto(self.serial, shipped, where=passed)
        put("j_start", start, mask)
        put("j_end", end, mask)
        return end

    def _deploy_run(self, which: _Pick) -> tuple[Ints | int, Ints | int, _Pick]:
        """The commit deploy run `which` means to ship, its digest's build slot (or -1), and
        its durations record."""
        if which.flat is None:
            assert isinstance(which.k, int)
            k = which.k
            return self.d_meant[k], self.d_digest[k], self.d_record[k]
        stacked = self._d_stacked
        if stacked is None:  # per-trial picks (a group's order): stack the runs once
            n = self.n

            def rows(values: list[Ints | int]) -> Ints:
                return np.stack([np.broadcast_to(v, (n,)) for v in values])

            records = [r.k for r in self.d_record]
            stacked = self._d_stacked = (rows(self.d_meant), rows(self.d_digest), rows(records))
        meant, digest, records_of = (which.of(a) for a in stacked)
        return meant, digest, _Pick(records_of, self.n)

    def _wait(
        self, meant: Ints | int, digest: Ints | int, start: Floats, mask: Bools
    ) -> tuple[Floats, Bools]:
        """Poll from `start` every interval until the reference shows the meant commit (the
        engine's loop on the engine's clock); returns the last poll's time and whether it
        found it."""
        assert self.s.wait is not None
        interval, timeout = self.s.wait.interval, self.s.wait.timeout
        deadline = start + timeout
        now = start.copy()
        found = np.zeros(self.n, dtype=np.bool_)
        active = mask.copy()
        while active.any():
            found |= active & (self.commit_of(self.seen(meant, digest, now)) == meant)
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
        n, runs = self.n, len(self.arrival)
        has = ~np.isnan(self.arrival)
        if group is None:
            if self.s.guard == "newer_than_live":
                self._deploys_by_check(has)
            else:
                for d in range(runs):
                    self.deploy(_Pick(d, n), self.arrival[d], has[d])
            return
        # two arrivals at one instant: the engine admits them in commit order, as here, but
        # only if they arrive in the same settle round
        self.undecided |= _pairwise_equal(self.arrival, has)
        arrival = np.where(has, self.arrival, np.inf)
        order = _order(arrival)
        free = np.full(n, -np.inf)  # when the running job ends
        for r in range(runs):
            d = order[r]
            at = _take(arrival, d)
            live = ~np.isinf(at)
            self.undecided |= live & (at == free)
            busy = live & (at < free)
            run = live
            if group.queue == "single" and r + 1 < runs:
                following = _take(arrival, order[r + 1])
                self.undecided |= busy & (following == free)
                dropped = busy & (following < free)
                self.end = np.fmax(self.end, np.where(dropped, following, np.nan))
                self.cancelled += dropped
                run = live & ~dropped
            end = self.deploy(_Pick(d, n), np.where(busy, free, at), run)
            free = np.where(run, end, free)

    def _deploys_by_check(self, has: Bools) -> None:
        """Parallel deploys with a ``newer_than_live`` guard, decided in the order of their
        checks: a check sees only rollouts that ended by then, whose checks came earlier."""
        runs = len(self.arrival)
        if not runs:
            return
        checks = np.stack([self._check_time(d, has[d]) for d in range(runs)])
        self.undecided |= _pairwise_equal(checks, ~np.isinf(checks))
        order = _order(checks)
        for r in range(runs):
            d = order[r]
            self.deploy(_Pick(d, self.n), _take(self.arrival, d), _take(has, d))

    def _to_pull(
        self,
        meant: Ints | int,
        digest: Ints | int,
        record: _Pick,
        admitted: Floats,
        mask: Bools,
    ) -> tuple[Floats, Floats, Bools]:
        """A deploy job from its admission to its pull: when the job starts, when it pulls (or
        its last poll, if a wait timed out), and the trials in which it got to its pull."""
        s, rec = self.s, self.records
        start = admitted + rec.get("deploy_pickup", record)
        pull = start + rec.get("prepare", record)
        if s.sleep > 0:
            pull = pull + s.sleep
        reached = mask
        if s.wait is not None:
            pull, found = self._wait(meant, digest, pull, mask)
            reached = mask & found
        return start, pull, reached

    def _check_time(self, d: int, mask: Bools) -> Floats:
        """When deploy run `d` would run its guard (inf: it does not get there)."""
        s, rec = self.s, self.records
        meant, digest, record = self.d_meant[d], self.d_digest[d], self.d_record[d]
        _, pull, reached = self._to_pull(meant, digest, record, self.arrival[d], mask)
        if s.mirror:
            ok = reached & (self.seen(meant, digest, pull) != _NONE)
            return np.where(ok, pull + rec.get("mirror", record), np.inf)
        return np.where(reached, pull, np.inf)

    # -- verdicts -----------------------------------------------------------------------------

    def columns(self) -> dict[str, NDArray[Any]]:
        """The result columns of every trial (see :func:`multi_columns`)."""
        n, p, rows = self.n, self.p, self.rows
        succeeded = self.b_status == 1
        newest_built = np.zeros(n, dtype=np.int64)
        built_bits = np.zeros(n, dtype=np.int64)  # bit c: a build of commit c succeeded
        for slot in range(self.b):
            commit = self.b_commit[slot]
            newest_built = np.where(succeeded[slot], np.maximum(newest_built, commit), newest_built)
            built_bits |= succeeded[slot] << commit
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
        image = np.zeros(n, dtype=np.int64)
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
                now = self.live_image(t)
                value = self.commit_of(now)
                change = valid & ((now != image) | ~lagged)
                image = np.where(change, now, image)
            else:  # each rollout takes over when it ends (ties are left undecided)
                value = shipped.ravel().take(flat)
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
        latest_end = np.where(any_, _take(self.b_commit, which), 0)
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
        missing = built_bits & ~shown
        for k in range(1, p + 1):
            never += (missing >> k) & 1
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
        behind = _behind(self.raw[0], end, self.w_vis, self.b_commit, live_times, live_values)
        out: dict[str, NDArray[Any]] = {
            "pushes": self.counts.astype(np.int64),
            "deploys": deploys.astype(np.int64),
            "stale": stale_count > 0,
            "stale_deploys": stale_count,
            "identity_errors": wrong,
            "failed_deploys": failed.astype(np.int64),
            "skipped_deploys": (self.created - deploys).astype(np.int64),
            "final_live": final,
            "newest_built": newest_built,
            "final_correct": final == newest_built,
            "regressions": regressions,
            "regressed": regressions > 0,
            "never_deployed": never,
            "behind_s": behind,
            "push_to_live_s": reached_at - t_last,
            "min_pull_margin_s": margins,
            "latest_correct": latest_end == newest_built,
            "runner_s": runner,
            "cancelled_runs": self.cancelled,
            "end_s": end,
        }
        first = self.records.rows
        for name in DURATION_FIELDS:
            out[f"sampled_{name}"] = first[name][0]
        return out


def _behind(
    start: Floats,
    end: Floats,
    built: Floats,
    commits: Ints,
    live_times: Floats,
    live_values: Ints,
) -> Floats:
    """Seconds in [start, end] the service ran an older commit than the newest visible image.

    The sweep of :func:`racesim.core.outcome._behind`, over all trials at once: change points
    sorted by time, an interval added at each change point. `built` holds when each build
    slot's image shows in the build registry (NaN: never), `commits` its commit.
    """
    b, n = built.shape
    times = np.concatenate([np.where(np.isnan(built), np.inf, built), live_times])
    values = np.concatenate([commits, live_values]).ravel()
    # within one instant the engine sorts live changes before builds, and by commit; the state
    # after the instant is the same in any order, except for two live changes (left undecided
    # by the caller), so sorting by time alone gives the same additions in the same order
    order = _order(times)
    flat_times = times.ravel()
    cols = np.arange(n)
    # The engine adds, at each change point after `start`, the time since the previous one if
    # the service was behind in between, clipping times to `end`; over sorted times, "since"
    # is always the previous point clipped to [start, end] (an inf pads to `end`), so the
    # terms are the differences of the clipped points, added one at a time in time order.
    total = np.zeros(n)
    current = np.zeros(n, dtype=np.int64)
    newest = np.zeros(n, dtype=np.int64)
    behind = np.zeros(n, dtype=np.bool_)
    since = start
    for e in range(len(times)):
        entry = order[e]
        flat = entry * n + cols
        t = flat_times.take(flat)
        point = np.minimum(np.maximum(t, start), end)
        total = np.where(behind, total + (point - since), total)
        since = point
        value = values.take(flat)
        valid = ~np.isinf(t)
        live = entry >= b
        current = np.where(valid & live, value, current)
        newest = np.where(valid & ~live, np.maximum(newest, value), newest)
        behind = current < newest
    return np.where(behind, total + (end - since), total)


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

    def cut(columns: Columns) -> Columns:
        return {name: values[a:b] for name, values in columns.items()}

    return SampledBlock(
        block.seed,
        block.start + a,
        block.start + b,
        block.times[a:b],
        block.counts[a:b],
        tuple(cut(push) for push in block.pushes),
        tuple((commit, times[a:b], cut(c)) for commit, times, c in block.reruns),
        tuple((times[a:b], cut(c)) for times, c in block.dispatches),
    )


def _decide(strategy: Strategy, block: SampledBlock) -> tuple[dict[str, NDArray[Any]], Bools]:
    trials = _Trials(strategy, block)
    trials.builds()
    trials.deploy_runs()
    trials.deploys()
    return trials.columns(), trials.undecided
