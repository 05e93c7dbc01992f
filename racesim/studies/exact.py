"""Exact probabilities for one push, by numerical convolution of the step distributions.

With one push, every strategy ships the meant commit exactly when one sum of independent step
durations is at most another (``X <= Y``):

- ``push`` trigger: ``X`` is the build's time to an image visible where the deploy pulls
  (pickup + build + push, plus the direct push, plus the lag of the registry it pulls from),
  ``Y`` the deploy's time to its pull (pickup + prepare + sleep);
- ``workflow_run`` / ``needs``: the deploy starts after the build ends, so ``X`` is that lag
  alone and ``Y`` the steps between the push's end and the pull (verify, dispatch, pickup,
  prepare, sleep).

With a mirror the deploy resolves its reference in the deploy registry right after mirroring and
sees its own push there (read-your-writes), so the deploy registry's lag plays no part. A failed
build (probability ``p``) ships nothing new. Then ``P(shipped) = (1 - p) P(X <= Y)``,
``P(final wrong) = (1 - p) - P(shipped)``, ``P(stale) = P(deploy runs) - P(shipped)`` for the
``latest`` reference (a pinned reference fails instead of shipping stale code), and push-to-live
is ``Y + Z`` on the event ``X <= Y`` (``Z``: mirror and rollout, plus the build for the chained
triggers).

A deploy that waits for the image (``wait`` with interval ``I`` and timeout ``T``) polls at
``Y, Y + I, ..., Y + K I`` (``K = floor(T / I)``) and pulls at the first poll that sees it, or
times out and fails. So it finds the image exactly when ``X' <= Y + K I``, where ``X'`` is the
time the registry it polls shows the image. It ships the pushed commit when it finds the image
(what it mirrors is what it resolves), and never ships stale code, since a deploy that does not
find the image fails. The pull time's
density is the first poll's plus, for ``t = Y + k I``, ``P(t - I < X <= t)`` times the density
of ``Y`` shifted by ``k I`` (see :func:`_solve`).

**Numerical method and error bound.** Each distribution is put on a grid of step ``h`` (the mass
of each cell at its centre; atoms kept apart, so ties between fixed values count as ``<=``, ties
with a continuous value count half), sums are FFT convolutions, and the probability is computed
at ``h`` and ``h / 2``. The result is the ``h / 2`` value; the stated ``error_bound`` is the
difference between the two (the method's error falls as ``h^2``, so the difference overstates
the error of the finer grid about threefold), plus the mass the grid truncates on both sides of
the comparison. ``h`` is halved until the bound is below ``1e-6`` (or the grid grows too large);
:func:`exact` reports the bound it reached. Fixed and empirical values (and the poll interval)
are placed on the nearest grid point, which is exact for multiples of 1/256 s. The push-to-live
distribution is known to the grid's resolution: mass within half a cell of an instant may sit on
either side of it (for a waiting deploy, one poll early or late).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import signal, stats

from racesim.core.strategy import Strategy, parse_strategy
from racesim.errors import InputError
from racesim.scenarios.format import Scenario
from racesim.scenarios.timing import (
    Distribution,
    Empirical,
    Fixed,
    HeavyTailed,
    LogNormal,
    Triangular,
    Uniform,
)
from racesim.studies.fastpath import one_push_reason

__all__ = ["ExactResult", "exact", "exact_sweep"]

Floats = NDArray[np.float64]

#: the error bound :func:`exact` aims for (the issue's limit is 1e-5)
TARGET = 1e-6
_MAX_CELLS = 1 << 21
_TAIL_Q = 1e-9


@dataclass(frozen=True)
class ExactResult:
    """Exact one-push probabilities of one strategy.

    Attributes:
        strategy: the strategy's name.
        p_stale: probability that the deploy ships an older commit than the push.
        p_final_wrong: probability that the service does not end on the pushed commit although
            its build succeeded.
        p_shipped: probability that the service ends on the pushed commit.
        push_to_live: ``(seconds, P(push to live <= seconds))`` on a grid; the CDF tops out at
            `p_shipped` (the rest never goes live).
        error_bound: bound on the numerical error of the probabilities (see the module doc).
        step: the grid step used, in seconds.
    """

    strategy: str
    p_stale: float
    p_final_wrong: float
    p_shipped: float
    push_to_live: tuple[Floats, Floats]
    error_bound: float
    step: float

    def push_to_live_quantile(self, q: float) -> float:
        """The `q`-quantile of push to live, counting never as infinite (``inf`` if beyond)."""
        seconds, cdf = self.push_to_live
        if not len(cdf) or q > cdf[-1]:
            return math.inf
        edges = np.concatenate(([seconds[0] - self.step], seconds))
        return float(np.interp(q, np.concatenate(([0.0], cdf)), edges))


class _Grid:
    """A non-negative random variable on the grid ``0, h, 2h, ...``: atoms and continuous mass."""

    def __init__(self, atoms: Floats, cont: Floats) -> None:
        self.atoms = atoms
        self.cont = cont

    @property
    def total(self) -> Floats:
        return self.atoms + self.cont

    def __add__(self, other: _Grid) -> _Grid:
        n = len(self.atoms)

        def conv(a: Floats, b: Floats) -> Floats:
            if not a.any() or not b.any():
                return np.zeros(n)
            out: Floats = np.clip(signal.fftconvolve(a, b)[:n], 0.0, None)
            return out

        atoms = conv(self.atoms, other.atoms)
        cont = conv(self.cont, other.cont) + conv(self.cont, other.atoms)
        return _Grid(atoms, cont + conv(self.atoms, other.cont))


def _cdf(dist: Distribution, x: Floats) -> Floats:
    if isinstance(dist, Uniform):
        return np.clip((x - dist.low) / (dist.high - dist.low), 0.0, 1.0)
    if isinstance(dist, Triangular):
        c = (dist.mode - dist.low) / (dist.high - dist.low)
        cdf: Floats = stats.triang.cdf(x, c, loc=dist.low, scale=dist.high - dist.low)
        return cdf
    if isinstance(dist, LogNormal):
        cdf = stats.lognorm.cdf(x - dist.shift, dist.log_sigma, scale=dist.median)
        return np.asarray(cdf, dtype=np.float64)
    if isinstance(dist, HeavyTailed):
        alpha, scale = dist.shape
        y = np.maximum(x - dist.shift, 0.0)
        return -np.expm1(-alpha * np.log1p(y / scale))
    raise InputError("timings", f"no exact form for {dist}; use Monte Carlo")


def _atoms(dist: Distribution) -> list[tuple[float, float]] | None:
    if isinstance(dist, Fixed):
        return [(dist.value, 1.0)]
    if isinstance(dist, Uniform) and dist.low == dist.high:
        return [(dist.low, 1.0)]
    if isinstance(dist, Empirical):
        return [(v, 1.0 / len(dist.values)) for v in dist.values]
    return None


def _grid(dist: Distribution, h: float, n: int) -> _Grid:
    atoms, cont = np.zeros(n), np.zeros(n)
    points = _atoms(dist)
    if points is not None:
        for value, mass in points:
            k = round(value / h)
            if k < n:
                atoms[k] += mass
        return _Grid(atoms, cont)
    edges = (np.arange(n + 1) - 0.5) * h
    edges[0] = -math.inf
    cdf = _cdf(dist, np.maximum(edges, -1.0))
    cdf[0] = 0.0
    return _Grid(atoms, np.diff(cdf))


def _upper(dist: Distribution) -> float:
    points = _atoms(dist)
    if points is not None:
        return max(v for v, _ in points)
    return min(dist.quantile(1 - _TAIL_Q), 3000.0)


@dataclass(frozen=True)
class _Plan:
    """Which durations make up X, Y and Z for one strategy (see the module doc)."""

    x: tuple[str, ...]
    y: tuple[str, ...]
    z: tuple[str, ...]
    runs: float  # P(the deploy job runs), in units of (1 - p) for the chained, gated triggers
    sleep: float
    interval: float = 0.0  # seconds between polls of a waiting deploy
    polls: int = 0  # polls after the first before a waiting deploy times out


def _plan(s: Strategy, p_fail: float) -> _Plan:
    plan = _plan_steps(s, p_fail)
    if s.wait is None:
        return plan
    # the engine polls at the pull instant, then every interval while the next poll is still
    # within the timeout: 1 + floor(timeout / interval) polls in all
    polls = math.floor(s.wait.timeout / s.wait.interval + 1e-9)
    return replace(plan, interval=s.wait.interval, polls=polls)


def _plan_steps(s: Strategy, p_fail: float) -> _Plan:
    build = ("build_pickup", "build", "push", *(("mirror",) if s.direct else ()))
    tail = (*(("mirror",) if s.mirror else ()), "rollout")
    deploy = ("deploy_pickup", "prepare")
    lag = "deploy_registry_lag" if s.direct else "registry_lag"  # where the deploy pulls
    if s.trigger == "push":
        return _Plan((*build, lag), deploy, tail, 1.0, s.sleep)
    if s.trigger in ("workflow_run", "needs"):
        between = ("build_verify", *(("dispatch",) if s.trigger == "workflow_run" else ()))
        runs = 1.0 if (s.trigger == "workflow_run" and not s.gate) else 1.0 - p_fail
        return _Plan((lag,), (*between, *deploy), (*build, *tail), runs, s.sleep)
    return _Plan((), (), (), 0.0, 0.0)


def _sum(names: Sequence[str], scenario: Scenario, h: float, n: int, shift: float = 0.0) -> _Grid:
    out = _grid(Fixed(shift), h, n)
    for name in names:
        out = out + _grid(_timing(scenario, name), h, n)
    return out


def _timing(scenario: Scenario, name: str) -> Distribution:
    dist = scenario.overrides.get(1, {}).get(name, scenario.timings[name])
    assert isinstance(dist, Distribution)
    return dist


def _solve(plan: _Plan, scenario: Scenario, h: float) -> tuple[float, Floats, float]:
    """``P(X <= Y + polls * interval)``, the defective density of the pull time plus ``Z`` on
    that event, and the tail bound.

    Without polls the pull is at ``Y``. A waiting deploy polls at ``Y + k * interval``
    (``k = 0 .. polls``) and pulls at the first poll that sees the image: at ``t = Y + k I`` with
    probability ``P(t - I < X <= t)`` for ``k >= 1``, so the pull time's density is the first
    poll's plus ``P(t - I < X <= t)`` times the density of ``Y`` shifted by ``I, 2I, ..., kI``
    (a convolution with a comb). Summed over ``k`` the terms telescope to ``P(X <= Y + K I)``.
    """
    wait = plan.polls * plan.interval
    top = plan.sleep + wait
    top += sum(_upper(_timing(scenario, f)) for f in (*plan.x, *plan.y, *plan.z))
    n = math.ceil(top / h) + 2
    if n > _MAX_CELLS:
        raise InputError("exact", f"grid of {n} cells is too large; the timings are too long")
    x = _sum(plan.x, scenario, h, n)
    y = _sum(plan.y, scenario, h, n, plan.sleep)
    fx = np.cumsum(x.total) - x.total  # P(X < t_j), on the grid
    seen_a = fx + x.atoms + 0.5 * x.cont  # P(X <= t_j) as an atom of Y at t_j sees it
    seen_c = fx + 0.5 * x.total  # ... as Y's continuous mass in cell j sees it
    g = y.atoms * seen_a + y.cont * seen_c  # the pull happens at the first poll
    if plan.polls:
        m = max(1, round(plan.interval / h))  # the interval in cells
        comb = np.zeros(min(n, plan.polls * m + 1))
        comb[m::m] = 1.0  # shifts by I, 2I, ..., K I (those within the grid)

        def later(seen: Floats, y_mass: Floats) -> Floats:
            newly = seen.copy()
            newly[m:] -= seen[:-m]  # P(t - I < X <= t)
            if not y_mass.any():
                return np.zeros(n)
            shifted = np.clip(signal.fftconvolve(y_mass, comb)[:n], 0.0, None)
            out: Floats = newly * shifted
            return out

        g = g + later(seen_a, y.atoms) + later(seen_c, y.cont)
    over_x, over_y = max(0.0, 1 - x.total.sum()), max(0.0, 1 - y.total.sum())
    p = float(g.sum()) + over_y * (1 - over_x)
    z = _sum(plan.z, scenario, h, n)
    density = np.clip(signal.fftconvolve(g, z.total)[:n], 0.0, None)
    return p, density, over_x * over_y


def exact(scenario: Scenario, strategy: str | Strategy) -> ExactResult:
    """Exact P(stale), P(final wrong) and push-to-live distribution of a one-push scenario.

    Raises :class:`~racesim.errors.InputError` when the scenario pushes more than once, re-runs
    or dispatches, or when a timing has no CDF form. A strategy that waits for the image is
    covered: it pulls at its first poll that sees the image, or times out and fails.
    """
    reason = one_push_reason(scenario)
    if reason is not None:
        raise InputError("scenario", f"exact answers need one push: {reason}; use Monte Carlo")
    s = parse_strategy(strategy)
    p_fail = scenario.overrides.get(1, {}).get("build_failure", scenario.build_failure)
    assert isinstance(p_fail, float)
    plan = _plan(s, p_fail)
    ok = 1.0 - p_fail
    if s.trigger == "none":
        empty = (np.zeros(1), np.zeros(1))
        return ExactResult(s.name, 0.0, ok, 0.0, empty, 0.0, 0.0)
    factor = ok
    p, density, bound, step = _converge(plan, scenario, factor)
    shipped = factor * p
    if s.reference != "latest":
        stale = 0.0  # a pinned reference fails instead of shipping another commit
    elif not plan.polls:
        stale = max(0.0, plan.runs - shipped)  # every deploy that runs ships something
    else:
        stale = 0.0  # it ships what it found, or times out and fails
    seconds: Floats = (np.arange(len(density), dtype=np.float64) + 0.5) * step
    cdf: Floats = np.minimum(np.cumsum(density) * factor, shipped)
    return ExactResult(s.name, stale, max(0.0, ok - shipped), shipped, (seconds, cdf), bound, step)


def _converge(plan: _Plan, scenario: Scenario, factor: float) -> tuple[float, Floats, float, float]:
    """:func:`_solve` on ever finer grids until its error bound is below :data:`TARGET`.

    Returns the probability, the density, the bound (scaled by `factor`) and the grid step.
    """
    h = 1.0 / 8
    p_coarse, _, _ = _solve(plan, scenario, h)
    while True:
        p, density, tail = _solve(plan, scenario, h / 2)
        bound = factor * (abs(p - p_coarse) + tail) + 1e-12
        if bound < TARGET or len(density) * 2 > _MAX_CELLS:
            return p, density, bound, h / 2
        h, p_coarse = h / 2, p


def exact_sweep(
    scenario: Scenario,
    knob: str,
    values: Sequence[float],
    strategies: Iterable[str | Strategy] | None = None,
) -> pd.DataFrame:
    """:func:`exact` at every value of one knob (as :func:`racesim.studies.sweep.sweep` takes it).

    Returns one row per value and strategy: ``knob``, ``value``, ``strategy``,
    ``p_stale_exact``, ``p_final_wrong_exact``, ``push_to_live_median_exact_s`` and
    ``exact_error_bound``.
    """
    from racesim.studies.sweep import apply_knob, swept_strategies

    chosen = swept_strategies(knob, strategies, scenario)
    rows = []
    for value in values:
        scen, strats = apply_knob(knob, float(value), scenario, chosen)
        for label, strategy in strats:
            r = exact(scen, strategy)
            rows.append(
                {
                    "knob": knob,
                    "value": float(value),
                    "strategy": label,
                    "p_stale_exact": r.p_stale,
                    "p_final_wrong_exact": r.p_final_wrong,
                    "push_to_live_median_exact_s": r.push_to_live_quantile(0.5),
                    "exact_error_bound": r.error_bound,
                }
            )
    return pd.DataFrame(rows)
