"""Counter-based, addressed random numbers: every draw of a trial has a fixed address.

A uniform is addressed by ``(seed, trial, index, slot, kind)``: `index` is the push number
(0-based) or the number of a re-run or dispatch, `kind` says which of those it is
(:data:`PUSH`, :data:`RERUN`, :data:`DISPATCH`), and `slot` names the field (a duration, the
failure coin, the push gap; see :data:`SLOTS`). The generator is numpy's ``Philox`` (4x64-10),
keyed by the seed; the address picks its counter: ``(trial + 1, index, slot // 4, kind)``, and
the uniform is word ``slot % 4`` of that counter's output block.

Why: a block of trials is one vectorised call per (index, slot group), because consecutive trials
are consecutive counters; results cannot depend on chunking or workers, because each address is
computed, not reached by stepping a stream; and a sweep of one knob, or a new field or push,
moves no other draw, because nothing else's address changes. Uniforms lie in the open interval
(0, 1), and :func:`quantiles` maps them through each distribution's quantile function.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray
from scipy import special

from racesim.errors import InputError
from racesim.limits import MAX_SEED
from racesim.scenarios.timing import (
    Distribution,
    Empirical,
    Fixed,
    HeavyTailed,
    LogNormal,
    Triangular,
    Uniform,
)

__all__ = ["DISPATCH", "PUSH", "RERUN", "SLOTS", "Draws", "quantiles", "seed_key"]

Floats = NDArray[np.float64]

#: `kind` of an address: the runs a push, a re-run or a manual dispatch starts
PUSH, RERUN, DISPATCH = 0, 1, 2

#: the slot of every field a trial draws. Fixed numbers, never reused: a new field gets a new
#: slot, so adding it moves no existing draw.
SLOTS: dict[str, int] = {
    "build_pickup": 0,
    "build": 1,
    "push": 2,
    "build_verify": 3,
    "dispatch": 4,
    "deploy_pickup": 5,
    "prepare": 6,
    "mirror": 7,
    "rollout": 8,
    "deploy_verify": 9,
    "registry_lag": 10,
    "build_fails": 11,
    # the push's time (gap after the previous push), or the re-run's or dispatch's time
    "time": 12,
    "deploy_registry_lag": 13,
}

_TWO_53 = 2.0**-53


def seed_key(seed: int) -> NDArray[np.uint64]:
    """The Philox key of `seed`: two 64-bit words mixed from the seed by ``SeedSequence``."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        shown = repr(seed) if len(repr(seed)) <= 40 else repr(seed)[:37] + "..."
        raise InputError("seed", f"expected a whole number from 0 to {MAX_SEED:,}, got {shown}")
    return np.random.SeedSequence(seed).generate_state(2, np.uint64).astype(np.uint64)


class Draws:
    """The uniforms of trials ``start .. stop - 1`` under one seed, drawn on demand and cached.

    Each (kind, index, slot group) is drawn once for the whole block: one Philox call of
    ``4 * (stop - start)`` words.
    """

    def __init__(self, seed: int, start: int, stop: int) -> None:
        if not 0 <= start < stop:
            raise InputError("trials", f"expected 0 <= start < stop, got {start}, {stop}")
        self.seed = seed
        self.start = start
        self.stop = stop
        self._key = seed_key(seed)
        self._groups: dict[tuple[int, int, int], NDArray[np.uint64]] = {}

    @property
    def size(self) -> int:
        """Number of trials in the block."""
        return self.stop - self.start

    def uniform(self, slot: str, index: int = 0, kind: int = PUSH) -> Floats:
        """One uniform in (0, 1) per trial of the block, at address (trial, index, slot, kind)."""
        number = SLOTS[slot]
        group = (kind, index, number // 4)
        words = self._groups.get(group)
        if words is None:
            bits = np.random.Philox(
                key=self._key, counter=[self.start, index, number // 4, kind]
            ).random_raw(4 * self.size)
            words = bits.reshape(self.size, 4)
            self._groups[group] = words
        return ((words[:, number % 4] >> np.uint64(11)).astype(np.float64) + 0.5) * _TWO_53


def _triangular(d: Triangular, u: Floats) -> Floats:
    width = d.high - d.low
    c = (d.mode - d.low) / width
    left = d.low + np.sqrt(u * width * (d.mode - d.low))
    right = d.high - np.sqrt((1.0 - u) * width * (d.high - d.mode))
    return np.where(u < c, left, right)


def _heavy(d: HeavyTailed, u: Floats) -> Floats:
    alpha, scale = d.shape
    return d.shift + scale * np.expm1(-np.log1p(-u) / alpha)


def _lognormal(d: LogNormal, u: Floats) -> Floats:
    z: Floats = special.ndtri(u)
    return d.shift + d.median * np.exp(d.log_sigma * z)


def _empirical(d: Empirical, u: Floats) -> Floats:
    values = np.sort(np.asarray(d.values, dtype=np.float64))  # the inverse of the ECDF
    return values[np.minimum((u * len(values)).astype(np.int64), len(values) - 1)]


_QUANTILES: dict[type, Callable[[object, Floats], Floats]] = {
    Fixed: lambda d, u: np.full(u.shape, d.value),  # type: ignore[attr-defined]
    Uniform: lambda d, u: d.low + u * (d.high - d.low),  # type: ignore[attr-defined]
    Triangular: _triangular,  # type: ignore[dict-item]
    LogNormal: _lognormal,  # type: ignore[dict-item]
    Empirical: _empirical,  # type: ignore[dict-item]
    HeavyTailed: _heavy,  # type: ignore[dict-item]
}


def quantiles(dist: Distribution, u: Floats) -> Floats:
    """`dist`'s quantile function applied to the uniforms `u`, vectorised.

    Built-in distributions have a numpy form; any other :class:`Distribution` falls back to its
    scalar :meth:`~Distribution.quantile`. Results are never negative.
    """
    fn = _QUANTILES.get(type(dist))
    if fn is None:
        out = np.fromiter((dist.quantile(float(q)) for q in u), np.float64, len(u))
    else:
        out = np.asarray(fn(dist, u), dtype=np.float64).reshape(u.shape)
    if out.size and not (np.isfinite(out).all() and out.min() >= 0):
        bad = out[~(np.isfinite(out) & (out >= 0))][0]
        raise InputError("timings", f"{dist} gave {bad!r}, not a finite duration >= 0")
    return out


def exponential(scale: float, u: Floats) -> Floats:
    """Exponential quantiles with mean `scale` (Poisson arrival gaps)."""
    return -scale * np.log1p(-u)
