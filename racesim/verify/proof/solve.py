"""Ask z3 whether a history breaking the property exists; turn its model into a History.

The search space is real-valued, so a model may use fractions such as 7/3 s. A history meant for
people (and for the floating-point engine) reads better in whole seconds, so once a violation is
known to exist the solver is asked again for one on a grid: whole seconds, then quarters, then
1/1024 s (all exact in floating point). Only if none exists on those grids is the exact rational
model used, rounded to the nearest float.
"""

from __future__ import annotations

from fractions import Fraction

import z3

from racesim.core.history import DURATION_FIELDS, Durations, History, Push
from racesim.errors import InputError
from racesim.verify.proof.encode import Encoding
from racesim.verify.proof.properties import violation

__all__ = ["solve"]

#: grids tried for a readable counterexample (steps per second), finest last
GRIDS = (1, 4, 1024)

#: how long a grid query may take before the next grid is tried (milliseconds)
GRID_TIMEOUT_MS = 3000


def _free(enc: Encoding) -> list[z3.ArithRef]:
    return [v for p in enc.pushes for v in (p.time, *p.durations.values())]


def _number(model: z3.ModelRef, term: z3.ArithRef) -> Fraction:
    value = model.eval(term, model_completion=True)
    return Fraction(value.as_fraction())


def _history(enc: Encoding, model: z3.ModelRef) -> History:
    pushes = []
    for k, p in enumerate(enc.pushes):
        values: dict[str, float | bool] = {
            name: float(_number(model, p.durations[name])) for name in DURATION_FIELDS
        }
        values["build_fails"] = z3.is_true(model.eval(p.fails, model_completion=True))
        pushes.append(
            Push(float(_number(model, p.time)), Durations.from_mapping(values), chr(65 + k))
        )
    return History(tuple(pushes), baseline="old")


def solve(enc: Encoding, prop: str, grid: float | None = None) -> list[History]:
    """Decide whether some history of `enc` breaks `prop`: ``[]`` means none does (proved).

    Otherwise returns the histories to try, most readable first (on a grid, then the exact
    model): the caller replays them through the engine, which must confirm one of them. With
    `grid`, every push time and duration is restricted to whole multiples of `grid` seconds (a
    discrete model, for comparison with :func:`racesim.testing.exhaustive_check`).
    """
    broken = violation(enc, prop)  # first: it adds the service reads it needs to the world
    solver = z3.Solver()
    solver.add(enc.world())
    if grid is not None:
        step = Fraction(grid).limit_denominator(10**6)
        for var in _free(enc):
            solver.add(z3.IsInt(var / z3.RealVal(step)))
    # a proof is only worth something if some history exists at all: a world without one
    # would make every property "proved"
    if solver.check() != z3.sat:
        if grid is not None:
            raise InputError(
                "grid", f"no duration within the bounds is a whole multiple of {grid:g} s"
            )
        raise RuntimeError(
            f"the encoding admits no history of {enc.count} push(es) within the bounds; "
            "this is a racesim bug, please report it"
        )
    solver.add(broken)
    result = solver.check()
    if result == z3.unsat:
        return []
    if result != z3.sat:  # pragma: no cover - linear real arithmetic is decidable
        raise RuntimeError(f"z3 answered {result} ({solver.reason_unknown()})")
    exact = _history(enc, solver.model())
    found: list[History] = []
    for steps in GRIDS:
        solver.push()
        solver.set("timeout", GRID_TIMEOUT_MS)
        for var in _free(enc):
            solver.add(z3.IsInt(var * steps))
        if solver.check() == z3.sat:
            found.append(_history(enc, solver.model()))
        solver.pop()
        if found:
            break
    return [*found, exact]
